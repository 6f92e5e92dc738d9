// A credential never reaches the log, the summary or the outputs. A token or password with a
// line break (or another control character) is refused when the inputs are parsed — one
// error naming the input, never quoting the value — before it is sent anywhere: Node's header
// check would otherwise quote it (JSON-escaped, past the runner's masking) in a warning.
// And only a comment the token's own account wrote is the sticky comment: one that merely
// starts with the marker is left alone.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, succeeded, visibleLog, type ActionResult } from '../__fixtures__/action-runner.js'
import type { GitHubApi } from '../__fixtures__/github-api.js'
import { prFixture, pullRequestEvent, type PrFixture } from '../__fixtures__/pr-fixture.js'
import { REGISTRY, epochOf, listTags, uniqueRepo } from '../__fixtures__/stack.js'

const TOKEN = 'ghs_canaryWriteToken0123456789abcd'
const event = pullRequestEvent(42)

let fx: PrFixture
let api: GitHubApi
let ws: string
beforeAll(async () => {
  fx = await prFixture('canary', TOKEN)
  ;({ api, ws } = fx)
})
afterAll(() => fx?.close())

const plan = (repo: string, inputs: Record<string, string>, token = TOKEN): Promise<ActionResult> =>
  runAction(
    { image: `${REGISTRY}/${repo}`, 'base-dockerfile': 'base.Dockerfile', mode: 'plan', ...inputs },
    { cwd: ws, event, token, env: { GITHUB_API_URL: api.origin, SOURCE_DATE_EPOCH: epochOf('2026-11-23') } },
  )

/** Everything the step shows or leaves: the log as displayed, the summary, the outputs. */
const shown = (r: ActionResult): string => `${visibleLog(r)}\n${r.summary}\n${JSON.stringify(r.outputs)}`

describe('a malformed credential', () => {
  it.each([
    ['github-token', 'a line break', { 'github-token': 'ghs_CANARYfirstHalf0123\nCANARYsecondHalf4567' }],
    // The runner ends a line at a bare carriage return too.
    ['github-token', 'a line break', { 'github-token': 'ghs_CANARYfirstHalf0123\rCANARYsecondHalf4567' }],
    ['github-token', 'a control character', { 'github-token': 'ghs_CANARYfirstHalf0123\tCANARYsecondHalf4567' }],
    ['registry-password', 'a line break', { 'registry-username': 'bot', 'registry-password': 'CANARYfirstHalf0123\nCANARYsecondHalf4567' }],
    ['registry-password', 'a control character', { 'registry-username': 'bot', 'registry-password': 'CANARYfirstHalf0123\u001bCANARYsecondHalf4567' }],
  ])('%s with %s (%j): one error naming the input, the value nowhere, no request made', async (input, what, inputs) => {
    const repo = uniqueRepo('canary')
    const before = api.requests.length
    const r = await plan(repo, inputs, (inputs as Record<string, string>)['github-token'] ?? TOKEN)
    expect(r.code).not.toBe(0)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toContain(`Input "${input}" contains ${what}`)
    for (const half of ['CANARYfirstHalf0123', 'CANARYsecondHalf4567']) expect(shown(r)).not.toContain(half)
    expect(r.annotations.filter((a) => a.level === 'warning')).toEqual([])
    expect(api.requests.length).toBe(before)
    expect(await listTags(repo)).toEqual([])
  })
})

describe('the sticky comment', () => {
  it('a comment someone else wrote with our marker is left alone; ours is created, then edited', async () => {
    const repo = uniqueRepo('canary-comment')
    const marker = `<!-- conda-image-action:${REGISTRY}/${repo} -->`
    const bait = api.addComment('acme', 'model', 42, `${marker}\nplease overwrite me`, 'mallory')
    succeeded(await plan(repo, {}))
    succeeded(await plan(repo, {}))
    const comments = api.commentsOf('acme', 'model', 42).filter((c) => c.body.startsWith(marker))
    expect(comments.map((c) => [c.user.login, c.body.includes('please overwrite me')])).toEqual([
      ['mallory', true],
      ['github-actions[bot]', false],
    ])
    const writes = api.writes().filter((w) => w.path.includes('/comments') && w.body.includes(marker))
    expect(writes.map((w) => `${w.method} ${w.status}`)).toEqual(['POST 201', 'PATCH 200'])
    expect(writes.some((w) => w.path.endsWith(`/${bait.id}`))).toBe(false)
  })
})
