// Assembling a multi-platform index from per-platform parts (RegistryClient.putIndex) on the
// real Distribution registry: plain manifests and BuildKit-style indexes with attestations
// as parts, sizes per platform read back, and parts that are missing or of the wrong platform.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OCI_INDEX, Seeder } from '../__fixtures__/registry-procs.js'
import { REGISTRY, getManifest, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'
import { parseImageName } from '../src/image/reference.js'
import { RegistryClient, RegistryError } from '../src/registry/index.js'

const repo = uniqueRepo('index')
const name = parseImageName(`${REGISTRY}/${repo}`)
const client = new RegistryClient({ retries: 1, log: { debug: () => undefined, warning: () => undefined, setSecret: () => undefined } })
const seeder = new Seeder(REGISTRY)
let amd: { digest: string; body: string; bytes: number }
let arm: { digest: string; body: string; bytes: number }

beforeAll(async () => {
  await requireStack()
  amd = await seeder.image(repo, 'part_linux_amd64', { architecture: 'amd64', layers: 2, layerSize: 300 })
  // The arm64 part as BuildKit pushes one: an index of the image and its attestation manifest.
  arm = await seeder.image(repo, 'arm-image', { architecture: 'arm64', layers: 1, layerSize: 500 })
  const att = await seeder.image(repo, 'arm-att', { architecture: 'unknown', os: 'unknown', layers: 1, layerSize: 50 })
  const size = (b: string): number => Buffer.byteLength(b)
  await seeder.manifest(
    repo,
    'part_linux_arm64',
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: arm.digest, size: size(arm.body), platform: { os: 'linux', architecture: 'arm64' } },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: att.digest,
          size: size(att.body),
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': arm.digest },
        },
      ],
    }),
    OCI_INDEX,
  )
})
afterAll(async () => {
  await removeRepo(repo)
})

describe('putIndex', () => {
  it('puts one index of exactly the parts’ platforms (attestations kept) under every tag', async () => {
    const parts = [
      { ref: 'part_linux_amd64', platform: 'linux/amd64' },
      { ref: 'part_linux_arm64', platform: 'linux/arm64' },
    ]
    const r = await client.putIndex(name, parts, ['merged', 'merged-too'])
    for (const tag of ['merged', 'merged-too']) {
      const m = await getManifest(repo, tag)
      expect(m!.digest).toBe(r.digest)
      expect(m!.mediaType).toBe(OCI_INDEX)
      expect(m!.body.manifests!.map((d) => [d.digest, `${d.platform!.os}/${d.platform!.architecture}`])).toEqual([
        [amd.digest, 'linux/amd64'],
        [arm.digest, 'linux/arm64'],
        [expect.any(String), 'unknown/unknown'],
      ])
    }
    // Size per platform, attestations excluded.
    const size = await client.imageSize(name, 'merged')
    expect(size!.platforms.map((p) => [p.platform, p.digest, p.bytes])).toEqual([
      ['linux/amd64', amd.digest, amd.bytes],
      ['linux/arm64', arm.digest, arm.bytes],
    ])
    // Assembling the same parts again gives the same index.
    expect((await client.putIndex(name, parts, ['merged'])).digest).toBe(r.digest)
  })

  it('refuses a part of another platform, naming what it holds', async () => {
    const e = await client.putIndex(name, [{ ref: 'part_linux_amd64', platform: 'linux/arm64' }], ['wrong']).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(RegistryError)
    expect((e as Error).message).toMatch(/part_linux_amd64 should hold an image of linux\/arm64 only, but holds linux\/amd64/)
    expect(await getManifest(repo, 'wrong')).toBeUndefined()
  })

  it('fails on a missing part and puts nothing', async () => {
    const e = await client
      .putIndex(
        name,
        [
          { ref: 'part_linux_amd64', platform: 'linux/amd64' },
          { ref: 'nope_linux_arm64', platform: 'linux/arm64' },
        ],
        ['half'],
      )
      .catch((x: unknown) => x)
    expect((e as RegistryError).kind).toBe('not-found')
    expect((e as Error).message).toContain('nope_linux_arm64 does not exist')
    expect(await getManifest(repo, 'half')).toBeUndefined()
  })
})
