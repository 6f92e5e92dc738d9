// vitest globalSetup of the e2e project: makes sure the real stack is there before any
// end-to-end test runs, so `npm test` works on a fresh machine.
//
// - The stack already up (registry with the seeded busybox, Docker with buildx, the tools
//   the tests start): nothing to do.
// - `E2E_STACK=provided`: the job brought its own stack (the GitHub workflow: a `registry:2`
//   service, a Docker engine with the containerd image store, the runner's buildx); it is
//   checked, never installed.
// - Otherwise, as root: `scripts/stack-up.sh` installs and starts what is missing.
// - Otherwise: fails with what is missing and how to bring it up.
import { execFileSync, spawnSync } from 'node:child_process'
import { statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const REGISTRY = process.env.E2E_REGISTRY ?? '127.0.0.1:5000'
/** Programs the e2e tests run besides docker (extra registries, Basic auth, a second client). */
const TOOLS = ['docker-registry', 'skopeo', 'htpasswd', 'openssl']
const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'

const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0

/** What is missing from the stack, one line each; empty when it is up. */
export async function stackProblems(): Promise<string[]> {
  const problems: string[] = []
  try {
    const r = await fetch(`http://${REGISTRY}/v2/test/busybox/manifests/latest`, { headers: { Accept: ACCEPT }, signal: AbortSignal.timeout(5000) })
    if (!r.ok) problems.push(`the registry at ${REGISTRY} has no test/busybox:latest (HTTP ${r.status})`)
  } catch (e) {
    problems.push(`the registry at ${REGISTRY} is not reachable (${e instanceof Error ? e.message : String(e)})`)
  }
  const server = spawnSync('docker', ['version', '-f', '{{.Server.Version}}'], { encoding: 'utf8', timeout: 30_000 })
  const info = spawnSync('docker', ['info', '-f', '{{.DriverStatus}}'], { encoding: 'utf8', timeout: 30_000 })
  if (server.status !== 0) problems.push(`the Docker engine is not reachable: ${(server.stderr || server.error?.message || '').trim().split('\n').pop()}`)
  else if (!info.stdout.includes('io.containerd.snapshotter'))
    problems.push('the Docker engine does not use the containerd image store (features.containerd-snapshotter)')
  if (spawnSync('docker', ['buildx', 'version'], { stdio: 'ignore', timeout: 30_000 }).status !== 0) problems.push('docker buildx is not usable')
  const missing = TOOLS.filter((t) => !onPath(t))
  if (missing.length) problems.push(`not on PATH: ${missing.join(', ')}`)
  return problems
}

export default async function setup(): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url))
  let problems = await stackProblems()
  if (problems.length && process.env.E2E_STACK !== 'provided' && process.getuid?.() === 0) {
    execFileSync('bash', [path.join(root, 'scripts', 'stack-up.sh')], { stdio: 'inherit', timeout: 900_000 })
    problems = await stackProblems()
  }
  if (problems.length) {
    const how =
      process.env.E2E_STACK === 'provided'
        ? 'E2E_STACK=provided says the job brings the stack: set it up before the tests (see .github/workflows/ci.yml, job e2e)'
        : 'run `sudo npm run stack` (scripts/stack-up.sh installs and starts it), or run the tests as root'
    throw new Error(`The end-to-end tests need the real stack:\n  - ${problems.join('\n  - ')}\n${how}. The unit tier needs none of it: npm run test:unit`)
  }
  const dist = statSync(path.join(root, 'dist', 'index.js'), { throwIfNoEntry: false })
  if (!dist) throw new Error('dist/index.js is missing: run `npm run bundle`')
}
