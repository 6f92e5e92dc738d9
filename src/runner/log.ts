// The one log sink of a run: every message goes through it. Warnings become annotations
// (with file and line when known) and are collected for the report; they are deduplicated
// and capped per kind, so the log stays bounded whatever the input.

import { randomBytes } from 'node:crypto'
import { debug, error, group, info, notice, setSecret, warning, type AnnotationProperties } from './workflow-commands.js'
import { maskSecrets, redact } from '../text/redact.js'
import { inertLines, visible } from '../text/visible.js'

/** Where a message points: an annotation on this file and line. */
export interface Where {
  readonly file?: string
  readonly line?: number
  readonly column?: number
}

export interface WarningOptions extends Where {
  /** Warnings of one kind are capped together (default: the message up to its first ':' or '('). */
  readonly kind?: string
}

/** The annotation commands of the runner (workflow commands), as a port. */
export interface Annotator {
  info(m: string): void
  /** A line a program printed (build output), shown as it is: it starts no workflow command. */
  output(line: string): void
  debug(m: string): void
  notice(m: string, where?: Where): void
  warning(m: string, where?: Where): void
  error(m: string, where?: Where): void
  group<T>(name: string, f: () => Promise<T>): Promise<T>
}

/** The annotator that writes the job log, and masks values in it (a mask must not fall inside a stop). */
export interface RunnerLog extends Annotator {
  mask(secret: string): void
}

/**
 * The one logger type. A module that logs takes a Log, or the part of it that it needs
 * (`Pick<Log, 'info' | 'warning'>`); the run's LogSink is the Log every phase hands down.
 */
export interface Log {
  info(m: string): void
  debug(m: string): void
  notice(m: string, where?: Where): void
  /** An annotation, collected for the report; duplicates dropped, the first WARNINGS_PER_KIND of a kind kept. */
  warning(m: string, opts?: WarningOptions): void
}

export interface LogSink extends Log {
  /** A line a program printed (build output), shown as it is: it starts no workflow command. */
  output(line: string): void
  error(m: string, where?: Where): void
  group<T>(name: string, f: () => Promise<T>): Promise<T>
  /** Every warning kept so far, plus one "and N more" line per capped kind. */
  warnings(): string[]
  /** Annotates the "and N more" lines (once per kind and count) and returns warnings(). */
  flush(): string[]
}

/** Warnings of one kind shown before the rest are counted. */
export const WARNINGS_PER_KIND = 20

/**
 * The kind of a warning: its text up to the first ':' or '(', with the words that name
 * things (paths, numbers, quoted values) replaced by '…' — so one warning per line of a
 * hostile file is one kind (at most 80 characters).
 */
export function warningKind(m: string): string {
  const cut = m.search(/[:(]/)
  const head = (cut > 0 ? m.slice(0, cut) : m).trim()
  return head
    .split(/\s+/)
    .map((w) => (/[\d/\\.'"`@=]/.test(w) ? '…' : w))
    .join(' ')
    .slice(0, 80)
}

/**
 * The runner's workflow commands as the annotator (file/line become `file=`/`line=`
 * annotation properties): the one way the action writes to the job log. Every message goes
 * through the one redaction function (credentials in URLs and pip options) and is made
 * visible and inert (src/text/visible.ts); program output goes between the runner's
 * `::stop-commands::<token>` and `::<token>::` (see `commandsStopped`).
 */
export function runnerAnnotator(write: (line: string) => void = info, token: () => string = randomToken): RunnerLog {
  const stopped = commandsStopped(write, token)
  // An annotation's message may span lines (the protocol writer escapes LF).
  const says =
    <A extends unknown[]>(f: (m: string, ...a: A) => void) =>
    (m: string, ...a: A): void => {
      stopped.resume()
      f(visible(clean(m), true), ...a)
    }
  return {
    mask: (secret) => {
      stopped.resume()
      setSecret(secret)
    },
    info: (m) => {
      stopped.resume()
      for (const l of inertLines(clean(m))) write(l)
    },
    output: (line) => stopped.write(clean(line)),
    debug: says((m) => debug(m)),
    notice: says((m, w?: Where) => notice(m, props(w))),
    warning: says((m, w?: Where) => warning(m, props(w))),
    error: says((m, w?: Where) => error(m, props(w))),
    group: async (name, f) => {
      stopped.resume()
      return group(visible(clean(name)), async () => {
        try {
          return await f()
        } finally {
          stopped.resume()
        }
      })
    },
  }
}

/** The one cleaning of every line: masked values, then credentials in URLs and pip options. */
function clean(m: string): string {
  return redact(maskSecrets(m))
}

/** 128 random bits: a stop token no output can guess. */
function randomToken(): string {
  return randomBytes(16).toString('hex')
}

/**
 * Program output between `::stop-commands::<token>` and `::<token>::`: the runner runs no
 * command in between but the one that ends the stop. The stop starts at the first line and
 * ends before the action writes anything else (its own commands must run). A line that holds
 * the token — the only text that could end the stop early — is written under a fresh token,
 * and CR (which ends a line for the runner) and LF are written `\r`/`\n`.
 */
export function commandsStopped(write: (line: string) => void, token: () => string): { write(line: string): void; resume(): void } {
  let current: string | undefined
  const stop = (): void => {
    current = token()
    write(`::stop-commands::${current}`)
  }
  const resume = (): void => {
    if (current !== undefined) write(`::${current}::`)
    current = undefined
  }
  return {
    write(line) {
      const shown = line.replace(/\r/g, '\\r').replace(/\n/g, '\\n')
      if (current === undefined) stop()
      while (shown.toLowerCase().includes(current!.toLowerCase())) {
        resume()
        stop()
      }
      write(shown)
    },
    resume,
  }
}

/** The job log of this process (one stdout: one stop state). */
export const runnerLog: RunnerLog = runnerAnnotator()

function props(w: Where | undefined): AnnotationProperties {
  if (!w?.file) return {}
  return { file: visible(redact(w.file)), startLine: w.line, startColumn: w.line !== undefined ? w.column : undefined }
}

export function logSink(out: Annotator = runnerLog, perKind = WARNINGS_PER_KIND): LogSink {
  const seen = new Set<string>()
  const kept: string[] = []
  const counts = new Map<string, number>()
  const dropped = new Map<string, number>()
  const flushed = new Map<string, number>()
  return {
    info: (m) => out.info(m),
    output: (line) => out.output(line),
    debug: (m) => out.debug(m),
    notice: (m, w) => out.notice(m, w),
    error: (m, w) => out.error(m, w),
    group: (name, f) => out.group(name, f),
    warning(m, opts = {}) {
      const key = `${opts.file ?? ''}:${opts.line ?? ''}:${m}`
      if (seen.has(key)) return
      seen.add(key)
      const kind = opts.kind ?? warningKind(m)
      const n = (counts.get(kind) ?? 0) + 1
      counts.set(kind, n)
      if (n > perKind) {
        dropped.set(kind, (dropped.get(kind) ?? 0) + 1)
        if (n === perKind + 1) out.info(`More warnings like "${kind}" follow; they are counted, not shown`)
        return
      }
      kept.push(m)
      out.warning(m, opts)
    },
    warnings() {
      return [...kept, ...[...dropped].map(([kind, n]) => moreLine(kind, n))]
    },
    flush() {
      for (const [kind, n] of dropped) {
        if (flushed.get(kind) !== n) out.warning(moreLine(kind, n))
        flushed.set(kind, n)
      }
      return this.warnings()
    },
  }
}

function moreLine(kind: string, n: number): string {
  return `… and ${n} more warning${n === 1 ? '' : 's'} like "${kind}"`
}
