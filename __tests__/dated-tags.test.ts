import { describe, expect, it, test } from 'vitest'
import { fc, test as fcTest } from '@fast-check/vitest'
import { ageDays, chooseBase, datedTag, datedTags, formatDate, parseDatedTag, previousBase, trendTags, withTag } from '../src/image/dated-tags.js'

const HASH = 'abcdef012345'.padEnd(64, '0')
const OTHER = '111111111111'.padEnd(64, '0')
const NOW = new Date('2026-11-23T08:30:00Z')
const DAY = 86_400_000

describe('dated tags', () => {
  test.each([
    ['base-abcdef012345-20261123', 'base-', { hash12: 'abcdef012345', date: '20261123' }],
    ['nightly-abcdef012345-20240229', 'nightly-', { hash12: 'abcdef012345', date: '20240229' }],
    ['base-abcdef012345-20230229', 'base-', undefined], // not a leap year
    ['base-abcdef012345-20261331', 'base-', undefined],
    ['base-ABCDEF012345-20261123', 'base-', undefined],
    ['base-abcdef01234-20261123', 'base-', undefined],
    ['base-abcdef012345-2026112', 'base-', undefined],
    ['other-abcdef012345-20261123', 'base-', undefined],
    ['base-abcdef012345-20261123-extra', 'base-', undefined],
    ['latest', 'base-', undefined],
  ])('%s with prefix %s', (tag, prefix, expected) => {
    const d = parseDatedTag(tag, prefix)
    if (expected === undefined) expect(d).toBeUndefined()
    else expect(d).toMatchObject(expected)
  })

  it('formats UTC dates and today’s tag from the injected clock', () => {
    expect(formatDate(new Date('2026-01-05T23:59:59Z'))).toBe('20260105')
    expect(formatDate(new Date('2026-01-05T23:59:59-05:00'))).toBe('20260106')
    expect(datedTag('base-', HASH, NOW)).toBe('base-abcdef012345-20261123')
  })

  it('sorts newest first regardless of registry order', () => {
    const tags = ['base-abcdef012345-20261101', 'latest', 'base-abcdef012345-20261120', 'base-111111111111-20261122', 'base-abcdef012345-20251231']
    expect(datedTags(tags, 'base-').map((t) => t.date)).toEqual(['20261122', '20261120', '20261101', '20251231'])
  })

  it('age in whole UTC days', () => {
    expect(ageDays(parseDatedTag('base-abcdef012345-20261123', 'base-')!, NOW)).toBe(0)
    expect(ageDays(parseDatedTag('base-abcdef012345-20261109', 'base-')!, NOW)).toBe(14)
  })
})

describe('chooseBase', () => {
  const tags = ['base-abcdef012345-20261101', 'base-abcdef012345-20261115', 'base-111111111111-20261122', 'buildcache', 'latest']
  test.each([
    ['auto: newest tag of this hash is reused', { tags, mode: 'auto' }, { action: 'reuse', tag: 'base-abcdef012345-20261115', ageDays: 8 }],
    ['auto: other hashes do not count', { tags, envHash: OTHER, mode: 'auto' }, { action: 'reuse', tag: 'base-111111111111-20261122' }],
    [
      'auto: no tag for this hash builds today',
      { tags: ['latest'], mode: 'auto' },
      { action: 'build', tag: 'base-abcdef012345-20261123', decision: 'new-environment' },
    ],
    ['auto: empty repository builds', { tags: [], mode: 'auto' }, { action: 'build', decision: 'new-environment' }],
    ['auto: lookup failure builds as a miss', { tags: undefined, mode: 'auto' }, { action: 'build', decision: 'lookup-failed' }],
    ['auto: within max-age reuses', { tags, mode: 'auto', maxAgeMs: 14 * DAY }, { action: 'reuse', tag: 'base-abcdef012345-20261115' }],
    [
      'auto: older than max-age rebuilds',
      { tags, mode: 'auto', maxAgeMs: 7 * DAY },
      { action: 'build', decision: 'max-age', sameEnvironment: 'base-abcdef012345-20261115' },
    ],
    [
      'auto: max-age 0 never rebuilds today’s tag',
      { tags: ['base-abcdef012345-20261123'], mode: 'auto', maxAgeMs: 0 },
      { action: 'reuse', tag: 'base-abcdef012345-20261123' },
    ],
    [
      'base: builds today even when an older tag exists',
      { tags, mode: 'base' },
      { action: 'build', decision: 'nightly', sameEnvironment: 'base-abcdef012345-20261115' },
    ],
    [
      'base: no-op when today’s tag exists',
      { tags: [...tags, 'base-abcdef012345-20261123'], mode: 'base' },
      { action: 'reuse', tag: 'base-abcdef012345-20261123', ageDays: 0 },
    ],
    ['plan: chooses like auto', { tags, mode: 'plan' }, { action: 'reuse', tag: 'base-abcdef012345-20261115' }],
    ['custom prefix', { tags: ['env-abcdef012345-20261120', ...tags], prefix: 'env-', mode: 'auto' }, { action: 'reuse', tag: 'env-abcdef012345-20261120' }],
    [
      'a tag dated in the future is still reused',
      { tags: ['base-abcdef012345-20261201'], mode: 'auto', maxAgeMs: DAY },
      { action: 'reuse', tag: 'base-abcdef012345-20261201', ageDays: 0 },
    ],
  ] as const)('%s', (_name, input, expected) => {
    const { tags: list, ...rest } = input as { tags: readonly string[] | undefined; prefix?: string }
    const prefix = rest.prefix ?? 'base-'
    const choice = chooseBase({ prefix, envHash: HASH, now: NOW, ...rest, dated: list && datedTags(list, prefix) } as Parameters<typeof chooseBase>[0])
    expect(choice).toMatchObject(expected)
  })

  it('previous base and trend', () => {
    const dated = datedTags(tags, 'base-')
    expect(previousBase(dated, 'base-abcdef012345-20261123')?.tag).toBe('base-111111111111-20261122')
    expect(previousBase(dated, 'base-111111111111-20261122')?.tag).toBe('base-abcdef012345-20261115')
    expect(trendTags(dated, HASH, 8).map((t) => t.tag)).toEqual(['base-abcdef012345-20261101', 'base-abcdef012345-20261115'])
    expect(trendTags(dated, HASH, 1).map((t) => t.tag)).toEqual(['base-abcdef012345-20261115'])
    const withToday = withTag(dated, 'base-abcdef012345-20261123', 'base-')
    expect(trendTags(withToday, HASH, 8).map((t) => t.tag)).toEqual(['base-abcdef012345-20261101', 'base-abcdef012345-20261115', 'base-abcdef012345-20261123'])
    expect(withTag(dated, 'latest', 'base-')).toEqual(dated)
    expect(withTag(withToday, 'base-abcdef012345-20261123', 'base-')).toEqual(withToday)
  })
})

// parseDatedTag checks the calendar by arithmetic (no Date built per tag); this is the
// definition (a regular expression and a Date) it must agree with.
function parseDatedTagReference(tag: string, prefix: string) {
  if (!tag.startsWith(prefix)) return undefined
  const m = /^([0-9a-f]{12})-(\d{4})(\d{2})(\d{2})$/.exec(tag.slice(prefix.length))
  if (!m) return undefined
  const [, h, y, mo, d] = m as unknown as [string, string, string, string, string]
  const time = Date.UTC(Number(y), Number(mo) - 1, Number(d))
  const check = new Date(time)
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return undefined
  return { tag, hash12: h, date: `${y}${mo}${d}`, time }
}

describe('parseDatedTag agrees with its definition (regular expression and calendar)', () => {
  // Mostly well-formed pieces (so that dates are really checked), sometimes broken ones.
  const hex = fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 12, maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789abcdefAg-'), minLength: 11, maxLength: 13 }) },
  )
  const date = fc.oneof(
    { weight: 3, arbitrary: fc.date({ min: new Date(Date.UTC(100, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }).map(formatDate) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
        .map(([y, m, d]) => `${y}`.padStart(4, '0') + `${m}`.padStart(2, '0') + `${d}`.padStart(2, '0')),
    },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789x'), minLength: 7, maxLength: 9 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('20240229', '20230229', '19000229', '20000229', '00990101', '01000101', '20261131', '20261301', '20260000', '2026013１'),
    },
  )
  const prefixes = ['base-', '', 'b_', 'base-x-']
  fcTest.prop(
    [
      fc.constantFrom(...prefixes),
      fc.option(fc.constantFrom(...prefixes, 'sha-'), { freq: 3 }),
      hex,
      fc.oneof({ weight: 5, arbitrary: fc.constant('-') }, fc.constantFrom('_', '')),
      date,
    ],
    { numRuns: 500 },
  )('any prefix, hash, separator and date', (want, given, h, sep, d) => {
    const tag = `${given ?? want}${h}${sep}${d}`
    expect(parseDatedTag(tag, want)).toEqual(parseDatedTagReference(tag, want))
  })
})

describe('datedTags agrees with its definition (parse every tag, sort by time then tag, newest first)', () => {
  const newestFirstReference = (a: { time: number; tag: string }, b: { time: number; tag: string }) =>
    b.time - a.time || (a.tag < b.tag ? 1 : a.tag > b.tag ? -1 : 0)
  // Few hashes and dates, so that days are shared and tags repeat; some tags of other shapes.
  const hash = fc.constantFrom('abcdef012345', '111111111111', '0123456789ab', 'ABCDEF012345', 'abcdef01234')
  const day = fc.constantFrom('20261123', '20261122', '20251231', '20240229', '20230229', '20261301', '00990101', '2026112x')
  const tag = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(fc.constantFrom('base-', 'nightly-', 'b.', ''), hash, fc.constantFrom('-', '-', '-', '_'), day).map((t) => t.join('')) },
    { weight: 1, arbitrary: fc.constantFrom('latest', 'buildcache', 'sha-abc', 'base-abcdef012345-20261123-linux-amd64') },
  )
  fcTest.prop([fc.constantFrom('base-', 'nightly-', 'b.', ''), fc.array(tag, { maxLength: 80 }), fc.boolean()], { numRuns: 300 })(
    'any list, in registry order or not',
    (prefix, list, sorted) => {
      const tags = sorted ? [...list].sort() : list
      const want = tags
        .map((t) => parseDatedTagReference(t, prefix))
        .filter((d) => d !== undefined)
        .sort(newestFirstReference)
      expect(datedTags(tags, prefix)).toEqual(want)
    },
  )
})

describe('referrer tags (OCI referrers tag schema, `sha256-<hex>`) are never dated tags', () => {
  fcTest.prop([fc.stringMatching(/^[0-9a-f]{64}$/), fc.constantFrom('base-', '', 'sha256-', 'b')])(
    'parseDatedTag ignores sha256-<hex> for any prefix',
    (hex, prefix) => {
      expect(parseDatedTag(`sha256-${hex}`, prefix)).toBeUndefined()
      expect(datedTags([`sha256-${hex}`], prefix)).toEqual([])
    },
  )
})
