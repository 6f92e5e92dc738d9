// PACKAGE_LAYERS of the bundled template: the pure check (src/layers/package-layers.ts), the
// input error before any build (getOptions), and the template's stage chain that the limit
// stands for.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fc, test as fcTest } from '@fast-check/vitest'
import { DockerfileParser } from 'dockerfile-ast'
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest'
import { actionDefaults } from '../__fixtures__/action-runner.js'
import { testContext } from '../__fixtures__/context.js'
import type { InputName } from '../src/vocabulary/constants.js'
import { UserError } from '../src/vocabulary/user-error.js'
import {
  FIXED_LAYERS,
  MAX_IMAGE_LAYERS,
  PACKAGE_LAYERS_DEFAULT,
  PACKAGE_LAYERS_MAX,
  checkPackageLayers,
  maxPackageLayers,
  packageLayersArg,
  runtimeImageOf,
  runtimeLayersFor,
} from '../src/layers/package-layers.js'
import { getOptions } from '../src/run/options.js'
import { inputFiles } from '../__fixtures__/input-files.js'

const TEXT = readFileSync(path.join(import.meta.dirname, '..', 'templates', 'base.Dockerfile'), 'utf8')

describe('checkPackageLayers', () => {
  test.each([
    [[], undefined, PACKAGE_LAYERS_DEFAULT],
    [['PACKAGE_LAYERS=1'], undefined, 1],
    [['PACKAGE_LAYERS=100'], undefined, 100],
    [['PACKAGE_LAYERS=7', 'CONDA_OVERRIDE_CUDA=12.4'], undefined, 7],
    [['PACKAGE_LAYERS=500', 'PACKAGE_LAYERS=20'], undefined, 20], // the last one wins, as with docker
    [['PACKAGE_LAYERS=100'], 24, 100], // 24 + 100 + 3 = 127
    [['PACKAGE_LAYERS=60'], 64, 60],
  ])('%o with a runtime image of %s layers → %i', (args, runtime, value) => {
    expect(checkPackageLayers(args, runtime)).toEqual({ ok: true, value })
  })

  test.each([
    [['PACKAGE_LAYERS=0'], undefined, /at least 1/],
    [['PACKAGE_LAYERS='], undefined, /whole number of layers from 1 to 100 .*got ""/],
    [['PACKAGE_LAYERS=-3'], undefined, /whole number/],
    [['PACKAGE_LAYERS= 40'], undefined, /whole number/],
    [['PACKAGE_LAYERS=040'], undefined, /whole number/],
    [['PACKAGE_LAYERS=4.5'], undefined, /whole number/],
    [['PACKAGE_LAYERS=ten'], undefined, /got "ten"/],
    [['PACKAGE_LAYERS=101'], undefined, /at most 100: the bundled template has 100 package layer stages; got "101"/],
    [['PACKAGE_LAYERS=99999'], undefined, /at most 100/],
    [['PACKAGE_LAYERS=20', 'PACKAGE_LAYERS=500'], undefined, /got "500"/],
    [['PACKAGE_LAYERS=101'], 24, /at most 100/],
    [
      ['PACKAGE_LAYERS=100'],
      25,
      /^PACKAGE_LAYERS=100 \+ 3 fixed layers of the template \+ 25 layers of the runtime image = 128 layers, more than the 127 an image may have \(containerd's limit\): set PACKAGE_LAYERS to at most 99 in base-build-args$/,
    ],
    [['PACKAGE_LAYERS=1'], 124, /= 128 layers, .*: use a runtime image of fewer layers$/],
    [[], 85, /^PACKAGE_LAYERS=40 \(the template's default\) \+ 3 fixed layers .* \+ 85 layers .* = 128 layers, .*at most 39 in base-build-args$/],
  ])('%o with a runtime image of %s layers → %s', (args, runtime, message) => {
    const r = checkPackageLayers(args, runtime)
    expect(r.ok).toBe(false)
    expect(r.ok ? '' : r.message).toMatch(message)
  })

  fcTest.prop([fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 150 }), fc.integer({ min: 0, max: 20 })])(
    'with the runtime image known, the default is checked too and the advice is a value that fits',
    (runtime, n, fixed) => {
      const r = checkPackageLayers([], runtime, fixed)
      expect(r.ok).toBe(runtime + PACKAGE_LAYERS_DEFAULT + fixed <= MAX_IMAGE_LAYERS)
      const s = checkPackageLayers([`PACKAGE_LAYERS=${n}`], runtime, fixed)
      const advice = s.ok ? undefined : /at most (\d+) in base-build-args$/.exec(s.message)?.[1]
      if (advice) expect(checkPackageLayers([`PACKAGE_LAYERS=${advice}`], runtime, fixed)).toEqual({ ok: true, value: Number(advice) })
    },
  )

  fcTest.prop([fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 150 })])(
    'an accepted value never makes an image of more than 127 layers, and every value up to the limit is accepted',
    (runtime, n) => {
      const r = checkPackageLayers([`PACKAGE_LAYERS=${n}`], runtime)
      const fits = n >= 1 && n <= PACKAGE_LAYERS_MAX && runtime + n + FIXED_LAYERS <= MAX_IMAGE_LAYERS
      expect(r.ok).toBe(fits)
      if (r.ok) expect(runtime + r.value + FIXED_LAYERS).toBeLessThanOrEqual(MAX_IMAGE_LAYERS)
    },
  )

  it('names the runtime image, its platform and the counts', () => {
    const r = checkPackageLayers(['PACKAGE_LAYERS=90'], { image: 'ghcr.io/acme/runtime:1', platform: 'linux/arm64', layers: 40 })
    expect(r).toEqual({
      ok: false,
      message:
        'PACKAGE_LAYERS=90 + 3 fixed layers of the template + 40 layers of the runtime image ghcr.io/acme/runtime:1 for linux/arm64 = 133 layers, ' +
        "more than the 127 an image may have (containerd's limit): set PACKAGE_LAYERS to at most 84 in base-build-args",
    })
    expect(checkPackageLayers(['PACKAGE_LAYERS=90'], { image: 'x', platform: 'linux/amd64', layers: 30 }, 7)).toEqual({ ok: true, value: 90 })
    expect(checkPackageLayers(['PACKAGE_LAYERS=90'], { image: 'x', platform: 'linux/amd64', layers: 31 }, 7).ok).toBe(false)
  })

  it('reads only PACKAGE_LAYERS=…, not a longer name', () => {
    expect(packageLayersArg(['PACKAGE_LAYERS_X=3', 'XPACKAGE_LAYERS=4'])).toBeUndefined()
    expect(maxPackageLayers()).toBe(PACKAGE_LAYERS_MAX)
  })
})

describe('runtimeImageOf', () => {
  const template = 'ARG MICROMAMBA_IMAGE=m:1\nARG RUNTIME_IMAGE=debian:13-slim\nFROM ${RUNTIME_IMAGE}\n'
  test.each([
    [[], 'debian:13-slim'],
    [['RUNTIME_IMAGE=ghcr.io/a/b:1'], 'ghcr.io/a/b:1'],
    [['RUNTIME_IMAGE=a:1', 'RUNTIME_IMAGE=b:2'], 'b:2'],
    [['RUNTIME_IMAGE_X=a:1', 'XRUNTIME_IMAGE=b'], 'debian:13-slim'],
    [['RUNTIME_IMAGE='], undefined],
  ])('%o → %s', (args, image) => {
    expect(runtimeImageOf(args, template)).toBe(image)
  })

  it("reads the bundled templates' defaults", () => {
    expect(runtimeImageOf([], TEXT)).toBe(/^ARG RUNTIME_IMAGE=(\S+)$/m.exec(TEXT)![1])
    expect(runtimeImageOf([], 'FROM x\n')).toBeUndefined()
  })
})

describe('runtimeLayersFor', () => {
  const L = (n: number): unknown[] => Array.from({ length: n }, () => ({}))
  const index = [
    { platform: 'linux/amd64', layers: L(3) },
    { platform: 'linux/arm64/v8', layers: L(9) },
    { platform: 'linux/arm/v7', layers: L(5) },
  ]
  test.each([
    [['linux/amd64'], { most: { platform: 'linux/amd64', layers: 3 }, missing: [] }],
    [['linux/amd64', 'linux/arm64'], { most: { platform: 'linux/arm64', layers: 9 }, missing: [] }],
    [['linux/arm64/v8'], { most: { platform: 'linux/arm64/v8', layers: 9 }, missing: [] }],
    [['linux/arm'], { most: { platform: 'linux/arm', layers: 5 }, missing: [] }],
    [['linux/arm/v6', 'linux/amd64'], { most: { platform: 'linux/amd64', layers: 3 }, missing: ['linux/arm/v6'] }],
    [['linux/s390x'], { missing: ['linux/s390x'] }],
  ])('an index, targets %o → %o', (targets, out) => {
    expect(runtimeLayersFor(index, targets)).toEqual(out)
  })

  it('a plain manifest (no platform of its own) serves every target', () => {
    expect(runtimeLayersFor([{ platform: 'unknown', layers: L(4) }], ['linux/amd64', 'linux/arm64'])).toEqual({
      most: { platform: 'linux/amd64', layers: 4 },
      missing: [],
    })
  })
})

describe('the bundled template', () => {
  const ins = DockerfileParser.parse(TEXT).getInstructions()
  const froms = ins.filter((i) => i.getKeyword() === 'FROM').map((i) => i.getArgumentsContent() ?? '')

  it(`has one stage per package layer, packages-1 … packages-${PACKAGE_LAYERS_MAX}, each adding layer <i> alone with a plain COPY (COPY --link chains outgrow the 1 MiB cache config BuildKit imports)`, () => {
    const chain = froms.filter((f) => /^packages-\d+ AS packages-\d+$/.test(f))
    expect(chain).toEqual(Array.from({ length: PACKAGE_LAYERS_MAX }, (_, i) => `packages-${i} AS packages-${i + 1}`))
    for (let i = 1; i <= PACKAGE_LAYERS_MAX; i++) {
      expect(TEXT).toContain(`FROM packages-${i - 1} AS packages-${i}\nCOPY --from=layers /layers/${i}/ /\n`)
    }
    expect(froms).toContain('${RUNTIME_IMAGE} AS packages-0')
    expect(froms).toContain('packages-${PACKAGE_LAYERS} AS runtime')
  })

  it('declares the default and the maximum the action checks against', () => {
    expect(TEXT).toMatch(new RegExp(`^ARG PACKAGE_LAYERS=${PACKAGE_LAYERS_DEFAULT}$`, 'm'))
    expect(TEXT).toMatch(new RegExp(`^max=${PACKAGE_LAYERS_MAX}$`, 'm'))
  })

  it(`adds exactly ${FIXED_LAYERS} layers of its own after the package layers (unowned files, WORKDIR, size manifest)`, () => {
    const runtime = ins.slice(ins.findIndex((i) => i.getKeyword() === 'FROM' && (i.getArgumentsContent() ?? '').endsWith('AS runtime')))
    expect(runtime.filter((i) => ['COPY', 'ADD', 'RUN', 'WORKDIR'].includes(i.getKeyword())).length).toBe(FIXED_LAYERS)
  })
})

describe('getOptions with the bundled template', () => {
  let ws: string
  const getter = (inputs: Record<string, string>) => (name: InputName) => ({ ...actionDefaults(''), ...inputs })[name] ?? ''
  beforeAll(() => {
    ws = mkdtempSync(path.join(os.tmpdir(), 'pkg-layers-'))
    writeFileSync(path.join(ws, 'environment.yml'), 'dependencies: [numpy]\n')
    writeFileSync(path.join(ws, 'base.Dockerfile'), 'FROM x\nARG PACKAGE_LAYERS\n')
  })
  afterAll(() => rmSync(ws, { recursive: true, force: true }))

  test.each([
    ['PACKAGE_LAYERS=0', /^Input "base-build-args": PACKAGE_LAYERS must be at least 1/],
    ['CONDA_OVERRIDE_CUDA=12.4\nPACKAGE_LAYERS=128', /^Input "base-build-args": PACKAGE_LAYERS must be at most 100: .*got "128"/],
  ])('base-build-args %j → a user error before anything runs', (args, message) => {
    const get = getter({ image: 'ghcr.io/acme/model', 'base-build-args': args })
    expect(() => getOptions(testContext({ workspace: ws }), get, inputFiles)).toThrow(UserError)
    expect(() => getOptions(testContext({ workspace: ws }), get, inputFiles)).toThrow(message)
  })

  it('accepts an in-range value, and leaves a custom base Dockerfile its own build args', () => {
    const ok = getOptions(testContext({ workspace: ws }), getter({ image: 'ghcr.io/acme/model', 'base-build-args': 'PACKAGE_LAYERS=12' }), inputFiles)
    expect(ok.baseBuildArgs).toEqual(['PACKAGE_LAYERS=12'])
    const custom = getOptions(
      testContext({ workspace: ws }),
      getter({ image: 'ghcr.io/acme/model', 'base-dockerfile': 'base.Dockerfile', 'base-build-args': 'PACKAGE_LAYERS=500' }),
      inputFiles,
    )
    expect(custom.baseDockerfile.bundled).toBe(false)
  })
})
