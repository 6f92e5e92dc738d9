// A registry of content-addressed manifests a test makes up (indexes of any depth or width,
// any sizes, any media type), served by a loopback fault server: manifests and blobs by
// digest, tags by name, the tag list. Each answer carries the digest of its bytes.

import type { FaultServer } from './fault-server.js'
import { json, registryError } from './fault-server.js'
import { sha256Digest } from '../src/registry/index.js'

export interface ContentRegistry {
  /** Stores a document (JSON, or text as it is) by the digest of its bytes. */
  readonly put: (doc: unknown) => { digest: string; size: number }
  /** Tag → digest. */
  readonly tags: Map<string, string>
}

export function serveContent(srv: FaultServer): ContentRegistry {
  const blobs = new Map<string, string>()
  const tags = new Map<string, string>()
  srv.handle = (req, res) => {
    const url = req.url ?? ''
    if (/\/tags\/list/.test(url)) return json(res, 200, { tags: [...tags.keys()] })
    const m = /\/(manifests|blobs)\/([^/?]+)$/.exec(url)
    const ref = decodeURIComponent(m?.[2] ?? '')
    const text = blobs.get(tags.get(ref) ?? ref)
    if (!text) return registryError(res, 404, m?.[1] === 'blobs' ? 'BLOB_UNKNOWN' : 'MANIFEST_UNKNOWN')
    const type = (JSON.parse(text) as { mediaType?: string }).mediaType ?? 'application/json'
    json(res, 200, text, { 'content-type': type, 'docker-content-digest': sha256Digest(Buffer.from(text)) })
  }
  return {
    put: (doc) => {
      const text = typeof doc === 'string' ? doc : JSON.stringify(doc)
      const digest = sha256Digest(Buffer.from(text))
      blobs.set(digest, text)
      return { digest, size: Buffer.byteLength(text) }
    },
    tags,
  }
}
