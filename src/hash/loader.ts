// The thin I/O layer of the fingerprint: reads the environment file, the requirement files
// it references (recursively, cycle-safe) and the local trees pip installs from, then hands
// plain data to the pure functions.

import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises'
import path from 'node:path'
import { BuildArgNames } from '../constants.js'
import { UserError } from '../errors.js'
import { normalizeNewlines, sha256Hex } from './canonical.js'
import { hashContextFiles } from './context-files.js'
import { dockerfileContextReads, dockerfileUsesEnvName } from './dockerfile.js'
import { buildDocument, normalizePlatforms, serialize, targetSubdirs, type DocumentParts } from './document.js'
import { readEnvironment, selectEntries, type Entry } from './env.js'
import { isCondaLock, isExplicitLock, isSpecList, readCondaLock, readExplicitLock, readSpecList } from './lock.js'
import { requirementFileRefs } from './requirements.js'
import { redactAssignment, redactBuildArg, redactUrlSecrets } from './secrets.js'
import { fileUrlToPathish, pipRefs, type PipRef } from './spec.js'
import type { ContextSection, Fingerprint, FingerprintInput, FingerprintWarning } from './types.js'
import { MAX_YAML_BYTES, parseYaml } from './yaml.js'

/** Local trees: directories never descended into. */
export const SKIP_DIRS = new Set(['.git', '.hg', '.svn', 'node_modules', '__pycache__', '.mypy_cache', '.pytest_cache', '.ruff_cache', '.tox', '.nox', '.venv'])
/** Local trees: at most this many entries are listed… */
export const MAX_TREE_FILES = 5000
/** …and at most this many bytes read; files beyond it count by path and size only. */
export const MAX_TREE_BYTES = 128 * 1024 * 1024
const MAX_REQUIREMENT_BYTES = 5 * 1024 * 1024

/** A path for messages: relative to the working directory when inside it. */
function shown(abs: string): string {
  const rel = path.relative(process.cwd(), abs)
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs
}

/** Path relative to the environment file's directory, with `/` separators (stable across OSes). */
function relTo(dir: string, abs: string): string {
  const rel = path.relative(dir, abs)
  return (rel === '' ? '.' : rel).split(path.sep).join('/')
}

function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'file not found'
  if (code === 'EISDIR') return 'it is a directory'
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
  return (e as Error).message
}

/** BOM removed, CRLF/CR → LF, on bytes (see requirements.ts for why this is safe). */
function normalizeRequirementBytes(buf: Buffer): Buffer {
  let b = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.subarray(3) : buf
  if (!b.includes(0x0d)) return b
  const out = Buffer.alloc(b.length)
  let n = 0
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x0d) {
      out[n++] = 0x0a
      if (b[i + 1] === 0x0a) i++
    } else out[n++] = b[i]!
  }
  b = out.subarray(0, n)
  return b
}

interface Context {
  readonly envFile: string
  readonly envDir: string
  readonly files: Set<string>
  readonly warnings: string[]
  /** Warnings that carry their own file and line (annotations); their text is in `warnings` too. */
  readonly notes: FingerprintWarning[]
  readonly reqFiles: Record<string, string>
  readonly local: Record<string, string>
  readonly visited: Set<string>
}

export async function fingerprintFiles(input: FingerprintInput): Promise<Fingerprint> {
  const given = input.environmentFile
  const abs = path.resolve(given)
  const envDir = path.dirname(abs)
  let st
  try {
    st = await stat(abs)
  } catch (e) {
    throw new UserError(`environment file ${given} cannot be read: ${ioReason(e)} (resolved to ${abs})`, { file: given })
  }
  if (!st.isFile()) throw new UserError(`environment file ${given} is not a regular file`, { file: given })
  if (st.size > MAX_YAML_BYTES) throw new UserError(`${given} is ${Math.round(st.size / 1024)} KiB, more than the ${MAX_YAML_BYTES / 1024 / 1024} MiB an environment file may have`, { file: given, line: 1 })
  const bytes = await readFile(abs)
  let raw: string
  try {
    raw = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new UserError(`${given} is not UTF-8 text`, { file: given, line: 1 })
  }
  const text = normalizeNewlines(raw)
  const ctx: Context = { envFile: abs, envDir, files: new Set([abs]), warnings: [], notes: [], reqFiles: {}, local: {}, visited: new Set() }
  const platforms = normalizePlatforms(input.platforms)
  const { subdirs, assumed } = targetSubdirs(platforms)
  for (const s of subdirs) if (s.startsWith('unknown:')) ctx.warnings.push(`platform ${s.slice(8)} has no conda subdir this action knows — platform selectors are not evaluated for it`)
  const dockerfile = {
    path: input.baseDockerfile.path === undefined ? undefined : relTo(envDir, path.resolve(input.baseDockerfile.path)),
    sha256: sha256Hex(input.baseDockerfile.content),
  }
  const context = await contextOf(input, abs, platforms, ctx)
  const common = { dockerfile, context, buildArgs: input.buildArgs.map(redactBuildArg), platforms, subdirs, subdirsAssumed: assumed }
  let parts: DocumentParts
  if (isExplicitLock(text)) {
    const lock = readExplicitLock(text, given)
    ctx.warnings.push(...lock.warnings)
    if (lock.platform && !subdirs.includes(lock.platform)) {
      ctx.warnings.push(`${given} is an explicit lock for ${lock.platform}, but the target is ${subdirs.join(', ')}${assumed ? ' (assumed; set `platforms`)' : ''}`)
    }
    parts = { source: 'explicit', packages: Object.fromEntries(subdirs.map((s) => [s, lock.packages])), ...common }
  } else if (!/\.ya?ml$/i.test(abs) && isSpecList(text)) {
    // micromamba reads `.yml`/`.yaml` as environment files and every other name as a spec file
    const list = readSpecList(text)
    if (list.platform && !subdirs.includes(list.platform)) {
      ctx.warnings.push(`${given} is a spec list exported for ${list.platform}, but the target is ${subdirs.join(', ')}${assumed ? ' (assumed; set `platforms`)' : ''}`)
    }
    const same = { conda: list.specs, pip: [] as string[] }
    parts = { source: 'spec-list', selection: { bySubdir: new Map(subdirs.map((s) => [s, same])), excluded: [], pipEntries: [], warnings: [] }, ...common }
  } else {
    const root = parseYaml(text, given)
    if (isCondaLock(root)) {
      parts = { source: 'conda-lock', packages: readCondaLock(root, given, subdirs), ...common }
    } else {
      const model = readEnvironment(root, given)
      ctx.warnings.push(...model.warnings)
      const selection = selectEntries(model, subdirs, given)
      ctx.warnings.push(...selection.warnings)
      await resolvePipEntries(selection.pipEntries, given, ctx)
      const variables = model.variables && Object.fromEntries(Object.entries(model.variables).map(([k, v]) => [k, v === null ? null : redactAssignment(k, v)]))
      parts = {
        source: 'environment',
        name: dockerfileUsesEnvName(input.baseDockerfile.content) ? model.name : undefined,
        channels: model.channels.map(redactUrlSecrets),
        selection,
        variables,
        extra: model.extra,
        files: ctx.reqFiles,
        local: ctx.local,
        ...common,
      }
    }
  }
  const document = buildDocument(parts)
  const { json, hash } = serialize(document)
  return { hash, document, json, warnings: ctx.warnings, annotations: annotationsOf(ctx), files: [...ctx.files] }
}

/**
 * What a custom base Dockerfile reads from its build context (the environment file's
 * directory), by content. The bundled template reads only the environment file and the
 * files it references (the action assembles its context from the fingerprint's file list),
 * so it adds nothing here.
 */
async function contextOf(input: FingerprintInput, envFile: string, platforms: readonly string[], ctx: Context): Promise<ContextSection | undefined> {
  if (input.baseDockerfile.path === undefined) return undefined
  const dockerfile = path.resolve(input.baseDockerfile.path)
  const file = shown(dockerfile)
  // the action passes ENVIRONMENT_FILE=<file name> after the base build-args (main.ts)
  const buildArgs = [...input.buildArgs, `${BuildArgNames.EnvironmentFile}=${path.basename(envFile)}`]
  const { reads, warnings } = dockerfileContextReads(input.baseDockerfile.content, buildArgs, platforms)
  const note = (w: { message: string; line?: number; kind: string }) => {
    ctx.warnings.push(w.line ? `${file}:${w.line}: ${w.message}` : `${file}: ${w.message}`)
    ctx.notes.push(w.line ? { message: w.message, file, line: w.line, kind: w.kind } : { message: w.message, file, kind: w.kind })
  }
  warnings.forEach(note)
  if (reads.length === 0) return undefined
  const result = await hashContextFiles({ root: ctx.envDir, dockerfile, envFile, reads })
  result.warnings.forEach(note)
  for (const f of result.files) ctx.files.add(f)
  return result.section
}

/** Every warning as an annotation: its own file/line when it has them, else a `file:line:` prefix read back. */
function annotationsOf(ctx: Context): FingerprintWarning[] {
  const own = new Map(ctx.notes.map((n) => [n.line ? `${n.file}:${n.line}: ${n.message}` : `${n.file}: ${n.message}`, n]))
  return ctx.warnings.map((w) => {
    const n = own.get(w)
    if (n) return n
    const m = /^(.+?):(\d+): (.*)$/s.exec(w)
    return m ? { message: m[3]!, file: m[1]!, line: Number(m[2]), kind: 'environment' } : { message: w, kind: 'environment' }
  })
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

async function resolveRef(ref: PipRef, entry: string, origin: Origin, ctx: Context): Promise<void> {
  const where = `${origin.shownFile}:${origin.line}`
  if (ref.kind === 'remote') {
    ctx.warnings.push(`${where}: pip entry "${redactUrlSecrets(entry)}" reads a remote file that the environment hash cannot see — the base is rebuilt only when the environment file changes`)
    return
  }
  const target = fileUrlToPathish(ref.target)
  if (/\$\{?[A-Za-z_]/.test(target)) {
    ctx.warnings.push(`${where}: pip entry "${redactUrlSecrets(entry)}" uses an environment variable in a path — not resolved, its content is not in the environment hash`)
    ctx.local[`unresolved:${target}`] = 'unhashed'
    return
  }
  if (ref.kind === 'requirements') {
    const abs = path.resolve(origin.dir, target)
    await readRequirementFile(abs, entry, origin, ctx)
    return
  }
  // local paths: pip runs in the environment file's directory
  const abs = path.resolve(ctx.envDir, target)
  const key = path.isAbsolute(target) ? target : relTo(ctx.envDir, abs)
  if (key in ctx.local) return
  ctx.local[key] = await hashLocal(abs, key, entry, where, ctx)
}

async function readRequirementFile(abs: string, entry: string, origin: Origin, ctx: Context): Promise<void> {
  const key = relTo(ctx.envDir, abs)
  if (ctx.visited.has(abs)) return
  ctx.visited.add(abs)
  let buf: Buffer
  try {
    const st = await stat(abs)
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
    if (st.size > MAX_REQUIREMENT_BYTES) throw new Error(`larger than ${MAX_REQUIREMENT_BYTES / 1024 / 1024} MiB`)
    buf = await readFile(abs)
  } catch (e) {
    throw new UserError(`${origin.shownFile}:${origin.line}: pip entry "${redactUrlSecrets(entry)}" refers to ${shown(abs)}, which cannot be read: ${ioReason(e)}`, { file: origin.shownFile, line: origin.line })
  }
  ctx.files.add(abs)
  const normalized = normalizeRequirementBytes(buf)
  ctx.reqFiles[key] = sha256Hex(normalized)
  const nested = requirementFileRefs(normalized.toString('utf8'))
  const origin2: Origin = { shownFile: shown(abs), line: 0, dir: path.dirname(abs) }
  for (const r of nested) await resolveRef(r.ref, r.text, { ...origin2, line: r.line }, ctx)
}

/** Digest of a local file or directory tree, bounded; warns when it cannot be complete. */
async function hashLocal(abs: string, key: string, entry: string, where: string, ctx: Context): Promise<string> {
  let st
  try {
    st = await stat(abs)
  } catch (e) {
    ctx.warnings.push(`${where}: pip entry "${entry}" installs from ${key}, which cannot be read here (${ioReason(e)}) — its content is not in the environment hash, so the base is rebuilt only when the environment file changes`)
    return 'missing'
  }
  if (st.isFile()) {
    if (st.size > MAX_TREE_BYTES) {
      ctx.warnings.push(`${where}: ${key} is larger than ${MAX_TREE_BYTES / 1024 / 1024} MiB — hashed by size only`)
      return `size:${st.size}`
    }
    ctx.files.add(abs)
    return `file:${sha256Hex(await readFile(abs))}`
  }
  const lines: string[] = []
  let count = 0
  let bytes = 0
  let partial = false
  let stopped = false
  const walk = async (dir: string): Promise<void> => {
    const names = (await readdir(dir)).sort()
    for (const name of names) {
      if (stopped) return
      const p = path.join(dir, name)
      // The environment file itself is hashed as parsed; its bytes in a local tree (`-e .`)
      // would make every cosmetic edit rebuild.
      if (p === ctx.envFile) continue
      const rel = relTo(abs, p)
      let s
      try {
        s = await lstat(p)
      } catch {
        continue
      }
      if (s.isSymbolicLink()) {
        lines.push(`${rel}\0link:${await readlink(p).catch(() => '?')}`)
      } else if (s.isDirectory()) {
        if (!SKIP_DIRS.has(name)) await walk(p)
        continue
      } else if (s.isFile()) {
        if (name.endsWith('.pyc')) continue
        if (++count > MAX_TREE_FILES) {
          stopped = true
          return
        }
        if (bytes + s.size <= MAX_TREE_BYTES) {
          bytes += s.size
          ctx.files.add(p)
          lines.push(`${rel}\0${sha256Hex(await readFile(p))}`)
        } else {
          partial = true
          lines.push(`${rel}\0size:${s.size}`)
        }
      }
    }
  }
  await walk(abs)
  const digest = sha256Hex(lines.join('\n'))
  const inside = !path.relative(abs, ctx.envDir).startsWith('..')
  if (stopped || partial) {
    ctx.warnings.push(
      `${where}: pip installs from ${key}, a tree larger than the hashing limit (${MAX_TREE_FILES} files, ${MAX_TREE_BYTES / 1024 / 1024} MiB) — ${stopped ? `only its first ${MAX_TREE_FILES} files` : 'files beyond the limit only by size'} count in the environment hash`,
    )
    return `partial:${digest}`
  }
  if (inside) {
    ctx.warnings.push(`${where}: pip installs from ${key}, which contains the environment file — every change to its ${count} files changes the environment hash and rebuilds the base`)
  }
  return `tree:${digest}`
}
