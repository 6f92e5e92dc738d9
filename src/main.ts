// The action as a short list of phases over ports: inputs → fingerprint → lookup → plan →
// builds → measure → retention → report. Every decision is made by `planRun` (pure, in
// plan.ts); each phase is a function in src/phases/ taking the run state and the ports it
// needs; the ports (src/ports/) are the only I/O.

import { readRunContext, type RunContext } from './context/run-context.js'
import type { EarlyStart } from './early.js'
import { errorMessage } from './vocabulary/user-error.js'
import { appPhase } from './phases/app.js'
import { baseBuildSpec, basePhase } from './phases/base.js'
import { builderPhase, dockerEnvironment, noToolchain, probeBuilder } from './phases/builder.js'
import { fingerprintPhase } from './phases/fingerprint.js'
import { readInputs } from './phases/inputs.js'
import { lookupPhase, startTagList } from './phases/lookup.js'
import { failurePhase, type Progress } from './phases/failure.js'
import { environmentChangesOf, measurePhase } from './phases/measure.js'
import { startReadsBeforeBuilds } from './phases/reads.js'
import { mergePhase } from './phases/merge.js'
import { announcePlan, showPlan } from './phases/plan.js'
import { needsPushCheck, pushAccessPhase, reachPhase, startPushChecks, startReachChecks } from './phases/push-access.js'
import { reportPhase } from './phases/report.js'
import { retentionPhase } from './phases/retention.js'
import { runtimeLayersPhase, startRuntimeLayers } from './phases/runtime-layers.js'
import { PhaseTimer } from './phases/timing.js'
import { buildCertain, builderLogin, planRun } from './run/run-plan.js'
import { defaultPorts, type Ports } from './ports/index.js'
import { materializeSecrets } from './phases/secrets.js'
import type { Built, Cleanup, RunState } from './run/state.js'
import type { Toolchain } from './phases/builder.js'
import type { ReadsBeforeBuilds } from './phases/reads.js'
import { checkPushed, smokeGate, trialPhase } from './phases/smoke.js'
import { planSmoke, type SmokeResult } from './run/smoke-plan.js'

/** Entry point: never throws; failures become one error annotation and a non-zero exit. */
export async function run(env: NodeJS.ProcessEnv, given?: Ports, early?: EarlyStart): Promise<void> {
  const ports = given ?? defaultPorts(env, early)
  const cleanups: (() => void | Promise<void>)[] = []
  const progress: Progress = { builds: [], pushed: [], smokeTests: [] }
  try {
    progress.ctx = readRunContext(env, () => ports.clock.now())
    await main(progress.ctx, env, ports, (f) => cleanups.push(f), progress)
  } catch (e) {
    await failurePhase(e, progress, env, ports)
    process.exitCode = 1
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

async function main(ctx: RunContext, env: NodeJS.ProcessEnv, ports: Ports, cleanup: Cleanup, progress: Progress): Promise<void> {
  const timer = new PhaseTimer(ports.log, ports.clock)
  progress.timer = timer
  const inputs = await timer.run('Inputs', () => Promise.resolve().then(() => readInputs(ctx, env, ports)))
  progress.opts = inputs.opts
  const { opts } = inputs
  const stores = ports.stores({
    local: opts.image.local,
    username: opts.registryUsername,
    password: opts.registryPassword,
    insecureRegistries: opts.insecureRegistries,
  })
  // Last of all (cleanups run in reverse): whatever is still asking the registry ends with the run.
  if (stores.close) cleanup(stores.close)
  // With an application Dockerfile a build is certain: the builder and push access are checked while the action hashes and lists tags.
  const builderProbe = buildCertain(opts) ? probeBuilder({ opts, ctx }, dockerEnvironment(opts, builderLogin(opts, true), ports, cleanup), ports) : undefined
  // Tracked: the checks run while the action hashes, and the Registries phase's time is theirs (marked alongside).
  const reach = startReachChecks({ opts, ctx, stores })
  const reachWork = reach && timer.track(() => reach)
  const builderWork = builderProbe && timer.track(() => Promise.allSettled([builderProbe.inspected, builderProbe.sourceDate]))
  const pushChecks = startPushChecks({ opts, ctx, stores })
  const pushWork = pushChecks.size > 0 ? timer.track(() => Promise.allSettled([...pushChecks.values()])) : undefined
  const tags = timer.track(() => startTagList({ opts, stores }))
  const fp = await timer.run('Environment hash', () => fingerprintPhase(inputs, ctx.workspace, ports))
  progress.fp = fp
  // A registry the run must push to and cannot reach stops it here, before the lookup and any build.
  if (reach) await timer.run('Registries', () => reachPhase(reach, ports), reachWork)
  const lookup = await timer.run('Lookup', () => lookupPhase({ opts, envHash: fp.hash, tags: tags.promise, now: ctx.now }, ports), tags)
  const plan = planRun({ opts, ctx, envHash: fp.hash, lookup, platforms: inputs.platforms })
  progress.plan = plan
  const s: RunState = { env, ctx, ...inputs, fp, stores, lookup, plan, phases: timer.list }
  announcePlan(s, ports)

  if (opts.mode === 'plan') {
    const baseRef = await timer.run('Plan', () => showPlan(s, ports))
    const [changes, retention] = await Promise.all([environmentChangesOf(s, ports.log), retentionPhase(s, ports)])
    progress.reported = true
    return reportPhase({ ...s, baseRef, measured: { changes }, retention }, ports)
  }

  if (opts.mode === 'merge') {
    const built = await timer.run('Merge', () => mergePhase(s, ports, progress))
    const measured = await timer.run('Measure', () => measurePhase(s, built, undefined, ports))
    const retention = plan.retention ? await timer.run(`Retention (prune: ${opts.prune})`, () => retentionPhase(s, ports)) : undefined
    progress.reported = true
    return reportPhase({ ...s, built, measured, retention }, ports)
  }

  const reads = startReadsBeforeBuilds(s, ports)
  const runtime = startRuntimeLayers(s, ports)
  const runtimeWork = runtime && timer.track(() => runtime)
  const { previousBase, changes, trend, packages } = reads.measure
  const measureWork = timer.track(() => Promise.allSettled([previousBase, changes, trend, packages]))
  if (needsPushCheck(s)) await timer.run('Push access', () => pushAccessPhase(s, ports, pushChecks), pushWork)
  // PACKAGE_LAYERS against the runtime image's layers (127 in all): a user error before any build.
  if (runtimeWork) await timer.run('Runtime image', () => runtimeLayersPhase(s, runtimeWork.promise), runtimeWork)
  const { path: workDir, remove } = ports.tempDir()
  cleanup(remove)
  const probe = () => builderProbe ?? probeBuilder(s, dockerEnvironment(opts, plan.builder.login, ports, cleanup), ports)
  const toolchain = plan.builder.needed ? await timer.run('Builder', () => builderPhase(s, probe(), ports, cleanup), builderWork) : noToolchain(plan)
  const tc = plan.builder.needed ? { ...toolchain, secrets: materializeSecrets(opts, cleanup) } : toolchain
  const { built, compareTo, smokeTests } = await buildPhases(s, tc, { workDir, timer, reads, progress }, ports)
  const measured = await timer.run('Measure', () => measurePhase(s, built, compareTo, ports, reads.measure), measureWork)
  const retention = plan.retention ? await timer.run(`Retention (prune: ${opts.prune})`, () => retentionPhase(s, ports)) : undefined
  progress.reported = true
  await reportPhase({ ...s, built, measured, retention, smokeTests }, ports)
}

/**
 * The base and the application, with their smoke tests (src/run/smoke-plan.ts): when the run pushes,
 * a trial of each build is tested first and a failure ends the run before any tag is pushed;
 * otherwise the loaded images are tested after their builds.
 */
async function buildPhases(
  s: RunState,
  tc: Toolchain,
  io: { workDir: string; timer: PhaseTimer; reads: ReadsBeforeBuilds; progress: Progress },
  ports: Ports,
): Promise<{ built: Built; compareTo: Awaited<ReadsBeforeBuilds['compareTo']>; smokeTests: SmokeResult[] }> {
  const { plan } = s
  const { workDir, timer, reads, progress } = io
  const smoke = planSmoke(s.opts, plan)
  const sink = (r: SmokeResult): void => void progress.smokeTests.push(r)
  const gate = (target: 'base' | 'app', ref: string, command: string | undefined) =>
    command ? timer.run(target === 'base' ? 'Smoke test (base)' : 'Smoke test', () => smokeGate({ target, ref, command }, s, tc, ports, sink)) : undefined
  const trialIo = { workDir, timer, ports, sink }
  const spec = smoke.trial && plan.base.build ? await baseBuildSpec(s, tc, workDir) : undefined
  const early = spec ? await trialPhase(s, tc, smoke, spec, { ref: plan.base.tagRef }, trialIo) : undefined
  const base = await basePhase(s, tc, workDir, timer, ports, reads, { spec, trial: early?.outcomes.base })
  if (base.build) progress.builds.push(base.build)
  if (base.build && plan.push.enabled) progress.pushed.push(plan.base.tagRef)
  // A reused base: the trial builds only the application, on it.
  const trial = early ?? (smoke.trial ? await trialPhase(s, tc, smoke, undefined, base, trialIo) : undefined)
  if (!smoke.trial && base.build) await gate('base', base.ref, smoke.base)
  if (!smoke.trial && !plan.app) await gate('base', base.ref, smoke.final?.command)
  // Read before the application is pushed (started with the other reads: ready by now).
  const compareTo = await reads.compareTo
  const built = await appPhase(s, tc, base, workDir, timer, ports, reads, trial?.outcomes.app)
  if (!smoke.trial && plan.app) await gate('app', plan.app.ref, smoke.final?.command)
  const smokeTests = trial ? checkPushed(progress.smokeTests, trial.tested, built, ports.log) : [...progress.smokeTests]
  return { built, compareTo, smokeTests }
}
