import { expect, test } from 'vitest'
import { UserError } from '../src/errors.js'
import { formatReference, isLoopbackHost, parseReference } from '../src/reference.js'

test.each([
  ['ghcr.io/acme/model', { registry: 'ghcr.io', apiHost: 'ghcr.io', repository: 'acme/model', local: false }, undefined, undefined],
  ['127.0.0.1:5000/a/b:tag', { registry: '127.0.0.1:5000', repository: 'a/b', local: false }, 'tag', undefined],
  ['localhost/x', { registry: 'localhost', repository: 'x', local: false }, undefined, undefined],
  ['docker.io/busybox', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/busybox' }, undefined, undefined],
  ['demo/model', { registry: '', repository: 'demo/model', local: true }, undefined, undefined],
  ['model:1.0@sha256:' + 'a'.repeat(64), { local: true, repository: 'model' }, '1.0', 'sha256:' + 'a'.repeat(64)],
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

test('format and loopback', () => {
  expect(formatReference(parseReference('ghcr.io/a/b').name, 't', 'sha256:x')).toBe('ghcr.io/a/b:t@sha256:x')
  expect(isLoopbackHost('127.0.0.1:5000')).toBe(true)
  expect(isLoopbackHost('127.12.0.9')).toBe(true)
  expect(isLoopbackHost('localhost:80')).toBe(true)
  expect(isLoopbackHost('[::1]:5000')).toBe(true)
  expect(isLoopbackHost('ghcr.io')).toBe(false)
  expect(isLoopbackHost('127.0.0.1.nip.io')).toBe(false)
})
