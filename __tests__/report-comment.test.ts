import { afterEach, beforeEach, describe, expect, it, test } from 'vitest'
import { error, startGitHubApi, type GitHubApi } from '../__fixtures__/github-api.js'
import { commentMarker, type CommentTarget } from '../src/report/index.js'
import { upsertPrComment, writtenBy } from '../src/report/comment.js'
import { readRunContext } from '../src/context/run-context.js'

const WRITE_TOKEN = 'ghs_WriteTokenSecret0123456789abcdef'
const READ_TOKEN = 'ghs_ReadOnlyTokenSecret0123456789abc'
const IMAGE = 'ghcr.io/acme/model'

interface Captured {
  level: 'info' | 'notice' | 'warning' | 'debug'
  message: string
}

function capture(): { log: { info(m: string): void; notice(m: string): void; warning(m: string): void; debug(m: string): void }; lines: Captured[] } {
  const lines: Captured[] = []
  const at = (level: Captured['level']) => (message: string) => {
    lines.push({ level, message })
  }
  return { lines, log: { info: at('info'), notice: at('notice'), warning: at('warning'), debug: at('debug') } }
}

let api: GitHubApi
let target: CommentTarget

beforeEach(async () => {
  api = await startGitHubApi()
  api.addToken(WRITE_TOKEN, 'github-actions[bot]', true)
  api.addToken(READ_TOKEN, 'github-actions[bot]', false)
  target = { token: WRITE_TOKEN, apiUrl: api.origin, owner: 'acme', repo: 'model', issueNumber: 7, image: IMAGE }
})

afterEach(async () => {
  await api.close()
})

function expectNoToken(lines: Captured[]): void {
  for (const l of lines) {
    expect(l.message).not.toContain(WRITE_TOKEN)
    expect(l.message).not.toContain(READ_TOKEN)
  }
}

describe('commentMarker', () => {
  it('is the prefix, the image and the comment end', () => {
    expect(commentMarker('ghcr.io/acme/model')).toBe('<!-- conda-image-action:ghcr.io/acme/model -->')
  })

  it('differs per image, also for prefixes of each other', () => {
    const a = commentMarker('ghcr.io/acme/model')
    const b = commentMarker('ghcr.io/acme/model-gpu')
    expect(a).not.toBe(b)
    expect(b.startsWith(a)).toBe(false)
    expect(b.includes(a)).toBe(false)
  })

  it.each([
    ['a--b', '<!-- conda-image-action:a-%2Db -->'],
    ['x-->y', '<!-- conda-image-action:x-%2D%3Ey -->'],
    ['a<!--b', '<!-- conda-image-action:a%3C%21-%2Db -->'],
    ['sp ace\nnl', '<!-- conda-image-action:sp%20ace%0Anl -->'],
    ['100%', '<!-- conda-image-action:100%25 -->'],
  ])('escapes %j so it cannot end the HTML comment', (image, expected) => {
    const m = commentMarker(image)
    expect(m).toBe(expected)
    const inner = m.slice('<!--'.length, -'-->'.length)
    expect(inner).not.toContain('--')
    expect(inner).not.toContain('>')
  })

  it('is injective over tricky names', () => {
    const names = ['a-b', 'a%2Db', 'a--b', 'a-%2Db', 'a b', 'a%20b', 'a\tb']
    expect(new Set(names.map(commentMarker)).size).toBe(names.length)
  })
})

describe('upsertPrComment against a loopback GitHub API', () => {
  it('creates the comment on the first run, with the marker first, authenticated', async () => {
    const { log, lines } = capture()
    const result = await upsertPrComment(target, '### report v1\n', log)
    expect(result).toBe('created')
    const comments = api.commentsOf('acme', 'model', 7)
    expect(comments).toHaveLength(1)
    expect(comments[0]!.body.startsWith(commentMarker(IMAGE))).toBe(true)
    expect(comments[0]!.body).toContain('### report v1')
    const post = api.writes()
    expect(post.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /repos/acme/model/issues/7/comments'])
    for (const r of api.requests) expect(r.headers.authorization).toMatch(new RegExp(`^(Bearer|token) ${WRITE_TOKEN}$`))
    expectNoToken(lines)
  })

  it('edits the same comment on the second run instead of adding one', async () => {
    expect(await upsertPrComment(target, 'first')).toBe('created')
    const id = api.commentsOf('acme', 'model', 7)[0]!.id
    const { log, lines } = capture()
    expect(await upsertPrComment(target, 'second', log)).toBe('updated')
    const comments = api.commentsOf('acme', 'model', 7)
    expect(comments).toHaveLength(1)
    expect(comments[0]!.id).toBe(id)
    expect(comments[0]!.body).toContain('second')
    expect(comments[0]!.body).not.toContain('first')
    expect(api.writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /repos/acme/model/issues/7/comments',
      `PATCH /repos/acme/model/issues/comments/${id}`,
    ])
    expectNoToken(lines)
  })

  // Anyone can post a comment that starts with the marker: only one the token's own account
  // wrote is ours. The Actions GITHUB_TOKEN writes as github-actions[bot] (GET /user is 403 for
  // it); a personal token as its user (GET /user answers).
  const PAT = 'ghp_AliceTokenSecret0123456789abcdefgh'
  it.each([
    ['the Actions GITHUB_TOKEN', WRITE_TOKEN, 'github-actions[bot]'],
    ['a personal token', PAT, 'alice'],
  ])('with %s, a foreign comment carrying the marker is left alone; ours is created, then updated', async (_what, token, login) => {
    api.addToken(PAT, 'alice', true)
    const bait = `${commentMarker(IMAGE)}\nplease edit me`
    const foreign = [
      api.addComment('acme', 'model', 7, bait, 'mallory'),
      // A user account named like the bot without its suffix, and another app's bot.
      api.addComment('acme', 'model', 7, bait, 'github-actions'),
      api.addComment('acme', 'model', 7, bait, 'other-app[bot]'),
      ...(login === 'alice' ? [api.addComment('acme', 'model', 7, bait, 'github-actions[bot]')] : [api.addComment('acme', 'model', 7, bait, 'alice')]),
    ]
    const { log, lines } = capture()
    expect(await upsertPrComment({ ...target, token }, 'report one', log)).toBe('created')
    expect(await upsertPrComment({ ...target, token }, 'report two', log)).toBe('updated')
    const comments = api.commentsOf('acme', 'model', 7)
    for (const f of foreign) expect(comments.find((c) => c.id === f.id)!.body).toBe(bait)
    const ours = comments.filter((c) => c.user.login === login && c.body.includes('report'))
    expect(ours).toHaveLength(1)
    expect(ours[0]!.body).toContain('report two')
    expect(api.writes().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /repos/acme/model/issues/7/comments 201',
      `PATCH /repos/acme/model/issues/comments/${ours[0]!.id} 200`,
    ])
    expect(lines.filter((l) => l.level !== 'debug' && l.level !== 'info')).toEqual([])
    expectNoToken(lines)
  })

  const BOT = { login: 'github-actions[bot]', bot: true }
  test.each([
    [{ login: 'github-actions[bot]', type: 'Bot' }, BOT, true],
    [{ login: 'github-actions', type: 'User' }, BOT, false],
    [{ login: 'github-actions[bot]', type: 'User' }, BOT, false],
    [{ login: 'alice', type: 'User' }, { login: 'alice', bot: false }, true],
    [{ login: 'alice', type: 'Bot' }, { login: 'alice', bot: false }, false],
    [{ login: 'alice2', type: 'User' }, { login: 'alice', bot: false }, false],
    [null, { login: 'alice', bot: false }, false],
  ])('writtenBy(%j, %j) is %s', (user, me, expected) => {
    expect(writtenBy(user, me)).toBe(expected)
  })

  it('keeps a body that already starts with the marker as is', async () => {
    const body = `${commentMarker(IMAGE)}\nhello`
    await upsertPrComment(target, body)
    expect(api.commentsOf('acme', 'model', 7)[0]!.body).toBe(body)
  })

  it('pages through all comments, finds ours on a late page and leaves 35 others untouched', async () => {
    const others: { id: number; body: string }[] = []
    const similar = [
      commentMarker('ghcr.io/acme/model-gpu'),
      commentMarker('ghcr.io/acme/mode'),
      commentMarker('ghcr.io/acme/model:latest'),
      '<!-- conda-image-action:ghcr.io/acme/model-->',
      '<!-- conda-image-action:GHCR.IO/acme/model -->',
      `> quoting: ${commentMarker(IMAGE)}`,
    ]
    for (let i = 0; i < 35; i++) {
      const body = i < similar.length ? `${similar[i]}\nnot ours ${i}` : `LGTM ${i}`
      others.push({ id: api.addComment('acme', 'model', 7, body, `user${i}`).id, body })
    }
    // Ours, posted long ago, after the 35: it is on page 2 with per_page 30 and page 1 with 100.
    const ours = api.addComment('acme', 'model', 7, `${commentMarker(IMAGE)}\nold report`, 'github-actions[bot]')
    for (let i = 0; i < 70; i++) others.push({ id: api.addComment('acme', 'model', 7, `later ${i}`, 'bob').id, body: `later ${i}` })

    const { log, lines } = capture()
    expect(await upsertPrComment(target, 'new report', log)).toBe('updated')

    const gets = api.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/comments'))
    expect(gets.length).toBe(2) // 106 comments at 100 per page
    expect(gets.every((r) => r.query.get('per_page') === '100')).toBe(true)
    expect(gets.map((r) => r.query.get('page') ?? '1')).toEqual(['1', '2'])
    expect(api.writes().map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH /repos/acme/model/issues/comments/${ours.id}`])

    const now = api.commentsOf('acme', 'model', 7)
    expect(now).toHaveLength(106)
    for (const o of others) expect(now.find((c) => c.id === o.id)!.body).toBe(o.body)
    expect(now.find((c) => c.id === ours.id)!.body).toContain('new report')
    expectNoToken(lines)
  })

  it('finds our comment when it is only on the last page', async () => {
    for (let i = 0; i < 250; i++) api.addComment('acme', 'model', 7, `chatter ${i}`)
    const ours = api.addComment('acme', 'model', 7, `${commentMarker(IMAGE)}\nold`, 'github-actions[bot]')
    expect(await upsertPrComment(target, 'fresh')).toBe('updated')
    expect(api.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/comments'))).toHaveLength(3)
    expect(api.writes().map((r) => r.path)).toEqual([`/repos/acme/model/issues/comments/${ours.id}`])
  })

  it('creates a new comment when only other images have one', async () => {
    const gpu = api.addComment('acme', 'model', 7, `${commentMarker('ghcr.io/acme/model-gpu')}\ngpu report`, 'github-actions[bot]')
    expect(await upsertPrComment(target, 'cpu report')).toBe('created')
    const now = api.commentsOf('acme', 'model', 7)
    expect(now).toHaveLength(2)
    expect(now.find((c) => c.id === gpu.id)!.body).toBe(`${commentMarker('ghcr.io/acme/model-gpu')}\ngpu report`)
  })

  it('skips with a notice and writes nothing when the token is read-only (fork)', async () => {
    api.addComment('acme', 'model', 7, 'hello')
    const { log, lines } = capture()
    const result = await upsertPrComment({ ...target, token: READ_TOKEN }, 'report', log)
    expect(result).toBe('skipped')
    const posts = api.writes()
    expect(posts).toHaveLength(1)
    expect(posts[0]!.status).toBe(403)
    expect(api.commentsOf('acme', 'model', 7)).toHaveLength(1)
    const notices = lines.filter((l) => l.level === 'notice')
    expect(notices).toHaveLength(1)
    expect(notices[0]!.message).toContain('403')
    expect(notices[0]!.message).toContain('Resource not accessible by integration')
    expect(lines.filter((l) => l.level === 'warning')).toHaveLength(0)
    expectNoToken(lines)
  })

  it('skips an update a read-only token cannot make', async () => {
    const ours = api.addComment('acme', 'model', 7, `${commentMarker(IMAGE)}\nold`, 'github-actions[bot]')
    const { log, lines } = capture()
    expect(await upsertPrComment({ ...target, token: READ_TOKEN }, 'new', log)).toBe('skipped')
    expect(api.commentsOf('acme', 'model', 7)[0]!.body).toBe(ours.body)
    expect(lines.some((l) => l.level === 'notice' && l.message.includes('update'))).toBe(true)
  })

  it('skips with a notice on bad credentials (401)', async () => {
    const { log, lines } = capture()
    expect(await upsertPrComment({ ...target, token: 'ghs_unknownTokenXYZ123' }, 'x', log)).toBe('skipped')
    expect(api.writes()).toHaveLength(0)
    expect(lines.some((l) => l.level === 'notice' && l.message.includes('401'))).toBe(true)
    for (const l of lines) expect(l.message).not.toContain('ghs_unknownTokenXYZ123')
  })

  it('warns and does not throw on a server error, and never logs the token even when echoed back', async () => {
    api.route('GET', '/repos/:owner/:repo/issues/:number/comments', (req) => error(502, `upstream broke while serving ${String(req.headers.authorization)}`))
    const { log, lines } = capture()
    expect(await upsertPrComment(target, 'x', log)).toBe('skipped')
    expect(api.writes()).toHaveLength(0)
    const warnings = lines.filter((l) => l.level === 'warning')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.message).toContain('502')
    expectNoToken(lines)
  })

  it('warns and does not throw when the API is unreachable', async () => {
    const url = api.origin
    await api.close()
    const { log, lines } = capture()
    expect(await upsertPrComment({ ...target, apiUrl: url }, 'x', log)).toBe('skipped')
    expect(lines.filter((l) => l.level === 'warning')).toHaveLength(1)
    expectNoToken(lines)
  })

  it('uses GITHUB_API_URL, read by the run context', async () => {
    const ctx = readRunContext({ GITHUB_API_URL: api.origin, GITHUB_WORKSPACE: process.cwd() })
    expect(await upsertPrComment({ ...target, apiUrl: ctx.apiUrl }, 'x')).toBe('created')
    expect(api.commentsOf('acme', 'model', 7)).toHaveLength(1)
  })

  it('truncates a body over GitHub’s comment limit instead of failing', async () => {
    expect(await upsertPrComment(target, `${'line of text\n'.repeat(10_000)}`)).toBe('created')
    const c = api.commentsOf('acme', 'model', 7)[0]!
    expect(c.body.length).toBeLessThanOrEqual(65_536)
    expect(c.body.startsWith(commentMarker(IMAGE))).toBe(true)
    expect(c.body).toContain('truncated')
  })
})
