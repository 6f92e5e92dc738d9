// Every package change between two bases, from their size manifests: each conda package
// whose version or build changed, that was added or removed — or, with the same version and
// build, whose installed size changed — once, with its installed-size change. A patch
// release of the same size is a change like any other. Pure.
//
// The size manifest carries conda packages only (conda-meta records); pip-installed
// distributions are not in it, so they are not compared here.

import { compareText } from '../text/strings.js'
import type { PackageSize } from './manifest.js'

/**
 * - `updated`: the version or the build changed;
 * - `resized`: same version and build, another installed size (e.g. `__pycache__` kept or not).
 */
export type PackageChangeKind = 'added' | 'removed' | 'updated' | 'resized'

export interface PackageChange {
  readonly name: string
  readonly kind: PackageChangeKind
  /** The record in the previous base (absent when added). */
  readonly before?: PackageSize
  /** The record in the new base (absent when removed). */
  readonly after?: PackageSize
  /** Installed bytes: after minus before (a removed package counts as minus its size). */
  readonly delta: number
}

/** One record per name: the last one wins (a manifest lists each conda package once; a second record replaces the first). */
export function packagesByName(pkgs: readonly PackageSize[]): Map<string, PackageSize> {
  const m = new Map<string, PackageSize>()
  for (const p of pkgs) m.set(p.name, p)
  return m
}

function kindOf(before: PackageSize | undefined, after: PackageSize | undefined): PackageChangeKind | undefined {
  if (!before) return after ? 'added' : undefined
  if (!after) return 'removed'
  if (before.version !== after.version || (before.build ?? '') !== (after.build ?? '')) return 'updated'
  return before.size !== after.size ? 'resized' : undefined
}

/**
 * Every package that differs between `before` and `after`, each name once; the largest
 * installed-size change first (by magnitude), then by name. Unchanged packages are left out.
 */
export function everyPackageChange(before: readonly PackageSize[], after: readonly PackageSize[]): PackageChange[] {
  const prev = packagesByName(before)
  const cur = packagesByName(after)
  const names = new Set([...prev.keys(), ...cur.keys()])
  const out: PackageChange[] = []
  for (const name of names) {
    const b = prev.get(name)
    const a = cur.get(name)
    const kind = kindOf(b, a)
    if (!kind) continue
    out.push({ name, kind, ...(b ? { before: b } : {}), ...(a ? { after: a } : {}), delta: (a?.size ?? 0) - (b?.size ?? 0) })
  }
  return out.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || compareText(x.name, y.name))
}

/** How many changes of each kind, and their installed-size change in total. */
export function changeTotals(changes: readonly PackageChange[]): Record<PackageChangeKind, number> & { delta: number } {
  const t = { added: 0, removed: 0, updated: 0, resized: 0, delta: 0 }
  for (const c of changes) {
    t[c.kind]++
    t.delta += c.delta
  }
  return t
}
