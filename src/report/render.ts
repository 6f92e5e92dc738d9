// The report as Markdown: the job summary and the sticky PR comment are the same document
// (the comment starts with the hidden marker and is a little more compact). Pure: a
// function of `ReportData` only.

import { STEP_SUMMARY_LIMIT } from '../vocabulary/constants.js'
import { redact } from '../text/redact.js'
import { commentMarker, COMMENT_BODY_LIMIT } from './marker.js'
import { comparableSizes, measureOf, MEASURE_WORDS, notComparableWhy } from '../sizes/size-measure.js'
import { formatBytes, formatDelta, formatDuration } from './format.js'
import { thousands } from '../text/strings.js'
import { changedBytesText } from './changed-row.js'
import { packagesSection } from './packages.js'
import { smokeSection } from './smoke-section.js'
import { code, details, fenceFor, oneLine, plural, table, text } from './markdown.js'
import type {
  BaseDecision,
  BaseOutcome,
  BudgetResult,
  RefreshReport,
  BuildReport,
  EnvChange,
  FailureInfo,
  ImageSize,
  ReportData,
  RetentionEntry,
} from './model.js'

/** How much of each list and string is shown. */
interface Caps {
  readonly changes: number
  readonly warnings: number
  readonly retention: number
  readonly trend: number
  readonly platforms: number
  readonly builds: number
  readonly phases: number
  readonly budget: number
  /** Package changes against the previous base. */
  readonly packages: number
  /** Refs, tags, paths. */
  readonly str: number
  /** Values in the environment diff, step names, warnings. */
  readonly value: number
  readonly warning: number
}

const SUMMARY_CAPS: Caps = {
  changes: 100,
  warnings: 30,
  retention: 40,
  trend: 30,
  platforms: 16,
  builds: 8,
  phases: 16,
  budget: 8,
  packages: 500,
  str: 200,
  value: 160,
  warning: 500,
}
const COMMENT_CAPS: Caps = {
  changes: 40,
  warnings: 10,
  retention: 15,
  trend: 20,
  platforms: 8,
  builds: 4,
  phases: 10,
  budget: 4,
  packages: 60,
  str: 150,
  value: 120,
  warning: 300,
}
const TIGHT_CAPS: Caps = {
  changes: 10,
  warnings: 5,
  retention: 5,
  trend: 10,
  platforms: 4,
  builds: 2,
  phases: 6,
  budget: 4,
  packages: 15,
  str: 80,
  value: 60,
  warning: 120,
}

/** The job summary stays well below GitHub's 1 MiB step-summary limit. */
export const SUMMARY_BYTES = Math.floor(STEP_SUMMARY_LIMIT / 4)
/** The comment stays below GitHub's 65,536-character comment limit. */
export const COMMENT_CHARS = COMMENT_BODY_LIMIT - 4096

const SLOWEST = 5
const SPARK = '▁▂▃▄▅▆▇█'

export function renderReport(data: ReportData, opts: { forComment?: boolean } = {}): string {
  // Every string was redacted as it was escaped; the whole document once more for what
  // reached it unescaped (code fences).
  return redact(renderUnredacted(data, opts))
}

function renderUnredacted(data: ReportData, opts: { forComment?: boolean }): string {
  const forComment = opts.forComment === true
  const fits = (md: string) => (forComment ? md.length <= COMMENT_CHARS : Buffer.byteLength(md, 'utf8') <= SUMMARY_BYTES)
  let md = render(data, forComment, forComment ? COMMENT_CAPS : SUMMARY_CAPS)
  if (fits(md)) return md
  md = render(data, forComment, TIGHT_CAPS)
  if (fits(md)) return md
  // Unreachable with the caps above unless the data is absurd in a way not foreseen: cut
  // at a line boundary and say so.
  const limit = forComment ? COMMENT_CHARS : SUMMARY_BYTES
  let cut = md.slice(0, limit - 200)
  while (!fits(`${cut}\n\n…`) && cut.length > 0) cut = cut.slice(0, Math.floor(cut.length * 0.9))
  const nl = cut.lastIndexOf('\n')
  return `${nl > 0 ? cut.slice(0, nl) : cut}\n\n</details>\n\n… report truncated to stay within GitHub's size limit.\n`
}

function render(d: ReportData, forComment: boolean, caps: Caps): string {
  const parts: string[] = []
  if (forComment) parts.push(commentMarker(d.image))
  const plan = d.mode === 'plan'
  parts.push(`### ${d.failure ? '❌ conda image failed' : plan ? '📝 conda image plan' : '🐍 conda image'} · ${code(d.image, caps.str, false)}`)
  if (d.failure) parts.push(failureSection(d.failure, caps))
  else parts.push(headline(d, caps))
  if (plan) parts.push('> **Plan only** (`mode: plan`): nothing was built, pushed or deleted.')
  // A run that failed before the environment was hashed has nothing else to show.
  if (d.envHash) parts.push(mainTable(d, caps, forComment))
  const smoke = smokeSection(d.smokeTests, caps.str)
  if (smoke) parts.push(smoke)
  const platforms = platformTable(d, caps)
  if (platforms) parts.push(platforms)
  const why = whySection(d, caps)
  if (why) parts.push(why)
  const packages = packagesSection(d.packages, forComment, caps.str, caps.packages)
  if (packages) parts.push(packages)
  const layers = layersSection(d, caps)
  if (layers) parts.push(layers)
  const builds = buildsSection(d, forComment, caps)
  if (builds) parts.push(builds)
  const trend = trendSection(d, forComment, caps)
  if (trend) parts.push(trend)
  const budget = budgetSection(d.budget, caps)
  if (budget) parts.push(budget)
  const retention = retentionSection(d, plan, caps)
  if (retention) parts.push(retention)
  const warnings = warningsSection(d.warnings, caps)
  if (warnings) parts.push(warnings)
  const run = d.runUrl ? ` · [workflow run](${d.runUrl})` : ''
  parts.push(
    `<sub>${d.envHash ? `Environment hash ${code(forComment ? d.envHash.slice(0, 12) : d.envHash, 80, false)} · ` : ''}mode ${code(d.mode, 10, false)}${run} · conda-image-action</sub>`,
  )
  return `${parts.join('\n\n')}\n`
}

// --- headline and main table ---

type Base = NonNullable<ReportData['base']>

const DECISION_SHORT: Record<BaseDecision, string> = {
  reused: 'reused',
  'new-environment': 'new environment',
  'max-age': 'refreshed by max-age',
  nightly: 'nightly refresh',
  'lookup-failed': 'lookup failed, built as a cache miss',
  planned: 'planned',
}

const OUTCOME_ICON: Record<BaseOutcome, string> = {
  reused: '♻️',
  'would-reuse': '📝',
  built: '🔨',
  'would-build': '📝',
  'build-failed': '❌',
  'not-reached': '⏭️',
  assembled: '🧩',
  'assemble-failed': '❌',
}

/** Why a base build was due (new environment, refresh, lookup failure). */
function buildReason(decision: BaseDecision): string {
  switch (decision) {
    case 'new-environment':
      return 'no base exists for this environment hash yet'
    case 'max-age':
      return 'the newest base for this environment was older than `max-age`'
    case 'nightly':
      return "nightly refresh (`mode: base`) for today's date"
    case 'lookup-failed':
      return 'the tag lookup failed, so it was treated as a cache miss'
    default:
      return 'no reusable base for this environment'
  }
}

function decisionWords(d: ReportData, b: Base): string {
  switch (b.outcome) {
    case 'would-reuse':
      return 'would be reused — a base for this environment already exists'
    case 'reused':
      return d.mode === 'base'
        ? "reused — today's base for this environment already exists (`mode: base` builds one a day), no base build ran"
        : 'reused — a base for this environment already existed, no base build ran'
    case 'would-build':
      return `would be built — ${buildReason(b.decision)}`
    case 'built':
      return `built — ${buildReason(b.decision)}`
    case 'build-failed':
      return `build failed — it was built because ${buildReason(b.decision)}`
    case 'not-reached':
      return `not built — the run failed before the base build (due because ${buildReason(b.decision)})`
    case 'assembled':
      return `assembled by \`mode: merge\` from ${plural(b.parts?.length ?? 0, 'per-platform image')} the jobs pushed (${partList(b)}), no base build ran`
    case 'assemble-failed':
      return `not assembled — \`mode: merge\` failed before writing it (from ${partList(b)})`
  }
}

function partList(b: Base): string {
  return (b.parts ?? []).map((t) => code(t, 120, true)).join(', ')
}

function headline(d: ReportData, caps: Caps): string {
  const out: string[] = []
  const b = d.base
  if (b?.outcome === 'would-reuse') out.push(`**Would reuse** base ${code(b.tag, caps.str, false)}`)
  else if (b?.outcome === 'would-build')
    out.push(
      `**Would build** base ${code(b.tag, caps.str, false)}${b.decision === 'planned' || b.decision === 'reused' ? '' : ` (${DECISION_SHORT[b.decision]})`}`,
    )
  else if (b?.outcome === 'reused') out.push('♻️ **Base reused**')
  else if (b?.outcome === 'assembled') out.push('🧩 **Base assembled** (`mode: merge`)')
  else if (b?.outcome === 'built') out.push(`🔨 **${builtVerb(b)}** (${builtWhy(b)})`)
  const size = d.final?.size
  if (size) {
    const cmp = d.final?.compareTo && comparableSizes(size, d.final.compareTo) ? d.final.compareTo : undefined
    out.push(`image **${formatBytes(size.total)}**${cmp ? ` (${formatDelta(size.total, cmp.total)})` : ''}`)
  }
  if (d.mode !== 'plan' && d.builds.length === 0) out.push('nothing built')
  return out.join(' · ')
}

/** "Base built" for a base of a new environment, "Base rebuilt" for a refresh of an existing one. */
function builtVerb(b: Base): string {
  return b.decision === 'max-age' || b.decision === 'nightly' ? 'Base rebuilt' : 'Base built'
}

function builtWhy(b: Base): string {
  if (b.decision === 'new-environment') return b.previousTag ? 'environment changed' : 'new environment'
  return DECISION_SHORT[b.decision]
}

function failureSection(f: FailureInfo, caps: Caps): string {
  const lines = [`❌ **Failed** in ${text(f.phase, 80)}${f.where ? ` — ${text(f.where, caps.str)}` : ''}`]
  lines.push(`> ${text(f.message, caps.warning)}`)
  if (f.log.length > 0) {
    const log = f.log.map((l) => oneLine(l, caps.warning))
    const fence = fenceFor(log)
    lines.push(`${fence}text\n${log.join('\n')}\n${fence}`)
  }
  if (f.hints.length > 0) lines.push(`**What to try:**\n${f.hints.map((h) => `- ${text(h, caps.warning)}`).join('\n')}`)
  return lines.join('\n\n')
}

/** A reference with its digest cut to 12 hex digits: full digests are where someone copies them (the pull line, the outputs). */
export function shortDigests(s: string): string {
  return s.replace(/\bsha256:([0-9a-f]{12})[0-9a-f]{52}\b/g, 'sha256:$1…')
}

/**
 * The SBOM this run attached to the base it built: the artifact by digest (in full in the
 * summary, where someone copies it; short in the comment), its components, where the lock is.
 */
function sbomText(s: NonNullable<Base['sbom']>, caps: Caps, forComment: boolean): string {
  const counts = `${thousands(s.conda)} conda and ${thousands(s.pip)} pip ${s.conda + s.pip === 1 ? 'component' : 'components'}`
  const lock = s.lock ? `; lock ${code(s.lock, caps.str)} in the base image` : ''
  if (forComment) return `📄 attached ${code(shortDigests(s.ref), caps.str)} — ${counts}${lock}`
  const each = s.platforms > 1 ? ` (one per platform manifest, ${s.platforms} attached; this is the first platform's)` : ''
  return `📄 CycloneDX, attached to the base as an OCI referrer: ${code(s.ref, caps.str + 80)}${each} — ${counts}${lock}`
}

function baseRows(d: ReportData, b: Base, caps: Caps, forComment: boolean): string[][] {
  const rows: string[][] = []
  rows.push(['Base tag', `${code(b.tag, caps.str)} · ${tagState(b)}`])
  rows.push(['Base', `${OUTCOME_ICON[b.outcome]} ${decisionWords(d, b)}`])
  const shownAsImage = d.final && b.ref?.startsWith(`${d.final.ref.split('@')[0]}@`)
  if (b.ref && !b.outcome.startsWith('would') && !shownAsImage) rows.push(['Base image', code(shortDigests(b.ref), caps.str)])
  if (b.size) rows.push(['Base size', sizeText(b.size, b.compareTo, caps)])
  if (b.changedBytes) rows.push(['Base new layers', changedBytesText(b.changedBytes, shortDigests, caps.str)])
  if (b.sbom && b.outcome === 'built') rows.push(['SBOM', sbomText(b.sbom, caps, forComment)])
  if (b.outcome === 'reused' && b.savedMs !== undefined) rows.push(['Reuse saved', savedText(b)])
  return rows
}

/** The time the reused base's own build took (its label): what this run did not spend. */
function savedText(b: Base): string {
  return `⏱️ **${formatDuration(b.savedMs!)}** not spent — what building ${code(b.tag, 80)} took when it was built (without its export and push)`
}

function tagState(b: Base): string {
  switch (b.outcome) {
    case 'reused':
    case 'would-reuse':
      return ageText(b.ageDays ?? 0)
    case 'built':
      return 'from today'
    case 'would-build':
      return 'would be created today'
    case 'build-failed':
    case 'not-reached':
      return 'not created'
    case 'assembled':
      return `${ageText(b.ageDays ?? 0)}, assembled now`
    case 'assemble-failed':
      return 'not assembled'
  }
}

function mainTable(d: ReportData, caps: Caps, forComment: boolean): string {
  const plan = d.mode === 'plan'
  const rows: string[][] = []
  const source = d.pixi ? `pixi environment ${code(d.pixi.environment, caps.str)} of ${code(d.pixi.lock, caps.str)}` : code(d.environmentFile, caps.str)
  rows.push(['Environment', `${code(d.envHash.slice(0, 12), 12)} from ${source}`])
  if (d.base) rows.push(...baseRows(d, d.base, caps, forComment))
  if (d.final) {
    const f = d.final
    const digest = f.digest && !f.ref.includes(f.digest) ? ` · digest ${code(shortDigests(f.digest), 80)}` : ''
    const unchanged = f.unchangedFrom ? ` · unchanged (same digest as ${code(shortDigests(f.unchangedFrom), caps.str)})` : ''
    rows.push([plan ? 'Image (planned)' : 'Image', `${code(shortDigests(f.ref), caps.str)}${digest}${unchanged}`])
    rows.push(['Size', !f.size && f.sizeImplausible ? IMPLAUSIBLE : sizeText(f.size, f.compareTo, caps)])
    if (f.changedBytes) rows.push(['New layers', changedBytesText(f.changedBytes, shortDigests, caps.str)])
  }
  rows.push(['Cache', cacheText(d, caps)])
  rows.push(['Push', pushText(d, caps)])
  const pushed = d.pushedTags ?? []
  if (pushed.length > 0 && !d.failure) {
    const shown = pushed.slice(0, caps.builds * 2).map((t) => code(shortDigests(t), caps.str))
    if (pushed.length > shown.length) shown.push(`… and ${more(pushed.length - shown.length)} more`)
    rows.push(['Pushed tags', shown.join('<br>')])
  }
  // The one place a full digest is shown: the line someone copies — when the image is in the registry (pushed, or reused from there).
  const inRegistry = pushed.length > 0 || (d.push.enabled && d.builds.length === 0)
  if (d.final?.ref && !d.failure && !plan && inRegistry) rows.push(['Pull', code(`docker pull ${d.final.ref}`, caps.str + 80)])
  if (d.phases.length > 0) rows.push(['Time', phasesText(d, caps)])
  return table(['', ''], rows)
}

function ageText(days: number): string {
  if (days <= 0) return 'from today'
  return `${plural(days, 'day')} old`
}

/** 9,950 */
function more(n: number): string {
  return thousands(n)
}

function percent(n: number, total: number, digits: number): string {
  if (total <= 0) return '–'
  return `${((n / total) * 100).toFixed(digits)}%`
}

/** The final image's size when the registry gave one no image could have. */
const IMPLAUSIBLE =
  '⚠️ unknown — the registry gave a size no image could have (its layers add up to more than any image holds, or are not whole numbers of bytes); nothing is compared or budgeted with it'

function sizeText(size: ImageSize | undefined, cmp: ImageSize | undefined, caps: Caps): string {
  if (!size) return 'not measured'
  const kind = MEASURE_WORDS[measureOf(size)]
  const platforms = size.platforms.length > 1 ? ` over ${plural(size.platforms.length, 'platform')}` : ''
  const single = size.platforms.length === 1 && size.platforms[0]!.platform !== 'unknown' ? ` (${text(size.platforms[0]!.platform, 40)})` : ''
  const vs = !cmp
    ? ' · no previous image to compare with'
    : comparableSizes(size, cmp)
      ? ` · ${formatDelta(size.total, cmp.total)} vs ${code(shortDigests(cmp.ref), caps.str)}`
      : ` · not compared with ${code(shortDigests(cmp.ref), caps.str)} (${formatBytes(cmp.total)}): ${text(notComparableWhy(size, cmp), caps.value)}`
  return `**${formatBytes(size.total)}** ${kind}${platforms}${single}${vs}`
}

function cacheText(d: ReportData, caps: Caps): string {
  const { cachedSteps, totalSteps } = d.cache
  if (d.mode === 'plan') return 'nothing built (plan)'
  if (d.builds.length === 0) return d.failure ? 'no build finished (the run failed)' : 'nothing built'
  // A registry cache BuildKit refused to import explains a low ratio: said next to it.
  const refused = [...new Set(d.builds.slice(0, caps.builds).flatMap((b) => (b.cacheImport ?? []).map((n) => `⚠️ ${b.kind}: ${text(n, caps.value)}`)))]
  if (totalSteps === 0) return ['no Dockerfile steps counted', ...refused].join(' · ')
  // The one place the ratio is shown, rounded once (as the `cache-hit-ratio` output, in percent).
  const ratio = `${cachedSteps}/${totalSteps} steps cached (${percent(cachedSteps, totalSteps, 0)})`
  return [d.failure ? `${ratio} in the ${plural(d.builds.length, 'build')} that finished` : ratio, ...refused].join(' · ')
}

function pushText(d: ReportData, caps: Caps): string {
  if (d.mode === 'plan')
    return d.push.enabled
      ? '📝 nothing pushed (plan) — a run would push'
      : `📝 nothing pushed (plan) — a run would not push: ${text(d.push.reason, caps.value)}`
  const pushed = d.pushedTags ?? []
  if (d.failure) {
    return pushed.length ? `❌ the run failed after pushing ${pushed.map((t) => code(t, caps.str)).join(', ')}` : '❌ the run failed: nothing was pushed'
  }
  const head = !d.push.enabled
    ? `⏸️ not pushed — ${text(d.push.reason, caps.value)}`
    : pushed.length === 0
      ? '✅ nothing to push — nothing was built'
      : '✅ pushed'
  const notes = new Set<string>()
  for (const b of d.builds.slice(0, caps.builds)) {
    if (b.cacheExport === 'exported') {
      if (b.cacheNote) notes.add(`${b.kind} ${text(b.cacheNote, caps.value)}`)
      continue
    }
    const what = b.cacheExport === 'failed' ? 'cache export failed' : 'cache not exported'
    notes.add(`${b.kind} ${what}${b.cacheNote ? ` (${text(b.cacheNote, caps.value)})` : ''}`)
  }
  return [head, ...notes].join(' · ')
}

function phasesText(d: ReportData, caps: Caps): string {
  const shown = d.phases
    .slice(0, caps.phases)
    .map((p) => `${text(p.name, 60)} ${formatDuration(p.ms)}${p.overlapped?.length ? ` (alongside ${p.overlapped.map((o) => text(o, 40)).join(', ')})` : ''}`)
  if (d.phases.length > caps.phases) shown.push(`… and ${more(d.phases.length - caps.phases)} more`)
  return `${shown.join(' · ')} · **total ${formatDuration(wallClock(d.phases))}**`
}

/** From the first phase's start to the last one's end (phases that overlapped are not counted twice); the sum when the times are not known. */
function wallClock(phases: ReportData['phases']): number {
  const timed = phases.filter((p) => Number.isFinite(p.startMs) && Number.isFinite(p.endMs))
  if (timed.length > 0 && timed.length === phases.length) return Math.max(...timed.map((p) => p.endMs!)) - Math.min(...timed.map((p) => p.startMs!))
  return phases.reduce((n, p) => n + (Number.isFinite(p.ms) ? p.ms : 0), 0)
}

function platformTable(d: ReportData, caps: Caps): string | undefined {
  const size = d.final?.size
  if (!size || size.platforms.length < 2) return undefined
  const cmp = d.final?.compareTo && comparableSizes(size, d.final.compareTo) ? d.final.compareTo : undefined
  const rows = size.platforms.slice(0, caps.platforms).map((p) => {
    const prev = cmp?.platforms.find((q) => q.platform === p.platform)
    return [text(p.platform, 60), formatBytes(p.bytes), prev ? formatDelta(p.bytes, prev.bytes) : cmp ? 'new platform' : '–']
  })
  if (size.platforms.length > caps.platforms) rows.push([`… and ${more(size.platforms.length - caps.platforms)} more`, '', ''])
  return table(['Platform', measureOf(size) === 'engine-uncompressed' ? 'Unpacked' : 'Compressed', 'Change'], rows, ['l', 'r', 'l'])
}

// --- why the base was (re)built ---

const SECTION_NAMES: Record<string, string> = {
  dependencies: 'conda dependencies',
  channels: 'channels (order = priority)',
  pip: 'pip requirements',
  files: 'referenced files',
  file: 'referenced files',
  dockerfile: 'base Dockerfile',
  variables: 'variables',
  buildArgs: 'base build args',
  'build-args': 'base build args',
  platforms: 'platforms',
  name: 'environment name',
  scheme: 'hash scheme',
  environment: 'environment',
}

const WHY_TITLE: Partial<Record<BaseOutcome, string>> = {
  'would-build': '#### Why a base would be built',
  'build-failed': '#### Why a base build ran',
  'not-reached': '#### Why a base build was due',
}

function whySection(d: ReportData, caps: Caps): string | undefined {
  const b = d.base
  // Nothing was built for a reused base, nor by mode: merge (its base row names the parts).
  if (!b || b.outcome === 'reused' || b.outcome === 'would-reuse' || b.outcome === 'assembled' || b.outcome === 'assemble-failed') return undefined
  const title = WHY_TITLE[b.outcome] ?? `#### Why the base was ${builtVerb(b) === 'Base rebuilt' ? 'rebuilt' : 'built'}`
  const prev = b.previousTag ? code(b.previousTag, caps.str, false) : undefined
  const lines: string[] = [title]
  switch (b.decision) {
    case 'max-age':
      lines.push(
        `Refreshed by \`max-age\`: the newest base for this environment${prev ? ` (${prev})` : ''} was older than the limit, so it is rebuilt with today's date.`,
      )
      break
    case 'nightly':
      lines.push("Nightly refresh (`mode: base`): today's tag is built for the current environment even though an older one may exist.")
      break
    case 'lookup-failed':
      lines.push('The registry tag lookup failed, so the base is built as a cache miss (see the warnings).')
      break
    default:
      if (!prev) lines.push('No earlier base of this repository and prefix to compare with: this is the first base for it.')
  }
  lines.push(...environmentComparison(b, prev, caps))
  if (b.refresh) lines.push(refreshText(b.refresh, b, prev, caps))
  if (b.note) lines.push(`Note: ${text(b.note, caps.value)}`)
  return lines.join('\n\n')
}

/** What differs from the previous base: nothing (same hash), the document's changes, or that they were not read. */
function environmentComparison(b: Base, prev: string | undefined, caps: Caps): string[] {
  if (!prev) return []
  if (b.previousSameEnvironment) return [`Same environment as ${prev} (identical hash): nothing in the environment changed.`]
  const changes = b.changes
  if (!changes) return []
  if (changes.length === 0) return [`No difference from ${prev} in the environment document (a different hash can come from platforms or the scheme).`]
  const out = [`Compared with ${prev}: ${changeCounts(changes)}.`, changeDiff(changes, caps)]
  if (changes.length > caps.changes) out.push(`… and ${more(changes.length - caps.changes)} more changes`)
  return out
}

/** What a refresh did, from its build's steps: FROM images changed or not, the environment solved again or not. */
function refreshText(r: RefreshReport, b: Base, prev: string | undefined, caps: Caps): string {
  const ran = r.rebuilt.length
  if (r.kind === 'full')
    return `**What the refresh did** (\`refresh: full\`): built with \`--no-cache\` — FROM images pulled again and every step run again (${ran} of ${r.totalSteps}), so the environment was solved again.`
  if (ran === 0 && r.totalSteps > 0) {
    const same = b.previousSameEnvironment && prev ? ` as ${prev}` : ''
    return `**What the refresh did** (\`refresh: pull\`): FROM images pulled again and unchanged — all ${r.totalSteps} steps came from the cache, so the environment was **not** solved again and ${code(b.tag, caps.str, false)} has the same content${same}. \`refresh: full\` solves it again (newer package builds within the same specs).`
  }
  const names = r.rebuilt.slice(0, 3).map((n) => code(n, caps.value, false))
  const rest = ran > names.length ? ` and ${more(ran - names.length)} more` : ''
  return `**What the refresh did** (\`refresh: pull\`): FROM images pulled again; ${ran} of ${r.totalSteps} steps ran again (a FROM image changed, or the cache did not have them): ${names.join(', ')}${rest}.`
}

function changeCounts(changes: readonly EnvChange[]): string {
  let added = 0
  let removed = 0
  let changed = 0
  for (const c of changes) {
    if (c.kind === 'added') added++
    else if (c.kind === 'removed') removed++
    else changed++
  }
  const out: string[] = []
  if (added) out.push(`${thousands(added)} added`)
  if (removed) out.push(`${thousands(removed)} removed`)
  if (changed) out.push(`${thousands(changed)} changed`)
  return out.join(', ')
}

function changeDiff(changes: readonly EnvChange[], caps: Caps): string {
  const v = (s: string) => oneLine(s, caps.value)
  const shown = changes.slice(0, caps.changes)
  // Group by section, keeping the order sections first appear in.
  const groups = new Map<string, EnvChange[]>()
  for (const c of shown) {
    const g = groups.get(c.section)
    if (g) g.push(c)
    else groups.set(c.section, [c])
  }
  const lines: string[] = []
  for (const [section, list] of groups) {
    lines.push(`@@ ${v(SECTION_NAMES[section] ?? section)} @@`)
    for (const c of list) {
      const item = v(c.item)
      const withValue = (val: string | undefined) => (val !== undefined && val !== c.item ? `${item}: ${v(val)}` : item)
      if (c.kind === 'added') lines.push(`+ ${withValue(c.after)}`)
      else if (c.kind === 'removed') lines.push(`- ${withValue(c.before)}`)
      else if (c.before !== undefined || c.after !== undefined) {
        lines.push(`- ${c.before !== undefined ? `${item}: ${v(c.before)}` : item}`)
        lines.push(`+ ${c.after !== undefined ? `${item}: ${v(c.after)}` : item}`)
      } else lines.push(`! ${item} (changed)`)
    }
  }
  const fence = fenceFor(lines)
  return `${fence}diff\n${lines.join('\n')}\n${fence}`
}

// --- why the image changed size ---

function layersSection(d: ReportData, caps: Caps): string | undefined {
  const f = d.final
  const l = f?.layers
  if (!f?.size || !f.compareTo || !l || (l.added.length === 0 && l.removed.length === 0)) return undefined
  const rows = [
    ...l.added.map((c) => ['+', formatBytes(c.bytes), code(c.step, caps.value)]),
    ...l.removed.map((c) => ['−', formatBytes(c.bytes), code(c.step, caps.value)]),
  ]
  const head =
    `#### Why the image changed size (${formatDelta(f.size.total, f.compareTo.total)} vs ${code(shortDigests(f.compareTo.ref), caps.str)})\n\n` +
    `Layers it has that the compared image has not: **${formatBytes(l.addedBytes)}**; layers only the compared image had: **${formatBytes(l.removedBytes)}** (compressed; the largest of each, with the step that made it).`
  return `${head}\n\n${table(['', 'Size', 'Step'], rows, ['l', 'r', 'l'])}`
}

// --- builds and slowest steps ---

function buildsSection(d: ReportData, forComment: boolean, caps: Caps): string | undefined {
  if (d.builds.length === 0) return undefined
  const out: string[] = []
  if (!forComment || d.builds.length > 1) {
    const rows = d.builds
      .slice(0, caps.builds)
      .map((b: BuildReport) => [
        b.kind,
        `${code(shortDigests(b.ref), caps.str)}${b.digest && !b.ref.includes(b.digest) ? ` ${code(shortDigests(b.digest), 80)}` : ''}`,
        b.totalSteps > 0 ? `${b.cachedSteps}/${b.totalSteps}` : '–',
        formatDuration(b.durationMs),
        b.cacheExport === 'exported' ? 'exported' : b.cacheExport === 'failed' ? '⚠️ failed' : 'skipped',
      ])
    if (d.builds.length > caps.builds) rows.push([`… and ${more(d.builds.length - caps.builds)} more`, '', '', '', ''])
    out.push(table(['Build', 'Image', 'Cached steps', 'Time', 'Cache export'], rows, ['l', 'l', 'r', 'r', 'l']))
  }
  const steps = slowestSteps(d.builds)
  if (steps.top.length > 0) {
    const rows = steps.top.map((s) => [code(s.name, caps.value), s.kind, formatDuration(s.durationMs), s.cached ? '✅ cached' : 'built'])
    out.push(
      details(
        `Slowest build steps (top ${steps.top.length} of ${thousands(steps.total)})`,
        table(['Step', 'Build', 'Time', 'Cache'], rows, ['l', 'l', 'r', 'l']),
      ),
    )
  }
  return out.length > 0 ? out.join('\n\n') : undefined
}

function slowestSteps(builds: readonly BuildReport[]): { top: { name: string; kind: string; durationMs: number; cached: boolean }[]; total: number } {
  const top: { name: string; kind: string; durationMs: number; cached: boolean }[] = []
  let total = 0
  for (const b of builds) {
    for (const s of b.steps) {
      total++
      const ms = Number.isFinite(s.durationMs) ? s.durationMs : 0
      if (top.length < SLOWEST || ms > top[top.length - 1]!.durationMs) {
        top.push({ name: s.name, kind: b.kind, durationMs: ms, cached: s.cached })
        top.sort((a, c) => c.durationMs - a.durationMs)
        if (top.length > SLOWEST) top.pop()
      }
    }
  }
  return { top, total }
}

// --- trend ---

export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return ''
  const min = Math.min(...values)
  const max = Math.max(...values)
  if (max === min) return SPARK[3]!.repeat(values.length)
  return values.map((v) => SPARK[Math.min(7, Math.floor(((v - min) / (max - min)) * 8))]).join('')
}

function trendSection(d: ReportData, forComment: boolean, caps: Caps): string | undefined {
  const all = (d.trend ?? []).filter((t) => Number.isFinite(t.bytes))
  if (all.length < 2) return undefined
  const points = all.slice(-caps.trend)
  const values = points.map((p) => p.bytes)
  const first = values[0]!
  const last = values[values.length - 1]!
  const line =
    `**Size trend** (last ${plural(points.length, 'dated base')}): \`${sparkline(values)}\` ` +
    `${formatBytes(first)} → ${formatBytes(last)} (${formatDelta(last, first)}) · min ${formatBytes(Math.min(...values))} · max ${formatBytes(Math.max(...values))}`
  if (forComment) return line
  const rows = points.map((p, i) => [code(p.tag, caps.str), formatBytes(p.bytes), i === 0 ? '–' : formatDelta(p.bytes, points[i - 1]!.bytes)])
  return `${line}\n\n${details('Sizes of the dated bases', table(['Tag', 'Size', 'Change'], rows, ['l', 'r', 'l']))}`
}

// --- budget, retention, warnings ---

function budgetSection(budget: readonly BudgetResult[] | undefined, caps: Caps): string | undefined {
  if (!budget || budget.length === 0) return undefined
  const exceeded = budget.filter((b) => b.exceeded).length
  const rows = budget
    .slice(0, caps.budget)
    .map((b) => [
      code(b.kind, 20),
      text(b.limit, 60),
      text(b.actual, 60),
      b.exceeded ? '❌ exceeded' : b.note ? `➖ not evaluated: ${text(b.note, caps.value)}` : '✅ within',
    ])
  const head = exceeded > 0 ? `#### ❌ Size budget exceeded (${exceeded} of ${budget.length})` : '#### Size budget'
  return `${head}\n\n${table(['Budget', 'Limit', 'Actual', 'Result'], rows)}`
}

function retentionSection(d: ReportData, plan: boolean, caps: Caps): string | undefined {
  const r = d.retention
  if (!r) return undefined
  const dry = plan || r.mode === 'dry-run'
  const title = dry ? '#### Retention (dry run — nothing deleted)' : '#### Retention'
  const counts = [
    `${dry ? 'would delete' : 'deleted'} **${r.deleted.length}**`,
    `${dry ? 'would keep' : 'kept'} **${r.kept.length}**`,
    `protected **${r.protected.length}**`,
  ].join(' · ')
  const lines = [title, `${counts.charAt(0).toUpperCase()}${counts.slice(1)} (via ${text(r.backend, 40)})`]
  if (r.error) lines.push(`⚠️ ${text(r.error, caps.warning)}`)
  const rows: string[][] = []
  const add = (entries: readonly RetentionEntry[], action: string) => {
    for (const e of entries.slice(0, caps.retention)) {
      rows.push([code(e.tag, caps.str), e.ageDays === undefined ? '–' : plural(e.ageDays, 'day'), action, e.reason ? text(e.reason, caps.value) : ''])
    }
    if (entries.length > caps.retention) rows.push([`… and ${more(entries.length - caps.retention)} more`, '', action, ''])
  }
  add(r.deleted, dry ? 'would delete' : '🗑️ deleted')
  add(r.protected, '🛡️ protected')
  add(r.kept, 'kept')
  if (rows.length > 0) lines.push(details('Dated tags', table(['Tag', 'Age', 'Action', 'Reason'], rows)))
  return lines.join('\n\n')
}

function warningsSection(warnings: readonly string[], caps: Caps): string | undefined {
  if (warnings.length === 0) return undefined
  const items = warnings.slice(0, caps.warnings).map((w) => `- ${text(w, caps.warning)}`)
  if (warnings.length > caps.warnings) items.push(`- … and ${more(warnings.length - caps.warnings)} more`)
  return `#### ⚠️ Warnings\n\n${items.join('\n')}`
}
