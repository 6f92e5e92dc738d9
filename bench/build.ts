// Figure 2: cold build vs reuse vs code-only change of an application image, each on a
// fresh builder (`docker buildx prune -af` first, so only the registry cache can help),
// with a fixture whose environment step is deliberately slow (see lib/fixtures.ts).

import { randomBytes } from 'node:crypto'
import { removeLocalImages } from '../__fixtures__/stack.js'
import { failureText, runAction, type ActionRun } from './lib/action.js'
import { SLOW_ENV_SECONDS, slowFixture, touchCode } from './lib/fixtures.js'
import { REGISTRY, REPO_PREFIX, deleteRepo } from './lib/registry.js'
import { medianPhase, phaseKey, pruneBuilder, type RunStats } from './reuse.js'

export type Scenario = 'cold' | 'reuse' | 'code-only'
export const SCENARIOS: Scenario[] = ['cold', 'reuse', 'code-only']

export interface ScenarioRun extends RunStats {
  baseReused: boolean
  cachedSteps: number
  totalSteps: number
}

export interface BuildResult {
  slowSeconds: number
  runs: Record<Scenario, ScenarioRun[]>
}

function toRun(r: ActionRun): ScenarioRun {
  const phases: Record<string, number> = {}
  for (const p of r.phases) phases[phaseKey(p.name)] = (phases[phaseKey(p.name)] ?? 0) + p.ms
  return {
    wallMs: r.wallMs,
    firstLineMs: r.firstLineMs,
    maxRssBytes: r.maxRssBytes,
    phases,
    tailMs: r.tailMs,
    baseReused: r.outputs['base-reused'] === 'true',
    cachedSteps: Number(r.outputs['cached-steps']),
    totalSteps: Number(r.outputs['total-steps']),
  }
}

export { medianPhase }

export async function benchBuild(reps: number, log: (s: string) => void): Promise<BuildResult> {
  const result: BuildResult = { slowSeconds: SLOW_ENV_SECONDS, runs: { cold: [], reuse: [], 'code-only': [] } }
  for (let r = 0; r < reps; r++) {
    const nonce = randomBytes(4).toString('hex')
    const repo = `${REPO_PREFIX}build-${nonce}`
    const dir = slowFixture(nonce)
    const inputs = {
      image: `${REGISTRY}/${repo}`,
      'environment-file': 'environment.yml',
      'base-dockerfile': 'base.Dockerfile',
      dockerfile: 'Dockerfile',
      context: '.',
    }
    try {
      for (const s of SCENARIOS) {
        if (s === 'code-only') touchCode(dir, nonce)
        pruneBuilder()
        const run = await runAction({ cwd: dir, inputs, timeoutMs: 600_000 })
        if (run.code !== 0) throw new Error(`${s} run failed:\n${failureText(run)}`)
        const sr = toRun(run)
        if (sr.baseReused !== (s !== 'cold')) throw new Error(`${s} run: base-reused is ${sr.baseReused}`)
        result.runs[s].push(sr)
        log(`  rep ${r + 1} ${s}: ${(sr.wallMs / 1000).toFixed(1)} s, ${sr.cachedSteps}/${sr.totalSteps} steps cached`)
      }
    } finally {
      await deleteRepo(repo).catch(() => undefined)
      removeLocalImages(`${REGISTRY}/${repo}`)
    }
  }
  return result
}
