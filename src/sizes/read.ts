// Reads a base image's size manifest cheaply: the image's config (for the label naming the
// file) and its last layer — one small blob fetched by digest, un-gzipped, and the one file
// taken from the tar — never the whole image.

import { Labels } from '../vocabulary/constants.js'
import { layerTar, type LayerTar } from './layer-tar.js'
import { MAX_MANIFEST_FILE_BYTES, MAX_MANIFEST_LAYER_BYTES, parseSizeManifestDocument, tarMemberName, type SizeManifest } from './manifest.js'

export const CONFIG_MAX_BYTES = 16 * 1024 * 1024

export interface Descriptor {
  readonly mediaType?: string
  readonly digest: string
  readonly size: number
  readonly platform?: { os?: string; architecture?: string; variant?: string }
  readonly annotations?: Record<string, string>
}

/** What the reader needs from a registry (RegistryClient bound to one repository). */
export interface ManifestPort {
  manifest(ref: string): Promise<{ digest: string; manifest: unknown; mediaType?: string; size?: number } | undefined>
  blob(digest: string, maxBytes: number): Promise<Buffer>
}

/** `unreadable`: there may be a manifest, but this runner cannot read it (a zstd layer on a Node without zstd). */
export type SizeManifestRead = SizeManifest | { readonly missing: string; readonly unreadable?: true }

function platformOf(d: Descriptor): string {
  const p = d.platform
  return p ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : 'unknown'
}

/** The image manifest of `platform` (default: linux/amd64, else the first image) under an index. */
async function imageManifest(port: ManifestPort, ref: string, platform?: string): Promise<{ config?: Descriptor; layers?: Descriptor[] } | undefined> {
  let m = (await port.manifest(ref))?.manifest as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] } | undefined
  for (let depth = 0; m && Array.isArray(m.manifests); depth++) {
    if (depth > 2) return undefined
    const images = m.manifests.filter((d) => d && typeof d.digest === 'string' && d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')
    const want = platform ?? 'linux/amd64'
    const pick = images.find((d) => platformOf(d) === want) ?? (platform ? undefined : images[0])
    if (!pick) return undefined
    m = (await port.manifest(pick.digest))?.manifest as typeof m
  }
  return m
}

/** The bytes of one regular file of a tar archive, at most `max` bytes; undefined when absent. */
export async function tarFile(tar: Buffer, member: string, max: number): Promise<Buffer | undefined> {
  // tar-stream (with streamx) loads only when a size manifest is read out of a layer.
  const ex = (await import('tar-stream')).extract()
  ex.end(tar)
  let found: Buffer | undefined
  for await (const entry of ex) {
    const name = entry.header.name.replace(/^(\.\/|\/)+/, '')
    if (found === undefined && name === member && entry.header.type === 'file' && entry.header.size <= max) {
      const chunks: Buffer[] = []
      for await (const c of entry) chunks.push(c as Buffer)
      found = Buffer.concat(chunks)
    } else {
      entry.resume()
    }
  }
  return found
}

/** An image manifest's last layer as a tar, when it is small enough to read for the files the action puts there. */
export async function lastLayerTar(port: ManifestPort, m: { layers?: Descriptor[] }, maxTar: number): Promise<LayerTar> {
  const last = m.layers?.[m.layers.length - 1]
  if (!last?.digest) return { missing: 'the image has no layers' }
  if (!(last.size <= MAX_MANIFEST_LAYER_BYTES))
    return { missing: `its last layer is ${last.size} bytes, more than the ${MAX_MANIFEST_LAYER_BYTES} read for a size manifest` }
  try {
    return layerTar(last.mediaType, await port.blob(last.digest, MAX_MANIFEST_LAYER_BYTES), maxTar)
  } catch (e) {
    return { missing: `its last layer (${last.mediaType ?? 'of an unknown media type'}) cannot be decompressed (${(e as Error).message})` }
  }
}

/** The path the size manifest label names in an image config, or why there is none. */
export function sizeManifestPath(config: unknown): { label: string; member: string } | { missing: string } {
  const label = (config as { config?: { Labels?: Record<string, unknown> | null } } | null)?.config?.Labels?.[Labels.SizeManifest]
  const member = typeof label === 'string' ? tarMemberName(label) : undefined
  if (typeof label !== 'string' || !member) return { missing: `no ${Labels.SizeManifest} label` }
  return { label, member }
}

/**
 * The size manifest of the image at `ref`, or why there is none. Reads the config and, when
 * the label names a manifest, the last layer if it is small; errors of the registry propagate.
 */
export async function readSizeManifest(port: ManifestPort, ref: string, platform?: string): Promise<SizeManifestRead> {
  const m = await imageManifest(port, ref, platform)
  if (!m?.config?.digest) return { missing: 'no image manifest for the platform' }
  const path = sizeManifestPath(JSON.parse((await port.blob(m.config.digest, CONFIG_MAX_BYTES)).toString('utf8')))
  if ('missing' in path) return path
  const layer = await lastLayerTar(port, m, MAX_MANIFEST_FILE_BYTES + 1024 * 1024)
  if ('missing' in layer) return layer
  const file = await tarFile(layer.tar, path.member, MAX_MANIFEST_FILE_BYTES).catch(() => undefined)
  if (!file) return { missing: `its last layer does not hold ${path.label}` }
  const manifest = parseSizeManifestDocument(file.toString('utf8'))
  return manifest ?? { missing: `${path.label} is not a size manifest` }
}
