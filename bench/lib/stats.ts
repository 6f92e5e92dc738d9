// Small statistics and formatting helpers for the benchmark report.

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export function min(xs: readonly number[]): number {
  return xs.length ? Math.min(...xs) : NaN
}

export function max(xs: readonly number[]): number {
  return xs.length ? Math.max(...xs) : NaN
}

/** Milliseconds, human-sized: `0.42 ms`, `37 ms`, `1.84 s`, `2 min 05 s`. */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return 'n/a'
  if (v < 1) return `${v.toFixed(2)} ms`
  if (v < 10) return `${v.toFixed(1)} ms`
  if (v < 1000) return `${Math.round(v)} ms`
  if (v < 120_000) return `${(v / 1000).toFixed(2)} s`
  const m = Math.floor(v / 60_000)
  return `${m} min ${String(Math.round((v - m * 60_000) / 1000)).padStart(2, '0')} s`
}

export function mb(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a'
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

export function kb(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a'
  return `${(bytes / 1024).toFixed(0)} KiB`
}

export function ratio(a: number, b: number, digits = 2): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a'
  return `${(a / b).toFixed(digits)}×`
}

export function int(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US') : 'n/a'
}

export function table(head: readonly string[], rows: readonly (readonly string[])[], align?: string): string {
  const sep = head.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'))
  const line = (c: readonly string[]): string => `| ${c.map((x) => (x === '' ? ' ' : x.replace(/\|/g, '\\|'))).join(' | ')} |`
  return [line(head), `|${sep.join('|')}|`, ...rows.map(line)].join('\n')
}

export function verdict(holds: boolean | undefined): string {
  return holds === undefined ? '**not measured**' : holds ? '**holds**' : '**MISSED**'
}
