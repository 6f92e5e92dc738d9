// Every file the action opens is opened without blocking, type-checked and size-capped —
// the runner's own files too, since an earlier step of the job can replace them: a FIFO at
// GITHUB_EVENT_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY or $DOCKER_CONFIG/config.json, an
// application Dockerfile that is a FIFO or 600 MB. Each is one user error naming the file,
// before anything is built or pushed, well within a bounded time; nothing hangs.

import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction } from '../__fixtures__/action-runner.js'
import { REGISTRY, listTags, requireStack, uniqueRepo } from '../__fixtures__/stack.js'

let ws: string
let fifos: string

beforeAll(async () => {
  await requireStack()
  ws = mkdtempSync(path.join(os.tmpdir(), 'runner-files-'))
  fifos = mkdtempSync(path.join(os.tmpdir(), 'runner-fifos-'))
  writeFileSync(path.join(ws, 'environment.yml'), 'channels: [conda-forge]\ndependencies: [python=3.12]\n')
  writeFileSync(path.join(ws, 'base.Dockerfile'), 'FROM scratch\n')
  execFileSync('mkfifo', [path.join(ws, 'fifo.Dockerfile')])
  // 600 MB that take no disk: a sparse file.
  writeFileSync(path.join(ws, 'huge.Dockerfile'), '')
  truncateSync(path.join(ws, 'huge.Dockerfile'), 600 * 1024 * 1024)
  mkdirSync(path.join(fifos, 'docker'))
  execFileSync('mkfifo', [path.join(fifos, 'docker', 'config.json')])
  for (const name of ['event', 'output', 'summary']) execFileSync('mkfifo', [path.join(fifos, name)])
})
afterAll(() => {
  for (const d of [ws, fifos]) if (d) rmSync(d, { recursive: true, force: true })
})

const TIME_LIMIT_MS = 30_000

describe('a runner file or the application Dockerfile that would block or flood the step', () => {
  it.each([
    [
      'GITHUB_EVENT_PATH is a FIFO',
      () => ({ env: { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: path.join(fifos, 'event') } }),
      /GITHUB_EVENT_PATH.*not a regular file/,
    ],
    ['GITHUB_OUTPUT is a FIFO', () => ({ env: { GITHUB_OUTPUT: path.join(fifos, 'output') } }), /GITHUB_OUTPUT.*not a regular file/],
    ['GITHUB_STEP_SUMMARY is a FIFO', () => ({ env: { GITHUB_STEP_SUMMARY: path.join(fifos, 'summary') } }), /GITHUB_STEP_SUMMARY.*not a regular file/],
    ['$DOCKER_CONFIG/config.json is a FIFO', () => ({ env: { DOCKER_CONFIG: path.join(fifos, 'docker') } }), /Docker config.*config\.json.*not a regular file/],
    ['the application Dockerfile is a FIFO', () => ({ inputs: { dockerfile: 'fifo.Dockerfile' } }), /"dockerfile".*fifo\.Dockerfile.*not a file/],
    ['the application Dockerfile has 600 MB', () => ({ inputs: { dockerfile: 'huge.Dockerfile' } }), /"dockerfile".*huge\.Dockerfile.*larger than 1 MiB/],
  ])('%s: one user error naming it, nothing pushed, no hang', async (_what, setup, pattern) => {
    const repo = uniqueRepo('runner-files')
    const { env, inputs } = setup() as { env?: Record<string, string>; inputs?: Record<string, string> }
    const started = Date.now()
    const r = await runAction({ image: `${REGISTRY}/${repo}`, 'base-dockerfile': 'base.Dockerfile', ...inputs }, { cwd: ws, env, timeoutMs: TIME_LIMIT_MS })
    expect(Date.now() - started).toBeLessThan(TIME_LIMIT_MS)
    expect(r.code).not.toBe(0)
    expect(r.code).not.toBe(128) // not killed at the time limit
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(pattern)
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
    expect(await listTags(repo)).toEqual([])
  })
})
