// The orchestrator (src/main.ts → phases → ports) driven end to end with typed fake ports:
// no Docker, no registry, no GitHub. Each case is one run of `run(env, ports)`.

import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fakePorts, FakeRegistry, type FakePortsOptions, type FakeRun } from '../__fixtures__/ports.js'
import { UserError } from '../src/vocabulary/user-error.js'
import { run } from '../src/main.js'
import { ImplausibleSize, RegistryError } from '../src/registry/index.js'
import type { ImageName } from '../src/image/reference.js'

const IMAGE = 'registry.test:5000/acme/model'
const SHA = 'abcdef0123456789abcdef0123456789abcdef01'
let ws: string

beforeAll(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-'))
  writeFileSync(path.join(ws, 'environment.yml'), 'channels: [conda-forge]\ndependencies: [python=3.12, numpy=2.1]\n')
  writeFileSync(path.join(ws, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY . /app\n')
  writeFileSync(path.join(ws, 'push-event.json'), JSON.stringify({ repository: { full_name: 'acme/model', default_branch: 'main' } }))
  writeFileSync(
    path.join(ws, 'fork-event.json'),
    JSON.stringify({ pull_request: { number: 7, head: { ref: 'f', repo: { full_name: 'mallory/model' } }, base: { repo: { full_name: 'acme/model' } } } }),
  )
  writeFileSync(
    path.join(ws, 'pr-event.json'),
    JSON.stringify({ pull_request: { number: 8, head: { ref: 'f', repo: { full_name: 'acme/model' } }, base: { repo: { full_name: 'acme/model' } } } }),
  )
})
afterAll(() => rmSync(ws, { recursive: true, force: true }))
afterEach(() => {
  process.exitCode = undefined
})

function env(event = 'push'): NodeJS.ProcessEnv {
  const file = event === 'push' ? 'push-event.json' : event === 'fork' ? 'fork-event.json' : 'pr-event.json'
  return {
    GITHUB_WORKSPACE: ws,
    GITHUB_SHA: SHA,
    GITHUB_REPOSITORY: 'acme/model',
    GITHUB_EVENT_NAME: event === 'push' ? 'push' : 'pull_request',
    GITHUB_EVENT_PATH: path.join(ws, file),
    GITHUB_REF_NAME: 'main',
  }
}

async function runWith(o: Partial<FakePortsOptions> & { event?: string } = {}): Promise<FakeRun & { exitCode: number }> {
  const fake = fakePorts({ ...o, inputs: { image: IMAGE, ...o.inputs } })
  await run(env(o.event), fake.ports)
  const exitCode = Number(process.exitCode ?? 0)
  process.exitCode = undefined
  return { ...fake, exitCode }
}

const warnings = (r: FakeRun): string[] => r.annotator.events.filter((e) => e.level === 'warning').map((e) => e.message)
const errors = (r: FakeRun): string[] => r.annotator.events.filter((e) => e.level === 'error').map((e) => e.message)

/** A registry that already has an older base of this environment (its hash from a plan-mode run). */
async function registryWithBase(): Promise<{ registry: FakeRegistry; tag: string; hash: string }> {
  const planned = await runWith({ inputs: { mode: 'plan' } })
  const hash = planned.outputs['env-hash']!
  const registry = new FakeRegistry()
  const tag = `base-${hash.slice(0, 12)}-20261120`
  registry.put(`${IMAGE}:${tag}`, { bytes: 4000 })
  return { registry, tag, hash }
}

describe('orchestrator with fake ports', () => {
  it('reuse: an existing base of this environment is reused, nothing is built', async () => {
    const { registry, tag } = await registryWithBase()
    const r = await runWith({ registry })
    expect(r.exitCode).toBe(0)
    expect(r.buildx.builds).toEqual([])
    expect(r.outputs['base-reused']).toBe('true')
    expect(r.outputs['base-tag']).toBe(tag)
    expect(r.outputs['base-image']).toMatch(new RegExp(`^${IMAGE}:${tag}@sha256:[0-9a-f]{64}$`))
    expect(r.outputs['image-size']).toBe('4000')
    expect(r.summaries[0]).toMatch(/reused/)
  })

  it.each([
    {
      name: 'build: a new environment is built and pushed with registry cache',
      o: {},
      output: 'push',
      cacheTo: true,
      pushed: true,
    },
    { name: 'push: false loads the image and exports no cache', o: { inputs: { push: 'false' } }, output: 'load', cacheTo: false, pushed: false },
    { name: 'fork pull request: loads, pushes nothing, no comment', o: { event: 'fork' }, output: 'load', cacheTo: true, pushed: false },
  ])('$name', async ({ o, output, cacheTo, pushed }) => {
    const r = await runWith(o)
    expect(r.exitCode).toBe(0)
    expect(r.buildx.builds.map((b) => [b.tags[0]!.split(':')[0], b.output])).toEqual([[`${IMAGE.split(':')[0]}`, output]])
    const spec = r.buildx.builds[0]!
    // cacheTo is the Actions cache's local export for the fork (both backends), the registry cache when pushing.
    expect(spec.cacheTo !== undefined && [spec.cacheTo].flat().length > 0).toBe(cacheTo)
    expect(r.outputs['base-reused']).toBe('false')
    expect(r.registry.tagsOf('registry.test:5000/acme/model').some((t) => t.startsWith('base-'))).toBe(pushed)
    expect(r.comments).toEqual([])
    expect(r.summaries).toHaveLength(1)
  })

  it('fork pull request: the Actions cache carries the build, and the summary says why nothing was pushed', async () => {
    const r = await runWith({ event: 'fork' })
    expect(r.actionsCache.restored).toEqual(['k-base'])
    expect(r.actionsCache.saved).toEqual(['k-base'])
    expect(r.annotator.events.some((e) => e.level === 'notice' && /fork/.test(e.message))).toBe(true)
  })

  it('a same-repository pull request gets the sticky comment', async () => {
    const r = await runWith({ event: 'pr', inputs: { 'github-token': 'ghs_x' } })
    expect(r.comments.map((c) => c.issue)).toEqual([8])
  })

  it.each([
    {
      name: 'an application Dockerfile: the builder and push access are checked before the tags are listed (they run during the lookup)',
      dockerfile: 'Dockerfile',
      order: ['inspect', 'push check', 'tags'],
    },
    { name: 'no application Dockerfile and a base to reuse: buildx is never asked', dockerfile: '', order: ['tags'] },
  ])('$name', async ({ dockerfile, order: expected }) => {
    const { registry } = await registryWithBase()
    const order: string[] = []
    class Recording extends FakeRegistry {
      override listTags(name: ImageName): Promise<string[]> {
        order.push('tags')
        return super.listTags(name)
      }
      override probePush(name: ImageName): Promise<void> {
        order.push('push check')
        return super.probePush(name)
      }
    }
    const recording = new Recording()
    for (const t of registry.tagsOf(IMAGE)) recording.put(`${IMAGE}:${t}`, { bytes: 4000 })
    const fake = fakePorts({ inputs: { image: IMAGE, dockerfile }, registry: recording })
    const real = fake.ports.buildx
    const buildx = {
      ...real,
      inspect: (n: string | undefined, e?: NodeJS.ProcessEnv) => (order.push('inspect'), real.inspect(n, e)),
    }
    await run(env(), { ...fake.ports, buildx })
    expect(process.exitCode ?? 0).toBe(0)
    expect(order.slice(0, expected.length)).toEqual(expected)
    expect(order.filter((x) => x === 'inspect')).toHaveLength(dockerfile ? 1 : 0) // probed once, not again in the Builder phase
    expect(fake.outputs['base-reused']).toBe('true')
  })

  it('the reads the builds need (base digest, tag digest before, compared image) run at once, not one after another', async () => {
    const { registry: seeded } = await registryWithBase()
    const started: string[] = []
    let release!: () => void
    const allStarted = new Promise<void>((r) => (release = r))
    // Each read waits until all three are under way: reads made one after another never finish.
    const barrier = async (what: string): Promise<void> => {
      started.push(what)
      if (started.length === 3) release()
      await Promise.race([allStarted, new Promise((_, reject) => setTimeout(() => reject(new Error(`reads one after another: ${started.join(', ')}`)), 2000))])
    }
    class Gated extends FakeRegistry {
      override async digest(name: ImageName, tag: string): Promise<string | undefined> {
        if (started.length < 3) await barrier(`digest ${tag.replace(/-[0-9a-f]{12}-\d{8}$/, '-…')}`)
        return super.digest(name, tag)
      }
      override async size(name: ImageName, ref: string) {
        if (started.length < 3 && !ref.startsWith('sha256:')) await barrier(`size ${ref}`)
        return super.size(name, ref)
      }
    }
    const registry = new Gated()
    for (const t of seeded.tagsOf(IMAGE)) registry.put(`${IMAGE}:${t}`, { bytes: 4000 })
    const r = await runWith({ registry, inputs: { dockerfile: 'Dockerfile', tags: 'v1' }, event: 'pr' })
    expect(errors(r)).toEqual([])
    expect(r.exitCode).toBe(0)
    expect(started).toEqual(expect.arrayContaining(['digest base-…', 'digest v1', expect.stringMatching(/^size (latest|pr-8)$/)]))
  })

  it('the tag list is asked for before the environment is hashed: the registry answers while the action hashes', async () => {
    const { registry: seeded, tag } = await registryWithBase()
    let outputs: FakeRun['outputs'] = {}
    let hashedWhenAsked: boolean | undefined
    class Watched extends FakeRegistry {
      override async tags(name: ImageName): Promise<string[]> {
        hashedWhenAsked ??= outputs['env-hash'] !== undefined
        return super.tags(name)
      }
    }
    const registry = new Watched()
    for (const t of seeded.tagsOf(IMAGE)) registry.put(`${IMAGE}:${t}`, { bytes: 4000 })
    const fake = fakePorts({ inputs: { image: IMAGE }, registry })
    outputs = fake.outputs
    await run(env(), fake.ports)
    expect(process.exitCode ?? 0).toBe(0)
    expect(hashedWhenAsked).toBe(false)
    expect(fake.outputs['base-tag']).toBe(tag)
    expect(fake.outputs['base-reused']).toBe('true')
  })

  it('after each push, one read of the tag gives its digest (the output pin) and its size (the report): the base and the application', async () => {
    const calls: string[] = []
    class Counting extends FakeRegistry {
      override digest(name: ImageName, tag: string): Promise<string | undefined> {
        calls.push(`digest ${tag}`)
        return super.digest(name, tag)
      }
      override size(name: ImageName, ref: string) {
        calls.push(`size ${ref}`)
        return super.size(name, ref)
      }
    }
    const r = await runWith({ registry: new Counting(), inputs: { dockerfile: 'Dockerfile', tags: 'v1' } })
    expect(r.exitCode).toBe(0)
    expect(calls.filter((c) => c === 'digest v1')).toHaveLength(1) // the digest before the build, not again after it
    expect(calls.filter((c) => c === 'size v1' || c === `size ${r.outputs.digest}`)).toEqual(['size v1'])
    const baseTag = r.outputs['base-tag']!
    const baseDigest = r.outputs['base-image']!.split('@')[1]!
    expect(calls.filter((c) => c === `digest ${baseTag}`)).toEqual([]) // built here: nothing to read before, one read after
    expect(calls.filter((c) => c === `size ${baseTag}` || c === `size ${baseDigest}`)).toEqual([`size ${baseTag}`])
    expect(r.outputs.image).toBe(`${IMAGE}:v1@${r.outputs.digest}`)
    expect(r.outputs['image-size']).toBe('5000')
  })

  it('an application image is built FROM the pushed base, pinned by digest', async () => {
    const r = await runWith({ inputs: { dockerfile: 'Dockerfile', tags: 'v1' } })
    expect(r.buildx.builds.map((b) => b.tags)).toEqual([[expect.stringMatching(/:base-/)], [`${IMAGE}:v1`]])
    expect(r.buildx.builds[1]!.buildArgs[0]).toMatch(/^BASE_IMAGE=registry\.test:5000\/acme\/model:base-[0-9a-f]{12}-\d{8}@sha256:/)
    expect(r.outputs.image).toMatch(new RegExp(`^${IMAGE}:v1@sha256:`))
  })

  it('a builder that cannot export cache is replaced by a docker-container builder for the run (and removed)', async () => {
    const r = await runWith({ buildx: { canExportCache: false } })
    expect(warnings(r).some((w) => /cannot export a build cache.*Creating a docker-container builder/.test(w))).toBe(true)
    expect(r.buildx.builds[0]!.builder).toBe('fake-builder-1')
    expect(r.buildx.removed).toEqual(['fake-builder-1'])
    expect(r.buildx.builds[0]!.cacheTo).toBeDefined()
  })

  it('when no builder can be created, the build runs without cache export and says so', async () => {
    const r = await runWith({ buildx: { canExportCache: false, createWorks: false } })
    expect(r.exitCode).toBe(0)
    expect(warnings(r).some((w) => /Could not create a docker-container builder.*without registry cache export/.test(w))).toBe(true)
    expect(r.buildx.builds[0]!.cacheTo).toBeUndefined()
    expect(r.summaries[0]).toMatch(/Could not create a docker\\-container builder/)
  })

  it('a registry 500 during the push is retried once, and the step succeeds', async () => {
    const r = await runWith({ buildx: { failFirstPush: new Error('failed to push: unexpected status: 500 Internal Server Error') } })
    expect(r.exitCode).toBe(0)
    expect(r.buildx.builds).toHaveLength(2)
    expect(warnings(r).some((w) => /trying once more/.test(w))).toBe(true)
  })

  it('plan mode builds and pushes nothing, and says why a base would be built', async () => {
    const { registry } = await registryWithBase()
    // A different environment: a new hash, the existing base is the previous one.
    writeFileSync(path.join(ws, 'environment-2.yml'), 'channels: [conda-forge]\ndependencies: [python=3.13]\n')
    const r = await runWith({ registry, inputs: { mode: 'plan', 'environment-file': 'environment-2.yml' } })
    expect(r.exitCode).toBe(0)
    expect(r.buildx.builds).toEqual([])
    expect(r.outputs['base-reused']).toBe('false')
    expect(r.outputs.image).toBeUndefined()
    const md = r.summaries[0]!
    expect(md).toMatch(/Why a base would be built/)
    // The heading is never empty: the comparison with the previous base follows it.
    expect(md).toMatch(/#### Why a base would be built\n\n\S/)
    expect(r.annotator.events.some((e) => /^Would build and (push|load) /.test(e.message))).toBe(true)
  })

  it('plan mode annotates its warnings (they reach the log, not only the report)', async () => {
    const registry = new FakeRegistry()
    registry.listError = new Error('connection refused')
    const r = await runWith({ registry, inputs: { mode: 'plan' } })
    expect(warnings(r).some((w) => /Could not list the tags/.test(w))).toBe(true)
    expect(r.summaries[0]).toMatch(/Could not list the tags/)
  })

  it('a size budget failure fails the step after the report is written', async () => {
    const r = await runWith({ inputs: { 'max-size': '1KB', 'fail-on-budget': 'true' } })
    expect(r.exitCode).toBe(1)
    expect(r.summaries).toHaveLength(1)
    expect(errors(r)).toEqual([expect.stringMatching(/exceeds its size budget/)])
  })

  it("retention's unreadable tag warning reaches the log and the report (it used to be dropped)", async () => {
    const { registry, tag } = await registryWithBase()
    registry.put(`${IMAGE}:base-0123456789ab-20200101`)
    registry.unreadable.add('base-0123456789ab-20200101')
    const r = await runWith({ registry, inputs: { prune: 'dry-run' } })
    expect(r.exitCode).toBe(0)
    const lost = /could not read .*base-0123456789ab-20200101.*nothing it might share is deleted/
    expect(warnings(r).some((w) => lost.test(w))).toBe(true)
    expect(r.summaries[0]).toMatch(/nothing it might share is deleted/)
    expect(r.registry.tagsOf(IMAGE)).toContain(tag)
  })

  it('an unparsable event payload is one clean error, no stack trace, nothing built', async () => {
    const bad = path.join(ws, 'bad-event.json')
    writeFileSync(bad, '{"pull_request": {"number": 1,')
    const fake = fakePorts({ inputs: { image: IMAGE } })
    await run({ ...env(), GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: bad }, fake.ports)
    expect(process.exitCode).toBe(1)
    const errs = fake.annotator.events.filter((e) => e.level === 'error')
    expect(errs.map((e) => e.message)).toEqual([expect.stringMatching(/GITHUB_EVENT_PATH.*not valid JSON/)])
    expect(fake.annotator.events.some((e) => /\n\s+at .+:\d+:\d+/.test(e.message))).toBe(false)
    expect(fake.buildx.builds).toEqual([])
  })

  it('push means push: a registry that refuses the push fails the run before any build, naming it', async () => {
    const registry = new FakeRegistry()
    registry.pushError = new RegistryError('auth', 'registry.test:5000', 'registry.test:5000 requires authentication to push to acme/model (HTTP 401)', 401)
    const r = await runWith({ registry, inputs: { dockerfile: 'Dockerfile' } })
    expect(r.exitCode).toBe(1)
    expect(r.buildx.builds).toEqual([])
    expect(registry.probed).toEqual([IMAGE])
    expect(errors(r)).toEqual([
      expect.stringMatching(/^Cannot push to registry\.test:5000\/acme\/model: .*docker\/login-action \(registry: registry\.test:5000\)/),
    ])
    expect(r.summaries[0]).toMatch(/❌ \*\*Failed\*\* in Push access/)
  })

  it('a tag lookup the registry refuses is fatal when the run pushes', async () => {
    const registry = new FakeRegistry()
    registry.listError = new RegistryError('denied', 'registry.test:5000', 'registry.test:5000 denied access to list the tags of acme/model (HTTP 403)', 403)
    const r = await runWith({ registry })
    expect(r.exitCode).toBe(1)
    expect(r.buildx.builds).toEqual([])
    expect(errors(r)).toEqual([expect.stringMatching(/Cannot push to registry\.test:5000\/acme\/model: .*HTTP 403/)])
  })

  it('a failing build writes the summary and the PR comment with what failed; nothing says "pushed"', async () => {
    const failBuild = (spec: { buildArgs: readonly string[]; dockerfile: string }) =>
      spec.buildArgs.some((a) => a.startsWith('BASE_IMAGE='))
        ? new UserError('docker buildx build failed (exit 1) at [2/2] COPY mian.py /app/: "/mian.py": not found', { file: spec.dockerfile, line: 3 })
        : undefined
    const r = await runWith({ event: 'pr', buildx: { failBuild }, inputs: { dockerfile: 'Dockerfile', 'github-token': 'ghs_x' } })
    expect(r.exitCode).toBe(1)
    expect(r.buildx.builds).toHaveLength(2)
    for (const body of [r.summaries[0]!, r.comments[0]!.body]) {
      expect(body).toMatch(/❌ \*\*Failed\*\* in Build application .* — Dockerfile line 3/)
      expect(body).toContain('What to try')
      expect(body).toMatch(/❌ the run failed after pushing `registry\.test:5000\/acme\/model:base-/)
      expect(body).not.toContain('✅ pushed')
    }
    const e = r.annotator.events.find((x) => x.level === 'error')!
    expect(e.where).toMatchObject({ file: 'Dockerfile', line: 3 })
  })

  it('secrets reach both builds as --secret files, never as values in the spec', async () => {
    const r = await runWith({ inputs: { dockerfile: 'Dockerfile', secrets: 'token=s3cr3t=value' } })
    expect(r.exitCode).toBe(0)
    expect(r.buildx.builds).toHaveLength(2)
    for (const b of r.buildx.builds) {
      expect(b.secrets).toEqual([expect.stringMatching(/^id=token,src=\/.+/)])
      expect(JSON.stringify(b)).not.toContain('s3cr3t')
    }
    expect(r.outputs.tags!.split('\n')).toEqual([expect.stringMatching(/:base-/), `${IMAGE}:sha-abcdef0`]) // no GITHUB_REF here: no branch tag
  })
})

describe('requirement files: their lines in the base label and in why it was rebuilt', () => {
  let rws: string
  let outside: string
  beforeAll(() => {
    rws = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-reqs-'))
    outside = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-outside-'))
    writeFileSync(
      path.join(rws, 'environment.yml'),
      'channels: [conda-forge]\ndependencies:\n  - python=3.12\n  - pip\n  - pip:\n      - -r requirements.txt\n      - -r linked.txt\n',
    )
    writeFileSync(path.join(rws, 'requirements.txt'), 'rich==13.7.1\n')
    writeFileSync(path.join(rws, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n')
    writeFileSync(path.join(outside, 'private.txt'), 'leaked-package==6.6.6\n')
    symlinkSync(path.join(outside, 'private.txt'), path.join(rws, 'linked.txt'))
  })
  afterAll(() => {
    rmSync(rws, { recursive: true, force: true })
    rmSync(outside, { recursive: true, force: true })
  })

  async function runIn(registry: FakeRegistry): Promise<FakeRun & { exitCode: number }> {
    const fake = fakePorts({ registry, inputs: { image: IMAGE } })
    await run({ ...env(), GITHUB_WORKSPACE: rws }, fake.ports)
    const exitCode = Number(process.exitCode ?? 0)
    process.exitCode = undefined
    return { ...fake, exitCode }
  }

  it('the label holds the lines read inside the workspace only, and the next build names the requirement that changed', async () => {
    const registry = new FakeRegistry()
    const first = await runIn(registry)
    expect(first.exitCode).toBe(0)
    expect(warnings(first).some((w) => /linked\.txt.*outside the workspace/.test(w))).toBe(true)
    const label = first.buildx.builds[0]!.labels.find((l) => l.startsWith('io.github.conda-image-action.env-files='))
    expect(label).toBe('io.github.conda-image-action.env-files={"requirements.txt":["rich==13.7.1"]}')
    expect(JSON.stringify(first.buildx.builds)).not.toContain('leaked-package')

    writeFileSync(path.join(rws, 'requirements.txt'), 'rich==13.8.0\n')
    const second = await runIn(registry)
    expect(second.exitCode).toBe(0)
    expect(second.outputs['base-reused']).toBe('false')
    const summary = second.summaries.join('\n')
    expect(summary).toContain('requirements.txt: rich')
    expect(summary).toContain('rich==13.7.1')
    expect(summary).toContain('rich==13.8.0')
    expect(summary).not.toContain('leaked-package')
  })
})

describe('a registry that gives an implausible size for the pushed image', () => {
  it('pins the verified digest, warns once, and leaves image-size empty: the size is unknown, never Infinity', async () => {
    class Implausible extends FakeRegistry {
      override async size(name: ImageName, ref: string) {
        const s = await super.size(name, ref)
        if (!s) return s
        throw new ImplausibleSize(name.registry, `${name.registry}: ${name.repository}@${s.digest} gives an implausible size`, s.digest)
      }
    }
    const r = await runWith({ registry: new Implausible(), inputs: { dockerfile: 'Dockerfile', tags: 'v1' } })
    expect(errors(r)).toEqual([])
    expect(r.exitCode).toBe(0)
    expect(r.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(r.outputs['image-size']).toBe('')
    const implausible = warnings(r).filter((w) => /implausible size/.test(w))
    expect(implausible.filter((w) => w.startsWith('Could not read the image size'))).toHaveLength(1)
    // The report says the size is unknown and why, not "not measured" as if no read was made.
    const sizeRow = r.summaries[0]!.split('\n').find((l) => l.startsWith('| Size |'))
    expect(sizeRow).toMatch(/unknown — the registry gave a size no image could have/)
    expect(r.summaries[0]).not.toMatch(/not measured|Infinity|NaN/)
  })
})
