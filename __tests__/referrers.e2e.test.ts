// OCI 1.1 referrers through the registry client (src/registry/referrers.ts): on the real
// Distribution registry (127.0.0.1:5000, no referrers API: the referrers tag schema), and on a
// loopback registry that has the referrers API and answers a subject's push with `OCI-Subject`.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REGISTRY, getManifest, listTags, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'
import { parseImageName } from '../src/image/reference.js'
import { RegistryClient, sha256Digest } from '../src/registry/index.js'
import { attachArtifact, deleteReferrers, EMPTY_DESCRIPTOR, isReferrersTag, listReferrers, referrersTag } from '../src/registry/referrers.js'

const SBOM = 'application/vnd.cyclonedx+json'
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'

const quiet = { debug: () => undefined, warning: () => undefined, setSecret: () => undefined }

/** Pushes a small image (config + one layer) and returns its manifest as a descriptor. */
async function pushImage(client: RegistryClient, repo: string, tag: string, seed: string) {
  const name = parseImageName(`${REGISTRY}/${repo}`)
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed }))
  const layer = Buffer.from(seed)
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await client.pushBlob(name, config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: await client.pushBlob(name, layer), size: layer.length }],
  }
  const body = Buffer.from(JSON.stringify(manifest))
  const { digest } = await client.pushManifest(name, tag, body, OCI_MANIFEST)
  return { name, subject: { mediaType: OCI_MANIFEST, digest, size: body.length } }
}

describe('referrers on Distribution (the referrers tag schema)', () => {
  const repo = uniqueRepo('referrers')
  let client: RegistryClient

  beforeAll(async () => {
    await requireStack()
    client = new RegistryClient({ log: quiet })
  })
  afterAll(async () => {
    await removeRepo(repo)
    client?.close()
  })

  it('attaches, lists (keeping other entries), is idempotent, and deletes every referrer with its index', async () => {
    const { name, subject } = await pushImage(client, repo, 'base-1', 'one')
    expect(await listReferrers(client, name, subject.digest)).toEqual({ via: 'tag', referrers: [] })

    const sbom = Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.6"}')
    const a = await attachArtifact(client, name, subject, { artifactType: SBOM, mediaType: SBOM, bytes: sbom, title: 'sbom.cdx.json' })
    expect(a.via).toBe('tag')
    // the artifact manifest: artifactType, the empty config, one blob, the subject
    const m = await getManifest(repo, a.digest)
    const body = m!.body as unknown as Record<string, unknown>
    expect(body).toMatchObject({ mediaType: OCI_MANIFEST, artifactType: SBOM, config: EMPTY_DESCRIPTOR, subject })
    expect(body.layers).toEqual([
      { mediaType: SBOM, digest: sha256Digest(sbom), size: sbom.length, annotations: { 'org.opencontainers.image.title': 'sbom.cdx.json' } },
    ])
    const blob = await fetch(`http://${REGISTRY}/v2/${repo}/blobs/${sha256Digest(sbom)}`)
    expect(Buffer.from(await blob.arrayBuffer()).equals(sbom)).toBe(true)

    // the tag schema: sha256-<hex> names an OCI index listing it
    const tag = referrersTag(subject.digest)
    expect(tag).toBe(subject.digest.replace(':', '-'))
    expect(isReferrersTag(tag)).toBe(true)
    const index = await getManifest(repo, tag)
    expect(index!.body.mediaType).toBe(OCI_INDEX)
    expect(index!.body.manifests).toEqual([{ mediaType: OCI_MANIFEST, digest: a.digest, size: expect.any(Number) as number, artifactType: SBOM }])

    // another artifact is added, the first kept; attaching the first again lists it once
    const other = await attachArtifact(client, name, subject, {
      artifactType: 'application/vnd.example+json',
      mediaType: 'application/json',
      bytes: Buffer.from('{}x'),
    })
    expect(await attachArtifact(client, name, subject, { artifactType: SBOM, mediaType: SBOM, bytes: sbom, title: 'sbom.cdx.json' })).toEqual(a)
    const listed = await listReferrers(client, name, subject.digest)
    expect(listed.via).toBe('tag')
    expect(listed.referrers.map((r) => [r.digest, r.artifactType])).toEqual([
      [a.digest, SBOM],
      [other.digest, 'application/vnd.example+json'],
    ])
    // one referrers index left: the one replaced was deleted
    expect((await listTags(repo)).sort()).toEqual(['base-1', tag].sort())

    // another subject's referrers are its own
    const second = await pushImage(client, repo, 'base-2', 'two')
    await attachArtifact(client, name, second.subject, { artifactType: SBOM, mediaType: SBOM, bytes: sbom })
    expect((await listReferrers(client, name, second.subject.digest)).referrers).toHaveLength(1)

    // a referrer of the SBOM artifact (a signature, as cosign or notation attach one): its own referrers tag
    const sbomArtifact = await client.getManifest(name, a.digest)
    const signature = await attachArtifact(
      client,
      name,
      { mediaType: OCI_MANIFEST, digest: a.digest, size: sbomArtifact!.size },
      { artifactType: 'application/vnd.example.signature+json', mediaType: 'application/json', bytes: Buffer.from('{"sig":1}') },
    )
    const signatureIndex = (await listReferrers(client, name, a.digest)).tagIndex!
    expect((await listTags(repo)).sort()).toEqual(['base-1', 'base-2', tag, referrersTag(second.subject.digest), referrersTag(a.digest)].sort())

    // delete: every referrer, the referrers of those, and each index (so the tags) go; the subject and the other subject's stay
    const deleted = await deleteReferrers(client, name, subject.digest)
    expect(deleted).toEqual([a.digest, other.digest, listed.tagIndex!, signature.digest, signatureIndex])
    expect(await getManifest(repo, signature.digest)).toBeUndefined()
    expect(await getManifest(repo, a.digest)).toBeUndefined()
    expect(await getManifest(repo, other.digest)).toBeUndefined()
    expect(await listReferrers(client, name, subject.digest)).toEqual({ via: 'tag', referrers: [] })
    expect(await getManifest(repo, subject.digest)).toBeDefined()
    expect((await listTags(repo)).sort()).toEqual(['base-1', 'base-2', referrersTag(second.subject.digest)].sort())
    expect(await deleteReferrers(client, name, subject.digest)).toEqual([])
    await deleteReferrers(client, name, second.subject.digest)
  })
})

/** A loopback registry with the referrers API: blobs, manifests (indexed by subject), referrers. */
function referrersApiRegistry(): Promise<{ server: Server; host: string; manifests: Map<string, Buffer>; requests: string[] }> {
  const blobs = new Map<string, Buffer>()
  const manifests = new Map<string, Buffer>()
  const tags = new Map<string, string>()
  const requests: string[] = []
  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x')
    requests.push(`${req.method} ${url.pathname}`)
    const send = (status: number, data: Buffer | string = '', headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-length': String(Buffer.byteLength(data)), ...headers })
      res.end(req.method === 'HEAD' ? undefined : data)
    }
    let m: RegExpExecArray | null
    if (url.pathname === '/v2/') return send(200, '{}')
    if ((m = /^\/v2\/(.+)\/blobs\/uploads\/$/.exec(url.pathname)) && req.method === 'POST') return send(202, '', { location: `/v2/${m[1]}/blobs/uploads/u1` })
    if (/\/blobs\/uploads\/u1$/.test(url.pathname) && req.method === 'PUT') {
      const d = url.searchParams.get('digest')!
      if (sha256Digest(body) !== d) return send(400, '{"errors":[{"code":"DIGEST_INVALID"}]}')
      blobs.set(d, body)
      return send(201, '', { 'docker-content-digest': d })
    }
    if ((m = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url.pathname))) {
      const b = blobs.get(m[1]!)
      return b ? send(200, b) : send(404, '{"errors":[{"code":"BLOB_UNKNOWN"}]}')
    }
    if ((m = /\/referrers\/(sha256:[a-f0-9]{64})$/.exec(url.pathname))) {
      const list = [...manifests.entries()]
        .map(([digest, b]) => ({ digest, size: b.length, m: JSON.parse(b.toString()) as Record<string, unknown> }))
        .filter((e) => (e.m.subject as { digest?: string } | undefined)?.digest === m![1])
        .map((e) => ({ mediaType: e.m.mediaType, digest: e.digest, size: e.size, artifactType: e.m.artifactType }))
      return send(200, JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: list }), { 'content-type': OCI_INDEX })
    }
    if ((m = /\/manifests\/([^/]+)$/.exec(url.pathname))) {
      const ref = decodeURIComponent(m[1]!)
      if (req.method === 'PUT') {
        const d = sha256Digest(body)
        manifests.set(d, body)
        if (!ref.startsWith('sha256:')) tags.set(ref, d)
        const subject = (JSON.parse(body.toString()) as { subject?: { digest: string } }).subject
        return send(201, '', { 'docker-content-digest': d, ...(subject ? { 'oci-subject': subject.digest } : {}) })
      }
      const d = ref.startsWith('sha256:') ? ref : tags.get(ref)
      const b = d ? manifests.get(d) : undefined
      if (req.method === 'DELETE') {
        if (!b) return send(404, '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
        manifests.delete(d!)
        for (const [t, v] of tags) if (v === d) tags.delete(t)
        return send(202)
      }
      if (!b) return send(404, '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
      return send(200, b, { 'content-type': (JSON.parse(b.toString()) as { mediaType: string }).mediaType, 'docker-content-digest': d! })
    }
    send(404, '{"errors":[{"code":"NAME_UNKNOWN"}]}')
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handle(req, res, Buffer.concat(chunks)))
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, host: `127.0.0.1:${(server.address() as AddressInfo).port}`, manifests, requests })),
  )
}

describe('referrers on a registry with the referrers API', () => {
  let reg: Awaited<ReturnType<typeof referrersApiRegistry>>
  beforeAll(async () => {
    reg = await referrersApiRegistry()
  })
  afterAll(() => reg?.server.close())

  it('attaches through the API (no referrers tag), lists through it, and deletes every referrer', async () => {
    const client = new RegistryClient({ log: quiet, insecureRegistries: [reg.host], retries: 0 })
    const name = parseImageName(`${reg.host}/acme/base`)
    const image = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: EMPTY_DESCRIPTOR, layers: [] }))
    const { digest } = await client.pushManifest(name, 'base-1', image, OCI_MANIFEST)
    const subject = { mediaType: OCI_MANIFEST, digest, size: image.length }
    const a = await attachArtifact(client, name, subject, { artifactType: SBOM, mediaType: SBOM, bytes: Buffer.from('{"sbom":1}') })
    expect(a.via).toBe('api')
    expect(reg.requests.some((r) => r.includes(`/manifests/${referrersTag(digest)}`))).toBe(false)
    const listed = await listReferrers(client, name, digest)
    expect(listed).toEqual({ via: 'api', referrers: [{ mediaType: OCI_MANIFEST, digest: a.digest, size: expect.any(Number) as number, artifactType: SBOM }] })
    expect(await deleteReferrers(client, name, digest)).toEqual([a.digest])
    expect(reg.manifests.has(a.digest)).toBe(false)
    expect(reg.manifests.has(digest)).toBe(true)
    expect((await listReferrers(client, name, digest)).referrers).toEqual([])
    client.close()
  })
})
