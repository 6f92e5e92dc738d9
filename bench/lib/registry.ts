// Loopback Distribution registry helpers for the benchmarks: seeding repositories with many
// tags (one tiny real image under N tags, PUT over HTTP with bounded concurrency), listing
// and deleting. Only ever talks to the loopback registry.

import { createHash } from 'node:crypto'
import http from 'node:http'

export const REGISTRY = process.env.BENCH_REGISTRY ?? '127.0.0.1:5000'
if (!/^(127\.\d+\.\d+\.\d+|localhost)(:\d+)?$/.test(REGISTRY)) {
  throw new Error(`BENCH_REGISTRY must be a loopback address, not ${REGISTRY}`)
}
const BASE = `http://${REGISTRY}`
export const BUSYBOX_REPO = 'test/busybox'
export const BUSYBOX = `${REGISTRY}/${BUSYBOX_REPO}:latest`

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  OCI_MANIFEST,
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ')
const TIMEOUT_MS = 30_000

/** Marker tag: present only when every filler tag of the repository has been pushed. */
export const MARKER_TAG = 'bench-seeded'
/** Prefix of all repositories the benchmarks create (what `--clean` deletes). */
export const REPO_PREFIX = 'bench-'

async function req(method: string, url: string, init: { headers?: Record<string, string>; body?: Uint8Array | string } = {}): Promise<Response> {
  const full = url.startsWith('http') ? url : `${BASE}${url}`
  if (!full.startsWith(BASE)) throw new Error(`refusing a non-loopback URL: ${full}`)
  return fetch(full, { method, headers: init.headers, body: init.body, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' })
}

async function ok(r: Response, what: string): Promise<Response> {
  if (!r.ok) throw new Error(`${what}: HTTP ${r.status} ${(await r.text().catch(() => '')).slice(0, 300)}`)
  return r
}

export async function registryUp(): Promise<boolean> {
  try {
    return (await req('GET', '/v2/')).ok
  } catch {
    return false
  }
}

export async function manifestExists(repo: string, ref: string): Promise<boolean> {
  const r = await req('HEAD', `/v2/${repo}/manifests/${ref}`, { headers: { Accept: ACCEPT } })
  return r.ok
}

export interface SeedImage {
  bytes: Uint8Array
  mediaType: string
  digest: string
}

function sha256(b: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`
}

async function uploadBlob(repo: string, body: Uint8Array): Promise<string> {
  const digest = sha256(body)
  if ((await req('HEAD', `/v2/${repo}/blobs/${digest}`)).ok) return digest
  const start = await ok(await req('POST', `/v2/${repo}/blobs/uploads/`), `start upload to ${repo}`)
  const loc = start.headers.get('location')
  if (!loc) throw new Error('upload without Location')
  const u = new URL(loc, BASE)
  u.searchParams.set('digest', digest)
  await ok(await req('PUT', u.toString(), { headers: { 'Content-Type': 'application/octet-stream' }, body }), `upload blob to ${repo}`)
  return digest
}

async function mountBlob(repo: string, digest: string, from: string): Promise<void> {
  if ((await req('HEAD', `/v2/${repo}/blobs/${digest}`)).ok) return
  const r = await req('POST', `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`)
  if (r.status === 201) return
  // Not mountable: copy it.
  await r.body?.cancel()
  const blob = new Uint8Array(await (await ok(await req('GET', `/v2/${from}/blobs/${digest}`), `get blob ${digest}`)).arrayBuffer())
  await uploadBlob(repo, blob)
}

/**
 * Pushes one tiny real image into `repo` (busybox's layer, mounted from test/busybox, with a
 * config that adds one label — what `FROM busybox` + `LABEL` builds) under `tag`, and returns
 * its manifest so it can be PUT again under other tags.
 */
export async function pushSeedImage(repo: string, tag: string): Promise<SeedImage> {
  const src = await ok(await req('GET', `/v2/${BUSYBOX_REPO}/manifests/latest`, { headers: { Accept: OCI_MANIFEST } }), `get ${BUSYBOX}`)
  const manifest = (await src.json()) as {
    mediaType?: string
    config: { digest: string; size: number; mediaType: string }
    layers: { digest: string; size: number; mediaType: string }[]
  }
  if (!manifest.layers || !manifest.config) throw new Error(`${BUSYBOX} is not a single-platform image manifest`)
  const cfg = (await (await ok(await req('GET', `/v2/${BUSYBOX_REPO}/blobs/${manifest.config.digest}`), 'get busybox config')).json()) as {
    config?: { Labels?: Record<string, string> }
  }
  cfg.config = {
    ...(cfg.config ?? {}),
    Labels: { ...(cfg.config?.Labels ?? {}), 'org.opencontainers.image.description': 'conda-image-action benchmark seed image' },
  }
  const cfgBytes = new TextEncoder().encode(JSON.stringify(cfg))
  const cfgDigest = await uploadBlob(repo, cfgBytes)
  for (const l of manifest.layers) await mountBlob(repo, l.digest, BUSYBOX_REPO)
  const out = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: manifest.config.mediaType, digest: cfgDigest, size: cfgBytes.length },
    layers: manifest.layers,
  }
  const bytes = new TextEncoder().encode(JSON.stringify(out))
  const image = { bytes, mediaType: OCI_MANIFEST, digest: sha256(bytes) }
  await putTag(repo, tag, image)
  return image
}

// Tag PUTs go through node:http with a keep-alive agent: fetch costs ~2 ms of client CPU a
// request, which on a 2-core machine is taken from the registry doing the actual work.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })

function putManifest(repo: string, tag: string, image: SeedImage): Promise<void> {
  const [host, port] = REGISTRY.split(':')
  return new Promise((resolve, reject) => {
    const r = http.request(
      {
        host,
        port: Number(port ?? 80),
        method: 'PUT',
        path: `/v2/${repo}/manifests/${encodeURIComponent(tag)}`,
        agent,
        timeout: TIMEOUT_MS,
        headers: { 'Content-Type': image.mediaType, 'Content-Length': image.bytes.length },
      },
      (res) => {
        res.resume()
        res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`PUT ${repo}:${tag}: HTTP ${res.statusCode}`))))
      },
    )
    r.on('timeout', () => r.destroy(new Error(`PUT ${repo}:${tag}: timeout`)))
    r.on('error', reject)
    r.end(image.bytes)
  })
}

export async function putTag(repo: string, tag: string, image: SeedImage): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await putManifest(repo, tag, image)
    } catch (e) {
      if (attempt >= 4) throw e
      await new Promise((res) => setTimeout(res, 200 * attempt))
    }
  }
}

/** Lets the process exit (keep-alive sockets otherwise hold it open for a while). */
export function closeRegistryConnections(): void {
  agent.destroy()
}

/** Runs `f` over `items` with at most `limit` in flight. */
export async function pool<T>(items: readonly T[], limit: number, f: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      await f(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/** Deterministic filler tags: dated base tags of other environments (and a few others). */
export function fillerTags(count: number, prefix = 'base-'): string[] {
  const out: string[] = []
  const day0 = Date.UTC(2024, 0, 1)
  for (let i = 0; i < count; i++) {
    const h = createHash('sha256').update(`bench-filler-${i}`).digest('hex')
    if (i % 50 === 49) {
      out.push(`sha-${h.slice(0, 7)}`) // application tags live in the same repository
      continue
    }
    const d = new Date(day0 + (i % 700) * 86_400_000)
    const ymd = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`
    out.push(`${prefix}${h.slice(0, 12)}-${ymd}`)
  }
  return out
}

export interface SeedResult {
  repo: string
  /** Tags PUT in this run (0 when the repository was already seeded). */
  pushed: number
  ms: number
  reused: boolean
}

/**
 * Makes `repo` hold `total` tags: `total - 2` filler tags, the marker tag (PUT last: the
 * repository is complete), and `hashTag` (the dated base tag of the benchmarked environment,
 * added on its own, so a changed environment hash costs one PUT and not a reseed).
 */
export async function seedRepo(repo: string, total: number, hashTag: string | undefined, concurrency = 8, log?: (s: string) => void): Promise<SeedResult> {
  const start = performance.now()
  let pushed = 0
  const reused = await manifestExists(repo, MARKER_TAG)
  if (!reused) {
    const fillers = fillerTags(Math.max(0, total - 2))
    const image = await pushSeedImage(repo, fillers[0] ?? MARKER_TAG)
    pushed++
    let done = 0
    await pool(fillers.slice(1), concurrency, async (t) => {
      await putTag(repo, t, image)
      pushed++
      if (++done % 10_000 === 0) log?.(`    ${repo}: ${done}/${fillers.length} tags`)
    })
    await putTag(repo, MARKER_TAG, image)
    pushed++
  }
  if (hashTag && !(await manifestExists(repo, hashTag))) {
    await putTag(repo, hashTag, await imageOf(repo, MARKER_TAG))
    pushed++
  }
  return { repo, pushed, ms: performance.now() - start, reused }
}

async function imageOf(repo: string, ref: string): Promise<SeedImage> {
  const r = await ok(await req('GET', `/v2/${repo}/manifests/${ref}`, { headers: { Accept: ACCEPT } }), `GET ${repo}:${ref}`)
  const bytes = new Uint8Array(await r.arrayBuffer())
  return { bytes, mediaType: r.headers.get('content-type') ?? OCI_MANIFEST, digest: r.headers.get('docker-content-digest') ?? sha256(bytes) }
}

/** All tags, following `Link` pagination (bounded). */
export async function listTags(repo: string, pageSize?: number): Promise<string[]> {
  const out: string[] = []
  let url: string | undefined = `/v2/${repo}/tags/list${pageSize ? `?n=${pageSize}` : ''}`
  for (let pages = 0; url && pages < 100_000; pages++) {
    const r: Response = await req('GET', url)
    if (r.status === 404) return []
    await ok(r, `list tags of ${repo}`)
    const j = (await r.json()) as { tags: string[] | null }
    out.push(...(j.tags ?? []))
    const link = r.headers.get('link')
    const m = link ? /<([^>]+)>;\s*rel="next"/.exec(link) : null
    url = m ? m[1] : undefined
  }
  return out
}

export async function catalog(): Promise<string[]> {
  const out: string[] = []
  let url: string | undefined = '/v2/_catalog?n=1000'
  for (let pages = 0; url && pages < 1000; pages++) {
    const r: Response = await ok(await req('GET', url), 'catalog')
    out.push(...(((await r.json()) as { repositories: string[] | null }).repositories ?? []))
    const m = /<([^>]+)>;\s*rel="next"/.exec(r.headers.get('link') ?? '')
    url = m ? m[1] : undefined
  }
  return out
}

/** Deletes every manifest (by digest: that removes all its tags) of `repo`. */
export async function deleteRepo(repo: string): Promise<number> {
  const tags = await listTags(repo)
  const digests = new Set<string>()
  // One HEAD per distinct tag would be 50,000 requests for a seeded repository; seeded
  // repositories hold few distinct digests, so resolve tags until a delete empties it.
  for (let round = 0; round < 1000; round++) {
    const left = round === 0 ? tags : await listTags(repo)
    if (left.length === 0) break
    const r = await req('HEAD', `/v2/${repo}/manifests/${left[0]}`, { headers: { Accept: ACCEPT } })
    const d = r.headers.get('docker-content-digest')
    if (!r.ok || !d) break
    digests.add(d)
    await ok(await req('DELETE', `/v2/${repo}/manifests/${d}`), `DELETE ${repo}@${d}`)
  }
  return digests.size
}
