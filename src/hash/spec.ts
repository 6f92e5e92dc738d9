// Normalization of single conda specs and pip entries, and what pip entries refer to.
// Pure string functions.

import { redactUrlSecrets } from './label-secrets.js'

/**
 * A conda MatchSpec with only cosmetic whitespace removed. Operators are kept verbatim
 * (`=1.26`, `==1.26` and ` 1.26` stay different), `channel::` prefixes are kept.
 *
 * - runs of whitespace become one space, ends trimmed;
 * - no space around `::`, comparison operators (`= == != < <= > >= ~=`), `,` and `|`
 *   (`numpy >= 1.2` ≡ `numpy>=1.2`, `python = 3.12` ≡ `python=3.12`);
 * - other spaces stay: they separate name, version and build (`blas * mkl`);
 * - bracket options (`blas [build = mkl, version=1]`) lose spaces and are sorted when they
 *   are all `key=value` without quotes (conda reads them as a set of keyword arguments).
 */
export function normalizeCondaSpec(raw: string): string {
  let s = raw.trim().replace(/\s+/g, ' ')
  s = s.replace(/\s*::\s*/g, '::')
  s = s.replace(/\s*([<>=!~]=?|==|,|\|)\s*/g, '$1')
  // `>= =` style runs produced above are already adjacent; remove a space before `[`.
  s = s.replace(/\s+\[/g, '[').replace(/\[\s+/g, '[').replace(/\s+\]/g, ']')
  s = s.replace(/\[([^\]]*)\]/g, (_m, inner: string) => `[${sortBracketItems(inner)}]`)
  return redactUrlSecrets(s)
}

function sortBracketItems(inner: string): string {
  if (/["']/.test(inner)) return inner
  const items = inner.split(',').map((i) => i.trim())
  if (items.some((i) => i === '')) return inner
  return items.sort().join(',')
}

/**
 * Why a dependency cannot be a conda MatchSpec, or undefined when it may be one. Only shapes
 * conda's grammar (`[channel[/subdir]::]name[ version[ build]][[key=value, …]]`, or a package
 * URL or path) can never parse are refused — a folded list item first, the mistake valid YAML
 * makes out of an over-indented `- pandas` line:
 * - ` - ` between words: two list items folded into one (`numpy=1.26 - pandas>=2.1`);
 * - no package name (`>=1.2`, `::numpy`, `=1.2`);
 * - more than three fields (name, version, build) outside `[…]`;
 * - a `[` or a quote that is never closed.
 */
export function condaSpecProblem(raw: string): string | undefined {
  const s = raw.trim()
  if (s === '') return 'it is empty'
  if (/^-(\s|$)|\s-(\s|$)/.test(s))
    return 'it holds " - ": two list items folded into one (is the next item indented more than this one?) — a spec is one package'
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^[./~\\]/.test(s)) return undefined // a package URL or path
  const spec = normalizeCondaSpec(s)
  if (!balanced(spec)) return 'a "[" or a quote is never closed'
  const afterChannel = spec.includes('::') ? spec.slice(spec.lastIndexOf('::') + 2) : spec
  if (/^[=<>!~,|[]/.test(afterChannel) || afterChannel === '') return 'it has no package name before the version'
  const fields = spec.replace(/\[[^\]]*\]/g, '').split(' ')
  if (fields.length > 3) return `it has ${fields.length} space-separated parts, and a spec has at most three (name, version, build)`
  return undefined
}

/** Brackets and quotes closed, in order. */
function balanced(s: string): boolean {
  let quote: string | undefined
  let depth = 0
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = undefined
    } else if (c === '"' || c === "'") quote = c
    else if (c === '[') depth++
    else if (c === ']' && --depth < 0) return false
  }
  return quote === undefined && depth === 0
}

/** Why a `pip:` entry cannot be one pip requirement line, or undefined: a folded list item (` - ` after a requirement), or a lone `-`. */
export function pipEntryProblem(raw: string): string | undefined {
  const s = raw.trim()
  if (s === '-') return 'it is a lone "-"'
  if (!s.startsWith('-') && /\s-(\s|$)/.test(stripRequirementComment(s)))
    return 'it holds " - ": two list items folded into one (is the next item indented more than this one?) — an entry is one requirement'
  return undefined
}

/** The package name of a conda spec (no channel, no version), lower-case: used to pair specs in diffs. */
export function condaSpecName(spec: string): string {
  const noChannel = spec.includes('::') ? spec.slice(spec.lastIndexOf('::') + 2) : spec
  const m = /^[^\s=<>!~,|[\]]+/.exec(noChannel)
  return (m ? m[0] : noChannel).toLowerCase()
}

/** Collapses whitespace outside quotes; trims. */
function collapseOutsideQuotes(s: string): string {
  let out = ''
  let quote: string | null = null
  let pendingSpace = false
  for (const ch of s.trim()) {
    if (quote) {
      out += ch
      if (ch === quote) quote = null
      continue
    }
    if (/\s/.test(ch)) {
      pendingSpace = true
      continue
    }
    if (pendingSpace && out) out += ' '
    pendingSpace = false
    out += ch
    if (ch === '"' || ch === "'") quote = ch
  }
  return out
}

const PEP508_NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$/s

/**
 * A pip entry with only cosmetic differences removed: whitespace collapsed (outside quotes),
 * and for a `name[extras] specifiers ; marker` requirement the extras sorted and the spaces
 * inside the version specifiers dropped (`numpy >= 1.2` ≡ `numpy>=1.2`). Option lines,
 * URLs and paths are kept as written (collapsed). Secrets in URLs become digests.
 */
export function normalizePipEntry(raw: string): string {
  const s = collapseOutsideQuotes(raw)
  if (s.startsWith('-') || isUrlOrPath(s)) return redactUrlSecrets(s)
  const m = PEP508_NAME.exec(s)
  if (!m) return redactUrlSecrets(s)
  const [, name, extras, rest0] = m
  let rest = rest0 ?? ''
  if (rest.startsWith('@')) return redactUrlSecrets(`${name}${extras ? sortExtras(extras) : ''} ${rest}`)
  // split off options (`--hash=…`, `--global-option …`) and the marker
  let options = ''
  const opt = /(^|\s)--?[A-Za-z]/.exec(rest)
  if (opt) {
    options = rest.slice(opt.index).trim()
    rest = rest.slice(0, opt.index)
  }
  let marker = ''
  const semi = rest.indexOf(';')
  if (semi >= 0) {
    marker = rest.slice(semi + 1).trim()
    rest = rest.slice(0, semi)
  }
  const version = rest.replace(/\s+/g, '')
  let out = `${name}${extras ? sortExtras(extras) : ''}${version}`
  if (marker) out += `; ${marker}`
  if (options) out += ` ${options}`
  return redactUrlSecrets(out)
}

function sortExtras(extras: string): string {
  const items = extras
    .slice(1, -1)
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
  return `[${items.sort().join(',')}]`
}

function isUrlOrPath(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(s) || /^[./~\\]/.test(s) || /^[^\s;@]*[/\\]/.test(s)
}

/** Key that pairs pip entries across documents in a diff: the normalized project name, or the whole line. */
export function pipEntryKey(entry: string): string {
  if (entry.startsWith('-') || isUrlOrPath(entry)) return entry
  const m = PEP508_NAME.exec(entry)
  return m ? m[1]!.toLowerCase().replace(/[-_.]+/g, '-') : entry
}

/** What a pip entry (or a requirement-file line) points at. */
export type PipRef =
  /** `-r`/`-c` file (path or `file:` URL), resolved against the including file's directory. */
  | { kind: 'requirements'; option: 'requirement' | 'constraint'; target: string }
  /** A local directory or archive pip installs from (`-e .`, `./pkg`, `file:…`, `--find-links ./wheels`). */
  | { kind: 'local'; target: string }
  /** A remote file the environment cannot content-address (`-r https://…`). */
  | { kind: 'remote'; target: string }

const REQ_OPTS = new Map<string, 'requirement' | 'constraint'>([
  ['-r', 'requirement'],
  ['--requirement', 'requirement'],
  ['-c', 'constraint'],
  ['--constraint', 'constraint'],
])
const PATH_OPTS = new Set(['-e', '--editable', '-f', '--find-links'])

/**
 * Splits a requirement line into tokens, honouring quotes (no escapes); comments must be
 * removed before (see stripRequirementComment).
 */
function tokens(line: string): string[] {
  const out: string[] = []
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g
  let m: RegExpExecArray | null
  while ((m = re.exec(line))) out.push(m[1] ?? m[2] ?? m[3]!)
  return out
}

/** pip's comment rule: `#` at the start of a line or after whitespace starts a comment. */
export function stripRequirementComment(line: string): string {
  const m = /(^|\s)#/.exec(line)
  return (m ? line.slice(0, m.index) : line).trim()
}

/** The files, local paths and remote files a pip entry / requirement line refers to. */
export function pipRefs(line: string): PipRef[] {
  const text = stripRequirementComment(line)
  if (!text) return []
  const t = tokens(text)
  const refs: PipRef[] = []
  for (let i = 0; i < t.length; i++) {
    const tok = t[i]!
    const eq = tok.startsWith('--') ? tok.indexOf('=') : -1
    const name = eq > 0 ? tok.slice(0, eq) : tok
    const inlineValue = eq > 0 ? tok.slice(eq + 1) : undefined
    const shortMatch = /^(-[rcef])(.+)$/.exec(tok)
    if (REQ_OPTS.has(name) || (shortMatch && REQ_OPTS.has(shortMatch[1]!))) {
      const option = REQ_OPTS.get(name) ?? REQ_OPTS.get(shortMatch![1]!)!
      const target = inlineValue ?? (REQ_OPTS.has(name) ? t[++i] : shortMatch![2])
      if (target !== undefined) refs.push(fileRef(option, target))
      continue
    }
    if (PATH_OPTS.has(name) || (shortMatch && PATH_OPTS.has(shortMatch[1]!))) {
      const target = inlineValue ?? (PATH_OPTS.has(name) ? t[++i] : shortMatch![2])
      // after -e / --find-links anything that is not a (non-file:) URL is a local path
      if (target !== undefined && (/^file:/i.test(target) || !/^[a-z][a-z0-9+.-]+:/i.test(target))) refs.push({ kind: 'local', target: stripExtras(target) })
      continue
    }
    if (tok.startsWith('-')) {
      // other options (`--index-url X`, `--hash=…`): a `file:` value is local content
      const value = inlineValue ?? (tok.startsWith('--') && eq < 0 && i + 1 < t.length && !t[i + 1]!.startsWith('-') ? t[i + 1] : undefined)
      if (value && /^file:/i.test(value)) refs.push({ kind: 'local', target: value })
      continue
    }
    if (i === 0) {
      // a requirement: `name @ file:…`, a path, an archive or a file: URL
      const at = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?\s*@\s*(\S+)/.exec(text)
      if (at) {
        if (/^file:/i.test(at[1]!)) refs.push({ kind: 'local', target: at[1]! })
        break
      }
      const target = stripExtras(tok.split(';')[0]!)
      if (isLocalTarget(target)) refs.push({ kind: 'local', target })
      break
    }
  }
  return refs
}

/** `./pkg[extra]` → `./pkg`. */
function stripExtras(target: string): string {
  // by hand: the equivalent regex backtracks quadratically on `a[a[a[…`
  if (!target.endsWith(']')) return target
  const body = target.slice(0, -1)
  const stop = Math.max(body.lastIndexOf(']'), body.lastIndexOf('/'), body.lastIndexOf('\\'))
  const open = body.indexOf('[', stop + 1)
  return open >= 0 ? target.slice(0, open) : target
}

function fileRef(option: 'requirement' | 'constraint', target: string): PipRef {
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(target) && !/^file:/i.test(target)) return { kind: 'remote', target }
  return { kind: 'requirements', option, target }
}

/** A local path or `file:` URL (not a project name, not a remote URL or VCS reference). */
export function isLocalTarget(target: string): boolean {
  if (/^file:/i.test(target)) return true
  if (/^[a-z][a-z0-9+.-]+:/i.test(target)) return false // http:, git+https:, …
  if (target === '.' || target === '..' || /^[./~\\]/.test(target)) return true
  if (/^[A-Za-z]:[\\/]/.test(target)) return true
  if (/[/\\]/.test(target)) return true
  return /\.(whl|tar\.gz|tgz|zip|tar\.bz2|tar\.xz)$/i.test(target)
}

/** `file:` URL or path → a path (relative paths stay relative). */
export function fileUrlToPathish(target: string): string {
  if (!/^file:/i.test(target)) return target
  let rest = target.slice(5)
  if (rest.startsWith('//')) {
    rest = rest.slice(2)
    const slash = rest.indexOf('/')
    const host = slash < 0 ? rest : rest.slice(0, slash)
    rest = slash < 0 ? '/' : rest.slice(slash)
    if (host && host.toLowerCase() !== 'localhost') rest = `//${host}${rest}`
  }
  rest = rest.split('#')[0]!
  try {
    return decodeURIComponent(rest)
  } catch {
    return rest
  }
}
