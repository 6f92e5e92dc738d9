// Compares bundles of the action on the reuse path, interleaved run by run (so load from
// other work on the machine hits every bundle alike) — to check a performance fix before
// and after: build the candidate with `npx ncc build src/index.ts -o /tmp/candidate`, then
//
//   npx tsx bench/compare.ts dist/index.js /tmp/candidate/index.js [--tags 10,10000,50000] [--reps 7]
//
// Needs the seeded repositories (`npm run bench -- --seed`, and one `npm run bench` run for
// the tag of the current environment hash).

import path from 'node:path'
import { runAction } from './lib/action.js'
import { cleanupTemps, quickstartCopy } from './lib/fixtures.js'
import { REGISTRY } from './lib/registry.js'
import { median, ms, table } from './lib/stats.js'
import { tagsRepo } from './reuse.js'

function parse(argv: string[]): { dists: string[]; tags: number[]; reps: number } {
  const dists: string[] = []
  let tags = [10, 10_000, 50_000]
  let reps = 7
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--tags') tags = argv[++i]!.split(',').map(Number)
    else if (argv[i] === '--reps') reps = Math.min(50, Math.max(1, Number(argv[++i])))
    else dists.push(path.resolve(argv[i]!))
  }
  if (dists.length === 0) throw new Error('usage: npx tsx bench/compare.ts <bundle.js>... [--tags 10,10000] [--reps 7]')
  return { dists, tags, reps }
}

async function main(): Promise<void> {
  const { dists, tags, reps } = parse(process.argv.slice(2))
  const dir = quickstartCopy('compare')
  const res = new Map<string, { wall: number[]; first: number[]; lookup: number[]; measure: number[]; tail: number[]; rss: number[] }>()
  try {
    for (let r = 0; r <= reps; r++) {
      for (const n of tags) {
        for (const dist of dists) {
          const run = await runAction({
            cwd: dir,
            dist,
            inputs: { image: `${REGISTRY}/${tagsRepo(n)}`, 'environment-file': 'environment.yml', 'base-dockerfile': 'base.Dockerfile' },
          })
          if (run.code !== 0 || run.outputs['base-reused'] !== 'true') throw new Error(`${dist} on ${n} tags did not reuse:\n${run.stdout.slice(-1000)}`)
          if (r === 0) continue
          const key = `${dist}\u0000${n}`
          if (!res.has(key)) res.set(key, { wall: [], first: [], lookup: [], measure: [], tail: [], rss: [] })
          const e = res.get(key)!
          const ph = Object.fromEntries(run.phases.map((p) => [p.name, p.ms]))
          e.wall.push(run.wallMs)
          e.first.push(run.firstLineMs)
          e.lookup.push(ph.Lookup ?? NaN)
          e.measure.push(ph.Measure ?? NaN)
          e.tail.push(run.tailMs)
          e.rss.push(run.maxRssBytes)
        }
      }
    }
  } finally {
    cleanupTemps()
  }
  const rows = [...res].map(([key, e]) => {
    const [dist, n] = key.split('\u0000') as [string, string]
    return [
      path.relative(process.cwd(), dist) || dist,
      Number(n).toLocaleString('en-US'),
      ms(median(e.wall)),
      ms(median(e.first)),
      ms(median(e.lookup)),
      ms(median(e.measure)),
      ms(median(e.tail)),
      `${(median(e.rss) / 2 ** 20).toFixed(0)} MB`,
    ]
  })
  process.stdout.write(
    `${table(['bundle', 'tags', 'wall', 'first line', 'Lookup', 'Measure', 'after the last phase', 'peak RSS'], rows, 'lrrrrrrr')}\n\n(medians of ${reps} interleaved runs after one warm-up)\n`,
  )
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`)
  process.exit(1)
})
