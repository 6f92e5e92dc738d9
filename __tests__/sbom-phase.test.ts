// The SBOM of a pushed base: read per platform out of its last layer (src/sbom/image-sbom.ts,
// real gzip tar layers served by a content-addressed port), and the phase that attaches it
// or finds it (src/phases/sbom.ts) with recording stores: which platform the outputs name,
// one warning for left-out records, nothing and no warning without an SBOM.

import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { sbomPhase } from '../src/phases/sbom.js'
import { parseImageName } from '../src/image/reference.js'
import { sha256Digest } from '../src/registry/index.js'
import type { RunState } from '../src/run/state.js'
import { readImageSboms, type PlatformSbom } from '../src/sbom/image-sbom.js'
import type { ManifestPort } from '../src/sizes/read.js'
import { Labels } from '../src/vocabulary/constants.js'

const DIR = 'opt/conda/etc/conda-image-action'
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'

function sbomDoc(purls: string[], leftOut: string[] = []): string {
  const components = purls.map((p) => {
    const [, name, version] = /^pkg:conda\/([^@]+)@([^?]+)/.exec(p)!
    return { type: 'library', 'bom-ref': p, name, version, purl: p }
  })
  const properties = leftOut.map((value) => ({ name: 'conda-image-action:left-out', value }))
  return JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, metadata: properties.length ? { properties } : {}, components })
}

/** A ustar archive of regular files (what a layer holds). */
function tar(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = []
  for (const [name, text] of Object.entries(files)) {
    const body = Buffer.from(text)
    const h = Buffer.alloc(512)
    h.write(name, 0)
    h.write('0000644\0', 100)
    h.write('0000000\0', 108)
    h.write('0000000\0', 116)
    h.write(body.length.toString(8).padStart(11, '0') + '\0', 124)
    h.write('00000000000\0', 136)
    h.write('        ', 148)
    h.write('0', 156)
    h.write('ustar\0', 257)
    h.write('00', 263)
    let sum = 0
    for (const b of h) sum += b
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148)
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}

/** A content-addressed store of blobs and manifests behind a ManifestPort. */
function store() {
  const blobs = new Map<string, Buffer>()
  const manifests = new Map<string, unknown>()
  const put = (b: Buffer) => {
    const digest = sha256Digest(b)
    blobs.set(digest, b)
    return { digest, size: b.length }
  }
  const image = (platform: string, layerFiles: Record<string, string> | undefined, label = `/${DIR}/sizes.json`) => {
    const [os, architecture] = platform.split('/')
    const config = put(Buffer.from(JSON.stringify({ os, architecture, config: { Labels: label ? { [Labels.SizeManifest]: label } : {} } })))
    const layers = [put(gzipSync(tar({ 'bin/sh': 'x' })))]
    if (layerFiles) layers.push(put(gzipSync(tar(layerFiles))))
    const m = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config,
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
    }
    const body = Buffer.from(JSON.stringify(m))
    manifests.set(sha256Digest(body), m)
    return { mediaType: OCI_MANIFEST, digest: sha256Digest(body), size: body.length, platform: { os, architecture } }
  }
  const index = (descs: object[]) => {
    const m = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: descs }
    const d = sha256Digest(Buffer.from(JSON.stringify(m)))
    manifests.set(d, m)
    return d
  }
  const port: ManifestPort = {
    manifest: (ref) => {
      const m = manifests.get(ref)
      return Promise.resolve(m === undefined ? undefined : { digest: ref, manifest: m, mediaType: OCI_MANIFEST, size: JSON.stringify(m).length })
    },
    blob: (digest) => Promise.resolve(blobs.get(digest)!),
  }
  return { image, index, port }
}

describe('readImageSboms', () => {
  it('reads each platform’s SBOM and lock next to the size manifest; attestations and SBOM-less images give none', async () => {
    const s = store()
    const amd = s.image('linux/amd64', {
      [`${DIR}/sizes.json`]: '{}',
      [`${DIR}/sbom.cdx.json`]: sbomDoc(['pkg:conda/a@1']),
      [`${DIR}/explicit.txt`]: '@EXPLICIT\n',
    })
    const arm = s.image('linux/arm64', { [`${DIR}/sizes.json`]: '{}', [`${DIR}/sbom.cdx.json`]: sbomDoc(['pkg:conda/a@1', 'pkg:conda/b@2']) })
    const att = { mediaType: OCI_MANIFEST, digest: amd.digest, size: amd.size, platform: { os: 'unknown', architecture: 'unknown' } }
    const got = await readImageSboms(s.port, s.index([amd, arm, att]))
    expect(got.map((p) => [p.platform, p.subject.digest, p.lock])).toEqual([
      ['linux/amd64', amd.digest, `/${DIR}/explicit.txt`],
      ['linux/arm64', arm.digest, undefined],
    ])
    expect(got.map((p) => ('parsed' in p.sbom ? p.sbom.parsed.components.length : p.sbom.invalid))).toEqual([1, 2])
  })

  it('an image without the label, without an SBOM in its last layer, or with it in an earlier layer has none', async () => {
    const s = store()
    const noLabel = s.image('linux/amd64', { [`${DIR}/sbom.cdx.json`]: sbomDoc([]) }, '')
    const noFile = s.image('linux/amd64', { [`${DIR}/sizes.json`]: '{}' })
    const elsewhere = s.image('linux/amd64', { [`${DIR}/sbom.cdx.json`]: sbomDoc([]) }, '/other/sizes.json')
    for (const d of [noLabel, noFile, elsewhere]) expect(await readImageSboms(s.port, d.digest)).toEqual([])
  })

  it('a file that is not an SBOM of the template is read as invalid, with why', async () => {
    const s = store()
    const img = s.image('linux/amd64', { [`${DIR}/sizes.json`]: '{}', [`${DIR}/sbom.cdx.json`]: '{"bomFormat":"SPDX"}' })
    const [p] = await readImageSboms(s.port, img.digest)
    expect(p!.subject).toEqual({ mediaType: OCI_MANIFEST, digest: img.digest, size: img.size })
    expect(p!.sbom).toMatchObject({ invalid: 'it is not a CycloneDX 1.6 document' })
  })
})

function platformSbom(platform: string, leftOut: string[] = [], invalid?: string): PlatformSbom {
  const bytes = Buffer.from(`sbom of ${platform}`)
  const digest = `sha256:${platform === 'linux/amd64' ? 'a'.repeat(64) : 'b'.repeat(64)}`
  return {
    platform,
    subject: { mediaType: OCI_MANIFEST, digest, size: 100 },
    sbom: invalid
      ? { bytes, invalid }
      : {
          bytes,
          parsed: {
            components: [
              { kind: 'conda', name: 'numpy', version: '1', purl: 'pkg:conda/numpy@1', qualifiers: {}, hashes: {} },
              { kind: 'conda', name: 'python', version: '3', purl: 'pkg:conda/python@3', qualifiers: {}, hashes: {} },
              { kind: 'pypi', name: 'requests', version: '2', purl: 'pkg:pypi/requests@2', qualifiers: {}, hashes: {} },
            ],
            leftOut,
          },
        },
    lock: `/${DIR}/explicit.txt`,
  }
}

function run(sboms: PlatformSbom[] | undefined, o: { push?: boolean; platforms?: string[]; existing?: Record<string, string> } = {}) {
  const attached: string[] = []
  const outputs: Record<string, string> = {}
  const warnings: string[] = []
  const name = parseImageName('registry.example.com/acme/model')
  const s = {
    opts: { baseRepository: name },
    plan: {
      push: { enabled: o.push ?? true },
      job: { platforms: o.platforms ?? ['linux/amd64', 'linux/arm64'] },
      base: { tagRef: 'registry.example.com/acme/model:base-x' },
    },
    stores: {
      sboms: () => (sboms ? Promise.resolve(sboms) : Promise.reject(new Error('HTTP 500'))),
      referrers: {
        attach: (_n: unknown, subject: { digest: string }) => {
          attached.push(subject.digest)
          return Promise.resolve({ digest: `sha256:${subject.digest.slice(7, 8).repeat(63)}f`, via: 'tag' as const })
        },
        list: (_n: unknown, subject: string) => {
          const d = o.existing?.[subject]
          return Promise.resolve({
            via: 'tag' as const,
            referrers: d ? [{ mediaType: OCI_MANIFEST, digest: d, size: 1, artifactType: 'application/vnd.cyclonedx+json' }] : [],
          })
        },
      },
    },
  } as unknown as RunState
  const ports = {
    log: { info: () => undefined, debug: () => undefined, warning: (m: string) => warnings.push(m) },
    results: { setOutput: (k: string, v: string) => (outputs[k] = v), writeSummary: () => Promise.resolve(true) },
  } as unknown as Parameters<typeof sbomPhase>[2]
  return { s, ports, attached, outputs, warnings }
}

describe('sbomPhase', () => {
  it('attaches each platform’s SBOM; the outputs name the first platform of `platforms`; the report gets what was attached', async () => {
    const r = run([platformSbom('linux/arm64'), platformSbom('linux/amd64')])
    const result = await sbomPhase(r.s, { digest: 'sha256:' + 'c'.repeat(64), built: true }, r.ports)
    expect(result.attached).toEqual({
      ref: `registry.example.com/acme/model@sha256:${'a'.repeat(63)}f`,
      platforms: 2,
      conda: 2,
      pip: 1,
      lock: `/${DIR}/explicit.txt`,
    })
    expect(r.attached).toEqual([`sha256:${'a'.repeat(64)}`, `sha256:${'b'.repeat(64)}`])
    expect(r.outputs).toEqual({ sbom: `registry.example.com/acme/model@sha256:${'a'.repeat(63)}f`, lock: `/${DIR}/explicit.txt` })
    expect(r.warnings).toEqual([])
  })

  it('records left out are named in one warning, once each over the platforms', async () => {
    const r = run([platformSbom('linux/amd64', ['x.json: why']), platformSbom('linux/arm64', ['x.json: why', 'y.json: other'])])
    await sbomPhase(r.s, { digest: 'sha256:' + 'c'.repeat(64), built: true }, r.ports)
    expect(r.warnings).toEqual([expect.stringMatching(/leave out 2 conda-meta record\(s\).*: x\.json: why; y\.json: other$/)])
  })

  it('without an SBOM (a custom base without the contract): nothing attached, no outputs, no warning', async () => {
    const r = run([])
    await sbomPhase(r.s, { digest: 'sha256:' + 'c'.repeat(64), built: true }, r.ports)
    expect([r.attached, r.outputs, r.warnings]).toEqual([[], {}, []])
  })

  it('an SBOM the check refuses is not attached, with one warning; a read that fails is a warning, not a failure', async () => {
    const r = run([platformSbom('linux/amd64', [], 'it is not JSON')], { platforms: ['linux/amd64'] })
    await sbomPhase(r.s, { digest: 'sha256:' + 'c'.repeat(64), built: true }, r.ports)
    expect(r.attached).toEqual([])
    expect(r.warnings).toEqual([expect.stringContaining('linux/amd64: it is not JSON')])
    expect(r.outputs.sbom).toBeUndefined()
    const failed = run(undefined)
    await sbomPhase(failed.s, { digest: 'sha256:' + 'c'.repeat(64), built: true }, failed.ports)
    expect(failed.warnings).toEqual(['Could not read the SBOM of the base: HTTP 500'])
  })

  it('a loaded base (no push) gets nothing; a reused one names the SBOM already attached, pushing nothing', async () => {
    const loaded = run([platformSbom('linux/amd64')], { push: false })
    expect((await sbomPhase(loaded.s, { digest: 'sha256:' + 'c'.repeat(64), built: true }, loaded.ports)).attached).toBeUndefined()
    expect([loaded.attached, loaded.outputs]).toEqual([[], {}])
    const existing = `sha256:${'e'.repeat(64)}`
    const reused = run([platformSbom('linux/amd64', ['x.json: why'])], { existing: { [`sha256:${'a'.repeat(64)}`]: existing } })
    // a reuse names the SBOM in the outputs, but the report says nothing was attached: nothing was
    expect((await sbomPhase(reused.s, { digest: 'sha256:' + 'c'.repeat(64), built: false }, reused.ports)).attached).toBeUndefined()
    expect(reused.attached).toEqual([])
    expect(reused.outputs.sbom).toBe(`registry.example.com/acme/model@${existing}`)
    expect(reused.warnings).toEqual([])
    const none = run([platformSbom('linux/amd64')])
    await sbomPhase(none.s, { digest: 'sha256:' + 'c'.repeat(64), built: false }, none.ports)
    expect(none.outputs).toEqual({ lock: `/${DIR}/explicit.txt` })
  })
})
