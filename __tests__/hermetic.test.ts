// The repository stands on its own: no file depends on a path of the machine it was written
// on or on a document outside the repository, the vendored corpus is inside it, and the
// design document that code comments cite has the sections they cite.

import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { corpusDir } from '../__fixtures__/context.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** Not ours to check: dependencies, the generated bundle, the vendored corpus (third-party bytes), VCS data. */
const SKIP = new Set(['.git', 'node_modules', 'dist', 'coverage', '.tmp', path.join('bench', 'results'), path.join('__fixtures__', 'corpus')])

/** Text files of the repository (relative paths), walking the tree as a fresh clone has it. */
function repoFiles(dir = ''): string[] {
  const out: string[] = []
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name)
    if (SKIP.has(rel)) continue
    if (e.isDirectory()) out.push(...repoFiles(rel))
    else if (e.isFile() && statSync(path.join(ROOT, rel)).size < 2_000_000) out.push(rel)
  }
  return out
}

/** Lines that name a path of a developer's machine or a folder beside the repository. */
export function machinePaths(text: string): string[] {
  return text.split('\n').filter((l) => /(^|[\s'"`(=:])\/work\/|\.\.\/shared\b|\/shared\/corpus\b/.test(l))
}

const DESIGN = readFileSync(path.join(ROOT, 'docs', 'DESIGN.md'), 'utf8')
/** `n` and `n.m` numbers of the design document's headings. */
const SECTIONS = new Set([...DESIGN.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((m) => m[1]!))

describe('the repository stands on its own', () => {
  const files = repoFiles()

  it('walks the tree (sources, tests, scripts, workflows, docs)', () => {
    for (const f of ['package.json', 'src/main.ts', 'scripts/stack-up.sh', '.github/workflows/ci.yml', 'docs/DESIGN.md', '.ci/run']) expect(files).toContain(f)
  })

  it('no file names a path of the machine it was written on or a folder beside the repository', () => {
    const found = files.flatMap((f) => machinePaths(readFileSync(path.join(ROOT, f), 'utf8')).map((l) => `${f}: ${l.trim().slice(0, 120)}`))
    expect(found).toEqual([])
  })

  it('the path check catches what it is for', () => {
    // Assembled here so that this file does not contain what it looks for.
    const machine = ['', 'work', 'shared', 'corpus', 'environment-yml'].join('/')
    const beside = ['..', '..', 'shared', 'corpus'].join('/')
    expect(machinePaths(`const c = '${machine}'\nWORKDIR /workspace\nsee .github/workflows/ci.yml`)).toEqual([`const c = '${machine}'`])
    expect(machinePaths(`new URL('${beside}', import.meta.url)`)).toHaveLength(1)
  })

  it('the corpus is vendored inside the repository', () => {
    const dir = corpusDir()
    expect(path.relative(ROOT, dir)).toBe(path.join('__fixtures__', 'corpus', 'environment-yml'))
    expect(readFileSync(path.join(ROOT, '.gitattributes'), 'utf8')).toMatch(/^__fixtures__\/corpus\/\*\* -text\b/m)
  })
})

describe('docs/DESIGN.md', () => {
  it('has numbered sections 1 to 10 and stands on its own', () => {
    for (let n = 1; n <= 10; n++) expect(SECTIONS.has(String(n)), `section ${n}`).toBe(true)
    for (const sub of ['3.1', '4.6', '4.7', '6.1', '6.3', '6.4', '7.3']) expect(SECTIONS.has(sub), `section ${sub}`).toBe(true)
    expect(DESIGN).not.toMatch(/\bSPEC\b/)
    expect(DESIGN).not.toMatch(/\bissue \d+/i)
  })

  it('code comments cite its sections, not documents outside the repository', () => {
    // Assembled so that this file does not contain what it looks for.
    const outside = new RegExp(`${'SP'}EC §|\\b${'iss'}ue \\d+\\b`)
    const code = repoFiles().filter((f) => /^(src|__tests__|__fixtures__|bench|scripts)\//.test(f) && /\.(ts|mts|mjs|js|sh)$/.test(f))
    const found = code.flatMap((f) =>
      readFileSync(path.join(ROOT, f), 'utf8')
        .split('\n')
        .flatMap((l, i) => (outside.test(l) ? [`${f}:${i + 1}: ${l.trim().slice(0, 100)}`] : [])),
    )
    expect(found).toEqual([])
  })

  it('every "docs/DESIGN.md §n" cited in the code names a section that exists', () => {
    const cited = repoFiles().flatMap((f) =>
      [...readFileSync(path.join(ROOT, f), 'utf8').matchAll(/DESIGN\.md §(\d+(?:\.\d+)?)/g)].map((m) => ({ f, section: m[1]! })),
    )
    expect(cited.filter((c) => !SECTIONS.has(c.section)).map((c) => `${c.f}: §${c.section}`)).toEqual([])
  })
})
