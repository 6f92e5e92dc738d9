// The thin I/O layer of the fingerprint: reads the environment file, the requirement files
// it references (recursively, cycle-safe) and the local trees pip installs from, then hands
// plain data to the pure functions.
//
// Every read goes through src/fs (confined to the workspace, regular files only, bounded).
// A reference outside the workspace is never read: it is warned about and counts by its
// text (the entry or the including file is hashed). Paths and names are data: they are kept
// in Maps, so `__proto__`, `constructor` or `toString` behave like any other name.

import path from 'node:path'
import { BuildArgNames } from '../vocabulary/constants.js'
import { UserError } from '../vocabulary/user-error.js'
import {
  ConfinedError,
  describeRefusal,
  hashConfined,
  isConfinedError,
  readConfined,
  statConfined,
  walkConfined,
  workspaceAt,
  type Workspace as FsWorkspace,
} from '../fs/index.js'
import { excerpt, redact } from '../text/redact.js'
import { normalizeNewlines, sha256Hex } from './canonical.js'
import { hashContextFiles } from './context-files.js'
import { dockerfileContextReads, dockerfileUsesEnvName } from './dockerfile.js'
import { buildDocument, normalizePlatforms, serialize, targetSubdirs, type DocumentParts } from './document.js'
import { readEnvironment, selectEntries, type Entry } from './env.js'
import { isCondaLock, isExplicitLock, isSpecList, readCondaLock, readExplicitLock, readSpecList } from './lock.js'
import { decodeRequirements, requirementFileRefs, requirementsDigest } from './requirements.js'
import { redactAssignment, redactBuildArg, redactUrlSecrets } from './label-secrets.js'
import { fileUrlToPathish, pipRefs, type PipRef } from './spec.js'
import type { ContextSection, Fingerprint, FingerprintInput, HashWarning, HashWarningKind, JsonValue, LockPackages } from './types.js'
import { PIXI_LOCK_LIMITS, parseYaml, yamlLimitsFor } from './yaml.js'
import type { ActivationScript, ManifestKind, PixiManifest } from './pixi/pixi-manifest.js'
import { DEFAULT_PIXI_ENVIRONMENT, type PixiPathSource, type PixiSource } from './pixi/pixi-source.js'

/** Local trees: directories never descended into. */
export const SKIP_DIRS = new Set(['.git', '.hg', '.svn', 'node_modules', '__pycache__', '.mypy_cache', '.pytest_cache', '.ruff_cache', '.tox', '.nox', '.venv'])
/** Local trees: at most this many entries are listed… */
export const MAX_TREE_FILES = 5000
/** …and at most this many bytes read; files beyond it count by path and size only… */
export const MAX_TREE_BYTES = 128 * 1024 * 1024
/** …and directories deeper than this are not listed. */
export const MAX_TREE_DEPTH = 64
/** Largest requirement file read. */
export const MAX_REQUIREMENT_BYTES = 5 * 1024 * 1024
/** Warnings kept per kind; the rest are counted in one `truncated` warning (the log sink caps further). */
export const MAX_WARNINGS_PER_KIND = 100

/** Path relative to `dir`, with `/` separators (stable across OSes). */
function relTo(dir: string, abs: string): string {
  const rel = path.relative(dir, abs)
  return (rel === '' ? '.' : rel).split(path.sep).join('/')
}

/** The warnings of one fingerprint, capped per kind. */
class Warnings {
  readonly list: HashWarning[] = []
  private readonly counts = new Map<HashWarningKind, number>()
  add(kind: HashWarningKind, message: string, file?: string, line?: number): void {
    const n = (this.counts.get(kind) ?? 0) + 1
    this.counts.set(kind, n)
    if (n > MAX_WARNINGS_PER_KIND) return
    const w: HashWarning = { message: redact(message), kind, ...(file !== undefined ? { file } : {}), ...(line !== undefined && line > 0 ? { line } : {}) }
    this.list.push(w)
  }
  /** A warning of the pure parts (`<file>:<line>: …`), with its line taken from the message. */
  adopt(kind: HashWarningKind, message: string, file: string): void {
    const m = /^.*?:(\d+): /.exec(message)
    this.add(kind, message, file, m ? Number(m[1]) : undefined)
  }
  done(): HashWarning[] {
    for (const [kind, n] of this.counts) {
      if (n > MAX_WARNINGS_PER_KIND)
        this.list.push({ kind: 'truncated', message: `${n - MAX_WARNINGS_PER_KIND} more warnings like the ones above (${kind}) were left out` })
    }
    return this.list
  }
}

interface Context {
  readonly ws: Workspace
  /** The environment file: absolute (as resolved) and real. */
  readonly envFile: string
  readonly envReal: string
  readonly envDir: string
  readonly files: Set<string>
  /** Files read whole → sha256 of the very bytes read (the template's build context is checked against them). */
  readonly digests: Map<string, string>
  readonly warnings: Warnings
  readonly reqFiles: Map<string, string>
  readonly local: Map<string, string>
  readonly visited: Set<string>
  /** Files left out of local trees (real and as resolved): the environment file; for pixi, the manifest and the lock. */
  readonly exclude: Set<string>
  /** Directories never descended into in local trees. */
  readonly skipDirs: ReadonlySet<string>
  /** Set for a pixi project (its own tree, `pypi: .`, is expected to hold the manifest). */
  readonly pixi: boolean
}

/** The workspace, with the directory as given (annotations want paths relative to it). */
type Workspace = FsWorkspace & { readonly dir: string }

function openWorkspace(dir: string): Workspace {
  try {
    return { ...workspaceAt(dir), dir: path.resolve(dir) }
  } catch {
    throw new UserError(`the workspace ${dir} does not exist`)
  }
}

/** A path for messages and annotations: relative to the workspace (as given, or its real path) when inside it. */
function shownIn(ws: Workspace, abs: string): string {
  for (const root of [ws.dir, ws.root]) {
    const rel = path.relative(root, abs)
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/')
  }
  return abs
}

async function readEnvironmentFile(ws: Workspace, given: string): Promise<{ text: string; abs: string; real: string; shown: string; sha256: string }> {
  const abs = path.resolve(given)
  const shown = path.isAbsolute(given) ? shownIn(ws, abs) : given
  const limits = yamlLimitsFor(abs)
  let file
  try {
    file = await readConfined(ws, abs, { maxBytes: limits.maxBytes })
  } catch (e) {
    if (!isConfinedError(e)) throw e
    if (e.reason === 'too-large')
      throw new UserError(`${shown} is more than the ${limits.maxBytes / 1024 / 1024} MiB ${limits.what} may have`, { file: shown, line: 1 })
    const why = e.reason === 'directory' || e.reason === 'not-regular' ? 'it is not a regular file' : describeRefusal(e.reason)
    throw new UserError(`environment file ${shown} cannot be read: ${why}`, { file: shown })
  }
  let raw: string
  try {
    raw = new TextDecoder('utf-8', { fatal: true }).decode(file.bytes)
  } catch {
    throw new UserError(`${shown} is not UTF-8 text`, { file: shown, line: 1 })
  }
  return { text: normalizeNewlines(raw), abs, real: file.real, shown, sha256: sha256Hex(file.bytes) }
}

function newContext(ws: Workspace, env: { abs: string; real: string; sha256: string }, warnings: Warnings): Context {
  const pixi = isPixiFile(env.abs)
  return {
    ws,
    envFile: env.abs,
    envReal: env.real,
    envDir: path.dirname(env.abs),
    files: new Set([env.abs]),
    digests: new Map([[env.abs, env.sha256]]),
    warnings,
    reqFiles: new Map(),
    local: new Map(),
    visited: new Set(),
    exclude: new Set([env.real, env.abs]),
    skipDirs: pixi ? PIXI_SKIP_DIRS : SKIP_DIRS,
    pixi,
  }
}

export async function fingerprintFiles(input: FingerprintInput): Promise<Fingerprint> {
  const ws = openWorkspace(input.workspace)
  const env = await readEnvironmentFile(ws, input.environmentFile)
  const given = env.shown
  const envDir = path.dirname(env.abs)
  const warnings = new Warnings()
  const ctx = newContext(ws, env, warnings)
  const platforms = normalizePlatforms(input.platforms)
  const { subdirs, assumed } = targetSubdirs(platforms)
  for (const s of subdirs)
    if (s.startsWith('unknown:'))
      warnings.add('platform', `platform ${s.slice(8)} has no conda subdir this action knows — platform selectors are not evaluated for it`)
  const dockerfile = {
    path: input.baseDockerfile.path === undefined ? undefined : relTo(envDir, path.resolve(input.baseDockerfile.path)),
    sha256: sha256Hex(input.baseDockerfile.content),
  }
  const context = await contextOf(input, platforms, ctx)
  const common = { dockerfile, context, buildArgs: input.buildArgs.map(redactBuildArg), platforms, subdirs, subdirsAssumed: assumed }
  let parts: DocumentParts
  let pixi: PixiSource | undefined
  if (ctx.pixi) {
    const read = await readPixiProject(env, input.pixiEnvironment ?? DEFAULT_PIXI_ENVIRONMENT, subdirs, ctx)
    pixi = read.source
    parts = { source: 'pixi', ...read.parts, ...common }
  } else if (isExplicitLock(env.text)) {
    const lock = readExplicitLock(env.text, given)
    for (const w of lock.warnings) warnings.adopt('environment', w, given)
    if (lock.platform && !subdirs.includes(lock.platform)) {
      warnings.add(
        'lock-platform',
        `${given} is an explicit lock for ${excerpt(lock.platform)}, but the target is ${subdirs.join(', ')}${assumed ? ' (assumed; set `platforms`)' : ''}`,
        given,
      )
    }
    parts = { source: 'explicit', packages: Object.fromEntries(subdirs.map((s) => [s, lock.packages])), ...common }
  } else if (!/\.ya?ml$/i.test(env.abs) && isSpecList(env.text)) {
    // micromamba reads `.yml`/`.yaml` as environment files and every other name as a spec file
    const list = readSpecList(env.text)
    if (list.platform && !subdirs.includes(list.platform)) {
      warnings.add(
        'lock-platform',
        `${given} is a spec list exported for ${list.platform}, but the target is ${subdirs.join(', ')}${assumed ? ' (assumed; set `platforms`)' : ''}`,
        given,
      )
    }
    const same = { conda: list.specs, pip: [] as string[] }
    parts = { source: 'spec-list', selection: { bySubdir: new Map(subdirs.map((s) => [s, same])), excluded: [], pipEntries: [], warnings: [] }, ...common }
  } else {
    const root = parseYaml(env.text, given)
    if (isCondaLock(root)) {
      parts = { source: 'conda-lock', packages: readCondaLock(root, given, subdirs), ...common }
    } else {
      const model = readEnvironment(root, given)
      for (const w of model.warnings) warnings.adopt(/ is a (number|boolean) in YAML, /.test(w) ? 'dependency-type' : 'environment', w, given)
      const selection = selectEntries(model, subdirs, given)
      for (const w of selection.warnings) warnings.adopt('environment', w, given)
      await resolvePipEntries(selection.pipEntries, given, ctx)
      const variables = model.variables && Object.fromEntries(Object.entries(model.variables).map(([k, v]) => [k, v === null ? null : redactAssignment(k, v)]))
      parts = {
        source: 'environment',
        name: dockerfileUsesEnvName(input.baseDockerfile.content) ? model.name : undefined,
        channels: model.channels.map(redactUrlSecrets),
        selection,
        variables,
        extra: redactJson(model.extra) as Record<string, JsonValue>,
        files: Object.fromEntries(ctx.reqFiles),
        local: Object.fromEntries(ctx.local),
        ...common,
      }
    }
  }
  const document = buildDocument(parts)
  const { json, hash } = serialize(document)
  return { hash, document, json, warnings: warnings.done(), files: [...ctx.files], digests: ctx.digests, ...(pixi ? { pixi } : {}) }
}

/**
 * What a custom base Dockerfile reads from its build context (the environment file's
 * directory), by content. The bundled template reads only the environment file and the
 * files it references (the action assembles its context from the fingerprint's file list),
 * so it adds nothing here.
 */
async function contextOf(input: FingerprintInput, platforms: readonly string[], ctx: Context): Promise<ContextSection | undefined> {
  if (input.baseDockerfile.path === undefined) return undefined
  const dockerfile = path.resolve(input.baseDockerfile.path)
  const file = shownIn(ctx.ws, dockerfile)
  // the action passes ENVIRONMENT_FILE=<file name> after the base build-args (main.ts)
  const buildArgs = [...input.buildArgs, `${BuildArgNames.EnvironmentFile}=${path.basename(ctx.envFile)}`]
  const { reads, warnings } = dockerfileContextReads(input.baseDockerfile.content, buildArgs, platforms)
  const note = (w: { message: string; line?: number; kind: HashWarningKind }) =>
    ctx.warnings.add(w.kind, w.line ? `${file}:${w.line}: ${w.message}` : `${file}: ${w.message}`, file, w.line)
  warnings.forEach(note)
  if (reads.length === 0) return undefined
  const result = await hashContextFiles({ workspace: ctx.ws.root, root: ctx.envDir, dockerfile, envFile: ctx.envFile, reads })
  result.warnings.forEach(note)
  for (const f of result.files) ctx.files.add(f)
  return result.section
}

async function resolvePipEntries(entries: readonly Entry[], envFile: string, ctx: Context): Promise<void> {
  for (const e of entries) {
    for (const ref of pipRefs(e.text)) await resolveRef(ref, e.text.trim(), { shownFile: envFile, line: e.line, dir: ctx.envDir }, ctx)
  }
}

interface Origin {
  /** File the reference is written in (as shown to the user) and its 1-based line. */
  readonly shownFile: string
  readonly line: number
  /** Directory `-r`/`-c` paths are relative to: that of the including file. */
  readonly dir: string
}

const at = (o: Origin): string => `${o.shownFile}:${o.line}`

async function resolveRef(ref: PipRef, entry: string, origin: Origin, ctx: Context): Promise<void> {
  const quoted = excerpt(entry)
  if (ref.kind === 'remote') {
    ctx.warnings.add(
      'remote-reference',
      `${at(origin)}: pip entry "${quoted}" reads a remote file that the environment hash cannot see — the base is rebuilt only when the environment file changes`,
      origin.shownFile,
      origin.line,
    )
    return
  }
  const target = fileUrlToPathish(ref.target)
  if (/\$\{?[A-Za-z_]/.test(target)) {
    ctx.warnings.add(
      'unresolved-path',
      `${at(origin)}: pip entry "${quoted}" uses an environment variable in a path — not resolved, its content is not in the environment hash`,
      origin.shownFile,
      origin.line,
    )
    ctx.local.set(`unresolved:${target}`, 'unhashed')
    return
  }
  if (ref.kind === 'requirements') {
    await readRequirementFile(path.resolve(origin.dir, target), quoted, origin, ctx)
    return
  }
  // local paths: pip runs in the environment file's directory
  const abs = path.resolve(ctx.envDir, target)
  const key = path.isAbsolute(target) ? target : relTo(ctx.envDir, abs)
  if (ctx.local.has(key)) return
  ctx.local.set(key, await hashLocal(abs, key, quoted, origin, ctx))
}

/**
 * A pip entry whose file or path lies outside the workspace (or is a system path): not read, one
 * warning; its text alone counts. Returns whether `e` was that refusal.
 */
const outsideWords = (e: ConfinedError): string => (e.reason === 'system' ? 'a system path (/proc, /sys, /dev)' : 'outside the workspace')

function warnedOutside(e: ConfinedError, refersTo: 'refers to a file' | 'installs from a path', quoted: string, origin: Origin, ctx: Context): boolean {
  if (e.reason !== 'outside' && e.reason !== 'system') return false
  const where = outsideWords(e)
  ctx.warnings.add(
    'outside-workspace',
    `${at(origin)}: pip entry "${quoted}" ${refersTo} ${where} — it is not read; only the entry's text counts in the environment hash`,
    origin.shownFile,
    origin.line,
  )
  return true
}

async function readRequirementFile(abs: string, quoted: string, origin: Origin, ctx: Context): Promise<void> {
  const key = relTo(ctx.envDir, abs)
  if (ctx.visited.has(abs)) return
  ctx.visited.add(abs)
  let file
  try {
    file = await readConfined(ctx.ws, abs, { maxBytes: MAX_REQUIREMENT_BYTES })
  } catch (e) {
    if (!isConfinedError(e)) throw e
    if (warnedOutside(e, 'refers to a file', quoted, origin, ctx)) {
      ctx.reqFiles.set(key, 'outside-workspace')
      return
    }
    const why = e.reason === 'too-large' ? `it is larger than ${MAX_REQUIREMENT_BYTES / 1024 / 1024} MiB` : describeRefusal(e.reason)
    throw new UserError(`${at(origin)}: pip entry "${quoted}" refers to ${shownIn(ctx.ws, abs)}, which cannot be read: ${why}`, {
      file: origin.shownFile,
      line: origin.line,
    })
  }
  ctx.files.add(abs)
  ctx.digests.set(abs, sha256Hex(file.bytes))
  const shown = shownIn(ctx.ws, abs)
  const decoded = decodeRequirements(file.bytes)
  if (decoded.invalid)
    ctx.warnings.add(
      'encoding',
      `${shown} is not valid ${decoded.encoding.toUpperCase()} text — it is hashed by its bytes, and its references are read with the invalid bytes replaced`,
      shown,
      1,
    )
  ctx.reqFiles.set(key, requirementsDigest(decoded))
  const origin2 = { shownFile: shown, dir: path.dirname(abs) }
  for (const r of requirementFileRefs(decoded.text)) await resolveRef(r.ref, r.text, { ...origin2, line: r.line }, ctx)
}

/** Digest of a local file or directory tree, bounded; warns when it cannot be complete. */
async function hashLocal(abs: string, key: string, quoted: string, origin: Origin, ctx: Context): Promise<string> {
  let st
  try {
    st = await statConfined(ctx.ws, abs)
  } catch (e) {
    if (!isConfinedError(e)) throw e
    if (warnedOutside(e, 'installs from a path', quoted, origin, ctx)) return 'outside-workspace'
    ctx.warnings.add(
      'local-unreadable',
      `${at(origin)}: pip entry "${quoted}" installs from ${excerpt(key)}, which cannot be read here (${describeRefusal(e.reason)}) — its content is not in the environment hash, so the base is rebuilt only when the environment file changes`,
      origin.shownFile,
      origin.line,
    )
    return 'missing'
  }
  if (st.type === 'file') {
    if (st.size > MAX_TREE_BYTES) {
      ctx.warnings.add(
        'tree-limit',
        `${at(origin)}: ${excerpt(key)} is larger than ${MAX_TREE_BYTES / 1024 / 1024} MiB — hashed by size only`,
        origin.shownFile,
        origin.line,
      )
      return `size:${st.size}`
    }
    try {
      const h = await hashConfined(ctx.ws, abs, { maxBytes: MAX_TREE_BYTES })
      ctx.files.add(abs)
      ctx.digests.set(abs, h.sha256)
      return `file:${h.sha256}`
    } catch (e) {
      if (!isConfinedError(e)) throw e
      ctx.warnings.add(
        'local-unreadable',
        `${at(origin)}: pip entry "${quoted}" installs from ${excerpt(key)}, which cannot be read here (${describeRefusal(e.reason)}) — its content is not in the environment hash`,
        origin.shownFile,
        origin.line,
      )
      return 'missing'
    }
  }
  return hashTree(abs, key, origin, ctx)
}

async function hashTree(abs: string, key: string, origin: Origin, ctx: Context): Promise<string> {
  const include = (_rel: string, name: string, isDir: boolean): boolean => (isDir ? !ctx.skipDirs.has(name) : !name.endsWith('.pyc'))
  const walk = await walkConfined(ctx.ws, abs, { maxFiles: MAX_TREE_FILES, maxDepth: MAX_TREE_DEPTH, include })
  const lines: string[] = []
  let bytes = 0
  let partial = false
  const unreadable: string[] = []
  for (const e of walk.entries) {
    // The environment file itself is hashed as parsed; its bytes in a local tree (`-e .`)
    // would make every cosmetic edit rebuild.
    if (ctx.exclude.has(e.abs) || ctx.exclude.has(path.join(abs, e.rel))) continue
    if (e.type === 'symlink') lines.push(`${e.rel}\0link:${e.target}`)
    else if (e.type === 'unreadable') {
      unreadable.push(e.rel)
      lines.push(`${e.rel}\0unreadable`)
    } else if (e.type === 'file') {
      const h = bytes + e.size <= MAX_TREE_BYTES ? await hashConfined(ctx.ws, e.abs, { maxBytes: e.size }).catch(() => undefined) : undefined
      if (h) {
        bytes += h.size
        ctx.files.add(path.join(abs, e.rel))
        ctx.digests.set(path.join(abs, e.rel), h.sha256)
        lines.push(`${e.rel}\0${h.sha256}`)
      } else {
        partial = true
        lines.push(`${e.rel}\0size:${e.size}`)
      }
    }
  }
  const digest = sha256Hex(lines.join('\n'))
  const inside = !path.relative(abs, ctx.envDir).startsWith('..')
  const where = `${at(origin)}: pip installs from ${excerpt(key)}`
  if (unreadable.length) {
    ctx.warnings.add(
      'tree-limit',
      `${where}, which has ${unreadable.length} director${unreadable.length === 1 ? 'y' : 'ies'} that cannot be listed (first: ${excerpt(unreadable[0]!)}) — only their names count in the environment hash`,
      origin.shownFile,
      origin.line,
    )
  }
  if (walk.stopped || partial) {
    const what =
      walk.stopped === 'files'
        ? `only its first ${MAX_TREE_FILES} files`
        : walk.stopped === 'depth'
          ? `nothing deeper than ${MAX_TREE_DEPTH} levels`
          : 'files beyond the limit only by size'
    ctx.warnings.add(
      'tree-limit',
      `${where}, a tree larger than the hashing limit (${MAX_TREE_FILES} files, ${MAX_TREE_BYTES / 1024 / 1024} MiB, ${MAX_TREE_DEPTH} levels) — ${what} count in the environment hash`,
      origin.shownFile,
      origin.line,
    )
    return `partial:${digest}`
  }
  if (inside && !ctx.pixi) {
    ctx.warnings.add(
      'tree-contains-environment',
      `${where}, which contains the environment file — every change to its files changes the environment hash and rebuilds the base`,
      origin.shownFile,
      origin.line,
    )
  }
  return unreadable.length ? `partial:${digest}` : `tree:${digest}`
}

/** Unknown keys are kept verbatim in the label document: credentials in their strings become digests. */
function redactJson(v: JsonValue): JsonValue {
  if (v === null) return null
  if (typeof v === 'string') return redactUrlSecrets(v)
  if (Array.isArray(v)) return v.map(redactJson)
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactJson(x)]))
}

// ---------------------------------------------------------------------------------------
// pixi projects

/** Names of an environment file that make it a pixi project (the bundled template decides alike: src/template/pixi.ts). */
const PIXI_FILE_NAMES: ReadonlySet<string> = new Set(['pixi.toml', 'pyproject.toml', 'pixi.lock'])
/** Local trees of a pixi project: pixi's own directory (installed environments) is never part of the source. */
const PIXI_SKIP_DIRS: ReadonlySet<string> = new Set([...SKIP_DIRS, '.pixi'])

export function isPixiFile(file: string): boolean {
  return PIXI_FILE_NAMES.has(path.basename(file))
}

interface ProjectFile {
  readonly text: string
  readonly abs: string
  readonly real: string
  readonly shown: string
}

/** A file of the project read whole (and recorded as read), or undefined when it does not exist. */
async function readProjectFile(ctx: Context, abs: string): Promise<ProjectFile | undefined> {
  const shown = shownIn(ctx.ws, abs)
  const limits = yamlLimitsFor(abs)
  let file
  try {
    file = await readConfined(ctx.ws, abs, { maxBytes: limits.maxBytes })
  } catch (e) {
    if (!isConfinedError(e)) throw e
    if (e.reason === 'missing') return undefined
    const why = e.reason === 'too-large' ? `it is more than the ${limits.maxBytes / 1024 / 1024} MiB ${limits.what} may have` : describeRefusal(e.reason)
    throw new UserError(`${shown} cannot be read: ${why}`, { file: shown })
  }
  let text: string
  try {
    text = normalizeNewlines(new TextDecoder('utf-8', { fatal: true }).decode(file.bytes))
  } catch {
    throw new UserError(`${shown} is not UTF-8 text`, { file: shown, line: 1 })
  }
  ctx.files.add(abs)
  ctx.digests.set(abs, sha256Hex(file.bytes))
  return { text, abs, real: file.real, shown }
}

/** The pixi readers and their TOML parser, loaded with the first pixi project: a conda run never parses them at start-up. */
interface PixiReaders {
  readonly lock: typeof import('./pixi/pixi-lock.js')
  readonly manifest: typeof import('./pixi/pixi-manifest.js')
}
async function loadPixiReaders(): Promise<PixiReaders> {
  return { lock: await import('./pixi/pixi-lock.js'), manifest: await import('./pixi/pixi-manifest.js') }
}

function manifestOf(f: ProjectFile, readers: PixiReaders): PixiManifest | undefined {
  return readers.manifest.parsePixiManifest(f.text, f.shown, path.basename(f.abs) as ManifestKind)
}

/** The manifest next to a lock: pixi.toml, else a pyproject.toml with [tool.pixi] (pixi's own order). */
async function manifestNextTo(lock: ProjectFile, ctx: Context, readers: PixiReaders): Promise<{ file: ProjectFile; manifest: PixiManifest }> {
  for (const name of ['pixi.toml', 'pyproject.toml']) {
    const file = await readProjectFile(ctx, path.join(path.dirname(lock.abs), name))
    const manifest = file && manifestOf(file, readers)
    if (file && manifest) return { file, manifest }
    if (file) {
      ctx.files.delete(file.abs)
      ctx.digests.delete(file.abs)
    }
  }
  throw new UserError(
    `${lock.shown}: there is no pixi manifest next to this lock (a pixi.toml, or a pyproject.toml with [tool.pixi]) — \`pixi install --locked\` needs both; commit the manifest with the lock`,
    { file: lock.shown, line: 1 },
  )
}

const packagesOf = (lines: readonly string[], items: readonly string[]): LockPackages => ({
  items: [...new Set(items)].sort(),
  sha256: sha256Hex([...lines].sort().join('\n')),
})

/** The manifest and the lock of a pixi project, whichever of them the environment file names. */
async function pixiFiles(
  env: ProjectFile,
  ctx: Context,
  readers: PixiReaders,
): Promise<{ manifestFile: ProjectFile; manifest: PixiManifest; lockFile: ProjectFile }> {
  if (path.basename(env.abs) === 'pixi.lock') {
    const { file, manifest } = await manifestNextTo(env, ctx, readers)
    return { manifestFile: file, manifest, lockFile: env }
  }
  const manifest = manifestOf(env, readers)
  if (!manifest)
    throw new UserError(
      `${env.shown}: this pyproject.toml has no [tool.pixi] table, so it is not a pixi project — point \`environment-file\` at a conda environment file, a pixi.toml, or a pyproject.toml with [tool.pixi]`,
      { file: env.shown, line: 1 },
    )
  const lockFile = await readProjectFile(ctx, path.join(ctx.envDir, 'pixi.lock'))
  if (!lockFile)
    throw new UserError(
      `${env.shown}: there is no pixi.lock next to this pixi manifest — run \`pixi lock\` and commit pixi.lock (the base is built with \`pixi install --locked\`, which installs exactly what the lock says)`,
      { file: env.shown, line: 1 },
    )
  return { manifestFile: env, manifest, lockFile }
}

type LockPath = { kind: 'pypi' | 'conda'; location: string; editable: boolean; line: number }

/** Path sources of the environment by content (`local`); one outside the workspace, or missing, is a user error at its line in the lock. */
async function hashPathSources(paths: ReadonlyMap<string, LockPath>, lockFile: ProjectFile, ctx: Context): Promise<PixiPathSource[]> {
  const out: PixiPathSource[] = []
  for (const [key, p] of [...paths].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const abs = path.resolve(ctx.envDir, fileUrlToPathish(p.location))
    const origin: Origin = { shownFile: lockFile.shown, line: p.line, dir: ctx.envDir }
    await requireInside(abs, `${p.kind} path source ${excerpt(p.location)}`, origin, ctx)
    ctx.local.set(key, await hashLocal(abs, p.location, p.location, origin, ctx))
    out.push({ kind: p.kind, location: p.location, abs, editable: p.editable, project: abs === ctx.envDir })
  }
  return out
}

/** The manifest's activation scripts for the environment by content (`files`); the ones read, absolute. */
async function hashActivationScripts(scripts: readonly ActivationScript[], manifestFile: ProjectFile, ctx: Context): Promise<string[]> {
  const read: string[] = []
  for (const s of scripts) {
    const abs = path.resolve(ctx.envDir, s.path)
    const key = `activation ${s.path}`
    if (ctx.reqFiles.has(key)) continue
    const origin: Origin = { shownFile: manifestFile.shown, line: manifestLine(manifestFile.text, s.path), dir: ctx.envDir }
    await requireInside(abs, `activation script ${excerpt(s.path)} (${s.where})`, origin, ctx, true)
    try {
      const h = await hashConfined(ctx.ws, abs, { maxBytes: MAX_REQUIREMENT_BYTES })
      ctx.files.add(abs)
      ctx.digests.set(abs, h.sha256)
      ctx.reqFiles.set(key, h.sha256)
      read.push(abs)
    } catch (e) {
      if (!isConfinedError(e)) throw e
      const why = e.reason === 'too-large' ? `larger than ${MAX_REQUIREMENT_BYTES / 1024 / 1024} MiB` : describeRefusal(e.reason)
      ctx.warnings.add(
        'local-unreadable',
        `${at(origin)}: activation script ${excerpt(s.path)} (${s.where}) cannot be read here (${why}) — its content is not in the environment hash`,
        origin.shownFile,
        origin.line,
      )
      ctx.reqFiles.set(key, 'missing')
    }
  }
  return [...new Set(read)].sort()
}

const byPlatform = (a: { subdir: string; name: string }, b: { subdir: string; name: string }) =>
  a.subdir === b.subdir ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.subdir < b.subdir ? -1 : 1

/**
 * A pixi project (manifest and lock, whichever the environment file names): the packages
 * `pixi install --locked -e <env>` installs on each target, the path sources by content, the
 * manifest's parts that count (pixi/pixi-manifest.ts), and the source the bundled template builds.
 */
async function readPixiProject(
  env: ProjectFile,
  environment: string,
  subdirs: readonly string[],
  ctx: Context,
): Promise<{ parts: Pick<DocumentParts, 'channels' | 'packages' | 'files' | 'local' | 'pixi'>; source: PixiSource }> {
  const readers = await loadPixiReaders()
  const { lock: lockReader, manifest: manifestReader } = readers
  const { manifestFile, manifest, lockFile } = await pixiFiles(env, ctx, readers)
  for (const f of [manifestFile, lockFile]) ctx.exclude.add(f.abs).add(f.real)
  const root = parseYaml(lockFile.text, lockFile.shown, PIXI_LOCK_LIMITS)
  if (!lockReader.isPixiLock(root))
    throw new UserError(`${lockFile.shown}:1: this is not a pixi lock (it has no \`version\` and \`environments\`)`, { file: lockFile.shown, line: 1 })
  const lock = lockReader.readPixiLock(root, lockFile.shown)
  const selection = lockReader.selectEnvironment(lock, environment, subdirs)
  const packages: Record<string, LockPackages> = {}
  const paths = new Map<string, LockPath>()
  for (const [key, t] of selection.targets) {
    packages[key] = packagesOf(
      t.packages.map((p) => p.line),
      t.packages.map((p) => p.item),
    )
    for (const p of t.packages) if (p.path) paths.set(`${p.path.kind} ${p.path.location}`, p.path)
  }
  const pathSources = await hashPathSources(paths, lockFile, ctx)
  const fromManifest = manifestReader.manifestParts(manifest, environment, subdirs, {
    lockPlatforms: lock.platforms,
    installsProject: pathSources.some((p) => p.project),
  })
  const activationScripts = await hashActivationScripts(fromManifest.scripts, manifestFile, ctx)
  const source: PixiSource = {
    kind: 'pixi',
    manifest: manifestFile.abs,
    lock: lockFile.abs,
    root: ctx.envDir,
    lockVersion: lock.version,
    environment,
    platforms: [...selection.targets.values()].map((t) => ({ subdir: t.subdir, name: t.name })).sort(byPlatform),
    pathSources,
    activationScripts,
    contextFiles: [...ctx.files].sort(),
  }
  const pixi = { environment, manifest: relTo(ctx.envDir, manifestFile.abs), ...fromManifest.settings, ...selection.settings }
  return {
    parts: { channels: selection.channels, packages, files: Object.fromEntries(ctx.reqFiles), local: Object.fromEntries(ctx.local), pixi },
    source,
  }
}

/** The 1-based line of the manifest that names `text` (for annotations), else 1. */
function manifestLine(manifest: string, text: string): number {
  const i = manifest.split('\n').findIndex((l) => l.includes(text))
  return i < 0 ? 1 : i + 1
}

/** A path a pixi project installs from or sources must be inside the workspace: else a user error at its line. */
async function requireInside(abs: string, what: string, origin: Origin, ctx: Context, mayBeMissing = false): Promise<void> {
  try {
    await statConfined(ctx.ws, abs)
  } catch (e) {
    if (!isConfinedError(e)) throw e
    if (e.reason === 'outside' || e.reason === 'system')
      throw new UserError(
        `${at(origin)}: the ${what} is ${outsideWords(e)} — the base build context holds only files of the workspace; move it into the workspace`,
        { file: origin.shownFile, line: origin.line },
      )
    if (e.reason === 'missing' && !mayBeMissing)
      throw new UserError(`${at(origin)}: the ${what} does not exist here — \`pixi install --locked\` cannot install it`, {
        file: origin.shownFile,
        line: origin.line,
      })
  }
}
