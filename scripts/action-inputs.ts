// Writes the `inputs:` section of action.yml from the input table (src/run/input-table.ts), the one
// place inputs are declared. `scripts/docs.mjs` then renders the README tables from
// action.yml. The action.yml test fails when the two differ.
//
//   npx tsx scripts/action-inputs.ts           rewrite action.yml's inputs in place
//   npx tsx scripts/action-inputs.ts --check   exit 1 when action.yml is out of date

import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { inputSpecs, type InputSpec } from '../src/run/input-table.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`

/** The `inputs:` block of action.yml for these rows (two-space indent, single-quoted scalars). */
export function inputsBlock(specs: readonly InputSpec<unknown>[] = inputSpecs()): string {
  const lines = ['inputs:']
  for (const s of specs) {
    lines.push(`  ${s.name}:`, `    description: ${quote(s.description)}`, `    required: ${s.required ? 'true' : 'false'}`)
    if (!s.required) lines.push(`    default: ${quote(s.actionDefault ?? s.default)}`)
  }
  return lines.join('\n') + '\n'
}

/** action.yml text with its inputs block (from `inputs:` to the next top-level key) replaced. */
export function withInputs(actionYml: string, block = inputsBlock()): string {
  const start = actionYml.search(/^inputs:\s*$/m)
  if (start < 0) throw new Error('action.yml has no top-level inputs: key')
  const after = actionYml.slice(start + 'inputs:'.length)
  const next = after.search(/^\S/m)
  const end = next < 0 ? actionYml.length : start + 'inputs:'.length + next
  const gap = /\n(\s*\n)*$/.exec(actionYml.slice(start, end))?.[0] ?? '\n'
  return actionYml.slice(0, start) + block + gap.slice(1) + actionYml.slice(end)
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = path.join(ROOT, 'action.yml')
  const text = readFileSync(file, 'utf8')
  const next = withInputs(text)
  if (process.argv.includes('--check')) {
    if (next !== text) {
      console.error('action.yml inputs differ from src/run/input-table.ts: run npm run docs')
      process.exit(1)
    }
    console.log('action.yml inputs are up to date')
  } else {
    if (next !== text) writeFileSync(file, next)
    console.log(next === text ? 'action.yml inputs are up to date' : 'action.yml inputs rewritten from src/run/input-table.ts')
  }
}
