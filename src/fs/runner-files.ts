// The runner's files: the event payload (GITHUB_EVENT_PATH), the step's outputs
// (GITHUB_OUTPUT) and job summary (GITHUB_STEP_SUMMARY), the Docker config. An earlier step
// of the job can replace any of them (with a FIFO that blocks an open, a device, a file of
// gigabytes), so they go through the same bounded opener as workspace files
// (openRegularSync: O_NONBLOCK, fstat, a size cap) and a refusal is one user error naming
// the variable, the path and the cap.

import { closeSync, constants, realpathSync } from 'node:fs'
import path from 'node:path'
import { UserError } from '../vocabulary/user-error.js'
import { appendBoundedSync, isConfinedError, isInside, openRegularSync, readFileBoundedSync, type ConfinedError } from './confined.js'

const MiB = 1024 * 1024

/** Size caps of the runner's files. */
export const RUNNER_FILE_CAPS = {
  /** GitHub caps webhook payloads at 25 MB; the event file is never larger. */
  GITHUB_EVENT_PATH: 25 * MiB,
  /** GitHub's documented limit of one step's job summary (larger ones are not shown). */
  GITHUB_STEP_SUMMARY: MiB,
  /** The outputs file after this step's few outputs (GitHub keeps at most 1 MiB of a job's outputs). */
  GITHUB_OUTPUT: 16 * MiB,
  /** A Docker config.json (a few KiB in practice). */
  DOCKER_CONFIG: 4 * MiB,
} as const

export type RunnerFile = keyof typeof RUNNER_FILE_CAPS

const LABEL: Record<RunnerFile, string> = {
  GITHUB_EVENT_PATH: 'The event payload file (GITHUB_EVENT_PATH)',
  GITHUB_STEP_SUMMARY: 'The job summary file (GITHUB_STEP_SUMMARY)',
  GITHUB_OUTPUT: 'The step outputs file (GITHUB_OUTPUT)',
  DOCKER_CONFIG: 'The Docker config (config.json of DOCKER_CONFIG or ~/.docker)',
}

function runnerFileError(name: RunnerFile, file: string, e: ConfinedError): UserError {
  return new UserError(`${LABEL[name]} "${file}" could not be ${name === 'GITHUB_OUTPUT' || name === 'GITHUB_STEP_SUMMARY' ? 'written' : 'read'}: ${e.detail}`)
}

function named<T>(name: RunnerFile, file: string, f: () => T): T {
  try {
    return f()
  } catch (e) {
    throw isConfinedError(e) ? runnerFileError(name, file, e) : e
  }
}

/** The whole of a runner file (a regular file within its cap), else a UserError naming it. */
export function readRunnerFile(name: RunnerFile, file: string): Buffer {
  return named(name, file, () => readFileBoundedSync(file, file, { maxBytes: RUNNER_FILE_CAPS[name] }))
}

/** Appends to a runner file that exists as a regular file (and stays within its cap), else a UserError naming it. */
export function appendRunnerFile(name: RunnerFile, file: string, text: string): void {
  named(name, file, () => appendBoundedSync(file, file, text, RUNNER_FILE_CAPS[name]))
}

/** Checks up front that a runner file the step appends to can be appended to (without blocking). */
export function checkAppendable(name: RunnerFile, file: string): void {
  named(name, file, () => closeSync(openRegularSync(file, file, { flags: constants.O_WRONLY | constants.O_APPEND, maxBytes: RUNNER_FILE_CAPS[name] })))
}

/**
 * The Docker config the docker CLI will read: the runner's (the user's), never one a pull
 * request controls — a config directory inside the workspace names the programs Docker runs
 * (`credsStore`, `credHelpers`, `cli-plugins/`), so it is a user error. Its config.json, when
 * there is one, must be a regular file within the cap (a FIFO would block the docker CLI too).
 */
export function checkDockerConfig(dir: string, workspace: string): void {
  const real = (p: string): string => {
    try {
      return realpathSync.native(path.resolve(p))
    } catch {
      return path.resolve(p)
    }
  }
  if (isInside(real(workspace), real(dir))) {
    throw new UserError(
      `The Docker config directory "${dir}" (DOCKER_CONFIG, else ~/.docker) lies inside the workspace: a pull request could name the programs Docker runs (credential helpers, CLI plugins). Use a directory outside the workspace.`,
    )
  }
  const file = path.join(dir, 'config.json')
  try {
    closeSync(openRegularSync(file, file, { flags: constants.O_RDONLY, maxBytes: RUNNER_FILE_CAPS.DOCKER_CONFIG }))
  } catch (e) {
    if (isConfinedError(e) && e.reason === 'missing') return
    throw isConfinedError(e) ? runnerFileError('DOCKER_CONFIG', file, e) : e
  }
}
