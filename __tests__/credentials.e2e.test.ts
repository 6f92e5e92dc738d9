// The credential inputs end to end: a registry that demands Basic auth (htpasswd), reached
// only through `registry-username`/`registry-password` — for the tag lookup, the push and
// the registry cache — with no Docker login at all, and the password never in the log.

import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ROOT, runAction, succeeded, visibleLog } from '../__fixtures__/action-runner.js'
import { startRegistry, type RegistryProcess } from '../__fixtures__/registry-procs.js'
import { epochOf, requireStack } from '../__fixtures__/stack.js'

const USER = 'ci-bot'
const PASSWORD = 'pw-9f8e7d6c5b4a'

let tmp: string
let ws: string
let registry: RegistryProcess

beforeAll(async () => {
  await requireStack()
  tmp = mkdtempSync(path.join(os.tmpdir(), 'creds-'))
  const file = path.join(tmp, 'htpasswd')
  writeFileSync(file, execFileSync('htpasswd', ['-Bbn', USER, PASSWORD], { encoding: 'utf8', timeout: 30_000 }))
  registry = await startRegistry(tmp, { kind: 'htpasswd', htpasswdFile: file })
  ws = path.join(tmp, 'ws')
  cpSync(path.join(ROOT, 'examples', 'quickstart'), ws, { recursive: true })
  mkdirSync(path.join(tmp, 'docker-config'))
})
afterAll(async () => {
  await registry?.stop() // in-memory storage: stopping it removes everything pushed
  rmSync(tmp, { recursive: true, force: true })
})

const ok = succeeded

it('builds, pushes and later reuses with only the credential inputs', async () => {
  const image = `${registry.addr}/acme/model`
  const inputs = { image, 'base-dockerfile': 'base.Dockerfile', 'registry-username': USER, 'registry-password': PASSWORD }
  // An empty Docker config: no login from anywhere else. The builder list is the engine's default.
  const env = { DOCKER_CONFIG: path.join(tmp, 'docker-config'), SOURCE_DATE_EPOCH: epochOf('2026-11-23') }
  const first = ok(await runAction(inputs, { cwd: ws, env }))
  expect(first.outputs['base-reused']).toBe('false')
  expect(first.outputs.digest).toMatch(/^sha256:/)

  const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`
  const tags = (await (await fetch(`http://${registry.addr}/v2/acme/model/tags/list`, { headers: { Authorization: auth } })).json()) as { tags: string[] }
  expect(tags.tags).toEqual(expect.arrayContaining([first.outputs['base-tag'], 'buildcache']))

  const second = ok(await runAction(inputs, { cwd: ws, env }))
  expect(second.outputs['base-reused']).toBe('true')
  expect(second.outputs.digest).toBe(first.outputs.digest)

  for (const r of [first, second]) {
    expect(visibleLog(r) + r.summary).not.toContain(PASSWORD)
    expect(visibleLog(r)).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'))
    expect(r.stdout).toContain(`::add-mask::${PASSWORD}`)
  }
})
