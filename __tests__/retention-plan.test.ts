// planRetention: which dated tags are kept, which digests deleted, which protected — and
// why. Pure; the clock is pinned.

import { describe, expect, it, test } from 'vitest'
import { planRetention, type RetentionPlan, type RetentionPolicy, type TagInfo } from '../src/retention/index.js'

const TODAY = new Date('2026-03-15T23:59:59Z') // late in the UTC day: ages must not round up
const A = 'aaaaaaaaaaaa'
const B = 'bbbbbbbbbbbb'
const C = 'cccccccccccc'

/** YYYYMMDD of TODAY minus `days`. */
function daysAgo(days: number): string {
  const d = new Date(Date.UTC(2026, 2, 15) - days * 86_400_000)
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`
}

function dated(hash: string, age: number, prefix = 'base-'): string {
  return `${prefix}${hash}-${daysAgo(age)}`
}

/** A distinct fake digest per name. */
function dg(name: string): string {
  let h = ''
  for (const ch of name) h += ch.charCodeAt(0).toString(16)
  return `sha256:${h.padEnd(64, '0').slice(0, 64)}`
}

/** Every tag on its own digest unless `same` says otherwise. */
function infos(tags: readonly string[], same: Record<string, string> = {}): TagInfo[] {
  return tags.map((t) => ({ tag: t, digest: dg(same[t] ?? t) }))
}

function policy(p: Partial<RetentionPolicy> = {}): RetentionPolicy {
  return { prefix: 'base-', keepLatest: 2, keepDays: 30, protectTags: [], today: TODAY, ...p }
}

function deletedTags(plan: RetentionPlan): string[] {
  return plan.delete.flatMap((d) => [...d.tags]).sort()
}
function keptTags(plan: RetentionPlan): string[] {
  return plan.keep.map((k) => k.tag).sort()
}
function protectedTags(plan: RetentionPlan): string[] {
  return plan.protect.map((k) => k.tag).sort()
}

describe('keepLatest / keepDays per hash', () => {
  // [name, tags, policy, expected deleted tags]
  test.each<[string, string[], Partial<RetentionPolicy>, string[]]>([
    ['nothing old', [dated(A, 0), dated(A, 1), dated(A, 2)], { keepLatest: 1 }, []],
    ['old beyond keepLatest deleted', [dated(A, 0), dated(A, 31), dated(A, 40), dated(A, 50)], { keepLatest: 2 }, [dated(A, 40), dated(A, 50)]],
    [
      'keepLatest per hash, not global',
      [dated(A, 0), dated(A, 100), dated(B, 90), dated(B, 95), dated(B, 99)],
      { keepLatest: 1 },
      [dated(A, 100), dated(B, 95), dated(B, 99)],
    ],
    ['age exactly keepDays is kept', [dated(A, 0), dated(A, 30), dated(A, 31)], { keepLatest: 1, keepDays: 30 }, [dated(A, 31)]],
    ['keepDays 0 keeps today only', [dated(A, 0), dated(A, 1), dated(A, 2)], { keepLatest: 0, keepDays: 0 }, [dated(A, 1), dated(A, 2)]],
    ['keepLatest 0 and everything old', [dated(A, 40), dated(B, 41)], { keepLatest: 0, keepDays: 30 }, [dated(A, 40), dated(B, 41)]],
    ['keepLatest larger than the group', [dated(A, 40), dated(A, 50)], { keepLatest: 5 }, []],
    ['old hash kept by keepLatest alone', [dated(A, 0), dated(C, 300), dated(C, 400)], { keepLatest: 1 }, [dated(C, 400)]],
    ['future-dated tags are kept', [dated(A, -3), dated(A, 40), dated(A, 41)], { keepLatest: 0 }, [dated(A, 40), dated(A, 41)]],
    ['huge keepDays keeps everything', [dated(A, 400), dated(A, 800)], { keepLatest: 0, keepDays: 100_000 }, []],
    ['other prefix is not ours', [dated(A, 90, 'nightly-'), dated(A, 91, 'nightly-'), dated(A, 0)], { keepLatest: 0 }, []],
    ['empty prefix', [dated(A, 0, ''), dated(A, 90, '')], { prefix: '', keepLatest: 1 }, [dated(A, 90, '')]],
  ])('%s', (_name, tags, p, expected) => {
    const plan = planRetention(infos(tags), policy(p))
    expect(deletedTags(plan)).toEqual([...expected].sort())
    // Every dated tag of the prefix is accounted for exactly once.
    const ours = tags.filter((t) => !expected.includes(t) && /-\d{8}$/.test(t) && t.startsWith(p.prefix ?? 'base-') && !t.startsWith('nightly-'))
    expect([...keptTags(plan), ...protectedTags(plan)].sort()).toEqual(ours.sort())
  })

  it('gives ages against the injected UTC date and a reason for every entry', () => {
    const plan = planRetention(infos([dated(A, 0), dated(A, 31), dated(A, 45)]), policy({ keepLatest: 1 }))
    expect(plan.keep).toEqual([{ tag: dated(A, 0), digest: dg(dated(A, 0)), ageDays: 0, reason: `newest 1 of base-${A}` }])
    expect(plan.delete.map((d) => [d.tag, d.digest, d.ageDays])).toEqual([
      [dated(A, 45), dg(dated(A, 45)), 45],
      [dated(A, 31), dg(dated(A, 31)), 31],
    ])
    for (const d of plan.delete) expect(d.reason).toMatch(/older than 30 days/)
  })

  it('the same tags planned on another day give other ages', () => {
    const tags = infos([dated(A, 0), dated(A, 20)])
    expect(deletedTags(planRetention(tags, policy({ keepLatest: 1 })))).toEqual([])
    const later = new Date(TODAY.getTime() + 11 * 86_400_000)
    expect(deletedTags(planRetention(tags, policy({ keepLatest: 1, today: later })))).toEqual([dated(A, 20)])
  })
})

describe('tags that are not dated tags are never touched', () => {
  test.each([
    ['uppercase hash', 'base-AAAAAAAAAAAA-20250101'],
    ['short hash', 'base-aaaaaaaaaaa-20250101'],
    ['long hash', 'base-aaaaaaaaaaaaa-20250101'],
    ['7-digit date', 'base-aaaaaaaaaaaa-2025011'],
    ['suffix', 'base-aaaaaaaaaaaa-20250101-rc1'],
    ['no prefix', 'aaaaaaaaaaaa-20250101'],
    ['invalid month', 'base-aaaaaaaaaaaa-20251301'],
    ['invalid day', 'base-aaaaaaaaaaaa-20250230'],
    ['not a leap year', 'base-aaaaaaaaaaaa-20250229'],
    ['latest', 'latest'],
  ])('%s: %s', (_name, tag) => {
    const plan = planRetention(infos([tag, dated(A, 0)]), policy({ keepLatest: 0, keepDays: 0 }))
    expect(plan.delete).toEqual([])
    expect([...keptTags(plan), ...protectedTags(plan)]).toEqual([dated(A, 0)])
  })

  it('a leap day is a valid date', () => {
    const plan = planRetention(infos(['base-aaaaaaaaaaaa-20240229']), policy({ keepLatest: 0 }))
    expect(deletedTags(plan)).toEqual(['base-aaaaaaaaaaaa-20240229'])
  })
})

describe('shared digests', () => {
  test.each<[string, TagInfo[], Partial<RetentionPolicy>, string[], Record<string, RegExp>]>([
    [
      'foreign tag on an old dated digest protects it',
      [...infos([dated(A, 0), dated(A, 60), dated(A, 70)]), { tag: 'keep-me', digest: dg(dated(A, 60)) }],
      { keepLatest: 1 },
      [dated(A, 70)],
      { [dated(A, 60)]: /shared with tag keep-me/ },
    ],
    [
      'latest on the oldest tag',
      [...infos([dated(A, 0), dated(A, 90)]), { tag: 'latest', digest: dg(dated(A, 90)) }],
      { keepLatest: 1 },
      [],
      { [dated(A, 90)]: /shared with tag latest/ },
    ],
    [
      'tag of another prefix shares a digest',
      [...infos([dated(A, 0), dated(A, 90)]), { tag: dated(A, 90, 'nightly-'), digest: dg(dated(A, 90)) }],
      { keepLatest: 1 },
      [],
      { [dated(A, 90)]: /nightly-/ },
    ],
    [
      'two dated tags on one digest, one kept',
      infos([dated(A, 0), dated(B, 0), dated(B, 90)], { [dated(B, 90)]: dated(A, 0) }),
      { keepLatest: 1 },
      [],
      { [dated(B, 90)]: new RegExp(`shared with kept tag ${dated(A, 0)}`) },
    ],
    [
      'two old dated tags on one digest: deleted together',
      infos([dated(A, 0), dated(A, 80), dated(B, 0), dated(B, 81)], { [dated(B, 81)]: dated(A, 80) }),
      { keepLatest: 1 },
      [dated(A, 80), dated(B, 81)],
      {},
    ],
    [
      'protectTags keeps an old tag and its digest',
      [...infos([dated(A, 0), dated(A, 90), dated(A, 91)], { [dated(A, 91)]: dated(A, 90) })],
      { keepLatest: 1, protectTags: [dated(A, 90)] },
      [],
      { [dated(A, 91)]: new RegExp(`shared with kept tag ${dated(A, 90)}`) },
    ],
    [
      'a foreign tag in protectTags changes nothing else',
      [...infos([dated(A, 0), dated(A, 90)]), { tag: 'sha-abc1234', digest: dg('app') }],
      { keepLatest: 1, protectTags: ['sha-abc1234'] },
      [dated(A, 90)],
      {},
    ],
  ])('%s', (_name, tags, p, expectedDeleted, protectedWhy) => {
    const plan = planRetention(tags, policy(p))
    expect(deletedTags(plan)).toEqual([...expectedDeleted].sort())
    expect(protectedTags(plan)).toEqual(Object.keys(protectedWhy).sort())
    for (const e of plan.protect) expect(e.reason).toMatch(protectedWhy[e.tag]!)
    // No deleted digest is the digest of a tag that is not deleted.
    const gone = new Set(plan.delete.map((d) => d.digest))
    for (const t of tags) if (gone.has(t.digest)) expect(deletedTags(plan)).toContain(t.tag)
  })

  it('one delete entry per digest, listing all its tags and the newest age', () => {
    const tags = infos([dated(A, 0), dated(A, 80), dated(B, 0), dated(B, 85)], { [dated(B, 85)]: dated(A, 80) })
    const plan = planRetention(tags, policy({ keepLatest: 1 }))
    expect(plan.delete).toHaveLength(1)
    expect(plan.delete[0]).toMatchObject({ digest: dg(dated(A, 80)), ageDays: 80, tags: [dated(A, 80), dated(B, 85)], tag: `${dated(A, 80)}, ${dated(B, 85)}` })
  })

  it('protectTags: the tag just built is never deleted even when old-dated', () => {
    const plan = planRetention(infos([dated(A, 400)]), policy({ keepLatest: 0, protectTags: [dated(A, 400)] }))
    expect(plan.delete).toEqual([])
    expect(plan.keep).toMatchObject([{ tag: dated(A, 400), reason: 'in use by this run' }])
  })
})

describe('multi-platform indexes', () => {
  const amd = dg('amd64')
  const arm = dg('arm64')

  test.each<[string, TagInfo[], string[], Record<string, RegExp>]>([
    [
      'a candidate that is a platform manifest of a kept index is protected',
      [
        { tag: dated(A, 0), digest: dg('index-new'), children: [amd, arm] },
        { tag: dated(B, 0), digest: dg('b-new') },
        { tag: dated(B, 90), digest: amd },
      ],
      [],
      { [dated(B, 90)]: /platform manifest of the index of kept tag/ },
    ],
    [
      'a child of a foreign-tagged index is protected',
      [
        { tag: dated(A, 0), digest: dg('a-new') },
        { tag: 'latest', digest: dg('index-latest'), children: [amd] },
        { tag: dated(A, 90), digest: amd },
      ],
      [],
      { [dated(A, 90)]: /index of tag latest/ },
    ],
    [
      'deleting an old index itself is fine',
      [
        { tag: dated(A, 0), digest: dg('index-new'), children: [dg('n1'), dg('n2')] },
        { tag: dated(A, 90), digest: dg('index-old'), children: [amd, arm] },
      ],
      [dated(A, 90)],
      {},
    ],
    [
      'a protected old index protects its children in turn',
      [
        { tag: dated(A, 0), digest: dg('a-new') },
        { tag: dated(A, 90), digest: dg('index-old'), children: [amd] },
        { tag: 'keep-me', digest: dg('index-old') },
        { tag: dated(A, 95), digest: amd },
      ],
      [],
      { [dated(A, 90)]: /shared with tag keep-me/, [dated(A, 95)]: /platform manifest of the index of protected tag/ },
    ],
    [
      'an old index and its tagged child are both deleted, index first',
      [
        { tag: dated(A, 0), digest: dg('a-new') },
        { tag: dated(A, 95), digest: amd },
        { tag: dated(A, 90), digest: dg('index-old'), children: [amd] },
      ],
      [dated(A, 90), dated(A, 95)],
      {},
    ],
  ])('%s', (_name, tags, expectedDeleted, protectedWhy) => {
    const plan = planRetention(tags, policy({ keepLatest: 1 }))
    expect(deletedTags(plan)).toEqual([...expectedDeleted].sort())
    expect(protectedTags(plan)).toEqual(Object.keys(protectedWhy).sort())
    for (const e of plan.protect) expect(e.reason).toMatch(protectedWhy[e.tag]!)
    const firstPlain = plan.delete.findIndex((d) => !d.index)
    if (firstPlain >= 0) expect(plan.delete.slice(firstPlain).every((d) => !d.index)).toBe(true)
  })
})

describe('unknown digests', () => {
  it('an unresolved foreign tag protects every candidate', () => {
    const tags: TagInfo[] = [...infos([dated(A, 0), dated(A, 90), dated(B, 95)]), { tag: 'latest', digest: '' }]
    const plan = planRetention(tags, policy({ keepLatest: 1, keepDays: 30 }))
    expect(plan.delete).toEqual([])
    expect(protectedTags(plan)).toEqual([dated(A, 90)])
    expect(plan.protect[0]!.reason).toMatch(/digest of latest is unknown/)
  })

  it('an unresolved candidate is protected, the others still go', () => {
    const tags: TagInfo[] = [...infos([dated(A, 0), dated(A, 90)]), { tag: dated(A, 91), digest: '' }]
    const plan = planRetention(tags, policy({ keepLatest: 1 }))
    expect(deletedTags(plan)).toEqual([dated(A, 90)])
    expect(plan.protect).toMatchObject([{ tag: dated(A, 91), reason: /could not be resolved/ }])
  })
})

it('is pure: same input, same plan; input untouched', () => {
  const tags = infos([dated(A, 0), dated(A, 90), dated(B, 91), 'latest'])
  const copy = structuredClone(tags)
  const p = policy({ keepLatest: 1 })
  expect(planRetention(tags, p)).toEqual(planRetention([...tags].reverse(), p))
  expect(tags).toEqual(copy)
})

test('a tag dated after tomorrow takes no "newest" place: the real bases keep theirs, and it is not deleted either', () => {
  const future = [dated(A, -3000), dated(A, -4000)]
  const real = [dated(A, 40), dated(A, 50), dated(A, 60)]
  const plan = planRetention(infos([...future, ...real]), policy({ keepLatest: 2 }))
  expect(deletedTags(plan)).toEqual([dated(A, 60)])
  expect(keptTags(plan)).toEqual(expect.arrayContaining([dated(A, 40), dated(A, 50)]))
})
