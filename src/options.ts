// Inputs, read once into a frozen object: read (the raw text, defaults from the input table)
// → parse (each input by its own parser, src/inputs.ts) → validate (what involves several
// inputs or the workspace) → infer (computed defaults). Every problem is a UserError whose
// message names the input and says what would be accepted.

import * as core from '@actions/core'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Inputs, type CacheBackendChoice, type CacheMode, type InputName, type Mode, type PruneMode, type RefreshMode } from './constants.js'
import { UserError, errorMessage } from './errors.js'
import { inputDirectory, inputFile, readInputFile } from './fs/inputs.js'
import { INPUTS, parseList, type InputKey, type ParsedInputs } from './inputs.js'
import { formatName, parseReference, type ImageName } from './reference.js'
import type { RunContext } from './context.js'

export { parseList } from './inputs.js'
export { parseDuration } from './units.js'

export interface Options {
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
}

/** Where the bundled base template lives: `templates/` next to `dist/` and `src/`. */
export function bundledTemplatePath(): string {
  // The bundler relocates the template as an asset and, depending on how it is read, turns
  // this expression into a file URL or into a plain path: accept both.
  const where = new URL('../templates/base.Dockerfile', import.meta.url) as URL | string
  return typeof where === 'string' && !where.startsWith('file:') ? where : fileURLToPath(where)
}

function bundledTemplate(): { path: string; content: string; bundled: true } {
  const file = bundledTemplatePath()
  return { path: file, content: readFileSync(file, 'utf8'), bundled: true }
}

type Getter = (name: InputName) => string

/** Reads inputs the way the runner passes them (`INPUT_<NAME>`), trimmed. */
export const actionsInput: Getter = (name) => core.getInput(name)

/** Parse: every input through its parser (its default when empty); secrets masked first. */
export function parseInputs(get: Getter): ParsedInputs {
  const out: Partial<Record<InputKey, unknown>> = {}
  for (const [key, spec] of Object.entries(INPUTS) as [InputKey, (typeof INPUTS)[InputKey]][]) {
    const raw = get(spec.name).trim()
    if ('secret' in spec && spec.secret && raw) core.setSecret(raw)
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

function validate(
  p: ParsedInputs,
  ws: string,
): { environmentFile: string; baseDockerfile?: { path: string; content: string }; dockerfile?: string; context: string } {
  if (p.baseRepository && p.baseRepository.local !== p.image.local) {
    throw new UserError(
      `Inputs "${Inputs.Image}" and "${Inputs.BaseRepository}" must both name a registry or both the local engine (got "${formatName(p.image)}" and "${formatName(p.baseRepository)}")`,
    )
  }
  // File inputs are confined to the workspace (src/fs/inputs.ts).
  const environmentFile = inputFile(Inputs.EnvironmentFile, p.environmentFile, ws)
  const baseDockerfile = p.baseDockerfile ? readInputFile(Inputs.BaseDockerfile, p.baseDockerfile, ws) : undefined
  const dockerfile = p.dockerfile ? inputFile(Inputs.Dockerfile, p.dockerfile, ws) : undefined
  const context = dockerfile ? inputDirectory(Inputs.Context, p.context, ws) : path.resolve(ws, p.context)
  if (p.buildPlatforms.length > 0 && p.mode === 'merge') {
    throw new UserError(`Input "${Inputs.BuildPlatforms}" does not go with mode: merge, which builds nothing: leave it empty in the merge job`)
  }
  if (Boolean(p.registryUsername) !== Boolean(p.registryPassword)) {
    throw new UserError(`Inputs "${Inputs.RegistryUsername}" and "${Inputs.RegistryPassword}" go together: set both or neither`)
  }
  return { environmentFile, baseDockerfile, dockerfile, context }
}

/** Reads, parses, validates every input once and infers the computed defaults. */
export function getOptions(ctx: RunContext, get: Getter = actionsInput): Options {
  const p = parseInputs(get)
  const files = validate(p, ctx.workspace)
  const baseRepository = p.baseRepository ?? p.image
  return Object.freeze({
    environmentFile: files.environmentFile,
    image: p.image,
    baseRepository,
    baseTagPrefix: p.baseTagPrefix,
    baseDockerfile: Object.freeze(
      files.baseDockerfile
        ? { ...files.baseDockerfile, bundled: false }
        : bundledTemplate(),
    ),
    baseBuildArgs: Object.freeze(p.baseBuildArgs),
    dockerfile: files.dockerfile,
    context: files.context,
    tags: Object.freeze(parseTags(p.tags.join('\n'), p.image, ctx.sha)),
    mode: p.mode,
    refresh: p.refresh,
    push: p.push,
    maxAge: p.maxAge?.text,
    maxAgeMs: p.maxAge?.ms,
    cacheMode: p.cacheMode,
    cacheBackend: p.cacheBackend,
    actionsCacheMaxBytes: p.actionsCacheMaxSize,
    cacheRef: p.cacheRef ?? `${formatName(baseRepository)}:buildcache`,
    appCacheRef: p.appCacheRef ?? `${formatName(p.image)}:buildcache-app`,
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
  })
}

/**
 * Tags of the application image. Full references are taken as they are; a bare tag
 * (`latest`, `v1.2`) means a tag of `image`. Default: `<image>:sha-<7 chars of GITHUB_SHA>`.
 */
export function parseTags(value: string, image: ImageName, sha: string): string[] {
  const items = parseList(value)
  const name = formatName(image)
  if (items.length === 0) {
    const short = /^[0-9a-f]{7,}$/i.test(sha) ? sha.slice(0, 7).toLowerCase() : 'dev'
    return [`${name}:sha-${short}`]
  }
  return items.map((t) => {
    if (!t.includes('/') && !t.includes(':') && !t.includes('@')) {
      parseReference(`${name}:${t}`, `Input "${Inputs.Tags}"`)
      return `${name}:${t}`
    }
    const ref = parseReference(t, `Input "${Inputs.Tags}"`)
    if (!ref.tag) throw new UserError(`Input "${Inputs.Tags}": "${t}" has no tag (e.g. ${t}:latest)`)
    if (ref.name.local !== image.local) {
      throw new UserError(`Input "${Inputs.Tags}": "${t}" and image "${name}" must both be in a registry or both in the local engine`)
    }
    return t
  })
}
