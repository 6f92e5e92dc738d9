// The report's list of package changes against the previous base (src/sizes/changes.ts):
// every conda package whose version or build changed, added or removed, with its installed
// size change — and every pip distribution's, marked "(pip)", when both bases list them.
// The job summary shows them all up to a bound; the PR comment shows the first few and folds
// the rest. Pure.

import { changeTotals, type PackageChange, type PackageChangeKind } from '../sizes/changes.js'
import { thousands } from '../text/strings.js'
import { formatBytes, formatDelta, MINUS } from './format.js'
import { code, details, table, text } from './markdown.js'

/** Rows the PR comment shows before the rest is folded. */
export const COMMENT_OPEN_ROWS = 5

const KIND_WORDS: readonly [PackageChangeKind, string][] = [
  ['updated', 'updated'],
  ['added', 'added'],
  ['removed', 'removed'],
  ['resized', 'resized (same version and build)'],
]

/** `1.26`, or `1.26 py312h_0` when the versions are equal (a build-only change must show what changed). */
function versionCell(p: PackageChange['before'], withBuild: boolean): string {
  if (!p) return '–'
  return withBuild && p.build ? `${text(p.version, 40)} ${code(p.build, 60)}` : text(p.version, 40)
}

function changeCell(c: PackageChange): string {
  if (c.delta === undefined) return c.kind === 'added' ? 'not known (new)' : c.kind === 'removed' ? 'not known (gone)' : 'not known'
  if (c.kind === 'added') return `+${formatBytes(c.delta)} (new)`
  if (c.kind === 'removed') return `${MINUS}${formatBytes(-c.delta)} (gone)`
  return formatDelta(c.after!.size!, c.before!.size!)
}

function row(c: PackageChange, maxStr: number): string[] {
  const sameVersion = c.before !== undefined && c.after !== undefined && c.before.version === c.after.version
  return [`${code(c.name, maxStr)}${c.pip ? ' (pip)' : ''}`, versionCell(c.before, sameVersion), versionCell(c.after, sameVersion), changeCell(c)]
}

function changeTable(list: readonly PackageChange[], maxStr: number): string {
  return table(
    ['Package', 'Before', 'After', 'Installed change'],
    list.map((c) => row(c, maxStr)),
    ['l', 'l', 'l', 'r'],
  )
}

/** `3 updated, 1 added, 1 removed`, and the installed-size change they add up to. */
export function changeHeadline(list: readonly PackageChange[]): string {
  const t = changeTotals(list)
  const kinds = KIND_WORDS.filter(([k]) => t[k] > 0).map(([k, w]) => `${thousands(t[k])} ${w}`)
  const delta = t.delta === 0 ? 'no change in installed size' : `installed size ${t.delta > 0 ? '+' : MINUS}${formatBytes(Math.abs(t.delta))}`
  const pip = t.pip === 0 ? '' : ` (${thousands(t.pip)} of them pip)`
  const unsized =
    t.unsized === 0 ? '' : ` (${thousands(t.unsized)} pip ${t.unsized === 1 ? 'change' : 'changes'} of unknown size not counted: no sizes in RECORD)`
  return `**${thousands(list.length)} ${list.length === 1 ? 'package' : 'packages'} changed** — ${kinds.join(', ')}${pip}; ${delta}${unsized}`
}

/**
 * The changes against `previousTag`. At most `maxRows` rows (then "… and N more"); in the
 * comment the first COMMENT_OPEN_ROWS are open and the rest folded.
 */
export function packageChangesText(
  previousTag: string,
  list: readonly PackageChange[],
  opts: { forComment: boolean; maxRows: number; maxStr: number; pipCompared?: boolean },
): string {
  const against = code(previousTag, opts.maxStr, false)
  if (list.length === 0)
    return opts.pipCompared
      ? `No conda or pip package changed against ${against}: same versions, builds and installed sizes.`
      : `No conda package changed against ${against}: same versions, builds and installed sizes.`
  const shown = list.slice(0, Math.max(1, opts.maxRows))
  const rest = list.length > shown.length ? `… and ${thousands(list.length - shown.length)} more package changes.` : undefined
  const out = [`Against ${against}: ${changeHeadline(list)}.`]
  if (!opts.forComment || shown.length <= COMMENT_OPEN_ROWS) {
    out.push(changeTable(shown, opts.maxStr))
    if (rest) out.push(rest)
    return out.join('\n\n')
  }
  out.push(changeTable(shown.slice(0, COMMENT_OPEN_ROWS), opts.maxStr))
  const folded = shown.slice(COMMENT_OPEN_ROWS)
  out.push(
    details(
      `${thousands(list.length - COMMENT_OPEN_ROWS)} more package ${list.length - COMMENT_OPEN_ROWS === 1 ? 'change' : 'changes'}`,
      [changeTable(folded, opts.maxStr), ...(rest ? [rest] : [])].join('\n\n'),
    ),
  )
  return out.join('\n\n')
}
