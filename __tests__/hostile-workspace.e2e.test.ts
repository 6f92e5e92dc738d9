// A workspace the pull request controls names no program the action runs. The source date
// is the commit time of the checkout's HEAD: a workspace laid out as a bare repository (HEAD,
// config, objects/, refs/ and no .git — a build artifact unpacked in a workflow_run job) is
// not a checkout, and a checkout's own .git/config cannot make git start a program (signature
// check, fsmonitor, pager …). A Docker config inside the workspace (DOCKER_CONFIG pointing
// there) would name Docker's credential helpers and CLI plugins: refused before docker starts.
// The canary is a script in the workspace that records that it ran, and the step's
// environment value it was given.

import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, succeeded, visibleLog } from '../__fixtures__/action-runner.js'
import { BUSYBOX, listTags, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'

const CANARY_VALUE = `canary-env-${process.pid}-${Date.now()}`
const COMMIT_TIME = 1_700_000_123
let top: string
const repos: string[] = []

beforeAll(requireStack)
afterAll(async () => {
  for (const r of repos) await removeRepo(r)
  if (top) rmSync(top, { recursive: true, force: true })
})

/** A workspace with an environment, a base and an application Dockerfile, and a canary script. */
function workspace(name: string): { ws: string; ran: string; canary: string } {
  top ??= mkdtempSync(path.join(os.tmpdir(), 'hostile-ws-'))
  const ws = path.join(top, name)
  mkdirSync(ws, { recursive: true })
  const ran = path.join(top, `${name}.ran`)
  const canary = path.join(ws, 'canary.sh')
  writeFileSync(canary, `#!/bin/sh\necho "ran $0 $* env=$CANARY_ENV" >> '${ran}'\nexit 1\n`)
  chmodSync(canary, 0o755)
  writeFileSync(path.join(ws, 'environment.yml'), 'channels: [conda-forge]\ndependencies: [python=3.12]\n')
  writeFileSync(path.join(ws, 'base.Dockerfile'), `FROM ${BUSYBOX}\nCOPY environment.yml /env.yml\n`)
  writeFileSync(path.join(ws, 'App.Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n')
  return { ws, ran, canary }
}

const git = (gitDir: string, args: string[], input?: string): string =>
  execFileSync('git', [`--git-dir=${gitDir}`, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  }).trim()

/** A signed-looking commit as HEAD of `gitDir` (so that log.showSignature has a signature to check). */
function signedHead(gitDir: string): void {
  const tree = git(gitDir, ['mktree'], '')
  const commit = [
    `tree ${tree}`,
    `author t <t@e> ${COMMIT_TIME} +0000`,
    `committer t <t@e> ${COMMIT_TIME} +0000`,
    'gpgsig -----BEGIN PGP SIGNATURE-----',
    ' ',
    ' iQEzBAABCAAdFiEEfakefakefakefakefakefakefakefakeFAKEFAKE=',
    ' -----END PGP SIGNATURE-----',
    '',
    'signed',
    '',
  ].join('\n')
  const sha = git(gitDir, ['hash-object', '-t', 'commit', '-w', '--stdin'], commit)
  git(gitDir, ['update-ref', 'refs/heads/main', sha])
  git(gitDir, ['symbolic-ref', 'HEAD', 'refs/heads/main'])
}

/** Every repository setting that names a program, pointed at the canary. */
function hostileConfig(gitDir: string, canary: string): void {
  for (const [k, v] of [
    ['log.showSignature', 'true'],
    ['gpg.program', canary],
    ['gpg.ssh.program', canary],
    ['core.fsmonitor', canary],
    ['core.pager', canary],
    ['pager.log', canary],
    ['core.sshCommand', canary],
    ['diff.external', canary],
    ['core.hooksPath', path.dirname(canary)],
  ] as const)
    git(gitDir, ['config', k, v])
}

const inputs = (repo: string) => ({
  image: `127.0.0.1:5000/${repo}`,
  'base-dockerfile': 'base.Dockerfile',
  dockerfile: 'App.Dockerfile',
  tags: 'sha-0123456',
  summary: 'false',
})

describe('git never runs a program the workspace names', () => {
  it.each([
    ['a workspace laid out as a bare repository (no .git)', 'bare', undefined],
    ['a checkout whose .git/config names programs', 'checkout', `${new Date(COMMIT_TIME * 1000).toISOString()} (from commit)`],
  ])('%s: the canary does not run, its environment value leaks nowhere', async (_what, layout, sourceDate) => {
    const { ws, ran, canary } = workspace(layout)
    const gitDir = layout === 'bare' ? ws : path.join(ws, '.git')
    execFileSync('git', ['init', '-q', ...(layout === 'bare' ? ['--bare'] : []), ws])
    signedHead(gitDir)
    hostileConfig(gitDir, canary)
    const repo = uniqueRepo('hostile-git')
    repos.push(repo)
    const r = succeeded(await runAction(inputs(repo), { cwd: ws, env: { CANARY_ENV: CANARY_VALUE, SOURCE_DATE_EPOCH: undefined }, timeoutMs: 180_000 }))
    expect(existsSync(ran) ? readFileSync(ran, 'utf8') : '').toBe('')
    expect(visibleLog(r)).not.toContain(CANARY_VALUE)
    // The bare layout is no checkout: the date comes from elsewhere (the clock here).
    if (sourceDate) expect(r.stdout).toContain(`Source date ${sourceDate}`)
    else expect(r.stdout).not.toContain('(from commit)')
  })
})

describe('a Docker config inside the workspace', () => {
  it('is refused before docker starts: its credential helper and CLI plugin never run', async () => {
    const { ws, ran, canary } = workspace('docker-config')
    const dockerDir = path.join(ws, '.docker')
    mkdirSync(path.join(dockerDir, 'cli-plugins'), { recursive: true })
    writeFileSync(path.join(dockerDir, 'config.json'), JSON.stringify({ credsStore: 'canary', credHelpers: { '127.0.0.1:5000': 'canary' } }))
    // A CLI plugin the docker CLI would run for `docker buildx`, and the helpers it would name.
    writeFileSync(path.join(dockerDir, 'cli-plugins', 'docker-buildx'), readFileSync(canary))
    chmodSync(path.join(dockerDir, 'cli-plugins', 'docker-buildx'), 0o755)
    mkdirSync(path.join(ws, 'bin'))
    writeFileSync(path.join(ws, 'bin', 'docker-credential-canary'), readFileSync(canary))
    chmodSync(path.join(ws, 'bin', 'docker-credential-canary'), 0o755)
    const repo = uniqueRepo('hostile-docker')
    const r = await runAction(inputs(repo), {
      cwd: ws,
      env: { DOCKER_CONFIG: dockerDir, CANARY_ENV: CANARY_VALUE, PATH: `${path.join(ws, 'bin')}:${process.env.PATH ?? ''}` },
      timeoutMs: 60_000,
    })
    expect(r.code).not.toBe(0)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/Docker config directory .* inside the workspace/)
    expect(existsSync(ran) ? readFileSync(ran, 'utf8') : '').toBe('')
    expect(visibleLog(r)).not.toContain(CANARY_VALUE)
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
    expect(await listTags(repo)).toEqual([])
  })
})
