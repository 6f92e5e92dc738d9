// The base Dockerfile, read with dockerfile-ast (instructions, flags, continuations, the
// escape directive, heredocs): what it reads from the build context, and whether it uses the
// environment file's `name`. Pure functions over its text.
//
// Context reads: the sources of every `COPY`/`ADD` without `--from` (shell and JSON form,
// heredoc files excluded: they are inline, in the Dockerfile's own digest) and every
// `RUN --mount` of type bind without `from=` (its `source` defaults to the context root),
// also as the `ONBUILD` triggers of a stage, which run in a stage built `FROM` it.
// Sources are expanded as Docker expands them (words.ts) with the stage's `ARG`s (defaults,
// then the base build-args) and `ENV`s, once per target platform (`TARGETPLATFORM` & co. as
// BuildKit normalises the platform; `BUILDPLATFORM` & co. depend on the builder: unknown).
// A source is joined to the context root as BuildKit joins it (`../x` is the context's `x`).
// Where the action cannot know what the build reads, the whole context counts, with a
// warning naming the line: a source that uses a variable not known before the build, and a
// frontend other than the standard one (`# syntax=`, the `BUILDKIT_SYNTAX` build-arg) — that
// one may even ignore `.dockerignore`. A remote `ADD` URL without `--checksum` is warned about.
//
// The name rule: the name is dropped from the document only when every
// `micromamba|mamba|conda` install/create/update (incl. `env create|update`) command of a
// `RUN` that reads an environment file (`-f`/`--file`) also names its target environment
// explicitly (`-n`/`--name`/`-p`/`--prefix`) — then the file's `name:` cannot change what is
// built, as with the bundled template (`micromamba install -y -n base -f …`). In every other
// case (no such command, `conda env create -f env.yml` without a target, a tool we do not
// parse) the name is kept: renaming the environment may move it, so it rebuilds.

import path from 'node:path'
import { DockerfileParser, type Flag, type Heredoc, type Instruction } from 'dockerfile-ast'
import { expandWord, type Lookup } from './words.js'

/** A path of the build context the Dockerfile reads. */
export interface ContextRead {
  /** 1-based line of the instruction. */
  readonly line: number
  /** `COPY`, `ADD` or `RUN --mount`. */
  readonly instruction: string
  /** Path relative to the context root, `/`-separated (`.` = the root), may hold wildcards. */
  readonly source?: string
  /** Set when the source could not be resolved: the whole context counts. */
  readonly unresolved?: true
  /** With `unresolved`: a frontend that may ignore `.dockerignore` — every file counts, the environment file's bytes too. */
  readonly unfiltered?: true
  /** `COPY --exclude` patterns. */
  readonly excludes?: readonly string[]
}

export interface DockerfileWarning {
  readonly message: string
  readonly line: number
  readonly kind: 'context-unresolved' | 'context-remote'
}

export interface ContextReads {
  readonly reads: readonly ContextRead[]
  readonly warnings: readonly DockerfileWarning[]
}

type Doc = ReturnType<typeof DockerfileParser.parse>
interface Range {
  readonly start: { readonly line: number; readonly character: number }
  readonly end: { readonly line: number; readonly character: number }
}

interface Parsed {
  readonly doc: Doc
  readonly lines: readonly string[]
  readonly escape: string
}

/** The last Dockerfile parsed: the hash asks two questions of the same base Dockerfile. */
let last: { readonly content: string; readonly parsed: Parsed } | undefined

function parse(content: string): Parsed {
  if (last?.content === content) return last.parsed
  const text = content.replace(/\r\n?/g, '\n')
  const doc = DockerfileParser.parse(text)
  const parsed = { doc, lines: text.split('\n'), escape: doc.getEscapeCharacter() }
  last = { content, parsed }
  return parsed
}

function rangeText(lines: readonly string[], r: Range): string {
  if (r.start.line === r.end.line) return lines[r.start.line]!.slice(r.start.character, r.end.character)
  const out = [lines[r.start.line]!.slice(r.start.character)]
  for (let l = r.start.line + 1; l < r.end.line; l++) out.push(lines[l]!)
  out.push(lines[r.end.line]!.slice(0, r.end.character))
  return out.join('\n')
}

const lineOf = (ins: Instruction) => ins.getRange().start.line + 1
const flagsOf = (ins: Instruction): Flag[] => {
  const get = (ins as unknown as { getFlags?: () => Flag[] }).getFlags
  return typeof get === 'function' ? get.call(ins) : []
}
/** Heredocs of a `COPY`/`RUN` (the getter is public on those, protected on Instruction). */
const heredocsOf = (ins: Instruction): Heredoc[] => {
  const get = (ins as unknown as { getHeredocs?: () => Heredoc[] }).getHeredocs
  return typeof get === 'function' ? get.call(ins) : []
}

/**
 * The words of a `COPY`/`ADD`/`RUN` after its flags: the JSON form parsed as JSON (Docker
 * falls back to the shell form when it is not a JSON string array), else the shell words
 * before any heredoc body. dockerfile-ast's own JSON strings lose inner spaces and escapes,
 * and it lists heredoc bodies as arguments, hence both steps here.
 */
function wordsOf(ins: Instruction, p: Parsed): { words: string[]; json: boolean } {
  const open = 'getOpeningBracket' in ins ? (ins as unknown as { getOpeningBracket(): { getRange(): Range } | null }).getOpeningBracket() : null
  const close = 'getClosingBracket' in ins ? (ins as unknown as { getClosingBracket(): { getRange(): Range } | null }).getClosingBracket() : null
  if (open && close) {
    const raw = rangeText(p.lines, { start: open.getRange().start, end: close.getRange().end })
    const joined = raw.split(`${p.escape}\n`).join('')
    try {
      const v: unknown = JSON.parse(joined)
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { words: v, json: true }
    } catch {
      // not JSON: the shell form, as Docker reads it
    }
  }
  const args = ins.getArguments()
  const heredocs = heredocsOf(ins)
  if (heredocs.length === 0) return { words: args.map((a) => a.getValue()), json: false }
  const markerLine = Math.min(...heredocs.map((h) => h.getStartRange().start.line))
  return { words: args.filter((a) => a.getRange().start.line <= markerLine).map((a) => a.getValue()), json: false }
}

/** The environment manager commands of the Dockerfile's `RUN`s (shell form, JSON form, heredoc bodies). */
function runCommands(p: Parsed): string[] {
  const out: string[] = []
  for (const ins of p.doc.getInstructions()) {
    if (ins.getKeyword() !== 'RUN') continue
    const { words } = wordsOf(ins, p)
    out.push(...words.join(' ').split(/&&|\|\||;|\|/))
    for (const h of heredocsOf(ins)) {
      const body = h.getContentRange()
      if (body)
        out.push(
          ...rangeText(p.lines, body)
            .replace(/\\\n/g, ' ')
            .split(/\n|&&|\|\||;|\|/),
        )
    }
  }
  return out
}

const MANAGER = /(?:^|\/)(?:micromamba|mamba|conda)$/
const VERBS = new Set(['install', 'create', 'update'])

function shellWords(cmd: string): string[] {
  return cmd.match(/"[^"]*"|'[^']*'|\S+/g)?.map((w) => w.replace(/^["']|["']$/g, '')) ?? []
}

function hasOption(args: readonly string[], short: string[], long: string[]): boolean {
  return args.some((a) => short.some((s) => a === s || (a.startsWith(s) && !a.startsWith('--'))) || long.some((l) => a === l || a.startsWith(`${l}=`)))
}

/** True when the Dockerfile may use the environment file's `name:` (see the rule above). */
export function dockerfileUsesEnvName(content: string): boolean {
  let fileInstalls = 0
  for (const cmd of runCommands(parse(content))) {
    const w = shellWords(cmd)
    const at = w.findIndex((x) => MANAGER.test(x))
    if (at < 0) continue
    let i = at + 1
    while (w[i]?.startsWith('-')) i++ // global options (`-y`, `--root-prefix=…`)
    if (w[i] === 'env') i++
    if (!VERBS.has(w[i] ?? '')) continue
    const args = w.slice(i + 1)
    if (!hasOption(args, ['-f'], ['--file'])) continue
    fileInstalls++
    if (!hasOption(args, ['-n', '-p'], ['--name', '--prefix'])) return true
  }
  return fileInstalls === 0
}

// ---------------------------------------------------------------------------------------
// Context reads

/** What the Dockerfile reads from the build context, for the given build-args and target platforms. */
export function dockerfileContextReads(content: string, buildArgs: readonly string[], platforms: readonly string[]): ContextReads {
  const args = buildArgMap(buildArgs)
  const frontend = customFrontend(content, args)
  if (frontend) return frontend
  const p = parse(content)
  const reads = new Map<string, ContextRead>()
  const warnings = new Map<string, DockerfileWarning>()
  for (const platform of platforms.length ? platforms : [undefined]) {
    const r = readsFor(p, args, platform)
    for (const x of r.reads) reads.set(JSON.stringify(x), x)
    for (const w of r.warnings) warnings.set(w.message, w)
  }
  return { reads: [...reads.values()], warnings: [...warnings.values()] }
}

/** The frontend images that implement the standard Dockerfile grammar (any tag or digest). */
const STANDARD_FRONTEND =
  /^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/)?docker\/dockerfile(?:-upstream)?(?::[\w][\w.-]*)?(?:@sha256:[0-9a-f]{64})?$/

/**
 * The `syntax` parser directive as BuildKit's `DetectSyntax` finds it: after a byte-order
 * mark and a `#!` line, the leading `# key=value` lines (then `// key=value` lines, then the
 * whole file as a JSON object with a `syntax` string); the image is the value up to its
 * first space. Undefined when there is none.
 */
export function syntaxDirective(content: string): { readonly image: string; readonly line: number } | undefined {
  let lines = content.replace(/^\uFEFF/, '').split('\n')
  let first = 1
  if (lines[0]?.startsWith('#!')) {
    lines = lines.slice(1)
    first = 2
  }
  for (const comment of ['#', '//']) {
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!.replace(/\r$/, '')
      if (!l.startsWith(comment)) break
      const m = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(l.slice(comment.length).trimStart())
      if (!m || !['syntax', 'check', 'escape'].includes(m[1]!.toLowerCase())) break
      if (m[1]!.toLowerCase() === 'syntax') return { image: m[2]!.split(' ')[0]!, line: first + i }
    }
  }
  try {
    const v: unknown = JSON.parse(lines.join('\n'))
    const syntax = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>).syntax : undefined
    if (typeof syntax === 'string') return { image: syntax.split(' ')[0]!, line: first }
  } catch {
    // not JSON
  }
  return undefined
}

/**
 * A frontend other than the standard Dockerfile one — named by the `syntax` directive or the
 * `BUILDKIT_SYNTAX` build-arg (which wins) — can read any file of the build context, with or
 * without `.dockerignore`: the whole context counts, the environment file's bytes included.
 */
function customFrontend(content: string, args: Map<string, string | null>): ContextReads | undefined {
  const fromArg = args.has('BUILDKIT_SYNTAX')
  const directive = syntaxDirective(content.replace(/\r\n?/g, '\n'))
  const image = fromArg ? args.get('BUILDKIT_SYNTAX') : directive?.image
  if (image === undefined || (image !== null && STANDARD_FRONTEND.test(image))) return undefined
  const line = fromArg ? 0 : directive!.line
  const what = fromArg ? `the build-arg BUILDKIT_SYNTAX=${image ?? ''}` : `# syntax=${image}`
  return {
    reads: [{ line, instruction: fromArg ? 'BUILDKIT_SYNTAX' : '# syntax', unresolved: true, unfiltered: true }],
    warnings: [
      {
        line,
        kind: 'context-unresolved',
        message: `${what} selects a frontend other than the standard Dockerfile one: it can read any file of the build context, so the whole build context counts in the environment hash`,
      },
    ],
  }
}

/** Base build-args; a bare `KEY` (value from the runner's environment) is known to exist but not its value. */
function buildArgMap(buildArgs: readonly string[]): Map<string, string | null> {
  const m = new Map<string, string | null>()
  for (const a of buildArgs) {
    const eq = a.indexOf('=')
    if (eq < 0) m.set(a, null)
    else m.set(a.slice(0, eq), a.slice(eq + 1))
  }
  return m
}

/**
 * A target platform as BuildKit normalises it (containerd's `platforms.Normalize`): OS and
 * architecture lower-cased, `x86_64`→`amd64`, `aarch64`→`arm64` without the `v8` variant,
 * `armhf`→`arm/v7`, `armel`→`arm/v6`, a bare `arm` as `arm/v7`. Undefined when it is not
 * `os/arch[/variant]`.
 */
export function normalizePlatform(platform: string): { os: string; arch: string; variant: string } | undefined {
  const parts = platform.trim().split('/')
  if (parts.length < 2 || parts.length > 3 || parts.some((x) => x === '')) return undefined
  let os = parts[0]!.toLowerCase()
  let arch = parts[1]!.toLowerCase()
  let variant = (parts[2] ?? '').toLowerCase()
  if (os === 'macos') os = 'darwin'
  if (arch === 'i386') [arch, variant] = ['386', '']
  else if (arch === 'x86_64' || arch === 'x86-64' || arch === 'amd64') [arch, variant] = ['amd64', variant === 'v1' ? '' : variant]
  else if (arch === 'aarch64' || arch === 'arm64') [arch, variant] = ['arm64', variant === '8' || variant === 'v8' ? '' : variant]
  else if (arch === 'armhf') [arch, variant] = ['arm', 'v7']
  else if (arch === 'armel') [arch, variant] = ['arm', 'v6']
  else if (arch === 'arm') variant = variant === '' || variant === '7' ? 'v7' : ['5', '6', '8'].includes(variant) ? `v${variant}` : variant
  return { os, arch, variant }
}

/**
 * BuildKit's automatic platform args: the target's, as BuildKit normalises the platform, and
 * the builder's (`BUILDPLATFORM` & co.), which depend on the node that runs the build (a
 * remote builder may be of another architecture than the runner): declared, value unknown.
 */
export function platformArgs(platform: string | undefined): Map<string, string | null> {
  const m = new Map<string, string | null>(['BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT'].map((k) => [k, null]))
  const t = platform === undefined ? undefined : normalizePlatform(platform)
  if (!t) return m.set('TARGETPLATFORM', null).set('TARGETOS', null).set('TARGETARCH', null).set('TARGETVARIANT', null)
  const formatted = [t.os, t.arch, t.variant].filter((x) => x !== '').join('/')
  return m.set('TARGETPLATFORM', formatted).set('TARGETOS', t.os).set('TARGETARCH', t.arch).set('TARGETVARIANT', t.variant)
}

interface Scope {
  /** `null`: declared, value not known before the build. */
  readonly vars: Map<string, string | null>
  readonly env: Map<string, string | null>
}

const lookupIn =
  (scope: Scope): Lookup =>
  (name) => {
    const v = scope.env.has(name) ? scope.env.get(name) : scope.vars.get(name)
    return v === null ? undefined : v
  }

/** A stage as a later `FROM <stage>` inherits it: its `ENV`s and its `ONBUILD` triggers. */
interface Stage {
  readonly env: Map<string, string | null>
  readonly triggers: Instruction[]
}

function readsFor(p: Parsed, buildArgs: Map<string, string | null>, platform: string | undefined): ContextReads {
  const automatic = platformArgs(platform)
  const global: Scope = { vars: new Map(automatic), env: new Map() }
  const stages = new Map<string, Stage>()
  let scope = global
  let stage: Stage = { env: global.env, triggers: [] }
  const reads: ContextRead[] = []
  const warnings: DockerfileWarning[] = []
  const dispatch = (ins: Instruction, kw: string) => {
    if (kw === 'COPY' || kw === 'ADD') copyReads(ins, p, lookupIn(scope), reads, warnings)
    else if (kw === 'RUN') mountReads(ins, p.escape, lookupIn(scope), reads, warnings)
  }
  for (const ins of p.doc.getInstructions()) {
    const kw = ins.getKeyword()
    if (kw === 'FROM') {
      const words = ins.getArguments().map((a) => a.getValue())
      const parent = stages.get((words[0] ?? '').toLowerCase())
      scope = { vars: new Map(), env: new Map(parent?.env ?? []) }
      stage = { env: scope.env, triggers: [] }
      const as = words.findIndex((w) => w.toLowerCase() === 'as')
      if (as >= 0 && words[as + 1]) stages.set(words[as + 1]!.toLowerCase(), stage)
      // a stage's ONBUILD triggers run at the start of a stage built FROM it, in that stage's scope
      for (const t of parent?.triggers ?? []) dispatch(t, t.getKeyword())
    } else if (kw === 'ARG') declareArgs(ins, p, scope, scope === global ? automatic : global.vars, buildArgs)
    else if (kw === 'ENV') setEnv(ins, p, scope)
    else if (kw === 'ONBUILD') {
      const trigger = (ins as unknown as { getTriggerInstruction?: () => Instruction | null }).getTriggerInstruction?.()
      if (trigger) stage.triggers.push(trigger)
    } else dispatch(ins, kw)
  }
  return { reads, warnings }
}

function propertiesOf(ins: Instruction): { name: string; range?: Range }[] {
  const props = 'getProperties' in ins ? (ins as unknown as { getProperties(): { getName(): string; getValueRange(): Range | null }[] }).getProperties() : []
  return props.map((pr) => ({ name: pr.getName(), range: pr.getValueRange() ?? undefined }))
}

/** An `ARG`/`ENV` value as written, line continuations joined. */
const valueText = (p: Parsed, range: Range): string => rangeText(p.lines, range).split(`${p.escape}\n`).join('')

function declareArgs(ins: Instruction, p: Parsed, scope: Scope, outer: Map<string, string | null>, buildArgs: Map<string, string | null>): void {
  for (const { name, range } of propertiesOf(ins)) {
    let value: string | null
    if (buildArgs.has(name)) value = buildArgs.get(name)!
    else if (range) {
      const e = expandWord(valueText(p, range), lookupIn(scope), p.escape)
      value = e.unknown.length ? null : e.value
    } else value = outer.has(name) ? outer.get(name)! : ''
    scope.vars.set(name, value)
  }
}

function setEnv(ins: Instruction, p: Parsed, scope: Scope): void {
  for (const { name, range } of propertiesOf(ins)) {
    if (!range) continue
    const e = expandWord(valueText(p, range), lookupIn(scope), p.escape)
    scope.env.set(name, e.unknown.length ? null : e.value)
  }
}

const REMOTE = /^(?:[a-z][a-z0-9+.-]*:\/\/|git@)/i

function copyReads(ins: Instruction, p: Parsed, lookup: Lookup, reads: ContextRead[], warnings: DockerfileWarning[]): void {
  const kw = ins.getKeyword()
  const flags = flagsOf(ins)
  if (flags.some((f) => f.getName() === 'from')) return
  const { words, json } = wordsOf(ins, p)
  const sources = words.slice(0, -1).filter((w) => json || !/^<<-?["']?[A-Za-z_]/.test(w))
  const excludes = flags.filter((f) => f.getName() === 'exclude' && f.getValue()).map((f) => f.getValue()!)
  const line = lineOf(ins)
  for (const raw of sources) {
    if (kw === 'ADD' && REMOTE.test(raw)) {
      if (!flags.some((f) => f.getName() === 'checksum')) {
        warnings.push({
          line,
          kind: 'context-remote',
          message: `ADD ${raw} reads a remote file that the environment hash cannot see — the base is rebuilt only when the Dockerfile or the environment changes (pin it with ADD --checksum)`,
        })
      }
      continue
    }
    addRead(kw, raw, lookup, p.escape, line, excludes, reads, warnings)
  }
}

function mountReads(ins: Instruction, escape: string, lookup: Lookup, reads: ContextRead[], warnings: DockerfileWarning[]): void {
  for (const f of flagsOf(ins)) {
    if (f.getName() !== 'mount') continue
    const opts = new Map(f.getOptions().map((o) => [o.getName().toLowerCase(), o.getValue() ?? '']))
    if ((opts.get('type') ?? 'bind') !== 'bind' || opts.has('from')) continue
    addRead('RUN --mount', opts.get('source') ?? opts.get('src') ?? '.', lookup, escape, lineOf(ins), [], reads, warnings)
  }
}

function addRead(
  instruction: string,
  raw: string,
  lookup: Lookup,
  escape: string,
  line: number,
  excludes: string[],
  reads: ContextRead[],
  warnings: DockerfileWarning[],
): void {
  const e = expandWord(raw, lookup, escape)
  if (e.unknown.length) {
    const vars = [...new Set(e.unknown)].map((v) => (v.startsWith('$') ? v : `$${v}`)).join(', ')
    warnings.push({
      line,
      kind: 'context-unresolved',
      message: `${instruction} source "${raw}" uses ${vars}, not known before the build (no ARG default or base-build-arg) — the whole build context counts in the environment hash`,
    })
    reads.push({ line, instruction, unresolved: true })
    return
  }
  // BuildKit joins a source to the context root as an absolute path: `../x` and `/x` are `x` of the context
  const cleaned = path.posix.join('/', e.value).slice(1) || '.'
  const source = cleaned.replace(/\/+$/, '') || '.'
  reads.push(excludes.length ? { line, instruction, source, excludes } : { line, instruction, source })
}
