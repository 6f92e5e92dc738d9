// The registry client stays bounded whatever the registry does: one deadline over a whole
// tag listing (retries and backoff included), caps on tags and bytes, every body capped
// while it streams, and requests through the runner's proxy. Real loopback servers; the
// deadline is injected short (or the clock is injected), nothing sleeps to synchronise.

import { createHash } from 'node:crypto'
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest'
import { caught, type FaultServer, json, registryError, startFaultServer } from '../__fixtures__/fault-server.js'
import { parseImageName } from '../src/image/reference.js'
import { DEFAULT_TAG_LIST_LIMITS, RegistryClient, RegistryError, isRunEnded, type RegistryClientOptions } from '../src/registry/index.js'

let tmp: string
let srv: FaultServer
let logs: string[]

function client(o: RegistryClientOptions = {}): RegistryClient {
  return new RegistryClient({
    dockerConfigDir: path.join(tmp, 'empty-docker-config'),
    log: { debug: (m) => logs.push(m), warning: (m) => logs.push(m), setSecret: () => undefined },
    ...o,
  })
}

const name = (s: FaultServer = srv, repo = 'acme/model') => parseImageName(`${s.addr}/${repo}`)

/** A tag list that never ends: every page holds `perPage` new tags of `width` characters and links to the next. */
function endlessPages(perPage: number, width = 20): { sentBytes: () => number } {
  let sent = 0
  let page = 0
  srv.handle = (_req, res) => {
    const p = page++
    const tags = Array.from({ length: perPage }, (_, i) => `t${String(p).padStart(6, '0')}-${String(i).padStart(6, '0')}`.padEnd(width, 'x'))
    const body = JSON.stringify({ name: 'acme/model', tags })
    sent += Buffer.byteLength(body)
    json(res, 200, body, { link: `</v2/acme/model/tags/list?n=${perPage}&last=${tags[tags.length - 1]}>; rel="next"` })
  }
  return { sentBytes: () => sent }
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'registry-bounds-'))
  srv = await startFaultServer('127.0.0.1')
})
afterAll(async () => {
  await srv?.close()
  rmSync(tmp, { recursive: true, force: true })
})
beforeEach(() => {
  logs = []
  srv.requests.length = 0
})
afterEach(() => {
  vi.unstubAllEnvs()
})

describe('tag list bounds', () => {
  test('the defaults: one 60 s deadline, 100,000 tags, 32 MiB', () => {
    expect(DEFAULT_TAG_LIST_LIMITS).toEqual({ deadlineMs: 60_000, maxTags: 100_000, maxBytes: 32 << 20 })
  })

  test('a registry that always has a next page: stops past 100,000 tags (default cap) after ~100 requests', async () => {
    const front = endlessPages(1000)
    const e = await caught(client().listTags(name()))
    expect(e.kind).toBe('protocol')
    expect(e.message).toMatch(/has more than 100000 tags; the lookup stops there/)
    expect(e.message).not.toMatch(/maximum size/i)
    expect(srv.requests.length).toBe(101)
    expect(front.sentBytes()).toBeLessThan(4 << 20)
  })

  test('… with big pages: stops at the byte cap, having read at most the cap', async () => {
    const front = endlessPages(2000, 200) // ~400 KB a page
    const maxBytes = 2 << 20
    const e = await caught(client({ tagListLimits: { maxBytes } }).listTags(name()))
    expect(e.kind).toBe('protocol')
    expect(e.message).toMatch(/more than \d+ bytes/)
    // Pages are refused once they would pass the cap: what was read stays under it (the
    // server may have sent one more page, which was not accepted).
    expect(srv.requests.length).toBeLessThanOrEqual(Math.ceil(maxBytes / 400_000) + 1)
    expect(front.sentBytes()).toBeLessThan(maxBytes + 500_000)
  })

  test('a hanging registry: the listing fails at its deadline, not after timeout × attempts', async () => {
    srv.handle = () => undefined // never answers
    const started = Date.now()
    // Per-attempt timeout 30 s and 4 retries as in production; the deadline is what bounds it.
    const e = await caught(client({ tagListLimits: { deadlineMs: 400 } }).listTags(name()))
    const elapsed = Date.now() - started
    expect(e.kind).toBe('network')
    expect(e.message).toMatch(/before its deadline/)
    expect(e.message).toMatch(/did not answer within 0\.\ds/)
    expect(elapsed).toBeLessThan(5_000)
    expect(srv.requests.length).toBe(1)
  })

  test('a registry that answers 503 forever: retries and backoff stop at the deadline (injected clock)', async () => {
    srv.handle = (_req, res) => registryError(res, 503, 'UNAVAILABLE', 'down', { 'retry-after': '20' })
    let t = 1_000_000
    const sleeps: number[] = []
    const c = client({
      now: () => t,
      sleep: (ms) => {
        sleeps.push(ms)
        t += ms
        return Promise.resolve()
      },
      retries: 10,
      tagListLimits: { deadlineMs: 60_000 },
    })
    const e = await caught(c.listTags(name()))
    expect(e.message).toMatch(/before its deadline \(last attempt: HTTP 503/)
    // 20 s, 20 s, then a third 20 s wait would end at the deadline: given up without waiting.
    expect(sleeps).toEqual([20_000, 20_000])
    expect(srv.requests.length).toBe(3)
    expect(t - 1_000_000).toBeLessThanOrEqual(60_000)
  })

  test('a per-call override of the limits', async () => {
    endlessPages(10)
    const e = await caught(client().listTags(name(), { maxTags: 25 }))
    expect(e.message).toMatch(/more than 25 tags/)
    expect(srv.requests.length).toBe(3)
  })
})

describe('the end of the run (close)', () => {
  /** A handler that never answers, and a promise of its first request. */
  function silent(): Promise<void> {
    let arrived!: () => void
    const first = new Promise<void>((r) => (arrived = r))
    srv.handle = () => arrived()
    return first
  }

  test('a request under way ends at once (production timeouts: 30 s × 5 attempts); later ones fail without connecting', async () => {
    const first = silent()
    const c = client()
    const listing = caught(c.listTags(name()))
    await first
    c.close()
    const e = await listing
    expect(e.kind).toBe('network')
    expect(e.message).toMatch(/did not list the tags of acme\/model: the run ended first/)
    expect(isRunEnded(e)).toBe(true) // not a registry fault: tolerate() reports nothing for it
    expect(srv.requests).toHaveLength(1)
    const later = await caught(c.headDigest(name(), 'latest'))
    expect(later.message).toMatch(/the run ended first/)
    expect(srv.requests).toHaveLength(1)
  })

  test('a retry wait (Retry-After: 60) is cut short: no second request, no timer left', async () => {
    srv.handle = (_req, res) => registryError(res, 503, 'UNAVAILABLE', 'down', { 'retry-after': '60' })
    // The transport logs the retry just before it waits: the moment to end the run.
    let waiting!: () => void
    const inWait = new Promise<void>((r) => (waiting = r))
    const c = client({
      log: {
        debug: (m) => {
          logs.push(m)
          if (/retry 1\/4 in 60000ms/.test(m)) waiting()
        },
        warning: (m) => logs.push(m),
        setSecret: () => undefined,
      },
    })
    // A manifest read: no deadline of its own (the tag list's would refuse to wait 60 s at all).
    const reading = caught(c.getManifest(name(), 'latest'))
    await inWait
    c.close()
    expect((await reading).message).toMatch(/the run ended first/)
    expect(srv.requests).toHaveLength(1)
  })

  test('the push check has one deadline (60 s) over its attempts and backoff, like the lookup (injected clock)', async () => {
    srv.handle = () => undefined // never answers
    let t = 1_000_000
    const c = client({
      now: () => t,
      sleep: (ms) => {
        t += ms
        return Promise.resolve()
      },
      timeoutMs: 20, // each attempt waits 20 ms (real time) for an answer that never comes
      retries: 1000,
    })
    const e = await caught(c.probePush(name()))
    expect(e.message).toMatch(/could not push to acme\/model \(a test upload, cancelled at once\) before its deadline/)
    expect(t - 1_000_000).toBeLessThanOrEqual(60_000)
    expect(srv.requests.length).toBeLessThan(30)
  })
})

describe('bodies are capped while they stream', () => {
  test('an endless chunked manifest body is cut at the cap (4 MiB), the connection closed', async () => {
    let written = 0
    let closed = false
    srv.handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
      const chunk = Buffer.alloc(64 << 10, 0x20)
      const pump = (): void => {
        while (!closed && res.write(chunk)) written += chunk.length
        if (!closed) res.once('drain', pump)
      }
      res.on('close', () => (closed = true))
      pump()
    }
    const e = await caught(client().getManifest(name(), 'latest'))
    expect(e.kind).toBe('protocol')
    expect(e.message).toMatch(/sent more than 4194304 bytes/)
    await vi.waitFor(() => expect(closed).toBe(true))
    // The client read at most the cap plus what was in flight in socket buffers.
    expect(written).toBeLessThan(32 << 20)
  })

  test('a body that stops half-way (headers sent, then silence) times out like no answer at all', async () => {
    srv.handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
      res.write('{"tags":["a",')
    }
    const started = Date.now()
    const e = await caught(client({ timeoutMs: 200, retries: 1, sleep: () => Promise.resolve() }).listTags(name()))
    expect(e.kind).toBe('network')
    expect(e.message).toMatch(/broke off after 13 bytes \(127\.0\.0\.1:\d+ did not answer within 0\.2s\)/)
    expect(srv.requests.length).toBe(2)
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  test('a declared Content-Length over the cap is refused before reading', async () => {
    srv.handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(1 << 30) })
      res.write('{"tags":[')
    }
    const e = await caught(client().getManifest(name(), 'latest'))
    expect(e.message).toMatch(/sent a response of 1073741824 bytes \(limit 4194304\)/)
    const l = await caught(client().listTags(name(), { maxBytes: 1 << 20 }))
    expect(l.message).toMatch(/the tag list of acme\/model has more than 1048576 bytes; the lookup stops there/)
  })
})

describe('proxy', () => {
  let proxy: net.Server
  let proxyAddr: string
  const connects: string[] = []

  beforeAll(async () => {
    // A CONNECT proxy (what HTTPS_PROXY/HTTP_PROXY name on a runner) that tunnels every host to the fault server.
    proxy = http.createServer((_req, res) => res.writeHead(405).end())
    proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      connects.push(req.url ?? '')
      const [host, port] = srv.addr.split(':') as [string, string]
      const up = net.connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        up.write(head)
        up.pipe(socket)
        socket.pipe(up)
      })
      up.on('error', () => socket.destroy())
      socket.on('error', () => up.destroy())
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    proxyAddr = `127.0.0.1:${(proxy.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise<void>((r) => proxy.close(() => r()))
  })
  beforeEach(() => {
    connects.length = 0
  })

  const remote = parseImageName('registry.test:5000/acme/model')

  test('HTTP_PROXY: requests to a registry go through the proxy', async () => {
    vi.stubEnv('HTTP_PROXY', `http://${proxyAddr}`)
    vi.stubEnv('NO_PROXY', '')
    srv.handle = (_req, res) => json(res, 200, { name: 'acme/model', tags: ['b', 'a'] })
    const c = client({ insecureRegistries: ['registry.test:5000'] })
    expect(await c.listTags(remote)).toEqual(['a', 'b'])
    expect(connects).toEqual(['registry.test:5000'])
    expect(srv.requests.map((r) => r.url)).toEqual(['/v2/acme/model/tags/list?n=1000'])
  })

  test('NO_PROXY: a listed host is reached directly (here: it does not resolve)', async () => {
    vi.stubEnv('HTTP_PROXY', `http://${proxyAddr}`)
    vi.stubEnv('NO_PROXY', 'example.org,registry.test')
    const e = await caught(client({ insecureRegistries: ['registry.test:5000'], retries: 0 }).listTags(remote))
    expect(e.kind).toBe('network')
    expect(e.message).toMatch(/ENOTFOUND|EAI_AGAIN/)
    expect(connects).toEqual([])
  })

  test('loopback registries never go through the proxy', async () => {
    vi.stubEnv('HTTP_PROXY', `http://${proxyAddr}`)
    srv.handle = (_req, res) => json(res, 200, { tags: ['x'] })
    expect(await client().listTags(name())).toEqual(['x'])
    expect(connects).toEqual([])
  })
})

describe('keep-alive', () => {
  test('sequential requests of every kind share one connection (each response is read to its end)', async () => {
    const sockets = new Set<unknown>()
    const order: string[] = []
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { digest: `sha256:${'a'.repeat(64)}`, size: 1 },
      layers: [],
    })
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`
    srv.handle = (req, res) => {
      if (!sockets.has(req.socket)) order.push(`${req.method} ${req.url}`)
      sockets.add(req.socket)
      if (req.url?.includes('/tags/list')) return json(res, 200, { tags: ['a'] })
      if (req.url?.includes('/manifests/missing')) return registryError(res, 404, 'MANIFEST_UNKNOWN')
      json(res, 200, body, { 'docker-content-digest': digest })
    }
    const c = client()
    const n = name()
    // A response read to its end frees its connection within a turn of the event loop; one
    // never read keeps it busy until the request timeout — and holds the
    // process open that long after its last line.
    const turn = (): Promise<void> => new Promise((r) => setImmediate(r))
    expect(await c.headDigest(n, 'latest')).toBe(digest)
    await turn()
    expect(await c.headDigest(n, 'missing')).toBeUndefined() // 404: a pass-through status
    await turn()
    expect(await c.listTags(n)).toEqual(['a'])
    await turn()
    expect(await c.getManifest(n, 'missing')).toBeUndefined()
    await turn()
    expect(await c.headDigest(n, 'latest')).toBe(digest)
    expect(srv.requests.length).toBe(5)
    expect(order).toHaveLength(1)
    expect(sockets.size).toBe(1)
  })
})

describe('TLS', () => {
  test('https to a plain-http registry: a permanent error that suggests insecure-registries, not retried', async () => {
    srv.handle = (_req, res) => json(res, 200, { tags: [] })
    const { Transport } = await import('../src/registry/transport.js')
    const sleeps: number[] = []
    const t = new Transport({
      log: { debug: () => undefined, warning: () => undefined, setSecret: () => undefined },
      sleep: (ms) => (sleeps.push(ms), Promise.resolve()),
      dockerConfigDir: path.join(tmp, 'none'),
    })
    const reg = { name: srv.addr, host: srv.addr, scheme: 'https' as const }
    let err: unknown
    try {
      await t.send(reg, { method: 'GET', url: new URL(`https://${srv.addr}/v2/`), scope: '', maxBytes: 1024, what: 'ping' })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(RegistryError)
    expect((err as RegistryError).kind).toBe('network')
    expect((err as RegistryError).message).toMatch(/ERR_SSL_WRONG_VERSION_NUMBER|EPROTO/)
    expect((err as RegistryError).message).toMatch(/list it in insecure-registries/)
    expect(sleeps).toEqual([])
  })
})

describe('reachability check (RegistryClient.reachable)', () => {
  test('any HTTP answer, a 401 included, is an answer: one request, no credentials asked for', async () => {
    srv.handle = (_req, res) => registryError(res, 401, 'UNAUTHORIZED', 'auth', { 'www-authenticate': 'Bearer realm="http://127.0.0.1:1/token"' })
    expect(await client().reachable(name())).toBeUndefined()
    expect(srv.requests.map((r) => r.url)).toEqual(['/v2/'])
  })

  test('a hanging registry: no answer within its own deadline, one attempt', async () => {
    srv.handle = () => undefined
    const started = Date.now()
    const why = await client().reachable(name(), 300)
    expect(why).toMatchObject({ code: 'TimeoutError', ms: 300 })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(srv.requests.length).toBe(1)
  })

  test('a refused connection: at most three attempts, then ECONNREFUSED', async () => {
    const probe = net.createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    const sleeps: number[] = []
    const c = client({ sleep: (ms) => (sleeps.push(ms), Promise.resolve()) })
    expect(await c.reachable(parseImageName(`127.0.0.1:${port}/acme/model`))).toMatchObject({ code: 'ECONNREFUSED' })
    expect(sleeps).toHaveLength(2)
  })

  test('a name that does not resolve: ENOTFOUND (or EAI_AGAIN without DNS) at once', async () => {
    const why = await client().reachable(parseImageName('registry.conda-image-action.invalid/acme/model'), 5_000)
    expect(why?.code).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/)
  })

  test('the run ended: the check ends with it (RunEnded), not at its deadline', async () => {
    let arrived!: () => void
    const request = new Promise<void>((r) => (arrived = r))
    srv.handle = () => arrived() // never answers
    const c = client()
    const check = c.reachable(name(), 60_000)
    await request
    c.close()
    expect(isRunEnded(await check.catch((e: unknown) => e))).toBe(true)
  })
})
