// The core flow end to end: the bundled dist/index.js run as the runner runs it, against
// the real Distribution registry on 127.0.0.1:5000 and real BuildKit (docker driver with
// the containerd image store). See scripts/stack-up.sh.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction, succeeded, type ActionResult } from '../__fixtures__/action-runner.js'
import {
  REGISTRY,
  compressedSize,
  epochOf,
  getManifest,
  imageLayers,
  listTags,
  pruneBuildCache,
  pushIsolatedRoot,
  removeLocalImages,
  removeRepo,
  removeRoot,
  requireStack,
  uniqueRepo,
} from '../__fixtures__/stack.js'

const EXAMPLE = path.join(ROOT, 'examples', 'quickstart')

function workspace(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ws-'))
  cpSync(EXAMPLE, dir, { recursive: true })
  return dir
}

function edit(file: string, f: (s: string) => string): void {
  writeFileSync(file, f(readFileSync(file, 'utf8')))
}

function expectOk(r: ActionResult): void {
  succeeded(r)
  expect(r.annotations.filter((a) => a.level === 'error')).toEqual([])
}

describe('base image: pick or create', () => {
  const repo = uniqueRepo('core')
  const image = `${REGISTRY}/${repo}`
  let ws: string
  const base = { image, 'base-dockerfile': 'base.Dockerfile' }
  let first: ActionResult

  beforeAll(async () => {
    await requireStack()
    ws = workspace()
    pruneBuildCache()
    first = await runAction(base, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-20') } })
  })
  afterAll(async () => {
    await removeRepo(repo)
    rmSync(ws, { recursive: true, force: true })
  })

  it('first run builds and pushes base-<hash12>-<date> and reports it', async () => {
    expectOk(first)
    const o = first.outputs
    expect(o['env-hash']).toMatch(/^[0-9a-f]{64}$/)
    expect(o['base-tag']).toBe(`base-${o['env-hash']!.slice(0, 12)}-20261120`)
    expect(o['base-reused']).toBe('false')
    const m = await getManifest(repo, o['base-tag']!)
    expect(m).toBeDefined()
    expect(o.digest).toBe(m!.digest)
    expect(o['base-image']).toBe(`${image}:${o['base-tag']}@${m!.digest}`)
    expect(o.image).toBe(o['base-image'])
    expect(Number(o['image-size'])).toBe(await compressedSize(repo, o['base-tag']!))
    expect(Number(o['total-steps'])).toBeGreaterThan(0)
    expect(Number(o['cached-steps'])).toBeLessThan(Number(o['total-steps']))
    expect(first.summary).toContain(o['base-tag'])
    // the registry cache was exported next to the base
    expect(await listTags(repo)).toContain('buildcache')
  })

  it('writes the env hash and the canonical environment document as labels', async () => {
    const o = first.outputs
    const m = await getManifest(repo, o['base-tag']!)
    const manifest = m!.body.manifests ? (await getManifest(repo, m!.body.manifests.find((d) => d.platform?.os !== 'unknown')!.digest))! : m!
    const blob = await fetch(`http://${REGISTRY}/v2/${repo}/blobs/${manifest.body.config!.digest}`)
    const config = (await blob.json()) as { config: { Labels: Record<string, string> } }
    const labels = config.config.Labels
    expect(labels['io.github.conda-image-action.env-hash']).toBe(o['env-hash'])
    const doc: unknown = JSON.parse(labels['io.github.conda-image-action.env-document']!)
    expect(JSON.stringify(doc)).toContain('numpy')
    expect(labels['org.opencontainers.image.revision']).toBe('0123456789abcdef0123456789abcdef01234567')
  })

  it('a later run (another day, a fresh builder) reuses the tag without building', async () => {
    pruneBuildCache()
    const r = await runAction(base, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } })
    expectOk(r)
    expect(r.outputs['base-tag']).toBe(first.outputs['base-tag'])
    expect(r.outputs['base-reused']).toBe('true')
    expect(r.outputs['cache-hit-ratio']).toBe('1')
    expect(r.outputs['total-steps']).toBe('0')
    expect(r.outputs.digest).toBe(first.outputs.digest)
    expect(r.outputs['image-size']).toBe(first.outputs['image-size'])
    expect(r.stdout).not.toMatch(/docker buildx build|#\d+ \[/)
  })

  it('a cosmetic edit (comments, quoting, key order) reuses the base', async () => {
    const cosmetic = workspace()
    try {
      writeFileSync(
        path.join(cosmetic, 'environment.yml'),
        [
          '# reformatted: comments, quoting, flow style and key order do not change what is installed',
          'channels: [conda-forge, "nodefaults"]',
          'dependencies:',
          "  - 'pandas >= 2.1'   # data frames",
          '  - "numpy=1.26"',
          '  - scikit-learn',
          '  - python=3.11',
          '  - pip',
          '  - pip: ["-r requirements.txt"]',
          'name: quickstart',
          '',
        ].join('\n'),
      )
      const r = await runAction(base, { cwd: cosmetic, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } })
      expectOk(r)
      expect(r.outputs['env-hash']).toBe(first.outputs['env-hash'])
      expect(r.outputs['base-reused']).toBe('true')
    } finally {
      rmSync(cosmetic, { recursive: true, force: true })
    }
  })

  it('a pinned version edit builds a new tag, taking unchanged early steps from the registry cache', async () => {
    const changed = workspace()
    try {
      edit(path.join(changed, 'environment.yml'), (s) => s.replace('numpy=1.26', 'numpy=2.1'))
      pruneBuildCache()
      const r = await runAction(base, { cwd: changed, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } })
      expectOk(r)
      expect(r.outputs['env-hash']).not.toBe(first.outputs['env-hash'])
      expect(r.outputs['base-reused']).toBe('false')
      expect(r.outputs['base-tag']).toMatch(/-20261123$/)
      const cached = Number(r.outputs['cached-steps'])
      const total = Number(r.outputs['total-steps'])
      expect(cached).toBeGreaterThanOrEqual(1)
      expect(cached).toBeLessThan(total)
      expect(await listTags(repo)).toContain(r.outputs['base-tag'])
      // the summary explains why: numpy changed against the newest previous base
      expect(r.summary).toContain('numpy')
    } finally {
      rmSync(changed, { recursive: true, force: true })
    }
  })

  it('an edit of a -r referenced requirements file builds a new tag', async () => {
    const changed = workspace()
    try {
      edit(path.join(changed, 'requirements.txt'), (s) => s.replace('rich==13.7.1', 'rich==13.8.0'))
      const r = await runAction(base, { cwd: changed, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } })
      expectOk(r)
      expect(r.outputs['env-hash']).not.toBe(first.outputs['env-hash'])
      expect(r.outputs['base-reused']).toBe('false')
      expect(await listTags(repo)).toContain(r.outputs['base-tag'])
      expect(Number(r.outputs['total-steps'])).toBeGreaterThan(0)
      // "Why" shows the requirement that changed, not two digests of the file.
      expect(r.summary).toContain('- requirements.txt: rich: rich==13.7.1')
      expect(r.summary).toContain('+ requirements.txt: rich: rich==13.8.0')
    } finally {
      rmSync(changed, { recursive: true, force: true })
    }
  })

  it('a size budget warns, and with fail-on-budget fails the step after writing the report', async () => {
    const warnOnly = await runAction({ ...base, 'max-size': '1kB' }, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } })
    expectOk(warnOnly)
    expect(warnOnly.annotations.some((a) => a.level === 'warning' && /max-size/.test(a.message))).toBe(true)

    const failing = await runAction({ ...base, 'max-size': '1kB', 'fail-on-budget': 'true' }, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } })
    expect(failing.code).not.toBe(0)
    const errors = failing.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/size budget/)
    expect(failing.outputs['image-size']).toBe(first.outputs['image-size'])
    expect(failing.summary).toMatch(/budget/i)
  })

  it('plan mode prints the plan and the canonical document, and builds or pushes nothing', async () => {
    const changed = workspace()
    try {
      edit(path.join(changed, 'environment.yml'), (s) => s.replace('scikit-learn', 'scikit-learn=1.5'))
      const before = await listTags(repo)
      const r = await runAction({ ...base, mode: 'plan', dockerfile: 'Dockerfile' }, { cwd: changed, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } })
      expectOk(r)
      expect(r.stdout).toContain('Would build')
      expect(r.stdout).toContain('scikit-learn=1.5')
      expect(r.stdout).not.toMatch(/#\d+ \[/)
      expect(await listTags(repo)).toEqual(before)
    } finally {
      rmSync(changed, { recursive: true, force: true })
    }
  })
})

describe('application image on top of the base', () => {
  const repo = uniqueRepo('app')
  const image = `${REGISTRY}/${repo}`
  let ws: string
  let inputs: Record<string, string>

  beforeAll(async () => {
    await requireStack()
    ws = workspace()
    // Layer digests are compared across builds: a root no other test recompresses.
    const root = pushIsolatedRoot(repo)
    inputs = { image, 'base-dockerfile': 'base.Dockerfile', 'base-build-args': `BASE_FROM=${root}`, dockerfile: 'Dockerfile', tags: 'sha-1111111' }
  })
  afterAll(async () => {
    await removeRepo(repo)
    await removeRoot(repo)
    rmSync(ws, { recursive: true, force: true })
  })

  it('is built FROM the picked base, and a code-only change on a fresh builder reuses the dependency steps', async () => {
    const r1 = await runAction(inputs, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-22') } })
    expectOk(r1)
    expect(r1.outputs.image).toMatch(new RegExp(`^${image.replace(/\./g, '\\.')}:sha-1111111@sha256:[0-9a-f]{64}$`))
    const baseLayers = await imageLayers(repo, r1.outputs['base-tag']!)
    const appLayers = await imageLayers(repo, 'sha-1111111')
    expect(appLayers.slice(0, baseLayers.length)).toEqual(baseLayers)
    expect(appLayers.length).toBeGreaterThan(baseLayers.length)
    expect(Number(r1.outputs['image-size'])).toBe(await compressedSize(repo, 'sha-1111111'))
    expect(r1.outputs.digest).toBe((await getManifest(repo, 'sha-1111111'))!.digest)
    expect(await listTags(repo)).toContain('buildcache-app')

    edit(path.join(ws, 'app', 'main.py'), (s) => s.replace('model service ready', 'model service v2 ready'))
    pruneBuildCache()
    const r2 = await runAction({ ...inputs, tags: 'sha-2222222' }, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } })
    expectOk(r2)
    expect(r2.outputs['base-reused']).toBe('true')
    expect(r2.outputs['base-tag']).toBe(r1.outputs['base-tag'])
    const cached = Number(r2.outputs['cached-steps'])
    const total = Number(r2.outputs['total-steps'])
    expect(cached).toBeGreaterThanOrEqual(1)
    expect(cached).toBeLessThan(total)
    const app2 = await imageLayers(repo, 'sha-2222222')
    expect(app2.slice(0, baseLayers.length)).toEqual(baseLayers)
  })
})

describe('push: false (as on a fork pull request)', () => {
  const repo = uniqueRepo('nopush')
  const image = `${REGISTRY}/${repo}`
  let ws: string
  beforeAll(async () => {
    await requireStack()
    ws = workspace()
    edit(path.join(ws, 'environment.yml'), (s) => s.replace('numpy=1.26', `numpy=1.${Date.now() % 1000}`))
  })
  afterAll(async () => {
    await removeRepo(repo)
    rmSync(ws, { recursive: true, force: true })
  })

  it('builds a new base and the application FROM it in the local engine, pushing nothing', async () => {
    const r = await runAction(
      { image, 'base-dockerfile': 'base.Dockerfile', dockerfile: 'Dockerfile', tags: 'pr-1', push: 'false' },
      { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } },
    )
    expectOk(r)
    expect(r.outputs['base-reused']).toBe('false')
    expect(r.outputs['base-image']).toBe(`${image}:${r.outputs['base-tag']}`)
    expect(r.outputs.image).toMatch(new RegExp(`^${image.replace(/\./g, '\\.')}:pr-1@sha256:`))
    expect(Number(r.outputs['total-steps'])).toBeGreaterThan(0)
    expect(r.summary).toMatch(/not pushed/)
    expect(await listTags(repo)).toEqual([])
  })
})

describe('local Docker engine as the store (`store: local`)', () => {
  const name = uniqueRepo('local')
  const image = `${name}/model`
  let ws: string

  beforeAll(async () => {
    await requireStack()
    ws = workspace()
  })
  afterAll(() => {
    removeLocalImages(image)
    rmSync(ws, { recursive: true, force: true })
  })

  it('builds with --load, then reuses the base from the engine', async () => {
    const inputs = { image, store: 'local', 'base-dockerfile': 'base.Dockerfile', dockerfile: 'Dockerfile', tags: 'dev' }
    const r1 = await runAction(inputs, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } })
    expectOk(r1)
    expect(r1.outputs['base-reused']).toBe('false')
    expect(r1.outputs.image).toMatch(new RegExp(`^${image}:dev@sha256:`))
    expect(Number(r1.outputs['image-size'])).toBeGreaterThan(0)
    const r2 = await runAction(inputs, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-24') } })
    expectOk(r2)
    expect(r2.outputs['base-reused']).toBe('true')
    expect(r2.outputs['base-tag']).toBe(r1.outputs['base-tag'])
  })
})

describe('bad input', () => {
  let ws: string
  beforeAll(() => {
    ws = workspace()
  })
  afterAll(() => rmSync(ws, { recursive: true, force: true }))

  it('no inputs at all: one clean error annotation, no stack trace', async () => {
    const r = await runAction({}, { cwd: ws, noDefaults: true })
    expect(r.code).not.toBe(0)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/image/)
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
  })

  it.each([
    [{ mode: 'fast' }, /mode/],
    [{ 'max-age': 'two weeks' }, /max-age/],
    [{ image: 'Not A Valid/Image' }, /image/],
    [{ 'environment-file': 'missing.yml' }, /missing\.yml/],
    [{ prune: 'yes' }, /prune/],
  ])('%o fails with one error naming the problem and pushes nothing', async (bad, pattern) => {
    const repo = uniqueRepo('bad')
    const r = await runAction({ image: `${REGISTRY}/${repo}`, 'base-dockerfile': 'base.Dockerfile', ...bad }, { cwd: ws })
    expect(r.code).not.toBe(0)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(pattern)
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
    expect(await listTags(repo)).toEqual([])
  })

  it('a malformed environment file is reported with file and line', async () => {
    const bad = mkdtempSync(path.join(os.tmpdir(), 'ws-bad-'))
    try {
      cpSync(EXAMPLE, bad, { recursive: true })
      writeFileSync(path.join(bad, 'environment.yml'), 'name: x\ndependencies:\n  - numpy\n  - [unclosed\n')
      const repo = uniqueRepo('bad')
      const r = await runAction({ image: `${REGISTRY}/${repo}`, 'base-dockerfile': 'base.Dockerfile' }, { cwd: bad })
      expect(r.code).not.toBe(0)
      const errors = r.annotations.filter((a) => a.level === 'error')
      expect(errors).toHaveLength(1)
      expect(errors[0]!.props.file).toMatch(/environment\.yml$/)
      expect(Number(errors[0]!.props.line)).toBeGreaterThanOrEqual(4)
      expect(await listTags(repo)).toEqual([])
    } finally {
      rmSync(bad, { recursive: true, force: true })
    }
  })
})

describe('the bundled template', () => {
  it('is found next to the bundle (plan mode reads and hashes it; a run would push)', async () => {
    const ws = workspace()
    try {
      const r = await runAction({ image: `${REGISTRY}/${uniqueRepo('tpl')}`, mode: 'plan' }, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } })
      expectOk(r)
      expect(r.stdout).toMatch(/Would build and push .*:base-[0-9a-f]{12}-20261123/)
      expect(r.summary).toContain('a run would push')
    } finally {
      rmSync(ws, { recursive: true, force: true })
    }
  })
})
