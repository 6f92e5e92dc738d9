// The report never contradicts itself or what happened: for any run state the action can
// reach (mode, application or not, store, pull request, the dated tags that exist, the
// phase a failure stopped at, retention), the data is built by the one builder
// (reportData) and rendered, and no two rows disagree, and no section speaks of a step
// that did not run.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fc, test } from '@fast-check/vitest'
import { afterAll, beforeAll, expect, test as vitest } from 'vitest'
import { actionDefaults } from '../__fixtures__/action-runner.js'
import { testContext } from '../__fixtures__/context.js'
import type { InputName } from '../src/vocabulary/constants.js'
import { datedTag, datedTags, hash12 } from '../src/image/dated-tags.js'
import type { Fingerprint } from '../src/hash/index.js'
import { getOptions } from '../src/run/options.js'
import { cacheExportOf } from '../src/phases/build.js'
import { comparableSizes } from '../src/sizes/size-measure.js'
import { BASE_BUILD_PHASE, reportData, type RunRecord } from '../src/phases/report-data.js'
import { planRun, type RunPlan } from '../src/run/run-plan.js'
import type { BuildReport, FailureInfo, RetentionReport } from '../src/report/model.js'
import { renderReport } from '../src/report/index.js'
import { inputFiles } from '../__fixtures__/input-files.js'

const HASH = 'ab'.repeat(32)
const OTHER = 'cd'.repeat(32)
const NOW = new Date('2026-11-23T06:00:00Z')
const PHASES = ['Environment hash', 'Lookup', 'Push access', 'Builder', 'Build base', 'Build application', 'Measure', 'none'] as const
type Phase = (typeof PHASES)[number]

let ws: string
const defaults: Record<string, string> = actionDefaults('')
beforeAll(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'report-consistency-'))
  writeFileSync(path.join(ws, 'environment.yml'), 'dependencies: [numpy]\n')
  writeFileSync(path.join(ws, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n')
})
afterAll(() => rmSync(ws, { recursive: true, force: true }))

const state = fc.record({
  mode: fc.constantFrom('auto', 'base', 'plan', 'merge'),
  app: fc.boolean(),
  local: fc.boolean(),
  pr: fc.constantFrom('none', 'same', 'fork'),
  /** Existing dated tags: [same hash?, days ago]. */
  tags: fc.uniqueArray(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { maxLength: 5, selector: ([s, d]) => `${s}${d}` }),
  failAt: fc.constantFrom(...PHASES),
  prune: fc.boolean(),
  push: fc.constantFrom('auto', 'true', 'false'),
  allCached: fc.boolean(),
  /** mode: merge — the per-platform parts of today's base of this environment the jobs pushed. */
  parts: fc.subarray(['linux_amd64', 'linux_arm64']),
  /** mode: merge — a failure after the base's index was pushed (the application's index failed). */
  appIndexFails: fc.boolean(),
  /** A reused base's recorded build time (its label), when it has one. */
  recordedMs: fc.option(fc.integer({ min: 1, max: 30 * 24 * 3600 * 1000 }), { nil: undefined }),
  /** What a node that has the compared image pulls: changed bytes of the final image (and of a new base), when measured. */
  changedBytes: fc.option(fc.tuple(fc.nat(5_000_000), fc.nat(5_000_000)), { nil: undefined }),
  /** The SBOM phase recorded an attached SBOM for the base (whatever happened to the push: the report must tell). */
  sbom: fc.boolean(),
  /** Package changes of a new base against the previous one (its size manifest), when measured. */
  packageChanges: fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined }),
})
const PLATFORMS = 'linux/amd64\nlinux/arm64'

function build(kind: 'base' | 'app', ref: string, allCached: boolean): BuildReport {
  const steps = [
    { name: '[1/3] FROM x', cached: true, durationMs: 5 },
    { name: '[2/3] RUN micromamba install -y -n base -f "$spec" …', cached: allCached, durationMs: 900 },
    { name: '[3/3] COPY a b', cached: allCached, durationMs: 10 },
  ]
  return { kind, ref, cachedSteps: steps.filter((s) => s.cached).length, totalSteps: 3, durationMs: 1000, steps, cacheExport: 'skipped' }
}

/** Carries out the plan as far as the failing phase, the way main does. */
type State = typeof state extends fc.Arbitrary<infer T> ? T : never

function simulate(s: State): { record: RunRecord; tags: string[] } | undefined {
  const day = (n: number) => new Date(NOW.getTime() - n * 86_400_000)
  const tags = s.tags.map(([same, n]) => datedTag('base-', same ? HASH : OTHER, day(n)))
  const image = s.local ? 'demo/model' : '127.0.0.1:5000/acme/model'
  const inputs: Record<string, string> = { image, mode: s.mode, store: s.local ? 'local' : 'registry', prune: s.prune ? 'true' : 'false', push: s.push }
  if (s.app) inputs.dockerfile = 'Dockerfile'
  const pullRequest = s.pr === 'none' ? undefined : { number: 3, fromFork: s.pr === 'fork' }
  const ctx = testContext({ workspace: ws, now: NOW, ...(pullRequest ? { pullRequest, eventName: 'pull_request' } : {}) })
  if (s.mode === 'merge') {
    inputs.platforms = PLATFORMS
    inputs.tags = `${image}:app-1`
  }
  const get = (name: InputName) => inputs[name] ?? defaults[name] ?? ''
  const opts = getOptions(ctx, get, inputFiles, {})
  const failure = (phase: string): FailureInfo => ({ phase, message: 'it failed', log: [], hints: [], userError: false })
  const base: Omit<RunRecord, 'plan'> = { opts, ctx, phases: [], builds: [], pushed: [], warnings: [] }
  if (s.failAt === 'Environment hash') return { record: { ...base, failure: failure(s.failAt) }, tags }
  const fp = { hash: HASH } as Fingerprint
  if (s.failAt === 'Lookup') return { record: { ...base, fp, failure: failure(s.failAt) }, tags }
  if (s.mode === 'merge') return simulateMerge(s, { base, fp, tags })
  const plan = planRun({ opts, ctx, envHash: HASH, lookup: { dated: datedTags(tags, 'base-'), tags } })
  const builds: BuildReport[] = []
  const pushed: string[] = []
  const order: Phase[] = ['Push access', 'Builder', 'Build base', 'Build application', 'Measure']
  const reached = (p: Phase) => s.failAt === 'none' || order.indexOf(p) < order.indexOf(s.failAt)
  const failed = (p: Phase) => s.failAt === p
  if (s.mode !== 'plan') {
    if (plan.base.build && failed('Build base')) return { record: { ...base, fp, plan, failure: failure(`${BASE_BUILD_PHASE} ${plan.base.tag}`) }, tags }
    if (plan.base.build && reached('Build base')) {
      builds.push(build('base', plan.base.tagRef, s.allCached))
      if (plan.push.enabled) pushed.push(plan.base.tagRef)
    }
    if (plan.app && reached('Build application')) {
      builds.push(build('app', plan.app.ref, s.allCached))
      if (plan.push.enabled) pushed.push(...plan.job.appTags)
    }
  }
  const failing = s.failAt !== 'none' && (s.mode !== 'plan' || s.failAt === 'Push access')
  const phase = failing ? (s.failAt === 'Build application' ? `Build application ${plan.app?.ref ?? ''}` : s.failAt) : undefined
  if (phase === 'Build application ' || (s.failAt === 'Build base' && !plan.base.build)) return undefined
  const mine = datedTags(tags, 'base-').filter((t) => t.hash12 === hash12(HASH))
  const deleted = s.prune ? mine.slice(1) : []
  const retention: RetentionReport | undefined =
    s.prune && !failing ? { mode: 'true', backend: 'registry', kept: mine.slice(0, 1), deleted, protected: [] } : undefined
  const finalRef = plan.app?.ref ?? plan.base.tagRef
  const sbom = s.sbom && builds.some((b) => b.kind === 'base') ? { ref: `${image}@sha256:${'5'.repeat(64)}`, platforms: 1, conda: 3, pip: 1 } : undefined
  const built =
    !failing && s.mode !== 'plan'
      ? { builds, base: { ref: plan.base.tagRef, ...(sbom ? { sbom } : {}) }, final: { name: opts.image, tag: 'x', ref: finalRef }, pushed }
      : undefined
  const prev = plan.choice.action === 'build' ? plan.previous : undefined
  const changes = prev && {
    previousTag: prev.tag,
    changes: prev.hash12 === hash12(HASH) ? [] : [{ section: 'dependencies', kind: 'added' as const, item: 'x' }],
  }
  // What the Measure phase reads, as it reads it: a reused base's label early (also when a later phase fails), the rest after the builds.
  const measuredAfterBuilds = !failing && s.mode !== 'plan'
  const baseBuilt = builds.some((b) => b.kind === 'base')
  const changed = (against: string) =>
    s.changedBytes && {
      against,
      changed: Math.min(...s.changedBytes),
      total: Math.max(...s.changedBytes),
      platforms: [{ platform: 'linux/amd64', changed: Math.min(...s.changedBytes), total: Math.max(...s.changedBytes), compared: true }],
    }
  const packageChanges =
    measuredAfterBuilds && baseBuilt && prev && s.packageChanges
      ? Array.from({ length: s.packageChanges }, (_, i) =>
          // every third a pip distribution, one of them without a size in its RECORD
          i % 3 === 2
            ? {
                name: `pip${i}`,
                kind: 'updated' as const,
                pip: true as const,
                before: { name: `pip${i}`, version: '1.0' },
                after: { name: `pip${i}`, version: '1.1', ...(i === 2 ? {} : { size: 5 }) },
                ...(i === 2 ? {} : { delta: 0 }),
              }
            : {
                name: `pkg${i}`,
                kind: 'updated' as const,
                before: { name: `pkg${i}`, version: '1.0', size: 100 },
                after: { name: `pkg${i}`, version: '1.1', size: 100 + i },
                delta: i,
              },
        )
      : undefined
  const measured = {
    trend: mine.map((t) => ({ tag: t.tag, bytes: 100 })).reverse(),
    changes,
    ...(plan.choice.action === 'reuse' && s.recordedMs !== undefined ? { reusedBuildMs: s.recordedMs } : {}),
    ...(measuredAfterBuilds && s.changedBytes
      ? {
          changedBytes: {
            final: changed(`${image}:main@sha256:${'1'.repeat(64)}`),
            ...(baseBuilt && plan.app && prev ? { base: changed(`${image}:${prev.tag}@sha256:${'2'.repeat(64)}`) } : {}),
          },
        }
      : {}),
    ...(packageChanges
      ? { packages: { largest: [], count: packageChanges.length, total: 1000, changes: { previousTag: prev!.tag, list: packageChanges } } }
      : {}),
  }
  return { record: { ...base, fp, plan, builds, pushed, built, measured, retention, ...(phase ? { failure: failure(phase) } : {}) }, tags }
}

/**
 * mode: merge, the way main runs it: the plan (a UserError when there is nothing to merge:
 * the run fails before the base is decided), then the Merge phase — the base's index, then
 * the application's — then Measure and retention. Nothing is built.
 */
function simulateMerge(s: State, r: { base: Omit<RunRecord, 'plan'>; fp: Fingerprint; tags: string[] }): { record: RunRecord; tags: string[] } | undefined {
  const { base, fp } = r
  const today = datedTag('base-', HASH, NOW)
  const tags = [...r.tags, ...s.parts.map((p) => `${today}_${p}`)]
  const failure = (phase: string): FailureInfo => ({ phase, message: 'it failed', log: [], hints: [], userError: false })
  let plan: RunPlan
  try {
    plan = planRun({
      opts: base.opts,
      ctx: base.ctx,
      envHash: HASH,
      lookup: { dated: datedTags(tags, 'base-'), tags },
      platforms: ['linux/amd64', 'linux/arm64'],
    })
  } catch {
    return { record: { ...base, fp, failure: failure('Lookup') }, tags }
  }
  const mergeFails = ['Push access', 'Builder', 'Build base', 'Build application'].includes(s.failAt) || !plan.push.enabled
  const baseRef = plan.base.tagRef
  const appRef = plan.app?.ref
  // The base's index is written first (unless the jobs reused a whole base); the application's may then fail.
  const assembled = plan.merge?.action === 'assemble' ? [baseRef] : []
  const pushed = mergeFails ? (s.appIndexFails && plan.push.enabled && appRef ? assembled : []) : [...assembled, ...(appRef ? [appRef] : [])]
  if (mergeFails) return { record: { ...base, fp, plan, pushed, failure: failure('Merge') }, tags }
  const finalRef = `${appRef ?? baseRef}@sha256:${'e'.repeat(64)}`
  const built = { builds: [], base: { ref: `${baseRef}@sha256:${'f'.repeat(64)}` }, final: { name: base.opts.image, tag: 'x', ref: finalRef }, pushed }
  const mine = datedTags(tags, 'base-').filter((t) => t.hash12 === hash12(HASH))
  const retention: RetentionReport | undefined = s.prune
    ? { mode: 'true', backend: 'registry', kept: mine.slice(0, 1), deleted: mine.slice(1), protected: [] }
    : undefined
  const measured = { trend: mine.map((t) => ({ tag: t.tag, bytes: 100 })).reverse() }
  const record: RunRecord = { ...base, fp, plan, pushed, built, measured, retention }
  return { record, tags }
}

test.prop([state], { numRuns: 500 })(
  'no two rows contradict; no section about a step that did not run',
  (s) => {
    const sim = simulate(s)
    if (!sim) return
    const { record } = sim
    const data = reportData(record)
    for (const md of [renderReport(data), renderReport(data, { forComment: true })]) {
      const built = record.builds.length > 0
      // The base is spoken of only once it was decided.
      if (!record.plan) {
        expect(md).not.toMatch(/Why the base|Why a base|first base|\| Base /)
        continue
      }
      const baseBuilt = record.builds.some((b) => b.kind === 'base')
      if (!baseBuilt) expect(md).not.toMatch(/\| Base \| 🔨 built|\*\*Base (re)?built\*\*|Why the base was/)
      if (md.includes('nothing built') && !md.includes('(plan)')) expect(md).not.toMatch(/🔨 built|Base (re)?built/)
      // Pushed only when something was pushed.
      if (record.pushed.length === 0) expect(md).not.toMatch(/✅ pushed|Pushed tags/)
      if (record.failure) expect(md).not.toMatch(/✅ pushed|nothing to push|\| Pull \||Pushed tags/)
      // "first base" only when no earlier base exists.
      const earlier = sim.tags.filter((t) => t !== record.plan!.choice.tag)
      if (earlier.length > 0) expect(md).not.toContain('this is the first base')
      // An identical hash is never explained away.
      if (data.base?.previousSameEnvironment) expect(md).not.toContain('a different hash can come from')
      // The trend never lists a tag this run deleted.
      for (const d of record.retention?.deleted ?? []) expect(md).not.toMatch(new RegExp(`Size trend[\\s\\S]*${d.tag}[\\s\\S]*#### Retention`))
      // A cache row that counts steps has builds behind it.
      if (!built) expect(md).not.toMatch(/steps cached/)
      // mode: merge builds nothing: a base it assembled from the jobs' parts is not one that "already existed".
      if (record.plan.merge?.action === 'assemble') {
        expect(md).not.toMatch(/already existed|Base reused/)
        if (!record.failure) expect(md).toMatch(/assembled/)
      }
      // What reuse saved is said only of a base this run reused (never beside a base build), and only when its label recorded it.
      const savedRow = /^\| Reuse saved \|/m.test(md)
      expect(savedRow).toBe(data.base?.outcome === 'reused' && record.measured?.reusedBuildMs !== undefined)
      if (savedRow) expect(md).not.toMatch(/🔨|\| base \| |Why the base was/)
      // Changed bytes and package changes: only with what they are about.
      if (/^\| Base new layers \|/m.test(md)) expect(baseBuilt && !record.failure).toBe(true)
      if (/^\| New layers \|/m.test(md)) expect(record.failure).toBeUndefined()
      for (const m of md.matchAll(/^\| (?:Base )?New layers \| \*\*([^*]+)\*\* of its ([^ ]+ [a-zA-Z]+) /gm))
        expect(parseBytes(m[1]!)).toBeLessThanOrEqual(parseBytes(m[2]!))
      if (/packages? changed\*\*/.test(md)) {
        expect(baseBuilt).toBe(true)
        expect(md).not.toMatch(/Base reused|\| Base \| ♻️/)
        // The count the headline gives is the list's.
        expect(md).toContain(`**${record.measured!.packages!.changes!.list.length} package`)
        // pip is named only when pip changes are listed, and counted as the list has them
        const pips = record.measured!.packages!.changes!.list.filter((c) => c.pip).length
        if (pips > 0) expect(md).toContain(`(${pips} of them pip)`)
        else expect(md).not.toMatch(/of them pip|\(pip\)/)
      }
      // An SBOM row only for a base this run built and pushed (never a reuse, a load, a failed run); and always then, when one was attached.
      const sbomRow = /^\| SBOM \|/m.test(md)
      const basePushed = baseBuilt && record.pushed.includes(record.plan.base.tagRef) && !record.failure
      if (sbomRow) expect(basePushed).toBe(true)
      expect(sbomRow).toBe(basePushed && record.built?.base.sbom !== undefined)
      if (sbomRow) expect(md).not.toMatch(/Base reused|\| Base \| ♻️/)
      // What the failure report says was pushed is what was pushed.
      if (record.failure && record.pushed.length > 0) expect(md).toContain('the run failed after pushing')
    }
  },
  120_000,
)

/** `41.0 MB` → bytes (decimal units, as formatBytes writes them). */
function parseBytes(t: string): number {
  const m = /^([\d.]+) (B|kB|MB|GB|TB)$/.exec(t.trim())
  if (!m) throw new Error(`not a size: ${t}`)
  return Number(m[1]) * 1000 ** ['B', 'kB', 'MB', 'GB', 'TB'].indexOf(m[2]!)
}

// A fork pull request or `store: local` exports the build cache only to a local directory:
// it is exported when the Actions cache took it, not because buildx wrote the directory.
vitest.each([
  [false, 'exported', 'saved', 'exported'],
  [false, 'exported', 'exists', 'exported'],
  [false, 'exported', 'skipped-unchanged', 'exported'],
  [false, 'exported', 'unavailable', 'skipped'],
  [false, 'exported', 'skipped-too-large', 'skipped'],
  [false, 'exported', 'failed', 'failed'],
  [false, 'failed', 'failed', 'failed'],
  [true, 'exported', 'unavailable', 'exported'],
  [true, 'failed', 'saved', 'failed'],
] as const)('registry export %s, buildx %s, Actions cache save %s: %s', (registry, buildx, saved, want) => {
  expect(cacheExportOf(registry, buildx, saved)).toBe(want)
})

// Sizes are compared only when they measure the same thing.
vitest.each([
  [undefined, 'engine-compressed', true],
  ['registry', 'registry', true],
  ['engine-uncompressed', 'engine-uncompressed', true],
  ['engine-uncompressed', 'registry', false],
  ['engine-unknown', 'registry', false],
  ['engine-unknown', 'engine-unknown', false],
] as const)('a %s size and a %s size are comparable: %s', (a, b, want) => {
  expect(comparableSizes({ measure: a }, { measure: b })).toBe(want)
  expect(comparableSizes({ measure: b }, { measure: a })).toBe(want)
})
