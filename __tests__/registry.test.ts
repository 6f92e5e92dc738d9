// Registry client against loopback fronts that inject faults (node:http), fake credential
// helpers on PATH and temporary Docker configs. `sleep` is injected: retries do not wait.

import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest'
import { caught, type FaultServer, json, registryError, truncated, startFaultServer } from '../__fixtures__/fault-server.js'
import { startTokenServer, type TokenServer } from '../__fixtures__/token-server.js'
import { parseImageName, type ImageName } from '../src/image/reference.js'
import { parseChallenge, parseTokenResponse, tokenScopes } from '../src/registry/auth.js'
import { nextLink, sha256Digest } from '../src/registry/client.js'
import { fromAuthEntry, hasCredentials, normalizeRegistryKey, resolveCredentials } from '../src/registry/credentials.js'
import { RegistryClient, type RegistryClientOptions } from '../src/registry/index.js'
import { Transport, backoffMs, checkRedirect, isTransientStatus, logUrl, parseRetryAfter } from '../src/registry/transport.js'

const PASSWORD = 'pa:ss-w0rd-SECRET-1'
const USER = 'alice'

let tmp: string
let srv: FaultServer
let other: FaultServer // a second loopback address: must never see a credential
let logs: string[]
let secrets: string[]
let sleeps: number[]

function client(o: RegistryClientOptions = {}): RegistryClient {
  return new RegistryClient({
    dockerConfigDir: path.join(tmp, 'empty-docker-config'),
    log: {
      debug: (m) => logs.push(`debug: ${m}`),
      warning: (m) => logs.push(`warning: ${m}`),
      setSecret: (s) => secrets.push(s),
    },
    sleep: (ms) => {
      sleeps.push(ms)
      return Promise.resolve()
    },
    timeoutMs: 5000,
    ...o,
  })
}

function name(repo = 'acme/model', s: FaultServer = srv): ImageName {
  return parseImageName(`${s.addr}/${repo}`)
}

function basicOk(authorization: string | undefined, user = USER, pass = PASSWORD): boolean {
  return authorization === `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
}

/** A registry front that demands Basic credentials. */
function basicRegistry(inner: FaultServer['handle']): FaultServer['handle'] {
  return (req, res, body) => {
    if (!basicOk(req.headers.authorization)) {
      registryError(res, 401, 'UNAUTHORIZED', 'authentication required', { 'www-authenticate': 'Basic realm="test"' })
      return
    }
    inner(req, res, body)
  }
}

const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 10 },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'b'.repeat(64)}`, size: 90 }],
})
const MANIFEST_DIGEST = sha256Digest(Buffer.from(MANIFEST))

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'registry-test-'))
  srv = await startFaultServer('127.0.0.1')
  other = await startFaultServer('127.0.0.2')
})

afterAll(async () => {
  await srv?.close()
  await other?.close()
  rmSync(tmp, { recursive: true, force: true })
})

beforeEach(() => {
  logs = []
  secrets = []
  sleeps = []
  srv.requests.length = 0
  other.requests.length = 0
})

afterEach(() => {
  // Whatever a test did, no captured log line carries a credential or token.
  for (const l of logs) {
    expect(l).not.toContain(PASSWORD)
    expect(l).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'))
    for (const s of secrets) expect(l).not.toContain(s)
  }
})

describe('pure parts', () => {
  test('challenges: Bearer with quoted, escaped and multiple scopes; Basic; both offered', () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="reg.example",scope="repository:a/b:pull,push repository:c:pull"')).toEqual({
      scheme: 'bearer',
      realm: 'https://auth.example/token',
      service: 'reg.example',
      scope: 'repository:a/b:pull,push repository:c:pull',
    })
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', realm: 'Registry Realm' })
    expect(parseChallenge('Basic realm="x", Bearer realm="https://t/token",service=s')).toMatchObject({
      scheme: 'bearer',
      realm: 'https://t/token',
      service: 's',
    })
    expect(parseChallenge('bearer realm="https://t/\\"q"')).toMatchObject({ realm: 'https://t/"q' })
    expect(parseChallenge(undefined)).toBeUndefined()
    expect(parseChallenge('Negotiate abc')).toBeUndefined()
    expect(tokenScopes('repository:a:pull', 'repository:a:pull repository:a:delete')).toEqual(['repository:a:pull', 'repository:a:delete'])
  })

  test('token responses: token or access_token, expires_in defaulting to 60', () => {
    expect(parseTokenResponse({ token: 't', expires_in: 300 })).toEqual({ token: 't', expiresIn: 300 })
    expect(parseTokenResponse({ access_token: 'a' })).toEqual({ token: 'a', expiresIn: 60 })
    expect(parseTokenResponse({ token: '', access_token: 'a', expires_in: -1 })).toEqual({ token: 'a', expiresIn: 60 })
    expect(parseTokenResponse({})).toBeUndefined()
  })

  test('Retry-After: seconds, HTTP date, capped, invalid', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(parseRetryAfter('7', now)).toBe(7000)
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:12 GMT', now)).toBe(12_000)
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('86400', now)).toBe(60_000)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
  })

  test('backoff grows exponentially, jittered, capped', () => {
    expect(backoffMs(0, () => 0)).toBe(250)
    expect(backoffMs(0, () => 1)).toBe(500)
    expect(backoffMs(3, () => 0.5)).toBe(3000)
    expect(backoffMs(30, () => 1)).toBe(15_000)
    expect([429, 500, 502, 503, 504, 408].every(isTransientStatus)).toBe(true)
    expect([400, 401, 403, 404, 501, 505].some(isTransientStatus)).toBe(false)
  })

  test('redirects: https→http refused, other schemes refused, upgrades and same-scheme hops allowed', () => {
    const from = new URL('https://reg.example/v2/a/blobs/sha256:1')
    expect(() => checkRedirect('reg.example', from, new URL('http://storage.example/blob'))).toThrow(/https to plain http/)
    expect(() => checkRedirect('reg.example', from, new URL('file:///etc/passwd'))).toThrow(/unsupported scheme/)
    expect(() => checkRedirect('reg.example', from, new URL('https://storage.example/b?sig=1'))).not.toThrow()
    expect(() => checkRedirect('127.0.0.1:5000', new URL('http://127.0.0.1:5000/v2/'), new URL('https://s.example/'))).not.toThrow()
    expect(logUrl(new URL('https://storage.example/b?X-Amz-Signature=abc'), 'reg.example')).toBe('https://storage.example/b?…')
    expect(logUrl(new URL('https://reg.example/v2/a/tags/list?n=1000'), 'reg.example')).toBe('https://reg.example/v2/a/tags/list?n=1000')
  })

  test('plain http only for loopback registries and the insecure list', () => {
    const t = new Transport({ insecureRegistries: ['my.registry:5000'], log: { debug: () => undefined, warning: () => undefined, setSecret: () => undefined } })
    expect(t.registry('my.registry:5000', 'my.registry:5000').scheme).toBe('http')
    expect(t.registry('localhost:5000', 'localhost:5000').scheme).toBe('http')
    expect(t.registry('127.0.0.7:5000', '127.0.0.7:5000').scheme).toBe('http')
    expect(t.registry('[::1]:5000', '[::1]:5000').scheme).toBe('http')
    expect(t.registry('ghcr.io', 'ghcr.io').scheme).toBe('https')
    expect(t.registry('my.registry', 'my.registry').scheme).toBe('https')
    expect(t.registry('docker.io', 'registry-1.docker.io')).toEqual({ name: 'docker.io', host: 'registry-1.docker.io', scheme: 'https' })
  })

  test('Link headers: relative and absolute, among other relations', () => {
    const base = new URL('http://127.0.0.1:1/v2/a/tags/list?n=2')
    expect(nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"', base)?.toString()).toBe('http://127.0.0.1:1/v2/a/tags/list?n=2&last=b')
    expect(nextLink('<https://x.example/p?q=1,2>; rel="prev", <?last=c>; rel=next', base)?.toString()).toBe('http://127.0.0.1:1/v2/a/tags/list?last=c')
    expect(nextLink('<https://x.example/p>; rel="prev"', base)).toBeUndefined()
    expect(nextLink(null, base)).toBeUndefined()
  })

  test('Docker config keys match with and without scheme and path; Docker Hub has one name', () => {
    expect(normalizeRegistryKey('https://ghcr.io/v1/')).toBe('ghcr.io')
    expect(normalizeRegistryKey('HTTP://Registry.Example:5000/v2')).toBe('registry.example:5000')
    for (const k of ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io']) expect(normalizeRegistryKey(k)).toBe('docker.io')
    expect(fromAuthEntry({ auth: Buffer.from('u:p:with:colons').toString('base64') }, 's')).toEqual({ username: 'u', password: 'p:with:colons', source: 's' })
    expect(fromAuthEntry({ username: 'u', password: 'p' }, 's')).toEqual({ username: 'u', password: 'p', source: 's' })
    expect(fromAuthEntry({ identitytoken: 'it', username: 'u' }, 's')).toEqual({ username: 'u', identityToken: 'it', source: 's' })
    expect(fromAuthEntry({ auth: '' }, 's')).toBeUndefined()
    expect(fromAuthEntry({}, 's')).toBeUndefined()
  })
})

describe('faults', () => {
  test('503 then OK: retried once with backoff', async () => {
    let n = 0
    srv.handle = (_req, res) => (n++ === 0 ? registryError(res, 503, 'UNAVAILABLE') : json(res, 200, { name: 'acme/model', tags: ['b', 'a'] }))
    expect(await client().listTags(name())).toEqual(['a', 'b'])
    expect(sleeps).toHaveLength(1)
    expect(sleeps[0]).toBeGreaterThanOrEqual(250)
    expect(sleeps[0]).toBeLessThanOrEqual(500)
  })

  test('429 with Retry-After seconds is honoured', async () => {
    let n = 0
    srv.handle = (_req, res) => (n++ === 0 ? registryError(res, 429, 'TOOMANYREQUESTS', 'slow down', { 'retry-after': '7' }) : json(res, 200, { tags: ['x'] }))
    expect(await client().listTags(name())).toEqual(['x'])
    expect(sleeps).toEqual([7000])
  })

  test('a truncated body and invalid JSON are retried', async () => {
    let n = 0
    const body = JSON.stringify({ name: 'acme/model', tags: ['t1', 't2', 't3'] })
    srv.handle = (_req, res) => {
      n++
      if (n === 1) truncated(res, body)
      else if (n === 2) json(res, 200, '{"tags": ["t1", ')
      else json(res, 200, body)
    }
    expect(await client().listTags(name())).toEqual(['t1', 't2', 't3'])
    expect(n).toBe(3)
    expect(sleeps).toHaveLength(2)
  })

  test('a hanging registry times out on every attempt, then fails with kind network', async () => {
    srv.handle = () => undefined // never answers
    const e = await caught(client({ timeoutMs: 150, retries: 1 }).listTags(name()))
    expect(e.kind).toBe('network')
    expect(e.registry).toBe(srv.addr)
    expect(e.message).toMatch(/did not answer within/)
    expect(e.message).toContain(srv.addr)
    expect(srv.requests).toHaveLength(2)
  })

  test('persistent 503: bounded retries, then RegistryError http 503', async () => {
    srv.handle = (_req, res) => registryError(res, 503, 'UNAVAILABLE', 'down for maintenance')
    const e = await caught(client({ retries: 3 }).getManifest(name(), 'latest'))
    expect(e.kind).toBe('http')
    expect(e.status).toBe(503)
    expect(e.message).toMatch(/after 4 attempts/)
    expect(sleeps).toHaveLength(3)
    expect(srv.requests).toHaveLength(4)
  })

  test('connection refused is retried, then reported as network', async () => {
    const closed = await startFaultServer('127.0.0.1')
    const n = name('a/b', closed)
    await closed.close()
    const e = await caught(client({ retries: 2 }).listTags(n))
    expect(e.kind).toBe('network')
    expect(e.message).toMatch(/ECONNREFUSED/)
    expect(sleeps).toHaveLength(2)
  })

  test('404 NAME_UNKNOWN on the tag list is an empty list; 404 on a manifest is undefined', async () => {
    srv.handle = (_req, res) => registryError(res, 404, 'NAME_UNKNOWN', 'repository name not known to registry')
    expect(await client().listTags(name())).toEqual([])
    expect(await client().getManifest(name(), 'latest')).toBeUndefined()
    expect(await client().headDigest(name(), 'latest')).toBeUndefined()
  })

  test('other 4xx are not retried', async () => {
    srv.handle = (_req, res) => registryError(res, 400, 'TAG_INVALID')
    const e = await caught(client().getManifest(name(), 'latest'))
    expect(e.kind).toBe('http')
    expect(e.status).toBe(400)
    expect(sleeps).toHaveLength(0)
  })
})

describe('tag lists', () => {
  test('50,000 tags over Link pages (relative links, pages out of order) come back complete and sorted', async () => {
    const total = 50_000
    const page = 1000
    const tags = Array.from({ length: total }, (_, i) => `base-${(i * 7919) % total}`.padEnd(24, 'x'))
    srv.handle = (req, res) => {
      const u = new URL(req.url!, 'http://x')
      const p = Number(u.searchParams.get('page') ?? '0')
      const slice = tags.slice(p * page, (p + 1) * page)
      const headers: Record<string, string> = {}
      if ((p + 1) * page < total) headers.link = `</v2/acme/model/tags/list?n=${page}&page=${p + 1}>; rel="next"`
      json(res, 200, { name: 'acme/model', tags: slice }, headers)
    }
    const start = performance.now()
    const got = await client().listTags(name())
    const ms = performance.now() - start
    expect(got).toHaveLength(total)
    expect(got).toEqual([...tags].sort())
    expect(srv.requests).toHaveLength(total / page)
    expect(srv.requests[0]!.url).toBe('/v2/acme/model/tags/list?n=1000')
    expect(ms).toBeLessThan(10_000)
  })

  test('a Link to another host is refused, and that host receives nothing', async () => {
    srv.handle = basicRegistry((_req, res) => json(res, 200, { tags: ['a'] }, { link: `<http://${other.addr}/v2/acme/model/tags/list?last=a>; rel="next"` }))
    other.handle = (_req, res) => json(res, 200, { tags: ['stolen'] })
    const e = await caught(client({ username: USER, password: PASSWORD }).listTags(name()))
    expect(e.kind).toBe('protocol')
    expect(e.message).toMatch(/another host/)
    expect(other.requests).toHaveLength(0)
  })

  test('a Link that loops back is an error, not an endless loop', async () => {
    srv.handle = (_req, res) => json(res, 200, { tags: ['a'] }, { link: '</v2/acme/model/tags/list?n=1000>; rel="next"' })
    const e = await caught(client().listTags(name()))
    expect(e.message).toMatch(/already read/)
  })
})

describe('redirects and credentials', () => {
  test('manifest and blob redirects to another host are followed WITHOUT credentials', async () => {
    const config = JSON.stringify({ os: 'linux', architecture: 'arm64', created: '2026-01-01T00:00:00Z', config: { Labels: { a: '1' } } })
    const configDigest = sha256Digest(Buffer.from(config))
    const manifest = JSON.stringify({
      ...JSON.parse(MANIFEST),
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    })
    srv.handle = basicRegistry((req, res) => {
      if (req.url!.includes('/manifests/')) res.writeHead(307, { location: `http://${other.addr}/storage/manifest?sig=SIGNED` }).end()
      else res.writeHead(302, { location: `http://${other.addr}/storage/blob?X-Amz-Signature=SIGNED` }).end()
    })
    other.handle = (req, res) => {
      if (req.url!.startsWith('/storage/manifest')) json(res, 200, manifest, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
      else json(res, 200, config)
    }
    const cfg = await client({ username: USER, password: PASSWORD }).imageConfig(name(), 'latest')
    expect(cfg).toMatchObject({ labels: { a: '1' }, created: '2026-01-01T00:00:00Z', architecture: 'arm64', os: 'linux' })
    expect(other.requests.length).toBeGreaterThanOrEqual(2)
    for (const r of other.requests) expect(r.authorization).toBeUndefined()
    expect(srv.requests.some((r) => basicOk(r.authorization))).toBe(true)
    expect(logs.join('\n')).not.toContain('SIGNED')
  })

  test('a redirect to plain http from an https URL is refused (see checkRedirect); too many redirects fail', async () => {
    srv.handle = (req, res) => res.writeHead(302, { location: req.url! + 'x' }).end()
    const e = await caught(client().getManifest(name(), 'latest'))
    expect(e.kind).toBe('protocol')
    expect(e.message).toMatch(/too many redirects/)
  })

  test('Basic challenge answered with the credential inputs; wrong credentials → auth error naming the registry, no secret', async () => {
    srv.handle = basicRegistry((_req, res) => json(res, 200, { tags: ['ok'] }))
    expect(await client({ username: USER, password: PASSWORD }).listTags(name())).toEqual(['ok'])
    expect(secrets).toContain(PASSWORD)
    const e = await caught(client({ username: USER, password: 'wrong-password-XYZ' }).listTags(name()))
    expect(e.kind).toBe('auth')
    expect(e.status).toBe(401)
    expect(e.message).toContain(srv.addr)
    expect(e.message).toMatch(/registry-username\/registry-password/)
    expect(e.message).not.toContain('wrong-password-XYZ')
    const anon = await caught(client().listTags(name()))
    expect(anon.kind).toBe('auth')
    expect(anon.message).toMatch(/docker\/login-action/)
  })

  test('403 → denied, with what to do', async () => {
    srv.handle = basicRegistry((_req, res) => registryError(res, 403, 'DENIED', 'requested access to the resource is denied'))
    const e = await caught(client({ username: USER, password: PASSWORD }).deleteManifest(name(), MANIFEST_DIGEST))
    expect(e.kind).toBe('denied')
    expect(e.message).toContain(srv.addr)
    expect(e.message).toMatch(/delete permission/)
    expect(e.message).toMatch(/DENIED/)
  })
})

describe('bearer tokens', () => {
  let ts: TokenServer
  let revoked: Set<string>
  let acceptNone: boolean
  beforeAll(async () => {
    ts = await startTokenServer({ dir: tmp, issuer: 'iss', service: 'svc', users: { [USER]: PASSWORD }, refreshTokens: { 'refresh-SECRET-42': USER } })
  })
  afterAll(async () => {
    await ts?.close()
  })
  beforeEach(() => {
    ts.requests.length = 0
    ts.field = 'token'
    ts.expiresIn = 300
    revoked = new Set()
    acceptNone = false
  })

  /** A registry front that accepts the tokens `ts` issued (unless revoked). */
  function bearerRegistry(inner: FaultServer['handle'], scope = 'repository:acme/model:pull'): FaultServer['handle'] {
    return (req, res, body) => {
      const a = req.headers.authorization
      const token = a?.startsWith('Bearer ') ? a.slice(7) : undefined
      if (acceptNone || !token || !ts.issued.includes(token) || revoked.has(token)) {
        registryError(res, 401, 'UNAUTHORIZED', 'authentication required', { 'www-authenticate': `Bearer realm="${ts.url}",service="svc",scope="${scope}"` })
        return
      }
      inner(req, res, body)
    }
  }

  test('challenge → token with Basic credentials; cached per scope; both token and access_token accepted', async () => {
    srv.handle = bearerRegistry((_req, res) => json(res, 200, { tags: ['a'] }))
    const c = client({ username: USER, password: PASSWORD })
    expect(await c.listTags(name())).toEqual(['a'])
    expect(await c.listTags(name())).toEqual(['a'])
    expect(ts.requests).toHaveLength(1)
    expect(ts.requests[0]).toMatchObject({ method: 'GET', user: USER, scopes: ['repository:acme/model:pull'] })
    expect(basicOk(ts.requests[0]!.authorization)).toBe(true)
    expect(secrets).toContain(ts.issued.at(-1))
    // the second call went straight to the registry with the cached token
    expect(srv.requests.map((r) => r.authorization?.split(' ')[0])).toEqual([undefined, 'Bearer', 'Bearer'])

    ts.field = 'access_token'
    expect(await client({ username: USER, password: PASSWORD }).listTags(name())).toEqual(['a'])
    expect(ts.requests).toHaveLength(2)
  })

  test('an expired token is renewed before use', async () => {
    srv.handle = bearerRegistry((_req, res) => json(res, 200, { tags: ['a'] }))
    ts.expiresIn = 120
    const c = client({ username: USER, password: PASSWORD })
    expect(await c.listTags(name())).toEqual(['a'])
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      vi.setSystemTime(Date.now() + 60_000)
      expect(await c.listTags(name())).toEqual(['a'])
      expect(ts.requests).toHaveLength(1) // still valid
      vi.setSystemTime(Date.now() + 61_000)
      expect(await c.listTags(name())).toEqual(['a'])
      expect(ts.requests).toHaveLength(2) // renewed without a 401 round trip
      expect(srv.requests.filter((r) => !r.authorization)).toHaveLength(1)
    } finally {
      vi.useRealTimers()
    }
  })

  test('a token rejected later is refreshed once; a token never accepted → auth error', async () => {
    srv.handle = bearerRegistry((_q, r) => json(r, 200, { tags: ['a'] }))
    const c = client({ username: USER, password: PASSWORD })
    expect(await c.listTags(name())).toEqual(['a'])
    for (const t of ts.issued) revoked.add(t) // the registry revokes it
    expect(await c.listTags(name())).toEqual(['a'])
    expect(ts.requests).toHaveLength(2)

    acceptNone = true
    const e = await caught(c.listTags(name()))
    expect(e.kind).toBe('auth')
    expect(e.message).toContain(srv.addr)
    expect(ts.requests).toHaveLength(3)
  })

  test('token service rejecting the credentials → auth error naming the registry and the token host', async () => {
    srv.handle = bearerRegistry((_q, r) => json(r, 200, { tags: [] }))
    const e = await caught(client({ username: USER, password: 'nope-SECRET' }).listTags(name()))
    expect(e.kind).toBe('auth')
    expect(e.message).toContain(srv.addr)
    expect(e.message).toContain('token service')
    expect(e.message).not.toContain('nope-SECRET')
    expect(sleeps).toHaveLength(0)
  })

  test('token service 503 is retried', async () => {
    srv.handle = bearerRegistry((_q, r) => json(r, 200, { tags: ['z'] }))
    ts.failNext(503)
    expect(await client({ username: USER, password: PASSWORD }).listTags(name())).toEqual(['z'])
    expect(sleeps).toHaveLength(1)
  })

  test('deletes ask for pull,delete plus the scope the challenge names', async () => {
    srv.handle = bearerRegistry((_q, r) => r.writeHead(202).end(), 'repository:acme/model:delete')
    expect(await client({ username: USER, password: PASSWORD }).deleteManifest(name(), MANIFEST_DIGEST)).toBe('deleted')
    expect(ts.requests[0]!.scopes).toEqual(['repository:acme/model:pull,delete', 'repository:acme/model:delete'])
    expect(srv.requests.at(-1)).toMatchObject({ method: 'DELETE', url: `/v2/acme/model/manifests/${MANIFEST_DIGEST}` })
  })

  test('an identity token from the Docker config is sent as an OAuth2 refresh token (POST form)', async () => {
    const dir = path.join(tmp, 'cfg-identity')
    writeDockerConfig(dir, { auths: { [`http://${srv.addr}/v2/`]: { auth: '', identitytoken: 'refresh-SECRET-42' } } })
    srv.handle = bearerRegistry((_q, r) => json(r, 200, { tags: ['it'] }))
    ts.field = 'access_token'
    expect(await client({ dockerConfigDir: dir }).listTags(name())).toEqual(['it'])
    expect(ts.requests[0]).toMatchObject({ method: 'POST', grant: 'refresh_token', user: USER })
    expect(ts.requests[0]!.authorization).toBeUndefined()
    expect(secrets).toContain('refresh-SECRET-42')
    for (const l of logs) expect(l).not.toContain('refresh-SECRET-42')
  })
})

function writeDockerConfig(dir: string, config: unknown): void {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config))
}

describe('Docker config and credential helpers', () => {
  let binDir: string
  let savedPath: string | undefined
  beforeAll(() => {
    binDir = path.join(tmp, 'bin')
    mkdirSync(binDir, { recursive: true })
    // docker-credential-fake: records its stdin, prints credentials for the registry under test.
    for (const [helper, username, secret] of [
      ['fake', USER, PASSWORD],
      ['tokenstore', '<token>', 'refresh-SECRET-42'],
    ] as const) {
      const script = path.join(binDir, `docker-credential-${helper}`)
      writeFileSync(
        script,
        `#!/bin/sh\n[ "$1" = get ] || exit 2\ncat > "${binDir}/${helper}.stdin"\nprintf '%s' '${JSON.stringify({ ServerURL: 'x', Username: username, Secret: secret })}'\n`,
      )
      chmodSync(script, 0o755)
    }
    const missing = path.join(binDir, 'docker-credential-notfound')
    writeFileSync(missing, '#!/bin/sh\necho "credentials not found in native keychain"\nexit 1\n')
    chmodSync(missing, 0o755)
    savedPath = process.env.PATH
    process.env.PATH = `${binDir}${path.delimiter}${process.env.PATH ?? ''}`
  })
  afterAll(() => {
    process.env.PATH = savedPath
  })

  test.each([
    [
      'auths with base64 auth (password with colons), key with scheme and path',
      (a: string) => ({ auths: { [`https://${a}/v1/`]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }),
    ],
    ['auths with username/password', (a: string) => ({ auths: { [a]: { username: USER, password: PASSWORD } } })],
    ['credHelpers for the host', (a: string) => ({ auths: { [a]: {} }, credHelpers: { [a]: 'fake' } })],
    ['global credsStore', (_a: string) => ({ credsStore: 'fake' })],
  ])('%s', async (_n, make) => {
    const dir = path.join(tmp, `cfg-${_n.replace(/\W+/g, '-')}`)
    writeDockerConfig(dir, make(srv.addr))
    srv.handle = basicRegistry((_req, res) => json(res, 200, { tags: ['ok'] }))
    expect(await hasCredentials(srv.addr, dir)).toBe(true)
    expect(await client({ dockerConfigDir: dir }).listTags(name())).toEqual(['ok'])
    expect(secrets).toContain(PASSWORD)
    if (_n.includes('cred')) expect(readFileSync(path.join(binDir, 'fake.stdin'), 'utf8')).toBe(srv.addr)
  })

  test('the credential inputs take precedence over the Docker config', async () => {
    const dir = path.join(tmp, 'cfg-precedence')
    writeDockerConfig(dir, { auths: { [srv.addr]: { username: 'other', password: 'other-pass' } } })
    srv.handle = basicRegistry((_req, res) => json(res, 200, { tags: ['ok'] }))
    expect(await client({ dockerConfigDir: dir, username: USER, password: PASSWORD }).listTags(name())).toEqual(['ok'])
  })

  test('a helper that has nothing, or is missing, means anonymous (with a warning when missing)', async () => {
    const dir = path.join(tmp, 'cfg-notfound')
    writeDockerConfig(dir, { credsStore: 'notfound', credHelpers: { 'other.example': 'absent' } })
    expect(await resolveCredentials(srv.addr, { dockerConfigDir: dir })).toBeUndefined()
    expect(await hasCredentials(srv.addr, dir)).toBe(false)
    const warnings: string[] = []
    expect(await resolveCredentials('other.example', { dockerConfigDir: dir, warning: (m) => warnings.push(m) })).toBeUndefined()
    expect(warnings.join()).toMatch(/docker-credential-absent/)
  })

  test('a helper answering <token> gives an identity token; Docker Hub asks helpers about https://index.docker.io/v1/', async () => {
    const dir = path.join(tmp, 'cfg-hub')
    writeDockerConfig(dir, { credHelpers: { 'https://index.docker.io/v1/': 'tokenstore' } })
    expect(await resolveCredentials('docker.io', { dockerConfigDir: dir })).toMatchObject({ identityToken: 'refresh-SECRET-42' })
    expect(readFileSync(path.join(binDir, 'tokenstore.stdin'), 'utf8')).toBe('https://index.docker.io/v1/')
    const dir2 = path.join(tmp, 'cfg-hub2')
    writeDockerConfig(dir2, { auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') } } })
    for (const host of ['docker.io', 'index.docker.io', 'registry-1.docker.io']) {
      expect(await resolveCredentials(host, { dockerConfigDir: dir2 })).toMatchObject({ username: 'hubuser', password: 'hubpass' })
    }
    expect(await resolveCredentials('ghcr.io', { dockerConfigDir: dir2 })).toBeUndefined()
  })

  test('no config, an empty entry or a broken config file mean anonymous', async () => {
    expect(await resolveCredentials(srv.addr, { dockerConfigDir: path.join(tmp, 'nowhere') })).toBeUndefined()
    const dir = path.join(tmp, 'cfg-broken')
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, 'config.json'), '{"auths": {"x": {"auth": "c2VjcmV0')
    const warnings: string[] = []
    expect(await resolveCredentials(srv.addr, { dockerConfigDir: dir, warning: (m) => warnings.push(m) })).toBeUndefined()
    expect(warnings.join()).toMatch(/not valid JSON/)
    expect(warnings.join()).not.toContain('c2VjcmV0')
    expect(await hasCredentials(srv.addr, dir)).toBe(false)
  })
})

describe('manifests', () => {
  test('by tag: Accept lists all four media types; digest from Docker-Content-Digest or computed', async () => {
    srv.handle = (req, res) => {
      const headers: Record<string, string> = { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }
      if (req.url!.endsWith('/with')) headers['docker-content-digest'] = MANIFEST_DIGEST
      json(res, 200, MANIFEST, headers)
    }
    const a = await client().getManifest(name(), 'with')
    const b = await client().getManifest(name(), 'without')
    expect(a).toMatchObject({ digest: MANIFEST_DIGEST, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: MANIFEST.length })
    expect(b?.digest).toBe(MANIFEST_DIGEST)
    const accept = srv.requests[0]!.accept!
    for (const t of [
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.oci.image.index.v1+json',
    ]) {
      expect(accept).toContain(t)
    }
  })

  test('by digest: read once per client (concurrent readers share the request); tags, misses and deleted digests are read again', async () => {
    let present = false
    srv.handle = (req, res) => {
      if (req.method === 'DELETE') return void res.writeHead(202).end()
      if (!present && req.url!.endsWith(MANIFEST_DIGEST)) return registryError(res, 404, 'MANIFEST_UNKNOWN')
      json(res, 200, MANIFEST, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': MANIFEST_DIGEST })
    }
    const c = client({ username: USER, password: PASSWORD })
    const gets = () => srv.requests.filter((r) => r.method === 'GET').length
    expect(await c.getManifest(name(), MANIFEST_DIGEST)).toBeUndefined() // not pushed yet: not remembered
    present = true
    const [a, b] = await Promise.all([c.getManifest(name(), MANIFEST_DIGEST), c.getManifest(name(), MANIFEST_DIGEST)])
    expect(a?.digest).toBe(MANIFEST_DIGEST)
    expect(b).toBe(a)
    expect(await c.getManifest(name(), MANIFEST_DIGEST)).toBe(a)
    expect(gets()).toBe(2)
    await c.getManifest(name(), 'latest')
    await c.getManifest(name(), 'latest')
    expect(gets()).toBe(4) // a tag moves: never remembered
    await c.getManifest(name('acme/other'), MANIFEST_DIGEST)
    expect(gets()).toBe(5) // per repository
    await c.deleteManifest(name(), MANIFEST_DIGEST)
    await c.getManifest(name(), MANIFEST_DIGEST)
    expect(gets()).toBe(6)
    expect(await client().getManifest(name(), MANIFEST_DIGEST)).toBeDefined()
    expect(gets()).toBe(7) // per client
  })

  test('a small blob is read once per client, whoever asks (a config for the size and for the labels); a larger cap is read again', async () => {
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { a: 'b' } } })
    const configDigest = sha256Digest(Buffer.from(config))
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [],
    })
    srv.handle = (req, res) => {
      if (req.url!.includes('/blobs/')) return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(config)
      json(res, 200, manifest, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
    }
    const c = client()
    const blobGets = () => srv.requests.filter((r) => r.url.includes('/blobs/')).length
    const [size, cfg, raw] = await Promise.all([c.imageSize(name(), 'v1'), c.imageConfig(name(), 'v1'), c.blob(name(), configDigest, 1024)])
    expect(size?.platforms[0]?.platform).toBe('linux/amd64')
    expect(cfg?.labels).toEqual({ a: 'b' })
    expect(raw.toString()).toBe(config)
    expect(blobGets()).toBe(1)
    await expect(c.blob(name(), configDigest, 10)).rejects.toThrow() // over this caller's cap: read again, and refused
    expect(blobGets()).toBe(2)
  })

  test('by digest: bytes that do not match the digest are retried, then an error', async () => {
    srv.handle = (_req, res) => json(res, 200, MANIFEST.replace('"size":90', '"size":91'), { 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
    const e = await caught(client({ retries: 1 }).getManifest(name(), MANIFEST_DIGEST))
    expect(e.kind).toBe('protocol')
    expect(e.message).toMatch(/does not match/)
    expect(srv.requests).toHaveLength(2)
  })

  test.each([
    ['no header', {}],
    ['the header of the bytes', { 'docker-content-digest': MANIFEST_DIGEST }],
  ])('headDigest: the sha256 of the bytes a GET reads (%s)', async (_, headers: Record<string, string>) => {
    srv.handle = (_req, res) => json(res, 200, MANIFEST, headers)
    expect(await client().headDigest(name(), 'a')).toBe(MANIFEST_DIGEST)
    expect(srv.requests.map((r) => r.method)).toEqual(['GET'])
  })

  test.each([
    ['another sha256', `sha256:${'c'.repeat(64)}`, /does not match/],
    ['a sha512 of other bytes', `sha512:${'c'.repeat(128)}`, /does not match/],
    ['an algorithm it cannot check', `md5:${'c'.repeat(32)}`, /not sha256 or sha512/],
  ])('a Docker-Content-Digest that is %s is a registry fault, never a pin', async (_, header, why) => {
    srv.handle = (_req, res) => json(res, 200, MANIFEST, { 'docker-content-digest': header })
    await expect(client({ retries: 0 }).headDigest(name(), 'a')).rejects.toThrow(why)
    await expect(client({ retries: 0 }).getManifest(name(), 'a')).rejects.toThrow(why)
  })

  test('deleteManifest: 202 deleted, 404 not-found, 405 and UNSUPPORTED unsupported', async () => {
    const answers: [number, string | undefined, string][] = [
      [202, undefined, 'deleted'],
      [404, 'MANIFEST_UNKNOWN', 'not-found'],
      [405, 'UNSUPPORTED', 'unsupported'],
      [400, 'UNSUPPORTED', 'unsupported'],
    ]
    for (const [status, code, want] of answers) {
      srv.handle = (_req, res) => (code ? registryError(res, status, code) : res.writeHead(status).end())
      expect(await client().deleteManifest(name(), MANIFEST_DIGEST)).toBe(want)
    }
    await expect(client().deleteManifest(name(), 'latest')).rejects.toThrow(/by digest/)
  })

  test('a name in the local engine store is refused', async () => {
    await expect(client().listTags(parseImageName('demo/model', 'image', { local: true }))).rejects.toThrow(/local Docker engine/)
  })
})
