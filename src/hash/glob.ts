// Docker's wildcard rule for `COPY`/`ADD` sources: Go's `path/filepath.Match` (Unix flavour),
// applied by BuildKit to every path of the build context relative to its root. `*` and `?`
// never match `/`, `[...]` is a class (`^` negates, `a-z` ranges, `\` escapes), `\` escapes
// outside a class, and `**` is nothing more than two `*`. A malformed pattern matches nothing
// (BuildKit ignores filepath.Match's error). Pure functions over code points.

/** True when a source has a wildcard Docker would expand (`*`, `?` or `[`). */
export function hasWildcard(source: string): boolean {
  return /[*?[]/.test(source)
}

/** Go's filepath.Match(pattern, name) on Unix; a malformed pattern gives false. */
export function goMatch(pattern: string, name: string): boolean {
  try {
    return match([...pattern], [...name])
  } catch {
    return false
  }
}

/** True when Go's filepath.Match calls the pattern malformed (ErrBadPattern). */
export function isBadPattern(pattern: string): boolean {
  try {
    match([...pattern], ['.'])
    return false
  } catch {
    return true
  }
}

class BadPattern extends Error {}

function match(pattern: string[], name: string[]): boolean {
  let p = pattern
  let n = name
  outer: while (p.length > 0) {
    const { star, chunk, rest } = scanChunk(p)
    p = rest
    if (star && chunk.length === 0) return !n.includes('/')
    const t = matchChunk(chunk, n)
    if (t !== undefined && (t.length === 0 || p.length > 0)) {
      n = t
      continue
    }
    if (star) {
      for (let i = 0; i < n.length && n[i] !== '/'; i++) {
        const t2 = matchChunk(chunk, n.slice(i + 1))
        if (t2 !== undefined) {
          if (p.length === 0 && t2.length > 0) continue
          n = t2
          continue outer
        }
      }
    }
    // the rest of the pattern must still be well-formed (Go reports ErrBadPattern)
    while (p.length > 0) {
      const next = scanChunk(p)
      p = next.rest
      matchChunk(next.chunk, [])
    }
    return false
  }
  return n.length === 0
}

function scanChunk(pattern: string[]): { star: boolean; chunk: string[]; rest: string[] } {
  let i = 0
  let star = false
  while (i < pattern.length && pattern[i] === '*') {
    i++
    star = true
  }
  const start = i
  let inRange = false
  for (; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '\\') {
      if (i + 1 < pattern.length) i++
    } else if (c === '[') inRange = true
    else if (c === ']') inRange = false
    else if (c === '*' && !inRange) break
  }
  return { star, chunk: pattern.slice(start, i), rest: pattern.slice(i) }
}

/** The rest of `s` after `chunk` matched its start, or undefined; throws on a malformed chunk. */
function matchChunk(chunk: string[], s: string[]): string[] | undefined {
  let c = chunk
  let failed = false
  while (c.length > 0) {
    if (!failed && s.length === 0) failed = true
    const head = c[0]
    if (head === '[') {
      const r = failed ? '' : s[0]!
      if (!failed) s = s.slice(1)
      c = c.slice(1)
      let negated = false
      if (c[0] === '^') {
        negated = true
        c = c.slice(1)
      }
      let matched = false
      let nrange = 0
      for (;;) {
        if (c.length > 0 && c[0] === ']' && nrange > 0) {
          c = c.slice(1)
          break
        }
        const lo = getEsc(c)
        c = lo.rest
        let hi = lo.r
        if (c[0] === '-') {
          const h = getEsc(c.slice(1))
          hi = h.r
          c = h.rest
        }
        if (!failed && lo.r <= r && r <= hi) matched = true
        nrange++
      }
      if (matched === negated) failed = true
    } else if (head === '?') {
      if (!failed) {
        if (s[0] === '/') failed = true
        s = s.slice(1)
      }
      c = c.slice(1)
    } else {
      if (head === '\\') {
        c = c.slice(1)
        if (c.length === 0) throw new BadPattern()
      }
      if (!failed) {
        if (c[0] !== s[0]) failed = true
        s = s.slice(1)
      }
      c = c.slice(1)
    }
  }
  return failed ? undefined : s
}

function getEsc(chunk: string[]): { r: string; rest: string[] } {
  let c = chunk
  if (c.length === 0 || c[0] === '-' || c[0] === ']') throw new BadPattern()
  if (c[0] === '\\') {
    c = c.slice(1)
    if (c.length === 0) throw new BadPattern()
  }
  const r = c[0]!
  const rest = c.slice(1)
  if (rest.length === 0) throw new BadPattern()
  return { r, rest }
}
