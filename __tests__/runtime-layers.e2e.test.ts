// PACKAGE_LAYERS against the runtime image, through the bundled action and the real registry:
// a runtime image of 30 layers (a real OCI index: linux/amd64 with 30 distinct layers,
// linux/arm64 with 2) and PACKAGE_LAYERS=95 make 95 + the template's fixed layers + 30 > 127
// on this runner's platform: one user error naming the limit and the counts, before any
// build, nothing pushed. The same runtime image with PACKAGE_LAYERS=94 passes the check
// (the run then fails at the build, which starts from a micromamba image that does not exist).

import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { pack } from 'tar-stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction } from '../__fixtures__/action-runner.js'
import { OCI_INDEX, OCI_MANIFEST, Seeder } from '../__fixtures__/registry-procs.js'
import { REGISTRY, listTags, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'
import { FIXED_LAYERS, MAX_IMAGE_LAYERS } from '../src/layers/package-layers.js'

const RUNTIME_LAYERS = 30

/** A layer of one file `/layer-<i>` (a real tar, gzip-compressed): its blob and its diff ID. */
async function layer(i: number): Promise<{ blob: Buffer; diffId: string }> {
  const p = pack()
  const chunks: Buffer[] = []
  p.on('data', (c: unknown) => void chunks.push(c as Buffer))
  const done = new Promise<void>((resolve) => p.on('end', resolve))
  p.entry({ name: `layer-${i}`, mtime: new Date(0) }, `layer ${i}\n`)
  p.finalize()
  await done
  const tar = Buffer.concat(chunks)
  return { blob: gzipSync(tar), diffId: `sha256:${createHash('sha256').update(tar).digest('hex')}` }
}

/** Pushes `<repo>:latest`: an index of linux/amd64 (`amd64` layers) and linux/arm64 (2 layers). */
async function pushRuntime(repo: string, amd64: number): Promise<string> {
  const seeder = new Seeder(REGISTRY)
  const descs = []
  for (const [architecture, n] of [
    ['amd64', amd64],
    ['arm64', 2],
  ] as const) {
    const layers = []
    const diffIds = []
    for (let i = 0; i < n; i++) {
      const l = await layer(i)
      layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...(await seeder.blob(repo, l.blob)) })
      diffIds.push(l.diffId)
    }
    const config = await seeder.blob(repo, JSON.stringify({ architecture, os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds } }))
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers,
    })
    const digest = await seeder.manifest(repo, architecture, body, OCI_MANIFEST)
    descs.push({ mediaType: OCI_MANIFEST, digest, size: Buffer.byteLength(body), platform: { os: 'linux', architecture } })
  }
  await seeder.manifest(repo, 'latest', JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: descs }), OCI_INDEX)
  return `${REGISTRY}/${repo}:latest`
}

describe('PACKAGE_LAYERS + fixed layers + the runtime image’s layers ≤ 127, before any build', () => {
  const repo = uniqueRepo('rtlayers')
  const runtimeRepo = uniqueRepo('rtlayers-runtime')
  let runtime: string
  let ws: string

  beforeAll(async () => {
    await requireStack()
    runtime = await pushRuntime(runtimeRepo, RUNTIME_LAYERS)
    ws = mkdtempSync(path.join(os.tmpdir(), 'ws-rtlayers-'))
    writeFileSync(path.join(ws, 'environment.yml'), `name: t\ndependencies:\n  - python=3.12\n  - zlib=1.${process.pid}\n`)
  })
  afterAll(async () => {
    await removeRepo(repo)
    await removeRepo(runtimeRepo)
    if (ws) rmSync(ws, { recursive: true, force: true })
  })

  const run = (layers: number) =>
    runAction(
      {
        image: `${REGISTRY}/${repo}`,
        platforms: 'linux/amd64',
        'base-build-args': `MICROMAMBA_IMAGE=${REGISTRY}/${repo}-no-such-micromamba:1\nRUNTIME_IMAGE=${runtime}\nPACKAGE_LAYERS=${layers}`,
      },
      { cwd: ws, timeoutMs: 120_000 },
    )

  it('one error naming the limit and the counts; no build ran, nothing pushed', async () => {
    const over = MAX_IMAGE_LAYERS - FIXED_LAYERS - RUNTIME_LAYERS + 1
    const r = await run(over)
    expect(r.code).not.toBe(0)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toContain(
      `Input "base-build-args": PACKAGE_LAYERS=${over} + ${FIXED_LAYERS} fixed layers of the template + ${RUNTIME_LAYERS} layers of the runtime image ${runtime} ` +
        `for linux/amd64 = 128 layers, more than the 127 an image may have (containerd's limit): set PACKAGE_LAYERS to at most ${over - 1} in base-build-args`,
    )
    expect(r.stdout).not.toContain('Building base')
    expect(r.stdout).not.toMatch(/buildx build/)
    expect(r.stdout).not.toContain('no-such-micromamba')
    expect(await listTags(repo)).toEqual([])
  })

  it('at the limit, the check passes and the build starts', async () => {
    const r = await run(MAX_IMAGE_LAYERS - FIXED_LAYERS - RUNTIME_LAYERS)
    expect(r.code).not.toBe(0)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).not.toContain('PACKAGE_LAYERS')
    expect(r.stdout).toContain('no-such-micromamba')
    expect(await listTags(repo)).toEqual([])
  })
})
