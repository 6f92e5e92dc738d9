// Size budgets (`max-size`, `max-growth`): pure evaluation; `main` warns or fails.

import { formatBytes, formatDelta } from './format.js'
import type { BudgetResult } from './model.js'

export interface BudgetArgs {
  /** Size of the final image in bytes. */
  size?: number
  /** Size of the compared image in bytes. */
  previous?: number
  /** Why there is no `previous` to compare with (default: there is no previous image). */
  noPrevious?: string
  maxSize?: number
  maxGrowth?: { percent?: number; bytes?: number }
}

/**
 * One result per configured limit. A limit that cannot be evaluated (no measured size, no
 * compared image) is reported with `exceeded: false` and a `note` saying why. Being exactly
 * at a limit is within it.
 */
export function evaluateBudget(args: BudgetArgs): BudgetResult[] {
  const out: BudgetResult[] = []
  const { size, previous, maxSize, maxGrowth } = args
  const known = (n: number | undefined): n is number => n !== undefined && Number.isFinite(n)

  if (maxSize !== undefined) {
    if (!known(size)) {
      out.push({ kind: 'max-size', limit: formatBytes(maxSize), actual: 'unknown', exceeded: false, note: 'the image size could not be measured' })
    } else {
      out.push({ kind: 'max-size', limit: formatBytes(maxSize), actual: formatBytes(size), exceeded: size > maxSize })
    }
  }

  if (maxGrowth && (maxGrowth.percent !== undefined || maxGrowth.bytes !== undefined)) {
    const limits: string[] = []
    if (maxGrowth.percent !== undefined) limits.push(`+${maxGrowth.percent}%`)
    if (maxGrowth.bytes !== undefined) limits.push(`+${formatBytes(maxGrowth.bytes)}`)
    const limit = limits.join(' or ')
    if (!known(size)) {
      out.push({ kind: 'max-growth', limit, actual: 'unknown', exceeded: false, note: 'the image size could not be measured' })
    } else if (!known(previous)) {
      out.push({ kind: 'max-growth', limit, actual: 'unknown', exceeded: false, note: args.noPrevious ?? 'no previous image to compare with' })
    } else {
      const growth = size - previous
      const overBytes = maxGrowth.bytes !== undefined && growth > maxGrowth.bytes
      const overPercent = maxGrowth.percent !== undefined && growth > 0 && (previous <= 0 || (growth / previous) * 100 > maxGrowth.percent)
      out.push({ kind: 'max-growth', limit, actual: formatDelta(size, previous), exceeded: overBytes || overPercent })
    }
  }
  return out
}
