// The bundled action (mode: plan, which builds nothing) on the quickstart project: a comment,
// a blank line or CRLF line endings in the `-r` requirements file keep the environment hash
// with the bundled template, which installs the file's entries; with a base Dockerfile that
// COPYs the file, its bytes are read, so there the same edit changes the hash.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ROOT, runAction, succeeded } from '../__fixtures__/action-runner.js'
import { REGISTRY, requireStack, uniqueRepo } from '../__fixtures__/stack.js'

let tmp: string
const image = `${REGISTRY}/${uniqueRepo('req-hash')}`

beforeAll(async () => {
  await requireStack()
  tmp = mkdtempSync(path.join(os.tmpdir(), 'req-hash-'))
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** The env-hash of a plan run on a copy of the quickstart whose requirements file went through `edit`. */
async function envHash(name: string, inputs: Record<string, string>, edit: (s: string) => string = (s) => s): Promise<string> {
  const ws = path.join(tmp, name)
  cpSync(path.join(ROOT, 'examples', 'quickstart'), ws, { recursive: true })
  const file = path.join(ws, 'requirements.txt')
  writeFileSync(file, edit(readFileSync(file, 'utf8')))
  const r = succeeded(await runAction({ image, mode: 'plan', ...inputs }, { cwd: ws, timeoutMs: 60_000 }))
  expect(r.outputs['env-hash']).toMatch(/^[0-9a-f]{64}$/)
  return r.outputs['env-hash']!
}

const cosmetic = (s: string) => `# pinned for the CLI\n\n${s.replace(/\n/g, '   # note\r\n')}\n\n`

it('a cosmetic edit of the -r file keeps the hash with the bundled template', async () => {
  const before = await envHash('template-a', {})
  expect(await envHash('template-b', {}, cosmetic)).toBe(before)
  expect(await envHash('template-c', {}, (s) => s.replace('typer>=0.12', 'typer>=0.13'))).not.toBe(before)
})

it('a base Dockerfile that COPYs the file reads its bytes: the same edit changes the hash', async () => {
  const inputs = { 'base-dockerfile': 'base.Dockerfile' }
  expect(await envHash('copy-b', inputs, cosmetic)).not.toBe(await envHash('copy-a', inputs))
})
