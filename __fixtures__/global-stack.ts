// vitest globalSetup of the e2e project: brings the real stack up (idempotent, quick when
// it is already running), so `npm test` works on a fresh machine.
import { execFileSync } from 'node:child_process'
import { statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url))
  execFileSync('bash', [path.join(root, 'scripts', 'stack-up.sh')], { stdio: 'inherit', timeout: 900_000 })
  const dist = statSync(path.join(root, 'dist', 'index.js'), { throwIfNoEntry: false })
  if (!dist) throw new Error('dist/index.js is missing: run `npm run bundle`')
}
