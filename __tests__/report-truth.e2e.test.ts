// Issue 27, "The report": what the job summary says is what happened — through the bundled
// action, the real registry and BuildKit. A YAML error after bases exist says nothing about a
// base; a failed base build is not "built"; a second `mode: base` run of the day pushes
// nothing and says so; plan mode prints a bounded document; the failure annotation is short.

import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction, succeeded, type ActionResult } from '../__fixtures__/action-runner.js'
import { REGISTRY, epochOf, listTags, removeLocalImages, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'

const EXAMPLE = path.join(ROOT, 'examples', 'quickstart')

function workspace(): string {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'ws-truth-'))
  cpSync(EXAMPLE, ws, { recursive: true })
  // An environment of its own: no other test's base or cache matches it.
  const env = path.join(ws, 'environment.yml')
  writeFileSync(env, readFileSync(env, 'utf8').replace('numpy=1.26', `numpy=1.${process.pid % 1000}`))
  return ws
}

/** A workspace of its own for the describe block it is called in; `cleanup` removes what its runs made. */
function useWorkspace(cleanup: () => unknown): () => string {
  let ws = ''
  beforeAll(async () => {
    await requireStack()
    ws = workspace()
  })
  afterAll(async () => {
    await cleanup()
    rmSync(ws, { recursive: true, force: true })
  })
  return () => ws
}

function failed(r: ActionResult): ActionResult {
  expect(r.code).not.toBe(0)
  expect(r.annotations.filter((a) => a.level === 'error')).toHaveLength(1)
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
  return r
}

describe('the report says what happened', () => {
  const repo = uniqueRepo('truth')
  const image = `${REGISTRY}/${repo}`
  const inputs = { image, 'base-dockerfile': 'base.Dockerfile' }
  const ws = useWorkspace(() => removeRepo(repo))
  const run = (extra: Record<string, string>, day = '2026-11-23', cwd = ws()) =>
    runAction({ ...inputs, ...extra }, { cwd, env: { SOURCE_DATE_EPOCH: epochOf(day) } })

  it('a second mode: base run of the day reuses today’s base and says nothing was pushed', async () => {
    const first = succeeded(await run({ mode: 'base' }))
    expect(first.summary).toContain('✅ pushed')
    const second = succeeded(await run({ mode: 'base' }))
    expect(second.outputs['base-reused']).toBe('true')
    expect(second.summary).toContain("today's base for this environment already exists")
    expect(second.summary).toContain('✅ nothing to push — nothing was built')
    expect(second.summary).not.toContain('✅ pushed')
    expect(second.summary).not.toMatch(/Why the base/)
  })

  it('a YAML error after bases exist: one annotation at its line, and no base rows or "why" section', async () => {
    expect((await listTags(repo)).length).toBeGreaterThan(0)
    const bad = workspace()
    try {
      writeFileSync(path.join(bad, 'environment.yml'), 'name: x\ndependencies:\n  - numpy\n  - [unclosed\n')
      const r = failed(await run({}, '2026-11-24', bad))
      expect(r.summary).toContain('❌ conda image failed')
      expect(r.summary).not.toMatch(/Why the base|Why a base|first base|\| Base /)
    } finally {
      rmSync(bad, { recursive: true, force: true })
    }
  })

  it('a failed base build is "build failed", not "built"; the annotation is a few short lines', async () => {
    const broken = workspace()
    try {
      const df = path.join(broken, 'base.Dockerfile')
      writeFileSync(df, readFileSync(df, 'utf8').replace('ENV PATH=', 'RUN echo "solver: nothing provides numpy" >&2 && exit 3\nENV PATH='))
      const r = failed(await run({}, '2026-11-24', broken))
      expect(r.summary).toMatch(/\| Base \| ❌ build failed/)
      expect(r.summary).toContain('no build finished (the run failed)')
      expect(r.summary).toContain('❌ the run failed: nothing was pushed')
      expect(r.summary).not.toMatch(/🔨 built|Base built|Why the base was built/)
      const error = r.annotations.find((a) => a.level === 'error')!
      expect(error.message.split('\n').length).toBeLessThanOrEqual(5)
      expect(error.message).toContain('nothing provides numpy')
      expect(error.message).toContain('the command failed (exit code: 3)')
      expect(error.message.split('exit 3').length).toBeLessThanOrEqual(2) // the RUN command at most once
    } finally {
      rmSync(broken, { recursive: true, force: true })
    }
  })

  it('plan mode prints counts and the first entries of a 20,000-entry environment, not the whole document', async () => {
    const big = workspace()
    try {
      const deps = Array.from({ length: 20_000 }, (_, i) => `  - pkg${i}`).join('\n')
      writeFileSync(path.join(big, 'environment.yml'), `name: big\nchannels: [conda-forge]\ndependencies:\n${deps}\n`)
      const r = succeeded(await run({ mode: 'plan' }, '2026-11-24', big))
      // What the log shows; `::debug::` lines are shown only when debug logging is on.
      const shown = r.stdout
        .split('\n')
        .filter((l) => !l.startsWith('::debug::'))
        .join('\n')
      expect(shown).toMatch(/20,000 dependencies/)
      expect(shown).toContain('… and 19,980 more')
      expect(shown).not.toContain('pkg19999')
      expect(shown.length).toBeLessThan(20_000)
      // The whole document is in the debug log.
      expect(r.stdout).toMatch(/::debug::Canonical environment document, whole:.*pkg19999/)
    } finally {
      rmSync(big, { recursive: true, force: true })
    }
  })
})

describe('store: local', () => {
  const image = `${uniqueRepo('truthlocal')}/model`
  const ws = useWorkspace(() => removeLocalImages(image))

  it('says what the local size measures, and that no cache was exported without an Actions cache', async () => {
    const inputs = { image, store: 'local', 'base-dockerfile': 'base.Dockerfile', dockerfile: 'Dockerfile', tags: 'dev' }
    const r = succeeded(await runAction(inputs, { cwd: ws(), env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } }))
    // This stack's engine uses the containerd image store: `docker image inspect`'s Size is the image's content.
    const inspected = execFileSync('docker', ['image', 'inspect', '--format', '{{.Size}}', `${image}:dev`], { encoding: 'utf8' }).trim()
    expect(r.outputs['image-size']).toBe(inspected)
    expect(r.summary).toMatch(/\| Size \| \*\*[\d.]+ [kM]B\*\* compressed \(in the local engine: layers, config and manifest\) \(linux\/amd64\)/)
    expect(r.summary).not.toMatch(/uncompressed|\(local\)/)
    // No Actions cache service here: the builds' local cache directories went nowhere.
    expect(r.summary).not.toMatch(/\| (base|app) \|[^\n]*\| exported \|/)
    expect(r.summary).toMatch(/\| base \|[^\n]*\| skipped \|/)
  })
})

describe('an application image that grew', () => {
  const repo = uniqueRepo('truthgrow')
  const image = `${REGISTRY}/${repo}`
  const ws = useWorkspace(() => removeRepo(repo))

  it('names the layers that account for the change with the step that made each', async () => {
    const inputs = { image, 'base-dockerfile': 'base.Dockerfile', dockerfile: 'Dockerfile' }
    const push = (sha: string) =>
      runAction(inputs, { cwd: ws(), env: { GITHUB_REF: 'refs/heads/main', GITHUB_SHA: sha, SOURCE_DATE_EPOCH: epochOf('2026-11-23') } })
    succeeded(await push('1'.repeat(40)))
    const df = path.join(ws(), 'Dockerfile')
    writeFileSync(df, readFileSync(df, 'utf8').replace('CMD ', 'RUN dd if=/dev/urandom of=/app/model.bin bs=1024 count=512 2>/dev/null\nCMD '))
    const r = succeeded(await push('2'.repeat(40)))
    expect(r.summary).toMatch(/#### Why the image changed size \(\+[\d.]+ kB, \+\d+(\.\d)?% vs `[^`]+:main@sha256:[0-9a-f]{12}…`\)/)
    expect(r.summary).toMatch(/\| \+ \| [\d.]+ kB \| `RUN dd if=\/dev\/urandom of=\/app\/model\.bin bs=1024 count=512 2>\/dev\/null` \|/)
  })
})
