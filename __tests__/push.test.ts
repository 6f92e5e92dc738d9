import { expect, test } from 'vitest'
import { decidePush, pushAccessMessage, type PushInput } from '../src/push.js'

const base: PushInput = { push: 'auto', local: false }

test.each([
  ['auto pushes (access is checked before building, not assumed)', {}, true, /push access is checked/, false],
  ['auto on a same-repository PR pushes', { pullRequest: { number: 1, fromFork: false } }, true, /push: auto/, false],
  ['auto on a fork PR does not push, and says so as a notice', { pullRequest: { number: 1, fromFork: true } }, false, /fork/, true],
  ['push: true forces it, even on a fork', { push: true, pullRequest: { number: 1, fromFork: true } }, true, /push: true/, false],
  ['push: false', { push: false }, false, /push: false/, false],
  ['the local engine never pushes', { local: true, push: true }, false, /store: local/, false],
] as const)('%s', (_n, over, enabled, reason, notice) => {
  const d = decidePush({ ...base, ...over })
  expect(d.enabled).toBe(enabled)
  expect(d.reason).toMatch(reason)
  expect(Boolean(d.notice)).toBe(notice)
})

test('the push-access message names the registry and how to log in', () => {
  const m = pushAccessMessage('ghcr.io', 'acme/model', 'ghcr.io requires authentication')
  expect(m).toContain('ghcr.io/acme/model')
  expect(m).toMatch(/docker\/login-action \(registry: ghcr.io\)/)
  expect(m).toMatch(/registry-username and registry-password/)
  expect(pushAccessMessage('docker.io', 'acme/model', 'x')).toMatch(/store: local/)
})
