// Inputs, read and validated once into a frozen object (SPEC §2). Every problem is a
// UserError whose message names the input and says what would be accepted.

import * as core from '@actions/core'
import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { CacheBackends, CacheModes, Inputs, Modes, PruneModes, RefreshModes, SecretIds, Stores, type CacheMode, type InputName, type Mode, type PruneMode, type RefreshMode, type Store } from './constants.js'
import { UserError, errorMessage } from './errors.js'
import { formatName, formatReference, parseImageName, parseReference, type ImageName } from './reference.js'
import { defaultStreamTag } from './compare.js'
import { readCondarc, type Condarc } from './condarc.js'
import { parseSecretInputs, valuesToMask, type SecretInputs } from './secrets.js'
import { parseGrowth, parseSize } from './report/index.js'
import type { RunContext } from './context.js'

export interface Options {
  /** Where images live: a registry (default), or the local Docker engine (`--load`, nothing pushed). */
  readonly store: Store
  readonly environmentFile: string
  readonly image: ImageName
  readonly baseRepository: ImageName
  readonly baseTagPrefix: string
  /** Path of the base Dockerfile and its content (the bundled template when not given). */
  readonly baseDockerfile: { readonly path: string; readonly content: string; readonly bundled: boolean }
  readonly baseBuildArgs: readonly string[]
  readonly dockerfile?: string
  readonly context: string
  readonly tags: readonly string[]
  readonly mode: Mode
  /** How a base build refreshes: `pull` (--pull, registry cache used) or `full` (--no-cache). */
  readonly refresh: RefreshMode
  readonly push: 'auto' | boolean
  readonly maxAgeMs?: number
  readonly maxAge?: string
  readonly cacheMode: CacheMode
  /** Empty: decided per run (see resolveCacheBackend). */
  readonly cacheBackend: (typeof CacheBackends)[number] | ''
  readonly actionsCacheMaxBytes: number
  readonly cacheRef: string
  readonly appCacheRef: string
  readonly platforms: readonly string[]
  readonly buildArgs: readonly string[]
  readonly labels: readonly string[]
  readonly target?: string
  readonly builder?: string
  readonly keepLatest: number
  readonly keepDays: number
  readonly prune: PruneMode
  readonly summary: boolean
  readonly prComment: boolean
  readonly githubToken: string
  readonly registryUsername?: string
  readonly registryPassword?: string
  readonly insecureRegistries: readonly string[]
  readonly compareTo?: string
  readonly maxSize?: number
  readonly maxGrowth?: { readonly percent?: number; readonly bytes?: number }
  readonly failOnBudget: boolean
  /** BuildKit secrets and ssh forwards of both builds (`secrets`, `secret-files`, `secret-envs`, `ssh`). */
  readonly secrets: SecretInputs
  /** The solver's `.condarc` (`condarc`), passed as the secret `condarc`. */
  readonly condarc?: Condarc
}

/** Where the bundled base template lives: `templates/` next to `dist/` and `src/`. */
export function bundledTemplatePath(): string {
  return fileURLToPath(new URL('../templates/base.Dockerfile', import.meta.url))
}

type Getter = (name: InputName) => string

/** Reads inputs the way the runner passes them (`INPUT_<NAME>`), trimmed. */
export const actionsInput: Getter = (name) => core.getInput(name)

/** Splits a list input on newlines (and commas unless `newlineOnly`); drops blanks and `#` comments. */
export function parseList(value: string, newlineOnly = false): string[] {
  const out: string[] = []
  for (const line of value.split(/\r?\n/)) {
    const pieces = newlineOnly ? [line] : line.split(',')
    for (const p of pieces) {
      const t = p.trim()
      if (t && !t.startsWith('#')) out.push(t)
    }
  }
  return out
}

export function parseBoolean(name: string, value: string, fallback: boolean): boolean {
  const v = value.trim()
  if (v === '') return fallback
  if (/^(true|True|TRUE)$/.test(v)) return true
  if (/^(false|False|FALSE)$/.test(v)) return false
  throw new UserError(`Input "${name}" must be true or false, got "${value}"`)
}

function parseEnum<T extends string>(name: string, value: string, allowed: readonly T[], fallback: T): T {
  const v = value.trim()
  if (v === '') return fallback
  if ((allowed as readonly string[]).includes(v)) return v as T
  throw new UserError(`Input "${name}" must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got "${value}"`)
}

function parseCount(name: string, value: string, fallback: number, min: number): number {
  const v = value.trim()
  if (v === '') return fallback
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw new UserError(`Input "${name}" must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got "${value}"`)
  }
  return Number(v)
}

const DURATION_UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3_600e3, d: 86_400e3, w: 604_800e3 }

/** `14d`, `2w`, `36h`, `90m`, `1d12h`: milliseconds. */
export function parseDuration(name: string, value: string): number {
  const v = value.trim()
  const re = /(\d+)\s*([smhdw])/gy
  let total = 0
  let matched = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(v)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!
    matched = re.lastIndex
  }
  if (v === '' || matched !== v.length) {
    throw new UserError(`Input "${name}" must be a duration such as 14d, 2w or 36h (units s, m, h, d, w), got "${value}"`)
  }
  return total
}

function parseKeyValues(name: string, value: string): string[] {
  const items = parseList(value, true)
  for (const item of items) {
    if (!/^[A-Za-z_][A-Za-z0-9_.\-/]*=/.test(item)) {
      throw new UserError(`Input "${name}" must hold KEY=VALUE lines, got "${item}"`)
    }
  }
  return items
}

const PLATFORM = /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_.]+)?$/

function fileInput(name: string, value: string, workspace: string): string {
  const p = path.resolve(workspace, value)
  if (!existsSync(p)) throw new UserError(`Input "${name}": file "${value}" does not exist`)
  if (!statSync(p).isFile()) throw new UserError(`Input "${name}": "${value}" is not a file`)
  return p
}

function wrap<T>(name: string, f: () => T): T {
  try {
    return f()
  } catch (e) {
    if (e instanceof UserError) {
      throw e.message.includes(`"${name}"`) ? e : new UserError(`Input "${name}": ${e.message}`)
    }
    throw new UserError(`Input "${name}": ${errorMessage(e)}`)
  }
}

/** Reads and validates every input once. */
export function getOptions(ctx: RunContext, get: Getter = actionsInput, env: NodeJS.ProcessEnv = process.env): Options {
  const ws = ctx.workspace
  const store = parseEnum(Inputs.Store, get(Inputs.Store), Stores, 'registry')
  const local = { local: store === 'local' }
  const imageInput = get(Inputs.Image)
  if (!imageInput) throw new UserError(`Input "${Inputs.Image}" is required, e.g. image: ghcr.io/acme/model`)
  const image = parseImageName(imageInput, `Input "${Inputs.Image}"`, local)
  const baseRepoInput = get(Inputs.BaseRepository)
  const baseRepository = baseRepoInput ? parseImageName(baseRepoInput, `Input "${Inputs.BaseRepository}"`, local) : image

  const baseTagPrefix = get(Inputs.BaseTagPrefix) || 'base-'
  if (!/^[\w][\w.-]{0,100}$/.test(baseTagPrefix)) {
    throw new UserError(`Input "${Inputs.BaseTagPrefix}" must be letters, digits, '_', '.', '-' (starting with a letter, digit or '_'), got "${baseTagPrefix}"`)
  }

  const environmentFile = fileInput(Inputs.EnvironmentFile, get(Inputs.EnvironmentFile) || 'environment.yml', ws)

  const baseDockerfileInput = get(Inputs.BaseDockerfile)
  const baseDockerfilePath = baseDockerfileInput ? fileInput(Inputs.BaseDockerfile, baseDockerfileInput, ws) : bundledTemplatePath()
  const baseDockerfile = {
    path: baseDockerfilePath,
    content: readFileSync(baseDockerfilePath, 'utf8'),
    bundled: !baseDockerfileInput,
  }

  const dockerfileInput = get(Inputs.Dockerfile)
  const dockerfile = dockerfileInput ? fileInput(Inputs.Dockerfile, dockerfileInput, ws) : undefined
  const context = path.resolve(ws, get(Inputs.Context) || '.')
  if (dockerfile && !(existsSync(context) && statSync(context).isDirectory())) {
    throw new UserError(`Input "${Inputs.Context}": "${get(Inputs.Context)}" is not a directory`)
  }

  const tags = parseTags(get(Inputs.Tags), image, ctx.sha, defaultStreamTag(ctx))

  const mode = parseEnum(Inputs.Mode, get(Inputs.Mode), Modes, 'auto')
  const pushInput = get(Inputs.Push).trim()
  const push = pushInput === '' || pushInput === 'auto' ? 'auto' : parseBoolean(Inputs.Push, pushInput, false)

  const maxAge = get(Inputs.MaxAge).trim() || undefined
  const maxAgeMs = maxAge ? parseDuration(Inputs.MaxAge, maxAge) : undefined

  const cacheMode = parseEnum(Inputs.CacheMode, get(Inputs.CacheMode), CacheModes, 'max')
  const cacheRef = refInput(Inputs.CacheRef, get(Inputs.CacheRef), `${formatName(baseRepository)}:buildcache`, local)
  const appCacheRef = refInput(Inputs.AppCacheRef, get(Inputs.AppCacheRef), `${formatName(image)}:buildcache-app`, local)

  const platforms = parseList(get(Inputs.Platforms))
  for (const p of platforms) {
    if (!PLATFORM.test(p)) throw new UserError(`Input "${Inputs.Platforms}": "${p}" is not a platform such as linux/amd64 or linux/arm64/v8`)
  }

  const registryPassword = get(Inputs.RegistryPassword) || undefined
  if (registryPassword) core.setSecret(registryPassword)
  const githubToken = get(Inputs.GithubToken)
  if (githubToken) core.setSecret(githubToken)
  const registryUsername = get(Inputs.RegistryUsername) || undefined
  if (Boolean(registryUsername) !== Boolean(registryPassword)) {
    throw new UserError(`Inputs "${Inputs.RegistryUsername}" and "${Inputs.RegistryPassword}" go together: set both or neither`)
  }

  const secrets = readSecrets(get, ws, env)

  const compareToInput = get(Inputs.CompareTo).trim()
  if (compareToInput) parseReference(compareToInput, `Input "${Inputs.CompareTo}"`, local)
  const maxSizeInput = get(Inputs.MaxSize).trim()
  const maxGrowthInput = get(Inputs.MaxGrowth).trim()

  return Object.freeze({
    store,
    environmentFile,
    image,
    baseRepository,
    baseTagPrefix,
    baseDockerfile: Object.freeze(baseDockerfile),
    baseBuildArgs: Object.freeze(parseKeyValues(Inputs.BaseBuildArgs, get(Inputs.BaseBuildArgs))),
    dockerfile,
    context,
    tags: Object.freeze(tags),
    mode,
    refresh: parseEnum(Inputs.Refresh, get(Inputs.Refresh), RefreshModes, 'pull'),
    push,
    maxAge,
    maxAgeMs,
    cacheMode,
    cacheBackend: get(Inputs.CacheBackend).trim() === '' ? '' : parseEnum(Inputs.CacheBackend, get(Inputs.CacheBackend), CacheBackends, 'registry'),
    actionsCacheMaxBytes: wrap(Inputs.ActionsCacheMaxSize, () => parseSize(get(Inputs.ActionsCacheMaxSize).trim() || '2GB')),
    cacheRef,
    appCacheRef,
    platforms: Object.freeze(platforms),
    buildArgs: Object.freeze(parseKeyValues(Inputs.BuildArgs, get(Inputs.BuildArgs))),
    labels: Object.freeze(parseKeyValues(Inputs.Labels, get(Inputs.Labels))),
    target: get(Inputs.Target).trim() || undefined,
    builder: get(Inputs.Builder).trim() || undefined,
    keepLatest: parseCount(Inputs.KeepLatest, get(Inputs.KeepLatest), 3, 1),
    keepDays: parseCount(Inputs.KeepDays, get(Inputs.KeepDays), 30, 0),
    prune: parseEnum(Inputs.Prune, get(Inputs.Prune), PruneModes, 'false'),
    summary: parseBoolean(Inputs.Summary, get(Inputs.Summary), true),
    prComment: parseBoolean(Inputs.PrComment, get(Inputs.PrComment), true),
    githubToken,
    registryUsername,
    registryPassword,
    insecureRegistries: Object.freeze(parseList(get(Inputs.InsecureRegistries))),
    compareTo: compareToInput || undefined,
    maxSize: maxSizeInput ? wrap(Inputs.MaxSize, () => parseSize(maxSizeInput)) : undefined,
    maxGrowth: maxGrowthInput ? wrap(Inputs.MaxGrowth, () => parseGrowth(maxGrowthInput)) : undefined,
    failOnBudget: parseBoolean(Inputs.FailOnBudget, get(Inputs.FailOnBudget), false),
    ...secrets,
  })
}

/** The secret inputs and `condarc`, with every value masked in the log at once. */
function readSecrets(get: Getter, ws: string, env: NodeJS.ProcessEnv): { secrets: SecretInputs; condarc?: Condarc } {
  const secrets = parseSecretInputs({ secrets: get(Inputs.Secrets), secretFiles: get(Inputs.SecretFiles), secretEnvs: get(Inputs.SecretEnvs), ssh: get(Inputs.Ssh) }, ws, env)
  for (const v of valuesToMask(secrets, env)) core.setSecret(v)
  const condarc = readCondarc(get(Inputs.Condarc), ws)
  if (condarc) {
    for (const v of condarc.secretValues) core.setSecret(v)
    if (secrets.secrets.some((s) => s.id === SecretIds.Condarc)) {
      throw new UserError(`The secret id "${SecretIds.Condarc}" is given twice: by the input "${Inputs.Condarc}" and by a secret input`)
    }
  }
  return condarc ? { secrets, condarc } : { secrets }
}

function refInput(name: string, value: string, fallback: string, opts: { local: boolean }): string {
  const v = value.trim()
  if (!v) return fallback
  const ref = parseReference(v, `Input "${name}"`, opts)
  if (ref.digest) throw new UserError(`Input "${name}" must be a tag reference, not a digest: "${v}"`)
  return v
}

/**
 * Tags of the application image. Full references are taken as they are (a name without a
 * registry host is Docker Hub's, as in Docker); a bare tag (`latest`, `v1.2`) means a tag of
 * `image`. Default: `<image>:sha-<7 chars of GITHUB_SHA>`, plus the stream tag of the run
 * (`streamTag`: the branch of a push, `pr-<n>` of a pull request) when there is one — what
 * the next run of the same stream compares its size with.
 */
export function parseTags(value: string, image: ImageName, sha: string, streamTag?: string): string[] {
  const items = parseList(value)
  const name = formatName(image)
  if (items.length === 0) {
    const short = /^[0-9a-f]{7,}$/i.test(sha) ? sha.slice(0, 7).toLowerCase() : 'dev'
    return [`${name}:sha-${short}`, ...(streamTag ? [`${name}:${streamTag}`] : [])]
  }
  const opts = { local: image.local }
  return items.map((t) => {
    if (!t.includes('/') && !t.includes(':') && !t.includes('@')) {
      parseReference(`${name}:${t}`, `Input "${Inputs.Tags}"`, opts)
      return `${name}:${t}`
    }
    const ref = parseReference(t, `Input "${Inputs.Tags}"`, opts)
    if (!ref.tag) throw new UserError(`Input "${Inputs.Tags}": "${t}" has no tag (e.g. ${t}:latest)`)
    if (ref.digest) throw new UserError(`Input "${Inputs.Tags}": "${t}" must be a tag, not a digest`)
    return formatReference(ref.name, ref.tag)
  })
}
