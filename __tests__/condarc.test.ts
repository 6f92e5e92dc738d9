import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { isCondarcPath, readCondarc } from '../src/secrets/condarc.js'
import { fingerprint } from '../src/hash/index.js'
import { diffDocuments } from '../src/hash/diff.js'
import { condarcFile } from '../__fixtures__/input-files.js'

let ws: string
beforeAll(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'condarc-'))
  writeFileSync(path.join(ws, '.condarc'), 'channels: [conda-forge]\nchannel_alias: https://mirror.example/conda\n')
  writeFileSync(path.join(ws, 'environment.yml'), 'dependencies: [numpy]\n')
})
afterAll(() => rmSync(ws, { recursive: true, force: true }))

test('a single line without ":" is a path; anything else inline YAML', () => {
  expect(isCondarcPath('.condarc')).toBe(true)
  expect(isCondarcPath('ci/condarc.yml')).toBe(true)
  expect(isCondarcPath('channels: [x]')).toBe(false)
  expect(isCondarcPath('channels:\n  - x')).toBe(false)
})

test('reads a file in the workspace, or inline YAML; redacts tokens and URL credentials for the hash', () => {
  expect(readCondarc('', condarcFile(ws))).toBeUndefined()
  const file = readCondarc('.condarc', condarcFile(ws))!
  expect(file.text).toContain('mirror.example')
  expect(file.hashed).toEqual({ channels: ['conda-forge'], channel_alias: 'https://mirror.example/conda' })
  const inline = readCondarc(
    'channel_alias: https://bob:pa55word@mirror.example/conda\ncustom_channels:\n  private: https://conda.example/t/tok-123456789/\nchannel_settings:\n  - channel: x\n    auth: s3cret-auth\nssl_verify: true\n',
    condarcFile(ws),
  )!
  expect(inline.hashed).toEqual({
    channel_alias: 'https://bob:***@mirror.example/conda',
    custom_channels: { private: 'https://conda.example/t/***/' },
    channel_settings: [{ channel: 'x', auth: '***' }],
    ssl_verify: 'true',
  })
  expect(JSON.stringify(inline.hashed)).not.toMatch(/pa55word|tok-123456789|s3cret-auth/)
  expect(inline.secretValues).toEqual(expect.arrayContaining(['pa55word', 'tok-123456789', 's3cret-auth']))
})

test.each([
  ['missing.condarc', /"condarc": file "missing.condarc" does not exist/],
  ['../../etc/hostname', /outside the workspace|does not exist/],
  ['- a\n- b', /must be a YAML mapping/],
  ['a: [unclosed', /is not valid YAML/],
])('refuses %j', (value, message) => {
  expect(() => readCondarc(value, condarcFile(ws))).toThrow(message)
})

test('the hash: the condarc content counts, its tokens and the secret values do not; secret ids do', async () => {
  const env = path.join(ws, 'environment.yml')
  const base = { environmentFile: env, workspace: ws, baseDockerfile: { content: 'FROM x\n' }, buildArgs: [], platforms: ['linux/amd64'] }
  const plain = await fingerprint(base)
  const withRc = (yaml: string) => fingerprint({ ...base, condarc: readCondarc(yaml, condarcFile(ws))!.hashed })
  const a = await withRc('channel_alias: https://mirror-a.example\ntoken: one-token-value\n')
  const rotated = await withRc('channel_alias: https://mirror-a.example\ntoken: another-token\n')
  const moved = await withRc('channel_alias: https://mirror-b.example\ntoken: one-token-value\n')
  expect(a.hash).not.toBe(plain.hash)
  expect(rotated.hash).toBe(a.hash)
  expect(moved.hash).not.toBe(a.hash)
  expect(a.json).not.toContain('one-token-value')
  expect(diffDocuments(a.document, moved.document)).toEqual([
    { section: 'condarc', kind: 'changed', item: 'channel_alias', before: '"https://mirror-a.example"', after: '"https://mirror-b.example"' },
  ])
  const ids = await fingerprint({ ...base, secretIds: ['secret:token'] })
  expect(ids.hash).not.toBe(plain.hash)
  expect(ids.document.secrets).toEqual(['secret:token'])
  expect((await fingerprint({ ...base, secretIds: [] })).hash).toBe(plain.hash)
})
