// The real environments of __fixtures__/real-envs (which the GitHub `template` job builds with
// the real micromamba and conda-forge), built here with the stand-in micromamba, and checked
// by the same script inside the image: __fixtures__/real-envs/app/assert-image.sh, copied into
// the application image and run by the action's `smoke-test` input before anything is pushed.
// Only the image differs from the GitHub job; the script, the fixtures and the inputs do not.

import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pushStandin, type Standin } from '../__fixtures__/standin.js'
import { ROOT, runAction, succeeded } from '../__fixtures__/action-runner.js'
import { BUSYBOX, REGISTRY, listTags, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'

const FIXTURES = path.join(ROOT, '__fixtures__', 'real-envs')

/** What the template job passes for each fixture (the same table is in .github/workflows/ci.yml). */
const CASES = [
  { dir: 'python-numpy', file: 'environment.yml', checks: '--import numpy --import six --activated PROJ_DATA --pip tomli --package proj' },
  { dir: 'zlib-lock', file: 'conda-lock.yml', checks: '--package zlib' },
  { dir: 'curl-explicit', file: 'conda-linux-64.lock', checks: '--package curl' },
] as const

describe('real environments, stand-in micromamba: the template job’s assertion script passes as a smoke test', () => {
  let standin: Standin | undefined
  const repos: string[] = []
  let ws: string

  beforeAll(async () => {
    await requireStack()
    standin = pushStandin('realenv-standin')
    ws = mkdtempSync(path.join(os.tmpdir(), 'ws-realenvs-'))
    cpSync(FIXTURES, ws, { recursive: true })
  })
  afterAll(async () => {
    for (const r of [...repos, ...(standin ? [standin.repo] : [])]) await removeRepo(r)
    if (ws) rmSync(ws, { recursive: true, force: true })
  })

  const inputs = (c: (typeof CASES)[number], image: string): Record<string, string> => ({
    image,
    'environment-file': `${c.dir}/${c.file}`,
    dockerfile: 'app/Dockerfile',
    context: 'app',
    tags: `${image}:app`,
    'base-build-args': `MICROMAMBA_IMAGE=${standin!.ref}\nRUNTIME_IMAGE=${BUSYBOX}`,
    'smoke-test': `sh /home/conda/assert-image.sh ${c.checks}`,
    'max-size': readFileSync(path.join(FIXTURES, c.dir, 'budget'), 'utf8').trim(),
    'fail-on-budget': 'true',
  })

  it.each(CASES)('$dir: built, smoke-tested by assert-image.sh, then pushed', async (c) => {
    const repo = uniqueRepo(`realenv-${c.dir}`)
    repos.push(repo)
    const image = `${REGISTRY}/${repo}`
    const r = succeeded(await runAction(inputs(c, image), { cwd: ws }))
    expect(r.stdout).toContain('assert-image.sh: all checks passed')
    expect(r.stdout).not.toMatch(/^\s*\| FAIL /m)
    expect(r.summary).toContain('**Smoke tests** — passed before anything was pushed')
    expect(r.summary).toContain('(the tested image)')
    expect(r.outputs['base-reused']).toBe('false')
    const tags = await listTags(repo)
    expect(tags).toContain('app')
    expect(tags.filter((t) => t.startsWith('base-'))).toHaveLength(1)
  })

  it('python-numpy a second time: the base is reused, the smoke test runs on the new application image', async () => {
    const c = CASES[0]
    const image = `${REGISTRY}/${repos[0]!}`
    const r = succeeded(await runAction(inputs(c, image), { cwd: ws }))
    expect(r.outputs['base-reused']).toBe('true')
    expect(r.stdout).toContain('assert-image.sh: all checks passed')
    expect(r.summary).toContain('**Smoke tests** — passed before anything was pushed')
  })
})
