// Dated base tags `<prefix><hash12>-<YYYYMMDD>` and the choice between reusing one and
// building today's. Pure functions over plain data; the clock is passed in.

import type { Mode } from './constants.js'

export interface DatedTag {
  readonly tag: string
  readonly hash12: string
  /** `YYYYMMDD` */
  readonly date: string
  /** UTC midnight of `date`. */
  readonly time: number
}

const DAY_MS = 86_400_000

export function formatDate(d: Date): string {
  const y = d.getUTCFullYear().toString().padStart(4, '0')
  const m = (d.getUTCMonth() + 1).toString().padStart(2, '0')
  const day = d.getUTCDate().toString().padStart(2, '0')
  return `${y}${m}${day}`
}

export function hash12(envHash: string): string {
  return envHash.slice(0, 12)
}

export function datedTag(prefix: string, envHash: string, now: Date): string {
  return `${prefix}${hash12(envHash)}-${formatDate(now)}`
}

/** `<hash12>-<YYYYMMDD>`: the length of what follows the prefix. */
const DATED_REST = 21

/** Days of each month; February is checked against the leap year. */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
}

/** The number written by `n` ASCII digits of `s` at `at`; -1 when one is not a digit. */
function digits(s: string, at: number, n: number): number {
  let v = 0
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48
    if (c < 0 || c > 9) return -1
    v = v * 10 + c
  }
  return v
}

/**
 * Parses a dated tag of this prefix; undefined for any other tag (or an impossible date, or
 * a year before 100). Character by character, without a regular expression or a Date: the
 * lookup runs it over every tag of the repository (tens of thousands).
 */
export function parseDatedTag(tag: string, prefix: string): DatedTag | undefined {
  const p = prefix.length
  if (tag.length !== p + DATED_REST || !tag.startsWith(prefix)) return undefined
  for (let i = p; i < p + 12; i++) {
    const c = tag.charCodeAt(i)
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return undefined
  }
  if (tag.charCodeAt(p + 12) !== 45) return undefined
  const y = digits(tag, p + 13, 4)
  const mo = digits(tag, p + 17, 2)
  const d = digits(tag, p + 19, 2)
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || d > MONTH_DAYS[mo - 1]! || (mo === 2 && d === 29 && !isLeap(y))) return undefined
  return { tag, hash12: tag.slice(p, p + 12), date: tag.slice(p + 13), time: Date.UTC(y, mo - 1, d) }
}

/** Dated tags of this prefix, newest first (ties broken by tag for a stable order). */
export function datedTags(tags: readonly string[], prefix: string): DatedTag[] {
  const out: DatedTag[] = []
  for (const t of tags) {
    const d = parseDatedTag(t, prefix)
    if (d) out.push(d)
  }
  return out.sort(newestFirst)
}

function newestFirst(a: DatedTag, b: DatedTag): number {
  return b.time - a.time || (a.tag < b.tag ? 1 : a.tag > b.tag ? -1 : 0)
}

/** `dated` with `tag` added in its place (when it is a dated tag of `prefix` not yet listed). */
export function withTag(dated: readonly DatedTag[], tag: string, prefix: string): DatedTag[] {
  const d = parseDatedTag(tag, prefix)
  if (!d || dated.some((t) => t.tag === tag)) return [...dated]
  return [...dated, d].sort(newestFirst)
}

/** Whole days between the tag's date and `now`'s UTC date (0 = today). */
export function ageDays(tag: DatedTag, now: Date): number {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  return Math.round((today - tag.time) / DAY_MS)
}

export type BaseChoice =
  | { readonly action: 'reuse'; readonly tag: string; readonly ageDays: number; readonly decision: 'reused' }
  | {
      readonly action: 'build'
      readonly tag: string
      readonly decision: 'new-environment' | 'max-age' | 'nightly' | 'lookup-failed'
      /** Newest existing tag of the same environment, if any (the one being refreshed). */
      readonly sameEnvironment?: string
    }

export interface ChooseBaseInput {
  /** Dated tags of the base repository (`datedTags`, newest first); undefined when the lookup failed. */
  readonly dated: readonly DatedTag[] | undefined
  readonly prefix: string
  readonly envHash: string
  readonly now: Date
  readonly mode: Mode
  /** Rebuild in auto mode when the newest base is older than this many milliseconds. */
  readonly maxAgeMs?: number
}

/**
 * auto/plan: the newest dated tag of this hash is reused unless it is older than max-age.
 * base (nightly): today's tag is reused when it exists, else built.
 */
export function chooseBase(input: ChooseBaseInput): BaseChoice {
  const today = datedTag(input.prefix, input.envHash, input.now)
  if (input.dated === undefined) return { action: 'build', tag: today, decision: 'lookup-failed' }
  const mine = input.dated.filter((t) => t.hash12 === hash12(input.envHash))
  // A tag dated after "now" (clock skew, SOURCE_DATE_EPOCH in the past) is still a valid base.
  const newest = mine[0]
  if (input.mode === 'base') {
    const existing = mine.find((t) => t.tag === today)
    if (existing) return { action: 'reuse', tag: today, ageDays: 0, decision: 'reused' }
    return { action: 'build', tag: today, decision: 'nightly', sameEnvironment: newest?.tag }
  }
  if (!newest) return { action: 'build', tag: today, decision: 'new-environment' }
  const age = ageDays(newest, input.now)
  if (input.maxAgeMs !== undefined) {
    const startOfToday = Date.UTC(input.now.getUTCFullYear(), input.now.getUTCMonth(), input.now.getUTCDate())
    const ageMs = input.now.getTime() - newest.time
    if (ageMs > input.maxAgeMs && newest.time < startOfToday) {
      return { action: 'build', tag: today, decision: 'max-age', sameEnvironment: newest.tag }
    }
  }
  return { action: 'reuse', tag: newest.tag, ageDays: Math.max(0, age), decision: 'reused' }
}

/**
 * The newest dated base other than `exclude` — what a new base is compared with (any hash:
 * "the environment in the newest previous base").
 */
export function previousBase(dated: readonly DatedTag[], exclude: string): DatedTag | undefined {
  return dated.find((t) => t.tag !== exclude)
}

/** The last `n` dated bases of this environment, oldest first (for the size trend). */
export function trendTags(dated: readonly DatedTag[], envHash: string, n: number): DatedTag[] {
  return dated
    .filter((t) => t.hash12 === hash12(envHash))
    .slice(0, n)
    .reverse()
}
