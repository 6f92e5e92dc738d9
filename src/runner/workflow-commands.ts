// The runner's side of a step, written the way @actions/core writes it: inputs from
// `INPUT_<NAME>`, workflow commands on stdout (`::warning file=…,line=…::message`, groups,
// masks), step outputs in the `$GITHUB_OUTPUT` file (`name<<delimiter` blocks), the job
// summary appended to `$GITHUB_STEP_SUMMARY`.
//
// Why not @actions/core itself (docs/DESIGN.md §9.4): its entry module imports its OIDC client,
// which imports @actions/http-client, which imports undici — about 0.9 MB of the 2.2 MB bundle,
// parsed and evaluated on every start (about 28 ms of a 200 ms reuse run) for a token the
// action never asks for. These functions are the subset the action uses; a conformance test
// (__tests__/workflow-commands.test.ts) checks each against @actions/core on arbitrary input.
// The lazily loaded chunks (@actions/cache, @actions/github) still use @actions/core.

import { randomUUID } from 'node:crypto'
import { constants, existsSync } from 'node:fs'
import { access } from 'node:fs/promises'
import { EOL } from 'node:os'
import { appendRunnerFile } from '../fs/runner-files.js'
import { registerSecret } from '../text/redact.js'

/** Where an annotation points (the properties @actions/core's AnnotationProperties names). */
export interface AnnotationProperties {
  title?: string
  file?: string
  startLine?: number
  endLine?: number
  startColumn?: number
  endColumn?: number
}

type CommandProperties = Record<string, string | number | undefined>

function commandValue(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'string' || v instanceof String) return String(v)
  return JSON.stringify(v)
}

function escapeData(s: unknown): string {
  return commandValue(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

function escapeProperty(s: unknown): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

/**
 * `::command key=value,…::message` on stdout; properties without a value are left out (a
 * properties object whose values are all empty still leaves the space, as @actions/core does).
 */
export function issueCommand(command: string, properties: CommandProperties, message: unknown): void {
  let line = `::${command}`
  const props = Object.entries(properties)
    .filter(([, v]) => Boolean(v))
    .map(([k, v]) => `${k}=${escapeProperty(v)}`)
  if (Object.keys(properties).length > 0) line += ` ${props.join(',')}`
  process.stdout.write(`${line}::${escapeData(message)}${EOL}`)
}

function annotationProperties(p: AnnotationProperties): CommandProperties {
  if (Object.keys(p).length === 0) return {}
  return { title: p.title, file: p.file, line: p.startLine, endLine: p.endLine, col: p.startColumn, endColumn: p.endColumn }
}

/** The input `name` (`INPUT_<NAME>`, spaces as `_`), trimmed; '' when not set. */
export function getInput(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim()
}

/** A step output: a `name<<delimiter` block in `$GITHUB_OUTPUT` (or the old `::set-output` command without it). */
export function setOutput(name: string, value: unknown, env: NodeJS.ProcessEnv = process.env): void {
  const file = env.GITHUB_OUTPUT ?? ''
  if (!file) {
    process.stdout.write(EOL)
    issueCommand('set-output', { name }, commandValue(value))
    return
  }
  if (!existsSync(file)) throw new Error(`Missing file at path: ${file}`)
  const delimiter = `ghadelimiter_${randomUUID()}`
  const text = commandValue(value)
  if (name.includes(delimiter)) throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`)
  if (text.includes(delimiter)) throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`)
  appendRunnerFile('GITHUB_OUTPUT', file, `${name}<<${delimiter}${EOL}${text}${EOL}${delimiter}${EOL}`)
}

/** Masks a value in the rest of the job's log. */
export function setSecret(secret: string): void {
  registerSecret(secret)
  issueCommand('add-mask', {}, secret)
}

export function info(message: string): void {
  process.stdout.write(message + EOL)
}

export function debug(message: string): void {
  issueCommand('debug', {}, message)
}

export function notice(message: string, properties: AnnotationProperties = {}): void {
  issueCommand('notice', annotationProperties(properties), message)
}

export function warning(message: string, properties: AnnotationProperties = {}): void {
  issueCommand('warning', annotationProperties(properties), message)
}

export function error(message: string, properties: AnnotationProperties = {}): void {
  issueCommand('error', annotationProperties(properties), message)
}

/** `f` inside a collapsible group of the log. */
export async function group<T>(name: string, f: () => Promise<T>): Promise<T> {
  issueCommand('group', {}, name)
  try {
    return await f()
  } finally {
    issueCommand('endgroup', {}, '')
  }
}

/** Appends markdown (and a line end) to the job summary file; throws when it cannot be written. */
export async function appendSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const file = env.GITHUB_STEP_SUMMARY
  if (!file) throw new Error('Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.')
  try {
    await access(file, constants.R_OK | constants.W_OK)
  } catch {
    throw new Error(`Unable to access summary file: '${file}'. Check if the file has correct read/write permissions.`)
  }
  appendRunnerFile('GITHUB_STEP_SUMMARY', file, markdown + EOL)
}
