// A hostile registry cannot crash or fool the size measurement and the pins: a loopback
// registry that serves content-addressed manifests of its own making — indexes nested
// without end, wide, or with more entries than are read; sizes of 10 TB, 1e308, -1, 1.5; media types
// that lie; digests of another algorithm. Every walk stops at its bound with a registry fault
// (a RegistryError: the caller warns and reports the size unknown), never a recursion.

import { fc, test as fcTest } from '@fast-check/vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { serveContent, type ContentRegistry } from '../__fixtures__/content-registry.js'
import { startFaultServer, type FaultServer } from '../__fixtures__/fault-server.js'
import { datedTags, splitFutureTags } from '../src/image/dated-tags.js'
import { parseImageName } from '../src/image/reference.js'
import { RegistryClient, RegistryError, sha256Digest } from '../src/registry/index.js'
import { platformString } from '../src/registry/client.js'
import { MAX_BLOB_BYTES, MAX_INDEX_ENTRIES, manifestBytes, plausibleSize, shapeFault } from '../src/registry/plausible.js'
import { parseSizeManifest } from '../src/sizes/manifest.js'

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const OCI_IMAGE = 'application/vnd.oci.image.manifest.v1+json'
const CONFIG = JSON.stringify({ os: 'linux', architecture: 'amd64' })
const CONFIG_DIGEST = sha256Digest(Buffer.from(CONFIG))

let tmp: string
let srv: FaultServer
let registry: ContentRegistry
const put = (doc: unknown) => registry.put(doc)

function image(layerSizes: unknown[], mediaType: string = OCI_IMAGE): { digest: string; size: number } {
  return put({
    schemaVersion: 2,
    mediaType,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: CONFIG_DIGEST, size: Buffer.byteLength(CONFIG) },
    layers: layerSizes.map((size, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${String(i).padStart(64, '0')}`, size })),
  })
}

function index(children: { digest: string; size: number }[], mediaType: string = OCI_INDEX): { digest: string; size: number } {
  return put({
    schemaVersion: 2,
    mediaType,
    manifests: children.map((c) => ({ mediaType: OCI_IMAGE, ...c, platform: { os: 'linux', architecture: 'amd64' } })),
  })
}

const client = () =>
  new RegistryClient({
    dockerConfigDir: path.join(tmp, 'none'),
    timeoutMs: 5000,
    retries: 0,
    log: { debug: () => undefined, warning: () => undefined, setSecret: () => undefined },
  })
const NAME = () => parseImageName(`${srv.addr}/acme/base`)

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'registry-hostile-'))
  srv = await startFaultServer()
})
afterAll(async () => {
  await srv.close()
  rmSync(tmp, { recursive: true, force: true })
})
beforeEach(() => {
  registry = serveContent(srv)
  registry.put(CONFIG)
})

/** Requests the last sizeOf made. */
let requests = 0

async function sizeOf(top: { digest: string }): Promise<unknown> {
  registry.tags.set('latest', top.digest)
  const before = srv.requests.length
  const done = () => (requests = srv.requests.length - before)
  return client()
    .imageSize(NAME(), 'latest')
    .then((s) => s?.total)
    .catch((e: unknown) => (e instanceof RegistryError ? `fault: ${e.message}` : `crash: ${String(e)}`))
    .finally(done)
}

describe('the size walk over a hostile registry', () => {
  test('an index of an image of one platform: its size', async () => {
    expect(await sizeOf(index([image([100, 200])]))).toBe(100 + 200 + Buffer.byteLength(CONFIG))
  })

  test('indexes nested 1,000 deep: a fault at the third level, a few requests', async () => {
    let top = image([1])
    for (let i = 0; i < 1000; i++) top = index([top])
    expect(await sizeOf(top)).toMatch(/^fault: .*nests image indexes more than 2 deep/)
    expect(requests).toBeLessThan(10)
  })

  test(`an index of ${MAX_INDEX_ENTRIES + 1} manifests: a fault before any of them is read`, async () => {
    const one = image([1])
    const wide = put({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: Array.from({ length: MAX_INDEX_ENTRIES + 1 }, (_, i) => ({ ...one, digest: `sha256:${i.toString(16).padStart(64, '0')}` })),
    })
    expect(await sizeOf(wide)).toMatch(/^fault: .*lists 1025 manifests/)
    expect(requests).toBe(1)
  })

  test('an index of 200 indexes of 2 images each: a fault past 256 manifests read', async () => {
    const parts = Array.from({ length: 200 }, (_, i) => index([image([i, 1]), image([i, 2])]))
    expect(await sizeOf(index(parts))).toMatch(/^fault: .*more than the 256 manifests read/)
    expect(requests).toBeLessThan(300)
  })

  test.each([[10e12], [1e308], [-1], [1.5], ['12'], [2 ** 53], [null]])('a layer of size %j: a fault, not a size', async (size) => {
    expect(await sizeOf(image([100, size]))).toMatch(/^fault: .*implausible size/)
  })

  test('plausible layers that add up to more than an image can be: a fault', async () => {
    expect(await sizeOf(image(Array.from({ length: 12 }, () => MAX_BLOB_BYTES)))).toMatch(/^fault: .*implausible size/)
  })

  test.each([
    ['an index type that lists no manifests', () => put({ schemaVersion: 2, mediaType: OCI_INDEX, layers: [{ size: 1 }], config: {} })],
    ['an image type that lists manifests', () => put({ schemaVersion: 2, mediaType: OCI_IMAGE, manifests: [image([1])] })],
  ])('a mediaType that lies (%s): a fault, not a size of 0', async (_, make) => {
    expect(await sizeOf(make())).toMatch(/^fault: .*the manifest (says|is both)/)
  })

  test('a descriptor with a digest of another algorithm: a fault (nothing it names can be checked)', async () => {
    const top = put({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_IMAGE, digest: `md5:${'a'.repeat(32)}`, size: 1 }] })
    expect(await sizeOf(top)).toMatch(/^fault: .*invalid digest/)
  })
})

describe('plausible sizes', () => {
  fcTest.prop([fc.oneof(fc.double(), fc.integer(), fc.bigInt().map(Number), fc.constantFrom(Infinity, -0, 2 ** 53, MAX_BLOB_BYTES + 1))])(
    'a size is a whole number from 0 to the cap',
    (v) => {
      expect(plausibleSize(v)).toBe(Number.isSafeInteger(v) && v >= 0 && v <= MAX_BLOB_BYTES)
    },
  )
  test('manifestBytes: undefined when any size is implausible', () => {
    expect(manifestBytes({ config: { size: 1 }, layers: [{ size: 2 }] })).toBe(3)
    expect(manifestBytes({ layers: [{ size: 2 }] })).toBe(2)
    expect(manifestBytes({ config: { size: 1 }, layers: [{ size: 1e308 }] })).toBeUndefined()
    expect(manifestBytes({ config: {}, layers: [] })).toBeUndefined()
  })
  test('shapeFault: the content agrees with the media type', () => {
    expect(shapeFault({ mediaType: OCI_IMAGE, config: {}, layers: [] })).toBeUndefined()
    expect(shapeFault({ manifests: [] })).toBeUndefined()
    expect(shapeFault({ layers: [], config: {} }, OCI_INDEX)).toMatch(/says it is an index/)
    expect(shapeFault([])).toMatch(/not a JSON object/)
    expect(shapeFault({ manifests: {} })).toMatch(/not a list/)
  })
  test('a size manifest with implausible package sizes keeps none of them', () => {
    const doc = (size: unknown) =>
      JSON.stringify({
        version: 1,
        packages: [
          { name: 'a', version: '1', size },
          { name: 'b', version: '1', size: 5 },
        ],
      })
    for (const bad of [1e308, 1.5, -1, 2 ** 53, MAX_BLOB_BYTES + 1]) expect(parseSizeManifest(doc(bad))?.map((p) => p.name)).toEqual(['b'])
  })
})

test.each([
  [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'linux/arm64/v8'],
  [{ os: 'linux', architecture: 'amd64' }, 'linux/amd64'],
  [{ os: 'linux', architecture: 'x'.repeat(4 << 20) }, 'unknown'],
  [{ os: 'linux', architecture: 'amd64', variant: 'v8\r::warning::x' }, 'unknown'],
  [{ os: 7, architecture: 'amd64' }, 'unknown'],
])('a platform a registry names is short words or unknown (%#)', (p, want) => expect(platformString(p)).toBe(want))

describe('dated tags from the future', () => {
  const now = new Date('2026-12-06T05:00:00Z')
  const hash = 'abcdef012345'
  test.each([
    ['20261206', true],
    ['20261207', true],
    ['20261208', false],
    ['99991231', false],
  ])('base-%s is kept: %s', (date, kept) => {
    const { dated, future } = splitFutureTags(datedTags([`base-${hash}-${date}`], 'base-'), now)
    expect(dated.length === 1).toBe(kept)
    expect(future.length === 1).toBe(!kept)
  })
})
