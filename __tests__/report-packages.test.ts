import { describe, expect, it } from 'vitest'
import { renderReport, type ReportData } from '../src/report/index.js'
import type { PackagesReport } from '../src/report/model.js'

const data = (packages?: PackagesReport): ReportData => ({
  mode: 'auto',
  image: 'ghcr.io/acme/model',
  environmentFile: 'environment.yml',
  envHash: 'a'.repeat(64),
  base: { tag: 'base-aaaaaaaaaaaa-20261120', outcome: 'built', decision: 'new-environment' },
  builds: [],
  cache: { cachedSteps: 0, totalSteps: 0, ratio: 1 },
  phases: [],
  push: { enabled: true, reason: 'push' },
  packages,
  warnings: [],
})

const P = (name: string, version: string, size: number) => ({ name, version, size })
const largest = Array.from({ length: 12 }, (_, i) => P(`pkg${String(i).padStart(2, '0')}`, `1.${i}`, (12 - i) * 1_000_000))

describe('report: what makes the base big', () => {
  it('is absent without a size manifest (no warning either)', () => {
    const md = renderReport(data())
    expect(md).not.toContain('What makes the base big')
    expect(md).not.toMatch(/size manifest/i)
  })

  it('lists at most the 10 largest packages with size and share; the comment folds the table', () => {
    const p: PackagesReport = { largest, count: 120, total: 100_000_000 }
    const md = renderReport(data(p))
    expect(md).toContain('#### What makes the base big')
    expect(md).toContain('120 conda packages, 100.0 MB installed.')
    expect(md).toContain('| 1 | `pkg00` | 1.0 | 12.0 MB | 12.0% |')
    expect(md).toContain('`pkg09`')
    expect(md).not.toContain('`pkg10`')
    expect(renderReport(data(p), { forComment: true })).toMatch(/<details><summary>Largest 10 packages<\/summary>/)
  })

  it('shows added, removed and grown packages against the previous base', () => {
    const p: PackagesReport = {
      largest: largest.slice(0, 3),
      count: 3,
      total: 33_000_000,
      changes: {
        previousTag: 'base-bbbbbbbbbbbb-20261101',
        added: [P('scipy', '1.14', 40_000_000)],
        removed: [P('pandas', '2.2', 60_000_000)],
        grown: [{ name: 'numpy', before: P('numpy', '1.26', 30_000_000), after: P('numpy', '2.1', 36_000_000) }],
      },
    }
    const md = renderReport(data(p))
    expect(md).toContain('Against `base-bbbbbbbbbbbb-20261101`:')
    expect(md).toContain('- **Added** (1): `scipy` 1.14 (40.0 MB)')
    expect(md).toContain('- **Removed** (1): `pandas` 2.2 (60.0 MB)')
    expect(md).toContain('- **Grown by more than 10%** (1): `numpy` 1.26 → 2.1 (30.0 MB → 36.0 MB, +6.0 MB, +20.0%)')
  })

  it('says so when nothing changed, and escapes hostile names', () => {
    const p: PackagesReport = {
      largest: [P('<img src=x>|@team', '1|2', 5)],
      count: 1,
      total: 5,
      changes: { previousTag: 'base-x', added: [], removed: [], grown: [] },
    }
    const md = renderReport(data(p))
    expect(md).toContain('No package added, removed or grown by more than 10% against `base-x`.')
    // only inside a code span (GFM renders no HTML and no mention there), the pipe escaped for the table
    expect(md).toContain('| 1 | `<img src=x>\\|@team` | 1\\|2 |')
    expect(md.replace(/`[^`]*`/g, '')).not.toMatch(/<img|@team/)
  })
})
