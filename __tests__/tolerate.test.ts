// tolerate(): the reads a report can do without. A registry fault is one warning; a read
// that the end of the run cut short (a run that failed before it needed the answer) is
// nothing at all; the user's own error still fails the run.

import { describe, expect, test } from 'vitest'
import { UserError } from '../src/vocabulary/user-error.js'
import { tolerate } from '../src/phases/timing.js'
import { RegistryError, RunEnded } from '../src/registry/index.js'

function run(e: Error): { result: Promise<unknown>; warnings: string[] } {
  const warnings: string[] = []
  return { result: tolerate({ warning: (m) => warnings.push(m) }, 'read the size trend', () => Promise.reject(e)), warnings }
}

describe('tolerate', () => {
  test('a registry fault becomes one warning and no value', async () => {
    const r = run(new RegistryError('network', 'r.test', 'r.test did not answer within 30s'))
    await expect(r.result).resolves.toBeUndefined()
    expect(r.warnings).toEqual(['Could not read the size trend: r.test did not answer within 30s'])
  })

  test('a read the end of the run cut short is no warning', async () => {
    const r = run(new RunEnded('r.test', 'r.test: did not read the manifest: the run ended first'))
    await expect(r.result).resolves.toBeUndefined()
    expect(r.warnings).toEqual([])
  })

  test("the user's error still fails the run", async () => {
    const r = run(new UserError('environment.yml: not valid YAML'))
    await expect(r.result).rejects.toThrow(/not valid YAML/)
    expect(r.warnings).toEqual([])
  })

  test('a value passes through', async () => {
    await expect(tolerate({ warning: () => undefined }, 'x', () => Promise.resolve(42))).resolves.toBe(42)
  })
})
