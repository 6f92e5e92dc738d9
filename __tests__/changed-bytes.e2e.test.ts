// The `changed-bytes` output through the bundled action, the real registry and BuildKit, with
// the stand-in micromamba (incompressible payloads): after a one-package bump of an
// environment (`big` 3.0 → 3.1, 1 MiB of payload), the new base's changed-bytes equals the
// compressed sizes of its layers that the previous base does not have — read here from the
// registry's manifests, independently of the action — and that is about the bumped package's
// layer: it plus the small unowned-files and size-manifest layers, nothing of the others.

import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runAction, succeeded } from '../__fixtures__/action-runner.js'
import { pushStandin } from '../__fixtures__/standin.js'
import { BUSYBOX, epochOf, getManifest } from '../__fixtures__/stack.js'
import { e2eSuite } from '../__fixtures__/e2e-suite.js'

const MiB = 1024 * 1024
const ENV = (big: string) =>
  ['name: t', 'dependencies:', '  - python=3.12', '  - numpy=2.1', `  - big=${big}=standin_kib1024`, '  - six=1.16', '  - tqdm=4.66', '  - zlib=1.3', ''].join(
    '\n',
  )

interface Layer {
  readonly digest: string
  readonly size: number
}

/** The layers of the image's (only) platform manifest, by its base tag. */
async function layersOf(repo: string, ref: string): Promise<Layer[]> {
  const m = await getManifest(repo, ref)
  if (!m) throw new Error(`${repo}:${ref} not found`)
  if (m.body.manifests) {
    const images = m.body.manifests.filter((d) => d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')
    expect(images).toHaveLength(1)
    return layersOf(repo, images[0]!.digest)
  }
  return (m.body.layers ?? []).map((l) => ({ digest: l.digest, size: l.size }))
}

describe('changed-bytes after a one-package bump (bundled template, package layers)', () => {
  const suite = e2eSuite('changedbytes', { standin: pushStandin })
  const { repo, image } = suite

  const run = (big: string, day: string) => {
    writeFileSync(path.join(suite.ws, 'environment.yml'), ENV(big))
    const inputs = { image, 'base-build-args': `MICROMAMBA_IMAGE=${suite.standin.ref}\nRUNTIME_IMAGE=${BUSYBOX}` }
    return runAction(inputs, { cwd: suite.ws, env: { SOURCE_DATE_EPOCH: epochOf(day) }, timeoutMs: 400_000 })
  }

  it('equals the bytes of the layers the previous base lacks: the bumped package’s layer and the small last ones', async () => {
    const first = succeeded(await run('3.0', '2026-11-20'))
    expect(first.outputs['base-reused']).toBe('false')
    // The first base of the repository: nothing to compare with, the output is empty.
    expect(first.outputs['changed-bytes']).toBe('')
    const second = succeeded(await run('3.1', '2026-11-21'))
    expect(second.outputs['base-reused']).toBe('false')

    const [before, now] = [await layersOf(repo, first.outputs['base-tag']!), await layersOf(repo, second.outputs['base-tag']!)]
    const had = new Set(before.map((l) => l.digest))
    const fresh = [...new Map(now.filter((l) => !had.has(l.digest)).map((l) => [l.digest, l])).values()]
    const sum = fresh.reduce((s, l) => s + l.size, 0)
    expect(second.outputs['changed-bytes']).toBe(String(sum))

    // The bumped package's layer (its 1 MiB payload does not compress) and at most the
    // unowned-files and size-manifest layers beside it; every other package layer is shared.
    const pkg = Math.max(...fresh.map((l) => l.size))
    expect(pkg).toBeGreaterThan(MiB)
    expect(fresh.length).toBeLessThanOrEqual(3)
    expect(sum).toBeLessThanOrEqual(pkg + MiB)
    expect(now.length - fresh.length).toBeGreaterThan(3)
    expect(second.summary).toMatch(/\| New layers \| \*\*[\d.]+ [kM]B\*\* of its [\d.]+ [kM]B of compressed layers — what a node that has /)
  })
})
