// Never hash less than the build reads, checked against real BuildKit builds: a base
// Dockerfile `FROM scratch` COPYs from a context, `docker buildx build --output type=local`
// writes what it copied, and every copied file (by its bytes) and every copied symlink (by
// its text) must be in the environment hash's context section; editing the context file
// behind each copied file must change the hash. Each context file holds its own path, so the
// copied bytes name the file they came from. Nothing is pushed and no image is kept.

import { spawnSync } from 'node:child_process'
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fc } from '@fast-check/vitest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../src/hash/canonical.js'
import { fingerprint } from '../src/hash/index.js'
import { requireStack } from '../__fixtures__/stack.js'
import { cleanupTemp, tempDir } from './hash-helpers.js'

const ENV = 'name: demo\nchannels: [conda-forge]\ndependencies:\n  - python=3.12\n'

interface Case {
  /** Context files (content: their own path) and directories (a trailing `/`). */
  readonly files: readonly string[]
  /** Symlinks: path → target text. */
  readonly links?: Readonly<Record<string, string>>
  readonly dockerignore?: string
  /** COPY sources, one instruction each (shell form), after `FROM scratch` and `lines`. */
  readonly copies: readonly string[]
  readonly lines?: readonly string[]
  readonly platform?: string
}

/** A context file's content: its own path. */
const body = (rel: string): string => `file:${rel}\n`

function writeCase(c: Case): { dir: string; dockerfile: string } {
  const dir = tempDir('bk-reads-')
  writeFileSync(path.join(dir, 'environment.yml'), ENV)
  for (const f of c.files) {
    mkdirSync(path.join(dir, f.endsWith('/') ? f : path.dirname(f)), { recursive: true })
    if (!f.endsWith('/')) writeFileSync(path.join(dir, f), body(f))
  }
  for (const [link, target] of Object.entries(c.links ?? {})) {
    mkdirSync(path.dirname(path.join(dir, link)), { recursive: true })
    symlinkSync(target, path.join(dir, link))
  }
  if (c.dockerignore !== undefined) writeFileSync(path.join(dir, '.dockerignore'), c.dockerignore)
  const dockerfile = ['FROM scratch', ...(c.lines ?? []), ...c.copies.map((s, i) => `COPY ${s} /o${i}/`), ''].join('\n')
  // the Dockerfile lies next to the context, not in it: a COPY . does not read it
  const df = path.join(tempDir('bk-reads-df-'), 'base.Dockerfile')
  writeFileSync(df, dockerfile)
  return { dir, dockerfile: df }
}

/** What a real build copied: regular files by content, symlinks by `link:<text>`; undefined when the build failed. */
function buildCopied(dir: string, dockerfile: string, platform: string): { files: string[]; links: string[] } | undefined {
  const out = tempDir('bk-reads-out-')
  const r = spawnSync('docker', ['buildx', 'build', '--quiet', '--platform', platform, '--output', `type=local,dest=${out}`, '-f', dockerfile, dir], {
    encoding: 'utf8',
    timeout: 120_000,
  })
  if (r.status !== 0) return undefined
  const files: string[] = []
  const links: string[] = []
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name)
      const st = lstatSync(p)
      if (st.isDirectory()) walk(p)
      else if (st.isSymbolicLink()) links.push(`link:${readlinkSync(p)}`)
      else files.push(readFileSync(p, 'utf8'))
    }
  }
  walk(out)
  return { files, links }
}

async function fp(dir: string, dockerfile: string, platform: string) {
  return fingerprint({
    environmentFile: path.join(dir, 'environment.yml'),
    baseDockerfile: { path: dockerfile, content: readFileSync(dockerfile, 'utf8') },
    buildArgs: [],
    platforms: [platform],
    workspace: path.dirname(dir),
  })
}

/** Builds the case and checks that the hash covers every copied byte; returns what was copied. */
async function expectCovered(c: Case): Promise<string[]> {
  const platform = c.platform ?? 'linux/amd64'
  const { dir, dockerfile } = writeCase(c)
  const copied = buildCopied(dir, dockerfile, platform)
  if (!copied) return []
  const first = await fp(dir, dockerfile, platform)
  const hashed = new Set(Object.values(first.document.context?.files ?? {}).map((v) => v.replace(/^exec:/, '').replace(/:mode=\d+$/, '')))
  const wholeContext = first.warnings.some((w) => /whole build context counts/.test(w.message))
  // every copied symlink by its text, every copied file by its bytes…
  for (const l of copied.links) expect(hashed, `copied symlink ${l}`).toContain(l)
  const known = new Map(c.files.map((f) => [body(f), f]))
  const contents = [...new Set(copied.files)].filter((content) => content !== ENV)
  for (const content of contents) expect(hashed.has(sha256Hex(content).slice(0, 16)) || wholeContext, `copied ${JSON.stringify(content)}`).toBe(true)
  // …and editing the file behind each copied one changes the hash
  const sources = contents.flatMap((content) => known.get(content) ?? []).sort()
  for (const rel of sources) {
    writeFileSync(path.join(dir, rel), `${body(rel)}edited\n`)
    expect((await fp(dir, dockerfile, platform)).hash, `editing ${rel}`).not.toBe(first.hash)
    writeFileSync(path.join(dir, rel), body(rel))
  }
  return sources
}

beforeAll(requireStack)
afterAll(cleanupTemp)

describe('what a real BuildKit build copies is in the hash', () => {
  it.each<[string, Case, string[]]>([
    ['.dockerignore is case-sensitive', { files: ['Secret.txt', 'secret.txt', 'a'], dockerignore: 'secret.txt\n', copies: ['.'] }, ['Secret.txt', 'a']],
    [
      'a symlink a wildcard matches is copied as its target’s bytes',
      { files: ['real/app.ini'], links: { 'conf.ini': 'real/app.ini' }, copies: ['conf*'] },
      ['real/app.ini'],
    ],
    [
      'an absolute symlink is resolved inside the context',
      { files: ['etc/passwd'], links: { abslink: '/etc/passwd' }, copies: ['abs*', 'abslink'] },
      ['etc/passwd'],
    ],
    ['a symlink climbing out with .. stays in the context', { files: ['x'], links: { 'd/up': '../../../x' }, copies: ['d/up'] }, ['x']],
    ['a source with .. is the context path it joins to', { files: ['x'], copies: ['../x'] }, ['x']],
    ['an absolute symlinked directory on a wildcard’s fixed part', { files: ['e/g.txt', 'e/h.md'], links: { dl: '/e' }, copies: ['dl/*.txt'] }, ['e/g.txt']],
    [
      'TARGETVARIANT of linux/arm is v7',
      {
        files: ['v-v7', 'v-', 'a-arm'],
        lines: ['ARG TARGETVARIANT', 'ARG TARGETARCH'],
        copies: ['v-${TARGETVARIANT}', 'a-${TARGETARCH}'],
        platform: 'linux/arm',
      },
      ['a-arm', 'v-v7'],
    ],
    [
      'a stage’s ONBUILD COPY runs in the stage built FROM it',
      { files: ['x', 'y'], lines: ['FROM scratch AS a', 'ONBUILD COPY y /onbuild/', 'FROM a'], copies: [] },
      ['y'],
    ],
    ['one path copied as a link (COPY .) and followed (COPY l*)', { files: ['d/e/c.md'], links: { l0: 'd' }, copies: ['.', 'l*'] }, ['d/e/c.md']],
    ['a link to a file, followed first, then copied as a link', { files: ['b.txt'], links: { l0: 'b.txt' }, copies: ['l*', '.'] }, ['b.txt']],
    [
      'a file .dockerignore hides but the context walk keeps is copied empty',
      { files: ['d/B.txt', 'd/a', 'd/C/B.txt'], dockerignore: 'd\n!**/B.txt\nd', copies: ['?', '.'] },
      [],
    ],
    ['BUILDARCH is the builder’s', { files: ['sub/amd64x/f', 'other'], lines: ['ARG BUILDARCH'], copies: ['sub/${BUILDARCH}x'] }, ['sub/amd64x/f']],
  ])('%s', async (_name, c, copied) => {
    expect(await expectCovered(c)).toEqual(copied)
  })

  // Random context trees, .dockerignore files and COPY sources; every real build's copied
  // bytes must be covered. Bounded: 25 builds of a few files each.
  it('a differential property over random trees, ignore files and sources', async () => {
    const names = ['a', 'A', 'b.txt', 'B.txt', 'c.md', 'C.MD', 'd/a', 'd/B.txt', 'd/e/c.md', 'D/a']
    const ignoreLines = ['a', 'A', '*.md', '*.MD', '**/*.md', '!d/e/c.md', 'd', '!d/a', 'B*', '/a', 'd/**', '**/*.txt', '!**/B.txt', '**a', 'D']
    const sources = ['.', 'd', '*.txt', 'd/*', '[ab]*', '*/a', '*/*.md', 'l*', '?', 'D/*']
    const linkTargets = ['a', 'd', 'b.txt', '/c.md', '/d/e', '../../B.txt']
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(names, { minLength: 1 }),
        fc.array(fc.constantFrom(...ignoreLines), { maxLength: 5 }),
        fc.subarray(sources, { minLength: 1, maxLength: 3 }),
        fc.subarray(linkTargets, { maxLength: 2 }),
        async (files, ignore, copies, targets) => {
          // a link only to what exists (a dangling one fails the build)
          const exists = (t: string) => files.some((f) => f === t.replace(/^[/.]+/, '') || f.startsWith(`${t.replace(/^[/.]+/, '')}/`))
          const links = Object.fromEntries(targets.filter(exists).map((t, i) => [`l${i}`, t]))
          await expectCovered({ files, links, dockerignore: ignore.join('\n'), copies })
        },
      ),
      { numRuns: 25 },
    )
  })
})
