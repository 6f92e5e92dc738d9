// The licence gate over the bundled dependencies (scripts/license-check.mjs): the real lock
// passes; a production package with a licence outside the allowlist, or none, fails the
// script with exit 1 and one line naming it; development packages are not bundled.

import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it, test } from 'vitest'
import { ALLOWED, bundledPackages, licenseProblems, spdxAllowed, type LockFile } from '../scripts/license-check.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SCRIPT = path.join(ROOT, 'scripts', 'license-check.mjs')
const LOCK = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as LockFile
const tmp = mkdtempSync(path.join(tmpdir(), 'license-check-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function run(lock: LockFile): { status: number | null; stdout: string; stderr: string } {
  const file = path.join(tmp, `lock-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(file, JSON.stringify(lock))
  return spawnSync(process.execPath, [SCRIPT, '--lock', file], { encoding: 'utf8', timeout: 30_000 })
}

const lockWith = (extra: NonNullable<LockFile['packages']>): LockFile => ({ ...LOCK, packages: { ...LOCK.packages, ...extra } })

describe('spdxAllowed', () => {
  test.each([
    ['MIT', true],
    ['mit', true],
    ['Apache-2.0', true],
    ['(MIT OR GPL-3.0-only)', true],
    ['GPL-3.0-only OR MIT', true],
    ['(Apache-2.0 AND BSD-3-Clause)', true],
    ['MIT AND GPL-2.0-only', false],
    ['(MIT OR GPL-2.0) AND LGPL-3.0', false],
    ['Apache-2.0 WITH LLVM-exception', true],
    ['GPL-2.0-only WITH Classpath-exception-2.0', false],
    ['GPL-3.0-or-later', false],
    ['AGPL-3.0-only', false],
    ['MPL-2.0', false],
    ['SEE LICENSE IN LICENSE.md', false],
    ['UNLICENSED', false],
    ['(MIT', false],
    ['MIT OR', false],
    ['', false],
  ])('%s → %s', (expr, ok) => {
    expect(spdxAllowed(expr)).toBe(ok)
  })
})

describe('the bundled dependencies', () => {
  it('are the production packages of package-lock.json, each on the allowlist', () => {
    const pkgs = bundledPackages(LOCK)
    expect(pkgs.map((p) => p.id)).toEqual(expect.arrayContaining([expect.stringMatching(/^@actions\/core@/), expect.stringMatching(/^yaml@/)]))
    expect(pkgs.some((p) => p.id.startsWith('vitest@') || p.id.startsWith('typescript@'))).toBe(false)
    expect(licenseProblems(LOCK)).toEqual([])
    const r = run(LOCK)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/all \d+ bundled packages are on the allowlist/)
  })

  it('fail the script on a production package with a licence outside the allowlist', () => {
    const r = run(lockWith({ 'node_modules/copyleft-thing': { version: '1.2.3', license: 'GPL-3.0-only' } }))
    expect(r.status).toBe(1)
    expect(r.stdout.trim().split('\n')).toEqual(['::error file=package-lock.json::copyleft-thing@1.2.3: GPL-3.0-only is not on the allowlist'])
    expect(r.stderr).toMatch(/1 of \d+ bundled packages have a licence outside the allowlist/)
  })

  it('fail on a nested production package with no licence, or an unparseable one', () => {
    const lock = lockWith({
      'node_modules/@actions/core/node_modules/no-licence': { version: '0.1.0' },
      'node_modules/odd': { version: '2.0.0', license: 'SEE LICENSE IN EULA.txt' },
    })
    expect(licenseProblems(lock)).toEqual(['no-licence@0.1.0: declares no licence', 'odd@2.0.0: SEE LICENSE IN EULA.txt is not on the allowlist'])
    expect(run(lock).status).toBe(1)
  })

  it('ignore development packages (not bundled)', () => {
    const lock = lockWith({
      'node_modules/dev-only': { version: '1.0.0', license: 'GPL-3.0-only', dev: true },
      'node_modules/dev-optional': { version: '1.0.0', license: 'AGPL-3.0-only', devOptional: true },
    })
    expect(licenseProblems(lock)).toEqual([])
    expect(run(lock).status).toBe(0)
  })

  it('allowlist is permissive licences only', () => {
    expect(ALLOWED).toEqual(['0BSD', 'Apache-2.0', 'BlueOak-1.0.0', 'BSD-2-Clause', 'BSD-3-Clause', 'ISC', 'MIT'])
  })
})
