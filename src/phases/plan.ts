// Phase 4: the plan, announced in the log; in plan mode, rendered (nothing is built).

import { HASH_SCHEME, Outputs } from '../constants.js'
import { formatReference } from '../reference.js'
import type { Ports } from '../ports/index.js'
import type { RunState } from '../state.js'

/** Logs the decisions every run makes and sets the outputs known from the plan alone. */
export function announcePlan({ plan }: Pick<RunState, 'plan'>, ports: Pick<Ports, 'log' | 'results'>): void {
  ports.log.info(`Push: ${plan.push.enabled ? 'yes' : 'no'} (${plan.push.reason})`)
  if (plan.push.notice) ports.log.notice(plan.push.notice)
  ports.log.info(`Build cache: ${plan.cache.backend}`)
  // The tag this job pushes or uses: a job of a matrix that builds the base pushes its platform's part.
  ports.results.setOutput(Outputs.BaseTag, plan.base.tag)
}

/** Plan mode: the canonical document and what a run would do; the base outputs it can know. Returns the base reference (a reused base's). */
export async function showPlan(s: Pick<RunState, 'fp' | 'plan' | 'opts' | 'stores'>, ports: Pick<Ports, 'log' | 'results'>): Promise<string | undefined> {
  const { fp, plan, opts } = s
  ports.log.info(`Canonical environment document (hashed, scheme ${HASH_SCHEME}):`)
  ports.log.info(JSON.stringify(fp.document, null, 2))
  for (const step of plan.steps) ports.log.info(step)
  let baseRef: string | undefined
  if (plan.choice.action === 'reuse') {
    const digest = await s.stores.store.digest(opts.baseRepository, plan.choice.tag).catch(() => undefined)
    baseRef = formatReference(opts.baseRepository, plan.choice.tag, digest)
    ports.results.setOutput(Outputs.BaseImage, baseRef)
  }
  ports.results.setOutput(Outputs.BaseReused, String(plan.choice.action === 'reuse'))
  return baseRef
}
