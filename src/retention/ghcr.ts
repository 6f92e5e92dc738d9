// Retention on ghcr.io through the GitHub Packages REST API: the registry API of ghcr.io
// cannot delete, but every manifest digest is a "package version" there
// (`name` = digest, `metadata.container.tags`), deleted by id.
//
//   GET    /orgs/{org}/packages/container/{package}/versions?per_page=100   (or /users/{user}/…)
//   DELETE /orgs/{org}/packages/container/{package}/versions/{id}           → 204
//
// The package name is URL-encoded (`ghcr.io/acme/model/sub` → package `model%2Fsub`).
// Deleting needs Admin access to the package — the workflow's GITHUB_TOKEN gets it through
// the package settings ("Manage Actions access": the repository with the Admin role) plus
// `permissions: packages: write`; GitHub answers 403 (or 404) otherwise.
//
// The requests go over the registry client's transport (node:https, keep-alive agents, the
// runner's proxy settings, a timeout per request, bodies read with a cap), one exchange at a
// time: the token goes in its own header to the API's origin only, and a redirect is never
// followed (GitHub's 301/302/307 come back as they are and fail the call).

import { STATUS_CODES } from 'node:http'
import { RegistryError } from '../registry/errors.js'
import { Transport, type Response } from '../registry/transport.js'
import type { RetentionBackend } from './apply.js'

export interface GhcrBackendOptions {
  token: string
  /** REST API root (the run context's `GITHUB_API_URL`); default https://api.github.com. */
  apiUrl?: string
  /** Organization or user that owns the package (`acme` of `ghcr.io/acme/model`). */
  owner: string
  /** Package name: the repository path after the owner (`model`, `model/sub`). */
  packageName: string
  /** Default: try the organization endpoints, then the user endpoints. */
  ownerType?: 'org' | 'user'
  /** Per request, default 30 s. */
  timeoutMs?: number
  /** Retries of 5xx/429/network failures, default 3. */
  retries?: number
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>
}

interface PackageVersion {
  id: number
  name: string
}

const MAX_PAGES = 500
const MAX_DELAY_MS = 30_000
/** One page of at most 100 versions (each well under 10 KiB, even with many tags). */
const MAX_LIST_BYTES = 8 << 20
/** Any other answer: a delete's empty 204, an error message. */
const MAX_OTHER_BYTES = 1 << 20

class HttpStatus extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

function nextLink(header: string | null): string | undefined {
  if (!header) return undefined
  for (const part of header.split(',')) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim())
    if (m && /\brel\s*=\s*"?next"?/i.test(m[2]!)) return m[1]
  }
  return undefined
}

function messageOf(res: Response): string {
  const text = res.body.toString('utf8')
  try {
    const j = JSON.parse(text) as { message?: unknown }
    if (typeof j.message === 'string') return j.message.slice(0, 300)
  } catch {
    // not JSON
  }
  return text.slice(0, 300) || STATUS_CODES[res.status] || ''
}

/** What one API call needs: the API root (the only origin the token goes to), the token, limits. */
interface Api {
  readonly root: URL
  readonly token: string
  readonly transport: Transport
  readonly retries: number
  readonly sleep: (ms: number) => Promise<void>
}

/** One request with retries of transient failures; never leaves the API's origin. */
async function request(api: Api, method: 'GET' | 'DELETE', url: URL): Promise<Response> {
  if (url.origin !== api.root.origin) throw new Error(`refusing to send the GitHub token to ${url.origin} (API is ${api.root.origin})`)
  for (let attempt = 0; ; attempt++) {
    let res: Response | undefined
    let failure: unknown
    try {
      // One exchange: no redirect followed, the body read up to the cap within the timeout.
      res = await api.transport.exchange(url, {
        method,
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${api.token}`,
          'x-github-api-version': '2022-11-28',
        },
        maxBytes: method === 'GET' ? MAX_LIST_BYTES : MAX_OTHER_BYTES,
      })
    } catch (e) {
      // A body over the cap is no fault another attempt mends.
      if (e instanceof RegistryError && e.kind === 'protocol') throw new Error(`${method} ${url.pathname}: ${e.message}`, { cause: e })
      failure = e
    }
    const transient = !res || res.status >= 500 || res.status === 429
    if (!transient) return res!
    if (attempt >= api.retries) {
      if (res) throw new HttpStatus(res.status, `${method} ${url.pathname}: HTTP ${res.status} ${messageOf(res)}`)
      throw new Error(`${method} ${url.pathname}: ${failure instanceof Error ? failure.message : String(failure)}`)
    }
    let delay = Math.min(MAX_DELAY_MS, 500 * 2 ** attempt)
    const after = res?.headers.get('retry-after')
    if (after && /^\d+$/.test(after)) delay = Math.min(MAX_DELAY_MS, Number(after) * 1000)
    await api.sleep(delay)
  }
}

/** Version ids by digest (version name) under `base`, every page; or the 401/403/404 status that refused it. */
async function listVersions(api: Api, base: URL, display: string, onRefused: (problem: string) => void): Promise<Map<string, number> | number> {
  const byDigest = new Map<string, number>()
  const first = new URL(base)
  first.searchParams.set('per_page', '100')
  let url: URL | undefined = first
  const seen = new Set<string>()
  for (let page = 0; url; page++) {
    if (page >= MAX_PAGES || seen.has(url.href)) throw new Error(`GitHub Packages API: the version list of ${display} does not end`)
    seen.add(url.href)
    const res = await request(api, 'GET', url)
    if (res.status !== 200) {
      const msg = messageOf(res)
      if ([401, 403, 404].includes(res.status)) {
        onRefused(`HTTP ${res.status} ${msg}`)
        return res.status
      }
      throw new HttpStatus(res.status, `GitHub Packages API: listing the versions of ${display}: HTTP ${res.status} ${msg}`)
    }
    let body: unknown
    try {
      body = JSON.parse(res.body.toString('utf8'))
    } catch {
      body = undefined
    }
    if (!Array.isArray(body)) throw new Error(`GitHub Packages API: unexpected version list for ${display}`)
    for (const v of body as PackageVersion[]) {
      if (v && typeof v.name === 'string' && typeof v.id === 'number') byDigest.set(v.name, v.id)
    }
    const next = nextLink(res.headers.get('link'))
    url = next ? new URL(next, url) : undefined
  }
  return byDigest
}

export function ghcrBackend(opts: GhcrBackendOptions): RetentionBackend {
  const root = new URL((opts.apiUrl || 'https://api.github.com').replace(/\/+$/, '') + '/')
  const api: Api = {
    root,
    token: opts.token,
    // Its own retries are not used: exchange() makes one attempt, request() retries as GitHub asks.
    transport: new Transport({ timeoutMs: opts.timeoutMs ?? 30_000, retries: 0 }),
    retries: opts.retries ?? 3,
    sleep: opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
  }
  const owner = encodeURIComponent(opts.owner)
  const pkg = encodeURIComponent(opts.packageName)
  const display = `ghcr.io/${opts.owner}/${opts.packageName}`
  let problem = ''
  let versions: Promise<{ base: URL; byDigest: Map<string, number> } | undefined> | undefined

  async function load(): Promise<{ base: URL; byDigest: Map<string, number> } | undefined> {
    const kinds = opts.ownerType ? [opts.ownerType] : (['org', 'user'] as const)
    for (const kind of kinds) {
      const base = new URL(`${kind === 'org' ? 'orgs' : 'users'}/${owner}/packages/container/${pkg}/versions`, root)
      const r = await listVersions(api, base, display, (p) => (problem = p))
      if (typeof r !== 'number') return { base, byDigest: r }
      // 404: not an organization (or not visible to the token) — try the user endpoints.
      if (r !== 404) return undefined
    }
    return undefined
  }

  return {
    name: 'GitHub Packages API',
    async deleteDigest(digest) {
      if (!opts.token) {
        problem = 'no github-token'
        return 'denied'
      }
      versions ??= load()
      let v: Awaited<typeof versions>
      try {
        v = await versions
      } catch (e) {
        versions = undefined // a later call may try again
        throw e
      }
      if (!v) return 'denied'
      const id = v.byDigest.get(digest)
      if (id === undefined) return 'not-found'
      const res = await request(api, 'DELETE', new URL(`${v.base.pathname.replace(/\/+$/, '')}/${id}`, root))
      if (res.status === 204 || res.status === 200 || res.status === 202) {
        v.byDigest.delete(digest)
        return 'deleted'
      }
      const msg = messageOf(res)
      if ([401, 403, 404].includes(res.status)) {
        problem = `HTTP ${res.status} ${msg}`
        return 'denied'
      }
      throw new HttpStatus(res.status, `GitHub Packages API: deleting version ${id} (${digest}) of ${display}: HTTP ${res.status} ${msg}`)
    },
    explain(outcome) {
      if (outcome === 'unsupported') return `GitHub Packages API cannot delete versions of ${display}`
      const hidden = problem.startsWith('HTTP 404') ? '; GitHub answers 404 when the package does not exist or the token may not see it' : ''
      return (
        `GitHub Packages refused to delete versions of ${display}${problem ? ` (${problem}${hidden})` : ''}: the token needs Admin access to the package — ` +
        `in the package settings, "Manage Actions access", give this repository the Admin role — and the workflow needs \`permissions: packages: write\``
      )
    },
  }
}
