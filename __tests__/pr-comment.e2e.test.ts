// The sticky PR comment through the whole action: dist/index.js on a pull_request event,
// with the real @actions/github client pointed at a loopback GitHub API (GITHUB_API_URL).

import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction, succeeded, visibleLog } from '../__fixtures__/action-runner.js'
import { startGitHubApi, type GitHubApi } from '../__fixtures__/github-api.js'
import { REGISTRY, epochOf, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'

const TOKEN = 'ghs_e2eWriteToken0123456789abcdef'
const READ_ONLY = 'ghs_e2eReadOnlyToken0123456789abc'

function prEvent(fork: boolean) {
  return {
    name: 'pull_request',
    payload: {
      action: 'synchronize',
      number: 42,
      pull_request: {
        number: 42,
        head: { ref: 'feature', repo: { full_name: fork ? 'eve/model' : 'acme/model' } },
        base: { ref: 'main', repo: { full_name: 'acme/model' } },
      },
      repository: { full_name: 'acme/model' },
    },
  }
}

const ok = succeeded

describe('sticky PR comment', () => {
  const repo = uniqueRepo('comment')
  const image = `${REGISTRY}/${repo}`
  let api: GitHubApi
  let ws: string
  const others: { id: number; body: string }[] = []

  beforeAll(async () => {
    await requireStack()
    api = await startGitHubApi()
    api.addToken(TOKEN, 'github-actions[bot]', true).addToken(READ_ONLY, 'github-actions[bot]', false)
    for (let i = 0; i < 35; i++) {
      const c = api.addComment(
        'acme',
        'model',
        42,
        i % 7 === 0 ? `<!-- conda-image-action:${image}-other -->\nlookalike ${i}` : `review comment ${i}`,
        `user${i}`,
      )
      others.push({ id: c.id, body: c.body })
    }
    ws = mkdtempSync(path.join(os.tmpdir(), 'ws-comment-'))
    cpSync(path.join(ROOT, 'examples', 'quickstart'), ws, { recursive: true })
  })
  afterAll(async () => {
    await api?.close()
    await removeRepo(repo)
    rmSync(ws, { recursive: true, force: true })
  })

  const run = (token: string, fork = false) =>
    runAction(
      { image, 'base-dockerfile': 'base.Dockerfile', 'github-token': token },
      { cwd: ws, event: prEvent(fork), env: { GITHUB_API_URL: api.origin, SOURCE_DATE_EPOCH: epochOf('2026-11-23') } },
    )

  it('first run creates one comment, the second edits it in place, others stay untouched', async () => {
    const first = ok(await run(TOKEN))
    let comments = api.commentsOf('acme', 'model', 42)
    expect(comments).toHaveLength(36)
    const ours = comments.filter((c) => c.body.startsWith(`<!-- conda-image-action:${image} -->`))
    expect(ours).toHaveLength(1)
    expect(ours[0]!.body).toContain(first.outputs['base-tag'])

    const second = ok(await run(TOKEN))
    expect(second.outputs['base-reused']).toBe('true')
    comments = api.commentsOf('acme', 'model', 42)
    expect(comments).toHaveLength(36)
    const after = comments.filter((c) => c.body.startsWith(`<!-- conda-image-action:${image} -->`))
    expect(after).toHaveLength(1)
    expect(after[0]!.id).toBe(ours[0]!.id)
    expect(after[0]!.body).toMatch(/reused/i)
    expect(
      api
        .writes()
        .filter((w) => w.method === 'PATCH')
        .every((w) => w.path.endsWith(`/${ours[0]!.id}`)),
    ).toBe(true)
    for (const o of others) expect(comments.find((c) => c.id === o.id)?.body).toBe(o.body)

    for (const r of [first, second]) {
      expect(visibleLog(r) + r.summary).not.toContain(TOKEN)
      expect(r.stdout).toContain(`::add-mask::${TOKEN}`)
    }
  })

  it('a fork pull request pushes nothing, writes no comment and says why in the summary', async () => {
    const writes = api.writes().length
    const r = ok(await run(READ_ONLY, true))
    expect(api.writes().length).toBe(writes)
    expect(r.summary).toMatch(/fork/)
    expect(visibleLog(r) + r.summary).not.toContain(READ_ONLY)
  })

  it('a read-only token on a same-repository PR is skipped with a notice, not a failure', async () => {
    // Our comment as an older report left it, so this run has something to write (an up-to-date
    // comment is not written again, and a run can render the same report as the one before).
    const ours = api.commentsOf('acme', 'model', 42).find((c) => c.body.startsWith(`<!-- conda-image-action:${image} -->`))!
    ours.body += '\n(an older report)'
    const before = JSON.stringify(api.commentsOf('acme', 'model', 42))
    const r = ok(await run(READ_ONLY))
    expect(JSON.stringify(api.commentsOf('acme', 'model', 42))).toBe(before)
    expect(api.writes().at(-1)?.status).toBe(403)
    expect(r.annotations.some((a) => a.level === 'notice')).toBe(true)
  })
})
