// Benchmark of src/hash: fingerprint of a 2,000-dependency environment whose pip section
// references a 500-line requirements file (and a nested one). Prints medians in ms.
//
//   node --experimental-strip-types bench/hash.bench.ts   (Node ≥ 22.6)
//   npx tsx bench/hash.bench.ts                           (any Node, e.g. 20)
//
// Target: well under 50 ms per fingerprint. Not a test: timings are only printed.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { register } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

// src/ imports its siblings as `./x.js` (NodeNext); under plain type stripping those files are
// `.ts`, so retry a failed relative `.js` resolution with `.ts`.
const hook = `export async function resolve(s, c, next) {
  try { return await next(s, c) } catch (e) {
    if (/^\\.{1,2}\\//.test(s) && s.endsWith('.js')) return next(s.slice(0, -3) + '.ts', c)
    throw e
  }
}`
register(`data:text/javascript,${encodeURIComponent(hook)}`, import.meta.url)

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
interface Api {
  fingerprint: (input: {
    environmentFile: string
    workspace: string
    baseDockerfile: { content: string }
    buildArgs: string[]
    platforms: string[]
  }) => Promise<{ hash: string; json: string; files: string[] }>
}
const modUrl = pathToFileURL(path.join(root, 'src', 'hash', 'index.ts')).href
const { fingerprint } = (await import(modUrl)) as Api

const DEPS = 2000
const REQ_LINES = 500
const dir = mkdtempSync(path.join(os.tmpdir(), 'hash-bench-'))
const ops = ['=1.2', '==2.0.1', '>=0.9,<2', ' 3.1', '', '=1.*=*_cpython']
const deps = Array.from(
  { length: DEPS },
  (_, i) => `  - ${i % 19 === 0 ? 'conda-forge::' : ''}package-${i}${ops[i % ops.length]}${i % 13 === 0 ? '  # pinned' : ''}`,
)
writeFileSync(
  path.join(dir, 'environment.yml'),
  `name: bench\nchannels:\n  - conda-forge\n  - bioconda\ndependencies:\n${deps.join('\n')}\n  - pip\n  - pip:\n      - rich>=13\n      - -r requirements.txt\nvariables:\n  OMP_NUM_THREADS: "1"\n`,
)
writeFileSync(
  path.join(dir, 'requirements.txt'),
  ['# pinned', '-c constraints.txt', ...Array.from({ length: REQ_LINES - 2 }, (_, i) => `pypkg-${i}==1.${i % 40}.${i % 7}`)].join('\n') + '\n',
)
writeFileSync(path.join(dir, 'constraints.txt'), 'pypkg-1<2\n')
const dockerfile = readFileSync(path.join(root, 'templates', 'base.Dockerfile'), 'utf8')
const input = { environmentFile: path.join(dir, 'environment.yml'), workspace: dir, baseDockerfile: { content: dockerfile }, buildArgs: [], platforms: [] }

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
try {
  const t0 = performance.now()
  const first = await fingerprint(input)
  const firstMs = performance.now() - t0
  const times: number[] = []
  for (let i = 0; i < 40; i++) {
    const t = performance.now()
    await fingerprint(input)
    times.push(performance.now() - t)
  }
  const multi = { ...input, platforms: ['linux/amd64', 'linux/arm64'] }
  const timesMulti: number[] = []
  for (let i = 0; i < 20; i++) {
    const t = performance.now()
    await fingerprint(multi)
    timesMulti.push(performance.now() - t)
  }
  console.log(
    `hash ${DEPS} deps + ${REQ_LINES}-line requirements file (${first.files.length} files, label ${(Buffer.byteLength(first.json) / 1024).toFixed(1)} KiB)`,
  )
  console.log(`  first run        ${firstMs.toFixed(2)} ms`)
  console.log(`  median (1 plat.) ${median(times).toFixed(2)} ms over ${times.length}`)
  console.log(`  median (2 plat.) ${median(timesMulti).toFixed(2)} ms over ${timesMulti.length}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
