// The registry cache as BuildKit reads it back: what the report says when an import was
// refused, and whether an exported cache can be imported at all. Pure; the read of the pushed
// cache manifest is the build phase's (src/phases/build.ts).
//
// BuildKit reads a registry cache's config blob (the records and the layer chain, JSON) with a
// ceiling of 1 MiB (cache/remotecache/import.go, readBlob): a larger one is exported without
// complaint and refused at every import ("blob sha256:… is too large (1240118 > 1048576)"), so
// each later build silently runs without the cache. Raising the ceiling is an open upstream
// pull request (moby/buildkit#7126; see #3719, #4916). The config grows with the records the
// build graph makes: chained `COPY --link` steps multiply them (the bundled template's package
// layers are therefore plain COPY steps; templates/base.Dockerfile).

import type { CacheImportError } from './progress.js'

/** The largest cache config BuildKit imports from a registry, in bytes. */
export const BUILDKIT_CACHE_CONFIG_MAX = 1024 * 1024

/** Media type of BuildKit's cache config (the image manifest's config, or an index entry). */
export const CACHE_CONFIG_MEDIA_TYPE = 'application/vnd.buildkit.cacheconfig.v0'

/** The `ref` of a `--cache-to`/`--cache-from` value of type registry; undefined for any other type. */
export function registryCacheRef(value: string): string | undefined {
  const attrs = value.split(',')
  if (!attrs.includes('type=registry')) return undefined
  const ref = attrs.find((a) => a.startsWith('ref='))?.slice('ref='.length)
  return ref ? ref : undefined
}

/**
 * The size BuildKit will read of a registry cache's config, from the cache manifest: the
 * config of an image manifest (`image-manifest=true`) or the cache-config entry of an index;
 * undefined when the manifest names none or its size is not a whole number.
 */
export function cacheConfigBytes(manifest: unknown): number | undefined {
  if (typeof manifest !== 'object' || manifest === null) return undefined
  const m = manifest as { config?: unknown; manifests?: unknown }
  const candidates: unknown[] = [m.config, ...(Array.isArray(m.manifests) ? (m.manifests as unknown[]) : [])]
  for (const d of candidates) {
    if (typeof d !== 'object' || d === null) continue
    const { mediaType, size } = d as { mediaType?: unknown; size?: unknown }
    if (mediaType === CACHE_CONFIG_MEDIA_TYPE && typeof size === 'number' && Number.isSafeInteger(size) && size >= 0) return size
  }
  return undefined
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`
}

/**
 * The report's note on a cache config too large to import; undefined when it fits. `what`
 * names the cache (`the registry cache <ref>`, `the local cache saved to the Actions cache`).
 */
export function oversizeCacheNote(what: string, bytes: number): string | undefined {
  if (bytes <= BUILDKIT_CACHE_CONFIG_MAX) return undefined
  return (
    `${what} was exported with a ${mib(bytes)} cache config, over the 1 MiB BuildKit imports: ` +
    'later builds cannot use it and run every step again (fewer stages and fewer COPY --link steps make it smaller)'
  )
}

/**
 * The report's note on a cache BuildKit did not import (the build went on without it). A local
 * cache (BuildKit names it `local:<number>`) is the one the action keeps in the Actions cache.
 */
export function cacheImportNote(e: CacheImportError): string {
  const tooLarge = /\bis too large \(\d+ > \d+\)/.test(e.error)
  const what = /^local:/.test(e.ref) ? 'the local build cache (kept in the Actions cache)' : `the registry cache ${e.ref}`
  return `${what} was not imported (${e.error})${tooLarge ? ': BuildKit imports a cache config of at most 1 MiB' : ''}; the build went on without it`
}
