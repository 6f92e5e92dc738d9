// The report section "What makes the base big": the largest conda packages of the base by
// installed size and, when a new base was built, what changed against the previous base.

import { formatBytes, formatDelta } from './format.js'
import { code, details, plural, table, text } from './markdown.js'
import type { PackageSize, PackagesReport } from './model.js'

/** How many packages each list shows. */
const LIST_CAP = 10

function nameVersion(p: PackageSize, max: number): string {
  return `${code(p.name, max)} ${text(p.version, 40)}`
}

function changeLines(c: NonNullable<PackagesReport['changes']>, max: number): string[] {
  const out: string[] = []
  const list = (items: readonly string[], total: number): string => items.join(', ') + (total > items.length ? `, … and ${total - items.length} more` : '')
  if (c.added.length)
    out.push(
      `- **Added** (${c.added.length}): ${list(
        c.added.slice(0, LIST_CAP).map((p) => `${nameVersion(p, max)} (${formatBytes(p.size)})`),
        c.added.length,
      )}`,
    )
  if (c.removed.length)
    out.push(
      `- **Removed** (${c.removed.length}): ${list(
        c.removed.slice(0, LIST_CAP).map((p) => `${nameVersion(p, max)} (${formatBytes(p.size)})`),
        c.removed.length,
      )}`,
    )
  if (c.grown.length) {
    const items = c.grown
      .slice(0, LIST_CAP)
      .map(
        (g) =>
          `${code(g.name, max)} ${text(g.before.version, 40)} → ${text(g.after.version, 40)} (${formatBytes(g.before.size)} → ${formatBytes(g.after.size)}, ${formatDelta(g.after.size, g.before.size)})`,
      )
    out.push(`- **Grown by more than 10%** (${c.grown.length}): ${list(items, c.grown.length)}`)
  }
  return out
}

export function packagesSection(p: PackagesReport | undefined, forComment: boolean, maxStr: number): string | undefined {
  if (!p || p.count === 0) return undefined
  const lines = [`#### What makes the base big`, `${plural(p.count, 'conda package')}, ${formatBytes(p.total)} installed.`]
  if (p.changes) {
    const c = changeLines(p.changes, maxStr)
    lines.push(
      c.length
        ? `Against ${code(p.changes.previousTag, maxStr, false)}:\n\n${c.join('\n')}`
        : `No package added, removed or grown by more than 10% against ${code(p.changes.previousTag, maxStr, false)}.`,
    )
  }
  const rows = p.largest
    .slice(0, LIST_CAP)
    .map((q, i) => [
      String(i + 1),
      code(q.name, maxStr),
      text(q.version, 40),
      formatBytes(q.size),
      p.total > 0 ? `${((q.size / p.total) * 100).toFixed(1)}%` : '–',
    ])
  const t = table(['#', 'Package', 'Version', 'Installed', 'Share'], rows, ['r', 'l', 'l', 'r', 'r'])
  lines.push(forComment ? details(`Largest ${Math.min(LIST_CAP, p.largest.length)} packages`, t) : `Largest packages by installed size:\n\n${t}`)
  return lines.join('\n\n')
}
