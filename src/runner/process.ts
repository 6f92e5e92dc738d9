// The one way this action starts a process (docker, docker buildx, credential helpers):
// `@actions/exec`, argv arrays (never a shell), bounded output, a timeout or an abort that
// kills the child's whole process tree, and — once `killChildrenOnSignal` is installed —
// no child left behind when the step is cancelled (SIGINT/SIGTERM).

import { execFileSync, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { accessSync, constants, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { readFileBoundedSync } from '../fs/confined.js'

/** The one message for a missing Docker CLI, naming what to install. */
export const DOCKER_MISSING =
  'the docker CLI was not found on PATH: install Docker (the docker CLI and the buildx plugin, e.g. the docker-ce-cli and docker-buildx-plugin packages) or run on a runner that has it'

export interface ProcessOptions {
  readonly env?: NodeJS.ProcessEnv
  /** Written to the child's stdin, which is then closed (always closed). */
  readonly input?: string
  /** Kill the process tree after this long. */
  readonly timeoutMs?: number
  /** Kill the process tree when this aborts. */
  readonly signal?: AbortSignal
  /** Characters of stdout/stderr kept in the result (default 4 MiB each). */
  readonly maxBuffer?: number
  readonly onStdout?: (chunk: string) => void
  readonly onStderr?: (chunk: string) => void
  /**
   * What ending the process cannot end, undone when the step is cancelled while it runs: a
   * command the port runs then (bounded to CANCEL_CLEANUP_MS), e.g. `docker rm --force <name>`
   * for a container the engine runs — killing `docker run` leaves it running.
   */
  readonly onCancel?: { readonly program: string; readonly args: readonly string[] }
}

export interface ProcessResult {
  /** Exit code; 1 when the process was killed. */
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  /** Set when the port killed it (timeout or abort). */
  readonly killed?: 'timeout' | 'aborted'
}

export interface ProcessPort {
  /** Runs `program args…` to completion. Rejects with ProgramNotFound when it does not exist. */
  run(program: string, args: readonly string[], opts?: ProcessOptions): Promise<ProcessResult>
}

/** The program is not on PATH (or not executable). */
export class ProgramNotFound extends Error {
  readonly code = 'ENOENT'
  constructor(readonly program: string) {
    super(`${program} was not found on PATH`)
    this.name = 'ProgramNotFound'
  }
}

export function isProgramNotFound(e: unknown): e is ProgramNotFound {
  return e instanceof ProgramNotFound
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v
  return out
}

/** A collector that keeps at most `max` characters and forwards every chunk. */
function collector(max: number, forward?: (chunk: string) => void): { push(b: Buffer): void; text(): string } {
  const decoder = new StringDecoder('utf8')
  let text = ''
  return {
    push(b) {
      const s = decoder.write(b)
      if (text.length < max) text += s.slice(0, max - text.length)
      forward?.(s)
    },
    text: () => text,
  }
}

/**
 * `@actions/exec` (with `@actions/io`) loads on the first process started, not at start-up:
 * a run that reuses its base starts no process, and the two cost ~5 ms of every start.
 */
let exec: Promise<typeof import('@actions/exec')> | undefined
const loadExec = (): Promise<typeof import('@actions/exec')> => (exec ??= import('@actions/exec'))

/** Calls of execProcess.run under way. */
let running = 0

/** The process port over `@actions/exec`. */
export const execProcess: ProcessPort = {
  async run(program, args, opts = {}) {
    if (cancelledBy) throw new Error(`not starting ${program}: the action was cancelled (${cancelledBy})`)
    const out = collector(opts.maxBuffer ?? 4 * 1024 * 1024, opts.onStdout)
    const err = collector(opts.maxBuffer ?? 4 * 1024 * 1024, opts.onStderr)
    let killed: ProcessResult['killed']
    // Every process of this call carries a marker in its environment (it survives exec and is
    // inherited), so a timeout finds the whole tree even when a wrapper exec'd another program.
    const marker = `${PROCESS_MARKER}=${randomUUID()}`
    const kill = (why: 'timeout' | 'aborted'): void => {
      killed ??= why
      for (const pid of new Set([...markedProcesses(marker), ...childrenRunning(program, args)])) killTree(pid, 'SIGKILL')
    }
    const timer = opts.timeoutMs ? setTimeout(() => kill('timeout'), opts.timeoutMs) : undefined
    const onAbort = (): void => kill('aborted')
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    const cleanup = opts.onCancel ? { ...opts.onCancel, env: opts.env ?? process.env } : undefined
    if (cleanup) cancelCleanups.add(cleanup)
    running++
    try {
      const file = resolveProgram(program, opts.env ?? process.env)
      const env = { ...stringEnv(opts.env ?? process.env), [PROCESS_MARKER]: marker.slice(PROCESS_MARKER.length + 1) }
      const code = opts.input ? await runWithInput(file, args, env, opts.input, out, err) : await runWithExec(file, args, env, out, err)
      return { code: typeof code === 'number' ? code : 1, stdout: out.text(), stderr: err.text(), ...(killed ? { killed } : {}) }
    } catch (e) {
      if (e instanceof Error && /Unable to locate executable file/.test(e.message)) throw new ProgramNotFound(program)
      throw e
    } finally {
      running--
      if (cleanup) cancelCleanups.delete(cleanup)
      if (timer) clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
    }
  },
}

async function runWithExec(
  file: string,
  args: readonly string[],
  env: Record<string, string>,
  out: { push(b: Buffer): void },
  err: { push(b: Buffer): void },
): Promise<number> {
  const { getExecOutput } = await loadExec()
  const r = await getExecOutput(file, [...args], {
    env,
    silent: true,
    ignoreReturnCode: true,
    listeners: { stdout: (b) => out.push(b), stderr: (b) => err.push(b) },
  })
  return r.exitCode
}

/**
 * A process fed on stdin (credential helpers get the registry on stdin). `@actions/exec`
 * gives no handle on the child's stdin, so a helper that exits without reading its input
 * would raise an unhandled EPIPE there; here the write error is the child's business and
 * its exit code tells the outcome.
 */
function runWithInput(
  file: string,
  args: readonly string[],
  env: Record<string, string>,
  input: string,
  out: { push(b: Buffer): void },
  err: { push(b: Buffer): void },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const cp = spawn(file, [...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    cp.stdin.on('error', () => undefined)
    cp.stdout.on('data', (b: Buffer) => out.push(b))
    cp.stderr.on('data', (b: Buffer) => err.push(b))
    cp.on('error', reject)
    cp.on('close', (code) => resolve(code ?? 1))
    cp.stdin.end(input)
  })
}

/**
 * The program's path as the child's own PATH finds it (as `spawn` would; `@actions/exec`
 * alone would search this process's PATH). Throws ProgramNotFound. A program the workspace
 * provides never runs: PATH entries that are relative (resolved against the working
 * directory, the workspace) or lie inside GITHUB_WORKSPACE are skipped, and so is a program
 * named by a path.
 */
export function resolveProgram(program: string, env: NodeJS.ProcessEnv): string {
  if (program.includes('/')) throw new ProgramNotFound(program)
  const workspace = env.GITHUB_WORKSPACE ? path.resolve(env.GITHUB_WORKSPACE) : undefined
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir || !path.isAbsolute(dir)) continue
    if (workspace && isWithin(workspace, dir)) continue
    const candidate = path.join(dir, program)
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.X_OK)
        return candidate
      }
    } catch {
      // not here
    }
  }
  throw new ProgramNotFound(program)
}

function isWithin(root: string, p: string): boolean {
  const rel = path.relative(root, path.resolve(p))
  return rel === '' || (!path.isAbsolute(rel) && !/^\.\.(?:[\\/]|$)/.test(rel))
}

// --- process trees (Linux /proc, else `ps`) ---

/**
 * Largest /proc file read (a process's stat, command line or environment): the kernel caps
 * argv + environment at a quarter of the stack limit, 2 MiB by default.
 */
const MAX_PROC_FILE_BYTES = 4 * 1024 * 1024

/** A /proc file, read as every file the action opens (src/fs/confined.ts: without blocking, regular, bounded). */
function procFile(file: string, encoding: BufferEncoding): string {
  return readFileBoundedSync(file, file, { maxBytes: MAX_PROC_FILE_BYTES }).toString(encoding)
}

/** pid → parent pid of every process visible. */
function processTable(): Map<number, { ppid: number; argv: string[] }> {
  const table = new Map<number, { ppid: number; argv: string[] }>()
  let entries: string[]
  try {
    entries = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  } catch {
    return psTable()
  }
  for (const d of entries) {
    try {
      const stat = procFile(`/proc/${d}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const argv = procFile(`/proc/${d}/cmdline`, 'utf8').split('\0').slice(0, -1)
      table.set(Number(d), { ppid, argv })
    } catch {
      // gone meanwhile
    }
  }
  return table
}

function psTable(): Map<number, { ppid: number; argv: string[] }> {
  const table = new Map<number, { ppid: number; argv: string[] }>()
  try {
    const out = execFileSync('ps', ['-A', '-o', 'pid=', '-o', 'ppid=', '-o', 'command='], { encoding: 'utf8', timeout: 5000 })
    for (const line of out.split('\n')) {
      const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)
      if (m) table.set(Number(m[1]), { ppid: Number(m[2]), argv: m[3]!.split(' ') })
    }
  } catch {
    // no ps: nothing known
  }
  return table
}

/** `root` and every process below it, children before parents' siblings. */
function descendants(root: number, table = processTable()): number[] {
  const out: number[] = []
  const walk = (pid: number): void => {
    for (const [p, info] of table) {
      if (info.ppid === pid && !out.includes(p)) {
        out.push(p)
        walk(p)
      }
    }
  }
  walk(root)
  return out
}

/** Direct children of this process that run `program args…` (the ones a run started). */
/** The environment variable that marks the processes of one call (see `run`). */
const PROCESS_MARKER = 'CONDA_IMAGE_ACTION_CALL'

/** Processes whose environment holds `marker` (`NAME=value`); Linux `/proc` only. */
function markedProcesses(marker: string): number[] {
  let entries: string[]
  try {
    entries = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  } catch {
    return []
  }
  const out: number[] = []
  for (const d of entries) {
    try {
      if (procFile(`/proc/${d}/environ`, 'latin1').split('\0').includes(marker)) out.push(Number(d))
    } catch {
      // another user's process, or gone meanwhile
    }
  }
  return out
}

function childrenRunning(program: string, args: readonly string[]): number[] {
  const table = processTable()
  const want = args.join('\0')
  return [...table]
    .filter(([, t]) => t.ppid === process.pid && path.basename(t.argv[0] ?? '') === path.basename(program) && t.argv.slice(1).join('\0') === want)
    .map(([pid]) => pid)
}

function killTree(pid: number, sig: NodeJS.Signals): void {
  for (const p of [pid, ...descendants(pid)]) {
    try {
      process.kill(p, sig)
    } catch {
      // already gone
    }
  }
}

/** Signals every process below this one; returns how many there were. */
function killChildren(sig: NodeJS.Signals = 'SIGTERM'): number {
  const all = descendants(process.pid)
  for (const p of all) {
    try {
      process.kill(p, sig)
    } catch {
      // already gone
    }
  }
  return all.length
}

/**
 * The run is over: a process it started and no longer waits for (the builder inspection
 * started before the inputs were read, in a run that then failed on them) would hold the
 * step open until its own timeout. Kills every process tree below this one; for the entry
 * point only, once the run has returned (every process it waits for has ended by then).
 */
export function endChildren(): number {
  // Nothing under way (the common case): no scan of the process table.
  return running > 0 ? killChildren('SIGKILL') : 0
}

const GRACE_MS = 3000
let cancelledBy: NodeJS.Signals | undefined
/** The bound of one cancel clean-up command (ProcessOptions.onCancel). */
export const CANCEL_CLEANUP_MS = 10_000
/** The onCancel commands of the calls under way. */
const cancelCleanups = new Set<{ readonly program: string; readonly args: readonly string[]; readonly env: NodeJS.ProcessEnv }>()

/** Runs the clean-ups of the calls under way, one after the other, each bounded; returns how many ran. */
function runCancelCleanups(): number {
  let n = 0
  for (const c of [...cancelCleanups]) {
    cancelCleanups.delete(c)
    try {
      execFileSync(resolveProgram(c.program, c.env), [...c.args], { env: stringEnv(c.env), stdio: 'ignore', timeout: CANCEL_CLEANUP_MS })
    } catch {
      // best effort: the step is ending
    }
    n++
  }
  return n
}

/**
 * On SIGINT/SIGTERM (a cancelled step): SIGTERM to every child process tree, SIGKILL to what
 * is left after a short grace, then exit non-zero. Returns a function that uninstalls it.
 */
export function killChildrenOnSignal(say: (m: string) => void = () => undefined): () => void {
  const handler = (sig: NodeJS.Signals): void => {
    cancelledBy = sig
    const n = killChildren('SIGTERM')
    say(`Received ${sig}: stopping ${n} child process${n === 1 ? '' : 'es'}`)
    const cleaned = runCancelCleanups()
    if (cleaned > 0) say(`Ran ${cleaned} clean-up command${cleaned === 1 ? '' : 's'} (what stopping a process does not end, e.g. a container)`)
    const done = (): never => {
      killChildren('SIGKILL')
      process.exit(sig === 'SIGINT' ? 130 : 143)
    }
    if (n === 0) done()
    const started = Date.now()
    const poll = setInterval(() => {
      if (descendants(process.pid).length === 0 || Date.now() - started > GRACE_MS) done()
    }, 100)
    void poll
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}
