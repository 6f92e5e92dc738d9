// Never hash less than the build reads: each rule by which BuildKit 0.13 (dockerfile frontend
// 1.x, moby/patternmatcher, fsutil's copy) decides what a base build reads from its context,
// pinned here; the e2e twin (hash-buildkit-reads.e2e.test.ts) checks them against real builds.

import { chmodSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import dockerignore from '@balena/dockerignore'
import { afterAll, describe, expect, it, test } from 'vitest'
import { dockerfileContextReads, normalizePlatform, platformArgs, syntaxDirective } from '../src/hash/dockerfile.js'
import { PatternMatcher, readIgnoreFile } from '../src/hash/patternmatcher.js'
import { resolveInRoot } from '../src/hash/root-path.js'
import { cleanupTemp, fpFile, tempDir, writeTree } from './hash-helpers.js'

afterAll(cleanupTemp)

const ENV = 'name: demo\nchannels: [conda-forge]\ndependencies:\n  - python=3.12\n'
const FROM = 'FROM 127.0.0.1:5000/test/busybox:latest\n'

function project(dockerfile: string, files: Record<string, string> = {}, opts: { buildArgs?: string[]; platforms?: string[] } = {}) {
  const dir = tempDir('hash-bk-')
  writeTree(dir, { 'environment.yml': ENV, Dockerfile: dockerfile, ...files })
  const fp = () =>
    fpFile(path.join(dir, 'environment.yml'), {
      baseDockerfile: { path: path.join(dir, 'Dockerfile'), content: dockerfile },
      buildArgs: opts.buildArgs ?? [],
      platforms: opts.platforms ?? ['linux/amd64'],
    })
  const write = (rel: string, content: string) => writeTree(dir, { [rel]: content })
  return { dir, fp, write }
}

/** Whether editing `rel` changes the hash. */
async function counts(p: ReturnType<typeof project>, rel: string): Promise<boolean> {
  const a = (await p.fp()).hash
  p.write(rel, `edited ${Math.random()}\n`)
  return (await p.fp()).hash !== a
}

describe('platform args', () => {
  test.each([
    ['linux/amd64', 'linux', 'amd64', ''],
    ['linux/x86_64', 'linux', 'amd64', ''],
    ['linux/AMD64', 'linux', 'amd64', ''],
    ['linux/amd64/v1', 'linux', 'amd64', ''],
    ['linux/amd64/v2', 'linux', 'amd64', 'v2'],
    ['linux/arm64/v8', 'linux', 'arm64', ''],
    ['linux/aarch64', 'linux', 'arm64', ''],
    ['linux/arm', 'linux', 'arm', 'v7'],
    ['linux/armhf', 'linux', 'arm', 'v7'],
    ['linux/armel', 'linux', 'arm', 'v6'],
    ['linux/arm/6', 'linux', 'arm', 'v6'],
    ['linux/i386', 'linux', '386', ''],
  ])('%s is normalised as containerd does: %s/%s/%s', (p, os, arch, variant) => {
    expect(normalizePlatform(p)).toEqual({ os, arch, variant })
    expect(platformArgs(p).get('TARGETPLATFORM')).toBe([os, arch, variant].filter(Boolean).join('/'))
  })

  test.each(['BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT'])(
    'the builder arg %s is not known before the build: a source using it counts the whole context, with the line',
    async (arg) => {
      const p = project(`${FROM}ARG ${arg}\nCOPY sub/\${${arg}}x /x/\n`, { 'sub/amd64x/f': '1', 'other.txt': '1' })
      const fp = await p.fp()
      expect(fp.warnings.map((w) => [w.line, w.message])).toEqual([
        [3, expect.stringMatching(new RegExp(`COPY source .*\\$${arg}.* the whole build context counts`))],
      ])
      expect(await counts(p, 'other.txt')).toBe(true)
    },
  )

  it('TARGETVARIANT of linux/arm is v7 (a file named after it counts)', async () => {
    const p = project(`${FROM}ARG TARGETVARIANT\nCOPY v-\${TARGETVARIANT} /x/\n`, { 'v-v7': '1', 'v-': '1' }, { platforms: ['linux/arm'] })
    expect(await counts(p, 'v-v7')).toBe(true)
    expect((await p.fp()).warnings).toEqual([])
  })
})

describe('.dockerignore and COPY --exclude as moby/patternmatcher matches them', () => {
  // [.dockerignore, path, ignored by BuildKit, ignored by @balena/dockerignore]: every row where
  // the two differ is a reason the package is not used.
  test.each<[string, string, boolean, boolean]>([
    ['upper.txt', 'Upper.txt', false, true],
    ['*.TXT', 'a.txt', false, true],
    ['**foo', 'xfoo', true, false],
    ['foo**', 'foobar/x', true, true],
    ['a^b*', 'a^bc', false, false],
    ['a\\d', 'a5', false, true],
    ['**/foo', 'foo', true, true],
    ['**/foo', 'a/b/foo', true, true],
    ['a/**/b', 'a/b', true, true],
    ['*.go', 'a/b.go', false, false],
    ['a', 'a/b/c', true, true],
    ['/a', 'a', true, true],
    ['*\n!keep', 'keep/x', false, false],
    ['dir\n!dir/x', 'dir/y', true, true],
    [' #c', '#c', true, true],
    ['#c', '#c', false, false],
    ['a]', 'a]', true, true],
  ])('%j: %s ignored = %s', (file, rel, expected, balena) => {
    expect(new PatternMatcher(readIgnoreFile(file)).matches(rel)).toBe(expected)
    const ig = (dockerignore as unknown as () => { add(p: string): { ignores(p: string): boolean } })()
    expect(ig.add(file).ignores(rel)).toBe(balena)
  })

  it('a lower-case .dockerignore line does not hide an upper-case file: it counts', async () => {
    const p = project(`${FROM}COPY . /src\n`, { '.dockerignore': 'secret.txt\n', 'Secret.txt': '1', 'secret.txt': '1' })
    expect(await counts(p, 'Secret.txt')).toBe(true)
    expect(await counts(p, 'secret.txt')).toBe(false)
  })

  // [.dockerignore, path, the walk that sends the context keeps it]: fsutil's walk matches
  // with the parent's per-pattern results (MatchesUsingParentResults) and skips a pattern whose
  // verdict already stood, so a pattern repeated after a `!` line is not seen below the directory.
  test.each<[string, string, boolean]>([
    ['d\n!**/B.txt\nd', 'd/B.txt', true],
    ['d\n!**/B.txt\nd', 'd/a', false],
    ['d\n!**/B.txt', 'd/B.txt', true],
    ['d\n!d/a', 'd/b', false],
    ['*.md\n!d/e/c.md', 'd/e/c.md', true],
    ['a', 'a/b/c', false],
    ['!a\na', 'a', false],
  ])('%j: the walk keeps %s: %s', (file, rel, kept) => {
    expect(new PatternMatcher(readIgnoreFile(file)).matchesWalking(rel)).toBe(!kept)
  })

  it('a file .dockerignore hides but the walk keeps is copied empty: its name counts, its bytes do not', async () => {
    const p = project(`${FROM}COPY ? /o/\n`, { '.dockerignore': 'd\n!**/B.txt\nd', 'd/B.txt': 'b', 'd/a': 'a' })
    const fp = await p.fp()
    expect(fp.document.context!.files['d/B.txt']).toBe('e3b0c44298fc1c14') // the empty file BuildKit writes
    expect(fp.document.context!.files['d/a']).toBeUndefined()
    expect(await counts(p, 'd/B.txt')).toBe(false)
    const before = fp.hash
    p.write('d/C/B.txt', 'another')
    expect((await p.fp()).hash).not.toBe(before)
  })

  it('COPY --exclude is case-sensitive too', async () => {
    const p = project(`${FROM}COPY --exclude=*.md docs /docs\n`, { 'docs/A.MD': '1', 'docs/a.md': '1' })
    expect(await counts(p, 'docs/A.MD')).toBe(true)
    expect(await counts(p, 'docs/a.md')).toBe(false)
  })
})

describe('symlinks are followed as BuildKit follows a source', () => {
  it('a symlink a wildcard matches counts by its target’s bytes', async () => {
    const p = project(`${FROM}COPY conf* /x/\n`, { 'real/app.ini': '1' })
    symlinkSync('real/app.ini', path.join(p.dir, 'conf.ini'))
    expect(await counts(p, 'real/app.ini')).toBe(true)
  })

  it('an absolute symlink target is a path of the context, never of the runner', async () => {
    const p = project(`${FROM}COPY abs* /x/\n`, { 'etc/passwd': 'context file\n' })
    symlinkSync('/etc/passwd', path.join(p.dir, 'abslink'))
    expect(await counts(p, 'etc/passwd')).toBe(true)
    expect((await p.fp()).files.includes('/etc/passwd')).toBe(false)
  })

  it('a symlinked directory named as a source (and one on a wildcard’s fixed part) counts by its files', async () => {
    const p = project(`${FROM}COPY dl /a/\nCOPY dl2/*.txt /b/\n`, { 'd/f': '1', 'e/g.txt': '1' })
    symlinkSync('d', path.join(p.dir, 'dl'))
    symlinkSync('../../e', path.join(p.dir, 'dl2'))
    expect(await counts(p, 'd/f')).toBe(true)
    expect(await counts(p, 'e/g.txt')).toBe(true)
  })
})

describe('a frontend other than the standard one reads anything', () => {
  test.each([
    ['# syntax=docker/dockerfile:1\n', undefined],
    ['# syntax = docker/dockerfile:1.7-labs\n', undefined],
    ['#syntax=docker.io/docker/dockerfile-upstream:master\n', undefined],
    ['# syntax=example.com/evil/frontend:1\n', 1],
    ['#!/usr/bin/env buildctl\n# syntax=evil/frontend\n', 2],
    ['# escape=`\n# SYNTAX = evil/frontend extra\n', 2],
    ['// syntax=evil/frontend\n', 1],
  ])('%j: the whole context counts with a warning on line %s', async (directive, line) => {
    const p = project(`${directive}${FROM}COPY a.txt /x/\n`, { 'a.txt': '1', '.dockerignore': 'hidden.txt\n', 'hidden.txt': '1' })
    const fp = await p.fp()
    if (line === undefined) {
      expect(fp.warnings).toEqual([])
      expect(await counts(p, 'hidden.txt')).toBe(false)
      return
    }
    expect(fp.warnings.map((w) => [w.line, w.message])).toEqual([
      [line, expect.stringMatching(/frontend other than the standard Dockerfile one.*whole build context counts/)],
    ])
    // it may ignore .dockerignore, and read the environment file's own bytes
    expect(await counts(p, 'hidden.txt')).toBe(true)
    const a = (await p.fp()).hash
    p.write('environment.yml', `# a comment\n${ENV}`)
    expect((await p.fp()).hash).not.toBe(a)
  })

  it('the BUILDKIT_SYNTAX build-arg wins over the directive', () => {
    const r = dockerfileContextReads(`# syntax=docker/dockerfile:1\n${FROM}COPY a /a\n`, ['BUILDKIT_SYNTAX=evil/frontend'], ['linux/amd64'])
    expect(r.reads).toEqual([expect.objectContaining({ unresolved: true, unfiltered: true })])
    expect(r.warnings[0]!.message).toMatch(/BUILDKIT_SYNTAX=evil\/frontend/)
    expect(dockerfileContextReads(`# syntax=evil/x\n${FROM}COPY a /a\n`, ['BUILDKIT_SYNTAX=docker/dockerfile:1'], []).reads).toEqual([
      expect.objectContaining({ source: 'a' }),
    ])
  })

  test.each([
    ['# syntax=a/b\n# syntax=c/d\n', 'a/b'],
    ['\n# syntax=a/b\n', undefined],
    ['# comment\n# syntax=a/b\n', undefined],
    ['{"syntax": "a/b"}', 'a/b'],
    ['\uFEFF# syntax=a/b', 'a/b'],
  ])('DetectSyntax(%j) = %s', (text, image) => {
    expect(syntaxDirective(text)?.image).toBe(image)
  })
})

describe('other reads', () => {
  it('a source with .. is the context path BuildKit joins it to', async () => {
    const p = project(`${FROM}COPY ../../x /x/\n`, { x: '1' })
    expect(await counts(p, 'x')).toBe(true)
  })

  it('permission bits BuildKit copies count; the usual 0644/0755 add nothing to the value', async () => {
    const p = project(`${FROM}COPY a /x/\n`, { a: '1' })
    const value = async () => (await p.fp()).document.context!.files.a
    chmodSync(path.join(p.dir, 'a'), 0o644)
    expect(await value()).toMatch(/^[0-9a-f]{16}$/)
    chmodSync(path.join(p.dir, 'a'), 0o600)
    expect(await value()).toMatch(/^[0-9a-f]{16}:mode=0600$/)
    chmodSync(path.join(p.dir, 'a'), 0o4755)
    expect(await value()).toMatch(/^exec:[0-9a-f]{16}:mode=4755$/)
  })
  it('a stage’s ONBUILD COPY and RUN --mount are read by the stage built FROM it (before its own ARGs: a variable there is unknown)', () => {
    const text = `FROM scratch AS a\nONBUILD COPY x\${V} /x\nONBUILD RUN --mount=type=bind,source=m true\nONBUILD COPY --from=img y /y\nFROM a\n`
    expect(dockerfileContextReads(text, ['V=1'], ['linux/amd64']).reads).toEqual([
      { line: 2, instruction: 'COPY', unresolved: true },
      { line: 3, instruction: 'RUN --mount', source: 'm' },
    ])
    expect(dockerfileContextReads('FROM scratch AS a\nONBUILD COPY x /x\nFROM a\n', [], ['linux/amd64']).reads).toEqual([
      { line: 2, instruction: 'COPY', source: 'x' },
    ])
    expect(dockerfileContextReads('FROM scratch AS a\nONBUILD COPY x /x\n', [], ['linux/amd64']).reads).toEqual([])
  })
})

describe('resolveInRoot', () => {
  it('stops at a chain of long link targets instead of walking it for minutes', async () => {
    const dir = tempDir('hash-bk-links-')
    // 200 links, each a target of 1,600 components (`./` does not count, `a/..` does)
    const long = Array.from({ length: 800 }, () => 'a/..').join('/')
    for (let i = 0; i < 200; i++) symlinkSync(`${long}/l${i + 1}`, path.join(dir, `l${i}`))
    writeTree(dir, { a: '', l200: 'end' })
    expect(await resolveInRoot(dir, 'l0')).toBeUndefined()
    expect(await resolveInRoot(dir, 'l199')).toBe('l200')
  })
})
