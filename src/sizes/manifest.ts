// What makes a base image big: the size manifest the bundled template writes (one record
// per conda package with its installed bytes, from the conda-meta records), parsed and
// compared (src/sizes/changes.ts). Pure functions over plain data.
//
// The contract (also for custom base Dockerfiles): the image carries the label
// `io.github.conda-image-action.size-manifest` naming an absolute path, and its LAST layer
// holds that file: JSON `{"version": 1, "packages": [{"name", "version", "build"?, "size"}],
// "pip"?: [{"name", "version", "size"?}]}` with `size` the installed bytes of the package;
// `pip` lists the pip-installed distributions (name and version from their METADATA, size the
// bytes their RECORD lists). A manifest without `pip` (a base built before it was written, a
// custom base that leaves it out) says nothing about pip: its pip changes are not reported.

import { MAX_IMAGE_BYTES, plausibleSize } from '../registry/plausible.js'

/** The compressed last layer is read only when it is at most this big… */
export const MAX_MANIFEST_LAYER_BYTES = 1024 * 1024
/** …the manifest file itself at most this big… */
export const MAX_MANIFEST_FILE_BYTES = 4 * 1024 * 1024
/** …and at most this many package records are kept. */
export const MAX_PACKAGES = 20_000

export interface PackageSize {
  readonly name: string
  readonly version: string
  readonly build?: string
  /** Installed bytes. */
  readonly size: number
}

/** A pip-installed distribution (`*.dist-info` no conda record owns). */
export interface PipDistribution {
  readonly name: string
  readonly version: string
  /** The bytes its RECORD lists; absent when it has no RECORD with sizes (or one no package could have). */
  readonly size?: number
}

/** A size manifest: its conda packages and, when it lists them, its pip distributions. */
export interface SizeManifest {
  readonly packages: PackageSize[]
  /** Absent when the manifest has no `pip` list: nothing is known about pip then. */
  readonly pip?: PipDistribution[]
}

// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const SHORT = /^[^\u0000-\u001f]{1,200}$/

/** Records of a size manifest; undefined when the text is not one (never throws). */
export function parseSizeManifest(text: string): PackageSize[] | undefined {
  return parseSizeManifestDocument(text)?.packages
}

/** The pip list of a manifest: undefined when it has none (not an array); bad records are skipped, a bad size dropped. */
function pipList(list: unknown): PipDistribution[] | undefined {
  if (!Array.isArray(list)) return undefined
  const out: PipDistribution[] = []
  for (const p of list.slice(0, MAX_PACKAGES)) {
    if (!p || typeof p !== 'object') continue
    const { name, version, size } = p as Record<string, unknown>
    if (typeof name !== 'string' || !SHORT.test(name) || typeof version !== 'string' || !SHORT.test(version)) continue
    out.push({ name, version, ...(plausibleSize(size) ? { size } : {}) })
  }
  return out
}

/** The conda packages and pip distributions of a size manifest; undefined when the text is not one (never throws). */
export function parseSizeManifestDocument(text: string): SizeManifest | undefined {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!doc || typeof doc !== 'object' || (doc as { version?: unknown }).version !== 1) return undefined
  const list = (doc as { packages?: unknown }).packages
  if (!Array.isArray(list)) return undefined
  const out: PackageSize[] = []
  let total = 0
  for (const p of list.slice(0, MAX_PACKAGES)) {
    if (!p || typeof p !== 'object') continue
    const { name, version, build, size } = p as Record<string, unknown>
    if (typeof name !== 'string' || !SHORT.test(name) || typeof version !== 'string' || !SHORT.test(version)) continue
    // A size no package could have (1e308, 1.5, beyond 2^53 or 1 TiB) is not a size: the record is skipped.
    if (!plausibleSize(size)) continue
    out.push({ name, version, build: typeof build === 'string' && SHORT.test(build) ? build : undefined, size })
    total += size
  }
  const pip = pipList((doc as { pip?: unknown }).pip)
  // Installed sizes that add up to more than any image holds: not a size manifest.
  if (total + (pip ?? []).reduce((n, p) => n + (p.size ?? 0), 0) > MAX_IMAGE_BYTES) return undefined
  return pip ? { packages: out, pip } : { packages: out }
}

/** The `n` largest packages by installed size (ties by name). */
export function largestPackages(pkgs: readonly PackageSize[], n = 10): PackageSize[] {
  return [...pkgs].sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).slice(0, n)
}

/** The tar member name of an absolute manifest path (`/opt/x.json` → `opt/x.json`); undefined when the path is not usable. */
export function tarMemberName(labelPath: string): string | undefined {
  if (!labelPath.startsWith('/') || labelPath.length > 1024 || labelPath.includes('\0')) return undefined
  const parts = labelPath.split('/').filter((s) => s !== '' && s !== '.')
  if (parts.length === 0 || parts.includes('..')) return undefined
  return parts.join('/')
}
