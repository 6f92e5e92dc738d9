// Temporary fixtures derived from examples/quickstart.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const QUICKSTART = path.join(ROOT, 'examples', 'quickstart')

const temps: string[] = []

export function tempDir(kind: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), `bench-${kind}-`))
  temps.push(d)
  return d
}

export function cleanupTemps(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true })
}

/** A copy of examples/quickstart (environment.yml, requirements.txt, base.Dockerfile, Dockerfile, app/). */
export function quickstartCopy(kind: string): string {
  const d = tempDir(kind)
  cpSync(QUICKSTART, d, { recursive: true })
  return d
}

export const SLOW_ENV_SECONDS = Number(process.env.BENCH_SLOW_ENV_SECONDS ?? 20)

/**
 * A copy of examples/quickstart whose environment step is deliberately slow: the base
 * Dockerfile sleeps in the step that depends on the environment file, standing in for the
 * minutes a real `micromamba install` spends solving and downloading.
 */
export function slowFixture(nonce: string): string {
  const d = quickstartCopy('slow')
  const base = readFileSync(path.join(d, 'base.Dockerfile'), 'utf8')
  const header = [
    '# BENCHMARK FIXTURE (bench/lib/fixtures.ts): the quickstart stand-in base, with the',
    `# environment step made deliberately slow (sleep ${SLOW_ENV_SECONDS}). The sleep stands in for the conda`,
    '# install (solve + download + link) of a real environment, which is what a reused base saves.',
    '',
  ].join('\n')
  const marker = 'RUN cd /tmp/env \\\n'
  if (!base.includes(marker)) throw new Error('examples/quickstart/base.Dockerfile changed: cannot find its environment step')
  const slow = base.replace(marker, `RUN cd /tmp/env \\\n && sleep ${SLOW_ENV_SECONDS} \\\n`)
  writeFileSync(path.join(d, 'base.Dockerfile'), header + slow)
  // A spec of its own: a new environment (hash, base tag, environment layer) per repetition.
  const env = readFileSync(path.join(d, 'environment.yml'), 'utf8')
  writeFileSync(path.join(d, 'environment.yml'), env.replace('  - pip\n', `  - pip\n  - bench-nonce=${nonce}\n`))
  return d
}

/** A code-only change of the application. */
export function touchCode(dir: string, nonce: string): void {
  const f = path.join(dir, 'app', 'main.py')
  writeFileSync(f, `${readFileSync(f, 'utf8')}\n# code change ${nonce}\n`)
}
