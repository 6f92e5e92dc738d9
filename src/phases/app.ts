// Phase 5d: the application image FROM the base (when a `dockerfile` is given), and the
// outputs that name the final image.

import path from 'node:path'
import type { BuildOutcome, BuildSpec } from '../buildx/index.js'
import { BuildArgNames, Labels } from '../vocabulary/constants.js'
import { finalOutputs, publishOutputs } from '../run/outputs.js'
import type { Ports } from '../ports/index.js'
import { formatReference } from '../image/reference.js'
import type { Built, RunState } from '../run/state.js'
import type { BaseResult } from './base.js'
import { buildStep, cacheTotals, ociLabels, registryCache, type BuildPorts } from './build.js'
import type { Toolchain } from './builder.js'
import type { ReadsBeforeBuilds } from './reads.js'
import type { PhaseTimer } from './timing.js'

export function appSpec(s: RunState, tc: Toolchain, base: Pick<BaseResult, 'digest'>, workDir: string): BuildSpec {
  const { opts, plan, fp, ctx } = s
  const fromRef = plan.push.enabled && base.digest ? formatReference(opts.baseRepository, plan.base.tag, base.digest) : plan.base.tagRef
  return {
    context: opts.context,
    dockerfile: opts.dockerfile!,
    tags: [...plan.job.appTags],
    buildArgs: [`${BuildArgNames.BaseImage}=${fromRef}`, ...opts.buildArgs],
    labels: [...opts.labels, ...ociLabels(ctx, tc.sourceDate), `${Labels.EnvHash}=${fp.hash}`],
    sourceDateEpoch: tc.sourceDate?.seconds,
    platforms: [...plan.job.platforms],
    target: opts.target,
    builder: tc.builder,
    dockerContext: tc.dockerContext,
    ...registryCache(plan.job.appCacheRef, s, tc),
    output: plan.push.enabled ? 'push' : 'load',
    metadataFile: path.join(workDir, 'app-metadata.json'),
    compression: opts.compression,
    ...tc.secrets,
  }
}

export async function appPhase(
  s: RunState,
  tc: Toolchain,
  base: BaseResult,
  workDir: string,
  timer: PhaseTimer,
  ports: BuildPorts & Pick<Ports, 'results'>,
  reads: Pick<ReadsBeforeBuilds, 'appDigestBefore'>,
  trial?: BuildOutcome,
): Promise<Built> {
  const { plan, opts } = s
  const builds = base.build ? [base.build] : []
  let final: Omit<Built['final'], 'ref'> = { name: opts.baseRepository, tag: plan.base.tag, digest: base.digest, ...(base.size ? { size: base.size } : {}) }
  let metadata = base.metadata
  if (plan.app) {
    const { ref: appRef, name, tag } = plan.app
    // What the tag held before this run (read with the other reads before the builds): a rebuild that changed nothing pushes the same digest.
    const digestBefore = await reads.appDigestBefore
    const step = await buildStep(
      'app',
      {
        phase: `Build application ${appRef}`,
        ref: appRef,
        spec: () => appSpec(s, tc, base, workDir),
        trial,
        dockerfile: opts.dockerfileContent,
        // The store's digest of the tag and its size in one read (one round trip fewer than a HEAD, then a GET by digest).
        readBack: plan.pins.finalFromStore ? { name, tag, what: 'read the image size' } : undefined,
      },
      s,
      tc,
      timer,
      ports,
    )
    builds.push(step.report)
    metadata = step.metadata
    final = { name, tag, digest: step.digest, digestBefore, ...(step.size ? { size: step.size } : {}) }
  }
  const ref = formatReference(final.name, final.tag, final.digest)
  const pushed = plan.push.enabled ? [...(base.build ? [plan.base.tagRef] : []), ...(plan.app ? plan.job.appTags : [])] : []
  publishOutputs(ports.results, finalOutputs({ ref, digest: final.digest, cache: cacheTotals(builds), metadata, pushed }))
  return {
    builds,
    base: { ref: base.ref, digest: base.digest, ...(base.size ? { size: base.size } : {}), ...(base.sbom ? { sbom: base.sbom } : {}) },
    final: { ...final, ref },
    pushed,
  }
}
