// Human units for sizes, deltas and durations, and the parsers of the budget inputs.
// Sizes use decimal units, as registries and the GitHub Packages UI show them.

import { UserError } from '../errors.js'

/** U+2212 MINUS SIGN: reads better than a hyphen in front of a number. */
export const MINUS = '\u2212'

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'] as const

/** `950 B`, `12.0 kB`, `412.3 MB`, `1.2 GB` (decimal units, one decimal above bytes). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '? B'
  if (n < 0) return `${MINUS}${formatBytes(-n)}`
  if (n < 1000) return `${Math.round(n)} B`
  let unit = 0
  let v = n
  while (v >= 1000 && unit < UNITS.length - 1) {
    v /= 1000
    unit++
  }
  // 999_960 B rounds to "1000.0 kB": carry into the next unit.
  if (Number(v.toFixed(1)) >= 1000 && unit < UNITS.length - 1) {
    v /= 1000
    unit++
  }
  return `${v.toFixed(1)} ${UNITS[unit]}`
}

/** Signed change of `current` against `previous`: `+18.2 MB, +4.6%`, `−3.0 MB, −0.7%`, `no change`. */
export function formatDelta(current: number, previous: number): string {
  if (!Number.isFinite(current) || !Number.isFinite(previous)) return 'unknown change'
  const diff = current - previous
  if (diff === 0) return 'no change'
  const sign = diff > 0 ? '+' : MINUS
  const bytes = `${sign}${formatBytes(Math.abs(diff))}`
  if (previous <= 0) return bytes
  const pct = (Math.abs(diff) / previous) * 100
  return `${bytes}, ${sign}${formatPercent(pct)}`
}

function formatPercent(p: number): string {
  if (p >= 1000) return `${Math.round(p)}%`
  if (p > 0 && p < 0.05) return '<0.1%'
  return `${p.toFixed(1)}%`
}

/** `350 ms`, `12.3 s`, `2 m 41 s`, `1 h 02 m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const totalS = Math.round(ms / 1000)
  if (totalS < 3600) return `${Math.floor(totalS / 60)} m ${String(totalS % 60).padStart(2, '0')} s`
  const totalM = Math.round(ms / 60_000)
  return `${Math.floor(totalM / 60)} h ${String(totalM % 60).padStart(2, '0')} m`
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
}

const SIZE_RE = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i

/**
 * `800MB`, `1.5GB`, `800 MiB`, `123` (bytes) → bytes. Decimal units (kB, MB, GB, TB; also
 * K, M, G, T) and binary ones (KiB, MiB, GiB, TiB). Anything else is a UserError.
 */
export function parseSize(s: string): number {
  const v = s.trim()
  const m = SIZE_RE.exec(v)
  const factor = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined
  if (!m || factor === undefined) {
    throw new UserError(`Invalid size "${shorten(s)}": use a number of bytes or a unit, e.g. 800MB, 1.5GB or 800MiB`)
  }
  const bytes = Math.round(Number(m[1]) * factor)
  if (!Number.isSafeInteger(bytes)) throw new UserError(`Invalid size "${shorten(s)}": too large`)
  return bytes
}

/**
 * `10%` → `{ percent: 10 }`, `50MB` → `{ bytes: 50e6 }`; both may be given, separated by a
 * comma (`10%, 50MB`): the image is over budget when it grew beyond either.
 */
export function parseGrowth(s: string): { percent?: number; bytes?: number } {
  const parts = s
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
  if (parts.length === 0 || parts.length > 2) {
    throw new UserError(`Invalid growth limit "${shorten(s)}": use a percentage (10%) or a size (50MB)`)
  }
  const out: { percent?: number; bytes?: number } = {}
  for (const p of parts) {
    const pm = /^(\d+(?:\.\d+)?|\.\d+)\s*%$/.exec(p)
    if (pm) {
      if (out.percent !== undefined) throw new UserError(`Invalid growth limit "${shorten(s)}": two percentages`)
      out.percent = Number(pm[1])
      continue
    }
    if (out.bytes !== undefined) throw new UserError(`Invalid growth limit "${shorten(s)}": two sizes`)
    try {
      out.bytes = parseSize(p)
    } catch {
      throw new UserError(`Invalid growth limit "${shorten(s)}": use a percentage (10%) or a size (50MB)`)
    }
  }
  return out
}

function shorten(s: string): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const one = s.replace(/[\u0000-\u001f\u007f]/g, ' ')
  return one.length > 60 ? `${one.slice(0, 60)}…` : one
}
