// Retention of a dated base with its per-platform parts (a matrix build): one unit, kept or
// deleted together; a part the merged index references is never deleted while it is kept.

import { describe, expect, it, test } from 'vitest'
import { planRetention, type RetentionPolicy, type TagInfo } from '../src/retention/index.js'

const TODAY = new Date('2026-03-15T12:00:00Z')
const A = 'aaaaaaaaaaaa'

function daysAgo(days: number): string {
  return new Date(Date.UTC(2026, 2, 15) - days * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '')
}
const unit = (age: number, hash = A): string => `base-${hash}-${daysAgo(age)}`
const amd = (age: number): string => `${unit(age)}_linux_amd64`
const arm = (age: number): string => `${unit(age)}_linux_arm64`

function dg(name: string): string {
  let h = ''
  for (const ch of name) h += ch.charCodeAt(0).toString(16)
  return `sha256:${h.padEnd(64, '0').slice(0, 64)}`
}

/**
 * A merged unit as the registry holds it: each part an index of its platform manifest (and
 * attestation), the dated tag an index of both platform manifests.
 */
function merged(age: number): TagInfo[] {
  const m = (t: string): string => dg(`m:${t}`)
  return [
    { tag: amd(age), digest: dg(amd(age)), children: [m(amd(age)), dg(`att:${amd(age)}`)] },
    { tag: arm(age), digest: dg(arm(age)), children: [m(arm(age)), dg(`att:${arm(age)}`)] },
    { tag: unit(age), digest: dg(unit(age)), children: [m(amd(age)), m(arm(age))] },
  ]
}
/** Parts only: the merge job has not run (or failed). */
function partsOnly(age: number): TagInfo[] {
  return [
    { tag: amd(age), digest: dg(amd(age)) },
    { tag: arm(age), digest: dg(arm(age)) },
  ]
}

function policy(p: Partial<RetentionPolicy> = {}): RetentionPolicy {
  return { prefix: 'base-', keepLatest: 1, keepDays: 30, protectTags: [], today: TODAY, ...p }
}

const deleted = (tags: TagInfo[], p: Partial<RetentionPolicy> = {}): string[] =>
  planRetention(tags, policy(p))
    .delete.flatMap((d) => [...d.tags])
    .sort()
const kept = (tags: TagInfo[], p: Partial<RetentionPolicy> = {}): string[] =>
  planRetention(tags, policy(p))
    .keep.map((k) => k.tag)
    .sort()

describe('a dated base and its parts are one unit', () => {
  test.each<[string, TagInfo[], Partial<RetentionPolicy>, string[]]>([
    ['an old merged unit goes with all its parts', [...merged(0), ...merged(40)], {}, [amd(40), arm(40), unit(40)]],
    ['a kept merged unit keeps all its parts', [...merged(0), ...merged(10)], {}, []],
    ['an old unit of parts only (no merge) goes too: no orphans', [...merged(0), ...partsOnly(40)], {}, [amd(40), arm(40)]],
    ['parts only, newest of the environment: kept, although old', [...partsOnly(40)], {}, []],
    ['parts of today (merge pending) never push out the whole base other jobs reuse', [...partsOnly(0), ...merged(1)], { keepLatest: 1, keepDays: 0 }, []],
    ['abandoned parts older than the newest whole base go', [...partsOnly(5), ...merged(1)], { keepLatest: 1, keepDays: 0 }, [amd(5), arm(5)]],
    ['with keepLatest 0, pending parts are kept by age only', [...partsOnly(5), ...merged(1)], { keepLatest: 0, keepDays: 3 }, [amd(5), arm(5)]],
    ['keepLatest counts units, not tags', [...merged(50), ...merged(60), ...merged(70)], { keepLatest: 2 }, [amd(70), arm(70), unit(70)]],
    ['the run protects its dated tag and so every part of it', [...merged(0), ...partsOnly(90)], { keepLatest: 0, keepDays: 0, protectTags: [unit(90)] }, []],
    [
      'a part of another prefix is foreign',
      [...merged(40), { tag: `nightly-${A}-${daysAgo(40)}_linux_amd64`, digest: dg('n') }],
      { keepLatest: 0 },
      [amd(40), arm(40), unit(40)],
    ],
  ])('%s', (_n, tags, p, want) => {
    expect(deleted(tags, p)).toEqual([...want].sort())
  })

  it('lists kept parts with their unit', () => {
    const plan = planRetention([...merged(0)], policy())
    expect(plan.keep.find((k) => k.tag === amd(0))?.reason).toBe(`platform part of ${unit(0)}: newest 1 of base-${A}`)
    expect(kept([...merged(0)])).toEqual([amd(0), arm(0), unit(0)].sort())
  })

  it('deletes the indexes first, so a half-done run leaves no index without its parts', () => {
    const plan = planRetention([...merged(0), ...merged(40)], policy())
    expect(plan.delete.every((d) => d.index)).toBe(true)
  })

  it('never deletes a part digest a kept merged index references', () => {
    // The amd64 job of an old day pushed a plain manifest that today's merged index reuses.
    const shared = dg('m:shared')
    const tags: TagInfo[] = [
      { tag: amd(40), digest: shared },
      { tag: arm(40), digest: dg(arm(40)) },
      { tag: unit(0), digest: dg(unit(0)), children: [shared, dg('m:arm-today')] },
    ]
    const plan = planRetention(tags, policy({ keepLatest: 1 }))
    expect(plan.delete.flatMap((d) => [...d.tags])).toEqual([arm(40)])
    expect(plan.protect.map((p) => [p.tag, p.reason])).toEqual([[amd(40), `platform manifest of the index of kept tag ${unit(0)}`]])
  })

  it('overlapping jobs of one day: the amd64 job prunes while arm64 pushes and a pull request reuses yesterday’s base', () => {
    // Nightly matrix: job amd64 pushed today's part and prunes (keep-latest 1, keep-days 0);
    // arm64 has pushed too; the merge has not run; a PR job meanwhile reuses unit(3).
    const plan = planRetention([...partsOnly(0), ...merged(3), ...merged(9)], policy({ keepLatest: 1, keepDays: 0, protectTags: [unit(0)] }))
    expect(plan.keep.map((k) => k.tag)).toEqual(expect.arrayContaining([amd(0), arm(0), unit(3), amd(3), arm(3)]))
    expect(plan.delete.flatMap((d) => [...d.tags]).sort()).toEqual([amd(9), arm(9), unit(9)].sort())
  })
})
