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

  it('escapes hostile names (every change is listed: __tests__/package-changes.test.ts)', () => {
    const p: PackagesReport = {
      largest: [P('<img src=x>|@team', '1|2', 5)],
      count: 1,
      total: 5,
    }
    const md = renderReport(data(p))
    // only inside a code span (GFM renders no HTML and no mention there), the pipe escaped for the table
    expect(md).toContain('| 1 | `<img src=x>\\|@team` | 1\\|2 |')
    expect(md.replace(/`[^`]*`/g, '')).not.toMatch(/<img|@team/)
  })
})
