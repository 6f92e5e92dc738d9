// `.dockerignore` files and `COPY --exclude` patterns, matched exactly as BuildKit matches
// them: moby/patternmatcher (what buildx's context transfer and BuildKit's copy use), and its
// `ignorefile.ReadAll` for the file. Pure functions.
//
// Why not @balena/dockerignore (used before): it matches case-insensitively by default and
// differs in the details below, each pinned by a test (__tests__/hash-patternmatcher.test.ts):
// - matching is case-sensitive (`upper.txt` does not hide `Upper.txt`);
// - a pattern is cleaned as Go's `filepath.Clean` does, a leading `/` dropped, `!` re-includes;
// - a pattern matches a path or any of its parent directories (`MatchesOrParentMatches`);
// - `**` at the start is a suffix match (`**/foo` matches `foo` and `x/foo`, `**foo` any path
//   ending in `foo`), `**` at the end a prefix match (`foo**` matches `foobar/x`), `**/` in the
//   middle any number of directories;
// - `*` and `?` never match `/`; `[...]` is a class; `\` escapes the next character;
// - a line is a comment only when `#` is its first character; a CR before the LF is dropped.
//
// The pattern becomes a JavaScript regular expression where it becomes a Go one in
// patternmatcher; where the two languages would read it differently (a `\` before a letter or
// digit, a POSIX class `[:alpha:]`) or Go's `filepath.Match` calls it malformed, the pattern is
// uncertain and is taken the way that hashes more: an exclude pattern matches nothing, a `!`
// pattern matches everything.

import path from 'node:path'
import { isBadPattern } from './glob.js'

interface Pattern {
  readonly exclusion: boolean
  /** undefined: uncertain (see above). */
  readonly test?: (file: string) => boolean
}

/** Lines of a `.dockerignore` file as `ignorefile.ReadAll` returns them. */
export function readIgnoreFile(text: string): string[] {
  const out: string[] = []
  const lines = text.split('\n')
  if (lines.length && lines[lines.length - 1] === '') lines.pop()
  lines.forEach((raw, i) => {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (i === 0) line = line.replace(/^\uFEFF/, '')
    if (line.startsWith('#')) return
    let p = goTrimSpace(line)
    if (p === '') return
    const invert = p.startsWith('!')
    if (invert) p = goTrimSpace(p.slice(1))
    if (p.length > 0) {
      p = goClean(p)
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1)
    }
    out.push(invert ? `!${p}` : p)
  })
  return out
}

/** Go's strings.TrimSpace (Unicode white space). */
function goTrimSpace(s: string): string {
  return s.replace(/^[\s\u0085]+|[\s\u0085]+$/gu, '')
}

/** Go's path/filepath.Clean on Unix. */
export function goClean(p: string): string {
  if (p === '') return '.'
  const n = path.posix.normalize(p)
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n
}

export class PatternMatcher {
  private readonly patterns: Pattern[]
  /** Some pattern is a `!` re-include: excluded directories must still be entered. */
  readonly exclusions: boolean

  constructor(patterns: readonly string[]) {
    this.patterns = []
    for (const raw of patterns) {
      let p = goTrimSpace(raw)
      if (p === '') continue
      p = goClean(p)
      const exclusion = p.startsWith('!')
      if (exclusion) {
        if (p.length === 1) continue // BuildKit refuses `!`; a pattern that matches nothing hashes more
        p = p.slice(1)
      }
      this.patterns.push({ exclusion, test: isBadPattern(p) ? undefined : compile(p) })
    }
    this.exclusions = this.patterns.some((p) => p.exclusion)
  }

  get empty(): boolean {
    return this.patterns.length === 0
  }

  /** patternmatcher's MatchesOrParentMatches: the last pattern matching the path or a parent directory decides. */
  matches(file: string): boolean {
    const parents = file.split('/').slice(0, -1)
    const candidates = parents.map((_, i) => parents.slice(0, i + 1).join('/'))
    let matched = false
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue
      const test = pattern.test
      const hit = test === undefined ? pattern.exclusion : test(file) || candidates.some((c) => test(c))
      if (hit) matched = !pattern.exclusion
    }
    return matched
  }

  /**
   * patternmatcher's MatchesUsingParentResults, applied down the path as fsutil's walk applies
   * it (what buildx sends of the context): each directory's per-pattern results are its
   * children's starting point, and a pattern skipped at a directory (the verdict already
   * stood) is not looked at again below it. It can differ from `matches`: with the lines `d`,
   * a `!` pattern for every `B.txt`, then `d` again, the walk keeps `d/B.txt`, whose content
   * is then not sent (BuildKit copies it as an empty file).
   */
  matchesWalking(file: string): boolean {
    const parts = file.split('/')
    let parent: boolean[] | undefined
    let matched = false
    for (let i = 0; i < parts.length; i++) {
      const at = parts.slice(0, i + 1).join('/')
      const info: boolean[] = []
      matched = false
      for (const [k, pattern] of this.patterns.entries()) {
        let match = parent?.[k] ?? false
        if (!match) {
          if (pattern.exclusion !== matched) {
            info.push(false)
            continue
          }
          match = pattern.test === undefined ? pattern.exclusion : pattern.test(at)
        }
        info.push(match)
        if (match) matched = !pattern.exclusion
      }
      parent = info
    }
    return matched
  }
}

/** Characters with a meaning in a JavaScript regular expression (escaped when literal). */
const JS_SPECIAL = new Set([...'^$\\.*+?()[]{}|/'])
const lit = (c: string): string => (JS_SPECIAL.has(c) ? `\\${c}` : c)
/** What Go's regexp accepts after `\` as the character itself: ASCII punctuation. */
const PUNCT = /^[!-/:-@[-`{-~]$/

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp'

/** patternmatcher's Pattern.compile: the match type and the regular expression, or undefined when uncertain. */
function translate(pattern: string): { type: MatchType; re: string } | undefined {
  const chars = [...pattern]
  let re = '^'
  let type: MatchType = 'exact'
  let inClass = false
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!
    if (inClass) {
      // inside a class: what Go's regexp and JavaScript's read alike, else uncertain
      if (ch === ']') inClass = false
      else if (ch === '[' && chars[i + 1] === ':') return undefined
      else if (ch === '\\') {
        const next = chars[++i]
        if (next === undefined || !PUNCT.test(next)) return undefined
        re += next === '-' ? '\\-' : lit(next)
        continue
      }
      re += ch === '[' || ch === '/' ? `\\${ch}` : ch
      continue
    }
    if (ch === '*') {
      const start = i
      if (chars[i + 1] === '*') {
        i++
        if (chars[i + 1] === '/') i++
        if (i + 1 >= chars.length) {
          if (type === 'exact') type = 'prefix'
          else {
            re += '[^\\n]*'
            type = 'regexp'
          }
        } else {
          re += '(?:[^\\n]*\\/)?'
          type = 'regexp'
        }
        if (start === 0) type = 'suffix'
      } else {
        re += '[^/]*'
        type = 'regexp'
      }
    } else if (ch === '?') {
      re += '[^/]'
      type = 'regexp'
    } else if (ch === '\\') {
      const next = chars[i + 1]
      if (next === undefined || !PUNCT.test(next)) return undefined
      else {
        re += lit(next)
        i++
        type = 'regexp'
      }
    } else if (ch === '[') {
      re += '['
      if (chars[i + 1] === '^') {
        re += '^'
        i++
      }
      inClass = true
      type = 'regexp'
    } else if (ch === ']') {
      re += '\\]'
      type = 'regexp'
    } else re += ch === '^' ? '^' : lit(ch) // `^` is not escaped by patternmatcher: an anchor in Go's regexp too
  }
  return inClass ? undefined : { type, re: `${re}$` }
}

/** patternmatcher's Pattern.match for one pattern, or undefined when the pattern is uncertain. */
function compile(pattern: string): ((file: string) => boolean) | undefined {
  const t = translate(pattern)
  if (!t) return undefined
  const { type, re } = t
  if (type === 'exact') return (file) => file === pattern
  if (type === 'prefix') {
    const prefix = pattern.slice(0, -2)
    return (file) => file.startsWith(prefix)
  }
  if (type === 'suffix') {
    const suffix = pattern.slice(2)
    return (file) => file.endsWith(suffix) || (suffix.startsWith('/') && file === suffix.slice(1))
  }
  let regexp: RegExp
  try {
    regexp = new RegExp(re, 'u')
  } catch {
    return undefined
  }
  return (file) => regexp.test(file)
}
