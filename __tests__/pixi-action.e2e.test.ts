// A pixi project through the bundled action (dist/, run as the runner runs it), the real
// registry and BuildKit, with the bundled pixi template and the stand-in pixi image
// (__fixtures__/pixi-standin: it installs what pixi.lock lists, saying it is a stand-in):
// - a first run builds the base; a second run, and one after a cosmetic edit of the manifest
//   (a comment, a task, formatting), reuse it;
// - a package changed in the lock rebuilds, and "why" names that package;
// - a manifest without its lock fails with one annotation before anything is built, and
//   nothing is pushed.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runAction, succeeded } from '../__fixtures__/action-runner.js'
import { pushPixiStandin } from '../__fixtures__/standin.js'
import { BUSYBOX, REGISTRY, epochOf, listTags, removeRepo, uniqueRepo } from '../__fixtures__/stack.js'
import { e2eSuite } from '../__fixtures__/e2e-suite.js'

const MANIFEST = [
  '[workspace]',
  'name = "pixi-action"',
  'channels = ["conda-forge"]',
  'platforms = ["linux-64"]',
  '',
  '[dependencies]',
  'python = "3.12.*"',
  '',
  '[activation.env]',
  'APP_MODE = "base"',
  '',
  '[tasks]',
  'hello = "python -c \'print(1)\'"',
  '',
].join('\n')

const PYTHON_8 = 'https://conda.anaconda.org/conda-forge/linux-64/python-3.12.8-h9e4cc4f_1_cpython.conda'
const PYTHON_9 = 'https://conda.anaconda.org/conda-forge/linux-64/python-3.12.9-h9e4cc4f_0_cpython.conda'

/** A version 6 pixi.lock of one environment with python (at `python`) and zlib, for linux-64 and osx-arm64. */
const lock = (python: string, sha: string) =>
  [
    'version: 6',
    'environments:',
    '  default:',
    '    channels:',
    '    - url: https://conda.anaconda.org/conda-forge/',
    '    packages:',
    '      linux-64:',
    `      - conda: ${python}`,
    '      - conda: https://conda.anaconda.org/conda-forge/linux-64/libzlib-1.3.1-hb9d3cd8_2.conda',
    '      osx-arm64:',
    '      - conda: https://conda.anaconda.org/conda-forge/osx-arm64/libzlib-1.3.1-h8359307_2.conda',
    'packages:',
    '- conda: https://conda.anaconda.org/conda-forge/linux-64/libzlib-1.3.1-hb9d3cd8_2.conda',
    '  sha256: d4bfe88d7cb447768e31650f06257995601f89076080e76df55e3112d4e47dc4',
    '  md5: 41b599ed2b02abcfdd84302bff174b23',
    '- conda: https://conda.anaconda.org/conda-forge/osx-arm64/libzlib-1.3.1-h8359307_2.conda',
    '  sha256: ce34669eadaba351cd54910743e6a2261b67009624dbc7daeeafdef93616711b',
    '  md5: 369964e85dc26bfe78f41399b366c435',
    `- conda: ${python}`,
    `  sha256: ${sha}`,
    '',
  ].join('\n')

describe('a pixi project through the action (stand-in pixi, bundled pixi template)', () => {
  const suite = e2eSuite('pixi-action', { standin: pushPixiStandin })
  const { image } = suite

  const run = (day: string, dir = suite.ws, img = image) =>
    runAction(
      { image: img, 'environment-file': 'pixi.toml', 'base-build-args': `PIXI_IMAGE=${suite.standin.ref}\nRUNTIME_IMAGE=${BUSYBOX}` },
      { cwd: dir, env: { SOURCE_DATE_EPOCH: epochOf(day) }, timeoutMs: 400_000 },
    )

  it('builds a base, reuses it on the next run and after a cosmetic manifest edit; a lock package change rebuilds and is named', async () => {
    writeFileSync(path.join(suite.ws, 'pixi.toml'), MANIFEST)
    writeFileSync(path.join(suite.ws, 'pixi.lock'), lock(PYTHON_8, '3f0e0518c992d8ccfe62b189125721309836fe48a010dc424240583e157f9ff0'))

    const first = succeeded(await run('2026-11-20'))
    expect(first.outputs['base-reused']).toBe('false')
    expect(first.stdout + first.stderr).toContain('pixi (stand-in): installed 2 conda and 0 PyPI package(s) into /app/.pixi/envs/default')
    expect(first.summary).toContain('from pixi environment `default` of `pixi.lock`')
    const hash = first.outputs['env-hash']!

    const again = succeeded(await run('2026-11-20'))
    expect(again.outputs['base-reused']).toBe('true')
    expect(again.outputs['base-tag']).toBe(first.outputs['base-tag'])

    // a comment, a task, formatting and key order of the manifest: the same environment
    const cosmetic = MANIFEST.replace('[tasks]', '# tasks do not change the environment\n[tasks]\ntest = "pytest"')
      .replace('python = "3.12.*"', "python   =   '3.12.*'")
      .replace('name = "pixi-action"\nchannels = ["conda-forge"]', 'channels = [ "conda-forge" ]\nname = "pixi-action"')
    writeFileSync(path.join(suite.ws, 'pixi.toml'), cosmetic)
    const edited = succeeded(await run('2026-11-21'))
    expect(edited.outputs['env-hash']).toBe(hash)
    expect(edited.outputs['base-reused']).toBe('true')

    // python 3.12.8 → 3.12.9 in the lock (linux-64): a new environment, python named as the change
    writeFileSync(path.join(suite.ws, 'pixi.lock'), lock(PYTHON_9, '0'.repeat(64)))
    const changed = succeeded(await run('2026-11-22'))
    expect(changed.outputs['env-hash']).not.toBe(hash)
    expect(changed.outputs['base-reused']).toBe('false')
    const s = changed.summary
    const why = s.slice(s.indexOf('#### Why the base was'), s.indexOf('#### ', s.indexOf('#### Why the base was') + 5))
    expect(why).toMatch(/^#### Why the base was built\n\nCompared with `base-[0-9a-f]{12}-20261120`: 1 changed\./)
    expect(why).toContain('- conda:python: conda:python=3.12.8\n+ conda:python: conda:python=3.12.9')
    expect(why).not.toMatch(/libzlib|pixi|channels/)
  }, 1_500_000)

  it('a manifest without its lock: one error annotation before any build, nothing pushed', async () => {
    const bare = mkdtempSync(path.join(os.tmpdir(), 'ws-pixi-nolock-'))
    const nothing = uniqueRepo('pixi-nolock')
    try {
      writeFileSync(path.join(bare, 'pixi.toml'), MANIFEST)
      const r = await run('2026-11-23', bare, `${REGISTRY}/${nothing}`)
      expect(r.code).not.toBe(0)
      const errors = r.annotations.filter((a) => a.level === 'error')
      expect(errors).toHaveLength(1)
      expect(errors[0]!.message).toMatch(/there is no pixi\.lock next to this pixi manifest — run `pixi lock` and commit pixi\.lock/)
      expect(errors[0]!.props.file).toBe('pixi.toml')
      expect(r.stdout + r.stderr).not.toMatch(/buildx build|pixi \(stand-in\)/)
      expect(r.stdout + r.stderr).not.toMatch(/at .*\.js:\d+/)
      expect(await listTags(nothing)).toEqual([])
      expect(readFileSync(path.join(bare, 'pixi.toml'), 'utf8')).toBe(MANIFEST)
    } finally {
      await removeRepo(nothing)
      rmSync(bare, { recursive: true, force: true })
    }
  }, 300_000)
})
