// What differs between two environment documents — the "why was the base rebuilt" list of
// the report. Pure; tolerant of documents that differ in shape (targets, source kind).

import type { EnvChange } from '../report/model.js'
import { ENTRIES_DIGEST } from './requirements.js'
import { condaSpecName, pipEntryKey } from './spec.js'
import type { EnvDocument, JsonValue, LockPackages } from './types.js'

type Change = EnvChange

const short = (digest: string | undefined) => (digest === undefined ? undefined : digest.replace(/^([a-z]+:)?([0-9a-f]{12})[0-9a-f]*$/, '$1$2'))

/**
 * Name-keyed comparison of two string lists: added / removed / changed per key. The item of
 * each change is the key, with `label` around it (`requirements.txt: uvicorn`, `numpy (linux-64)`).
 * The one before/after diff of the report: dependencies, pip entries, lock packages and the
 * entries of requirement files (file-lines.ts) all go through it.
 */
export function keyed(section: string, prev: readonly string[], next: readonly string[], key: (s: string) => string, suffix = '', prefix = ''): Change[] {
  const group = (xs: readonly string[]) => {
    const m = new Map<string, string[]>()
    for (const x of xs) {
      const k = key(x)
      const g = m.get(k)
      if (g) g.push(x)
      else m.set(k, [x])
    }
    return m
  }
  const a = group(prev)
  const b = group(next)
  const out: Change[] = []
  for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const before = a.get(k)?.join(', ')
    const after = b.get(k)?.join(', ')
    if (before === after) continue
    const item = `${prefix}${k}${suffix}`
    if (before === undefined) out.push({ section, kind: 'added', item, after })
    else if (after === undefined) out.push({ section, kind: 'removed', item, before })
    else out.push({ section, kind: 'changed', item, before, after })
  }
  return out
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** Changes of an ordered list: keyed changes, or an order change when only the order differs. */
function ordered(section: string, prev: readonly string[], next: readonly string[], key: (s: string) => string, suffix = ''): Change[] {
  if (sameList(prev, next)) return []
  const changes = keyed(section, prev, next, key, suffix)
  const prevCommon = prev.filter((x) => next.includes(x))
  const nextCommon = next.filter((x) => prev.includes(x))
  if (!sameList(prevCommon, nextCommon))
    changes.push({ section, kind: 'changed', item: `order${suffix}`, before: prevCommon.join(', '), after: nextCommon.join(', ') })
  return changes
}

function recordChanges(
  section: string,
  prev: Readonly<Record<string, string | null>> | undefined,
  next: Readonly<Record<string, string | null>> | undefined,
  fmt: (v: string | null) => string | undefined = (v) => v ?? '(empty)',
  label: (k: string) => string = (k) => k,
): Change[] {
  const a = prev ?? {}
  const b = next ?? {}
  const out: Change[] = []
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const inA = Object.hasOwn(a, k)
    const inB = Object.hasOwn(b, k)
    if (inA && inB && a[k] === b[k]) continue
    if (!inA) out.push({ section, kind: 'added', item: label(k), after: fmt(b[k]!) })
    else if (!inB) out.push({ section, kind: 'removed', item: label(k), before: fmt(a[k]!) })
    else out.push({ section, kind: 'changed', item: label(k), before: fmt(a[k]!), after: fmt(b[k]!) })
  }
  return out
}

/** Per-subdir conda specs and pip entries of a document (top-level lists apply to every subdir). */
function perSubdir(doc: EnvDocument): Map<string, { conda: string[]; pip: string[] }> {
  const m = new Map<string, { conda: string[]; pip: string[] }>()
  for (const s of doc.subdirs) {
    const own = doc.bySubdir?.[s]
    m.set(s, { conda: [...(doc.dependencies ?? []), ...(own?.dependencies ?? [])].sort(), pip: own?.pip ?? doc.pip ?? [] })
  }
  return m
}

/**
 * Runs `diff` for every subdir of `next` (against the same subdir of `prev`, or prev's first
 * one when prev had other targets); reports once when every subdir changed the same way,
 * else per subdir (` (linux-aarch64)` after the item).
 */
function bySubdir<T>(prev: Map<string, T>, next: Map<string, T>, diff: (a: T, b: T, suffix: string) => Change[]): Change[] {
  const subdirs = [...next.keys()]
  const fallback = prev.values().next().value as T
  const pick = (s: string) => prev.get(s) ?? fallback
  const plain = subdirs.map((s) => diff(pick(s), next.get(s)!, ''))
  const same = plain.every((c) => JSON.stringify(c) === JSON.stringify(plain[0]))
  if (same || subdirs.length <= 1) return plain[0] ?? []
  return subdirs.flatMap((s) => diff(pick(s), next.get(s)!, ` (${s})`))
}

const json = (v: JsonValue | undefined) => (v === undefined ? undefined : JSON.stringify(v))

function lockChanges(prev: Readonly<Record<string, LockPackages>>, next: Readonly<Record<string, LockPackages>>): Change[] {
  const pm = new Map(Object.entries(prev))
  const nm = new Map(Object.entries(next))
  if (pm.size === 0 || nm.size === 0) return []
  const key = (item: string) => item.replace(/=[^=]*$/, '')
  return bySubdir(pm, nm, (a, b, suffix) => {
    const changes = keyed('packages', a.items, b.items, key, suffix)
    if (changes.length === 0 && a.sha256 !== b.sha256)
      changes.push({ section: 'packages', kind: 'changed', item: `package builds or checksums${suffix}`, before: short(a.sha256), after: short(b.sha256) })
    return changes
  })
}

/**
 * A requirement file that an earlier version hashed by its bytes and this one by its entries
 * (`entries:` digests, requirements.ts): its digest changed although nothing in it need have;
 * say so instead of showing two digests.
 */
function requirementsScheme(c: Change, prev: EnvDocument['files'], next: EnvDocument['files']): Change {
  const p = prev?.[c.item]
  const n = next?.[c.item]
  if (c.kind !== 'changed' || p === undefined || n === undefined || p.startsWith(ENTRIES_DIGEST) || !n.startsWith(ENTRIES_DIGEST)) return c
  return {
    ...c,
    before: 'hashed by its bytes (an earlier version of the action)',
    after: 'hashed by its entries: comments, blank lines and layout no longer count',
  }
}

/** Build-context files the base Dockerfile reads: each one added, removed or changed, by path. */
function contextChanges(prev: EnvDocument['context'], next: EnvDocument['context']): Change[] {
  if ((prev?.sha256 ?? '') === (next?.sha256 ?? '')) return []
  const changes = recordChanges(CONTEXT_SECTION, prev?.files, next?.files, (v) => short(v ?? undefined))
  if (changes.length === 0)
    changes.push({
      section: CONTEXT_SECTION,
      kind: 'changed',
      item: 'directories, links or files not listed',
      before: short(prev?.sha256),
      after: short(next?.sha256),
    })
  return changes
}

/** Section name of build-context changes in "why the base was rebuilt". */
export const CONTEXT_SECTION = 'build context files'

export function diffDocuments(prev: EnvDocument, next: EnvDocument): EnvChange[] {
  const out: Change[] = []
  if (prev.scheme !== next.scheme) out.push({ section: 'scheme', kind: 'changed', item: 'scheme', before: prev.scheme, after: next.scheme })
  if (prev.source !== next.source)
    out.push({ section: 'environment', kind: 'changed', item: 'kind of environment file', before: prev.source, after: next.source })
  if (prev.name !== next.name)
    out.push({
      section: 'name',
      kind: prev.name === undefined ? 'added' : next.name === undefined ? 'removed' : 'changed',
      item: 'name',
      before: prev.name,
      after: next.name,
    })
  const pc = prev.channels ?? []
  const nc = next.channels ?? []
  out.push(...ordered('channels', pc, nc, (c) => c))
  const pd = perSubdir(prev)
  const nd = perSubdir(next)
  out.push(...bySubdir(pd, nd, (a, b, suffix) => keyed('dependencies', a.conda, b.conda, condaSpecName, suffix)))
  out.push(...bySubdir(pd, nd, (a, b, suffix) => ordered('pip', a.pip, b.pip, pipEntryKey, suffix)))
  out.push(...keyed('excluded by platform selectors', prev.excluded ?? [], next.excluded ?? [], (s) => s))
  if (prev.packages || next.packages) out.push(...lockChanges(prev.packages ?? {}, next.packages ?? {}))
  out.push(...recordChanges('files', prev.files, next.files, (v) => short(v ?? undefined)).map((c) => requirementsScheme(c, prev.files, next.files)))
  out.push(...recordChanges('local packages', prev.local, next.local, (v) => short(v ?? undefined)))
  out.push(...contextChanges(prev.context, next.context))
  out.push(...recordChanges('pixi', prev.pixi, next.pixi))
  const df = (d: EnvDocument['dockerfile']) => `${d.path ?? 'bundled template'} (${short(d.sha256)})`
  if (prev.dockerfile.path !== next.dockerfile.path || prev.dockerfile.sha256 !== next.dockerfile.sha256) {
    out.push({ section: 'dockerfile', kind: 'changed', item: 'Dockerfile', before: df(prev.dockerfile), after: df(next.dockerfile) })
  }
  out.push(...ordered('build-args', prev.buildArgs, next.buildArgs, (a) => a.split('=')[0]!))
  const plats = (d: EnvDocument) => (d.platforms.length ? d.platforms.join(', ') : `builder default (selectors for ${d.subdirs.join(', ')})`)
  if (plats(prev) !== plats(next)) out.push({ section: 'platforms', kind: 'changed', item: 'platforms', before: plats(prev), after: plats(next) })
  out.push(...recordChanges('variables', prev.variables, next.variables))
  const pe = prev.extra ?? {}
  const ne = next.extra ?? {}
  const extraStr = (o: Record<string, JsonValue>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, json(v)!]))
  out.push(
    ...recordChanges(
      'environment',
      extraStr(pe),
      extraStr(ne),
      (v) => v ?? undefined,
      (k) => `key "${k}"`,
    ),
  )
  const rc = (d: EnvDocument) =>
    d.condarc !== null && typeof d.condarc === 'object' && !Array.isArray(d.condarc)
      ? extraStr(d.condarc)
      : d.condarc === undefined
        ? {}
        : { '.': json(d.condarc)! }
  out.push(...recordChanges('condarc', rc(prev), rc(next)))
  out.push(...keyed('secrets', prev.secrets ?? [], next.secrets ?? [], (s) => s))
  return out
}
