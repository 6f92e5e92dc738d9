// A pull request's hostile environment, through the bundled action as the runner runs it
// (dist/index.js, INPUT_* variables, a pull_request event, the real registry and BuildKit,
// a loopback GitHub API for the comment): every read stays in the workspace and bounded,
// nothing of a refused file or the process environment is printed, credentials in pip
// options never reach the log, the summary or the comment, and bad input pushes nothing.
// Also: a 5,000-dependency environment builds and pushes (its document label compressed).

import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, succeeded, visibleLog, type ActionResult } from '../__fixtures__/action-runner.js'
import { startGitHubApi, type GitHubApi } from '../__fixtures__/github-api.js'
import { REGISTRY, epochOf, getManifest, listTags, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'
import { parseDocumentLabel } from '../src/hash/document.js'

const SECRET = 'planted-e2e-secret-4b9d0e'
const TOKEN = 'ghs_confineE2eToken0123456789abcdef'

/** Stand-in base Dockerfile (as in examples/quickstart), light: no payload proportional to the environment. */
const BASE_DOCKERFILE = `ARG BASE_FROM=${REGISTRY}/test/busybox:latest
FROM \${BASE_FROM}
ARG ENVIRONMENT_FILE=environment.yml
COPY \${ENVIRONMENT_FILE} /tmp/env/
RUN mkdir -p /opt/conda/conda-meta && wc -l /tmp/env/* > /opt/conda/conda-meta/specs.txt
`

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ws-confine-'))
  for (const [rel, content] of Object.entries({ 'base.Dockerfile': BASE_DOCKERFILE, ...files })) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    writeFileSync(path.join(dir, rel), content)
  }
  return dir
}

const pipEnv = (...entries: string[]) =>
  `name: hostile\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n${entries.map((e) => `      - ${e}\n`).join('')}`

function prEvent() {
  return {
    name: 'pull_request',
    payload: {
      number: 7,
      pull_request: { number: 7, head: { ref: 'evil', repo: { full_name: 'acme/model' } }, base: { ref: 'main', repo: { full_name: 'acme/model' } } },
      repository: { full_name: 'acme/model' },
    },
  }
}

function expectNothingLeaked(r: ActionResult, extra = ''): void {
  const all = `${visibleLog(r)}\n${r.summary}\n${extra}`
  expect(all).not.toContain(SECRET)
  expect(all).not.toMatch(/TOKEN-(ALICE|BOB)/)
  expect(all).not.toMatch(/root:x:0:0/)
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
}

describe('hostile references through the bundled action', () => {
  const repo = uniqueRepo('confine')
  const image = `${REGISTRY}/${repo}`
  let api: GitHubApi
  let ws: string
  beforeAll(async () => {
    await requireStack()
    api = await startGitHubApi()
    api.addToken(TOKEN, 'github-actions[bot]', true)
  })
  afterAll(async () => {
    await api?.close()
    await removeRepo(repo)
    if (ws) rmSync(ws, { recursive: true, force: true })
  })

  it('devices, /proc, escapes and credentials: warnings with file and line, nothing leaked to log, summary or comment', async () => {
    ws = workspace({
      'environment.yml': pipEnv(
        '-r z.txt',
        '-r /dev/urandom',
        '-r environ.txt',
        '-r /proc/self/environ',
        '-r ../../../../etc/passwd',
        '-r file:///etc/hostname',
        '-e /',
        '-e ./missing --extra-index-url https://alice:TOKEN-ALICE@pypi.example/simple',
        '-r req.txt',
      ),
      'req.txt': 'flask==3.0\n--index-url https://bob:TOKEN-BOB@pypi.example/simple\n-e ./gone\n',
    })
    symlinkSync('/dev/zero', path.join(ws, 'z.txt'))
    symlinkSync('/proc/self/environ', path.join(ws, 'environ.txt'))
    const t0 = Date.now()
    const r = await runAction(
      { image, 'base-dockerfile': 'base.Dockerfile', mode: 'plan', 'github-token': TOKEN },
      { cwd: ws, event: prEvent(), env: { GITHUB_API_URL: api.origin, CONFINE_SECRET: SECRET, SOURCE_DATE_EPOCH: epochOf('2026-11-23') }, timeoutMs: 120_000 },
    )
    expect(Date.now() - t0).toBeLessThan(120_000)
    succeeded(r)
    const warnings = r.annotations.filter((a) => a.level === 'warning')
    const outside = warnings.filter((w) => /is not read/.test(w.message))
    expect(outside.map((w) => `${w.props.file}:${w.props.line}`)).toEqual([
      'environment.yml:7',
      'environment.yml:8',
      'environment.yml:9',
      'environment.yml:10',
      'environment.yml:11',
      'environment.yml:12',
      'environment.yml:13',
    ])
    expect(warnings.find((w) => /missing/.test(w.message))).toMatchObject({ props: { file: 'environment.yml', line: '14' } })
    expect(warnings.find((w) => /gone/.test(w.message))).toMatchObject({ props: { file: 'req.txt', line: '3' } })
    const comment = api
      .commentsOf('acme', 'model', 7)
      .map((c) => c.body)
      .join('\n')
    expect(comment).toContain(repo)
    expectNothingLeaked(r, comment)
    expect(await listTags(repo)).toEqual([])
  })

  it.each([
    [
      'a FIFO as -r file',
      { 'environment.yml': pipEnv('-r f.txt') },
      (d: string) => execFileSync('mkfifo', [path.join(d, 'f.txt')]),
      {},
      /environment\.yml:7: pip entry "-r f\.txt" refers to f\.txt, which cannot be read: it is not a regular file/,
      'environment.yml',
    ],
    [
      'environment-file through /proc/self/environ',
      {},
      (d: string) => symlinkSync('/proc/self/environ', path.join(d, 'env.yml')),
      { 'environment-file': 'env.yml' },
      /Input "environment-file": "env\.yml" is a system path/,
      undefined,
    ],
    [
      'environment-file symlinked out of the workspace',
      {},
      (d: string) => symlinkSync('/etc/passwd', path.join(d, 'env.yml')),
      { 'environment-file': 'env.yml' },
      /Input "environment-file": "env\.yml" is outside the workspace/,
      undefined,
    ],
    [
      'base-dockerfile=/etc/shadow',
      { 'environment.yml': pipEnv('flask') },
      () => undefined,
      { 'base-dockerfile': '/etc/shadow' },
      /Input "base-dockerfile": "\/etc\/shadow" is outside the workspace/,
      undefined,
    ],
    [
      'dockerfile=../../etc/hostname',
      { 'environment.yml': pipEnv('flask') },
      () => undefined,
      { dockerfile: '../../etc/hostname' },
      /Input "dockerfile": "\.\.\/\.\.\/etc\/hostname" is outside the workspace/,
      undefined,
    ],
  ] as const)('%s: one clean error, bounded, nothing pushed', async (_name, files, setup, inputs, message, file) => {
    const dir = workspace(files)
    const bad = uniqueRepo('confine-bad')
    try {
      setup(dir)
      const t0 = Date.now()
      const r = await runAction(
        { image: `${REGISTRY}/${bad}`, 'base-dockerfile': 'base.Dockerfile', ...inputs },
        { cwd: dir, env: { CONFINE_SECRET: SECRET }, timeoutMs: 60_000 },
      )
      expect(Date.now() - t0).toBeLessThan(60_000)
      expect(r.code).not.toBe(0)
      const errors = r.annotations.filter((a) => a.level === 'error')
      expect(errors).toHaveLength(1)
      expect(errors[0]!.message).toMatch(message)
      if (file) expect(errors[0]!.props.file).toBe(file)
      expectNothingLeaked(r)
      expect(await listTags(bad)).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a -r file with 100,000 unreadable -e lines: bounded warnings and log', async () => {
    const dir = workspace({ 'environment.yml': pipEnv('-r many.txt'), 'many.txt': Array.from({ length: 100_000 }, (_, i) => `-e ./missing-${i}`).join('\n') })
    try {
      const r = await runAction({ image, 'base-dockerfile': 'base.Dockerfile', mode: 'plan' }, { cwd: dir, timeoutMs: 180_000 })
      succeeded(r)
      expect(r.annotations.filter((a) => a.level === 'warning').length).toBeLessThanOrEqual(110)
      expect(r.stdout.length + r.stderr.length).toBeLessThan(8 * 1024 * 1024) // the document is printed in plan mode
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('no argv limits', () => {
  const repo = uniqueRepo('confine-big')
  const image = `${REGISTRY}/${repo}`
  let ws: string
  beforeAll(async () => {
    await requireStack()
    const deps = Array.from({ length: 5000 }, (_, i) => `  - package-number-${String(i).padStart(5, '0')}-with-a-long-name=${i % 97}.${i % 13}.${i % 7}`)
    ws = workspace({ 'environment.yml': `name: big\nchannels: [conda-forge]\ndependencies:\n${deps.join('\n')}\n` })
  })
  afterAll(async () => {
    await removeRepo(repo)
    rmSync(ws, { recursive: true, force: true })
  })

  it('a 5,000-dependency environment builds and pushes; its document label is compressed and reads back', async () => {
    const r = succeeded(await runAction({ image, 'base-dockerfile': 'base.Dockerfile' }, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } }))
    expect(r.stdout + r.stderr).not.toMatch(/E2BIG/)
    const tag = r.outputs['base-tag']!
    expect(await listTags(repo)).toContain(tag)
    const m = await getManifest(repo, tag)
    const manifest = m!.body.manifests ? (await getManifest(repo, m!.body.manifests.find((d) => d.platform?.os !== 'unknown')!.digest))! : m!
    const config = (await (await fetch(`http://${REGISTRY}/v2/${repo}/blobs/${manifest.body.config!.digest}`)).json()) as {
      config: { Labels: Record<string, string> }
    }
    const label = config.config.Labels['io.github.conda-image-action.env-document']!
    expect(label).toMatch(/^gz1:/)
    expect(parseDocumentLabel(label)?.dependencies).toHaveLength(5000)
  })
})
