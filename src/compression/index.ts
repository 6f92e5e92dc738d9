// Layer compression of the pushed images (`compression`, `compression-level`): what is
// accepted, the exporter attributes BuildKit gets, and whether a builder can produce it.
// Pure functions over plain data.

import { UserError } from '../vocabulary/user-error.js'

export const Compressions = ['gzip', 'zstd', 'estargz'] as const
export type CompressionKind = (typeof Compressions)[number]

export interface Compression {
  readonly kind: CompressionKind
  /** BuildKit's `compression-level`; absent: BuildKit's default for the kind. */
  readonly level?: number
}

/** The levels BuildKit accepts for each kind (gzip and estargz are gzip streams; zstd's own scale). */
export const LEVELS: Record<CompressionKind, { readonly min: number; readonly max: number }> = {
  gzip: { min: 0, max: 9 },
  estargz: { min: 0, max: 9 },
  zstd: { min: 0, max: 22 },
}

/** The inputs as one value; a level outside the kind's range is a UserError naming both inputs. */
export function compressionOf(kind: CompressionKind, level: number | undefined, names: { kind: string; level: string }): Compression {
  if (level === undefined) return { kind }
  const { min, max } = LEVELS[kind]
  if (level < min || level > max) {
    throw new UserError(`Input "${names.level}" must be from ${min} to ${max} for ${names.kind}: ${kind}, got ${level}`)
  }
  return { kind, level }
}

/** Whether the images are built exactly as without the inputs (gzip at BuildKit's default level): then no attribute is added. */
export function isDefaultCompression(c: Compression | undefined): boolean {
  return c === undefined || (c.kind === 'gzip' && c.level === undefined)
}

/**
 * The exporter attributes (`key=value`, in order) that make BuildKit compress every layer of
 * the image — those of the `FROM` image too (`force-compression`) — with `c`. zstd and
 * estargz layers have OCI media types only. Empty for the default.
 */
export function exporterAttributes(c: Compression | undefined): string[] {
  if (!c || isDefaultCompression(c)) return []
  const attrs = [`compression=${c.kind}`]
  if (c.level !== undefined) attrs.push(`compression-level=${c.level}`)
  attrs.push('force-compression=true')
  if (c.kind !== 'gzip') attrs.push('oci-mediatypes=true')
  return attrs
}

/** What the builder inspection knows that decides whether a compression can be produced. */
export interface BuilderFacts {
  readonly name: string
  readonly driver: string
  /** `docker` driver: whether the engine uses the containerd image store (undefined: unknown). */
  readonly containerdStore?: boolean
  /** BuildKit version as `docker buildx inspect` shows it (`v0.13.2`; the docker driver may show `v0.0.0+unknown`). */
  readonly buildkit?: string
}

/** The first BuildKit release that exports each kind (with `force-compression` and `compression-level`). */
export const MIN_BUILDKIT: Record<CompressionKind, readonly [number, number]> = {
  gzip: [0, 10],
  zstd: [0, 10],
  estargz: [0, 10],
}

/** `v0.13.2` → [0, 13]; undefined when the version is not a real one (`v0.0.0+unknown`, a dev build). */
export function buildkitVersion(v: string | undefined): readonly [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.\d+/.exec(v?.trim() ?? '')
  if (!m) return undefined
  const major = Number(m[1])
  const minor = Number(m[2])
  return major === 0 && minor === 0 ? undefined : [major, minor]
}

/**
 * Why the builder cannot produce `c` (a sentence naming the builder and what to do), or
 * undefined when it can, or when nothing says it cannot. Only what departs from the default
 * is checked: a default build is what it always was.
 */
export function compressionProblem(c: Compression | undefined, b: BuilderFacts): string | undefined {
  if (!c || isDefaultCompression(c)) return undefined
  const what = `compression: ${c.kind}${c.level !== undefined ? ` (level ${c.level})` : ''}`
  if (b.driver === 'docker' && c.kind !== 'gzip' && b.containerdStore !== true) {
    return (
      `The buildx builder "${b.name}" (docker driver) cannot produce ${what}: the Docker engine's ${
        b.containerdStore === false ? 'classic image store' : 'image store (unknown)'
      } exports gzip layers only. ` +
      'Enable the containerd image store (dockerd "features": {"containerd-snapshotter": true}), use a docker-container builder (docker/setup-buildx-action), or use compression: gzip'
    )
  }
  const have = buildkitVersion(b.buildkit)
  const need = MIN_BUILDKIT[c.kind]
  if (have && (have[0] < need[0] || (have[0] === need[0] && have[1] < need[1]))) {
    return `The buildx builder "${b.name}" runs BuildKit ${b.buildkit}, which cannot produce ${what}: it needs BuildKit v${need[0]}.${need[1]} or later`
  }
  return undefined
}
