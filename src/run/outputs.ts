// The step outputs: every output's value is decided here, from the piece of the run's state
// that knows it. The phases publish each piece as soon as the run knows it (an output known
// before a failure is still set), always through `publishOutputs`.

import type { ResultPort } from '../ports/index.js'
import { Outputs, type OutputName } from '../vocabulary/constants.js'
import type { RunPlan } from './run-plan.js'

export type StepOutputs = Partial<Record<OutputName, string>>

/** `env-hash`: the environment hash. */
export function fingerprintOutputs(fp: { readonly hash: string }): StepOutputs {
  return { [Outputs.EnvHash]: fp.hash }
}

/** `base-tag`: the tag this job pushes or uses (a job of a matrix that builds the base: its platform's part). */
export function planOutputs(plan: Pick<RunPlan, 'base'>): StepOutputs {
  return { [Outputs.BaseTag]: plan.base.tag }
}

/**
 * `base-image` (when the run knows the base's reference) and `base-reused`: by default whether
 * the plan reuses a base; a merge always uses the jobs' base.
 */
export function baseOutputs(ref: string | undefined, reused: boolean): StepOutputs {
  return { ...(ref !== undefined ? { [Outputs.BaseImage]: ref } : {}), [Outputs.BaseReused]: String(reused) }
}

/** Whether the plan reuses a base (the `base-reused` output of a run that builds). */
export function reusesBase(plan: Pick<RunPlan, 'choice'>): boolean {
  return plan.choice.action === 'reuse'
}

/** The final image: `image`, `digest`, the cache counts, `metadata` (the build's, JSON) and `tags` (the pushed ones, a line each). */
export function finalOutputs(o: {
  readonly ref: string
  readonly digest: string | undefined
  readonly cache: { readonly ratio: number; readonly cachedSteps: number; readonly totalSteps: number }
  readonly metadata: unknown
  readonly pushed: readonly string[]
}): StepOutputs {
  return {
    [Outputs.Image]: o.ref,
    [Outputs.Digest]: o.digest ?? '',
    [Outputs.CacheHitRatio]: String(o.cache.ratio),
    [Outputs.CachedSteps]: String(o.cache.cachedSteps),
    [Outputs.TotalSteps]: String(o.cache.totalSteps),
    [Outputs.Metadata]: o.metadata ? JSON.stringify(o.metadata) : '',
    [Outputs.Tags]: o.pushed.join('\n'),
  }
}

/** `image-size`: the final image's total bytes (empty when unread). */
export function sizeOutputs(size: { readonly total: number } | undefined): StepOutputs {
  return { [Outputs.ImageSize]: size ? String(size.total) : '' }
}

/** `changed-bytes`: what the final image changed against the compared one (empty when unread). */
export function changedBytesOutputs(changed: { readonly changed: number } | undefined): StepOutputs {
  return { [Outputs.ChangedBytes]: changed ? String(changed.changed) : '' }
}

/** `sbom` (the SBOM artifact by digest) and `lock` (where the lock is), each when known. */
export function sbomOutputs(o: { readonly sbom?: string; readonly lock?: string }): StepOutputs {
  return { ...(o.sbom ? { [Outputs.Sbom]: o.sbom } : {}), ...(o.lock ? { [Outputs.Lock]: o.lock } : {}) }
}

/** Sets the outputs, in their order. */
export function publishOutputs(results: Pick<ResultPort, 'setOutput'>, outputs: StepOutputs): void {
  for (const [name, value] of Object.entries(outputs) as [OutputName, string][]) results.setOutput(name, value)
}
