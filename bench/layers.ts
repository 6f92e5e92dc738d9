// Package layers: what a one-package change and a no-cache re-solve ship, and what
// the layering costs, against the single-layer template (the bundled template with its
// runtime stage as it was before package layers: the whole prefix in one COPY). Stand-in
// micromamba (__fixtures__/micromamba-standin) with incompressible payloads; tens of
// packages, a few large. Standalone: `npx tsx bench/layers.ts [--reps N]` prints a markdown
// section (the figures of BENCHMARKS.md "Package layers" came from it).
//
// "New bytes" of an image against a previous one: the compressed sizes of its layers whose
// digests the previous image does not have — what buildx uploads to a repository that holds
// the previous image, and what a node that has the previous image pulls.

import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pushStandin } from '../__fixtures__/standin.js'
import { BUSYBOX, REGISTRY, getManifest, removeRepo, uniqueRepo } from '../__fixtures__/stack.js'

const ROOT = path.join(import.meta.dirname, '..')
const TEMPLATE = readFileSync(path.join(ROOT, 'templates', 'base.Dockerfile'), 'utf8')
const MiB = 1024 * 1024

/** The bundled template with the single-layer runtime stage of before package layers. */
export function singleLayerTemplate(text: string): string {
  const start = text.indexOf('\n# Package layers.')
  const runtime = 'FROM packages-${PACKAGE_LAYERS} AS runtime\nARG IMAGE_USER\n'
  const unowned = 'COPY --link --from=layers /layers/unowned/ /\n'
  const end = text.indexOf(unowned, text.indexOf(runtime))
  if (start < 0 || end < 0) throw new Error('the template no longer has the expected package-layer stages')
  const head = text.slice(0, start + 1)
  const tail = text
    .slice(end + unowned.length)
    .replace('COPY --link --from=layers /layers/manifest/ /', 'COPY --from=solve /tmp/sizes/sizes.json /opt/conda/etc/conda-image-action/sizes.json')
  return `${head}FROM \${RUNTIME_IMAGE} AS runtime\nARG IMAGE_USER\nCOPY --from=solve --chown=\${IMAGE_USER} /opt/conda /opt/conda\nCOPY --from=solve --chown=\${IMAGE_USER} /tmp/home /home/conda\n${tail}`
}

/** 30 packages: 3 large (48, 32, 24 MiB), 7 of 2–8 MiB, 20 of 256 KiB–1.2 MiB: about 150 MiB installed. */
function packages(bump?: string): string[] {
  const large = [
    ['torch', 49152],
    ['cudnn', 32768],
    ['mkl', 24576],
  ] as const
  const mid = Array.from({ length: 7 }, (_, i) => [`lib-mid${i}`, 2048 + i * 1024] as const)
  const small = Array.from({ length: 20 }, (_, i) => [`py-small${i}`, 256 + i * 48] as const)
  return [...large, ...mid, ...small].map(([n, kib]) => `${n}=${n === bump ? '2.2' : '2.1'}=standin_kib${kib}`)
}

interface Layer {
  readonly digest: string
  readonly size: number
}

async function layers(repo: string, tag: string): Promise<Layer[]> {
  const m = await getManifest(repo, tag)
  if (!m?.body.layers) throw new Error(`${repo}:${tag}: no image manifest`)
  return m.body.layers.map((l) => ({ digest: l.digest, size: l.size }))
}

const newBytes = (now: Layer[], before: Layer[]): number => {
  const had = new Set(before.map((l) => l.digest))
  return now.filter((l) => !had.has(l.digest)).reduce((s, l) => s + l.size, 0)
}
const total = (ls: Layer[]): number => ls.reduce((s, l) => s + l.size, 0)

interface Ctx {
  readonly standin: string
  readonly dir: string
}

/** Builds and pushes; returns the wall time of `docker buildx build --push` in ms. */
function build(c: Ctx, dockerfile: string, repo: string, tag: string, pkgs: string[], epoch: number, noCache: boolean): number {
  const ctx = path.join(c.dir, `${repo}-${tag}`)
  mkdirSync(ctx, { recursive: true })
  writeFileSync(path.join(ctx, 'environment.yml'), `name: b\ndependencies:\n${pkgs.map((p) => `  - ${p}\n`).join('')}`)
  const args = ['buildx', 'build', '--push', '--provenance=false', '-f', dockerfile, '-t', `${REGISTRY}/${repo}:${tag}`]
  for (const a of [`MICROMAMBA_IMAGE=${c.standin}`, `RUNTIME_IMAGE=${BUSYBOX}`, 'ENVIRONMENT_FILE=environment.yml', `SOURCE_DATE_EPOCH=${epoch}`])
    args.push('--build-arg', a)
  if (noCache) args.push('--no-cache')
  const t = performance.now()
  const r = spawnSync('docker', [...args, ctx], { encoding: 'utf8', timeout: 900_000 })
  if (r.status !== 0) throw new Error(`build failed:\n${r.stderr.slice(-2000)}`)
  return performance.now() - t
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const mib = (b: number): string => `${(b / MiB).toFixed(2)} MiB`

async function main(): Promise<void> {
  const reps = Number(process.argv[process.argv.indexOf('--reps') + 1] || 3) || 3
  const standin = pushStandin('bench-layers-standin')
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-layers-'))
  const files = { layered: path.join(dir, 'layered.Dockerfile'), single: path.join(dir, 'single.Dockerfile') }
  writeFileSync(files.layered, TEMPLATE)
  writeFileSync(files.single, singleLayerTemplate(TEMPLATE))
  const c: Ctx = { standin: standin.ref, dir }
  const repos: string[] = [standin.repo]
  const repo = (kind: string) => {
    const r = uniqueRepo(`bench-layers-${kind}`)
    repos.push(r)
    return r
  }
  const day = 86_400
  const epoch = 1_780_000_000
  const out: string[] = []
  try {
    // 1. Build-and-push time of a new base, no cache, each build to an empty repository, interleaved.
    const times: Record<'layered' | 'single', number[]> = { layered: [], single: [] }
    for (let i = 0; i < reps; i++) {
      for (const kind of ['single', 'layered'] as const) {
        times[kind].push(build(c, files[kind], repo(`${kind}-t${i}`), 'b', packages(), epoch, true))
      }
    }
    // 2. Bumps and a re-solve, each against the first build of its template (same repository).
    const rows: string[][] = []
    const made: Partial<Record<'layered' | 'single', string>> = {}
    for (const kind of ['single', 'layered'] as const) {
      const r = repo(kind)
      made[kind] = r
      build(c, files[kind], r, 'v1', packages(), epoch, false)
      const v1 = await layers(r, 'v1')
      build(c, files[kind], r, 'refresh', packages(), epoch + 5 * day, true)
      const refresh = newBytes(await layers(r, 'refresh'), v1)
      for (const bump of ['torch', 'lib-mid3', 'py-small7']) {
        build(c, files[kind], r, `bump-${bump}`, packages(bump), epoch + day, false)
        const now = await layers(r, `bump-${bump}`)
        // the bumped package's own compressed size: its layer in the layered image (measured there)
        rows.push([kind, `${bump} bumped`, mib(newBytes(now, v1)), mib(total(v1))])
      }
      rows.push([kind, '`refresh: full` (no cache, 5 days later), same packages', mib(refresh), mib(total(v1))])
    }
    // The compressed size of each bumped package: the one layer that changed in the layered image.
    const lr = made.layered!
    const v1 = await layers(lr, 'v1')
    const own: string[] = []
    for (const bump of ['torch', 'lib-mid3', 'py-small7']) {
      const now = await layers(lr, `bump-${bump}`)
      const had = new Set(v1.map((l) => l.digest))
      const changed = now.filter((l) => !had.has(l.digest))
      const pkg = changed.reduce((m, l) => (l.size > m ? l.size : m), 0)
      const limit = 1.5 * pkg + MiB
      own.push(`| ${bump} | ${mib(pkg)} | ${mib(newBytes(now, v1))} | ≤ ${mib(limit)} | ${newBytes(now, v1) <= limit ? '**holds**' : '**MISSED**'} |`)
    }
    const [tl, ts] = [median(times.layered), median(times.single)]
    out.push(`Machine load (1 min) at the end: ${os.loadavg()[0]!.toFixed(2)}; ${reps} repetitions, medians.`, '')
    out.push('| template | change | new bytes (pushed / pulled by a node with the previous base) | whole image |', '|---|---|---|---|')
    for (const row of rows) out.push(`| ${row.join(' | ')} |`)
    out.push('', '| bumped package | its layer (compressed) | new bytes | target ≤ 1.5× + 1 MiB | verdict |', '|---|---|---|---|---|', ...own)
    out.push(
      '',
      `Build and push of a new base (no cache, empty repository), median of ${reps}: single layer ${(ts / 1000).toFixed(1)} s ` +
        `[${times.single.map((t) => (t / 1000).toFixed(1)).join(', ')}], package layers (default ${40}) ${(tl / 1000).toFixed(1)} s ` +
        `[${times.layered.map((t) => (t / 1000).toFixed(1)).join(', ')}] = ${(tl / ts).toFixed(2)}× (target ≤ 1.10×: ${tl / ts <= 1.1 ? '**holds**' : '**MISSED**'}).`,
    )
    process.stdout.write(`${out.join('\n')}\n`)
  } finally {
    for (const r of repos) await removeRepo(r).catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).message}\n`)
    process.exit(1)
  })
}
