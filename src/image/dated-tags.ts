// Dated base tags `<prefix><hash12>-<YYYYMMDD>` and the choice between reusing one and
// building today's. Pure functions over plain data; the clock is passed in.

import type { Mode } from '../vocabulary/constants.js'

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

/** UTC midnight of the date `YYYYMMDD` written at `at`; NaN for an impossible date or a year before 100. */
function dateTime(s: string, at: number): number {
  const y = digits(s, at, 4)
  const mo = digits(s, at + 4, 2)
  const d = digits(s, at + 6, 2)
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || d > MONTH_DAYS[mo - 1]! || (mo === 2 && d === 29 && !isLeap(y))) return NaN
  return Date.UTC(y, mo - 1, d)
}

/** What follows the prefix of a dated tag (its date is checked apart), matched in place. */
const DATED_REST_SHAPE = /[0-9a-f]{12}-[0-9]{8}$/y

/** Whether `tag` has the shape `<prefix><12 hex>-<8 digits>` (the date itself unchecked). */
function datedShape(tag: string, prefix: string): boolean {
  if (tag.length !== prefix.length + DATED_REST || !tag.startsWith(prefix)) return false
  DATED_REST_SHAPE.lastIndex = prefix.length
  return DATED_REST_SHAPE.test(tag)
}

/**
 * Parses a dated tag of this prefix; undefined for any other tag (or an impossible date, or
 * a year before 100). No Date is built to check the calendar.
 */
export function parseDatedTag(tag: string, prefix: string): DatedTag | undefined {
  if (!datedShape(tag, prefix)) return undefined
  const p = prefix.length
  const time = dateTime(tag, p + 13)
  if (Number.isNaN(time)) return undefined
  return { tag, hash12: tag.slice(p, p + 12), date: tag.slice(p + 13), time }
}

/**
 * Dated tags of this prefix, newest first (ties broken by tag, last first, for a stable
 * order); the same as parseDatedTag over every tag, then a sort by (time, tag) descending.
 * The lookup runs it over every tag of the repository (tens of thousands, in code running
 * for the first time), so the shape is one regular-expression test, each distinct date is
 * checked once, and the order comes from grouping by date: a repository has a few hundred
 * dates, and the registry's list is already sorted by tag (else each day is sorted).
 */
export function datedTags(tags: readonly string[], prefix: string): DatedTag[] {
  const p = prefix.length
  const times = new Map<string, number>()
  const byDate = new Map<string, DatedTag[]>()
  let ascending = true
  let last = ''
  for (const tag of tags) {
    if (!datedShape(tag, prefix)) continue
    const date = tag.slice(p + 13)
    let time = times.get(date)
    if (time === undefined) times.set(date, (time = dateTime(date, 0)))
    if (Number.isNaN(time)) continue
    if (tag < last) ascending = false
    last = tag
    const d: DatedTag = { tag, hash12: tag.slice(p, p + 12), date, time }
    const day = byDate.get(date)
    if (day) day.push(d)
    else byDate.set(date, [d])
  }
  // Equal dates are equal times, and fixed-width dates sort as their times do.
  const out: DatedTag[] = []
  for (const date of [...byDate.keys()].sort().reverse()) {
    const day = byDate.get(date)!
    if (ascending) day.reverse()
    else day.sort(newestFirst)
    for (const d of day) out.push(d)
  }
  return out
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

/**
 * Whether a dated tag is dated after tomorrow (UTC) of `now`: such a tag would stay the
 * newest for ever, so `max-age` and the nightly would never take over. Tomorrow's tags are
 * not (a runner's clock a little behind the one that pushed them).
 */
export function isFromTheFuture(tag: DatedTag, now: Date): boolean {
  return tag.time > Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)
}

/** Dated tags split into those of today or earlier (or tomorrow) and those from the future (isFromTheFuture). */
export function splitFutureTags(dated: readonly DatedTag[], now: Date): { readonly dated: DatedTag[]; readonly future: DatedTag[] } {
  return { dated: dated.filter((t) => !isFromTheFuture(t, now)), future: dated.filter((t) => isFromTheFuture(t, now)) }
}
