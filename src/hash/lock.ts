// Plain spec lists and lock files as `environment-file`. A spec list (`conda list --export`:
// `name=version=build` lines, `#` comments, an optional `# platform:` line, no `@EXPLICIT`;
// what `conda create --file` and `micromamba install -f` read) is hashed by its specs,
// normalized like environment dependencies and sorted (the solver sees a set).
// Lock files: an explicit spec (`@EXPLICIT`, as `conda list
// --explicit` / `conda-lock render --kind explicit` write it) or a conda-lock.yml (version 1).
// Both are hashed by their package lines, sorted (install order is the solver's, not the
// file's); the document shows a short readable item per package and a digest over the full
// lines (URL with checksum), which is what makes the hash exact while keeping the label small.

import { UserError } from '../vocabulary/user-error.js'
import { sha256Hex } from './canonical.js'
import { redactUrlSecrets } from './label-secrets.js'
import { normalizeCondaSpec } from './spec.js'
import { excerpt } from '../text/redact.js'
import type { LockPackages } from './types.js'
import type { PMap, PNode } from './yaml.js'

/** True when the text is an explicit spec: its first non-comment line is `@EXPLICIT`. */
export function isExplicitLock(text: string): boolean {
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    return line === '@EXPLICIT'
  }
  return false
}

function packages(lines: string[], item: (l: string) => string): LockPackages {
  const sorted = [...new Set(lines)].sort()
  return { items: [...new Set(sorted.map(item))].sort(), sha256: sha256Hex(sorted.join('\n')) }
}

/** `…/linux-64/numpy-1.26.4-py312h_0.conda#md5` → `numpy-1.26.4-py312h_0`. */
function explicitItem(line: string): string {
  if (line.startsWith('# pip ')) {
    const req = line.slice(6).trim()
    const at = req.indexOf(' @ ')
    return `pip:${at > 0 ? req.slice(0, at) : req}`
  }
  const base = line.split('#')[0]!.split('/').pop() ?? line
  return base.replace(/\.(conda|tar\.bz2)$/, '')
}

export interface ExplicitLock {
  readonly platform?: string
  readonly packages: LockPackages
  readonly warnings: string[]
}

/** Package lines of an explicit spec: URLs (with their `#md5`/`#sha256:` fragment) and `# pip …` lines. */
export function readExplicitLock(text: string, file: string): ExplicitLock {
  const lines: string[] = []
  let platform: string | undefined
  const warnings: string[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    if (line === '' || line === '@EXPLICIT') return
    const plat = /^#\s*platform:\s*(\S+)/.exec(line)
    if (plat) platform = plat[1]
    if (/^#\s*pip\s/.test(line)) {
      lines.push(`# pip ${redactUrlSecrets(line.replace(/^#\s*pip\s+/, '').replace(/\s+/g, ' '))}`)
      return
    }
    if (line.startsWith('#')) return
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(line) && !line.startsWith('/')) {
      throw new UserError(`${file}:${i + 1}: an explicit environment (@EXPLICIT) may list only package URLs, found "${excerpt(line)}"`, { file, line: i + 1 })
    }
    if (!/#/.test(line)) warnings.push(`${file}:${i + 1}: package without a checksum (#md5 or #sha256) — the hash covers only its URL`)
    lines.push(redactUrlSecrets(line))
  })
  if (lines.length === 0) throw new UserError(`${file}: the explicit environment (@EXPLICIT) lists no packages`, { file, line: 1 })
  return { platform, packages: packages(lines, explicitItem), warnings: warnings.slice(0, 5) }
}

/** A conda-lock.yml: a mapping with `version` and a `package` list (and no `dependencies`). */
export function isCondaLock(root: PNode): root is PMap {
  if (root.kind !== 'map') return false
  const keys = new Set(root.entries.map((e) => e.key))
  return keys.has('package') && keys.has('version') && !keys.has('dependencies')
}

function scalar(m: PMap, key: string): string | undefined {
  const e = m.entries.find((x) => x.key === key)
  return e && e.value.kind === 'scalar' ? (e.value.value ?? undefined) : undefined
}

/**
 * conda-lock.yml (version 1): the packages of the target subdirs, one line each with
 * manager, name, version, URL, checksums, category and `optional`. Its `metadata` (content
 * hash of the sources, timestamps, …) is ignored: the packages are what gets installed.
 */
export function readCondaLock(root: PMap, file: string, subdirs: readonly string[]): Record<string, LockPackages> {
  const version = root.entries.find((e) => e.key === 'version')!
  if (version.value.kind !== 'scalar' || version.value.value !== '1') {
    throw new UserError(
      `${file}:${version.keyLine}: unsupported conda-lock file version "${version.value.kind === 'scalar' ? excerpt(version.value.value ?? '') : '?'}" — version 1 is supported`,
      { file, line: version.keyLine },
    )
  }
  const pkgEntry = root.entries.find((e) => e.key === 'package')!
  if (pkgEntry.value.kind !== 'seq') throw new UserError(`${file}:${pkgEntry.keyLine}: \`package\` must be a list`, { file, line: pkgEntry.keyLine })
  const byPlatform = new Map<string, { lines: string[] }>()
  for (const p of pkgEntry.value.items) {
    if (p.kind !== 'map') throw new UserError(`${file}:${p.line}: each package must be a mapping (name, version, platform, url, hash)`, { file, line: p.line })
    const name = scalar(p, 'name')
    const ver = scalar(p, 'version')
    const platform = scalar(p, 'platform')
    const url = scalar(p, 'url')
    if (!name || !ver || !platform || !url) throw new UserError(`${file}:${p.line}: package needs name, version, platform and url`, { file, line: p.line })
    const manager = scalar(p, 'manager') ?? 'conda'
    const hashNode = p.entries.find((e) => e.key === 'hash')?.value
    const hashes: string[] = []
    if (hashNode?.kind === 'map') {
      for (const h of hashNode.entries) if (h.value.kind === 'scalar' && h.value.value) hashes.push(`${h.key}=${h.value.value}`)
    } else if (hashNode?.kind === 'scalar' && hashNode.value) {
      hashes.push(hashNode.value)
    }
    hashes.sort()
    const category = scalar(p, 'category') ?? 'main'
    const optional = scalar(p, 'optional') ?? 'false'
    const line = `${manager} ${name} ${ver} ${redactUrlSecrets(url)} ${hashes.join(',') || 'no-hash'} category=${category} optional=${optional}`
    let entry = byPlatform.get(platform)
    if (!entry) byPlatform.set(platform, (entry = { lines: [] }))
    entry.lines.push(line)
  }
  const out: Record<string, LockPackages> = {}
  for (const s of subdirs) {
    const entry = byPlatform.get(s)
    if (!entry) {
      throw new UserError(
        `${file}:${pkgEntry.keyLine}: the conda-lock file has no packages for ${s} (it has ${[...byPlatform.keys()].sort().join(', ') || 'none'}) — lock for the target platform or set \`platforms\``,
        { file, line: pkgEntry.keyLine },
      )
    }
    out[s] = packages(entry.lines, (l) => {
      const [manager, name, ver] = l.split(' ')
      return `${manager}:${name}=${ver}`
    })
  }
  return out
}

// ---------------------------------------------------------------------------------------
// Plain spec lists

/** A conda match spec on one line: `name`, `name=1.2=build`, `name>=1.2`, `chan::name 1.2 py*`, `name[build=x]`. */
const SPEC_LINE = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*(?:::[A-Za-z0-9_][A-Za-z0-9_.+-]*)?(?:\s*(?:[=<>!~][^\s:#]*|\[[^\]]*\]|\s[^\s:#-][^\s:#]*)){0,3}\s*$/

/**
 * True when the text is a plain spec list: no `@EXPLICIT`, at least one spec line, and every
 * line that is not blank or a comment a conda match spec (never a YAML `key:` or `- item`).
 */
export function isSpecList(text: string): boolean {
  let specs = 0
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    if (!SPEC_LINE.test(line)) return false
    specs++
  }
  return specs > 0
}

export interface SpecList {
  readonly platform?: string
  /** Normalized, sorted, de-duplicated. */
  readonly specs: string[]
}

export function readSpecList(text: string): SpecList {
  let platform: string | undefined
  const specs = new Set<string>()
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    const plat = /^#\s*platform:\s*(\S+)/.exec(line)
    if (plat) platform = plat[1]
    if (line === '' || line.startsWith('#')) continue
    specs.add(normalizeCondaSpec(line))
  }
  return { platform, specs: [...specs].sort() }
}
