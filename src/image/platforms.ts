// Multi-platform images from native runners: each job of a matrix builds a subset of the
// image's `platforms` (`build-platforms`) and pushes it under per-platform "part" tags; a
// merge job assembles the parts into one index per tag. Pure functions over plain data.
//
// Part tags: `<tag>_<os>_<arch>[_<variant>]`, e.g. `base-0123456789ab-20261120_linux_arm64`
// for a part of the dated base `base-0123456789ab-20261120`, `sha-0123456_linux_arm64` for
// a part of the application tag `sha-0123456`. Platform components never contain `-`, so
// everything after the last `-` of a part tag contains a `_` and is never the `YYYYMMDD`
// a dated base tag ends with: no part is ever read as a dated base tag, of any prefix, by
// lookup or retention. A dated base tag ends with its date, so it is never read as a part.

import { UserError } from '../vocabulary/user-error.js'
import { datedTags, hash12, parseDatedTag, type DatedTag } from './dated-tags.js'

const DAY_MS = 86_400_000
const COMPONENT = /^[a-z0-9]+(?:[_.][a-z0-9]+)*$/
const MAX_TAG = 128

/** `linux/arm64/v8` → `linux_arm64_v8`. Throws a UserError for anything but `os/arch[/variant]`. */
export function platformSlug(platform: string): string {
  const parts = platform.split('/')
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => COMPONENT.test(p))) {
    throw new UserError(`"${platform}" is not a platform such as linux/amd64 or linux/arm64/v8`)
  }
  return parts.join('_')
}

/** The tag of `platform`'s part of `tag`. Throws a UserError when it would be too long for a tag. */
export function partTag(tag: string, platform: string): string {
  const t = `${tag}_${platformSlug(platform)}`
  if (t.length > MAX_TAG) throw new UserError(`The per-platform tag ${t} is longer than ${MAX_TAG} characters: use a shorter tag or base-tag-prefix`)
  return t
}

export interface ParsedPart {
  readonly tag: string
  /** The dated base tag this is a part of (which may not exist yet). */
  readonly dated: DatedTag
  /** `linux_arm64`: the platform as it appears in the tag. */
  readonly slug: string
}

/** Parses a part of a dated base tag of `prefix`; undefined for any other tag. */
export function parsePartTag(tag: string, prefix: string): ParsedPart | undefined {
  if (!tag.startsWith(prefix)) return undefined
  // The slug: at least `os_arch` (`linux_x86_64` may be linux/x86_64, so it is not split).
  const m = /^([0-9a-f]{12}-\d{8})_([a-z0-9]+(?:[_.][a-z0-9]+)*_[a-z0-9]+(?:[_.][a-z0-9]+)*)$/.exec(tag.slice(prefix.length))
  const dated = m ? parseDatedTag(`${prefix}${m[1]}`, prefix) : undefined
  return dated ? { tag, dated, slug: m![2]! } : undefined
}

/**
 * `build-platforms` checked against `platforms`: every one of them must be in `platforms`
 * (the full set, which is what is hashed). Empty means all of `platforms`. `subset` is true
 * when this job builds only some of them (and so pushes parts, not the tags themselves).
 */
export function resolveBuildPlatforms(
  platforms: readonly string[],
  buildPlatforms: readonly string[],
  input = 'build-platforms',
): { build: string[]; subset: boolean } {
  const slugs = new Map<string, string>()
  for (const p of platforms) {
    const s = platformSlug(p)
    const other = slugs.get(s)
    if (other !== undefined && other !== p) throw new UserError(`Input "platforms": ${other} and ${p} would share the per-platform tag suffix _${s}`)
    slugs.set(s, p)
  }
  if (buildPlatforms.length === 0) return { build: [...new Set(platforms)], subset: false }
  const unknown = buildPlatforms.filter((p) => !platforms.includes(p))
  if (unknown.length > 0) {
    const full = platforms.length ? platforms.join(', ') : '(empty: only the runner’s own platform)'
    throw new UserError(
      `Input "${input}": ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in "platforms" (${full}); build-platforms must be a subset of platforms`,
    )
  }
  const build = platforms.filter((p) => buildPlatforms.includes(p))
  return { build, subset: build.length < new Set(platforms).size }
}

/** A dated base and its parts, as found in the tag list of the base repository. */
export interface BaseUnit {
  readonly dated: DatedTag
  /** True when the dated tag itself exists (merged, or built in one job). */
  readonly merged: boolean
  /** Part tags by slug. */
  readonly parts: ReadonlyMap<string, string>
}

/** Dated bases of `prefix` with their parts, newest first; a unit may have parts only. */
export function baseUnits(tags: readonly string[], prefix: string): BaseUnit[] {
  const units = new Map<string, { dated: DatedTag; merged: boolean; parts: Map<string, string> }>()
  const unit = (d: DatedTag): { dated: DatedTag; merged: boolean; parts: Map<string, string> } => {
    let u = units.get(d.tag)
    if (!u) units.set(d.tag, (u = { dated: d, merged: false, parts: new Map() }))
    return u
  }
  for (const d of datedTags(tags, prefix)) unit(d).merged = true
  for (const t of tags) {
    const p = parsePartTag(t, prefix)
    if (p) unit(p.dated).parts.set(p.slug, p.tag)
  }
  return [...units.values()].sort((a, b) => b.dated.time - a.dated.time || (a.dated.tag < b.dated.tag ? 1 : a.dated.tag > b.dated.tag ? -1 : 0))
}

export interface MergePart {
  readonly platform: string
  readonly tag: string
}

/** What the merge job does with the base. */
export type BaseMergePlan =
  /** Assemble the index `tag` from these parts (one per platform, in `platforms` order). */
  | { readonly action: 'assemble'; readonly tag: string; readonly parts: readonly MergePart[] }
  /** The newest dated base of the environment is already whole (the jobs reused it). */
  | { readonly action: 'merged'; readonly tag: string }

/**
 * The merge of the base: the newest dated base of this environment decides. When its parts
 * cover every platform, they are assembled (again, when it already exists: same parts, same
 * index); when the dated tag exists without all parts, the jobs reused it; otherwise the
 * merge fails naming every missing platform. The jobs of one matrix may straddle midnight
 * (UTC): a platform missing from the newest parts is taken from the parts of the day before.
 */
export function planBaseMerge(input: {
  tags: readonly string[]
  prefix: string
  envHash: string
  platforms: readonly string[]
  repository: string
}): BaseMergePlan {
  const units = baseUnits(input.tags, input.prefix).filter((u) => u.dated.hash12 === hash12(input.envHash))
  const newest = units[0]
  if (!newest) {
    throw new UserError(
      `mode: merge found no dated base and no per-platform parts of environment ${hash12(input.envHash)} in ${input.repository}: run the per-platform jobs (build-platforms) first, with the same inputs, and list them in this job's needs`,
    )
  }
  const dayBefore = units.find((u) => u.dated.time === newest.dated.time - DAY_MS && !u.merged)
  const parts = input.platforms.map((platform) => {
    const slug = platformSlug(platform)
    return { platform, tag: newest.parts.get(slug) ?? (newest.merged ? undefined : dayBefore?.parts.get(slug)) }
  })
  const missing = parts.filter((p) => p.tag === undefined)
  if (missing.length === 0) return { action: 'assemble', tag: newest.dated.tag, parts: parts as MergePart[] }
  if (newest.merged) return { action: 'merged', tag: newest.dated.tag }
  throw missingPlatforms(
    newest.dated.tag,
    input.repository,
    missing.map((m) => m.platform),
    (p) => partTag(newest.dated.tag, p),
  )
}

/** The parts of an application tag; fails naming every platform whose part is not in `tags`. */
export function planAppMerge(input: { tags: readonly string[]; appTag: string; platforms: readonly string[]; repository: string }): MergePart[] {
  const have = new Set(input.tags)
  const parts = input.platforms.map((platform) => ({ platform, tag: partTag(input.appTag, platform) }))
  const missing = parts.filter((p) => !have.has(p.tag))
  if (missing.length > 0)
    throw missingPlatforms(
      input.appTag,
      input.repository,
      missing.map((m) => m.platform),
      (p) => partTag(input.appTag, p),
    )
  return parts
}

function missingPlatforms(tag: string, repository: string, missing: readonly string[], part: (p: string) => string): UserError {
  const list = missing.map((p) => `${p} (${part(p)})`).join(', ')
  return new UserError(
    `Cannot merge ${repository}:${tag}: no image for ${missing.length === 1 ? 'platform' : 'platforms'} ${list}. ` +
      `Did the job with build-platforms: ${missing.join(', ')} succeed, with the same inputs, before this one (needs:)?`,
  )
}

/**
 * What one job of a matrix pushes: with `build-platforms` ⊂ `platforms` (one platform per
 * job), its platform of the base under the part tag of the dated base, its platform of the
 * application under the part tag of the first application tag, and a registry cache of its
 * own platform (jobs of other platforms would otherwise overwrite it). Without a subset:
 * the tags themselves. Pure.
 */
export interface PlatformJob {
  /** Platforms this job builds (`--platform`). */
  readonly platforms: readonly string[]
  /** Set when this job builds a part: its platform. */
  readonly part?: string
  /** The tag a base build pushes (the dated tag, or its part). */
  readonly baseTag: string
  /** The tags the application build pushes (full references). */
  readonly appTags: readonly string[]
  readonly cacheRef: string
  readonly appCacheRef: string
}

export function platformJob(input: {
  platforms: readonly string[]
  buildPlatforms: readonly string[]
  datedTag: string
  appTags: readonly string[]
  cacheRef: string
  appCacheRef: string
}): PlatformJob {
  const { build, subset } = resolveBuildPlatforms(input.platforms, input.buildPlatforms)
  const same = { platforms: build, baseTag: input.datedTag, appTags: input.appTags, cacheRef: input.cacheRef, appCacheRef: input.appCacheRef }
  if (!subset) return same
  if (build.length !== 1) {
    throw new UserError(`Input "build-platforms": a job of a matrix builds one platform of "platforms" (got ${build.join(', ')}); run one job per platform`)
  }
  const part = build[0]!
  return {
    platforms: build,
    part,
    baseTag: partTag(input.datedTag, part),
    appTags: input.appTags.length > 0 ? [partRef(input.appTags[0]!, part)] : [],
    cacheRef: partRef(input.cacheRef, part),
    appCacheRef: partRef(input.appCacheRef, part),
  }
}

/** `host/repo:tag` → `host/repo:tag_<os>_<arch>` (a reference with a tag; a digest is kept out). */
export function partRef(ref: string, platform: string): string {
  const at = ref.lastIndexOf(':')
  const slash = ref.lastIndexOf('/')
  if (at <= slash || ref.includes('@')) throw new UserError(`${ref} has no tag to derive a per-platform tag from`)
  return `${ref.slice(0, at)}:${partTag(ref.slice(at + 1), platform)}`
}
