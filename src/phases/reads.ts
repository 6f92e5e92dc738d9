// Phase 4a: the registry reads the builds need (and those of the Measure phase that need no
// build), started together right after the plan. None
// depends on another, and each is a round trip or two — a few milliseconds on a loopback
// registry, tens to hundreds on a remote one — so they run at once, beside the push check
// and the builder probe, instead of one after the other before the build.

import type { Ports } from '../ports/index.js'
import type { ImageSize } from '../report/model.js'
import type { RunState } from '../run/state.js'
import { previousAppImage, startEarlyMeasure, type EarlyMeasure } from './measure.js'
import { tolerate } from './timing.js'

export interface ReadsBeforeBuilds {
  /** The previous image of this stream (what the application is compared with), read before anything is pushed. */
  readonly compareTo: Promise<ImageSize | undefined>
  /** The digest of the reused base's tag (its `base-image` pin); undefined when the base is built. */
  readonly baseDigest?: Promise<string | undefined>
  /** What the application tag held before this run: a rebuild that changed nothing pushes the same digest. */
  readonly appDigestBefore: Promise<string | undefined>
  /** The Measure phase's reads that need no build. */
  readonly measure: EarlyMeasure
}

/** Starts the reads; a failure stays with whoever awaits it (never an unhandled rejection). */
export function startReadsBeforeBuilds(s: RunState, ports: Pick<Ports, 'log'>): ReadsBeforeBuilds {
  // The reads of the Measure phase that need no build start too (startEarlyMeasure).
  const { plan, opts, stores } = s
  const compareTo = plan.app ? tolerate(ports.log, 'read the size of the compared image', () => previousAppImage(s)) : Promise.resolve(undefined)
  const baseDigest = plan.base.build ? undefined : stores.store.digest(opts.baseRepository, plan.base.tag)
  baseDigest?.catch(() => undefined)
  let appDigestBefore: Promise<string | undefined> = Promise.resolve(undefined)
  if (plan.app && plan.push.enabled) appDigestBefore = stores.store.digest(plan.app.name, plan.app.tag).catch(() => undefined)
  // The build waits for the first three; the Measure phase's reads go after them (the registry answers those first).
  const first = Promise.allSettled([compareTo, baseDigest, appDigestBefore]).then(() => undefined)
  return { compareTo, baseDigest, appDigestBefore, measure: startEarlyMeasure(s, baseDigest, ports.log, first) }
}
