import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { UserError } from '../src/vocabulary/user-error.js'
import { isPixiLock, readPixiLock, selectEnvironment } from '../src/hash/pixi/pixi-lock.js'
import { parseYaml } from '../src/hash/yaml.js'

const fixture = (p: string) => readFileSync(new URL(`../__fixtures__/pixi/${p}`, import.meta.url), 'utf8')
const lockOf = (text: string) => {
  const root = parseYaml(text, 'pixi.lock')
  if (!isPixiLock(root)) throw new Error('not a pixi lock')
  return readPixiLock(root, 'pixi.lock')
}
const lines = (text: string, env: string, subdirs: string[]) =>
  [...selectEnvironment(lockOf(text), env, subdirs).targets.values()].flatMap((t) => t.packages.map((p) => p.line)).sort()

describe('real pixi.lock files (formats 4 to 7)', () => {
  test.each([
    ['docker-v4/pixi.lock', 4, 'default', ['linux-64'], 'pypi:docker-project=0.1.0'],
    ['docker-v6/pixi.lock', 6, 'prod', ['linux-64'], 'pypi:docker-project=0.1.0'],
    ['editable-with-extras-v5/pixi.lock', 5, 'default', ['linux-64'], 'pypi:package-with-extras=0.0.2'],
    ['multi-machine-v7/pixi.lock', 7, 'default', ['linux-64'], 'conda:python=3.14.4'],
  ])('%s: version %i, environment %s', (file, version, env, subdirs, item) => {
    const lock = lockOf(fixture(file))
    expect(lock.version).toBe(version)
    const sel = selectEnvironment(lock, env, subdirs)
    const items = [...sel.targets.values()].flatMap((t) => t.packages.map((p) => p.item))
    expect(items.length).toBeGreaterThan(5)
    expect(items.some((i) => i.startsWith(item.replace(/=.*$/, '=')))).toBe(true)
    expect(sel.channels[0]).toMatch(/^https:\/\/conda\.anaconda\.org\/conda-forge\/?/)
  })

  test('v7 named platforms: every platform of the target subdir counts', () => {
    const sel = selectEnvironment(lockOf(fixture('multi-machine-v7/pixi.lock')), 'default', ['linux-64'])
    expect([...sel.targets.keys()]).toEqual(['linux-64', 'linux-64:p2'])
  })

  test('the project itself (`pypi: ./`) is a path source', () => {
    const sel = selectEnvironment(lockOf(fixture('docker-v6/pixi.lock')), 'default', ['linux-64'])
    const paths = sel.targets.get('linux-64')!.packages.flatMap((p) => (p.path ? [p.path.location] : []))
    expect(paths).toEqual(['./'])
  })
})

describe('cosmetic and semantic changes', () => {
  const v6 = fixture('docker-v6/pixi.lock')
  test.each([
    ['another platform', v6.replace('osx-arm64/python-3.12', 'osx-arm64/python-3.13')],
    ['a timestamp', v6.replace(/timestamp: \d+/, 'timestamp: 1')],
    ['a license', v6.replace(/license: MIT/, 'license: BSD')],
  ])('%s keeps the packages', (_, changed) => {
    expect(changed).not.toBe(v6)
    expect(lines(changed, 'default', ['linux-64'])).toEqual(lines(v6, 'default', ['linux-64']))
  })
  test.each([
    ['a sha256', v6.replace(/sha256: [0-9a-f]{64}/, `sha256: ${'0'.repeat(64)}`)],
    ['a URL', v6.replaceAll('linux-64/bzip2-1.0.8-hda65f42_8.conda', 'linux-64/bzip2-1.0.8-hda65f42_9.conda')],
  ])('%s changes them', (_, changed) => {
    expect(changed).not.toBe(v6)
    expect(lines(changed, 'default', ['linux-64'])).not.toEqual(lines(v6, 'default', ['linux-64']))
  })
})

describe('bad locks: one user error with file and line', () => {
  const v6 = fixture('docker-v6/pixi.lock')
  test.each([
    ['an unknown version', v6.replace('version: 6', 'version: 99'), /format version "99"/],
    ['an environment not in the lock', v6, /no environment "nope" \(it has "default", "prod"\)/],
    ['a package entry without a URL', 'version: 6\nenvironments:\n  default:\n    packages: {}\npackages:\n- sha256: abc\n', /without a URL/],
    ['a platform the environment lacks', v6.replace(/linux-64:\n/g, 'linux-32:\n'), /has no packages for linux-64/],
  ])('%s', (_, text, message) => {
    let err: unknown
    try {
      lines(text, _ === 'an environment not in the lock' ? 'nope' : 'default', ['linux-64'])
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).message).toMatch(message)
    expect((err as UserError).line).toBeGreaterThan(0)
  })
})
