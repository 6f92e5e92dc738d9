// Spawning `docker` with an argv array (never a shell).

import { spawn } from 'node:child_process'
import { UserError } from '../errors.js'

export const DOCKER_MISSING =
  'the docker CLI was not found on PATH: install Docker (the docker CLI and the buildx plugin, e.g. the docker-ce-cli and docker-buildx-plugin packages) or run on a runner that has it'
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
}

/** True for the error `spawn` reports when the `docker` executable does not exist. */
export function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ENOENT'
}

/** True when docker says it has no `buildx` command (plugin missing). */
export function isBuildxMissing(stderr: string): boolean {
  return /'buildx' is not a docker command|unknown command "buildx"|unknown command: docker buildx/i.test(stderr)
}

/** Runs `docker <args>` to completion, collecting (bounded) output. Rejects only when it cannot run. */
export function docker(args: readonly string[], opts: DockerOptions = {}): Promise<DockerResult> {
  const max = opts.maxBuffer ?? 4 * 1024 * 1024
  return new Promise((resolve, reject) => {
    const child = spawn('docker', [...args], {
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: opts.signal,
      timeout: opts.timeoutMs ?? 120_000,
      killSignal: 'SIGKILL',
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (d: string) => {
      if (stdout.length < max) stdout += d
    })
    child.stderr.on('data', (d: string) => {
      if (stderr.length < max) stderr += d
    })
    child.on('error', (e) => {
      if (isNotFound(e)) reject(new UserError(DOCKER_MISSING))
      else reject(e)
    })
    child.on('close', (code, signal) => {
      if (signal && code === null) {
        reject(new Error(`docker ${args.slice(0, 2).join(' ')} was killed (${signal})${opts.signal?.aborted ? ': aborted' : ''}`))
        return
      }
      resolve({ code: code ?? 1, stdout, stderr })
    })
  })
}

/** Short, single-paragraph form of a command's error output for messages. */
export function briefOutput(text: string, maxLines = 20): string {
  const lines = text.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '')
  return lines.slice(-maxLines).join('\n')
}
