// The Actions-cache fallback on real BuildKit (the default builder: docker driver with the
// containerd image store): a build exports a `type=local` cache, it is saved through the real
// @actions/cache client to the loopback cache service, BuildKit's own cache is pruned (a
// fresh runner), and the restored directory makes the rebuild hit the cache.

import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startActionsCacheServer, type ActionsCacheServer } from '../__fixtures__/actions-cache-server.js'
import { BUSYBOX, pruneBuildCache, removeLocalImages, requireStack } from '../__fixtures__/stack.js'
import {
  actionsCachePlan,
  buildxLocalCacheArgs,
  finishLocalCache,
  restoreBuildCache,
  saveBuildCache,
  type ActionsCachePlan,
} from '../src/actions-cache/index.js'
import { BUILDKIT_CACHE_CONFIG_MAX, inspectBuilder, runBuild, type BuildSpec } from '../src/buildx/index.js'

let server: ActionsCacheServer
let work: string
/** The docker driver loads every result into the engine: name them, to remove them after. */
const LOCAL_REPO = `conda-image-action-e2e/actions-cache-${randomBytes(4).toString('hex')}`
const savedEnv: NodeJS.ProcessEnv = { ...process.env }
const log = { info: (m: string) => console.log(m), warning: (m: string) => console.warn(`warning: ${m}`) }

beforeAll(async () => {
  await requireStack()
  server = await startActionsCacheServer()
  work = mkdtempSync(path.join(tmpdir(), 'actions-cache-e2e-'))
  mkdirSync(path.join(work, 'workspace'))
  mkdirSync(path.join(work, 'context'))
  for (const v of ['ACTIONS_CACHE_URL', 'ACTIONS_CACHE_MODE']) delete process.env[v]
  Object.assign(process.env, server.env, {
    GITHUB_SERVER_URL: 'https://github.com',
    RUNNER_TEMP: path.join(work, 'runner-temp'),
    GITHUB_WORKSPACE: path.join(work, 'workspace'),
  })
}, 60_000)

afterAll(async () => {
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k]
  Object.assign(process.env, savedEnv)
  await server?.close()
  removeLocalImages(LOCAL_REPO)
  if (work) rmSync(work, { recursive: true, force: true })
}, 60_000)

describe('Actions cache with a BuildKit local cache', () => {
  test('the default builder can export a type=local cache (containerd image store)', async () => {
    const info = await inspectBuilder()
    // The same condition as registry cache export: docker driver needs the containerd store.
    expect(info.canExportCache).toBe(true)
  })

  test('save after a cold build; after a prune, the restored cache makes the rebuild hit', async () => {
    const nonce = randomBytes(8).toString('hex')
    const context = path.join(work, 'context')
    writeFileSync(
      path.join(context, 'Dockerfile'),
      [`FROM ${BUSYBOX}`, `RUN echo "nonce ${nonce}" > /a.txt`, 'RUN cat /a.txt /a.txt > /b.txt', 'COPY Dockerfile /Dockerfile.copy', ''].join('\n'),
    )
    const planOf = (revision: string): ActionsCachePlan =>
      actionsCachePlan({ kind: 'app', envHash: nonce.repeat(8), branch: 'pull/7', defaultBranch: 'main', platform: 'linux/amd64', revision })
    const spec = (p: ActionsCachePlan | undefined, name: string): BuildSpec => {
      const local = p ? buildxLocalCacheArgs(p.dir, 'max') : undefined
      return {
        context,
        dockerfile: path.join(context, 'Dockerfile'),
        tags: [`${LOCAL_REPO}:${name}`],
        buildArgs: [],
        labels: [],
        platforms: [],
        cacheFrom: local ? [local.cacheFrom] : [],
        cacheTo: local?.cacheTo,
        // Nothing is pushed; the image is loaded under a name removed after the test.
        output: 'load',
        metadataFile: path.join(work, `${name}.metadata.json`),
      }
    }

    // 1. A cold run: nothing to restore; the build exports the local cache, which is saved.
    const first = planOf('sha1')
    expect(first.dir.startsWith(path.join(work, 'runner-temp'))).toBe(true)
    expect((await restoreBuildCache(first, log)).hit).toBe('miss')
    const cold = await runBuild(spec(first, 'cold'), { log: () => undefined })
    expect(cold.cachedSteps).toBe(0)
    expect(cold.totalSteps).toBe(3)
    expect(cold.cacheExport).toBe('exported')
    const swapped = await finishLocalCache(first.dir, log)
    // the size of the real cache's config, found through index.json → image index → cache-config entry
    expect(swapped).toEqual({ exported: true, changed: true, configBytes: expect.any(Number) as number })
    expect(swapped.configBytes).toBeGreaterThan(100)
    expect(swapped.configBytes).toBeLessThan(BUILDKIT_CACHE_CONFIG_MAX)
    expect(await saveBuildCache(first, { changed: swapped.changed, maxBytes: 512 * 1024 * 1024 }, log)).toBe('saved')
    expect(server.entries()).toMatchObject([{ key: first.key, finalized: true }])

    // 2. A fresh runner: BuildKit's cache is gone, so without the Actions cache nothing hits.
    pruneBuildCache()
    const control = await runBuild(spec(undefined, 'control'), { log: () => undefined })
    expect(control.cachedSteps).toBe(0)
    pruneBuildCache()

    // 3. The next commit: its own key misses, the restore key brings the first run's cache back.
    const second = planOf('sha2')
    rmSync(second.dir, { recursive: true, force: true })
    expect(await restoreBuildCache(second, log)).toEqual({ hit: 'partial', matchedKey: first.key })
    const warm = await runBuild(spec(second, 'warm'), { log: () => undefined })
    expect(warm.cachedSteps).toBeGreaterThanOrEqual(1)
    expect(warm.cachedSteps).toBe(warm.totalSteps)

    // 4. The build added nothing new: the cache is not saved again.
    const again = await finishLocalCache(second.dir, log)
    expect(again).toMatchObject({ exported: true, changed: false })
    expect(await saveBuildCache(second, { changed: again.changed, maxBytes: 512 * 1024 * 1024 }, log)).toBe('skipped-unchanged')
    expect(server.entries()).toHaveLength(1)
  })
})
