// What reuse saved: a base records how long its build took (a label of its config, written
// at its export), and a run that reuses it says so — only when the label is there. The
// orchestrator with fake ports (no Docker): the label written, read back and rendered.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fakePorts, FakeRegistry, type FakePortsOptions, type FakeRun } from '../__fixtures__/ports.js'
import { run } from '../src/main.js'
import { buildSecondsLabel, recordedBuildMs } from '../src/image/build-seconds.js'
import { Labels } from '../src/vocabulary/constants.js'

const IMAGE = 'registry.test:5000/acme/model'
let ws: string

beforeAll(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'reuse-saved-'))
  writeFileSync(path.join(ws, 'environment.yml'), 'channels: [conda-forge]\ndependencies: [python=3.12, numpy=2.1]\n')
  writeFileSync(path.join(ws, 'push-event.json'), JSON.stringify({ repository: { full_name: 'acme/model', default_branch: 'main' } }))
})
afterAll(() => rmSync(ws, { recursive: true, force: true }))
afterEach(() => {
  process.exitCode = undefined
})

async function runWith(o: Partial<FakePortsOptions>): Promise<FakeRun & { exitCode: number }> {
  const fake = fakePorts({ ...o, inputs: { image: IMAGE, ...o.inputs } })
  const env = {
    GITHUB_WORKSPACE: ws,
    GITHUB_SHA: 'abcdef0123456789abcdef0123456789abcdef01',
    GITHUB_REPOSITORY: 'acme/model',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: path.join(ws, 'push-event.json'),
    GITHUB_REF_NAME: 'main',
  }
  await run(env, fake.ports)
  const exitCode = Number(process.exitCode ?? 0)
  process.exitCode = undefined
  return { ...fake, exitCode }
}

const savedRow = (r: FakeRun) => (r.summaries[0] ?? '').split('\n').find((l) => l.startsWith('| Reuse saved |'))
const SOLVE = [
  { name: '[2/3] COPY . /tmp/env', cached: true, durationMs: 5 },
  { name: '[3/3] RUN micromamba install -y -f /tmp/env/environment.yml', cached: false, durationMs: 754_000 },
]

describe('the label', () => {
  it('round-trips milliseconds through seconds; anything else a base carries is no duration', () => {
    const value = (l: string) => ({ [Labels.BuildSeconds]: l.slice(l.indexOf('=') + 1) })
    expect(buildSecondsLabel(754_321)).toBe(`${Labels.BuildSeconds}=754.321`)
    expect(recordedBuildMs(value(buildSecondsLabel(754_321)))).toBe(754_321)
    expect(recordedBuildMs(undefined)).toBeUndefined()
    expect(recordedBuildMs({})).toBeUndefined()
    for (const bad of ['', '0', '-3', '1e9', 'NaN', 'Infinity', '12 s', '99999999999', '3000000', '1.2345'])
      expect(recordedBuildMs({ [Labels.BuildSeconds]: bad }), bad).toBeUndefined()
  })
})

describe('what reuse saved', () => {
  it('a built base records its solve time; the run that reuses it says how long that build took', async () => {
    const registry = new FakeRegistry()
    const first = await runWith({ registry, buildx: { solveSteps: SOLVE, solveMs: 754_000 } })
    expect(first.exitCode).toBe(0)
    expect(first.outputs['base-reused']).toBe('false')
    // One solve with no output, then the export: the label on the exported (pushed) build only.
    expect(first.buildx.solves).toHaveLength(1)
    expect(first.buildx.solves[0]!.output).toBe('none')
    expect(first.buildx.solves[0]!.cacheTo).toBeUndefined()
    expect(first.buildx.solves[0]!.labels).not.toContain(buildSecondsLabel(754_000))
    expect(first.buildx.builds[0]!.labels).toContain(buildSecondsLabel(754_000))
    expect(first.buildx.builds[0]!.noCache).toBeFalsy()
    // The built base's report has no such row: it did not save anything.
    expect(savedRow(first)).toBeUndefined()
    // The build's steps are the solve's.
    expect(first.summaries[0]).toContain('RUN micromamba install')

    const second = await runWith({ registry })
    expect(second.outputs['base-reused']).toBe('true')
    expect(second.buildx.builds).toEqual([])
    expect(second.buildx.solves).toEqual([])
    const row = savedRow(second)
    expect(row).toContain('12 m 34 s')
    expect(row).toContain(first.outputs['base-tag']!)
    for (const body of [second.summaries[0]!, ...second.comments.map((c) => c.body)]) expect(body).not.toMatch(/Base \| 🔨/)
  })

  it('a base without the label (built before it existed) gets no row — nothing is guessed', async () => {
    const planned = await runWith({ inputs: { mode: 'plan' } })
    const registry = new FakeRegistry()
    registry.put(`${IMAGE}:base-${planned.outputs['env-hash']!.slice(0, 12)}-20261120`, { bytes: 4000, labels: {} })
    const r = await runWith({ registry })
    expect(r.outputs['base-reused']).toBe('true')
    expect(savedRow(r)).toBeUndefined()
    expect(r.summaries[0]).not.toContain('Reuse saved')
  })

  it('a solve that ran no step (all from the cache) and no earlier base of its environment records no time: it is not what the base took to build', async () => {
    const registry = new FakeRegistry()
    const cached = SOLVE.map((st) => ({ ...st, cached: true, durationMs: 0 }))
    const first = await runWith({ registry, buildx: { solveSteps: cached, solveMs: 900 } })
    expect(first.buildx.builds[0]!.labels.some((l) => l.startsWith(`${Labels.BuildSeconds}=`))).toBe(false)
    const second = await runWith({ registry })
    expect(second.outputs['base-reused']).toBe('true')
    expect(savedRow(second)).toBeUndefined()
  })

  it('a refresh that ran no step reproduces the previous base of this environment: it carries its label (same config), never its own time', async () => {
    const planned = await runWith({ inputs: { mode: 'plan' } })
    const registry = new FakeRegistry()
    registry.put(`${IMAGE}:base-${planned.outputs['env-hash']!.slice(0, 12)}-20261120`, { bytes: 4000, labels: { [Labels.BuildSeconds]: '754.321' } })
    const cached = SOLVE.map((st) => ({ ...st, cached: true, durationMs: 0 }))
    const r = await runWith({ registry, buildx: { solveSteps: cached, solveMs: 900 }, inputs: { mode: 'base' } })
    expect(r.exitCode).toBe(0)
    expect(r.outputs['base-reused']).toBe('false')
    const recorded = r.buildx.builds[0]!.labels.filter((l) => l.startsWith(`${Labels.BuildSeconds}=`))
    expect(recorded).toEqual([`${Labels.BuildSeconds}=754.321`])
    // A refresh whose solve ran steps records its own time.
    const again = new FakeRegistry()
    again.put(`${IMAGE}:base-${planned.outputs['env-hash']!.slice(0, 12)}-20261120`, { bytes: 4000, labels: { [Labels.BuildSeconds]: '754.321' } })
    const ran = await runWith({ registry: again, buildx: { solveSteps: SOLVE, solveMs: 61_000 }, inputs: { mode: 'base' } })
    expect(ran.buildx.builds[0]!.labels.filter((l) => l.startsWith(`${Labels.BuildSeconds}=`))).toEqual([`${Labels.BuildSeconds}=61.000`])
  })

  it('a cached solve after a base of another environment carries nothing', async () => {
    const registry = new FakeRegistry()
    registry.put(`${IMAGE}:base-0123456789ab-20261120`, { bytes: 4000, labels: { [Labels.BuildSeconds]: '754.321' } })
    const cached = SOLVE.map((st) => ({ ...st, cached: true, durationMs: 0 }))
    const r = await runWith({ registry, buildx: { solveSteps: cached } })
    expect(r.outputs['base-reused']).toBe('false')
    expect(r.buildx.builds[0]!.labels.some((l) => l.startsWith(`${Labels.BuildSeconds}=`))).toBe(false)
  })

  it('the application build records nothing, and only one solve runs (the base’s)', async () => {
    writeFileSync(path.join(ws, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY . /app\n')
    const r = await runWith({ registry: new FakeRegistry(), buildx: { solveSteps: SOLVE }, inputs: { dockerfile: 'Dockerfile' } })
    expect(r.exitCode).toBe(0)
    expect(r.buildx.solves).toHaveLength(1)
    const [base, app] = r.buildx.builds
    expect(base!.labels.some((l) => l.startsWith(`${Labels.BuildSeconds}=`))).toBe(true)
    expect(app!.labels.some((l) => l.startsWith(`${Labels.BuildSeconds}=`))).toBe(false)
  })
})
