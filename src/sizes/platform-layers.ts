// The layers (digest, compressed size) of each platform manifest of an image in a registry:
// what changed.ts compares. Reads manifests only (never a blob), through the registry client
// (its own bounds: sizes, shapes, redirects), in a walk bounded in depth and manifests read.

import type { ImageName } from '../image/reference.js'
import { isAttestation, platformString } from '../registry/client.js'
import { MAX_INDEX_DEPTH, MAX_MANIFESTS_WALKED, plausibleSize } from '../registry/plausible.js'
import type { PlatformLayers } from './changed-layers.js'

/** What the reader needs of the registry client. */
export interface ManifestSource {
  getManifest(name: ImageName, tagOrDigest: string): Promise<{ digest: string; manifest?: unknown } | undefined>
}

/** Layers one image manifest may list before the read gives up (containerd refuses more than 127). */
export const MAX_LAYERS = 1024

interface Desc {
  readonly digest?: unknown
  readonly size?: unknown
  readonly platform?: { os?: unknown; architecture?: unknown; variant?: unknown }
  readonly annotations?: Record<string, string>
}

function layersOf(m: { layers?: unknown }, at: string): PlatformLayers['layers'] {
  if (!Array.isArray(m.layers)) throw new Error(`${at} lists no layers`)
  if (m.layers.length > MAX_LAYERS) throw new Error(`${at} lists ${m.layers.length} layers, more than the ${MAX_LAYERS} read`)
  return (m.layers as Desc[]).map((l) => {
    if (typeof l?.digest !== 'string' || !plausibleSize(l.size)) throw new Error(`${at} lists a layer without a digest and a plausible size`)
    return { digest: l.digest, size: l.size }
  })
}

/** Every platform's layers of `ref` (attestation manifests left out); undefined when the image does not exist. */
export async function readPlatformLayers(src: ManifestSource, name: ImageName, ref: string): Promise<PlatformLayers[] | undefined> {
  const top = await src.getManifest(name, ref)
  if (!top) return undefined
  const out: PlatformLayers[] = []
  let read = 1
  const walk = async (m: { digest: string; manifest?: unknown }, platform: string, depth: number): Promise<void> => {
    const body = (m.manifest ?? {}) as { manifests?: unknown; layers?: unknown }
    const at = `${name.repository}@${m.digest}`
    if (!Array.isArray(body.manifests)) {
      out.push({ platform, layers: layersOf(body, at) })
      return
    }
    if (depth >= MAX_INDEX_DEPTH) throw new Error(`${at} nests image indexes more than ${MAX_INDEX_DEPTH} deep`)
    const children = (body.manifests as Desc[]).filter((d) => d && typeof d.digest === 'string' && !isAttestation(d as Parameters<typeof isAttestation>[0]))
    read += children.length
    if (read > MAX_MANIFESTS_WALKED) throw new Error(`${at} and the indexes under it list more than the ${MAX_MANIFESTS_WALKED} manifests read`)
    for (const d of children) {
      const child = await src.getManifest(name, d.digest as string)
      if (!child) throw new Error(`${name.repository}@${d.digest as string}, listed in ${at}, does not exist`)
      await walk(child, platformString(d.platform), depth + 1)
    }
  }
  await walk(top, 'unknown', 0)
  return out
}
