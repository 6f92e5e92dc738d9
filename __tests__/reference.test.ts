import { expect, test } from 'vitest'
import { UserError } from '../src/vocabulary/user-error.js'
import { formatReference, isLoopbackHost, parseReference, registryHostProblem } from '../src/image/reference.js'

test.each([
  ['ghcr.io/acme/model', { registry: 'ghcr.io', apiHost: 'ghcr.io', repository: 'acme/model', local: false }, undefined, undefined],
  ['127.0.0.1:5000/a/b:tag', { registry: '127.0.0.1:5000', repository: 'a/b', local: false }, 'tag', undefined],
  ['localhost/x', { registry: 'localhost', repository: 'x', local: false }, undefined, undefined],
  ['docker.io/busybox', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/busybox' }, undefined, undefined],
  ['demo/model', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'demo/model', local: false }, undefined, undefined],
  ['model:1.0@sha256:' + 'a'.repeat(64), { registry: 'docker.io', local: false, repository: 'library/model' }, '1.0', 'sha256:' + 'a'.repeat(64)],
  ['index.docker.io/acme/x', { registry: 'docker.io', repository: 'acme/x' }, undefined, undefined],
  ['localhost:5000/x', { registry: 'localhost:5000', repository: 'x' }, undefined, undefined],
  ['127.0.0.1:65535/x', { registry: '127.0.0.1:65535' }, undefined, undefined],
  ['[::1]:5000/x', { registry: '[::1]:5000', repository: 'x' }, undefined, undefined],
])('%s', (input, name, tag, digest) => {
  const r = parseReference(input)
  expect(r.name).toMatchObject(name)
  expect(r.tag).toBe(tag)
  expect(r.digest).toBe(digest)
})

test.each(['', 'UPPER/case', 'a//b', 'a/b:bad tag', 'a@sha256:short', 'ghcr.io/', 'a/b:' + 'x'.repeat(129)])('rejects %j', (input) => {
  expect(() => parseReference(input)).toThrow(UserError)
})

test.each([
  ['127.0.0.1:99999/x', /port 99999 is outside 1–65535/],
  ['127.0.0.1:0/x', /port 0 is outside/],
  ['localhost:123456/x', /invalid registry host/],
  ['-bad.io/x', /invalid registry host/],
  ['bad-.io/x', /invalid registry host/],
  ['a..b.io/x', /invalid registry host/],
  [`${'a'.repeat(64)}.io/x`, /invalid registry host/],
  ['ghcr.io:/x', /invalid registry host/],
])('refuses the registry host of %j, naming the input', (input, why) => {
  expect(() => parseReference(input, 'Input "image"')).toThrow(why)
  expect(() => parseReference(input, 'Input "image"')).toThrow(/^Input "image"/)
})

test('store: local keeps a bare name as written', () => {
  expect(parseReference('demo/model:dev', 'image', { local: true }).name).toEqual({ registry: '', apiHost: '', repository: 'demo/model', local: true })
  expect(parseReference('127.0.0.1:5000/a', 'image', { local: true }).name).toMatchObject({ registry: '127.0.0.1:5000', local: true })
})

test('registryHostProblem', () => {
  expect(registryHostProblem('ghcr.io')).toBeUndefined()
  expect(registryHostProblem('[::1]:5000')).toBeUndefined()
  expect(registryHostProblem('127.0.0.1:1')).toBeUndefined()
  expect(registryHostProblem('127.0.0.1:65536')).toMatch(/outside/)
})

test('format and loopback', () => {
  expect(formatReference(parseReference('ghcr.io/a/b').name, 't', 'sha256:x')).toBe('ghcr.io/a/b:t@sha256:x')
  expect(isLoopbackHost('127.0.0.1:5000')).toBe(true)
  expect(isLoopbackHost('127.12.0.9')).toBe(true)
  expect(isLoopbackHost('localhost:80')).toBe(true)
  expect(isLoopbackHost('[::1]:5000')).toBe(true)
  expect(isLoopbackHost('ghcr.io')).toBe(false)
  expect(isLoopbackHost('127.0.0.1.nip.io')).toBe(false)
})
