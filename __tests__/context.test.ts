import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { hostPlatform, readRunContext, sourceDate } from '../src/context/run-context.js'

function withEvent(payload: unknown, name = 'pull_request') {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctx-'))
  const file = path.join(dir, 'event.json')
  writeFileSync(file, JSON.stringify(payload))
  try {
    return readRunContext({ GITHUB_EVENT_NAME: name, GITHUB_EVENT_PATH: file }, () => new Date(0))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test.each([
  ['same repository', { pull_request: { number: 7, head: { repo: { full_name: 'acme/m' } }, base: { repo: { full_name: 'acme/m' } } } }, false],
  ['fork', { pull_request: { number: 7, head: { repo: { full_name: 'eve/m' } }, base: { repo: { full_name: 'acme/m' } } } }, true],
  ['deleted fork', { pull_request: { number: 7, head: { repo: null }, base: { repo: { full_name: 'acme/m' } } } }, true],
])('pull request from %s', (_n, payload, fork) => {
  const c = withEvent(payload)
  expect(c.pullRequest).toEqual(expect.objectContaining({ number: 7, fromFork: fork }))
})

test('push events have no pull request', () => {
  expect(withEvent({ ref: 'refs/heads/main' }, 'push').pullRequest).toBeUndefined()
})

test('SOURCE_DATE_EPOCH sets the clock', () => {
  expect(sourceDate('1763856000')?.toISOString()).toBe('2025-11-23T00:00:00.000Z')
  expect(sourceDate('')).toBeUndefined()
  expect(() => sourceDate('x')).toThrow(/SOURCE_DATE_EPOCH must be a whole number of seconds/)
  expect(readRunContext({ SOURCE_DATE_EPOCH: '86400' }, () => new Date(5)).now.toISOString()).toBe('1970-01-02T00:00:00.000Z')
  expect(readRunContext({}, () => new Date(5)).now.getTime()).toBe(5)
})

test.each([
  ['x64', 'linux/amd64'],
  ['arm64', 'linux/arm64'],
  ['arm', 'linux/arm/v7'],
  ['ppc64', 'linux/ppc64le'],
  ['s390x', 'linux/s390x'],
])('host platform of node arch %s is %s', (arch, platform) => {
  expect(hostPlatform(arch)).toBe(platform)
})
