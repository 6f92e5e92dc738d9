// BuildKit secrets and ssh forwarding, with docker/build-push-action's input syntax:
//   secrets:       id=value lines (the value may contain `=`; a line may be a quoted CSV field
//                  "id=multi\nline value" with "" for a quote, as build-push-action reads it)
//   secret-files:  id=path lines (a file inside the workspace)
//   secret-envs:   id=ENVVAR lines (an environment variable of the step)
//   ssh:           `default`, or id=path|socket[,path…] lines
// Values never travel in argv, build args, the image or the hash: `secrets` values are
// written to 0600 files in a private temporary directory and passed as `id=<id>,src=<file>`;
// only the ids reach the environment document. Parsing is pure; writing is `materialize`.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { isConfinedError } from '../fs/confined.js'
import os from 'node:os'
import path from 'node:path'
import { Inputs } from '../vocabulary/constants.js'
import { UserError } from '../vocabulary/user-error.js'

export type SecretSource =
  | { readonly id: string; readonly kind: 'value'; readonly value: string }
  /** `file` as resolved; `bytes` read once, bounded and without blocking, and handed to buildx from a private copy. */
  | { readonly id: string; readonly kind: 'file'; readonly file: string; readonly bytes: Buffer }
  | { readonly id: string; readonly kind: 'env'; readonly env: string }

export interface SshForward {
  readonly id: string
  /** Agent socket or key paths; empty = `$SSH_AUTH_SOCK` (buildx's `default`). */
  readonly paths: readonly string[]
}

export interface SecretInputs {
  readonly secrets: readonly SecretSource[]
  readonly ssh: readonly SshForward[]
}

const ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Lines of a list input as build-push-action reads them: one item per line; an item that
 * starts with `"` runs to its closing quote (across lines, `""` is a quote). Blank lines and
 * `#` comment lines are skipped.
 */
export function secretLines(value: string): string[] {
  const out: string[] = []
  const s = value.replace(/\r\n?/g, '\n')
  let i = 0
  while (i < s.length) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n')) i++
    if (i >= s.length) break
    if (s[i] === '"') {
      let item = ''
      let j = i + 1
      for (;;) {
        if (j >= s.length) throw new UserError('a quoted item is not closed (a `"` is missing)')
        if (s[j] === '"') {
          if (s[j + 1] === '"') {
            item += '"'
            j += 2
            continue
          }
          j++
          break
        }
        item += s[j++]
      }
      while (j < s.length && s[j] !== '\n') {
        if (s[j] !== ' ' && s[j] !== '\t') throw new UserError('text after a closing quote')
        j++
      }
      out.push(item)
      i = j
      continue
    }
    const end = s.indexOf('\n', i)
    const line = (end < 0 ? s.slice(i) : s.slice(i, end)).trim()
    i = end < 0 ? s.length : end + 1
    if (line !== '' && !line.startsWith('#')) out.push(line)
  }
  return out
}

function splitItem(input: string, item: string, what: string, n: number): [string, string] {
  const eq = item.indexOf('=')
  const id = eq < 0 ? '' : item.slice(0, eq).trim()
  if (!ID.test(id)) {
    // Never echo the item: it may hold a secret value.
    throw new UserError(`Input "${input}": item ${n} must be ${what}, with an id of letters, digits, '_', '.', '-'`)
  }
  return [id, item.slice(eq + 1)]
}

function withInput<T>(input: string, f: () => T): T {
  try {
    return f()
  } catch (e) {
    if (e instanceof UserError && !e.message.startsWith('Input ')) throw new UserError(`Input "${input}": ${e.message}`)
    throw e
  }
}

/** A path for a `--secret`/`--ssh` CSV value: no `,` or `"` (buildx reads it as CSV). */
function csvSafe(input: string, p: string): string {
  if (/[,"\n]/.test(p)) throw new UserError(`Input "${input}": the path "${p}" contains a comma, quote or newline, which buildx cannot take`)
  return p
}

/** BuildKit refuses a secret larger than this (its MaxSecretSize). */
export const MAX_SECRET_FILE_BYTES = 500 * 1024

/**
 * A file inside the workspace (symlinks resolved), regular, read now (src/fs: without
 * blocking, at most BuildKit's secret size): buildx gets a private copy, so a file swapped
 * for a FIFO or a larger one after this check never reaches it.
 */
function workspaceFile(input: string, id: string, given: string, readFile: SecretFileReader): { file: string; bytes: Buffer } {
  let f: { readonly real: string; readonly bytes: Buffer }
  try {
    f = readFile(given, MAX_SECRET_FILE_BYTES)
  } catch (e) {
    if (!isConfinedError(e)) throw e
    const why =
      e.reason === 'missing'
        ? 'does not exist'
        : e.reason === 'outside'
          ? 'is outside the workspace'
          : e.reason === 'not-regular' || e.reason === 'directory'
            ? 'is not a regular file'
            : `cannot be read: ${e.detail}`
    throw new UserError(`Input "${input}": the file of secret "${id}" ("${given}") ${why}`)
  }
  return { file: csvSafe(input, f.real), bytes: f.bytes }
}

export interface SecretInputValues {
  readonly secrets: string
  readonly secretFiles: string
  readonly secretEnvs: string
  readonly ssh: string
}

/**
 * Reads a file inside the workspace (symlinks resolved), regular, at most `maxBytes`: its real
 * path and bytes (the run's input-files port, src/ports/input-files.ts). A refusal is a
 * ConfinedError (src/fs/confined.ts).
 */
export type SecretFileReader = (given: string, maxBytes: number) => { readonly real: string; readonly bytes: Buffer }

/** Parses the four inputs (the secret files read through `readFile`). Duplicate ids are refused. */
export function parseSecretInputs(v: SecretInputValues, workspace: string, env: NodeJS.ProcessEnv, readFile: SecretFileReader): SecretInputs {
  const secrets: SecretSource[] = []
  withInput(Inputs.Secrets, () => {
    for (const [n, item] of secretLines(v.secrets).entries()) {
      const [id, value] = splitItem(Inputs.Secrets, item, 'id=value', n + 1)
      secrets.push({ id, kind: 'value', value })
    }
  })
  withInput(Inputs.SecretFiles, () => {
    for (const [n, item] of secretLines(v.secretFiles).entries()) {
      const [id, file] = splitItem(Inputs.SecretFiles, item, 'id=path', n + 1)
      secrets.push({ id, kind: 'file', ...workspaceFile(Inputs.SecretFiles, id, file.trim(), readFile) })
    }
  })
  withInput(Inputs.SecretEnvs, () => {
    for (const [i, item] of secretLines(v.secretEnvs).entries()) {
      const [id, name] = splitItem(Inputs.SecretEnvs, item, 'id=ENVVAR', i + 1)
      const n = name.trim()
      if (!ENV_NAME.test(n)) throw new UserError(`Input "${Inputs.SecretEnvs}": "${n}" (secret "${id}") is not an environment variable name`)
      if (env[n] === undefined) throw new UserError(`Input "${Inputs.SecretEnvs}": the environment variable ${n} (secret "${id}") is not set in this step`)
      secrets.push({ id, kind: 'env', env: n })
    }
  })
  const seen = new Set<string>()
  for (const s of secrets) {
    if (seen.has(s.id))
      throw new UserError(
        `Secret id "${s.id}" is given twice (inputs "${Inputs.Secrets}", "${Inputs.SecretFiles}", "${Inputs.SecretEnvs}", "${Inputs.Condarc}")`,
      )
    seen.add(s.id)
  }
  return { secrets, ssh: withInput(Inputs.Ssh, () => parseSsh(v.ssh, workspace)) }
}

function parseSsh(value: string, workspace: string): SshForward[] {
  const out: SshForward[] = []
  for (const item of secretLines(value)) {
    const eq = item.indexOf('=')
    const id = (eq < 0 ? item : item.slice(0, eq)).trim()
    if (!ID.test(id)) throw new UserError(`"${item}" must be \`default\` or id=path (an agent socket or key file)`)
    const paths =
      eq < 0
        ? []
        : item
            .slice(eq + 1)
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean)
    if (eq >= 0 && paths.length === 0) throw new UserError(`"${item}" names no socket or key path`)
    if (out.some((o) => o.id === id)) throw new UserError(`ssh id "${id}" is given twice`)
    out.push({ id, paths: paths.map((p) => csvSafe(Inputs.Ssh, path.resolve(workspace, p))) })
  }
  return out
}

/** Ids as they go into the environment document: `secret:<id>`, `ssh:<id>`, sorted. Never values. */
export function secretIds(s: SecretInputs): string[] {
  return [...s.secrets.map((x) => `secret:${x.id}`), ...s.ssh.map((x) => `ssh:${x.id}`)].sort()
}

/** The values to mask in the log (`core.setSecret`): whole values and each of their lines. */
export function valuesToMask(s: SecretInputs, env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>()
  for (const x of s.secrets) {
    const v = x.kind === 'value' ? x.value : x.kind === 'env' ? (env[x.env] ?? '') : ''
    if (v.trim() === '') continue
    out.add(v)
    for (const line of v.split('\n')) if (line.trim().length >= 4) out.add(line.trim())
  }
  return [...out]
}

/** `--secret`/`--ssh` values for buildx, once the inline values are on disk. */
export interface BuildSecretArgs {
  readonly secrets: readonly string[]
  readonly ssh: readonly string[]
}

/**
 * Writes the inline values to 0600 files in a new 0700 directory and returns the buildx
 * values, and a cleanup that removes the directory. `tmpRoot` defaults to the system's.
 */
export function materialize(s: SecretInputs, tmpRoot = os.tmpdir()): { args: BuildSecretArgs; cleanup: () => void } {
  const args: { secrets: string[]; ssh: string[] } = { secrets: [], ssh: s.ssh.map((x) => (x.paths.length ? `${x.id}=${x.paths.join(',')}` : x.id)) }
  if (s.secrets.length === 0) return { args, cleanup: () => undefined }
  const dir = mkdtempSync(path.join(tmpRoot, 'cia-secrets-'))
  chmodSync(dir, 0o700)
  csvSafe('secrets', dir)
  s.secrets.forEach((x, i) => {
    if (x.kind === 'env') return void args.secrets.push(`id=${x.id},env=${x.env}`)
    const file = path.join(dir, `s${i}`)
    writeFileSync(file, x.kind === 'value' ? x.value : x.bytes, { mode: 0o600 })
    args.secrets.push(`id=${x.id},src=${file}`)
  })
  return { args, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}
