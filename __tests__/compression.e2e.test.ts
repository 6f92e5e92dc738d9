// Real BuildKit (docker driver, containerd image store) and the local registry: a base-like
// image pushed with each compression has layers of that media type (eStargz: gzip with its TOC
// digest annotation), its size manifest is read back, and what a node pulls against the gzip
// image is measured by digest.

import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { runPushBuild } from '../__fixtures__/push-build.js'
import { pushIsolatedRoot, removeRoot } from '../__fixtures__/stack.js'
import type { BuildSpec } from '../src/buildx/index.js'
import type { Compression } from '../src/compression/index.js'
import { Labels } from '../src/vocabulary/constants.js'
import { parseImageName } from '../src/image/reference.js'
import { RegistryClient } from '../src/registry/index.js'
import { changedBytes } from '../src/sizes/changed-layers.js'
import { nodeZstd } from '../src/sizes/layer-tar.js'
import { readPlatformLayers } from '../src/sizes/platform-layers.js'
import { registryReader } from '../src/sizes/package-sizes.js'

const REGISTRY = '127.0.0.1:5000'
const ROOT_REPO = `test-compression-${randomBytes(4).toString('hex')}`
const REPO = `${REGISTRY}/${ROOT_REPO}/base`
const name = parseImageName(REPO)
let work: string
let client: RegistryClient
const digests: string[] = []

beforeAll(() => {
  // zstd and eStargz recompress the FROM layer too: a root of its own, so no other test's
  // export can reuse those blobs in place of the shared busybox layer.
  const root = pushIsolatedRoot(ROOT_REPO)
  work = mkdtempSync(path.join(tmpdir(), 'compression-e2e-'))
  writeFileSync(path.join(work, 'payload.bin'), randomBytes(256 * 1024))
  writeFileSync(path.join(work, 'sizes.json'), JSON.stringify({ version: 1, packages: [{ name: 'python', version: '3.12', size: 1234 }] }))
  writeFileSync(
    path.join(work, 'Dockerfile'),
    `FROM ${root}\nCOPY payload.bin /opt/conda/payload.bin\nCOPY sizes.json /opt/conda/sizes.json\nLABEL ${Labels.SizeManifest}=/opt/conda/sizes.json\n`,
  )
  client = new RegistryClient({ dockerConfigDir: path.join(work, 'no-docker-config'), timeoutMs: 15_000, insecureRegistries: [REGISTRY] })
})

afterAll(async () => {
  for (const d of digests) await client.deleteManifest(name, d).catch(() => undefined)
  client.close()
  await removeRoot(ROOT_REPO)
  rmSync(work, { recursive: true, force: true })
})

async function push(tag: string, compression: Compression): Promise<void> {
  const spec: BuildSpec = {
    context: work,
    dockerfile: path.join(work, 'Dockerfile'),
    tags: [`${REPO}:${tag}`],
    buildArgs: [],
    labels: [],
    platforms: [],
    cacheFrom: [],
    output: 'push',
    sourceDateEpoch: 1_700_000_000,
    metadataFile: path.join(work, `${tag}.json`),
    compression,
  }
  const r = await runPushBuild(spec, { log: () => undefined })
  const m = await client.getManifest(name, tag)
  if (m) digests.push(m.digest)
  expect(r.digest).toMatch(/^sha256:/)
}

describe.sequential('compression with the real stack', () => {
  test.each<[string, Compression, RegExp]>([
    ['gzip', { kind: 'gzip' }, /tar\.gzip$|tar\+gzip$/],
    ['zstd', { kind: 'zstd', level: 3 }, /tar\+zstd$/],
    ['estargz', { kind: 'estargz' }, /tar\+gzip$/],
  ])(
    '%s: media types, size manifest, what a node pulls',
    async (tag, compression, mediaType) => {
      await push(tag, compression)
      const m = (await client.getManifest(name, tag))!.manifest as { layers: { mediaType: string; annotations?: Record<string, string> }[] }
      for (const l of m.layers) expect(l.mediaType).toMatch(mediaType)
      if (tag === 'estargz') for (const l of m.layers) expect(l.annotations?.['containerd.io/snapshot/stargz/toc.digest']).toMatch(/^sha256:/)
      const read = await registryReader(client, name)(tag)
      if (tag === 'zstd' && !nodeZstd()) expect(read).toMatchObject({ missing: expect.stringMatching(/zstd/) as unknown, unreadable: true })
      else expect(read).toEqual({ packages: [{ name: 'python', version: '3.12', size: 1234, build: undefined }] })
      const now = (await readPlatformLayers(client, name, tag))!
      const gz = (await readPlatformLayers(client, name, 'gzip'))!
      const c = changedBytes(now, gz, 'gzip')
      expect(c.total).toBe(now[0]!.layers.reduce((n, l) => n + l.size, 0))
      // Against itself nothing is pulled; another compression is other blobs: all of it.
      expect(c.changed).toBe(tag === 'gzip' ? 0 : c.total)
    },
    180_000,
  )
})
