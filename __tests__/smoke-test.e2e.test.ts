// `smoke-test` and `base-smoke-test` on the real stack (docker driver, real registry), through
// the bundled action: a failing test leaves the registry without the new base and application
// tags, a passing one is reported (for a built base and for a reused one), a hanging one is
// ended at `smoke-test-timeout` and its container removed, and a command the action cannot run
// is an input error before anything is built.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pushStandin, type Standin } from '../__fixtures__/standin.js'
import { runAction, succeeded, type ActionResult } from '../__fixtures__/action-runner.js'
import { BUSYBOX, REGISTRY, listTags, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'

const APP = ['ARG BASE_IMAGE', 'FROM ${BASE_IMAGE}', 'COPY marker.txt /home/conda/marker.txt', ''].join('\n')

function errors(r: ActionResult): string[] {
  return r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
}

describe('smoke tests before the push (stand-in micromamba, docker driver, real registry)', () => {
  let standin: Standin | undefined
  const repos: string[] = []
  let ws: string

  beforeAll(async () => {
    await requireStack()
    standin = pushStandin('smoke-standin')
    ws = mkdtempSync(path.join(os.tmpdir(), 'ws-smoke-'))
    mkdirSync(path.join(ws, 'app'))
    writeFileSync(path.join(ws, 'environment.yml'), 'channels: [conda-forge]\ndependencies:\n  - python=3.12\n  - zlib=1.3\n')
    writeFileSync(path.join(ws, 'app', 'Dockerfile'), APP)
    writeFileSync(path.join(ws, 'app', 'marker.txt'), 'app\n')
  })
  afterAll(async () => {
    for (const r of [...repos, ...(standin ? [standin.repo] : [])]) await removeRepo(r)
    if (ws) rmSync(ws, { recursive: true, force: true })
  })

  const newImage = (): string => {
    const repo = uniqueRepo('smoke')
    repos.push(repo)
    return `${REGISTRY}/${repo}`
  }
  const base = (image: string, extra: Record<string, string>): Record<string, string> => ({
    image,
    'base-build-args': `MICROMAMBA_IMAGE=${standin!.ref}\nRUNTIME_IMAGE=${BUSYBOX}`,
    ...extra,
  })
  const withApp = (image: string, extra: Record<string, string>): Record<string, string> =>
    base(image, { dockerfile: 'app/Dockerfile', context: 'app', tags: `${image}:app`, ...extra })
  const repoOf = (image: string): string => image.slice(REGISTRY.length + 1)
  /** The engine's tags of `image` (a trial on the docker driver loads its images there). */
  const localTags = (image: string): string[] =>
    execFileSync('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', image], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l && !l.endsWith(':<none>'))

  it('a failing smoke-test: the step fails, neither the new base nor the application tag is pushed; the report shows command, exit code, last lines', async () => {
    const image = newImage()
    const cmd = 'echo "activated=$STANDIN_ACTIVATED"; echo boom >&2; exit 3'
    const r = await runAction(withApp(image, { 'smoke-test': cmd }), { cwd: ws })
    expect(r.code).not.toBe(0)
    expect(errors(r)).toHaveLength(1)
    expect(errors(r)[0]).toMatch(/^The smoke test of the application image failed: .* exited with code 3; nothing was pushed/)
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/) // no stack trace
    expect(await listTags(repoOf(image))).toEqual([])
    // The summary: the failure with the command, exit code and the output's last lines (activated: through the entrypoint).
    expect(r.summary).toContain('exited with code 3')
    expect(r.summary).toContain('activated=yes')
    expect(r.summary).toContain('boom')
    expect(r.summary).toContain('❌ exit code 3')
    expect(r.summary).toContain('**Smoke tests** — 1 failed, so nothing was pushed')
    // The trial's images (the new base and the application, loaded under the run's tags) are gone from the engine too.
    expect(r.stdout).toMatch(/The failed trial's images were removed from the engine: .*:base-[0-9a-f]{12}-\d{8}, .*:app/)
    expect(localTags(image)).toEqual([])
  })

  it('a failing base-smoke-test fails before the application is built; nothing is pushed', async () => {
    const image = newImage()
    const r = await runAction(withApp(image, { 'base-smoke-test': 'test -x /opt/conda/bin/no-such-program', 'smoke-test': 'true' }), { cwd: ws })
    expect(r.code).not.toBe(0)
    expect(errors(r)).toHaveLength(1)
    expect(errors(r)[0]).toMatch(/^The smoke test of the base image failed: .* exited with code 1/)
    expect(r.stdout).not.toContain('Trial build of application')
    expect(await listTags(repoOf(image))).toEqual([])
    expect(localTags(image)).toEqual([])
  })

  it('passing tests on a built base, then on a reused one (the reused base is not tested again by base-smoke-test)', async () => {
    const image = newImage()
    const first = succeeded(
      await runAction(
        withApp(image, { 'base-smoke-test': 'test "$STANDIN_ACTIVATED" = yes', 'smoke-test': 'test -f /home/conda/marker.txt && python -c "import zlib"' }),
        { cwd: ws },
      ),
    )
    expect(first.outputs['base-reused']).toBe('false')
    expect(first.summary).toContain('**Smoke tests** — passed before anything was pushed')
    expect(first.summary.match(/✅ passed/g)).toHaveLength(2)
    expect(first.summary).toContain('(the tested image)')
    expect(first.summary).not.toContain('not the tested image')
    expect(await listTags(repoOf(image))).toEqual(expect.arrayContaining(['app', expect.stringMatching(/^base-/)]))
    // The image the test ran is the one pushed: the trial build (kept in the engine, tested)
    // exported the very manifest the registry now holds under the application tag.
    const trialLog = first.stdout.slice(first.stdout.indexOf('::group::Trial build of application'))
    const trialManifest = /exporting manifest (sha256:[0-9a-f]{64})/.exec(trialLog.slice(0, trialLog.indexOf('::endgroup::')))?.[1]
    expect(trialManifest).toBe(first.outputs.digest)

    // Reused base, no application: smoke-test runs on the reused base; base-smoke-test does not run.
    const second = succeeded(await runAction(base(image, { 'base-smoke-test': 'exit 1', 'smoke-test': 'test "$STANDIN_ACTIVATED" = yes' }), { cwd: ws }))
    expect(second.outputs['base-reused']).toBe('true')
    expect(second.stdout).toContain('Smoke test of the base')
    expect(second.stdout).not.toContain('Trial build')
    expect(second.summary).toContain('✅ passed')
    expect(second.summary.match(/✅ passed/g)).toHaveLength(1)
  })

  it('a failing smoke-test on a reused base with an application: the application tag is not pushed', async () => {
    const image = newImage()
    succeeded(await runAction(base(image, {}), { cwd: ws }))
    const before = await listTags(repoOf(image))
    const r = await runAction(withApp(image, { 'smoke-test': 'exit 7' }), { cwd: ws })
    expect(r.code).not.toBe(0)
    expect(r.outputs['base-reused']).toBe('true')
    expect(errors(r)[0]).toMatch(/exited with code 7/)
    expect(await listTags(repoOf(image))).toEqual(before)
    expect(localTags(image)).not.toContain(`${image}:app`)
  })

  it('a hanging smoke-test is ended at smoke-test-timeout, reported as failed, and its container removed', async () => {
    const image = newImage()
    const r = await runAction(withApp(image, { 'smoke-test': 'echo started; sleep 600', 'smoke-test-timeout': '3s' }), { cwd: ws, timeoutMs: 240_000 })
    expect(r.code).not.toBe(0)
    expect(errors(r)[0]).toMatch(/did not finish within 3 s \(smoke-test-timeout\) and was ended; nothing was pushed/)
    expect(r.summary).toContain('timed out')
    expect(await listTags(repoOf(image))).toEqual([])
    const left = execFileSync('docker', ['ps', '-a', '--filter', `ancestor=${image}:app`, '--format', '{{.Names}}'], { encoding: 'utf8' }).trim()
    expect(left).toBe('')
  })

  it('a step cancelled (SIGTERM) while its smoke test runs leaves no container behind, even one that ignores the signal', async () => {
    const image = newImage()
    // The engine's own event stream says when the test's container started: no polling.
    const events = spawn(
      'docker',
      ['events', '--filter', 'type=container', '--filter', 'event=start', '--filter', `image=${image}:app`, '--format', '{{.Actor.Attributes.name}}'],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    )
    try {
      const started = new Promise<string>((resolve) => events.stdout.on('data', (d: Buffer) => resolve(d.toString().trim())))
      let action: ChildProcess | undefined
      const run = runAction(withApp(image, { push: 'false', 'smoke-test': 'trap "" TERM INT; echo started; sleep 600' }), {
        cwd: ws,
        timeoutMs: 240_000,
        onSpawn: (c) => (action = c),
      })
      const name = await started
      expect(name).toMatch(/^conda-image-action-smoke-/)
      action!.kill('SIGTERM')
      const r = await run
      expect(r.code).toBe(143)
      expect(r.stdout).toMatch(/Ran 1 clean-up command/)
      const left = execFileSync('docker', ['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Names}}'], { encoding: 'utf8' }).trim()
      expect(left).toBe('')
    } finally {
      events.kill()
    }
  })

  it('push: false: the loaded images are tested as they are (no trial build); a failure still fails the step', async () => {
    const image = newImage()
    const ok = succeeded(
      await runAction(withApp(image, { push: 'false', 'base-smoke-test': 'true', 'smoke-test': 'test -f /home/conda/marker.txt' }), { cwd: ws }),
    )
    expect(ok.stdout).not.toContain('Trial build')
    expect(ok.stdout).toContain(`Smoke test of the application image ${image}:app:`)
    expect(ok.summary.match(/✅ passed/g)).toHaveLength(2)
    expect(ok.summary).toContain('not pushed by this run')
    const bad = await runAction(withApp(image, { push: 'false', 'smoke-test': 'exit 5' }), { cwd: ws })
    expect(bad.code).not.toBe(0)
    expect(errors(bad)[0]).toMatch(/exited with code 5/)
    expect(await listTags(repoOf(image))).toEqual([])
  })

  it('a command over the input size cap is an input error before anything is built', async () => {
    const image = newImage()
    const r = await runAction(withApp(image, { 'smoke-test': `echo ${'x'.repeat(40_000)}` }), { cwd: ws })
    expect(r.code).not.toBe(0)
    expect(errors(r)).toEqual([expect.stringMatching(/^Input "smoke-test" is 40005 bytes long; a command may have at most 32768/)])
    expect(r.stdout).not.toContain('buildx build')
    expect(await listTags(repoOf(image))).toEqual([])
  })

  it('an empty or whitespace-only smoke-test means none', async () => {
    const image = newImage()
    const r = succeeded(await runAction(base(image, { 'smoke-test': '  \n ', 'base-smoke-test': '' }), { cwd: ws }))
    expect(r.stdout).not.toContain('Smoke test')
    expect(r.summary).not.toContain('Smoke tests')
  })
})
