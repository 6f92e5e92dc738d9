// The fingerprint against hostile environment files: every reference is confined to the
// workspace, bounded, never echoed, and credentials never reach a warning or the document.
// Real fixtures: FIFOs, /dev/zero and /proc/self/environ symlinks, `..` escapes.

import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_WARNINGS_PER_KIND } from '../src/hash/loader.js'
import type { Fingerprint } from '../src/hash/index.js'
import { cleanupTemp, fpFile, tempDir, userError, writeTree } from './hash-helpers.js'

const SECRET = 'planted-secret-6f1d2c'
beforeAll(() => {
  process.env.CONFINE_TEST_SECRET = SECRET
})
afterAll(() => {
  delete process.env.CONFINE_TEST_SECRET
  cleanupTemp()
}, 120_000)

/** A workspace `ws` inside a temp dir that also holds a canary file beside it. */
function sandbox(files: Record<string, string | Buffer> = {}) {
  const top = tempDir('hash-confined-')
  const ws = path.join(top, 'ws')
  writeTree(top, { 'canary.txt': 'CANARY-7c1e\n', ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`ws/${k}`, v])) })
  return { top, ws }
}

const pipEnv = (...entries: string[]) => `dependencies:\n  - python\n  - pip:\n${entries.map((e) => `      - ${e}\n`).join('')}`
const everything = (fp: Fingerprint) => `${fp.json}\n${fp.warnings.map((w) => `${w.message} ${w.file ?? ''}`).join('\n')}\n${fp.files.join('\n')}`

async function fp(ws: string, file = 'environment.yml'): Promise<Fingerprint> {
  return fpFile(path.join(ws, file), { workspace: ws })
}

function expectClean(out: string): void {
  expect(out).not.toContain('CANARY')
  expect(out).not.toContain(SECRET)
  expect(out).not.toMatch(/root:x:0|PATH=/)
}

describe('references outside the workspace are warned about, never read', () => {
  it.each([
    ['-r ../canary.txt'],
    ['-r ../../../../../../etc/passwd'],
    ['-r /etc/passwd'],
    ['-r file:///etc/hostname'],
    ['--requirement=../canary.txt'],
    ['-c ../canary.txt'],
    ['-r /proc/self/environ'],
    ['-r /dev/urandom'],
    ['-r /dev/zero'],
  ])('%s', async (entry) => {
    const { ws } = sandbox({ 'environment.yml': pipEnv(entry) })
    const t0 = Date.now()
    const f = await fp(ws)
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(f.warnings).toHaveLength(1)
    expect(f.warnings[0]).toMatchObject({ kind: 'outside-workspace', file: 'environment.yml', line: 4 })
    expect(f.warnings[0]!.message).toMatch(/is not read; only the entry's text counts/)
    expect(Object.values(f.document.files ?? {})).toEqual(['outside-workspace'])
    expect(f.document.pip).toContain(entry.replace(/\s+/g, ' '))
    expectClean(everything(f))
  })

  it.each([['-e /'], ['-e ../../..'], ['-e ..'], ['../'], ['-e file:///'], ['--find-links /etc'], ['mypkg @ file:///etc']])('local path %s', async (entry) => {
    const { ws } = sandbox({ 'environment.yml': pipEnv(entry) })
    const t0 = Date.now()
    const f = await fp(ws)
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(f.warnings.map((w) => w.kind)).toEqual(['outside-workspace'])
    expect(Object.values(f.document.local ?? {})).toEqual(['outside-workspace'])
    expectClean(everything(f))
  })

  it('symlinks inside the workspace pointing out of it: to a file, a directory, /proc/self/environ, /dev/zero', async () => {
    const { top, ws } = sandbox({
      'environment.yml': pipEnv('-r escape.txt', '-r environ.txt', '-r zero.txt', '-e ./updir', '-r inside.txt'),
      'inside.txt': '-r ./environ.txt\n-r sub/../environ.txt\n',
    })
    symlinkSync(path.join(top, 'canary.txt'), path.join(ws, 'escape.txt'))
    symlinkSync('/proc/self/environ', path.join(ws, 'environ.txt'))
    symlinkSync('/dev/zero', path.join(ws, 'zero.txt'))
    symlinkSync(top, path.join(ws, 'updir'))
    const f = await fp(ws)
    expect(f.warnings.map((w) => `${w.kind} ${w.file}:${w.line}`)).toEqual([
      'outside-workspace environment.yml:4',
      'outside-workspace environment.yml:5',
      'outside-workspace environment.yml:6',
      'outside-workspace environment.yml:7',
    ])
    expectClean(everything(f))
  })

  it('an environment file that is a symlink out of the workspace is refused without echo', async () => {
    const { top, ws } = sandbox({})
    mkdirSync(ws, { recursive: true })
    symlinkSync(path.join(top, 'canary.txt'), path.join(ws, 'environment.yml'))
    const e = await userError(fp(ws))
    expect(e.message).toMatch(/environment file environment\.yml cannot be read: it is outside the workspace/)
    expect(e.message).not.toContain('CANARY')
  })
})

describe('only regular files, always bounded', () => {
  it('a FIFO as -r file is a clean error, not a hang', async () => {
    const { ws } = sandbox({ 'environment.yml': pipEnv('-r f.txt') })
    execFileSync('mkfifo', [path.join(ws, 'f.txt')])
    const t0 = Date.now()
    const e = await userError(fp(ws))
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(e.message).toMatch(/environment\.yml:4: pip entry "-r f\.txt" refers to f\.txt, which cannot be read: it is not a regular file/)
    expect(e).toMatchObject({ file: 'environment.yml', line: 4 })
  })

  it('a FIFO behind a symlink, and a FIFO inside an -e tree, are never opened', async () => {
    const { ws } = sandbox({ 'environment.yml': pipEnv('-e ./pkg', '-e ./link'), 'pkg/setup.py': 'x' })
    execFileSync('mkfifo', [path.join(ws, 'pkg', 'pipe')])
    symlinkSync('pkg/pipe', path.join(ws, 'link'))
    const t0 = Date.now()
    const f = await fp(ws)
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(f.document.local?.pkg).toMatch(/^tree:/)
    expect(f.document.local?.link).toBe('missing')
    expect(f.warnings.find((w) => w.kind === 'local-unreadable')?.message).toMatch(/not a regular file/)
  })

  it('a requirement file over the limit is refused by size while it streams', async () => {
    const { ws } = sandbox({ 'environment.yml': pipEnv('-r big.txt'), 'big.txt': Buffer.alloc(6 * 1024 * 1024, 0x61) })
    expect((await userError(fp(ws))).message).toMatch(/larger than 5 MiB/)
  })

  it('100,000 unreadable -e lines: bounded warnings and time', async () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `-e ./missing-${i}`).join('\n')
    const { ws } = sandbox({ 'environment.yml': pipEnv('-r many.txt'), 'many.txt': lines })
    const t0 = Date.now()
    const f = await fp(ws)
    expect(Date.now() - t0).toBeLessThan(60_000) // linear in the 5 MiB cap; generous for a loaded machine
    expect(f.warnings.length).toBeLessThanOrEqual(MAX_WARNINGS_PER_KIND + 1)
    expect(f.warnings.at(-1)).toMatchObject({ kind: 'truncated' })
    expect(f.warnings.at(-1)?.message).toMatch(/99,900|99900/)
    expect(f.warnings[0]).toMatchObject({ kind: 'local-unreadable', file: 'many.txt', line: 1 })
  }, 120_000)
})

describe('pathological requirement files stay bounded', () => {
  it.each([
    ['one 5 MB line', 'a'.repeat(5e6 - 10)],
    ['two million continuation lines', '\\\n'.repeat(2e6)],
    ['one 4.8 MB path', `-e ${'./x'.repeat(1.6e6)}`],
    ['one line of 1.6 million -r options', ' -r'.repeat(1.6e6)],
  ])(
    '%s',
    async (_name, text) => {
      const { ws } = sandbox({ 'environment.yml': pipEnv('-r req.txt'), 'req.txt': text })
      const t0 = Date.now()
      const r = await fp(ws).catch((e: unknown) => e)
      expect(Date.now() - t0).toBeLessThan(30_000) // linear in the 5 MiB cap; seconds at most
      if (r instanceof Error) expect(r.name).toBe('UserError')
    },
    60_000,
  )
})

describe('pathological environment files stay bounded', () => {
  it.each([
    ['a selector of a million parentheses', `dependencies:\n  - a # [${'('.repeat(1e6)}]\n`],
    ['a pip entry of a million unclosed extras', `dependencies:\n  - pip:\n      - "${'a['.repeat(1e6)}"\n`],
    ['a 4 MB quoted scalar of quotes', `dependencies:\n  - pip:\n      - '${'"'.repeat(4e6)}'\n`],
    ['a 4.9 MB dependency', `dependencies:\n  - ${'a'.repeat(4.9e6)}\n`],
  ])(
    '%s',
    async (_name, text) => {
      const { ws } = sandbox({ 'environment.yml': text })
      const t0 = Date.now()
      const r = await fp(ws).catch((e: unknown) => e)
      expect(Date.now() - t0).toBeLessThan(30_000) // linear in the 5 MiB cap; seconds at most
      if (r instanceof Error) expect(r.name, r.message).toBe('UserError')
    },
    60_000,
  )
})

describe('YAML the parser would need hundreds of MB for is refused before parsing', () => {
  it.each([
    ['a flow list of a million items', `dependencies: [${Array<string>(1e6).fill('p').join(',')}]\n`],
    ['200,000 dependencies', `dependencies:\n${Array.from({ length: 200_000 }, (_, i) => `  - p${i}`).join('\n')}\n`],
  ])('%s', async (_name, text) => {
    const { ws } = sandbox({ 'environment.yml': text })
    const t0 = Date.now()
    const e = await userError(fp(ws))
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(e.message).toMatch(/more than the 100,000 an environment file may have/)
  })
})

describe('credentials never reach a warning, an error or the document', () => {
  it('--extra-index-url inside a missing -e line', async () => {
    const { ws } = sandbox({ 'environment.yml': pipEnv('-e ./missing --extra-index-url https://alice:TOKEN123@host.example/simple') })
    const f = await fp(ws)
    expect(f.warnings).toHaveLength(1)
    expect(f.warnings[0]!.message).toContain('alice:***@host.example')
    expect(everything(f)).not.toContain('TOKEN123')
  })

  it('--index-url inside a -r file, on a line that warns', async () => {
    const { ws } = sandbox({
      'environment.yml': pipEnv('-r req.txt'),
      'req.txt': 'flask\n-e ./gone --index-url https://bob:TOKEN456@host.example/simple\n-r https://carol:TOKEN789@host.example/r.txt\n',
    })
    const f = await fp(ws)
    expect(f.warnings.map((w) => `${w.kind} ${w.file}:${w.line}`).sort()).toEqual(['local-unreadable req.txt:2', 'remote-reference req.txt:3'])
    expect(everything(f)).not.toMatch(/TOKEN456|TOKEN789/)
  })

  it('an error on an unreadable reference redacts the entry', async () => {
    const { ws } = sandbox({ 'environment.yml': pipEnv('-r gone.txt --index-url https://dave:TOKEN000@host.example/simple') })
    const e = await userError(fp(ws))
    expect(e.message).toMatch(/dave:\*\*\*@/)
    expect(e.message).not.toContain('TOKEN000')
  })
})

describe('prototype member names are names like any other', () => {
  it.each(['constructor', 'hasOwnProperty', 'toString', '__proto__', 'valueOf'])('-e ./%s and -r <name>.txt', async (name) => {
    const { ws } = sandbox({ 'environment.yml': pipEnv(`-e ./${name}`, `-r ${name}.txt`), [`${name}/setup.py`]: 'a', [`${name}.txt`]: 'flask\n' })
    const a = await fp(ws)
    expect(Object.hasOwn(a.document.local ?? {}, name)).toBe(true)
    expect(a.document.local?.[name]).toMatch(/^tree:/)
    expect(Object.hasOwn(a.document.files ?? {}, `${name}.txt`)).toBe(true)
    expect(a.warnings).toEqual([])
    writeTree(ws, { [`${name}/setup.py`]: 'b' })
    const b = await fp(ws)
    expect(b.hash).not.toBe(a.hash)
    writeTree(ws, { [`${name}.txt`]: 'django\n' })
    expect((await fp(ws)).hash).not.toBe(b.hash)
  })

  it('-r __proto__ (a file named like the prototype)', async () => {
    const { ws } = sandbox({ 'environment.yml': pipEnv('-r __proto__'), ['__proto__']: '-e ./pkg\n', 'pkg/a.py': '1' })
    const a = await fp(ws)
    expect(Object.keys(a.document.files ?? {})).toEqual(['__proto__'])
    expect(a.document.local?.pkg).toMatch(/^tree:/)
    expect((JSON.parse(a.json) as { files?: unknown }).files).toHaveProperty('__proto__')
  })
})

describe('requirement files are decoded as pip decodes them', () => {
  const utf16le = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')])
  const utf16be = (s: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, 'utf16le').swap16()])
  const utf32 = (s: string, le: boolean) => {
    const cps = [0xfeff, ...[...s].map((c) => c.codePointAt(0)!)]
    const b = Buffer.alloc(cps.length * 4)
    cps.forEach((cp, i) => (le ? b.writeUInt32LE(cp, i * 4) : b.writeUInt32BE(cp, i * 4)))
    return b
  }
  const text = 'flask==3.0\r\n-e ./pkg\r\n'
  it.each([
    ['UTF-16LE', utf16le(text)],
    ['UTF-16BE', utf16be(text)],
    ['UTF-32LE', utf32(text, true)],
    ['UTF-32BE', utf32(text, false)],
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])],
  ])('%s: the -e tree inside is hashed, and the file hashes like its UTF-8 twin', async (_name, bytes) => {
    const { ws } = sandbox({ 'environment.yml': pipEnv('-r req.txt'), 'req.txt': bytes, 'pkg/setup.py': 'a' })
    const a = await fp(ws)
    expect(a.warnings).toEqual([])
    expect(a.document.local?.pkg).toMatch(/^tree:/)
    writeTree(ws, { 'pkg/setup.py': 'b' })
    const b = await fp(ws)
    expect(b.hash).not.toBe(a.hash)
    writeTree(ws, { 'req.txt': 'flask==3.0\n-e ./pkg\n' })
    expect((await fp(ws)).hash).toBe(b.hash)
  })

  it('invalid UTF-8 is warned about and hashed by its bytes', async () => {
    const { ws } = sandbox({ 'environment.yml': pipEnv('-r req.txt'), 'req.txt': Buffer.from([0x66, 0x6c, 0xff, 0x0a]) })
    const a = await fp(ws)
    expect(a.warnings).toHaveLength(1)
    expect(a.warnings[0]).toMatchObject({ kind: 'encoding', file: 'req.txt', line: 1 })
    expect(a.warnings[0]?.message).toMatch(/req\.txt is not valid UTF-8 text/)
    writeTree(ws, { 'req.txt': Buffer.from([0x66, 0x6c, 0xfe, 0x0a]) })
    expect((await fp(ws)).hash).not.toBe(a.hash)
  })
})

describe('raw internal errors become the action’s own words', () => {
  it.each([
    ['deep flow nesting', `dependencies: ${'['.repeat(50_000)}`, /environment\.yml:1: the YAML is nested more than 100 levels deep/],
    ['deep block nesting', `x:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')}`, /nested more than 100 levels deep/],
    ['moderately deep block nesting', `x:\n${Array.from({ length: 300 }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')}`, /nested more than 100 levels deep/],
    ['two documents', 'dependencies: [a]\n---\ndependencies: [b]\n', /environment\.yml:2: a second YAML document starts here/],
  ])('%s', async (_name, text, message) => {
    const { ws } = sandbox({ 'environment.yml': text })
    const e = await userError(fp(ws))
    expect(e.name).toBe('UserError')
    expect(e.message).toMatch(message)
    expect(e.message).not.toMatch(/Maximum call stack|parseAllDocuments|RangeError/)
  })

  it('ENOTDIR and path errors in references', async () => {
    const { ws } = sandbox({ 'environment.yml': pipEnv('-e ./setup.py/sub', '-r req.txt/x'), 'setup.py': 'x', 'req.txt': 'a\n' })
    const e = await userError(fp(ws))
    expect(e.message).toMatch(/environment\.yml:5: pip entry "-r req\.txt\/x" refers to req\.txt\/x, which cannot be read: file not found/)
  })
})

describe('unreadable directories (run as an unprivileged user, as a runner does)', () => {
  const canDropPrivileges = process.getuid?.() === 0
  it.runIf(canDropPrivileges)('an unlistable directory in an -e tree is a warning, not a raw EACCES', () => {
    const { top, ws } = sandbox({ 'environment.yml': pipEnv('-e ./pkg'), 'pkg/setup.py': 'a', 'pkg/locked/x.py': 'x' })
    chmodSync(path.join(ws, 'pkg', 'locked'), 0o000)
    for (const d of [top, ws, path.join(ws, 'pkg')]) chmodSync(d, 0o755)
    const tmp = path.join(top, 'tmp')
    mkdirSync(tmp)
    chmodSync(tmp, 0o777)
    const script = `
      const { fingerprint } = await import(${JSON.stringify(new URL('../src/hash/index.ts', import.meta.url).href)})
      try {
        const fp = await fingerprint({ environmentFile: ${JSON.stringify(path.join(ws, 'environment.yml'))}, workspace: ${JSON.stringify(ws)}, baseDockerfile: { content: 'FROM x' }, buildArgs: [], platforms: [] })
        console.log(JSON.stringify({ local: fp.document.local, warnings: fp.warnings }))
      } catch (e) { console.log(JSON.stringify({ error: e.name + ': ' + e.message })) }`
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      cwd: path.join(import.meta.dirname, '..'),
      env: { ...process.env, TMPDIR: tmp },
    })
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { local?: Record<string, string>; warnings?: { kind: string; message: string }[]; error?: string }
    expect(r.error).toBeUndefined()
    expect(r.local?.pkg).toMatch(/^partial:/)
    expect(r.warnings?.map((w) => w.kind)).toEqual(['tree-limit'])
    expect(r.warnings?.[0]!.message).toMatch(/1 directory that cannot be listed \(first: locked\)/)
    expect(JSON.stringify(r)).not.toMatch(/EACCES|scandir/)
  })
})
