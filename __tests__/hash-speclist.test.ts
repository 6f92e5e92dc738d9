// Plain spec lists (`conda list --export` output) as `environment-file`: accepted, hashed by
// their normalized, sorted specs, with the platform check explicit locks have.

import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { diffDocuments, parseDocumentLabel } from '../src/hash/index.js'
import { isSpecList } from '../src/hash/lock.js'
import { cleanupTemp, fpFile, tempDir, userError, writeTree } from './hash-helpers.js'

afterAll(cleanupTemp)

const EXPORT = `# This file may be used to create an environment using:
# $ conda create --name <env> --file <this file>
# platform: linux-64
# created-by: conda 24.9.2
_libgcc_mutex=0.1=conda_forge
_openmp_mutex=4.5=2_gnu
bzip2=1.0.8=h4bc722e_7
numpy=1.26.4=py312heda63a1_0
python=3.12.7=hc5c86c4_0_cpython
`

async function fp(text: string, name = 'env.lock', platforms: string[] = []) {
  const dir = tempDir('hash-spec-')
  writeTree(dir, { [name]: text })
  return fpFile(path.join(dir, name), { platforms })
}

describe('conda list --export files', () => {
  it('are accepted and hashed by their sorted specs', async () => {
    const f = await fp(EXPORT)
    expect(f.document.source).toBe('spec-list')
    expect(f.document.dependencies).toEqual([
      '_libgcc_mutex=0.1=conda_forge',
      '_openmp_mutex=4.5=2_gnu',
      'bzip2=1.0.8=h4bc722e_7',
      'numpy=1.26.4=py312heda63a1_0',
      'python=3.12.7=hc5c86c4_0_cpython',
    ])
    expect(f.warnings.map((w) => w.message)).toEqual([])
    expect(parseDocumentLabel(f.json)).toEqual(f.document)
  })

  it('cosmetic edits keep the hash: order, comments, blank lines, CRLF, BOM, other platform-free comments', async () => {
    const base = (await fp(EXPORT)).hash
    const lines = EXPORT.split('\n')
    const variants = [
      [...lines.slice(0, 4), ...lines.slice(4).reverse()].join('\n'),
      EXPORT.replace(/\n/g, '\n\n'),
      EXPORT.replace(/\n/g, '\r\n'),
      `\uFEFF${EXPORT}`,
      EXPORT.replace('# created-by: conda 24.9.2', '# created-by: conda 25.1.0\n# another comment'),
      `${EXPORT}numpy=1.26.4=py312heda63a1_0\n`,
    ]
    for (const v of variants) expect((await fp(v)).hash).toBe(base)
  })

  it('semantic edits change the hash and are named in the diff', async () => {
    const a = await fp(EXPORT)
    const b = await fp(EXPORT.replace('numpy=1.26.4=py312heda63a1_0', 'numpy=1.26.4=py312heda63a1_1'))
    expect(b.hash).not.toBe(a.hash)
    expect(diffDocuments(a.document, b.document)).toEqual([
      { section: 'dependencies', kind: 'changed', item: 'numpy', before: 'numpy=1.26.4=py312heda63a1_0', after: 'numpy=1.26.4=py312heda63a1_1' },
    ])
    expect((await fp(`${EXPORT}zlib=1.3.1=hb9d3cd8_2\n`)).hash).not.toBe(a.hash)
  })

  it('warn when exported for another platform than the target', async () => {
    expect((await fp(EXPORT, 'env.lock', ['linux/amd64'])).warnings.map((w) => w.message)).toEqual([])
    expect((await fp(EXPORT, 'env.lock', ['linux/arm64'])).warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/env\.lock is a spec list exported for linux-64, but the target is linux-aarch64/),
    ])
  })

  it('plain match specs of any form are spec lines; YAML is not', () => {
    expect(isSpecList('numpy\nscipy>=1.2\nconda-forge::pandas 2.2.* py312*\nblas[build=mkl]\n')).toBe(true)
    expect(isSpecList('name: x\ndependencies: [numpy]\n')).toBe(false)
    expect(isSpecList('- numpy\n')).toBe(false)
    expect(isSpecList('# only comments\n')).toBe(false)
  })

  it('a .yml/.yaml name is always read as YAML (micromamba decides by the name too)', async () => {
    const e = await userError(fp(EXPORT, 'environment.yml'))
    expect(e.message).toMatch(/top level must be a mapping/)
  })
})
