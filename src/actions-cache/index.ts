// A second build cache through the GitHub Actions cache service (docs/DESIGN.md §4.6): a BuildKit
// `type=local` cache directory, restored with `@actions/cache` before a build and saved after
// it. It keeps pull requests that cannot write to the registry (forks) and runs without a
// registry (the local engine store) warm.
//
// Life of one build's cache:
//   restoreBuildCache(plan)        → <dir> holds the newest matching cache (or nothing)
//   buildxLocalCacheArgs(dir, mode) → --cache-from type=local,src=<dir>
//                                     --cache-to   type=local,dest=<dir>.new,mode=…
//   finishLocalCache(dir)          → <dir>.new replaces <dir>; `changed` when what it holds differs
//   saveBuildCache(plan, {changed}) → uploaded only when changed and not too large
// Exporting into a fresh directory and swapping keeps the cache to what this build used, so
// it does not grow with every run.
//
// Nothing here throws: the cache is an optimisation, so every failure becomes a status (and
// a warning) and the build goes on.

import type * as ActionsCache from '@actions/cache'

/**
 * `@actions/cache` (and the Azure SDK behind it) is more than half of the bundle; loaded
 * on demand, only runs that use the Actions cache pay ~150 ms for it.
 */
let cacheModule: Promise<typeof ActionsCache> | undefined
function actionsCache(): Promise<typeof ActionsCache> {
  cacheModule ??= import('@actions/cache')
  return cacheModule
}
import { existsSync } from 'node:fs'
import { lstat, readdir, rename, rm } from 'node:fs/promises'
import os from 'node:os'
import { readFileBoundedSync } from '../fs/confined.js'
import { CACHE_CONFIG_MEDIA_TYPE, cacheConfigBytes } from '../buildx/cache-config.js'
import path from 'node:path'
import type { CacheBackend, CacheBackendChoice } from '../vocabulary/constants.js'
import type { Log } from '../runner/log.js'

export type { CacheBackend } from '../vocabulary/constants.js'
/** The `cache-backend` input: a backend, or empty for "decided per run". */
export type CacheBackendInput = CacheBackendChoice

export interface CacheBackendContext {
  /** The event is a pull request whose head is a fork (read-only token). */
  readonly pullRequestFromFork: boolean
  /** The event is a pull request at all (fork or not). Default: `pullRequestFromFork`. */
  readonly pullRequest?: boolean
  /** `image` names no registry: the local Docker engine is the store. */
  readonly local: boolean
  /** This run pushes (and may export registry cache). */
  readonly canPush: boolean
}

/** First part of every key this action writes; bump `v1` when the layout changes. */
export const CACHE_KEY_PREFIX = 'conda-image-action-buildkit-v1'

/**
 * Which build caches a run uses. Explicit inputs are honoured, except that `both` without a
 * registry (the local engine store) can only be `actions`. Empty (auto): `actions` for the
 * local engine store, `both` for pull requests that cannot push (registry cache is still
 * imported, the Actions cache carries what they build), `registry` otherwise. Pure.
 */
export function resolveCacheBackend(input: CacheBackendInput, ctx: CacheBackendContext): CacheBackend {
  if (input === 'registry' || input === 'actions') return input
  if (input === 'both') return ctx.local ? 'actions' : 'both'
  if (ctx.local) return 'actions'
  const pullRequest = ctx.pullRequest ?? ctx.pullRequestFromFork
  if (ctx.pullRequestFromFork || (pullRequest && !ctx.canPush)) return 'both'
  return 'registry'
}

export interface ActionsCachePlan {
  /** The key this run saves under. */
  readonly key: string
  /** Tried in order when `key` itself is not found (each as an exact key, then as a prefix, newest first). */
  readonly restoreKeys: string[]
  /**
   * The BuildKit cache directory. It must be the same path in every run: `@actions/cache`
   * restores to the saved path and makes the path part of the entry's version.
   */
  readonly dir: string
}

export interface CacheKeyArgs {
  kind: 'base' | 'app'
  /** Full environment hash (the first 16 hex digits go into the key). */
  envHash: string
  /** Branch of this run (see `cacheBranch`). */
  branch: string
  /** The repository's default branch, tried after this branch. */
  defaultBranch?: string
  /** Target platform(s), e.g. `linux/amd64` or `linux/amd64,linux/arm64`. */
  platform: string
  /**
   * Makes each run's entry distinct (e.g. the commit SHA), so a branch's cache can move on
   * (entries are immutable). Empty: one entry per environment and branch.
   */
  revision?: string
}

/**
 * Keys of a build cache: `<prefix>-<kind>-<platform>-<env16>-<branch>:<revision>`. Git
 * forbids `:` in branch names, so `…-<branch>:` is a prefix of that branch's entries only.
 * Restore keys, in order: this environment on this branch, on the default branch, on any
 * branch; then any environment of this kind and platform (BuildKit reuses whatever layers
 * match, e.g. the stages before the environment is installed). On GitHub, entries visible
 * to a pull request are those of its own ref, its base branch and the default branch. Pure.
 */
export function cacheKeys(args: CacheKeyArgs): { key: string; restoreKeys: string[] } {
  const kindPrefix = `${CACHE_KEY_PREFIX}-${args.kind}-${platformSlug(args.platform)}-`
  const envPrefix = `${kindPrefix}${args.envHash.slice(0, 16)}-`
  const branch = branchSlug(args.branch)
  const key = `${envPrefix}${branch}:${keySafe(args.revision ?? '') || 'latest'}`
  const restoreKeys = [`${envPrefix}${branch}:`]
  if (args.defaultBranch && branchSlug(args.defaultBranch) !== branch) restoreKeys.push(`${envPrefix}${branchSlug(args.defaultBranch)}:`)
  restoreKeys.push(envPrefix, kindPrefix)
  return { key: truncateKey(key), restoreKeys: restoreKeys.map(truncateKey) }
}

/** `linux/amd64,linux/arm64` → `linux-amd64+linux-arm64`. */
function platformSlug(platform: string): string {
  const parts = platform
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
  return keySafe(parts.join('+').replace(/\//g, '-')) || 'default'
}

function branchSlug(branch: string): string {
  return keySafe(branch.replace(/^refs\/heads\//, '')) || 'unknown'
}

/** Cache keys must not contain commas; whitespace and `:` would confuse the layout. */
function keySafe(s: string): string {
  return s.trim().replace(/[,:\s]/g, '_')
}

/** Keys are limited to 512 characters. */
function truncateKey(key: string): string {
  return key.length <= 512 ? key : key.slice(0, 512)
}

/**
 * The branch a run's cache belongs to: `pull/<n>` for pull requests (a fork's `main` is not
 * the repository's `main`), else the branch or tag name of the ref. Pure over `env`.
 */
export function cacheBranch(env: NodeJS.ProcessEnv, pullRequestNumber?: number): string {
  if (pullRequestNumber !== undefined && pullRequestNumber > 0) return `pull/${pullRequestNumber}`
  const name = env.GITHUB_REF_NAME || (env.GITHUB_REF ?? '').replace(/^refs\/(heads|tags)\//, '')
  return name || 'local'
}

/**
 * The cache directory of a build kind: under `RUNNER_TEMP` (stable between runs on GitHub
 * runners and emptied after each job), else the OS temp directory. Pure over `env`.
 */
export function cacheDir(kind: 'base' | 'app', env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.RUNNER_TEMP || os.tmpdir(), 'conda-image-action-buildkit-cache', kind)
}

/** Everything a build needs to use the Actions cache. Pure over `env`. */
export function actionsCachePlan(args: CacheKeyArgs, env: NodeJS.ProcessEnv = process.env): ActionsCachePlan {
  return { ...cacheKeys(args), dir: cacheDir(args.kind, env) }
}

/**
 * `--cache-from` / `--cache-to` values for a local cache directory. The export goes to
 * `<dir>.new`, which `finishLocalCache` swaps in. Pure.
 */
export function buildxLocalCacheArgs(dir: string, mode: 'min' | 'max'): { cacheFrom: string; cacheTo: string } {
  // buildx splits these values on commas (CSV): a comma in the path would break them.
  if (dir.includes(',') || dir.includes('"')) throw new Error(`the build cache directory must not contain commas or quotes: ${dir}`)
  return { cacheFrom: `type=local,src=${dir}`, cacheTo: `type=local,dest=${newDir(dir)},mode=${mode}` }
}

function newDir(dir: string): string {
  return `${dir}.new`
}

export type CacheLog = Pick<Log, 'info' | 'warning'>

export type RestoreResult = { hit: 'exact' | 'partial'; matchedKey: string } | { hit: 'miss' | 'unavailable'; matchedKey?: undefined }

/**
 * Why the Actions cache cannot be used here, or undefined when it can: no cache service
 * (outside GitHub Actions, or GHES without it) or no runtime token. Without any cache
 * service URL the answer needs no @actions/cache (so it is not loaded); otherwise its own
 * check decides (it reads `process.env`; `env` only words the message).
 */
export async function unavailableReason(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const noService = (!env.ACTIONS_CACHE_URL && !env.ACTIONS_RESULTS_URL) || !(await actionsCache()).isFeatureAvailable()
  if (noService) {
    return env.GITHUB_ACTIONS === 'true'
      ? 'the Actions cache service is not available on this runner (GitHub Enterprise Server without it?)'
      : 'not running on GitHub Actions: there is no Actions cache service'
  }
  if (!env.ACTIONS_RUNTIME_TOKEN) return 'ACTIONS_RUNTIME_TOKEN is not set, so the Actions cache service cannot be used'
  return undefined
}

/**
 * Restores the newest matching cache into `plan.dir` (emptied first, as is `<dir>.new`).
 * Never throws: an unavailable service is `unavailable` (a warning on GitHub Actions runners,
 * an info line elsewhere), a failed download a `miss` (@actions/cache warns).
 */
export async function restoreBuildCache(plan: ActionsCachePlan, log: CacheLog): Promise<RestoreResult> {
  try {
    await rm(plan.dir, { recursive: true, force: true })
    await rm(newDir(plan.dir), { recursive: true, force: true })
    const why = await unavailableReason()
    if (why) {
      // On a runner (GHES, a service outage) this is worth a warning; elsewhere (local runs,
      // other CI) there simply is no Actions cache.
      if (process.env.GITHUB_ACTIONS === 'true') log.warning(`Actions cache not used: ${why}`)
      else log.info(`Actions cache not used: ${why}`)
      return { hit: 'unavailable' }
    }
    if (!isCacheModeReadable()) {
      log.info(`Actions cache not restored: ACTIONS_CACHE_MODE=${process.env.ACTIONS_CACHE_MODE ?? ''} does not permit reads`)
      return { hit: 'unavailable' }
    }
    const matched = await (await actionsCache()).restoreCache([plan.dir], plan.key, plan.restoreKeys)
    if (matched === undefined) {
      log.info(`Actions cache: no entry for ${plan.key} or its restore keys`)
      return { hit: 'miss' }
    }
    if (!existsSync(path.join(plan.dir, 'index.json'))) {
      log.warning(`Actions cache entry ${matched} holds no BuildKit cache (no index.json in ${plan.dir}); building without it`)
      await rm(plan.dir, { recursive: true, force: true })
      return { hit: 'miss' }
    }
    const hit = matched === plan.key ? 'exact' : 'partial'
    log.info(`Actions cache: restored ${matched} (${hit === 'exact' ? 'exact key' : 'restore key'}) into ${plan.dir}`)
    return { hit, matchedKey: matched }
  } catch (e) {
    log.warning(`Actions cache restore failed (building without it): ${message(e)}`)
    return { hit: 'miss' }
  }
}

/** A local cache's index.json lists a few manifests: kilobytes. */
const MAX_INDEX_BYTES = 4 * 1024 * 1024

const MAX_CACHE_CONFIG_BYTES = 64 * 1024 * 1024

/**
 * What a BuildKit local cache holds, as one string: its cache config (every record and the
 * layers they point to) without the creation times, or else the sorted manifest digests of its
 * index.json; undefined when it has no manifest. BuildKit restates creation times when it
 * exports a cache it imported, so a build that added nothing still writes another config blob;
 * comparing without them tells "nothing new" from "new records or layers".
 */
export function localCacheDigest(dir: string): Promise<string | undefined> {
  return Promise.resolve(readLocalCache(dir).digest)
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

function readJson(dir: string, rel: string, maxBytes: number): Json {
  const file = path.join(dir, rel)
  return JSON.parse(readFileBoundedSync(file, file, { maxBytes }).toString('utf8')) as Json
}

/** The JSON with every `createdAt` key left out (any case: BuildKit writes `createdAt` and `buildkit/createdat`), keys sorted. */
function withoutTimes(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(withoutTimes).join(',')}]`
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => !/createdat$/i.test(k))
      .sort()
      .map((k) => `${JSON.stringify(k)}:${withoutTimes(v[k]!)}`)
      .join(',')}}`
  return JSON.stringify(v)
}

function blobPath(digest: unknown): string | undefined {
  return typeof digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(digest) ? path.join('blobs', 'sha256', digest.slice(7)) : undefined
}

/** The cache's image indexes listed in index.json, as read once for both of what is known of a local cache. */
type InnerIndex = { manifests?: { mediaType?: unknown; digest?: unknown }[] }

/**
 * What is known of a local cache, read in one pass: its digest (localCacheDigest) and the size
 * of its cache config (localCacheConfigBytes); each undefined when it cannot be read.
 */
function readLocalCache(dir: string): { digest?: string; configBytes?: number } {
  let digests: string[]
  let index: Json
  try {
    index = readJson(dir, 'index.json', MAX_INDEX_BYTES)
    const manifests = index && typeof index === 'object' && !Array.isArray(index) && Array.isArray(index.manifests) ? index.manifests : []
    digests = manifests.map((m) => (m && typeof m === 'object' && !Array.isArray(m) ? m.digest : undefined)).filter((d): d is string => typeof d === 'string')
  } catch {
    return {}
  }
  if (digests.length === 0) return {}
  let inners: InnerIndex[]
  try {
    inners = digests.sort().map((d) => readJson(dir, blobPath(d)!, MAX_INDEX_BYTES) as InnerIndex)
  } catch {
    return { digest: digests.join(',') }
  }
  const sizes = inners.map(cacheConfigBytes).filter((n): n is number => n !== undefined)
  const size = sizes.length > 0 ? { configBytes: Math.max(...sizes) } : {}
  try {
    // index.json → the cache's image index → its cache config blob
    const configs = inners.map((inner) => {
      const config = (inner.manifests ?? []).find((m) => m.mediaType === CACHE_CONFIG_MEDIA_TYPE)
      return withoutTimes(readJson(dir, blobPath(config?.digest)!, MAX_CACHE_CONFIG_BYTES))
    })
    return { digest: `config:${configs.join('\n')}`, ...size }
  } catch {
    return { digest: digests.join(','), ...size }
  }
}

/**
 * The size of a local cache's config (index.json → the cache's image index → its cache-config
 * entry): what BuildKit reads at most 1 MiB of when it imports the cache. Undefined when it
 * cannot be read.
 */
export function localCacheConfigBytes(dir: string): number | undefined {
  return readLocalCache(dir).configBytes
}

/**
 * After the build: swaps the exported `<dir>.new` in for `<dir>`. `exported` is false when
 * the build wrote no cache (then `<dir>` is left as restored); `changed` is true when the
 * exported cache differs from the restored one (or nothing was restored); `configBytes` is
 * the exported cache's config size (localCacheConfigBytes). Never throws.
 */
export async function finishLocalCache(dir: string, log?: CacheLog): Promise<{ exported: boolean; changed: boolean; configBytes?: number }> {
  try {
    const { digest: fresh, configBytes } = readLocalCache(newDir(dir))
    if (fresh === undefined) {
      await rm(newDir(dir), { recursive: true, force: true })
      log?.warning(`The build exported no local cache to ${newDir(dir)}; the Actions cache is not updated`)
      return { exported: false, changed: false }
    }
    const old = await localCacheDigest(dir)
    await rm(dir, { recursive: true, force: true })
    await rename(newDir(dir), dir)
    return { exported: true, changed: fresh !== old, ...(configBytes !== undefined ? { configBytes } : {}) }
  } catch (e) {
    log?.warning(`Could not swap in the new build cache: ${message(e)}`)
    return { exported: false, changed: false }
  }
}

export type SaveResult = 'saved' | 'skipped-unchanged' | 'skipped-too-large' | 'exists' | 'unavailable' | 'failed'

/**
 * Saves `plan.dir` under `plan.key` when the build changed it, it is at most `maxBytes`, and
 * no entry has that key yet. Never throws; `failed` comes with a warning.
 */
export async function saveBuildCache(plan: ActionsCachePlan, opts: { changed: boolean; maxBytes: number }, log: CacheLog): Promise<SaveResult> {
  try {
    if (await unavailableReason()) return 'unavailable'
    if (!isCacheModeWritable()) {
      log.info(`Actions cache not saved: ACTIONS_CACHE_MODE=${process.env.ACTIONS_CACHE_MODE ?? ''} does not permit writes`)
      return 'unavailable'
    }
    if (!opts.changed) {
      log.info('Actions cache not saved: the build added nothing to the restored cache')
      return 'skipped-unchanged'
    }
    if ((await localCacheDigest(plan.dir)) === undefined) {
      log.warning(`Actions cache not saved: ${plan.dir} holds no BuildKit cache`)
      return 'failed'
    }
    const bytes = await dirBytes(plan.dir)
    if (bytes > opts.maxBytes) {
      log.warning(`Actions cache not saved: the build cache is ${formatBytes(bytes)}, over actions-cache-max-size ${formatBytes(opts.maxBytes)}`)
      return 'skipped-too-large'
    }
    // Entries are immutable: a second save under the same key is refused by the service.
    const cache = await actionsCache()
    const existing = await cache.restoreCache([plan.dir], plan.key, [], { lookupOnly: true })
    if (existing === plan.key) {
      log.info(`Actions cache: ${plan.key} exists already`)
      return 'exists'
    }
    const id = await cache.saveCache([plan.dir], plan.key)
    // -1 is @actions/cache's "not saved" (it has logged why).
    if (id !== -1) {
      log.info(`Actions cache: saved ${plan.key} (${formatBytes(bytes)})`)
      return 'saved'
    }
    log.warning(`Actions cache: could not save ${plan.key} (see the messages above)`)
    return 'failed'
  } catch (e) {
    log.warning(`Actions cache save failed: ${message(e)}`)
    return 'failed'
  }
}

/** `ACTIONS_CACHE_MODE` as @actions/cache reads it: unset or unknown modes permit everything. */
function cacheMode(): string {
  return (process.env.ACTIONS_CACHE_MODE ?? '').trim().toLowerCase()
}
function isCacheModeReadable(): boolean {
  const m = cacheMode()
  return !['none', 'read', 'write', 'write-only'].includes(m) || m === 'read' || m === 'write'
}
function isCacheModeWritable(): boolean {
  const m = cacheMode()
  return !['none', 'read', 'write', 'write-only'].includes(m) || m === 'write' || m === 'write-only'
}

/** Total size of the regular files under `dir` (symlinks not followed). */
export async function dirBytes(dir: string): Promise<number> {
  let total = 0
  const stack = [dir]
  while (stack.length > 0) {
    const d = stack.pop()!
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name)
      if (entry.isDirectory()) stack.push(p)
      else if (entry.isFile()) total += (await lstat(p)).size
    }
  }
  return total
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${n} B`
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
