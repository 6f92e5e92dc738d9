import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { pack } from 'tar-stream'
import { describe, expect, it } from 'vitest'
import { Labels } from '../src/vocabulary/constants.js'
import type { ProcessPort } from '../src/runner/process.js'
import { MAX_MANIFEST_FILE_BYTES, largestPackages, parseSizeManifest, tarMemberName } from '../src/sizes/manifest.js'
import { readLocalSizeManifest } from '../src/sizes/local.js'
import { readSizeManifest, tarFile, type ManifestPort } from '../src/sizes/read.js'
import { packagesReport } from '../src/sizes/package-sizes.js'

const P = (name: string, version: string, size: number) => ({ name, version, size })

describe('size manifest (pure)', () => {
  it('parses records and drops malformed ones', () => {
    const text = JSON.stringify({
      version: 1,
      packages: [
        P('python', '3.12.7', 100),
        { name: 'x' },
        { name: 'bad\nname', version: '1', size: 1 },
        { name: 'neg', version: '1', size: -1 },
        { ...P('numpy', '2.1', 50), build: 'py312h_0' },
      ],
    })
    expect(parseSizeManifest(text)).toEqual([
      { ...P('python', '3.12.7', 100), build: undefined },
      { ...P('numpy', '2.1', 50), build: 'py312h_0' },
    ])
  })

  it.each([['not json'], ['{}'], ['{"version":2,"packages":[]}'], ['{"version":1,"packages":{}}'], ['null']])('%s is not a size manifest', (t) => {
    expect(parseSizeManifest(t)).toBeUndefined()
  })

  it('largest packages: by size, ties by name, at most n', () => {
    const pkgs = [P('b', '1', 5), P('a', '1', 5), P('c', '1', 9), P('d', '1', 1)]
    expect(largestPackages(pkgs, 3).map((p) => p.name)).toEqual(['c', 'a', 'b'])
  })

  it.each([
    ['/opt/conda/etc/x/sizes.json', 'opt/conda/etc/x/sizes.json'],
    ['//opt/./conda/sizes.json', 'opt/conda/sizes.json'],
    ['relative/sizes.json', undefined],
    ['/opt/../etc/passwd', undefined],
    ['/', undefined],
  ])('tar member of %s', (p, want) => expect(tarMemberName(p)).toBe(want))
})

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const p = pack()
  for (const [name, content] of Object.entries(files)) p.entry({ name }, content)
  p.finalize()
  const chunks: Buffer[] = []
  for await (const c of p) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

const digest = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`
const MANIFEST_PATH = '/opt/conda/etc/conda-image-action/sizes.json'
const SIZES = JSON.stringify({ version: 1, packages: [P('python', '3.12', 3000), P('numpy', '2.1', 2000), P('openssl', '3.3', 1000)] })

/** An in-memory registry of one repository: blobs and manifests by digest, tags. */
class FakeRepo implements ManifestPort {
  readonly blobs = new Map<string, Buffer>()
  readonly manifests = new Map<string, unknown>()
  readonly reads: string[] = []
  add(b: Buffer): { digest: string; size: number } {
    const d = digest(b)
    this.blobs.set(d, b)
    return { digest: d, size: b.length }
  }
  manifest(ref: string) {
    const m = this.manifests.get(ref)
    return Promise.resolve(m === undefined ? undefined : { digest: ref, manifest: m })
  }
  blob(d: string, max: number) {
    this.reads.push(d)
    const b = this.blobs.get(d)
    if (!b) return Promise.reject(new Error(`no blob ${d}`))
    if (b.length > max) return Promise.reject(new Error('too big'))
    return Promise.resolve(b)
  }
  async image(ref: string, opts: { label?: string; last?: Buffer; lastType?: string; big?: boolean } = {}) {
    const config = this.add(Buffer.from(JSON.stringify({ config: { Labels: opts.label ? { [Labels.SizeManifest]: opts.label } : {} } })))
    const big = this.add(Buffer.alloc(4096, 1))
    const lastBlob = opts.last ?? gzipSync(await tarOf({ 'opt/conda/etc/conda-image-action/sizes.json': SIZES }))
    const last = this.add(lastBlob)
    const layers = [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...big },
      { mediaType: opts.lastType ?? 'application/vnd.oci.image.layer.v1.tar+gzip', ...last, size: opts.big ? 2 << 20 : last.size },
    ]
    this.manifests.set(ref, { config, layers })
    return { bigLayer: big.digest }
  }
}

describe('readSizeManifest', () => {
  it('reads the manifest from the last layer only, never the big layers', async () => {
    const repo = new FakeRepo()
    const { bigLayer } = await repo.image('base-1', { label: MANIFEST_PATH })
    const r = await readSizeManifest(repo, 'base-1')
    expect(r).toEqual({ packages: parseSizeManifest(SIZES) })
    expect(repo.reads).not.toContain(bigLayer)
  })

  it('picks the platform of an index and skips attestation manifests', async () => {
    const repo = new FakeRepo()
    await repo.image('sha256:arm', { label: MANIFEST_PATH })
    repo.manifests.set('idx', {
      manifests: [
        {
          digest: 'sha256:att',
          size: 1,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
        },
        { digest: 'sha256:arm', size: 1, platform: { os: 'linux', architecture: 'arm64' } },
      ],
    })
    expect('packages' in (await readSizeManifest(repo, 'idx', 'linux/arm64'))).toBe(true)
    expect(await readSizeManifest(repo, 'idx', 'linux/amd64')).toEqual({ missing: 'no image manifest for the platform' })
  })

  it.each([
    ['no label (a custom base without the contract)', {}, /no io\.github\.conda-image-action\.size-manifest label/],
    ['a last layer over 1 MiB', { label: MANIFEST_PATH, big: true }, /more than the 1048576/],
    ['a zstd last layer', { label: MANIFEST_PATH, lastType: 'application/vnd.oci.image.layer.v1.tar+zstd' }, /tar\+zstd/],
    ['a label naming another file', { label: '/opt/other.json' }, /does not hold \/opt\/other\.json/],
    ['a relative label path', { label: 'opt/conda/sizes.json' }, /no io\.github/],
  ])('%s: missing, with the reason', async (_n, opts, reason) => {
    const repo = new FakeRepo()
    await repo.image('b', opts)
    const r = await readSizeManifest(repo, 'b')
    expect('missing' in r && r.missing).toMatch(reason)
  })

  it('reads an uncompressed tar layer, and tells a corrupt gzip layer', async () => {
    const repo = new FakeRepo()
    await repo.image('plain', {
      label: MANIFEST_PATH,
      last: await tarOf({ './opt/conda/etc/conda-image-action/sizes.json': SIZES }),
      lastType: 'application/vnd.docker.image.rootfs.diff.tar',
    })
    expect('packages' in (await readSizeManifest(repo, 'plain'))).toBe(true)
    await repo.image('corrupt', { label: MANIFEST_PATH, last: Buffer.from('not gzip') })
    const r = await readSizeManifest(repo, 'corrupt')
    expect('missing' in r && r.missing).toMatch(/cannot be decompressed/)
  })

  it('tarFile returns undefined for an absent member and respects the bound', async () => {
    const tar = await tarOf({ 'a.json': '12345' })
    expect(await tarFile(tar, 'b.json', 100)).toBeUndefined()
    expect(await tarFile(tar, 'a.json', 4)).toBeUndefined()
    expect((await tarFile(tar, 'a.json', 5))?.toString()).toBe('12345')
  })
})

describe('packagesReport', () => {
  it('largest 10 and the changes against the previous base; undefined without a manifest', async () => {
    const repo = new FakeRepo()
    await repo.image('new', { label: MANIFEST_PATH })
    const prevSizes = JSON.stringify({ version: 1, packages: [P('python', '3.12', 3000), P('numpy', '1.26', 1000), P('pandas', '2.2', 500)] })
    await repo.image('old', { label: MANIFEST_PATH, last: gzipSync(await tarOf({ 'opt/conda/etc/conda-image-action/sizes.json': prevSizes })) })
    await repo.image('custom', {})
    const debug: string[] = []
    const r = await packagesReport({ read: (ref) => readSizeManifest(repo, ref), ref: 'new', previousTag: 'old', log: { debug: (m) => debug.push(m) } })
    expect(r?.count).toBe(3)
    expect(r?.total).toBe(6000)
    expect(r?.largest.map((p) => p.name)).toEqual(['python', 'numpy', 'openssl'])
    // every change, the largest installed-size change first
    expect(r?.changes?.list.map((c) => [c.name, c.kind, c.delta])).toEqual([
      ['numpy', 'updated', 1000],
      ['openssl', 'added', 1000],
      ['pandas', 'removed', -500],
    ])
    expect(await packagesReport({ read: (ref) => readSizeManifest(repo, ref), ref: 'custom', log: { debug: (m) => debug.push(m) } })).toBeUndefined()
    expect(debug.join('\n')).toMatch(/No size manifest in the base/)
  })
})

describe('readLocalSizeManifest (docker create + docker cp, through a scripted process port)', () => {
  const ok = (stdout = '') => ({ code: 0, stdout, stderr: '' })
  /** `cpFile`: what `docker cp` writes into the destination directory (undefined: the image lacks it). */
  const script = async (cpFile: string | undefined, labels: unknown = { [Labels.SizeManifest]: MANIFEST_PATH }) => {
    const calls: string[][] = []
    const proc: ProcessPort = {
      run: (program, args) => {
        expect(program).toBe('docker')
        calls.push([...args])
        if (args[0] === 'image') return Promise.resolve(ok(JSON.stringify(labels)))
        if (args[0] === 'create') return Promise.resolve(ok('0123456789abcdef\n'))
        if (args[0] === 'cp') {
          if (cpFile === undefined) return Promise.resolve({ code: 1, stdout: '', stderr: 'Could not find the file' })
          writeFileSync(path.join(args[2]!, path.posix.basename(MANIFEST_PATH)), cpFile)
        }
        return Promise.resolve(ok())
      },
    }
    return { calls, read: await readLocalSizeManifest('repo:base-1', proc) }
  }

  it('reads the one file and removes the container it created', async () => {
    const { calls, read } = await script(SIZES)
    expect(read).toEqual({ packages: parseSizeManifest(SIZES) })
    expect(calls.map((c) => c.slice(0, 2))).toEqual([
      ['image', 'inspect'],
      ['create', '--pull'],
      ['cp', `0123456789abcdef:${MANIFEST_PATH}`],
      ['rm', '-f'],
    ])
    expect(calls[3]).toEqual(['rm', '-f', '0123456789abcdef'])
  })

  it('without the label it creates no container; a missing file still removes it', async () => {
    const none = await script('', null)
    expect(none.read).toEqual({ missing: `no ${Labels.SizeManifest} label` })
    expect(none.calls.map((c) => c[0])).toEqual(['image'])
    const gone = await script(undefined)
    expect(gone.read).toEqual({ missing: `the image does not hold ${MANIFEST_PATH}` })
    expect(gone.calls.at(-1)).toEqual(['rm', '-f', '0123456789abcdef'])
  })

  it('a copied file larger than the manifest bound is not read', async () => {
    const big = await script('x'.repeat(MAX_MANIFEST_FILE_BYTES + 1))
    expect(big.read).toEqual({ missing: `${MANIFEST_PATH} is not a size manifest` })
  })
})
