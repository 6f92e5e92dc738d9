// conda environment.yml (parsed to a PNode tree) → a plain model, and the model's selection
// for each target conda subdir. Pure functions; every user mistake is a UserError with line.
//
// Keys, following conda's own reading of the file (conda.env.env: name, channels,
// dependencies, prefix, variables):
// - `name`: kept as a string; whether it counts is decided by the Dockerfile (dockerfile.ts);
// - `channels`: list of strings, order kept (priority); null/empty = none;
// - `dependencies`: list of conda specs and `pip:` mappings (also micromamba's
//   `sel(<selector>): spec`); missing is an error (the image would hold nothing — usually a
//   misspelt key), `dependencies:` with no value is an empty list, as in conda;
// - `prefix`: dropped — where the environment goes is the Dockerfile's business;
// - `variables`: mapping of strings;
// - any other key: kept verbatim in `extra` — conda ignores it, but a tool in the base
//   Dockerfile may not (conda-lock reads `platforms`, others read `category`, …), and we
//   know of no key that is cosmetic for every installer, so a change there rebuilds (a
//   rare false miss, never a false hit). A key that looks like a misspelt conda key is
//   warned about.

import { UserError } from '../vocabulary/user-error.js'
import { excerpt } from '../text/redact.js'
import { evalSelector, selectorOfComment, selectorOfKey } from './selectors.js'
import { condaSpecProblem, normalizeCondaSpec, normalizePipEntry, pipEntryProblem } from './spec.js'
import type { JsonValue } from './types.js'
import type { PNode } from './yaml.js'

export interface Entry {
  /** The entry as written (source string). */
  readonly text: string
  readonly line: number
  /** Platform selector: from a trailing comment (`# [linux]`) or micromamba's `sel(linux):` key. */
  readonly selector?: { readonly expr: string; readonly form: 'comment' | 'sel' }
}

export interface EnvModel {
  readonly name?: string
  readonly channels: readonly string[]
  readonly conda: readonly Entry[]
  /** Each `pip:` mapping of `dependencies`, in order. */
  readonly pipSections: readonly (readonly Entry[])[]
  readonly variables?: Readonly<Record<string, string | null>>
  readonly extra: Readonly<Record<string, JsonValue>>
  readonly warnings: readonly string[]
}

export const KNOWN_KEYS = ['name', 'channels', 'dependencies', 'prefix', 'variables'] as const
/** Keys of tools other than conda that we recognise (kept in `extra`, no warning). */
const TOOL_KEYS = new Set(['platforms', 'category', 'channel_priority'])

/**
 * A record for user keys: no prototype, so `__proto__`, `constructor` or `toString` are keys
 * like any other (with `{}`, `out['__proto__'] = v` would set the prototype and lose `v`).
 */
export function userRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>
}

export function toJson(n: PNode): JsonValue {
  if (n.kind === 'scalar') return n.value
  if (n.kind === 'seq') return n.items.map(toJson)
  const out = userRecord<JsonValue>()
  for (const e of n.entries) out[e.key] = toJson(e.value)
  return out
}

function describe(n: PNode): string {
  if (n.kind === 'scalar') return n.value === null ? 'empty' : `the string "${excerpt(n.value)}"`
  return n.kind === 'seq' ? 'a list' : 'a mapping'
}

/** Edit distance, small strings only (misspelling hints). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
  return d[a.length]![b.length]!
}

const SYNONYMS: Record<string, string> = {
  requirements: 'dependencies',
  deps: 'dependencies',
  packages: 'dependencies',
  dependency: 'dependencies',
  env: 'variables',
  environment: 'variables',
}

/** The conda key an unknown key was probably meant to be. */
export function misspeltKey(key: string): string | undefined {
  const k = key.toLowerCase()
  if (Object.hasOwn(SYNONYMS, k)) return SYNONYMS[k]
  let best: string | undefined
  for (const known of KNOWN_KEYS) {
    if (k === known) return key === known ? undefined : known
    const d = distance(k, known)
    if (d <= 2 && (!best || d < distance(k, best))) best = known
  }
  return best
}

export function readEnvironment(root: PNode, file: string): EnvModel {
  if (root.kind === 'scalar' && root.value === null)
    throw new UserError(`${file} is empty — expected a conda environment (name, channels, dependencies)`, { file, line: 1 })
  if (root.kind !== 'map')
    throw new UserError(`${file}:${root.line}: the top level must be a mapping (name:, channels:, dependencies:), not ${describe(root)}`, {
      file,
      line: root.line,
    })
  const warnings: string[] = []
  const extra = userRecord<JsonValue>()
  let name: string | undefined
  let channels: string[] = []
  let variables: Record<string, string | null> | undefined
  let deps: PNode | undefined
  const suspicious: { key: string; line: number; meant: string }[] = []
  for (const { key, keyLine, value } of root.entries) {
    switch (key) {
      case 'name':
        if (value.kind !== 'scalar') throw new UserError(`${file}:${value.line}: \`name\` must be a string, not ${describe(value)}`, { file, line: value.line })
        name = value.value ?? undefined
        break
      case 'channels':
        channels = readChannels(value, file)
        break
      case 'dependencies':
        deps = value
        break
      case 'prefix':
        break
      case 'variables':
        variables = readVariables(value, file)
        break
      default: {
        extra[key] = toJson(value)
        if (TOOL_KEYS.has(key)) break
        const meant = misspeltKey(key)
        if (meant) suspicious.push({ key, line: keyLine, meant })
        warnings.push(
          `${file}:${keyLine}: unknown top-level key "${excerpt(key)}"${meant ? ` (did you mean "${meant}"?)` : ''} — conda ignores it; it is kept in the environment hash`,
        )
      }
    }
  }
  if (deps === undefined) {
    const hint = suspicious.find((s) => s.meant === 'dependencies')
    const line = hint?.line ?? root.line
    throw new UserError(
      `${file}:${line}: no \`dependencies:\` list — the environment would install nothing${hint ? ` (found "${hint.key}:" — did you mean "dependencies:"?)` : ''}`,
      { file, line },
    )
  }
  const { conda, pipSections } = readDependencies(deps, file, warnings)
  return { name, channels, conda, pipSections, variables, extra, warnings }
}

function readChannels(value: PNode, file: string): string[] {
  if (value.kind === 'scalar' && value.value === null) return []
  if (value.kind !== 'seq')
    throw new UserError(`${file}:${value.line}: \`channels\` must be a list of channel names, not ${describe(value)}`, { file, line: value.line })
  return value.items.map((c) => {
    if (c.kind !== 'scalar' || c.value === null || c.value.trim() === '')
      throw new UserError(`${file}:${c.line}: each channel must be a non-empty string, not ${describe(c)}`, { file, line: c.line })
    return c.value.trim()
  })
}

function readVariables(value: PNode, file: string): Record<string, string | null> | undefined {
  if (value.kind === 'scalar' && value.value === null) return undefined
  if (value.kind !== 'map')
    throw new UserError(`${file}:${value.line}: \`variables\` must be a mapping of NAME: value, not ${describe(value)}`, { file, line: value.line })
  const out = userRecord<string | null>()
  for (const { key, value: v } of value.entries) {
    if (v.kind !== 'scalar')
      throw new UserError(`${file}:${v.line}: variable "${excerpt(key)}" must have a string value, not ${describe(v)}`, { file, line: v.line })
    out[key] = v.value
  }
  return out
}

/** A conda spec or a pip entry that cannot be one (see condaSpecProblem, pipEntryProblem). */
function impossible(n: { value: string; line: number }, problem: (s: string) => string | undefined, file: string): void {
  const why = problem(n.value)
  const what = problem === pipEntryProblem ? 'a pip requirement' : 'a conda package spec'
  if (why) throw new UserError(`${file}:${n.line}: "${excerpt(n.value)}" is not ${what}: ${why}`, { file, line: n.line })
}

function entryOf(n: PNode, what: string, file: string, warnings?: string[], problem: (s: string) => string | undefined = condaSpecProblem): Entry {
  if (n.kind !== 'scalar' || n.value === null || n.value.trim() === '')
    throw new UserError(`${file}:${n.line}: ${what} must be a non-empty string, not ${describe(n)}`, { file, line: n.line })
  impossible({ value: n.value, line: n.line }, problem, file)
  if (n.typed && warnings) {
    warnings.push(
      `${file}:${n.line}: ${what.replace(/^an? /, '')} ${n.value} is a ${n.typed} in YAML, not a package spec — conda reads it as a ${n.typed}; quote it if it is meant as a name`,
    )
  }
  const expr = selectorOfComment(n.comment)
  return expr ? { text: n.value, line: n.line, selector: { expr, form: 'comment' } } : { text: n.value, line: n.line }
}

function readDependencies(value: PNode, file: string, warnings: string[]): { conda: Entry[]; pipSections: Entry[][] } {
  const conda: Entry[] = []
  const pipSections: Entry[][] = []
  if (value.kind === 'scalar' && value.value === null) {
    warnings.push(`${file}:${value.line}: \`dependencies\` is empty — the environment installs nothing`)
    return { conda, pipSections }
  }
  if (value.kind !== 'seq')
    throw new UserError(`${file}:${value.line}: \`dependencies\` must be a list (- numpy, - pip: [...]), not ${describe(value)}`, { file, line: value.line })
  for (const item of value.items) {
    if (item.kind === 'scalar') {
      conda.push(entryOf(item, 'a dependency', file, warnings))
      continue
    }
    if (item.kind === 'map' && item.entries.length === 1) {
      const { key, value: v } = item.entries[0]!
      if (key === 'pip') {
        pipSections.push(readPip(v, file, warnings))
        continue
      }
      const expr = selectorOfKey(key)
      if (expr !== undefined) {
        const e = entryOf(v, `the dependency of "${excerpt(key)}"`, file, warnings)
        conda.push({ text: e.text, line: e.line, selector: { expr, form: 'sel' } })
        continue
      }
      throw new UserError(
        `${file}:${item.line}: unexpected mapping "${excerpt(key)}:" in \`dependencies\` — only "pip:" (or micromamba's "sel(...):") may appear there`,
        { file, line: item.line },
      )
    }
    throw new UserError(
      `${file}:${item.line}: a dependency must be a string (e.g. "numpy>=1.26") or a "pip:" list, not ${
        item.kind === 'map'
          ? `a mapping with keys ${item.entries
              .slice(0, 5)
              .map((e) => `"${excerpt(e.key, 40)}"`)
              .join(', ')}${item.entries.length > 5 ? ', …' : ''}`
          : describe(item)
      }`,
      { file, line: item.line },
    )
  }
  return { conda, pipSections }
}

function readPip(v: PNode, file: string, warnings: string[]): Entry[] {
  if (v.kind === 'scalar' && v.value === null) return []
  if (v.kind !== 'seq') throw new UserError(`${file}:${v.line}: \`pip:\` must be a list of pip requirements, not ${describe(v)}`, { file, line: v.line })
  return v.items.map((i) => entryOf(i, 'a pip entry', file, warnings, pipEntryProblem))
}

// ---------------------------------------------------------------------------------------
// Selection per target subdir

export interface Selection {
  /** Per subdir: normalized conda specs (sorted, unique) and pip entries (in order). */
  readonly bySubdir: ReadonlyMap<string, { readonly conda: readonly string[]; readonly pip: readonly string[] }>
  /** Entries removed on every target, with their selector (sorted). */
  readonly excluded: readonly string[]
  /** Raw pip entries that are installed on at least one target (for reference resolution). */
  readonly pipEntries: readonly Entry[]
  readonly warnings: readonly string[]
}

/** Marker between pip sections when there are several (conda keeps only the last `pip:` mapping, micromamba merges them). */
export function pipSectionMarker(n: number): string {
  return `# pip section ${n}`
}

export function selectEntries(model: EnvModel, subdirs: readonly string[], file: string): Selection {
  const warnings: string[] = []
  const excluded = new Set<string>()
  const withSelector = (text: string, sel: NonNullable<Entry['selector']>) => (sel.form === 'sel' ? `sel(${sel.expr}): ${text}` : `${text} # [${sel.expr}]`)
  const warned = new Set<string>()
  const verdicts = (e: Entry): ('in' | 'out' | 'unknown')[] =>
    subdirs.map((s) => {
      if (!e.selector) return 'in'
      const v = evalSelector(e.selector.expr, s)
      if (v === 'unknown' && !warned.has(`${e.line}`)) {
        warned.add(`${e.line}`)
        warnings.push(
          `${file}:${e.line}: selector [${excerpt(e.selector.expr)}] is not a platform selector this action understands — the entry is kept on every platform`,
        )
      }
      return v === 'unknown' ? 'unknown' : v ? 'in' : 'out'
    })
  const conda = subdirs.map(() => new Set<string>())
  for (const e of model.conda) {
    const spec = normalizeCondaSpec(e.text)
    const v = verdicts(e)
    if (v.every((x) => x === 'out')) excluded.add(withSelector(spec, e.selector!))
    v.forEach((x, i) => {
      if (x === 'in') conda[i]!.add(spec)
      else if (x === 'unknown') conda[i]!.add(withSelector(spec, e.selector!))
    })
  }
  const pip = subdirs.map(() => [] as string[])
  const pipEntries: Entry[] = []
  const several = model.pipSections.length > 1
  model.pipSections.forEach((section, n) => {
    if (several && n > 0) pip.forEach((p) => p.push(pipSectionMarker(n + 1)))
    for (const e of section) {
      const entry = normalizePipEntry(e.text)
      const v = verdicts(e)
      if (v.every((x) => x === 'out')) excluded.add(`pip: ${withSelector(entry, e.selector!)}`)
      else pipEntries.push(e)
      v.forEach((x, i) => {
        if (x === 'in') pip[i]!.push(entry)
        else if (x === 'unknown') pip[i]!.push(withSelector(entry, e.selector!))
      })
    }
  })
  const bySubdir = new Map<string, { conda: string[]; pip: string[] }>()
  subdirs.forEach((s, i) => bySubdir.set(s, { conda: [...conda[i]!].sort(), pip: pip[i]! }))
  return { bySubdir, excluded: [...excluded].sort(), pipEntries, warnings }
}
