// What makes a base image big: the size manifest the bundled template writes (one record
// per conda package with its installed bytes, from the conda-meta records), parsed and
// compared (src/sizes/changes.ts). Pure functions over plain data.
//
// The contract (also for custom base Dockerfiles): the image carries the label
// `io.github.conda-image-action.size-manifest` naming an absolute path, and its LAST layer
// holds that file: JSON `{"version": 1, "packages": [{"name", "version", "build"?, "size"}]}`
// with `size` the installed bytes of the package.

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

// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const SHORT = /^[^\u0000-\u001f]{1,200}$/

/** Records of a size manifest; undefined when the text is not one (never throws). */
export function parseSizeManifest(text: string): PackageSize[] | undefined {
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
  // Installed sizes that add up to more than any image holds: not a size manifest.
  return total <= MAX_IMAGE_BYTES ? out : undefined
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
