// Push means push: a job that should push fails BEFORE any build when the registry refuses
// it or there are no credentials — naming the registry and how to log in — against real
// Distribution registries on loopback (htpasswd, and a token registry that lets anonymous
// callers pull but not push: a loopback registry is not assumed writable). Only a fork pull
// request skips pushing, and says so as a notice.

import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction, succeeded, visibleLog, type ActionResult } from '../__fixtures__/action-runner.js'
import { startRegistry, type RegistryProcess } from '../__fixtures__/registry-procs.js'
import { startTokenServer, type TokenServer } from '../__fixtures__/token-server.js'
import { epochOf, removeLocalImages, requireStack } from '../__fixtures__/stack.js'

const USER = 'ci-bot'
const PASSWORD = 'pw-right-0123456789'
const WRONG = 'pw-wrong-9876543210'

let tmp: string
let ws: string
let basic: RegistryProcess
let tokenReg: RegistryProcess
let ts: TokenServer
let dockerConfig: string

const pushEvent = { name: 'push', payload: { ref: 'refs/heads/main', repository: { full_name: 'acme/model', default_branch: 'main' } } }

beforeAll(async () => {
  await requireStack()
  tmp = mkdtempSync(path.join(os.tmpdir(), 'push-access-'))
  const file = path.join(tmp, 'htpasswd')
  writeFileSync(file, execFileSync('htpasswd', ['-Bbn', USER, PASSWORD], { encoding: 'utf8', timeout: 30_000 }))
  basic = await startRegistry(tmp, { kind: 'htpasswd', htpasswdFile: file })
  ts = await startTokenServer({ dir: tmp, issuer: 'push-issuer', service: 'push-registry', users: { [USER]: PASSWORD }, anonymousActions: ['pull'] })
  tokenReg = await startRegistry(tmp, { kind: 'token', realm: ts.url, service: 'push-registry', issuer: 'push-issuer', rootCertBundle: ts.certFile })
  ws = path.join(tmp, 'ws')
  cpSync(path.join(ROOT, 'examples', 'quickstart'), ws, { recursive: true })
  dockerConfig = path.join(tmp, 'docker-config')
  mkdirSync(dockerConfig)
})
afterAll(async () => {
  await basic?.stop()
  await tokenReg?.stop()
  await ts?.close()
  rmSync(tmp, { recursive: true, force: true })
})

async function tagsOf(addr: string, repo: string, auth: string): Promise<string[]> {
  const r = await fetch(`http://${addr}/v2/${repo}/tags/list`, { headers: { Authorization: auth } })
  if (r.status === 404) return []
  return ((await r.json()) as { tags: string[] | null }).tags ?? []
}

function expectFailedBeforeBuilding(r: ActionResult, registry: string): void {
  expect(r.code).not.toBe(0)
  const errors = r.annotations.filter((a) => a.level === 'error')
  expect(errors).toHaveLength(1)
  expect(errors[0]!.message).toContain(registry)
  expect(errors[0]!.message).toMatch(/docker\/login-action/)
  expect(errors[0]!.message).toMatch(/registry-username and registry-password/)
  // No build ran: the buildx command is logged (info) before every build.
  expect(r.stdout).not.toMatch(/docker buildx build|::group::Build (base|application)/)
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
  expect(r.summary).toMatch(/Failed/)
  expect(r.summary).toContain(registry)
}

const run = (inputs: Record<string, string>, event: { name: string; payload: unknown } = pushEvent) =>
  runAction(
    { 'base-dockerfile': 'base.Dockerfile', dockerfile: 'Dockerfile', ...inputs },
    { cwd: ws, event, env: { DOCKER_CONFIG: dockerConfig, GITHUB_REF: 'refs/heads/main', SOURCE_DATE_EPOCH: epochOf('2026-11-23') } },
  )

describe('a push event that cannot push fails before any build, naming the registry', () => {
  it('no credentials at all (Basic-auth registry)', async () => {
    const r = await run({ image: `${basic.addr}/acme/nocreds` })
    expectFailedBeforeBuilding(r, basic.addr)
    expect(await tagsOf(basic.addr, 'acme/nocreds', `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`)).toEqual([])
  })

  it('a wrong password in the credential inputs: the refused lookup is fatal, and the password is never shown', async () => {
    const r = await run({ image: `${basic.addr}/acme/wrongpw`, 'registry-username': USER, 'registry-password': WRONG })
    expectFailedBeforeBuilding(r, basic.addr)
    expect(r.annotations[0]!.message).toMatch(/rejected the credentials/)
    expect(visibleLog(r) + r.summary).not.toContain(WRONG)
    expect(await tagsOf(basic.addr, 'acme/wrongpw', `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`)).toEqual([])
  })

  it('a loopback registry that allows anonymous pulls but not pushes is not assumed writable', async () => {
    const r = await run({ image: `${tokenReg.addr}/acme/readonly` })
    expectFailedBeforeBuilding(r, tokenReg.addr)
    expect(r.stdout).toMatch(/tags, 0 dated base tags/) // the anonymous lookup worked
    expect(ts.issued.length).toBeGreaterThan(0)
  })
})

describe('push: auto skips pushing only where the reason is visible', () => {
  it('a fork pull request builds without pushing and says so as a notice', async () => {
    const image = `${basic.addr}/acme/forkpr`
    const fork = {
      name: 'pull_request',
      payload: {
        number: 5,
        pull_request: { number: 5, head: { ref: 'f', repo: { full_name: 'eve/model' } }, base: { ref: 'main', repo: { full_name: 'acme/model' } } },
        repository: { full_name: 'acme/model', default_branch: 'main' },
      },
    }
    try {
      const r = succeeded(await run({ image, 'pr-comment': 'false' }, fork))
      const notices = r.annotations.filter((a) => a.level === 'notice')
      expect(notices.some((n) => /Not pushing: pull request from a fork/.test(n.message))).toBe(true)
      expect(r.outputs.tags).toBe('')
      expect(r.summary).toMatch(/not pushed — pull request from a fork/)
    } finally {
      removeLocalImages(image)
    }
  })
})
