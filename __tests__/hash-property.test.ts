// Property test of the fingerprint under hostile input: generated and mutated environment
// files, requirement files (in several encodings) and local trees, full of references that
// try to leave the sandbox (`..`, absolute paths, `file:` URLs, symlinks out, /proc, /dev,
// a FIFO), run through the fingerprint for a bounded number of cases. Invariants:
// - only the action's own user errors are thrown (UserError), never a raw Node/V8 error;
// - every case ends within its time bound;
// - no file outside the sandbox is read: the canary beside the sandbox never shows up in the
//   document, the warnings, an error or the file list, and its access time never moves.

import { fc, it } from '@fast-check/vitest'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { UserError } from '../src/vocabulary/user-error.js'
import { fingerprint } from '../src/hash/index.js'
import { cleanupTemp, TEMPLATE, tempDir } from './hash-helpers.js'

const CASE_MS = 10_000
const CANARY = `CANARY-${process.pid}-7f3a9c`
let top: string
let sandbox: string
let canary: string

const OLD = new Date('2001-01-01T00:00:00Z')
/** Marks the canary as not read since 2001; a read moves its access time (relatime). */
function resetAtime(): void {
  utimesSync(canary, OLD, new Date())
}
const canaryRead = (): boolean => statSync(canary).atimeMs > OLD.getTime() + 1000

beforeAll(() => {
  top = tempDir('hash-property-')
  sandbox = path.join(top, 'sandbox')
  canary = path.join(top, 'canary.txt')
  mkdirSync(sandbox)
  writeFileSync(canary, `${CANARY}\n-e ./pkg\n`)
  // Fixtures inside the sandbox that point out of it.
  symlinkSync(canary, path.join(sandbox, 'link-out.txt'))
  symlinkSync(top, path.join(sandbox, 'updir'))
  symlinkSync('/proc/self/environ', path.join(sandbox, 'environ.txt'))
  symlinkSync('/dev/zero', path.join(sandbox, 'zero.txt'))
  execFileSync('mkfifo', [path.join(sandbox, 'fifo.txt')])
  // The access-time probe must be able to fail: a deliberate read is seen.
  resetAtime()
  readFileSync(canary)
  expect(canaryRead(), 'the file system records reads (relatime)').toBe(true)
})
afterAll(cleanupTemp, 120_000)

const NAMES = ['a.txt', 'b.txt', 'dir/c.txt', 'pkg', 'pkg/setup.py', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'sub/dir']
const ESCAPES = () => [
  '../canary.txt',
  canary,
  `file://${canary}`,
  `file:${canary}`,
  'link-out.txt',
  'updir/canary.txt',
  'updir',
  'updir/sandbox/../canary.txt',
  '/proc/self/environ',
  'environ.txt',
  '/dev/zero',
  'zero.txt',
  '/dev/urandom',
  'fifo.txt',
  '/',
  '..',
  '../..',
  '${HOME}/x',
  'dir/../../canary.txt',
]

const pathArb = fc.oneof(fc.constantFrom(...NAMES), fc.constantFrom(...ESCAPES()), fc.string({ maxLength: 12 }))
const option = fc.constantFrom('-r ', '-c ', '--requirement=', '--constraint ', '-e ', '', 'file:', '--find-links ', 'mypkg @ file://', '-r file:')
const CREDENTIALS = [' --index-url https://alice:TOKEN-1@host/simple', ' --extra-index-url https://TOKEN-2@host/x', ' -i bob:TOKEN-3@host']
const credential = fc.constantFrom('', ...CREDENTIALS)
const count = (text: string, part: string) => text.split(part).length - 1
/** Tokens whose every occurrence in the inputs is still a well-formed credential (a mutation may have broken one into plain text). */
const intactTokens = (inputs: string): string[] =>
  CREDENTIALS.map((c, i) => [c, `TOKEN-${i + 1}`] as const)
    .filter(([c, t]) => count(inputs, t) > 0 && count(inputs, t) === count(inputs, c.trim()))
    .map(([, t]) => t)
const pipEntry = fc.tuple(option, pathArb, credential).map(([o, p, c]) => `${o}${p}${c}`)
const condaSpec = fc.oneof(fc.constantFrom('numpy', 'python=3.11', 'pip', 'scipy>=1 # [linux]', '__proto__', 'constructor'), fc.string({ maxLength: 20 }))

/** An environment file: structured YAML, then randomly mutated. */
const envText = fc
  .tuple(
    fc.array(condaSpec, { maxLength: 6 }),
    fc.array(pipEntry, { maxLength: 6 }),
    fc.array(
      fc.tuple(fc.nat(), fc.constantFrom('', '[', ']', '{', '---\n', '\t', ': ', '- ', '\n', '"', '\u0000', '__proto__: x\n', '&a ', '*a'), fc.nat({ max: 5 })),
      { maxLength: 3 },
    ),
  )
  .map(([conda, pip, mutations]) => {
    const q = (s: string) => JSON.stringify(s)
    let text = `name: prop\nchannels: [conda-forge]\ndependencies:\n${conda.map((c) => `  - ${q(c)}\n`).join('')}  - pip:\n${pip.map((p) => `      - ${q(p)}\n`).join('')}`
    for (const [at, insert, del] of mutations) {
      const i = at % (text.length + 1)
      text = text.slice(0, i) + insert + text.slice(i + del)
    }
    return text
  })

const encodings = fc.constantFrom('utf8', 'utf16le', 'utf16be', 'latin1-garbage')
function encode(text: string, enc: string): Buffer {
  if (enc === 'utf16le') return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
  if (enc === 'utf16be') return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()])
  if (enc === 'latin1-garbage') return Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from([0xff, 0xc3])])
  return Buffer.from(text)
}

/** Requirement files and tree files inside the sandbox, with references of their own. */
const files = fc.array(
  fc.tuple(
    fc.constantFrom('a.txt', 'b.txt', 'dir/c.txt', 'pkg/setup.py', 'pkg/mod/x.py', 'constructor', '__proto__', 'toString'),
    fc.array(pipEntry, { maxLength: 4 }),
    encodings,
  ),
  { maxLength: 5 },
)

function writeCase(dir: string, env: string, extra: [string, string[], string][]): void {
  for (const [rel, lines, enc] of extra) {
    const p = path.join(dir, rel)
    try {
      mkdirSync(path.dirname(p), { recursive: true })
      writeFileSync(p, encode(lines.join('\n'), enc))
    } catch {
      // a generated name that collides with a directory: skip it
    }
  }
  writeFileSync(path.join(dir, 'environment.yml'), env)
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`case took more than ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  )
}

let n = 0
/** What a case writes (removed after it; the fixtures stay). */
const GENERATED = ['environment.yml', 'a.txt', 'b.txt', 'dir', 'pkg', 'constructor', '__proto__', 'toString']
describe('fingerprint under generated hostile input', () => {
  it.prop([envText, files], { numRuns: 100, endOnFailure: true, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) })(
    'throws only user errors, ends in time, and never reads outside the sandbox',
    async (env, extra) => {
      // each case writes into the sandbox root, beside the fixtures that point out of it
      const dir = sandbox
      n++
      resetAtime()
      let out = ''
      try {
        writeCase(dir, env, extra)
        const f = await withTimeout(
          fingerprint({
            environmentFile: path.join(dir, 'environment.yml'),
            workspace: sandbox,
            baseDockerfile: { content: TEMPLATE },
            buildArgs: [],
            platforms: [],
          }),
          CASE_MS,
        )
        out = `${f.json}\n${f.warnings.map((w) => `${w.message}|${w.file ?? ''}`).join('\n')}\n${f.files.join('\n')}`
        expect(f.files.every((x) => x.startsWith(`${sandbox}${path.sep}`))).toBe(true)
      } catch (e) {
        if (!(e instanceof UserError)) throw e
        out = e.message
      } finally {
        for (const name of GENERATED) rmSync(path.join(dir, name), { recursive: true, force: true })
      }
      expect(out).not.toContain(CANARY)
      expect(out).not.toContain('PATH=')
      for (const t of intactTokens(`${env}\n${extra.map(([, lines]) => lines.join('\n')).join('\n')}`)) expect(out).not.toContain(t)
      expect(canaryRead(), 'the canary outside the sandbox was read').toBe(false)
    },
    120_000,
  )

  it('ran cases', () => {
    expect(n).toBeGreaterThan(0)
  })
})
