// What a registry answers is checked before it is believed (SECURITY.md, "What a registry can
// do"): sizes are whole numbers of bytes no blob or image could exceed, a manifest's shape
// agrees with its media type, and every walk over image indexes is bounded. Pure functions.

/** No blob (a layer, a config) is believed bigger than this: 1 TiB (registries cap layers far lower). */
export const MAX_BLOB_BYTES = 2 ** 40
/** No image (all its platforms) is believed bigger than this: 1 TiB. */
export const MAX_IMAGE_BYTES = 2 ** 40
/** Index → index → image: the deepest nesting read (BuildKit writes one level; a matrix merge, two). */
export const MAX_INDEX_DEPTH = 2
/** Manifests one index may list. */
export const MAX_INDEX_ENTRIES = 1024
/** Manifests one walk over an index and the indexes under it reads. */
export const MAX_MANIFESTS_WALKED = 256

/** A size in bytes a registry may say: a whole number from 0 to MAX_BLOB_BYTES. */
export function plausibleSize(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_BLOB_BYTES
}

/** config.size + the layers' sizes; undefined when one of them, or their sum, is implausible. */
export function manifestBytes(m: { config?: { size?: unknown }; layers?: unknown }): number | undefined {
  const layers = Array.isArray(m.layers) ? (m.layers as unknown[]) : []
  // A manifest without a config (none listed) counts nothing for it.
  const sizes = [...(m.config === undefined ? [] : [m.config?.size]), ...layers.map((l) => (l as { size?: unknown } | null)?.size)]
  let total = 0
  for (const s of sizes) {
    if (!plausibleSize(s)) return undefined
    total += s
  }
  return total <= MAX_IMAGE_BYTES ? total : undefined
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'])
const IMAGE_TYPES = new Set(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'])

/** Why a manifest's content contradicts its media type (the body's, else the Content-Type's); undefined when it does not. */
export function shapeFault(m: unknown, contentType = ''): string | undefined {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return 'is not a JSON object'
  const { mediaType, manifests, layers, config } = m as { mediaType?: unknown; manifests?: unknown; layers?: unknown; config?: unknown }
  if (mediaType !== undefined && typeof mediaType !== 'string') return 'has a mediaType that is not a string'
  const type = mediaType ?? contentType
  const listsManifests = manifests !== undefined
  const hasImageParts = layers !== undefined || config !== undefined
  if (listsManifests && !Array.isArray(manifests)) return 'has "manifests" that is not a list'
  if (layers !== undefined && !Array.isArray(layers)) return 'has "layers" that is not a list'
  if (listsManifests && hasImageParts) return 'is both an index (manifests) and an image (config, layers)'
  if (INDEX_TYPES.has(type) && !listsManifests) return `says it is an index (${type}) but lists no manifests`
  if (IMAGE_TYPES.has(type) && (listsManifests || config === undefined)) return `says it is an image manifest (${type}) but has no config`
  return undefined
}
