// A hostile registry through the bundled action: a loopback registry lists
// a dated base of this environment whose manifest is an index of indexes, each listing the
// next twice, 40 levels deep (a walk that follows every entry never ends), and a tag of the
// same environment dated 9999-12-31. The run reuses the base of today's date, ignores the tag
// from the future with a warning, stops the walk at its bound with a warning, reports the
// size unknown (empty `image-size`) and ends — no crash, no hang.

import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction, succeeded } from '../__fixtures__/action-runner.js'
import { serveContent, type ContentRegistry } from '../__fixtures__/content-registry.js'
import { startFaultServer, type FaultServer } from '../__fixtures__/fault-server.js'
import { epochOf } from '../__fixtures__/stack.js'
import { sha256Digest } from '../src/registry/index.js'

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const OCI_IMAGE = 'application/vnd.oci.image.manifest.v1+json'

describe('a hostile registry', () => {
  let srv: FaultServer
  let ws: string
  let registry: ContentRegistry

  beforeAll(async () => {
    srv = await startFaultServer()
    registry = serveContent(srv)
    ws = mkdtempSync(path.join(os.tmpdir(), 'ws-hostile-registry-'))
    cpSync(path.join(ROOT, 'examples', 'quickstart'), ws, { recursive: true })
  })
  afterAll(async () => {
    await srv?.close()
    rmSync(ws, { recursive: true, force: true })
  })

  const run = (mode: string) =>
    runAction(
      { image: `${srv.addr}/acme/model`, 'base-dockerfile': 'base.Dockerfile', mode, 'max-age': '', 'pr-comment': 'false' },
      { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') }, timeoutMs: 60_000 },
    )

  it('nested indexes and a tag from the future: bounded, warned, the size unknown', async () => {
    const plan = succeeded(await run('plan'))
    const hash12 = plan.outputs['env-hash']!.slice(0, 12)
    expect(hash12).toMatch(/^[0-9a-f]{12}$/)

    const { put, tags } = registry
    const config = JSON.stringify({ os: 'linux', architecture: 'amd64', config: { Labels: {} } })
    put(config)
    const image = put({
      schemaVersion: 2,
      mediaType: OCI_IMAGE,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Digest(Buffer.from(config)), size: config.length },
      layers: [],
    })
    let top = image
    for (let i = 0; i < 40; i++) {
      const child = { mediaType: i === 0 ? OCI_IMAGE : OCI_INDEX, ...top, platform: { os: 'linux', architecture: 'amd64' } }
      top = put({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [child, { ...child, annotations: { copy: '2' } }] })
    }
    tags.set(`base-${hash12}-20261123`, top.digest)
    tags.set(`base-${hash12}-99991231`, image.digest)

    const r = await run('auto')
    expect(r.stderr).not.toMatch(/heap out of memory|Maximum call stack/)
    expect(r.code).toBe(0)
    expect(r.outputs['base-tag']).toBe(`base-${hash12}-20261123`)
    expect(r.outputs['base-reused']).toBe('true')
    expect(r.outputs['image-size']).toBe('')
    const warnings = r.annotations.filter((a) => a.level === 'warning').map((a) => a.message)
    expect(warnings).toContainEqual(expect.stringMatching(new RegExp(`Ignoring 1 dated base tag .*base-${hash12}-99991231`)))
    expect(warnings).toContainEqual(expect.stringMatching(/nests image indexes more than 2 deep/))
    expect(r.annotations.filter((a) => a.level === 'error')).toEqual([])
  })
})
