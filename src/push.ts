// Whether this run pushes (the `push` input), as a pure decision with a reason a person reads.
//
// Push means push: `auto` pushes everywhere except where the reason not to is visible and
// expected — a pull request from a fork, whose token is read-only (said as a notice). Missing
// or refused credentials are not a reason to skip: the run checks push access before any
// build and fails, naming the registry and how to log in (see `pushAccessMessage`).

import type { RunContext } from './context.js'

export interface PushDecision {
  readonly enabled: boolean
  readonly reason: string
  /** Said as a notice: pushing was skipped for a reason the user should see. */
  readonly notice?: string
}

export interface PushInput {
  readonly push: 'auto' | boolean
  /** The local Docker engine is the store. */
  readonly local: boolean
  readonly pullRequest?: RunContext['pullRequest']
}

/** What a run does (plan mode reports it as what a run would do, and pushes nothing). */
export function decidePush(p: PushInput): PushDecision {
  if (p.local) return { enabled: false, reason: 'the local Docker engine is the store (`store: local`): images are loaded, not pushed' }
  if (p.push === true) return { enabled: true, reason: 'push: true' }
  if (p.push === false) return { enabled: false, reason: 'push: false — images are loaded into the local engine, registry cache is not exported' }
  if (p.pullRequest?.fromFork) {
    const reason = 'pull request from a fork: its token is read-only, so nothing is pushed and no registry cache is exported'
    return { enabled: false, reason, notice: `Not pushing: ${reason}. The images are built and loaded on the runner; the job summary has the report.` }
  }
  return { enabled: true, reason: 'push: auto — the job pushes (push access is checked before building)' }
}

/** The message of a push that cannot happen: names the registry and how to log in. */
export function pushAccessMessage(registry: string, repository: string, detail: string): string {
  const hub =
    registry === 'docker.io' ? " (Docker Hub: a name without a registry host is on Docker Hub; for the runner's own Docker engine set `store: local`)" : ''
  return (
    `Cannot push to ${registry}/${repository}${hub}: ${detail}. ` +
    `Log in before this step with docker/login-action (registry: ${registry}), or set the inputs registry-username and registry-password; ` +
    'set push: false to build without pushing.'
  )
}
