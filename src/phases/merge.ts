// Phase 5 of mode: merge — no builds: the per-platform images the jobs of a matrix pushed are
// assembled into one multi-platform base tag and application tag (src/image/platform-merge.ts).

import { baseOutputs, finalOutputs, publishOutputs } from '../run/outputs.js'
import { UserError } from '../vocabulary/user-error.js'
import { mergeImages } from '../image/platform-merge.js'
import type { Ports } from '../ports/index.js'
import { formatReference } from '../image/reference.js'
import type { Built, RunState } from '../run/state.js'
import { cacheTotals } from './build.js'
import { sbomPhase } from './sbom.js'

/** `progress`: every reference written, as it is written (what a failure report says was pushed). */
export async function mergePhase(s: RunState, ports: Pick<Ports, 'log' | 'results'>, progress: { pushed: string[] } = { pushed: [] }): Promise<Built> {
  const { opts, plan, stores, fp } = s
  if (!stores.registry || !plan.merge) throw new UserError('mode: merge assembles multi-platform tags in a registry')
  if (!plan.push.enabled) throw new UserError(`mode: merge pushes the multi-platform tags, but this job does not push: ${plan.push.reason}`)
  const merged = await mergeImages(
    {
      baseRepository: opts.baseRepository,
      prefix: opts.baseTagPrefix,
      envHash: fp.hash,
      platforms: s.platforms,
      appTags: opts.dockerfile ? opts.tags : [],
      base: plan.merge,
    },
    stores.registry,
    ports.log,
    (refs) => progress.pushed.push(...refs),
  )
  const baseRef = formatReference(opts.baseRepository, merged.base.tag, merged.base.digest)
  const final = merged.app ?? { name: opts.baseRepository, tag: merged.base.tag, digest: merged.base.digest }
  const ref = formatReference(final.name, final.tag, final.digest)
  // The merge writes the multi-platform base tag (unless the jobs reused a whole base) and, with an application, its tags.
  const pushed = [...progress.pushed]
  publishOutputs(ports.results, {
    ...baseOutputs(baseRef, true),
    ...finalOutputs({ ref, digest: final.digest, cache: cacheTotals([]), metadata: undefined, pushed }),
  })
  // The jobs attached each platform's SBOM to its manifest: the outputs name what they attached.
  await sbomPhase(s, { digest: merged.base.digest, built: false }, ports)
  return { builds: [], base: { ref: baseRef, digest: merged.base.digest }, final: { ...final, ref }, pushed }
}
