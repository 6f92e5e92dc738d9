// The registry cache as BuildKit reads it back (src/buildx/cache-config.ts): the cache config's
// size from the cache manifest, the 1 MiB BuildKit imports, and what the report says.

import { describe, expect, it } from 'vitest'
import {
  BUILDKIT_CACHE_CONFIG_MAX,
  CACHE_CONFIG_MEDIA_TYPE,
  cacheConfigBytes,
  cacheImportNote,
  oversizeCacheNote,
  registryCacheRef,
} from '../src/buildx/cache-config.js'
import { cacheToValue } from '../src/buildx/index.js'

const DIGEST = `sha256:${'a'.repeat(64)}`

describe('registryCacheRef', () => {
  it.each([
    [cacheToValue('ghcr.io/acme/model:buildcache', 'max'), 'ghcr.io/acme/model:buildcache'],
    ['type=registry,ref=127.0.0.1:5000/x:c', '127.0.0.1:5000/x:c'],
    ['ref=r/x:c,type=registry,mode=min', 'r/x:c'],
    ['type=local,dest=/tmp/cache.new,mode=max', undefined],
    ['type=gha,scope=x', undefined],
    ['type=registry', undefined],
    ['type=registry,ref=', undefined],
  ])('%s → %s', (value, ref) => {
    expect(registryCacheRef(value)).toBe(ref)
  })
})

describe('cacheConfigBytes', () => {
  it.each([
    ['an image manifest (image-manifest=true)', { config: { mediaType: CACHE_CONFIG_MEDIA_TYPE, digest: DIGEST, size: 1_240_118 }, layers: [] }, 1_240_118],
    [
      'an index (image-manifest=false): its cache-config entry',
      {
        manifests: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 9 },
          { mediaType: CACHE_CONFIG_MEDIA_TYPE, size: 2048 },
        ],
      },
      2048,
    ],
    ['an image, not a cache', { config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: 1500 } }, undefined],
    ['a size that is no whole number', { config: { mediaType: CACHE_CONFIG_MEDIA_TYPE, size: 1.5 } }, undefined],
    ['a negative size', { config: { mediaType: CACHE_CONFIG_MEDIA_TYPE, size: -1 } }, undefined],
    ['a size as a string', { config: { mediaType: CACHE_CONFIG_MEDIA_TYPE, size: '2048' } }, undefined],
    ['nothing', undefined, undefined],
    ['not an object', 'x', undefined],
  ])('%s', (_, manifest, bytes) => {
    expect(cacheConfigBytes(manifest)).toBe(bytes)
  })
})

describe('oversizeCacheNote', () => {
  it('says nothing up to 1 MiB, and from one byte more says the cache cannot be imported, with its size', () => {
    expect(oversizeCacheNote('the registry cache r/x:c', BUILDKIT_CACHE_CONFIG_MAX)).toBeUndefined()
    expect(oversizeCacheNote('the registry cache r/x:c', 25_000)).toBeUndefined()
    expect(oversizeCacheNote('the registry cache r/x:c', BUILDKIT_CACHE_CONFIG_MAX + 1)).toMatch(
      /^the registry cache r\/x:c was exported with a 1\.00 MiB cache config, over the 1 MiB BuildKit imports: later builds cannot use it/,
    )
    expect(oversizeCacheNote('the registry cache r/x:c', 1_424_198)).toContain('a 1.36 MiB cache config')
  })
})

describe('cacheImportNote', () => {
  it('names the ref and BuildKit’s error; explains the 1 MiB limit when that was the reason', () => {
    expect(cacheImportNote({ ref: 'r/x:c', error: 'blob sha256:ab is too large (1240118 > 1048576)' })).toBe(
      'the registry cache r/x:c was not imported (blob sha256:ab is too large (1240118 > 1048576)): BuildKit imports a cache config of at most 1 MiB; the build went on without it',
    )
    expect(cacheImportNote({ ref: 'r/x:c', error: '403 Forbidden' })).toBe(
      'the registry cache r/x:c was not imported (403 Forbidden); the build went on without it',
    )
    // BuildKit's name of a local cache (the one restored from the Actions cache) says nothing to a reader
    expect(cacheImportNote({ ref: 'local:17093952026628179636', error: 'blob sha256:51 is too large (1218027 > 1048576)' })).toBe(
      'the local build cache (kept in the Actions cache) was not imported (blob sha256:51 is too large (1218027 > 1048576)): BuildKit imports a cache config of at most 1 MiB; the build went on without it',
    )
  })
})
