// Package layers of the bundled template (templates/base.Dockerfile), built for real with
// BuildKit and pushed to the real registry, with the stand-in micromamba image (its packages
// have conda-meta records with `files` / `paths_data` and incompressible payloads, one of
// them files with odd names). What is proven, on the registry's layer digests:
//   - two builds of one environment, the second with no cache and a source date 5 days
//     later, share every layer but the unowned one (conda-meta/history is dated);
//   - a bumped package changes its own layer only (plus the unowned and manifest layers),
//     though the package layers above it are copied again (plain COPY steps, see the template);
//   - an added package changes no layer holding another package's files but its bucket;
//   - the image's tree under /opt/conda equals the one-layer copy of the same prefix.

import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { extract } from 'tar-stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../__fixtures__/action-runner.js'
import { pushStandin, type Standin } from '../__fixtures__/standin.js'
import { BUSYBOX, REGISTRY, epochOf, getManifest, imageLayers, removeLocalImages, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'
import { FIXED_LAYERS } from '../src/layers/package-layers.js'

const TEMPLATE = path.join(ROOT, 'templates', 'base.Dockerfile')
const LAYERS = 8

const ENV = (pkgs: string[]) => `name: t\ndependencies:\n${pkgs.map((p) => `  - ${p}\n`).join('')}  - pip:\n      - requests==2.32\n`
const BASE = ['python=3.12', 'numpy=2.1', 'big=3.0=standin_kib1024', 'odd-names=1.0', 'proj=9.4', 'six=1.16', 'tqdm=4.66', 'zlib=1.3']

interface Entry {
  readonly type: string
  readonly mode: number
  readonly uid: number
  readonly gid: number
  readonly link: string
  readonly sha: string
}

/** The entries of a tar stream: path → type, mode, owner, link target, content digest (no mtime). */
async function readTar(data: Buffer, keep: (name: string) => boolean): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>()
  const ex = extract()
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const hash = createHash('sha256')
      stream.on('data', (c: unknown) => hash.update(c as Buffer))
      stream.on('end', () => {
        const name = h.name.replace(/^\.\//, '').replace(/\/$/, '')
        if (keep(name)) {
          out.set(name, {
            type: h.type ?? '',
            mode: h.mode ?? 0,
            uid: h.uid ?? -1,
            gid: h.gid ?? -1,
            link: h.linkname ?? '',
            sha: h.type === 'file' ? hash.digest('hex') : '',
          })
        }
        next()
      })
      stream.resume()
    })
    ex.on('finish', resolve)
    ex.on('error', reject)
  })
  ex.end(data)
  await done
  return out
}

/** The file names of one layer blob. */
async function layerFiles(repo: string, digest: string): Promise<string[]> {
  const r = await fetch(`http://${REGISTRY}/v2/${repo}/blobs/${digest}`)
  if (!r.ok) throw new Error(`GET blob ${digest}: HTTP ${r.status}`)
  return [...(await readTar(gunzipSync(Buffer.from(await r.arrayBuffer())), () => true)).keys()]
}

/** The tree under /opt/conda of a local image (docker create + export). */
async function prefixTree(ref: string): Promise<Map<string, Entry>> {
  const id = execFileSync('docker', ['create', ref, 'x'], { encoding: 'utf8', timeout: 60_000 }).trim()
  try {
    const data = execFileSync('docker', ['export', id], { maxBuffer: 512 * 1024 * 1024, timeout: 120_000 })
    return await readTar(data, (n) => n === 'opt/conda' || n.startsWith('opt/conda/'))
  } finally {
    spawnSync('docker', ['rm', id])
  }
}

describe('package layers of the bundled template (stand-in micromamba, real BuildKit and registry)', () => {
  const repo = uniqueRepo('pkg-layers')
  let standin: Standin
  let dir: string
  let runtimeLayers: number

  function build(tag: string, pkgs: string[], opts: { epoch: string; noCache?: boolean; dockerfile?: string; target?: string; push?: boolean }): string {
    const ctx = path.join(dir, tag)
    mkdirSync(ctx, { recursive: true })
    writeFileSync(path.join(ctx, 'environment.yml'), ENV(pkgs))
    const ref = `${REGISTRY}/${repo}:${tag}`
    const args = ['buildx', 'build', opts.push === false ? '--load' : '--push', '--provenance=false', '-f', opts.dockerfile ?? TEMPLATE, '-t', ref]
    for (const a of [
      `MICROMAMBA_IMAGE=${standin.ref}`,
      `RUNTIME_IMAGE=${BUSYBOX}`,
      'ENVIRONMENT_FILE=environment.yml',
      `PACKAGE_LAYERS=${LAYERS}`,
      `SOURCE_DATE_EPOCH=${opts.epoch}`,
    ]) {
      args.push('--build-arg', a)
    }
    if (opts.noCache) args.push('--no-cache')
    if (opts.target) args.push('--target', opts.target)
    const r = spawnSync('docker', [...args, ctx], { encoding: 'utf8', timeout: 240_000 })
    if (r.status !== 0) throw new Error(`build failed:\n${r.stderr.slice(-3000)}`)
    return ref
  }

  /** Package layers (between the runtime image's and the fixed ones), the unowned layer and the manifest layer. */
  async function split(tag: string): Promise<{ all: string[]; packages: string[]; unowned: string; manifest: string }> {
    const all = await imageLayers(repo, tag)
    expect(all.length).toBe(runtimeLayers + LAYERS + FIXED_LAYERS)
    return { all, packages: all.slice(runtimeLayers, runtimeLayers + LAYERS), unowned: all[all.length - 3]!, manifest: all[all.length - 1]! }
  }

  /** The package layers whose files include a conda-meta record of `name`. */
  async function layerOf(tag: string, name: string): Promise<string[]> {
    const { packages } = await split(tag)
    const hits: string[] = []
    for (const d of new Set(packages)) {
      if ((await layerFiles(repo, d)).some((f) => f.startsWith(`opt/conda/conda-meta/${name}-`))) hits.push(d)
    }
    return hits
  }

  beforeAll(async () => {
    await requireStack()
    standin = pushStandin('pkg-layers-standin')
    dir = mkdtempSync(path.join(os.tmpdir(), 'pkg-layers-'))
    const bb = await getManifest('test/busybox', 'latest')
    runtimeLayers = (await imageLayers('test/busybox', bb!.digest)).length
    build('a1', BASE, { epoch: epochOf('2026-03-01') })
  }, 300_000)
  afterAll(async () => {
    await removeRepo(repo)
    if (standin) await removeRepo(standin.repo)
    removeLocalImages(`${REGISTRY}/${repo}`)
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('two builds days apart, the second with no cache at all, share every layer but the dated unowned one', async () => {
    build('a2', BASE, { epoch: epochOf('2026-03-06'), noCache: true })
    const [a1, a2] = [await split('a1'), await split('a2')]
    expect(a2.packages).toEqual(a1.packages)
    expect(a2.manifest).toBe(a1.manifest)
    expect(a2.all.filter((d, i) => d !== a1.all[i])).toEqual([a2.unowned])
    // the unowned layer holds conda-meta/history, pip's files and the runtime helpers, no package's
    const unowned = await layerFiles(repo, a2.unowned)
    expect(unowned).toEqual(expect.arrayContaining(['opt/conda/conda-meta/history', 'opt/conda/etc/conda-image-action/entrypoint', 'home/conda']))
    expect(unowned.filter((f) => /conda-meta\/.*\.json$|_data\.bin$/.test(f))).toEqual([])
  }, 300_000)

  it('each package is in one layer with its record; odd file names (space, quote, \\u00e9 in the record) go with their package', async () => {
    for (const name of ['python', 'numpy', 'big', 'proj', 'six', 'odd-names']) expect(await layerOf('a1', name)).toHaveLength(1)
    const [odd] = await layerOf('a1', 'odd-names')
    expect(await layerFiles(repo, odd!)).toEqual(expect.arrayContaining(['opt/conda/share/odd names/say "hi".txt', 'opt/conda/share/odd names/café.txt']))
  }, 120_000)

  it('a bumped package changes its own layer only (and the small unowned and manifest layers)', async () => {
    build(
      'bump',
      BASE.map((p) => (p === 'numpy=2.1' ? 'numpy=2.2' : p)),
      { epoch: epochOf('2026-03-02') },
    )
    const [a, b] = [await split('a1'), await split('bump')]
    const changed = b.packages.filter((d, i) => d !== a.packages[i])
    expect(changed).toEqual(await layerOf('bump', 'numpy'))
    expect(changed).toHaveLength(1)
    // numpy has a layer of its own below the buckets: the layers above it were copied again
    // onto the new one (plain COPY steps) and kept their digests
    expect(b.packages.indexOf(changed[0]!)).toBeLessThan(LAYERS - 1)
    expect(b.manifest).not.toBe(a.manifest)
  }, 300_000)

  it('an added package moves no other package: only the layer it joins changes', async () => {
    build('add', [...BASE, 'extra=1.0'], { epoch: epochOf('2026-03-02') })
    const [a, c] = [await split('a1'), await split('add')]
    const changed = c.packages.filter((d, i) => d !== a.packages[i])
    expect(changed).toEqual(await layerOf('add', 'extra'))
    expect(changed).toHaveLength(1)
  }, 300_000)

  it('the image tree under /opt/conda equals a one-layer copy of the same prefix (paths, types, modes, owners, link targets, content)', async () => {
    // The same template, plus a stage that copies the solve stage's prefix in one layer as the
    // template did before package layers; the solve step is cached, so the prefix is the same one.
    const single = path.join(dir, 'single.Dockerfile')
    const text = execFileSync('cat', [TEMPLATE], { encoding: 'utf8' })
    writeFileSync(single, `${text}\nFROM \${RUNTIME_IMAGE} AS single\nARG IMAGE_USER\nCOPY --from=solve --chown=\${IMAGE_USER} /opt/conda /opt/conda\n`)
    const one = build('single', BASE, { epoch: epochOf('2026-03-01'), dockerfile: single, target: 'single', push: false })
    const layered = build('layered', BASE, { epoch: epochOf('2026-03-01'), dockerfile: single, target: 'runtime', push: false })
    const [a, b] = [await prefixTree(one), await prefixTree(layered)]
    expect(a.size).toBeGreaterThan(50)
    // the size manifest, the SBOM and the lock are the template's own last layer, not part of the installed prefix
    for (const f of ['sizes.json', 'sbom.cdx.json', 'explicit.txt', 'requirements.lock.txt'])
      expect(b.delete(`opt/conda/etc/conda-image-action/${f}`), f).toBe(true)
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort())
    for (const [name, entry] of a) expect({ name, ...b.get(name) }).toEqual({ name, ...entry })
    expect(a.get('opt/conda/lib/libnumpy.so')).toMatchObject({ type: 'symlink', link: 'libnumpy.so.2.1' })
  }, 300_000)
})
