// What the runner tells the action about the run (environment variables and the event
// payload), read once at the edge into plain data.

import { UserError } from '../vocabulary/user-error.js'
import { checkAppendable, checkDockerConfig, readRunnerFile } from '../fs/runner-files.js'
import { defaultDockerConfigDir } from '../registry/credentials.js'
import { eventCommitTimestamp, parseSourceDateEpoch } from './source-date.js'

export interface RunContext {
  readonly sha: string
  readonly eventName: string
  readonly repository: string
  readonly serverUrl: string
  readonly apiUrl: string
  readonly runId: string
  readonly workspace: string
  /** `GITHUB_REF` (`refs/heads/main`, `refs/pull/1/merge`, `refs/tags/v1`). */
  readonly ref?: string
  /** `GITHUB_BASE_REF`: the target branch of a pull request. */
  readonly baseRef?: string
  /** `repository.default_branch` of the event payload. */
  readonly defaultBranch?: string
  /** Pull request number when the event is a pull request. */
  readonly pullRequest?: { readonly number: number; readonly fromFork: boolean; readonly headRef?: string }
  /** The clock (and the date of a new dated tag): `SOURCE_DATE_EPOCH` when set, else now. */
  readonly now: Date
  /** `SOURCE_DATE_EPOCH` when the user set it (validated: whole seconds, years 1970–9999). */
  readonly sourceDateEpoch?: Date
  /** The event payload's head commit timestamp, if it has one (a fallback source date). */
  readonly eventCommitTimestamp?: string
  /** The runner's own image platform (`linux/amd64`, `linux/arm64`, …): the default target. */
  readonly hostPlatform: string
}

export interface PullRequestPayload {
  head_commit?: unknown
  workflow_run?: unknown
  pull_request?: { number?: number; head?: { ref?: string; repo?: { full_name?: string } | null }; base?: { ref?: string; repo?: { full_name?: string } } }
  repository?: { full_name?: string; default_branch?: string }
}

/** The workspace: `GITHUB_WORKSPACE`, or the working directory outside the runner. */
export function workspaceOf(env: NodeJS.ProcessEnv): string {
  return env.GITHUB_WORKSPACE ?? process.cwd()
}

/** Throws a UserError for an invalid SOURCE_DATE_EPOCH. */
export function readRunContext(env: NodeJS.ProcessEnv = process.env, clock: () => Date = () => new Date()): RunContext {
  const sourceDateEpoch = parseSourceDateEpoch(env.SOURCE_DATE_EPOCH)
  const eventName = env.GITHUB_EVENT_NAME ?? ''
  const workspace = workspaceOf(env)
  const payload = env.GITHUB_EVENT_PATH ? readEventPayload(env.GITHUB_EVENT_PATH) : {}
  // The files the step writes at its end are checked now, before anything is built or pushed.
  if (env.GITHUB_OUTPUT) checkAppendable('GITHUB_OUTPUT', env.GITHUB_OUTPUT)
  if (env.GITHUB_STEP_SUMMARY) checkAppendable('GITHUB_STEP_SUMMARY', env.GITHUB_STEP_SUMMARY)
  checkDockerConfig(defaultDockerConfigDir(env), workspace)
  return Object.freeze({
    sha: env.GITHUB_SHA ?? '',
    eventName,
    repository: env.GITHUB_REPOSITORY ?? '',
    serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
    apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    runId: env.GITHUB_RUN_ID ?? '',
    workspace,
    ref: env.GITHUB_REF || undefined,
    baseRef: env.GITHUB_BASE_REF || (typeof payload.pull_request?.base?.ref === 'string' ? payload.pull_request.base.ref : undefined),
    defaultBranch: typeof payload.repository?.default_branch === 'string' ? payload.repository.default_branch : undefined,
    pullRequest: pullRequestOf(eventName, payload),
    now: sourceDateEpoch ?? clock(),
    sourceDateEpoch,
    eventCommitTimestamp: eventCommitTimestamp(payload),
    hostPlatform: hostPlatform(process.arch),
  })
}

/**
 * The event payload file the runner writes. Whether this is a pull request, and from a fork,
 * is read from it: a payload that cannot be read (a FIFO, a directory, larger than the cap)
 * is the run's failure (a UserError naming GITHUB_EVENT_PATH), never a guess — nor a hang.
 */
export function readEventPayload(file: string): PullRequestPayload {
  const text = readRunnerFile('GITHUB_EVENT_PATH', file).toString('utf8')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new UserError('The event payload file (GITHUB_EVENT_PATH) is not valid JSON: the runner writes it; was it replaced by an earlier step?')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UserError('The event payload file (GITHUB_EVENT_PATH) does not hold a JSON object')
  }
  return parsed
}

const ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm/v7',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
}

/**
 * Docker's name for the platform of images built on this machine. Containers are Linux
 * everywhere (Docker on macOS and Windows runs a Linux VM of the same architecture).
 */
export function hostPlatform(nodeArch: string): string {
  return `linux/${ARCH[nodeArch] ?? nodeArch}`
}

function pullRequestOf(eventName: string, payload: PullRequestPayload): RunContext['pullRequest'] {
  if (!eventName.startsWith('pull_request') || !payload.pull_request) return undefined
  const pr = payload.pull_request
  const head = pr.head?.repo?.full_name
  const base = pr.base?.repo?.full_name ?? payload.repository?.full_name
  // A deleted fork has head.repo === null: treat as a fork (it cannot have write access).
  const fromFork = pr.head?.repo === null || (head !== undefined && base !== undefined && head !== base)
  return { number: pr.number ?? 0, fromFork, headRef: pr.head?.ref }
}

/** UTC date of SOURCE_DATE_EPOCH (seconds since the epoch); undefined when unset; a UserError when invalid. */
export function sourceDate(value: string | undefined): Date | undefined {
  return parseSourceDateEpoch(value)
}
