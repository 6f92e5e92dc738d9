// The bundled template's SBOM and lock generator ("SBOM and lock" block of
// templates/base.Dockerfile), run for real with the machine's sh and awk over conda-meta
// records and dist-info directories written here, and its output read by the action's
// parser (src/sbom/cyclonedx.ts). The e2e test builds the template with the stand-in.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { PackageURL } from 'packageurl-js'
import { afterEach, describe, expect, it } from 'vitest'
import { parseSbom, type ParsedSbom } from '../src/sbom/cyclonedx.js'
import { parseSizeManifestDocument, type SizeManifest } from '../src/sizes/manifest.js'

const TEMPLATE = readFileSync(path.join(import.meta.dirname, '..', 'templates', 'base.Dockerfile'), 'utf8')
const BLOCK = TEMPLATE.slice(TEMPLATE.indexOf('# >>> SBOM and lock'), TEMPLATE.indexOf('# <<< SBOM and lock <<<'))

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

interface Out {
  readonly sbom: ParsedSbom
  readonly raw: string
  readonly explicit: string
  readonly pip: string
  /** The size manifest the block writes (sizes.json), parsed as the action reads it. */
  readonly sizes: SizeManifest | undefined
}

/** Writes the records (file name → JSON text) and dist-infos, runs the block, reads its three files. */
function generate(records: Record<string, string>, dists: Record<string, { metadata: string; directUrl?: string; record?: string }> = {}): Out {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sbom-'))
  dirs.push(root)
  const prefix = path.join(root, 'prefix')
  const out = path.join(root, 'out')
  mkdirSync(path.join(prefix, 'conda-meta'), { recursive: true })
  for (const [f, text] of Object.entries(records)) writeFileSync(path.join(prefix, 'conda-meta', f), text)
  for (const [d, { metadata, directUrl, record }] of Object.entries(dists)) {
    const dir = path.join(prefix, 'lib', 'python3.12', 'site-packages', d)
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, 'METADATA'), metadata)
    if (directUrl) writeFileSync(path.join(dir, 'direct_url.json'), directUrl)
    if (record !== undefined) writeFileSync(path.join(dir, 'RECORD'), record)
  }
  execFileSync('sh', ['-euc', BLOCK], { env: { PATH: process.env.PATH, cia_prefix: prefix, cia_out: out, ENV_HASH: 'ab12' }, timeout: 60_000 })
  const raw = readFileSync(path.join(out, 'sbom.cdx.json'), 'utf8')
  const sbom = parseSbom(Buffer.from(raw))
  if ('invalid' in sbom) throw new Error(`the SBOM is invalid: ${sbom.invalid}`)
  return {
    sbom,
    raw,
    explicit: readFileSync(path.join(out, 'explicit.txt'), 'utf8'),
    pip: readFileSync(path.join(out, 'requirements.lock.txt'), 'utf8'),
    sizes: parseSizeManifestDocument(readFileSync(path.join(out, 'sizes.json'), 'utf8')),
  }
}

/** A record as micromamba writes it (4-space indent, sorted keys, nested values). */
function record(fields: Record<string, unknown>, indent = 4): string {
  return `${JSON.stringify({ depends: ['python >=3.12'], files: ['lib/x.so'], paths_data: { paths: [{ _path: 'lib/x.so', name: 'nested' }] }, ...fields }, null, indent)}\n`
}

const hex = (c: string, n: number) => c.repeat(n)
const numpy = {
  name: 'numpy',
  version: '1.26.4',
  build: 'py312h_0',
  channel: 'https://conda.anaconda.org/conda-forge',
  subdir: 'linux-64',
  url: 'https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py312h_0.conda',
  md5: hex('a', 32),
  sha256: hex('b', 64),
  license: 'BSD-3-Clause',
}

describe('the template SBOM and lock', () => {
  it('writes one component per record with its purl, hashes and licence, and the @EXPLICIT lock with the sha256', () => {
    const o = generate({
      'numpy-1.26.4-py312h_0.json': record(numpy),
      'zlib-1.3-h0.json': record(
        { ...numpy, name: 'zlib', version: '1.3', build: 'h0', sha256: undefined, url: 'https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3-h0.conda' },
        2,
      ),
    })
    expect(o.sbom.components).toEqual([
      {
        kind: 'conda',
        name: 'numpy',
        version: '1.26.4',
        purl: 'pkg:conda/numpy@1.26.4?build=py312h_0&channel=conda-forge&subdir=linux-64',
        qualifiers: { build: 'py312h_0', channel: 'conda-forge', subdir: 'linux-64' },
        hashes: { MD5: hex('a', 32), 'SHA-256': hex('b', 64) },
        license: 'BSD-3-Clause',
      },
      expect.objectContaining({ name: 'zlib', hashes: { MD5: hex('a', 32) } }),
    ])
    expect(o.explicit.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      '@EXPLICIT',
      `${numpy.url}#sha256:${hex('b', 64)}`,
      `https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3-h0.conda#${hex('a', 32)}`,
    ])
    expect(o.explicit).toContain('# platform: linux-64')
    expect(o.sbom.leftOut).toEqual([])
    const doc = JSON.parse(o.raw) as { metadata: { component: { type: string; version: string } } }
    expect(doc.metadata.component).toMatchObject({ type: 'container', version: 'ab12' })
  })

  it('keeps no credential of a channel URL (user:password@, /t/<token>/)', () => {
    const url = 'https://me:secret@mirror.example/t/tk-123/conda-forge/linux-64/numpy-1.26.4-py312h_0.conda'
    const o = generate({ 'n.json': record({ ...numpy, url, channel: 'https://me:secret@mirror.example/t/tk-123/conda-forge' }) })
    expect(o.raw + o.explicit).not.toMatch(/secret|tk-123/)
    expect(o.explicit).toContain('https://mirror.example/conda-forge/linux-64/numpy-1.26.4-py312h_0.conda#sha256:')
  })

  it('lists pip-installed distributions (not those a conda record owns), name normalised per the pypi purl type', () => {
    const owned = record({ ...numpy, files: ['lib/python3.12/site-packages/numpy-1.26.4.dist-info/METADATA'] })
    const o = generate(
      { 'numpy-1.26.4-py312h_0.json': owned },
      {
        'numpy-1.26.4.dist-info': { metadata: 'Name: numpy\nVersion: 1.26.4\n' },
        'Foo_Bar-2.0.dist-info': {
          metadata: 'Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 2.0\n\nName: body\n',
          directUrl: `{"archive_info": {"hashes": {"sha256": "${hex('c', 64)}"}}}`,
        },
        'plain-1.0.dist-info': { metadata: 'Name: plain\nVersion: 1.0\n' },
      },
    )
    expect(o.sbom.components.filter((c) => c.kind === 'pypi')).toEqual([
      { kind: 'pypi', name: 'Foo_Bar', version: '2.0', purl: 'pkg:pypi/foo-bar@2.0', qualifiers: {}, hashes: { 'SHA-256': hex('c', 64) } },
      { kind: 'pypi', name: 'plain', version: '1.0', purl: 'pkg:pypi/plain@1.0', qualifiers: {}, hashes: {} },
    ])
    expect(o.pip.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([`Foo_Bar==2.0 --hash=sha256:${hex('c', 64)}`, 'plain==1.0'])
  })

  it.each([
    ['a name with / and ?', { name: 'ev/il?x y' }, 'pkg:conda/ev%2Fil%3Fx%20y@1.26.4', ''],
    ['a 10 MB licence', { license: 'L'.repeat(10 << 20) }, 'pkg:conda/numpy@1.26.4', 'license'],
    ['a URL that is not one', { url: 'not a url' }, 'pkg:conda/numpy@1.26.4', 'explicit.txt'],
    ['an md5 that is not hex', { md5: 'zz' }, 'pkg:conda/numpy@1.26.4', 'md5'],
    ['a build that is not ASCII', { build: 'é1' }, 'pkg:conda/numpy@1.26.4?channel=conda-forge&subdir=linux-64', 'build'],
    ['a build with a % (purl parsers decode qualifiers twice)', { build: '50%' }, 'pkg:conda/numpy@1.26.4?channel=conda-forge&subdir=linux-64', 'build'],
    ['a name padded with spaces', { name: ' numpy ' }, 'pkg:conda/numpy@1.26.4?build=', ''],
  ])('a hostile record (%s) is encoded per the purl spec, capped or left out, and named once', (_what, bad, purlStart, named) => {
    const o = generate({ 'good.json': record({ ...numpy, name: 'good' }), 'hostile.json': record({ ...numpy, ...bad }) })
    expect(o.sbom.components.map((c) => c.purl)).toEqual([expect.stringMatching(/^pkg:conda\/good@/), expect.stringContaining(purlStart)])
    if (named) expect(o.sbom.leftOut).toEqual([expect.stringMatching(new RegExp(`^hostile\\.json: .*${named}`))])
    else expect(o.sbom.leftOut).toEqual([])
    expect(o.raw.length).toBeLessThan(10_000)
  })

  it('leaves out, naming it, a record that is not one (no name, minified, not JSON)', () => {
    const o = generate({ 'a.json': record(numpy), 'b.json': '{"name":"min","version":"1"}', 'c.json': 'garbage\n' })
    expect(o.sbom.components).toHaveLength(1)
    expect(o.sbom.leftOut).toEqual([expect.stringMatching(/^b\.json: not a conda-meta record/), expect.stringMatching(/^c\.json: not a conda-meta record/)])
  })

  it('an empty prefix gives an empty SBOM and lock', () => {
    const o = generate({})
    expect(o.sbom.components).toEqual([])
    expect(o.explicit).toContain('@EXPLICIT')
  })

  it('encodes every name, version and qualifier as packageurl-js does (property)', () => {
    const text = fc
      .string({ unit: fc.oneof(fc.constantFrom(..."/?#@:+%~!*()' &="), fc.string({ minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 12 })
      .filter((s) => /^[ -~]+$/.test(s) && !/["\\]/.test(s) && s.trim() !== '')
    const qualifier = text.filter((s) => !s.includes('%'))
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ name: text, version: text, build: qualifier, subdir: qualifier }), { minLength: 1, maxLength: 20, selector: (r) => r.name }),
        (recs) => {
          const files = Object.fromEntries(
            recs.map((r, i) => [
              `r${String(i).padStart(3, '0')}.json`,
              record({ ...r, channel: 'https://mirror.example/ch one', url: undefined, md5: undefined, sha256: undefined, license: undefined }),
            ]),
          )
          const o = generate(files)
          expect(o.sbom.components.map((c) => c.purl)).toEqual(
            recs.map((r) =>
              new PackageURL(
                'conda',
                undefined,
                r.name,
                r.version,
                { build: r.build, channel: 'https://mirror.example/ch one', subdir: r.subdir },
                undefined,
              ).toString(),
            ),
          )
        },
      ),
      { numRuns: 15 },
    )
  })

  it('writes the size manifest: the conda records and, under pip, the pip distributions with the bytes their RECORD lists', () => {
    const owned = record({
      ...numpy,
      files: ['lib/python3.12/site-packages/numpy-1.26.4.dist-info/METADATA'],
      paths_data: { paths: [{ _path: 'x', size_in_bytes: 1234 }] },
    })
    const o = generate(
      { 'numpy-1.26.4-py312h_0.json': owned },
      {
        'numpy-1.26.4.dist-info': { metadata: 'Name: numpy\nVersion: 1.26.4\n', record: 'numpy/__init__.py,sha256=x,10\n' },
        'requests-2.32.3.dist-info': {
          metadata: 'Name: requests\nVersion: 2.32.3\n',
          // pip's RECORD: CSV, a quoted path with a comma, RECORD itself and compiled files without a size, CRLF
          record:
            'requests/__init__.py,sha256=abc,100\r\n"requests/a,b.py",sha256=def,20\r\nrequests-2.32.3.dist-info/RECORD,,\r\nrequests/__pycache__/x.pyc,,\r\n',
        },
        'nosizes-1.0.dist-info': { metadata: 'Name: nosizes\nVersion: 1.0\n', record: 'a.py,,\n' },
        'norecord-1.0.dist-info': { metadata: 'Name: norecord\nVersion: 1.0\n' },
      },
    )
    expect(o.sizes?.packages).toEqual([{ name: 'numpy', version: '1.26.4', build: 'py312h_0', size: 1234 }])
    expect(o.sizes?.pip).toEqual([
      { name: 'norecord', version: '1.0' },
      { name: 'nosizes', version: '1.0' },
      { name: 'requests', version: '2.32.3', size: 120 },
    ])
  })

  it.each<[string, { metadata: string; record?: string }, { name: string; version: string; size?: number } | undefined, string | undefined]>([
    ['a METADATA without Version', { metadata: 'Name: noversion\n' }, undefined, 'a pip distribution without a usable Name and Version'],
    ['a METADATA without Name', { metadata: 'Version: 1\n' }, undefined, 'a pip distribution without a usable Name and Version'],
    [
      'a name with / and ? (JSON-escaped in the manifest, purl-encoded in the SBOM)',
      { metadata: 'Name: ev/il?x "q"\nVersion: 1.0\n' },
      { name: 'ev/il?x "q"', version: '1.0' },
      undefined,
    ],
    [
      'a RECORD size no file has (beyond 15 digits): not counted',
      { metadata: 'Name: big\nVersion: 1\n', record: `a,,${'9'.repeat(40)}\nb,,7\n` },
      { name: 'big', version: '1', size: 7 },
      undefined,
    ],
    ['a RECORD that is not CSV', { metadata: 'Name: junk\nVersion: 1\n', record: '\u0000\u0001garbage' }, { name: 'junk', version: '1' }, undefined],
  ])('a hostile pip distribution (%s) never breaks the SBOM or the size manifest', (_what, dist, want, note) => {
    const o = generate({}, { 'good-1.0.dist-info': { metadata: 'Name: good\nVersion: 1.0\n', record: 'g.py,,3\n' }, 'zz.dist-info': dist })
    expect(o.sizes?.pip).toEqual([{ name: 'good', version: '1.0', size: 3 }, ...(want ? [want] : [])])
    expect(o.sbom.components.map((c) => c.name)).toEqual(['good', ...(want ? [want.name] : [])])
    if (note) expect(o.sbom.leftOut).toEqual([expect.stringMatching(new RegExp(`zz\\.dist-info/METADATA: ${note}`))])
    else expect(o.sbom.leftOut).toEqual([])
  })

  it('a dist-info directory whose name does not parse is read by its METADATA (the name and version pip wrote there)', () => {
    const o = generate({}, { 'not a dist name!.dist-info': { metadata: 'Name: real\nVersion: 2.0\n', record: 'r.py,,9\n' } })
    expect(o.sizes?.pip).toEqual([{ name: 'real', version: '2.0', size: 9 }])
    expect(o.sbom.components.map((c) => c.purl)).toEqual(['pkg:pypi/real@2.0'])
  })

  it.each([
    ['a quote and a backslash', 'ev"il\\x'],
    ['a tab', 'ev\til'],
    ['a control character', 'ev\u0001il'],
  ])('a conda-meta file name JSON would need escaped (%s) is left out of the size manifest, which stays readable', (_what, name) => {
    const o = generate({ 'numpy-1.26.4-py312h_0.json': record(numpy), [`${name}-1.0-0.json`]: record({ ...numpy, name, version: '1.0' }) })
    expect(o.sizes?.packages.map((p) => p.name)).toEqual(['numpy'])
  })

  it('an empty prefix gives an empty size manifest that lists no pip distribution', () => {
    expect(generate({}).sizes).toEqual({ packages: [], pip: [] })
  })
})
