// Requirement and constraint files count in the environment hash by their entries, read with
// pip's requirements-file grammar: comments, blank lines, surrounding whitespace, line endings
// and line continuations are not entries, so editing them keeps the hash; every entry change
// changes it, and the "why" names the entries that changed. A custom base Dockerfile that
// COPYs the file reads its bytes, so there the bytes still count.

import { fc, test as fcTest } from '@fast-check/vitest'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { diffDocuments } from '../src/hash/diff.js'
import { withRequirementLines } from '../src/hash/file-lines.js'
import { canonicalEntries, decodeRequirements, requirementEntries, requirementsDigest } from '../src/hash/requirements.js'
import type { EnvDocument } from '../src/hash/types.js'
import { cleanupTemp, fpFile, tempDir, writeTree } from './hash-helpers.js'

afterAll(cleanupTemp)

describe("pip's requirements-file grammar", () => {
  test.each([
    ['comment lines and blank lines', '# header\n\nflask==3.0\n\n   # indented comment\n', ['flask==3.0']],
    ['a trailing comment after whitespace', 'flask==3.0   # web\n', ['flask==3.0']],
    ['`#` without whitespace before it is not a comment (URL fragments)', 'git+https://e.invalid/r.git#egg=pkg\n', ['git+https://e.invalid/r.git#egg=pkg']],
    ['surrounding whitespace', '   flask==3.0 \t\n', ['flask==3.0']],
    ['CRLF, CR and LF alike', 'a==1\r\nb==2\rc==3\n', ['a==1', 'b==2', 'c==3']],
    ['a line continuation joins lines as they are', 'flask\\\n==3.0\n', ['flask==3.0']],
    [
      'continuation over three lines',
      '--hash=sha256:aa \\\n  --hash=sha256:bb \\\n  --hash=sha256:cc\n',
      ['--hash=sha256:aa --hash=sha256:bb --hash=sha256:cc'],
    ],
    ["a comment line's trailing backslash continues nothing", '# note \\\nflask==3.0\n', ['flask==3.0']],
    ['a trailing comment then a backslash: pip continues the line, and the comment swallows it', 'flask==3.0 # c \\\nrequests\n', ['flask==3.0']],
    ['a comment line ends a continuation', 'flask\\\n# c\nrequests\n', ['flask', 'requests']],
    ['a continuation at the end of the file', 'flask\\', ['flask']],
    [
      'option lines are entries, in order',
      '-r base.txt\n--index-url https://e.invalid/simple\n-c constraints.txt\n-e ./pkg\n',
      ['-r base.txt', '--index-url https://e.invalid/simple', '-c constraints.txt', '-e ./pkg'],
    ],
    ['inner whitespace and specifier spacing are normalized', 'numpy  >=  1.2 ,  <2\n', ['numpy>=1.2,<2']],
    [
      'environment variables are kept verbatim (pip expands them when it installs)',
      '--extra-index-url https://e.invalid/${INDEX}/simple\n',
      ['--extra-index-url https://e.invalid/${INDEX}/simple'],
    ],
  ])('%s', (_name, text, entries) => expect(canonicalEntries(text)).toEqual(entries))

  test('each entry keeps the line it starts on', () => {
    expect(requirementEntries('# c\n\nflask\\\n==3.0\nrequests\n')).toEqual([
      { line: 3, text: 'flask==3.0' },
      { line: 5, text: 'requests' },
    ])
  })
})

/** Requirement files as they are written in real projects. */
const REAL = [
  '# pip requirements referenced from environment.yml (part of the environment hash)\nrich==13.7.1\ntyper>=0.12\n',
  '--index-url https://pypi.example.invalid/simple\n--extra-index-url https://mirror.example.invalid/simple\n-c constraints.txt\n\nfastapi>=0.110,<0.112\nuvicorn[standard]==0.29.0\npydantic>=2.6\nhttpx==0.27.0 ; python_version >= "3.9"\n',
  'numpy==1.26.4 \\\n    --hash=sha256:2e5b9e5a7a8b3a1f0d0c0e7f7a1f0d2b9c3e1c2d4f5a6b7c8d9e0f1a2b3c4d5e6 \\\n    --hash=sha256:3a1f0d0c0e7f7a1f0d2b9c3e1c2d4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f\nscipy==1.12.0\n',
  '-e ./libs/core\n-r requirements-base.txt\ngit+https://example.invalid/org/repo.git@v1.2#egg=repo\ntorch==2.2.0+cpu ; platform_machine == "x86_64"\n',
]

const digestOf = (text: string) => requirementsDigest(decodeRequirements(Buffer.from(text, 'utf8')))

/** Whether a line may be inserted before line `i`: not inside a continued line (a blank or comment line would end it). */
const between = (lines: string[], i: number) => i === 0 || !lines[i - 1]!.endsWith('\\')
const insert = (line: string) => (lines: string[], i: number) => {
  if (between(lines, i)) lines.splice(i, 0, line)
}

/** A cosmetic edit pip reads the same: comments, blank lines, whitespace, line endings, continuations. */
const cosmetic = fc.oneof(
  fc.constant(insert('# a comment line')),
  fc.constant(insert('')),
  fc.constant(insert('   ')),
  fc.constant(insert('   # indented comment \\')),
  fc.constant((lines: string[], i: number) => {
    if (lines[i] && !lines[i].endsWith('\\') && lines[i].trim() && !lines[i].trim().startsWith('#')) lines[i] = `${lines[i]}   # trailing note`
  }),
  fc.constant((lines: string[], i: number) => {
    if (lines[i] !== undefined) lines[i] = `  ${lines[i].replace(/\\$/, ' \\')}`
  }),
  fc.constant((lines: string[], i: number) => {
    // split a line at a space with a continuation (pip joins them back)
    const l = lines[i]
    const at = l?.indexOf(' ') ?? -1
    if (l && at > 0 && !l.trim().startsWith('#') && !/\s#/.test(l)) lines.splice(i, 1, `${l.slice(0, at)} \\`, l.slice(at))
  }),
)

describe('property: cosmetic edits keep the digest, entry changes change it', () => {
  fcTest.prop([fc.constantFrom(...REAL), fc.array(fc.tuple(cosmetic, fc.nat()), { maxLength: 8 }), fc.constantFrom('\n', '\r\n')])(
    'random cosmetic mutations of real requirement files keep the digest',
    (text, edits, eol) => {
      const lines = text.replace(/\n$/, '').split('\n')
      for (const [edit, n] of edits) edit(lines, n % (lines.length + 1))
      expect(digestOf(lines.join(eol) + eol)).toBe(digestOf(text))
    },
  )

  fcTest.prop([fc.constantFrom(...REAL), fc.nat(), fc.constantFrom('drop', 'change', 'add')])('any entry change changes the digest', (text, n, how) => {
    const entries = requirementEntries(text)
    const target = entries[n % entries.length]!
    const lines = text.split('\n')
    if (how === 'drop') lines.splice(target.line - 1, 1)
    if (how === 'change')
      lines[target.line - 1] = lines[target.line - 1]!.replace(/([0-9a-z])/, (c) =>
        c === '9' ? '8' : c === 'z' ? 'y' : String.fromCharCode(c.charCodeAt(0) + 1),
      )
    if (how === 'add') lines.splice(target.line - 1, 0, 'extra-package==1.0')
    expect(digestOf(lines.join('\n'))).not.toBe(digestOf(text))
  })

  test('swapping two entries changes the digest (options are positional)', () => {
    expect(digestOf('-c constraints.txt\nflask\n')).not.toBe(digestOf('flask\n-c constraints.txt\n'))
  })
})

describe('in the environment hash', () => {
  const ENV = 'name: demo\ndependencies:\n  - python=3.12\n  - pip\n  - pip:\n      - -r requirements.txt\n'
  const project = (files: Record<string, string>, dockerfile?: string) => {
    const dir = tempDir('req-entries-')
    writeTree(dir, { 'environment.yml': ENV, ...files, ...(dockerfile ? { 'base.Dockerfile': dockerfile } : {}) })
    return fpFile(path.join(dir, 'environment.yml'), {
      platforms: ['linux/amd64'],
      ...(dockerfile ? { baseDockerfile: { path: path.join(dir, 'base.Dockerfile'), content: dockerfile } } : {}),
    })
  }
  const A = { 'requirements.txt': 'flask==3.0\n-r more/extra.txt\n', 'more/extra.txt': 'rich==13.7.1\n' }
  const A_COSMETIC = { 'requirements.txt': '# web\nflask == 3.0   # pinned\n\n-r more/extra.txt\n', 'more/extra.txt': '\n# cli\nrich==13.7.1\r\n' }

  test('a comment or blank line in a -r file, or in the file it includes (relative to it), keeps the hash', async () => {
    const a = await project(A)
    expect(Object.keys(a.document.files ?? {}).sort()).toEqual(['more/extra.txt', 'requirements.txt'])
    for (const v of Object.values(a.document.files ?? {})) expect(v).toMatch(/^entries:[0-9a-f]{64}$/)
    expect((await project(A_COSMETIC)).hash).toBe(a.hash)
    expect((await project({ ...A, 'more/extra.txt': 'rich==13.7.2\n' })).hash).not.toBe(a.hash)
  })

  test('a custom base Dockerfile that COPYs the file reads its bytes: there a comment counts', async () => {
    const df = 'FROM 127.0.0.1:5000/test/busybox:latest\nCOPY environment.yml requirements.txt /tmp/\n'
    const a = await project(A, df)
    expect(Object.keys(a.document.context?.files ?? {})).toContain('requirements.txt')
    expect((await project({ ...A, 'requirements.txt': `# note\n${A['requirements.txt']}` }, df)).hash).not.toBe(a.hash)
  })
})

describe('the "why" names the entries that changed', () => {
  const doc = (files: Record<string, string>): EnvDocument => ({
    scheme: 'v1',
    source: 'environment',
    dockerfile: { sha256: 'a'.repeat(64) },
    buildArgs: [],
    platforms: [],
    subdirs: ['linux-64'],
    files,
  })

  test('entry changes, from the entries both bases carry', () => {
    const prev = { 'requirements.txt': canonicalEntries('uvicorn==0.29.0\nfastapi>=0.110\n') }
    const next = { 'requirements.txt': canonicalEntries('# bumped\nuvicorn == 0.30.1\nfastapi>=0.110\n') }
    const changes = diffDocuments(doc({ 'requirements.txt': 'entries:1' }), doc({ 'requirements.txt': 'entries:2' }))
    expect(withRequirementLines(changes, prev, next)).toEqual([
      { section: 'files', kind: 'changed', item: 'requirements.txt: uvicorn', before: 'uvicorn==0.29.0', after: 'uvicorn==0.30.1' },
    ])
  })

  test('a base an earlier version hashed by bytes: the one-time change is said, not shown as two digests', () => {
    const [c] = diffDocuments(doc({ 'requirements.txt': 'b'.repeat(64) }), doc({ 'requirements.txt': `entries:${'c'.repeat(64)}` }))
    expect([c?.section, c?.kind, c?.item]).toEqual(['files', 'changed', 'requirements.txt'])
    expect(c?.before).toMatch(/by its bytes/)
    expect(c?.after).toMatch(/by its entries/)
  })
})
