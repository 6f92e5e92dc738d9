// A registry hiccup during the push (the Distribution registry answered 500 to a HEAD of the
// tag while another job wrote the same dated tag) must not fail the step: the action tries
// the build once more. A loopback front passes everything through to the real registry but
// answers the first HEAD of a base manifest with 500.

import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ROOT, runAction, succeeded } from '../__fixtures__/action-runner.js'
import { registryFront, type RegistryFront } from '../__fixtures__/registry-front.js'
import { epochOf, getManifest, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'

const repo = uniqueRepo('fault')
let front: RegistryFront | undefined
let frontAddr: string
let ws: string
const injected: string[] = []
// Enough failed HEADs to defeat BuildKit's own retries of the same request.
const FAILURES = Number(process.env.FAULT_FAILURES ?? 4) // BuildKit tries a HEAD 4 times (0, 1, 3, 7 s)

beforeAll(async () => {
  await requireStack()
  ws = mkdtempSync(path.join(os.tmpdir(), 'ws-fault-'))
  cpSync(path.join(ROOT, 'examples', 'quickstart'), ws, { recursive: true })
  front = await registryFront((r) => {
    // Only BuildKit's push (not the action's own registry client, which retries by itself).
    if (r.method === 'HEAD' && !r.fromAction && /\/manifests\/base-/.test(r.url) && injected.length < FAILURES) {
      injected.push(r.url)
      return 500
    }
    return undefined
  })
  frontAddr = front.addr
})
afterAll(async () => {
  await front?.close()
  await removeRepo(repo)
  rmSync(ws, { recursive: true, force: true })
})

it('a 500 from the registry during the push is retried and the step succeeds', async () => {
  const r = succeeded(
    await runAction({ image: `${frontAddr}/${repo}`, 'base-dockerfile': 'base.Dockerfile' }, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } }),
  )
  expect(injected.length).toBeGreaterThanOrEqual(1)
  const retried = r.annotations.find((a) => a.level === 'warning' && /trying once more/.test(a.message))
  expect(retried?.message).toMatch(/500 Internal Server Error/)
  expect(retried?.message).not.toMatch(/importing cache/)
  expect(r.outputs['base-reused']).toBe('false')
  expect(r.outputs.digest).toBe((await getManifest(repo, r.outputs['base-tag']!))!.digest)
})
