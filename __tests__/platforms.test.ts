// Per-platform parts of a dated base and of the application tags, build-platforms, and the
// merge plan. Pure; table and property tests.

import { fc, test as fcTest } from '@fast-check/vitest'
import { describe, expect, it, test } from 'vitest'
import { UserError } from '../src/vocabulary/user-error.js'
import {
  baseUnits,
  parsePartTag,
  partRef,
  partTag,
  planAppMerge,
  planBaseMerge,
  platformJob,
  platformSlug,
  resolveBuildPlatforms,
} from '../src/image/platforms.js'
import { datedTags, parseDatedTag } from '../src/image/dated-tags.js'

const HASH = '0123456789ab'.padEnd(64, 'c')
const H12 = HASH.slice(0, 12)
const D1 = `base-${H12}-20261120`
const D2 = `base-${H12}-20261121`
const BOTH = ['linux/amd64', 'linux/arm64']

describe('per-platform tags', () => {
  test.each([
    ['linux/amd64', 'linux_amd64'],
    ['linux/arm64/v8', 'linux_arm64_v8'],
    ['linux/arm/v7', 'linux_arm_v7'],
    ['linux/x86_64', 'linux_x86_64'],
  ])('%s → _%s', (platform, slug) => {
    expect(platformSlug(platform)).toBe(slug)
    expect(partTag(D1, platform)).toBe(`${D1}_${slug}`)
  })

  test.each([
    ['linux'],
    ['linux/'],
    ['/amd64'],
    ['linux/amd64/v8/x'],
    ['Linux/amd64'],
    ['linux/amd-64'],
    ['linux/amd64,linux/arm64'],
    [''],
    ['linux/amd64_'],
    ['linux/x__y'],
  ])('refuses platform %j', (p) => {
    expect(() => platformSlug(p)).toThrow(UserError)
  })

  it('refuses a part tag longer than a tag may be', () => {
    expect(() => partTag('t'.repeat(120), 'linux/amd64')).toThrow(/longer than 128/)
  })

  test.each<[string, string, string | undefined]>([
    [`${D1}_linux_amd64`, 'base-', D1],
    [`${D1}_linux_arm64_v8`, 'base-', D1],
    [D1, 'base-', undefined], // the dated tag itself is not a part
    [`${D1}_`, 'base-', undefined],
    [`${D1}_linux`, 'base-', undefined],
    [`${D1}_linux__amd64`, 'base-', undefined],
    [`${D1}-linux-amd64`, 'base-', undefined],
    [`base-${H12}-20261131_linux_amd64`, 'base-', undefined], // no such day
    [`${D1}_linux_amd64`, 'nightly-', undefined],
    [`${D1}_linux_amd64`, 'base-0', undefined], // a longer prefix eats the hash
    [`${D1}_linux_amd64`, 'bas', undefined], // a shorter one leaves junk before it
    [`sha-0123456_linux_amd64`, 'base-', undefined], // an application part
  ])('parsePartTag(%s, %s)', (tag, prefix, dated) => {
    expect(parsePartTag(tag, prefix)?.dated.tag).toBe(dated)
  })

  test.each<[string, string]>([
    // Adversarial platforms and prefixes: a part must never read as a dated base tag.
    [partTag(D1, 'linux/0123456789ab/20261120'), ''],
    [partTag(D1, 'linux/0123456789ab/20261120'), 'base-'],
    [partTag(D1, 'linux/0123456789ab/20261120'), `base-${H12}-20261120_linux_`],
    [partTag(`x-${H12}-20261120`, 'a/b'), 'x-'],
    [partTag('base-', 'linux/amd64'), 'base-'],
  ])('%s is no dated tag of prefix %j', (tag, prefix) => {
    expect(parseDatedTag(tag, prefix)).toBeUndefined()
    expect(datedTags([tag], prefix)).toEqual([])
  })

  const component = fc.stringMatching(/^[a-z0-9]{1,4}(?:[_.][a-z0-9]{1,4}){0,2}$/)
  const platform = fc.tuple(component, component, fc.option(component, { nil: undefined })).map(([o, a, v]) => (v ? `${o}/${a}/${v}` : `${o}/${a}`))
  const prefix = fc.stringMatching(/^[\w][\w.-]{0,20}$/)
  const date = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })

  fcTest.prop([prefix, fc.stringMatching(/^[0-9a-f]{12}$/), date, platform, fc.oneof(prefix, fc.constant(''))])(
    'no part tag is a dated tag of any prefix; it parses back to its dated base under its own prefix',
    (p, h, d, plat, other) => {
      const dated = `${p}${h}-${d.toISOString().slice(0, 10).replace(/-/g, '')}`
      const t = partTag(dated, plat)
      expect(parseDatedTag(t, other)).toBeUndefined()
      expect(parseDatedTag(t, p)).toBeUndefined()
      expect(parsePartTag(t, p)?.dated.tag).toBe(dated)
      expect(parsePartTag(dated, p)).toBeUndefined()
    },
  )
})

describe('build-platforms', () => {
  test.each<[string, string[], string[], string[], boolean]>([
    ['empty means all', BOTH, [], BOTH, false],
    ['one of two', BOTH, ['linux/arm64'], ['linux/arm64'], true],
    ['all, in platforms order', BOTH, ['linux/arm64', 'linux/amd64'], BOTH, false],
    ['repeats collapse', BOTH, ['linux/amd64', 'linux/amd64'], ['linux/amd64'], true],
  ])('%s', (_n, platforms, build, want, subset) => {
    expect(resolveBuildPlatforms(platforms, build)).toEqual({ build: want, subset })
  })

  it('refuses a platform that is not in platforms, naming it and the full set', () => {
    expect(() => resolveBuildPlatforms(BOTH, ['linux/s390x', 'linux/amd64'])).toThrow(
      /"build-platforms": linux\/s390x is not in "platforms" \(linux\/amd64, linux\/arm64\)/,
    )
    expect(() => resolveBuildPlatforms([], ['linux/amd64'])).toThrow(UserError)
  })

  it('refuses two platforms that would share a tag suffix', () => {
    expect(() => resolveBuildPlatforms(['linux/x86_64', 'linux/x86/64'], [])).toThrow(/share the per-platform tag suffix _linux_x86_64/)
  })
})

describe('merge plan', () => {
  const plan = (tags: string[], platforms = BOTH): ReturnType<typeof planBaseMerge> =>
    planBaseMerge({ tags, prefix: 'base-', envHash: HASH, platforms, repository: 'r/x' })

  it('assembles the newest unit of the environment from its parts, in platforms order', () => {
    const tags = [`${D1}_linux_amd64`, `${D2}_linux_arm64`, `${D2}_linux_amd64`, 'latest', `base-ffffffffffff-20261130_linux_amd64`]
    expect(plan(tags)).toEqual({
      action: 'assemble',
      tag: D2,
      parts: [
        { platform: 'linux/amd64', tag: `${D2}_linux_amd64` },
        { platform: 'linux/arm64', tag: `${D2}_linux_arm64` },
      ],
    })
  })

  it('assembles again when the dated tag exists with all its parts (a re-run)', () => {
    expect(plan([D2, `${D2}_linux_amd64`, `${D2}_linux_arm64`]).action).toBe('assemble')
  })

  it('leaves a whole dated base the jobs reused', () => {
    expect(plan([D1, `${D1}_linux_amd64`, `${D1}_linux_arm64`, D2])).toEqual({ action: 'merged', tag: D2 })
  })

  it('fails naming every missing platform and its tag', () => {
    expect(() => plan([`${D2}_linux_amd64`, `base-${H12}-20261119_linux_arm64`])).toThrow(`no image for platform linux/arm64 (${D2}_linux_arm64)`)
    expect(() => plan([`${D2}_linux_amd64`], [...BOTH, 'linux/arm/v7'])).toThrow(`platforms linux/arm64 (${D2}_linux_arm64), linux/arm/v7 (${D2}_linux_arm_v7)`)
  })

  it('takes a platform from the day before when the jobs straddled midnight', () => {
    expect(plan([`${D2}_linux_arm64`, `${D1}_linux_amd64`])).toEqual({
      action: 'assemble',
      tag: D2,
      parts: [
        { platform: 'linux/amd64', tag: `${D1}_linux_amd64` },
        { platform: 'linux/arm64', tag: `${D2}_linux_arm64` },
      ],
    })
    // Not from an older day, nor from a unit that was merged (its jobs are done).
    const D0 = `base-${H12}-20261119`
    expect(() => plan([`${D2}_linux_arm64`, `${D0}_linux_amd64`])).toThrow(/no image for platform linux\/amd64/)
    expect(() => plan([`${D2}_linux_arm64`, D1, `${D1}_linux_amd64`])).toThrow(/no image for platform linux\/amd64/)
  })

  it('fails when nothing of the environment exists', () => {
    expect(() => plan([`base-ffffffffffff-20261130_linux_amd64`, 'latest'])).toThrow(
      /no dated base and no per-platform parts of environment 0123456789ab in r\/x/,
    )
  })

  it('the application parts', () => {
    const tags = ['sha-1_linux_amd64', 'sha-1_linux_arm64', 'sha-2_linux_amd64']
    expect(planAppMerge({ tags, appTag: 'sha-1', platforms: BOTH, repository: 'r/x' }).map((p) => p.tag)).toEqual(['sha-1_linux_amd64', 'sha-1_linux_arm64'])
    expect(() => planAppMerge({ tags, appTag: 'sha-2', platforms: BOTH, repository: 'r/x' })).toThrow(
      'Cannot merge r/x:sha-2: no image for platform linux/arm64 (sha-2_linux_arm64)',
    )
  })

  it('units: dated tags with their parts, newest first, parts-only units included', () => {
    const units = baseUnits([D1, `${D1}_linux_amd64`, `${D2}_linux_arm64`, 'latest'], 'base-')
    expect(units.map((u) => [u.dated.tag, u.merged, [...u.parts.values()]])).toEqual([
      [D2, false, [`${D2}_linux_arm64`]],
      [D1, true, [`${D1}_linux_amd64`]],
    ])
  })
})

describe('a job of a matrix', () => {
  const job = (buildPlatforms: string[], platforms = BOTH): ReturnType<typeof platformJob> =>
    platformJob({
      platforms,
      buildPlatforms,
      datedTag: D1,
      appTags: ['127.0.0.1:5000/acme/app:sha-1', '127.0.0.1:5000/acme/app:latest'],
      cacheRef: '127.0.0.1:5000/acme/app:buildcache',
      appCacheRef: '127.0.0.1:5000/acme/app:buildcache-app',
    })

  it('with all platforms pushes the tags themselves', () => {
    expect(job([])).toEqual({
      platforms: BOTH,
      baseTag: D1,
      appTags: ['127.0.0.1:5000/acme/app:sha-1', '127.0.0.1:5000/acme/app:latest'],
      cacheRef: '127.0.0.1:5000/acme/app:buildcache',
      appCacheRef: '127.0.0.1:5000/acme/app:buildcache-app',
    })
  })

  test.each([
    ['linux/amd64', 'linux_amd64'],
    ['linux/arm64', 'linux_arm64'],
  ])('the %s job pushes only its parts and keeps a cache of its own', (p, slug) => {
    expect(job([p])).toEqual({
      platforms: [p],
      part: p,
      baseTag: `${D1}_${slug}`,
      appTags: [`127.0.0.1:5000/acme/app:sha-1_${slug}`],
      cacheRef: `127.0.0.1:5000/acme/app:buildcache_${slug}`,
      appCacheRef: `127.0.0.1:5000/acme/app:buildcache-app_${slug}`,
    })
  })

  it('one platform per job', () => {
    expect(() => job(['linux/amd64', 'linux/arm64'], [...BOTH, 'linux/s390x'])).toThrow(/builds one platform/)
  })

  test.each([['localhost:5000/x'], ['r/x@sha256:' + 'a'.repeat(64)]])('partRef refuses %s', (ref) => {
    expect(() => partRef(ref, 'linux/amd64')).toThrow(UserError)
  })
  it('partRef keeps a registry port', () => {
    expect(partRef('localhost:5000/x:t', 'linux/amd64')).toBe('localhost:5000/x:t_linux_amd64')
  })
})
