// Phase 5c': the base's SBOM attached to it as an OCI 1.1 referrer, and the outputs `sbom`
// and `lock`. The SBOM is the file the base build wrote into its last layer (checked by
// src/sbom/cyclonedx.ts: the bytes attached are the bytes in the image); one artifact per
// platform manifest, whose subject it is. A base without an SBOM there (a custom base
// Dockerfile without the contract) gets nothing, and no warning.

import { formatName } from '../image/reference.js'
import type { Ports } from '../ports/index.js'
import type { RunState } from '../run/state.js'
import { SBOM_FILE, SBOM_MEDIA_TYPE } from '../sbom/files.js'
import type { PlatformSbom } from '../sbom/image-sbom.js'
import type { SbomAttached } from '../report/model.js'
import { publishOutputs, sbomOutputs } from '../run/outputs.js'
import { tolerate } from './timing.js'

export interface SbomResult {
  /** `<repository>@<digest>` of the SBOM artifact of the first platform (the `sbom` output). */
  readonly sbom?: string
  /** Path of the lock in the base image (the `lock` output). */
  readonly lock?: string
  /** A base this run built: the SBOM it attached (absent when none was attached, and for a reused base). */
  readonly attached?: SbomAttached
}

/** Left-out records named in one warning, at most this many. */
const LEFT_OUT_SHOWN = 10

/** The platforms in the run's order (`platforms`), others after them: the first is the one the outputs name. */
function inRunOrder(sboms: readonly PlatformSbom[], platforms: readonly string[]): PlatformSbom[] {
  const rank = (p: string) => {
    const i = platforms.indexOf(p)
    return i < 0 ? platforms.length : i
  }
  return [...sboms].sort((a, b) => rank(a.platform) - rank(b.platform) || (a.platform < b.platform ? -1 : a.platform > b.platform ? 1 : 0))
}

/** What the SBOMs say was left out, once per record, in one warning; undefined when nothing was. */
export function leftOutWarning(sboms: readonly PlatformSbom[], base: string): string | undefined {
  const all = [...new Set(sboms.flatMap((s) => ('parsed' in s.sbom ? s.sbom.parsed.leftOut : [])))]
  if (all.length === 0) return undefined
  const shown = all.slice(0, LEFT_OUT_SHOWN).join('; ')
  const more = all.length > LEFT_OUT_SHOWN ? `; and ${all.length - LEFT_OUT_SHOWN} more` : ''
  return `The SBOM and lock of ${base} leave out ${all.length} conda-meta record(s) or field(s) that are not what conda or micromamba write: ${shown}${more}`
}

/**
 * Attaches the SBOM of each platform of a base the run pushed (`built`), or finds the one
 * attached to a reused base; sets `sbom` and `lock`. Reads and pushes are tolerated: a
 * failure is a warning, never the run's failure.
 */
export async function sbomPhase(
  s: RunState,
  base: { readonly digest?: string; readonly built: boolean },
  ports: Pick<Ports, 'log' | 'results'>,
): Promise<SbomResult> {
  const { opts, plan, stores } = s
  const { log } = ports
  const name = opts.baseRepository
  // A loaded base (no push), the local engine store: no registry to attach anything to.
  if (!base.digest || !stores.sboms || !stores.referrers || (base.built && !plan.push.enabled)) return {}
  const read = await tolerate(log, 'read the SBOM of the base', () => stores.sboms!(name, base.digest!))
  if (!read || read.length === 0) {
    log.debug(`No SBOM in the last layer of ${formatName(name)}@${base.digest}: nothing attached`)
    return {}
  }
  const sboms = inRunOrder(read, plan.job.platforms)
  const invalid = sboms.filter((p) => 'invalid' in p.sbom)
  if (base.built && invalid.length > 0) {
    const why = invalid.map((p) => `${p.platform}: ${'invalid' in p.sbom ? p.sbom.invalid : ''}`).join('; ')
    log.warning(`The SBOM in the base's last layer (${SBOM_FILE}) is not one the action attaches, so it was not attached (${why})`)
  }
  const valid = sboms.filter((p) => 'parsed' in p.sbom)
  const referrers = stores.referrers
  const artifacts: string[] = []
  let first: PlatformSbom | undefined
  if (base.built) {
    const warning = leftOutWarning(valid, plan.base.tagRef)
    if (warning) log.warning(warning)
    for (const p of valid) {
      const attached = await tolerate(log, `attach the SBOM of ${p.platform} to the base`, () =>
        referrers.attach(name, p.subject, { artifactType: SBOM_MEDIA_TYPE, mediaType: SBOM_MEDIA_TYPE, bytes: p.sbom.bytes, title: SBOM_FILE }),
      )
      if (!attached) continue
      log.info(
        `Attached the SBOM of ${p.platform} to ${formatName(name)}@${p.subject.digest} as ${attached.digest} (${attached.via === 'api' ? 'referrers API' : 'referrers tag schema'})`,
      )
      artifacts.push(attached.digest)
      first ??= p
    }
  } else {
    for (const p of valid) {
      const listed = await tolerate(log, `list the referrers of the base (${p.platform})`, () => referrers.list(name, p.subject.digest))
      const found = listed?.referrers.find((r) => r.artifactType === SBOM_MEDIA_TYPE)
      if (found) artifacts.push(found.digest)
      else log.debug(`The reused base has no SBOM referrer for ${p.platform} (built before SBOMs were attached)`)
    }
  }
  const sbom = artifacts[0] ? `${formatName(name)}@${artifacts[0]}` : undefined
  const lock = sboms.find((p) => p.lock)?.lock
  publishOutputs(ports.results, sbomOutputs({ sbom, lock }))
  const components = first && 'parsed' in first.sbom ? first.sbom.parsed.components : undefined
  const attached: SbomAttached | undefined =
    sbom && components
      ? {
          ref: sbom,
          platforms: artifacts.length,
          conda: components.filter((c) => c.kind === 'conda').length,
          pip: components.filter((c) => c.kind === 'pypi').length,
          ...(lock ? { lock } : {}),
        }
      : undefined
  return { ...(sbom ? { sbom } : {}), ...(lock ? { lock } : {}), ...(attached ? { attached } : {}) }
}
