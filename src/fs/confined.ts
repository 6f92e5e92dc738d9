// Confined, bounded file access: the only way the action reads a file because of user input.
//
// A pull request controls the environment file, every file it references and the base
// Dockerfile, so every such path is treated as hostile:
// - it is resolved to its real path (symlinks followed) and must lie inside the workspace
//   root (itself taken as a real path); `..` and symlinks cannot leave it;
// - nothing under /proc, /sys or /dev is ever touched, whatever the workspace is;
// - only regular files are read: every file is opened with O_NONBLOCK (and O_NOFOLLOW once
//   resolved: a FIFO or symlink swapped in cannot hang or redirect the read) and kept only when
//   fstat on the descriptor says it is a regular file within the size cap (openRegularSync —
//   the one opener, also for the runner's files in runner-files.ts);
// - every read is capped while it streams (no read of a size the file claims);
// - directory walks stop at a count and depth limit and never follow symlinks.
//
// Refusals are `ConfinedError`s with a stable `reason`; their messages name the path as given,
// never file content. Callers turn them into user errors or warnings in their own words.

import { createHash } from 'node:crypto'
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, writeSync, type Stats } from 'node:fs'
import { lstat, readdir, readlink, stat } from 'node:fs/promises'
import path from 'node:path'

/** Why a path was refused. */
export type RefusalReason =
  /** Resolves (lexically or through a symlink) outside the workspace. */
  | 'outside'
  /** Under /proc, /sys or /dev. */
  | 'system'
  | 'missing'
  | 'directory'
  /** A device, FIFO or socket. */
  | 'not-regular'
  | 'denied'
  | 'too-large'
  /** Too many levels of symbolic links, or another path error (ENAMETOOLONG, EINVAL…). */
  | 'invalid'

export class ConfinedError extends Error {
  readonly reason: RefusalReason
  /** The path as the caller gave it. */
  readonly given: string
  /** Why, in words ("it is larger than 1 MiB"): the message without the path. */
  readonly detail: string
  constructor(reason: RefusalReason, given: string, detail?: string) {
    super(`${given}: ${detail ?? describeRefusal(reason)}`)
    this.detail = detail ?? describeRefusal(reason)
    this.name = 'ConfinedError'
    this.reason = reason
    this.given = given
  }
}

export function isConfinedError(e: unknown): e is ConfinedError {
  return e instanceof ConfinedError
}

/** Words for a refusal, for messages ("… cannot be read: <words>"). */
export function describeRefusal(reason: RefusalReason): string {
  switch (reason) {
    case 'outside':
      return 'it is outside the workspace'
    case 'system':
      return 'it is a system path (/proc, /sys, /dev)'
    case 'missing':
      return 'file not found'
    case 'directory':
      return 'it is a directory'
    case 'not-regular':
      return 'it is not a regular file (a device, FIFO or socket)'
    case 'denied':
      return 'permission denied'
    case 'too-large':
      return 'it is too large'
    case 'invalid':
      return 'the path cannot be resolved'
  }
}

/** The workspace every user-controlled path must stay in, as a real path. */
export interface Workspace {
  readonly root: string
}

/** `GITHUB_WORKSPACE`, else the working directory (absolute, not yet a real path). */
export function workspaceDir(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return path.resolve(cwd, env.GITHUB_WORKSPACE || '.')
}

/** The workspace rooted at `dir` (its real path; `dir` itself must exist). */
export function workspaceAt(dir: string): Workspace {
  return Object.freeze({ root: realpathSync.native(path.resolve(dir)) })
}

const SYSTEM_ROOTS = ['/proc', '/sys', '/dev']

/** True for /proc, /sys, /dev and anything under them. */
export function isSystemPath(abs: string): boolean {
  return SYSTEM_ROOTS.some((r) => abs === r || abs.startsWith(`${r}/`))
}

/** True when `abs` is `root` or below it (both absolute, normalized). */
export function isInside(root: string, abs: string): boolean {
  const rel = path.relative(root, abs)
  return rel === '' || (!path.isAbsolute(rel) && !/^\.\.(?:[\\/]|$)/.test(rel))
}

/** Refusal reason of a Node fs error code. */
export function reasonOfCode(code: string | undefined): RefusalReason {
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'missing'
    case 'EISDIR':
      return 'directory'
    case 'EACCES':
    case 'EPERM':
      return 'denied'
    case 'ENXIO':
    case 'EAGAIN':
    case 'EWOULDBLOCK':
      return 'not-regular'
    default:
      return 'invalid'
  }
}

const codeOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code

/** A path resolved inside the workspace. */
export interface ConfinedPath {
  /** Absolute path as given (before symlinks), for messages and relative keys. */
  readonly abs: string
  /** Real path (symlinks followed): what is opened. */
  readonly real: string
  /** Real path relative to the workspace root, `/`-separated ('.' for the root). */
  readonly rel: string
}

/** Longest path resolved (Linux's PATH_MAX): longer ones fail in the kernel anyway, and cost time here. */
export const MAX_PATH = 4096

function lexicalCheck(given: string, abs: string): void {
  if (abs.includes('\0') || abs.length > MAX_PATH) throw new ConfinedError('invalid', given)
  if (isSystemPath(abs)) throw new ConfinedError('system', given)
}

function realCheck(ws: Workspace, given: string, abs: string, real: string): ConfinedPath {
  if (isSystemPath(real)) throw new ConfinedError('system', given)
  if (!isInside(ws.root, real)) throw new ConfinedError('outside', given)
  const rel = path.relative(ws.root, real).split(path.sep).join('/') || '.'
  return { abs, real, rel }
}

/** A missing path: `outside` when it would lie outside the workspace anyway, else the fs reason. */
function resolveFailure(ws: Workspace, given: string, abs: string, e: unknown): ConfinedError {
  const reason = reasonOfCode(codeOf(e))
  if (reason === 'missing' && (!isInside(ws.root, abs) || !isInside(ws.root, safeRealParent(abs)))) return new ConfinedError('outside', given)
  return new ConfinedError(reason, given)
}

/** Real path of the deepest existing ancestor of `abs` joined with the rest (best effort). */
function safeRealParent(abs: string): string {
  let dir = abs
  const rest: string[] = []
  for (;;) {
    try {
      return path.join(realpathSync.native(dir), ...rest)
    } catch {
      const up = path.dirname(dir)
      if (up === dir) return abs
      rest.unshift(path.basename(dir))
      dir = up
    }
  }
}

/**
 * Resolves `p` (relative to `base`, default the workspace root) to a real path inside the
 * workspace. (Synchronous inside: a path resolves in microseconds, and thousands of
 * references through the thread pool would cost seconds.)
 */
export function resolveConfined(ws: Workspace, p: string, base: string = ws.root): Promise<ConfinedPath> {
  return new Promise((resolve) => resolve(resolveConfinedSync(ws, p, base)))
}

/** Synchronous resolveConfined (for input validation). */
export function resolveConfinedSync(ws: Workspace, p: string, base: string = ws.root): ConfinedPath {
  const abs = path.resolve(base, p)
  lexicalCheck(p, abs)
  let real: string
  try {
    real = realpathSync.native(abs)
  } catch (e) {
    throw resolveFailure(ws, p, abs, e)
  }
  return realCheck(ws, p, abs, real)
}

/** What a stat says about a resolved path, as a refusal (undefined = a regular file). */
function typeRefusal(st: Stats): RefusalReason | undefined {
  if (st.isFile()) return undefined
  return st.isDirectory() ? 'directory' : 'not-regular'
}

const NONBLOCK = constants.O_NONBLOCK ?? 0
const NOFOLLOW = constants.O_NOFOLLOW ?? 0
const CHUNK = 64 * 1024

export interface ReadLimits {
  /** Largest accepted file; a larger one is refused (`too-large`) before it is read in full. */
  readonly maxBytes: number
}

export interface ConfinedFile extends ConfinedPath {
  readonly bytes: Buffer
}

const tooLarge = (given: string, maxBytes: number): ConfinedError => new ConfinedError('too-large', given, `it is larger than ${formatLimit(maxBytes)}`)

/**
 * The one way the action opens a file: without blocking (O_NONBLOCK: a FIFO or device swapped
 * in cannot hang the open), then fstat on the descriptor — only a regular file of at most
 * `maxBytes` is kept. `follow: false` also refuses a symlink (O_NOFOLLOW) for paths already
 * resolved to their real path. Returns the open descriptor; refusals are ConfinedErrors.
 */
export function openRegularSync(file: string, given: string, opts: { flags: number; maxBytes: number; follow?: boolean }): number {
  let fd: number
  try {
    fd = openSync(file, opts.flags | NONBLOCK | (opts.follow === false ? NOFOLLOW : 0))
  } catch (e) {
    throw new ConfinedError(codeOf(e) === 'ELOOP' ? 'invalid' : reasonOfCode(codeOf(e)), given)
  }
  try {
    const st = fstatSync(fd)
    const refusal = typeRefusal(st)
    if (refusal) throw new ConfinedError(refusal, given)
    if (st.size > opts.maxBytes) throw tooLarge(given, opts.maxBytes)
    return fd
  } catch (e) {
    closeSync(fd)
    throw e
  }
}

/**
 * Reads a regular file (opened by openRegularSync) in chunks handed to `onChunk`, refused as
 * `too-large` as soon as it streams past `maxBytes` (a file growing after the fstat included).
 * Returns the number of bytes read.
 */
export function readBoundedSync(file: string, given: string, limits: ReadLimits & { follow?: boolean }, onChunk: (chunk: Buffer) => void): number {
  const fd = openRegularSync(file, given, { flags: constants.O_RDONLY, maxBytes: limits.maxBytes, follow: limits.follow })
  try {
    let total = 0
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, limits.maxBytes + 1 - total))
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n === 0) return total
      total += n
      if (total > limits.maxBytes) throw tooLarge(given, limits.maxBytes)
      onChunk(buf.subarray(0, n))
    }
  } catch (e) {
    throw isConfinedError(e) ? e : new ConfinedError(reasonOfCode(codeOf(e)), given)
  } finally {
    closeSync(fd)
  }
}

/** A whole file, bounded (readBoundedSync into one buffer). */
export function readFileBoundedSync(file: string, given: string, limits: ReadLimits & { follow?: boolean }): Buffer {
  const chunks: Buffer[] = []
  const total = readBoundedSync(file, given, limits, (c) => chunks.push(c))
  return Buffer.concat(chunks, total)
}

/**
 * Appends `text` to a file that must already exist as a regular file (the runner's
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY), opened without blocking; refused (`too-large`) when
 * the file would grow past `maxBytes`.
 */
export function appendBoundedSync(file: string, given: string, text: string, maxBytes: number): void {
  const bytes = Buffer.from(text, 'utf8')
  const fd = openRegularSync(file, given, { flags: constants.O_WRONLY | constants.O_APPEND, maxBytes })
  try {
    if (fstatSync(fd).size + bytes.length > maxBytes) throw new ConfinedError('too-large', given, `it would grow past ${formatLimit(maxBytes)}`)
    let off = 0
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off)
  } catch (e) {
    throw isConfinedError(e) ? e : new ConfinedError(reasonOfCode(codeOf(e)), given)
  } finally {
    closeSync(fd)
  }
}

/** Reads a regular file inside the workspace, at most `maxBytes` (refused beyond). */
export function readConfined(ws: Workspace, p: string, limits: ReadLimits, base?: string): Promise<ConfinedFile> {
  return new Promise((resolve) => resolve(readConfinedSync(ws, p, limits, base)))
}

/** Synchronous readConfined (for input validation). */
export function readConfinedSync(ws: Workspace, p: string, limits: ReadLimits, base?: string): ConfinedFile {
  const target = resolveConfinedSync(ws, p, base)
  return { ...target, bytes: readFileBoundedSync(target.real, p, { maxBytes: limits.maxBytes, follow: false }) }
}

/**
 * sha256 (hex) of a regular file inside the workspace, streamed (constant memory); refused
 * (`too-large`) when it has more than `maxBytes`.
 */
export function hashConfined(ws: Workspace, p: string, limits: ReadLimits, base?: string): Promise<ConfinedPath & { sha256: string; size: number }> {
  return new Promise((resolve) => {
    const target = resolveConfinedSync(ws, p, base)
    const h = createHash('sha256')
    const size = readBoundedSync(target.real, p, { maxBytes: limits.maxBytes, follow: false }, (c) => h.update(c))
    resolve({ ...target, sha256: h.digest('hex'), size })
  })
}

/** Type (file or directory, symlinks followed) and size of a path inside the workspace, without opening it. */
export function statConfined(ws: Workspace, p: string, base?: string): Promise<ConfinedStat> {
  return new Promise((resolve) => resolve(statConfinedSync(ws, p, base)))
}

type ConfinedStat = ConfinedPath & { type: 'file' | 'directory'; size: number }

function statConfinedSync(ws: Workspace, p: string, base?: string): ConfinedStat {
  const target = resolveConfinedSync(ws, p, base)
  let st: Stats
  try {
    st = statSync(target.real)
  } catch (e) {
    throw new ConfinedError(reasonOfCode(codeOf(e)), p)
  }
  if (st.isDirectory()) return { ...target, type: 'directory', size: 0 }
  if (st.isFile()) return { ...target, type: 'file', size: st.size }
  throw new ConfinedError('not-regular', p)
}

function formatLimit(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`
}

// ---------------------------------------------------------------------------------------
// Directory walks

export interface WalkLimits {
  /** At most this many entries of type `file` are returned… */
  readonly maxFiles: number
  /** …and no directory deeper than this below the start is listed. */
  readonly maxDepth: number
  /** Called for every directory and file before it is taken; `false` skips it. */
  readonly include?: (rel: string, name: string, isDir: boolean) => boolean
}

export type WalkEntry =
  | { readonly type: 'file'; readonly rel: string; readonly abs: string; readonly size: number }
  /** Not followed: its target text only. */
  | { readonly type: 'symlink'; readonly rel: string; readonly abs: string; readonly target: string }
  /** A device, FIFO or socket: never opened. */
  | { readonly type: 'special'; readonly rel: string; readonly abs: string }
  /** A directory that could not be listed (permissions). */
  | { readonly type: 'unreadable'; readonly rel: string; readonly abs: string; readonly reason: RefusalReason }

export interface Walk {
  /** Entries in a stable order (names sorted by code unit at every level). */
  readonly entries: WalkEntry[]
  /** Set when a limit stopped the walk early. */
  readonly stopped?: 'files' | 'depth'
}

/**
 * Lists a directory tree inside the workspace, depth first, sorted, without following
 * symlinks (they are entries). `dir` must be a directory inside the workspace.
 */
export async function walkConfined(ws: Workspace, dir: string, limits: WalkLimits, base?: string): Promise<Walk & ConfinedPath> {
  const start = await resolveConfined(ws, dir, base)
  const entries: WalkEntry[] = []
  let files = 0
  let stopped: Walk['stopped']
  const toRel = (p: string) => path.relative(start.real, p).split(path.sep).join('/')
  const visit = async (d: string, depth: number): Promise<void> => {
    let names: string[]
    try {
      names = (await readdir(d)).sort()
    } catch (e) {
      entries.push({ type: 'unreadable', rel: toRel(d) || '.', abs: d, reason: reasonOfCode(codeOf(e)) })
      return
    }
    for (const name of names) {
      if (stopped === 'files') return
      const p = path.join(d, name)
      const rel = toRel(p)
      const st = await lstat(p).catch(() => undefined)
      if (!st) continue
      if (st.isDirectory()) {
        if (limits.include && !limits.include(rel, name, true)) continue
        if (isSystemPath(p)) continue
        if (depth + 1 > limits.maxDepth) {
          stopped ??= 'depth'
          continue
        }
        await visit(p, depth + 1)
        continue
      }
      if (limits.include && !limits.include(rel, name, false)) continue
      if (st.isSymbolicLink()) entries.push({ type: 'symlink', rel, abs: p, target: await readlink(p).catch(() => '?') })
      else if (st.isFile()) {
        if (++files > limits.maxFiles) {
          stopped = 'files'
          return
        }
        entries.push({ type: 'file', rel, abs: p, size: st.size })
      } else entries.push({ type: 'special', rel, abs: p })
    }
  }
  let st: Stats
  try {
    st = await stat(start.real)
  } catch (e) {
    throw new ConfinedError(reasonOfCode(codeOf(e)), dir)
  }
  if (!st.isDirectory()) throw new ConfinedError('not-regular', dir, 'it is not a directory')
  await visit(start.real, 0)
  return { ...start, entries, stopped }
}
