// A rebuild of the same commit on a fresh runner is the same image: with no SOURCE_DATE_EPOCH
// set, the action takes the commit time of HEAD for the `created` label and BuildKit's
// SOURCE_DATE_EPOCH, so three builds of one commit (build cache pruned before each, files
// touched as a fresh checkout would) give one digest, and the registry gets no new layer.
// A loopback front before the registry counts what BuildKit writes.

import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ROOT, runAction, succeeded, type ActionResult } from '../__fixtures__/action-runner.js'
import { registryFront, type RegistryFront } from '../__fixtures__/registry-front.js'
import { REGISTRY, getManifest, pruneBuildCache, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'

const repo = uniqueRepo('repro')
const COMMIT_TIME = 1_763_900_000 // 2025-11-23T12:13:20Z
let front: RegistryFront | undefined
let frontAddr: string
let ws: string
/** Writes seen by the front during the current run: `METHOD kind` (blob upload, manifest PUT by tag). */
let writes: string[] = []

function touchAll(dir: string, when: Date): void {
  for (const e of readdirSync(dir)) {
    if (e === '.git') continue
    const p = path.join(dir, e)
    if (statSync(p).isDirectory()) touchAll(p, when)
    utimesSync(p, when, when)
  }
}

beforeAll(async () => {
  await requireStack()
  ws = mkdtempSync(path.join(os.tmpdir(), 'ws-repro-'))
  cpSync(path.join(ROOT, 'examples', 'quickstart'), ws, { recursive: true })
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@e',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@e',
    GIT_AUTHOR_DATE: `@${COMMIT_TIME} +0000`,
    GIT_COMMITTER_DATE: `@${COMMIT_TIME} +0000`,
  }
  execFileSync('git', ['init', '-q'], { cwd: ws, env })
  execFileSync('git', ['add', '.'], { cwd: ws, env })
  execFileSync('git', ['commit', '-qm', 'one commit'], { cwd: ws, env })
  front = await registryFront((r) => {
    // A blob upload started by BuildKit (the rest of it goes to the Location the registry
    // answers, past this front). The action's own push check also starts one and cancels
    // it, storing nothing: told apart by its user agent.
    if (r.method === 'POST' && !r.fromAction && /\/blobs\/uploads\/$/.test(r.path)) writes.push('POST blob-upload')
    const tag = /\/manifests\/([^/?]+)$/.exec(r.path)?.[1]
    if (r.method === 'PUT' && tag) writes.push(`PUT manifest ${tag.startsWith('sha256:') ? 'by-digest' : tag}`)
    return undefined
  })
  frontAddr = front.addr
})

afterAll(async () => {
  await front?.close()
  await removeRepo(repo)
  if (ws) rmSync(ws, { recursive: true, force: true })
})

it('three builds of one commit on fresh builders give one digest and push no new layer', async () => {
  const inputs = { image: `${frontAddr}/${repo}`, 'base-dockerfile': 'base.Dockerfile', dockerfile: 'Dockerfile', tags: 'sha-0123456' }
  const runs: { r: ActionResult; writes: string[] }[] = []
  for (let i = 0; i < 3; i++) {
    // A fresh runner: no local build cache, a new checkout (new file times), the same commit.
    pruneBuildCache()
    touchAll(ws, new Date(Date.now() + i * 1000))
    writes = []
    const r = succeeded(await runAction(inputs, { cwd: ws, env: { SOURCE_DATE_EPOCH: undefined } }))
    runs.push({ r, writes })
  }
  const [first, second, third] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0]]
  expect(first.r.stdout).toContain(`Source date ${new Date(COMMIT_TIME * 1000).toISOString()} (from commit)`)
  // The first run built the base (today's tag, from the clock) and the application.
  expect(first.r.outputs['base-reused']).toBe('false')
  expect(first.writes.filter((w) => w === 'POST blob-upload').length).toBeGreaterThan(0)
  const digest = first.r.outputs.digest
  expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
  for (const later of [second, third]) {
    expect(later.r.outputs['base-reused']).toBe('true')
    expect(later.r.outputs['base-tag']).toBe(first.r.outputs['base-tag'])
    expect(later.r.outputs.digest).toBe(digest)
    expect(Number(later.r.outputs['cached-steps'])).toBe(Number(later.r.outputs['total-steps']))
    // Nothing new stored: no layer uploaded, no image manifest written. At most the build cache's
    // manifest is re-stated, with its config blob: BuildKit's cache config carries each cached
    // layer's creation time, which an export after a cache import may restate — one blob per
    // re-stated cache manifest, never a layer (the image's digest above is the first run's).
    const restated = later.writes.filter((w) => /^PUT manifest buildcache/.test(w)).length
    expect(later.writes.filter((w) => w === 'POST blob-upload').length).toBeLessThanOrEqual(restated)
    expect(later.writes.filter((w) => /^PUT manifest (sha-|base-)/.test(w))).toEqual([])
    expect(later.r.summary).toContain('unchanged (same digest as')
  }
  expect((await getManifest(repo, 'sha-0123456'))!.digest).toBe(digest)
  // The created label is the commit time, not the time of the run.
  const m = (await getManifest(repo, 'sha-0123456'))!
  const cfg = m.body.config
  expect(cfg).toBeDefined()
  const blob = await fetch(`http://${REGISTRY}/v2/${repo}/blobs/${cfg!.digest}`)
  const config = (await blob.json()) as { created?: string; config: { Labels: Record<string, string> } }
  expect(config.config.Labels['org.opencontainers.image.created']).toBe(new Date(COMMIT_TIME * 1000).toISOString())
  expect(config.created).toBe(new Date(COMMIT_TIME * 1000).toISOString().replace('.000Z', 'Z'))
})
