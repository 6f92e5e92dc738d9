// The ports are the only I/O of the run: the phases, the run's decisions, the report, retention
// and main.ts reach the file system, the temp directory and the environment only through the
// ports (src/ports/) and the run context (src/context/run-context.ts). Read from the sources'
// syntax, so that the rule stays true.

import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const SRC = path.resolve(import.meta.dirname, '../src')

/** The folders (and root files) that get everything through the ports and the run context. */
const THROUGH_PORTS = ['phases', 'run', 'report', 'retention', 'main.ts']

const DIRECT_MODULES = /^(node:)?(fs|os)(\/.*)?$/
/** src/fs/ (the confined readers and the input paths), by a relative path from any folder of src/. */
const FS_LAYER = /^(\.\.?\/)+fs(\/|\.js$|$)/
const isDirect = (spec: string): boolean => DIRECT_MODULES.test(spec) || FS_LAYER.test(spec)

/** What a file reaches directly: `node:fs`/`node:os` imports, src/fs/ imports, `process.env`, `process.cwd()`, `mkdtemp*`. */
export function directAccess(text: string): string[] {
  const out: string[] = []
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      if (isDirect(n.moduleSpecifier.text)) out.push(`import ${n.moduleSpecifier.text}`)
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) {
      if (isDirect(n.arguments[0].text)) out.push(`import ${n.arguments[0].text}`)
    } else if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'process' && ['env', 'cwd'].includes(n.name.text)) {
      out.push(`process.${n.name.text}`)
    } else if (ts.isElementAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'process') {
      out.push('process[…]')
    } else if (ts.isIdentifier(n) && /^mkdtemp/.test(n.text)) {
      out.push(n.text)
    }
    ts.forEachChild(n, visit)
  }
  visit(ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true))
  return [...new Set(out)]
}

function filesUnder(entry: string): string[] {
  if (entry.endsWith('.ts')) return [entry]
  return readdirSync(path.join(SRC, entry), { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => path.relative(SRC, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
    .sort()
}

describe('the phases, the run, the report and retention reach no edge directly', () => {
  it.each(THROUGH_PORTS)('%s', (entry) => {
    const found = filesUnder(entry).flatMap((f) => directAccess(readFileSync(path.join(SRC, f), 'utf8')).map((a) => `${f}: ${a}`))
    expect(found).toEqual([])
  })
})

it("the run's option parsing is among the files checked", () => {
  expect(filesUnder('run')).toContain('run/options.ts')
  expect(filesUnder('phases')).toContain('phases/inputs.ts')
})

describe('the check can fail', () => {
  it.each([
    ["import { readInputFile } from '../fs/input-paths.js'", ['import ../fs/input-paths.js']],
    ["import type { ConfinedFile } from '../fs/confined.js'", ['import ../fs/confined.js']],
    ["import { readConfinedSync } from './fs/index.js'", ['import ./fs/index.js']],
    ["export { readFileBoundedSync } from '../../fs/confined.js'", ['import ../../fs/confined.js']],
    ["import { x } from '../runner/fs-free.js'\nimport { y } from '../hash/fsx.js'", []],
    ["import { readFileSync } from 'node:fs'", ['import node:fs']],
    ["import { readFile } from 'fs/promises'", ['import fs/promises']],
    ["import os from 'node:os'", ['import node:os']],
    ["const fs = await import('node:fs')", ['import node:fs']],
    ['const t = process.env.GITHUB_API_URL', ['process.env']],
    ["const t = process['env']", ['process[…]']],
    ['const w = process.cwd()', ['process.cwd']],
    ["const d = mkdtempSync('x')", ['mkdtempSync']],
    ["import path from 'node:path'\nconst e = s.env.X\nprocess.exitCode = 1", []],
  ])('%s', (text, want) => {
    expect(directAccess(text)).toEqual(want)
  })
})
