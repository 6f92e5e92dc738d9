import { expect, test } from 'vitest'
import { decidePush, type PushInput } from '../src/push.js'

const base: PushInput = { push: 'auto', mode: 'auto', local: false, credentials: 'found', registry: 'ghcr.io' }

test.each([
  ['auto with credentials pushes', {}, true, /can write/],
  ['auto on a same-repository PR pushes', { pullRequest: { number: 1, fromFork: false } }, true, /can write/],
  ['auto on a fork PR does not push', { pullRequest: { number: 1, fromFork: true } }, false, /fork/],
  ['auto without credentials does not push', { credentials: 'none' }, false, /docker\/login-action/],
  ['loopback registries need no credentials', { credentials: 'not-needed' }, true, /can write/],
  ['push: true forces it, even on a fork', { push: true, pullRequest: { number: 1, fromFork: true } }, true, /push: true/],
  ['push: false', { push: false }, false, /push: false/],
  ['plan never pushes', { mode: 'plan', push: true }, false, /plan/],
  ['the local engine never pushes', { local: true, push: true }, false, /local Docker engine/],
] as const)('%s', (_n, over, enabled, reason) => {
  const d = decidePush({ ...base, ...over })
  expect(d.enabled).toBe(enabled)
  expect(d.reason).toMatch(reason)
})
