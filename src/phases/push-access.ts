// Phase 4b: push means push. Before any build, a run that pushes checks that it can: a tag
// lookup the registry refused (401/403) is fatal, and every repository the run pushes to
// must take a push (a blob upload started and cancelled). Missing or refused credentials
// fail the step, naming the registry and how to log in; a registry that cannot be reached
// for the check is only warned about (the push itself will say more).
//
// Before that, as soon as the inputs are read: every registry a run that pushes writes to must
// answer at all (startReachChecks, reachPhase). One that cannot be reached — the name does not
// resolve, the connection is refused, TLS fails, no answer within seconds — stops the run
// before the lookup and any build, naming the host, the cause and what to do.

import { UserError, errorMessage } from '../vocabulary/user-error.js'
import type { Ports } from '../ports/index.js'
import { buildCertain } from '../run/run-plan.js'
import { decidePush, pushAccessMessage, registriesToReach, unreachableMessage, type ReachTarget } from '../run/push.js'
import { formatName, type ImageName } from '../image/reference.js'
import { isRegistryError, type ReachFailure } from '../registry/index.js'
import type { RunState } from '../run/state.js'

/** The repositories this run pushes to: the base repository when a base is built, the image's when an application is. */
export function pushTargets(s: Pick<RunState, 'opts' | 'plan'>): ImageName[] {
  const repos = [...(s.plan.base.build ? [s.opts.baseRepository] : []), ...(s.plan.app ? [s.opts.image] : [])]
  return repos.filter((r, i) => repos.findIndex((q) => formatName(q) === formatName(r)) === i)
}

/** Whether the phase has anything to do (so that it is only timed and logged when it does). */
export function needsPushCheck(s: Pick<RunState, 'opts' | 'plan' | 'lookup'>): boolean {
  return s.opts.mode !== 'plan' && s.plan.push.enabled && (s.lookup.refused !== undefined || s.plan.builder.needed)
}

/** Push checks already under way, by repository (formatName). */
export type EarlyPushChecks = ReadonlyMap<string, Promise<void>>

/**
 * With an application Dockerfile and a run that pushes, the image's repository is a push
 * target whatever the lookup finds: its check (two round trips, more with a token) starts
 * while the action hashes and lists tags. A failure waits for the phase (never unhandled).
 */
export function startPushChecks(s: Pick<RunState, 'opts' | 'ctx' | 'stores'>): EarlyPushChecks {
  const { opts, ctx, stores } = s
  const checks = new Map<string, Promise<void>>()
  if (!buildCertain(opts) || !stores.registry || !decidePush({ push: opts.push, local: opts.image.local, pullRequest: ctx.pullRequest }).enabled) return checks
  const check = stores.registry.probePush(opts.image)
  check.catch(() => undefined)
  checks.set(formatName(opts.image), check)
  return checks
}

export async function pushAccessPhase(
  s: Pick<RunState, 'opts' | 'plan' | 'lookup' | 'stores'>,
  ports: Pick<Ports, 'log'>,
  early: EarlyPushChecks = new Map(),
): Promise<void> {
  const base = s.opts.baseRepository
  if (s.lookup.refused !== undefined) throw new UserError(pushAccessMessage(base.registry, base.repository, s.lookup.refused))
  const registry = s.stores.registry
  if (!registry || !s.plan.builder.needed) return
  for (const repo of pushTargets(s)) {
    try {
      await (early.get(formatName(repo)) ?? registry.probePush(repo))
      ports.log.info(`Push access to ${formatName(repo)}: ok`)
    } catch (e) {
      if (isRegistryError(e) && (e.kind === 'auth' || e.kind === 'denied'))
        throw new UserError(pushAccessMessage(repo.registry, repo.repository, errorMessage(e)))
      ports.log.warning(`Could not check push access to ${formatName(repo)} (${errorMessage(e)}); building anyway`)
    }
  }
}

/** Reachability checks under way, one per registry the run pushes to; undefined when the run does not push. */
export type ReachChecks = Promise<readonly { readonly target: ReachTarget; readonly why?: ReachFailure }[]>

/** Starts the reachability checks of a run that pushes (they run while the action hashes). */
export function startReachChecks(s: Pick<RunState, 'opts' | 'ctx' | 'stores'>): ReachChecks | undefined {
  const { opts, ctx, stores } = s
  const registry = stores.registry
  if (opts.mode === 'plan' || !registry || !decidePush({ push: opts.push, local: opts.image.local, pullRequest: ctx.pullRequest }).enabled) return undefined
  const checks = Promise.all(registriesToReach(opts).map(async (target) => ({ target, why: await registry.reachable(target.name) })))
  checks.catch(() => undefined)
  return checks
}

/** Every registry the run pushes to answered; else one UserError naming each that did not. */
export async function reachPhase(checks: ReachChecks, ports: Pick<Ports, 'log'>): Promise<void> {
  const results = await checks
  const failed = results.filter((r) => r.why !== undefined)
  if (failed.length) throw new UserError(failed.map((r) => unreachableMessage(r.target, r.why!)).join('\n'))
  ports.log.info(`Registries reachable: ${results.map((r) => r.target.name.registry).join(', ')}`)
}
