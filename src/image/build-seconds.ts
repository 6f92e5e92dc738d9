// How long a base took to build, kept on the base itself: a label of its image config
// (`Labels.BuildSeconds`), written when the base is pushed and read back when a later run
// reuses it — the time that run did not spend. A label lives in the config, never in a
// layer, so the package layers stay what they are. Pure.

import { Labels } from '../vocabulary/constants.js'

/** Longer than any build a runner allows (a job ends after 6 h; a self-hosted one after 5 days). */
const MAX_BUILD_SECONDS = 30 * 24 * 3600

/** The label of a build that took `ms` (milliseconds precision, in seconds). */
export function buildSecondsLabel(ms: number): string {
  return `${Labels.BuildSeconds}=${(Math.max(0, ms) / 1000).toFixed(3)}`
}

/** The build time a base's labels record, in milliseconds; undefined when there is none or it is not a plausible duration (outside data). */
export function recordedBuildMs(labels: Readonly<Record<string, string>> | undefined): number | undefined {
  const v = labels?.[Labels.BuildSeconds]
  if (typeof v !== 'string' || !/^\d{1,9}(\.\d{1,3})?$/.test(v)) return undefined
  const s = Number(v)
  return Number.isFinite(s) && s > 0 && s <= MAX_BUILD_SECONDS ? Math.round(s * 1000) : undefined
}
