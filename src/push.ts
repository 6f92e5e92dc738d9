// Whether this run pushes (docs/DESIGN.md §4.7), as a pure decision with a reason a person reads.

import type { Mode } from './constants.js'
import type { RunContext } from './context.js'

export interface PushDecision {
  readonly enabled: boolean
  readonly reason: string
}

/** Credentials for the registry were found (inputs or Docker config), or none are needed. */
export type CredentialState = 'found' | 'none' | 'not-needed'

export interface PushInput {
  readonly push: 'auto' | boolean
  readonly mode: Mode
  readonly local: boolean
  readonly pullRequest?: RunContext['pullRequest']
  readonly credentials: CredentialState
  readonly registry: string
}

export function decidePush(p: PushInput): PushDecision {
  if (p.mode === 'plan') return { enabled: false, reason: 'plan mode: nothing is built or pushed' }
  if (p.local) return { enabled: false, reason: 'the local Docker engine is the store: images are loaded, not pushed' }
  if (p.push === true) return { enabled: true, reason: 'push: true' }
  if (p.push === false) return { enabled: false, reason: 'push: false — images are loaded into the local engine, registry cache is not exported' }
  if (p.pullRequest?.fromFork) {
    return {
      enabled: false,
      reason: 'pull request from a fork: its token is read-only, so nothing is pushed and no registry cache is exported',
    }
  }
  if (p.credentials === 'none') {
    return {
      enabled: false,
      reason: `no credentials for ${p.registry}: log in with docker/login-action or set registry-username and registry-password (or set push: true)`,
    }
  }
  return { enabled: true, reason: 'the job can write to the registry' }
}
