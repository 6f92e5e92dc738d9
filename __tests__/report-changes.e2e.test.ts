// Through the bundled action, the real registry and BuildKit:
// - a new base lists every conda package that changed against the previous base —
//   a version bump of the same installed size and a build-only change included — built from
//   the bundled template with the stand-in micromamba (__fixtures__/micromamba-standin: its
//   package sizes follow the major version, so 3.12 → 3.13 keeps the size);
// - a fork pull request's run says that no build cache was exported, and pushes
//   nothing (no Actions cache service here, so the local cache directory went nowhere).

import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runAction, succeeded } from '../__fixtures__/action-runner.js'
import { BUSYBOX, epochOf, listTags } from '../__fixtures__/stack.js'
import { e2eSuite } from '../__fixtures__/e2e-suite.js'
import { pushStandin } from '../__fixtures__/standin.js'

const env = (python: string, numpyBuild: string, extra: string) =>
  ['channels: [conda-forge]', 'dependencies:', `  - python=${python}`, `  - numpy=1.26=${numpyBuild}`, `  - ${extra}`, ''].join('\n')

describe('every package change in the report (stand-in micromamba, bundled template)', () => {
  const suite = e2eSuite('pkgchanges', { standin: pushStandin })
  const { image } = suite

  const run = (environment: string, day: string) => {
    writeFileSync(path.join(suite.ws, 'environment.yml'), environment)
    const inputs = { image, 'base-build-args': `MICROMAMBA_IMAGE=${suite.standin.ref}\nRUNTIME_IMAGE=${BUSYBOX}` }
    return runAction(inputs, { cwd: suite.ws, env: { SOURCE_DATE_EPOCH: epochOf(day) } })
  }

  it('a version bump of the same size and a build-only change appear, with additions and removals', async () => {
    const first = succeeded(await run(env('3.12', 'py_0', 'zlib=1.3'), '2026-11-20'))
    expect(first.outputs['base-reused']).toBe('false')
    const r = succeeded(await run(env('3.13', 'py_1', 'pandas=2.2'), '2026-11-21'))
    expect(r.outputs['base-reused']).toBe('false')
    const s = r.summary
    expect(s).toContain(`Against \`${first.outputs['base-tag']}\`: **4 packages changed** — 2 updated, 1 added, 1 removed;`)
    expect(s).toMatch(/\| Package \| Before \| After \| Installed change \|/)
    // the same-size patch release and the build-only change (stand-in sizes follow the major version)
    expect(s).toContain('| `python` | 3.12 | 3.13 | no change |')
    expect(s).toContain('| `numpy` | 1.26 `py_0` | 1.26 `py_1` | no change |')
    expect(s).toMatch(/\| `pandas` \| – \| 2\.2 \| \+[\d.]+ kB \(new\) \|/)
    expect(s).toMatch(/\| `zlib` \| 1\.3 \| – \| \u2212[\d.]+ kB \(gone\) \|/)
    // the packages section's count agrees with the largest-packages table
    expect(s).toContain('3 conda packages,')
    // the template's steps are named by the command they run: no mount flags, no heredoc marker
    expect(s).toMatch(/\| `\[solve \d\/\d\] RUN micromamba install [^`]*` \| base \|/)
    expect(s).not.toMatch(/RUN --mount|<<'?EOF/)
    if (process.env.E2E_DUMP) writeFileSync(process.env.E2E_DUMP, s)
  })
})

describe('a fork pull request exports no build cache and pushes nothing', () => {
  const suite = e2eSuite('forkcache', { quickstart: true })
  const { repo, image } = suite

  beforeAll(() => {
    // An environment of its own: no other test's base or cache matches it.
    const file = path.join(suite.ws, 'environment.yml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('numpy=1.26', `numpy=1.${(process.pid % 1000) + 1000}`))
  })

  it('the summary says the cache was not exported, as the runner runs the action for a fork’s pull_request event', async () => {
    const event = {
      name: 'pull_request',
      payload: {
        number: 9,
        pull_request: {
          number: 9,
          head: { ref: 'patch-1', repo: { full_name: 'eve/model', fork: true } },
          base: { ref: 'main', repo: { full_name: 'acme/model' } },
        },
        repository: { full_name: 'acme/model', default_branch: 'main' },
      },
    }
    // No ACTIONS_* variables: no Actions cache service, as on a runner where it is unavailable.
    const r = succeeded(
      await runAction({ image, 'base-dockerfile': 'base.Dockerfile' }, { cwd: suite.ws, event, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } }),
    )
    expect(r.outputs['base-reused']).toBe('false')
    const pushRow = r.summary.split('\n').find((l) => l.startsWith('| Push |')) ?? ''
    expect(pushRow).toMatch(/⏸️ not pushed — [^|]*fork/)
    expect(pushRow).toContain('base cache not exported')
    expect(r.summary).toMatch(/\| base \|[^\n]*\| skipped \|/)
    expect(r.summary).not.toMatch(/\| exported \|/)
    expect(r.summary).not.toMatch(/✅ pushed|Pushed tags/)
    expect(await listTags(repo)).toEqual([])
  })
})
