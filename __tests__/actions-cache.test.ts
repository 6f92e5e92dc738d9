// The Actions-cache fallback (docs/DESIGN.md §4.6): pure decisions, and save/restore round trips through
// the real @actions/cache client against a loopback implementation of the cache service.

import { BlockBlobClient } from '@azure/storage-blob'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { startActionsCacheServer, type ActionsCacheServer } from '../__fixtures__/actions-cache-server.js'
import { BUILDKIT_CACHE_CONFIG_MAX } from '../src/buildx/cache-config.js'
import {
  buildxLocalCacheArgs,
  cacheBranch,
  cacheKeys,
  finishLocalCache,
  localCacheConfigBytes,
  localCacheDigest,
  resolveCacheBackend,
  restoreBuildCache,
  saveBuildCache,
  type ActionsCachePlan,
  type CacheBackend,
  type CacheBackendContext,
  type CacheBackendInput,
} from '../src/actions-cache/index.js'

const ENV = 'a'.repeat(64)
const OTHER_ENV = 'b'.repeat(64)

describe('resolveCacheBackend', () => {
  const push: CacheBackendContext = { pullRequestFromFork: false, local: false, canPush: true }
  const fork: CacheBackendContext = { pullRequestFromFork: true, pullRequest: true, local: false, canPush: false }
  const samePrNoPush: CacheBackendContext = { pullRequestFromFork: false, pullRequest: true, local: false, canPush: false }
  const pushFalse: CacheBackendContext = { pullRequestFromFork: false, pullRequest: false, local: false, canPush: false }
  const local: CacheBackendContext = { pullRequestFromFork: false, local: true, canPush: false }
  test.each<[string, CacheBackendInput, CacheBackendContext, CacheBackend]>([
    ['auto, push run', '', push, 'registry'],
    ['auto, fork PR', '', fork, 'both'],
    ['auto, fork PR without pullRequest flag', '', { pullRequestFromFork: true, local: false, canPush: false }, 'both'],
    ['auto, same-repo PR that cannot push', '', samePrNoPush, 'both'],
    ['auto, push: false outside a PR', '', pushFalse, 'registry'],
    ['auto, local engine store', '', local, 'actions'],
    ['explicit registry on a fork PR', 'registry', fork, 'registry'],
    ['explicit actions', 'actions', push, 'actions'],
    ['explicit both', 'both', push, 'both'],
    ['explicit both without a registry', 'both', local, 'actions'],
  ])('%s → %s', (_name, input, ctx, expected) => {
    expect(resolveCacheBackend(input, ctx)).toBe(expected)
  })
})

describe('cacheKeys', () => {
  const p = 'conda-image-action-buildkit-v1'
  test('key and restore keys: same env on this branch, the default branch, any branch, then any env', () => {
    expect(cacheKeys({ kind: 'base', envHash: ENV, branch: 'pull/7', defaultBranch: 'main', platform: 'linux/amd64', revision: 'abc123' })).toEqual({
      key: `${p}-base-linux-amd64-aaaaaaaaaaaaaaaa-pull/7:abc123`,
      restoreKeys: [
        `${p}-base-linux-amd64-aaaaaaaaaaaaaaaa-pull/7:`,
        `${p}-base-linux-amd64-aaaaaaaaaaaaaaaa-main:`,
        `${p}-base-linux-amd64-aaaaaaaaaaaaaaaa-`,
        `${p}-base-linux-amd64-`,
      ],
    })
  })

  test.each([
    ['on the default branch itself', { branch: 'main', defaultBranch: 'main' }, 3],
    ['without a default branch', { branch: 'feature/x' }, 3],
    ['on another branch', { branch: 'feature/x', defaultBranch: 'main' }, 4],
  ])('%s: %i restore keys', (_name, b, n) => {
    expect(cacheKeys({ kind: 'app', envHash: ENV, platform: 'linux/amd64', ...b }).restoreKeys).toHaveLength(n)
  })

  test.each([
    ['multi-platform, no commas', { platform: 'linux/amd64, linux/arm64' }, `${p}-app-linux-amd64+linux-arm64-aaaaaaaaaaaaaaaa-main:latest`],
    ['refs/heads/ is dropped', { branch: 'refs/heads/main' }, `${p}-app-linux-amd64-aaaaaaaaaaaaaaaa-main:latest`],
    ['commas and spaces in a branch', { branch: 'a,b c' }, `${p}-app-linux-amd64-aaaaaaaaaaaaaaaa-a_b_c:latest`],
    ['a revision', { revision: 'deadbeef' }, `${p}-app-linux-amd64-aaaaaaaaaaaaaaaa-main:deadbeef`],
  ])('%s', (_name, over, key) => {
    const k = cacheKeys({ kind: 'app', envHash: ENV, branch: 'main', platform: 'linux/amd64', ...over })
    expect(k.key).toBe(key)
    for (const x of [k.key, ...k.restoreKeys]) expect(x).not.toMatch(/,/)
  })

  test('a branch is not a prefix of a longer one', () => {
    const main = cacheKeys({ kind: 'base', envHash: ENV, branch: 'main', platform: 'linux/amd64' })
    const mainly = cacheKeys({ kind: 'base', envHash: ENV, branch: 'main-2', platform: 'linux/amd64', revision: 'x' })
    expect(mainly.key.startsWith(main.restoreKeys[0]!)).toBe(false)
  })

  test('keys stay within 512 characters', () => {
    const k = cacheKeys({ kind: 'base', envHash: ENV, branch: 'b'.repeat(600), platform: 'linux/amd64' })
    expect(k.key.length).toBeLessThanOrEqual(512)
  })
})

describe('small helpers', () => {
  test('buildxLocalCacheArgs exports beside the restored directory', () => {
    expect(buildxLocalCacheArgs('/tmp/c/base', 'max')).toEqual({ cacheFrom: 'type=local,src=/tmp/c/base', cacheTo: 'type=local,dest=/tmp/c/base.new,mode=max' })
    expect(buildxLocalCacheArgs('/tmp/c/app', 'min').cacheTo).toBe('type=local,dest=/tmp/c/app.new,mode=min')
    expect(() => buildxLocalCacheArgs('/tmp/a,b', 'max')).toThrow(/commas/)
  })

  test.each<[NodeJS.ProcessEnv, number | undefined, string]>([
    [{ GITHUB_REF_NAME: 'main' }, undefined, 'main'],
    [{ GITHUB_REF: 'refs/heads/feature/x' }, undefined, 'feature/x'],
    [{ GITHUB_REF_NAME: '7/merge' }, 7, 'pull/7'],
    [{}, undefined, 'local'],
  ])('cacheBranch(%j, %j) → %s', (env, pr, expected) => {
    expect(cacheBranch(env, pr)).toBe(expected)
  })
})

/** A directory shaped like a BuildKit local cache export. */
function fakeBuildkitCache(dir: string, manifestDigest: string, blobBytes = 1000): void {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true })
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: manifestDigest, size: 10 }] }),
  )
  writeFileSync(path.join(dir, 'blobs', 'sha256', manifestDigest.slice(7)), Buffer.alloc(blobBytes, 7))
}

const digest = (c: string): string => `sha256:${c.repeat(64)}`

describe('save and restore through @actions/cache against the loopback cache service', () => {
  let server: ActionsCacheServer
  let tmp: string
  const saved: NodeJS.ProcessEnv = { ...process.env }
  const logs: string[] = []
  const log = { info: (m: string) => logs.push(`info: ${m}`), warning: (m: string) => logs.push(`warning: ${m}`) }
  const SERVICE_VARS = ['ACTIONS_CACHE_SERVICE_V2', 'ACTIONS_RESULTS_URL', 'ACTIONS_CACHE_URL', 'ACTIONS_RUNTIME_TOKEN', 'ACTIONS_CACHE_MODE', 'GITHUB_ACTIONS']

  beforeAll(async () => {
    server = await startActionsCacheServer()
  })
  afterAll(async () => {
    await server.close()
  })
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'actions-cache-test-'))
    for (const v of SERVICE_VARS) delete process.env[v]
    Object.assign(process.env, server.env, {
      GITHUB_SERVER_URL: 'https://github.com',
      RUNNER_TEMP: path.join(tmp, 'runner-temp'),
      GITHUB_WORKSPACE: path.join(tmp, 'workspace'),
    })
    mkdirSync(path.join(tmp, 'workspace'))
    logs.length = 0
  })
  afterEach(async () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
    rmSync(tmp, { recursive: true, force: true })
    await server.clear()
  })

  function plan(over: Partial<Parameters<typeof cacheKeys>[0]> = {}): ActionsCachePlan {
    return {
      ...cacheKeys({ kind: 'base', envHash: ENV, branch: 'main', defaultBranch: 'main', platform: 'linux/amd64', revision: 'r1', ...over }),
      dir: path.join(tmp, 'cache', 'base'),
    }
  }

  test('save, then restore by exact key, by prefix, and miss', async () => {
    const p1 = plan()
    fakeBuildkitCache(p1.dir, digest('1'))
    expect(await saveBuildCache(p1, { changed: true, maxBytes: 1e9 }, log)).toBe('saved')
    expect(server.entries()).toMatchObject([{ key: p1.key, finalized: true }])
    expect(server.requests.map((r) => r.op)).toEqual(expect.arrayContaining(['CreateCacheEntry', 'blob-put', 'FinalizeCacheEntryUpload']))

    // Exact: the directory is emptied, then restored with the same content.
    writeFileSync(path.join(p1.dir, 'stray'), 'x')
    expect(await restoreBuildCache(p1, log)).toEqual({ hit: 'exact', matchedKey: p1.key })
    expect(await localCacheDigest(p1.dir)).toBe(digest('1'))
    expect(readFileSync(path.join(p1.dir, 'blobs', 'sha256', '1'.repeat(64))).length).toBe(1000)
    expect(() => readFileSync(path.join(p1.dir, 'stray'))).toThrow()

    // A later commit of a pull request: its own key misses, the default branch's entry matches by prefix.
    const pr = plan({ branch: 'pull/7', revision: 'r2' })
    expect(await restoreBuildCache(pr, log)).toEqual({ hit: 'partial', matchedKey: p1.key })
    expect(await localCacheDigest(pr.dir)).toBe(digest('1'))

    // Another environment still finds this kind's newest entry as the last resort...
    expect((await restoreBuildCache(plan({ envHash: OTHER_ENV }), log)).hit).toBe('partial')
    // ...but nothing of another kind or platform.
    expect(await restoreBuildCache({ ...plan({ kind: 'app' }), dir: path.join(tmp, 'cache', 'app') }, log)).toEqual({ hit: 'miss' })
    expect((await restoreBuildCache(plan({ platform: 'linux/arm64' }), log)).hit).toBe('miss')
  })

  test('restore keys prefer the newest entry of the same environment and branch', async () => {
    const a = plan({ branch: 'main', revision: 'r1' })
    fakeBuildkitCache(a.dir, digest('1'))
    expect(await saveBuildCache(a, { changed: true, maxBytes: 1e9 }, log)).toBe('saved')
    const b = plan({ branch: 'main', revision: 'r2' })
    fakeBuildkitCache(b.dir, digest('2'))
    expect(await saveBuildCache(b, { changed: true, maxBytes: 1e9 }, log)).toBe('saved')
    const pr = plan({ branch: 'pull/9', revision: 'r3' })
    fakeBuildkitCache(pr.dir, digest('3'))
    expect(await saveBuildCache(pr, { changed: true, maxBytes: 1e9 }, log)).toBe('saved')

    expect(await restoreBuildCache(plan({ branch: 'main', revision: 'r4' }), log)).toEqual({ hit: 'partial', matchedKey: b.key })
    expect(await localCacheDigest(plan().dir)).toBe(digest('2'))
    expect((await restoreBuildCache(plan({ branch: 'pull/9', revision: 'r5' }), log)).matchedKey).toBe(pr.key)
  })

  test('a second save under the same key is reported as exists', async () => {
    const p = plan()
    fakeBuildkitCache(p.dir, digest('1'))
    expect(await saveBuildCache(p, { changed: true, maxBytes: 1e9 }, log)).toBe('saved')
    expect(await saveBuildCache(p, { changed: true, maxBytes: 1e9 }, log)).toBe('exists')
    expect(server.entries()).toHaveLength(1)
  })

  test('nothing is saved when the build changed nothing, or the cache is over the size cap', async () => {
    const p = plan()
    fakeBuildkitCache(p.dir, digest('1'), 5000)
    expect(await saveBuildCache(p, { changed: false, maxBytes: 1e9 }, log)).toBe('skipped-unchanged')
    expect(await saveBuildCache(p, { changed: true, maxBytes: 4000 }, log)).toBe('skipped-too-large')
    expect(logs.join('\n')).toMatch(/over actions-cache-max-size/)
    expect(server.entries()).toEqual([])
    expect(server.requests.filter((r) => r.op === 'CreateCacheEntry')).toEqual([])
  })

  test('an unavailable service: restore and save say so and never throw', async () => {
    for (const v of SERVICE_VARS) delete process.env[v]
    const p = plan()
    fakeBuildkitCache(p.dir, digest('1'))
    expect(await restoreBuildCache(p, log)).toEqual({ hit: 'unavailable' })
    expect(logs.join('\n')).toMatch(/info: Actions cache not used: not running on GitHub Actions/)
    fakeBuildkitCache(p.dir, digest('1'))
    expect(await saveBuildCache(p, { changed: true, maxBytes: 1e9 }, log)).toBe('unavailable')

    process.env.GITHUB_ACTIONS = 'true'
    logs.length = 0
    expect((await restoreBuildCache(p, log)).hit).toBe('unavailable')
    expect(logs.join('\n')).toMatch(/warning: Actions cache not used: the Actions cache service is not available on this runner/)
  })

  test('a read-only cache mode restores but does not save', async () => {
    const p = plan()
    fakeBuildkitCache(p.dir, digest('1'))
    expect(await saveBuildCache(p, { changed: true, maxBytes: 1e9 }, log)).toBe('saved')
    process.env.ACTIONS_CACHE_MODE = 'read'
    expect((await restoreBuildCache(p, log)).hit).toBe('exact')
    expect(await saveBuildCache(plan({ revision: 'r2' }), { changed: true, maxBytes: 1e9 }, log)).toBe('unavailable')
    expect(server.entries()).toHaveLength(1)
  })

  test('a service that fails is a miss / failed save, not an exception', async () => {
    process.env.ACTIONS_RESULTS_URL = 'http://127.0.0.1:1/'
    const p = plan()
    fakeBuildkitCache(p.dir, digest('1'))
    // No retries against a closed port: NetworkError is thrown at once.
    expect(await saveBuildCache(p, { changed: true, maxBytes: 1e9 }, log)).toBe('failed')
    expect((await restoreBuildCache(p, log)).hit).toBe('miss')
  })

  test('the legacy v1 service (GHES, ACTIONS_CACHE_URL) round-trips too', async () => {
    for (const v of SERVICE_VARS) delete process.env[v]
    Object.assign(process.env, server.envV1)
    const p = plan()
    fakeBuildkitCache(p.dir, digest('1'), 3000)
    expect(await saveBuildCache(p, { changed: true, maxBytes: 1e9 }, log)).toBe('saved')
    expect(server.requests.map((r) => r.op)).toEqual(expect.arrayContaining(['v1-reserve', 'v1-chunk', 'v1-commit']))
    expect(await restoreBuildCache(plan({ revision: 'r9' }), log)).toEqual({ hit: 'partial', matchedKey: p.key })
    expect(await localCacheDigest(p.dir)).toBe(digest('1'))
  })

  test('finishLocalCache swaps the export in and compares the index digests', async () => {
    const dir = path.join(tmp, 'cache', 'base')
    // Nothing restored, something exported: changed.
    fakeBuildkitCache(`${dir}.new`, digest('1'))
    expect(await finishLocalCache(dir, log)).toEqual({ exported: true, changed: true })
    expect(await localCacheDigest(dir)).toBe(digest('1'))
    // Same export again: unchanged.
    fakeBuildkitCache(`${dir}.new`, digest('1'))
    expect(await finishLocalCache(dir, log)).toEqual({ exported: true, changed: false })
    // A different export: changed, and the old one is gone.
    fakeBuildkitCache(`${dir}.new`, digest('2'))
    expect(await finishLocalCache(dir, log)).toEqual({ exported: true, changed: true })
    expect(await localCacheDigest(dir)).toBe(digest('2'))
    // No export: the restored cache stays.
    expect(await finishLocalCache(dir, log)).toEqual({ exported: false, changed: false })
    expect(await localCacheDigest(dir)).toBe(digest('2'))
  })
})

const sha = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`
/** Writes a local cache as BuildKit exports it, its config with `records` and `created` as every creation time; returns the config's size. */
function writeCache(dir: string, records: string[], created: string): number {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true })
  const blob = (text: string) => {
    const d = sha(text)
    writeFileSync(path.join(dir, 'blobs', 'sha256', d.slice(7)), text)
    return d
  }
  const layer = blob('layer bytes')
  const config = JSON.stringify({
    layers: [{ blob: layer, parent: -1, annotations: { 'buildkit/createdat': created, size: 11 } }],
    records: records.map((r) => ({ digest: sha(r), results: [{ layer: 0, createdAt: created }] })),
  })
  const configDigest = blob(config)
  const inner = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: 11 },
      { mediaType: 'application/vnd.buildkit.cacheconfig.v0', digest: configDigest, size: config.length },
    ],
  })
  const innerDigest = blob(inner)
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: innerDigest }] }),
  )
  return config.length
}

describe('a BuildKit local cache as the cache export writes it (index → image index → cache config)', () => {
  test('creation times restated by a re-export are not a change; another record is', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'localcache-'))
    try {
      const dir = path.join(tmp, 'cache')
      writeCache(`${dir}.new`, ['step a', 'step b'], '2026-12-06T10:00:00Z')
      expect(await finishLocalCache(dir)).toEqual({ exported: true, changed: true, configBytes: expect.any(Number) as number })
      // The same records, every creation time restated (another config blob, another index)
      writeCache(`${dir}.new`, ['step a', 'step b'], '2026-12-06T11:30:00Z')
      expect(await finishLocalCache(dir)).toMatchObject({ exported: true, changed: false })
      // One more record
      writeCache(`${dir}.new`, ['step a', 'step b', 'step c'], '2026-12-06T11:30:00Z')
      expect(await finishLocalCache(dir)).toMatchObject({ exported: true, changed: true })
      expect(await localCacheDigest(dir)).toMatch(/^config:/)
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  })
})

describe('the size of an exported local cache config (BuildKit imports at most 1 MiB of it)', () => {
  test('finishLocalCache reads it from index.json → the image index → its cache-config entry', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'localcache-size-'))
    try {
      const dir = path.join(tmp, 'cache')
      const small = writeCache(`${dir}.new`, ['step a'], '2026-12-06T10:00:00Z')
      expect(await finishLocalCache(dir)).toEqual({ exported: true, changed: true, configBytes: small })
      const large = writeCache(
        `${dir}.new`,
        Array.from({ length: 8_000 }, (_, i) => `step ${i}`),
        '2026-12-06T10:00:00Z',
      )
      expect(large).toBeGreaterThan(BUILDKIT_CACHE_CONFIG_MAX)
      expect((await finishLocalCache(dir)).configBytes).toBe(large)
      expect(localCacheConfigBytes(dir)).toBe(large)
      // no index: unknown, never a throw
      rmSync(path.join(dir, 'index.json'))
      expect(localCacheConfigBytes(dir)).toBeUndefined()
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  })
})

describe('the loopback blob endpoint speaks the block protocol of @azure/storage-blob', () => {
  test('staged blocks + block list, then a ranged download', async () => {
    const server = await startActionsCacheServer({ token: 't' })
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'actions-cache-blocks-'))
    try {
      const create = await fetch(`${server.url}/twirp/github.actions.results.api.v1.CacheService/CreateCacheEntry`, {
        method: 'POST',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
        body: JSON.stringify({ key: 'k', version: 'v' }),
      })
      const { signed_upload_url: uploadUrl } = (await create.json()) as { signed_upload_url: string }
      const file = path.join(tmp, 'archive')
      const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251))
      writeFileSync(file, data)
      // The same SDK call @actions/cache makes, with thresholds small enough to force blocks.
      await new BlockBlobClient(uploadUrl).uploadFile(file, { blockSize: 64 * 1024, maxSingleShotSize: 1024, concurrency: 3 })
      expect(server.requests.filter((r) => r.op === 'blob-block').length).toBe(5)
      expect(server.requests.filter((r) => r.op === 'blob-blocklist').length).toBe(1)

      const fin = await fetch(`${server.url}/twirp/github.actions.results.api.v1.CacheService/FinalizeCacheEntryUpload`, {
        method: 'POST',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
        body: JSON.stringify({ key: 'k', version: 'v', size_bytes: String(data.length) }),
      })
      expect(await fin.json()).toEqual({ ok: true, entry_id: '1' })
      const get = await fetch(`${server.url}/twirp/github.actions.results.api.v1.CacheService/GetCacheEntryDownloadURL`, {
        method: 'POST',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
        body: JSON.stringify({ key: 'nope', restore_keys: ['k'], version: 'v' }),
      })
      const found = (await get.json()) as { ok: boolean; signed_download_url: string; matched_key: string }
      expect(found).toMatchObject({ ok: true, matched_key: 'k' })
      const ranged = await fetch(found.signed_download_url, { headers: { range: 'bytes=1000-1999' } })
      expect(ranged.status).toBe(206)
      expect(Buffer.from(await ranged.arrayBuffer())).toEqual(data.subarray(1000, 2000))
      const whole = await new BlockBlobClient(found.signed_download_url).downloadToBuffer(0, undefined, { blockSize: 100_000, concurrency: 2 })
      expect(whole.equals(data)).toBe(true)
    } finally {
      await server.close()
      rmSync(tmp, { recursive: true, force: true })
    }
  })
})
