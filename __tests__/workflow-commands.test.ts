// Conformance: src/runner/workflow-commands.ts writes exactly what @actions/core writes — the
// same stdout for every workflow command, the same step outputs and job summary — on arbitrary
// input (fast-check). @actions/core is the reference (docs/DESIGN.md §9.4 says why the action
// does not load it at start-up).

import { fc, test } from '@fast-check/vitest'
import * as core from '@actions/core'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, vi } from 'vitest'
import * as ours from '../src/runner/workflow-commands.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'workflow-commands-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
})

/** What `f` writes to stdout. */
async function stdoutOf(f: () => unknown): Promise<string> {
  let out = ''
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()
    return true
  })
  try {
    await f()
  } finally {
    spy.mockRestore()
  }
  return out
}

/** Text the runner has to escape: line ends, `%`, `:` and `,` (property separators), anything else. */
const text = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '%', ':', ',', '\n', '\r', '=', '::', '%0A', 'é', '🐍'), maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
)
const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined })
const properties = fc.record(
  {
    title: optional(text),
    file: optional(text),
    startLine: optional(fc.integer({ min: 0, max: 100_000 })),
    endLine: optional(fc.integer({ min: 0, max: 100_000 })),
    startColumn: optional(fc.integer({ min: 0, max: 500 })),
    endColumn: optional(fc.integer({ min: 0, max: 500 })),
  },
  { requiredKeys: [] },
)

describe('workflow commands: the same stdout as @actions/core', () => {
  test.prop([text, properties], { numRuns: 400 })('warning, error and notice, with any annotation properties', async (message, props) => {
    for (const level of ['warning', 'error', 'notice'] as const) {
      const expected = await stdoutOf(() => core[level](message, props))
      expect(await stdoutOf(() => ours[level](message, props))).toBe(expected)
    }
  })

  test.prop([text])('info, debug, add-mask and a group around work', async (message) => {
    expect(await stdoutOf(() => ours.info(message))).toBe(await stdoutOf(() => core.info(message)))
    expect(await stdoutOf(() => ours.debug(message))).toBe(await stdoutOf(() => core.debug(message)))
    expect(await stdoutOf(() => ours.setSecret(message))).toBe(await stdoutOf(() => core.setSecret(message)))
    const expected = await stdoutOf(() => core.group(message, () => Promise.resolve(core.info('inside'))))
    expect(await stdoutOf(() => ours.group(message, () => Promise.resolve(ours.info('inside'))))).toBe(expected)
  })

  test('annotation properties that are all empty: the same command (found by the property above)', async () => {
    const expected = await stdoutOf(() => core.warning('', { endColumn: undefined }))
    expect(await stdoutOf(() => ours.warning('', { endColumn: undefined }))).toBe(expected)
  })

  test('a group is closed when its work throws, and the error is passed on', async () => {
    const boom = () => Promise.reject(new Error('boom'))
    const expected = await stdoutOf(() => core.group('g', boom).catch((e: Error) => e.message))
    expect(await stdoutOf(() => ours.group('g', boom).catch((e: Error) => e.message))).toBe(expected)
    await expect(ours.group('g', boom)).rejects.toThrow('boom')
  })
})

describe('inputs, outputs and the summary: what @actions/core reads and writes', () => {
  test.prop([fc.stringMatching(/^[a-z][a-z -]{0,15}$/), text])('getInput: INPUT_<NAME>, spaces as _, trimmed', (name, value) => {
    vi.stubEnv(`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value)
    expect(ours.getInput(name)).toBe(core.getInput(name))
    expect(ours.getInput(`${name}-unset`)).toBe(core.getInput(`${name}-unset`))
  })

  /** The runner's reading of the output file: `name<<delimiter` blocks (and `name=value` lines). */
  function parseOutputs(file: string): Record<string, string> {
    const out: Record<string, string> = {}
    const lines = readFileSync(file, 'utf8').split(os.EOL)
    for (let i = 0; i < lines.length; i++) {
      const m = /^([^<=]+)<<(ghadelimiter_[0-9a-f-]{36})$/.exec(lines[i]!)
      if (!m) continue
      const end = lines.indexOf(m[2]!, i + 1)
      expect(end).toBeGreaterThan(i)
      out[m[1]!] = lines.slice(i + 1, end).join(os.EOL)
      i = end
    }
    return out
  }

  test.prop([fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,20}$/), text])('setOutput: the same name and value in $GITHUB_OUTPUT', (name, value) => {
    const theirs = path.join(dir, 'theirs')
    const mine = path.join(dir, 'mine')
    writeFileSync(theirs, '')
    writeFileSync(mine, '')
    vi.stubEnv('GITHUB_OUTPUT', theirs)
    core.setOutput(name, value)
    vi.stubEnv('GITHUB_OUTPUT', mine)
    ours.setOutput(name, value)
    expect(parseOutputs(mine)).toEqual(parseOutputs(theirs))
    expect(parseOutputs(mine)).toEqual({ [name]: value })
  })

  test('setOutput without $GITHUB_OUTPUT: the old set-output command, as @actions/core writes it', async () => {
    vi.stubEnv('GITHUB_OUTPUT', '')
    const expected = await stdoutOf(() => core.setOutput('digest', 'sha256:1\n2'))
    expect(await stdoutOf(() => ours.setOutput('digest', 'sha256:1\n2'))).toBe(expected)
  })

  test('setOutput to a file that does not exist throws, as @actions/core does', () => {
    vi.stubEnv('GITHUB_OUTPUT', path.join(dir, 'missing', 'output'))
    expect(() => core.setOutput('a', 'b')).toThrow(/Missing file/)
    expect(() => ours.setOutput('a', 'b')).toThrow(/Missing file/)
  })

  test.prop([text], { numRuns: 30 })('appendSummary: the same bytes as summary.addRaw(md, true).write()', async (md) => {
    const theirs = path.join(dir, 'summary-theirs')
    const mine = path.join(dir, 'summary-mine')
    writeFileSync(theirs, '# before\n')
    writeFileSync(mine, '# before\n')
    vi.stubEnv('GITHUB_STEP_SUMMARY', theirs)
    await core.summary.addRaw(md, true).write()
    core.summary.emptyBuffer()
    await ours.appendSummary(md, { GITHUB_STEP_SUMMARY: mine })
    expect(readFileSync(mine, 'utf8')).toBe(readFileSync(theirs, 'utf8'))
  })

  test('appendSummary to a file that is not there fails, naming it', async () => {
    const missing = path.join(dir, 'no-such-dir', 'summary')
    await expect(ours.appendSummary('x', { GITHUB_STEP_SUMMARY: missing })).rejects.toThrow(`Unable to access summary file: '${missing}'`)
    await expect(ours.appendSummary('x', {})).rejects.toThrow(/GITHUB_STEP_SUMMARY/)
  })
})
