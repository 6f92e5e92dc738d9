// A run that must push and cannot reach a registry it pushes to fails before the lookup and
// any build, within seconds, with one error naming the host, the cause and what to do — the
// bundled action against a name that does not resolve, a loopback port that refuses, a
// loopback server that accepts and never answers, a TLS server with a self-signed
// certificate on a non-loopback address, and an extra tag on an unreachable registry (the
// image's own registry, the real one, then gets nothing).

import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import https from 'node:https'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction, visibleLog, type ActionResult } from '../__fixtures__/action-runner.js'
import { listTags, REGISTRY, requireStack, uniqueRepo } from '../__fixtures__/stack.js'
import { makeSigningCert } from '../__fixtures__/token-server.js'

let tmp: string
let ws: string
let refusedPort: number
let silent: net.Server
let tls: https.Server
let tlsAddr: string | undefined
const sockets: net.Socket[] = []

const pushEvent = { name: 'push', payload: { ref: 'refs/heads/main', repository: { full_name: 'acme/model', default_branch: 'main' } } }

/** An IPv4 address of this machine that is not loopback (the action speaks HTTPS to it), if there is one. */
function nonLoopbackAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  return undefined
}

beforeAll(async () => {
  await requireStack()
  tmp = mkdtempSync(path.join(os.tmpdir(), 'unreachable-'))
  ws = path.join(tmp, 'ws')
  cpSync(path.join(ROOT, 'examples', 'quickstart'), ws, { recursive: true })
  // a port nothing listens on: bound, then closed
  const probe = net.createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
  refusedPort = (probe.address() as AddressInfo).port
  await new Promise<void>((r) => probe.close(() => r()))
  silent = net.createServer((s) => void sockets.push(s))
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
  const host = nonLoopbackAddress()
  if (host) {
    const { keyFile, certFile } = makeSigningCert(tmp)
    tls = https.createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (_q, res) => res.end('{}'))
    await new Promise<void>((r) => tls.listen(0, host, r))
    tlsAddr = `${host}:${(tls.address() as AddressInfo).port}`
  }
})

afterAll(async () => {
  for (const s of sockets) s.destroy()
  await new Promise<void>((r) => (silent ? silent.close(() => r()) : r()))
  await new Promise<void>((r) => (tls ? tls.close(() => r()) : r()))
  rmSync(tmp, { recursive: true, force: true })
})

async function run(inputs: Record<string, string>): Promise<{ r: ActionResult; elapsed: number }> {
  const started = Date.now()
  const r = await runAction(
    { 'base-dockerfile': 'base.Dockerfile', dockerfile: 'Dockerfile', ...inputs },
    { cwd: ws, event: pushEvent, timeoutMs: 40_000, env: { GITHUB_REF: 'refs/heads/main' } },
  )
  return { r, elapsed: Date.now() - started }
}

/** One error naming the host and the cause, a non-zero exit, no build, no stack trace, within the bound. */
function expectStoppedBeforeBuilding(r: ActionResult, elapsed: number, host: string, cause: RegExp): string {
  expect(r.code).not.toBe(0)
  const errors = r.annotations.filter((a) => a.level === 'error')
  expect(errors).toHaveLength(1)
  const message = errors[0]!.message
  expect(message).toContain(`Cannot reach the registry ${host}`)
  expect(message).toMatch(cause)
  expect(message).toMatch(/stops before building\. To fix: .*push: false/)
  // Not warned about first, and no build: the buildx command is logged before every build.
  expect(r.annotations.filter((a) => a.level === 'warning').map((a) => a.message)).toEqual([])
  expect(r.stdout).not.toMatch(/docker buildx build|::group::Build (base|application)|Could not (list the tags|check push access)/)
  expect(visibleLog(r)).not.toMatch(/\n\s+at .+:\d+:\d+/)
  expect(elapsed).toBeLessThan(25_000)
  return message
}

describe('a run that must push stops before building when a registry cannot be reached', () => {
  it('a registry name that does not resolve', async () => {
    const { r, elapsed } = await run({ image: 'registry.conda-image-action.invalid/acme/model' })
    const m = expectStoppedBeforeBuilding(r, elapsed, 'registry.conda-image-action.invalid', /does not resolve \(DNS: E[A-Z_]+\)/)
    expect(m).toMatch(/named by `image`/)
  })

  it('a loopback port where nothing listens', async () => {
    const { r, elapsed } = await run({ image: `127.0.0.1:${refusedPort}/acme/model` })
    expectStoppedBeforeBuilding(r, elapsed, `127.0.0.1:${refusedPort}`, /connection to .* was refused/)
  })

  it('a server that accepts connections and never answers: the check has its own deadline of seconds', async () => {
    const addr = `127.0.0.1:${(silent.address() as AddressInfo).port}`
    const { r, elapsed } = await run({ image: `${addr}/acme/model` })
    expectStoppedBeforeBuilding(r, elapsed, addr, /accepted no request within \d+ s/)
  })

  it('a TLS server with a self-signed certificate (non-loopback address, so HTTPS)', async (t) => {
    if (!tlsAddr) return t.skip()
    const { r, elapsed } = await run({ image: `${tlsAddr}/acme/model` })
    expectStoppedBeforeBuilding(r, elapsed, tlsAddr, /TLS handshake .* failed \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\).*insecure-registries/)
  })

  it('an extra tag on an unreachable registry: named by `tags`, and the reachable registry gets nothing', async () => {
    const repo = uniqueRepo('unreachable-tag')
    const { r, elapsed } = await run({ image: `${REGISTRY}/${repo}`, tags: `latest\nregistry.conda-image-action.invalid/acme/model:v1` })
    const m = expectStoppedBeforeBuilding(r, elapsed, 'registry.conda-image-action.invalid', /does not resolve/)
    expect(m).toMatch(/named by `tags`/)
    expect(await listTags(repo)).toEqual([])
  })
})
