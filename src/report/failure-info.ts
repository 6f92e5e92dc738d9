// What a failed run tells its reader: which phase failed, where (the user's file and line;
// the bundled template's failures named as the template's), the relevant log lines
// (redacted, short) and what to try. Pure: the caller writes the annotation and the reports.

import path from 'node:path'
import { errorMessage, isUserError } from '../vocabulary/user-error.js'
import type { FailureInfo } from './model.js'
import { redact } from '../text/redact.js'
import { hostOnly, registryAdvice, type RegistryAdvice } from '../image/registry-hosts.js'

const LOG_LINES = 15
const LINE_CHARS = 300
/** The annotation: its first line, and at most this many of the log's last lines, this long. */
const ANNOTATION_HEAD_CHARS = 400
const ANNOTATION_LOG_LINES = 3
const ANNOTATION_LINE_CHARS = 200

export interface FailureContext {
  /** The phase that was running (`Build base base-…`, `Lookup`, …). */
  readonly phase?: string
  readonly workspace: string
  /** Absolute path of the bundled base template, when this run uses it. */
  readonly templatePath?: string
  /** The environment file (absolute), once the inputs are read. */
  readonly environmentFile?: string
  /** Values that must never be shown (secrets, passwords, tokens). */
  readonly masks?: readonly string[]
  /** The registries the run writes to (hosts as written), the image's first: whose advice a refusal gets. */
  readonly registries?: readonly string[]
}

export interface FailureAnnotation {
  readonly message: string
  readonly file?: string
  readonly line?: number
  readonly column?: number
}

/**
 * The one redaction (credentials in URLs, pip options, channel tokens: src/text/redact.ts), plus
 * HTTP authorization headers a build log may echo and the known secret values.
 */
export function redactText(text: string, masks: readonly string[] = []): string {
  let out = redact(text).replace(/\b(Authorization:\s*(?:Basic|Bearer)\s+)\S+/gi, '$1***')
  for (const m of [...masks].sort((a, b) => b.length - a.length)) if (m.length >= 3) out = out.split(m).join('***')
  return out
}

function relative(file: string, workspace: string): string {
  const rel = path.relative(workspace, file)
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file
}

/** The registry a failure is about ('' when the run has none), and the table's advice for it. */
interface Refusing {
  readonly host: string
  readonly advice: RegistryAdvice
}

const HINTS: readonly [RegExp, string | ((r: Refusing) => string)][] = [
  [
    /^The smoke test of /,
    'The image was built but failed its smoke test (`smoke-test`, `base-smoke-test`), so nothing was pushed: run the command in the image (`docker run --rm <image> sh -c "<command>"`) and fix the environment or the command; raise `smoke-test-timeout` if it needs longer.',
  ],
  [
    /"[^"]*": not found|failed to calculate checksum|COPY failed|no such file or directory/i,
    'Check that the file exists in the build context (the `context` input), is not excluded by `.dockerignore`, and is not outside the context (`COPY ../x` cannot reach it).',
  ],
  [/target stage .* could not be found|stage "[^"]+" is not in/i, 'Check the `target` input against the `FROM … AS <name>` stages of the Dockerfile.'],
  [
    /base name .*should not be blank|ARG BASE_IMAGE/i,
    'Declare `ARG BASE_IMAGE` before the first FROM of the application Dockerfile and start it `FROM ${BASE_IMAGE}`.',
  ],
  [/dockerfile parse error|unknown instruction|syntax/i, 'Fix the Dockerfile syntax at the line shown.'],
  [
    /could not solve|nothing provides|conflicting requests|PackagesNotFoundError|UnsatisfiableError|encountered problems while solving/i,
    'The environment could not be solved: check the specs and channels of the environment file (and the `condarc` input for mirrors or private channels); `mode: plan` prints what is hashed.',
  ],
  [
    /No matching distribution|pip.*(error|failed)|ResolutionImpossible/i,
    'pip could not install a requirement: check the pip entries and their index (private indexes: pass a pip config as the secret `pip_conf` with `secret-files`).',
  ],
  // A refused login or push: the advice of the registry's row in src/image/registry-hosts.ts.
  [
    /401|unauthori[sz]ed|authentication required|rejected the credentials|requires authentication/i,
    (r) => `The registry${r.host ? ` ${r.host}` : ''} refused the credentials: ${r.advice.credential}.`,
  ],
  [/403|denied|forbidden|lack permission/i, (r) => `The credentials lack permission to push${r.host ? ` to ${r.host}` : ''}: ${r.advice.permission.push}.`],
  [/secret .*not found|--secret|ssh/i, 'Check the `secrets`, `secret-files`, `secret-envs` and `ssh` inputs: the Dockerfile mounts an id that was not given.'],
]

/** Of the run's registries, the one the text names (else the first); its advice from the table. */
function refusing(text: string, registries: readonly string[]): Refusing {
  const lower = text.toLowerCase()
  const named = registries.find((r) => r !== '' && lower.includes(hostOnly(r))) ?? registries.find((r) => r !== '')
  return named ? { host: named, advice: registryAdvice(named) } : { host: '', advice: registryAdvice('') }
}

/** What to try, from the message and the log (at most three hints); `registries`: see FailureContext. */
export function failureHints(text: string, userError: boolean, registries: readonly string[] = []): string[] {
  const out = HINTS.filter(([re]) => re.test(text)).map(([, h]) => (typeof h === 'string' ? h : h(refusing(text, registries))))
  if (out.length === 0)
    out.push(
      userError
        ? 'Fix the input or file named above and run the job again.'
        : 'This looks like a fault of the runner, the registry or the action: run the job again; if it persists, open an issue with this log.',
    )
  return out.slice(0, 3)
}

function where(e: unknown, ctx: FailureContext): { text?: string; annotation: Omit<FailureAnnotation, 'message'>; template: boolean } {
  if (!isUserError(e) || !e.file) return { annotation: {}, template: false }
  const lineText = e.line !== undefined ? ` line ${e.line}` : ''
  if (ctx.templatePath !== undefined && path.resolve(e.file) === path.resolve(ctx.templatePath)) {
    // The template is the action's, not the user's: the annotation goes on the environment
    // file it was installing, and the message names the template's line.
    const env = ctx.environmentFile ? relative(ctx.environmentFile, ctx.workspace) : undefined
    return {
      text: `the bundled base template (conda-image-action's templates/${path.basename(ctx.templatePath)}${lineText}${env ? `), installing ${env}` : ')'}`,
      annotation: env ? { file: env } : {},
      template: true,
    }
  }
  const file = relative(e.file, ctx.workspace)
  return { text: `${file}${lineText}`, annotation: { file, line: e.line, column: e.column }, template: false }
}

/** The failure as the report shows it, and the one annotation of the step. */
export function describeFailure(e: unknown, ctx: FailureContext): { info: FailureInfo; annotation: FailureAnnotation } {
  const user = isUserError(e)
  const raw = redactText(errorMessage(e), ctx.masks)
  const lines = raw.split('\n')
  const head = lines[0]!.slice(0, 1000)
  const log = lines
    .slice(1)
    .filter((l) => l.trim() !== '' && !/^last \d+ lines? of its output:$/.test(l.trim()))
    .map((l) => (l.length > LINE_CHARS ? `${l.slice(0, LINE_CHARS)}…` : l))
    .slice(-LOG_LINES)
  const w = where(e, ctx)
  const info: FailureInfo = {
    phase: ctx.phase ?? 'Inputs',
    message: head,
    where: w.text,
    template: w.template || undefined,
    log,
    hints: failureHints(raw, user, ctx.registries),
    userError: user,
  }
  const prefix = user ? '' : 'conda-image-action failed: '
  const inTemplate = w.template ? ` (in ${w.text})` : ''
  const annotation: FailureAnnotation = {
    message: annotationText(`${prefix}${head}${inTemplate}`, log, user ? Infinity : ANNOTATION_HEAD_CHARS),
    ...w.annotation,
  }
  return { info, annotation }
}

/**
 * The `::error` message: a few short lines — what failed and the last lines of its output.
 * The job summary is the place for the excerpt (LOG_LINES lines) and what to try. A user
 * error's first line is its whole message (what to change, up to 1,000 characters); another
 * failure's is cut at ANNOTATION_HEAD_CHARS (BuildKit repeats the whole command there).
 */
function annotationText(first: string, log: readonly string[], headChars: number): string {
  const cut = (l: string, n: number) => (l.length > n ? `${l.slice(0, n - 1)}…` : l)
  const tail = log.slice(-ANNOTATION_LOG_LINES).map((l) => cut(l.trim(), ANNOTATION_LINE_CHARS))
  const more = log.length > tail.length ? ['(more of the log and what to try: the job summary)'] : []
  return [cut(first, headChars), ...tail, ...more].join('\n')
}
