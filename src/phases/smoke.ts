// Phase 5a: smoke tests (src/run/smoke-plan.ts). With a push, the builds are first made by a trial —
// kept in the engine (docker driver) or pushed by digest with no tag (other drivers) — and
// tested; a failed test ends the run before any tag is pushed. The pushing builds that follow
// are the same builds again, all cached, and their digests are checked against the tested ones.

import { randomUUID } from 'node:crypto'
import path from 'node:path'
import type { Ports, ProcessResult } from '../ports/index.js'
import {
  oneLineCommand,
  smokeFailure,
  smokeResult,
  smokeRunArgs,
  dockerArgs,
  trialOutput,
  SMOKE_OUTPUT_CHARS,
  type SmokePlan,
  type SmokeResult,
} from '../run/smoke-plan.js'
import type { Built, RunState } from '../run/state.js'
import { appSpec } from './app.js'
import type { BaseResult } from './base.js'
import { runOneBuild, type BuildPorts } from './build.js'
import type { Toolchain } from './builder.js'
import type { PhaseTimer } from './timing.js'
import { displayCommand, type BuildOutcome, type BuildSpec } from '../buildx/index.js'

export type SmokePorts = Pick<Ports, 'proc' | 'log' | 'clock'>

/** Where the results go as they come (the failure report reads them). */
export type SmokeSink = (r: SmokeResult) => void

/** Runs one test: `docker run --rm` through the image's entrypoint, ended (and its container removed) at the timeout or when the step is cancelled. */
export async function runSmokeTest(
  test: { readonly target: 'base' | 'app'; readonly ref: string; readonly command: string },
  s: Pick<RunState, 'opts'>,
  tc: Pick<Toolchain, 'env' | 'dockerContext'>,
  ports: SmokePorts,
): Promise<SmokeResult> {
  const container = `conda-image-action-smoke-${randomUUID().slice(0, 12)}`
  ports.log.info(`Smoke test of the ${test.target === 'app' ? 'application image' : 'base'} ${test.ref}: sh -c ${JSON.stringify(oneLineCommand(test.command))}`)
  let output = ''
  const keep = (chunk: string): void => {
    output += chunk
    if (output.length > SMOKE_OUTPUT_CHARS) output = output.slice(-SMOKE_OUTPUT_CHARS)
  }
  const start = ports.clock.monotonicMs()
  const run = await ports.proc.run('docker', smokeRunArgs(test.ref, test.command, container, tc.dockerContext), {
    env: tc.env,
    timeoutMs: s.opts.smokeTestTimeoutMs,
    maxBuffer: SMOKE_OUTPUT_CHARS,
    onStdout: keep,
    onStderr: keep,
    // A cancelled step stops `docker run`, not the container: the port removes it then.
    onCancel: { program: 'docker', args: dockerArgs(tc.dockerContext, ['rm', '--force', container]) },
  })
  const durationMs = Math.round(ports.clock.monotonicMs() - start)
  // Killing the client does not stop the container: remove it (and with it its processes).
  if (run.killed) await removeContainer(container, tc, ports)
  // In arrival order when the port streams it; else as the result holds it.
  const text = output || `${run.stdout}${run.stderr}`
  const result = smokeResult({ code: run.code, output: text, killed: run.killed, durationMs }, test)
  // Outside data: every line is prefixed, so none can read as a workflow command.
  for (const l of result.lastLines) ports.log.info(`  | ${l}`)
  ports.log.info(
    `Smoke test ${result.passed ? 'passed' : 'failed'} in ${(durationMs / 1000).toFixed(1)} s${result.timedOut ? ' (timed out)' : ` (exit code ${run.code})`}`,
  )
  return result
}

/** A clean-up `docker` command on the engine the tests run on; undefined when it could not run. */
function dockerCleanup(args: readonly string[], tc: Pick<Toolchain, 'env' | 'dockerContext'>, ports: SmokePorts): Promise<ProcessResult | undefined> {
  return ports.proc.run('docker', dockerArgs(tc.dockerContext, args), { env: tc.env, timeoutMs: 60_000 }).catch(() => undefined)
}

async function removeContainer(name: string, tc: Pick<Toolchain, 'env' | 'dockerContext'>, ports: SmokePorts): Promise<void> {
  const r = await dockerCleanup(['rm', '--force', name], tc, ports)
  if (!r || (r.code !== 0 && !/No such container/i.test(r.stderr))) ports.log.warning(`Could not remove the smoke test's container ${name}`)
}

/** Runs a test, records it, and throws (nothing pushed yet) when it failed. */
export async function smokeGate(
  test: { readonly target: 'base' | 'app'; readonly ref: string; readonly command: string },
  s: Pick<RunState, 'opts'>,
  tc: Toolchain,
  ports: SmokePorts,
  sink: SmokeSink,
): Promise<SmokeResult> {
  const r = await runSmokeTest(test, s, tc, ports)
  sink(r)
  if (!r.passed) throw smokeFailure(r, s.opts.smokeTestTimeoutMs)
  return r
}

export interface TrialResult {
  /** The digests that were tested, by build. */
  readonly tested: { readonly base?: string; readonly app?: string }
  /** The trial's outcomes (their steps and cache hits are the run's). */
  readonly outcomes: { readonly base?: BuildOutcome; readonly app?: BuildOutcome }
}

/**
 * The trial: each build of the run made without tags, then its test — the base's before the
 * application is built on it, the final image's last. `baseSpec` is the pushing build's spec
 * (its context assembled once, for both).
 */
export async function trialPhase(
  s: RunState,
  tc: Toolchain,
  smoke: SmokePlan,
  baseSpec: BuildSpec | undefined,
  reused: Pick<BaseResult, 'ref' | 'digest'>,
  io: { readonly workDir: string; readonly timer: PhaseTimer; readonly ports: BuildPorts & SmokePorts; readonly sink: SmokeSink },
): Promise<TrialResult> {
  const { plan } = s
  const output = trialOutput(tc.driver)
  const kept = (spec: BuildSpec, name: string): BuildSpec => ({ ...spec, output, cacheTo: undefined, metadataFile: path.join(io.workDir, name) })
  // On the docker driver the trial's images are in the engine under the run's tags: a failed
  // trial takes them away again, so the engine never shows a tag the registry refused.
  const loaded: string[] = []
  const trial = async (kind: 'base' | 'app', spec: BuildSpec): Promise<BuildOutcome> => {
    io.ports.log.info(displayCommand(spec))
    const { outcome } = await runOneBuild(kind, spec, { ...s, platforms: plan.job.platforms }, tc, io.ports)
    if (output === 'load') loaded.push(...spec.tags)
    if (!outcome.digest) throw new Error(`The trial build of the ${kind === 'app' ? 'application image' : 'base'} gave no digest`)
    return outcome
  }
  const at = (ref: string, digest: string): string => (output === 'load' ? ref : `${ref.replace(/:[^:/@]+$/, '')}@${digest}`)
  try {
    let base: BuildOutcome | undefined
    let baseRef = reused.ref
    if (baseSpec) {
      base = await io.timer.run(`Trial build of base ${plan.base.tag}`, () => trial('base', kept(baseSpec, 'base-trial-metadata.json')))
      baseRef = at(plan.base.tagRef, base.digest!)
      if (smoke.base) await io.timer.run('Smoke test (base)', () => smokeGate({ target: 'base', ref: baseRef, command: smoke.base! }, s, tc, io.ports, io.sink))
    }
    let app: BuildOutcome | undefined
    if (plan.app) {
      // A base of this trial on the docker driver is in the engine under its tag; any other by its digest.
      const from = { digest: base ? (output === 'load' ? undefined : base.digest) : reused.digest }
      const spec = kept(appSpec(s, tc, from, io.workDir), 'app-trial-metadata.json')
      app = await io.timer.run(`Trial build of application ${plan.app.ref}`, () => trial('app', spec))
      const appRef = at(plan.app.ref, app.digest!)
      if (smoke.final)
        await io.timer.run('Smoke test', () => smokeGate({ target: 'app', ref: appRef, command: smoke.final!.command }, s, tc, io.ports, io.sink))
    } else if (smoke.final) {
      await io.timer.run('Smoke test', () => smokeGate({ target: 'base', ref: baseRef, command: smoke.final!.command }, s, tc, io.ports, io.sink))
    }
    return { tested: { base: base?.digest, app: app?.digest }, outcomes: { base, app } }
  } catch (e) {
    await untag([...new Set(loaded)], tc, io.ports)
    throw e
  }
}

/** Removes tags from the engine (`docker image rm`: the tag; the image only when it was its last). */
async function untag(tags: readonly string[], tc: Pick<Toolchain, 'env' | 'dockerContext'>, ports: SmokePorts): Promise<void> {
  if (tags.length === 0) return
  const r = await dockerCleanup(['image', 'rm', ...tags], tc, ports)
  if (!r || r.code !== 0) ports.log.warning(`Could not remove the failed trial's images from the engine: ${tags.join(', ')}`)
  else ports.log.info(`The failed trial's images were removed from the engine: ${tags.join(', ')}`)
}

/** The pushed digests against the tested ones: a difference is a warning (the pushed image is not the one tested). */
export function checkPushed(results: readonly SmokeResult[], tested: TrialResult['tested'], built: Built, log: Pick<Ports['log'], 'warning'>): SmokeResult[] {
  const pushed = { base: built.builds.find((b) => b.kind === 'base')?.digest, app: built.builds.find((b) => b.kind === 'app')?.digest }
  return results.map((r) => {
    const before = tested[r.target]
    const after = pushed[r.target]
    if (!before || !after) return r
    if (before !== after)
      log.warning(`The pushed ${r.target === 'app' ? 'application image' : 'base'} (${after}) is not the image the smoke test ran (${before})`)
    return { ...r, pushedDigest: after }
  })
}
