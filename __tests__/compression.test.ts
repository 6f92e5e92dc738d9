// The `compression` and `compression-level` inputs: parsing, the exporter attributes BuildKit
// gets on every push/load, and the builder check that runs before any build.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { actionDefaults } from '../__fixtures__/action-runner.js'
import { testContext } from '../__fixtures__/context.js'
import { buildxArgs, type BuildSpec } from '../src/buildx/index.js'
import {
  buildkitVersion,
  compressionOf,
  compressionProblem,
  Compressions,
  exporterAttributes,
  LEVELS,
  type BuilderFacts,
  type Compression,
} from '../src/compression/index.js'
import type { InputName } from '../src/vocabulary/constants.js'
import { UserError } from '../src/vocabulary/user-error.js'
import { getOptions } from '../src/run/options.js'
import { inputFiles } from '../__fixtures__/input-files.js'

let ws: string
const getter =
  (inputs: Record<string, string>) =>
  (name: InputName): string =>
    (({ ...actionDefaults(''), image: 'ghcr.io/acme/model', ...inputs }) as Record<string, string>)[name] ?? ''
const options = (inputs: Record<string, string>) => getOptions(testContext({ workspace: ws }), getter(inputs), inputFiles)

beforeAll(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'compression-'))
  writeFileSync(path.join(ws, 'environment.yml'), 'dependencies: [numpy]\n')
})
afterAll(() => rmSync(ws, { recursive: true, force: true }))

describe('the inputs', () => {
  test.each<[Record<string, string>, Compression]>([
    [{}, { kind: 'gzip' }],
    [{ compression: 'zstd' }, { kind: 'zstd' }],
    [
      { compression: 'zstd', 'compression-level': '19' },
      { kind: 'zstd', level: 19 },
    ],
    [
      { compression: 'estargz', 'compression-level': '0' },
      { kind: 'estargz', level: 0 },
    ],
    [{ 'compression-level': '9' }, { kind: 'gzip', level: 9 }],
  ])('%j → %j', (inputs, want) => {
    expect(options(inputs).compression).toEqual(want)
  })

  test.each<[Record<string, string>, RegExp]>([
    [{ compression: 'lz4' }, /Input "compression" must be one of "gzip", "zstd", "estargz", got "lz4"/],
    [{ compression: 'ZSTD' }, /Input "compression" must be one of/],
    [{ 'compression-level': '10' }, /Input "compression-level" must be from 0 to 9 for compression: gzip, got 10/],
    [{ compression: 'estargz', 'compression-level': '12' }, /from 0 to 9 for compression: estargz/],
    [{ compression: 'zstd', 'compression-level': '23' }, /from 0 to 22 for compression: zstd, got 23/],
    [{ compression: 'zstd', 'compression-level': '-1' }, /Input "compression-level" must be a whole number/],
    [{ compression: 'zstd', 'compression-level': 'max' }, /Input "compression-level" must be a whole number/],
  ])('%j is refused: %s', (inputs, message) => {
    expect(() => options(inputs)).toThrow(UserError)
    expect(() => options(inputs)).toThrow(message)
  })

  test('every level in range is accepted for every kind, none outside', () => {
    const names = { kind: 'compression', level: 'compression-level' }
    for (const kind of Compressions) {
      for (let level = 0; level <= 30; level++) {
        const inRange = level >= LEVELS[kind].min && level <= LEVELS[kind].max
        if (inRange) expect(compressionOf(kind, level, names)).toEqual({ kind, level })
        else expect(() => compressionOf(kind, level, names)).toThrow(UserError)
      }
    }
  })
})

describe('exporter attributes', () => {
  test.each<[Compression | undefined, string[]]>([
    [undefined, []],
    [{ kind: 'gzip' }, []],
    [{ kind: 'gzip', level: 9 }, ['compression=gzip', 'compression-level=9', 'force-compression=true']],
    [{ kind: 'zstd' }, ['compression=zstd', 'force-compression=true', 'oci-mediatypes=true']],
    [{ kind: 'zstd', level: 3 }, ['compression=zstd', 'compression-level=3', 'force-compression=true', 'oci-mediatypes=true']],
    [{ kind: 'estargz' }, ['compression=estargz', 'force-compression=true', 'oci-mediatypes=true']],
    [{ kind: 'estargz', level: 0 }, ['compression=estargz', 'compression-level=0', 'force-compression=true', 'oci-mediatypes=true']],
  ])('%j → %j', (c, want) => {
    expect(exporterAttributes(c)).toEqual(want)
  })
})

const spec: BuildSpec = {
  context: '.',
  dockerfile: 'Dockerfile',
  tags: ['127.0.0.1:5000/acme/model:base-abc-20260101'],
  buildArgs: [],
  labels: [],
  platforms: [],
  cacheFrom: [],
  output: 'push',
  metadataFile: '/tmp/meta.json',
}

describe('buildx argv with a compression', () => {
  const zstd3: Compression = { kind: 'zstd', level: 3 }
  test.each<[string, Partial<BuildSpec>, string[], string[]]>([
    ['push, default', {}, ['--push'], ['--output=']],
    ['push, gzip without a level: as before', { compression: { kind: 'gzip' } }, ['--push'], ['--output=']],
    [
      'push, zstd',
      { compression: zstd3 },
      [
        '--tag=127.0.0.1:5000/acme/model:base-abc-20260101',
        '--output=type=image,push=true,compression=zstd,compression-level=3,force-compression=true,oci-mediatypes=true',
      ],
      ['--push'],
    ],
    [
      'load, estargz',
      { output: 'load', compression: { kind: 'estargz' } },
      ['--output=type=docker,compression=estargz,force-compression=true,oci-mediatypes=true'],
      ['--load', '--push'],
    ],
    [
      'push by digest, zstd',
      { output: 'push-by-digest', compression: zstd3 },
      [
        '--output=type=image,name=127.0.0.1:5000/acme/model,push-by-digest=true,name-canonical=true,push=true,compression=zstd,compression-level=3,force-compression=true,oci-mediatypes=true',
      ],
      ['--tag=127.0.0.1:5000/acme/model:base-abc-20260101'],
    ],
    ['no output: nothing exported, nothing compressed', { output: 'none', compression: zstd3 }, [], ['--output=', '--push', '--load']],
  ])('%s', (_, over, has, hasNot) => {
    const args = buildxArgs({ ...spec, ...over })
    for (const a of has) expect(args).toContain(a)
    for (const prefix of hasNot) expect(args.some((a) => a.startsWith(prefix))).toBe(false)
  })

  test('exactly one output flag for every output and compression', () => {
    const outputs: BuildSpec['output'][] = ['push', 'load', 'push-by-digest']
    const compressions = fc.option(
      fc
        .constantFrom(...Compressions)
        .chain((kind) => fc.record({ kind: fc.constant(kind), level: fc.option(fc.integer({ ...LEVELS[kind] }), { nil: undefined }) })),
      { nil: undefined },
    )
    fc.assert(
      fc.property(fc.constantFrom(...outputs), compressions, (output, compression) => {
        const args = buildxArgs({ ...spec, output, ...(compression ? { compression: compression } : {}) })
        expect(args.filter((a) => a === '--push' || a === '--load' || a.startsWith('--output=')).length).toBe(1)
      }),
    )
  })
})

describe('can the builder produce it', () => {
  const dockerClassic: BuilderFacts = { name: 'default', driver: 'docker', containerdStore: false, buildkit: 'v0.0.0+unknown' }
  const dockerContainerd: BuilderFacts = { name: 'default', driver: 'docker', containerdStore: true, buildkit: 'v0.0.0+unknown' }
  const container = (buildkit?: string): BuilderFacts => ({ name: 'ci', driver: 'docker-container', ...(buildkit ? { buildkit } : {}) })
  test.each<[string, Compression, BuilderFacts, RegExp | undefined]>([
    ['gzip anywhere', { kind: 'gzip' }, dockerClassic, undefined],
    [
      'zstd, docker driver, classic store',
      { kind: 'zstd' },
      dockerClassic,
      /builder "default" \(docker driver\) cannot produce compression: zstd: .*classic image store/,
    ],
    ['estargz, docker driver, store unknown', { kind: 'estargz' }, { name: 'default', driver: 'docker' }, /builder "default" .* image store \(unknown\)/],
    ['zstd, docker driver, containerd store', { kind: 'zstd' }, dockerContainerd, undefined],
    ['gzip with a level, docker driver, classic store (moby exports gzip)', { kind: 'gzip', level: 9 }, dockerClassic, undefined],
    ['zstd, BuildKit v0.13.2', { kind: 'zstd', level: 3 }, container('v0.13.2'), undefined],
    [
      'zstd, BuildKit v0.9.3',
      { kind: 'zstd', level: 3 },
      container('v0.9.3'),
      /builder "ci" runs BuildKit v0.9.3, which cannot produce compression: zstd \(level 3\): it needs BuildKit v0.10/,
    ],
    ['estargz, BuildKit v0.8.0', { kind: 'estargz' }, container('v0.8.0'), /needs BuildKit v0.10 or later/],
    ['gzip level, BuildKit v0.9.0', { kind: 'gzip', level: 1 }, container('v0.9.0'), /needs BuildKit v0.10/],
    ['estargz, BuildKit v1.0.0', { kind: 'estargz' }, container('v1.0.0'), undefined],
    ['zstd, version not known', { kind: 'zstd' }, container(), undefined],
    ['zstd, dev build', { kind: 'zstd' }, container('v0.0.0+unknown'), undefined],
  ])('%s', (_, c, b, problem) => {
    const p = compressionProblem(c, b)
    if (problem) expect(p).toMatch(problem)
    else expect(p).toBeUndefined()
  })

  test.each<[string | undefined, readonly [number, number] | undefined]>([
    ['v0.13.2', [0, 13]],
    ['0.10.0-rc1', [0, 10]],
    ['v1.2.3+abc', [1, 2]],
    ['v0.0.0+unknown', undefined],
    ['nightly', undefined],
    [undefined, undefined],
  ])('buildkitVersion(%j) = %j', (v, want) => {
    expect(buildkitVersion(v)).toEqual(want)
  })
})
