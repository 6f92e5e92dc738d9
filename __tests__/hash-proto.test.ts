// User keys are data: names of JavaScript prototype members behave like any other name as
// environment keys, variable names and dependency names; dependencies YAML types as numbers
// or booleans are warned about.

import { afterAll, describe, expect, it } from 'vitest'
import { diffDocuments } from '../src/hash/index.js'
import { pipRefs } from '../src/hash/spec.js'
import { cleanupTemp, fpOf, hashOf } from './hash-helpers.js'

afterAll(cleanupTemp)

const NAMES = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf'] as const

describe.each(NAMES)('%s', (name) => {
  it('as a top-level key: kept with its value, its value changes the hash, the warning names it', async () => {
    const text = (v: string) => `${name}: ${v}\ndependencies: [numpy]\n`
    const a = await fpOf(text('one'))
    const b = await fpOf(text('two'))
    expect(b.hash).not.toBe(a.hash)
    expect(await hashOf(`${name}:\n  nested: {x: 1}\ndependencies: [numpy]\n`)).not.toBe(await hashOf(`${name}:\n  nested: {x: 2}\ndependencies: [numpy]\n`))
    expect((JSON.parse(a.json) as { extra?: unknown }).extra).toEqual(JSON.parse(`{${JSON.stringify(name)}:"one"}`))
    expect(a.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(new RegExp(`environment\\.yml:1: unknown top-level key "${name}" — conda ignores it`)),
    ])
    expect(a.warnings.map((w) => w.message).join('\n')).not.toMatch(/\[object Object\]|function|did you mean/)
    expect(diffDocuments(a.document, b.document)).toEqual([{ section: 'environment', kind: 'changed', item: `key "${name}"`, before: '"one"', after: '"two"' }])
  })

  it('as a nested key under a top-level key', async () => {
    expect(await hashOf(`tool:\n  ${name}: 1\ndependencies: [numpy]\n`)).not.toBe(await hashOf(`tool:\n  ${name}: 2\ndependencies: [numpy]\n`))
  })

  it('as a variable name: its value changes the hash and shows in the diff', async () => {
    const text = (v: string) => `dependencies: [numpy]\nvariables:\n  ${name}: ${v}\n  OTHER: x\n`
    const a = await fpOf(text('one'))
    const b = await fpOf(text('two'))
    expect(b.hash).not.toBe(a.hash)
    expect(Object.keys((JSON.parse(a.json) as { variables: object }).variables).sort()).toEqual(['OTHER', name].sort())
    expect(diffDocuments(a.document, b.document)).toEqual([{ section: 'variables', kind: 'changed', item: name, before: 'one', after: 'two' }])
    const without = await fpOf('dependencies: [numpy]\nvariables:\n  OTHER: x\n')
    expect(diffDocuments(without.document, a.document)).toEqual([{ section: 'variables', kind: 'added', item: name, after: 'one' }])
  })

  it('as a conda dependency name', async () => {
    const a = await fpOf(`dependencies:\n  - ${name}=1.0\n`)
    const b = await fpOf(`dependencies:\n  - ${name}=2.0\n`)
    expect(a.document.dependencies).toEqual([`${name}=1.0`])
    expect(b.hash).not.toBe(a.hash)
    expect(diffDocuments(a.document, b.document)).toEqual([
      { section: 'dependencies', kind: 'changed', item: name.toLowerCase(), before: `${name}=1.0`, after: `${name}=2.0` },
    ])
  })

  it('as a pip requirement name, also with a local path', async () => {
    expect(await hashOf(`dependencies:\n  - pip:\n    - ${name}==1\n`)).not.toBe(await hashOf(`dependencies:\n  - pip:\n    - ${name}==2\n`))
    expect(pipRefs(name)).toEqual([])
    // `__proto__` is no PEP 508 name (it must start with a letter or digit): pip refuses it
    if (name === '__proto__') return
    expect(pipRefs(`${name} @ file:./pkg`)).toEqual([{ kind: 'local', target: 'file:./pkg' }])
    const text = `dependencies:\n  - pip:\n    - ${name} @ file:./pkg\n`
    const a = await fpOf(text, {}, { 'pkg/setup.py': 'one' })
    expect(Object.keys(a.document.local ?? {})).toEqual(['pkg'])
    expect((await fpOf(text, {}, { 'pkg/setup.py': 'two' })).hash).not.toBe(a.hash)
  })
})

describe('dependencies that YAML types as numbers or booleans', () => {
  it.each([
    ['- 1', 'number'],
    ['- 3.10', 'number'],
    ['- 1e3', 'number'],
    ['- true', 'boolean'],
    ['- yes', 'boolean'],
  ])('%s is warned about with its line (and still hashed as its text)', async (item, kind) => {
    const fp = await fpOf(`name: x\ndependencies:\n  - numpy\n  ${item}\n`)
    expect(fp.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(new RegExp(`environment\\.yml:4: dependency ${item.slice(2).replace('.', '\\.')} is a ${kind} in YAML, not a package spec`)),
    ])
    expect(fp.document.dependencies).toContain(item.slice(2))
  })

  it('a pip entry too; quoted ones and real specs are not warned about', async () => {
    const fp = await fpOf(`dependencies:\n  - "1"\n  - python=3.10\n  - pip:\n    - 2\n    - '3'\n`)
    expect(fp.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/environment\.yml:5: pip entry 2 is a number in YAML/)])
  })
})
