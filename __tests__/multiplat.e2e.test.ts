// A matrix of native runners, end to end: one job per platform (`build-platforms`), then a
// `mode: merge` job that assembles the multi-platform base and application tags; the next
// day both jobs reuse the merged base.
//
// How arm64 is tested here: this machine has no arm64 CPU and no emulation. The FROM image
// is a two-platform busybox index (__fixtures__/multiplat.ts) whose arm64 entry carries the
// same files under an arm64 config, and both Dockerfiles have no RUN step (FROM, COPY, ENV),
// so BuildKit builds linux/arm64 without executing anything. Both "jobs" run on this engine.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, succeeded, type ActionResult } from '../__fixtures__/action-runner.js'
import { pushTwoPlatformBusybox } from '../__fixtures__/multiplat.js'
import { OCI_INDEX, OCI_MANIFEST, Seeder } from '../__fixtures__/registry-procs.js'
import { REGISTRY, epochOf, getManifest, listTags, removeRepo, requireStack, uniqueRepo, type Manifest } from '../__fixtures__/stack.js'

const AMD = 'linux/amd64'
const ARM = 'linux/arm64'
const repo = uniqueRepo('matrix')
const fromRepo = `${repo}-busybox`
const image = `${REGISTRY}/${repo}`
let ws: string
let inputs: Record<string, string>

const DAY1 = { SOURCE_DATE_EPOCH: epochOf('2026-11-20') }
const DAY2 = { SOURCE_DATE_EPOCH: epochOf('2026-11-21') }

function job(platform: string, tag: string, env: Record<string, string>, extra: Record<string, string> = {}): Promise<ActionResult> {
  return runAction({ ...inputs, 'build-platforms': platform, tags: `${image}:${tag}`, ...extra }, { cwd: ws, env })
}
function merge(tag: string, env: Record<string, string>): Promise<ActionResult> {
  return runAction({ ...inputs, mode: 'merge', tags: `${image}:${tag}` }, { cwd: ws, env })
}

/** Image platforms of a tag (attestation manifests left out), read from the registry. */
async function platformsOf(tag: string): Promise<string[]> {
  const m = (await getManifest(repo, tag)) as Manifest
  expect(m, `${repo}:${tag}`).toBeDefined()
  if (!m.body.manifests) {
    const cfg = (await (await fetch(`http://${REGISTRY}/v2/${repo}/blobs/${m.body.config!.digest}`)).json()) as { os: string; architecture: string }
    return [`${cfg.os}/${cfg.architecture}`]
  }
  return m.body.manifests
    .filter((d) => d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')
    .map((d) => `${d.platform!.os}/${d.platform!.architecture}`)
    .sort()
}

/** Layers of one platform of an index (or of a plain manifest). */
async function layersOf(tag: string, platform: string): Promise<string[]> {
  const m = (await getManifest(repo, tag))!
  const d = m.body.manifests ? m.body.manifests.find((x) => `${x.platform?.os}/${x.platform?.architecture}` === platform)!.digest : tag
  return ((await getManifest(repo, d))!.body.layers ?? []).map((l) => l.digest)
}

beforeAll(async () => {
  await requireStack()
  const from = await pushTwoPlatformBusybox(fromRepo)
  ws = mkdtempSync(path.join(os.tmpdir(), 'ws-matrix-'))
  writeFileSync(path.join(ws, 'environment.yml'), 'name: matrix\nchannels: [conda-forge]\ndependencies: [python=3.12, numpy]\n')
  // No RUN steps: see the header.
  writeFileSync(
    path.join(ws, 'base.Dockerfile'),
    'ARG BASE_FROM\nFROM ${BASE_FROM}\nARG ENVIRONMENT_FILE=environment.yml\nCOPY ${ENVIRONMENT_FILE} /opt/conda/environment.yml\nENV CONDA_PREFIX=/opt/conda\n',
  )
  writeFileSync(path.join(ws, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY app.txt /app/app.txt\n')
  writeFileSync(path.join(ws, 'app.txt'), 'the application\n')
  inputs = {
    image,
    platforms: `${AMD},${ARM}`,
    'base-dockerfile': 'base.Dockerfile',
    'base-build-args': `BASE_FROM=${from}`,
    dockerfile: 'Dockerfile',
  }
})
afterAll(async () => {
  await removeRepo(repo)
  await removeRepo(fromRepo)
  rmSync(ws, { recursive: true, force: true })
})

describe('day 1: one job per platform, then the merge', () => {
  let amd: ActionResult
  let arm: ActionResult
  let early: ActionResult
  let merged: ActionResult
  let dated = ''
  let beforeMerge: string[] = []

  beforeAll(async () => {
    amd = await job(AMD, 'sha-1', DAY1)
    dated = amd.outputs['base-tag']!.replace(/_linux_amd64$/, '')
    early = await merge('sha-1', DAY1) // before the arm64 job: fails
    arm = await job(ARM, 'sha-1', DAY1)
    beforeMerge = await listTags(repo)
    merged = await merge('sha-1', DAY1)
  })

  it('the amd64 job pushes only amd64 images, under per-platform tags', async () => {
    succeeded(amd)
    expect(amd.outputs['base-reused']).toBe('false')
    expect(amd.outputs['base-tag']).toBe(`${dated}_linux_amd64`)
    expect(dated).toMatch(/^base-[0-9a-f]{12}-20261120$/)
    expect(await platformsOf(`${dated}_linux_amd64`)).toEqual([AMD])
    expect(await platformsOf('sha-1_linux_amd64')).toEqual([AMD])
    expect(amd.outputs.image).toMatch(new RegExp(`^${image}:sha-1_linux_amd64@sha256:`))
  })

  it('a merge with a platform missing fails naming it, and pushes nothing', () => {
    expect(early.code).not.toBe(0)
    const errors = early.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toContain(`no image for platform linux/arm64 (${dated}_linux_arm64)`)
    expect(early.stdout).not.toMatch(/\n\s+at /) // no stack trace
    // The report of the failed merge says what happened: the missing part and its job, nothing assembled, reused or pushed.
    const s = early.summary
    expect(s).toMatch(/^### ❌ conda image failed/m)
    expect(s).toContain(`no image for platform linux/arm64 \\(${dated.replace(/[-_]/g, (c) => `\\${c}`)}\\_linux\\_arm64\\)`)
    expect(s).toContain('build\\-platforms: linux/arm64')
    expect(s).toContain('| Push | ❌ the run failed: nothing was pushed |')
    expect(s).not.toMatch(/assembled|reused|🔨|Pushed tags|\| Base |\| Pull \|/)
  })

  it('the arm64 job pushes only arm64 images', async () => {
    succeeded(arm)
    expect(arm.outputs['base-tag']).toBe(`${dated}_linux_arm64`)
    expect(await platformsOf(`${dated}_linux_arm64`)).toEqual([ARM])
    expect(await platformsOf('sha-1_linux_arm64')).toEqual([ARM])
    // No job pushed the dated tag or the application tag itself.
    expect(beforeMerge).toEqual(expect.arrayContaining([`${dated}_linux_amd64`, `${dated}_linux_arm64`, 'sha-1_linux_amd64', 'sha-1_linux_arm64']))
    expect(beforeMerge).not.toContain(dated)
    expect(beforeMerge).not.toContain('sha-1')
  })

  it('the merge leaves one base tag and one application tag, indexes of exactly both platforms', async () => {
    succeeded(merged)
    expect(await platformsOf(dated)).toEqual([AMD, ARM])
    expect(await platformsOf('sha-1')).toEqual([AMD, ARM])
    expect(merged.outputs['base-tag']).toBe(dated)
    expect(merged.outputs['base-image']).toBe(`${image}:${dated}@${(await getManifest(repo, dated))!.digest}`)
    expect(merged.outputs.image).toBe(`${image}:sha-1@${(await getManifest(repo, 'sha-1'))!.digest}`)
    expect(merged.outputs['total-steps']).toBe('0') // it built nothing
    // The merged platform images are the very ones the jobs pushed.
    expect(await layersOf(dated, ARM)).toEqual(await layersOf(`${dated}_linux_arm64`, ARM))
  })

  it('reports the size of each platform', async () => {
    const m = (await getManifest(repo, 'sha-1'))!
    const sizes: number[] = []
    for (const d of m.body.manifests!.filter((x) => x.platform?.os === 'linux')) {
      const pm = (await getManifest(repo, d.digest))!
      sizes.push(pm.body.config!.size + pm.body.layers!.reduce((n, l) => n + l.size, 0))
    }
    expect(Number(merged.outputs['image-size'])).toBe(sizes[0]! + sizes[1]!)
    // The per-platform table of the job summary: one row per platform.
    expect(merged.summary).toContain('over 2 platforms')
    expect(merged.summary).toMatch(/^\|\s*linux\/amd64\s*\|/m)
    expect(merged.summary).toMatch(/^\|\s*linux\/arm64\s*\|/m)
  })

  describe('day 2: both jobs reuse the merged base', () => {
    let amd2: ActionResult
    let arm2: ActionResult
    let merged2: ActionResult
    let old = ''

    beforeAll(async () => {
      // An older dated base of this environment with its parts, as an older matrix left it.
      old = dated.replace(/-20261120$/, '-20261001')
      const seeder = new Seeder(REGISTRY)
      const a = await seeder.image(repo, `${old}_linux_amd64`, { architecture: 'amd64' })
      const b = await seeder.image(repo, `${old}_linux_arm64`, { architecture: 'arm64' })
      const index = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { mediaType: OCI_MANIFEST, digest: a.digest, size: Buffer.byteLength(a.body), platform: { os: 'linux', architecture: 'amd64' } },
          { mediaType: OCI_MANIFEST, digest: b.digest, size: Buffer.byteLength(b.body), platform: { os: 'linux', architecture: 'arm64' } },
        ],
      })
      await seeder.manifest(repo, old, index, OCI_INDEX)
      // The amd64 job also prunes: keep the newest base of each environment only.
      amd2 = await job(AMD, 'sha-2', DAY2, { prune: 'true', 'keep-latest': '1', 'keep-days': '30' })
      arm2 = await job(ARM, 'sha-2', DAY2)
      merged2 = await merge('sha-2', DAY2)
    })

    it('neither job builds a base; each builds its application platform FROM the merged base', async () => {
      for (const [r, platform, slug] of [
        [amd2, AMD, 'linux_amd64'],
        [arm2, ARM, 'linux_arm64'],
      ] as const) {
        succeeded(r)
        expect(r.outputs['base-reused']).toBe('true')
        expect(r.outputs['base-tag']).toBe(dated)
        expect(r.outputs['base-image']).toBe(merged.outputs['base-image'])
        expect(await platformsOf(`sha-2_${slug}`)).toEqual([platform])
        const base = await layersOf(dated, platform)
        expect((await layersOf(`sha-2_${slug}`, platform)).slice(0, base.length)).toEqual(base)
      }
      const tags = await listTags(repo)
      expect(tags.filter((t) => t.includes('-20261121'))).toEqual([])
    })

    it('retention removes an older dated base with all its parts and keeps the newest with all of its', async () => {
      const tags = await listTags(repo)
      expect(tags.filter((t) => t.startsWith(old))).toEqual([])
      expect(tags).toEqual(expect.arrayContaining([dated, `${dated}_linux_amd64`, `${dated}_linux_arm64`]))
      expect(amd2.summary).toContain(old)
    })

    it('the merge keeps the base and assembles the application', async () => {
      succeeded(merged2)
      expect(merged2.outputs['base-tag']).toBe(dated)
      expect(merged2.outputs['base-image']).toBe(merged.outputs['base-image'])
      expect(await platformsOf('sha-2')).toEqual([AMD, ARM])
    })
  })
})
