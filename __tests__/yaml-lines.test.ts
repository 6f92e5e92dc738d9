// YAML errors are reported on the line where the problem starts — not where the parser gave
// up (for an unclosed quote or bracket that is the end of the file). One table per reader:
// environment files, conda-lock files (both through parseYaml) and the condarc input.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { readCondarc } from '../src/secrets/condarc.js'
import { UserError } from '../src/vocabulary/user-error.js'
import { parseYaml } from '../src/hash/yaml.js'
import { condarcFile } from '../__fixtures__/input-files.js'

/** Ten lines of environment file, with `bad` as line 7 (so a report at the end would say 11). */
const env = (bad: string, after = ['  - scipy', '  - pip', '  - requests']): string =>
  ['name: x', 'channels:', '  - conda-forge', 'dependencies:', '  - python=3.12', '  - numpy', bad, ...after].join('\n') + '\n'

const cases: [string, string, number, RegExp][] = [
  ['unclosed double quote', env('  - "pandas>=2'), 7, /Missing closing "quote \(a "double-quoted" string opened on line 7 and not closed\)/],
  ['unclosed single quote', env("  - 'pandas>=2"), 7, /Missing closing 'quote \(a 'single-quoted' string opened on line 7/],
  ['unclosed quote in a flow list', env('  - [a, "b, c]'), 7, /double-quoted/],
  ['unclosed flow list', env('  - [pandas, xarray'), 7, /flow list\] opened on line 7/],
  ['unclosed flow mapping', env('  - {pip: [a]'), 7, /flow mapping\} opened on line 7/],
  ['unclosed flow list as a value', 'name: x\nchannels: [conda-forge\ndependencies:\n  - numpy\n  - scipy\n', 2, /flow list/],
  ['quoted key left open', 'name: x\n"dependencies:\n  - numpy\n  - scipy\n', 2, /not valid YAML/],
  ['tab as indentation', env('\t- pandas'), 7, /Tabs are not allowed/],
  ['over-indented mapping items', 'name: x\ndependencies:\n    - numpy\n  - scipy\nchannels: []\n', 4, /not valid YAML/],
  [
    'a value continued onto an over-indented key (reported where the value starts)',
    'name: x\nvariables:\n  A: 1\n   B: 2\ndependencies: []\n',
    3,
    /not valid YAML/,
  ],
  ['nested mapping in a compact one', 'name: x\ndependencies:\n  - numpy\nfoo: bar: baz\nchannels: []\n', 4, /not valid YAML/],
  ['duplicate key', env('name: y'), 7, /duplicate key "name"/],
  ['two anchors', 'name: x\ndependencies: &a &b\n  - numpy\n  - scipy\n', 2, /at most one anchor/],
  ['unresolved alias', env('  - *nope'), 7, /alias/],
  ['second document', env('---'), 7, /second YAML document/],
]

describe('parseYaml reports the line where the problem starts', () => {
  test.each(cases)('%s', (_name, text, line, message) => {
    let err: unknown
    try {
      parseYaml(text, 'environment.yml')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).message).toMatch(message)
    expect((err as UserError).message).toMatch(new RegExp(`^environment\\.yml:${line}: `))
    expect((err as UserError).line).toBe(line)
  })

  test('a conda-lock file: the quote opened on line 6 of 9', () => {
    const lock =
      'version: 1\nmetadata:\n  platforms: [linux-64]\npackage:\n  - name: numpy\n    version: "1.26\n    manager: conda\n    platform: linux-64\n    url: https://example.invalid/numpy.conda\n'
    expect(() => parseYaml(lock, 'conda-lock.yml')).toThrow(/^conda-lock\.yml:6: /)
  })
})

describe('condarc: the line where the problem starts', () => {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'condarc-lines-'))
  afterAll(() => rmSync(ws, { recursive: true, force: true }))

  test.each([
    ['unclosed quote', 'channels:\n  - conda-forge\nchannel_alias: "https://mirror.example\ncustom_channels:\n  a: b\nssl_verify: true\n', 3],
    ['unclosed flow list', 'channels: [conda-forge\ndefault_channels:\n  - main\nssl_verify: true\n', 1],
    ['tab', 'channels:\n\t- conda-forge\n', 2],
  ])('%s (file and inline)', (_name, text, line) => {
    writeFileSync(path.join(ws, '.condarc'), text)
    let err: UserError | undefined
    try {
      readCondarc('.condarc', condarcFile(ws))
    } catch (e) {
      err = e as UserError
    }
    expect(err?.message).toMatch(new RegExp(`is not valid YAML \\(line ${line}\\)`))
    expect(err?.line).toBe(line)
    expect(() => readCondarc(text, condarcFile(ws))).toThrow(new RegExp(`\\(line ${line}\\)`))
  })
})
