// Package layers: what a one-package change and a no-cache re-solve ship, and what
// the layering costs, against the single-layer template (the bundled template with its
// runtime stage as it was before package layers: the whole prefix in one COPY). Stand-in
// micromamba (__fixtures__/micromamba-standin) with incompressible payloads; tens of
// packages, a few large. Figure `layers` of `npm run bench` (bench/run.ts); also
// `npx tsx bench/layers.ts [--reps N]`, which prints the figures as JSON. Bounded: each
// build has a timeout, and the sweep of PACKAGE_LAYERS values stops when the figure's
// time budget is spent (the values not measured are said).
//
// "New bytes" of an image against a previous one: the compressed sizes of its layers whose
// digests the previous image does not have — what buildx uploads to a repository that holds
// the previous image, and what a node that has the previous image pulls.

import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pushStandin } from '../__fixtures__/standin.js'
import { linkedTemplate } from '../__fixtures__/linked-template.js'
import { REGISTRY, cacheConfigSize, getManifest, pushIsolatedRoot, removeRepo, uniqueRepo } from '../__fixtures__/stack.js'

const ROOT = path.join(import.meta.dirname, '..')
const TEMPLATE = readFileSync(path.join(ROOT, 'templates', 'base.Dockerfile'), 'utf8')
export const MiB = 1024 * 1024

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

/** 30 packages (name, KiB of incompressible payload): 3 large (48, 32, 24 MiB), 7 of 2–8 MiB, 20 of 256 KiB–1.2 MiB: about 150 MiB. */
const PACKAGES: readonly (readonly [string, number])[] = [
  ['torch', 49152],
  ['cudnn', 32768],
  ['mkl', 24576],
  ...Array.from({ length: 7 }, (_, i) => [`lib-mid${i}`, 2048 + i * 1024] as const),
  ...Array.from({ length: 20 }, (_, i) => [`py-small${i}`, 256 + i * 48] as const),
]

function packages(bump?: string): string[] {
  return PACKAGES.map(([n, kib]) => `${n}=${n === bump ? '2.2' : '2.1'}=standin_kib${kib}`)
}

/** A package's payload in bytes: random, so its compressed size is this (plus tar and gzip framing). */
function payloadBytes(name: string): number {
  return PACKAGES.find(([n]) => n === name)![1] * 1024
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
  /** The runtime stage's FROM: a root of the bench's own (the eStargz builds recompress it). */
  readonly runtime: string
  readonly dir: string
}

interface BuildOpts {
  readonly epoch: number
  readonly noCache: boolean
  readonly packageLayers?: number
  readonly compression?: 'estargz'
  /** Export a registry cache (mode=max, as the action does) to `<repo>:buildcache`. */
  readonly cacheTo?: boolean
}

/** Each build's bound. */
const BUILD_TIMEOUT_MS = 600_000

/** Builds and pushes; returns the wall time of `docker buildx build --push` in ms. */
function build(c: Ctx, dockerfile: string, repo: string, tag: string, pkgs: string[], o: BuildOpts): number {
  const ctx = path.join(c.dir, `${repo}-${tag}`)
  mkdirSync(ctx, { recursive: true })
  writeFileSync(path.join(ctx, 'environment.yml'), `name: b\ndependencies:\n${pkgs.map((p) => `  - ${p}\n`).join('')}`)
  const ref = `${REGISTRY}/${repo}:${tag}`
  const output =
    o.compression === 'estargz'
      ? ['--output', `type=image,name=${ref},push=true,compression=estargz,force-compression=true,oci-mediatypes=true`]
      : ['--push', '-t', ref]
  const args = ['buildx', 'build', ...output, '--provenance=false', '-f', dockerfile]
  const buildArgs = [`MICROMAMBA_IMAGE=${c.standin}`, `RUNTIME_IMAGE=${c.runtime}`, 'ENVIRONMENT_FILE=environment.yml', `SOURCE_DATE_EPOCH=${o.epoch}`]
  if (o.packageLayers !== undefined) buildArgs.push(`PACKAGE_LAYERS=${o.packageLayers}`)
  for (const a of buildArgs) args.push('--build-arg', a)
  if (o.noCache) args.push('--no-cache')
  if (o.cacheTo) args.push('--cache-to', `type=registry,ref=${REGISTRY}/${repo}:buildcache,mode=max,image-manifest=true,oci-mediatypes=true`)
  let t = performance.now()
  let r = spawnSync('docker', [...args, ctx], { encoding: 'utf8', timeout: BUILD_TIMEOUT_MS })
  // The shared builder sometimes ends a build that pushed with "failed to solve: not found"
  // (its content removed under it by a concurrent prune): such a build is run again, once.
  if (r.status !== 0 && /failed to solve: not found\s*$/.test(r.stderr ?? '')) {
    t = performance.now()
    r = spawnSync('docker', [...args, ctx], { encoding: 'utf8', timeout: BUILD_TIMEOUT_MS })
  }
  if (r.status !== 0) throw new Error(`build of ${ref} failed:\n${(r.stderr ?? '').slice(-2000)}${r.error ? ` (${r.error.message})` : ''}`)
  return performance.now() - t
}

/** The bumped packages: the largest, a middle one, a small one (in a shared bucket at the default). */
export const BUMPS = ['torch', 'lib-mid3', 'py-small7'] as const
/** PACKAGE_LAYERS values the sweep measures (the template's default among them). */
export const SWEEP = [10, 20, 40, 60] as const

export interface LayersResult {
  readonly reps: number
  /** The template's default PACKAGE_LAYERS when measured. */
  readonly defaultLayers: number
  /** Compressed bytes of the whole first image (package layers). */
  readonly wholeBytes: number
  /** New bytes (pushed, and pulled by a node with the previous base) and build-and-push time per template and change. */
  readonly changes: {
    readonly template: Kind
    readonly change: string
    readonly newBytes: number
    readonly wholeBytes: number
    readonly buildMs: number
  }[]
  /** Per template: the size of the registry cache config its first build exported (mode=max). */
  readonly cacheConfig: Partial<Record<Kind, number>>
  /** Per bumped package: its compressed size (an incompressible payload), the new bytes, the goal (≤ that + 1 MiB). */
  readonly bumps: { readonly pkg: string; readonly own: number; readonly newBytes: number; readonly limit: number; readonly holds: boolean }[]
  /** A no-cache re-solve of the same packages 5 days later: new bytes, goal ≤ 1 MiB. */
  readonly refresh: { readonly newBytes: number; readonly limit: number; readonly holds: boolean }
  /** Build-and-push time of a new base (no cache, empty repository): single layer vs package layers. */
  readonly time: { readonly singleMs: number[]; readonly layeredMs: number[]; readonly ratio: number; readonly limit: number; readonly holds: boolean }
  /** Package layers pushed gzip (the default) vs eStargz: image size and build time. */
  readonly compression: {
    readonly gzip: { readonly bytes: number; readonly ms: number[] }
    readonly estargz: { readonly bytes: number; readonly ms: number[] }
  }
  /** Per PACKAGE_LAYERS: no-cache build-and-push time, layer count, new bytes of each bump. */
  readonly sweep: {
    readonly layers: number
    readonly buildMs: number
    readonly imageLayers: number
    readonly bumpBytes: Record<string, number>
    readonly cacheConfigBytes?: number
  }[]
  /** Sweep values left out because the time budget was spent. */
  readonly sweepSkipped: number[]
  /** Sweep values whose build failed, with the error's last line. */
  readonly sweepFailed?: { readonly layers: number; readonly error: string }[]
}

/** single: the whole prefix in one COPY; layered: the bundled template; linked: its package layers with COPY --link. */
export type Kind = 'single' | 'layered' | 'linked'

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** The figure: about 25 + 3 × reps builds of a 150 MiB environment; the sweep stops when `budgetMs` is spent. */
export async function benchLayers(reps: number, log: (s: string) => void, budgetMs = 30 * 60_000): Promise<LayersResult> {
  const started = performance.now()
  const standin = pushStandin('bench-layers-standin')
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-layers-'))
  const files: Record<Kind, string> = {
    layered: path.join(dir, 'layered.Dockerfile'),
    single: path.join(dir, 'single.Dockerfile'),
    linked: path.join(dir, 'linked.Dockerfile'),
  }
  writeFileSync(files.layered, TEMPLATE)
  writeFileSync(files.single, singleLayerTemplate(TEMPLATE))
  writeFileSync(files.linked, linkedTemplate(TEMPLATE))
  const defaultLayers = Number(/^ARG PACKAGE_LAYERS=(\d+)$/m.exec(TEMPLATE)?.[1])
  const rootRepo = uniqueRepo('bench-layers')
  const c: Ctx = { standin: standin.ref, runtime: pushIsolatedRoot(rootRepo), dir }
  const repos: string[] = [standin.repo, `${rootRepo}-root`]
  const repo = (kind: string) => {
    const r = uniqueRepo(`bench-layers-${kind}`)
    repos.push(r)
    return r
  }
  const day = 86_400
  const epoch = 1_780_000_000
  try {
    // 1. Build-and-push time of a new base, no cache, each build to an empty repository, interleaved;
    //    and the same package layers pushed as eStargz.
    const time = { single: [] as number[], layered: [] as number[], estargz: [] as number[] }
    let gzipRepo = ''
    let estargzRepo = ''
    for (let i = 0; i < reps; i++) {
      time.single.push(build(c, files.single, repo(`single-t${i}`), 'b', packages(), { epoch, noCache: true }))
      gzipRepo = repo(`layered-t${i}`)
      time.layered.push(build(c, files.layered, gzipRepo, 'b', packages(), { epoch, noCache: true }))
      estargzRepo = repo(`estargz-t${i}`)
      time.estargz.push(build(c, files.layered, estargzRepo, 'b', packages(), { epoch, noCache: true, compression: 'estargz' }))
      log(`  layers rep ${i + 1}: single ${s(time.single[i]!)}, layered ${s(time.layered[i]!)}, estargz ${s(time.estargz[i]!)}`)
    }
    const compression = {
      gzip: { bytes: total(await layers(gzipRepo, 'b')), ms: time.layered },
      estargz: { bytes: total(await layers(estargzRepo, 'b')), ms: time.estargz },
    }
    // 2. Bumps and a re-solve, each against the first build of its template (same repository).
    const changes: LayersResult['changes'][number][] = []
    const cacheConfig: Partial<Record<Kind, number>> = {}
    const made: Partial<Record<Kind, string>> = {}
    for (const kind of ['single', 'layered', 'linked'] as const) {
      const r = repo(kind)
      made[kind] = r
      // no cache: the eStargz build above filled the cache with eStargz blobs that a cached v1 would reuse
      build(c, files[kind], r, 'v1', packages(), { epoch, noCache: true, cacheTo: true })
      const size = await cacheConfigSize(r)
      if (size !== undefined) cacheConfig[kind] = size
      const v1 = await layers(r, 'v1')
      const refreshMs = build(c, files[kind], r, 'refresh', packages(), { epoch: epoch + 5 * day, noCache: true })
      changes.push({
        template: kind,
        change: '`refresh: full` (no cache, 5 days later), same packages',
        newBytes: newBytes(await layers(r, 'refresh'), v1),
        wholeBytes: total(v1),
        buildMs: refreshMs,
      })
      for (const bump of BUMPS) {
        const buildMs = build(c, files[kind], r, `bump-${bump}`, packages(bump), { epoch: epoch + day, noCache: false })
        changes.push({ template: kind, change: `${bump} bumped`, newBytes: newBytes(await layers(r, `bump-${bump}`), v1), wholeBytes: total(v1), buildMs })
      }
      log(`  layers: ${kind} bumps and re-solve done`)
    }
    // Each bumped package against its own compressed size (its payload does not compress).
    const lr = made.layered!
    const v1 = await layers(lr, 'v1')
    const bumps: LayersResult['bumps'][number][] = []
    for (const bump of BUMPS) {
      const nb = newBytes(await layers(lr, `bump-${bump}`), v1)
      const own = payloadBytes(bump)
      bumps.push({ pkg: bump, own, newBytes: nb, limit: own + MiB, holds: nb <= own + MiB })
    }
    const refreshBytes = changes.find((x) => x.template === 'layered' && x.change.startsWith('`refresh'))!.newBytes
    // 3. The PACKAGE_LAYERS sweep: per value, a no-cache build (its time) and the bumps against it.
    const sweep: LayersResult['sweep'][number][] = []
    const sweepSkipped: number[] = []
    const sweepFailed: { layers: number; error: string }[] = []
    for (const n of SWEEP) {
      if (performance.now() - started > budgetMs) {
        sweepSkipped.push(n)
        continue
      }
      const r = repo(`sweep${n}`)
      try {
        const buildMs = build(c, files.layered, r, 'v1', packages(), { epoch, noCache: true, packageLayers: n, cacheTo: true })
        const config = await cacheConfigSize(r)
        const base = await layers(r, 'v1')
        const bumpBytes: Record<string, number> = {}
        for (const bump of BUMPS.slice(1)) {
          build(c, files.layered, r, `bump-${bump}`, packages(bump), { epoch: epoch + day, noCache: false, packageLayers: n })
          bumpBytes[bump] = newBytes(await layers(r, `bump-${bump}`), base)
        }
        sweep.push({ layers: n, buildMs, imageLayers: base.length, bumpBytes, ...(config !== undefined ? { cacheConfigBytes: config } : {}) })
      } catch (e) {
        // One value's failed build (a builder flake) is said, and the sweep goes on.
        const error = (e as Error).message.split('\n').filter(Boolean).pop() ?? 'failed'
        sweepFailed.push({ layers: n, error })
        log(`  layers: PACKAGE_LAYERS=${n} FAILED: ${error}`)
        continue
      }
      const { buildMs, imageLayers: count, bumpBytes } = sweep[sweep.length - 1]!
      log(`  layers: PACKAGE_LAYERS=${n}: ${s(buildMs)}, ${count} layers, bumps ${Object.values(bumpBytes).map(mib).join(' / ')}`)
    }
    const [tl, ts] = [median(time.layered), median(time.single)]
    return {
      reps,
      defaultLayers,
      wholeBytes: total(v1),
      changes,
      cacheConfig,
      bumps,
      refresh: { newBytes: refreshBytes, limit: MiB, holds: refreshBytes <= MiB },
      time: { singleMs: time.single, layeredMs: time.layered, ratio: tl / ts, limit: 1.1, holds: tl / ts <= 1.1 },
      compression,
      sweep,
      sweepSkipped,
      sweepFailed,
    }
  } finally {
    for (const r of repos) await removeRepo(r).catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
}

const s = (msv: number): string => `${(msv / 1000).toFixed(1)} s`
export const mib = (b: number): string => `${(b / MiB).toFixed(2)} MiB`

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const reps = Number(process.argv[process.argv.indexOf('--reps') + 1] || 3) || 3
  benchLayers(reps, (l) => process.stderr.write(`${l}\n`)).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).message}\n`)
      process.exit(1)
    },
  )
}
