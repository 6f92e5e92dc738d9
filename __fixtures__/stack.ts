// Helpers for end-to-end tests on the real stack: the Distribution registry on
// 127.0.0.1:5000 and the Docker engine with BuildKit. Tests use unique repositories and
// remove what they pushed.

import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { cacheConfigBytes } from '../src/buildx/cache-config.js'

export const REGISTRY = process.env.E2E_REGISTRY ?? '127.0.0.1:5000'
export const BUSYBOX = `${REGISTRY}/test/busybox:latest`

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ')

/** Fails fast with the command to run when the stack is not up. */
export async function requireStack(): Promise<void> {
  try {
    const r = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(5000) })
    if (!r.ok) throw new Error(`HTTP ${r.status}`)
  } catch (e) {
    throw new Error(`The registry at ${REGISTRY} is not reachable (${(e as Error).message}): run \`npm run stack\` first`)
  }
  const d = spawnSync('docker', ['buildx', 'version'], { encoding: 'utf8' })
  if (d.status !== 0) throw new Error('docker buildx is not usable: run `npm run stack` first')
}

export function uniqueRepo(kind: string): string {
  return `e2e-${kind}-${randomBytes(4).toString('hex')}`
}

export async function listTags(repo: string): Promise<string[]> {
  const out: string[] = []
  let url: string | undefined = `http://${REGISTRY}/v2/${repo}/tags/list?n=1000`
  while (url) {
    const r: Response = await fetch(url)
    if (r.status === 404) return []
    const j = (await r.json()) as { tags: string[] | null }
    out.push(...(j.tags ?? []))
    const link = r.headers.get('link')
    const m = link ? /<([^>]+)>;\s*rel="next"/.exec(link) : null
    url = m ? new URL(m[1]!, url).toString() : undefined
  }
  return out.sort()
}

export interface Manifest {
  digest: string
  mediaType: string
  body: {
    mediaType?: string
    config?: { size: number; digest: string }
    layers?: { size: number; digest: string }[]
    manifests?: { digest: string; size: number; platform?: { os: string; architecture: string }; annotations?: Record<string, string> }[]
  }
}

export async function getManifest(repo: string, ref: string): Promise<Manifest | undefined> {
  const r = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${ref}`, { headers: { Accept: ACCEPT } })
  if (r.status === 404) return undefined
  if (!r.ok) throw new Error(`GET manifest ${repo}:${ref}: HTTP ${r.status}`)
  return { digest: r.headers.get('docker-content-digest')!, mediaType: r.headers.get('content-type')!, body: (await r.json()) as Manifest['body'] }
}

/** The size of the cache config of a registry cache `<repo>:<tag>` (what BuildKit imports at most 1 MiB of); undefined when there is none. */
export async function cacheConfigSize(repo: string, tag = 'buildcache'): Promise<number | undefined> {
  return cacheConfigBytes((await getManifest(repo, tag))?.body)
}

/** Layers (digests) of the image's platform manifests, in order; the first platform for an index. */
export async function imageLayers(repo: string, ref: string): Promise<string[]> {
  const m = await getManifest(repo, ref)
  if (!m) throw new Error(`${repo}:${ref} not found`)
  if (m.body.manifests) {
    const platform = m.body.manifests.find((d) => d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')!
    return imageLayers(repo, platform.digest)
  }
  return (m.body.layers ?? []).map((l) => l.digest)
}

/** Config + layer bytes over all platform manifests, attestation manifests excluded — computed independently of the action. */
export async function compressedSize(repo: string, ref: string): Promise<number> {
  const m = await getManifest(repo, ref)
  if (!m) throw new Error(`${repo}:${ref} not found`)
  if (m.body.manifests) {
    let total = 0
    for (const d of m.body.manifests) {
      if (d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') continue
      total += await compressedSize(repo, d.digest)
    }
    return total
  }
  return (m.body.config?.size ?? 0) + (m.body.layers ?? []).reduce((n, l) => n + l.size, 0)
}

/** Deletes every manifest of `repo` in the registry and the engine's images of it. */
export async function removeRepo(repo: string): Promise<void> {
  const tags = await listTags(repo).catch(() => [])
  const digests = new Set<string>()
  for (const t of tags) {
    const m = await getManifest(repo, t).catch(() => undefined)
    if (m) digests.add(m.digest)
  }
  for (const d of digests) await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${d}`, { method: 'DELETE' }).catch(() => undefined)
  removeLocalImages(`${REGISTRY}/${repo}`)
}

export function removeLocalImages(repository: string): void {
  const r = spawnSync('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', repository], { encoding: 'utf8' })
  const refs = r.stdout.split('\n').filter((s) => s && !s.endsWith(':<none>'))
  if (refs.length) spawnSync('docker', ['image', 'rm', '-f', ...refs], { encoding: 'utf8' })
}

const BUSYBOX_APPLETS =
  'sh ls cat echo mkdir cp mv rm sha256sum wc sort head tail grep sed awk tr sleep true false env find du touch date printf test dd xargs'.split(' ')

/**
 * A one-layer root image of this caller's own — the busybox root of `scripts/stack-up.sh`
 * plus a file naming `repo` — pushed as `<repo>-root:latest`; returns its reference.
 *
 * Why not the shared busybox: the engine keeps every compression of a layer it has made
 * (a zstd or eStargz build of another test recompresses the busybox layer too), and an
 * export without `force-compression` may reuse any of them. A test that compares layer
 * digests across builds, or that forces another compression, starts from a root no other
 * test shares; `removeRoot` deletes it.
 */
export function pushIsolatedRoot(repo: string): string {
  const ref = `${REGISTRY}/${repo}-root:latest`
  const dir = mkdtempSync(path.join(os.tmpdir(), 'root-'))
  try {
    for (const d of ['bin', 'tmp', 'etc', 'root']) mkdirSync(path.join(dir, d))
    const bb = spawnSync('sh', ['-c', 'command -v busybox || echo /bin/busybox'], { encoding: 'utf8' }).stdout.trim()
    copyFileSync(bb, path.join(dir, 'bin', 'busybox'))
    for (const app of BUSYBOX_APPLETS) symlinkSync('busybox', path.join(dir, 'bin', app))
    writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n')
    writeFileSync(path.join(dir, 'etc', 'isolated-root'), `${repo} ${randomBytes(8).toString('hex')}\n`)
    const script = `tar -C "$1" -c . | docker import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' - "$2" >/dev/null`
    execFileSync('sh', ['-c', script, 'sh', dir, ref], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 })
    execFileSync('docker', ['push', '-q', ref], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 })
    removeLocalImages(`${REGISTRY}/${repo}-root`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return ref
}

/** Deletes what `pushIsolatedRoot(repo)` pushed. */
export async function removeRoot(repo: string): Promise<void> {
  await removeRepo(`${repo}-root`)
}

/** A fresh runner: drop BuildKit's local cache, so only the registry cache can help. */
export function pruneBuildCache(): void {
  execFileSync('docker', ['buildx', 'prune', '-af'], { stdio: 'ignore', timeout: 120_000 })
}

/** SOURCE_DATE_EPOCH for a UTC date `YYYY-MM-DD`. */
export function epochOf(date: string): string {
  return String(Math.floor(Date.parse(`${date}T12:00:00Z`) / 1000))
}

/** Points tag `to` at the manifest of `from` (same digest), as `docker buildx imagetools create` would. */
export async function retag(repo: string, from: string, to: string): Promise<string> {
  const r = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${from}`, { headers: { Accept: ACCEPT } })
  if (!r.ok) throw new Error(`GET ${repo}:${from}: HTTP ${r.status}`)
  const body = Buffer.from(await r.arrayBuffer())
  const put = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${to}`, {
    method: 'PUT',
    headers: { 'Content-Type': r.headers.get('content-type')! },
    body,
  })
  if (put.status !== 201) throw new Error(`PUT ${repo}:${to}: HTTP ${put.status}`)
  return r.headers.get('docker-content-digest')!
}
