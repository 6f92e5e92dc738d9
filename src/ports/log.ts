// The one log sink of a run: every message goes through it. Warnings become annotations
// (with file and line when known) and are collected for the report; they are deduplicated
// and capped per kind, so the log stays bounded whatever the input.

import * as core from './workflow-commands.js'
import { maskSecrets, redact } from '../redact.js'

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
  debug(m: string): void
  notice(m: string, where?: Where): void
  warning(m: string, where?: Where): void
  error(m: string, where?: Where): void
  group<T>(name: string, f: () => Promise<T>): Promise<T>
}

export interface LogSink {
  info(m: string): void
  debug(m: string): void
  notice(m: string, where?: Where): void
  /** An annotation, collected for the report; duplicates dropped, the first WARNINGS_PER_KIND of a kind kept. */
  warning(m: string, opts?: WarningOptions): void
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

/** The runner's workflow commands as the annotator (file/line become `file=`/`line=` annotation properties). */
// Every line goes through the one redaction function (credentials in URLs and pip options).
const coreAnnotator: Annotator = {
  info: (m) => core.info(redact(maskSecrets(m))),
  debug: (m) => core.debug(redact(maskSecrets(m))),
  notice: (m, w) => core.notice(redact(maskSecrets(m)), props(w)),
  warning: (m, w) => core.warning(redact(maskSecrets(m)), props(w)),
  error: (m, w) => core.error(redact(maskSecrets(m)), props(w)),
  group: (name, f) => core.group(name, f),
}

function props(w: Where | undefined): core.AnnotationProperties {
  if (!w?.file) return {}
  return { file: w.file, startLine: w.line, startColumn: w.line !== undefined ? w.column : undefined }
}

export function logSink(out: Annotator = coreAnnotator, perKind = WARNINGS_PER_KIND): LogSink {
  const seen = new Set<string>()
  const kept: string[] = []
  const counts = new Map<string, number>()
  const dropped = new Map<string, number>()
  const flushed = new Map<string, number>()
  return {
    info: (m) => out.info(m),
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
