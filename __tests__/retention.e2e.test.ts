// Retention against the REAL CNCF Distribution registry on 127.0.0.1:5000 (deletes enabled):
// a unique repository seeded over the HTTP API with dated tags of several hashes and ages
// (a distinct digest each), a foreign tag sharing an old dated tag's digest, a dated tag
// sharing a kept tag's digest and a multi-platform index whose child carries an old dated
// tag. dry-run deletes nothing; true deletes exactly the expected digests. Plus our own
// `docker-registry serve` with deletes disabled: reported, not thrown. Everything pushed to
// the shared registry is deleted again; our registry process is stopped.

import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OCI_INDEX, Seeder, startRegistry, type RegistryProcess } from '../__fixtures__/registry-procs.js'
import { REGISTRY, listTags, requireStack } from '../__fixtures__/stack.js'
import { parseImageName, type ImageName } from '../src/image/reference.js'
import { RegistryClient } from '../src/registry/index.js'
import { applyRetention, collectTagInfo, distributionBackend, planRetention, type RetentionPolicy } from '../src/retention/index.js'

const TODAY = new Date('2026-06-30T10:00:00Z')
const A = '0123456789ab'
const B = 'abcdefabcdef'
const C = '555555555555'
const E = 'eeeeeeeeeeee'

function tag(hash: string, daysAgo: number): string {
  const d = new Date(Date.UTC(2026, 5, 30) - daysAgo * 86_400_000)
  return `base-${hash}-${d.toISOString().slice(0, 10).replaceAll('-', '')}`
}

let tmp: string
const logs: string[] = []

function client(): RegistryClient {
  return new RegistryClient({
    dockerConfigDir: path.join(tmp, 'no-docker-config'),
    timeoutMs: 15_000,
    retries: 1,
    log: { debug: (m) => logs.push(m), warning: (m) => logs.push(m), setSecret: () => undefined },
    sleep: () => Promise.resolve(),
  })
}

async function head(addr: string, repo: string, ref: string): Promise<number> {
  const r = await fetch(`http://${addr}/v2/${repo}/manifests/${ref}`, {
    method: 'HEAD',
    headers: { accept: `${OCI_INDEX}, application/vnd.oci.image.manifest.v1+json` },
    signal: AbortSignal.timeout(10_000),
  })
  return r.status
}

/** Deletes every manifest left in `repo` of `addr` (the registry has no repository delete). */
async function cleanup(addr: string, repo: string): Promise<void> {
  const name = parseImageName(`${addr}/${repo}`)
  const c = client()
  const tags = await c.listTags(name)
  const digests = new Set<string>()
  for (const t of tags) {
    const m = await c.getManifest(name, t)
    if (!m) continue
    digests.add(m.digest)
    for (const d of (m.manifest as { manifests?: { digest: string }[] }).manifests ?? []) digests.add(d.digest)
  }
  for (const d of digests) await c.deleteManifest(name, d)
}

beforeAll(async () => {
  await requireStack()
  tmp = mkdtempSync(path.join(os.tmpdir(), 'retention-e2e-'))
})

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

describe('shared registry with deletes enabled', () => {
  const repo = `test-retention-${randomBytes(4).toString('hex')}/base`
  let name: ImageName
  const seeder = new Seeder(REGISTRY)
  const digestOf = new Map<string, string>()

  // Expected with keepLatest 1, keepDays 30:
  const KEEP = [tag(A, 0), tag(A, 10), tag(B, 100), tag(E, 2), tag(C, 90) /* newest of C */]
  const DELETE = [tag(A, 40), tag(A, 50), tag(B, 200)]
  const PROTECT = [tag(A, 60) /* shares with keep-me */, tag(E, 70) /* child of the index latest */, tag(C, 120) /* shares with the kept A-0 and C-90 */]
  const FOREIGN = ['keep-me', 'latest', 'base-zzz-20200101', 'base-0123456789ab-20250230', 'nightly-0123456789ab-20200101']
  const ALL = [...KEEP, ...DELETE, ...PROTECT, ...FOREIGN].sort()
  const policy: RetentionPolicy = { prefix: 'base-', keepLatest: 1, keepDays: 30, protectTags: [], today: TODAY }

  beforeAll(async () => {
    name = parseImageName(`${REGISTRY}/${repo}`)
    for (const t of [
      tag(A, 0),
      tag(A, 10),
      tag(A, 40),
      tag(A, 50),
      tag(A, 60),
      tag(B, 100),
      tag(B, 200),
      tag(E, 2),
      'base-zzz-20200101',
      'base-0123456789ab-20250230',
      'nightly-0123456789ab-20200101',
    ]) {
      const img = await seeder.image(repo, t, { labels: { tag: t } })
      digestOf.set(t, img.digest)
    }
    // keep-me shares the old A-60 digest; C-90 and C-120 share the kept A-0 digest.
    for (const [t, same] of [
      ['keep-me', tag(A, 60)],
      [tag(C, 90), tag(A, 0)],
      [tag(C, 120), tag(A, 0)],
    ] as const) {
      const m = await client().getManifest(name, same)
      await seeder.manifest(repo, t, JSON.stringify(m!.manifest), m!.mediaType)
      digestOf.set(t, m!.digest)
    }
    // latest: an index of two platform manifests; one of them also carries the old tag E-70.
    const amd = await seeder.image(repo, tag(E, 70), { architecture: 'amd64' })
    const arm = await seeder.image(repo, 'tmp-arm64', { architecture: 'arm64' })
    digestOf.set(tag(E, 70), amd.digest)
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: amd.digest,
          size: Buffer.byteLength(amd.body),
          platform: { os: 'linux', architecture: 'amd64' },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: arm.digest,
          size: Buffer.byteLength(arm.body),
          platform: { os: 'linux', architecture: 'arm64' },
        },
      ],
    })
    digestOf.set('latest', await seeder.manifest(repo, 'latest', index, OCI_INDEX))
    // The arm64 child stays reachable from the index only.
    const untag = await client().deleteManifest(name, arm.digest)
    expect(untag).toBe('deleted')
    await seeder.manifest(repo, arm.digest, arm.body, 'application/vnd.oci.image.manifest.v1+json')
    expect(await listTags(repo)).toEqual(ALL)
  })

  afterAll(async () => {
    if (name) await cleanup(REGISTRY, repo)
    expect(await listTags(repo)).toEqual([])
  })

  it('collects every tag with its digest, and the index children', async () => {
    const infos = await collectTagInfo(client(), name, 'base-', { concurrency: 4 })
    expect(infos.map((i) => i.tag).sort()).toEqual(ALL)
    for (const i of infos) expect(i.digest).toBe(digestOf.get(i.tag))
    const latest = infos.find((i) => i.tag === 'latest')!
    expect(latest.children).toHaveLength(2)
    expect(latest.children).toContain(digestOf.get(tag(E, 70)))
  })

  it('dry-run lists exactly what true deletes and deletes nothing; true deletes exactly that', async () => {
    const c = client()
    const plan = planRetention(await collectTagInfo(c, name, 'base-'), policy)
    expect(plan.keep.map((k) => k.tag).sort()).toEqual([...KEEP].sort())
    expect(plan.protect.map((k) => k.tag).sort()).toEqual([...PROTECT].sort())
    expect(plan.delete.flatMap((d) => d.tags).sort()).toEqual([...DELETE].sort())

    const info: string[] = []
    const dry = await applyRetention(plan, distributionBackend(c, name), 'dry-run', { info: (m) => info.push(m) })
    expect(dry.error).toBeUndefined()
    expect(dry.deleted.map((d) => [d.tag, d.digest, d.ageDays])).toEqual([
      [tag(B, 200), digestOf.get(tag(B, 200)), 200],
      [tag(A, 50), digestOf.get(tag(A, 50)), 50],
      [tag(A, 40), digestOf.get(tag(A, 40)), 40],
    ])
    expect(info.filter((l) => l.startsWith('would delete'))).toHaveLength(3)
    expect(await listTags(repo)).toEqual(ALL)
    for (const t of DELETE) expect(await head(REGISTRY, repo, digestOf.get(t)!)).toBe(200)

    const real = await applyRetention(plan, distributionBackend(c, name), 'true')
    expect(real.error).toBeUndefined()
    expect(real.deleted).toEqual(dry.deleted)
    expect(real.protected).toEqual(dry.protected)
    expect(await listTags(repo)).toEqual(ALL.filter((t) => !DELETE.includes(t)))
    for (const t of DELETE) expect(await head(REGISTRY, repo, digestOf.get(t)!)).toBe(404)
    // The shared digest survives under both of its tags; so does the index and its children.
    expect(await head(REGISTRY, repo, 'keep-me')).toBe(200)
    expect(await head(REGISTRY, repo, tag(A, 60))).toBe(200)
    expect((await c.getManifest(name, 'keep-me'))!.digest).toBe(digestOf.get(tag(A, 60)))
    for (const child of (await collectTagInfo(c, name, 'base-')).find((i) => i.tag === 'latest')!.children!) {
      expect(await head(REGISTRY, repo, child)).toBe(200)
    }

    // A second run finds nothing more to delete.
    const again = planRetention(await collectTagInfo(c, name, 'base-'), policy)
    expect(again.delete).toEqual([])
  })
})

describe('own registry with deletes disabled', () => {
  let addr = ''
  let registry: RegistryProcess | undefined

  beforeAll(async () => {
    registry = await startRegistry(tmp, { kind: 'none' }, { deletes: false })
    addr = registry.addr
  })

  afterAll(async () => {
    await registry?.stop()
  })

  it("reports 'unsupported' (HTTP 405) without throwing and deletes nothing", async () => {
    const repo = 'retention/base'
    const seeder = new Seeder(addr)
    for (const t of [tag(A, 0), tag(A, 50), tag(A, 60)]) await seeder.image(repo, t)
    const name = parseImageName(`${addr}/${repo}`)
    const c = client()
    const plan = planRetention(await collectTagInfo(c, name, 'base-'), { prefix: 'base-', keepLatest: 1, keepDays: 30, protectTags: [tag(A, 0)], today: TODAY })
    expect(plan.delete).toHaveLength(2)
    const report = await applyRetention(plan, distributionBackend(c, name), 'true')
    expect(report.deleted).toEqual([])
    expect(report.error).toMatch(/deletes are disabled/)
    expect(report.error).toMatch(/2 of 2 digest\(s\) were not deleted/)
    const r = await fetch(`http://${addr}/v2/${repo}/tags/list`)
    expect(((await r.json()) as { tags: string[] }).tags.sort()).toEqual([tag(A, 0), tag(A, 50), tag(A, 60)].sort())
  })
})
