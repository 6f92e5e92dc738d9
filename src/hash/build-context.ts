// The build context of the bundled base template: exactly the files the environment hash
// covers (the fingerprint's own file list — environment file, -r/-c files, local trees pip
// installs from), copied into a fresh directory at their paths relative to one another.
// So the base build cannot read anything the hash does not cover, the context upload stays
// small, and an edit to any other file leaves every step of a refresh build cached.
//
// The context holds the very bytes that were hashed: each file is read again the way the
// hash read it (confined to the workspace, regular files only, opened without blocking or
// following a symlink, bounded), its sha256 compared with the digest the hash took, and the
// bytes read — not the path — written into the context. A file changed, or swapped for a
// symlink or a FIFO, between the hash and the copy is a user error, never other bytes in the
// build.
//
// BuildKit keys a COPY by the content (and mode) of what it copies, not by mtimes, so the
// copies keep the mode bits only.

import { chmod, lstat, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { UserError } from '../vocabulary/user-error.js'
import { describeRefusal, isConfinedError, readConfined, workspaceAt } from '../fs/index.js'
import { sha256Hex } from './canonical.js'

/** At most this many files… */
export const MAX_CONTEXT_FILES = 10_000
/** …and this many bytes go into the assembled context. */
export const MAX_CONTEXT_BYTES = 512 * 1024 * 1024

export interface ContextPlan {
  /** Directory the relative paths start from: the deepest directory holding every file. */
  readonly root: string
  /** Path of the environment file inside the context, `/`-separated. */
  readonly environmentFile: string
  /** Files to copy: absolute source → `/`-separated path inside the context (sorted, unique). */
  readonly entries: readonly { readonly source: string; readonly rel: string }[]
}

function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

function commonDir(paths: readonly string[]): string {
  let dir = path.dirname(paths[0]!)
  for (const p of paths.slice(1)) while (!isInside(dir, p)) dir = path.dirname(dir)
  return dir
}

/**
 * Where each hashed file goes in the context (pure). Every file must be inside the
 * workspace; the context root is the deepest directory holding them all.
 */
export function planContext(environmentFile: string, files: readonly string[], workspace: string): ContextPlan {
  const env = path.resolve(environmentFile)
  const all = [...new Set([env, ...files.map((f) => path.resolve(f))])].sort()
  const ws = path.resolve(workspace)
  for (const f of all) {
    if (!isInside(ws, f)) {
      throw new UserError(
        `${f} is read by the environment (hashed) but lies outside the workspace ${ws}: the base build context holds only files of the workspace`,
      )
    }
  }
  const root = commonDir(all)
  const rel = (p: string): string => path.relative(root, p).split(path.sep).join('/')
  // A .dockerignore at the context root (one of a local pip tree's files) would hide hashed
  // files from the build: Docker reads it, the install does not need it.
  const entries = all.map((source) => ({ source, rel: rel(source) })).filter((e) => e.rel !== '.dockerignore')
  return { root, environmentFile: rel(env), entries }
}

export interface AssembledContext {
  /** The context directory to pass to the build. */
  readonly dir: string
  /** ENVIRONMENT_FILE for the template: the environment file's path inside `dir`. */
  readonly environmentFile: string
  readonly files: number
  readonly bytes: number
}

/**
 * Copies the planned files into `dest` (created; must not exist or be empty). Only regular
 * files whose real path stays inside the workspace are copied, within the count and byte
 * bounds, and only with the bytes the hash read (`digests`: absolute path → sha256); anything
 * else is a user error naming the file.
 */
export async function assembleContext(plan: ContextPlan, workspace: string, dest: string, digests: ReadonlyMap<string, string>): Promise<AssembledContext> {
  if (plan.entries.length > MAX_CONTEXT_FILES) {
    throw new UserError(`The environment reads ${plan.entries.length} files, more than the ${MAX_CONTEXT_FILES} the base build context may hold`)
  }
  const ws = workspaceAt(workspace)
  await mkdir(dest, { recursive: true })
  let bytes = 0
  for (const { source, rel } of plan.entries) {
    const file = await readHashed(ws, source, MAX_CONTEXT_BYTES - bytes)
    if (sha256Hex(file.bytes) !== digests.get(source)) {
      throw new UserError(`${source} changed after the environment hash read it: the base build context would not hold the bytes that were hashed`)
    }
    bytes += file.bytes.length
    const target = path.join(dest, ...rel.split('/'))
    await mkdir(path.dirname(target), { recursive: true })
    await writeFile(target, file.bytes, { flag: 'wx' })
    await chmod(target, file.mode & 0o777)
  }
  return { dir: dest, environmentFile: plan.environmentFile, files: plan.entries.length, bytes }
}

/** A planned file read as the hash reads files (confined, regular, non-blocking, bounded), with its mode. */
async function readHashed(ws: ReturnType<typeof workspaceAt>, source: string, maxBytes: number): Promise<{ bytes: Buffer; mode: number }> {
  try {
    const file = await readConfined(ws, source, { maxBytes: Math.max(0, maxBytes) })
    return { bytes: file.bytes, mode: Number((await lstat(file.real)).mode) }
  } catch (e) {
    if (!isConfinedError(e)) throw e
    if (e.reason === 'too-large')
      throw new UserError(`The files the environment reads exceed ${MAX_CONTEXT_BYTES / 1024 / 1024} MiB: too large for the base build context`)
    if (e.reason === 'outside' || e.reason === 'system')
      throw new UserError(`${source} resolves outside the workspace: it cannot go into the base build context`)
    throw new UserError(`${source} is no longer a readable regular file (${describeRefusal(e.reason)}): it cannot go into the base build context`)
  }
}

/** planContext + assembleContext: the context of the bundled template in `dest`. */
export async function bundledTemplateContext(input: {
  environmentFile: string
  files: readonly string[]
  digests: ReadonlyMap<string, string>
  workspace: string
  dest: string
}): Promise<AssembledContext> {
  return assembleContext(planContext(input.environmentFile, input.files, input.workspace), input.workspace, input.dest, input.digests)
}
