// Figure 6: the pull-request path on a fresh runner, and a rebuild of the same commit.
//
// A base of a few hundred MB (the quickstart stand-in plus an incompressible payload) is
// built once. Then, per repetition, the application code changes and — on a fresh runner
// (`docker buildx prune -af`, the repository's local images removed) — the action runs on a
// pull_request event (base reused, application built on it and pushed), interleaved with a
// plain `docker buildx build --push` of the same application Dockerfile FROM the same base
// with its own registry cache. Finally the same commit is built again three times, each on
// a fresh runner, through a loopback front that counts what is written to the registry.

import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { registryFront } from '../__fixtures__/registry-front.js'
import { removeLocalImages } from '../__fixtures__/stack.js'
import { failureText, runAction, timedCommand, type ActionRun } from './lib/action.js'
import { quickstartCopy, tempDir } from './lib/fixtures.js'
import { REGISTRY, REPO_PREFIX, deleteRepo } from './lib/registry.js'
import { median } from './lib/stats.js'
import { phaseKey, pruneBuilder, type RunStats } from './reuse.js'

export const BASE_PAYLOAD_MB = Number(process.env.BENCH_BASE_MB ?? 300)
const COMMIT_TIME = 1_763_900_000

export interface PrResult {
  basePayloadMb: number
  /** Compressed size of the base (registry), bytes. */
  baseBytes: number
  action: RunStats[]
  plain: number[]
  plainCommand: string
  rebuild: { wallMs: number; digest: string; writes: Record<string, number>; cached: string }[]
}

function stats(r: ActionRun): RunStats {
  const phases: Record<string, number> = {}
  for (const p of r.phases) phases[phaseKey(p.name)] = (phases[phaseKey(p.name)] ?? 0) + p.ms
  return { wallMs: r.wallMs, firstLineMs: r.firstLineMs, maxRssBytes: r.maxRssBytes, phases, tailMs: r.tailMs }
}

/** The quickstart, with a base of `mb` MB more (random bytes: compression does not help), committed in git. */
function bigBaseFixture(mb: number, nonce: string): string {
  const d = quickstartCopy('pr')
  const f = path.join(d, 'base.Dockerfile')
  const base = readFileSync(f, 'utf8')
  const marker = 'RUN dd if=/dev/urandom of=/opt/conda/runtime.bin'
  if (!base.includes(marker)) throw new Error('examples/quickstart/base.Dockerfile changed: cannot find its runtime payload step')
  writeFileSync(f, base.replace(marker, `RUN dd if=/dev/urandom of=/opt/conda/payload.bin bs=1M count=${mb} 2>/dev/null\n${marker}`))
  const env = readFileSync(path.join(d, 'environment.yml'), 'utf8')
  writeFileSync(path.join(d, 'environment.yml'), env.replace('  - pip\n', `  - pip\n  - bench-pr-nonce=${nonce}\n`))
  const gitEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: 'b',
    GIT_AUTHOR_EMAIL: 'b@e',
    GIT_COMMITTER_NAME: 'b',
    GIT_COMMITTER_EMAIL: 'b@e',
    GIT_AUTHOR_DATE: `@${COMMIT_TIME} +0000`,
    GIT_COMMITTER_DATE: `@${COMMIT_TIME} +0000`,
  }
  execFileSync('git', ['init', '-q'], { cwd: d, env: gitEnv })
  execFileSync('git', ['add', '.'], { cwd: d, env: gitEnv })
  execFileSync('git', ['commit', '-qm', 'bench'], { cwd: d, env: gitEnv })
  return d
}

/** A pass-through front that counts registry writes: blob uploads, bytes uploaded, manifest PUTs by tag. */
async function writeFront(): Promise<{ addr: string; take(): Record<string, number>; close(): Promise<void> }> {
  let counts: Record<string, number> = {}
  const add = (k: string, n = 1): void => {
    counts[k] = (counts[k] ?? 0) + n
  }
  const front = await registryFront(
    (r) => {
      // A blob upload started by BuildKit; the action's push check starts one and cancels it
      // (storing nothing): told apart by its user agent.
      if (r.method === 'POST' && !r.fromAction && /\/blobs\/uploads\/$/.test(r.path)) add('blob uploads')
      const tag = /\/manifests\/([^/]+)$/.exec(r.path)?.[1]
      if (r.method === 'PUT' && tag) add(`manifest PUT ${tag.startsWith('sha256:') ? '(by digest)' : tag.replace(/-[0-9a-f]{12}-\d{8}$/, '-…')}`)
      return undefined
    },
    { onBody: (r, n) => (r.method === 'PUT' || r.method === 'PATCH' ? add('bytes uploaded', n) : undefined) },
  )
  return {
    addr: front.addr,
    take: () => {
      const c = counts
      counts = {}
      return c
    },
    close: () => front.close(),
  }
}

const ACCEPT =
  'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'

/** Compressed size (config + layers) of a tag; for an index, its first image manifest. */
async function compressedBytes(repo: string, ref: string): Promise<number> {
  type M = { manifests?: { digest: string; platform?: { os?: string } }[]; config?: { size: number }; layers?: { size: number }[] }
  let m = (await (await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${ref}`, { headers: { accept: ACCEPT } })).json()) as M
  if (m.manifests) {
    const d = m.manifests.find((x) => x.platform?.os !== 'unknown')!.digest
    m = (await (await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${d}`, { headers: { accept: ACCEPT } })).json()) as M
  }
  return (m.config?.size ?? 0) + (m.layers ?? []).reduce((n, l) => n + l.size, 0)
}

function prEvent(): Record<string, string> {
  const file = path.join(tempDir('pr-event'), 'event.json')
  writeFileSync(
    file,
    JSON.stringify({
      pull_request: { number: 7, head: { ref: 'feature', repo: { full_name: 'acme/model' } }, base: { repo: { full_name: 'acme/model' } } },
      repository: { full_name: 'acme/model' },
    }),
  )
  return { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: file }
}

export async function benchPr(reps: number, log: (s: string) => void): Promise<PrResult> {
  const nonce = randomBytes(4).toString('hex')
  const repo = `${REPO_PREFIX}pr-${nonce}`
  const image = `${REGISTRY}/${repo}`
  const dir = bigBaseFixture(BASE_PAYLOAD_MB, nonce)
  const inputs = { image, 'environment-file': 'environment.yml', 'base-dockerfile': 'base.Dockerfile', dockerfile: 'Dockerfile', context: '.', tags: 'pr-7' }
  const fresh = (): void => {
    pruneBuilder()
    removeLocalImages(image)
  }
  const code = (n: string): void => {
    const f = path.join(dir, 'app', 'main.py')
    writeFileSync(f, readFileSync(f, 'utf8').replace(/\n# change .*$/s, '') + `\n# change ${n}\n`)
  }
  try {
    // The base (and a first application build), as the default branch would have pushed them.
    const first = await runAction({ cwd: dir, inputs: { ...inputs, tags: 'main' }, timeoutMs: 900_000 })
    if (first.code !== 0) throw new Error(`the base build failed:\n${failureText(first)}`)
    const baseRef = first.outputs['base-image']!
    const baseBytes = await compressedBytes(repo, first.outputs['base-tag']!)
    log(`  base ${baseRef} (${(baseBytes / 2 ** 20).toFixed(0)} MB compressed) built in ${(first.wallMs / 1000).toFixed(1)} s`)
    const plainArgs = [
      'buildx',
      'build',
      '--file=Dockerfile',
      `--build-arg=BASE_IMAGE=${baseRef}`,
      `--tag=${image}:pr-7-plain`,
      `--cache-from=type=registry,ref=${image}:buildcache-plain`,
      `--cache-to=type=registry,ref=${image}:buildcache-plain,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true`,
      '--push',
      '--progress=plain',
      '.',
    ]
    await timedCommand('docker', plainArgs, { cwd: dir, timeoutMs: 600_000 }) // primes its registry cache
    const result: PrResult = {
      basePayloadMb: BASE_PAYLOAD_MB,
      baseBytes,
      action: [],
      plain: [],
      plainCommand: `docker ${plainArgs.join(' ').replace(baseRef, '<base>@<digest>')}`,
      rebuild: [],
    }
    const ev = prEvent()
    for (let r = 0; r <= reps; r++) {
      code(`${nonce}-${r}`)
      const runActionOnce = async (): Promise<void> => {
        fresh()
        const a = await runAction({ cwd: dir, inputs, env: ev, timeoutMs: 600_000 })
        if (a.code !== 0 || a.outputs['base-reused'] !== 'true') throw new Error(`PR run did not reuse the base:\n${failureText(a)}`)
        if (r > 0) result.action.push(stats(a))
      }
      const runPlainOnce = async (): Promise<void> => {
        fresh()
        const p = await timedCommand('docker', plainArgs, { cwd: dir, timeoutMs: 600_000 })
        if (r > 0) result.plain.push(p.wallMs)
      }
      // Alternate the order: neither side always runs right after the other's push.
      if (r % 2 === 0) {
        await runActionOnce()
        await runPlainOnce()
      } else {
        await runPlainOnce()
        await runActionOnce()
      }
      if (r > 0) log(`  rep ${r}: action ${(result.action.at(-1)!.wallMs / 1000).toFixed(2)} s, plain buildx ${(result.plain.at(-1)! / 1000).toFixed(2)} s`)
    }

    // The same commit, three times on fresh runners, through the counting front.
    const front = await writeFront()
    try {
      const via = { ...inputs, image: `${front.addr}/${repo}`, tags: 'main' }
      code('rebuild')
      fresh()
      const prime = await runAction({ cwd: dir, inputs: via, timeoutMs: 600_000 })
      if (prime.code !== 0) throw new Error(`rebuild priming run failed:\n${failureText(prime)}`)
      front.take()
      for (let i = 0; i < 3; i++) {
        fresh()
        const a = await runAction({ cwd: dir, inputs: via, timeoutMs: 600_000 })
        if (a.code !== 0) throw new Error(`rebuild run failed:\n${failureText(a)}`)
        result.rebuild.push({
          wallMs: a.wallMs,
          digest: a.outputs.digest ?? '',
          writes: front.take(),
          cached: `${a.outputs['cached-steps']}/${a.outputs['total-steps']}`,
        })
        log(`  rebuild ${i + 1}: ${a.outputs.digest?.slice(0, 19)}, writes ${JSON.stringify(result.rebuild.at(-1)!.writes)}`)
      }
    } finally {
      await front.close()
    }
    log(`  PR path: action ${median(result.action.map((x) => x.wallMs)).toFixed(0)} ms vs plain buildx ${median(result.plain).toFixed(0)} ms`)
    return result
  } finally {
    await deleteRepo(repo).catch(() => undefined)
    removeLocalImages(image)
  }
}
