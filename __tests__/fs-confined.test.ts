// Confined, bounded file access against real hostile fixtures: a FIFO, a /dev/zero symlink,
// /proc/self/environ, `..` and symlink escapes, oversized files, deep and wide trees.

import { execFileSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  ConfinedError,
  hashConfined,
  isInside,
  isSystemPath,
  readConfined,
  readConfinedSync,
  resolveConfined,
  resolveConfinedSync,
  statConfined,
  walkConfined,
  workspaceAt,
  workspaceDir,
} from '../src/fs/index.js'
import { cleanupTemp, tempDir, writeTree } from './hash-helpers.js'

afterAll(cleanupTemp, 120_000)

async function refusal(p: Promise<unknown>): Promise<ConfinedError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(ConfinedError)
    return e as ConfinedError
  }
  throw new Error('expected a refusal')
}

function sandbox() {
  const top = tempDir('confined-')
  const root = path.join(top, 'ws')
  writeTree(top, { 'canary.txt': 'CANARY-SECRET\n', 'ws/ok.txt': 'hello\n', 'ws/sub/deep.txt': 'deep\n' })
  return { top, root, ws: workspaceAt(root) }
}

describe('resolveConfined', () => {
  it('accepts paths inside, relative or absolute, and reports the real path relative to the root', async () => {
    const { root, ws } = sandbox()
    symlinkSync('sub/deep.txt', path.join(root, 'link.txt'))
    expect((await resolveConfined(ws, 'ok.txt')).rel).toBe('ok.txt')
    expect((await resolveConfined(ws, path.join(root, 'sub', '..', 'ok.txt'))).rel).toBe('ok.txt')
    expect((await resolveConfined(ws, 'link.txt')).rel).toBe('sub/deep.txt')
    expect((await resolveConfined(ws, 'deep.txt', path.join(root, 'sub'))).rel).toBe('sub/deep.txt')
    expect(resolveConfinedSync(ws, '.').rel).toBe('.')
  })

  it('refuses `..`, absolute and symlink escapes, existing or not', async () => {
    const { top, root, ws } = sandbox()
    symlinkSync(path.join(top, 'canary.txt'), path.join(root, 'escape.txt'))
    symlinkSync(top, path.join(root, 'updir'))
    for (const p of [
      '../canary.txt',
      path.join(top, 'canary.txt'),
      'escape.txt',
      'updir/canary.txt',
      '../../../../etc/passwd',
      '/etc/hostname',
      '../nope.txt',
      'updir/nope.txt',
    ]) {
      expect((await refusal(resolveConfined(ws, p))).reason, p).toBe('outside')
      expect(() => resolveConfinedSync(ws, p), p).toThrow(/outside the workspace/)
    }
    expect((await refusal(resolveConfined(ws, 'nope.txt'))).reason).toBe('missing')
    expect((await refusal(resolveConfined(ws, 'ok.txt/x'))).reason).toBe('missing')
  })

  it('never resolves into /proc, /sys or /dev, even with / as the workspace', async () => {
    const { root, ws } = sandbox()
    symlinkSync('/proc/self/environ', path.join(root, 'env.txt'))
    symlinkSync('/dev/zero', path.join(root, 'zero.txt'))
    expect((await refusal(resolveConfined(ws, 'env.txt'))).reason).toBe('system')
    expect((await refusal(resolveConfined(ws, 'zero.txt'))).reason).toBe('system')
    const all = workspaceAt('/')
    for (const p of ['/proc/self/environ', '/dev/urandom', '/sys/kernel', 'proc/self/environ'])
      expect((await refusal(resolveConfined(all, p))).reason, p).toBe('system')
    expect((await refusal(resolveConfined(all, path.join(root, 'env.txt')))).reason).toBe('system')
    expect((await refusal(resolveConfined(ws, 'a\0b'))).reason).toBe('invalid')
    expect((await refusal(resolveConfined(ws, 'x/'.repeat(3000)))).reason).toBe('invalid')
  })

  it('pure helpers', () => {
    expect(isSystemPath('/proc')).toBe(true)
    expect(isSystemPath('/process')).toBe(false)
    expect(isInside('/w', '/w/..x')).toBe(true)
    expect(isInside('/w', '/w/../x')).toBe(false)
    expect(isInside('/w', '/wx')).toBe(false)
    expect(isInside('/', '/etc')).toBe(true)
    expect(workspaceDir({ GITHUB_WORKSPACE: '/gh/ws' }, '/cwd')).toBe('/gh/ws')
    expect(workspaceDir({}, '/cwd')).toBe('/cwd')
  })
})

describe('readConfined', () => {
  it('reads a regular file, capped', async () => {
    const { root, ws } = sandbox()
    writeFileSync(path.join(root, 'big.txt'), Buffer.alloc(200_000, 0x61))
    expect((await readConfined(ws, 'ok.txt', { maxBytes: 100 })).bytes.toString()).toBe('hello\n')
    expect(readConfinedSync(ws, 'ok.txt', { maxBytes: 100 }).bytes.toString()).toBe('hello\n')
    expect((await refusal(readConfined(ws, 'big.txt', { maxBytes: 100_000 }))).reason).toBe('too-large')
    expect(() => readConfinedSync(ws, 'big.txt', { maxBytes: 100_000 })).toThrow(/larger than 98 KiB/)
    expect((await hashConfined(ws, 'big.txt', { maxBytes: 1e6 })).size).toBe(200_000)
    expect((await refusal(readConfined(ws, 'sub', { maxBytes: 100 }))).reason).toBe('directory')
  })

  it('never opens a FIFO (no hang), directly or behind a symlink', async () => {
    const { root, ws } = sandbox()
    execFileSync('mkfifo', [path.join(root, 'fifo')])
    symlinkSync('fifo', path.join(root, 'f.txt'))
    const t0 = Date.now()
    expect((await refusal(readConfined(ws, 'fifo', { maxBytes: 1000 }))).reason).toBe('not-regular')
    expect((await refusal(readConfined(ws, 'f.txt', { maxBytes: 1000 }))).reason).toBe('not-regular')
    expect((await refusal(hashConfined(ws, 'f.txt', { maxBytes: 1000 }))).reason).toBe('not-regular')
    expect(() => readConfinedSync(ws, 'f.txt', { maxBytes: 1000 })).toThrow(/not a regular file/)
    expect((await refusal(statConfined(ws, 'f.txt'))).reason).toBe('not-regular')
    expect(Date.now() - t0).toBeLessThan(5000)
  })

  it('refuses /dev/zero and /dev/urandom, and does not echo /proc/self/environ', async () => {
    const { root, ws } = sandbox()
    symlinkSync('/dev/zero', path.join(root, 'z.txt'))
    symlinkSync('/proc/self/environ', path.join(root, 'e.txt'))
    const all = workspaceAt('/')
    for (const [w, p] of [
      [ws, 'z.txt'],
      [ws, 'e.txt'],
      [all, '/dev/urandom'],
      [all, '/proc/self/environ'],
    ] as const) {
      const e = await refusal(readConfined(w, p, { maxBytes: 1 << 20 }))
      expect(e.reason).toBe('system')
      expect(e.message).not.toContain('PATH=')
    }
  })
})

describe('walkConfined', () => {
  it('lists a tree sorted, symlinks and specials as entries, never followed', async () => {
    const { top, root, ws } = sandbox()
    mkdirSync(path.join(root, 'pkg', 'a'), { recursive: true })
    writeTree(path.join(root, 'pkg'), { 'b.py': 'b', 'a/x.py': 'x', 'skip/y.py': 'y' })
    symlinkSync(top, path.join(root, 'pkg', 'up'))
    execFileSync('mkfifo', [path.join(root, 'pkg', 'pipe')])
    const w = await walkConfined(ws, 'pkg', { maxFiles: 100, maxDepth: 10, include: (_rel, name) => name !== 'skip' })
    expect(w.entries.map((e) => `${e.type}:${e.rel}`)).toEqual(['file:a/x.py', 'file:b.py', 'special:pipe', `symlink:up`])
    expect(w.stopped).toBeUndefined()
  })

  it('stops at the file and depth limits', async () => {
    const { root, ws } = sandbox()
    writeTree(root, Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`wide/f${String(i).padStart(2, '0')}`, 'x'])))
    const wide = await walkConfined(ws, 'wide', { maxFiles: 10, maxDepth: 10 })
    expect(wide.entries).toHaveLength(10)
    expect(wide.stopped).toBe('files')
    mkdirSync(path.join(root, 'deep', ...Array<string>(40).fill('d')), { recursive: true })
    const deep = await walkConfined(ws, 'deep', { maxFiles: 10, maxDepth: 8 })
    expect(deep.stopped).toBe('depth')
  })

  it('refuses to start outside the workspace or on a file', async () => {
    const { ws } = sandbox()
    expect((await refusal(walkConfined(ws, '..', { maxFiles: 1, maxDepth: 1 }))).reason).toBe('outside')
    expect((await refusal(walkConfined(ws, 'ok.txt', { maxFiles: 1, maxDepth: 1 }))).message).toMatch(/not a directory/)
  })
})
