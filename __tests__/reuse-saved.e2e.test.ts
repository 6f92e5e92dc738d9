// What reuse saved, through the bundled action, the real registry and BuildKit: the first
// run builds the base (a solve with no output, then the export and push) and its pushed
// config carries how long the solve took; the next run reuses the base and its report says
// how long that build took. Nothing else in the report claims a build. The application's
// heredoc `RUN` is named by its command in the slowest-steps table.

import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, expect, it } from 'vitest'
import { runAction, succeeded } from '../__fixtures__/action-runner.js'
import { REGISTRY, epochOf, getManifest } from '../__fixtures__/stack.js'
import { e2eSuite } from '../__fixtures__/e2e-suite.js'
import { Labels } from '../src/vocabulary/constants.js'
import { formatDuration } from '../src/report/format.js'

const suite = e2eSuite('reusesaved', { quickstart: true })
const { repo, image } = suite

beforeAll(() => {
  // An environment of its own: no other test's base or cache matches it, so the solve runs its steps.
  const file = path.join(suite.ws, 'environment.yml')
  writeFileSync(file, readFileSync(file, 'utf8').replace('numpy=1.26', `numpy=1.${(process.pid % 1000) + 3000}`))
  // A heredoc step in the application Dockerfile: the report names it by its command, as it does the base's.
  const df = path.join(suite.ws, 'Dockerfile')
  writeFileSync(df, readFileSync(df, 'utf8').replace('CMD [', 'RUN <<EOF\nset -eu\ncd /app\nsha256sum main.py > /app/HEREDOC\nEOF\nCMD ['))
})

async function configLabels(tag: string): Promise<Record<string, string>> {
  const m = (await getManifest(repo, tag))!
  const manifest = m.body.manifests ? (await getManifest(repo, m.body.manifests[0]!.digest))! : m
  const blob = await fetch(`http://${REGISTRY}/v2/${repo}/blobs/${manifest.body.config!.digest}`)
  return ((await blob.json()) as { config?: { Labels?: Record<string, string> } }).config?.Labels ?? {}
}

it('a reused base says how long its build took when it was built; the build records it on the base', async () => {
  const inputs = { image, 'base-dockerfile': 'base.Dockerfile', dockerfile: 'Dockerfile', tags: 'sha-1111111' }
  const env = { SOURCE_DATE_EPOCH: epochOf('2026-11-23') }
  const first = succeeded(await runAction(inputs, { cwd: suite.ws, env }))
  expect(first.outputs['base-reused']).toBe('false')
  expect(first.summary).not.toContain('Reuse saved')
  const tag = first.outputs['base-tag']!
  const labels = await configLabels(tag)
  const seconds = labels[Labels.BuildSeconds]
  expect(seconds).toMatch(/^\d+\.\d{3}$/)
  // The other labels are all there, as before.
  expect(labels[Labels.EnvHash]).toBe(first.outputs['env-hash'])

  const second = succeeded(await runAction({ ...inputs, tags: 'sha-2222222' }, { cwd: suite.ws, env }))
  expect(second.outputs['base-reused']).toBe('true')
  expect(second.outputs['base-tag']).toBe(tag)
  const rows = second.summary.split('\n')
  const saved = rows.find((l) => l.startsWith('| Reuse saved |'))
  expect(saved).toBeDefined()
  expect(saved).toContain(`**${formatDuration(Math.round(Number(seconds) * 1000))}**`)
  expect(saved).toContain(tag)
  // No row of this run claims a base build.
  expect(second.summary).not.toMatch(/\| base \| /)
  expect(rows.find((l) => l.startsWith('| Base |'))).toMatch(/♻️ reused/)
  // The application's heredoc step is named by its first command that does the work (not `set -eu`).
  expect(second.summary).toMatch(/\| `\[\d\/\d\] RUN sha256sum main\.py > \/app\/HEREDOC` \| app \|/)
  expect(second.summary).not.toMatch(/RUN set -eu|<<EOF/)
  // Time is each phase's own: the lookup made requests while the hash ran, so it has a duration and is marked as alongside.
  const time = rows.find((l) => l.startsWith('| Time |')) ?? ''
  expect(time).toMatch(/Lookup \d+(\.\d)? m?s \(alongside Environment hash/)
  expect(time).not.toMatch(/(Registries|Lookup|Push access|Builder) 0 ms/)
  // The registry reach check runs while the action hashes: its phase is its requests' time, marked alongside.
  expect(time).toMatch(/Registries \d+(\.\d)? m?s \(alongside Environment hash/)
  expect(time).toMatch(/\*\*total [\d.]+ m?s\*\*/)
  if (process.env.E2E_DUMP) writeFileSync(process.env.E2E_DUMP, `${first.summary}\n\n----\n\n${second.summary}`)
})
