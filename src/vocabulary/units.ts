// Parsers of the quantities users write in inputs: sizes (`800MB`, `1.5GiB`), growth limits
// (`10%`, `50MB`) and durations (`14d`, `1d12h`). Pure; anything else is a UserError.

import { UserError } from './user-error.js'

/** Size units as written in messages, with their factor; matched without regard to case. */
const SIZE_UNIT_TABLE: readonly (readonly [string, number])[] = [
  ['B', 1],
  ['kB', 1e3],
  ['MB', 1e6],
  ['GB', 1e9],
  ['TB', 1e12],
  ['KiB', 1024],
  ['MiB', 1024 ** 2],
  ['GiB', 1024 ** 3],
  ['TiB', 1024 ** 4],
]
/** One-letter spellings of the decimal units (`800M`, `1.5G`). */
const SIZE_UNIT_SHORT: readonly (readonly [string, number])[] = [
  ['K', 1e3],
  ['M', 1e6],
  ['G', 1e9],
  ['T', 1e12],
]
const SIZE_UNITS = new Map([...SIZE_UNIT_TABLE, ...SIZE_UNIT_SHORT].map(([u, f]) => [u.toLowerCase(), f]))

/** The size units, for messages: derived from the parser's own table. */
export const SIZE_UNIT_NAMES = `${SIZE_UNIT_TABLE.map(([u]) => u).join(', ')} (${SIZE_UNIT_SHORT.map(([u]) => u).join(', ')} for short)`

const SIZE_RE = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i

/**
 * `800MB`, `1.5GB`, `800 MiB`, `123B` → bytes. Decimal units (kB, MB, GB, TB; also K, M, G,
 * T) and binary ones (KiB, MiB, GiB, TiB). A number without a unit is refused (`5` meant as
 * 5 % or 5 GB would silently be 5 bytes), as is anything else: a UserError.
 */
export function parseSize(s: string): number {
  const v = s.trim()
  const m = SIZE_RE.exec(v)
  if (m && m[2] === '') {
    throw new UserError(`Invalid size "${shorten(s)}": a size needs a unit, one of ${SIZE_UNIT_NAMES}, e.g. 800MB (bytes: ${m[1]}B)`)
  }
  const factor = m ? SIZE_UNITS.get(m[2]!.toLowerCase()) : undefined
  if (!m || factor === undefined) {
    throw new UserError(`Invalid size "${shorten(s)}": use a number and a unit, one of ${SIZE_UNIT_NAMES}, e.g. 800MB, 1.5GB or 800MiB`)
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
  const units = `a percentage (10%) or a size with a unit (50MB; units ${SIZE_UNIT_NAMES})`
  if (parts.length === 0 || parts.length > 2) throw new UserError(`Invalid growth limit "${shorten(s)}": use ${units}, or one of each (10%, 50MB)`)
  const out: { percent?: number; bytes?: number } = {}
  for (const p of parts) {
    const pm = /^(\d+(?:\.\d+)?|\.\d+)\s*%$/.exec(p)
    if (pm) {
      if (out.percent !== undefined) throw new UserError(`Invalid growth limit "${shorten(s)}": two percentages`)
      out.percent = Number(pm[1])
      continue
    }
    if (out.bytes !== undefined) throw new UserError(`Invalid growth limit "${shorten(s)}": two sizes`)
    if (/^(\d+(?:\.\d+)?|\.\d+)$/.test(p)) throw new UserError(`Invalid growth limit "${shorten(s)}": "${p}" has no unit — use ${units}`)
    try {
      out.bytes = parseSize(p)
    } catch {
      throw new UserError(`Invalid growth limit "${shorten(s)}": use ${units}`)
    }
  }
  return out
}

function shorten(s: string): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const one = s.replace(/[\u0000-\u001f\u007f]/g, ' ')
  return one.length > 60 ? `${one.slice(0, 60)}…` : one
}

const DURATION_UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3_600e3, d: 86_400e3, w: 604_800e3 }

/** `14d`, `2w`, `36h`, `90m`, `1d12h`: milliseconds. `name` is the input, for the message. */
export function parseDuration(name: string, value: string): number {
  const v = value.trim()
  const re = /(\d+)\s*([smhdw])/gy
  let total = 0
  let matched = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(v)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!
    matched = re.lastIndex
  }
  if (v === '' || matched !== v.length) {
    const units = Object.keys(DURATION_UNITS).join(', ')
    const why = /^\d+$/.test(v) ? `: "${v}" has no unit` : ''
    throw new UserError(`Input "${name}" must be a duration such as 14d, 2w or 36h (units ${units}), got "${shorten(value)}"${why}`)
  }
  return total
}
