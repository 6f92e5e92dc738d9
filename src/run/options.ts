// Inputs, read once into a frozen object: read (the raw text, defaults from the input table)
// → parse (each input by its own parser, src/run/input-table.ts) → validate (what involves several
// inputs or the workspace) → infer (computed defaults). Every problem is a UserError whose
// message names the input and says what would be accepted.

import { runnerLog } from '../runner/log.js'
import path from 'node:path'
import {
  Inputs,
  SecretIds,
  type CacheBackendChoice,
  type CacheMode,
  type InputName,
  type Mode,
  type PruneMode,
  type RefreshMode,
  MAX_DOCKERFILE_BYTES,
} from '../vocabulary/constants.js'
import { UserError, errorMessage } from '../vocabulary/user-error.js'
import type { InputFilesPort } from '../ports/input-files.js'
import { INPUTS, parseList, type InputKey, type ParsedInputs } from './input-table.js'
import { formatName, formatReference, parseImageName, parseReference, type ImageName } from '../image/reference.js'
import type { RunContext } from '../context/run-context.js'
import { compressionOf, type Compression } from '../compression/index.js'
import { defaultStreamTag } from './compare.js'
import { readCondarc, type Condarc } from '../secrets/condarc.js'
import { parseSecretInputs, valuesToMask, type SecretInputs } from '../secrets/build-secrets.js'
import { checkPackageLayers } from '../layers/package-layers.js'
import { templateKindOf } from '../template/pixi.js'

export { parseList } from './input-table.js'
export { parseDuration } from '../vocabulary/units.js'

export interface Options {
  /** Where images live: a registry (default), or the local Docker engine (`--load`, nothing pushed). */
  readonly store: 'registry' | 'local'
  readonly environmentFile: string
  /** The pixi environment (`pixi-environment`), used when the environment file is a pixi project. */
  readonly pixiEnvironment: string
  readonly image: ImageName
  readonly baseRepository: ImageName
  readonly baseTagPrefix: string
  /** Path of the base Dockerfile and its content (the bundled template when not given). */
  readonly baseDockerfile: { readonly path: string; readonly content: string; readonly bundled: boolean }
  readonly baseBuildArgs: readonly string[]
  readonly dockerfile?: string
  /** The application Dockerfile's text, read once (bounded, without blocking) when the inputs are validated. */
  readonly dockerfileContent?: string
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
  readonly cacheBackend: CacheBackendChoice
  readonly actionsCacheMaxBytes: number
  readonly cacheRef: string
  readonly appCacheRef: string
  readonly platforms: readonly string[]
  /** The subset of `platforms` this job builds (a job of a matrix); empty: all of them. */
  readonly buildPlatforms: readonly string[]
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
  /** `smoke-test`: run in the final image before anything is pushed (src/run/smoke-plan.ts). */
  readonly smokeTest?: string
  /** `base-smoke-test`: run in a base this run builds. */
  readonly baseSmokeTest?: string
  readonly smokeTestTimeoutMs: number
  /** Layer compression of the pushed images (`compression`, `compression-level`). */
  readonly compression: Compression
}

type Getter = (name: InputName) => string

/** Parse: every input through its parser (its default when empty); secrets masked first. */
export function parseInputs(get: Getter): ParsedInputs {
  const out: Partial<Record<InputKey, unknown>> = {}
  for (const [key, spec] of Object.entries(INPUTS) as [InputKey, (typeof INPUTS)[InputKey]][]) {
    const raw = get(spec.name).trim()
    if ('secret' in spec && spec.secret && raw) runnerLog.mask(raw)
    out[key] = named(spec.name, () => spec.parse(raw === '' ? spec.default : raw, spec.name))
  }
  return out as ParsedInputs
}

/** A parser's UserError names the input (the unit parsers do not know it). */
function named<T>(name: string, f: () => T): T {
  try {
    return f()
  } catch (e) {
    if (e instanceof UserError) throw e.message.includes(`"${name}"`) ? e : new UserError(`Input "${name}": ${e.message}`)
    throw new UserError(`Input "${name}": ${errorMessage(e)}`)
  }
}

/** Validate: what involves several inputs, or the workspace (its files read through the port). Returns the resolved paths (and the Dockerfiles' content). */
function validate(
  p: ParsedInputs,
  ws: string,
  files: InputFilesPort,
): { environmentFile: string; baseDockerfile?: { path: string; content: string }; dockerfile?: { path: string; content: string }; context: string } {
  // File inputs are confined to the workspace (the port's adapter: src/ports/input-files.ts).
  const environmentFile = files.file(Inputs.EnvironmentFile, p.environmentFile, ws)
  const baseDockerfile = p.baseDockerfile ? files.text(Inputs.BaseDockerfile, p.baseDockerfile, ws, MAX_DOCKERFILE_BYTES) : undefined
  const dockerfile = p.dockerfile ? files.text(Inputs.Dockerfile, p.dockerfile, ws, MAX_DOCKERFILE_BYTES) : undefined
  const context = dockerfile ? files.directory(Inputs.Context, p.context, ws) : path.resolve(ws, p.context)
  if (!baseDockerfile) {
    const layers = checkPackageLayers(p.baseBuildArgs)
    if (!layers.ok) throw new UserError(`Input "${Inputs.BaseBuildArgs}": ${layers.message}`)
  }
  if (p.buildPlatforms.length > 0 && p.mode === 'merge') {
    throw new UserError(`Input "${Inputs.BuildPlatforms}" does not go with mode: merge, which builds nothing: leave it empty in the merge job`)
  }
  if (Boolean(p.registryUsername) !== Boolean(p.registryPassword)) {
    throw new UserError(`Inputs "${Inputs.RegistryUsername}" and "${Inputs.RegistryPassword}" go together: set both or neither`)
  }
  return { environmentFile, baseDockerfile, dockerfile, context }
}

/** The repositories, as the store reads names: a bare name is Docker Hub's, unless the store is the local engine. */
function names(p: ParsedInputs): { image: ImageName; baseRepository: ImageName } {
  const local = { local: p.store === 'local' }
  const image = parseImageName(p.image, `Input "${Inputs.Image}"`, local)
  return { image, baseRepository: p.baseRepository ? parseImageName(p.baseRepository, `Input "${Inputs.BaseRepository}"`, local) : image }
}

/**
 * Reads, parses, validates every input once and infers the computed defaults. `get`: the
 * inputs; `read`: the files they name (the input-files port); `env`: the step's environment,
 * where `secret-envs` are read.
 */
export function getOptions(ctx: RunContext, get: Getter, read: InputFilesPort, env: NodeJS.ProcessEnv = {}): Options {
  const p = parseInputs(get)
  const files = validate(p, ctx.workspace, read)
  const { image, baseRepository } = names(p)
  return Object.freeze({
    store: p.store,
    environmentFile: files.environmentFile,
    pixiEnvironment: p.pixiEnvironment,
    image,
    baseRepository,
    baseTagPrefix: p.baseTagPrefix,
    baseDockerfile: Object.freeze(
      files.baseDockerfile ? { ...files.baseDockerfile, bundled: false } : { ...read.template(templateKindOf(files.environmentFile)), bundled: true },
    ),
    baseBuildArgs: Object.freeze(p.baseBuildArgs),
    dockerfile: files.dockerfile?.path,
    dockerfileContent: files.dockerfile?.content,
    context: files.context,
    tags: Object.freeze(parseTags(p.tags.join('\n'), image, ctx.sha, defaultStreamTag(ctx))),
    mode: p.mode,
    refresh: p.refresh,
    push: p.push,
    maxAge: p.maxAge?.text,
    maxAgeMs: p.maxAge?.ms,
    cacheMode: p.cacheMode,
    cacheBackend: p.cacheBackend,
    actionsCacheMaxBytes: p.actionsCacheMaxSize,
    cacheRef: p.cacheRef ?? `${formatName(baseRepository)}:buildcache`,
    appCacheRef: p.appCacheRef ?? `${formatName(image)}:buildcache-app`,
    platforms: Object.freeze(p.platforms),
    buildPlatforms: Object.freeze(p.buildPlatforms),
    buildArgs: Object.freeze(p.buildArgs),
    labels: Object.freeze(p.labels),
    target: p.target,
    builder: p.builder,
    keepLatest: p.keepLatest,
    keepDays: p.keepDays,
    prune: p.prune,
    summary: p.summary,
    prComment: p.prComment,
    githubToken: p.githubToken,
    registryUsername: p.registryUsername,
    registryPassword: p.registryPassword,
    insecureRegistries: Object.freeze(p.insecureRegistries),
    compareTo: p.compareTo,
    maxSize: p.maxSize,
    maxGrowth: p.maxGrowth,
    failOnBudget: p.failOnBudget,
    smokeTest: p.smokeTest,
    baseSmokeTest: p.baseSmokeTest,
    smokeTestTimeoutMs: p.smokeTestTimeout,
    compression: Object.freeze(compressionOf(p.compression, p.compressionLevel, { kind: Inputs.Compression, level: Inputs.CompressionLevel })),
    ...readSecrets(p, ctx.workspace, env, read),
  })
}

/** The secret inputs and `condarc`, with every value masked in the log at once. */
function readSecrets(p: ParsedInputs, ws: string, env: NodeJS.ProcessEnv, read: InputFilesPort): { secrets: SecretInputs; condarc?: Condarc } {
  const secretFile = (given: string, maxBytes: number) => read.bytes(given, ws, maxBytes)
  const secrets = parseSecretInputs({ secrets: p.secrets, secretFiles: p.secretFiles, secretEnvs: p.secretEnvs, ssh: p.ssh }, ws, env, secretFile)
  for (const v of valuesToMask(secrets, env)) runnerLog.mask(v)
  const condarc = readCondarc(p.condarc, (given, maxBytes) => read.text(Inputs.Condarc, given, ws, maxBytes))
  if (!condarc) return { secrets }
  for (const v of condarc.secretValues) runnerLog.mask(v)
  if (secrets.secrets.some((s) => s.id === SecretIds.Condarc)) {
    throw new UserError(`The secret id "${SecretIds.Condarc}" is given twice: by the input "${Inputs.Condarc}" and by a secret input`)
  }
  return { secrets, condarc }
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
