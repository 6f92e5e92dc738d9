// Smoke tests (`smoke-test`, `base-smoke-test`): a command run in an image before anything
// of the run is tagged in the registry. Pure: which tests a run has, how an image is kept
// for them, the `docker run` argv, and what a run of one means. The I/O is in
// src/phases/smoke.ts.

import { UserError } from '../vocabulary/user-error.js'
import type { SmokeResult } from '../report/model.js'
import type { Options } from './options.js'
import type { RunPlan } from './run-plan.js'

/** Lines of a smoke test's output kept for the report (the tail). */
export const SMOKE_LINES = 20
/** Characters of output read from a smoke test (stdout and stderr each). */
export const SMOKE_OUTPUT_CHARS = 256 * 1024

export interface SmokePlan {
  /** `base-smoke-test`, when this run builds the base. */
  readonly base?: string
  /** `smoke-test`: against the application image when one is built, else the base (built or reused). */
  readonly final?: { readonly command: string; readonly target: 'base' | 'app' }
  /**
   * The builds of the run are first made by a trial (kept in the engine, or pushed by digest
   * without a tag) and tested; only then pushed with their tags. False when nothing is
   * pushed (the loaded images are tested as they are) or nothing is built.
   */
  readonly trial: boolean
}

/** Which smoke tests a run has. A reused base is not tested by `base-smoke-test` again. */
export function planSmoke(opts: Pick<Options, 'smokeTest' | 'baseSmokeTest'>, plan: Pick<RunPlan, 'base' | 'app' | 'push'>): SmokePlan {
  const base = plan.base.build && opts.baseSmokeTest ? opts.baseSmokeTest : undefined
  const final = opts.smokeTest ? { command: opts.smokeTest, target: plan.app ? ('app' as const) : ('base' as const) } : undefined
  const builds = Boolean(plan.base.build) || Boolean(plan.app)
  const tested = base !== undefined || (final !== undefined && (final.target === 'app' || Boolean(plan.base.build)))
  return { ...(base ? { base } : {}), ...(final ? { final } : {}), trial: plan.push.enabled && builds && tested }
}

/**
 * How a trial build keeps its image for the test: the `docker` driver builds into the engine
 * (`--load`: BuildKit there shares the engine's image store, so an application build finds the
 * base by its tag); every other driver pushes it by digest, with no tag, to the repository.
 */
export function trialOutput(driver: string | undefined): 'load' | 'push-by-digest' {
  return driver === 'docker' || driver === undefined ? 'load' : 'push-by-digest'
}

/** `docker run` (argv after `docker`): the command through the image's own entrypoint, as `sh -c`. */
export function smokeRunArgs(ref: string, command: string, container: string, dockerContext?: string): string[] {
  return dockerArgs(dockerContext, [
    'run',
    '--rm',
    `--name=${container}`,
    '--pull=missing',
    // Everything the user gives is one argument: an image reference never starts with `-`.
    ref.startsWith('-') ? invalidRef(ref) : ref,
    'sh',
    '-c',
    command,
  ])
}

/** `docker` argv (after `docker`) over a Docker context when one is given (a context builder's engine). */
export function dockerArgs(dockerContext: string | undefined, args: readonly string[]): string[] {
  return [...(dockerContext ? [`--context=${dockerContext}`] : []), ...args]
}

function invalidRef(ref: string): never {
  throw new UserError(`invalid image reference ${JSON.stringify(ref)}`)
}

export type { SmokeResult } from '../report/model.js'

/** The last `n` non-empty lines of a test's output. */
export function lastLines(output: string, n = SMOKE_LINES): string[] {
  return output
    .split(/\r?\n|\r/)
    .filter((l) => l.trim() !== '')
    .slice(-n)
}

/** What one run of the test means. `killed`: ended at the timeout. */
export function smokeResult(
  run: { readonly code: number; readonly output: string; readonly killed?: 'timeout' | 'aborted'; readonly durationMs: number },
  test: { readonly target: 'base' | 'app'; readonly ref: string; readonly command: string },
): SmokeResult {
  const timedOut = run.killed === 'timeout'
  return {
    ...test,
    passed: !run.killed && run.code === 0,
    ...(timedOut ? {} : { exitCode: run.code }),
    timedOut,
    durationMs: run.durationMs,
    lastLines: lastLines(run.output),
  }
}

const WHAT = { base: 'the base image', app: 'the application image' } as const

/** The error of a failed test: one line saying what failed, then the last lines of its output (the failure report shows them). */
export function smokeFailure(r: SmokeResult, timeoutMs: number): UserError {
  const how = r.timedOut ? `did not finish within ${Math.round(timeoutMs / 1000)} s (smoke-test-timeout) and was ended` : `exited with code ${r.exitCode}`
  const head = `The smoke test of ${WHAT[r.target]} failed: \`${oneLineCommand(r.command)}\` ${how}; nothing was pushed`
  return new UserError([head, ...r.lastLines].join('\n'))
}

/** A command as one line for a message (newlines shown as ⏎, long ones cut). */
export function oneLineCommand(c: string, max = 200): string {
  const v = c.replace(/\r?\n/g, ' ⏎ ')
  return v.length > max ? `${v.slice(0, max - 1)}…` : v
}
