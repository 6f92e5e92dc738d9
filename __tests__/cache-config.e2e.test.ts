// The registry cache BuildKit can read back. BuildKit imports a registry cache's config of at
// most 1 MiB (src/buildx/cache-config.ts); a larger one exports without complaint and is
// refused at every import, so later builds run uncached. Built for real through the bundled
// action (dist/index.js) with the stand-in micromamba (__fixtures__/micromamba-standin), real
// BuildKit and the real registry:
//   - the bundled template at its default PACKAGE_LAYERS exports a cache config far under the
//     limit, for a small environment (most package groups empty: many copies of equal
//     content, the worst case) and for one of 60 packages (its package layers are plain COPY
//     steps);
//   - the same template with its package layers copied with COPY --link, for the small
//     environment (1.4 MB of cache config on BuildKit 0.13), is reported when exported, and
//     the next build on a fresh builder says that BuildKit refused the import; the same with
//     the Actions cache as the backend (a loopback cache service): BuildKit's local cache
//     import has the same ceiling.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction, succeeded } from '../__fixtures__/action-runner.js'
import { startActionsCacheServer } from '../__fixtures__/actions-cache-server.js'
import { pushStandin, type Standin } from '../__fixtures__/standin.js'
import { linkedTemplate } from '../__fixtures__/linked-template.js'
import { BUSYBOX, REGISTRY, cacheConfigSize, epochOf, pruneBuildCache, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'
import { BUILDKIT_CACHE_CONFIG_MAX } from '../src/buildx/cache-config.js'

const TEMPLATE = path.join(ROOT, 'templates', 'base.Dockerfile')

const SMALL = ['python=3.12', 'numpy=1.26', 'pandas=2.2', 'pip']

/** 60 packages of a data-science environment, as the stand-in installs them (a few larger ones). */
const LARGE = [
  'python=3.12',
  'numpy=2.1',
  'pandas=2.2',
  'scipy=1.14=standin_kib2048',
  'scikit-learn=1.5',
  'matplotlib-base=3.9',
  'pyarrow=17.0=standin_kib3072',
  ...Array.from({ length: 53 }, (_, i) => `lib-${String(i).padStart(2, '0')}=1.${i}`),
]

function workspace(packages: readonly string[]): string {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'ws-cache-config-'))
  writeFileSync(path.join(ws, 'environment.yml'), `name: ds\nchannels: [conda-forge]\ndependencies:\n${packages.map((p) => `  - ${p}\n`).join('')}`)
  return ws
}

describe('registry cache config size (stand-in micromamba, real BuildKit and registry)', () => {
  let standin: Standin
  const dirs: string[] = []
  const repos: string[] = []
  const inputs = (image: string): Record<string, string> => ({
    image,
    mode: 'base',
    'base-build-args': `MICROMAMBA_IMAGE=${standin.ref}\nRUNTIME_IMAGE=${BUSYBOX}`,
  })

  beforeAll(async () => {
    await requireStack()
    standin = pushStandin('cache-config-standin')
  })
  afterAll(async () => {
    for (const r of repos) await removeRepo(r)
    if (standin) await removeRepo(standin.repo)
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it.each([
    ['4 packages (most groups empty)', SMALL],
    ['60 packages', LARGE],
  ])('the bundled template at its default PACKAGE_LAYERS exports a cache config far under the 1 MiB BuildKit imports: %s', async (_, packages) => {
    const ws = workspace(packages)
    dirs.push(ws)
    const repo = uniqueRepo('cache-config')
    repos.push(repo)
    const r = succeeded(await runAction(inputs(`${REGISTRY}/${repo}`), { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-20') } }))
    expect(r.outputs['base-reused']).toBe('false')
    const bytes = await cacheConfigSize(repo, 'buildcache')
    expect(bytes).toBeDefined()
    // 40 package layers: 20–35 KB on BuildKit 0.13; a quarter of the limit leaves room for larger graphs and other BuildKit versions.
    expect(bytes!).toBeLessThan(BUILDKIT_CACHE_CONFIG_MAX / 4)
    expect(r.summary).not.toMatch(/1 MiB/)
  })

  it('a base whose cache config passes 1 MiB is reported when exported, and the next build says BuildKit refused the import', async () => {
    const ws = workspace(SMALL)
    dirs.push(ws)
    const repo = uniqueRepo('cache-config-linked')
    repos.push(repo)
    const linked = linkedTemplate(readFileSync(TEMPLATE, 'utf8'))
    expect(linked).toContain('COPY --link --from=layers /layers/40/ /')
    writeFileSync(path.join(ws, 'linked.Dockerfile'), linked)
    const image = `${REGISTRY}/${repo}`
    const first = succeeded(
      await runAction({ ...inputs(image), 'base-dockerfile': 'linked.Dockerfile' }, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-20') } }),
    )
    expect(await cacheConfigSize(repo, 'buildcache')).toBeGreaterThan(BUILDKIT_CACHE_CONFIG_MAX)
    const exported = first.annotations.filter((a) => a.level === 'warning' && /over the 1 MiB BuildKit imports/.test(a.message))
    expect(exported).toHaveLength(1)
    expect(exported[0]!.message).toContain(`${image}:buildcache`)
    expect(first.summary).toMatch(/cache config, over the 1 MiB BuildKit imports/)

    // A fresh builder the next day (the nightly refresh): only the registry cache could make it fast.
    pruneBuildCache()
    const next = succeeded(
      await runAction({ ...inputs(image), 'base-dockerfile': 'linked.Dockerfile' }, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-21') } }),
    )
    expect(next.outputs['base-tag']).toMatch(/-20261121$/)
    expect(next.outputs['cached-steps']).toBe('0')
    const refused = next.annotations.filter((a) => a.level === 'warning' && /was not imported/.test(a.message))
    expect(refused).toHaveLength(1)
    expect(refused[0]!.message).toMatch(/is too large \(\d+ > 1048576\)\): BuildKit imports a cache config of at most 1 MiB/)
    expect(next.summary).toMatch(/steps cached \([^)]*\) · ⚠️ base: the registry cache \S+:buildcache was not imported/)
  })

  it('the same through the Actions cache: its exported cache is warned about, and the next build says the import was refused', async () => {
    const ws = workspace(SMALL)
    dirs.push(ws)
    writeFileSync(path.join(ws, 'linked.Dockerfile'), linkedTemplate(readFileSync(TEMPLATE, 'utf8')))
    const repo = uniqueRepo('cache-config-actions')
    repos.push(repo)
    const server = await startActionsCacheServer()
    try {
      const run = (date: string) =>
        runAction(
          { ...inputs(`${REGISTRY}/${repo}`), 'base-dockerfile': 'linked.Dockerfile', 'cache-backend': 'actions' },
          { cwd: ws, env: { ...server.env, RUNNER_TEMP: path.join(ws, '.runner-temp'), SOURCE_DATE_EPOCH: epochOf(date) } },
        )
      const first = succeeded(await run('2026-11-20'))
      const exported = first.annotations.filter((a) => a.level === 'warning' && /over the 1 MiB BuildKit imports/.test(a.message))
      expect(exported.map((a) => a.message)).toEqual([
        expect.stringMatching(/^The base build: the build cache for the Actions cache was exported with a 1\.\d\d MiB cache config/),
      ])
      expect(server.entries().length).toBeGreaterThanOrEqual(1)
      pruneBuildCache()
      const next = succeeded(await run('2026-11-21'))
      expect(next.stdout).toMatch(/Actions cache: restored/)
      expect(next.outputs['cached-steps']).toBe('0')
      const refused = next.annotations.filter((a) => a.level === 'warning' && /was not imported/.test(a.message))
      expect(refused).toHaveLength(1)
      expect(refused[0]!.message).toMatch(
        /^The base build: the local build cache \(kept in the Actions cache\) was not imported \(blob sha256:[0-9a-f]{64} is too large \(\d+ > 1048576\)\): BuildKit imports a cache config of at most 1 MiB/,
      )
    } finally {
      await server.close()
    }
  })
})
