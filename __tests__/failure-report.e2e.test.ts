// Failures are reported: a failing build writes the job summary and updates the sticky PR
// comment (loopback GitHub API) with what failed, where (the user's Dockerfile and line) and
// what to try — the comment no longer shows the previous run's "✅ pushed". Also the checks
// of the application Dockerfile: a hard-coded FROM warns on its line; a missing
// `ARG BASE_IMAGE` and an unknown `target` are clean user errors on the Dockerfile.

import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, succeeded, visibleLog } from '../__fixtures__/action-runner.js'
import type { GitHubApi } from '../__fixtures__/github-api.js'
import { prFixture, type PrFixture } from '../__fixtures__/pr-fixture.js'
import { BUSYBOX, REGISTRY, epochOf, listTags, removeRepo, uniqueRepo } from '../__fixtures__/stack.js'
import { e2eSuite } from '../__fixtures__/e2e-suite.js'

const TOKEN = 'ghs_failureReportToken0123456789ab'

const prEvent = {
  name: 'pull_request',
  payload: {
    number: 9,
    pull_request: { number: 9, head: { ref: 'feature', repo: { full_name: 'acme/model' } }, base: { ref: 'main', repo: { full_name: 'acme/model' } } },
    repository: { full_name: 'acme/model', default_branch: 'main' },
  },
}

describe('a failing build', () => {
  const repo = uniqueRepo('failrep')
  const image = `${REGISTRY}/${repo}`
  let fx: PrFixture
  let api: GitHubApi
  let ws: string

  beforeAll(async () => {
    fx = await prFixture('failrep', TOKEN)
    ;({ api, ws } = fx)
  })
  afterAll(async () => {
    await fx?.close()
    await removeRepo(repo)
  })

  const run = () =>
    runAction(
      { image, 'base-dockerfile': 'base.Dockerfile', dockerfile: 'Dockerfile', 'github-token': TOKEN },
      { cwd: ws, event: prEvent, env: { GITHUB_API_URL: api.origin, GITHUB_RUN_ID: '4242', SOURCE_DATE_EPOCH: epochOf('2026-11-23') } },
    )
  const ours = () => api.commentsOf('acme', 'model', 9).filter((c) => c.body.startsWith(`<!-- conda-image-action:${image} -->`))

  it('writes the summary and replaces the PR comment with what failed, where, and what to try', async () => {
    const first = succeeded(await run())
    expect(ours()).toHaveLength(1)
    expect(ours()[0]!.body).toContain('✅ pushed')
    expect(first.summary).toContain('https://github.com/acme/model/actions/runs/4242')
    expect(first.summary).toMatch(/docker pull /)

    // A misspelled file in the application Dockerfile.
    writeFileSync(
      path.join(ws, 'Dockerfile'),
      'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY app/requirements-app.txt /app/\nCOPY app/mian.py /app/main.py\nCMD ["python", "/app/main.py"]\n',
    )
    const r = await run()
    expect(r.code).not.toBe(0)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.props.file).toBe('Dockerfile')
    expect(errors[0]!.props.line).toBe('4')
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)

    for (const body of [r.summary, ours()[0]!.body]) {
      expect(body).toMatch(/❌ \*\*Failed\*\* in Build application/)
      expect(body).toContain('Dockerfile line 4')
      expect(body).toMatch(/mian\.py/)
      expect(body).toMatch(/What to try/)
      expect(body).toMatch(/build context/)
      expect(body).not.toContain('✅ pushed')
      expect(body).not.toContain(TOKEN)
    }
    expect(ours()).toHaveLength(1) // edited in place
    expect(visibleLog(r)).not.toContain(TOKEN)
  })
})

describe('application Dockerfile checks', () => {
  const suite = e2eSuite('appcheck', { quickstart: true })
  const { repo, image } = suite

  const run = (dockerfile: string, extra: Record<string, string> = {}) => {
    writeFileSync(path.join(suite.ws, 'App.Dockerfile'), dockerfile)
    return runAction(
      { image, 'base-dockerfile': 'base.Dockerfile', dockerfile: 'App.Dockerfile', tags: 'sha-aaaaaaa', ...extra },
      { cwd: suite.ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } },
    )
  }

  it('a hard-coded FROM warns on its line (the image would not contain the environment)', async () => {
    const r = succeeded(await run(`# no BASE_IMAGE here\nFROM ${BUSYBOX}\nRUN echo app > /app.txt\n`))
    const w = r.annotations.filter((a) => a.level === 'warning' && /does not start FROM \$\{BASE_IMAGE\}/.test(a.message))
    expect(w).toHaveLength(1)
    expect(w[0]!.props.file).toBe('App.Dockerfile')
    expect(w[0]!.props.line).toBe('2')
    expect(r.summary).toMatch(/does not contain the conda environment/)
  })

  it('a missing ARG BASE_IMAGE is one clean error on the FROM line, before any build', async () => {
    const before = await listTags(repo)
    const r = await run('FROM ${BASE_IMAGE}\nRUN true\n')
    expect(r.code).not.toBe(0)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/declares no `ARG BASE_IMAGE`/)
    expect(errors[0]!.message).not.toMatch(/should not be blank/)
    expect(errors[0]!.props).toMatchObject({ file: 'App.Dockerfile', line: '1' })
    expect(r.stdout).not.toMatch(/docker buildx build/)
    expect(await listTags(repo)).toEqual(before)
  })

  it('an unknown target stage is a user error on the Dockerfile naming its stages', async () => {
    const r = await run('ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS runtime\n', { target: 'prod' })
    expect(r.code).not.toBe(0)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/Input "target": stage "prod" is not in App.Dockerfile \(its stages: runtime\)/)
    expect(errors[0]!.props.file).toBe('App.Dockerfile')
  })
})
