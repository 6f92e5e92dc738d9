// The registry client against real CNCF Distribution registries: the shared open one on
// 127.0.0.1:5000, and our own `docker-registry serve` processes with htpasswd Basic auth and
// with token auth (RS256 JWTs from __fixtures__/token-server.ts). Unique repositories;
// everything pushed to the shared registry is deleted again; our processes are stopped.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { OCI_INDEX, OCI_MANIFEST, Seeder, digestOf, startRegistry, type RegistryProcess } from '../__fixtures__/registry-procs.js'
import { REGISTRY, compressedSize, requireStack, uniqueRepo } from '../__fixtures__/stack.js'
import { startTokenServer, type TokenServer } from '../__fixtures__/token-server.js'
import { parseImageName } from '../src/image/reference.js'
import { caught } from '../__fixtures__/fault-server.js'
import { RegistryClient, type RegistryClientOptions } from '../src/registry/index.js'

const USER = 'alice'
const PASSWORD = 'e2e-SECRET-pw'

let tmp: string
const logs: string[] = []
const secrets: string[] = []

function client(o: RegistryClientOptions = {}): RegistryClient {
  return new RegistryClient({
    dockerConfigDir: path.join(tmp, 'no-docker-config'),
    timeoutMs: 15_000,
    retries: 2,
    log: { debug: (m) => logs.push(m), warning: (m) => logs.push(m), setSecret: (s) => secrets.push(s) },
    sleep: () => Promise.resolve(),
    ...o,
  })
}

beforeAll(async () => {
  await requireStack()
  tmp = mkdtempSync(path.join(os.tmpdir(), 'registry-e2e-'))
})

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true })
  for (const l of logs) {
    expect(l).not.toContain(PASSWORD)
    for (const s of secrets) expect(l).not.toContain(s)
  }
})

describe('open registry (shared, 127.0.0.1:5000)', () => {
  const repo = `test/${uniqueRepo('registry')}`
  const name = parseImageName(`${REGISTRY}/${repo}`)
  const seed = new Seeder(REGISTRY)
  const pushed: { manifests: string[]; blobs: string[] } = { manifests: [], blobs: [] }
  let amd64: Awaited<ReturnType<Seeder['image']>>
  let arm64: Awaited<ReturnType<Seeder['image']>>
  let indexDigest: string

  beforeAll(async () => {
    amd64 = await seed.image(repo, 'amd64', { architecture: 'amd64', labels: { 'org.example.env': 'abc' }, layers: 2, layerSize: 1500 })
    arm64 = await seed.image(repo, 'arm64', { architecture: 'arm64', variant: 'v8', labels: { 'org.example.env': 'abc' }, layers: 3, layerSize: 700 })
    // A BuildKit-style attestation manifest: its sizes must not count.
    const att = await seed.image(repo, 'att', { os: 'unknown', architecture: 'unknown', layers: 1, layerSize: 5000 })
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: amd64.digest, size: amd64.body.length, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: OCI_MANIFEST, digest: arm64.digest, size: arm64.body.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        {
          mediaType: OCI_MANIFEST,
          digest: att.digest,
          size: att.body.length,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd64.digest },
        },
      ],
    })
    indexDigest = await seed.manifest(repo, 'multi', index, OCI_INDEX)
    pushed.manifests.push(indexDigest, amd64.digest, arm64.digest, att.digest)
    for (const b of [amd64.body, arm64.body, att.body]) {
      const m = JSON.parse(b) as { config: { digest: string }; layers: { digest: string }[] }
      pushed.blobs.push(m.config.digest, ...m.layers.map((l) => l.digest))
    }
  })

  afterAll(async () => {
    for (const d of pushed.manifests) await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${d}`, { method: 'DELETE' }).then((r) => r.body?.cancel())
    for (const d of pushed.blobs) await fetch(`http://${REGISTRY}/v2/${repo}/blobs/${d}`, { method: 'DELETE' }).then((r) => r.body?.cancel())
  })

  test('the seeded busybox: tags, digest, size and config', async () => {
    const c = client()
    const bb = parseImageName(`${REGISTRY}/test/busybox`)
    expect(await c.listTags(bb)).toContain('latest')
    const digest = await c.headDigest(bb, 'latest')
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    const m = await c.getManifest(bb, digest!)
    expect(m?.digest).toBe(digest)
    const size = await c.imageSize(bb, 'latest')
    expect(size?.digest).toBe(digest)
    expect(size?.total).toBe(await compressedSize('test/busybox', 'latest'))
    expect(size?.platforms).toEqual([{ platform: 'linux/amd64', digest: digest!, bytes: size!.total }])
    expect(await c.imageConfig(bb, 'latest')).toMatchObject({ os: 'linux', architecture: 'amd64' })
  })

  test('a multi-platform OCI index: sizes per platform, the attestation excluded', async () => {
    const c = client()
    expect(await c.listTags(name)).toEqual(['amd64', 'arm64', 'att', 'multi'])
    const s = await c.imageSize(name, 'multi')
    expect(s).toEqual({
      digest: indexDigest,
      mediaType: OCI_INDEX,
      total: amd64.bytes + arm64.bytes,
      platforms: [
        { platform: 'linux/amd64', digest: amd64.digest, bytes: amd64.bytes },
        { platform: 'linux/arm64/v8', digest: arm64.digest, bytes: arm64.bytes },
      ],
    })
    expect(s!.total).toBe(await compressedSize(repo, 'multi'))
    expect(await c.headDigest(name, 'multi')).toBe(indexDigest)
    expect(await c.imageSize(name, indexDigest)).toMatchObject({ total: s!.total })
  })

  test('image config by platform; labels and created', async () => {
    const c = client()
    expect(await c.imageConfig(name, 'multi')).toMatchObject({
      labels: { 'org.example.env': 'abc' },
      created: '2026-01-02T03:04:05Z',
      architecture: 'amd64',
      os: 'linux',
    })
    expect(await c.imageConfig(name, 'multi', 'linux/arm64')).toMatchObject({ architecture: 'arm64' })
    expect(await c.imageConfig(name, 'multi', 'linux/arm64/v8')).toMatchObject({ architecture: 'arm64' })
    expect(await c.imageConfig(name, 'multi', 'linux/s390x')).toBeUndefined()
    expect(await c.imageConfig(name, 'nope')).toBeUndefined()
  })

  test('missing things: an unknown repository has no tags; unknown tags and digests are undefined', async () => {
    const c = client()
    const none = parseImageName(`${REGISTRY}/test/${uniqueRepo('none')}`)
    expect(await c.listTags(none)).toEqual([])
    expect(await c.getManifest(name, 'nope')).toBeUndefined()
    expect(await c.headDigest(name, 'nope')).toBeUndefined()
    expect(await c.getManifest(name, `sha256:${'0'.repeat(64)}`)).toBeUndefined()
  })

  test('delete: deleted, then not-found; the tag is gone', async () => {
    const c = client()
    const extra = await seed.image(repo, 'to-delete', { layers: 1 })
    expect(await c.headDigest(name, 'to-delete')).toBe(extra.digest)
    expect(await c.deleteManifest(name, extra.digest)).toBe('deleted')
    expect(await c.deleteManifest(name, extra.digest)).toBe('not-found')
    expect(await c.getManifest(name, extra.digest)).toBeUndefined()
    expect(await c.listTags(name)).not.toContain('to-delete')
    const m = JSON.parse(extra.body) as { config: { digest: string }; layers: { digest: string }[] }
    pushed.blobs.push(m.config.digest, ...m.layers.map((l) => l.digest))
  })
})

describe('own registry with 5,000+ tags (in-memory storage)', () => {
  let reg: RegistryProcess
  beforeAll(async () => {
    const dir = path.join(tmp, 'many')
    mkdirSync(dir, { recursive: true })
    reg = await startRegistry(dir, { kind: 'none' })
  })
  afterAll(async () => {
    await reg?.stop()
  })

  test('listTags returns all 5,200 tags, sorted', async () => {
    const seed = new Seeder(reg.addr)
    const img = await seed.image('many/tags', 'seed', { layers: 1 })
    const tags = Array.from({ length: 5200 }, (_, i) => `base-${String((i * 37) % 5200).padStart(5, '0')}-20260101`)
    await seed.tagMany('many/tags', tags, img.body, OCI_MANIFEST, 16)
    const start = performance.now()
    const got = await client().listTags(parseImageName(`${reg.addr}/many/tags`))
    const ms = performance.now() - start
    expect(got).toHaveLength(5201)
    expect(got).toEqual([...tags, 'seed'].sort())
    expect(ms).toBeLessThan(5000)
  })
})

describe('htpasswd Basic auth registry', () => {
  let reg: RegistryProcess
  const repo = 'basic/app'
  beforeAll(async () => {
    const dir = path.join(tmp, 'htpasswd')
    mkdirSync(dir, { recursive: true })
    const file = path.join(dir, 'htpasswd')
    writeFileSync(file, execFileSync('htpasswd', ['-Bbn', USER, PASSWORD], { encoding: 'utf8', timeout: 30_000 }))
    reg = await startRegistry(dir, { kind: 'htpasswd', htpasswdFile: file })
    // A real client pushes: skopeo copies busybox in with --dest-creds.
    execFileSync(
      'skopeo',
      [
        'copy',
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        '--dest-creds',
        `${USER}:${PASSWORD}`,
        `docker://${REGISTRY}/test/busybox:latest`,
        `docker://${reg.addr}/${repo}:v1`,
      ],
      { stdio: 'ignore', timeout: 120_000 },
    )
  })
  afterAll(async () => {
    await reg?.stop()
  })

  test('credential inputs answer the Basic challenge', async () => {
    const c = client({ username: USER, password: PASSWORD })
    const name = parseImageName(`${reg.addr}/${repo}`)
    expect(await c.listTags(name)).toEqual(['v1'])
    const s = await c.imageSize(name, 'v1')
    expect(s?.total).toBe(await compressedSize('test/busybox', 'latest'))
    expect(await c.imageConfig(name, 'v1')).toMatchObject({ os: 'linux' })
    expect(await c.headDigest(name, 'v1')).toBe(s?.digest)
    expect(secrets).toContain(PASSWORD)
  })

  test('Docker config auths (as docker login writes it) work too', async () => {
    const dir = path.join(tmp, 'docker-config-basic')
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths: { [reg.addr]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }))
    expect(await client({ dockerConfigDir: dir }).listTags(parseImageName(`${reg.addr}/${repo}`))).toEqual(['v1'])
  })

  test('wrong or missing credentials → auth errors that say what to do', async () => {
    const name = parseImageName(`${reg.addr}/${repo}`)
    const wrong = await caught(client({ username: USER, password: 'wrong-SECRET' }).listTags(name))
    expect(wrong.kind).toBe('auth')
    expect(wrong.registry).toBe(reg.addr)
    expect(wrong.message).toMatch(/rejected the credentials from the registry-username\/registry-password inputs/)
    expect(wrong.message).not.toContain('wrong-SECRET')
    const anon = await caught(client().getManifest(name, 'v1'))
    expect(anon.kind).toBe('auth')
    expect(anon.message).toMatch(/docker\/login-action/)
  })
})

describe('token auth registry (Bearer, RS256 JWTs)', () => {
  let ts: TokenServer
  let reg: RegistryProcess
  const repo = 'token/app'
  let digest: string
  let otherDigest: string

  beforeAll(async () => {
    const dir = path.join(tmp, 'token')
    mkdirSync(dir, { recursive: true })
    ts = await startTokenServer({ dir, issuer: 'test-issuer', service: 'test-registry', users: { [USER]: PASSWORD } })
    reg = await startRegistry(dir, { kind: 'token', realm: ts.url, service: 'test-registry', issuer: 'test-issuer', rootCertBundle: ts.certFile })
    const seed = new Seeder(reg.addr, (r) => Promise.resolve(`Bearer ${ts.mint(USER, r, ['pull', 'push'])}`))
    digest = (await seed.image(repo, 'v1', { labels: { a: 'b' }, layers: 2 })).digest
    const other = await seed.image(repo, 'v2', { layers: 1 })
    otherDigest = await seed.manifest(repo, 'v2-again', other.body, OCI_MANIFEST)
    expect(otherDigest).toBe(digestOf(other.body))
  })
  afterAll(async () => {
    await reg?.stop()
    await ts?.close()
  })

  test('challenge, token (`token` field), reads; one token per scope', async () => {
    ts.requests.length = 0
    ts.field = 'token'
    const c = client({ username: USER, password: PASSWORD })
    const name = parseImageName(`${reg.addr}/${repo}`)
    expect(await c.listTags(name)).toEqual(['v1', 'v2', 'v2-again'])
    expect(await c.headDigest(name, 'v1')).toBe(digest)
    expect(await c.imageConfig(name, 'v1')).toMatchObject({ labels: { a: 'b' } })
    expect(await c.imageSize(name, 'v1')).toMatchObject({ digest })
    expect(ts.requests).toHaveLength(1)
    expect(ts.requests[0]).toMatchObject({ method: 'GET', user: USER, scopes: [`repository:${repo}:pull`] })
  })

  test('`access_token` field; delete with pull,delete scope', async () => {
    ts.requests.length = 0
    ts.field = 'access_token'
    const c = client({ username: USER, password: PASSWORD })
    const name = parseImageName(`${reg.addr}/${repo}`)
    const d = await c.headDigest(name, 'v2')
    expect(d).toBe(otherDigest)
    expect((await c.getManifest(name, d!))?.digest).toBe(otherDigest)
    expect(await c.deleteManifest(name, d!)).toBe('deleted')
    expect(await c.listTags(name)).toEqual(['v1'])
    expect(ts.requests.map((r) => r.scopes[0])).toContain(`repository:${repo}:pull,delete`)
  })

  test('anonymous → auth error; wrong password → auth error from the token service', async () => {
    const name = parseImageName(`${reg.addr}/${repo}`)
    const anon = await caught(client().listTags(name))
    expect(anon.kind).toBe('auth')
    expect(anon.message).toContain(reg.addr)
    const wrong = await caught(client({ username: USER, password: 'bad-SECRET' }).listTags(name))
    expect(wrong.kind).toBe('auth')
    expect(wrong.message).toMatch(/token service/)
    expect(wrong.message).not.toContain('bad-SECRET')
  })
})
