// The retention plan (docs/DESIGN.md §6.4): which dated tags of a prefix to keep and which manifest
// digests to delete. Pure: the tags, their digests and the clock come in as data.
//
// Deleting in a registry deletes a manifest digest, and with it EVERY tag on that digest.
// So the unit of deletion is a digest, and a digest is deleted only when every tag on it
// is a deletion candidate: a digest shared with a kept dated tag, with a tag the run uses,
// or with any other ("foreign") tag — `latest`, `sha-…`, a tag of another prefix — is
// protected. A digest that is a platform manifest of a surviving index is protected too,
// so a kept multi-platform image never loses a child. When a tag's digest could not be
// resolved, nothing it might share is deleted.
//
// A dated base and its per-platform parts (`<dated tag>_<os>_<arch>`, pushed by the jobs of
// a matrix and merged into the dated tag) are one unit: kept or deleted together, decided
// by the unit's date and hash, even while only the parts exist (the merge has not run yet).

import type { RetentionEntry } from '../report/model.js'
import { ageDays, isFromTheFuture, parseDatedTag, type DatedTag } from '../image/dated-tags.js'
import { parsePartTag } from '../image/platforms.js'

export interface TagInfo {
  tag: string
  /** Manifest digest the tag points at; '' when it could not be resolved (treated as unknown). */
  digest: string
  /** Platform manifest digests when the tag is an index (manifest list). */
  children?: string[]
}

export interface RetentionPolicy {
  prefix: string
  /** Newest dated tags kept per environment hash. */
  keepLatest: number
  /** Dated tags at most this many days old are kept (a tag of age `keepDays` is kept). */
  keepDays: number
  /** Tags never deleted (the tag this run picked or built). */
  protectTags: readonly string[]
  /** Now; ages are whole days between a tag's date and this UTC date. */
  today: Date
}

/** A digest to delete, with every (dated, candidate) tag on it. */
export interface RetentionDeleteEntry extends RetentionEntry {
  readonly digest: string
  /** All tags on the digest, newest first; `tag` is them joined with ', '. */
  readonly tags: readonly string[]
  /** Age in days of the newest tag on the digest. */
  readonly ageDays: number
  /** True when the digest is an index (deleted before plain manifests). */
  readonly index?: boolean
  /**
   * The manifests whose OCI referrers (SBOMs) go with this digest once it is deleted: the
   * digest and its platform manifests, less any that a surviving tag still names.
   */
  readonly subjects?: readonly string[]
}

export interface RetentionPlan {
  /** Dated tags kept, one entry per tag, with the reason. */
  keep: RetentionEntry[]
  /** Digests to delete, one entry per digest; indexes first, then oldest first. */
  delete: RetentionDeleteEntry[]
  /** Dated tags old enough to delete but protected, one entry per tag, with the reason. */
  protect: RetentionEntry[]
}

interface Dated {
  readonly info: TagInfo
  /** The dated tag of its unit (itself, or the dated base a part belongs to). */
  readonly parsed: DatedTag
  readonly age: number
  /** True for a per-platform part of `parsed.tag`. */
  readonly part?: boolean
}

interface Kept {
  d: Dated
  reason: string
}

function byTag(a: { tag: string }, b: { tag: string }): number {
  return a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`
}

export function planRetention(tags: readonly TagInfo[], policy: RetentionPolicy): RetentionPlan {
  const keepLatest = Number.isFinite(policy.keepLatest) ? Math.max(0, Math.floor(policy.keepLatest)) : 0
  // A non-finite keepDays (Infinity) keeps everything; NaN is treated as "keep everything" too.
  const keepDays = Number.isNaN(policy.keepDays) ? Infinity : Math.max(0, policy.keepDays)
  const { dated, foreign } = classify(tags, policy)
  const { kept, candidates } = keepOrCandidate(dated, policy, keepLatest, keepDays)
  const { survivorTag, unknown } = survivors(kept, foreign)
  const childrenOf = childrenByDigest(tags)
  const { byDigest, protectedTag } = candidatesByDigest(candidates)
  const protectedDigest = protection(byDigest, survivorTag, unknown, childrenOf)
  return entries({ tags, kept, candidates, byDigest, protectedTag, protectedDigest, childrenOf, keepLatest, keepDays })
}

/** Tags of the prefix's units (dated tags and their parts, with their age) and every other tag; one entry per tag name (first wins). */
function classify(tags: readonly TagInfo[], policy: RetentionPolicy): { dated: Dated[]; foreign: TagInfo[] } {
  const seen = new Set<string>()
  const dated: Dated[] = []
  const foreign: TagInfo[] = []
  for (const info of tags) {
    if (seen.has(info.tag)) continue
    seen.add(info.tag)
    const parsed = parseDatedTag(info.tag, policy.prefix)
    const part = parsed ? undefined : parsePartTag(info.tag, policy.prefix)
    if (parsed) dated.push({ info, parsed, age: ageDays(parsed, policy.today) })
    else if (part) dated.push({ info, parsed: part.dated, age: ageDays(part.dated, policy.today), part: true })
    else foreign.push(info)
  }
  return { dated, foreign }
}

/** The units of each environment hash, newest first: dated tag → its members (the tag itself and its parts). */
function unitsByHash(dated: readonly Dated[]): Map<string, { tag: DatedTag; members: Dated[] }[]> {
  const units = new Map<string, { tag: DatedTag; members: Dated[] }>()
  for (const d of dated) {
    const u = units.get(d.parsed.tag) ?? { tag: d.parsed, members: [] }
    u.members.push(d)
    units.set(d.parsed.tag, u)
  }
  const groups = new Map<string, { tag: DatedTag; members: Dated[] }[]>()
  for (const u of units.values()) groups.set(u.tag.hash12, [...(groups.get(u.tag.hash12) ?? []), u])
  for (const g of groups.values()) g.sort((a, b) => b.tag.time - a.tag.time || byTag(b.tag, a.tag))
  return groups
}

/**
 * 1. Keep (with the reason) or candidate, per unit (a dated tag with its parts). keepLatest
 * counts whole bases (the dated tag exists): a unit of parts whose merge is still to come
 * must not push out the base other jobs reuse meanwhile; it is kept while it is newer than
 * every whole base of its environment.
 */
function keepOrCandidate(dated: readonly Dated[], policy: RetentionPolicy, keepLatest: number, keepDays: number): { kept: Kept[]; candidates: Dated[] } {
  const protectTags = new Set(policy.protectTags)
  const kept: Kept[] = []
  const candidates: Dated[] = []
  for (const [hash, group] of unitsByHash(dated)) {
    let whole = 0
    for (const { tag, members } of group) {
      const isWhole = members.some((m) => !m.part)
      const age = members[0]!.age
      // A tag dated after tomorrow is kept but takes no "newest" place (it would hold it for ever).
      const future = isFromTheFuture(tag, policy.today)
      let reason: string | undefined
      if (protectTags.has(tag.tag) || members.some((m) => protectTags.has(m.info.tag))) reason = 'in use by this run'
      else if (future) reason = 'dated after tomorrow (not counted among the newest)'
      else if (isWhole && whole < keepLatest) reason = `newest ${keepLatest} of ${policy.prefix}${hash}`
      else if (!isWhole && whole === 0 && keepLatest > 0) reason = 'parts of a base newer than every merged one (merge pending)'
      else if (age <= keepDays) reason = age < 0 ? 'dated in the future' : `not older than ${count(keepDays, 'day')}`
      if (isWhole && !future) whole++
      for (const d of members) {
        if (reason) kept.push({ d, reason: d.part ? `platform part of ${tag.tag}: ${reason}` : reason })
        else candidates.push(d)
      }
    }
  }
  return { kept, candidates }
}

/** 2. Digests that survive no matter what: kept dated tags and every other tag (and surviving tags of unknown digest). */
function survivors(kept: readonly Kept[], foreign: readonly TagInfo[]): { survivorTag: Map<string, string>; unknown: string[] } {
  const survivorTag = new Map<string, string>() // digest → a human description of who keeps it
  const unknown: string[] = [] // surviving tags whose digest is unknown
  for (const { d } of kept) {
    if (!d.info.digest) unknown.push(d.info.tag)
    else if (!survivorTag.has(d.info.digest)) survivorTag.set(d.info.digest, `kept tag ${d.info.tag}`)
  }
  for (const f of [...foreign].sort(byTag)) {
    if (!f.digest) unknown.push(f.tag)
    else if (!survivorTag.has(f.digest)) survivorTag.set(f.digest, `tag ${f.tag}`)
  }
  return { survivorTag, unknown }
}

/** Children per digest (any tag may carry them; union). */
function childrenByDigest(tags: readonly TagInfo[]): Map<string, Set<string>> {
  const childrenOf = new Map<string, Set<string>>()
  for (const t of tags) {
    if (!t.digest || !t.children || t.children.length === 0) continue
    const s = childrenOf.get(t.digest) ?? new Set<string>()
    for (const c of t.children) s.add(c)
    childrenOf.set(t.digest, s)
  }
  return childrenOf
}

/** 3a. Candidates grouped by digest; a candidate of unknown digest is protected. */
function candidatesByDigest(candidates: readonly Dated[]): { byDigest: Map<string, Dated[]>; protectedTag: Map<string, string> } {
  const byDigest = new Map<string, Dated[]>()
  const protectedTag = new Map<string, string>() // tag → reason (candidates that cannot be deleted)
  for (const c of candidates) {
    if (!c.info.digest) {
      protectedTag.set(c.info.tag, 'digest unknown (the tag could not be resolved)')
      continue
    }
    const list = byDigest.get(c.info.digest) ?? []
    list.push(c)
    byDigest.set(c.info.digest, list)
  }
  return { byDigest, protectedTag }
}

/** 3b. Candidate digests that must not be deleted, with the reason. */
function protection(
  byDigest: ReadonlyMap<string, Dated[]>,
  survivorTag: ReadonlyMap<string, string>,
  unknown: readonly string[],
  childrenOf: ReadonlyMap<string, Set<string>>,
): Map<string, string> {
  const protectedDigest = new Map<string, string>()
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 3).join(', ') + (unknown.length > 3 ? ` and ${unknown.length - 3} more` : '')
    for (const digest of byDigest.keys()) protectedDigest.set(digest, `the digest of ${shown} is unknown, so nothing that might share it is deleted`)
    return protectedDigest
  }
  for (const digest of byDigest.keys()) {
    const who = survivorTag.get(digest)
    if (who) protectedDigest.set(digest, `digest shared with ${who}`)
  }
  // A surviving index keeps its platform manifests; repeat until nothing changes
  // (a protected candidate index protects its own children in turn).
  const surviving = new Map<string, string>(survivorTag)
  for (const [digest] of protectedDigest) {
    const first = byDigest.get(digest)![0]!
    surviving.set(digest, `protected tag ${first.info.tag}`)
  }
  for (let changed = true; changed;) {
    changed = false
    for (const [digest, who] of [...surviving]) {
      for (const child of childrenOf.get(digest) ?? []) {
        if (!byDigest.has(child) || protectedDigest.has(child)) continue
        protectedDigest.set(child, `platform manifest of the index of ${who}`)
        const first = byDigest.get(child)![0]!
        surviving.set(child, `protected tag ${first.info.tag}`)
        changed = true
      }
    }
  }
  return protectedDigest
}

/** 4. The plan's entries: kept, deleted (by digest), protected. */
function entries(a: {
  tags: readonly TagInfo[]
  kept: Kept[]
  candidates: readonly Dated[]
  byDigest: ReadonlyMap<string, Dated[]>
  protectedTag: Map<string, string>
  protectedDigest: ReadonlyMap<string, string>
  childrenOf: ReadonlyMap<string, Set<string>>
  keepLatest: number
  keepDays: number
}): RetentionPlan {
  const { kept, candidates, byDigest, protectedTag, protectedDigest, childrenOf, keepLatest, keepDays } = a
  const keep: RetentionEntry[] = kept.sort((x, y) => x.d.age - y.d.age || byTag(x.d.info, y.d.info)).map(({ d, reason }) => entry(d, reason))

  const protect: RetentionEntry[] = []
  const del: RetentionDeleteEntry[] = []
  for (const [digest, list] of byDigest) {
    const reason = protectedDigest.get(digest)
    if (reason) {
      for (const d of list) protectedTag.set(d.info.tag, reason)
      continue
    }
    const sorted = [...list].sort((x, y) => x.age - y.age || byTag(x.info, y.info))
    const tagsOn = sorted.map((d) => d.info.tag)
    const keptBy = keepLatest > 0 ? ` and not among the newest ${keepLatest} of its environment` : ''
    del.push({
      tag: tagsOn.join(', '),
      tags: tagsOn,
      digest,
      ageDays: sorted[0]!.age,
      reason: `older than ${count(keepDays, 'day')}${keptBy}`,
      ...(childrenOf.has(digest) ? { index: true } : {}),
    })
  }
  for (const c of candidates) {
    const reason = protectedTag.get(c.info.tag)
    if (reason) protect.push(entry(c, reason))
  }
  protect.sort((x, y) => (y.ageDays ?? 0) - (x.ageDays ?? 0) || byTag(x, y))
  withSubjects(del, a.tags, childrenOf)
  // Indexes before plain manifests: should a run stop half-way, no surviving index has lost
  // a child. Then oldest first.
  del.sort((x, y) => Number(!!y.index) - Number(!!x.index) || y.ageDays - x.ageDays || (x.digest < y.digest ? -1 : x.digest > y.digest ? 1 : 0))
  return { keep, delete: del, protect }
}

/**
 * 5. The subjects of each deleted digest whose referrers are deleted with it: itself and its
 * platform manifests, unless a tag that survives (any tag not deleted) names it or lists it.
 */
function withSubjects(del: RetentionDeleteEntry[], tags: readonly TagInfo[], childrenOf: ReadonlyMap<string, Set<string>>): void {
  const gone = new Set(del.map((d) => d.digest))
  const alive = new Set<string>()
  for (const t of tags) {
    if (!t.digest || gone.has(t.digest)) continue
    alive.add(t.digest)
    for (const c of t.children ?? []) alive.add(c)
  }
  for (const [i, d] of del.entries()) {
    const subjects = [...new Set([d.digest, ...(childrenOf.get(d.digest) ?? [])])].filter((x) => !alive.has(x))
    if (subjects.length > 0) del[i] = { ...d, subjects }
  }
}

function entry(d: Dated, reason: string): RetentionEntry {
  return { tag: d.info.tag, ...(d.info.digest ? { digest: d.info.digest } : {}), ageDays: d.age, reason }
}
