// Issue 7 end to end: a fork pull request cannot push images or export registry cache, so
// the action keeps BuildKit's cache in the Actions cache (a loopback server implementing
// the cache service protocol of @actions/cache). Its second push, on a fresh runner, builds
// warm from it, pushes nothing, posts no comment, and says all that in the job summary.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ROOT, runAction, succeeded } from '../__fixtures__/action-runner.js'
import { startActionsCacheServer, type ActionsCacheServer } from '../__fixtures__/actions-cache-server.js'
import { startGitHubApi, type GitHubApi } from '../__fixtures__/github-api.js'
import { REGISTRY, epochOf, listTags, pruneBuildCache, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'

const repo = uniqueRepo('fork')
const image = `${REGISTRY}/${repo}`
let tmp: string
let ws: string
let cache: ActionsCacheServer
let api: GitHubApi

const forkEvent = {
  name: 'pull_request',
  payload: {
    number: 7,
    pull_request: { number: 7, head: { ref: 'main', repo: { full_name: 'eve/model' } }, base: { ref: 'main', repo: { full_name: 'acme/model' } } },
    repository: { full_name: 'acme/model', default_branch: 'main' },
  },
}

beforeAll(async () => {
  await requireStack()
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fork-'))
  ws = path.join(tmp, 'ws')
  cpSync(path.join(ROOT, 'examples', 'quickstart'), ws, { recursive: true })
  // An environment no other test has: nothing for it exists in the registry.
  const env = path.join(ws, 'environment.yml')
  writeFileSync(env, readFileSync(env, 'utf8').replace('numpy=1.26', `numpy=1.${process.pid % 1000}`))
  cache = await startActionsCacheServer()
  api = await startGitHubApi()
  api.addToken('ghs_forkReadOnly0123456789abcdefgh', 'github-actions[bot]', false)
})
afterAll(async () => {
  await cache?.close()
  await api?.close()
  await removeRepo(repo) // also removes the images the runs loaded into the engine
  rmSync(tmp, { recursive: true, force: true })
})

it('a fork PR’s second push builds warm from the Actions cache, pushes nothing and comments nothing', async () => {
  const inputs = { image, 'base-dockerfile': 'base.Dockerfile', dockerfile: 'Dockerfile', tags: 'pr-7', 'github-token': 'ghs_forkReadOnly0123456789abcdefgh' }
  const run = () =>
    runAction(inputs, {
      cwd: ws,
      event: forkEvent,
      // RUNNER_TEMP is the same on every run of a runner (the cache path is part of the cache version).
      env: { ...cache.env, RUNNER_TEMP: path.join(tmp, 'runner-temp'), GITHUB_API_URL: api.origin, SOURCE_DATE_EPOCH: epochOf('2026-11-23') },
    })

  pruneBuildCache()
  const first = succeeded(await run())
  expect(first.stdout).toContain('Build cache: both')
  expect(Number(first.outputs['cached-steps'])).toBe(0)
  expect(cache.entries().length).toBeGreaterThanOrEqual(2) // base and app

  // A fresh runner: no BuildKit cache, no images in the engine.
  await removeRepo(repo)
  pruneBuildCache()
  const second = succeeded(await run())
  expect(second.outputs['base-reused']).toBe('false') // nothing was pushed, so there is no base to reuse
  const cached = Number(second.outputs['cached-steps'])
  const total = Number(second.outputs['total-steps'])
  expect(cached).toBeGreaterThanOrEqual(1)
  expect(cached).toBeGreaterThan(total / 2)
  expect(second.stdout).toMatch(/Actions cache: restored/)

  expect(await listTags(repo)).toEqual([])
  expect(api.writes()).toEqual([])
  expect(second.summary).toMatch(/fork/)
  expect(second.summary).toMatch(/Actions cache: restored/)
})
