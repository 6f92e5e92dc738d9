// Phase 5c: the base image — built (and pushed or loaded) or reused.

import path from 'node:path'
import type { BuildOutcome, BuildSpec } from '../buildx/index.js'
import { envFilesLabel } from '../hash/file-lines.js'
import { BuildArgNames, HASH_SCHEME, Labels } from '../vocabulary/constants.js'
import { baseOutputs, publishOutputs, reusesBase } from '../run/outputs.js'
import { encodeDocumentLabel } from '../hash/index.js'
import type { Ports } from '../ports/index.js'
import { formatReference } from '../image/reference.js'
import type { BuildReport } from '../report/model.js'
import type { RunState } from '../run/state.js'
import { buildStep, ociLabels, registryCache, type BuildPorts } from './build.js'
import type { Toolchain } from './builder.js'
import type { ReadsBeforeBuilds } from './reads.js'
import type { PhaseTimer } from './timing.js'
import { sbomPhase } from './sbom.js'
import { BASE_BUILD_PHASE } from './report-data.js'
import { bundledBuild, type BundledBuild } from '../template/bundled.js'
import type { ImageSize, SbomAttached } from '../report/model.js'
import { hash12 } from '../image/dated-tags.js'
import { recordedBuildMs } from '../image/build-seconds.js'
import { tolerate } from './timing.js'

export interface BaseResult {
  readonly build?: BuildReport
  /** The buildx metadata of the base build. */
  readonly metadata?: Record<string, unknown>
  readonly ref: string
  readonly digest?: string
  /** A pushed base's size, read from the registry with its digest. */
  readonly size?: ImageSize
  /** The SBOM this run attached to the base it built. */
  readonly sbom?: SbomAttached
}

/**
 * The base build. The bundled template builds from a context assembled from exactly the
 * hashed files (`bundled`), and gets the environment hash as a build arg so that a change
 * the registry cache cannot see (a secret's content is not in BuildKit's cache key) re-solves.
 */
export function baseSpec(s: RunState, tc: Toolchain, workDir: string, bundled?: BundledBuild): BuildSpec {
  const { opts, plan, fp, ctx } = s
  return {
    context: bundled?.context.dir ?? path.dirname(opts.environmentFile),
    dockerfile: opts.baseDockerfile.path,
    tags: [plan.base.tagRef],
    buildArgs: [...opts.baseBuildArgs, ...(bundled?.buildArgs ?? [`${BuildArgNames.EnvironmentFile}=${path.basename(opts.environmentFile)}`])],
    labels: [
      ...opts.labels,
      ...ociLabels(ctx, tc.sourceDate),
      `${Labels.EnvHash}=${fp.hash}`,
      `${Labels.Scheme}=${HASH_SCHEME}`,
      `${Labels.EnvDocument}=${encodeDocumentLabel(fp.document)}`,
      ...envFilesLabel(fp, opts.environmentFile, ctx.workspace),
    ],
    sourceDateEpoch: tc.sourceDate?.seconds,
    // A job of a matrix builds its own platform (build-platforms), with a cache of its own.
    platforms: [...plan.job.platforms],
    builder: tc.builder,
    dockerContext: tc.dockerContext,
    ...registryCache(plan.job.cacheRef, s, tc),
    output: plan.push.enabled ? 'push' : 'load',
    // Refresh builds (nightly, max-age) re-pull FROM images; `refresh: full` also re-solves.
    pull: plan.base.build?.pull ?? false,
    noCache: plan.base.build?.noCache ?? false,
    metadataFile: path.join(workDir, 'base-metadata.json'),
    compression: opts.compression,
    ...tc.secrets,
  }
}

/**
 * The build time the previous base of this very environment recorded (a refresh): a build
 * that ran no step reproduces it, and carries its label. Undefined for another environment,
 * a base without the label, or a failed read (a warning).
 */
async function carriedBuildMs(s: RunState, log: Pick<Ports['log'], 'warning'>): Promise<number | undefined> {
  const prev = s.plan.previous
  if (!prev || prev.hash12 !== hash12(s.fp.hash)) return undefined
  return recordedBuildMs(await tolerate(log, 'read the labels of the previous base', () => s.stores.store.labels(s.opts.baseRepository, prev.tag)))
}

/** The base build's spec, its build context assembled (once: a smoke test's trial and the push use one). */
export async function baseBuildSpec(s: RunState, tc: Toolchain, workDir: string): Promise<BuildSpec> {
  const { opts } = s
  const bundled = opts.baseDockerfile.bundled
    ? await bundledBuild({ environmentFile: opts.environmentFile, fp: s.fp, workspace: s.ctx.workspace, dest: path.join(workDir, 'base-context') })
    : undefined
  return baseSpec(s, tc, workDir, bundled)
}

export async function basePhase(
  s: RunState,
  tc: Toolchain,
  workDir: string,
  timer: PhaseTimer,
  ports: BuildPorts & Pick<Ports, 'results'>,
  reads: Pick<ReadsBeforeBuilds, 'baseDigest'>,
  tested: { readonly spec?: BuildSpec; readonly trial?: BuildOutcome } = {},
): Promise<BaseResult> {
  const { spec: prepared, trial } = tested
  const { plan, opts } = s
  const repo = opts.baseRepository
  let build: BuildReport | undefined
  let metadata: Record<string, unknown> | undefined
  let digest: string | undefined
  let size: ImageSize | undefined
  if (plan.base.build) {
    const step = await buildStep(
      'base',
      {
        phase: `${BASE_BUILD_PHASE} ${plan.base.tag}`,
        ref: plan.base.tagRef,
        reason: plan.report.reason,
        spec: async () => prepared ?? (await baseBuildSpec(s, tc, workDir)),
        trial,
        // Without a trial, the base records how long it took to build (a trial's tested image has no such label: the pushed one must be the same).
        recordTime: trial ? undefined : { carried: () => carriedBuildMs(s, ports.log) },
        dockerfile: opts.baseDockerfile.content,
        // The registry's digest of the pushed tag and its size in one read.
        readBack: plan.push.enabled ? { name: repo, tag: plan.base.tag, what: plan.app ? 'read the size of the new base' : 'read the image size' } : undefined,
      },
      s,
      tc,
      timer,
      ports,
    )
    build = step.report
    metadata = step.metadata
    size = step.size
    digest = step.digest
    if (plan.push.enabled && !digest) throw new Error(`${plan.base.tagRef} was built but the registry does not have it`)
  } else {
    ports.log.info(`Reusing ${plan.base.tagRef} (${plan.report.ageDays} day(s) old): the environment is unchanged, no base build`)
    digest = await reads.baseDigest
  }
  const ref = plan.pins.baseByDigest ? formatReference(repo, plan.base.tag, digest) : plan.base.tagRef
  publishOutputs(ports.results, baseOutputs(ref, reusesBase(plan)))
  // The SBOM as a referrer of the pushed base (or the one a reused base has): `sbom`, `lock`.
  const { attached } = await sbomPhase(s, { digest, built: build !== undefined }, ports)
  return { build, metadata, ref, digest, ...(size ? { size } : {}), ...(attached ? { sbom: attached } : {}) }
}
