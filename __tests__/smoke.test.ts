// Smoke tests (src/run/smoke-plan.ts): which tests a run has, the `docker run` argv, what a run means,
// the inputs, the report section, and the trial-then-push flow of the orchestrator with fake
// ports (a docker-container builder: the trial is pushed by digest, untagged).

import fc from 'fast-check'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fakePorts, type FakeRun } from '../__fixtures__/ports.js'
import { buildxArgs, type BuildSpec } from '../src/buildx/argv.js'
import { INPUTS } from '../src/run/input-table.js'
import { run } from '../src/main.js'
import type { ProcessPort } from '../src/ports/index.js'
import { parseImageName } from '../src/image/reference.js'
import { renderReport } from '../src/report/render.js'
import type { ReportData } from '../src/report/model.js'
import { lastLines, planSmoke, smokeFailure, smokeResult, smokeRunArgs, trialOutput, type SmokeResult } from '../src/run/smoke-plan.js'

const plan = (o: { build: boolean; app: boolean; push: boolean }) => ({
  base: o.build ? { build: { pull: false, noCache: false } } : {},
  app: o.app ? { ref: 'r/x:app', name: { registry: 'r', repository: 'x' }, tag: 'app' } : undefined,
  push: { enabled: o.push, reason: '' },
})

describe('planSmoke', () => {
  it.each([
    // base built?, app?, push?, smoke-test, base-smoke-test → base test, final target, trial
    [true, true, true, 'a', 'b', 'b', 'app', true],
    [true, false, true, 'a', 'b', 'b', 'base', true],
    [false, true, true, 'a', 'b', undefined, 'app', true], // a reused base is not tested by base-smoke-test
    [false, false, true, 'a', 'b', undefined, 'base', false], // reused base, no app: tested, nothing to hold back
    [true, true, false, 'a', undefined, undefined, 'app', false], // nothing pushed: the loaded images are tested
    [true, true, true, undefined, undefined, undefined, undefined, false], // no tests: the flow is unchanged
    [false, false, true, undefined, 'b', undefined, undefined, false],
  ])('built=%s app=%s push=%s smoke=%s base=%s → base %s, final %s, trial %s', (build, app, push, smokeTest, baseSmokeTest, base, target, trial) => {
    const p = planSmoke({ smokeTest, baseSmokeTest }, plan({ build, app, push }) as never)
    expect(p.base).toBe(base)
    expect(p.final?.target).toBe(target)
    expect(p.trial).toBe(trial)
  })
})

describe('the docker run of a test', () => {
  it('passes the command as one argument to sh -c through the entrypoint (no shell on the runner)', () => {
    const cmd = 'python -c "import numpy"; echo $HOME; `id`; --rm'
    expect(smokeRunArgs('r/x@sha256:ab', cmd, 'c1')).toEqual(['run', '--rm', '--name=c1', '--pull=missing', 'r/x@sha256:ab', 'sh', '-c', cmd])
    expect(smokeRunArgs('r/x:1', 'true', 'c1', 'ctx')[0]).toBe('--context=ctx')
    expect(() => smokeRunArgs('--privileged', 'true', 'c1')).toThrow(/invalid image reference/)
  })

  it('trial builds: kept in the engine on the docker driver, pushed by digest elsewhere', () => {
    expect(trialOutput('docker')).toBe('load')
    expect(trialOutput('docker-container')).toBe('push-by-digest')
    expect(trialOutput('remote')).toBe('push-by-digest')
    const spec: BuildSpec = {
      context: '.',
      dockerfile: 'D',
      tags: ['h:5000/a/b:t1', 'h:5000/a/b:t2'],
      buildArgs: [],
      labels: [],
      platforms: [],
      cacheFrom: [],
      output: 'push-by-digest',
      metadataFile: 'm',
    }
    const args = buildxArgs(spec)
    expect(args).toContain('--output=type=image,name=h:5000/a/b,push-by-digest=true,name-canonical=true,push=true')
    expect(args.some((a) => a.startsWith('--tag=') || a === '--push' || a === '--load')).toBe(false)
  })

  it.each([
    [{ code: 0, output: 'ok\n', durationMs: 5 }, true, 0, false],
    [{ code: 3, output: 'a\n\nb\n', durationMs: 5 }, false, 3, false],
    [{ code: 1, output: 'x', durationMs: 5, killed: 'timeout' as const }, false, undefined, true],
    [{ code: 0, output: '', durationMs: 5, killed: 'aborted' as const }, false, 0, false],
  ])('smokeResult(%j) → passed %s, exit %s, timed out %s', (runResult, passed, exitCode, timedOut) => {
    const r = smokeResult(runResult, { target: 'app', ref: 'x', command: 'c' })
    expect([r.passed, r.exitCode, r.timedOut]).toEqual([passed, exitCode, timedOut])
  })

  it('lastLines keeps the last non-empty lines, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20 }), { maxLength: 60 }), fc.integer({ min: 1, max: 30 }), (lines, n) => {
        const out = lastLines(lines.join('\n'), n)
        const all = lines
          .join('\n')
          .split(/\r?\n|\r/)
          .filter((l) => l.trim() !== '')
        expect(out).toEqual(all.slice(-n))
      }),
    )
  })

  it('a failure says what failed and how, then the output: one user error', () => {
    const r = smokeResult({ code: 3, output: 'boom\n', durationMs: 1 }, { target: 'base', ref: 'x', command: 'a\nb' })
    expect(smokeFailure(r, 300_000).message).toBe('The smoke test of the base image failed: `a ⏎ b` exited with code 3; nothing was pushed\nboom')
    const t = smokeResult({ code: 1, output: '', durationMs: 1, killed: 'timeout' }, { target: 'app', ref: 'x', command: 'sleep 9' })
    expect(smokeFailure(t, 90_000).message).toMatch(/did not finish within 90 s \(smoke-test-timeout\) and was ended/)
  })
})

describe('the inputs', () => {
  it.each([
    ['python -c "import numpy"', 'python -c "import numpy"'],
    ['', undefined],
  ])('smoke-test %j → %j', (v, want) => {
    expect(INPUTS.smokeTest.parse(v, 'smoke-test')).toBe(want)
  })
  it.each([
    ['a\0b', /NUL byte/],
    ['x'.repeat(32 * 1024 + 1), /at most 32768/],
    ['é'.repeat(16 * 1024 + 1), /at most 32768/], // bytes, not characters
  ])('smoke-test %#: an input error', (v, re) => {
    expect(() => INPUTS.baseSmokeTest.parse(v, 'base-smoke-test')).toThrow(re)
  })
  it.each([
    ['5m', 300_000],
    ['90s', 90_000],
  ])('smoke-test-timeout %s → %d ms', (v, ms) => expect(INPUTS.smokeTestTimeout.parse(v, 'smoke-test-timeout')).toBe(ms))
  it.each(['0s', 'soon', '-1m'])('smoke-test-timeout %j is an input error', (v) => {
    expect(() => INPUTS.smokeTestTimeout.parse(v, 'smoke-test-timeout')).toThrow(/smoke-test-timeout/)
  })
})

describe('the report section', () => {
  const data = (tests: SmokeResult[]): ReportData => ({
    mode: 'auto',
    image: 'r/x',
    environmentFile: 'environment.yml',
    envHash: 'a'.repeat(64),
    base: { tag: 'base-x', outcome: 'built', decision: 'new-environment' },
    builds: [],
    cache: { cachedSteps: 0, totalSteps: 0, ratio: 1 },
    phases: [],
    push: { enabled: true, reason: '' },
    warnings: [],
    smokeTests: tests,
  })
  it('escapes the command (outside data) and says how each test went', () => {
    const evil = 'echo "| <img src=x> @octocat" ``` `x`'
    const md = renderReport(
      data([
        {
          target: 'base',
          ref: 'r/x@sha256:' + 'b'.repeat(64),
          command: 'true',
          passed: true,
          exitCode: 0,
          timedOut: false,
          durationMs: 1200,
          lastLines: [],
          pushedDigest: 'sha256:' + 'b'.repeat(64),
        },
        { target: 'app', ref: 'r/x:app', command: evil, passed: false, timedOut: true, durationMs: 3000, lastLines: ['x'] },
      ]),
    )
    expect(md).toContain('**Smoke tests** — 1 failed, so nothing was pushed')
    expect(md).toContain('✅ passed')
    expect(md).toContain('(the tested image)')
    expect(md).toContain('❌ timed out (ended)')
    const row = md.split('\n').find((l) => l.startsWith('| application'))!
    // The command is a code span (rendered literally: no HTML, no mention), its pipe escaped.
    expect(row).toContain('`` echo "\\| <img src=x> @octocat" ``` `x` ``')
    expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(7) // 5 cells: no pipe from the command broke the table
  })
  it('no tests, no section', () => {
    expect(renderReport(data([]))).not.toContain('Smoke tests')
  })
})

describe('orchestrator: a docker-container builder tests a trial pushed by digest, then pushes', () => {
  const IMAGE = 'registry.test:5000/acme/model'
  let ws: string
  beforeAll(() => {
    ws = mkdtempSync(path.join(os.tmpdir(), 'smoke-orch-'))
    writeFileSync(path.join(ws, 'environment.yml'), 'dependencies: [python=3.12]\n')
    writeFileSync(path.join(ws, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n')
    writeFileSync(path.join(ws, 'event.json'), '{}')
  })
  afterAll(() => rmSync(ws, { recursive: true, force: true }))
  afterEach(() => {
    process.exitCode = undefined
  })

  const dockerRun = (code: (args: readonly string[]) => number, seen: string[][]): ProcessPort => ({
    run: (program, args) => {
      if (program !== 'docker') return Promise.resolve({ code: 1, stdout: '', stderr: 'not a git repository' })
      seen.push(args.slice())
      return Promise.resolve({ code: code(args), stdout: 'out\n', stderr: '' })
    },
  })
  async function go(code: (args: readonly string[]) => number, more: Record<string, string> = {}): Promise<FakeRun & { runs: string[][]; exit: number }> {
    const runs: string[][] = []
    const fake = fakePorts({
      inputs: { image: IMAGE, dockerfile: 'Dockerfile', 'base-smoke-test': 'test-base', 'smoke-test': 'test-app', 'smoke-test-timeout': '5m', ...more },
      buildx: { canExportCache: false }, // → a docker-container builder is created for the run
      proc: dockerRun(code, runs),
    })
    await run(
      {
        GITHUB_WORKSPACE: ws,
        GITHUB_SHA: 'abcdef0123456789abcdef0123456789abcdef01',
        GITHUB_EVENT_NAME: 'push',
        GITHUB_EVENT_PATH: path.join(ws, 'event.json'),
      },
      fake.ports,
    )
    const exit = Number(process.exitCode ?? 0)
    return { ...fake, runs, exit }
  }

  it('passing: trial base, its test, trial app on the base by digest, its test, then the two pushes', async () => {
    const r = await go(() => 0)
    expect(r.exit).toBe(0)
    expect(r.buildx.builds.map((b) => b.output)).toEqual(['push-by-digest', 'push-by-digest', 'push', 'push'])
    const [baseTrial, appTrial] = r.buildx.builds
    // The tests ran on the untagged digests the trials pushed; the app trial was built FROM the tested base digest.
    const baseDigest = r.runs[0]!.find((a) => a.includes('@sha256:'))!
    expect(baseDigest).toMatch(/^registry\.test:5000\/acme\/model@sha256:/)
    expect(appTrial!.buildArgs[0]).toMatch(new RegExp(`@${baseDigest.split('@')[1]}$`))
    expect(r.runs.map((a) => a.at(-1))).toEqual(['test-base', 'test-app'])
    expect(baseTrial!.cacheTo).toBeUndefined()
    expect(r.summaries[0]).toContain('**Smoke tests** — passed before anything was pushed')
  })

  it('with the Actions cache: each kind is restored once; the pushing build reads the cache its trial left', async () => {
    const r = await go(() => 0, { 'cache-backend': 'actions' })
    expect(r.exit).toBe(0)
    expect(r.buildx.builds.map((b) => b.output)).toEqual(['push-by-digest', 'push-by-digest', 'push', 'push'])
    expect(r.actionsCache.restored).toEqual(['k-base', 'k-app'])
    const [, , basePush, appPush] = r.buildx.builds
    expect(basePush!.cacheFrom).toContain('type=local,src=/fake-cache/base')
    expect(appPush!.cacheFrom).toContain('type=local,src=/fake-cache/app')
  })

  it('the application test fails: no tag is pushed, the failure names the command and exit code', async () => {
    const r = await go((args) => (args.at(-1) === 'test-app' ? 4 : 0))
    expect(r.exit).toBe(1)
    expect(r.buildx.builds.map((b) => b.output)).toEqual(['push-by-digest', 'push-by-digest'])
    await expect(r.registry.tags(parseImageName(IMAGE, 'image'))).resolves.toEqual([])
    const errors = r.annotator.events.filter((e) => e.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/^The smoke test of the application image failed: `test-app` exited with code 4; nothing was pushed\nout/)
  })
})
