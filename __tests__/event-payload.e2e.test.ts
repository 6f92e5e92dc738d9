// The event payload file is read inside the action's error boundary: a payload the runner
// could not have written (truncated JSON, not an object, a directory) is one clean error
// naming GITHUB_EVENT_PATH — no stack trace, nothing pushed.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction } from '../__fixtures__/action-runner.js'
import { REGISTRY, listTags, uniqueRepo } from '../__fixtures__/stack.js'

let ws: string
beforeAll(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'event-payload-'))
  writeFileSync(path.join(ws, 'environment.yml'), 'channels: [conda-forge]\ndependencies: [python=3.12]\n')
  writeFileSync(path.join(ws, 'truncated.json'), '{"pull_request": {"number": 3, "head": {"repo": ')
  writeFileSync(path.join(ws, 'null.json'), 'null')
  mkdirSync(path.join(ws, 'a-directory.json'))
})
afterAll(() => rmSync(ws, { recursive: true, force: true }))

describe('a bad event payload file', () => {
  it.each([
    ['truncated.json', /not valid JSON/],
    ['null.json', /does not hold a JSON object/],
    ['a-directory.json', /could not be read/],
  ])('%s: one error naming GITHUB_EVENT_PATH, no stack trace, nothing pushed', async (file, pattern) => {
    const repo = uniqueRepo('event')
    const r = await runAction({ image: `${REGISTRY}/${repo}` }, { cwd: ws, env: { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: path.join(ws, file) } })
    expect(r.code).not.toBe(0)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/GITHUB_EVENT_PATH/)
    expect(errors[0]!.message).toMatch(pattern)
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
    expect(await listTags(repo)).toEqual([])
  })
})
