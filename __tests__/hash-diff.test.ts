import { afterAll, describe, expect, it } from 'vitest'
import { diffDocuments, parseDocumentLabel, type EnvDocument } from '../src/hash/index.js'
import { cleanupTemp, fpOf, TEMPLATE } from './hash-helpers.js'

afterAll(cleanupTemp)

const doc = (over: Partial<EnvDocument> = {}): EnvDocument => ({
  scheme: 'v1',
  source: 'environment',
  channels: ['conda-forge', 'bioconda'],
  dependencies: ['numpy>=1.2', 'pip', 'python=3.10'],
  pip: ['requests>=2', '-r requirements.txt'],
  files: { 'requirements.txt': 'a'.repeat(64) },
  variables: { A: '1' },
  dockerfile: { sha256: 'd'.repeat(64) },
  buildArgs: ['X=1'],
  platforms: [],
  subdirs: ['linux-64'],
  subdirsAssumed: true,
  ...over,
})

describe('diffDocuments', () => {
  it('finds nothing between equal documents', () => {
    expect(diffDocuments(doc(), doc())).toEqual([])
  })

  it('reports added, removed and changed conda specs by package name', () => {
    const next = doc({ dependencies: ['conda-forge::numpy>=1.3', 'pip', 'scipy'] })
    expect(diffDocuments(doc(), next)).toEqual([
      { section: 'dependencies', kind: 'changed', item: 'numpy', before: 'numpy>=1.2', after: 'conda-forge::numpy>=1.3' },
      { section: 'dependencies', kind: 'removed', item: 'python', before: 'python=3.10' },
      { section: 'dependencies', kind: 'added', item: 'scipy', after: 'scipy' },
    ])
  })

  it('reports channel order as its own change', () => {
    expect(diffDocuments(doc(), doc({ channels: ['bioconda', 'conda-forge'] }))).toEqual([
      { section: 'channels', kind: 'changed', item: 'order', before: 'conda-forge, bioconda', after: 'bioconda, conda-forge' },
    ])
    expect(diffDocuments(doc(), doc({ channels: ['conda-forge'] }))).toEqual([{ section: 'channels', kind: 'removed', item: 'bioconda', before: 'bioconda' }])
  })

  it('reports pip entries and their order', () => {
    expect(diffDocuments(doc(), doc({ pip: ['-r requirements.txt', 'requests>=2'] }))).toEqual([
      { section: 'pip', kind: 'changed', item: 'order', before: 'requests>=2, -r requirements.txt', after: '-r requirements.txt, requests>=2' },
    ])
    expect(diffDocuments(doc(), doc({ pip: ['Requests>=3', '-r requirements.txt', 'rich'] }))).toEqual([
      { section: 'pip', kind: 'changed', item: 'requests', before: 'requests>=2', after: 'Requests>=3' },
      { section: 'pip', kind: 'added', item: 'rich', after: 'rich' },
    ])
  })

  it('reports referenced files, local packages, Dockerfile, build-args, platforms, variables, other keys', () => {
    const next = doc({
      files: { 'requirements.txt': 'b'.repeat(64), 'c.txt': 'c'.repeat(64) },
      local: { '.': `tree:${'e'.repeat(64)}` },
      dockerfile: { path: 'base.Dockerfile', sha256: 'f'.repeat(64) },
      buildArgs: ['X=2', 'Y=1'],
      platforms: ['linux/amd64'],
      subdirsAssumed: undefined,
      variables: { A: '1', B: 'x' },
      extra: { platforms: ['linux-64'] },
      name: 'app',
    })
    const changes = diffDocuments(doc(), next)
    expect(changes).toEqual([
      { section: 'name', kind: 'added', item: 'name', before: undefined, after: 'app' },
      { section: 'files', kind: 'added', item: 'c.txt', after: 'cccccccccccc' },
      { section: 'files', kind: 'changed', item: 'requirements.txt', before: 'aaaaaaaaaaaa', after: 'bbbbbbbbbbbb' },
      { section: 'local packages', kind: 'added', item: '.', after: 'tree:eeeeeeeeeeee' },
      { section: 'dockerfile', kind: 'changed', item: 'Dockerfile', before: 'bundled template (dddddddddddd)', after: 'base.Dockerfile (ffffffffffff)' },
      { section: 'build-args', kind: 'changed', item: 'X', before: 'X=1', after: 'X=2' },
      { section: 'build-args', kind: 'added', item: 'Y', after: 'Y=1' },
      { section: 'platforms', kind: 'changed', item: 'platforms', before: 'builder default (selectors for linux-64)', after: 'linux/amd64' },
      { section: 'variables', kind: 'added', item: 'B', after: 'x' },
      { section: 'environment', kind: 'added', item: 'key "platforms"', after: '["linux-64"]' },
    ])
  })

  it('reports per-subdir differences with the subdir', () => {
    const prev = doc({ platforms: ['linux/amd64', 'linux/arm64'], subdirs: ['linux-64', 'linux-aarch64'], subdirsAssumed: undefined })
    const next = { ...prev, bySubdir: { 'linux-aarch64': { dependencies: ['foo'] } } }
    expect(diffDocuments(prev, next)).toEqual([{ section: 'dependencies', kind: 'added', item: 'foo (linux-aarch64)', after: 'foo' }])
    // the same change on every subdir is reported once
    expect(diffDocuments(prev, { ...prev, dependencies: [...prev.dependencies!, 'bar'] })).toEqual([
      { section: 'dependencies', kind: 'added', item: 'bar', after: 'bar' },
    ])
  })

  it('reports lock packages and a change of environment kind', () => {
    const lock = (items: string[], sha: string): EnvDocument => ({
      ...doc(),
      channels: undefined,
      dependencies: undefined,
      pip: undefined,
      files: undefined,
      variables: undefined,
      source: 'conda-lock',
      packages: { 'linux-64': { items, sha256: sha } },
    })
    expect(diffDocuments(lock(['conda:numpy=1.26.4'], '1'.repeat(64)), lock(['conda:numpy=1.26.5'], '2'.repeat(64)))).toEqual([
      { section: 'packages', kind: 'changed', item: 'conda:numpy', before: 'conda:numpy=1.26.4', after: 'conda:numpy=1.26.5' },
    ])
    expect(diffDocuments(lock(['conda:numpy=1.26.4'], '1'.repeat(64)), lock(['conda:numpy=1.26.4'], '2'.repeat(64)))).toEqual([
      { section: 'packages', kind: 'changed', item: 'package builds or checksums', before: '111111111111', after: '222222222222' },
    ])
    expect(diffDocuments(doc(), lock(['conda:numpy=1.26.4'], '1'.repeat(64)))[0]).toEqual({
      section: 'environment',
      kind: 'changed',
      item: 'kind of environment file',
      before: 'environment',
      after: 'conda-lock',
    })
  })

  it('works on real fingerprints read back from a label', async () => {
    const files = { 'requirements.txt': 'flask\n' }
    const a = await fpOf('channels: [conda-forge]\ndependencies:\n  - python=3.10\n  - pip:\n      - -r requirements.txt\n', {}, files)
    const b = await fpOf(
      'channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip:\n      - -r requirements.txt\n',
      { baseDockerfile: { content: `${TEMPLATE}#x\n` } },
      { 'requirements.txt': 'flask==3\n' },
    )
    const prev = parseDocumentLabel(a.json)!
    expect(diffDocuments(prev, b.document).map((c) => `${c.section}:${c.kind}:${c.item}`)).toEqual([
      'dependencies:changed:python',
      'files:changed:requirements.txt',
      'dockerfile:changed:Dockerfile',
    ])
  })
})

describe('parseDocumentLabel', () => {
  it('reads back a document', () => {
    expect(parseDocumentLabel(JSON.stringify(doc()))).toEqual(doc())
  })
  it('reads back a pixi document (its settings a record of strings)', () => {
    const pixi = { ...doc(), source: 'pixi' as const, pixi: { environment: 'default', manifest: 'pixi.toml' } }
    expect(parseDocumentLabel(JSON.stringify(pixi))).toEqual(pixi)
  })
  it.each([
    ['not JSON', '{nope'],
    ['not an object', '[1]'],
    ['another scheme', JSON.stringify({ ...doc(), scheme: 'v0' })],
    ['no scheme', JSON.stringify({ ...doc(), scheme: undefined })],
    ['wrong source', JSON.stringify({ ...doc(), source: 'poetry' })],
    ['pixi settings not a record of strings', JSON.stringify({ ...doc(), source: 'pixi', pixi: { environment: ['default'] } })],
    ['dependencies not strings', JSON.stringify({ ...doc(), dependencies: [1] })],
    ['no dockerfile', JSON.stringify({ ...doc(), dockerfile: undefined })],
    ['files not a record of strings', JSON.stringify({ ...doc(), files: { a: 1 } })],
    ['bad bySubdir', JSON.stringify({ ...doc(), bySubdir: { 'linux-64': { dependencies: 'x' } } })],
    ['bad packages', JSON.stringify({ ...doc(), packages: { 'linux-64': { items: [] } } })],
  ])('rejects %s', (_n, json) => {
    expect(parseDocumentLabel(json)).toBeUndefined()
  })
})
