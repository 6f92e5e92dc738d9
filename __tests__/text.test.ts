// src/text/strings.ts writes what the Intl-backed built-ins write, without loading ICU.

import { fc, test } from '@fast-check/vitest'
import { expect } from 'vitest'
import { compareText, thousands } from '../src/text/strings.js'

test.prop([fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -100_000, max: 100_000 }))])(
  'thousands(n) is toLocaleString("en-US") for every safe integer',
  (n) => {
    expect(thousands(n)).toBe(n.toLocaleString('en-US'))
  },
)

test.each([
  [0, '0'],
  [999, '999'],
  [1000, '1,000'],
  [-1234567, '-1,234,567'],
  [12.6, '13'],
  [Infinity, 'Infinity'],
])('thousands(%s) = %s', (n, want) => expect(thousands(n)).toBe(want))

test('compareText: code-unit order, the same on every runner (localeCompare puts punctuation by ICU data)', () => {
  expect(['b_', 'b-', 'B', 'a', 'b'].sort(compareText)).toEqual(['B', 'a', 'b', 'b-', 'b_'])
})
