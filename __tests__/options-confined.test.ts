// File inputs stay inside the workspace: `..`, absolute paths, symlinks out of it, system
// paths, FIFOs and devices are one clean error naming the input, and nothing of the refused
// file is echoed.

import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { actionDefaults } from '../__fixtures__/action-runner.js'
import { testContext } from '../__fixtures__/context.js'
import type { InputName } from '../src/vocabulary/constants.js'
import { UserError } from '../src/vocabulary/user-error.js'
import { getOptions } from '../src/run/options.js'
import { inputFiles } from '../__fixtures__/input-files.js'

let top: string
let ws: string
const getter = (inputs: Record<string, string>) => (name: InputName) =>
  (({ ...actionDefaults(''), image: 'ghcr.io/acme/model', ...inputs }) as Record<string, string>)[name] ?? ''
const run = (inputs: Record<string, string>) => getOptions(testContext({ workspace: ws }), getter(inputs), inputFiles)

beforeAll(() => {
  top = mkdtempSync(path.join(os.tmpdir(), 'opts-confined-'))
  ws = path.join(top, 'ws')
  mkdirSync(path.join(ws, 'app'), { recursive: true })
  writeFileSync(path.join(top, 'outside.txt'), 'OUTSIDE-CANARY\n')
  writeFileSync(path.join(ws, 'environment.yml'), 'dependencies: [numpy]\n')
  writeFileSync(path.join(ws, 'Dockerfile'), 'FROM x\n')
  symlinkSync(path.join(top, 'outside.txt'), path.join(ws, 'linked.yml'))
  symlinkSync('/proc/self/environ', path.join(ws, 'environ.yml'))
  symlinkSync('/dev/zero', path.join(ws, 'zero.Dockerfile'))
  symlinkSync(top, path.join(ws, 'up'))
  execFileSync('mkfifo', [path.join(ws, 'fifo.yml')])
})
afterAll(() => rmSync(top, { recursive: true, force: true }))

describe('file inputs are confined to the workspace', () => {
  const cases: [string, string, RegExp][] = [
    ['environment-file', '../outside.txt', /Input "environment-file": "..\/outside.txt" is outside the workspace/],
    ['environment-file', 'linked.yml', /Input "environment-file": "linked.yml" is outside the workspace/],
    ['environment-file', 'up/outside.txt', /is outside the workspace/],
    ['environment-file', '../../../../etc/passwd', /is outside the workspace/],
    ['environment-file', 'environ.yml', /Input "environment-file": "environ.yml" is a system path/],
    ['environment-file', '/proc/self/environ', /is a system path/],
    ['environment-file', 'fifo.yml', /Input "environment-file": "fifo.yml" is not a file/],
    ['base-dockerfile', '/etc/shadow', /Input "base-dockerfile": "\/etc\/shadow" is outside the workspace/],
    ['base-dockerfile', '../../etc/passwd', /Input "base-dockerfile".*outside the workspace/],
    ['base-dockerfile', 'zero.Dockerfile', /Input "base-dockerfile": "zero.Dockerfile" is a system path/],
    ['base-dockerfile', 'fifo.yml', /Input "base-dockerfile": "fifo.yml" is not a file/],
    ['dockerfile', '../../etc/hostname', /Input "dockerfile".*outside the workspace/],
    ['dockerfile', 'linked.yml', /Input "dockerfile".*outside the workspace/],
  ]
  it.each(cases)('%s: %s', (input, value, message) => {
    const t0 = Date.now()
    let err: unknown
    try {
      run({ [input]: value })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UserError)
    expect((err as Error).message).toMatch(message)
    expect((err as Error).message).not.toMatch(/CANARY|PATH=|root:/)
    expect(Date.now() - t0).toBeLessThan(5000)
  })

  it('context outside the workspace is refused when there is an app Dockerfile', () => {
    expect(() => run({ dockerfile: 'Dockerfile', context: '..' })).toThrow(/Input "context": ".." is outside the workspace/)
    expect(() => run({ dockerfile: 'Dockerfile', context: 'up' })).toThrow(/Input "context": "up" is outside the workspace/)
    expect(() => run({ dockerfile: 'Dockerfile', context: 'environment.yml' })).toThrow(/Input "context": "environment.yml" is not a directory/)
    expect(run({ dockerfile: 'Dockerfile', context: 'app' }).context).toBe(path.join(ws, 'app'))
  })

  it('accepts files inside, also through a symlink that stays inside', () => {
    symlinkSync('environment.yml', path.join(ws, 'alias.yml'))
    const o = run({ 'environment-file': 'alias.yml', 'base-dockerfile': 'Dockerfile' })
    expect(o.environmentFile).toBe(path.join(ws, 'alias.yml'))
    expect(o.baseDockerfile).toMatchObject({ path: path.join(ws, 'Dockerfile'), content: 'FROM x\n', bundled: false })
  })
})
