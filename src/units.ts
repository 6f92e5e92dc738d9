// Parsers of the quantities users write in inputs: sizes (`800MB`, `1.5GiB`), growth limits
// (`10%`, `50MB`) and durations (`14d`, `1d12h`). Pure; anything else is a UserError.

import { UserError } from './errors.js'

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
    throw new UserError(`Input "${name}" must be a duration such as 14d, 2w or 36h (units s, m, h, d, w), got "${value}"`)
  }
  return total
}
