// The build-context files a base Dockerfile reads (dockerfile.ts finds which), by content,
// the way BuildKit reads them: `.dockerignore` and `COPY --exclude` matched as
// moby/patternmatcher matches them (patternmatcher.ts; a Dockerfile-specific
// `<Dockerfile>.dockerignore` next to the Dockerfile takes precedence over the context's
// own), wildcards matched as BuildKit's copy matches them (glob.ts: the part after the
// first wildcard, below the fixed part), directories recursively.
//
// Symlinks as BuildKit's copy treats them: a source path — named directly or matched by a
// wildcard — is followed, and resolved inside the context root (an absolute target or `..`
// stays in the context: `x -> /etc/passwd` reads the context's `etc/passwd`), so the target's
// bytes count; a symlink inside a copied directory is copied as a link, so its text counts.
// Every read opens regular files only (O_NOFOLLOW) and is bounded: the same file-count and
// byte limits as local pip trees, over the whole context. Empty directories count (BuildKit
// creates them); the mode counts (BuildKit keeps it): the executable bit as an `x` prefix,
// permission bits other than 0644/0755 as a `:mode=` suffix. The environment file itself is
// left out (it is in the document as parsed, so its cosmetic edits must not rebuild), except
// for a frontend that may read anything (`unfiltered`), where every byte counts.

import { lstat } from 'node:fs/promises'
import path from 'node:path'
import { hashConfined, isConfinedError, readConfined, statConfined, walkConfined, workspaceAt, type Workspace } from '../fs/index.js'
import { sha256Hex } from './canonical.js'
import type { ContextRead } from './dockerfile.js'
import { goMatch, hasWildcard } from './glob.js'
import { PatternMatcher, readIgnoreFile } from './patternmatcher.js'
import { resolveInRoot } from './root-path.js'
import type { ContextSection } from './types.js'

/** The bounds of local pip trees (loader.ts), over the whole context the Dockerfile reads. */
export const MAX_CONTEXT_FILES = 5000
export const MAX_CONTEXT_BYTES = 128 * 1024 * 1024
const MAX_TREE_FILES = MAX_CONTEXT_FILES
const MAX_TREE_BYTES = MAX_CONTEXT_BYTES
/** Up to this many files are listed by name in the document (the label stays small); beyond, per source. */
export const MAX_LISTED_CONTEXT_FILES = 200
const MAX_IGNORE_BYTES = 1024 * 1024

export interface ContextWarning {
  readonly message: string
  readonly line?: number
  readonly kind: 'context-partial' | 'context-git' | 'context-missing'
}

export interface ContextInput {
  /** The workspace (real path): a `<Dockerfile>.dockerignore` is read only inside it. */
  readonly workspace: string
  /** The build context: the environment file's directory (absolute). */
  readonly root: string
  /** The base Dockerfile (absolute): `<it>.dockerignore` next to it wins over `<root>/.dockerignore`. */
  readonly dockerfile: string
  /** The environment file (absolute): never hashed here. */
  readonly envFile: string
  readonly reads: readonly ContextRead[]
}

export interface ContextResult {
  /** Undefined when the Dockerfile reads nothing from the context but the environment file. */
  readonly section?: ContextSection
  readonly warnings: readonly ContextWarning[]
  /** Files read, absolute. */
  readonly files: readonly string[]
  /** The ignore file applied, absolute (undefined: none). */
  readonly ignoreFile?: string
}

/** Directories deeper than this below a copied directory are not listed. */
const MAX_DEPTH = 64

interface Walk {
  readonly root: string
  /** The context root as the confinement boundary: nothing outside it is read. */
  readonly ws: Workspace
  readonly envFile: string
  readonly ignore: PatternMatcher
  /** A read that sees every file (a custom frontend): no `.dockerignore`, the environment file too. */
  readonly raw: boolean
  /** rel → full value (`<x?>sha256[:mode=…]`, `link:…`, `dir`, `size:N`, `missing`, `special`). */
  readonly entries: Map<string, string>
  /** `key\0file` pairs already hashed (a file two reads reach under one name is read once). */
  readonly added: Set<string>
  readonly files: Set<string>
  readonly warnings: ContextWarning[]
  count: number
  bytes: number
  stopped: boolean
  partial: boolean
  gitWarned: boolean
}

export async function hashContextFiles(input: ContextInput): Promise<ContextResult> {
  const { ignore, file: ignoreFile } = await loadIgnore(input.workspace, input.root, input.dockerfile)
  const w: Walk = {
    root: input.root,
    ws: workspaceAt(input.root),
    envFile: input.envFile,
    ignore,
    raw: input.reads.some((r) => r.unfiltered),
    entries: new Map(),
    added: new Set(),
    files: new Set(),
    warnings: [],
    count: 0,
    bytes: 0,
    stopped: false,
    partial: false,
    gitWarned: false,
  }
  const perRead = new Map<string, Set<string>>()
  for (const read of input.reads) {
    const before = new Set(w.entries.keys())
    await readOne(read, w)
    const label = read.unresolved ? '(whole build context)' : read.source!
    const mine = perRead.get(label) ?? new Set<string>()
    for (const k of w.entries.keys()) if (!before.has(k) || entryOf(read, k)) mine.add(k)
    perRead.set(label, mine)
  }
  if (w.stopped || w.partial) {
    w.warnings.push({
      kind: 'context-partial',
      message: `the build context the base Dockerfile reads is larger than the hashing limit (${MAX_TREE_FILES} files, ${MAX_TREE_BYTES / 1024 / 1024} MiB) — ${w.stopped ? `only its first ${MAX_TREE_FILES} files` : 'files beyond the limit only by size'} count in the environment hash`,
    })
  }
  return { section: sectionOf(w.entries, perRead), warnings: w.warnings, files: [...w.files], ignoreFile }
}

/** Whether an entry already seen belongs to a read (a file two sources copy counts for both). */
function entryOf(read: ContextRead, rel: string): boolean {
  if (read.unresolved || read.source === '.') return true
  const src = read.source!
  return rel === src || rel.startsWith(`${src}/`) || (hasWildcard(src) && goMatch(src, rel.split('/').slice(0, src.split('/').length).join('/')))
}

function sectionOf(entries: Map<string, string>, perRead: Map<string, Set<string>>): ContextSection | undefined {
  if (entries.size === 0) return undefined
  const lines = [...entries].map(([k, v]) => `${k}\0${v}`).sort()
  const sha256 = sha256Hex(lines.join('\n'))
  const listed = [...entries].filter(([, v]) => v !== 'dir')
  const files: Record<string, string> = Object.create(null) as Record<string, string>
  if (listed.length <= MAX_LISTED_CONTEXT_FILES) {
    for (const [k, v] of listed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) files[k] = short(v)
  } else {
    for (const [label, keys] of [...perRead].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      files[`${label} (${keys.size} entries)`] = sha256Hex(
        [...keys]
          .sort()
          .map((k) => `${k}\0${entries.get(k)}`)
          .join('\n'),
      ).slice(0, 16)
    }
  }
  return { files: { ...files }, sha256 }
}

/** A full value as listed: content digests shortened to 16 hex digits (the full ones are in `sha256`). */
function short(v: string): string {
  const m = /^(x)?([0-9a-f]{64})(:mode=[0-7]+)?$/.exec(v)
  if (!m) return v
  return `${m[1] ? 'exec:' : ''}${m[2]!.slice(0, 16)}${m[3] ?? ''}`
}

async function loadIgnore(workspace: string, root: string, dockerfile: string): Promise<{ ignore: PatternMatcher; file?: string }> {
  // The Dockerfile-specific file may lie outside the context (next to the Dockerfile): it is
  // confined to the workspace, the context's own to the context.
  for (const [dir, file] of [
    [workspace, `${dockerfile}.dockerignore`],
    [root, path.join(root, '.dockerignore')],
  ] as const) {
    const text = await readSmallFile(dir, file)
    if (text === undefined) continue
    return { ignore: new PatternMatcher(readIgnoreFile(text)), file }
  }
  return { ignore: new PatternMatcher([]) }
}

/** A regular file's text (bounded), or undefined when it is not there or not readable. */
async function readSmallFile(dir: string, file: string): Promise<string | undefined> {
  try {
    return (await readConfined(workspaceAt(dir), file, { maxBytes: MAX_IGNORE_BYTES })).bytes.toString('utf8')
  } catch {
    return undefined
  }
}

/**
 * Hidden by `.dockerignore` (a context path), or by a `COPY --exclude` pattern, which
 * BuildKit matches relative to the copied source (`base`, a context path; never the source itself).
 */
function isIgnored(w: Walk, rel: string, excludes?: PatternMatcher, base?: string): boolean {
  if (rel === '.' || w.raw) return false
  if (w.ignore.matches(rel)) return true
  if (!excludes || base === undefined || rel === base) return false
  const inner = base === '.' ? rel : rel.startsWith(`${base}/`) ? rel.slice(base.length + 1) : undefined
  return inner !== undefined && excludes.matches(inner)
}

/** Whether an ignored directory is still entered: a `!` pattern may bring back something below it. */
const entersIgnored = (w: Walk, excludes?: PatternMatcher): boolean => !w.raw && (w.ignore.exclusions || (excludes?.exclusions ?? false))

/**
 * Records `value` under the context path `key`. Two reads can reach one path as different
 * things — `COPY .` copies a symlink as a link, `COPY l*` follows it to its target — and the
 * build reads both: the first keeps `key`, each other value is kept as `key#2`, `key#3` … (in
 * the reads' order, so the document is deterministic). A directory marker gives way to what
 * else is there (the directory's files are entries of their own).
 */
function put(w: Walk, key: string, value: string): void {
  const had = w.entries.get(key)
  if (had === undefined || had === 'dir') {
    w.entries.set(key, value)
    return
  }
  if (had === value || value === 'dir') return
  for (let n = 2; ; n++) {
    const other = w.entries.get(`${key}#${n}`)
    if (other === value) return
    if (other === undefined) {
      w.entries.set(`${key}#${n}`, value)
      return
    }
  }
}

const isEnvFile = (w: Walk, rel: string): boolean => !w.raw && path.join(w.root, rel) === w.envFile

/** A context path (`/`-separated, `.` = the root) joined. */
const join = (dir: string, rel: string): string => (dir === '.' ? rel : `${dir}/${rel}`)

async function readOne(read: ContextRead, w: Walk): Promise<void> {
  const excludes = read.excludes?.length ? new PatternMatcher(read.excludes) : undefined
  const source = read.unresolved ? '.' : read.source!
  if (hasWildcard(source)) await walkGlob(source, w, excludes, read.line)
  else await readSource(source, w, excludes, read.line)
}

/**
 * A source path (named, or a wildcard's match; `key` names it in the document), followed as
 * BuildKit follows it: inside the context root, symlinks included.
 */
async function readSource(key: string, w: Walk, excludes: PatternMatcher | undefined, line: number): Promise<void> {
  const real = await resolveInRoot(w.ws.root, key)
  if (real === undefined) {
    put(w, key, 'special') // a symlink loop: BuildKit fails too
    return
  }
  if (isEnvFile(w, real)) return
  let st
  try {
    st = await statConfined(w.ws, real)
  } catch (e) {
    put(w, key, isConfinedError(e) && e.reason === 'missing' ? 'missing' : 'special')
    return
  }
  if (isIgnored(w, real) && !(st.type === 'directory' && entersIgnored(w, excludes))) {
    put(w, key, 'missing')
    w.warnings.push({
      kind: 'context-missing',
      line,
      message: `${real} is excluded by .dockerignore — it is not in the build context, so this instruction will not find it`,
    })
    return
  }
  if (st.type === 'directory') await walkTree(real, key, w, line, (full, isDir) => !isIgnored(w, full, excludes, real) || (isDir && entersIgnored(w, excludes)))
  else await addFile(key, real, st.size, w)
}

/**
 * Wildcard source, as BuildKit's copy resolves it: the part before the first wildcard is
 * followed inside the context root; below it, every path the rest matches (Go
 * filepath.Match, relative to that directory; a matched directory is not searched further)
 * that the context holds is a source of its own, followed like a named one.
 */
async function walkGlob(pattern: string, w: Walk, excludes: PatternMatcher | undefined, line: number): Promise<void> {
  const parts = pattern.split('/')
  const at = parts.findIndex((p) => hasWildcard(p))
  const fixed = parts.slice(0, at).join('/') || '.'
  const rest = parts.slice(at).join('/')
  const depth = parts.length - at
  const base = await resolveInRoot(w.ws.root, fixed)
  if (base === undefined) return
  const matches: string[] = []
  const include = (r: string, _name: string, isDir: boolean): boolean => {
    const ctx = join(base, r)
    const ignored = isIgnored(w, ctx)
    if (goMatch(rest, r)) {
      if (!ignored || (isDir && entersIgnored(w))) matches.push(r)
      return false
    }
    return isDir && r.split('/').length < depth && (!ignored || entersIgnored(w))
  }
  try {
    await walkConfined(w.ws, base, { maxFiles: Number.MAX_SAFE_INTEGER, maxDepth: depth, include })
  } catch {
    return
  }
  for (const r of matches) {
    if (w.stopped) return
    await readSource(join(fixed, r), w, excludes, line)
  }
}

/**
 * Files of a context directory `at` (walkConfined: sorted, symlinks not followed, bounded),
 * each hashed under `as` (the source's name); `take` decides per context path.
 */
async function walkTree(at: string, as: string, w: Walk, line: number, take: (full: string, isDir: boolean) => boolean): Promise<void> {
  if (w.stopped) return
  if (as !== '.') put(w, as, 'dir')
  const include = (r: string, name: string, isDir: boolean): boolean => {
    const f = join(at, r)
    if (isEnvFile(w, f)) return false
    if (!take(f, isDir)) {
      // Hidden by .dockerignore, yet kept by the walk that sends the context: copied as an
      // empty file (its name counts, not its bytes).
      if (!isDir && !w.raw && w.ignore.exclusions && w.ignore.matches(f) && !w.ignore.matchesWalking(f)) put(w, join(as, r), EMPTY_FILE)
      return false
    }
    if (isDir) {
      put(w, join(as, r), 'dir')
      if (name === '.git' && !w.gitWarned) {
        w.gitWarned = true
        w.warnings.push({
          kind: 'context-git',
          line,
          message: `the build context read here includes ${f} — it changes with every commit, so the base is rebuilt on every commit; add .git to .dockerignore`,
        })
      }
    }
    return true
  }
  let walk
  try {
    walk = await walkConfined(w.ws, at, { maxFiles: Math.max(0, MAX_TREE_FILES - w.count), maxDepth: MAX_DEPTH, include })
  } catch {
    return
  }
  if (walk.stopped === 'files') w.stopped = true
  else if (walk.stopped) w.partial = true // directories past the depth limit: their names do not count
  for (const e of walk.entries) {
    const key = join(as, e.rel)
    if (e.type === 'symlink') put(w, key, `link:${e.target}`)
    else if (e.type === 'file') await addFile(key, join(at, e.rel), e.size, w)
    else put(w, key, e.type)
  }
}

/** The value of a file copied with no content. */
const EMPTY_FILE = sha256Hex('')

/** Permission bits every checkout has: only others show in the value. */
const USUAL_MODES = new Set([0o644, 0o755])

/** A regular file of the context (`rel`, no symlinks) by content and mode, as `key`. */
async function addFile(key: string, rel: string, size: number, w: Walk): Promise<void> {
  if (w.added.has(`${key}\0${rel}`)) return
  w.added.add(`${key}\0${rel}`)
  if (++w.count > MAX_TREE_FILES) {
    w.stopped = true
    return
  }
  if (w.bytes + size > MAX_TREE_BYTES) {
    w.partial = true
    put(w, key, `size:${size}`)
    return
  }
  try {
    const h = await hashConfined(w.ws, rel, { maxBytes: MAX_TREE_BYTES - w.bytes })
    const perm = Number((await lstat(h.real)).mode) & 0o7777
    w.bytes += h.size
    w.files.add(h.abs)
    put(w, key, `${perm & 0o111 ? 'x' : ''}${h.sha256}${USUAL_MODES.has(perm) ? '' : `:mode=${perm.toString(8).padStart(4, '0')}`}`)
  } catch (e) {
    if (isConfinedError(e) && e.reason === 'too-large') {
      w.partial = true
      put(w, key, `size:${size}`)
    } else put(w, key, 'special')
  }
}
