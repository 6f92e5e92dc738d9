// Retention on ghcr.io through the GitHub Packages REST API, against a loopback server that
// behaves like the documented endpoints (__fixtures__/github-packages-api.ts).

import http from 'node:http'
import type { AddressInfo } from 'node:net'
import net from 'node:net'
import { afterEach, beforeEach, describe, expect, it, test, vi } from 'vitest'
import { error, startGitHubApi, type GitHubApi } from '../__fixtures__/github-api.js'
import { startGitHubPackagesApi, type GitHubPackagesApi } from '../__fixtures__/github-packages-api.js'
import { referrerTree, type Referrers } from '../src/registry/referrers.js'
import { applyRetention, ghcrBackend, planRetention, type TagInfo } from '../src/retention/index.js'

const TOKEN = 'ghs_retention-test-token'
const READONLY = 'ghs_no-admin-token'

function digest(i: number): string {
  return `sha256:${i.toString(16).padStart(64, '0')}`
}

let api: GitHubPackagesApi
const sleeps: number[] = []

beforeEach(async () => {
  api = await startGitHubPackagesApi()
  api.addToken(TOKEN, 'github-actions[bot]').addToken(READONLY, 'reader')
  sleeps.length = 0
})

afterEach(async () => {
  vi.unstubAllGlobals()
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
  await api.close()
})

function backend(o: Partial<Parameters<typeof ghcrBackend>[0]> = {}) {
  return ghcrBackend({ token: TOKEN, apiUrl: api.origin, owner: 'acme', packageName: 'model/sub', sleep: (ms) => (sleeps.push(ms), Promise.resolve()), ...o })
}

function versionRequests(method: string) {
  return api.requests.filter((r) => r.method === method && r.path.includes('/packages/container/'))
}

describe('ghcrBackend', () => {
  it('pages through every version with per_page=100 and Link, then deletes by id with the package name encoded', async () => {
    const p = api.addPackage('org', 'acme', 'model/sub', { admins: ['github-actions[bot]'] })
    for (let i = 1; i <= 250; i++) api.addVersion(p, digest(i), i % 10 === 0 ? [`t${i}`] : [])
    const b = backend()
    // digest(1) is the oldest version: on the last page.
    expect(await b.deleteDigest(digest(1))).toBe('deleted')
    expect(await b.deleteDigest(digest(200))).toBe('deleted')
    expect(p.versions.map((v) => v.name)).not.toContain(digest(1))
    expect(p.versions.map((v) => v.name)).not.toContain(digest(200))
    expect(p.versions).toHaveLength(248)

    const gets = versionRequests('GET')
    expect(gets.map((r) => [r.path, r.query.get('per_page'), r.query.get('page')])).toEqual([
      ['/orgs/acme/packages/container/model%2Fsub/versions', '100', null],
      ['/orgs/acme/packages/container/model%2Fsub/versions', '100', '2'],
      ['/orgs/acme/packages/container/model%2Fsub/versions', '100', '3'],
    ]) // listed once, not per delete
    const deletes = versionRequests('DELETE')
    expect(deletes.map((r) => [r.path, r.status])).toEqual([
      [`/orgs/acme/packages/container/model%2Fsub/versions/5000`, 204],
      [`/orgs/acme/packages/container/model%2Fsub/versions/5199`, 204],
    ])
    for (const r of api.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`)
      expect(r.headers.accept).toBe('application/vnd.github+json')
    }
  })

  test.each<[string, 'org' | 'user' | undefined, string[]]>([
    ['tries the org, then the user endpoints', undefined, ['/orgs/octo/packages/container/model/versions', '/users/octo/packages/container/model/versions']],
    ['goes straight to the user endpoints with ownerType user', 'user', ['/users/octo/packages/container/model/versions']],
  ])('user-owned package: %s', async (_name, ownerType, listed) => {
    const p = api.addPackage('user', 'octo', 'model', { admins: ['github-actions[bot]'] })
    api.addVersion(p, digest(1), ['base-aaaaaaaaaaaa-20250101'])
    api.addVersion(p, digest(2), ['latest'])
    const b = backend({ owner: 'octo', packageName: 'model', ownerType })
    expect(await b.deleteDigest(digest(1))).toBe('deleted')
    expect(versionRequests('GET').map((r) => r.path)).toEqual(listed)
    expect(versionRequests('DELETE').map((r) => r.path)).toEqual([`/users/octo/packages/container/model/versions/5000`])
    expect(p.versions.map((v) => v.name)).toEqual([digest(2)])
  })

  it('ownerType org does not fall back to the user endpoints', async () => {
    const p = api.addPackage('user', 'octo', 'model', { admins: ['github-actions[bot]'] })
    api.addVersion(p, digest(1))
    const b = backend({ owner: 'octo', packageName: 'model', ownerType: 'org' })
    expect(await b.deleteDigest(digest(1))).toBe('denied')
    expect(b.explain!('denied')).toMatch(/HTTP 404/)
    expect(p.versions).toHaveLength(1)
  })

  test.each<[string, 403 | 404]>([
    ['403', 403],
    ['404', 404],
  ])('without admin access the delete answers %s: denied, with what to do', async (_n, status) => {
    const p = api.addPackage('org', 'acme', 'model/sub', { admins: ['someone-else'], deniedStatus: status })
    api.addVersion(p, digest(1))
    const b = backend()
    expect(await b.deleteDigest(digest(1))).toBe('denied')
    expect(p.versions).toHaveLength(1)
    const why = b.explain!('denied')
    expect(why).toContain(`HTTP ${status}`)
    expect(why).toMatch(/Admin/)
    expect(why).toContain('Manage Actions access')
    expect(why).toContain('packages: write')
    expect(why).not.toContain(TOKEN)
  })

  it('bad credentials on the listing: denied, nothing deleted', async () => {
    const p = api.addPackage('org', 'acme', 'model/sub', { admins: ['github-actions[bot]'] })
    api.addVersion(p, digest(1))
    const b = backend({ token: 'ghs_unknown' })
    expect(await b.deleteDigest(digest(1))).toBe('denied')
    expect(b.explain!('denied')).toContain('Bad credentials')
    expect(versionRequests('DELETE')).toHaveLength(0)
  })

  it('a digest that is no package version: not-found', async () => {
    const p = api.addPackage('org', 'acme', 'model/sub', { admins: ['github-actions[bot]'] })
    api.addVersion(p, digest(1))
    expect(await backend().deleteDigest(digest(9))).toBe('not-found')
    expect(versionRequests('DELETE')).toHaveLength(0)
  })

  it('retries a 502 and honours Retry-After of a 429', async () => {
    const p = api.addPackage('org', 'acme', 'model/sub', { admins: ['github-actions[bot]'] })
    api.addVersion(p, digest(1))
    let calls = 0
    const real = api.packages.get('org:acme/model/sub')!
    api.route(
      'GET',
      '/orgs/:org/packages/container/:pkg/versions',
      () => {
        calls++
        if (calls === 1) return error(502, 'Server Error')
        if (calls === 2) return { ...error(429, 'slow down'), headers: { 'retry-after': '7' } }
        return { status: 200, body: real.versions }
      },
      { write: false },
    )
    expect(await backend().deleteDigest(digest(1))).toBe('deleted')
    expect(calls).toBe(3)
    expect(sleeps).toEqual([500, 7000])
  })

  it('gives up after the retries with an error naming the status', async () => {
    api.route('GET', '/orgs/:org/packages/container/:pkg/versions', () => error(503, 'unavailable'), { write: false })
    await expect(backend({ retries: 2 }).deleteDigest(digest(1))).rejects.toThrow(/HTTP 503/)
    expect(versionRequests('GET')).toHaveLength(3)
  })

  it('never follows a Link to another host with the token', async () => {
    const p = api.addPackage('org', 'acme', 'model/sub', { admins: ['github-actions[bot]'] })
    api.addVersion(p, digest(1))
    api.route(
      'GET',
      '/orgs/:org/packages/container/:pkg/versions',
      () => ({
        status: 200,
        body: [],
        headers: { link: '<http://198.51.100.7/orgs/acme/packages/container/model%2Fsub/versions?page=2>; rel="next"' },
      }),
      { write: false },
    )
    await expect(backend().deleteDigest(digest(1))).rejects.toThrow(/refusing to send the GitHub token/)
  })

  it('no token: denied without a request', async () => {
    const b = backend({ token: '' })
    expect(await b.deleteDigest(digest(1))).toBe('denied')
    expect(api.requests).toHaveLength(0)
  })
})

describe('ghcrBackend transport', () => {
  it('goes over node:http(s) with the transport, never the global fetch', async () => {
    const fetchSpy = vi.fn(() => Promise.reject(new Error('the global fetch was used')))
    vi.stubGlobal('fetch', fetchSpy)
    const requestSpy = vi.spyOn(http, 'request')
    const p = api.addPackage('org', 'acme', 'model/sub', { admins: ['github-actions[bot]'] })
    for (let i = 1; i <= 150; i++) api.addVersion(p, digest(i))
    expect(await backend().deleteDigest(digest(1))).toBe('deleted')
    expect(fetchSpy).not.toHaveBeenCalled()
    // Two pages and the delete, each one node:http request (the API root here is plain http).
    expect(requestSpy).toHaveBeenCalledTimes(3)
    expect(api.requests.map((r) => [r.method, r.status, r.headers['user-agent']])).toEqual([
      ['GET', 200, 'conda-image-action'],
      ['GET', 200, 'conda-image-action'],
      ['DELETE', 204, 'conda-image-action'],
    ])
  })

  test.each<[string, 'GET' | 'DELETE', 301 | 302 | 307]>([
    ['the listing answers 301 (a moved resource)', 'GET', 301],
    ['the listing answers 302', 'GET', 302],
    ['the delete answers 307', 'DELETE', 307],
  ])('a redirect to another origin is not followed and the token never gets there: %s', async (_name, method, status) => {
    const other: GitHubApi = await startGitHubApi()
    try {
      other.addToken(TOKEN, 'github-actions[bot]')
      const p = api.addPackage('org', 'acme', 'model/sub', { admins: ['github-actions[bot]'] })
      api.addVersion(p, digest(1))
      // What api.github.com sends for a moved resource: the new address in Location and in the body.
      const moved = (path: string) => {
        const location = `${other.origin}${path}`
        return {
          status,
          headers: { location },
          body: {
            message: status === 301 ? 'Moved Permanently' : 'Temporary Redirect',
            url: location,
            documentation_url: 'https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects',
          },
        }
      }
      if (method === 'GET') api.route('GET', '/orgs/:org/packages/container/:pkg/versions', (req) => moved(req.path), { write: false })
      else api.route('DELETE', '/orgs/:org/packages/container/:pkg/versions/:id', (req) => moved(req.path), { write: false })

      await expect(backend().deleteDigest(digest(1))).rejects.toThrow(new RegExp(`HTTP ${status} (Moved Permanently|Temporary Redirect)`))
      expect(other.requests).toEqual([])
      expect(versionRequests(method).map((r) => r.status)).toEqual([status]) // not retried either
      expect(p.versions).toHaveLength(1)
    } finally {
      await other.close()
    }
  })

  it("HTTP_PROXY: the API is reached through the runner's proxy (a CONNECT tunnel)", async () => {
    const connects: string[] = []
    const proxy = http.createServer((_req, res) => res.writeHead(405).end())
    proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      connects.push(req.url ?? '')
      const up = net.connect(Number(new URL(api.origin).port), '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        up.write(head)
        up.pipe(socket)
        socket.pipe(up)
      })
      up.on('error', () => socket.destroy())
      socket.on('error', () => up.destroy())
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    try {
      vi.stubEnv('HTTP_PROXY', `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`)
      vi.stubEnv('NO_PROXY', '')
      const p = api.addPackage('org', 'acme', 'model/sub', { admins: ['github-actions[bot]'] })
      api.addVersion(p, digest(1))
      // A host name that does not resolve: only the proxy can reach it.
      const apiHost = `api.github.test:${new URL(api.origin).port}`
      expect(await backend({ apiUrl: `http://${apiHost}` }).deleteDigest(digest(1))).toBe('deleted')
      expect(connects.length).toBeGreaterThan(0)
      expect(new Set(connects)).toEqual(new Set([apiHost]))
      expect(api.requests.map((r) => [r.method, r.headers.host, r.headers.authorization])).toEqual([
        ['GET', apiHost, `Bearer ${TOKEN}`],
        ['DELETE', apiHost, `Bearer ${TOKEN}`],
      ])
    } finally {
      proxy.closeAllConnections()
      await new Promise<void>((r) => proxy.close(() => r()))
    }
  })

  it('a listing page over the cap (8 MiB) fails at once, not retried', async () => {
    const p = api.addPackage('org', 'acme', 'model/sub', { admins: ['github-actions[bot]'] })
    api.addVersion(p, digest(1))
    const huge = [{ id: 1, name: digest(1), metadata: { package_type: 'container', container: { tags: ['t'.repeat(9 << 20)] } } }]
    api.route('GET', '/orgs/:org/packages/container/:pkg/versions', () => ({ status: 200, body: huge }), { write: false })
    await expect(backend().deleteDigest(digest(1))).rejects.toThrow(/GET \/orgs\/acme\/.*(sent a response of \d+ bytes|sent more than) .*8388608/)
    expect(versionRequests('GET')).toHaveLength(1)
    expect(sleeps).toEqual([])
  })

  it('a request with no answer fails after the per-request timeout, retried like a network failure', async () => {
    api.route('GET', '/orgs/:org/packages/container/:pkg/versions', () => new Promise<never>(() => undefined), { write: false })
    await expect(backend({ timeoutMs: 150, retries: 1 }).deleteDigest(digest(1))).rejects.toThrow(
      /GET \/orgs\/acme\/packages\/container\/model%2Fsub\/versions: .*did not answer within 0\.2s/,
    )
    expect(versionRequests('GET')).toHaveLength(2)
    expect(sleeps).toEqual([500])
  })
})

describe('applyRetention through the GitHub Packages API', () => {
  const TODAY = new Date('2026-03-15T12:00:00Z')
  const NEW = 'base-aaaaaaaaaaaa-20260314'
  const OLD1 = 'base-aaaaaaaaaaaa-20260101'
  const OLD2 = 'base-aaaaaaaaaaaa-20251201'
  const SHARED = 'base-aaaaaaaaaaaa-20251101'

  function seed(admins: string[]) {
    const p = api.addPackage('org', 'acme', 'model/sub', { admins })
    api.addVersion(p, digest(1), [SHARED, 'keep-me'])
    api.addVersion(p, digest(2), [OLD2])
    api.addVersion(p, digest(3), [OLD1])
    api.addVersion(p, digest(4), [NEW, 'latest'])
    api.addVersion(p, digest(5), []) // untagged (a cache or platform manifest)
    const tags: TagInfo[] = p.versions.flatMap((v) => v.metadata.container.tags.map((tag) => ({ tag, digest: v.name })))
    const plan = planRetention(tags, { prefix: 'base-', keepLatest: 1, keepDays: 30, protectTags: [], today: TODAY })
    return { p, plan }
  }

  it('dry-run deletes nothing and lists what true deletes', async () => {
    const { p, plan } = seed(['github-actions[bot]'])
    const dry = await applyRetention(plan, backend(), 'dry-run')
    expect(api.requests).toHaveLength(0)
    expect(p.versions).toHaveLength(5)
    expect(dry.deleted.map((d) => [d.tag, d.digest, d.ageDays])).toEqual([
      [OLD2, digest(2), 104],
      [OLD1, digest(3), 73],
    ])
    expect(dry.protected).toMatchObject([{ tag: SHARED, reason: /keep-me/ }])

    const real = await applyRetention(plan, backend(), 'true')
    expect(real.error).toBeUndefined()
    expect(real.deleted).toEqual(dry.deleted)
    expect(p.versions.map((v) => v.name).sort()).toEqual([digest(1), digest(4), digest(5)])
    expect(real).toMatchObject({ mode: 'true', backend: 'GitHub Packages API' })
  })

  it("a deleted base takes its referrers along as package versions: its SBOM, the SBOM's signature, each referrers tag index; a kept base keeps its own", async () => {
    const p = api.addPackage('org', 'acme', 'model/sub', { admins: ['github-actions[bot]'] })
    // GHCR has no referrers API: each subject's referrers are listed in an index tagged `sha256-<hex>` (the tag schema).
    const index = (subject: string) => `sha256-${subject.slice('sha256:'.length)}`
    const OLD_SBOM = digest(12)
    const SIGNATURE = digest(13)
    const NEW_SBOM = digest(14)
    api.addVersion(p, digest(2), [OLD2])
    api.addVersion(p, digest(4), [NEW])
    api.addVersion(p, OLD_SBOM, [])
    api.addVersion(p, digest(22), [index(digest(2))])
    api.addVersion(p, SIGNATURE, [])
    api.addVersion(p, digest(23), [index(OLD_SBOM)])
    api.addVersion(p, NEW_SBOM, [])
    api.addVersion(p, digest(24), [index(digest(4))])
    const graph = new Map<string, { referrers: string[]; tagIndex: string }>([
      [digest(2), { referrers: [OLD_SBOM], tagIndex: digest(22) }],
      [OLD_SBOM, { referrers: [SIGNATURE], tagIndex: digest(23) }],
      [digest(4), { referrers: [NEW_SBOM], tagIndex: digest(24) }],
    ])
    const list = (subject: string): Promise<Referrers> => {
      const g = graph.get(subject)
      const referrers = (g?.referrers ?? []).map((d) => ({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: d,
        size: 1,
        artifactType: 'application/vnd.cyclonedx+json',
      }))
      return Promise.resolve({ via: 'tag', referrers, ...(g ? { tagIndex: g.tagIndex } : {}) })
    }
    const tags: TagInfo[] = p.versions.flatMap((v) => v.metadata.container.tags.map((tag) => ({ tag, digest: v.name })))
    const plan = planRetention(tags, { prefix: 'base-', keepLatest: 1, keepDays: 30, protectTags: [], today: TODAY })
    expect(plan.delete.map((d) => d.digest)).toEqual([digest(2)])
    const log: string[] = []
    const report = await applyRetention(plan, backend(), 'true', { info: (m) => log.push(m) }, (subject) => referrerTree(list, subject))
    expect(report.error).toBeUndefined()
    expect(p.versions.map((v) => v.name).sort()).toEqual([digest(4), NEW_SBOM, digest(24)].sort())
    // Each after its subject: the base, its SBOM and its index, then the signature and the SBOM's index.
    const deletedIds = versionRequests('DELETE').map((r) => r.path.split('/').pop())
    expect(deletedIds).toHaveLength(5)
    expect(log.filter((m) => m.startsWith('deleted the referre'))).toEqual([
      `deleted the referrer ${OLD_SBOM} of ${digest(2)}`,
      `deleted the referrers index ${digest(22)} of ${digest(2)}`,
      `deleted the referrer ${SIGNATURE} of ${OLD_SBOM}`,
      `deleted the referrers index ${digest(23)} of ${OLD_SBOM}`,
    ])
  })

  it('without admin: the first denial stops the run and is reported, not thrown', async () => {
    const { p, plan } = seed([])
    const report = await applyRetention(plan, backend(), 'true')
    expect(report.deleted).toEqual([])
    expect(report.error).toMatch(/Manage Actions access/)
    expect(report.error).toMatch(/2 of 2 digest\(s\) were not deleted/)
    expect(versionRequests('DELETE')).toHaveLength(1)
    expect(p.versions).toHaveLength(5)
  })
})
