// Running one `docker buildx build`: streams a readable log, counts cache hits, reads the
// digest from the metadata file, and turns failures into messages a user can act on.

import { rm } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { UserError } from '../vocabulary/user-error.js'
import type { BuildStepTiming } from '../report/model.js'
import { buildxArgs, cacheTos, type BuildSpec } from './argv.js'
import { execProcess, isProgramNotFound, type ProcessPort } from '../runner/process.js'
import { BUILDX_MISSING, DOCKER_MISSING, isBuildxMissing } from './docker.js'
import { PlainProgressTracker, ProgressTracker, type ProgressFailure } from './progress.js'
import { cacheImportNote } from './cache-config.js'
import { stepName } from './step-name.js'
import { isConfinedError, readFileBoundedSync } from '../fs/confined.js'

export interface BuildOutcome {
  /** `containerimage.digest` from the metadata file (see `digestFromMetadata`). */
  digest?: string
  /** The whole `--metadata-file` document. */
  metadata: Record<string, unknown>
  cachedSteps: number
  totalSteps: number
  /** Dockerfile step vertices only (FROM excluded), in start order, with durations. */
  steps: BuildStepTiming[]
  durationMs: number
  cacheExport: 'exported' | 'skipped' | 'failed'
  cacheNote?: string
  /** Registry caches the build asked for and BuildKit did not import (cacheImportNote), one per ref. */
  cacheImportNotes?: string[]
}

export interface RunBuildOptions {
  log?: (line: string) => void
  env?: NodeJS.ProcessEnv
  signal?: AbortSignal
  /** The process port (default: @actions/exec). */
  proc?: ProcessPort
}

/** Runs the buildx argv through the process port, streaming stdout lines to `log` and stderr to `progress`. */
async function spawnBuild(
  args: readonly string[],
  opts: RunBuildOptions,
  log: (line: string) => void,
  progress: (chunk: string) => void,
  end: () => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let stdoutLine = ''
  const onStdout = (d: string): void => {
    const lines = (stdoutLine + d).split('\n')
    stdoutLine = lines.pop() ?? ''
    for (const l of lines) if (l.trim() !== '') log(l)
    if (stdoutLine.length > 64 * 1024) {
      log(stdoutLine)
      stdoutLine = ''
    }
  }
  try {
    const r = await (opts.proc ?? execProcess).run('docker', args, { env: opts.env, signal: opts.signal, maxBuffer: 0, onStdout, onStderr: progress })
    if (r.killed === 'aborted' || opts.signal?.aborted) throw new Error('the build was aborted')
    return r.killed ? { code: null, signal: 'SIGKILL' } : { code: r.code, signal: null }
  } catch (e) {
    if (isProgramNotFound(e)) throw new UserError(DOCKER_MISSING)
    if (opts.signal?.aborted) throw new Error('the build was aborted')
    throw e
  } finally {
    if (stdoutLine.trim() !== '') log(stdoutLine)
    end()
  }
}

/** Lines of the failed step's own output quoted in the error. */
const ERROR_LOG_LINES = 20

/**
 * The image digest of a build's metadata: `containerimage.digest` when it is a sha256 digest.
 * With the docker driver + containerd image store (buildx 0.13.1, docker 26.1) this was the
 * digest of the pushed image index — equal to the registry's `Docker-Content-Digest` — while
 * `containerimage.config.digest` carried the same value (not a config digest at all).
 * Callers that need certainty verify it against the registry.
 */
export function digestFromMetadata(metadata: Record<string, unknown>): string | undefined {
  const d = metadata['containerimage.digest']
  return typeof d === 'string' && /^sha256:[0-9a-f]{64}$/.test(d) ? d : undefined
}

/** The error message of a failed build (pure; exported for tests). */
export function failureMessage(code: number | null, failure: ProgressFailure | undefined, textTail: readonly string[] = []): string {
  const head = `docker buildx build failed${code !== null ? ` (exit ${code})` : ''}`
  if (!failure) {
    // Nothing in the progress says what failed: quote what buildx printed.
    const tail = textTail.slice(-ERROR_LOG_LINES)
    return tail.length > 0 ? `${head}:\n${tail.map((l) => `  ${l}`).join('\n')}` : head
  }
  const parts: string[] = []
  let first = head
  // The step by the command it runs, and BuildKit's `process "<the whole script>" did not complete` without the script (the step names it).
  if (failure.vertex) first += ` at ${stepName(failure.vertex)}`
  if (failure.error) first += `: ${shortProcessError(failure.error)}`
  parts.push(first)
  const tail = failure.logTail.slice(-ERROR_LOG_LINES)
  if (tail.length > 0) {
    parts.push(`last ${tail.length} line${tail.length === 1 ? '' : 's'} of its output:`)
    parts.push(...tail.map((l) => `  ${l}`))
  }
  // buildx's own summary (`ERROR: failed to solve: …`), when it says more than the vertex error.
  const solve = failure.textTail.filter((l) => /^ERROR\b/.test(l)).slice(-1)[0]
  if (solve && (!failure.error || !solve.includes(failure.error))) parts.push(shortProcessError(solve))
  return parts.join('\n')
}

/** `process "/bin/sh -c <script>" did not complete successfully: exit code: 1` → `the command failed (exit code: 1)`. */
export function shortProcessError(error: string): string {
  return error.replace(/process "(?:[^"\\]|\\.)*" did not complete successfully: (exit code: \d+)/g, 'the command failed ($1)')
}

/**
 * Runs `docker buildx build` for `spec`. Resolves when the build succeeded (a failed registry
 * cache export is reported in `cacheExport`, never thrown); rejects with a UserError when the
 * failure is located in the user's Dockerfile (a failed step, or buildx's `Dockerfile:<line>`
 * excerpt), with a plain Error otherwise.
 */
export async function runBuild(spec: BuildSpec, opts: RunBuildOptions = {}): Promise<BuildOutcome> {
  const log = opts.log ?? (() => undefined)
  const args = buildxArgs(spec)
  const tracker = spec.progress === 'plain' ? new PlainProgressTracker() : new ProgressTracker()
  tracker.onLog = log
  // A metadata file left from an earlier build must not lend its digest to this one.
  await rm(spec.metadataFile, { force: true })

  const started = performance.now()
  const { code, signal } = await spawnBuild(
    args,
    opts,
    log,
    (d) => tracker.write(d),
    () => tracker.end(),
  )
  const durationMs = Math.round(performance.now() - started)

  if (opts.signal?.aborted) throw new Error('the build was aborted')
  if (code !== 0) {
    const failure = tracker.failure()
    const text = tracker.textTail()
    if (isBuildxMissing(text.join('\n'))) throw new UserError(BUILDX_MISSING)
    const message = failureMessage(signal ? null : code, failure, text) + (signal ? ` (killed by ${signal})` : '')
    // Errors of the user's Dockerfile that BuildKit reports without a line (unknown target stage, blank base name).
    const userContent = /target stage "[^"]*" could not be found|base name \(?\$?\{?\w*\}?\)? ?should not be blank|dockerfile parse error/i.test(
      text.join('\n'),
    )
    const inDockerfile = failure !== undefined && ((failure.inStep && failure.error !== undefined) || failure.dockerfileLine !== undefined || userContent)
    if (inDockerfile) {
      const where: { file: string; line?: number } = { file: spec.dockerfile }
      if (failure.dockerfileLine !== undefined) where.line = failure.dockerfileLine
      throw new UserError(message, where)
    }
    throw new Error(message)
  }

  const metadata = readBuildMetadata(spec.metadataFile, log)

  const progress = tracker.result()
  const outcome: BuildOutcome = {
    metadata,
    cachedSteps: progress.cachedSteps,
    totalSteps: progress.totalSteps,
    steps: progress.steps,
    durationMs,
    cacheExport: 'skipped',
  }
  const digest = digestFromMetadata(metadata)
  if (digest) outcome.digest = digest
  if (cacheTos(spec).length > 0) {
    if (progress.cacheExportError !== undefined) {
      outcome.cacheExport = 'failed'
      outcome.cacheNote = `cache export failed (the build itself succeeded): ${progress.cacheExportError}`
    } else if (!tracker.cacheExportSeen()) {
      outcome.cacheExport = 'failed'
      outcome.cacheNote = 'a cache export was requested, but the build reported no cache export'
    } else {
      outcome.cacheExport = 'exported'
    }
    if (outcome.cacheNote) log(`warning: ${outcome.cacheNote}`)
  }
  if (progress.cacheImportErrors) {
    outcome.cacheImportNotes = progress.cacheImportErrors.map(cacheImportNote)
    for (const n of outcome.cacheImportNotes) log(`warning: ${n}`)
  }
  return outcome
}

/**
 * Largest `--metadata-file` read: a multi-platform build with provenance writes a few tens of
 * kilobytes (one descriptor and one attestation per platform); 4 MiB is far above any real one.
 */
export const MAX_METADATA_BYTES = 4 * 1024 * 1024

/**
 * The `--metadata-file` document, read as every file the action opens (src/fs/confined.ts:
 * without blocking, a regular file, at most MAX_METADATA_BYTES). Missing or not a JSON object:
 * `{}` and a warning line (the digest is unknown). Anything else in its place — a FIFO, a
 * device, a directory, a file past the cap — is an error that says so, never a hang.
 */
export function readBuildMetadata(file: string, log: (line: string) => void): Record<string, unknown> {
  let text: string
  try {
    text = readFileBoundedSync(file, file, { maxBytes: MAX_METADATA_BYTES, follow: false }).toString('utf8')
  } catch (e) {
    if (isConfinedError(e) && e.reason !== 'missing') throw new Error(`The build metadata file ${file} cannot be read: ${e.detail}`)
    log(`warning: no build metadata in ${file}; the digest is unknown`)
    return {}
  }
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>
  } catch {
    // reported below
  }
  log(`warning: no build metadata in ${file} (not a JSON object); the digest is unknown`)
  return {}
}
