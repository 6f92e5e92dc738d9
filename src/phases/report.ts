// Phase 8: the report — assembled once from the run's state (plan mode included), written
// to the job summary and the sticky PR comment; then the size budget is enforced.

import { errorMessage, UserError } from '../vocabulary/user-error.js'
import type { Ports } from '../ports/index.js'
import { evaluateBudget } from '../report/budget.js'
import { comparableSizes, notComparableWhy } from '../sizes/size-measure.js'
import { renderReport } from '../report/render.js'
import type { BudgetResult, ReportData } from '../report/model.js'
import type { FinishedRun } from '../run/state.js'
import { reportData } from './report-data.js'

export type ReportPorts = Pick<Ports, 'log' | 'results' | 'github'>

/** The size budget, when an image was built or reused (plan mode has no image to measure). */
function budgetOf(s: FinishedRun): BudgetResult[] {
  if (!s.built) return []
  const { size, compareTo } = s.measured
  // Growth only against a size that measures the same thing.
  const comparable = !size || !compareTo || comparableSizes(size, compareTo)
  return evaluateBudget({
    size: size?.total,
    previous: comparable ? compareTo?.total : undefined,
    ...(comparable ? {} : { noPrevious: `the compared image's size measures something else (${notComparableWhy(size, compareTo)})` }),
    maxSize: s.opts.maxSize,
    maxGrowth: s.opts.maxGrowth,
  })
}

export async function reportPhase(s: FinishedRun, ports: ReportPorts): Promise<void> {
  const budget = budgetOf(s)
  for (const b of budget) if (b.exceeded) ports.log.warning(`Size budget ${b.kind} exceeded: ${b.actual} (limit ${b.limit})`)
  const data = reportData({ ...s, builds: s.built?.builds ?? [], pushed: s.built?.pushed ?? [], budget, warnings: ports.log.flush() })
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
    const result = await github.upsertComment(target, body, log)
    log.info(`PR comment: ${result}`)
  } catch (e) {
    log.warning(`Could not write the PR comment: ${errorMessage(e)}`)
  }
}
