// Runs the bundled action the way the runner does (`node dist/index.js`, INPUT_* variables
// with action.yml defaults, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files — the inputs and
// files come from __fixtures__/action-runner.ts), and measures it from outside: wall time,
// the arrival time of every stdout line (first output line, `::group::` phases), and the
// child's peak RSS (a `--import` preload writes `process.resourceUsage().maxRSS` on exit).

import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { DIST as BUNDLE, actionDefaults, inputVar, parseOutputFile, runnerEnv } from '../../__fixtures__/action-runner.js'

let bundle = process.env.BENCH_DIST ? path.resolve(process.env.BENCH_DIST) : BUNDLE

/** The bundle under test: dist/index.js, BENCH_DIST (e.g. to measure another build), or its snapshot. */
export function distPath(): string {
  return bundle
}

/**
 * Copies the bundle's directory (chunks, assets) into `dir` and runs that copy from now on:
 * a rebuild of dist/ while the suite runs (`npm run bundle` empties it first) cannot break
 * or mix the figures.
 */
export function snapshotDist(dir: string): string {
  cpSync(path.dirname(bundle), dir, { recursive: true })
  bundle = path.join(dir, path.basename(bundle))
  return bundle
}

export interface Phase {
  name: string
  startMs: number
  ms: number
}

export interface ActionRun {
  code: number
  wallMs: number
  /** Time from spawn to the first complete stdout line. */
  firstLineMs: number
  /** Peak resident set size of the node process, bytes (NaN when not reported). */
  maxRssBytes: number
  phases: Phase[]
  /** From the end of the last `::endgroup::` to the exit of the process. */
  tailMs: number
  outputs: Record<string, string>
  summary: string
  stdout: string
  stderr: string
}

export interface ActionRunOptions {
  cwd: string
  inputs: Record<string, string>
  env?: Record<string, string>
  /** Extra node flags before dist/index.js (e.g. --cpu-prof). */
  nodeFlags?: string[]
  timeoutMs?: number
  /** Do not fill in action.yml defaults. */
  noDefaults?: boolean
  /** Another bundle than distPath() (to compare builds). */
  dist?: string
}

const PRELOAD = `import { writeFileSync } from 'node:fs'
const file = process.env.BENCH_RSS_FILE
if (file) process.on('exit', () => { try { writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)) } catch {} })
`

export function distExists(): boolean {
  return existsSync(bundle)
}

export async function runAction(o: ActionRunOptions): Promise<ActionRun> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-runner-'))
  try {
    const outputFile = path.join(tmp, 'output')
    const summaryFile = path.join(tmp, 'summary')
    const rssFile = path.join(tmp, 'rss')
    const preload = path.join(tmp, 'rss-preload.mjs')
    writeFileSync(outputFile, '')
    writeFileSync(summaryFile, '')
    writeFileSync(preload, PRELOAD)
    const env: Record<string, string> = { ...runnerEnv({ output: outputFile, summary: summaryFile, workspace: o.cwd, temp: tmp }), BENCH_RSS_FILE: rssFile }
    const all = { ...(o.noDefaults ? {} : actionDefaults('')), ...o.inputs }
    for (const [k, v] of Object.entries(all)) env[inputVar(k)] = v
    Object.assign(env, o.env ?? {})
    const args = ['--import', pathToFileURL(preload).href, ...(o.nodeFlags ?? []), o.dist ?? bundle]
    const r = await spawnTimed(process.execPath, args, o.cwd, env, o.timeoutMs ?? 300_000)
    const rss = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) : NaN
    return {
      ...r,
      maxRssBytes: rss,
      outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
      summary: readFileSync(summaryFile, 'utf8'),
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

interface Timed {
  code: number
  wallMs: number
  firstLineMs: number
  phases: Phase[]
  tailMs: number
  stdout: string
  stderr: string
}

/** Spawns a process and timestamps its stdout lines as they arrive. */
export function spawnTimed(cmd: string, args: string[], cwd: string, env: Record<string, string>, timeoutMs: number): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let partial = ''
    let firstLineMs = NaN
    const phases: Phase[] = []
    let open: { name: string; at: number } | undefined
    let lastEnd = NaN
    child.stdout.on('data', (d: Buffer) => {
      const now = performance.now() - start
      const text = d.toString()
      stdout += text
      partial += text
      let nl: number
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl)
        partial = partial.slice(nl + 1)
        if (Number.isNaN(firstLineMs)) firstLineMs = now
        if (line.startsWith('::group::')) open = { name: line.slice('::group::'.length).trim(), at: now }
        else if (line.startsWith('::endgroup::') && open) {
          phases.push({ name: open.name, startMs: open.at, ms: now - open.at })
          open = undefined
          lastEnd = now
        }
      }
    })
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const wallMs = performance.now() - start
      resolve({ code: code ?? (signal ? 128 : 1), wallMs, firstLineMs, phases, tailMs: Number.isNaN(lastEnd) ? NaN : wallMs - lastEnd, stdout, stderr })
    })
  })
}

/** Runs a command, returns wall time; throws with its output on failure. */
export async function timedCommand(
  cmd: string,
  args: string[],
  opts: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<{ wallMs: number; stdout: string; stderr: string }> {
  const env = { ...(process.env as Record<string, string>), ...(opts.env ?? {}) }
  const r = await spawnTimed(cmd, args, opts.cwd ?? process.cwd(), env, opts.timeoutMs ?? 300_000)
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${(r.stderr || r.stdout).slice(-2000)}`)
  return { wallMs: r.wallMs, stdout: r.stdout, stderr: r.stderr }
}

/** The action's error annotations, for failure messages. */
export function failureText(r: ActionRun): string {
  const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'))
  return (errors.join('\n') || r.stderr || r.stdout).slice(-1500)
}
