// YAML → a small plain tree that keeps every scalar's source string and its line.
//
// Parsed with the `failsafe` schema: no scalar is ever coerced (`3.10` stays "3.10", `yes`
// stays "yes", `1e3` stays "1e3"), and a quoted and an unquoted spelling of the same value
// give the same string. Only a *plain* (unquoted) `null`/`Null`/`NULL`/`~` or an empty value
// is read as null, as every YAML 1.2 core-schema reader (conda's included) would.

import {
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Scalar,
  visit,
  type Document,
  type Node,
  type YAMLError,
  type YAMLMap,
} from 'yaml'
import { UserError } from '../vocabulary/user-error.js'
import { excerpt } from '../text/redact.js'
import { thousands } from '../text/strings.js'

export type PNode = PScalar | PSeq | PMap

export interface PScalar {
  readonly kind: 'scalar'
  readonly value: string | null
  readonly line: number
  /** Text of a trailing same-line comment (`# [linux]` → `[linux]`), block context only. */
  readonly comment?: string
  /** Set on a plain (unquoted) scalar that a YAML reader with types (conda's) reads as a number or boolean. */
  readonly typed?: 'number' | 'boolean'
}
export interface PSeq {
  readonly kind: 'seq'
  readonly items: readonly PNode[]
  readonly line: number
}
export interface PMapEntry {
  readonly key: string
  readonly keyLine: number
  readonly value: PNode
}
export interface PMap {
  readonly kind: 'map'
  readonly entries: readonly PMapEntry[]
  readonly line: number
}

/** Larger files are refused before parsing (no environment file is anywhere near this). */
export const MAX_YAML_BYTES = 5 * 1024 * 1024
/** Aliases allowed per document; real environment files use none. */
export const MAX_ALIASES = 100
/** Upper bound on nodes visited while expanding aliases (guards against alias bombs). */
const MAX_NODES = 1_000_000
/** Deepest nesting of mappings and lists accepted (real environment files nest 3 or 4 levels). */
export const MAX_DEPTH = 100
/**
 * Lines plus flow separators accepted: parsing builds a node per item, and 100,000 of them
 * already take some 200 MB (a large multi-platform conda-lock file has some 30,000).
 */
export const MAX_ENTRIES = 100_000

/** What a YAML document may be: its size, its lines and items, the nodes it expands to, and what it is called in errors. */
export interface YamlLimits {
  readonly maxBytes: number
  readonly maxEntries: number
  readonly maxNodes: number
  /** `an environment file`, `a pixi lock`. */
  readonly what: string
  /** Said after the entries limit, e.g. `real ones have hundreds`. */
  readonly typical: string
}

export const ENVIRONMENT_FILE_LIMITS: YamlLimits = {
  maxBytes: MAX_YAML_BYTES,
  maxEntries: MAX_ENTRIES,
  maxNodes: MAX_NODES,
  what: 'an environment file',
  typical: 'real ones have hundreds',
}

/**
 * A pixi lock lists every package of every environment and platform of a project (pixi's own
 * is about 0.5 MB, 15,000 lines; a large multi-environment project's a few MB). Parsing is
 * about 0.5 s and 45 MB per MiB, so 16 MiB is the bound.
 */
export const PIXI_LOCK_LIMITS: YamlLimits = {
  maxBytes: 16 * 1024 * 1024,
  maxEntries: 600_000,
  maxNodes: 3_000_000,
  what: 'a pixi lock',
  typical: 'large multi-environment projects have some 100,000',
}

/** The limits of the YAML file at `abs`: a `pixi.lock` has its own. */
export function yamlLimitsFor(file: string): YamlLimits {
  return /(^|[\\/])pixi\.lock$/.test(file) ? PIXI_LOCK_LIMITS : ENVIRONMENT_FILE_LIMITS
}

/** Lines plus commas: an upper estimate of the nodes the parser would build. */
export function roughEntries(src: string): number {
  let n = 1
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i)
    if (c === 10 || c === 44) n++
  }
  return n
}

/** Deepest indentation (columns, a compact `- ` counting 2) looked at before parsing. */
const MAX_INDENT = 400

const NULL_PLAIN = new Set(['', '~', 'null', 'Null', 'NULL'])

/** Parses one YAML document into a PNode tree; every problem is a UserError with file and line. */
export function parseYaml(text: string, file: string, limits: YamlLimits = ENVIRONMENT_FILE_LIMITS): PNode {
  const src = preflight(text, file, limits)
  const lineCounter = new LineCounter()
  let doc: Document.Parsed
  try {
    doc = parseDocument(src, { schema: 'failsafe', lineCounter, uniqueKeys: true, prettyErrors: false, merge: false })
  } catch (e) {
    // the parser recurses; anything it throws (a stack overflow included) is about the input
    const why = e instanceof RangeError ? `it is nested too deeply` : `the YAML parser stopped (${(e as Error).message.split('\n')[0]!.slice(0, 80)})`
    throw new UserError(`${file} is not valid YAML: ${why}`, { file, line: 1 })
  }
  const err = doc.errors[0]
  if (err) throw documentError(doc, err, src, file, lineCounter)
  if (doc.contents === null) return { kind: 'scalar', value: null, line: 1 }
  return converter(doc, src, file, lineCounter, limits.maxNodes)(doc.contents, 0)
}

/** The bounds checked before the parser sees the text (size, entries, depth); the text without a BOM. */
function preflight(text: string, file: string, limits: YamlLimits): string {
  if (text.length > limits.maxBytes) {
    throw new UserError(`${file} is ${Math.round(text.length / 1024)} KiB, more than the ${limits.maxBytes / 1024 / 1024} MiB ${limits.what} may have`, {
      file,
      line: 1,
    })
  }
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const entries = roughEntries(src)
  if (entries > limits.maxEntries) {
    throw new UserError(
      `${file} has about ${thousands(entries)} lines and list items, more than the ${thousands(limits.maxEntries)} ${limits.what} may have (${limits.typical})`,
      { file, line: 1 },
    )
  }
  const deep = tooDeep(src)
  if (deep)
    throw new UserError(`${file}:${deep}: the YAML is nested more than ${MAX_DEPTH} levels deep — an environment file nests a few levels`, { file, line: deep })
  return src
}

/** Errors the library reports where it gave up (often the end of the file) rather than where the problem starts. */
const UNCLOSED_CODES = new Set(['MISSING_CHAR', 'MULTILINE_IMPLICIT_KEY', 'BAD_INDENT', 'UNEXPECTED_TOKEN'])

/**
 * Where the problem of an error starts: for an unclosed quoted string or flow collection (`"…`,
 * `[…`, `{…`) that the library reports where it gave up, the start of the innermost such
 * construct that holds the error's position (a quote before a bracket); else the error's own
 * position.
 */
export function problemStart(doc: Document.Parsed, err: YAMLError): { offset: number; opened?: string } {
  const pos = err.pos[0]
  if (!UNCLOSED_CODES.has(err.code)) return { offset: pos }
  let quote: { offset: number; opened: string } | undefined
  let flow: { offset: number; opened: string } | undefined
  visit(doc, {
    Node(_key, n) {
      const r = n.range
      if (!r || r[0] > pos || pos > r[2]) return
      if (isScalar(n) && (n.type === Scalar.QUOTE_DOUBLE || n.type === Scalar.QUOTE_SINGLE) && (!quote || r[0] > quote.offset))
        quote = { offset: r[0], opened: n.type === Scalar.QUOTE_DOUBLE ? 'a "double-quoted" string' : "a 'single-quoted' string" }
      else if (isCollection(n) && n.flow && (!flow || r[0] > flow.offset)) flow = { offset: r[0], opened: isSeq(n) ? 'a [flow list]' : 'a {flow mapping}' }
    },
  })
  return quote ?? flow ?? { offset: pos }
}

/** A YAML error's line and column, 1-based, at the start of the problem (see problemStart). */
export function yamlErrorPosition(doc: Document.Parsed, err: YAMLError, lineCounter: LineCounter): { line: number; column: number; opened?: string } {
  const start = problemStart(doc, err)
  const { line, col } = lineCounter.linePos(start.offset)
  return { line, column: col, ...(start.opened ? { opened: start.opened } : {}) }
}

/** The parser's first error in the action's own words, with file, line and column. */
function documentError(doc: Document.Parsed, err: YAMLError, src: string, file: string, lineCounter: LineCounter): UserError {
  const { line, column, opened } = yamlErrorPosition(doc, err, lineCounter)
  if (err.code === 'DUPLICATE_KEY') {
    const key = duplicateKeyAt(src, err.pos[0])
    return new UserError(`${file}:${line}: duplicate key${key ? ` "${excerpt(key)}"` : ''} — each key may appear only once in a mapping`, {
      file,
      line,
      column,
    })
  }
  if (err.code === 'MULTIPLE_DOCS') {
    return new UserError(`${file}:${line}: a second YAML document starts here (a \`---\` line after content) — an environment file is one document`, {
      file,
      line,
      column,
    })
  }
  const first = yamlErrorText(err)
  const where = opened ? ` (${opened} opened on line ${line} and not closed)` : ''
  return new UserError(`${file}:${line}: not valid YAML: ${excerpt(first, 160)}${where}`, { file, line, column })
}

/** The library's message without its position (ours is better) and its advice about its own API. */
export function yamlErrorText(err: YAMLError): string {
  return err.message
    .split('\n')[0]!
    .replace(/ at line \d+, column \d+:?$/, '')
    .replace(/;\s*please use [^;]*$/i, '')
}

/** Converts the parsed document's nodes to PNodes, within the node, depth and alias budgets. */
function converter(doc: Document.Parsed, src: string, file: string, lineCounter: LineCounter, maxNodes: number): (node: unknown, depth: number) => PNode {
  const lineOf = (offset: number) => lineCounter.linePos(offset).line
  let budget = maxNodes
  let aliases = 0
  const convert = (node: unknown, depth: number): PNode => {
    if (--budget < 0) throw new UserError(`${file}: the YAML expands to too many nodes (more than ${thousands(maxNodes)})`, { file, line: 1 })
    if (depth > MAX_DEPTH) {
      const line = lineOf((node as Node).range?.[0] ?? 0)
      throw new UserError(`${file}:${line}: the YAML is nested more than ${MAX_DEPTH} levels deep — an environment file nests a few levels`, { file, line })
    }
    if (node === null || node === undefined) return { kind: 'scalar', value: null, line: 1 }
    if (isAlias(node)) {
      const line = lineOf(node.range?.[0] ?? 0)
      if (++aliases > MAX_ALIASES) throw new UserError(`${file}:${line}: too many YAML aliases (more than ${MAX_ALIASES})`, { file, line })
      const target = node.resolve(doc)
      if (!target) throw new UserError(`${file}:${line}: unresolved YAML alias *${node.source}`, { file, line })
      return convert(target, depth + 1)
    }
    const n = node as Node
    const line = lineOf(n.range?.[0] ?? 0)
    if (isScalar(n)) return scalarNode(n, line, src)
    if (isSeq(n)) return { kind: 'seq', items: n.items.map((i) => convert(i, depth + 1)), line }
    if (isMap(n)) return { kind: 'map', entries: mapEntries(n, line, depth), line }
    throw new UserError(`${file}:${line}: unsupported YAML node`, { file, line })
  }
  const mapEntries = (n: YAMLMap, line: number, depth: number): PMapEntry[] => {
    const entries: PMapEntry[] = []
    for (const pair of n.items) {
      if (!isPair(pair)) continue
      const k = pair.key as Node | null
      const keyLine = k && 'range' in k && k.range ? lineOf(k.range[0]) : line
      const keyNode = k === null ? { kind: 'scalar' as const, value: null, line: keyLine } : convert(k, depth + 1)
      if (keyNode.kind !== 'scalar') throw new UserError(`${file}:${keyLine}: a mapping key must be a plain string`, { file, line: keyLine })
      entries.push({ key: keyNode.value ?? '', keyLine, value: convert(pair.value, depth + 1) })
    }
    return entries
  }
  return convert
}

/** The failsafe schema reads every scalar as a string; other primitives are written out all the same. */
function scalarText(raw: unknown): string | null {
  if (typeof raw === 'string') return raw
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') return String(raw)
  return null
}

function scalarNode(n: Scalar, line: number, src: string): PScalar {
  const raw = n.value
  const plain = n.type === Scalar.PLAIN || n.type === undefined
  const value = scalarText(raw)
  const isNull = value === null || (plain && NULL_PLAIN.has(value))
  const comment = n.range ? trailingComment(src, n.range[1]) : undefined
  const typed = plain && value !== null && !isNull ? typedAs(value) : undefined
  return { kind: 'scalar', value: isNull ? null : value, line, ...(comment === undefined ? {} : { comment }), ...(typed ? { typed } : {}) }
}

/** YAML 1.2 core-schema and YAML 1.1 (PyYAML) numbers and booleans. */
function typedAs(v: string): 'number' | 'boolean' | undefined {
  if (/^(?:true|false|yes|no|on|off)$/i.test(v)) return 'boolean'
  if (
    /^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$/.test(v) ||
    /^0x[0-9a-fA-F]+$|^0o[0-7]+$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/.test(v)
  )
    return 'number'
  return undefined
}

/** The comment that follows a block-context value on its own line (`- dep  # [linux]`). */
function trailingComment(src: string, end: number): string | undefined {
  let eol = src.indexOf('\n', end)
  if (eol < 0) eol = src.length
  const rest = src.slice(end, eol)
  const m = /^[ \t]+#(.*?)\r?$/.exec(rest)
  return m ? m[1]!.trim() : undefined
}

function duplicateKeyAt(src: string, offset: number): string | undefined {
  const m = /^\s*(?:-\s+)?(["']?)([^:"'\n]+?)\1\s*:/.exec(src.slice(offset, offset + 200))
  return m?.[2]
}

/**
 * First line where the nesting of flow collections (`[`, `{`) passes MAX_DEPTH, or the
 * indentation of block collections (compact `- - x` counting each dash) passes MAX_INDENT;
 * 0 when neither does. Quotes are skipped roughly (a quote after a space or an indicator);
 * what this misses, the parser's own stack overflow still reports as too deep.
 * An overestimate is harmless (real files are nowhere near); it keeps the recursive parser
 * from overflowing its stack.
 */
export function tooDeep(src: string): number {
  let flow = 0
  let line = 1
  let quote: string | undefined
  let lineStart = true
  let block = 0
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!
    if (c === '\n') {
      line++
      lineStart = true
      block = 0
      if (quote === "'" || quote === '"') continue
      quote = undefined
      continue
    }
    if (quote) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"') i++
      continue
    }
    if (lineStart && (c === ' ' || c === '-')) {
      if (c === ' ') block++
      else block += 2
      if (block > MAX_INDENT) return line
      continue
    }
    lineStart = false
    if (c === '#' && (i === 0 || /\s/.test(src[i - 1]!))) quote = '#'
    else if ((c === '"' || c === "'") && (flow > 0 || i === 0 || /[\s[{,:-]/.test(src[i - 1]!))) quote = c
    else if (c === '[' || c === '{') {
      if (++flow > MAX_DEPTH) return line
    } else if ((c === ']' || c === '}') && flow > 0) flow--
  }
  return 0
}
