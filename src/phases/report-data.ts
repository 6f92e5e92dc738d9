// The report's data, built once from what the run recorded — for a finished run and for a
// failed one alike. Every row is derived here from what happened (the builds that finished,
// the references pushed, the phase that failed), never set in two places, so rows cannot
// contradict each other. Pure.

import path from 'node:path'
import type { RunContext } from '../context/run-context.js'
import { hash12 } from '../image/dated-tags.js'
import type { Fingerprint } from '../hash/index.js'
import type { Options } from '../run/options.js'
import type { RunPlan } from '../run/run-plan.js'
import { formatName, formatReference } from '../image/reference.js'
import type { BaseOutcome, BudgetResult, BuildReport, FailureInfo, RefreshReport, ReportData, RetentionReport } from '../report/model.js'
import { sameDigestAs } from '../context/source-date.js'
import type { SmokeResult } from '../run/smoke-plan.js'
import type { Built, Measured, PhaseTiming } from '../run/state.js'
import { cacheTotals } from './build.js'

/** Name prefix of the phase that builds the base (what a failure in it is recognised by). */
export const BASE_BUILD_PHASE = 'Build base'

/** What a run recorded, as far as it got. */
export interface RunRecord {
  readonly opts: Options
  readonly ctx: RunContext
  readonly fp?: Fingerprint
  /** Absent when the run failed before the lookup: nothing is said about the base. */
  readonly plan?: RunPlan
  readonly phases: readonly PhaseTiming[]
  /** The builds that finished. */
  readonly builds: readonly BuildReport[]
  /** Every reference pushed. */
  readonly pushed: readonly string[]
  readonly built?: Built
  /** Plan mode: a reused base's reference. */
  readonly baseRef?: string
  readonly measured?: Measured
  readonly retention?: RetentionReport
  readonly budget?: readonly BudgetResult[]
  readonly warnings: readonly string[]
  readonly failure?: FailureInfo
  /** The smoke tests that ran (src/run/smoke-plan.ts), a failed one last. */
  readonly smokeTests?: readonly SmokeResult[]
}

export function reportData(r: RunRecord): ReportData {
  const { opts, ctx, measured, built } = r
  return {
    mode: opts.mode,
    image: formatName(opts.image),
    environmentFile: path.relative(ctx.workspace, opts.environmentFile) || opts.environmentFile,
    ...(r.fp?.pixi ? { pixi: { environment: r.fp.pixi.environment, lock: path.relative(ctx.workspace, r.fp.pixi.lock) || r.fp.pixi.lock } } : {}),
    envHash: r.fp?.hash ?? '',
    base: baseReport(r),
    final: built && !r.failure ? finalReport(built, measured ?? {}) : undefined,
    builds: [...r.builds],
    cache: cacheTotals(r.builds),
    phases: [...r.phases],
    push: r.plan?.push ?? { enabled: false, reason: 'not decided' },
    trend: trendAfterRetention(measured?.trend, r.retention),
    budget: built && !r.failure ? [...(r.budget ?? [])] : undefined,
    retention: r.retention,
    packages: measured?.packages,
    warnings: [...r.warnings],
    ...(r.failure ? { failure: r.failure } : {}),
    runUrl: runUrl(ctx),
    pushedTags: [...r.pushed],
    ...(r.smokeTests?.length ? { smokeTests: [...r.smokeTests] } : {}),
  }
}

export function runUrl(ctx: Pick<RunContext, 'serverUrl' | 'repository' | 'runId'>): string | undefined {
  return ctx.repository && ctx.runId ? `${ctx.serverUrl}/${ctx.repository}/actions/runs/${ctx.runId}` : undefined
}

/** What happened to the base, from the plan, the builds that finished and the phase that failed. */
export function baseOutcome(r: Pick<RunRecord, 'opts' | 'plan' | 'builds' | 'failure' | 'pushed'>): BaseOutcome | undefined {
  const { plan } = r
  if (!plan) return undefined
  const reuse = plan.choice.action === 'reuse'
  if (r.opts.mode === 'plan') return reuse ? 'would-reuse' : 'would-build'
  // mode: merge assembles the base from the jobs' parts (written first: a later failure leaves it assembled).
  if (plan.merge?.action === 'assemble') return !r.failure || r.pushed.includes(plan.base.tagRef) ? 'assembled' : 'assemble-failed'
  if (reuse) return 'reused'
  if (r.builds.some((b) => b.kind === 'base')) return 'built'
  if (!r.failure) return 'built'
  return r.failure.phase.startsWith(BASE_BUILD_PHASE) ? 'build-failed' : 'not-reached'
}

function baseReport(r: RunRecord): ReportData['base'] {
  const { plan, measured, fp } = r
  const outcome = baseOutcome(r)
  if (!plan || !outcome) return undefined
  const previousTag = plan.choice.action === 'build' ? plan.previous?.tag : undefined
  const baseBuild = r.builds.find((b) => b.kind === 'base')
  return {
    tag: plan.choice.tag,
    ref: r.built?.base.ref ?? r.baseRef,
    outcome,
    decision: plan.choice.decision,
    ageDays: plan.report.ageDays,
    changes: measured?.changes?.changes,
    previousTag,
    previousSameEnvironment: previousTag !== undefined && fp !== undefined && plan.previous?.hash12 === hash12(fp.hash),
    ...(plan.base.build?.pull && baseBuild ? { refresh: refreshReport(plan.base.build.noCache, baseBuild) } : {}),
    ...(plan.merge ? { note: plan.report.note } : {}),
    ...(plan.merge?.action === 'assemble' ? { parts: plan.merge.parts.map((p) => p.tag) } : {}),
    size: measured?.base?.size,
    compareTo: measured?.base?.compareTo,
    ...(measured?.changedBytes?.base ? { changedBytes: measured.changedBytes.base } : {}),
    ...(outcome === 'reused' && measured?.reusedBuildMs !== undefined ? { savedMs: measured.reusedBuildMs } : {}),
    // Only what this run attached to the base it built and pushed: never for a reuse, never without the push.
    ...(outcome === 'built' && r.built?.base.sbom && r.pushed.includes(plan.base.tagRef) ? { sbom: r.built.base.sbom } : {}),
  }
}

function refreshReport(noCache: boolean, build: BuildReport): RefreshReport {
  return {
    kind: noCache ? 'full' : 'pull',
    cachedSteps: build.cachedSteps,
    totalSteps: build.totalSteps,
    rebuilt: build.steps.filter((s) => !s.cached).map((s) => s.name),
  }
}

/** The final image; "unchanged" when a build pushed a digest the tag or the compared image already had. */
function finalReport(built: Built, measured: Measured): NonNullable<ReportData['final']> {
  const { ref, digest, name, tag, digestBefore } = built.final
  const unchangedFrom = built.builds.length
    ? sameDigestAs(digest, [{ ref: formatReference(name, tag), digest: digestBefore }, measured.compareTo ?? {}])
    : undefined
  return {
    ref,
    digest,
    size: measured.size,
    ...(!measured.size && measured.sizeImplausible ? { sizeImplausible: true } : {}),
    compareTo: measured.compareTo,
    ...(unchangedFrom ? { unchangedFrom } : {}),
    ...(measured.layers ? { layers: measured.layers } : {}),
    ...(measured.changedBytes?.final ? { changedBytes: measured.changedBytes.final } : {}),
  }
}

/** The size trend without the tags this run's retention deleted. */
function trendAfterRetention(trend: Measured['trend'], retention: RetentionReport | undefined): ReportData['trend'] {
  if (!trend || !retention || retention.mode !== 'true') return trend
  const deleted = new Set(retention.deleted.map((d) => d.tag))
  return trend.filter((t) => !deleted.has(t.tag))
}
