// `npm run bench`: the benchmark suite against the real local stack (the registry on
// 127.0.0.1:5000, Docker + BuildKit, skopeo). Writes BENCHMARKS.md (and the raw figures to
// bench/results/latest.json). Not part of `npm test`.
//
//   npm run bench                         all figures, 3 repetitions each (medians)
//   npm run bench -- --reps 5             more repetitions
//   npm run bench -- --only hash,startup  some figures (reuse, build, hash, startup, pr, layers): their sections
//                                         and target rows replace those of the BENCHMARKS.md on disk (bench/splice.ts)
//   npm run bench -- --no-write           print the report; write neither BENCHMARKS.md nor latest.json
//   npm run bench -- --clean              delete the seeded bench-* repositories and exit
//   npm run bench -- --seed               only seed the bench-tags-n<N> repositories
//   npm run bench -- --render             rewrite BENCHMARKS.md from bench/results/latest.json
//
// Seeded repositories (bench-tags-n<N>) stay in the registry between runs, so a second run
// does not seed 61,000 tags again; `--clean` removes them.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { removeLocalImages } from '../__fixtures__/stack.js'
import { benchBuild } from './build.js'
import { benchHash } from './hash.js'
import { benchLayers } from './layers.js'
import { benchPr } from './pr.js'
import { distExists, distPath, snapshotDist } from './lib/action.js'
import { ROOT, cleanupTemps, tempDir } from './lib/fixtures.js'
import { machine } from './lib/machine.js'
import { REGISTRY, REPO_PREFIX, catalog, closeRegistryConnections, deleteRepo, listTags, registryUp, seedRepo } from './lib/registry.js'
import { renderReport, type Results } from './report.js'
import { spliceReport } from './splice.js'
import { TAG_COUNTS, benchReuse, tagsRepo } from './reuse.js'
import { benchStartup } from './startup.js'

const FIGURES = ['reuse', 'build', 'hash', 'startup', 'pr', 'layers'] as const
type Figure = (typeof FIGURES)[number]

interface Args {
  clean: boolean
  seed: boolean
  render: boolean
  reps: number
  only: Set<Figure>
  write: boolean
}

function parseArgs(argv: string[]): Args {
  const a: Args = { clean: false, seed: false, render: false, reps: 3, only: new Set(FIGURES), write: true }
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined]
    const value = (): string => inline ?? argv[++i] ?? ''
    switch (flag) {
      case '--clean':
        a.clean = true
        break
      case '--reps': {
        const n = Number(value())
        if (!Number.isInteger(n) || n < 1 || n > 20) throw new Error('--reps takes 1 … 20')
        a.reps = n
        break
      }
      case '--only': {
        const names = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
        for (const n of names) if (!FIGURES.includes(n as Figure)) throw new Error(`--only: unknown figure ${n} (${FIGURES.join(', ')})`)
        a.only = new Set(names as Figure[])
        break
      }
      case '--render':
        a.render = true
        break
      case '--seed':
        a.seed = true
        break
      case '--no-write':
        a.write = false
        break
      default:
        throw new Error(`unknown argument ${argv[i]} (--clean, --seed, --render, --reps N, --only ${FIGURES.join(',')}, --no-write)`)
    }
  }
  return a
}

const started = performance.now()
function log(s: string): void {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}\n`)
}

async function clean(): Promise<void> {
  const repos = (await catalog()).filter((r) => r.startsWith(REPO_PREFIX))
  for (const r of repos) {
    const before = (await listTags(r)).length
    if (before === 0) continue
    const t = performance.now()
    const n = await deleteRepo(r)
    log(`deleted ${r}: ${before} tags (${n} manifest(s)) in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  }
  for (const r of repos) removeLocalImages(`${REGISTRY}/${r}`)
  log('clean: done (the registry keeps empty repository names until it is garbage-collected)')
}

async function seedOnly(): Promise<void> {
  try {
    for (const n of TAG_COUNTS) {
      const s = await seedRepo(tagsRepo(n), n, undefined, 8, log)
      log(`${tagsRepo(n)}: ${s.reused ? 'already seeded' : `${s.pushed} tags in ${(s.ms / 1000).toFixed(1)} s (${Math.round(s.pushed / (s.ms / 1000))}/s)`}`)
    }
  } finally {
    closeRegistryConnections()
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  if (args.render) {
    const results = JSON.parse(readFileSync(path.join(ROOT, 'bench', 'results', 'latest.json'), 'utf8')) as Results
    return write(results, args.write, false)
  }
  if (!(await registryUp())) throw new Error('The registry at 127.0.0.1:5000 is not reachable: run `npm run stack` first')
  if (args.clean) return clean()
  if (args.seed) return seedOnly()
  const needsDist = args.only.has('reuse') || args.only.has('build') || args.only.has('startup') || args.only.has('pr')
  if (needsDist && !distExists()) throw new Error('dist/index.js is missing: run `npm run bundle` first (or --only hash)')

  if (needsDist) log(`bundle under test: ${path.relative(ROOT, distPath())}, run from a snapshot in ${snapshotDist(tempDir('dist'))}`)
  const results: Results = { machine: machine(), reps: args.reps, figures: [...args.only] }
  log(`machine: ${results.machine.cpus} cores, ${results.machine.memoryGiB} GiB, node ${results.machine.node}; ${args.reps} repetitions`)
  const step = async <T>(name: Figure, f: () => Promise<T>): Promise<T | { error: string } | undefined> => {
    if (!args.only.has(name)) return undefined
    const t = performance.now()
    log(`${name} …`)
    try {
      return await f()
    } catch (e) {
      log(`${name} FAILED: ${(e as Error).message}`)
      return { error: (e as Error).message }
    } finally {
      log(`${name}: ${((performance.now() - t) / 1000).toFixed(1)} s`)
      ;(results.durations ??= {})[name] = performance.now() - t
    }
  }
  try {
    results.hash = await step('hash', () => benchHash(log, false))
    let reuseRun: ((n: number) => import('./lib/action.js').ActionRunOptions) | undefined
    results.reuse = await step('reuse', async () => {
      const r = await benchReuse({ reps: args.reps, counts: TAG_COUNTS, log, profile: true })
      reuseRun = r.reuseRun
      return r.result
    })
    results.startup = await step('startup', () => benchStartup(args.reps, reuseRun?.(TAG_COUNTS[0]!), log))
    results.build = await step('build', () => benchBuild(args.reps, log))
    results.pr = await step('pr', () => benchPr(Math.max(5, args.reps), log))
    results.layers = await step('layers', () => benchLayers(args.reps, log))
  } finally {
    cleanupTemps()
  }
  results.totalMs = performance.now() - started
  results.loadAvgEnd = Math.round(os.loadavg()[0]! * 100) / 100
  const failed = FIGURES.filter((f) => {
    const r = results[f] as object | undefined
    return r !== undefined && 'error' in r
  })
  if (failed.length && args.write) {
    // Keep the last good BENCHMARKS.md; the failed run's figures go next to latest.json.
    const dir = path.join(ROOT, 'bench', 'results')
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, 'failed.json'), JSON.stringify(results, null, 2))
    log(`FAILED: ${failed.join(', ')} — BENCHMARKS.md not rewritten (figures in bench/results/failed.json)`)
    process.exitCode = 1
    return
  }
  write(results, args.write)
}

/**
 * Writes bench/results/latest.json and BENCHMARKS.md (or prints the report). A run of some
 * figures updates their sections and target rows in the BENCHMARKS.md on disk, which keeps the
 * rest (bench/splice.ts).
 */
function write(results: Results, toFile: boolean, json = toFile): void {
  const file = path.join(ROOT, 'BENCHMARKS.md')
  const partial = FIGURES.some((f) => !results.figures.includes(f))
  const rendered = renderReport(results)
  const took = results.totalMs ? `, ${(results.totalMs / 60_000).toFixed(1)} min` : ''
  const md =
    partial && toFile && existsSync(file)
      ? spliceReport(
          readFileSync(file, 'utf8'),
          rendered,
          `From \`npm run bench -- --only ${results.figures.join(',')}\` on ${results.machine.date.slice(0, 10)}${took}; the other sections and target rows are from earlier runs.`,
        )
      : rendered
  if (json) {
    const dir = path.join(ROOT, 'bench', 'results')
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(results, null, 2))
  }
  if (toFile) {
    writeFileSync(file, md)
    log(`wrote BENCHMARKS.md (raw figures: bench/results/latest.json)${results.totalMs ? ` — suite ${(results.totalMs / 1000).toFixed(0)} s` : ''}`)
  } else {
    process.stdout.write(md)
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    cleanupTemps()
    log(`error: ${(e as Error).message}`)
    process.exit(1)
  },
)
