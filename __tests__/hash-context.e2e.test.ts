// End to end through the bundle: a custom base Dockerfile that COPYs a script from the build
// context and RUNs it. Editing the script rebuilds the base (new env-hash) and the summary
// names the changed file; editing a file the Dockerfile never reads reuses the base.

import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, succeeded, type ActionResult } from '../__fixtures__/action-runner.js'
import { REGISTRY, epochOf, listTags, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'

const DOCKERFILE = `FROM 127.0.0.1:5000/test/busybox:latest
ARG ENVIRONMENT_FILE=environment.yml
COPY \${ENVIRONMENT_FILE} scripts/post-install.sh /tmp/
RUN sh /tmp/post-install.sh > /post-install.out
`

function write(dir: string, rel: string, content: string): void {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
  writeFileSync(path.join(dir, rel), content)
}

function expectOk(r: ActionResult): void {
  succeeded(r)
  expect(r.annotations.filter((a) => a.level === 'error')).toEqual([])
}

describe('a base Dockerfile that copies a script from the build context', () => {
  const repo = uniqueRepo('hashctx')
  const image = `${REGISTRY}/${repo}`
  const inputs = { image, 'base-dockerfile': 'base.Dockerfile' }
  let ws: string
  let first: ActionResult

  beforeAll(async () => {
    await requireStack()
    ws = mkdtempSync(path.join(os.tmpdir(), 'ws-hashctx-'))
    write(ws, 'environment.yml', 'name: ctx\nchannels: [conda-forge]\ndependencies:\n  - python=3.12\n')
    write(ws, 'base.Dockerfile', DOCKERFILE)
    write(ws, 'scripts/post-install.sh', 'echo one\n')
    write(ws, 'README.md', 'not read by the base build\n')
    first = await runAction(inputs, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-20') } })
  })
  afterAll(async () => {
    await removeRepo(repo)
    rmSync(ws, { recursive: true, force: true })
  })

  it('editing the copied script rebuilds the base and the summary names the file; an unrelated edit reuses it', async () => {
    expectOk(first)
    expect(first.outputs['base-reused']).toBe('false')

    write(ws, 'scripts/post-install.sh', 'echo two\n')
    const second = await runAction(inputs, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-21') } })
    expectOk(second)
    expect(second.outputs['env-hash']).not.toBe(first.outputs['env-hash'])
    expect(second.outputs['base-reused']).toBe('false')
    expect(await listTags(repo)).toContain(second.outputs['base-tag'])
    expect(second.summary).toMatch(/@@ build context files @@\n- scripts\/post-install\.sh: [0-9a-f]{12}\n\+ scripts\/post-install\.sh: [0-9a-f]{12}\n/)

    write(ws, 'README.md', 'edited, still not read by the base build\n')
    const third = await runAction(inputs, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-21') } })
    expectOk(third)
    expect(third.outputs['env-hash']).toBe(second.outputs['env-hash'])
    expect(third.outputs['base-reused']).toBe('true')
    expect(third.outputs['base-tag']).toBe(second.outputs['base-tag'])
  })
})

// A symlink a wildcard matches: BuildKit copies its target's bytes (followed inside the build
// context), so editing the target must rebuild the base, never reuse a stale one.
describe('a base Dockerfile whose wildcard matches a symlink', () => {
  const repo = uniqueRepo('hashlink')
  const image = `${REGISTRY}/${repo}`
  const inputs = { image, 'base-dockerfile': 'base.Dockerfile' }
  let ws: string

  beforeAll(async () => {
    await requireStack()
    ws = mkdtempSync(path.join(os.tmpdir(), 'ws-hashlink-'))
    write(ws, 'environment.yml', 'name: ctx\nchannels: [conda-forge]\ndependencies:\n  - python=3.12\n')
    write(ws, 'base.Dockerfile', 'FROM 127.0.0.1:5000/test/busybox:latest\nCOPY conf* /etc/app/\n')
    write(ws, 'settings/app.ini', 'one\n')
    symlinkSync('/settings/app.ini', path.join(ws, 'conf.ini'))
  })
  afterAll(async () => {
    await removeRepo(repo)
    rmSync(ws, { recursive: true, force: true })
  })

  it('editing the target (outside the wildcard, reached through an absolute link) rebuilds the base', async () => {
    const first = await runAction(inputs, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-20') } })
    expectOk(first)
    write(ws, 'settings/app.ini', 'two\n')
    const second = await runAction(inputs, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-21') } })
    expectOk(second)
    expect(second.outputs['env-hash']).not.toBe(first.outputs['env-hash'])
    expect(second.outputs['base-reused']).toBe('false')
    expect(second.summary).toMatch(/@@ build context files @@\n- conf\.ini: [0-9a-f]{12}\n\+ conf\.ini: [0-9a-f]{12}\n/)
  })
})
