// The source date of a build (created label, BuildKit SOURCE_DATE_EPOCH): validation of
// SOURCE_DATE_EPOCH, the fallback order, and the commit time of a real git repository.

import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chmodSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { readRunContext } from '../src/context/run-context.js'
import { UserError } from '../src/vocabulary/user-error.js'
import {
  SOURCE_DATE_EPOCH_MAX,
  chooseSourceDate,
  eventCommitTimestamp,
  headCommitSeconds,
  parseCommitTime,
  parseSourceDateEpoch,
  resolveSourceDate,
  sameDigestAs,
} from '../src/context/source-date.js'
import { datedTag } from '../src/image/dated-tags.js'

const NOW = new Date('2026-11-28T12:00:00Z')

describe('SOURCE_DATE_EPOCH', () => {
  test.each([
    ['0', '1970-01-01T00:00:00.000Z'],
    ['1763856000', '2025-11-23T00:00:00.000Z'],
    [' 1763856000\n', '2025-11-23T00:00:00.000Z'],
    [String(SOURCE_DATE_EPOCH_MAX), '9999-12-31T23:59:59.000Z'],
  ])('%j is %s', (v, iso) => {
    expect(parseSourceDateEpoch(v)?.toISOString()).toBe(iso)
  })

  test.each([undefined, '', '  '])('%j is unset', (v) => {
    expect(parseSourceDateEpoch(v)).toBeUndefined()
  })

  test.each([
    ['yesterday', /whole number of seconds.*"yesterday"/],
    ['-1', /whole number of seconds/],
    ['1.5', /whole number of seconds/],
    ['1e9', /whole number of seconds/],
    ['0x10', /whole number of seconds/],
    ['99999999999999', /years 1970–9999.*"99999999999999"/],
    [String(SOURCE_DATE_EPOCH_MAX + 1), /years 1970–9999/],
    ['9'.repeat(400), /whole number of seconds.*…"/],
  ])('%j is a clean user error naming SOURCE_DATE_EPOCH', (v, msg) => {
    let err: unknown
    try {
      parseSourceDateEpoch(v)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UserError)
    expect((err as Error).message).toMatch(/^SOURCE_DATE_EPOCH /)
    expect((err as Error).message).toMatch(msg)
    expect((err as Error).message).not.toMatch(/RangeError|Invalid time value|NaN/)
    expect((err as Error).message.length).toBeLessThan(200)
  })

  test('readRunContext: an invalid value throws (inside the error boundary), a valid one is the tag clock', () => {
    expect(() => readRunContext({ SOURCE_DATE_EPOCH: 'yesterday' }, () => NOW)).toThrow(UserError)
    const ctx = readRunContext({ SOURCE_DATE_EPOCH: '1763856000' }, () => NOW)
    expect(ctx.now.toISOString()).toBe('2025-11-23T00:00:00.000Z')
    expect(ctx.sourceDateEpoch?.toISOString()).toBe('2025-11-23T00:00:00.000Z')
    // The largest valid value still makes an 8-digit tag date.
    const max = readRunContext({ SOURCE_DATE_EPOCH: String(SOURCE_DATE_EPOCH_MAX) }, () => NOW)
    expect(datedTag('base-', 'a'.repeat(64), max.now)).toBe(`base-${'a'.repeat(12)}-99991231`)
  })

  test('without SOURCE_DATE_EPOCH the tag clock is the clock, not the commit time', () => {
    const ctx = readRunContext({}, () => NOW)
    expect(ctx.now).toBe(NOW)
    expect(ctx.sourceDateEpoch).toBeUndefined()
  })
})

describe('choosing the source date', () => {
  test.each([
    [{ explicit: new Date(86_400_000), commitSeconds: 5, eventTimestamp: '2020-01-01T00:00:00Z' }, 86_400, 'SOURCE_DATE_EPOCH'],
    [{ commitSeconds: 1_700_000_000, eventTimestamp: '2020-01-01T00:00:00Z' }, 1_700_000_000, 'commit'],
    [{ eventTimestamp: '2020-01-01T00:00:00+01:00' }, 1_577_833_200, 'event'],
    [{ eventTimestamp: 'not a date' }, NOW.getTime() / 1000, 'clock'],
    [{ eventTimestamp: '+275760-09-13T00:00:00.000Z' }, NOW.getTime() / 1000, 'clock'],
    [{}, NOW.getTime() / 1000, 'clock'],
  ])('%j → %d (%s)', (i, seconds, origin) => {
    const d = chooseSourceDate({ ...i, now: NOW })
    expect(d).toEqual({ seconds, date: new Date(seconds * 1000), origin })
  })

  test('commit time output and event payloads', () => {
    expect(parseCommitTime('1700000000\n')).toBe(1_700_000_000)
    expect(parseCommitTime('')).toBeUndefined()
    expect(parseCommitTime('fatal: not a git repository')).toBeUndefined()
    expect(parseCommitTime('999999999999')).toBeUndefined()
    expect(eventCommitTimestamp({ head_commit: { timestamp: '2026-01-02T03:04:05Z' } })).toBe('2026-01-02T03:04:05Z')
    expect(eventCommitTimestamp({ workflow_run: { head_commit: { timestamp: 'x' } } })).toBe('x')
    expect(eventCommitTimestamp({ head_commit: null })).toBeUndefined()
    expect(eventCommitTimestamp(null)).toBeUndefined()
    expect(eventCommitTimestamp({ head_commit: { timestamp: 5 } })).toBeUndefined()
  })
})

describe('the commit time of HEAD (real git)', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'source-date-'))
    mkdirSync(path.join(dir, 'repo'))
    mkdirSync(path.join(dir, 'plain'))
    const git = (...a: string[]) =>
      execFileSync('git', a, {
        cwd: path.join(dir, 'repo'),
        env: {
          ...process.env,
          GIT_AUTHOR_DATE: '@1700000000 +0000',
          GIT_COMMITTER_DATE: '@1700000123 +0000',
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@e',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@e',
        },
      })
    git('init', '-q')
    writeFileSync(path.join(dir, 'repo', 'f'), 'x')
    git('add', 'f')
    git('commit', '-qm', 'c')
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  afterEach(() => vi.unstubAllEnvs())

  test('a git that hangs is killed at the timeout: no source date from it, no hang', async () => {
    const bin = path.join(dir, 'bin')
    mkdirSync(bin, { recursive: true })
    writeFileSync(path.join(bin, 'git'), '#!/bin/sh\nexec sleep 30\n')
    chmodSync(path.join(bin, 'git'), 0o755)
    vi.stubEnv('PATH', `${bin}:${process.env.PATH}`)
    const started = Date.now()
    expect(await headCommitSeconds(path.join(dir, 'repo'), 300)).toBeUndefined()
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  test('the committer time of HEAD; undefined outside a repository', async () => {
    expect(await headCommitSeconds(path.join(dir, 'repo'))).toBe(1_700_000_123)
    expect(await headCommitSeconds(path.join(dir, 'plain'), 5_000)).toBeUndefined()
    expect(await headCommitSeconds(path.join(dir, 'missing'))).toBeUndefined()
  })

  test('resolveSourceDate: commit, then event, then clock; SOURCE_DATE_EPOCH first', async () => {
    const ev = '2026-01-02T03:04:05Z'
    expect(await resolveSourceDate({ workspace: path.join(dir, 'repo'), eventCommitTimestamp: ev }, () => NOW)).toMatchObject({
      seconds: 1_700_000_123,
      origin: 'commit',
    })
    expect(await resolveSourceDate({ workspace: path.join(dir, 'plain'), eventCommitTimestamp: ev }, () => NOW)).toMatchObject({ origin: 'event' })
    expect(await resolveSourceDate({ workspace: path.join(dir, 'plain') }, () => NOW)).toMatchObject({ origin: 'clock', date: NOW })
    expect(await resolveSourceDate({ workspace: path.join(dir, 'repo'), sourceDateEpoch: new Date(0) }, () => NOW)).toMatchObject({
      seconds: 0,
      origin: 'SOURCE_DATE_EPOCH',
    })
  })
})

describe('same digest as before', () => {
  test.each([
    ['sha256:a', [{ ref: 'r:t', digest: 'sha256:a' }], 'r:t'],
    [
      'sha256:a',
      [
        { ref: 'r:t', digest: undefined },
        { ref: 'r:latest', digest: 'sha256:a' },
      ],
      'r:latest',
    ],
    ['sha256:a', [{ ref: 'r:t', digest: 'sha256:b' }, {}], undefined],
    [undefined, [{ ref: 'r:t', digest: undefined }], undefined],
  ])('%s among %j → %s', (digest, candidates, want) => {
    expect(sameDigestAs(digest, candidates)).toBe(want)
  })
})
