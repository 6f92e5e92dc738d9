// Phase 6: sizes — the final image, what it is compared with, the size trend of the bases,
// and what changed in the environment since the previous base. Reads only; a failed read
// is a warning, never the run's failure.

import { Labels } from '../vocabulary/constants.js'
import { publishOutputs, sizeOutputs } from '../run/outputs.js'
import { trendTags, withTag, type DatedTag } from '../image/dated-tags.js'
import { comparisonTags } from '../run/compare.js'
import { fingerprintFileLines, parseFileLinesLabel, withRequirementLines } from '../hash/file-lines.js'
import { diffDocuments, isTruncatedDocumentLabel, parseDocumentLabel, type Fingerprint } from '../hash/index.js'
import type { Options } from '../run/options.js'
import type { Ports, Store } from '../ports/index.js'
import { parseReference, type ImageName } from '../image/reference.js'
import { isImplausibleSize } from '../registry/index.js'
import { errorMessage } from '../vocabulary/user-error.js'
import type { EnvChange, ImageSize, PackagesReport } from '../report/model.js'
import { packagesReport } from '../sizes/index.js'
import { layerChanges } from '../sizes/layers.js'
import { comparableSizes } from '../sizes/size-measure.js'
import type { Built, Measured, RunState } from '../run/state.js'
import { changedBytesOf } from './changed-bytes.js'
import { tolerate } from './timing.js'
import { recordedBuildMs } from '../image/build-seconds.js'

const TREND_POINTS = 8

/**
 * The Measure phase's reads that do not wait for the builds, started with the reads before
 * the builds: what changed since the previous base and the previous base's size (always),
 * and for a reused base its size manifest and the size trend. On a remote registry each is a
 * chain of round trips; started early they finish while the application builds. They start
 * once `after` settles (the reads the build waits for go first).
 */
export interface EarlyMeasure {
  readonly previousBase?: Promise<ImageSize | undefined>
  readonly changes: Promise<Measured['changes']>
  readonly trend?: Promise<{ tag: string; bytes: number }[] | undefined>
  readonly packages?: Promise<PackagesReport | undefined>
  /** A reused base: how long its build took, as its label records it. */
  readonly reusedBuildMs?: Promise<number | undefined>
}

export function startEarlyMeasure(
  s: RunState,
  baseDigest: Promise<string | undefined> | undefined,
  log: Pick<Ports['log'], 'warning' | 'debug' | 'info'>,
  after: Promise<void> = Promise.resolve(),
): EarlyMeasure {
  const { opts, plan, stores } = s
  const prev = plan.previous
  const early: EarlyMeasure = {
    previousBase: prev
      ? after.then(() => tolerate(log, 'read the size of the previous base', () => stores.store.size(opts.baseRepository, prev.tag)))
      : undefined,
    changes: after.then(() => environmentChangesOf(s, log)),
    ...(plan.choice.action === 'reuse' ? { reusedBuildMs: after.then(() => reusedBuildMs(s, log)) } : {}),
  }
  if (plan.choice.action !== 'reuse' || !baseDigest) return early
  const digest = baseDigest.catch(() => undefined)
  return {
    ...early,
    trend: after.then(() => trendOf(s, log)),
    packages: after.then(() => digest).then((d) => basePackages(s, { digest: d }, log)),
  }
}

/**
 * `appCompareTo`: the previous image of the stream, read before the builds (see
 * previousAppImage); a base alone is compared with the previous dated base. `early`: the
 * reads already under way (startEarlyMeasure).
 */
export async function measurePhase(
  s: RunState,
  built: Built,
  appCompareTo: ImageSize | undefined,
  ports: Pick<Ports, 'log' | 'results'>,
  early?: EarlyMeasure,
): Promise<Measured> {
  const { opts, plan, stores } = s
  const { log } = ports
  const sizeStore = plan.pins.measureInStore ? stores.store : stores.engine
  const measuredRef = built.final.digest && plan.pins.measureByDigest ? built.final.digest : built.final.tag
  const newBase = plan.app !== undefined && plan.choice.action === 'build'
  // What was not started early starts now (the reads that need no build: startEarlyMeasure).
  const started = early ?? startEarlyMeasure(s, undefined, log)
  // Independent registry reads: run them at once.
  // A registry that gives a size no image could have: the size is unknown, and the report says why.
  let implausible = false
  const flagged = <T>(p: Promise<T>): Promise<T> =>
    p.catch((e: unknown) => {
      implausible ||= isImplausibleSize(e)
      throw e
    })
  const [read, previousBase, changes, trend, baseSize, packages, reusedBuild] = await Promise.all([
    built.final.size ?? tolerate(log, 'read the image size', () => flagged(sizeStore.size(built.final.name, measuredRef))),
    started.previousBase,
    started.changes,
    started.trend ?? trendOf(s, log, plan.base.tag === plan.choice.tag ? built.base.size : undefined),
    newBase
      ? (built.base.size ??
        tolerate(log, 'read the size of the new base', () =>
          sizeStore.size(opts.baseRepository, built.base.digest && plan.pins.measureByDigest ? built.base.digest : plan.base.tag),
        ))
      : undefined,
    started.packages ?? basePackages(s, built.base, log),
    started.reusedBuildMs,
  ])
  const size = read ? { ...read, ref: built.final.ref } : undefined
  publishOutputs(ports.results, sizeOutputs(size))
  const base = baseSize ? { size: { ...baseSize, ref: built.base.ref ?? plan.base.tagRef }, compareTo: previousBase } : undefined
  const [layers, changedBytes] = await Promise.all([
    plan.app && size && appCompareTo ? appLayers(s, built, size, appCompareTo, log) : undefined,
    changedBytesOf(s, built, { previousBase, app: appCompareTo }, ports),
  ])
  return {
    size,
    compareTo: plan.app ? appCompareTo : previousBase,
    changes,
    trend,
    base,
    packages,
    ...(layers ? { layers } : {}),
    changedBytes,
    ...(reusedBuild !== undefined ? { reusedBuildMs: reusedBuild } : {}),
    ...(!size && implausible ? { sizeImplausible: true } : {}),
  }
}

/** How long the reused base took to build when it was built, from its label (none on a base built before the label existed). */
async function reusedBuildMs(s: Pick<RunState, 'opts' | 'plan' | 'stores'>, log: Pick<Ports['log'], 'warning'>): Promise<number | undefined> {
  const labels = await tolerate(log, 'read the labels of the reused base', () => s.stores.store.labels(s.opts.baseRepository, s.plan.base.tag))
  return recordedBuildMs(labels)
}

/** Layers of each list shown. */
const LAYERS_SHOWN = 5

/**
 * Why the application image changed size: the layers it has that the compared image has
 * not, and the other way round, with the step that made each. Registry images only (their
 * configs carry the history); nothing when the size did not change or the sizes measure
 * different things.
 */
async function appLayers(s: RunState, built: Built, size: ImageSize, compareTo: ImageSize, log: Pick<Ports['log'], 'warning'>): Promise<Measured['layers']> {
  const { opts, stores, platforms } = s
  const store = s.plan.pins.measureInStore ? stores.store : stores.engine
  if (!store.layers || !stores.store.layers || size.total === compareTo.total || !comparableSizes(size, compareTo)) return undefined
  const cmpName = opts.compareTo ? parseReference(opts.compareTo, 'compare-to', { local: opts.image.local }).name : opts.image
  const [after, before] = await Promise.all([
    tolerate(log, 'read the layers of the image', () => store.layers!(built.final.name, built.final.digest ?? built.final.tag, platforms[0])),
    compareTo.digest ? tolerate(log, 'read the layers of the compared image', () => stores.store.layers!(cmpName, compareTo.digest!, platforms[0])) : undefined,
  ])
  return after && before ? layerChanges(before, after, LAYERS_SHOWN) : undefined
}

/**
 * The store's read of a tag the run pushed: its digest and size in one read. A registry
 * that gives sizes no image could have gives the digest only: the size is unknown (a
 * warning worded as the measure phase's own, so the log shows it once).
 */
export async function pushedImage(
  store: Pick<Store, 'size'>,
  name: ImageName,
  tag: string,
  log: Pick<Ports['log'], 'warning'>,
  what: string,
): Promise<{ digest?: string; size?: ImageSize }> {
  try {
    const size = await store.size(name, tag)
    return size ? { digest: size.digest, size } : {}
  } catch (e) {
    if (!isImplausibleSize(e)) throw e
    log.warning(`Could not ${what}: ${errorMessage(e)}`)
    return { digest: e.digest }
  }
}

/** The previous image of this run's stream (`compare-to`, else the first of compare.ts's tags that exists), read before anything is pushed. */
export async function previousAppImage(s: Pick<RunState, 'opts' | 'ctx' | 'stores'>): Promise<ImageSize | undefined> {
  const { opts, stores } = s
  if (opts.compareTo) {
    const ref = parseReference(opts.compareTo, 'compare-to', { local: opts.image.local })
    return stores.store.size(ref.name, ref.digest ?? ref.tag ?? 'latest')
  }
  for (const tag of comparisonTags(s.ctx)) {
    const size = await stores.store.size(opts.image, tag)
    if (size) return size
  }
  return undefined
}

/**
 * What makes the base big: its size manifest, read from the registry (the last layer by
 * digest) when the base is there, else from the local engine. No manifest (a custom base
 * Dockerfile): no section, no warning.
 */
async function basePackages(
  s: RunState,
  base: { readonly digest?: string },
  log: Pick<Ports['log'], 'debug' | 'info' | 'warning'>,
): Promise<PackagesReport | undefined> {
  const { opts, plan, stores, platforms } = s
  if (!stores.sizeManifests) return undefined
  const inRegistry = Boolean(stores.registry) && (plan.push.enabled || plan.choice.action === 'reuse')
  try {
    return await packagesReport({
      read: stores.sizeManifests(opts.baseRepository, inRegistry ? 'registry' : 'engine', platforms[0]),
      ref: inRegistry ? (base.digest ?? plan.choice.tag) : plan.choice.tag,
      previousTag: plan.choice.action === 'build' ? plan.previous?.tag : undefined,
      log,
    })
  } catch (e) {
    log.info(`Could not read the size manifest of the base: ${errorMessage(e)}`)
    return undefined
  }
}

/** What changed since the previous base, when a new base is (or would be) built. */
export function environmentChangesOf(
  s: Pick<RunState, 'opts' | 'ctx' | 'plan' | 'stores' | 'fp'>,
  log: Pick<Ports['log'], 'warning'>,
): Promise<Measured['changes']> {
  const prev = s.plan.previous
  if (s.plan.choice.action !== 'build' || !prev) return Promise.resolve(undefined)
  return tolerate(log, 'read the previous base environment', () => environmentChanges(s.opts, s.ctx.workspace, s.stores.store, prev, s.fp))
}

/** What differs between the environment of the previous base (read back from its label) and this one. */
async function environmentChanges(
  opts: Options,
  workspace: string,
  store: Store,
  prev: DatedTag,
  fp: Fingerprint,
): Promise<{ changes: EnvChange[]; previousTag: string }> {
  const labels = await store.labels(opts.baseRepository, prev.tag)
  const label = labels?.[Labels.EnvDocument]
  if (label && isTruncatedDocumentLabel(label)) {
    return {
      changes: [
        {
          section: 'environment',
          kind: 'changed',
          item: `${prev.tag}'s environment document was too large to keep in its label — what changed is unavailable`,
        },
      ],
      previousTag: prev.tag,
    }
  }
  const doc = label ? parseDocumentLabel(label) : undefined
  if (!doc) return { changes: [{ section: 'environment', kind: 'changed', item: `${prev.tag} carries no environment document label` }], previousTag: prev.tag }
  const changes = withRequirementLines(
    diffDocuments(doc, fp.document),
    parseFileLinesLabel(labels?.[Labels.EnvFiles]),
    fingerprintFileLines(fp, opts.environmentFile, workspace),
  )
  return { changes, previousTag: prev.tag }
}

/** The size trend of this environment's bases (a failed read is a warning); `current`: the base this run pushed, already read. */
function trendOf(s: RunState, log: Pick<Ports['log'], 'warning'>, current?: ImageSize): Promise<{ tag: string; bytes: number }[] | undefined> {
  const { opts, plan, stores, lookup, fp } = s
  return tolerate(log, 'read the size trend', () =>
    sizeTrend(opts, stores.store, lookup.dated ?? [], plan.choice.tag, fp.hash, plan.pins.measureInStore, current),
  )
}

async function sizeTrend(
  opts: Options,
  store: Store,
  dated: readonly DatedTag[],
  baseTag: string,
  envHash: string,
  includeCurrent: boolean,
  current?: ImageSize,
): Promise<{ tag: string; bytes: number }[]> {
  const all = includeCurrent ? withTag(dated, baseTag, opts.baseTagPrefix) : dated
  const picked = trendTags(all, envHash, TREND_POINTS)
  // `current`: the base this run pushed, already read.
  const read = (tag: string) => (current && tag === baseTag ? Promise.resolve(current) : store.size(opts.baseRepository, tag))
  const sizes = await Promise.all(picked.map(async (t) => ({ tag: t.tag, size: await read(t.tag) })))
  return sizes.filter((s) => s.size).map((s) => ({ tag: s.tag, bytes: s.size!.total }))
}
