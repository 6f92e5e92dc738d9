// The `condarc` input: a `.condarc` for the solver (channel mirrors, channel_alias,
// custom_channels, tokens), given as a file path in the workspace or as inline YAML (like
// mamba-org/setup-micromamba's). The raw text reaches the build only as the BuildKit secret
// `condarc`; its non-secret content — parsed, with token/password values and URL userinfo
// redacted — goes into the environment document, so a mirror change rebuilds the base while
// rotating a token does not.

import { LineCounter, parseDocument } from 'yaml'
import { Inputs } from '../vocabulary/constants.js'
import { UserError, errorMessage } from '../vocabulary/user-error.js'
import type { JsonValue } from '../hash/index.js'
import { yamlErrorPosition, yamlErrorText } from '../hash/yaml.js'
import { isSecretName, redact } from '../text/redact.js'

const MAX_BYTES = 256 * 1024

export interface Condarc {
  /** The text the solver gets (as the BuildKit secret `condarc`). */
  readonly text: string
  /** The hashed form: parsed, secrets redacted. */
  readonly hashed: JsonValue
  /** The file, when the input was a path (for messages). */
  readonly file?: string
  /** The values redacted from `hashed` (tokens, passwords, URL userinfo): masked in the log. */
  readonly secretValues: readonly string[]
}

/** A single line without `:` is a path; anything else is inline YAML. */
export function isCondarcPath(value: string): boolean {
  const v = value.trim()
  return v !== '' && !v.includes('\n') && !v.includes(':') && !v.startsWith('{')
}

/** Credentials in a string (the one redaction, src/text/redact.ts) replaced by `***`; the originals collected in `found` (to mask in the log). */
export function redactUrl(s: string, found: string[] = []): string {
  return redact(s, (secret) => {
    found.push(secret)
    return '***'
  })
}

/** The parsed YAML with secret-looking keys' values and URL credentials redacted; keys kept. */
export function redactCondarc(v: unknown, found: string[] = [], depth = 0): JsonValue {
  if (depth > 32) throw new UserError(`Input "${Inputs.Condarc}" is nested too deeply`)
  if (v === null || v === undefined) return null
  if (typeof v === 'string') return redactUrl(v, found)
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (Array.isArray(v)) return v.map((x) => redactCondarc(x, found, depth + 1))
  if (typeof v === 'object') {
    const out: Record<string, JsonValue> = {}
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      let value: JsonValue
      if (isSecretName(k)) {
        collectScalars(x, found)
        value = '***'
      } else value = redactCondarc(x, found, depth + 1)
      Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  return typeof v === 'bigint' ? String(v) : null
}

function collectScalars(v: unknown, found: string[], depth = 0): void {
  if (depth > 32 || v === null || v === undefined) return
  if (typeof v === 'object') for (const x of Object.values(v as Record<string, unknown>)) collectScalars(x, found, depth + 1)
  else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
    if (String(v).length >= 4) found.push(String(v))
  }
}

/**
 * Reads a file the input names: confined to the workspace, a regular file, at most `maxBytes`
 * (the run's input-files port, src/ports/input-files.ts); a refusal is a UserError naming the input.
 */
export type CondarcReader = (given: string, maxBytes: number) => { readonly path: string; readonly content: string }

/** Reads (a path: through `readFile`) and parses the input; undefined when it is empty. Messages never quote the content. */
export function readCondarc(value: string, readFile: CondarcReader): Condarc | undefined {
  if (value.trim() === '') return undefined
  const file = (given: string) => {
    const f = readFile(given, MAX_BYTES)
    return { text: f.content, file: f.path }
  }
  // Inline YAML arrives trimmed (the runner's inputs are): it is given back its final newline.
  const source = isCondarcPath(value) ? file(value.trim()) : { text: value.endsWith('\n') ? value : `${value}\n`, file: undefined }
  if (Buffer.byteLength(source.text) > MAX_BYTES) throw new UserError(`Input "${Inputs.Condarc}" is larger than ${MAX_BYTES} bytes`)
  let doc = parseCondarcYaml(source.text, source.file)
  if (doc === null || doc === undefined) doc = {}
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new UserError(`Input "${Inputs.Condarc}" must be a YAML mapping (channels:, channel_alias:, …)`, source.file ? { file: source.file, line: 1 } : {})
  }
  const found: string[] = []
  const hashed = redactCondarc(doc, found)
  return { text: source.text, hashed, file: source.file, secretValues: [...new Set(found)] }
}

/** The YAML of a condarc as plain data; an error names the line where the problem starts (file inputs get an annotation there). */
function parseCondarcYaml(text: string, file: string | undefined): unknown {
  const lineCounter = new LineCounter()
  const fail = (line: number | undefined, why: string): never => {
    throw new UserError(`Input "${Inputs.Condarc}" is not valid YAML${line ? ` (line ${line})` : ''}: ${why}`, file ? { file, line } : {})
  }
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false })
  const err = doc.errors[0]
  if (err) {
    const { line, opened } = yamlErrorPosition(doc, err, lineCounter)
    return fail(line, `${yamlErrorText(err)}${opened ? ` (${opened} opened on line ${line} and not closed)` : ''}`)
  }
  try {
    return doc.toJS({ maxAliasCount: 100 })
  } catch (e) {
    return fail(undefined, errorMessage(e).split('\n')[0]!)
  }
}
