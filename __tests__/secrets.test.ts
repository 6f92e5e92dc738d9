import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest'
import { buildxArgs } from '../src/buildx/argv.js'
import { UserError } from '../src/vocabulary/user-error.js'
import { materialize, parseSecretInputs, secretIds, secretLines, valuesToMask, type SecretInputValues } from '../src/secrets/build-secrets.js'
import { secretFile } from '../__fixtures__/input-files.js'

let ws: string
let outside: string
const none: SecretInputValues = { secrets: '', secretFiles: '', secretEnvs: '', ssh: '' }

beforeAll(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'secrets-ws-'))
  outside = mkdtempSync(path.join(os.tmpdir(), 'secrets-out-'))
  writeFileSync(path.join(ws, 'pip.conf'), '[global]\nindex-url = https://u:p@pypi.example/simple\n')
  writeFileSync(path.join(outside, 'key'), 'secret')
  symlinkSync(path.join(outside, 'key'), path.join(ws, 'escape'))
  mkdirSync(path.join(ws, 'dir'))
})
afterAll(() => {
  rmSync(ws, { recursive: true, force: true })
  rmSync(outside, { recursive: true, force: true })
})

describe('secretLines (build-push-action list syntax)', () => {
  test.each([
    ['a=1\nb=2', ['a=1', 'b=2']],
    ['  a=x=y==  \n\n# comment\nb=', ['a=x=y==', 'b=']],
    ['"multi=line one\nline two"\nc=3', ['multi=line one\nline two', 'c=3']],
    ['"q=say ""hi"""', ['q=say "hi"']],
    ['a=1\r\nb=2\r\n', ['a=1', 'b=2']],
  ])('%j', (input, want) => expect(secretLines(input)).toEqual(want))

  test.each(['"a=unclosed', '"a=b" trailing'])('refuses %j', (input) => expect(() => secretLines(input)).toThrow(UserError))
})

describe('parseSecretInputs', () => {
  it('reads the four inputs; values may contain "="', () => {
    const s = parseSecretInputs(
      { secrets: 'token=abc=def==\nGIT_AUTH=xyz', secretFiles: 'pip_conf=pip.conf', secretEnvs: 'aws=MY_KEY', ssh: 'default\ngh=keys/id_ed25519,other' },
      ws,
      { MY_KEY: 'k' },
      secretFile(ws),
    )
    expect(s.secrets).toEqual([
      { id: 'token', kind: 'value', value: 'abc=def==' },
      { id: 'GIT_AUTH', kind: 'value', value: 'xyz' },
      { id: 'pip_conf', kind: 'file', file: path.join(ws, 'pip.conf'), bytes: readFileSync(path.join(ws, 'pip.conf')) },
      { id: 'aws', kind: 'env', env: 'MY_KEY' },
    ])
    expect(s.ssh).toEqual([
      { id: 'default', paths: [] },
      { id: 'gh', paths: [path.join(ws, 'keys/id_ed25519'), path.join(ws, 'other')] },
    ])
    expect(secretIds(s)).toEqual(['secret:GIT_AUTH', 'secret:aws', 'secret:pip_conf', 'secret:token', 'ssh:default', 'ssh:gh'])
  })

  test.each([
    [{ secrets: 'novalue' }, /Input "secrets": item 1 must be id=value/],
    [{ secrets: 'bad id=x' }, /Input "secrets"/],
    [{ secrets: 'a=1\na=2' }, /"a" is given twice/],
    [{ secretFiles: 'f=missing.txt' }, /Input "secret-files".*does not exist/],
    [{ secretFiles: 'f=../../etc/passwd' }, /outside the workspace|does not exist/],
    [{ secretFiles: 'f=escape' }, /outside the workspace/],
    [{ secretFiles: 'f=dir' }, /not a regular file/],
    [{ secretEnvs: 'e=NOT_SET_ANYWHERE' }, /NOT_SET_ANYWHERE .* is not set/],
    [{ secretEnvs: 'e=1BAD' }, /not an environment variable name/],
    [{ ssh: 'gh=' }, /names no socket or key path/],
    [{ ssh: 'default\ndefault' }, /given twice/],
  ])('%o → %s', (over, message) => {
    expect(() => parseSecretInputs({ ...none, ...over }, ws, {}, secretFile(ws))).toThrow(message)
  })

  it('never echoes a secret value in an error', () => {
    try {
      parseSecretInputs({ ...none, secrets: 'ok=1\n hunter2-value-without-id' }, ws, {}, secretFile(ws))
      expect.unreachable()
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2')
    }
  })
})

describe('materialize', () => {
  it('a secret file reaches buildx as a private copy read once: a later swap (a FIFO, other bytes) never reaches it', () => {
    writeFileSync(path.join(ws, 'swap.key'), Buffer.from([0, 1, 2, 255]))
    const s = parseSecretInputs({ ...none, secretFiles: 'k=swap.key' }, ws, {}, secretFile(ws))
    rmSync(path.join(ws, 'swap.key'))
    execFileSync('mkfifo', [path.join(ws, 'swap.key')])
    const { args, cleanup } = materialize(s)
    try {
      const file = /^id=k,src=(.+)$/.exec(args.secrets[0]!)![1]!
      expect(path.dirname(file)).not.toBe(ws)
      expect(readFileSync(file)).toEqual(Buffer.from([0, 1, 2, 255]))
      expect(statSync(file).mode & 0o777).toBe(0o600)
    } finally {
      cleanup()
      rmSync(path.join(ws, 'swap.key'))
    }
  })

  test.each([
    ['a FIFO', (f: string) => execFileSync('mkfifo', [f]), /is not a regular file/],
    ['larger than BuildKit takes (500 KiB)', (f: string) => writeFileSync(f, Buffer.alloc(600 * 1024)), /cannot be read: it is larger than 500 KiB/],
  ])('a secret file that is %s is one user error naming it', (_what, make, pattern) => {
    const f = path.join(ws, 'bad.key')
    make(f)
    try {
      expect(() => parseSecretInputs({ ...none, secretFiles: 'k=bad.key' }, ws, {}, secretFile(ws))).toThrow(pattern)
      expect(() => parseSecretInputs({ ...none, secretFiles: 'k=bad.key' }, ws, {}, secretFile(ws))).toThrow(
        /Input "secret-files": the file of secret "k" \("bad.key"\)/,
      )
    } finally {
      rmSync(f)
    }
  })

  it('writes values to 0600 files in a private directory; argv carries only ids and paths', () => {
    const s = parseSecretInputs(
      { ...none, secrets: 'token=s3cr3t-VALUE\n"multi=a\nb"', secretEnvs: 'e=HOME', ssh: 'default' },
      ws,
      { HOME: '/root' },
      secretFile(ws),
    )
    const { args, cleanup } = materialize(s)
    try {
      expect(args.ssh).toEqual(['default'])
      expect(args.secrets[2]).toBe('id=e,env=HOME')
      const file = /^id=token,src=(.+)$/.exec(args.secrets[0]!)![1]!
      expect(readFileSync(file, 'utf8')).toBe('s3cr3t-VALUE')
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700)
      expect(readFileSync(/src=(.+)$/.exec(args.secrets[1]!)![1]!, 'utf8')).toBe('a\nb')
      const argv = buildxArgs({
        context: '.',
        dockerfile: 'D',
        tags: [],
        buildArgs: [],
        labels: [],
        platforms: [],
        cacheFrom: [],
        output: 'none',
        metadataFile: 'm',
        ...args,
      })
      expect(argv.join(' ')).not.toContain('s3cr3t-VALUE')
      expect(argv).toContain(`--secret=id=token,src=${file}`)
      expect(argv).toContain('--ssh=default')
      cleanup()
      expect(existsSync(file)).toBe(false)
    } finally {
      cleanup()
    }
  })

  it('masks values and each line of multi-line values', () => {
    const s = parseSecretInputs({ ...none, secrets: '"k=line-one\nline-two"\nempty=' }, ws, {}, secretFile(ws))
    expect(valuesToMask(s, {})).toEqual(['line-one\nline-two', 'line-one', 'line-two'])
  })
})
