// The action as a short list of phases over ports: inputs → fingerprint → lookup → plan →
// builds → measure → retention → report. Every decision is made by `planRun` (pure, in
// plan.ts); each phase is a function in src/phases/ taking the run state and the ports it
// needs; the ports (src/ports/) are the only I/O.

import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { readRunContext, type RunContext } from './context.js'
import { errorMessage, isUserError } from './errors.js'
import { appPhase } from './phases/app.js'
import { basePhase } from './phases/base.js'
import { builderPhase, dockerEnvironment, noToolchain } from './phases/builder.js'
import { fingerprintPhase } from './phases/fingerprint.js'
import { readInputs } from './phases/inputs.js'
import { lookupPhase } from './phases/lookup.js'
import { environmentChangesOf, measurePhase } from './phases/measure.js'
import { mergePhase } from './phases/merge.js'
import { announcePlan, showPlan } from './phases/plan.js'
import { reportPhase } from './phases/report.js'
import { retentionPhase } from './phases/retention.js'
import { PhaseTimer } from './phases/timing.js'
import { planRun } from './plan.js'
import { defaultPorts, type Ports } from './ports/index.js'
import type { Cleanup, RunState } from './state.js'

/** Entry point: never throws; failures become one error annotation and a non-zero exit. */
export async function run(env: NodeJS.ProcessEnv = process.env, ports: Ports = defaultPorts(env)): Promise<void> {
  const cleanups: (() => void | Promise<void>)[] = []
  try {
    await main(readRunContext(env, () => ports.clock.now()), env, ports, (f) => cleanups.push(f))
  } catch (e) {
    fail(e, ports)
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c()
      } catch (e) {
        ports.log.warning(`Cleanup failed: ${errorMessage(e)}`)
      }
    }
  }
}

function fail(e: unknown, { log }: Ports): void {
  if (isUserError(e)) {
    log.error(e.message, e.file ? { file: e.file, line: e.line, column: e.column } : undefined)
  } else {
    log.error(`conda-image-action failed: ${errorMessage(e)}`)
    if (e instanceof Error && e.stack) log.debug(e.stack)
  }
  process.exitCode = 1
}

async function main(ctx: RunContext, env: NodeJS.ProcessEnv, ports: Ports, cleanup: Cleanup): Promise<void> {
  const timer = new PhaseTimer(ports.log, ports.clock)
  const inputs = await timer.run('Inputs', () => Promise.resolve().then(() => readInputs(ctx, ports)))
  const fp = await timer.run('Environment hash', () => fingerprintPhase(inputs, ctx.workspace, ports))
  const { opts } = inputs
  const stores = ports.stores({ local: opts.image.local, username: opts.registryUsername, password: opts.registryPassword, insecureRegistries: opts.insecureRegistries })
  const lookup = await timer.run('Lookup', () => lookupPhase({ opts, envHash: fp.hash, stores }, ports))
  const plan = planRun({ opts, ctx, envHash: fp.hash, lookup, platforms: inputs.platforms })
  const s: RunState = { env, ctx, ...inputs, fp, stores, lookup, plan, phases: timer.list }
  announcePlan(s, ports)

  if (opts.mode === 'plan') {
    const baseRef = await timer.run('Plan', () => showPlan(s, ports))
    const [changes, retention] = await Promise.all([environmentChangesOf(s, ports.log), retentionPhase(s, ports)])
    return reportPhase({ ...s, baseRef, measured: { changes }, retention }, ports)
  }

  if (opts.mode === 'merge') {
    const built = await timer.run('Merge', () => mergePhase(s, ports))
    const measured = await timer.run('Measure', () => measurePhase(s, built, ports))
    const retention = plan.retention ? await timer.run(`Retention (prune: ${opts.prune})`, () => retentionPhase(s, ports)) : undefined
    return reportPhase({ ...s, built, measured, retention }, ports)
  }

  const workDir = mkdtempSync(path.join(os.tmpdir(), 'conda-image-action-'))
  cleanup(() => rmSync(workDir, { recursive: true, force: true }))
  const dockerEnv = dockerEnvironment(s, ports, cleanup)
  const tc = plan.builder.needed ? await timer.run('Builder', () => builderPhase(s, dockerEnv, ports, cleanup)) : noToolchain(plan)
  const base = await basePhase(s, tc, workDir, timer, ports)
  const built = await appPhase(s, tc, base, workDir, timer, ports)
  const measured = await timer.run('Measure', () => measurePhase(s, built, ports))
  const retention = plan.retention ? await timer.run(`Retention (prune: ${opts.prune})`, () => retentionPhase(s, ports)) : undefined
  await reportPhase({ ...s, built, measured, retention }, ports)
}
