// Real BuildKit on this machine: `bash scripts/stack-up.sh` (registry on 127.0.0.1:5000, the
// default builder = docker driver with the containerd image store, busybox in the registry).

import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cacheToValue, createContainerBuilder, inspectBuilder, removeBuilder, runBuild, type BuildSpec } from '../src/buildx/index.js'
import { docker } from '../src/buildx/docker.js'
import { UserError } from '../src/vocabulary/user-error.js'
import { runPushBuild } from '../__fixtures__/push-build.js'

const exec = promisify(execFile)
const REGISTRY = '127.0.0.1:5000'
const BASE = `${REGISTRY}/test/busybox:latest`
const REPO_PATH = `test-buildx-${randomBytes(4).toString('hex')}/img`
const REPO = `${REGISTRY}/${REPO_PATH}`
const CACHE = `${REPO}:buildcache`
const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ')

let work: string
const pushedTags = new Set<string>()

async function registryDigest(tag: string): Promise<string | undefined> {
  const res = await fetch(`http://${REGISTRY}/v2/${REPO_PATH}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { Accept: ACCEPT },
    signal: AbortSignal.timeout(10_000),
  })
  return res.ok ? (res.headers.get('docker-content-digest') ?? undefined) : undefined
}

function spec(over: Partial<BuildSpec> & { tag: string; dockerfile: string }): BuildSpec {
  pushedTags.add(over.tag)
  return {
    context: work,
    tags: [`${REPO}:${over.tag}`],
    buildArgs: [],
    labels: ['org.example.test=buildx-e2e'],
    platforms: [],
    cacheFrom: [],
    output: 'push',
    metadataFile: path.join(work, `${over.tag}.metadata.json`),
    ...over,
  }
}

beforeAll(async () => {
  await exec('bash', ['scripts/stack-up.sh'], { timeout: 240_000 })
  work = mkdtempSync(path.join(tmpdir(), 'buildx-e2e-'))
  writeFileSync(path.join(work, 'hello.txt'), 'hello from the context\n')
}, 300_000)

afterAll(async () => {
  for (const tag of [...pushedTags, 'buildcache']) {
    const digest = await registryDigest(tag).catch(() => undefined)
    if (digest) {
      await fetch(`http://${REGISTRY}/v2/${REPO_PATH}/manifests/${digest}`, { method: 'DELETE', signal: AbortSignal.timeout(10_000) }).catch(() => undefined)
    }
    await docker(['image', 'rm', '--force', `${REPO}:${tag}`], { timeoutMs: 60_000 }).catch(() => undefined)
  }
  if (work) rmSync(work, { recursive: true, force: true })
}, 120_000)

describe('buildx on this machine', () => {
  const nonce = randomBytes(8).toString('hex')
  const dockerfile = () => {
    const file = path.join(work, 'ok.Dockerfile')
    writeFileSync(
      file,
      [
        `FROM ${BASE}`,
        `RUN echo "nonce ${nonce}" > /nonce.txt && echo built-${nonce}`,
        'COPY hello.txt /hello.txt',
        'RUN cat /nonce.txt /hello.txt > /out.txt',
        '',
      ].join('\n'),
    )
    return file
  }

  test('inspectBuilder on the default builder: docker driver, containerd store, can export cache', async () => {
    const info = await inspectBuilder()
    expect(info.name).toBe('default')
    expect(info.driver).toBe('docker')
    expect(info.canExportCache).toBe(true)
    expect(info.reason).toBeUndefined()
    expect(info.platforms).toContain('linux/amd64')
    expect(await inspectBuilder('default')).toEqual(info)
  })

  test('inspectBuilder on a builder that does not exist is a UserError', async () => {
    await expect(inspectBuilder(`no-such-builder-${nonce}`)).rejects.toThrow(UserError)
  })

  test('cold build with push and registry cache export, then rebuild from the registry cache alone', async () => {
    const file = dockerfile()
    const log: string[] = []
    const cold = await runPushBuild(spec({ tag: 't', dockerfile: file, cacheFrom: [`type=registry,ref=${CACHE}`], cacheTo: cacheToValue(CACHE, 'max') }), {
      log: (l) => log.push(l),
    })
    expect(cold.totalSteps).toBe(3)
    expect(cold.cachedSteps).toBe(0)
    expect(cold.steps.map((s) => s.name)).toEqual([
      `[2/4] RUN echo "nonce ${nonce}" > /nonce.txt && echo built-${nonce}`,
      '[3/4] COPY hello.txt /hello.txt',
      '[4/4] RUN cat /nonce.txt /hello.txt > /out.txt',
    ])
    expect(cold.cacheExport).toBe('exported')
    expect(cold.cacheNote).toBeUndefined()
    expect(cold.durationMs).toBeGreaterThan(0)
    // the human-readable log streamed as the build went
    expect(log).toContainEqual(expect.stringMatching(new RegExp(`^#\\d+ \\d+\\.\\d{3} built-${nonce}$`)))
    expect(log).toContainEqual(expect.stringMatching(/^#\d+ DONE \d+\.\ds$/))
    expect(log).toContainEqual(expect.stringMatching(/^#\d+ exporting cache to registry$/))
    // the metadata digest is the digest the registry serves for the tag
    const served = await registryDigest('t')
    expect(served).toMatch(/^sha256:/)
    expect(cold.digest).toBe(served)
    expect(cold.metadata['image.name']).toBe(`${REPO}:t`)
    expect(await registryDigest('buildcache')).toMatch(/^sha256:/)

    // Forget everything local, then build again: the steps come from the registry cache.
    const prune = await docker(['buildx', 'prune', '--all', '--force'], { timeoutMs: 120_000 })
    expect(prune.code).toBe(0)
    const warmLog: string[] = []
    const warm = await runPushBuild(spec({ tag: 't2', dockerfile: file, cacheFrom: [`type=registry,ref=${CACHE}`], cacheTo: cacheToValue(CACHE, 'max') }), {
      log: (l) => warmLog.push(l),
    })
    expect(warm.totalSteps).toBe(3)
    expect(warm.cachedSteps).toBeGreaterThanOrEqual(1)
    expect(warm.cachedSteps).toBe(3) // mode=max: every step comes back from the registry cache
    expect(warm.steps.filter((s) => s.cached).length).toBe(warm.cachedSteps)
    expect(warmLog).toContainEqual(expect.stringMatching(/^#\d+ importing cache manifest from 127\.0\.0\.1:5000\/test-buildx-/))
    expect(warmLog).toContainEqual(expect.stringMatching(/^#\d+ CACHED$/))
    expect(warm.cacheExport).toBe('exported')
    expect(warm.digest).toBe(await registryDigest('t2'))
  })

  test('plain progress (the fallback) counts the same steps', async () => {
    // after the builds above, every step of this Dockerfile is in the local build cache
    const file = dockerfile()
    const log: string[] = []
    const out = await runBuild(spec({ tag: 'plain', dockerfile: file, output: 'load', progress: 'plain' }), { log: (l) => log.push(l) })
    expect(out.totalSteps).toBe(3)
    expect(out.cachedSteps).toBe(3)
    expect(out.cacheExport).toBe('skipped')
    expect(log).toContainEqual(expect.stringMatching(/^#\d+ \[3\/4\] COPY hello\.txt \/hello\.txt$/))
    // --load with the containerd image store: the metadata digest is the local image ID
    const id = await docker(['image', 'inspect', '--format={{.Id}}', `${REPO}:plain`], { timeoutMs: 30_000 })
    expect(out.digest).toBe(id.stdout.trim())
  })

  test('a failing RUN is a UserError with the tail of its log and the Dockerfile line', async () => {
    const file = path.join(work, 'fail.Dockerfile')
    writeFileSync(
      file,
      [`FROM ${BASE}`, `RUN echo "fail ${nonce}"`, 'RUN for i in $(seq 1 30); do echo "output line $i"; done; exit 7', 'RUN echo never', ''].join('\n'),
    )
    const err = await runBuild(spec({ tag: 'fail', dockerfile: file, output: 'none' })).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(UserError)
    const ue = err as UserError
    expect(ue.file).toBe(file)
    expect(ue.line).toBe(3)
    expect(ue.message).toMatch(/^docker buildx build failed \(exit 1\) at \[3\/4\] RUN for i in/)
    expect(ue.message).toContain('exit code: 7')
    expect(ue.message).toContain('  output line 30')
    expect(ue.message).toContain('  output line 11')
    expect(ue.message).not.toContain('output line 10\n')
    expect(ue.stack ?? '').toContain('UserError') // main prints only the message for a UserError
  })

  test.each([
    ['a Dockerfile syntax error', 'RUNN echo x', 2, /unknown instruction: RUNN/],
    ['a base image that does not exist', '', 1, /test\/does-not-exist:latest.*not found/],
  ])('%s is a UserError at its Dockerfile line', async (_name, line2, line, message) => {
    const file = path.join(work, `bad-${line}.Dockerfile`)
    const from = line === 1 ? `${REGISTRY}/test/does-not-exist:latest` : BASE
    writeFileSync(file, [`FROM ${from}`, line2 || 'RUN echo x', ''].join('\n'))
    const err = await runBuild(spec({ tag: 'bad', dockerfile: file, output: 'none' })).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).line).toBe(line)
    expect((err as UserError).file).toBe(file)
    expect((err as UserError).message).toMatch(message)
  })

  test('a cache export that fails does not fail the build', async () => {
    const file = dockerfile()
    const out = await runBuild(
      spec({
        tag: 'e',
        dockerfile: file,
        cacheTo: cacheToValue('127.0.0.1:5999/nowhere/cache:buildcache', 'min'),
      }),
    )
    expect(out.cacheExport).toBe('failed')
    expect(out.cacheNote).toMatch(/127\.0\.0\.1:5999.*(refused|connect)/)
    expect(out.digest).toBe(await registryDigest('e'))
  })

  test('abort stops the build promptly', async () => {
    const file = path.join(work, 'slow.Dockerfile')
    writeFileSync(file, [`FROM ${BASE}`, `RUN echo "slow ${nonce}" && sleep 120`, ''].join('\n'))
    const ac = new AbortController()
    const started = Date.now()
    const p = runBuild(spec({ tag: 'slow', dockerfile: file, output: 'none' }), {
      signal: ac.signal,
      log: (l) => {
        if (/^#\d+ \d+\.\d{3} slow /.test(l)) ac.abort()
      },
    })
    await expect(p).rejects.toThrow(/aborted/)
    expect(Date.now() - started).toBeLessThan(60_000)
  })

  test('createContainerBuilder: works, or fails cleanly without leaving a builder behind', async () => {
    // Here moby/buildkit cannot be pulled (no Docker Hub), so this exercises the failure path;
    // where it can be, it exercises the real thing.
    const name = `cia-e2e-${nonce}`
    const created = await createContainerBuilder({ name }).then(
      (n) => n,
      (e: unknown) => e as Error,
    )
    if (typeof created === 'string') {
      expect(created).toBe(name)
      const info = await inspectBuilder(name)
      expect(info.driver).toBe('docker-container')
      expect(info.canExportCache).toBe(true)
      await removeBuilder(name)
    } else {
      expect(created).toBeInstanceOf(Error)
      expect(created.message).toMatch(/could not create a docker-container buildx builder.*moby\/buildkit/s)
    }
    const ls = await docker(['buildx', 'ls'], { timeoutMs: 30_000 })
    expect(ls.stdout).not.toContain(name)
    await removeBuilder(name) // removing one that is gone is fine
  })

  test('without docker on PATH: a UserError naming what to install', async () => {
    await expect(inspectBuilder(undefined, { env: { PATH: path.join(work, 'empty-bin') } })).rejects.toThrow(/install Docker/)
    await expect(runBuild(spec({ tag: 'x', dockerfile: 'Dockerfile', output: 'none' }), { env: { PATH: '/nonexistent' } })).rejects.toThrow(UserError)
  })

  test('without the buildx plugin: a UserError naming it', async () => {
    const bin = path.join(work, 'fake-bin')
    mkdirSync(bin, { recursive: true })
    const fake = path.join(bin, 'docker')
    writeFileSync(fake, `#!/bin/sh\necho "docker: 'buildx' is not a docker command." >&2\necho "See 'docker --help'" >&2\nexit 1\n`)
    chmodSync(fake, 0o755)
    const env = { ...process.env, PATH: `${bin}:/usr/bin:/bin` }
    await expect(inspectBuilder(undefined, { env })).rejects.toThrow(/buildx plugin/)
    await expect(runBuild(spec({ tag: 'x', dockerfile: 'Dockerfile', output: 'none' }), { env })).rejects.toThrow(/buildx plugin/)
  })
})
