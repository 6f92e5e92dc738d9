// Valid YAML that is not what was meant: a dependency that cannot be a conda MatchSpec (or a
// pip entry that cannot be one requirement) is an error naming the file and line, before
// anything is hashed or built.

import { afterAll, describe, expect, test } from 'vitest'
import { condaSpecProblem, pipEntryProblem } from '../src/hash/spec.js'
import { cleanupTemp, fpOf, userError } from './hash-helpers.js'

afterAll(cleanupTemp)

describe('condaSpecProblem', () => {
  test.each([
    'numpy',
    'numpy=1.26',
    'numpy >=1.26,<2',
    'numpy >= 1.26',
    'python=3.12.*=*_cpython',
    'python 3.12.* *_cpython',
    'conda-forge::numpy=1.26',
    'conda-forge/linux-64::numpy',
    'pytorch::pytorch=2.1 *cuda*',
    "numpy[version='>=1.2,<2', build=py*]",
    'blas=*=mkl',
    'libblas=*=*mkl',
    'r-base>=4.3',
    '__cuda',
    'python_abi=3.12=*_cp312',
    'numpy 1.26|1.27',
    'https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py312h.conda',
    './pkgs/numpy-1.26.4.conda',
  ])('accepts %j', (spec) => expect(condaSpecProblem(spec)).toBeUndefined())

  test.each([
    ['numpy=1.26 - pandas>=2.1', /two list items folded into one/],
    ['numpy - pandas', /folded/],
    ['- pandas', /folded/],
    ['numpy -', /folded/],
    ['', /empty/],
    ['   ', /empty/],
    ['>=1.26', /no package name/],
    ['=1.26', /no package name/],
    ['conda-forge::', /no package name/],
    ['conda-forge::>=1', /no package name/],
    ['numpy 1.26 py312 extra', /4 space-separated parts/],
    ["numpy[version='>=1.2", /never closed/],
    ['numpy[build=py*', /never closed/],
    ['numpy]', /never closed/],
  ])('refuses %j', (spec, why) => expect(condaSpecProblem(spec)).toMatch(why))
})

describe('pipEntryProblem', () => {
  test.each([
    'requests',
    'requests>=2',
    '-r requirements.txt',
    '--index-url https://example.invalid/simple',
    "pkg; python_version > '3.8'",
    '-e .',
    'x-y-z==1',
    'pkg @ https://e.invalid/a-b.whl',
  ])('accepts %j', (e) => expect(pipEntryProblem(e)).toBeUndefined())
  test.each([
    ['requests - pandas', /folded/],
    ['requests>=2 - flask', /folded/],
    ['-', /lone/],
  ])('refuses %j', (e, why) => expect(pipEntryProblem(e)).toMatch(why))
})

describe('an environment file with an impossible entry fails at its line', () => {
  test.each([
    [
      'over-indented item folds into the previous spec',
      'name: x\ndependencies:\n  - python=3.12\n  - numpy=1.26\n    - pandas>=2.1\n  - scipy\n',
      4,
      /"numpy=1.26 - pandas>=2.1" is not a conda package spec: .*folded/,
    ],
    ['over-indented pip item', 'dependencies:\n  - pip\n  - pip:\n    - requests\n      - flask\n', 4, /"requests - flask" is not a pip requirement/],
    ['a spec without a name', 'dependencies:\n  - numpy\n  - ">=1.26"\n', 3, /no package name/],
    ['a sel() spec folded', 'dependencies:\n  - sel(linux): numpy\n      - scipy\n', 2, /folded/],
    ['a spec with an unclosed bracket', 'dependencies:\n  - python\n  - "numpy[version=1.2"\n', 3, /never closed/],
  ])('%s', async (_name, text, line, message) => {
    const e = await userError(fpOf(text))
    expect(e.name).toBe('UserError')
    expect(e.message).toMatch(message)
    expect(e.message).toMatch(new RegExp(`environment\\.yml:${line}: `))
    expect(e.line).toBe(line)
  })
})
