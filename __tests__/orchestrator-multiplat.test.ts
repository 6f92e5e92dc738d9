// The orchestrator with typed fake ports for a matrix of native runners: a job with
// build-platforms ⊂ platforms builds and pushes only its platform's parts; mode: merge builds
// nothing and assembles the multi-platform tags, or fails naming a missing platform with
// nothing pushed. (The real registry and BuildKit: __tests__/multiplat.e2e.test.ts.)

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fakePorts, FakeRegistry, type FakePortsOptions, type FakeRun } from '../__fixtures__/ports.js'
import { run } from '../src/main.js'
import { parseImageName } from '../src/image/reference.js'

const IMAGE = 'registry.test:5000/acme/model'
const SHA = 'abcdef0123456789abcdef0123456789abcdef01'
const NAME = parseImageName(IMAGE)
const MATRIX = { image: IMAGE, platforms: 'linux/amd64,linux/arm64', dockerfile: 'Dockerfile' }
let ws: string

beforeAll(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-mp-'))
  writeFileSync(path.join(ws, 'environment.yml'), 'channels: [conda-forge]\ndependencies: [python=3.12]\n')
  writeFileSync(path.join(ws, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY . /app\n')
  writeFileSync(path.join(ws, 'push-event.json'), JSON.stringify({ repository: { full_name: 'acme/model', default_branch: 'main' } }))
})
afterAll(() => rmSync(ws, { recursive: true, force: true }))
afterEach(() => {
  process.exitCode = undefined
})

async function runWith(o: Partial<FakePortsOptions> = {}): Promise<FakeRun & { exitCode: number }> {
  const fake = fakePorts({ ...o, inputs: { ...MATRIX, ...o.inputs } })
  await run(
    { GITHUB_WORKSPACE: ws, GITHUB_SHA: SHA, GITHUB_REPOSITORY: 'acme/model', GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: path.join(ws, 'push-event.json') },
    fake.ports,
  )
  const exitCode = Number(process.exitCode ?? 0)
  process.exitCode = undefined
  return { ...fake, exitCode }
}
const errors = (r: FakeRun): string[] => r.annotator.events.filter((e) => e.level === 'error').map((e) => e.message)

/** The dated tag of this environment for the fake clock's day. */
async function datedTag(): Promise<string> {
  const planned = await runWith({ inputs: { mode: 'plan' } })
  return `base-${planned.outputs['env-hash']!.slice(0, 12)}-20261123`
}

describe('a job of the matrix', () => {
  it.each([
    ['linux/amd64', 'linux_amd64'],
    ['linux/arm64', 'linux_arm64'],
  ])('%s: builds and pushes only its platform of the base and the app, under per-platform tags', async (platform, slug) => {
    const dated = await datedTag()
    const r = await runWith({ inputs: { 'build-platforms': platform } })
    expect(r.exitCode).toBe(0)
    const [base, app] = r.buildx.builds
    expect(r.buildx.builds).toHaveLength(2)
    expect(base!.platforms).toEqual([platform])
    expect(base!.tags).toEqual([`${IMAGE}:${dated}_${slug}`])
    expect(base!.cacheFrom).toEqual([`type=registry,ref=${IMAGE}:buildcache_${slug}`])
    expect(app!.platforms).toEqual([platform])
    expect(app!.tags).toEqual([`${IMAGE}:sha-abcdef0_${slug}`])
    expect(app!.cacheFrom).toEqual([`type=registry,ref=${IMAGE}:buildcache-app_${slug}`])
    // FROM the part, pinned by digest.
    const baseDigest = await r.registry.digest(NAME, `${dated}_${slug}`)
    expect(baseDigest).toMatch(/^sha256:/)
    expect(app!.buildArgs[0]).toBe(`BASE_IMAGE=${IMAGE}:${dated}_${slug}@${baseDigest}`)
    expect(r.registry.tagsOf(IMAGE)).toEqual([`${dated}_${slug}`, `sha-abcdef0_${slug}`].sort())
    expect(r.outputs['base-tag']).toBe(`${dated}_${slug}`)
    expect(r.outputs.image).toMatch(new RegExp(`^${IMAGE}:sha-abcdef0_${slug}@sha256:`))
  })

  it('reuses a merged base: only its application platform is built, FROM the merged tag', async () => {
    const dated = await datedTag()
    const registry = new FakeRegistry()
    const merged = registry.put(`${IMAGE}:${dated}`)
    const r = await runWith({ registry, inputs: { 'build-platforms': 'linux/arm64' } })
    expect(r.exitCode).toBe(0)
    expect(r.buildx.builds).toHaveLength(1)
    expect(r.buildx.builds[0]!.platforms).toEqual(['linux/arm64'])
    expect(r.buildx.builds[0]!.buildArgs[0]).toBe(`BASE_IMAGE=${IMAGE}:${dated}@${merged.digest}`)
    expect(r.outputs['base-reused']).toBe('true')
    expect(r.outputs['base-tag']).toBe(dated)
  })

  it('refuses a build platform that is not in platforms, building nothing', async () => {
    const r = await runWith({ inputs: { 'build-platforms': 'linux/s390x' } })
    expect(r.exitCode).toBe(1)
    expect(errors(r)).toEqual([expect.stringContaining('linux/s390x is not in "platforms" (linux/amd64, linux/arm64)')])
    expect(r.buildx.builds).toEqual([])
  })
})

describe('mode: merge', () => {
  async function withParts(platforms: string[], appPlatforms = platforms): Promise<{ registry: FakeRegistry; dated: string }> {
    const dated = await datedTag()
    const registry = new FakeRegistry()
    for (const p of platforms) registry.put(`${IMAGE}:${dated}_${p}`, { bytes: 1000 })
    for (const p of appPlatforms) registry.put(`${IMAGE}:sha-abcdef0_${p}`, { bytes: 3000 })
    return { registry, dated }
  }

  it('builds nothing and assembles one base tag and one application tag', async () => {
    const { registry, dated } = await withParts(['linux_amd64', 'linux_arm64'])
    const r = await runWith({ registry, inputs: { mode: 'merge' } })
    expect(r.exitCode).toBe(0)
    expect(r.buildx.builds).toEqual([])
    expect(r.registry.tagsOf(IMAGE)).toEqual(expect.arrayContaining([dated, 'sha-abcdef0']))
    expect(r.outputs['base-tag']).toBe(dated)
    expect(r.outputs['base-image']).toBe(`${IMAGE}:${dated}@${await registry.headDigest(NAME, dated)}`)
    expect(r.outputs['image-size']).toBe('6000')
    expect(r.outputs['total-steps']).toBe('0')
    expect(r.outputs.tags).toBe(`${IMAGE}:${dated}\n${IMAGE}:sha-abcdef0`)
    expect(r.summaries[0]).toContain('mode `merge`')
    // assembled from the jobs' parts: not a base that "already existed"
    expect(r.summaries[0]).toContain('🧩 **Base assembled** (`mode: merge`)')
    expect(r.summaries[0]).toContain(
      `assembled by \`mode: merge\` from 2 per-platform images the jobs pushed (\`${dated}_linux_amd64\`, \`${dated}_linux_arm64\`)`,
    )
    expect(r.summaries[0]).not.toMatch(/already existed|Base reused/)
  })

  it('a failure after the base was assembled says the base was pushed', async () => {
    const { registry, dated } = await withParts(['linux_amd64', 'linux_arm64'])
    const putIndex = registry.putIndex.bind(registry)
    registry.putIndex = (name, parts, tags) => (tags.includes('sha-abcdef0') ? Promise.reject(new Error('registry answered 500')) : putIndex(name, parts, tags))
    const r = await runWith({ registry, inputs: { mode: 'merge' } })
    expect(r.exitCode).toBe(1)
    expect(r.registry.tagsOf(IMAGE)).toContain(dated)
    const summary = r.summaries.at(-1)!
    expect(summary).toContain(`❌ the run failed after pushing \`${IMAGE}:${dated}\``)
    expect(summary).toContain('🧩 assembled by `mode: merge`')
  })

  it.each([
    ['the base of linux/arm64', ['linux_amd64'], ['linux_amd64', 'linux_arm64'], 'linux/arm64 (base-'],
    ['the application of linux/amd64', ['linux_amd64', 'linux_arm64'], ['linux_arm64'], 'platform linux/amd64 (sha-abcdef0_linux_amd64)'],
  ])('fails naming a missing platform (%s) and pushes nothing', async (_n, base, app, named) => {
    const { registry } = await withParts(base, app)
    const before = registry.tagsOf(IMAGE)
    const r = await runWith({ registry, inputs: { mode: 'merge' } })
    expect(r.exitCode).toBe(1)
    expect(errors(r)).toEqual([expect.stringContaining(named)])
    expect(r.registry.tagsOf(IMAGE)).toEqual(before)
    expect(r.buildx.builds).toEqual([])
  })

  it('leaves out parts dated after tomorrow: they take no newest place, with a warning', async () => {
    const { registry, dated } = await withParts(['linux_amd64', 'linux_arm64'])
    const future = dated.replace(/\d{8}$/, '99991231')
    for (const p of ['linux_amd64', 'linux_arm64']) registry.put(`${IMAGE}:${future}_${p}`, { bytes: 9000 })
    const r = await runWith({ registry, inputs: { mode: 'merge' } })
    expect(r.exitCode).toBe(0)
    expect(r.outputs['base-tag']).toBe(dated)
    expect(r.registry.tagsOf(IMAGE)).not.toContain(future)
    const warnings = r.annotator.events.filter((e) => e.level === 'warning').map((e) => e.message)
    expect(warnings).toEqual([expect.stringContaining(`${future}_linux_amd64`)])
  })

  it('leaves a whole base the jobs reused and assembles the application', async () => {
    const { registry, dated } = await withParts([], ['linux_amd64', 'linux_arm64'])
    const whole = registry.put(`${IMAGE}:${dated}`)
    const r = await runWith({ registry, inputs: { mode: 'merge' } })
    expect(r.exitCode).toBe(0)
    expect(await registry.headDigest(NAME, dated)).toBe(whole.digest)
    expect(r.registry.tagsOf(IMAGE)).toContain('sha-abcdef0')
    // the base tag was not written: it is not among the pushed tags
    expect(r.outputs.tags).toBe(`${IMAGE}:sha-abcdef0`)
    expect(r.summaries[0]).toContain('♻️ reused')
  })
})
