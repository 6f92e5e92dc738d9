// A pixi manifest (`pixi.toml`, or `[tool.pixi]` of a `pyproject.toml`) → the parts of it
// that change what `pixi install --locked -e <env>` installs or how the environment is
// activated, for the target platforms. Pure functions; a TOML error is a UserError with the
// file and line.
//
// The packages themselves are the lock's (lock.ts): dependency specs only decide whether the
// lock still satisfies the manifest (`--locked` fails the build when it does not), so they are
// not hashed here. What the manifest adds on top of the lock, per feature of the environment
// (the default feature too, unless `no-default-feature`), and per target selector matching a
// target platform (`[target.<platform>]`, `[feature.<f>.target.<platform>]`):
// - `[activation]` scripts and `env` (the scripts by content, in the loader),
// - `[system-requirements]`, `channels`, `channel-priority`, `pypi-options`,
// - the path entries of `pypi-dependencies` (their `editable` flag and extras are read from
//   the manifest when installing);
// the environment's feature list, the workspace `name` (activation sets PIXI_PROJECT_NAME and
// CONDA_DEFAULT_ENV from it), its channels, `channel-priority` and `pypi-options`; and in a
// `pyproject.toml`, everything outside `[tool.pixi]` (it describes how the project itself is
// built when the environment installs it: `pypi: .`), like a `[package]` table (pixi-build).
// Not counted: tasks, other environments and features, other platforms' targets,
// descriptions, comments, formatting and key order.

import { parse, TomlDate, TomlError } from 'smol-toml'
import { UserError } from '../../vocabulary/user-error.js'
import { excerpt } from '../../text/redact.js'
import { canonicalJson } from '../canonical.js'
import { redactUrlSecrets } from '../label-secrets.js'
import type { JsonValue } from '../types.js'

export type ManifestKind = 'pixi.toml' | 'pyproject.toml'

type Table = { [key: string]: unknown }

export interface PixiManifest {
  readonly file: string
  readonly kind: ManifestKind
  /** The pixi table: the whole `pixi.toml`, or `tool.pixi` of a `pyproject.toml`. */
  readonly pixi: Table
  /** A `pyproject.toml` without `tool.pixi` (what builds the project itself); undefined for `pixi.toml`. */
  readonly pyproject?: Table
  readonly text: string
}

const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof TomlDate)

/** The 1-based line of the first line matching `re`, else 1. */
function lineOf(text: string, re: RegExp): number {
  const lines = text.split('\n')
  const i = lines.findIndex((l) => re.test(l))
  return i < 0 ? 1 : i + 1
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Parses a manifest; undefined when it is a `pyproject.toml` without `[tool.pixi]`. */
export function parsePixiManifest(text: string, file: string, kind: ManifestKind): PixiManifest | undefined {
  let doc: Table
  try {
    doc = parse(text)
  } catch (e) {
    if (e instanceof TomlError) {
      const line = e.line > 0 ? e.line : 1
      const why = excerpt(e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, ''), 120)
      throw new UserError(`${file}:${line}: not valid TOML: ${why}`, { file, line })
    }
    throw new UserError(`${file}:1: not valid TOML (${excerpt(String((e as Error).message ?? e).split('\n')[0]!, 120)})`, { file, line: 1 })
  }
  if (kind === 'pixi.toml') return { file, kind, pixi: doc, text }
  const tool = doc.tool
  if (!isTable(tool) || !isTable(tool.pixi)) return undefined
  const { pixi, ...otherTools } = tool
  const pyproject: Table = { ...doc }
  if (Object.keys(otherTools).length) pyproject.tool = otherTools
  else delete pyproject.tool
  return { file, kind, pixi: pixi, pyproject, text }
}

/** TOML values as plain JSON (numbers, booleans and dates as their text); credentials in URLs redacted. */
export function tomlJson(v: unknown): JsonValue {
  if (v === null || v === undefined) return null
  if (typeof v === 'string') return redactUrlSecrets(v)
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v)
  if (v instanceof TomlDate) return v.toISOString()
  if (Array.isArray(v)) return v.map(tomlJson)
  if (isTable(v)) return Object.fromEntries(Object.keys(v).map((k) => [k, tomlJson(v[k])]))
  return null
}

const json = (v: unknown) => canonicalJson(tomlJson(v))

/** The workspace table: `[workspace]`, or `[project]` of older manifests. */
function workspaceOf(m: PixiManifest): Table {
  const w = m.pixi.workspace ?? m.pixi.project
  return isTable(w) ? w : {}
}

/** Conda subdirs of target selectors: exact subdirs, families, `unix`. */
const SUBDIR = /^(linux|osx|win|emscripten|wasi|zos)-[a-z0-9_]+$/
function selectorMatches(selector: string, subdir: string, names: ReadonlyMap<string, string>): boolean {
  const family = subdir.split('-')[0]!
  if (selector === subdir || selector === family) return true
  if (selector === 'unix') return family === 'linux' || family === 'osx'
  if (SUBDIR.test(selector) || ['linux', 'osx', 'win', 'unix', 'emscripten', 'wasi', 'zos'].includes(selector)) return false
  const named = names.get(selector)
  // a selector this action does not know counts, whatever it means (a rebuild rather than a wrong reuse)
  return named === undefined || named === subdir
}

/** Platform names of the manifest (`{ name, platform }` entries of `platforms`) → subdir. */
function manifestPlatformNames(m: PixiManifest): Map<string, string> {
  const out = new Map<string, string>()
  const ps = workspaceOf(m).platforms
  if (Array.isArray(ps))
    for (const p of ps) if (isTable(p) && typeof p.platform === 'string') out.set(typeof p.name === 'string' ? p.name : p.platform, p.platform)
  return out
}

/** The keys of a feature (or a target of it) that change the installed environment or its activation. */
const FEATURE_KEYS = ['channels', 'channel-priority', 'system-requirements', 'activation', 'pypi-options'] as const

export interface ActivationScript {
  /** As written, relative to the manifest's directory. */
  readonly path: string
  /** Where it is set (`feature default`, `feature gpu target linux-64`). */
  readonly where: string
}

export interface ManifestParts {
  /** The environment's features in priority order (`default` last unless left out). */
  readonly features: string[]
  /** Label → canonical JSON of what counts (see the header). */
  readonly settings: Record<string, string>
  /** Activation scripts of the environment on the targets, in order of appearance. */
  readonly scripts: ActivationScript[]
}

/**
 * What counts of the manifest for environment `env` on the target `subdirs`.
 * `lockPlatforms`: a version 7 lock's platform names → subdir (target selectors may use them).
 */
export function manifestParts(
  m: PixiManifest,
  env: string,
  subdirs: readonly string[],
  opts: { readonly lockPlatforms?: ReadonlyMap<string, string>; readonly installsProject?: boolean } = {},
): ManifestParts {
  const lockPlatforms = opts.lockPlatforms
  const settings: Record<string, string> = {}
  const scripts: ActivationScript[] = []
  const ws = workspaceOf(m)
  const names = new Map([...manifestPlatformNames(m), ...(lockPlatforms ?? [])])
  const name = ws.name ?? (isTable(m.pyproject?.project) ? m.pyproject.project.name : undefined)
  if (name !== undefined) settings['workspace name'] = json(name)
  for (const k of ['channels', 'channel-priority', 'pypi-options'] as const) if (ws[k] !== undefined) settings[`workspace ${k}`] = json(ws[k])
  // the rest of a pyproject.toml builds the project itself, when the environment installs it
  if (m.pyproject && opts.installsProject) settings['pyproject.toml outside [tool.pixi]'] = json(m.pyproject)
  // so does a pixi-build `[package]` table (the project as a conda source package)
  if (opts.installsProject && m.pixi.package !== undefined) settings['package'] = json(m.pixi.package)

  const envs = isTable(m.pixi.environments) ? m.pixi.environments : {}
  const decl = envs[env]
  let listed: string[] = []
  let noDefault = false
  if (decl === undefined) {
    if (env !== 'default') {
      const have = ['default', ...Object.keys(envs).filter((k) => k !== 'default')]
      throw new UserError(
        `${m.file}:${lineOf(m.text, /^\s*\[(tool\.pixi\.)?environments\]/)}: the manifest has no environment "${excerpt(env)}" (it has ${have.map((h) => `"${excerpt(h, 40)}"`).join(', ')}) — set \`pixi-environment\` to one of them`,
        { file: m.file, line: lineOf(m.text, /^\s*\[(tool\.pixi\.)?environments\]/) },
      )
    }
  } else if (Array.isArray(decl)) listed = decl.map(String)
  else if (isTable(decl)) {
    listed = Array.isArray(decl.features) ? decl.features.map(String) : []
    noDefault = decl['no-default-feature'] === true
  } else {
    const line = lineOf(m.text, new RegExp(`^\\s*"?${escapeRe(env)}"?\\s*=`))
    throw new UserError(`${m.file}:${line}: environment "${excerpt(env)}" must be a list of features or a table with \`features\``, { file: m.file, line })
  }
  const featureTables = isTable(m.pixi.feature) ? m.pixi.feature : {}
  const features = [...listed, ...(noDefault ? [] : ['default'])]
  settings['environment features'] = canonicalJson(features)
  for (const f of features) {
    const table = f === 'default' ? m.pixi : featureTables[f]
    if (!isTable(table)) {
      const line = lineOf(m.text, new RegExp(`^\\s*"?${escapeRe(env)}"?\\s*=`))
      throw new UserError(
        `${m.file}:${line}: environment "${excerpt(env)}" uses feature "${excerpt(f)}", which the manifest does not define (it has ${
          Object.keys(featureTables)
            .map((k) => `"${excerpt(k, 40)}"`)
            .join(', ') || 'none'
        })`,
        { file: m.file, line },
      )
    }
    collect(table, `feature ${f}`, settings, scripts)
    const targets = isTable(table.target) ? table.target : {}
    for (const sel of Object.keys(targets).sort()) {
      if (!subdirs.some((s) => selectorMatches(sel, s, names))) continue
      if (isTable(targets[sel])) collect(targets[sel], `feature ${f} target ${sel}`, settings, scripts)
    }
  }
  return { features, settings, scripts }
}

function collect(table: Table, where: string, settings: Record<string, string>, scripts: ActivationScript[]): void {
  for (const k of FEATURE_KEYS) if (table[k] !== undefined) settings[`${where} ${k}`] = json(table[k])
  const pypi = table['pypi-dependencies']
  if (isTable(pypi)) {
    const paths = Object.keys(pypi)
      .filter((k) => isTable(pypi[k]) && pypi[k].path !== undefined)
      .sort()
    if (paths.length) settings[`${where} pypi path sources`] = canonicalJson(Object.fromEntries(paths.map((k) => [k, tomlJson(pypi[k])])))
  }
  const act = table.activation
  if (isTable(act) && Array.isArray(act.scripts)) for (const s of act.scripts) if (typeof s === 'string') scripts.push({ path: s, where })
}
