// Benchmark: RegistryClient.listTags over 10,000 tags on the local registry (target < 2 s).
// A plain script printing figures. It seeds a unique repository (one small image PUT under
// 10,000 tags, 16 at a time), times listTags with a new client each run, then deletes what
// it pushed. Distribution 2.8 ignores `n` and answers in one page, so it also times 50,000
// tags served in Link-paginated pages of 1,000 by a loopback front.
//
//   npx tsx bench/registry.bench.ts [--tags 10000] [--reps 5] [--registry 127.0.0.1:5000]
//   npx tsx bench/registry.bench.ts --repo bench-tags-n10000   (time an existing repository)
//
// (`node --experimental-strip-types` needs Node ≥ 22.6 and cannot resolve the `.js`
// specifiers NodeNext sources use; tsx runs the same file on Node 20.)

import { randomBytes } from 'node:crypto'
import { json, startFaultServer } from '../__fixtures__/fault-server.js'
import { OCI_MANIFEST, Seeder } from '../__fixtures__/registry-procs.js'
import { parseImageName } from '../src/image/reference.js'
import { RegistryClient } from '../src/registry/index.js'

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def
}

const registry = arg('registry', process.env.E2E_REGISTRY ?? '127.0.0.1:5000')
const count = Number(arg('tags', '10000'))
const reps = Number(arg('reps', '5'))
const existing = arg('repo', '')
const repo = existing || `bench-registry-${randomBytes(4).toString('hex')}`
const quiet = { debug: () => undefined, warning: (m: string) => console.error(`warning: ${m}`), setSecret: () => undefined }

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

async function time(name: ReturnType<typeof parseImageName>, want?: number): Promise<{ first: number; median: number; min: number; n: number }> {
  const times: number[] = []
  let n = 0
  for (let r = 0; r < reps; r++) {
    const client = new RegistryClient({ log: quiet })
    const s = performance.now()
    n = (await client.listTags(name)).length
    times.push(performance.now() - s)
  }
  if (want !== undefined && n !== want) throw new Error(`listTags returned ${n} tags, expected ${want}`)
  return { first: times[0]!, median: median(times), min: Math.min(...times), n }
}

function fmt(label: string, t: { first: number; median: number; min: number; n: number }): string {
  return `${label}: ${t.n} tags, ${reps} runs: first ${t.first.toFixed(0)} ms, median ${t.median.toFixed(0)} ms, min ${t.min.toFixed(0)} ms`
}

async function paginated(total: number): Promise<void> {
  const front = await startFaultServer('127.0.0.1')
  const tags = Array.from({ length: total }, (_, i) => `base-${randomBytes(6).toString('hex')}-${20200101 + (i % 10_000)}`)
  front.handle = (req, res) => {
    const p = Number(new URL(req.url!, 'http://x').searchParams.get('page') ?? '0')
    const headers: Record<string, string> = {}
    if ((p + 1) * 1000 < total) headers.link = `</v2/paged/tags/list?n=1000&page=${p + 1}>; rel="next"`
    json(res, 200, { name: 'paged', tags: tags.slice(p * 1000, (p + 1) * 1000) }, headers)
  }
  try {
    const t = await time(parseImageName(`${front.addr}/paged`), total)
    console.log(`${fmt('listTags, loopback front, Link pages of 1000', t)} (heap in use after: ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MiB)`)
  } finally {
    await front.close()
  }
}

async function main(): Promise<void> {
  const name = parseImageName(`${registry}/${repo}`)
  if (existing) {
    console.log(fmt(`listTags, ${registry}/${repo}`, await time(name)))
    await paginated(50_000)
    return
  }
  const seed = new Seeder(registry)
  const t0 = performance.now()
  const img = await seed.image(repo, 'seed', { layers: 1 })
  try {
    const tags = Array.from({ length: count - 1 }, (_, i) => `base-${randomBytes(6).toString('hex')}-${20200101 + (i % 10_000)}`)
    await seed.tagMany(repo, tags, img.body, OCI_MANIFEST, 16)
    console.log(`seeded ${count} tags in ${registry}/${repo} in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    const t = await time(name, count)
    console.log(`${fmt(`listTags, ${registry} (Distribution, one page)`, t)} (target < 2000 ms)`)
    if (t.median >= 2000) process.exitCode = 1
    await paginated(50_000)
  } finally {
    // Distribution untags all tags of the digest in this one request: give it time.
    const client = new RegistryClient({ log: quiet, timeoutMs: 600_000 })
    const t1 = performance.now()
    const r = await client.deleteManifest(name, img.digest)
    const m = JSON.parse(img.body) as { config: { digest: string }; layers: { digest: string }[] }
    for (const d of [m.config.digest, ...m.layers.map((l) => l.digest)]) {
      await fetch(`http://${registry}/v2/${repo}/blobs/${d}`, { method: 'DELETE', signal: AbortSignal.timeout(30_000) }).then((x) => x.body?.cancel())
    }
    const left = (await client.listTags(name)).length
    console.log(`cleanup: manifest ${r}, ${left} tags left, ${((performance.now() - t1) / 1000).toFixed(1)} s`)
    if (left) process.exitCode = 1
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
