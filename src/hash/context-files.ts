// The build-context files a base Dockerfile reads (dockerfile.ts finds which), by content:
// `.dockerignore` applied as Docker applies it (@balena/dockerignore; a Dockerfile-specific
// `<Dockerfile>.dockerignore` next to the Dockerfile takes precedence over the context's
// own), wildcards matched as Docker matches them (glob.ts), directories recursively.
//
// Every read stays inside the context root (real paths compared; a source that resolves
// outside it, through `..` or a symlink, is warned about and only its text is hashed),
// opens regular files only (O_NOFOLLOW), and is bounded: the same file-count and byte limits
// as local pip trees, over the whole context. Symlinks inside directories are hashed as
// links (Docker copies them as links); empty directories count (Docker creates them);
// the executable bit counts (Docker keeps the mode). The environment file itself is left
// out: it is in the document as parsed, so its cosmetic edits must not rebuild.

import { lstat, readlink } from 'node:fs/promises'
import path from 'node:path'
import dockerignore, { type Ignore } from '@balena/dockerignore'
import { hashConfined, isConfinedError, readConfined, statConfined, walkConfined, workspaceAt, type Workspace } from '../fs/index.js'
import { sha256Hex } from './canonical.js'
import type { ContextRead } from './dockerfile.js'
import { goMatch, hasWildcard } from './glob.js'
import type { ContextSection } from './types.js'

// The package is CommonJS (`module.exports = factory`) with an ESM-style `export default` in its types.
const ignore = dockerignore as unknown as () => Ignore

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
  readonly kind: 'context-partial' | 'context-escapes' | 'context-git' | 'context-missing'
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
  readonly ignore: Ignore
  readonly reIncludes: boolean
  /** rel → full value (`<x?>sha256`, `link:…`, `dir`, `size:N`, `missing`, `outside`, `special`). */
  readonly entries: Map<string, string>
  readonly files: Set<string>
  readonly warnings: ContextWarning[]
  count: number
  bytes: number
  stopped: boolean
  partial: boolean
  gitWarned: boolean
}

export async function hashContextFiles(input: ContextInput): Promise<ContextResult> {
  const { ignore: ig, file: ignoreFile, reIncludes } = await loadIgnore(input.workspace, input.root, input.dockerfile)
  const w: Walk = {
    root: input.root,
    ws: workspaceAt(input.root),
    envFile: input.envFile,
    ignore: ig,
    reIncludes,
    entries: new Map(),
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
    const label = read.unresolved ? '(whole build context)' : (read.source ?? read.escapes!)
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
  if (read.escapes !== undefined) return rel === read.escapes
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
  const m = /^(x)?([0-9a-f]{64})$/.exec(v)
  if (!m) return v
  return m[1] ? `exec:${m[2]!.slice(0, 16)}` : m[2]!.slice(0, 16)
}

async function loadIgnore(workspace: string, root: string, dockerfile: string): Promise<{ ignore: Ignore; file?: string; reIncludes: boolean }> {
  // The Dockerfile-specific file may lie outside the context (next to the Dockerfile): it is
  // confined to the workspace, the context's own to the context.
  for (const [dir, file] of [
    [workspace, `${dockerfile}.dockerignore`],
    [root, path.join(root, '.dockerignore')],
  ] as const) {
    const text = await readSmallFile(dir, file)
    if (text === undefined) continue
    const clean = text.replace(/^\uFEFF/, '')
    return { ignore: ignore().add(clean), file, reIncludes: clean.split(/\r?\n/).some((l) => l.trim().startsWith('!')) }
  }
  return { ignore: ignore(), reIncludes: false }
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
 * Hidden by `.dockerignore` (relative to the context root), or by a `COPY --exclude`
 * pattern, which BuildKit matches relative to the copied directory (`base`); a source named
 * directly is never taken for excluded (prefer hashing too much).
 */
function isIgnored(w: Walk, rel: string, excludes?: Ignore, base?: string): boolean {
  if (rel === '.') return false
  if (w.ignore.ignores(rel)) return true
  if (!excludes || base === undefined || rel === base) return false
  const inner = base === '.' ? rel : rel.startsWith(`${base}/`) ? rel.slice(base.length + 1) : undefined
  return inner !== undefined && excludes.ignores(inner)
}

async function readOne(read: ContextRead, w: Walk): Promise<void> {
  if (read.escapes !== undefined) {
    w.entries.set(read.escapes, 'outside')
    return
  }
  const excludes = read.excludes?.length ? ignore().add([...read.excludes]) : undefined
  const source = read.unresolved ? '.' : read.source!
  if (hasWildcard(source)) {
    await walkGlob(source, w, excludes, read.line)
    return
  }
  await readSource(source, w, excludes, read.line)
}

/** A source path as given (a file, directory or symlink), confined to the context. */
async function readSource(rel: string, w: Walk, excludes: Ignore | undefined, line: number): Promise<void> {
  if (path.join(w.root, rel) === w.envFile) return
  let st
  try {
    st = await statConfined(w.ws, rel)
  } catch (e) {
    if (isConfinedError(e) && (e.reason === 'outside' || e.reason === 'system')) {
      const target = await readlink(path.join(w.root, rel)).catch(() => rel)
      w.entries.set(rel, `link:${target}`)
      w.warnings.push({
        kind: 'context-escapes',
        line,
        message: `${rel} resolves out of the build context (${target}) — it is not read; only its text is in the environment hash`,
      })
    } else w.entries.set(rel, isConfinedError(e) && e.reason === 'missing' ? 'missing' : 'special')
    return
  }
  if (isIgnored(w, rel) && !(st.type === 'directory' && w.reIncludes)) {
    w.entries.set(rel, 'missing')
    w.warnings.push({
      kind: 'context-missing',
      line,
      message: `${rel} is excluded by .dockerignore — it is not in the build context, so this instruction will not find it`,
    })
    return
  }
  if (st.type === 'directory') await walkTree(rel, w, line, (full, isDir) => !isIgnored(w, full, excludes, rel) || (isDir && w.reIncludes))
  else await addFile(rel, st.size, w)
}

/** Wildcard source: every context path matching it (Go filepath.Match on the whole relative path); a matched directory counts whole. */
async function walkGlob(pattern: string, w: Walk, excludes: Ignore | undefined, line: number): Promise<void> {
  const parts = pattern.split('/')
  const fixed = parts.slice(
    0,
    parts.findIndex((p) => hasWildcard(p)),
  )
  const start = fixed.length ? fixed.join('/') : '.'
  const matchedDirs: string[] = []
  const under = (full: string) => matchedDirs.find((d) => full.startsWith(`${d}/`))
  const take = (full: string, isDir: boolean): boolean => {
    const ignored = isIgnored(w, full, excludes, under(full))
    if (under(full)) return !ignored || (isDir && w.reIncludes)
    if (goMatch(pattern, full)) {
      const taken = !ignored || (isDir && w.reIncludes)
      if (isDir && taken) matchedDirs.push(full)
      return taken
    }
    // not (yet) matched: only directories that a deeper path may still match are entered, and they count for nothing
    return isDir && full.split('/').length < parts.length && (!ignored || w.reIncludes)
  }
  const kept = (full: string) => under(full) !== undefined || goMatch(pattern, full)
  try {
    await statConfined(w.ws, start)
  } catch {
    return
  }
  await walkTree(start, w, line, take, kept)
}

/**
 * Files of a context directory (walkConfined: sorted, symlinks not followed, bounded), each
 * hashed; `take` decides per context-relative path, `kept` which taken directories count.
 */
async function walkTree(
  rel: string,
  w: Walk,
  line: number,
  take: (full: string, isDir: boolean) => boolean,
  kept: (full: string) => boolean = () => true,
): Promise<void> {
  if (w.stopped) return
  const full = (r: string) => (rel === '.' ? r : `${rel}/${r}`)
  if (rel !== '.' && kept(rel)) w.entries.set(rel, 'dir')
  const include = (r: string, name: string, isDir: boolean): boolean => {
    const f = full(r)
    if (path.join(w.root, f) === w.envFile) return false
    if (!take(f, isDir)) return false
    if (isDir && kept(f)) {
      w.entries.set(f, 'dir')
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
    walk = await walkConfined(w.ws, rel, { maxFiles: Math.max(0, MAX_TREE_FILES - w.count), maxDepth: MAX_DEPTH, include })
  } catch {
    return
  }
  if (walk.stopped === 'files') w.stopped = true
  else if (walk.stopped) w.partial = true // directories past the depth limit: their names do not count
  for (const e of walk.entries) {
    const f = full(e.rel)
    if (w.entries.has(f) && w.entries.get(f) !== 'dir') continue
    if (e.type === 'symlink') w.entries.set(f, `link:${e.target}`)
    else if (e.type === 'file') await addFile(f, e.size, w)
    else w.entries.set(f, e.type)
  }
}

async function addFile(rel: string, size: number, w: Walk): Promise<void> {
  if (w.entries.has(rel)) return
  if (++w.count > MAX_TREE_FILES) {
    w.stopped = true
    return
  }
  if (w.bytes + size > MAX_TREE_BYTES) {
    w.partial = true
    w.entries.set(rel, `size:${size}`)
    return
  }
  try {
    const h = await hashConfined(w.ws, rel, { maxBytes: MAX_TREE_BYTES - w.bytes })
    const st = await lstat(h.real)
    w.bytes += h.size
    w.files.add(h.abs)
    w.entries.set(rel, `${Number(st.mode) & 0o111 ? 'x' : ''}${h.sha256}`)
  } catch (e) {
    if (isConfinedError(e) && e.reason === 'too-large') {
      w.partial = true
      w.entries.set(rel, `size:${size}`)
    } else w.entries.set(rel, 'special')
  }
}
