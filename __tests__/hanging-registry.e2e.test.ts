// The bundled action against a registry that accepts connections and never answers (and a
// docker CLI that never answers). A run that fails on its input must exit at once: what it
// started early — the tag list, the push check, the builder inspection — ends with the run
// instead of holding the process open for its timeouts and retries: 30 s × 5 attempts per
// registry request (over two and a half minutes) and 60 s for the inspection, before this
// was fixed.

import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ROOT, runAction, visibleLog, type ActionResult } from '../__fixtures__/action-runner.js'

let silent: net.Server
let addr: string
let tmp: string
const sockets: net.Socket[] = []
let requests = 0

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'hanging-registry-'))
  cpSync(path.join(ROOT, 'examples', 'quickstart'), path.join(tmp, 'ws'), { recursive: true })
  silent = net.createServer((s) => {
    sockets.push(s)
    s.on('data', (d) => (requests += (d.toString('latin1').match(/^(GET|HEAD|POST|PUT|DELETE) \//gm) ?? []).length))
  })
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
  addr = `127.0.0.1:${(silent.address() as AddressInfo).port}`
})

afterAll(async () => {
  for (const s of sockets) s.destroy()
  await new Promise<void>((r) => (silent ? silent.close(() => r()) : r()))
  rmSync(tmp, { recursive: true, force: true })
})

/**
 * One run with an application Dockerfile (so the push check and the builder inspection start
 * early) that fails on its environment file; its time is bounded well under one attempt's
 * timeout (30 s), so waiting for any of them fails the test.
 */
async function failingRun(env: Record<string, string> = {}): Promise<{ r: ActionResult; elapsed: number }> {
  const ws = path.join(tmp, 'ws')
  writeFileSync(path.join(ws, 'environment.yml'), 'name: demo\ndependencies:\n  - python=3.12\n  - [numpy\n')
  const started = Date.now()
  const r = await runAction(
    { image: `${addr}/acme/model`, 'base-dockerfile': 'base.Dockerfile', dockerfile: 'Dockerfile', push: 'true' },
    { cwd: ws, timeoutMs: 20_000, env },
  )
  return { r, elapsed: Date.now() - started }
}

it('a run that fails on its environment file exits at once, its registry requests unanswered', async () => {
  const { r, elapsed } = await failingRun()
  expect(r.code).toBe(1)
  const errors = r.annotations.filter((a) => a.level === 'error')
  expect(errors).toHaveLength(1)
  expect(errors[0]!.props.file).toBe('environment.yml')
  expect(errors[0]!.props.line).toMatch(/^\d+$/)
  expect(visibleLog(r)).not.toMatch(/\n\s+at .+:\d+:\d+/)
  // Both early requests reached the registry and were never answered.
  expect(requests).toBeGreaterThanOrEqual(2)
  expect(elapsed).toBeLessThan(15_000)
})

it('… and a docker CLI that never answers the builder inspection: it is ended with the run, not left behind', async () => {
  // `docker buildx inspect` (started before the inputs are parsed when an application build
  // is certain) hangs; every other docker call would too.
  const bin = path.join(tmp, 'bin')
  mkdirSync(bin, { recursive: true })
  const pidFile = path.join(tmp, 'docker.pid')
  writeFileSync(path.join(bin, 'docker'), `#!/bin/sh\necho $$ > ${JSON.stringify(pidFile)}\nexec sleep 300\n`)
  chmodSync(path.join(bin, 'docker'), 0o755)
  const { r, elapsed } = await failingRun({ PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` })
  expect(r.code).toBe(1)
  expect(r.annotations.filter((a) => a.level === 'error').map((a) => a.props.file)).toEqual(['environment.yml'])
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  expect(pid).toBeGreaterThan(0)
  expect(() => process.kill(pid, 0)).toThrow() // gone (ESRCH)
  expect(elapsed).toBeLessThan(15_000)
})
