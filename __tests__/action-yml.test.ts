// action.yml is the contract users read (Marketplace, README tables, editor hovers): its
// names must be the code's names, its defaults what the code does with nothing set, and
// its metadata what the Marketplace requires.

import { testContext } from '../__fixtures__/context.js'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest'
import { parse } from 'yaml'
import { Inputs, Outputs, type InputName } from '../src/vocabulary/constants.js'
import type { RunContext } from '../src/context/run-context.js'
import { getOptions, type Options } from '../src/run/options.js'
import { inputSpecs } from '../src/run/input-table.js'
import { inputsBlock, withInputs } from '../scripts/action-inputs.js'
import { inputFiles } from '../__fixtures__/input-files.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

interface ActionYml {
  name?: unknown
  description?: unknown
  author?: unknown
  branding?: { icon?: unknown; color?: unknown }
  inputs: Record<string, { description?: unknown; required?: unknown; default?: string | number | boolean | null }>
  outputs: Record<string, { description?: unknown }>
  runs: { using?: unknown; main?: unknown }
}

const action = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionYml
const inputNames = Object.keys(action.inputs)
const outputNames = Object.keys(action.outputs)
const defaultOf = (name: string): string => {
  const d = action.inputs[name]?.default
  return d === undefined || d === null ? '' : String(d)
}

// Colours the Marketplace accepts for `branding.color`.
const BRANDING_COLORS = ['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark']

describe('action.yml metadata', () => {
  it('has a name, an author and a description under 125 characters', () => {
    expect(typeof action.name).toBe('string')
    expect(String(action.name).length).toBeGreaterThan(0)
    expect(typeof action.author).toBe('string')
    expect(typeof action.description).toBe('string')
    expect(String(action.description).length).toBeGreaterThan(20)
    expect(String(action.description).length).toBeLessThan(125)
  })

  it('has branding (a Feather icon name and a Marketplace colour)', () => {
    expect(action.branding).toBeDefined()
    expect(String(action.branding?.icon)).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/)
    expect(BRANDING_COLORS).toContain(action.branding?.color)
  })

  it('runs the committed bundle on a current Node runtime', () => {
    expect(action.runs.using).toMatch(/^node\d+$/)
    expect(action.runs.main).toBe('dist/index.js')
  })

  test.each(inputNames)('input %s has a one-line description', (name) => {
    const d = action.inputs[name]!.description
    expect(typeof d).toBe('string')
    expect(String(d).trim().length).toBeGreaterThan(10)
    expect(String(d)).not.toContain('\n')
  })

  test.each(outputNames)('output %s has a one-line description', (name) => {
    const d = action.outputs[name]!.description
    expect(typeof d).toBe('string')
    expect(String(d).trim().length).toBeGreaterThan(5)
    expect(String(d)).not.toContain('\n')
  })

  it('requires only image', () => {
    const required = inputNames.filter((n) => action.inputs[n]!.required === true || action.inputs[n]!.required === 'true')
    expect(required).toEqual([Inputs.Image])
    expect(action.inputs[Inputs.Image]!.default).toBeUndefined()
  })

  it('gives every input a default as a string (the runner passes strings)', () => {
    for (const n of inputNames.filter((n) => n !== Inputs.Image)) {
      expect(typeof action.inputs[n]!.default, `default of ${n}`).toBe('string')
    }
  })
})

describe('action.yml inputs are the input table (src/run/input-table.ts)', () => {
  const text = readFileSync(path.join(ROOT, 'action.yml'), 'utf8')

  it('action.yml holds exactly the inputs block the table renders (run npm run docs after changing the table)', () => {
    expect(withInputs(text)).toBe(text)
  })

  it('the table names every input of src/vocabulary/constants.ts once, in action.yml order', () => {
    expect(inputSpecs().map((s) => s.name)).toEqual(inputNames)
    expect([...inputSpecs().map((s) => s.name)].sort()).toEqual(Object.values(Inputs).sort())
  })

  it('a changed description or default in the table is a difference in action.yml', () => {
    const changed = inputSpecs().map((s, i) => (i === 0 ? { ...s, default: 'other.yml' } : s))
    expect(withInputs(text, inputsBlock(changed))).not.toBe(text)
  })
})

describe('action.yml names match src/vocabulary/constants.ts', () => {
  it('declares exactly the inputs the code reads', () => {
    expect([...inputNames].sort()).toEqual(Object.values(Inputs).sort())
  })

  it('declares exactly the outputs the code writes', () => {
    expect([...outputNames].sort()).toEqual(Object.values(Outputs).sort())
  })

  it('decides every declared output in the one outputs module (src/run/outputs.ts), which the phases alone publish', () => {
    const outputs = readFileSync(path.join(ROOT, 'src', 'run', 'outputs.ts'), 'utf8')
    for (const [key, name] of Object.entries(Outputs)) {
      expect(outputs, `output ${name} (Outputs.${key}) is never set`).toMatch(new RegExp(`\\[Outputs\\.${key}\\]:`))
    }
    const dir = path.join(ROOT, 'src', 'phases')
    for (const f of readdirSync(dir)) expect(readFileSync(path.join(dir, f), 'utf8'), f).not.toMatch(/\bsetOutput\(|\bOutputs\./)
  })
})

describe('action.yml defaults are what the code does when an input is not set', () => {
  let ws: string
  const ctx = (): RunContext => testContext({ workspace: ws, sha: 'abcdef0123456789abcdef0123456789abcdef01', now: new Date('2026-01-15T00:00:00Z') })
  const IMAGE = 'ghcr.io/acme/model'
  /** As the runner does it: every input gets its action.yml default (the token expression evaluated). */
  const withDefaults = (name: InputName): string => {
    if (name === Inputs.Image) return IMAGE
    const d = defaultOf(name)
    return d === '${{ github.token }}' ? '' : d
  }
  /** Nothing but `image`: what the code falls back to (runs outside GitHub, older runners). */
  const onlyImage = (name: InputName): string => (name === Inputs.Image ? IMAGE : '')

  beforeAll(() => {
    ws = mkdtempSync(path.join(os.tmpdir(), 'action-yml-'))
    writeFileSync(path.join(ws, 'environment.yml'), 'channels: [conda-forge]\ndependencies: [python=3.12]\n')
  })
  afterAll(() => rmSync(ws, { recursive: true, force: true }))

  it('the defaults of action.yml and the fallbacks of getOptions give the same options', () => {
    const declared = getOptions(ctx(), withDefaults, inputFiles)
    const fallback = getOptions(ctx(), onlyImage, inputFiles)
    expect(declared).toEqual(fallback)
  })

  it('github-token defaults to the job token', () => {
    expect(defaultOf(Inputs.GithubToken)).toBe('${{ github.token }}')
  })

  // Inputs whose action.yml default is empty but whose description promises a computed
  // default ("Default: …"): each promise checked against getOptions.
  const computed: Partial<Record<InputName, (o: Options) => void>> = {
    [Inputs.BaseRepository]: (o) => expect(o.baseRepository).toEqual(o.image),
    [Inputs.BaseDockerfile]: (o) => {
      expect(o.baseDockerfile.bundled).toBe(true)
      expect(o.baseDockerfile.content).toMatch(/micromamba/)
    },
    [Inputs.Tags]: (o) => expect(o.tags).toEqual([`${IMAGE}:sha-abcdef0`]),
    [Inputs.CacheRef]: (o) => expect(o.cacheRef).toBe(`${IMAGE}:buildcache`),
    [Inputs.AppCacheRef]: (o) => expect(o.appCacheRef).toBe(`${IMAGE}:buildcache-app`),
    [Inputs.Platforms]: (o) => expect(o.platforms).toEqual([]),
    // Empty: all of platforms (resolveBuildPlatforms, tables in platforms.test.ts).
    [Inputs.BuildPlatforms]: (o) => expect(o.buildPlatforms).toEqual([]),
    [Inputs.Builder]: (o) => expect(o.builder).toBeUndefined(),
    [Inputs.CompareTo]: (o) => expect(o.compareTo).toBeUndefined(),
    // Decided per run by resolveCacheBackend (tables in actions-cache.test.ts).
    [Inputs.CacheBackend]: (o) => expect(o.cacheBackend).toBe(''),
  }

  it('every "Default: …" promise in a description is checked here', () => {
    const promising = inputNames.filter((n) => defaultOf(n) === '' && /\bDefault:/.test(String(action.inputs[n]!.description)))
    expect(promising.sort()).toEqual(Object.keys(computed).sort())
  })

  test.each(Object.keys(computed))('computed default of %s', (name) => {
    computed[name as InputName]!(getOptions(ctx(), onlyImage, inputFiles))
  })

  it('documents the same literal defaults as docs/DESIGN.md §2', () => {
    expect(defaultOf(Inputs.EnvironmentFile)).toBe('environment.yml')
    expect(defaultOf(Inputs.BaseTagPrefix)).toBe('base-')
    expect(defaultOf(Inputs.Context)).toBe('.')
    expect(defaultOf(Inputs.Mode)).toBe('auto')
    expect(defaultOf(Inputs.Push)).toBe('auto')
    expect(defaultOf(Inputs.CacheMode)).toBe('max')
    expect(defaultOf(Inputs.KeepLatest)).toBe('3')
    expect(defaultOf(Inputs.KeepDays)).toBe('30')
    expect(defaultOf(Inputs.Prune)).toBe('false')
    expect(defaultOf(Inputs.Summary)).toBe('true')
    expect(defaultOf(Inputs.PrComment)).toBe('true')
  })
})
