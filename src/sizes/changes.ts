// Every package change between two bases, from their size manifests: each conda package
// whose version or build changed, that was added or removed — or, with the same version and
// build, whose installed size changed — once, with its installed-size change. A patch
// release of the same size is a change like any other. Pure.
//
// The pip-installed distributions are compared the same way (everyPipChange), by their
// normalised name (PEP 503), when both manifests list them: a manifest without a pip list
// says nothing about pip, so nothing is said. A distribution's size is the bytes its RECORD
// lists, where it lists them; a change whose size is not known on both sides has no delta.

import { compareText } from '../text/strings.js'
import type { PackageSize, PipDistribution } from './manifest.js'

/**
 * - `updated`: the version or the build changed;
 * - `resized`: same version and build, another installed size (e.g. `__pycache__` kept or not).
 */
export type PackageChangeKind = 'added' | 'removed' | 'updated' | 'resized'

/** A conda package, or a pip distribution (no build; a size only where its RECORD lists one). */
export interface PackageRecord {
  readonly name: string
  readonly version: string
  readonly build?: string
  readonly size?: number
}

export interface PackageChange {
  readonly name: string
  readonly kind: PackageChangeKind
  /** A pip-installed distribution (absent: a conda package). */
  readonly pip?: true
  /** The record in the previous base (absent when added). */
  readonly before?: PackageRecord
  /** The record in the new base (absent when removed). */
  readonly after?: PackageRecord
  /**
   * Installed bytes: after minus before (a removed package counts as minus its size).
   * Absent when a size it needs is not known (a pip distribution without sizes in its RECORD).
   */
  readonly delta?: number
}

/** One record per name: the last one wins (a manifest lists each conda package once; a second record replaces the first). */
export function packagesByName(pkgs: readonly PackageSize[]): Map<string, PackageSize> {
  const m = new Map<string, PackageSize>()
  for (const p of pkgs) m.set(p.name, p)
  return m
}

function kindOf(before: PackageRecord | undefined, after: PackageRecord | undefined): PackageChangeKind | undefined {
  if (!before) return after ? 'added' : undefined
  if (!after) return 'removed'
  if (before.version !== after.version || (before.build ?? '') !== (after.build ?? '')) return 'updated'
  // An unknown size is not a change of size.
  return before.size !== undefined && after.size !== undefined && before.size !== after.size ? 'resized' : undefined
}

function deltaOf(before: PackageRecord | undefined, after: PackageRecord | undefined): number | undefined {
  if ((before && before.size === undefined) || (after && after.size === undefined)) return undefined
  return (after?.size ?? 0) - (before?.size ?? 0)
}

/** The order of a change list: the largest installed-size change first (an unknown one counts as none), then by name, conda before pip. */
export function byChangeSize(x: PackageChange, y: PackageChange): number {
  return Math.abs(y.delta ?? 0) - Math.abs(x.delta ?? 0) || compareText(x.name, y.name) || (x.pip ? 1 : 0) - (y.pip ? 1 : 0)
}

function changesOf<T extends PackageRecord>(prev: Map<string, T>, cur: Map<string, T>, pip: boolean): PackageChange[] {
  const out: PackageChange[] = []
  for (const key of new Set([...prev.keys(), ...cur.keys()])) {
    const b = prev.get(key)
    const a = cur.get(key)
    const kind = kindOf(b, a)
    if (!kind) continue
    const delta = deltaOf(b, a)
    out.push({
      name: (a ?? b)!.name,
      kind,
      ...(pip ? { pip: true as const } : {}),
      ...(b ? { before: b } : {}),
      ...(a ? { after: a } : {}),
      ...(delta === undefined ? {} : { delta }),
    })
  }
  return out
}

/**
 * Every package that differs between `before` and `after`, each name once; the largest
 * installed-size change first (by magnitude), then by name. Unchanged packages are left out.
 */
export function everyPackageChange(before: readonly PackageSize[], after: readonly PackageSize[]): PackageChange[] {
  return changesOf(packagesByName(before), packagesByName(after), false).sort(byChangeSize)
}

/** A pip distribution's name as pip compares names (PEP 503): lower case, runs of `-`, `_`, `.` one `-`. */
export function normalizePipName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase()
}

/** One record per normalised name: the last one wins. */
export function pipByName(dists: readonly PipDistribution[]): Map<string, PipDistribution> {
  const m = new Map<string, PipDistribution>()
  for (const d of dists) m.set(normalizePipName(d.name), d)
  return m
}

/**
 * Every pip distribution that differs between `before` and `after` (version changed, added,
 * removed, or the same version with another known size), each normalised name once, in the
 * order of everyPackageChange. Undefined when either base has no pip list: nothing is known.
 */
export function everyPipChange(before: readonly PipDistribution[] | undefined, after: readonly PipDistribution[] | undefined): PackageChange[] | undefined {
  if (!before || !after) return undefined
  return changesOf(pipByName(before), pipByName(after), true).sort(byChangeSize)
}

/** How many changes of each kind, their installed-size change in total (of those whose size is known), how many are pip's and how many have no known size. */
export function changeTotals(changes: readonly PackageChange[]): Record<PackageChangeKind, number> & { delta: number; pip: number; unsized: number } {
  const t = { added: 0, removed: 0, updated: 0, resized: 0, delta: 0, pip: 0, unsized: 0 }
  for (const c of changes) {
    t[c.kind]++
    if (c.pip) t.pip++
    if (c.delta === undefined) t.unsized++
    else t.delta += c.delta
  }
  return t
}
