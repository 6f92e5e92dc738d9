// Another runner, for real: a second, independent Docker engine (engine B, started by
// scripts/engine-b.sh with its own containerd, dockerd, data roots, image store and
// BuildKit) next to the shared engine A. Only the registry on 127.0.0.1:5000 is shared
// between them, as between two CI runners.

import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction, succeeded, type ActionResult } from '../__fixtures__/action-runner.js'
import { REGISTRY, compressedSize, epochOf, getManifest, listTags, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'

const ENGINE_B = path.join(ROOT, 'scripts', 'engine-b.sh')
const ENGINE_A_HOST = 'unix:///var/run/docker.sock'
const EXAMPLE = path.join(ROOT, 'examples', 'quickstart')

let engineB = ''

/** `docker` against one engine; the exit code and output. */
function dockerOn(host: string, args: string[]): { code: number; out: string } {
  const r = spawnSync('docker', ['-H', host, ...args], { encoding: 'utf8', timeout: 60_000 })
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` }
}

function hasImage(host: string, ref: string): boolean {
  return dockerOn(host, ['image', 'inspect', ref]).code === 0
}

function workspace(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ws-engines-'))
  cpSync(EXAMPLE, dir, { recursive: true })
  return dir
}

beforeAll(async () => {
  await requireStack()
  // A fresh engine B: no image, no build cache of anything but the busybox test base.
  execFileSync('bash', [ENGINE_B, 'down', '--purge'], { stdio: 'inherit', timeout: 120_000 })
  engineB = execFileSync('bash', [ENGINE_B, 'up'], { encoding: 'utf8', timeout: 180_000 }).trim()
  expect(engineB).toMatch(/^unix:\/\/\//)
  expect(engineB).not.toBe(ENGINE_A_HOST)
})

afterAll(() => {
  execFileSync('bash', [ENGINE_B, 'down', '--purge'], { stdio: 'inherit', timeout: 120_000 })
})

describe('engine B is independent of engine A', () => {
  it('has its own image store and its own BuildKit', () => {
    const a = dockerOn(ENGINE_A_HOST, ['info', '--format', '{{.ID}} {{.DockerRootDir}}'])
    const b = dockerOn(engineB, ['info', '--format', '{{.ID}} {{.DockerRootDir}}'])
    expect(a.code).toBe(0)
    expect(b.code).toBe(0)
    expect(b.out.trim()).not.toBe(a.out.trim())
    expect(dockerOn(engineB, ['info', '--format', '{{json .DriverStatus}}']).out).toContain('io.containerd.snapshotter')
  })
})

describe('a base built on engine A is reused on engine B with only the registry shared', () => {
  const repo = uniqueRepo('engines')
  const image = `${REGISTRY}/${repo}`
  const inputs = { image, 'base-dockerfile': 'base.Dockerfile', dockerfile: 'Dockerfile' }
  const env = { SOURCE_DATE_EPOCH: epochOf('2026-11-20') }
  let ws: string
  let onA: ActionResult
  let onB: ActionResult

  beforeAll(async () => {
    ws = workspace()
    onA = await runAction({ ...inputs, tags: `${image}:on-a` }, { cwd: ws, env: { ...env, DOCKER_HOST: ENGINE_A_HOST } })
    onB = await runAction({ ...inputs, tags: `${image}:on-b` }, { cwd: ws, env: { ...env, DOCKER_HOST: engineB } })
  })
  afterAll(async () => {
    await removeRepo(repo)
    rmSync(ws, { recursive: true, force: true })
  })

  it('engine A builds the base and the application and exports both registry caches', async () => {
    succeeded(onA)
    expect(onA.outputs['base-reused']).toBe('false')
    expect(await listTags(repo)).toEqual(expect.arrayContaining(['buildcache', 'buildcache-app', onA.outputs['base-tag']!, 'on-a']))
  })

  it('engine B reuses that base (no base build) and takes every application step from the registry cache', async () => {
    succeeded(onB)
    expect(onB.outputs['base-tag']).toBe(onA.outputs['base-tag'])
    expect(onB.outputs['base-reused']).toBe('true')
    expect(onB.outputs['base-image']).toBe(onA.outputs['base-image'])
    const total = Number(onB.outputs['total-steps'])
    expect(total).toBeGreaterThan(0)
    expect(Number(onB.outputs['cached-steps'])).toBe(total)
    // The application image of B is the one in the registry, built by B and never by A.
    const m = await getManifest(repo, 'on-b')
    expect(onB.outputs.digest).toBe(m!.digest)
    expect(hasImage(engineB, `${image}:on-b`)).toBe(true)
    expect(hasImage(ENGINE_A_HOST, `${image}:on-b`)).toBe(false)
    // B never built the base: its engine only pulled what the application build needed.
    expect(hasImage(engineB, `${image}:${onA.outputs['base-tag']}`)).toBe(false)
  })
})

describe('the builder input names a builder that lives on engine B', () => {
  const repo = uniqueRepo('builder-b')
  const image = `${REGISTRY}/${repo}`
  const context = `engine-b-${randomBytes(4).toString('hex')}`
  let ws: string
  let dockerConfig: string
  let r: ActionResult

  beforeAll(async () => {
    ws = workspace()
    // A Docker context for engine B in a Docker config of this test only; buildx lists every
    // context as a builder of the docker driver. DOCKER_HOST stays engine A.
    dockerConfig = mkdtempSync(path.join(os.tmpdir(), 'docker-config-'))
    execFileSync('docker', ['context', 'create', context, '--docker', `host=${engineB}`], {
      env: { ...process.env, DOCKER_CONFIG: dockerConfig },
      stdio: 'ignore',
    })
    r = await runAction(
      { image, 'base-dockerfile': 'base.Dockerfile', dockerfile: 'Dockerfile', tags: `${image}:app`, builder: context },
      { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-21'), DOCKER_HOST: ENGINE_A_HOST, DOCKER_CONFIG: dockerConfig } },
    )
  })
  afterAll(async () => {
    await removeRepo(repo)
    rmSync(ws, { recursive: true, force: true })
    rmSync(dockerConfig, { recursive: true, force: true })
  })

  it('builds the base and the application on engine B and pushes them', () => {
    succeeded(r)
    expect(r.stdout).toMatch(new RegExp(`Builder: ${context} \\(docker driver(, BuildKit [^)]*)?\\)`))
    const baseTag = r.outputs['base-tag']!
    expect(r.outputs['base-reused']).toBe('false')
    for (const ref of [`${image}:${baseTag}`, `${image}:app`]) {
      expect(hasImage(engineB, ref)).toBe(true)
      expect(hasImage(ENGINE_A_HOST, ref)).toBe(false)
    }
  })

  it('reads digests and sizes from the registry', async () => {
    const app = await getManifest(repo, 'app')
    const base = await getManifest(repo, r.outputs['base-tag']!)
    expect(r.outputs.digest).toBe(app!.digest)
    expect(r.outputs.image).toBe(`${image}:app@${app!.digest}`)
    expect(r.outputs['base-image']).toBe(`${image}:${r.outputs['base-tag']}@${base!.digest}`)
    expect(Number(r.outputs['image-size'])).toBe(await compressedSize(repo, 'app'))
  })
})
