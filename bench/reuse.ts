// Figure 1: the reuse path, whole process (`node dist/index.js` as the runner runs it)
// against base repositories holding 10 … 50,000 tags — wall time, peak RSS, the Lookup
// phase — side by side with what a user would run instead (`docker buildx build --push`
// with a fully warm registry cache) and with the bare minimum (`skopeo list-tags`).
// Figure 5 (reporting overhead on a hit) comes from the same runs and from runs with
// `summary: false`.

import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { failureText, runAction, timedCommand, type ActionRun, type ActionRunOptions } from './lib/action.js'
import { ROOT, quickstartCopy, tempDir } from './lib/fixtures.js'
import { startPagedFront } from './lib/paged-front.js'
import { findProfile, summarizeProfile, type ProfileSummary } from './lib/profile.js'
import { REGISTRY, REPO_PREFIX, closeRegistryConnections, listTags, seedRepo, type SeedResult } from './lib/registry.js'
import { median } from './lib/stats.js'

export const TAG_COUNTS = [10, 1_000, 10_000, 50_000]
/** Date of the seeded tag of the benchmarked environment (fixed: seeding is cached). */
const SEED_DATE = '20261001'

export function tagsRepo(n: number): string {
  return `${REPO_PREFIX}tags-n${n}`
}
const BUILDX_REPO = `${REPO_PREFIX}buildx-warm`
/** The floor of the reuse path (bench/floor.mjs), run the way the action is run. */
const FLOOR = path.join(ROOT, 'bench', 'floor.mjs')

export interface RunStats {
  wallMs: number
  firstLineMs: number
  maxRssBytes: number
  phases: Record<string, number>
  tailMs: number
}

export interface SizeResult {
  tags: number
  listed: number
  seed: SeedResult
  runs: RunStats[]
  skopeoMs: number[]
  /** bench/floor.mjs: only the work any Node implementation of the reuse path has to do. */
  floorMs?: number[]
  /** `summary: false` runs (figure 5). */
  noSummary: RunStats[]
}

export interface PagedSize {
  tags: number
  listed: number
  /** Tag-list pages one run read. */
  pages: number
  /** Other registry requests of one run, by `METHOD kind`. */
  requests: Record<string, number>
  runs: RunStats[]
}

export interface ReuseResult {
  envHash: string
  baseTag: string
  inputs: Record<string, string>
  sizes: SizeResult[]
  /** The same runs through a loopback front serving the tag list in Link pages. */
  paged?: { pageSize: number; sizes: PagedSize[] }
  buildxLocalWarmMs: number[]
  buildxFreshBuilderMs: number[]
  buildxCommand: string
  /** Repetitions of each action / skopeo measurement (medians). */
  actionReps: number
  summaryBytes: number
  summaryPhaseTable?: string
  profile50k?: ProfileSummary
  /** Output of bench/registry.bench.ts (the registry engineer's in-process listTags benchmark). */
  registryBench?: { command: string; lines: string[] }
  error?: string
}

function stats(r: ActionRun): RunStats {
  const phases: Record<string, number> = {}
  for (const p of r.phases) phases[p.name] = (phases[p.name] ?? 0) + p.ms
  return { wallMs: r.wallMs, firstLineMs: r.firstLineMs, maxRssBytes: r.maxRssBytes, phases, tailMs: r.tailMs }
}

/** Canonical phase name: `Build base base-…` → `Build base`. */
export function phaseKey(name: string): string {
  return name.replace(/^(Build base|Build application|Retention) .*$/, '$1')
}

export function medianPhase(runs: readonly RunStats[], name: string): number {
  return median(
    runs.map((r) =>
      Object.entries(r.phases)
        .filter(([k]) => phaseKey(k) === name)
        .reduce((s, [, v]) => s + v, 0),
    ),
  )
}

function buildxArgs(dir: string): string[] {
  const ref = `${REGISTRY}/${BUILDX_REPO}`
  return [
    'buildx',
    'build',
    '--file',
    path.join(dir, 'base.Dockerfile'),
    '--build-arg',
    'ENVIRONMENT_FILE=environment.yml',
    '--tag',
    `${ref}:latest`,
    '--cache-from',
    `type=registry,ref=${ref}:buildcache`,
    '--cache-to',
    `type=registry,ref=${ref}:buildcache,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true`,
    '--push',
    '--progress=plain',
    dir,
  ]
}

export function pruneBuilder(): void {
  const r = spawnSync('docker', ['buildx', 'prune', '-af'], { stdio: 'ignore', timeout: 180_000 })
  if (r.status !== 0) throw new Error('docker buildx prune -af failed')
}

export interface ReuseOptions {
  /** Repetitions of the buildx builds; the (cheap) action and skopeo runs take max(7, reps). */
  reps: number
  counts: number[]
  log: (s: string) => void
  /** Profile one 50,000-tag run (a target missed there). */
  profile: boolean
}

export async function benchReuse(o: ReuseOptions): Promise<{ result: ReuseResult; reuseRun: (n: number) => ActionRunOptions }> {
  const dir = quickstartCopy('reuse')
  const inputs = (n: number, extra: Record<string, string> = {}): Record<string, string> => ({
    image: `${REGISTRY}/${tagsRepo(n)}`,
    'environment-file': 'environment.yml',
    'base-dockerfile': 'base.Dockerfile',
    ...extra,
  })
  const reuseRun = (n: number): ActionRunOptions => ({ cwd: dir, inputs: inputs(n) })
  const fastReps = Math.max(7, o.reps)
  const result: ReuseResult = {
    envHash: '',
    baseTag: '',
    inputs: inputs(10_000),
    sizes: [],
    buildxLocalWarmMs: [],
    buildxFreshBuilderMs: [],
    buildxCommand: `docker ${buildxArgs('<fixture>').join(' ')}`,
    actionReps: Math.max(7, o.reps),
    summaryBytes: NaN,
  }
  // 1. The environment hash, from a plan run.
  const plan = await runAction({ cwd: dir, inputs: inputs(o.counts[0]!, { mode: 'plan' }) })
  if (plan.code !== 0 || !plan.outputs['env-hash']) throw new Error(`the plan run failed:\n${failureText(plan)}`)
  result.envHash = plan.outputs['env-hash']
  result.baseTag = `base-${result.envHash.slice(0, 12)}-${SEED_DATE}`
  o.log(`  env hash ${result.envHash.slice(0, 12)}; reused tag ${result.baseTag}`)

  // 2. Seed (cached across runs by the marker tag).
  const seeds: SeedResult[] = []
  try {
    for (const n of o.counts) {
      const s = await seedRepo(tagsRepo(n), n, result.baseTag, 8, o.log)
      seeds.push(s)
      o.log(`  seed ${tagsRepo(n)}: ${s.reused ? `already seeded${s.pushed ? ' (+1 tag)' : ''}` : `${s.pushed} tags PUT`} in ${(s.ms / 1000).toFixed(1)} s`)
    }
  } finally {
    closeRegistryConnections()
  }

  // 3. The action (one page, paged front, summary off) and skopeo, per size — round-robin
  //    over the sizes, so a burst of other work on the machine hits every size alike.
  const pageSize = 1000
  const front = await startPagedFront(pageSize)
  const per = await Promise.all(
    o.counts.map(async (n) => ({
      n,
      listed: (await listTags(tagsRepo(n))).length,
      runs: [] as RunStats[],
      noSummary: [] as RunStats[],
      skopeo: [] as number[],
      floor: [] as number[],
      paged: [] as RunStats[],
      pages: 0,
      requests: {},
    })),
  )
  try {
    for (let r = 0; r <= fastReps; r++) {
      for (const p of per) {
        const n = p.n
        const repo = tagsRepo(n)
        const run = await runAction(reuseRun(n))
        if (run.outputs['env-hash'] && run.outputs['env-hash'] !== result.envHash) {
          throw new Error(
            `the environment hash changed during the benchmark (${result.envHash.slice(0, 12)} → ${run.outputs['env-hash'].slice(0, 12)}): was dist/index.js rebuilt? Run it again.`,
          )
        }
        if (run.code !== 0 || run.outputs['base-reused'] !== 'true' || run.outputs['base-tag'] !== result.baseTag) {
          throw new Error(
            `reuse run on ${repo} did not reuse ${result.baseTag} (exit ${run.code}, base-tag ${run.outputs['base-tag']}, base-reused ${run.outputs['base-reused']}):\n${failureText(run)}`,
          )
        }
        if (n === 10_000 && r === 1) {
          result.summaryBytes = Buffer.byteLength(run.summary)
          result.summaryPhaseTable = phaseTable(run.summary)
        }
        const fl = await runAction({ cwd: dir, inputs: inputs(n), dist: FLOOR, env: { BENCH_FLOOR_PREFIX: `base-${result.envHash.slice(0, 12)}-` } })
        if (fl.code !== 0 || fl.outputs['base-tag'] !== result.baseTag)
          throw new Error(`bench/floor.mjs on ${repo} did not find ${result.baseTag}:\n${failureText(fl)}`)
        const sk = await timedCommand('skopeo', ['list-tags', '--tls-verify=false', `docker://${REGISTRY}/${repo}`], { timeoutMs: 120_000 })
        const ns = await runAction({ cwd: dir, inputs: inputs(n, { summary: 'false' }) })
        if (ns.code !== 0) throw new Error(`summary: false run failed:\n${failureText(ns)}`)
        const before = front.pages
        front.requests.clear()
        const pr = await runAction({ cwd: dir, inputs: { ...inputs(n), image: `${front.addr}/${repo}` } })
        if (pr.code !== 0 || pr.outputs['base-reused'] !== 'true') throw new Error(`paged reuse run on ${repo} failed:\n${failureText(pr)}`)
        p.pages = front.pages - before
        p.requests = Object.fromEntries(front.requests)
        if (r === 0) continue // warm-up (page cache, registry, the front's copy of the list)
        p.runs.push(stats(run))
        p.skopeo.push(sk.wallMs)
        p.floor.push(fl.wallMs)
        p.noSummary.push(stats(ns))
        p.paged.push(stats(pr))
      }
      o.log(`  round ${r}/${fastReps} done${r === 0 ? ' (warm-up)' : ''}`)
    }
  } finally {
    await front.close()
  }
  result.paged = { pageSize, sizes: [] }
  for (const [i, p] of per.entries()) {
    result.sizes.push({ tags: p.n, listed: p.listed, seed: seeds[i]!, runs: p.runs, skopeoMs: p.skopeo, floorMs: p.floor, noSummary: p.noSummary })
    result.paged.sizes.push({ tags: p.n, listed: p.listed, pages: p.pages, requests: p.requests, runs: p.paged })
    o.log(
      `  ${p.n} tags: action ${median(p.runs.map((x) => x.wallMs)).toFixed(0)} ms (lookup ${medianPhase(p.runs, 'Lookup').toFixed(0)} ms, ` +
        `rss ${(median(p.runs.map((x) => x.maxRssBytes)) / 2 ** 20).toFixed(0)} MB), floor ${median(p.floor).toFixed(0)} ms, skopeo ${median(p.skopeo).toFixed(0)} ms; ` +
        `${p.pages} pages: ${median(p.paged.map((x) => x.wallMs)).toFixed(0)} ms (lookup ${medianPhase(p.paged, 'Lookup').toFixed(0)} ms)`,
    )
  }

  // 4. What a user would run instead: buildx with a fully warm registry cache, alternately
  //    with the local cache warm and on a fresh builder.
  const args = buildxArgs(dir)
  await timedCommand('docker', args, { timeoutMs: 300_000 }) // primes the registry cache
  for (let r = 0; r <= o.reps; r++) {
    const t = await timedCommand('docker', args, { timeoutMs: 300_000 })
    if (r > 0) result.buildxLocalWarmMs.push(t.wallMs)
    if (r === o.reps) break
    pruneBuilder()
    result.buildxFreshBuilderMs.push((await timedCommand('docker', args, { timeoutMs: 300_000 })).wallMs)
  }
  o.log(
    `  buildx warm cache: ${median(result.buildxLocalWarmMs).toFixed(0)} ms (local cache warm), ${median(result.buildxFreshBuilderMs).toFixed(0)} ms (fresh builder)`,
  )

  // 5. A CPU profile of the largest repository.
  if (o.profile) {
    const n = Math.max(...o.counts)
    const profDir = tempDir('cpuprof-reuse')
    const prof = await runAction({ ...reuseRun(n), nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=500'] })
    if (prof.code !== 0 || prof.outputs['base-reused'] !== 'true') throw new Error(`the profiled run did not reuse:\n${failureText(prof)}`)
    result.profile50k = summarizeProfile(findProfile(profDir))
  }
  // 6. The registry client in-process (bench/registry.bench.ts), on the seeded repository.
  const rb = path.join(ROOT, 'bench', 'registry.bench.ts')
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx')
  if (existsSync(rb) && existsSync(tsx)) {
    const args = [rb, '--repo', tagsRepo(Math.max(...o.counts)), '--reps', String(Math.max(3, o.reps))]
    const r = spawnSync(tsx, args, { cwd: ROOT, encoding: 'utf8', timeout: 180_000 })
    result.registryBench = {
      command: `npx tsx bench/registry.bench.ts ${args.slice(1).join(' ')}`,
      lines: (r.status === 0 ? r.stdout : `exit ${r.status}: ${r.stderr}`).trim().split('\n').slice(0, 20),
    }
  }
  return { result, reuseRun }
}

/** The per-phase time table of the job summary, if there is one (kept verbatim). */
function phaseTable(summary: string): string | undefined {
  const lines = summary.split('\n')
  const i = lines.findIndex((l) => /^\|.*\b(phase|Phase)\b.*\|/.test(l))
  if (i < 0) return undefined
  const out: string[] = []
  for (let j = i; j < lines.length && lines[j]!.startsWith('|'); j++) out.push(lines[j]!)
  return out.join('\n')
}
