// When a run fails after its inputs are read, the failure is reported where people look:
// the job summary and the sticky PR comment say what failed, where (the user's file and
// line; the bundled template's failures named as the template's), the log's relevant lines
// and what to try — and the comment no longer shows an earlier run's "✅ pushed".

import { workspaceOf, type RunContext } from '../context/run-context.js'
import { isUserError } from '../vocabulary/user-error.js'
import { describeFailure } from '../report/failure-info.js'
import type { Fingerprint } from '../hash/index.js'
import type { Options } from '../run/options.js'
import type { RunPlan } from '../run/run-plan.js'
import type { BuildReport } from '../report/model.js'
import { valuesToMask } from '../secrets/build-secrets.js'
import type { SmokeResult } from '../run/smoke-plan.js'
import type { PhaseTiming } from '../run/state.js'
import { reportData } from './report-data.js'
import { writeComment, writeSummary, type ReportPorts } from './report.js'

/** What a run knows so far (filled in by `main` as the phases finish): what a failure report can say. */
export interface Progress {
  ctx?: RunContext
  opts?: Options
  fp?: Fingerprint
  plan?: RunPlan
  /** The phases so far, and the one running now. */
  timer?: { readonly current?: string; readonly list: readonly PhaseTiming[] }
  builds: BuildReport[]
  /** Every reference pushed so far. */
  pushed: string[]
  /** The smoke tests run so far (a failed one ends the run). */
  smokeTests: SmokeResult[]
  /** The report phase ran (a failure after it — a size budget — is in that report already). */
  reported?: boolean
}

/** Values never shown in a failure report: the credential inputs and every secret. */
function masks(opts: Options | undefined, env: NodeJS.ProcessEnv): string[] {
  if (!opts) return []
  const all = [opts.registryPassword, opts.githubToken, ...valuesToMask(opts.secrets, env), ...(opts.condarc?.secretValues ?? [])]
  return all.filter((m): m is string => Boolean(m))
}

/** One error annotation (file and line where known), and — once the inputs are read — the report of the failure. */
export async function failurePhase(e: unknown, p: Progress, env: NodeJS.ProcessEnv, ports: ReportPorts): Promise<void> {
  const { opts, ctx } = p
  const { info, annotation } = describeFailure(e, {
    phase: p.timer?.current,
    workspace: ctx?.workspace ?? workspaceOf(env),
    templatePath: opts?.baseDockerfile.bundled ? opts.baseDockerfile.path : undefined,
    environmentFile: opts?.environmentFile,
    masks: masks(opts, env),
    registries: opts ? [...new Set([opts.image.registry, opts.baseRepository.registry].filter(Boolean))] : [],
  })
  ports.log.error(annotation.message, annotation.file ? { file: annotation.file, line: annotation.line, column: annotation.column } : undefined)
  if (!isUserError(e) && e instanceof Error && e.stack) ports.log.debug(e.stack)
  if (!opts || !ctx || p.reported) return
  const data = reportData({ ...p, opts, ctx, phases: p.timer?.list ?? [], warnings: ports.log.flush(), failure: info })
  await writeSummary({ opts }, data, ports)
  await writeComment({ opts, ctx }, data, ports)
}
