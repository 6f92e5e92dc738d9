// The report section "What makes the base big": the largest conda packages of the base by
// installed size and, when a new base was built, every package that changed against the
// previous base (src/report/package-changes.ts).

import { formatBytes } from './format.js'
import { code, details, plural, table, text } from './markdown.js'
import type { PackagesReport } from './model.js'
import { packageChangesText } from './package-changes.js'

/** How many of the largest packages are shown. */
const LIST_CAP = 10
/** How many package changes are listed at most (the summary's bound). */
const CHANGES_CAP = 500

export function packagesSection(p: PackagesReport | undefined, forComment: boolean, maxStr: number, maxChanges = CHANGES_CAP): string | undefined {
  if (!p || p.count === 0) return undefined
  const lines = [`#### What makes the base big`, `${plural(p.count, 'conda package')}, ${formatBytes(p.total)} installed.`]
  if (p.changes)
    lines.push(packageChangesText(p.changes.previousTag, p.changes.list, { forComment, maxRows: maxChanges, maxStr, pipCompared: p.changes.pipCompared }))
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
