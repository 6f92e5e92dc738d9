// A path of the build context resolved the way BuildKit's copy resolves a source
// (continuity's fs.RootPath): symlinks followed component by component, inside the context
// root — an absolute target starts again at the root, `..` never climbs above it. So
// `x -> /etc/passwd` is the context's `etc/passwd`, never the runner's. A missing component
// and what follows it are kept as written.

import { lstat, readlink } from 'node:fs/promises'
import path from 'node:path'

/** Links followed at most (Linux's limit as continuity counts it)… */
const MAX_LINKS = 255
/** …and path components looked at (long link targets cannot make one source cost minutes). */
const MAX_STEPS = 4096

/** `rel` (`/`-separated, relative to `root`) without symlinks, `.` for the root; undefined past MAX_LINKS or MAX_STEPS. */
export async function resolveInRoot(root: string, rel: string): Promise<string | undefined> {
  const todo = split(rel)
  const done: string[] = []
  let links = 0
  let steps = 0
  while (todo.length > 0) {
    if (++steps > MAX_STEPS) return undefined
    const part = todo.shift()!
    if (part === '..') {
      done.pop()
      continue
    }
    const next = path.join(root, ...done, part)
    const st = await lstat(next).catch(() => undefined)
    if (st?.isSymbolicLink()) {
      if (++links > MAX_LINKS) return undefined
      const target = await readlink(next)
      if (target.startsWith('/')) done.length = 0
      todo.unshift(...split(target))
      continue
    }
    done.push(part)
  }
  return done.join('/') || '.'
}

const split = (p: string): string[] => p.split('/').filter((x) => x !== '' && x !== '.')
