// OCI 1.1 referrers (distribution-spec 1.1, "Listing Referrers" and "Referrers Tag Schema"):
// an artifact (an SBOM) attached to an image manifest by its `subject`, listed through the
// registry's referrers API where it has one and otherwise through the referrers tag schema —
// the tag `<alg>-<hex>` of the subject's digest names an OCI image index of its referrers,
// which the client keeps (read-modify-write, existing entries kept). The functions take the
// few RegistryClient methods they use.

import type { ImageName } from '../image/reference.js'
import { MediaTypes, sha256Digest, type Descriptor, type ManifestInfo } from './client.js'
import { RegistryError } from './errors.js'

/** The OCI empty descriptor (image-spec 1.1): the config of an artifact that has none. */
export const EMPTY_DESCRIPTOR = Object.freeze({
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  data: 'e30=',
})
const EMPTY_BYTES = Buffer.from('{}')

/** Most referrers of one subject read (an image has a handful: SBOMs, signatures, attestations). */
const MAX_REFERRERS = 1000

/** A referrer as an index lists it. */
export interface Referrer {
  readonly mediaType: string
  readonly digest: string
  readonly size: number
  readonly artifactType?: string
  readonly annotations?: Readonly<Record<string, string>>
}

/** The referrers of a subject and how they were found. */
export interface Referrers {
  readonly via: 'api' | 'tag'
  readonly referrers: readonly Referrer[]
  /** The tag schema's index (its digest), when there is one. */
  readonly tagIndex?: string
}

/** What the referrer functions need of the registry client. */
export interface ReferrerClient {
  getManifest(name: ImageName, tagOrDigest: string): Promise<Pick<ManifestInfo, 'digest' | 'manifest'> | undefined>
  pushBlob(name: ImageName, bytes: Buffer): Promise<string>
  pushManifest(name: ImageName, ref: string, body: Buffer, mediaType: string): Promise<{ digest: string; ociSubject?: string }>
  referrersApi(name: ImageName, digest: string): Promise<{ manifests: Descriptor[] } | undefined>
  deleteManifest(name: ImageName, digest: string): Promise<'deleted' | 'not-found' | 'unsupported'>
}

/** The referrers tag schema's tag of a digest: `sha256:<hex>` → `sha256-<hex>`. */
export function referrersTag(digest: string): string {
  const m = /^(sha256|sha512):([a-f0-9]{64,128})$/.exec(digest)
  if (!m) throw new Error(`not a digest: ${digest.slice(0, 80)}`)
  return `${m[1]}-${m[2]!.slice(0, 64)}`
}

/** Whether a tag is a referrers tag (`sha256-<64 hex>`): never a base, a part or anything the action dates. */
export function isReferrersTag(tag: string): boolean {
  return /^sha(?:256|512)-[a-f0-9]{64}$/.test(tag)
}

/** The descriptors of an index's `manifests` that are well-formed referrers (digest, size, media type), at most MAX_REFERRERS. */
export function referrersOf(manifests: unknown): Referrer[] {
  if (!Array.isArray(manifests)) return []
  const out: Referrer[] = []
  for (const d of manifests as unknown[]) {
    if (!d || typeof d !== 'object') continue
    const { mediaType, digest, size, artifactType, annotations } = d as Record<string, unknown>
    if (typeof digest !== 'string' || !/^sha(256:[a-f0-9]{64}|512:[a-f0-9]{128})$/.test(digest)) continue
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || typeof mediaType !== 'string') continue
    const notes =
      annotations && typeof annotations === 'object' && !Array.isArray(annotations)
        ? Object.fromEntries(Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === 'string'))
        : undefined
    out.push({ mediaType, digest, size, ...(typeof artifactType === 'string' ? { artifactType } : {}), ...(notes ? { annotations: notes } : {}) })
    if (out.length >= MAX_REFERRERS) break
  }
  return out
}

/** The artifact manifest of one blob attached to `subject` (image-spec 1.1: artifactType, the empty config, subject). */
export function artifactManifest(
  subject: Pick<Descriptor, 'mediaType' | 'digest' | 'size'>,
  artifact: { readonly artifactType: string; readonly blob: { mediaType: string; digest: string; size: number }; readonly title?: string },
  annotations: Readonly<Record<string, string>> = {},
): Buffer {
  const layer = { ...artifact.blob, ...(artifact.title ? { annotations: { 'org.opencontainers.image.title': artifact.title } } : {}) }
  const m = {
    schemaVersion: 2,
    mediaType: MediaTypes.OciManifest,
    artifactType: artifact.artifactType,
    config: EMPTY_DESCRIPTOR,
    layers: [layer],
    subject: { mediaType: subject.mediaType ?? MediaTypes.OciManifest, digest: subject.digest, size: subject.size },
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  }
  return Buffer.from(JSON.stringify(m))
}

/** The referrers of `subject`: from the referrers API when the registry has one, else from the tag schema's index. */
export async function listReferrers(client: ReferrerClient, name: ImageName, subject: string): Promise<Referrers> {
  const api = await client.referrersApi(name, subject)
  if (api) return { via: 'api', referrers: referrersOf(api.manifests) }
  const index = await client.getManifest(name, referrersTag(subject))
  if (!index) return { via: 'tag', referrers: [] }
  const manifests = (index.manifest as { manifests?: unknown } | undefined)?.manifests
  return { via: 'tag', referrers: referrersOf(manifests), tagIndex: index.digest }
}

export interface Attached {
  /** The artifact manifest's digest. */
  readonly digest: string
  readonly via: 'api' | 'tag'
}

/**
 * Attaches one blob to `subject` as an artifact: pushes the empty config and the blob, then
 * the artifact manifest by its digest. A registry that indexed the subject (`OCI-Subject`,
 * or a referrers API listing it) is done; otherwise the tag schema's index is updated: read,
 * the artifact added unless listed, written back — existing entries are kept. Idempotent:
 * the same blob gives the same artifact, listed once.
 */
export async function attachArtifact(
  client: ReferrerClient,
  name: ImageName,
  subject: Pick<Descriptor, 'mediaType' | 'digest' | 'size'>,
  artifact: { readonly artifactType: string; readonly mediaType: string; readonly bytes: Buffer; readonly title?: string },
  annotations: Readonly<Record<string, string>> = {},
): Promise<Attached> {
  await client.pushBlob(name, EMPTY_BYTES)
  const blob = { mediaType: artifact.mediaType, digest: await client.pushBlob(name, artifact.bytes), size: artifact.bytes.length }
  const body = artifactManifest(subject, { artifactType: artifact.artifactType, blob, title: artifact.title }, annotations)
  const digest = sha256Digest(body)
  const pushed = await client.pushManifest(name, digest, body, MediaTypes.OciManifest)
  if (pushed.ociSubject) return { digest, via: 'api' }
  const listed = await listReferrers(client, name, subject.digest)
  if (listed.via === 'api') return { digest, via: 'api' }
  if (listed.referrers.some((r) => r.digest === digest)) return { digest, via: 'tag' }
  const entry: Referrer = {
    mediaType: MediaTypes.OciManifest,
    digest,
    size: body.length,
    artifactType: artifact.artifactType,
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  }
  const index = { schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests: [...listed.referrers, entry] }
  const indexBody = Buffer.from(JSON.stringify(index))
  await client.pushManifest(name, referrersTag(subject.digest), indexBody, MediaTypes.OciIndex)
  // The old index is untagged now; a registry keeps it until garbage collection (it names nothing else).
  if (listed.tagIndex && listed.tagIndex !== sha256Digest(indexBody)) await client.deleteManifest(name, listed.tagIndex).catch(() => undefined)
  return { digest, via: 'tag' }
}

/** How deep referrers of referrers are followed (the base → its SBOM → a signature of the SBOM → …)… */
export const MAX_REFERRER_DEPTH = 4
/** …and how many are listed below one subject at most. */
export const MAX_REFERRER_TREE = 1000

/** One manifest of a referrer tree: an artifact that refers to `subject`, or (`index`) the tag schema's index of `subject`'s referrers. */
export interface ReferrerEntry {
  readonly digest: string
  readonly subject: string
  /** 1: refers to the root subject; 2: to one of those; … */
  readonly depth: number
  readonly index?: true
}

export interface ReferrerTree {
  /** Breadth first: every entry's subject is the root or an entry before it. */
  readonly entries: readonly ReferrerEntry[]
  /** Set when the bounds cut the tree: what was not listed. */
  readonly bounded?: string
}

/**
 * Every referrer of `subject` and, recursively, every referrer of those (a signature of an
 * SBOM), with the tag schema's index of each, breadth first: an entry's subject always comes
 * before it, so deleting in this order deletes no referrer before its subject. Each digest
 * once (a cycle ends); at most `maxDepth` levels and `maxEntries` entries, `bounded` saying
 * what was left unlisted.
 */
export async function referrerTree(
  list: (subject: string) => Promise<Referrers>,
  subject: string,
  bounds: { readonly maxDepth?: number; readonly maxEntries?: number } = {},
): Promise<ReferrerTree> {
  const maxDepth = bounds.maxDepth ?? MAX_REFERRER_DEPTH
  const maxEntries = bounds.maxEntries ?? MAX_REFERRER_TREE
  const seen = new Set([subject])
  const entries: ReferrerEntry[] = []
  let level = [subject]
  for (let depth = 1; level.length > 0; depth++) {
    const next: string[] = []
    for (const s of level) {
      const listed = await list(s)
      const unseen = [...listed.referrers.map((r) => r.digest), ...(listed.tagIndex ? [listed.tagIndex] : [])].filter((d) => !seen.has(d))
      if (unseen.length === 0) continue
      if (depth > maxDepth) return { entries, bounded: `referrers more than ${maxDepth} levels below ${subject} (of ${s}) were not listed` }
      const more: { digest: string; index?: true }[] = [
        ...listed.referrers.map((r) => ({ digest: r.digest })),
        ...(listed.tagIndex ? [{ digest: listed.tagIndex, index: true as const }] : []),
      ]
      for (const r of more) {
        if (seen.has(r.digest)) continue
        if (entries.length >= maxEntries) return { entries, bounded: `more than ${maxEntries} referrers below ${subject}: the rest were not listed` }
        seen.add(r.digest)
        entries.push({ ...r, subject: s, depth })
        if (!r.index) next.push(r.digest)
      }
    }
    level = next
  }
  return { entries }
}

/**
 * Deletes every referrer of `subject`, the referrers of those (recursively, see
 * referrerTree) and, with the tag schema, each index (and with it its referrers tag), in
 * the tree's order; an entry whose subject was not deleted stays. Returns the digests
 * deleted. Called only once the subject itself is deleted: a referrer is never deleted alone.
 */
export async function deleteReferrers(client: ReferrerClient, name: ImageName, subject: string): Promise<string[]> {
  const tree = await referrerTree((s) => listReferrers(client, name, s), subject)
  const gone = new Set([subject])
  const deleted: string[] = []
  for (const e of tree.entries) {
    if (!gone.has(e.subject)) continue
    const outcome = await client.deleteManifest(name, e.digest)
    if (outcome === 'unsupported') throw new RegistryError('http', name.registry, `${name.registry} does not allow deleting the referrer ${e.digest}`, 405)
    if (outcome === 'deleted') deleted.push(e.digest)
    gone.add(e.digest)
  }
  return deleted
}
