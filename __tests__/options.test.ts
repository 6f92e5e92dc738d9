import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest'
import { actionDefaults } from '../__fixtures__/action-runner.js'
import { testContext } from '../__fixtures__/context.js'
import type { InputName } from '../src/vocabulary/constants.js'
import type { RunContext } from '../src/context/run-context.js'
import { UserError } from '../src/vocabulary/user-error.js'
import { getOptions, parseDuration, parseList, parseTags } from '../src/run/options.js'
import { inputSpecs } from '../src/run/input-table.js'
import { parseImageName } from '../src/image/reference.js'
import { inputFiles } from '../__fixtures__/input-files.js'
import type { InputFilesPort } from '../src/ports/input-files.js'

let ws: string
const ctx = (): RunContext => testContext({ workspace: ws })
const getter = (inputs: Record<string, string>) => (name: InputName) => ({ ...actionDefaults(''), ...inputs })[name] ?? ''

beforeAll(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'opts-'))
  writeFileSync(path.join(ws, 'environment.yml'), 'dependencies: [numpy]\n')
  writeFileSync(path.join(ws, 'Dockerfile'), 'FROM x\n')
})
afterAll(() => rmSync(ws, { recursive: true, force: true }))

describe('getOptions', () => {
  it('fills defaults the way docs/DESIGN.md §2 describes', () => {
    const o = getOptions(ctx(), getter({ image: 'ghcr.io/acme/model' }), inputFiles)
    expect(o.baseRepository).toEqual(o.image)
    expect(o.baseTagPrefix).toBe('base-')
    expect(o.mode).toBe('auto')
    expect(o.push).toBe('auto')
    expect(o.cacheMode).toBe('max')
    expect(o.cacheRef).toBe('ghcr.io/acme/model:buildcache')
    expect(o.appCacheRef).toBe('ghcr.io/acme/model:buildcache-app')
    expect(o.tags).toEqual(['ghcr.io/acme/model:sha-abcdef0'])
    expect(o.keepLatest).toBe(3)
    expect(o.keepDays).toBe(30)
    expect(o.prune).toBe('false')
    expect(o.summary).toBe(true)
    expect(o.prComment).toBe(true)
    expect(o.baseDockerfile.bundled).toBe(true)
    expect(o.baseDockerfile.content).toContain('micromamba install')
    expect(Object.isFrozen(o)).toBe(true)
  })

  it('reads lists, overrides and build flags', () => {
    const o = getOptions(
      ctx(),
      getter({
        image: '127.0.0.1:5000/acme/model',
        'base-repository': '127.0.0.1:5000/acme/conda-base',
        platforms: 'linux/amd64, linux/arm64',
        'build-args': 'A=1\nB=x,y',
        labels: 'team=ml',
        dockerfile: 'Dockerfile',
        tags: 'latest\n127.0.0.1:5000/acme/model:v1',
        'max-age': '2w',
        'cache-mode': 'min',
        prune: 'dry-run',
      }),
      inputFiles,
    )
    expect(o.cacheRef).toBe('127.0.0.1:5000/acme/conda-base:buildcache')
    expect(o.platforms).toEqual(['linux/amd64', 'linux/arm64'])
    expect(o.buildArgs).toEqual(['A=1', 'B=x,y'])
    expect(o.tags).toEqual(['127.0.0.1:5000/acme/model:latest', '127.0.0.1:5000/acme/model:v1'])
    expect(o.maxAgeMs).toBe(14 * 86_400_000)
    expect(o.prune).toBe('dry-run')
  })

  test.each([
    [{ image: '' }, /"image" is required/],
    [{ image: 'ghcr.io/Acme/Model' }, /lowercase/],
    [{ image: 'ghcr.io/acme/model:v1' }, /without a tag/],
    [{ image: 'ghcr.io/acme/model', mode: 'nightly' }, /"mode" must be one of "auto", "base", "plan"/],
    [{ image: 'ghcr.io/acme/model', push: 'maybe' }, /"push" must be one of "auto", "true", "false", got "maybe"/],
    [{ image: 'ghcr.io/acme/model', push: 'yes' }, /"push" must be one of "auto", "true", "false", got "yes"/],
    [{ image: 'ghcr.io/acme/model', 'max-growth': '5' }, /Input "max-growth".*"5" has no unit.*percentage \(10%\).*MiB/],
    [{ image: 'ghcr.io/acme/model', 'max-size': '800' }, /Input "max-size".*needs a unit, one of B, kB, MB/],
    [{ image: 'ghcr.io/acme/model', 'actions-cache-max-size': '2000000' }, /Input "actions-cache-max-size".*needs a unit/],
    [{ image: 'ghcr.io/acme/model', 'max-age': '14' }, /"max-age" must be a duration .*units s, m, h, d, w.*"14" has no unit/],
    [{ image: 'ghcr.io/acme/model', 'cache-backend': 'disk' }, /"cache-backend" must be one of "registry", "actions", "both" \(or empty\)/],
    [{ image: 'ghcr.io/acme/model', 'max-age': '14 days' }, /"max-age" must be a duration/],
    [{ image: 'ghcr.io/acme/model', 'cache-mode': 'all' }, /"cache-mode"/],
    [{ image: 'ghcr.io/acme/model', 'keep-latest': '0' }, /"keep-latest" must be a whole number of at least 1/],
    [{ image: 'ghcr.io/acme/model', 'keep-days': '-1' }, /"keep-days"/],
    [
      { image: 'ghcr.io/acme/model', 'keep-days': '30d' },
      /"keep-days" must be a whole number \(a plain number: the unit is in the name of the input\), got "30d"/,
    ],
    [{ image: 'ghcr.io/acme/model', prune: 'yes' }, /"prune"/],
    [{ image: 'ghcr.io/acme/model', 'environment-file': 'nope.yml' }, /"environment-file": file "nope.yml" does not exist/],
    [{ image: 'ghcr.io/acme/model', platforms: 'amd64' }, /"platforms"/],
    [{ image: 'ghcr.io/acme/model', 'build-args': 'noequals' }, /KEY=VALUE/],
    [{ image: 'ghcr.io/acme/model', 'registry-username': 'u' }, /go together/],
    [{ image: 'ghcr.io/acme/model', store: 'engine' }, /"store" must be one of "registry", "local"/],
    [{ image: '127.0.0.1:99999/acme/model' }, /Input "image".*port 99999 is outside 1–65535/],
    [{ image: 'ghcr.io/acme/model', 'base-repository': 'bad_host-.io:0/x' }, /Input "base-repository".*invalid registry host/],
    [{ image: 'ghcr.io/acme/model', 'compare-to': 'localhost:70000/x:y' }, /Input "compare-to".*port 70000/],
    [{ image: 'ghcr.io/acme/model', tags: 'ghcr.io:0/acme/model:v1' }, /Input "tags".*port 0/],
    [
      { image: 'ghcr.io/acme/model', 'insecure-registries': 'registry.lan:5000, 10.0.0.1:99999' },
      /Input "insecure-registries": "10.0.0.1:99999" is not a registry host: port 99999/,
    ],
    [{ image: 'ghcr.io/acme/model', 'base-tag-prefix': 'bad prefix' }, /"base-tag-prefix"/],
    [{ image: 'ghcr.io/acme/model', summary: 'yes' }, /"summary" must be one of "true", "false", got "yes"/],
    [{ image: 'ghcr.io/acme/model', refresh: 'sometimes' }, /"refresh" must be one of "pull", "full"/],
    [{ image: 'ghcr.io/acme/model', 'max-size': 'big' }, /max-size/],
  ])('%o → %s', (inputs, message) => {
    expect(() => getOptions(ctx(), getter(inputs), inputFiles)).toThrow(UserError)
    expect(() => getOptions(ctx(), getter(inputs), inputFiles)).toThrow(message)
  })
})

test.each([
  ['14d', 14 * 86_400_000],
  ['2w', 14 * 86_400_000],
  ['36h', 36 * 3_600_000],
  ['1d12h', 36 * 3_600_000],
  ['90m', 90 * 60_000],
  ['0d', 0],
])('duration %s', (s, ms) => expect(parseDuration('max-age', s)).toBe(ms))

test.each(['', '14', 'd', '14 d x', '1.5d', '-1d'])('bad duration %j', (s) => {
  expect(() => parseDuration('max-age', s)).toThrow(UserError)
})

test('lists split on newlines and commas, skip blanks and comments', () => {
  expect(parseList('a, b\n\n# c\n d ,')).toEqual(['a', 'b', 'd'])
  expect(parseList('A=1,2\nB=3', true)).toEqual(['A=1,2', 'B=3'])
})

test('default tag without a commit sha', () => {
  expect(parseTags('', parseImageName('demo/model', 'image', { local: true }), '')).toEqual(['demo/model:sha-dev'])
})

test('a name without a registry host is on Docker Hub, as everywhere in Docker', () => {
  const o = getOptions(ctx(), getter({ image: 'acme/model', tags: 'latest\nacme/model:v1\nbusybox:x' }), inputFiles)
  expect(o.store).toBe('registry')
  expect(o.image).toMatchObject({ registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'acme/model', local: false })
  expect(o.tags).toEqual(['docker.io/acme/model:latest', 'docker.io/acme/model:v1', 'docker.io/library/busybox:x'])
  expect(o.cacheRef).toBe('docker.io/acme/model:buildcache')
})

test('store: local keeps names as written in the local engine', () => {
  const o = getOptions(ctx(), getter({ image: 'demo/model', store: 'local', tags: 'dev' }), inputFiles)
  expect(o.image).toMatchObject({ registry: '', repository: 'demo/model', local: true })
  expect(o.tags).toEqual(['demo/model:dev'])
})

test('default tags add the stream tag of a push (branch) or pull request (pr-<n>)', () => {
  const push = getOptions(testContext({ workspace: ws, ref: 'refs/heads/feature/x' }), getter({ image: 'ghcr.io/acme/model' }), inputFiles)
  expect(push.tags).toEqual(['ghcr.io/acme/model:sha-abcdef0', 'ghcr.io/acme/model:feature-x'])
  const pr = getOptions(
    testContext({ workspace: ws, ref: 'refs/pull/7/merge', pullRequest: { number: 7, fromFork: false } }),
    getter({ image: 'ghcr.io/acme/model' }),
    inputFiles,
  )
  expect(pr.tags).toEqual(['ghcr.io/acme/model:sha-abcdef0', 'ghcr.io/acme/model:pr-7'])
  const tag = getOptions(testContext({ workspace: ws, ref: 'refs/tags/v1' }), getter({ image: 'ghcr.io/acme/model' }), inputFiles)
  expect(tag.tags).toEqual(['ghcr.io/acme/model:sha-abcdef0'])
})

describe('build-platforms', () => {
  it('reads the subset this job builds', () => {
    const o = getOptions(ctx(), getter({ image: 'ghcr.io/acme/model', platforms: 'linux/amd64,linux/arm64', 'build-platforms': 'linux/arm64' }), inputFiles)
    expect(o.platforms).toEqual(['linux/amd64', 'linux/arm64'])
    expect(o.buildPlatforms).toEqual(['linux/arm64'])
  })
  test.each([
    [{ 'build-platforms': 'arm64' }, /Input "build-platforms": "arm64" is not a platform/],
    [{ 'build-platforms': 'linux/arm64', mode: 'merge' }, /does not go with mode: merge/],
  ])('refuses %j', (inputs, message) => {
    expect(() => getOptions(ctx(), getter({ image: 'ghcr.io/acme/model', platforms: 'linux/amd64,linux/arm64', ...inputs }), inputFiles)).toThrow(message)
  })
  it('mode: merge is a mode', () => {
    expect(getOptions(ctx(), getter({ image: 'ghcr.io/acme/model', mode: 'merge' }), inputFiles).mode).toBe('merge')
  })
})

describe('enumerated inputs: the error lists exactly the accepted values', () => {
  // Every input whose error says "must be one of …": each value listed parses, and the
  // listed values are all the lower-case spellings the parser accepts (one table behind both).
  const enumerated = inputSpecs().flatMap((spec) => {
    try {
      spec.parse('no-such-value', spec.name)
      return []
    } catch (e) {
      const m = /must be one of ((?:"[^"]*"(?:, )?)+)/.exec((e as Error).message)
      return m ? [[spec.name, [...m[1]!.matchAll(/"([^"]*)"/g)].map((x) => x[1]!)] as const] : []
    }
  })

  it('covers the enumerated inputs', () => {
    expect(enumerated.map(([n]) => n)).toEqual(
      expect.arrayContaining(['store', 'mode', 'refresh', 'push', 'cache-mode', 'cache-backend', 'prune', 'summary', 'pr-comment', 'fail-on-budget']),
    )
  })

  test.each(enumerated)('%s accepts every value its error lists', (name, values) => {
    const spec = inputSpecs().find((s) => s.name === name)!
    for (const v of values) expect(() => spec.parse(v, spec.name)).not.toThrow()
    for (const v of ['yes', 'no', 'on', 'off', '1', '0', 'y', 'n']) {
      if (!values.includes(v)) expect(() => spec.parse(v, spec.name)).toThrow(new RegExp(`must be one of ${values.map((x) => `"${x}"`).join(', ')}`))
    }
  })
})

describe('the files the inputs name come through the input-files port', () => {
  // A workspace that is not on disk: whatever getOptions gets, it got from the port.
  const nowhere = path.join(os.tmpdir(), 'opts-no-such-workspace', 'ws')
  const served: Record<string, string> = {
    'Dockerfile.base': 'FROM scratch AS base\n',
    'Dockerfile.app': 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n',
    '.condarc': 'channels: [conda-forge]\n',
    'pip.conf': '[global]\n',
  }
  const asked: string[] = []
  const double: InputFilesPort = {
    file: (input, value, w) => (asked.push(`file ${input} ${value}`), path.join(w, value)),
    directory: (input, value, w) => (asked.push(`directory ${input} ${value}`), path.join(w, value)),
    text: (input, value, w, maxBytes) => {
      asked.push(`text ${input} ${value} ≤${maxBytes}`)
      const content = served[value]
      if (content === undefined) throw new UserError(`Input "${input}": file "${value}" does not exist`)
      return { path: path.join(w, value), content }
    },
    bytes: (value, w, maxBytes) => (asked.push(`bytes ${value} ≤${maxBytes}`), { real: path.join(w, value), bytes: Buffer.from(served[value] ?? '') }),
    template: (kind) => (asked.push(`template ${kind}`), { path: `/bundled/${kind}.Dockerfile`, content: `# ${kind} template\n` }),
  }

  it('reads the Dockerfiles, the context, the condarc and the secret files through it, with their caps', () => {
    asked.length = 0
    const o = getOptions(
      testContext({ workspace: nowhere }),
      getter({
        image: 'ghcr.io/acme/model',
        'base-dockerfile': 'Dockerfile.base',
        dockerfile: 'Dockerfile.app',
        context: 'app',
        condarc: '.condarc',
        'secret-files': 'pip=pip.conf',
      }),
      double,
    )
    expect(o.baseDockerfile).toEqual({ path: path.join(nowhere, 'Dockerfile.base'), content: served['Dockerfile.base'], bundled: false })
    expect(o.dockerfileContent).toBe(served['Dockerfile.app'])
    expect(o.context).toBe(path.join(nowhere, 'app'))
    expect(o.condarc?.text).toBe(served['.condarc'])
    expect(o.secrets.secrets).toEqual([{ id: 'pip', kind: 'file', file: path.join(nowhere, 'pip.conf'), bytes: Buffer.from(served['pip.conf']!) }])
    expect(asked).toEqual([
      'file environment-file environment.yml',
      `text base-dockerfile Dockerfile.base ≤${1024 * 1024}`,
      `text dockerfile Dockerfile.app ≤${1024 * 1024}`,
      'directory context app',
      `bytes pip.conf ≤${500 * 1024}`,
      `text condarc .condarc ≤${256 * 1024}`,
    ])
  })

  it('takes the bundled template by the environment file (pixi project or conda file)', () => {
    expect(getOptions(testContext({ workspace: nowhere }), getter({ image: 'ghcr.io/acme/model' }), double).baseDockerfile).toEqual({
      path: '/bundled/micromamba.Dockerfile',
      content: '# micromamba template\n',
      bundled: true,
    })
    const pixi = getOptions(testContext({ workspace: nowhere }), getter({ image: 'ghcr.io/acme/model', 'environment-file': 'pixi.toml' }), double)
    expect(pixi.baseDockerfile.path).toBe('/bundled/pixi.Dockerfile')
  })

  it("passes the port's refusal on as it is (one user error naming the input)", () => {
    expect(() => getOptions(testContext({ workspace: nowhere }), getter({ image: 'ghcr.io/acme/model', dockerfile: 'missing' }), double)).toThrow(
      new UserError('Input "dockerfile": file "missing" does not exist'),
    )
  })
})
