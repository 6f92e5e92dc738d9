import { expect, test } from 'vitest'
import { phaseTiming } from '../src/phases/timing.js'
import type { PhaseTiming } from '../src/run/state.js'

// The tag list starts at 10 (after the inputs), the environment is hashed from 10 to 400,
// the Lookup phase waits from 400 to 401 for a list that settled at 350: its own time is
// 341 ms, not the 1 ms it waited, and it ran alongside the hashing.
const before: PhaseTiming[] = [
  { name: 'Inputs', ms: 10, startMs: 0, endMs: 10 },
  { name: 'Environment hash', ms: 390, startMs: 10, endMs: 400 },
]

test.each([
  ['settled before the phase waited', { startMs: 10, endMs: 350 }, 400, 401, 341, ['Environment hash']],
  ['settled while the phase waited', { startMs: 10, endMs: 700 }, 400, 700, 690, ['Environment hash']],
  ['the phase went on after it settled', { startMs: 10, endMs: 350 }, 400, 500, 440, ['Environment hash']],
  ['no earlier work', undefined, 400, 401, 1, undefined],
  // Reads started at 10 that settled at 20, before the hashing ended: only the phase they ran beside is named, not one that started after.
  ['settled early', { startMs: 10, endMs: 20 }, 400, 401, 11, ['Environment hash']],
  ['settled before a later phase started', { startMs: 5, endMs: 8 }, 400, 401, 4, ['Inputs']],
] as const)('%s', (_name, work, start, end, ms, overlapped) => {
  const t = phaseTiming('Lookup', start, end, work, before)
  expect(t.ms).toBe(ms)
  expect(t.overlapped).toEqual(overlapped)
})
