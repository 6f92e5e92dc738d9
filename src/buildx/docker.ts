// Spawning `docker` with an argv array (never a shell).

import { UserError } from '../vocabulary/user-error.js'
import { DOCKER_MISSING, execProcess, isProgramNotFound, type ProcessPort } from '../runner/process.js'

export { DOCKER_MISSING }
export const BUILDX_MISSING =
  'docker buildx is not available: install the Docker buildx plugin (e.g. the docker-buildx-plugin package, or docker/setup-buildx-action) — this action builds with `docker buildx build`'

export interface DockerResult {
  code: number
  stdout: string
  stderr: string
}

export interface DockerOptions {
  env?: NodeJS.ProcessEnv
  signal?: AbortSignal
  /** Kill the command after this long (default 120 s). */
  timeoutMs?: number
  /** Bytes of stdout/stderr kept (default 4 MiB each). */
  maxBuffer?: number
  /** The process port (default: @actions/exec). */
  proc?: ProcessPort
}

/** True when docker says it has no `buildx` command (plugin missing). */
export function isBuildxMissing(stderr: string): boolean {
  return /'buildx' is not a docker command|unknown command "buildx"|unknown command: docker buildx/i.test(stderr)
}

/** Runs `docker <args>` to completion, collecting (bounded) output. Rejects only when it cannot run. */
export async function docker(args: readonly string[], opts: DockerOptions = {}): Promise<DockerResult> {
  const proc = opts.proc ?? execProcess
  try {
    const r = await proc.run('docker', args, { env: opts.env, signal: opts.signal, timeoutMs: opts.timeoutMs ?? 120_000, maxBuffer: opts.maxBuffer })
    if (r.killed) throw new Error(`docker ${args.slice(0, 2).join(' ')} was killed (SIGKILL)${r.killed === 'aborted' ? ': aborted' : ''}`)
    return { code: r.code, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    if (isProgramNotFound(e)) throw new UserError(DOCKER_MISSING)
    throw e
  }
}

/** Short, single-paragraph form of a command's error output for messages. */
export function briefOutput(text: string, maxLines = 20): string {
  const lines = text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '')
  return lines.slice(-maxLines).join('\n')
}
