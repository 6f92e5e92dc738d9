// Phase 5b: one build — retried once when its push fails for a reason that is not the
// user's, with the BuildKit cache restored from and saved to the Actions cache when that
// backend is on. Also the pieces both builds share (the build step, cache refs, labels, the report entry).

import { buildxLocalCacheArgs, cacheBranch, type SaveResult } from '../actions-cache/index.js'
import {
  cacheConfigBytes,
  cacheTos,
  cacheToValue,
  displayCommand,
  oversizeCacheNote,
  registryCacheRef,
  type BuildOutcome,
  type BuildSpec,
} from '../buildx/index.js'
import { Labels } from '../vocabulary/constants.js'
import type { RunContext } from '../context/run-context.js'
import { errorMessage, isUserError } from '../vocabulary/user-error.js'
import type { Ports } from '../ports/index.js'
import type { BuildReport, ImageSize, ReportData } from '../report/model.js'
import { parseReference, type ImageName } from '../image/reference.js'
import type { ManifestSource } from '../sizes/platform-layers.js'
import type { PhaseTimer } from './timing.js'
import { pushedImage } from './measure.js'
import type { RunState } from '../run/state.js'
import type { Toolchain } from './builder.js'
import type { SourceDate } from '../context/source-date.js'
import { stepName } from '../buildx/step-name.js'
import { buildSecondsLabel } from '../image/build-seconds.js'

export type BuildPorts = Pick<Ports, 'buildx' | 'actionsCache' | 'log'>

/**
 * A push can fail on a registry hiccup that is not the user's fault — e.g. a 500 while
 * another job writes the same dated tag at the same moment (two nightly schedules). The
 * rebuild is all cache hits, so such a build is tried once more before the step fails.
 */
async function buildRetrying(spec: BuildSpec, tc: Toolchain, ports: BuildPorts): Promise<BuildOutcome> {
  const opts = { log: (l: string) => ports.log.output(l), env: tc.env }
  try {
    return await ports.buildx.build(spec, opts)
  } catch (e) {
    if (isUserError(e) || spec.output !== 'push') throw e
    ports.log.warning(`The build or its push failed (${errorMessage(e).split('\n')[0]}); trying once more`)
    return ports.buildx.build(spec, opts)
  }
}

/** A build that records how long it took; `carried`: the time an earlier base of the same environment recorded (what a build that ran no step reproduces). */
export interface RecordTime {
  readonly carried?: () => Promise<number | undefined>
}

/**
 * A build whose image records how long it took (the base: what a later run that reuses it
 * did not spend). The build runs first with no output — the result stays in the build cache,
 * nothing is exported — then once more, every step from that cache, exported (and pushed)
 * with the solve's time as a label of the image config (src/image/build-seconds.ts). A solve
 * that ran no step (all from the cache) reproduces an earlier base: it carries that base's
 * label (so a fully cached rebuild keeps its digest), or records nothing — its own time is
 * not what the base took to build. Steps, cache hits and time in the report are the
 * solve's (plus the export's).
 */
async function buildRecordingTime(spec: BuildSpec, tc: Toolchain, ports: BuildPorts, record: RecordTime): Promise<BuildOutcome> {
  const solve = { ...spec, output: 'none' as const, cacheTo: undefined, metadataFile: spec.metadataFile.replace(/(\.json)?$/, '-solve.json') }
  const solved = await ports.buildx.build(solve, { log: (l: string) => ports.log.output(l), env: tc.env })
  const ran = solved.steps.some((st) => !st.cached)
  const ms = ran ? solved.durationMs : await record.carried?.()
  const labels = ms !== undefined ? [...spec.labels, buildSecondsLabel(ms)] : spec.labels
  const exported = await buildRetrying({ ...spec, labels, noCache: false }, tc, ports)
  return withTrial(exported, solved)
}

/**
 * The one build step of the base and the application: the build, run under its phase name and
 * logged with its command; its report row (a trial's steps counted); and, with `readBack`, the
 * store's digest and size of the tag in one read (else the build's own digest).
 */
export async function buildStep(
  kind: 'base' | 'app',
  o: {
    readonly phase: string
    readonly ref: string
    readonly spec: () => BuildSpec | Promise<BuildSpec>
    readonly reason?: string
    readonly trial?: BuildOutcome
    readonly dockerfile?: string
    readonly readBack?: { readonly name: ImageName; readonly tag: string; readonly what: string }
    /** The image records how long its build took (buildRecordingTime). */
    readonly recordTime?: RecordTime
  },
  s: Pick<RunState, 'env' | 'ctx' | 'opts' | 'fp' | 'plan' | 'stores'>,
  tc: Toolchain,
  timer: PhaseTimer,
  ports: BuildPorts,
): Promise<{ report: BuildReport; metadata?: BuildOutcome['metadata']; digest?: string; size?: ImageSize }> {
  const outcome = await timer.run(o.phase, async () => {
    if (o.reason) ports.log.info(o.reason)
    const spec = await o.spec()
    ports.log.info(displayCommand(spec))
    const built = await runOneBuild(kind, spec, { ...s, platforms: s.plan.job.platforms }, tc, ports, o.recordTime)
    const oversize = await oversizeCaches(spec, built.outcome, s.stores.manifests, ports)
    for (const n of oversize) ports.log.warning(`The ${kind} build: ${n}.`)
    return oversize.length === 0
      ? built
      : { ...built, outcome: { ...built.outcome, cacheNote: [built.outcome.cacheNote, ...oversize].filter(Boolean).join('; ') } }
  })
  const report = buildReport(kind, o.ref, withTrial(outcome.outcome, o.trial), outcome.note, o.dockerfile)
  for (const n of report.cacheImport ?? []) ports.log.warning(`The ${kind} build: ${n}.`)
  const stored = o.readBack ? await pushedImage(s.stores.store, o.readBack.name, o.readBack.tag, ports.log, o.readBack.what) : {}
  return { report, metadata: outcome.outcome.metadata, digest: stored.digest ?? outcome.outcome.digest, ...(stored.size ? { size: stored.size } : {}) }
}

/**
 * The registry caches this build exported that BuildKit will refuse to import (a cache config
 * over 1 MiB; src/buildx/cache-config.ts), read back from the registry after the export: notes
 * for the report (and warnings). A cache manifest that cannot be read is a debug line.
 */
async function oversizeCaches(spec: BuildSpec, o: BuildOutcome, manifests: ManifestSource | undefined, ports: BuildPorts): Promise<string[]> {
  if (o.cacheExport !== 'exported' || !manifests) return []
  const notes: string[] = []
  for (const ref of cacheTos(spec).map(registryCacheRef)) {
    if (ref === undefined) continue
    try {
      const r = parseReference(ref, 'cache ref')
      const m = await manifests.getManifest(r.name, r.digest ?? r.tag ?? 'latest')
      const bytes = cacheConfigBytes(m?.manifest)
      if (bytes === undefined) {
        ports.log.debug(`the registry cache ${ref}: no cache config in its manifest; its size is not checked`)
        continue
      }
      ports.log.debug(`the registry cache ${ref}: a cache config of ${bytes} bytes`)
      const note = oversizeCacheNote(`the registry cache ${ref}`, bytes)
      if (note) notes.push(note)
    } catch (e) {
      ports.log.debug(`the registry cache ${ref} could not be read back (${errorMessage(e).split('\n')[0]}); its size is not checked`)
    }
  }
  return notes
}

/**
 * Runs one build; with the Actions cache on, restores it first (once a run per cache
 * directory) and saves it after.
 * `recordTime`: the image records how long its build took (buildRecordingTime).
 */
export async function runOneBuild(
  kind: 'base' | 'app',
  spec: BuildSpec,
  s: Pick<RunState, 'env' | 'ctx' | 'opts' | 'fp' | 'platforms'>,
  tc: Toolchain,
  ports: BuildPorts,
  recordTime?: RecordTime,
): Promise<{ outcome: BuildOutcome; note?: string }> {
  const build = (sp: BuildSpec) => (recordTime ? buildRecordingTime(sp, tc, ports, recordTime) : buildRetrying(sp, tc, ports))
  if (!tc.cache.actions) return { outcome: await build(spec) }
  const cacheLog = ports.log
  const plan = ports.actionsCache.plan({
    kind,
    envHash: s.fp.hash,
    branch: cacheBranch(s.env, s.ctx.pullRequest?.number),
    // Read once, bounded, with the rest of the event payload (src/context/run-context.ts).
    defaultBranch: s.ctx.defaultBranch,
    platform: s.platforms.join(','),
    revision: s.ctx.sha,
  })
  // A second build of one kind in a run (a smoke test's trial, then the push) finds the cache
  // directory as the first left it: restored, then swapped for that build's export. It is not
  // downloaded again.
  const filled = tc.actionsCacheDirs
  const earlier = filled.get(plan.dir)
  const restored = earlier === undefined ? await ports.actionsCache.restore(plan, cacheLog) : undefined
  const hit = restored ? restored.hit === 'exact' || restored.hit === 'partial' : earlier!
  const local = buildxLocalCacheArgs(plan.dir, s.opts.cacheMode)
  const outcome = await build({ ...spec, cacheFrom: hit ? [...spec.cacheFrom, local.cacheFrom] : spec.cacheFrom, cacheTo: [...cacheTos(spec), local.cacheTo] })
  const finished = await ports.actionsCache.finish(plan.dir, cacheLog)
  // BuildKit imports a local cache's config with the same 1 MiB ceiling as a registry's.
  const oversize =
    finished.exported && finished.configBytes !== undefined ? oversizeCacheNote('the build cache for the Actions cache', finished.configBytes) : undefined
  if (oversize) ports.log.warning(`The ${kind} build: ${oversize}.`)
  filled.set(plan.dir, hit || finished.exported)
  const saved = finished.exported
    ? await ports.actionsCache.save(plan, { changed: finished.changed, maxBytes: s.opts.actionsCacheMaxBytes }, cacheLog)
    : 'failed'
  const from = !restored
    ? earlier
      ? "this run's earlier build's cache (not restored again)"
      : "this run's earlier build left no cache (not restored again)"
    : hit
      ? `restored ${restored.hit} (${restored.matchedKey})`
      : restored.hit
  const note = `Actions cache: ${from}, save ${saved}${oversize ? `; ${oversize}` : ''}`
  ports.log.info(note)
  return { outcome: { ...outcome, cacheExport: cacheExportOf(cacheTos(spec).length > 0, outcome.cacheExport, saved) }, note }
}

/**
 * Where the build cache went, as the report says it: buildx's export to the registry (when
 * one was asked for) and the Actions cache save. An export to the local directory that was
 * not saved (Actions cache unavailable, too large, failed) exported nothing anyone can use.
 */
export function cacheExportOf(registry: boolean, buildx: BuildOutcome['cacheExport'], saved: SaveResult): BuildOutcome['cacheExport'] {
  if (registry) return buildx
  if (buildx !== 'exported') return buildx
  if (saved === 'saved' || saved === 'exists' || saved === 'skipped-unchanged') return 'exported'
  return saved === 'failed' ? 'failed' : 'skipped'
}

/** `--cache-from`/`--cache-to` of a registry cache ref, as this run may use them. */
export function registryCache(ref: string, s: Pick<RunState, 'opts' | 'plan'>, tc: Toolchain): Pick<BuildSpec, 'cacheFrom' | 'cacheTo'> {
  return {
    cacheFrom: tc.cache.registry ? [`type=registry,ref=${ref}`] : [],
    cacheTo: tc.cache.registry && s.plan.push.enabled && tc.cache.export ? cacheToValue(ref, s.opts.cacheMode) : undefined,
  }
}

export function ociLabels(ctx: RunContext, sourceDate?: SourceDate): string[] {
  const out = [`${Labels.Created}=${(sourceDate?.date ?? ctx.now).toISOString()}`]
  if (ctx.repository) out.push(`${Labels.Source}=${ctx.serverUrl}/${ctx.repository}`)
  if (ctx.sha) out.push(`${Labels.Revision}=${ctx.sha}`)
  return out
}

/** The report's entry of a build; `dockerfile`: the text built, to name heredoc steps by their command. */
export function buildReport(kind: 'base' | 'app', ref: string, o: BuildOutcome, actionsCacheNote?: string, dockerfile?: string): BuildReport {
  return {
    kind,
    ref,
    digest: o.digest,
    cachedSteps: o.cachedSteps,
    totalSteps: o.totalSteps,
    durationMs: o.durationMs,
    steps: o.steps.map((st) => ({ ...st, name: stepName(st.name, dockerfile) })),
    cacheExport: o.cacheExport,
    cacheNote: [o.cacheNote, actionsCacheNote].filter(Boolean).join('; ') || undefined,
    ...(o.cacheImportNotes?.length ? { cacheImport: o.cacheImportNotes } : {}),
  }
}

/**
 * A pushing build that follows a smoke test's trial build is the same build again, all cached:
 * the run's steps, cache hits and time are the trial's (plus the push's time).
 */
export function withTrial(pushed: BuildOutcome, trial: BuildOutcome | undefined): BuildOutcome {
  if (!trial) return pushed
  return { ...pushed, cachedSteps: trial.cachedSteps, totalSteps: trial.totalSteps, steps: trial.steps, durationMs: trial.durationMs + pushed.durationMs }
}

/** Cached and total steps over the builds, and their ratio (1 when nothing was built). */
export function cacheTotals(builds: readonly Pick<BuildReport, 'cachedSteps' | 'totalSteps'>[]): ReportData['cache'] {
  const cachedSteps = builds.reduce((n, b) => n + b.cachedSteps, 0)
  const totalSteps = builds.reduce((n, b) => n + b.totalSteps, 0)
  const ratio = totalSteps === 0 ? 1 : Math.round((cachedSteps / totalSteps) * 10_000) / 10_000
  return { cachedSteps, totalSteps, ratio }
}
