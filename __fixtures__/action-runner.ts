// Runs the bundled action exactly as the GitHub runner does: `node dist/index.js` with the
// inputs as INPUT_<NAME> variables (defaults filled in from action.yml, as the runner
// does), GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, and an event payload file.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const DIST = path.join(ROOT, 'dist', 'index.js')

export interface Annotation {
  level: 'error' | 'warning' | 'notice'
  message: string
  props: Record<string, string>
}

export interface ActionResult {
  code: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  annotations: Annotation[]
}

export interface RunOptions {
  /** The workspace (cwd of the step). */
  cwd: string
  env?: Record<string, string | undefined>
  event?: { name: string; payload: unknown }
  /** Token standing in for `${{ github.token }}`. */
  token?: string
  timeoutMs?: number
  /** Skip filling defaults from action.yml (to test what the code does with nothing set). */
  noDefaults?: boolean
  /** Called with the action's process once it is started (to signal it, or watch its output). */
  onSpawn?: (child: ChildProcess) => void
}

interface ActionYml {
  inputs: Record<string, { default?: string }>
}

export function actionDefaults(token = ''): Record<string, string> {
  const yml = parseYaml(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionYml
  const out: Record<string, string> = {}
  for (const [name, spec] of Object.entries(yml.inputs)) {
    let v = spec.default ?? ''
    if (v === '${{ github.token }}') v = token
    out[name] = String(v)
  }
  return out
}

export function inputVar(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]!)
    if (m) {
      const [, name, delim] = m
      const value: string[] = []
      i++
      while (i < lines.length && lines[i] !== delim) value.push(lines[i++]!)
      out[name!] = value.join('\n')
    } else if (lines[i]!.includes('=')) {
      const at = lines[i]!.indexOf('=')
      out[lines[i]!.slice(0, at)] = lines[i]!.slice(at + 1)
    }
  }
  return out
}

function unescapeData(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}
function unescapeProp(s: string): string {
  return unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',')
}

export function parseAnnotations(stdout: string): Annotation[] {
  const out: Annotation[] = []
  for (const line of stdout.split('\n')) {
    const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line)
    if (!m) continue
    const props: Record<string, string> = {}
    for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
      const at = kv.indexOf('=')
      props[kv.slice(0, at)] = unescapeProp(kv.slice(at + 1))
    }
    out.push({ level: m[1] as Annotation['level'], message: unescapeData(m[3]!), props })
  }
  return out
}

/** The environment the runner gives a step (a push to acme/model), plus DOCKER_CONFIG when set. */
export function runnerEnv(files: { output: string; summary: string; workspace: string; temp: string }): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_WORKSPACE: files.workspace,
    RUNNER_TEMP: files.temp,
    GITHUB_REPOSITORY: 'acme/model',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_RUN_ID: '1',
  }
  if (process.env.DOCKER_CONFIG) env.DOCKER_CONFIG = process.env.DOCKER_CONFIG
  return env
}

export async function runAction(inputs: Record<string, string>, opts: RunOptions): Promise<ActionResult> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'runner-'))
  try {
    const outputFile = path.join(tmp, 'output')
    const summaryFile = path.join(tmp, 'summary')
    writeFileSync(outputFile, '')
    writeFileSync(summaryFile, '')
    const env = runnerEnv({ output: outputFile, summary: summaryFile, workspace: opts.cwd, temp: tmp })
    if (opts.event) {
      const eventFile = path.join(tmp, 'event.json')
      writeFileSync(eventFile, JSON.stringify(opts.event.payload))
      env.GITHUB_EVENT_NAME = opts.event.name
      env.GITHUB_EVENT_PATH = eventFile
    }
    const all = { ...(opts.noDefaults ? {} : actionDefaults(opts.token)), ...inputs }
    for (const [k, v] of Object.entries(all)) env[inputVar(k)] = v
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (v === undefined) delete env[k]
      else env[k] = v
    }
    const { code, stdout, stderr } = await spawnNode([DIST], opts.cwd, env, opts.timeoutMs ?? 240_000, opts.onSpawn)
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
      summary: readFileSync(summaryFile, 'utf8'),
      annotations: parseAnnotations(stdout),
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

function spawnNode(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
  onSpawn?: (child: ChildProcess) => void,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    onSpawn?.(child)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr })
    })
  })
}

/**
 * What the runner would show in the job log: stdout and stderr without the `::add-mask::`
 * commands (the runner consumes those to mask the value; they are never displayed).
 */
export function visibleLog(r: Pick<ActionResult, 'stdout' | 'stderr'>): string {
  return `${r.stdout}\n${r.stderr}`
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n')
}

/** Throws with the tail of the log when the action failed; returns the result otherwise. */
export function succeeded(r: ActionResult): ActionResult {
  if (r.code !== 0) throw new Error(`action failed (exit ${r.code}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`)
  return r
}
