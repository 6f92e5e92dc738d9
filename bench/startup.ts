// Figure 4: startup — bundle size, node's own start, time to the first output line of
// `node dist/index.js`, and a CPU profile of one short run (what dominates: module load or
// work).

import { readdirSync, statSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { distPath, failureText, runAction, spawnTimed, type ActionRunOptions } from './lib/action.js'
import { tempDir } from './lib/fixtures.js'
import { findProfile, summarizeProfile, type ProfileSummary } from './lib/profile.js'
import { REGISTRY } from './lib/registry.js'
import { median } from './lib/stats.js'

export interface StartupResult {
  /** `dist/index.js` and the chunks it loads at start (not the lazily loaded ones). */
  bundleBytes: number
  bundleGzipBytes: number
  /** The files of bundleBytes. */
  startFiles?: string[]
  distFiles: number
  distBytes: number
  nodeBareMs: number
  /** `node dist/index.js` with no inputs at all: load, then fail on the missing input. */
  noInputsMs: number
  noInputsFirstLineMs: number
  /** In-process `await import(dist/index.js)` with no inputs (load + evaluate + fail). */
  importMs: number
  /** The reuse run (10-tag repository): first line and wall time. */
  reuseFirstLineMs: number
  reuseWallMs: number
  profile?: ProfileSummary
  profileOf?: string
  /** One GET to the registry in a fresh node process, by HTTP client: wall and exit delay. */
  httpClients: { client: string; wallMs: number; exitDelayMs: number }[]
}

const GET = `http://${REGISTRY}/v2/`
const HTTP_CLIENTS: { client: string; flags: string[]; code: string }[] = [
  { client: 'nothing (node -e)', flags: [], code: '' },
  { client: 'global fetch (undici)', flags: [], code: `const r = await fetch('${GET}'); await r.text();` },
  { client: 'global fetch, node --liftoff-only', flags: ['--liftoff-only'], code: `const r = await fetch('${GET}'); await r.text();` },
  {
    client: 'node:http',
    flags: [],
    code: `import http from 'node:http'; await new Promise((res) => http.get('${GET}', (r) => { r.resume(); r.on('end', res) }));`,
  },
]

/**
 * Why a short run pays for its first fetch: undici compiles its llhttp WebAssembly parser,
 * and V8 finishes the optimizing (TurboFan) compile of it before the process may exit.
 */
async function httpClientCost(reps: number, cwd: string, env: Record<string, string>): Promise<StartupResult['httpClients']> {
  const out: StartupResult['httpClients'] = []
  for (const c of HTTP_CLIENTS) {
    const wall: number[] = []
    const tail: number[] = []
    for (let i = 0; i <= reps; i++) {
      const r = await spawnTimed(process.execPath, [...c.flags, '--input-type=module', '-e', `${c.code} console.log('done')`], cwd, env, 30_000)
      if (r.code !== 0) throw new Error(`${c.client}: exit ${r.code} ${r.stderr.slice(0, 300)}`)
      if (i === 0) continue
      wall.push(r.wallMs)
      tail.push(r.wallMs - r.firstLineMs)
    }
    out.push({ client: c.client, wallMs: median(wall), exitDelayMs: median(tail) })
  }
  return out
}

function dirBytes(d: string): { files: number; bytes: number } {
  let files = 0
  let bytes = 0
  for (const e of readdirSync(d, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue
    files++
    bytes += statSync(path.join(e.parentPath ?? d, e.name)).size
  }
  return { files, bytes }
}

export async function benchStartup(reps: number, reuse: ActionRunOptions | undefined, log: (s: string) => void): Promise<StartupResult> {
  const DIST = distPath()
  // The entry loads the rest of the action with import(): ncc names those chunks in `__nccwpck_require__.e(<id>)` calls.
  const entry = readFileSync(DIST)
  const chunks = [...new Set([...entry.toString('utf8').matchAll(/__nccwpck_require__\.e\((\d+)\)/g)].map((m) => `${m[1]}.index.js`))]
  const startFiles = ['index.js', ...chunks]
  const bundle = Buffer.concat([entry, ...chunks.map((c) => readFileSync(path.join(path.dirname(DIST), c)))])
  const dist = dirBytes(path.dirname(DIST))
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' }
  const tmp = tempDir('startup')
  const bare: number[] = []
  const noInputs: number[] = []
  const noInputsFirst: number[] = []
  const imports: number[] = []
  const importer = path.join(tmp, 'import.mjs')
  writeFileSync(
    importer,
    `const t = performance.now()\ntry { await import(${JSON.stringify(DIST)}) } catch {}\nprocess.stderr.write('BENCH_IMPORT_MS ' + (performance.now() - t) + '\\n')\n`,
  )
  for (let i = 0; i <= reps; i++) {
    const b = await spawnTimed(process.execPath, ['-e', '0'], tmp, env, 30_000)
    const n = await spawnTimed(process.execPath, [DIST], tmp, env, 30_000)
    const im = await spawnTimed(process.execPath, [importer], tmp, env, 30_000)
    if (i === 0) continue // warm-up: page cache
    bare.push(b.wallMs)
    noInputs.push(n.wallMs)
    noInputsFirst.push(n.firstLineMs)
    const m = /BENCH_IMPORT_MS (\S+)/.exec(im.stderr)
    if (m) imports.push(Number(m[1]))
  }
  const r: StartupResult = {
    bundleBytes: bundle.length,
    bundleGzipBytes: gzipSync(bundle).length,
    startFiles,
    distFiles: dist.files,
    distBytes: dist.bytes,
    nodeBareMs: median(bare),
    noInputsMs: median(noInputs),
    noInputsFirstLineMs: median(noInputsFirst),
    importMs: median(imports),
    reuseFirstLineMs: NaN,
    reuseWallMs: NaN,
    httpClients: await httpClientCost(Math.max(5, reps), tmp, env),
  }
  log(`  bundle ${bundle.length} B; node -e 0 ${r.nodeBareMs.toFixed(0)} ms; no inputs ${r.noInputsMs.toFixed(0)} ms; import ${r.importMs.toFixed(0)} ms`)
  if (reuse) {
    const first: number[] = []
    const wall: number[] = []
    for (let i = 0; i <= reps; i++) {
      const run = await runAction(reuse)
      if (run.code !== 0 || run.outputs['base-reused'] !== 'true') throw new Error(`the reuse run did not reuse (exit ${run.code}):\n${failureText(run)}`)
      if (i === 0) continue
      first.push(run.firstLineMs)
      wall.push(run.wallMs)
    }
    r.reuseFirstLineMs = median(first)
    r.reuseWallMs = median(wall)
    const profDir = tempDir('cpuprof')
    const prof = await runAction({ ...reuse, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=250'] })
    if (prof.code !== 0 || prof.outputs['base-reused'] !== 'true') throw new Error(`the profiled reuse run did not reuse:\n${failureText(prof)}`)
    r.profile = summarizeProfile(findProfile(profDir))
    r.profileOf = 'reuse run, 10-tag repository'
    log(`  reuse (10 tags): first line ${r.reuseFirstLineMs.toFixed(0)} ms, wall ${r.reuseWallMs.toFixed(0)} ms`)
  }
  return r
}
