// The layering of src/, read from its imports (static, type-only and dynamic): no cycle, and
// no import from a lower layer to a higher one. A folder's layer is its place in LAYERS; the
// files at the root of src/ are the entry, on top. Within one layer, folders may import each
// other as long as no module cycle forms.

import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const SRC = path.resolve(import.meta.dirname, '../src')

/** Bottom first. */
export const LAYERS: readonly (readonly string[])[] = [
  ['vocabulary', 'text'], // shared names, errors, units; text helpers and the one redaction
  ['fs', 'runner'], // confined reads; the runner's protocol, processes, the log writer
  [
    'image',
    'compression',
    'layers',
    'sbom',
    'template',
    'hash',
    'registry',
    'buildx',
    'sizes',
    'report',
    'retention',
    'actions-cache',
    'secrets',
    'stores',
    'context',
  ], // format owners
  ['ports'], // the interfaces of the edges and their one wiring
  ['run'], // the run's decisions: inputs, options, plan, state
  ['phases'], // the phases
  ['.'], // the entry: index.ts, early.ts, main.ts
]

export type Edge = readonly [from: string, to: string]

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => path.relative(SRC, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
    .sort()
}

/** Every relative module specifier of a file: imports, re-exports, `import()` and `typeof import()`. */
export function specifiers(text: string): string[] {
  const out: string[] = []
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text)
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0]))
      out.push(n.arguments[0].text)
    else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) out.push(n.argument.literal.text)
    ts.forEachChild(n, visit)
  }
  visit(ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true))
  return out.filter((s) => s.startsWith('.'))
}

export function edgesOf(files: readonly string[], read: (f: string) => string): Edge[] {
  const edges: Edge[] = []
  for (const f of files)
    for (const s of specifiers(read(f))) edges.push([f, path.posix.normalize(path.posix.join(path.posix.dirname(f), s)).replace(/\.js$/, '.ts')])
  return edges
}

export function folderOf(file: string): string {
  return file.includes('/') ? file.slice(0, file.indexOf('/')) : '.'
}

export function layerOf(file: string, layers: readonly (readonly string[])[] = LAYERS): number {
  return layers.findIndex((l) => l.includes(folderOf(file)))
}

/** Imports from a lower layer to a higher one. */
export function upward(edges: readonly Edge[], layers = LAYERS): string[] {
  return edges.filter(([a, b]) => layerOf(a, layers) < layerOf(b, layers)).map(([a, b]) => `${a} -> ${b}`)
}

/** The module cycles (strongly connected components of more than one module, or a self-import), each listed. */
export function cycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>()
  for (const [a, b] of edges) next.set(a, [...(next.get(a) ?? []), b])
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const connect = (v: string): void => {
    index.set(v, index.size)
    low.set(v, index.get(v)!)
    stack.push(v)
    onStack.add(v)
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) !== index.get(v)) return
    const scc: string[] = []
    let w: string
    do {
      w = stack.pop()!
      onStack.delete(w)
      scc.push(w)
    } while (w !== v)
    if (scc.length > 1 || (next.get(v) ?? []).includes(v)) found.push(scc.sort())
  }
  for (const v of new Set(edges.flat())) if (!index.has(v)) connect(v)
  return found
}

const files = sourceFiles(SRC)
const edges = edgesOf(files, (f) => readFileSync(path.join(SRC, f), 'utf8'))

describe('the layout of src/', () => {
  it('keeps at most four files at the root: the entry', () => {
    expect(files.filter((f) => folderOf(f) === '.').length).toBeLessThanOrEqual(4)
  })

  it('places every folder in a layer', () => {
    expect(files.filter((f) => layerOf(f) < 0)).toEqual([])
  })

  it('gives no two modules one name (index.ts is a folder front door)', () => {
    const names = files.map((f) => path.posix.basename(f)).filter((n) => n !== 'index.ts')
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([])
  })

  it('resolves every relative import to a file of src/', () => {
    expect(edges.filter(([, b]) => !files.includes(b)).map(([a, b]) => `${a} -> ${b}`)).toEqual([])
  })

  it('has no import cycle', () => {
    expect(cycles(edges)).toEqual([])
  })

  it('has no import from a lower layer to a higher one', () => {
    expect(upward(edges)).toEqual([])
  })
})

describe('the checks can fail', () => {
  const layers = [['low'], ['high']]
  it.each([
    [[['low/a.ts', 'high/b.ts']], ['low/a.ts -> high/b.ts']],
    [[['high/b.ts', 'low/a.ts']], []],
    [[['low/a.ts', 'low/c.ts']], []],
  ] as [Edge[], string[]][])('upward(%j) = %j', (es, want) => {
    expect(upward(es, layers)).toEqual(want)
  })

  it.each([
    [
      [
        ['a', 'b'],
        ['b', 'a'],
      ],
      [['a', 'b']],
    ],
    [
      [
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'a'],
        ['c', 'd'],
      ],
      [['a', 'b', 'c']],
    ],
    [[['a', 'a']], [['a']]],
    [
      [
        ['a', 'b'],
        ['b', 'c'],
        ['a', 'c'],
      ],
      [],
    ],
  ] as [Edge[], string[][]][])('cycles(%j) = %j', (es, want) => {
    expect(cycles(es)).toEqual(want)
  })

  it('reads static, type-only, re-exported and dynamic imports', () => {
    const text =
      "import a from './a.js'\nimport type { B } from '../b.js'\nexport * from './c.js'\nconst d = await import('./d.js')\ntype E = typeof import('./e.js')\nimport x from 'node:fs'\n"
    expect(specifiers(text)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js'])
  })
})
