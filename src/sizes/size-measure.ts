// What a size measures, and which two sizes can be compared. The registry's figure is the
// compressed config and layers; the local engine's (`docker image inspect`) is the image's
// content with the containerd image store (compressed layers, config and manifest — the
// registry's figure plus the manifest's few hundred bytes) and the unpacked size with the
// classic store. Pure.

import type { ImageSize, SizeMeasure } from '../report/model.js'

export function measureOf(s: Pick<ImageSize, 'measure'>): SizeMeasure {
  return s.measure ?? 'registry'
}

const COMPRESSED: ReadonlySet<SizeMeasure> = new Set(['registry', 'engine-compressed'])

/** Whether `a` and `b` measure the same thing (both compressed, or both the classic store's unpacked size). */
export function comparableSizes(a: Pick<ImageSize, 'measure'>, b: Pick<ImageSize, 'measure'>): boolean {
  const ka = measureOf(a)
  const kb = measureOf(b)
  return (COMPRESSED.has(ka) && COMPRESSED.has(kb)) || (ka === 'engine-uncompressed' && kb === 'engine-uncompressed')
}

/** How the report names what a size measures. */
export const MEASURE_WORDS: Record<SizeMeasure, string> = {
  registry: 'compressed',
  'engine-compressed': 'compressed (in the local engine: layers, config and manifest)',
  'engine-uncompressed': 'unpacked (in the local engine)',
  'engine-unknown': 'in the local engine (what it measures is unknown)',
}

/** Why two sizes are not compared. */
export function notComparableWhy(size: Pick<ImageSize, 'measure'>, other: Pick<ImageSize, 'measure'>): string {
  return `it is ${MEASURE_WORDS[measureOf(other)]}, this one ${MEASURE_WORDS[measureOf(size)]}`
}
