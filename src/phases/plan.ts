// Phase 4: the plan, announced in the log; in plan mode, rendered (nothing is built).

import { HASH_SCHEME } from '../vocabulary/constants.js'
import { baseOutputs, planOutputs, publishOutputs, reusesBase } from '../run/outputs.js'
import { formatReference } from '../image/reference.js'
import type { Ports } from '../ports/index.js'
import { thousands } from '../text/strings.js'
import type { RunState } from '../run/state.js'

/** Logs the decisions every run makes and sets the outputs known from the plan alone. */
export function announcePlan({ plan }: Pick<RunState, 'plan'>, ports: Pick<Ports, 'log' | 'results'>): void {
  ports.log.info(`Push: ${plan.push.enabled ? 'yes' : 'no'} (${plan.push.reason})`)
  if (plan.push.notice) ports.log.notice(plan.push.notice)
  ports.log.info(`Build cache: ${plan.cache.backend}`)
  // The tag this job pushes or uses: a job of a matrix that builds the base pushes its platform's part.
  publishOutputs(ports.results, planOutputs(plan))
}

/** Plan mode: the canonical document and what a run would do; the base outputs it can know. Returns the base reference (a reused base's). */
export async function showPlan(s: Pick<RunState, 'fp' | 'plan' | 'opts' | 'stores'>, ports: Pick<Ports, 'log' | 'results'>): Promise<string | undefined> {
  const { fp, plan, opts } = s
  // Bounded: 50,000 requirement lines must not become a 1.5 MB log. The whole document is in the debug log.
  ports.log.info(`Canonical environment document (hashed, scheme ${HASH_SCHEME}): ${documentCounts(fp.document)}`)
  ports.log.info(JSON.stringify(boundedJson(fp.document, PLAN_ENTRIES), null, 2))
  ports.log.info(`(at most ${PLAN_ENTRIES} entries of each list are shown; the whole document is in the debug log: re-run with debug logging)`)
  ports.log.debug(`Canonical environment document, whole:\n${JSON.stringify(fp.document, null, 2)}`)
  for (const step of plan.steps) ports.log.info(step)
  let baseRef: string | undefined
  if (plan.choice.action === 'reuse') {
    const digest = await s.stores.store.digest(opts.baseRepository, plan.choice.tag).catch(() => undefined)
    baseRef = formatReference(opts.baseRepository, plan.choice.tag, digest)
  }
  publishOutputs(ports.results, baseOutputs(baseRef, reusesBase(plan)))
  return baseRef
}

/** Entries of each list or map the plan prints. */
export const PLAN_ENTRIES = 20

/** `1,204 dependencies, 3 channels, 12 pip`: the size of each list or map of the document. */
export function documentCounts(doc: object): string {
  const parts: string[] = []
  for (const [key, value] of Object.entries(doc) as [string, unknown][]) {
    if (Array.isArray(value)) parts.push(`${thousands(value.length)} ${key}`)
    else if (value && typeof value === 'object') parts.push(`${thousands(Object.keys(value).length)} ${key}`)
  }
  return parts.join(', ')
}

/** The document with every list and map cut to `max` entries, saying how many more there are. */
export function boundedJson(value: unknown, max: number): unknown {
  if (Array.isArray(value)) {
    const shown = value.slice(0, max).map((v) => boundedJson(v, max))
    return value.length > max ? [...shown, `… and ${thousands(value.length - max)} more`] : shown
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
    const out: Record<string, unknown> = Object.fromEntries(entries.slice(0, max).map(([k, v]) => [k, boundedJson(v, max)]))
    if (entries.length > max) out['…'] = `and ${thousands(entries.length - max)} more`
    return out
  }
  return value
}
