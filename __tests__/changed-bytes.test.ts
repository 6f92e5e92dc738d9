// What a node downloads: layers of the new image (per platform, by digest) the compared image lacks.

import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { changedBytes, type PlatformLayers } from '../src/sizes/changed-layers.js'
import { changedBytesText } from '../src/report/changed-row.js'

const L = (d: string, size: number) => ({ digest: `sha256:${d}`, size })
const P = (platform: string, ...layers: ReturnType<typeof L>[]): PlatformLayers => ({ platform, layers })

describe('changedBytes', () => {
  test.each<[string, PlatformLayers[], PlatformLayers[], number, number]>([
    ['identical', [P('linux/amd64', L('a', 100), L('b', 5))], [P('linux/amd64', L('a', 100), L('b', 5))], 0, 105],
    ['one layer changed', [P('linux/amd64', L('a', 100), L('c', 7))], [P('linux/amd64', L('a', 100), L('b', 5))], 7, 107],
    ['disjoint', [P('linux/amd64', L('x', 3), L('y', 4))], [P('linux/amd64', L('a', 100))], 7, 7],
    ['a layer listed twice is pulled once', [P('linux/amd64', L('a', 10), L('a', 10), L('n', 1))], [P('linux/amd64', L('z', 1))], 11, 11],
    ['single-platform images match whatever they are called', [P('unknown', L('a', 9), L('n', 1))], [P('linux/amd64', L('a', 9))], 1, 10],
    [
      'per platform: a layer of another platform is not on the node',
      [P('linux/amd64', L('a', 10), L('n', 1)), P('linux/arm64', L('b', 20), L('a', 10))],
      [P('linux/amd64', L('a', 10)), P('linux/arm64', L('b', 20))],
      11,
      41,
    ],
    ['a platform the compared image lacks: all new', [P('linux/amd64', L('a', 10)), P('linux/arm64', L('b', 20))], [P('linux/amd64', L('a', 10))], 20, 30],
  ])('%s', (_, now, before, changed, total) => {
    const c = changedBytes(now, before, 'r:t@sha256:x')
    expect([c.changed, c.total]).toEqual([changed, total])
    expect(c.platforms.map((p) => p.platform)).toEqual(now.map((p) => p.platform))
  })

  const layers = fc.array(fc.record({ digest: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f').map((d) => `sha256:${d}`), size: fc.constant(0) }), {
    maxLength: 8,
  })
  // One digest is one blob: the same size wherever it is listed.
  const sized = (ls: { digest: string; size: number }[]) => ls.map((l) => ({ digest: l.digest, size: l.digest.charCodeAt(7) * 1000 }))
  const platforms = fc.uniqueArray(fc.record({ platform: fc.constantFrom('linux/amd64', 'linux/arm64', 'linux/s390x'), layers: layers.map(sized) }), {
    selector: (p) => p.platform,
    maxLength: 3,
  })

  test('never more than the total; 0 against itself; the total against nothing in common', () => {
    fc.assert(
      fc.property(platforms, platforms, (now, before) => {
        const c = changedBytes(now, before, 'x')
        expect(c.changed).toBeGreaterThanOrEqual(0)
        expect(c.changed).toBeLessThanOrEqual(c.total)
        for (const p of c.platforms) expect(p.changed).toBeLessThanOrEqual(p.total)
        expect(changedBytes(now, now, 'x').changed).toBe(0)
        const disjoint = before.map((p) => ({ ...p, layers: p.layers.map((l) => ({ ...l, digest: `${l.digest}-old` })) }))
        const d = changedBytes(now, disjoint, 'x')
        expect(d.changed).toBe(d.total)
      }),
    )
  })

  test('the report row says the figure, of what, and against which image', () => {
    const c = changedBytes([P('linux/amd64', L('a', 2_300_000_000), L('n', 41_000_000))], [P('linux/amd64', L('a', 2_300_000_000))], 'r/base:base-1@sha256:old')
    expect(changedBytesText(c, (r) => r, 100)).toBe(
      '**41.0 MB** of its 2.3 GB of compressed layers — what a node that has `r/base:base-1@sha256:old` pulls (the layers it lacks, by digest)',
    )
  })
})
