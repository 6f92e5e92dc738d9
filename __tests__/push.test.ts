import { expect, test } from 'vitest'
import { decidePush, pushAccessMessage, registriesToReach, unreachableCause, type PushInput } from '../src/run/push.js'
import { parseImageName } from '../src/image/reference.js'

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

const img = (s: string) => parseImageName(s)
const reachOpts = {
  image: img('ghcr.io/acme/model'),
  baseRepository: img('ghcr.io/acme/model'),
  dockerfile: 'Dockerfile',
  tags: ['ghcr.io/acme/model:sha-abc1234'],
  cacheRef: 'ghcr.io/acme/model:buildcache',
  appCacheRef: 'ghcr.io/acme/model:buildcache-app',
  cacheBackend: '' as const,
}

test.each([
  ['the image registry only, by default', {}, [['ghcr.io', ['image']]]],
  [
    'an extra tag on another registry',
    { tags: ['ghcr.io/acme/model:v1', 'quay.io/acme/model:v1'] },
    [
      ['ghcr.io', ['image']],
      ['quay.io', ['tags']],
    ],
  ],
  [
    'base repository elsewhere',
    { baseRepository: img('registry.lan:5000/acme/base'), cacheRef: 'registry.lan:5000/acme/base:buildcache' },
    [
      ['registry.lan:5000', ['base-repository']],
      ['ghcr.io', ['image']],
    ],
  ],
  [
    'cache refs on their own registries',
    { cacheRef: 'cache.lan/c:base', appCacheRef: 'cache2.lan/c:app' },
    [
      ['ghcr.io', ['image']],
      ['cache.lan', ['cache-ref']],
      ['cache2.lan', ['app-cache-ref']],
    ],
  ],
  ['no registry cache: cache refs are not read', { cacheBackend: 'actions' as const, cacheRef: 'cache.lan/c:base' }, [['ghcr.io', ['image']]]],
  [
    'no application Dockerfile: tags and the app cache are not pushed',
    { dockerfile: undefined, tags: ['quay.io/acme/model:v1'], appCacheRef: 'cache2.lan/c:app' },
    [['ghcr.io', ['image']]],
  ],
] as const)('registriesToReach: %s', (_n, over, expected) => {
  const got = registriesToReach({ ...reachOpts, ...over }).map((t) => [t.name.registry, t.inputs])
  expect(got).toEqual(expected)
})

test.each([
  ['ENOTFOUND', /the name registry\.invalid does not resolve \(DNS: ENOTFOUND\)/, /typo/],
  ['EAI_AGAIN', /does not resolve/, /resolve it/],
  ['ECONNREFUSED', /was refused/, /registry is running/],
  ['EHOSTUNREACH', /unreachable from the runner/, /firewall/],
  ['TimeoutError', /accepted no request within 8 s/, /proxy/],
  ['DEPTH_ZERO_SELF_SIGNED_CERT', /TLS handshake .* failed/, /NODE_EXTRA_CA_CERTS.*insecure-registries/],
  ['ERR_SSL_WRONG_VERSION_NUMBER', /TLS handshake/, /insecure-registries/],
  ['ECONNRESET', /was reset/, /HTTPS/],
])('unreachableCause %s', (code, cause, fix) => {
  const c = unreachableCause('registry.invalid:443', { code, message: 'x', ms: 8000 })
  expect(c.cause).toMatch(cause)
  expect(c.fix).toMatch(fix)
})
