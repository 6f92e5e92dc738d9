// Phase 8: the report — assembled once from the run's state (plan mode included), written
// to the job summary and the sticky PR comment; then the size budget is enforced.

import path from 'node:path'
import { errorMessage, UserError } from '../errors.js'
import type { Ports } from '../ports/index.js'
import { formatName, formatReference } from '../reference.js'
import { evaluateBudget } from '../report/budget.js'
import { renderReport } from '../report/render.js'
import type { BudgetResult, ReportData } from '../report/model.js'
import { sameDigestAs } from '../source-date.js'
import type { Built, FinishedRun, Measured } from '../state.js'
import { cacheTotals } from './build.js'
import { runUrl } from './failure.js'

export type ReportPorts = Pick<Ports, 'log' | 'results' | 'github'>

/** The size budget, when an image was built or reused (plan mode has no image to measure). */
function budgetOf(s: FinishedRun): BudgetResult[] {
  if (!s.built) return []
  return evaluateBudget({ size: s.measured.size?.total, previous: s.measured.compareTo?.total, maxSize: s.opts.maxSize, maxGrowth: s.opts.maxGrowth })
}

/** The report's data: one assembly for every mode. */
function reportData(s: FinishedRun, budget: readonly BudgetResult[], warnings: readonly string[]): ReportData {
  const { opts, ctx, fp, plan, built, measured } = s
  const builds = built?.builds ?? []
  return {
    mode: opts.mode,
    image: formatName(opts.image),
    environmentFile: path.relative(ctx.workspace, opts.environmentFile) || opts.environmentFile,
    envHash: fp.hash,
    base: {
      tag: plan.choice.tag,
      ref: built?.base.ref ?? s.baseRef,
      reused: plan.choice.action === 'reuse',
      decision: plan.choice.decision,
      ageDays: plan.report.ageDays,
      changes: measured.changes?.changes,
      previousTag: measured.changes?.previousTag,
      note: plan.report.note,
      size: measured.base?.size,
      compareTo: measured.base?.compareTo,
    },
    final: built ? finalReport(built, measured) : undefined,
    builds: [...builds],
    cache: cacheTotals(builds),
    phases: [...s.phases],
    push: plan.push,
    trend: measured.trend,
    budget: s.built ? [...budget] : undefined,
    retention: s.retention,
    packages: measured.packages,
    warnings: [...warnings],
    runUrl: runUrl(ctx),
    pushedTags: built ? [...built.pushed] : undefined,
    ...(s.smokeTests?.length ? { smokeTests: [...s.smokeTests] } : {}),
  }
}

/** The final image; "unchanged" when a build pushed a digest the tag or the compared image already had. */
function finalReport(built: Built, measured: Measured): NonNullable<ReportData['final']> {
  const { ref, digest, name, tag, digestBefore } = built.final
  const unchangedFrom = built.builds.length
    ? sameDigestAs(digest, [{ ref: formatReference(name, tag), digest: digestBefore }, measured.compareTo ?? {}])
    : undefined
  return { ref, digest, size: measured.size, compareTo: measured.compareTo, ...(unchangedFrom ? { unchangedFrom } : {}) }
}

export async function reportPhase(s: FinishedRun, ports: ReportPorts): Promise<void> {
  const budget = budgetOf(s)
  for (const b of budget) if (b.exceeded) ports.log.warning(`Size budget ${b.kind} exceeded: ${b.actual} (limit ${b.limit})`)
  const data = reportData(s, budget, ports.log.flush())
  await writeSummary(s, data, ports)
  await writeComment(s, data, ports)
  const over = budget.filter((b) => b.exceeded)
  if (s.opts.failOnBudget && over.length > 0) {
    throw new UserError(`The image exceeds its size budget: ${over.map((b) => `${b.kind} ${b.actual} > ${b.limit}`).join('; ')}`)
  }
}

export async function writeSummary(s: Pick<FinishedRun, 'opts'>, data: ReportData, { log, results }: ReportPorts): Promise<void> {
  if (!s.opts.summary) return
  try {
    const md = renderReport(data)
    if (!(await results.writeSummary(md))) {
      log.info('GITHUB_STEP_SUMMARY is not set; the summary follows:')
      log.info(md)
    }
  } catch (e) {
    log.warning(`Could not write the job summary: ${errorMessage(e)}`)
  }
}

export async function writeComment(s: Pick<FinishedRun, 'opts' | 'ctx'>, data: ReportData, { log, github }: ReportPorts): Promise<void> {
  const { opts, ctx } = s
  if (!opts.prComment || !ctx.pullRequest) return
  if (ctx.pullRequest.fromFork) return log.notice('Pull request from a fork: its token cannot write, so no PR comment is posted (see the job summary)')
  if (!opts.githubToken) return log.notice('No github-token: no PR comment is posted')
  try {
    const [owner, repo] = ctx.repository.split('/')
    const body = renderReport(data, { forComment: true })
    const target = { token: opts.githubToken, apiUrl: ctx.apiUrl, owner: owner!, repo: repo!, issueNumber: ctx.pullRequest.number, image: data.image }
    const result = await github.upsertComment(target, body, {
      info: (m) => log.info(m),
      notice: (m) => log.notice(m),
      warning: (m) => log.warning(m),
      debug: (m) => log.debug(m),
    })
    log.info(`PR comment: ${result}`)
  } catch (e) {
    log.warning(`Could not write the PR comment: ${errorMessage(e)}`)
  }
}
