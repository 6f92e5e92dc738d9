// Every package change against the previous base: each conda package whose
// version or build changed, added or removed — a patch release of the same size included —
// once, with its installed-size change; the summary lists them all up to a bound, the PR
// comment folds them past the first rows.

import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { renderReport, type ReportData } from '../src/report/index.js'
import type { PackagesReport } from '../src/report/model.js'
import { COMMENT_OPEN_ROWS, packageChangesText } from '../src/report/package-changes.js'
import { packagesReport } from '../src/sizes/package-sizes.js'
import { everyPackageChange, everyPipChange, packagesByName, type PackageChange } from '../src/sizes/changes.js'
import { parseSizeManifestDocument, type PackageSize, type PipDistribution } from '../src/sizes/manifest.js'

const P = (name: string, version: string, size: number, build?: string): PackageSize => ({ name, version, size, ...(build ? { build } : {}) })
const rows = (c: readonly PackageChange[]) => c.map((x) => [x.name, x.kind, x.before?.version ?? '–', x.after?.version ?? '–', x.delta])

describe('everyPackageChange', () => {
  it.each<[string, PackageSize[], PackageSize[], ReturnType<typeof rows>]>([
    ['nothing changed', [P('numpy', '1.26', 100, 'a')], [P('numpy', '1.26', 100, 'a')], []],
    ['a version bump of the same size', [P('numpy', '1.26.3', 100)], [P('numpy', '1.26.4', 100)], [['numpy', 'updated', '1.26.3', '1.26.4', 0]]],
    ['a build change only', [P('numpy', '1.26', 100, 'py312_0')], [P('numpy', '1.26', 100, 'py312_1')], [['numpy', 'updated', '1.26', '1.26', 0]]],
    ['a build that appears', [P('numpy', '1.26', 100)], [P('numpy', '1.26', 100, 'py312_1')], [['numpy', 'updated', '1.26', '1.26', 0]]],
    ['same version and build, another size', [P('numpy', '1.26', 100, 'a')], [P('numpy', '1.26', 90, 'a')], [['numpy', 'resized', '1.26', '1.26', -10]]],
    ['added', [], [P('scipy', '1.14', 40)], [['scipy', 'added', '–', '1.14', 40]]],
    ['removed', [P('pandas', '2.2', 60)], [], [['pandas', 'removed', '2.2', '–', -60]]],
    [
      'the largest change first, then by name',
      [P('a', '1', 10), P('b', '1', 10), P('c', '1', 500), P('d', '1', 7)],
      [P('a', '2', 10), P('b', '2', 30), P('e', '1', 20), P('d', '1', 7)],
      [
        ['c', 'removed', '1', '–', -500],
        ['b', 'updated', '1', '2', 20],
        ['e', 'added', '–', '1', 20],
        ['a', 'updated', '1', '2', 0],
      ],
    ],
    ['a repeated record: the last one counts', [P('x', '1', 5), P('x', '2', 5)], [P('x', '2', 5)], []],
    [
      'names such as __proto__ are names',
      [P('__proto__', '1', 1)],
      [P('__proto__', '2', 1), P('constructor', '1', 2)],
      [
        ['constructor', 'added', '–', '1', 2],
        ['__proto__', 'updated', '1', '2', 0],
      ],
    ],
  ])('%s', (_, before, after, want) => {
    expect(rows(everyPackageChange(before, after))).toEqual(want)
  })
})

const record = fc.record({
  name: fc.oneof(fc.constantFrom('numpy', 'python', 'pip', '__proto__', 'libzlib'), fc.string({ minLength: 1, maxLength: 6 })),
  version: fc.constantFrom('1.0', '1.1', '2.0'),
  build: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
  size: fc.constantFrom(0, 1, 100, 4096),
})
const manifest = fc.array(record, { maxLength: 25 })

test.prop([manifest, manifest])('each name whose version, build or presence differs appears exactly once; unchanged ones never', (before, after) => {
  const changes = everyPackageChange(before, after)
  const prev = packagesByName(before)
  const cur = packagesByName(after)
  const count = new Map<string, number>()
  for (const c of changes) count.set(c.name, (count.get(c.name) ?? 0) + 1)
  for (const name of new Set([...prev.keys(), ...cur.keys()])) {
    const b = prev.get(name)
    const a = cur.get(name)
    const differs = !a || !b || a.version !== b.version || (a.build ?? '') !== (b.build ?? '')
    const resized = !differs && a.size !== b.size
    expect(count.get(name) ?? 0).toBe(differs || resized ? 1 : 0)
  }
  // The changes add up to the difference of the totals, and come largest first.
  const total = (m: Map<string, PackageSize>) => [...m.values()].reduce((n, p) => n + p.size, 0)
  expect(changes.reduce((n, c) => n + c.delta!, 0)).toBe(total(cur) - total(prev))
  for (let i = 1; i < changes.length; i++) expect(Math.abs(changes[i - 1]!.delta!)).toBeGreaterThanOrEqual(Math.abs(changes[i]!.delta!))
})

const data = (packages: PackagesReport): ReportData => ({
  mode: 'auto',
  image: 'ghcr.io/acme/model',
  environmentFile: 'environment.yml',
  envHash: 'a'.repeat(64),
  base: { tag: 'base-aaaaaaaaaaaa-20261120', outcome: 'built', decision: 'new-environment', previousTag: 'base-bbbbbbbbbbbb-20261101' },
  builds: [],
  cache: { cachedSteps: 0, totalSteps: 0, ratio: 1 },
  phases: [],
  push: { enabled: true, reason: 'push' },
  packages,
  warnings: [],
})

function report(before: PackageSize[], after: PackageSize[]): PackagesReport {
  return {
    largest: after.slice(0, 10),
    count: after.length,
    total: after.reduce((n, p) => n + p.size, 0),
    changes: { previousTag: 'base-bbbbbbbbbbbb-20261101', list: everyPackageChange(before, after) },
  }
}

describe('the report lists every change', () => {
  it('a same-size patch release, a build change, an addition and a removal, with the size change as a column', () => {
    const before = [P('numpy', '1.26.3', 30_000_000, 'py312_0'), P('openssl', '3.3.1', 9_000_000, 'h0'), P('pandas', '2.2', 60_000_000), P('python', '3.12', 1)]
    const after = [P('numpy', '2.1', 36_000_000, 'py312_0'), P('openssl', '3.3.2', 9_000_000, 'h0'), P('scipy', '1.14', 40_000_000), P('python', '3.12', 1)]
    const md = renderReport(data(report(before, after)))
    expect(md).toContain('Against `base-bbbbbbbbbbbb-20261101`: **4 packages changed** — 2 updated, 1 added, 1 removed; installed size \u221214.0 MB.')
    expect(md).toContain('| Package | Before | After | Installed change |')
    expect(md).toContain('| `pandas` | 2.2 | – | \u221260.0 MB (gone) |')
    expect(md).toContain('| `scipy` | – | 1.14 | +40.0 MB (new) |')
    expect(md).toContain('| `numpy` | 1.26.3 | 2.1 | +6.0 MB, +20.0% |')
    expect(md).toContain('| `openssl` | 3.3.1 | 3.3.2 | no change |')
    expect(md).not.toMatch(/^\| `python`/m) // unchanged: no change row (only a row of the largest packages)
  })

  it('a build-only change shows the builds, so before and after differ', () => {
    const md = renderReport(data(report([P('numpy', '1.26', 5, 'py312_0')], [P('numpy', '1.26', 5, 'py312_1')])))
    expect(md).toContain('| `numpy` | 1.26 `py312_0` | 1.26 `py312_1` | no change |')
    expect(md).toContain('**1 package changed** — 1 updated; no change in installed size.')
  })

  it('says so when nothing changed', () => {
    const md = renderReport(data(report([P('numpy', '1.26', 5)], [P('numpy', '1.26', 5)])))
    expect(md).toContain('No conda package changed against `base-bbbbbbbbbbbb-20261101`: same versions, builds and installed sizes.')
  })

  const many = (n: number) => Array.from({ length: n }, (_, i) => P(`pkg${String(i).padStart(4, '0')}`, '1.0', 1000 + i))
  const bumped = (n: number) => many(n).map((p) => ({ ...p, version: '1.1' }))

  it('the comment shows the first rows and folds the rest; the summary shows all', () => {
    const p = report(many(12), bumped(12))
    const comment = renderReport(data(p), { forComment: true })
    const open = comment.slice(0, comment.indexOf('<details><summary>7 more package changes</summary>'))
    expect(open).toContain('**12 packages changed** — 12 updated')
    for (const c of p.changes!.list.slice(0, COMMENT_OPEN_ROWS)) expect(open).toContain(`| \`${c.name}\` | 1.0 | 1.1 | no change |`)
    for (const c of p.changes!.list.slice(COMMENT_OPEN_ROWS)) expect(open).not.toContain(`\`${c.name}\``)
    for (const c of p.changes!.list) expect(comment).toContain(`| \`${c.name}\` | 1.0 | 1.1 |`)
    const summary = renderReport(data(p))
    expect(summary).not.toContain('more package change')
    for (const c of p.changes!.list) expect(summary).toContain(`| \`${c.name}\` | 1.0 | 1.1 |`)
  })

  it.each([
    [false, 500],
    [true, 60],
  ])('bounded (comment %s: %i rows), then "and N more"; the count is of all of them', (forComment, cap) => {
    const p = report(many(2000), bumped(2000))
    const md = renderReport(data(p), { forComment })
    expect(md).toContain('**2,000 packages changed** — 2,000 updated')
    expect(md.match(/\| 1\.0 \| 1\.1 \|/g)).toHaveLength(cap)
    expect(md).toContain(`… and ${(2000 - cap).toLocaleString('en-US')} more package changes.`)
  })

  it('escapes hostile names and versions', () => {
    const text = packageChangesText('base-x', everyPackageChange([P('<img src=x>|@team', '1|2', 5)], [P('<img src=x>|@team', '1|3', 5)]), {
      forComment: false,
      maxRows: 10,
      maxStr: 200,
    })
    expect(text).toContain('| `<img src=x>\\|@team` | 1\\|2 | 1\\|3 | no change |')
    expect(text.replace(/`[^`]*`/g, '')).not.toMatch(/<img|@team/)
  })
})

const D = (name: string, version: string, size?: number): PipDistribution => ({ name, version, ...(size === undefined ? {} : { size }) })
const pipRows = (c: readonly PackageChange[] | undefined) =>
  c?.map((x) => [x.name, x.kind, x.before?.version ?? '–', x.after?.version ?? '–', x.delta ?? '?', x.pip])

describe('everyPipChange', () => {
  it.each<[string, PipDistribution[] | undefined, PipDistribution[] | undefined, ReturnType<typeof pipRows>]>([
    ['nothing changed', [D('requests', '2.32.3', 500)], [D('requests', '2.32.3', 500)], []],
    ['a version bump of the same size', [D('requests', '2.32.2', 500)], [D('requests', '2.32.3', 500)], [['requests', 'updated', '2.32.2', '2.32.3', 0, true]]],
    ['a version bump, sizes known', [D('rich', '13.0', 100)], [D('rich', '13.1', 160)], [['rich', 'updated', '13.0', '13.1', 60, true]]],
    ['added', [], [D('tqdm', '4.66', 70)], [['tqdm', 'added', '–', '4.66', 70, true]]],
    ['removed', [D('tqdm', '4.66', 70)], [], [['tqdm', 'removed', '4.66', '–', -70, true]]],
    ['same version, another size', [D('attrs', '24.2', 100)], [D('attrs', '24.2', 120)], [['attrs', 'resized', '24.2', '24.2', 20, true]]],
    ['same version, a size known on one side only: no change (an unknown size is no change of size)', [D('attrs', '24.2')], [D('attrs', '24.2', 120)], []],
    ['a bump where a RECORD lists no sizes: no delta', [D('attrs', '24.1')], [D('attrs', '24.2', 120)], [['attrs', 'updated', '24.1', '24.2', '?', true]]],
    ['added without sizes: no delta', [], [D('x', '1')], [['x', 'added', '–', '1', '?', true]]],
    ['names compared as pip compares them (PEP 503)', [D('Foo_Bar', '1.0', 5)], [D('foo.bar', '1.1', 5)], [['foo.bar', 'updated', '1.0', '1.1', 0, true]]],
    ['the previous base lists no pip distributions (built before they were listed): nothing is said', undefined, [D('requests', '2.32.3', 500)], undefined],
    ['the new base lists none (a custom base without them): nothing is said', [D('requests', '2.32.3', 500)], undefined, undefined],
  ])('%s', (_, before, after, want) => {
    expect(pipRows(everyPipChange(before, after))).toEqual(want)
  })
})

describe('pip in the size manifest', () => {
  const doc = (extra: Record<string, unknown>) => JSON.stringify({ version: 1, packages: [{ name: 'numpy', version: '1.26', size: 5 }], ...extra })
  it.each<[string, string, PipDistribution[] | undefined]>([
    ['no pip list: undefined (nothing known)', doc({}), undefined],
    ['not a list: undefined', doc({ pip: { requests: '1' } }), undefined],
    ['an empty list: known to be none', doc({ pip: [] }), []],
    [
      'records, a size only where plausible',
      doc({
        pip: [
          { name: 'a', version: '1', size: 3 },
          { name: 'b', version: '2' },
          { name: 'c', version: '3', size: 1e308 },
        ],
      }),
      [D('a', '1', 3), D('b', '2'), D('c', '3')],
    ],
    [
      'a record without a version, with a control character, or not an object is left out',
      doc({ pip: [{ name: 'a' }, { name: 'b\u0007', version: '1' }, 'x', null, { name: 'ok', version: '1' }] }),
      [D('ok', '1')],
    ],
  ])('%s', (_, text, want) => {
    expect(parseSizeManifestDocument(text)?.pip).toEqual(want)
    expect(parseSizeManifestDocument(text)?.packages).toEqual([{ name: 'numpy', version: '1.26', size: 5, build: undefined }])
  })
})

describe('pip changes in the report', () => {
  const conda = [P('numpy', '1.26', 1000)]
  const withPip = (before: PipDistribution[] | undefined, after: PipDistribution[] | undefined, condaAfter = conda): PackagesReport => {
    const pip = everyPipChange(before, after)
    return {
      largest: condaAfter,
      count: condaAfter.length,
      total: condaAfter.reduce((n, p) => n + p.size, 0),
      changes: { previousTag: 'base-bbbbbbbbbbbb-20261101', list: [...everyPackageChange(conda, condaAfter), ...(pip ?? [])], pipCompared: pip !== undefined },
    }
  }

  it('a same-size pip bump is a row marked pip, next to the conda changes, counted in the headline', () => {
    const md = renderReport(data(withPip([D('requests', '2.32.2', 500)], [D('requests', '2.32.3', 500), D('tqdm', '4.66', 70)], [P('numpy', '2.0', 1200)])))
    expect(md).toContain('**3 packages changed** — 2 updated, 1 added (2 of them pip); installed size +270 B.')
    expect(md).toContain('| `requests` (pip) | 2.32.2 | 2.32.3 | no change |')
    expect(md).toContain('| `tqdm` (pip) | – | 4.66 | +70 B (new) |')
    expect(md).toContain('| `numpy` | 1.26 | 2.0 |')
    const comment = renderReport(data(withPip([D('requests', '2.32.2', 500)], [D('requests', '2.32.3', 500)])), { forComment: true })
    expect(comment).toContain('| `requests` (pip) | 2.32.2 | 2.32.3 | no change |')
  })

  it('a pip change of unknown size says so, and is not counted in the size total', () => {
    const md = renderReport(data(withPip([D('attrs', '24.1')], [D('attrs', '24.2', 120)])))
    expect(md).toContain('| `attrs` (pip) | 24.1 | 24.2 | not known |')
    expect(md).toContain(
      '**1 package changed** — 1 updated (1 of them pip); no change in installed size (1 pip change of unknown size not counted: no sizes in RECORD).',
    )
  })

  it('nothing changed: conda and pip when pip was compared, conda only when it was not', () => {
    expect(renderReport(data(withPip([D('a', '1', 1)], [D('a', '1', 1)])))).toContain('No conda or pip package changed against')
    const md = renderReport(data(withPip(undefined, [D('a', '1', 1)])))
    expect(md).toContain('No conda package changed against')
    expect(md).not.toMatch(/pip/)
  })

  it('hostile pip names are escaped like conda ones', () => {
    const md = renderReport(data(withPip([], [D('<img src=x>|@team', '1|2', 5)])))
    expect(md).toContain('| `<img src=x>\\|@team` (pip) | – | 1\\|2 | +5 B (new) |')
  })
})

describe('packagesReport: pip changes from the two size manifests', () => {
  const manifest = (pip?: PipDistribution[]) => ({ packages: [P('numpy', '1.26', 10)], ...(pip ? { pip } : {}) })
  const read = (cur: ReturnType<typeof manifest>, prev: ReturnType<typeof manifest>) => (ref: string) => Promise.resolve(ref === 'new' ? cur : prev)
  const debug: string[] = []
  const log = { debug: (m: string) => void debug.push(m) }

  it('both list pip: the pip changes are in the list, sorted with the conda ones, and pip was compared', async () => {
    const r = await packagesReport({
      read: read(manifest([D('requests', '2.32.3', 5)]), manifest([D('requests', '2.32.2', 5)])),
      ref: 'new',
      previousTag: 'old',
      log,
    })
    expect(r?.changes).toEqual({
      previousTag: 'old',
      pipCompared: true,
      list: [expect.objectContaining({ name: 'requests', kind: 'updated', pip: true, delta: 0 })],
    })
  })

  it('the previous base lists no pip (built before): no pip change, pip not compared, a debug line', async () => {
    debug.length = 0
    const r = await packagesReport({ read: read(manifest([D('requests', '2.32.3', 5)]), manifest()), ref: 'new', previousTag: 'old', log })
    expect(r?.changes).toEqual({ previousTag: 'old', pipCompared: false, list: [] })
    expect(debug).toEqual(['pip changes not reported: the previous base old lists no pip distributions'])
    expect(renderReport(data(r!))).not.toMatch(/pip/)
  })
})
