// A partial benchmark run (`npm run bench -- --only layers`) updates BENCHMARKS.md in place
// (bench/splice.ts): what it measured replaces its namesakes, everything else stays.

import { describe, expect, it } from 'vitest'
import { spliceReport } from '../bench/splice.js'

const EXISTING = [
  '# Benchmarks',
  '',
  '## Machine',
  '',
  '| date | 2026-11-28 |',
  '',
  '## Targets',
  '',
  '| target | goal | measured | verdict |',
  '|---|---|---|---|',
  '| Reuse path | ≤ 0.15× | 0.25× | **MISSED** |',
  '| Layers: bump | ≤ 1 MiB | 0.9 MiB | **holds** |',
  '',
  '### Findings',
  '',
  '| step | time |',
  '|---|---|',
  '| Node itself | 24 ms |',
  '',
  '## 1. Reuse path',
  '',
  'old reuse figures',
  '',
  '## 7. Package layers',
  '',
  'old layer figures',
  '',
].join('\n')

const FRESH = [
  '# Benchmarks',
  '',
  '## Machine',
  '',
  '| date | 2026-12-07 |',
  '',
  '## Targets',
  '',
  '| target | goal | measured | verdict |',
  '|---|---|---|---|',
  '| Reuse path | ≤ 0.15× | n/a | **not measured** |',
  '| Layers: bump | ≤ 1 MiB | 0.8 MiB | **holds** |',
  '| Layers: cost | ≤ 1.10× | 0.95× | **holds** |',
  '',
  '### Findings',
  '',
  '| step | time |',
  '|---|---|',
  '| Node itself | 99 ms |',
  '',
  '## 1. Reuse path',
  '',
  'Not measured.',
  '',
  '## 7. Package layers',
  '',
  'new layer figures',
  '',
  '## 8. Something new',
  '',
  'new figures',
  '',
].join('\n')

describe('spliceReport', () => {
  const out = spliceReport(EXISTING, FRESH, 'From a partial run.')

  it('replaces a measured section, under its provenance; keeps one the run did not measure, and the machine table', () => {
    expect(out).toContain('## 7. Package layers\n\n*From a partial run.*\n\nnew layer figures\n')
    expect(out).not.toContain('old layer figures')
    expect(out).toContain('## 1. Reuse path\n\nold reuse figures\n')
    expect(out).toContain('| date | 2026-11-28 |')
    expect(out).not.toContain('2026-12-07')
  })

  it('replaces the target rows the run measured and adds new ones after the last; a row it did not measure stays', () => {
    expect(out).toContain(
      [
        '| Reuse path | ≤ 0.15× | 0.25× | **MISSED** |',
        '| Layers: bump | ≤ 1 MiB | 0.8 MiB | **holds** |',
        '| Layers: cost | ≤ 1.10× | 0.95× | **holds** |',
        '',
        '### Findings',
      ].join('\n'),
    )
    expect(out).not.toContain('not measured')
  })

  it('leaves the tables of the hand-written findings alone, and adds a section the report on disk lacks at the end', () => {
    expect(out).toContain('| Node itself | 24 ms |')
    expect(out).not.toContain('99 ms')
    expect(out.trimEnd().endsWith('## 8. Something new\n\n*From a partial run.*\n\nnew figures')).toBe(true)
  })

  it('changes nothing when the run measured nothing', () => {
    const none = FRESH.replace('new layer figures', 'Not measured.')
      .replace('new figures', 'Failed: the registry is down')
      .replace(/\| Layers: .*\n/g, '')
    expect(spliceReport(EXISTING, none, 'x')).toBe(EXISTING)
  })
})
