// What a hostile workspace or job could try, below the bundled action: the bounded opener
// for the runner's files (real FIFOs, a sparse file of a gigabyte), credentials refused when
// the inputs are parsed, registered credentials masked in whatever is printed, no program
// found through a relative or workspace PATH entry, and git pointed only at a checkout's .git.

import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fc, test as prop } from '@fast-check/vitest'
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest'
import { actionDefaults } from '../__fixtures__/action-runner.js'
import { testContext } from '../__fixtures__/context.js'
import type { InputName } from '../src/vocabulary/constants.js'
import { UserError } from '../src/vocabulary/user-error.js'
import { appendRunnerFile, checkAppendable, checkDockerConfig, readRunnerFile } from '../src/fs/runner-files.js'
import { getOptions } from '../src/run/options.js'
import { githubApi } from '../src/ports/github.js'
import { ProgramNotFound, resolveProgram } from '../src/runner/process.js'
import { maskSecrets, registerSecret } from '../src/text/redact.js'
import { checkoutGitDir, committerSeconds, headCommitSeconds } from '../src/context/source-date.js'
import { inputFiles } from '../__fixtures__/input-files.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostile-inputs-'))
  execFileSync('mkfifo', [path.join(dir, 'fifo')])
  writeFileSync(path.join(dir, 'sparse'), '')
  truncateSync(path.join(dir, 'sparse'), 1024 * 1024 * 1024)
  writeFileSync(path.join(dir, 'regular'), 'x\n')
  mkdirSync(path.join(dir, 'a-dir'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const userError = (f: () => unknown): string => {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(UserError)
    return (e as Error).message
  }
  throw new Error('expected a UserError')
}

describe("the runner's files", () => {
  test.each([
    ['fifo', /GITHUB_EVENT_PATH\) ".*fifo" could not be read: it is not a regular file/],
    ['sparse', /GITHUB_EVENT_PATH\) ".*sparse" could not be read: it is larger than 25 MiB/],
    ['a-dir', /could not be read: it is a directory/],
    ['missing', /could not be read: file not found/],
  ])('reading %s is one user error naming the file and why, at once', (name, pattern) => {
    expect(userError(() => readRunnerFile('GITHUB_EVENT_PATH', path.join(dir, name)))).toMatch(pattern)
  })

  test.each(['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY'] as const)(
    '%s: a FIFO, a directory or a missing file is refused without blocking; a regular file is appended to',
    (name) => {
      for (const bad of ['fifo', 'a-dir', 'missing']) {
        expect(userError(() => checkAppendable(name, path.join(dir, bad)))).toMatch(new RegExp(`${name}.*could not be written`))
        expect(userError(() => appendRunnerFile(name, path.join(dir, bad), 'x'))).toMatch(/could not be written/)
      }
      const file = path.join(dir, `${name}.txt`)
      writeFileSync(file, 'a\n')
      checkAppendable(name, file)
      appendRunnerFile(name, file, 'b\n')
      expect(readFileSync(file, 'utf8')).toBe('a\nb\n')
    },
  )

  it('a FIFO with a reader waiting is still refused (fstat, not only the open)', async () => {
    // A reader holds the FIFO open, so a non-blocking open for writing succeeds: fstat refuses it.
    const reader = spawn('sh', ['-c', `exec 3<>'${path.join(dir, 'fifo')}'; echo open; exec sleep 30`], { stdio: ['ignore', 'pipe', 'ignore'] })
    try {
      await new Promise<void>((resolve) => reader.stdout.once('data', () => resolve()))
      expect(userError(() => checkAppendable('GITHUB_OUTPUT', path.join(dir, 'fifo')))).toMatch(/not a regular file/)
    } finally {
      reader.kill('SIGKILL')
    }
  })

  it('the job summary is capped at GitHub’s 1 MiB', () => {
    const file = path.join(dir, 'summary.md')
    writeFileSync(file, '')
    truncateSync(file, 1024 * 1024 - 10)
    expect(userError(() => appendRunnerFile('GITHUB_STEP_SUMMARY', file, 'x'.repeat(100)))).toMatch(/GITHUB_STEP_SUMMARY.*would grow past 1 MiB/)
  })

  it('a Docker config inside the workspace, or whose config.json is a FIFO, is refused; a missing one is fine', () => {
    const ws = path.join(dir, 'ws')
    mkdirSync(path.join(ws, '.docker'), { recursive: true })
    symlinkSync(path.join(ws, '.docker'), path.join(dir, 'link-to-ws-docker'))
    expect(userError(() => checkDockerConfig(path.join(ws, '.docker'), ws))).toMatch(/inside the workspace/)
    expect(userError(() => checkDockerConfig(path.join(dir, 'link-to-ws-docker'), ws))).toMatch(/inside the workspace/)
    mkdirSync(path.join(dir, 'docker-fifo'))
    execFileSync('mkfifo', [path.join(dir, 'docker-fifo', 'config.json')])
    expect(userError(() => checkDockerConfig(path.join(dir, 'docker-fifo'), ws))).toMatch(/Docker config.*not a regular file/)
    expect(() => checkDockerConfig(path.join(dir, 'no-docker-here'), ws)).not.toThrow()
  })
})

describe('@actions/github never reads the event payload', () => {
  it('loading the comment module with GITHUB_EVENT_PATH at a FIFO does not block', async () => {
    const saved = process.env.GITHUB_EVENT_PATH
    process.env.GITHUB_EVENT_PATH = path.join(dir, 'fifo')
    try {
      const noToken = { token: '', owner: 'acme', repo: 'model', issueNumber: 1, image: 'x' }
      const quiet = { info: () => {}, notice: () => {}, warning: () => {}, debug: () => {} }
      expect(await githubApi.upsertComment(noToken, 'body', quiet)).toBe('skipped')
      expect(process.env.GITHUB_EVENT_PATH).toBe(path.join(dir, 'fifo'))
    } finally {
      if (saved === undefined) delete process.env.GITHUB_EVENT_PATH
      else process.env.GITHUB_EVENT_PATH = saved
    }
  }, 20_000)
})

describe('credentials are refused when the inputs are parsed, never quoted', () => {
  const ws = () => {
    const w = path.join(dir, 'opts')
    mkdirSync(w, { recursive: true })
    writeFileSync(path.join(w, 'environment.yml'), 'dependencies: [numpy]\n')
    return w
  }
  const parse = (inputs: Record<string, string>) => {
    const all: Record<string, string> = { ...actionDefaults(''), image: 'ghcr.io/acme/model', ...inputs }
    const get = (name: InputName) => all[name] ?? ''
    return getOptions(testContext({ workspace: ws() }), get, inputFiles)
  }
  const SECRET = 'S3CRETpart'
  test.each([
    ['github-token', `ghs_${SECRET}\nmore`, 'a line break (U+000A)'],
    ['github-token', `ghs_${SECRET}\rmore`, 'a line break (U+000D)'],
    ['github-token', `ghs_${SECRET}\u2028more`, 'a line break (U+2028)'],
    ['github-token', `ghs_${SECRET} more`, 'a space (U+0020)'],
    ['github-token', `ghs_${SECRET}\u00e9`, 'a character outside visible ASCII (U+00E9)'],
    ['registry-password', `${SECRET}\u0000x`, 'a NUL character (U+0000)'],
    ['registry-password', `${SECRET}\u001b[31m`, 'a control character (U+001B)'],
    ['registry-password', `${SECRET}\u0085x`, 'a control character (U+0085)'],
    ['registry-username', `bot\n${SECRET}`, 'a line break (U+000A)'],
  ])('%s = %j: a user error naming the input and the character, not the value', (input, value, what) => {
    const inputs: Record<string, string> =
      input === 'github-token' ? { [input]: value } : { 'registry-username': 'bot', 'registry-password': 'pw', [input]: value }
    const message = userError(() => parse(inputs))
    expect(message).toContain(`Input "${input}" contains ${what}`)
    expect(message).not.toContain(SECRET)
  })

  it('ordinary credentials pass as they are', () => {
    const o = parse({ 'github-token': 'ghs_abcDEF012_xyz', 'registry-username': 'me@example.com', 'registry-password': 'p@ss wörd!' })
    expect([o.githubToken, o.registryUsername, o.registryPassword]).toEqual(['ghs_abcDEF012_xyz', 'me@example.com', 'p@ss wörd!'])
  })
})

describe('registered credentials are masked in what is printed', () => {
  prop.prop([fc.string({ minLength: 4, maxLength: 40 }).filter((s) => s.trim().length >= 4), fc.string(), fc.string()])(
    'the value and its JSON-escaped form never survive maskSecrets',
    (secret, before, after) => {
      registerSecret(secret)
      for (const text of [`${before}${secret}${after}`, `${before}${JSON.stringify(secret)}${after}`]) {
        const masked = maskSecrets(text)
        expect(masked.includes(secret)).toBe(false)
      }
    },
  )

  it('a token with a line break, quoted the way a header check quotes it', () => {
    const token = 'ghs_lineBreakToken0123\nsecondHalf4567'
    registerSecret(token)
    const m = maskSecrets(`Headers.append: ${JSON.stringify(`token ${token}`)} is an invalid header value.`)
    expect(m).not.toContain('lineBreakToken0123')
    expect(m).not.toContain('secondHalf4567')
  })
})

describe('no program the workspace provides is found on PATH', () => {
  it('relative PATH entries, entries inside GITHUB_WORKSPACE and names with a slash are skipped', () => {
    const ws = path.join(dir, 'path-ws')
    for (const d of ['bin', 'sys']) {
      mkdirSync(path.join(ws, d), { recursive: true })
      writeFileSync(path.join(ws, d, 'canary-prog'), '#!/bin/sh\n')
      chmodSync(path.join(ws, d, 'canary-prog'), 0o755)
    }
    mkdirSync(path.join(dir, 'outside-bin'))
    writeFileSync(path.join(dir, 'outside-bin', 'canary-prog'), '#!/bin/sh\n')
    chmodSync(path.join(dir, 'outside-bin', 'canary-prog'), 0o755)
    const env = { GITHUB_WORKSPACE: ws, PATH: ['bin', `${ws}/sys`, path.join(dir, 'outside-bin')].join(':') }
    expect(resolveProgram('canary-prog', env)).toBe(path.join(dir, 'outside-bin', 'canary-prog'))
    expect(() => resolveProgram('canary-prog', { ...env, PATH: ['bin', `${ws}/sys`].join(':') })).toThrow(ProgramNotFound)
    expect(() => resolveProgram('./bin/canary-prog', env)).toThrow(ProgramNotFound)
  })
})

describe('git reads only a checkout', () => {
  test.each([
    ['a .git directory', true, (w: string) => mkdirSync(path.join(w, '.git'))],
    ['a gitdir: file', true, (w: string) => writeFileSync(path.join(w, '.git'), 'gitdir: ../elsewhere/.git/worktrees/x\n')],
    ['a .git file that is not a gitfile', false, (w: string) => writeFileSync(path.join(w, '.git'), 'hello\n')],
    ['a .git FIFO', false, (w: string) => execFileSync('mkfifo', [path.join(w, '.git')])],
    ['a .git symlink', false, (w: string) => symlinkSync('/tmp', path.join(w, '.git'))],
    ['a bare repository layout (HEAD, config, objects/, refs/)', false, (w: string) => execFileSync('git', ['init', '-q', '--bare', w])],
    ['nothing', false, () => undefined],
  ])('%s: a checkout? %s', (_what, expected, make) => {
    const w = mkdtempSync(path.join(dir, 'git-'))
    make(w)
    expect(checkoutGitDir(w) !== undefined).toBe(expected)
  })

  it('a bare repository layout gives no commit time (git is not even started)', async () => {
    const w = mkdtempSync(path.join(dir, 'bare-'))
    execFileSync('git', ['init', '-q', '--bare', w])
    let started = 0
    const proc = { run: () => ((started += 1), Promise.resolve({ code: 0, stdout: 'committer a <a> 1 +0000\n', stderr: '' })) }
    expect(await headCommitSeconds(w, 1000, proc)).toBeUndefined()
    expect(started).toBe(0)
  })

  test.each([
    ['tree t\nauthor a <a@b> 5 +0000\ncommitter c <c@d> 1700000123 +0100\n\nmsg committer x <y> 9 +0000\n', 1_700_000_123],
    ['tree t\n\ncommitter c <c@d> 1700000123 +0100\n', undefined],
    ['tree t\ncommitter c <c@d> 99999999999999 +0000\n', undefined],
    ['tree t\ncommitter c <c@d> soon +0000\n', undefined],
  ])('committerSeconds(%j) is %s', (text, expected) => {
    expect(committerSeconds(text)).toBe(expected)
  })
})
