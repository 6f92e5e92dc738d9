import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { collectFileLines, fileLinesLabel, parseFileLinesLabel, requirementChanges, requirementLines, withRequirementLines } from '../src/hash/file-lines.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'file-lines-'))
  writeFileSync(
    path.join(dir, 'requirements.txt'),
    '# deps\nuvicorn==0.29.0  # server\n\nfastapi>=0.110\n--extra-index-url https://bob:tok3n@pypi.example/simple\n',
  )
  writeFileSync(path.join(dir, 'big.txt'), 'x\n'.repeat(40_000))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('requirement lines: comments and blanks dropped, credentials redacted', () => {
  const lines = requirementLines('# c\nuvicorn==0.29.0  # server\n  a   b\n--index-url https://bob:tok3n@h/simple\n')
  expect(lines.slice(0, 2)).toEqual(['uvicorn==0.29.0', 'a b'])
  expect(lines[2]).not.toContain('tok3n')
})

test('collected with a size bound; missing and oversized files are left out', () => {
  const got = collectFileLines({ 'requirements.txt': 'x', 'big.txt': 'y', 'missing.txt': 'z' }, dir)
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
  expect(collectFileLines({ 'fifo.txt': 'x' }, dir)).toEqual({})
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
