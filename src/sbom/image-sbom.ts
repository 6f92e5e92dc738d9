// The SBOM and the lock of a pushed base, per platform, read the way the size manifest is
// read (src/sizes/read.ts): the config for the label naming the size manifest, then the small
// last layer by digest — `sbom.cdx.json` and `explicit.txt` sit next to the size manifest
// there. This is the contract a custom base Dockerfile follows to get the same SBOM and lock;
// an image without it has no SBOM, which is not an error.

import path from 'node:path'
import { CONFIG_MAX_BYTES, lastLayerTar, sizeManifestPath, tarFile, type Descriptor, type ManifestPort } from '../sizes/read.js'
import type { ParsedSbom } from './cyclonedx.js'
import { EXPLICIT_FILE, SBOM_FILE } from './files.js'

/** The SBOM file is read when it is at most this big (a real environment's is well under 1 MiB)… */
export const MAX_SBOM_BYTES = 16 << 20
/** …out of a last layer that decompresses to at most this. */
const MAX_LAYER_TAR_BYTES = 24 << 20
/** Platform manifests of one index read. */
const MAX_PLATFORMS = 16

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'

export interface PlatformSbom {
  readonly platform: string
  /** The platform's image manifest: the subject its SBOM is attached to. */
  readonly subject: { readonly mediaType: string; readonly digest: string; readonly size: number }
  /** The SBOM of the last layer: its bytes and what they hold, or why they are not an SBOM of the template. */
  readonly sbom: { readonly bytes: Buffer; readonly parsed: ParsedSbom } | { readonly bytes: Buffer; readonly invalid: string }
  /** The lock's path in the image, when `explicit.txt` is next to the SBOM. */
  readonly lock?: string
}

function platformOf(d: Descriptor): string {
  const p = d.platform
  return p && p.os && p.architecture ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : 'unknown'
}

function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || platformOf(d) === 'unknown/unknown'
}

/** The image manifests of `ref` with their platform: itself, or the images an index lists (attestations left out). */
async function platformManifests(port: ManifestPort, ref: string): Promise<{ platform?: string; subject: PlatformSbom['subject']; manifest: unknown }[]> {
  const top = await port.manifest(ref)
  if (!top) return []
  const listed = (top.manifest as { manifests?: unknown }).manifests
  if (!Array.isArray(listed)) {
    const size = top.size
    if (size === undefined) return []
    return [{ subject: { mediaType: top.mediaType ?? OCI_MANIFEST, digest: top.digest, size }, manifest: top.manifest }]
  }
  const images = (listed as Descriptor[]).filter((d) => d && typeof d.digest === 'string' && typeof d.size === 'number' && !isAttestation(d))
  const out = []
  for (const d of images.slice(0, MAX_PLATFORMS)) {
    const m = await port.manifest(d.digest)
    if (!m || Array.isArray((m.manifest as { manifests?: unknown }).manifests)) continue
    out.push({
      platform: platformOf(d),
      subject: { mediaType: d.mediaType ?? m.mediaType ?? OCI_MANIFEST, digest: d.digest, size: d.size },
      manifest: m.manifest,
    })
  }
  return out
}

/**
 * The SBOM of each platform of the image at `ref` (a tag or digest of the port's repository)
 * that has one; [] when none has (no size manifest label, no SBOM next to it, a last layer
 * too big to be the action's). Registry errors propagate.
 */
export async function readImageSboms(port: ManifestPort, ref: string): Promise<PlatformSbom[]> {
  const out: PlatformSbom[] = []
  for (const p of await platformManifests(port, ref)) {
    const m = p.manifest as { config?: Descriptor; layers?: Descriptor[] }
    if (!m.config?.digest) continue
    const config = JSON.parse((await port.blob(m.config.digest, CONFIG_MAX_BYTES)).toString('utf8')) as {
      os?: unknown
      architecture?: unknown
      variant?: unknown
    }
    const at = sizeManifestPath(config)
    if ('missing' in at) continue
    const layer = await lastLayerTar(port, m, MAX_LAYER_TAR_BYTES)
    if ('missing' in layer) continue
    const dir = path.posix.dirname(at.member)
    const bytes = await tarFile(layer.tar, `${dir}/${SBOM_FILE}`, MAX_SBOM_BYTES).catch(() => undefined)
    if (!bytes) continue
    const lock = await tarFile(layer.tar, `${dir}/${EXPLICIT_FILE}`, MAX_SBOM_BYTES).catch(() => undefined)
    // The CycloneDX library and packageurl-js load only when a base has an SBOM.
    const parsed = (await import('./cyclonedx.js')).parseSbom(bytes)
    const word = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(v)
    const platform =
      p.platform ??
      (word(config.os) && word(config.architecture) ? [config.os, config.architecture, ...(word(config.variant) ? [config.variant] : [])].join('/') : 'unknown')
    out.push({
      platform,
      subject: p.subject,
      sbom: 'invalid' in parsed ? { bytes, invalid: parsed.invalid } : { bytes, parsed },
      ...(lock ? { lock: `/${dir}/${EXPLICIT_FILE}` } : {}),
    })
  }
  return out
}
