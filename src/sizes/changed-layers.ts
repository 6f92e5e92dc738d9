// What a node downloads: the compressed bytes of an image's layers that the image it already
// has does not have, by layer digest, per platform manifest (a node pulls one platform; a
// layer it has, under any name, is not pulled again). Pure.

import type { ChangedBytes, PlatformChangedBytes } from '../report/model.js'

export interface LayerRef {
  readonly digest: string
  readonly size: number
}

export interface PlatformLayers {
  /** `os/arch[/variant]`, or `unknown` for an image manifest with no platform of its own. */
  readonly platform: string
  readonly layers: readonly LayerRef[]
}

/** Each digest once (an image may list a layer twice; a node pulls it once). */
function unique(layers: readonly LayerRef[]): LayerRef[] {
  const seen = new Map<string, LayerRef>()
  for (const l of layers) if (!seen.has(l.digest)) seen.set(l.digest, l)
  return [...seen.values()]
}

/**
 * The compared image's layers for `platform`: those of the same platform; two single-platform
 * images are one platform whatever they call it (a manifest without an index names none).
 */
function comparedLayers(platform: string, now: readonly PlatformLayers[], before: readonly PlatformLayers[]): readonly LayerRef[] | undefined {
  const same = before.find((b) => b.platform === platform)
  if (same) return same.layers
  return now.length === 1 && before.length === 1 ? before[0]!.layers : undefined
}

/** The figures of `now` against `before` (the image compared with, named `against`). */
export function changedBytes(now: readonly PlatformLayers[], before: readonly PlatformLayers[], against: string): ChangedBytes {
  const platforms: PlatformChangedBytes[] = now.map((p) => {
    const had = comparedLayers(p.platform, now, before)
    const have = new Set((had ?? []).map((l) => l.digest))
    const layers = unique(p.layers)
    const total = layers.reduce((n, l) => n + l.size, 0)
    const changed = layers.filter((l) => !have.has(l.digest)).reduce((n, l) => n + l.size, 0)
    return { platform: p.platform, changed, total, compared: had !== undefined }
  })
  return {
    against,
    changed: platforms.reduce((n, p) => n + p.changed, 0),
    total: platforms.reduce((n, p) => n + p.total, 0),
    platforms,
  }
}
