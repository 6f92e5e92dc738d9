// Retention on a CNCF Distribution–compatible registry: tags and digests read through the
// registry client, deletes as `DELETE /v2/<name>/manifests/<digest>`. Typed against the
// few client methods used, so any RegistryClient-like object fits.

import { errorMessage } from '../vocabulary/user-error.js'
import { parsePartTag } from '../image/platforms.js'
import { formatName, type ImageName } from '../image/reference.js'
import { parseDatedTag } from '../image/dated-tags.js'
import type { RetentionBackend, RetentionLog } from './apply.js'
import type { TagInfo } from './retention-plan.js'

/** What retention needs of the registry client to delete. */
export interface ManifestDeleter {
  deleteManifest(name: ImageName, digest: string): Promise<'deleted' | 'not-found' | 'unsupported'>
}

/** What retention needs of the registry client to read tags and digests. */
export interface TagSource {
  listTags(name: ImageName): Promise<string[]>
  getManifest(name: ImageName, tagOrDigest: string): Promise<{ digest: string; manifest?: unknown } | undefined>
}

function errorKind(e: unknown): string | undefined {
  const k = (e as { kind?: unknown } | null)?.kind
  return typeof k === 'string' ? k : undefined
}

export function distributionBackend(client: ManifestDeleter, name: ImageName): RetentionBackend {
  let denied = ''
  return {
    name: `Distribution API (${name.registry || 'local'})`,
    async deleteDigest(digest) {
      try {
        return await client.deleteManifest(name, digest)
      } catch (e) {
        // 401/403 from the registry: the credentials may pull and push but not delete.
        const kind = errorKind(e)
        if (kind === 'denied' || kind === 'auth') {
          denied = errorMessage(e)
          return 'denied'
        }
        throw e
      }
    },
    explain(outcome) {
      if (outcome === 'unsupported') {
        return `${name.registry} does not allow deleting manifests (HTTP 405 UNSUPPORTED): deletes are disabled in the registry (Distribution: storage.delete.enabled: true), so nothing was deleted`
      }
      return `${name.registry} refused to delete from ${formatName(name)}${denied ? ` (${denied})` : ''}: the registry credentials need delete permission on the repository`
    },
  }
}

export interface CollectOptions {
  /** Manifest reads in flight at once (default 8). */
  concurrency?: number
  log?: RetentionLog
}

/** Failed reads after which the rest is not attempted (each read already retries). */
const MAX_FAILURES = 3

/**
 * Every tag of the repository with its digest (and its platform manifests when it is an
 * index). All tags are resolved, not just the dated ones: any of them may share a digest
 * with a dated tag. A tag that vanished meanwhile is left out; a tag that could not be read
 * gets digest '' — planRetention then deletes nothing that tag might share.
 * Returns [] when the repository has no dated tag of `prefix` (nothing to prune).
 */
export async function collectTagInfo(client: TagSource, name: ImageName, prefix: string, opts: CollectOptions = {}): Promise<TagInfo[]> {
  const tags = await client.listTags(name)
  // Nothing to prune without a dated tag or a per-platform part of one.
  if (!tags.some((t) => parseDatedTag(t, prefix) || parsePartTag(t, prefix))) return []
  const n = Math.max(1, Math.floor(opts.concurrency ?? 8))
  const out = new Array<TagInfo | undefined>(tags.length)
  let failures = 0
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < tags.length) {
      const i = next++
      const tag = tags[i]!
      if (failures >= MAX_FAILURES) {
        out[i] = { tag, digest: '' }
        continue
      }
      try {
        const m = await client.getManifest(name, tag)
        if (!m) continue // deleted since the listing
        const manifests = (m.manifest as { manifests?: unknown } | undefined)?.manifests
        const children = Array.isArray(manifests)
          ? manifests.map((d) => (d as { digest?: unknown } | null)?.digest).filter((d): d is string => typeof d === 'string')
          : undefined
        out[i] = { tag, digest: m.digest, ...(children ? { children } : {}) }
      } catch (e) {
        failures++
        opts.log?.warning?.(`Retention: could not read ${formatName(name)}:${tag} (${errorMessage(e)}); nothing it might share is deleted`)
        out[i] = { tag, digest: '' }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, tags.length) }, worker))
  return out.filter((t): t is TagInfo => t !== undefined)
}
