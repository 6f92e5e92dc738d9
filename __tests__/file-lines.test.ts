import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { Labels } from '../src/vocabulary/constants.js'
import {
  collectFileLines,
  envFilesLabel,
  fileLinesLabel,
  parseFileLinesLabel,
  requirementChanges,
  requirementLines,
  withRequirementLines,
} from '../src/hash/file-lines.js'

// `dir` is the workspace (and the environment file's directory); `outside` is another tree.
let dir: string
let outside: string
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'file-lines-'))
  outside = mkdtempSync(path.join(os.tmpdir(), 'file-lines-outside-'))
  writeFileSync(path.join(outside, 'secret-reqs.txt'), 'leaked-package==6.6.6\n--index-url https://alice:s3cret@pypi.internal/simple\n')
  writeFileSync(
    path.join(dir, 'requirements.txt'),
    '# deps\nuvicorn==0.29.0  # server\n\nfastapi>=0.110\n--extra-index-url https://bob:tok3n@pypi.example/simple\n',
  )
  writeFileSync(path.join(dir, 'big.txt'), 'x\n'.repeat(40_000))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
  rmSync(outside, { recursive: true, force: true })
})

test('requirement lines: comments and blanks dropped, credentials redacted', () => {
  const lines = requirementLines('# c\nuvicorn==0.29.0  # server\n  numpy  >=  1.2 \n--index-url https://bob:tok3n@h/simple\n')
  expect(lines.slice(0, 2)).toEqual(['uvicorn==0.29.0', 'numpy>=1.2'])
  expect(lines[2]).not.toContain('tok3n')
})

test('collected with a size bound; missing and oversized files are left out', () => {
  const got = collectFileLines({ 'requirements.txt': 'x', 'big.txt': 'y', 'missing.txt': 'z' }, dir, dir)
  expect(Object.keys(got)).toEqual(['requirements.txt'])
  expect(got['requirements.txt']![0]).toBe('uvicorn==0.29.0')
  expect(JSON.stringify(got)).not.toContain('tok3n')
  expect(parseFileLinesLabel(fileLinesLabel(got))).toEqual(got)
  expect(fileLinesLabel({})).toBeUndefined()
  expect(parseFileLinesLabel('{"a":[1]}')).toBeUndefined()
  expect(parseFileLinesLabel('nope')).toBeUndefined()
})

test('a FIFO is never opened for reading', () => {
  const fifo = path.join(dir, 'fifo.txt')
  execFileSync('mkfifo', [fifo])
  expect(collectFileLines({ 'fifo.txt': 'x' }, dir, dir)).toEqual({})
})

test('a requirement file that is a symlink leaving the workspace is not read into the label', () => {
  symlinkSync(path.join(outside, 'secret-reqs.txt'), path.join(dir, 'linked-reqs.txt'))
  const fp = { document: { files: { 'linked-reqs.txt': 'a'.repeat(64), 'requirements.txt': 'b'.repeat(64) } } }
  const got = collectFileLines(fp.document.files, dir, dir)
  expect(Object.keys(got)).toEqual(['requirements.txt'])
  const label = envFilesLabel(fp, path.join(dir, 'environment.yml'), dir)
  expect(label).toHaveLength(1)
  expect(label[0]!.startsWith(`${Labels.EnvFiles}=`)).toBe(true)
  expect(label[0]).toContain('uvicorn==0.29.0')
  expect(label[0]).not.toContain('leaked-package')
  expect(label[0]).not.toContain('s3cret')
})

test('paths leaving the workspace are not read, whatever the document says about them', () => {
  const sub = path.join(dir, 'env')
  mkdirSync(sub, { recursive: true })
  const rel = path.relative(sub, path.join(outside, 'secret-reqs.txt'))
  expect(rel.startsWith('..')).toBe(true)
  // As the fingerprint records it (never read) and as a forged label value would name it.
  expect(collectFileLines({ [rel]: 'outside-workspace' }, sub, dir)).toEqual({})
  expect(collectFileLines({ [rel]: 'c'.repeat(64) }, sub, dir)).toEqual({})
  expect(collectFileLines({ [path.join(outside, 'secret-reqs.txt')]: 'c'.repeat(64) }, sub, dir)).toEqual({})
  // The same file is read when the workspace holds it.
  expect(collectFileLines({ [rel]: 'c'.repeat(64) }, sub, os.tmpdir())[rel]?.[0]).toBe('leaked-package==6.6.6')
})

test('a symlink that stays inside the workspace is read', () => {
  symlinkSync('requirements.txt', path.join(dir, 'alias-reqs.txt'))
  expect(collectFileLines({ 'alias-reqs.txt': 'x' }, dir, dir)['alias-reqs.txt']?.[0]).toBe('uvicorn==0.29.0')
})

test('limits: 500 lines per file, about 24 KiB of lines in all, 64 KiB per file', () => {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'file-lines-limits-'))
  try {
    writeFileSync(path.join(ws, 'many.txt'), Array.from({ length: 600 }, (_, i) => `p${i}==1`).join('\n'))
    // 400 lines of 36 characters each (16,000 with the label's quotes and commas): the first
    // fits beside the others, the second would take the whole past 24 KiB and is left out.
    const wide = (c: string) => Array.from({ length: 400 }, (_, i) => `${c}${String(i).padStart(4, '0')}==${'1'.repeat(29)}`).join('\n')
    writeFileSync(path.join(ws, 'wide-a.txt'), wide('a'))
    writeFileSync(path.join(ws, 'wide-b.txt'), wide('b'))
    writeFileSync(path.join(ws, 'at-limit.txt'), `${'#'.repeat(64 * 1024 - 8)}\nr==1\n`.slice(0, 64 * 1024))
    writeFileSync(path.join(ws, 'over-limit.txt'), `s==1\n${'#'.repeat(64 * 1024)}`)
    const got = collectFileLines({ 'many.txt': 'x', 'wide-a.txt': 'y', 'wide-b.txt': 'y', 'at-limit.txt': 'z', 'over-limit.txt': 'w' }, ws, ws)
    expect(Object.keys(got).sort()).toEqual(['at-limit.txt', 'many.txt', 'wide-a.txt'])
    expect(got['wide-a.txt']).toHaveLength(400)
    expect(got['many.txt']).toHaveLength(500)
    expect(got['many.txt']![499]).toBe('p499==1')
    expect(got['at-limit.txt']).toEqual(['r==1'])
    expect(fileLinesLabel(got)!.length).toBeLessThan(24 * 1024)
  } finally {
    rmSync(ws, { recursive: true, force: true })
  }
})

test('a changed requirement file shows the requirements that changed', () => {
  expect(requirementChanges('requirements.txt', ['uvicorn==0.29.0', 'fastapi>=0.110', 'old'], ['uvicorn==0.30.1', 'fastapi>=0.110', 'new-pkg'])).toEqual([
    { section: 'files', kind: 'added', item: 'requirements.txt: new-pkg', after: 'new-pkg' },
    { section: 'files', kind: 'removed', item: 'requirements.txt: old', before: 'old' },
    { section: 'files', kind: 'changed', item: 'requirements.txt: uvicorn', before: 'uvicorn==0.29.0', after: 'uvicorn==0.30.1' },
  ])
  const digest = { section: 'files', kind: 'changed' as const, item: 'requirements.txt', before: 'aaaa', after: 'bbbb' }
  const other = { section: 'dependencies', kind: 'added' as const, item: 'numpy' }
  expect(withRequirementLines([digest, other], { 'requirements.txt': ['uvicorn==0.29.0'] }, { 'requirements.txt': ['uvicorn==0.30.1'] })).toEqual([
    { section: 'files', kind: 'changed', item: 'requirements.txt: uvicorn', before: 'uvicorn==0.29.0', after: 'uvicorn==0.30.1' },
    other,
  ])
  // Without the previous base's lines (an older base), the digest change stays.
  expect(withRequirementLines([digest], undefined, { 'requirements.txt': [] })).toEqual([digest])
})
