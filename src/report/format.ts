// Human units for sizes, deltas and durations, and the parsers of the budget inputs.
// Sizes use decimal units, as registries and the GitHub Packages UI show them.

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
