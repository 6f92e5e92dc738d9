// The registry client of the action (OCI Distribution API v2): tags, manifests, sizes,
// image configs and deletes. HTTP, auth and fault handling live in transport.ts.

import { createHash } from 'node:crypto'
import type { ImageName } from '../image/reference.js'
import { repositoryScope } from './auth.js'
import { ImplausibleSize, RegistryError, TransientError } from './errors.js'
import { Transport, errorCodeOf, type ReachFailure, type Registry, type Response, type TransportOptions } from './transport.js'
import { manifestBytes, MAX_BLOB_BYTES, MAX_IMAGE_BYTES, MAX_INDEX_DEPTH, MAX_INDEX_ENTRIES, MAX_MANIFESTS_WALKED, shapeFault } from './plausible.js'

/** Bounds of one tag listing; past any of them the listing fails (the caller builds as a miss). */
export interface TagListLimits {
  /** One deadline over the whole listing: every page, retry, backoff and token request. */
  deadlineMs: number
  /** Most tags accepted. */
  maxTags: number
  /** Most bytes of tag-list bodies read, over all pages. */
  maxBytes: number
}

/** The reachability check of a registry a run pushes to, retries and backoff included: seconds, not the minutes of a build. */
export const REACH_DEADLINE_MS = 8_000

/** The push check (a test upload and its cancellation), retries and backoff included. */
const PUSH_CHECK_DEADLINE_MS = 60_000

export const DEFAULT_TAG_LIST_LIMITS: Readonly<TagListLimits> = Object.freeze({ deadlineMs: 60_000, maxTags: 100_000, maxBytes: 32 << 20 })

/** Options of the client: those of its transport (credentials, TLS, timeouts, retries, logging), and the tag-list bounds. */
export type RegistryClientOptions = TransportOptions & { tagListLimits?: Partial<TagListLimits> }

export interface ManifestInfo {
  digest: string
  mediaType: string
  size: number
  manifest: ManifestJson
}

/** A manifest or an index as parsed from the registry's JSON: the fields read here, none checked yet. */
export interface ManifestJson {
  mediaType?: string
  manifests?: unknown
  config?: { digest?: unknown; size?: unknown }
  layers?: { size?: unknown }[]
}

export interface PlatformSize {
  platform: string
  digest: string
  /** config.size + sum(layers.size) */
  bytes: number
}

export interface ImageSizeInfo {
  digest: string
  mediaType: string
  total: number
  platforms: PlatformSize[]
}

export interface ImageConfigInfo {
  labels: Record<string, string>
  created?: string
  architecture?: string
  os?: string
  /** The layers in order, each with the history entry that made it (`created_by`), when the config's history lines up with them. */
  layers?: LayerInfo[]
}

export interface LayerInfo {
  readonly digest: string
  /** Compressed bytes (the manifest's descriptor). */
  readonly size: number
  readonly createdBy?: string
}

export const MediaTypes = {
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
} as const

export const MANIFEST_ACCEPT = [MediaTypes.OciIndex, MediaTypes.DockerManifestList, MediaTypes.OciManifest, MediaTypes.DockerManifest].join(', ')

const MANIFEST_MAX_BYTES = 4 << 20
const CONFIG_MAX_BYTES = 16 << 20
const TAG_PAGE_MAX_BYTES = 64 << 20
const TAG_PAGE_SIZE = 1000
const MAX_TAG_PAGES = 100_000
const CHILD_CONCURRENCY = 4
/** Content-addressed reads kept per client (a run reads a few dozen). */
const BY_DIGEST_ENTRIES = 256

export interface Descriptor {
  mediaType?: string
  digest: string
  size: number
  platform?: { os?: string; architecture?: string; variant?: string }
  annotations?: Record<string, string>
}

/** `sha256:<hex>` of bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/** Checks `bytes` against `digest` (sha256/sha512); throws TransientError on a mismatch or another algorithm. */
export function verifyDigest(digest: string, bytes: Uint8Array, what: string): void {
  const colon = digest.indexOf(':')
  const algo = digest.slice(0, colon)
  if (algo !== 'sha256' && algo !== 'sha512')
    throw new TransientError('protocol', `${what}: digest ${digest.slice(0, 80)} is not sha256 or sha512; it cannot be checked`)
  const actual = `${algo}:${createHash(algo).update(bytes).digest('hex')}`
  if (actual !== digest) throw new TransientError('protocol', `${what}: content digest ${actual} does not match ${digest}`)
}

export function isIndex(m: { mediaType?: string; manifests?: unknown }): boolean {
  return m.mediaType === MediaTypes.OciIndex || m.mediaType === MediaTypes.DockerManifestList || (m.mediaType === undefined && Array.isArray(m.manifests))
}

/** Attestation manifests of BuildKit: by annotation, or the platform `unknown/unknown`. */
export function isAttestation(d: Descriptor): boolean {
  if (d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') return true
  return d.platform?.os === 'unknown' && d.platform?.architecture === 'unknown'
}

/** A platform as a registry may name it: `os/arch[/variant]`, each part a short word (anything else, e.g. a 4 MB string, is 'unknown'). */
export function platformString(p: { os?: unknown; architecture?: unknown; variant?: unknown } | undefined): string {
  const word = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(v)
  const { os, architecture, variant } = p ?? {}
  if (!word(os) || !word(architecture)) return 'unknown'
  if (variant === undefined || variant === '') return `${os}/${architecture}`
  return word(variant) ? `${os}/${architecture}/${variant}` : 'unknown'
}

/** `<url>; rel="next"` of a Link header, resolved against the request URL. */
export function nextLink(header: string | null, base: URL): URL | undefined {
  if (!header) return undefined
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part)
    if (!m) continue
    if (!/;\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(m[2]!)) continue
    try {
      return new URL(m[1]!, base)
    } catch {
      return undefined
    }
  }
  return undefined
}

/** A digest the action can check: sha256 or sha512 (another algorithm is a registry fault: nothing it names can be verified). */
function validDigest(d: string): boolean {
  return /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/.test(d)
}

function parseJson(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    throw new TransientError('protocol', `${what}: the response is not valid JSON`)
  }
}

/** Runs `f` over `items` with at most `n` in flight, preserving order. */
async function mapLimit<T, R>(items: readonly T[], n: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await f(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker))
  return out
}

export class RegistryClient {
  private readonly transport: Transport
  private readonly tagListLimits: TagListLimits
  private readonly byDigest = new Map<string, Promise<unknown>>()

  constructor(opts: RegistryClientOptions = {}) {
    this.transport = new Transport(opts)
    this.tagListLimits = { ...DEFAULT_TAG_LIST_LIMITS, ...opts.tagListLimits }
  }

  /** The run is over: requests still under way end at once, and later ones fail (Transport.close). */
  close(): void {
    this.transport.close()
  }

  private reg(name: ImageName): Registry {
    if (name.local || !name.registry) {
      throw new RegistryError('protocol', '', `${name.repository} has no registry host: the local Docker engine is its store`)
    }
    return this.transport.registry(name.registry, name.apiHost)
  }

  private url(reg: Registry, path: string): URL {
    return new URL(`${reg.scheme}://${reg.host}/v2/${path}`)
  }

  /**
   * All tags of the repository (every page), sorted; [] when the repository does not exist.
   * Bounded by one deadline and caps on tags and bytes (`tagListLimits`): past any of them it
   * fails with a RegistryError.
   */
  async listTags(name: ImageName, limits: Partial<TagListLimits> = {}): Promise<string[]> {
    const reg = this.reg(name)
    const scope = repositoryScope(name.repository, ['pull'])
    const what = `list the tags of ${name.repository}`
    const bounds = { ...this.tagListLimits, ...limits }
    const deadline = this.transport.now() + bounds.deadlineMs
    const first = this.url(reg, `${name.repository}/tags/list`)
    first.searchParams.set('n', String(TAG_PAGE_SIZE))
    const tags = new Set<string>()
    const seen = new Set<string>()
    let bytes = 0
    let url: URL | undefined = first
    for (let page = 0; url; page++) {
      if (page >= MAX_TAG_PAGES) throw new RegistryError('protocol', reg.name, `${reg.name}: more than ${MAX_TAG_PAGES} pages of tags for ${name.repository}`)
      const key = url.toString()
      if (seen.has(key)) throw new RegistryError('protocol', reg.name, `${reg.name}: the tag list of ${name.repository} links back to a page already read`)
      seen.add(key)
      const pageUrl: URL = url
      const budget = bounds.maxBytes - bytes
      if (budget <= 0) throw tagListTooBig(reg.name, name.repository, `more than ${bounds.maxBytes} bytes`)
      const request = { method: 'GET' as const, url: pageUrl, scope, maxBytes: Math.min(TAG_PAGE_MAX_BYTES, budget), what, passStatuses: [404], deadline }
      const r = await this.transport
        .send(reg, request, (res) => {
          if (res.status === 404) return { res, list: undefined }
          const j = parseJson(res.body, what) as { tags?: unknown }
          if (!j || typeof j !== 'object' || (j.tags !== null && j.tags !== undefined && !Array.isArray(j.tags))) {
            throw new TransientError('protocol', `${what}: unexpected response`)
          }
          return { res, list: (j.tags ?? []) as unknown[] }
        })
        .catch((e: unknown) => {
          // A page refused for its size when the total budget was the tighter bound: the cap's own words.
          if (
            budget < TAG_PAGE_MAX_BYTES &&
            e instanceof RegistryError &&
            e.kind === 'protocol' &&
            / sent (?:more than|a response of) \d+ bytes/.test(e.message)
          ) {
            throw tagListTooBig(reg.name, name.repository, `more than ${bounds.maxBytes} bytes`)
          }
          throw e
        })
      if (r.list === undefined) {
        // NAME_UNKNOWN (or an empty 404): the repository does not exist yet. A 404 on a
        // later page means the list moved under us; report what we have read.
        if (page === 0) return []
        const code = errorCodeOf(r.res.body)
        throw new RegistryError('not-found', reg.name, `${reg.name}: a page of the tag list of ${name.repository} vanished (${code ?? 'HTTP 404'})`, 404)
      }
      bytes += r.res.body.length
      for (const t of r.list) if (typeof t === 'string') tags.add(t)
      if (tags.size > bounds.maxTags) throw tagListTooBig(reg.name, name.repository, `more than ${bounds.maxTags} tags`)
      const next = nextLink(r.res.headers.get('link'), r.res.url)
      if (next && next.host !== reg.host) {
        throw new RegistryError(
          'protocol',
          reg.name,
          `${reg.name}: the tag list of ${name.repository} links to another host (${next.host}); refusing to follow`,
        )
      }
      if (next && r.res.url.protocol === 'https:' && next.protocol !== 'https:') {
        throw new RegistryError('protocol', reg.name, `${reg.name}: the tag list of ${name.repository} links to plain http; refusing the downgrade`)
      }
      url = next
    }
    return [...tags].sort()
  }

  private async fetchManifest(name: ImageName, ref: string): Promise<{ res: Response } | undefined> {
    const reg = this.reg(name)
    const byDigest = ref.includes(':')
    if (byDigest && !validDigest(ref)) throw new RegistryError('protocol', reg.name, `invalid digest "${ref}"`)
    const what = `read the manifest ${name.repository}${byDigest ? '@' : ':'}${ref}`
    const r = await this.transport.send(
      reg,
      {
        method: 'GET',
        url: this.url(reg, `${name.repository}/manifests/${ref}`),
        headers: { accept: MANIFEST_ACCEPT },
        scope: repositoryScope(name.repository, ['pull']),
        maxBytes: MANIFEST_MAX_BYTES,
        what,
        passStatuses: [404],
      },
      (res) => {
        if (res.status === 404) return res
        if (byDigest) verifyDigest(ref, res.body, what)
        else {
          // The digest the action pins is the sha256 of these bytes; a header that names other bytes is a fault.
          const header = res.headers.get('docker-content-digest')
          if (header) verifyDigest(header, res.body, `${what}: Docker-Content-Digest`)
        }
        const fault = shapeFault(parseJson(res.body, what), (res.headers.get('content-type') ?? '').split(';')[0]!.trim())
        if (fault) throw new RegistryError('protocol', reg.name, `${reg.name}: ${what}: the manifest ${fault}`)
        return res
      },
    )
    if (r.status === 404) return undefined
    return { res: r }
  }

  /**
   * A read by digest, once per client: content-addressed, so what was read is what is there
   * (concurrent readers share one request). A failure or "not there" is not kept (it may be
   * pushed later in the run); deleteManifest forgets the digest.
   */
  private once<T>(key: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
    let p = this.byDigest.get(key) as Promise<T | undefined> | undefined
    if (!p) {
      if (this.byDigest.size >= BY_DIGEST_ENTRIES) this.byDigest.clear()
      p = read()
      this.byDigest.set(key, p)
      const forget = (): void => {
        if (this.byDigest.get(key) === p) this.byDigest.delete(key)
      }
      p.then((v) => v === undefined && forget(), forget)
    }
    return p
  }

  /** The manifest (or index) at a tag or digest; undefined when it does not exist. */
  async getManifest(name: ImageName, tagOrDigest: string): Promise<ManifestInfo | undefined> {
    if (!validDigest(tagOrDigest)) return this.readManifest(name, tagOrDigest)
    return this.once(`manifest ${name.registry}/${name.repository}@${tagOrDigest}`, () => this.readManifest(name, tagOrDigest))
  }

  private async readManifest(name: ImageName, tagOrDigest: string): Promise<ManifestInfo | undefined> {
    const r = await this.fetchManifest(name, tagOrDigest)
    if (!r) return undefined
    const { res } = r
    const manifest = JSON.parse(res.body.toString('utf8')) as ManifestJson
    // By digest: verified against the bytes. By tag: the digest of the bytes (a header naming others was refused).
    const digest = tagOrDigest.includes(':') ? tagOrDigest : sha256Digest(res.body)
    const ct = (res.headers.get('content-type') ?? '').split(';')[0]!.trim()
    const mediaType = manifest.mediaType || (ct && ct !== 'application/json' ? ct : '') || (isIndex(manifest) ? MediaTypes.OciIndex : MediaTypes.OciManifest)
    return { digest, mediaType, size: res.body.length, manifest }
  }

  /**
   * The digest of the manifest a tag names: the sha256 of its bytes, read with GET (a HEAD's
   * Docker-Content-Digest cannot be checked against anything, and the base is pinned by it).
   */
  async headDigest(name: ImageName, tag: string): Promise<string | undefined> {
    return (await this.getManifest(name, tag))?.digest
  }

  /**
   * Compressed size per platform (config + layers), attestation manifests excluded. A walk
   * bounded in depth, entries and manifests read; a size that is not a whole number of bytes
   * up to 10 TiB (per blob and per image) is a registry fault, not a size (plausible.ts).
   */
  async imageSize(name: ImageName, tagOrDigest: string): Promise<ImageSizeInfo | undefined> {
    const top = await this.getManifest(name, tagOrDigest)
    if (!top) return undefined
    const platforms = await this.platformSizes(name, top, undefined, 0, { left: MAX_MANIFESTS_WALKED }).catch((e: unknown) => {
      // The image is there (its digest verified); only its size is not believed.
      throw e instanceof ImplausibleSize ? new ImplausibleSize(e.registry, e.message, top.digest) : e
    })
    const total = platforms.reduce((n, p) => n + p.bytes, 0)
    if (total > MAX_IMAGE_BYTES)
      throw new ImplausibleSize(name.registry, `${name.registry}: ${name.repository}@${top.digest} adds up to an implausible size`, top.digest)
    return { digest: top.digest, mediaType: top.mediaType, total, platforms }
  }

  private async platformSizes(
    name: ImageName,
    m: ManifestInfo,
    platform: string | undefined,
    depth: number,
    budget: { left: number },
  ): Promise<PlatformSize[]> {
    const at = `${name.registry}: ${name.repository}@${m.digest}`
    const fault = (why: string) => new RegistryError('protocol', name.registry, `${at} ${why}`)
    if (!isIndex(m.manifest)) {
      const bytes = manifestBytes(m.manifest)
      if (bytes === undefined)
        throw new ImplausibleSize(name.registry, `${at} gives an implausible size (each must be a whole number of bytes up to ${MAX_BLOB_BYTES})`, m.digest)
      return [{ platform: platform ?? (await this.configPlatform(name, m)), digest: m.digest, bytes }]
    }
    if (depth >= MAX_INDEX_DEPTH) throw fault(`nests image indexes more than ${MAX_INDEX_DEPTH} deep`)
    const listed = m.manifest.manifests as unknown[]
    if (listed.length > MAX_INDEX_ENTRIES) throw fault(`lists ${listed.length} manifests, more than the ${MAX_INDEX_ENTRIES} read`)
    const descs = [
      ...new Map((listed as Descriptor[]).filter((d) => d && typeof d.digest === 'string' && !isAttestation(d)).map((d) => [d.digest, d])).values(),
    ]
    budget.left -= descs.length
    if (budget.left < 0) throw fault(`and the indexes under it list more than the ${MAX_MANIFESTS_WALKED} manifests read`)
    const sizes = await mapLimit(descs, CHILD_CONCURRENCY, async (d) => {
      const child = await this.getManifest(name, d.digest)
      if (!child)
        throw new RegistryError(
          'not-found',
          name.registry,
          `${name.registry}: ${name.repository}@${d.digest}, listed in the index ${m.digest}, does not exist`,
          404,
        )
      return this.platformSizes(name, child, platformString(d.platform), depth + 1, budget)
    })
    return sizes.flat()
  }

  /** The platform an image's config names ('unknown' when it cannot be read). */
  private async configPlatform(name: ImageName, m: ManifestInfo): Promise<string> {
    const cfg = m.manifest.config as Descriptor | undefined
    if (!cfg?.digest) return 'unknown'
    try {
      return platformString((await this.blobJson(name, cfg.digest)) as { os?: string; architecture?: string; variant?: string })
    } catch (e) {
      this.transport.log.debug(`${name.registry}: could not read the config of ${name.repository}@${m.digest} for its platform: ${(e as Error).message}`)
      return 'unknown'
    }
  }

  /**
   * The image config (labels, created, os/architecture). For an index, the manifest of
   * `platform` (`os/arch[/variant]`), else linux/amd64, else the first non-attestation one.
   */
  async imageConfig(name: ImageName, tagOrDigest: string, platform?: string): Promise<ImageConfigInfo | undefined> {
    let m = await this.getManifest(name, tagOrDigest)
    for (let depth = 0; m && isIndex(m.manifest); depth++) {
      if (depth > 2) throw new RegistryError('protocol', name.registry, `${name.registry}: ${name.repository}:${tagOrDigest} nests indexes too deeply`)
      const descs = ((m.manifest.manifests ?? []) as Descriptor[]).filter((d) => d && typeof d.digest === 'string' && !isAttestation(d))
      const want = platform ?? 'linux/amd64'
      const pick =
        descs.find((d) => platformString(d.platform) === want) ??
        (platform ? descs.find((d) => platformString(d.platform).startsWith(`${want}/`)) : undefined) ??
        (platform ? undefined : descs[0])
      if (!pick) return undefined
      m = await this.getManifest(name, pick.digest)
    }
    if (!m) return undefined
    const cfg = m.manifest.config as Descriptor | undefined
    if (!cfg?.digest) return undefined
    const c = (await this.blobJson(name, cfg.digest)) as {
      created?: unknown
      architecture?: unknown
      os?: unknown
      config?: { Labels?: Record<string, unknown> | null } | null
      history?: unknown
    }
    const labels: Record<string, string> = {}
    for (const [k, v] of Object.entries(c?.config?.Labels ?? {})) if (typeof v === 'string') labels[k] = v
    const layers = layersWithHistory(m.manifest.layers, c.history)
    return {
      labels,
      created: typeof c.created === 'string' ? c.created : undefined,
      architecture: typeof c.architecture === 'string' ? c.architecture : undefined,
      os: typeof c.os === 'string' ? c.os : undefined,
      ...(layers ? { layers } : {}),
    }
  }

  /** A small JSON blob by digest (verified, read once per client: see blob); redirects to storage are followed without credentials. */
  private async blobJson(name: ImageName, digest: string): Promise<unknown> {
    const body = await this.blob(name, digest, CONFIG_MAX_BYTES)
    try {
      return JSON.parse(body.toString('utf8'))
    } catch {
      throw new RegistryError('protocol', name.registry, `read the blob ${name.repository}@${digest}: not valid JSON`)
    }
  }

  /**
   * A blob by digest, at most `maxBytes` (verified); redirects to storage are followed
   * without credentials. Blobs up to the config cap are read once per client (configs, the
   * size manifest's layer: several phases ask for the same ones).
   */
  async blob(name: ImageName, digest: string, maxBytes: number): Promise<Buffer> {
    if (maxBytes > CONFIG_MAX_BYTES) return this.readBlob(name, digest, maxBytes)
    const kept = await this.once(`blob ${name.registry}/${name.repository}@${digest}`, () => this.readBlob(name, digest, CONFIG_MAX_BYTES))
    if (kept && kept.length <= maxBytes) return kept
    return this.readBlob(name, digest, maxBytes)
  }

  private async readBlob(name: ImageName, digest: string, maxBytes: number): Promise<Buffer> {
    const reg = this.reg(name)
    if (!validDigest(digest)) throw new RegistryError('protocol', reg.name, `invalid digest "${digest}"`)
    const what = `read the blob ${name.repository}@${digest}`
    return this.transport.send(
      reg,
      { method: 'GET', url: this.url(reg, `${name.repository}/blobs/${digest}`), scope: repositoryScope(name.repository, ['pull']), maxBytes, what },
      (res) => {
        verifyDigest(digest, res.body, what)
        return res.body
      },
    )
  }

  /**
   * The descriptors a platform's part contributes to a multi-platform index: its image
   * manifest(s) of `platform` and the attestation manifests that refer to them. A part is
   * a plain manifest (its platform read from its config) or an index (BuildKit's, with
   * attestations). Throws when the part holds no image of `platform` or another platform.
   */
  async partDescriptors(name: ImageName, ref: string, platform: string): Promise<Descriptor[]> {
    const top = await this.getManifest(name, ref)
    const at = `${name.repository}:${ref}`
    if (!top) throw new RegistryError('not-found', name.registry, `${name.registry}: ${at} does not exist`, 404)
    let images: Descriptor[]
    let attestations: Descriptor[] = []
    if (isIndex(top.manifest)) {
      const descs = ((top.manifest.manifests ?? []) as Descriptor[]).filter((d) => d && typeof d.digest === 'string' && validDigest(d.digest))
      images = descs.filter((d) => !isAttestation(d))
      attestations = descs.filter((d) => isAttestation(d) && images.some((i) => i.digest === d.annotations?.['vnd.docker.reference.digest']))
    } else {
      const cfg = top.manifest.config as Descriptor | undefined
      const c = cfg?.digest ? ((await this.blobJson(name, cfg.digest)) as { os?: string; architecture?: string; variant?: string }) : undefined
      const p =
        c && typeof c.os === 'string' && typeof c.architecture === 'string'
          ? { os: c.os, architecture: c.architecture, ...(typeof c.variant === 'string' ? { variant: c.variant } : {}) }
          : undefined
      images = [{ mediaType: top.mediaType, digest: top.digest, size: top.size, ...(p ? { platform: p } : {}) }]
    }
    const others = images.filter((d) => platformString(d.platform) !== platform)
    if (images.length === 0 || others.length > 0) {
      const found = images.map((d) => platformString(d.platform)).join(', ') || 'no image'
      throw new RegistryError('protocol', name.registry, `${name.registry}: ${at} should hold an image of ${platform} only, but holds ${found}`)
    }
    return [...images, ...attestations].map((d) => ({
      mediaType: d.mediaType,
      digest: d.digest,
      size: d.size,
      ...(d.platform ? { platform: d.platform } : {}),
      ...(d.annotations ? { annotations: d.annotations } : {}),
    }))
  }

  /**
   * Assembles one OCI image index from per-platform parts (tags or digests of this
   * repository, see partDescriptors) and puts it under every tag of `tags`. Returns its digest.
   */
  async putIndex(name: ImageName, parts: readonly { ref: string; platform: string }[], tags: readonly string[]): Promise<{ digest: string; size: number }> {
    const descs = await mapLimit(parts, CHILD_CONCURRENCY, (p) => this.partDescriptors(name, p.ref, p.platform))
    const index = { schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests: descs.flat() }
    const body = Buffer.from(JSON.stringify(index))
    const digest = sha256Digest(body)
    for (const tag of tags) await this.putManifest(name, tag, body, MediaTypes.OciIndex, digest)
    return { digest, size: body.length }
  }

  /** PUTs manifest bytes under a tag; checks the digest the registry computed. */
  private async putManifest(name: ImageName, tag: string, body: Buffer, mediaType: string, digest: string): Promise<void> {
    const reg = this.reg(name)
    const what = `push the manifest ${name.repository}:${tag}`
    await this.transport.send(
      reg,
      {
        method: 'PUT',
        url: this.url(reg, `${name.repository}/manifests/${encodeURIComponent(tag)}`),
        headers: { 'content-type': mediaType },
        body,
        scope: repositoryScope(name.repository, ['pull', 'push']),
        maxBytes: 1 << 20,
        what,
      },
      (res) => {
        const got = res.headers.get('docker-content-digest')
        if (got && got !== digest) throw new RegistryError('protocol', reg.name, `${what}: the registry stored ${got}, not ${digest}`)
        return res
      },
    )
  }

  /**
   * Uploads a small blob (monolithic: POST, then PUT with its digest) unless the registry
   * has it already. Returns its digest. Used for referrer artifacts (referrers.ts).
   */
  async pushBlob(name: ImageName, bytes: Buffer): Promise<string> {
    const reg = this.reg(name)
    const digest = sha256Digest(bytes)
    const scope = repositoryScope(name.repository, ['pull', 'push'])
    const blobUrl = this.url(reg, `${name.repository}/blobs/${digest}`)
    const head = await this.transport.send(reg, {
      method: 'HEAD',
      url: blobUrl,
      scope,
      maxBytes: 1 << 16,
      what: `check the blob ${digest}`,
      passStatuses: [404],
    })
    if (head.status === 200) return digest
    const what = `push a blob to ${name.repository}`
    const started = await this.transport.send(reg, {
      method: 'POST',
      url: this.url(reg, `${name.repository}/blobs/uploads/`),
      headers: { 'content-length': '0' },
      scope,
      maxBytes: 1 << 16,
      what,
    })
    const location = started.headers.get('location')
    if (!location) throw new RegistryError('protocol', reg.name, `${what}: the registry named no upload location`)
    const upload = new URL(location, started.url)
    if (upload.host !== started.url.host) throw new RegistryError('protocol', reg.name, `${what}: the upload location is on another host`)
    upload.searchParams.set('digest', digest)
    await this.transport.send(reg, {
      method: 'PUT',
      url: upload,
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
      scope,
      maxBytes: 1 << 16,
      what,
    })
    return digest
  }

  /**
   * PUTs manifest bytes under a tag or their digest. Returns the digest and the registry's
   * `OCI-Subject` header: present when the registry indexed the manifest's subject in its
   * referrers API (OCI distribution-spec 1.1); absent otherwise (the tag schema then applies).
   */
  async pushManifest(name: ImageName, ref: string, body: Buffer, mediaType: string): Promise<{ digest: string; ociSubject?: string }> {
    const reg = this.reg(name)
    const digest = sha256Digest(body)
    const what = `push the manifest ${name.repository}${validDigest(ref) ? '@' : ':'}${ref}`
    const res = await this.transport.send(reg, {
      method: 'PUT',
      url: this.url(reg, `${name.repository}/manifests/${validDigest(ref) ? ref : encodeURIComponent(ref)}`),
      headers: { 'content-type': mediaType },
      body,
      scope: repositoryScope(name.repository, ['pull', 'push']),
      maxBytes: 1 << 20,
      what,
    })
    const got = res.headers.get('docker-content-digest')
    if (got && got !== digest) throw new RegistryError('protocol', reg.name, `${what}: the registry stored ${got}, not ${digest}`)
    this.byDigest.delete(`manifest ${name.registry}/${name.repository}@${ref}`)
    const subject = res.headers.get('oci-subject')
    return { digest, ...(subject ? { ociSubject: subject } : {}) }
  }

  /**
   * The referrers API's index for `digest` (`GET /v2/<name>/referrers/<digest>`), or
   * undefined where the registry has no referrers API (404 or another non-index answer).
   */
  async referrersApi(name: ImageName, digest: string): Promise<{ manifests: Descriptor[] } | undefined> {
    const reg = this.reg(name)
    if (!validDigest(digest)) throw new RegistryError('protocol', reg.name, `invalid digest "${digest}"`)
    const res = await this.transport.send(reg, {
      method: 'GET',
      url: this.url(reg, `${name.repository}/referrers/${digest}`),
      headers: { accept: MediaTypes.OciIndex },
      scope: repositoryScope(name.repository, ['pull']),
      maxBytes: MANIFEST_MAX_BYTES,
      what: `list the referrers of ${name.repository}@${digest}`,
      passStatuses: [400, 404, 405],
    })
    if (res.status !== 200 || !(res.headers.get('content-type') ?? '').startsWith(MediaTypes.OciIndex)) return undefined
    const j = parseJson(res.body, 'the referrers index') as { manifests?: unknown } | null
    return j && Array.isArray(j.manifests) ? { manifests: j.manifests as Descriptor[] } : undefined
  }

  /** Whether the registry of `name` answers at all (see Transport.reach): undefined, or why not. */
  reachable(name: ImageName, deadlineMs: number = REACH_DEADLINE_MS): Promise<ReachFailure | undefined> {
    return this.transport.reach(this.reg(name), deadlineMs)
  }

  /**
   * Checks that this client may push to the repository, cheaply and without writing anything
   * lasting: starts a blob upload (`POST /v2/<name>/blobs/uploads/`) and cancels it (DELETE of
   * the upload URL it answered with). Throws the transport's RegistryError (`auth` 401,
   * `denied` 403, or another fault) when the registry refuses.
   */
  async probePush(name: ImageName): Promise<void> {
    const reg = this.reg(name)
    // Like the lookup, one deadline over the check's requests, retries and backoff: an
    // unreachable registry is only warned about, so it must not hold the run for minutes.
    const deadline = this.transport.now() + PUSH_CHECK_DEADLINE_MS
    const r = await this.transport.send(reg, {
      deadline,
      method: 'POST',
      url: this.url(reg, `${name.repository}/blobs/uploads/`),
      headers: { 'content-length': '0' },
      scope: repositoryScope(name.repository, ['pull', 'push']),
      maxBytes: 1 << 16,
      what: `push to ${name.repository} (a test upload, cancelled at once)`,
    })
    const location = r.headers.get('location')
    if (!location) return
    let upload: URL
    try {
      upload = new URL(location, r.url)
    } catch {
      return
    }
    // Cancel only on the registry itself; an upload left behind expires on its own.
    if (upload.host !== r.url.host) return
    await this.transport
      .send(reg, {
        deadline,
        method: 'DELETE',
        url: upload,
        scope: repositoryScope(name.repository, ['pull', 'push']),
        maxBytes: 1 << 16,
        what: `cancel the test upload to ${name.repository}`,
        passStatuses: [400, 404, 405],
      })
      .catch((e: unknown) => this.transport.log.debug(`${reg.name}: could not cancel the test upload: ${(e as Error).message}`))
  }

  /** Deletes a manifest by digest (which untags every tag pointing at it). */
  async deleteManifest(name: ImageName, digest: string): Promise<'deleted' | 'not-found' | 'unsupported'> {
    const reg = this.reg(name)
    if (!validDigest(digest)) throw new RegistryError('protocol', reg.name, `invalid digest "${digest}": manifests are deleted by digest`)
    this.byDigest.delete(`manifest ${name.registry}/${name.repository}@${digest}`)
    const r = await this.transport.send(reg, {
      method: 'DELETE',
      url: this.url(reg, `${name.repository}/manifests/${digest}`),
      headers: { accept: MANIFEST_ACCEPT },
      scope: repositoryScope(name.repository, ['pull', 'delete']),
      maxBytes: 1 << 20,
      what: `delete ${name.repository}@${digest}`,
      passStatuses: [400, 404, 405],
      // Distribution untags every tag of the digest in this one request, scanning all tags of
      // the repository: on a large repository that takes longer than a read.
      timeoutFactor: 4,
    })
    if (r.status === 404) return 'not-found'
    if (r.status === 405) return 'unsupported'
    if (r.status === 400) {
      if (errorCodeOf(r.body) === 'UNSUPPORTED') return 'unsupported'
      throw new RegistryError(
        'http',
        reg.name,
        `${reg.name}: could not delete ${name.repository}@${digest}: HTTP 400 (${errorCodeOf(r.body) ?? 'bad request'})`,
        400,
      )
    }
    return 'deleted'
  }
}

function tagListTooBig(registry: string, repository: string, what: string): RegistryError {
  return new RegistryError('protocol', registry, `${registry}: the tag list of ${repository} has ${what}; the lookup stops there`)
}

/**
 * The manifest's layers paired with the config's history entries that made a layer (those
 * without `empty_layer`), in order; without `createdBy` when the two do not line up.
 */
export function layersWithHistory(layers: unknown, history: unknown): LayerInfo[] | undefined {
  if (!Array.isArray(layers)) return undefined
  const descs = (layers as unknown[]).filter(
    (l): l is { digest: string; size: number } =>
      typeof l === 'object' && l !== null && typeof (l as Descriptor).digest === 'string' && typeof (l as Descriptor).size === 'number',
  )
  const made = Array.isArray(history)
    ? (history as unknown[]).filter((h) => typeof h === 'object' && h !== null && (h as { empty_layer?: unknown }).empty_layer !== true)
    : []
  const lined = made.length === descs.length
  return descs.map((d, i) => {
    const by = lined ? (made[i] as { created_by?: unknown }).created_by : undefined
    return { digest: d.digest, size: d.size, ...(typeof by === 'string' ? { createdBy: by } : {}) }
  })
}
