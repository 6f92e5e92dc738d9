// Build progress: counts cached / total Dockerfile steps, times them, spots a failed cache
// export, and renders a human-readable log (like `--progress=plain`) while the build runs.
//
// Input is either `--progress=rawjson` (a stream of pretty-printed JSON SolveStatus objects,
// see json-stream.ts) or, as a fallback, `--progress=plain` text. Both are consumed
// incrementally; memory is bounded by the number of vertices, not the size of the output
// (per vertex only the last few log lines are kept, for error messages).
//
// What counts as a step: a vertex whose name is `[n/m] …` or `[<prefix> n/m] …` (prefix = stage
// name and/or platform, e.g. `[base 2/4] RUN …`, `[stage-1 3/3] COPY …`,
// `[linux/arm64 build 2/5] RUN …`). Not counted: `[internal] …`, `[auth] …`, exporting,
// pushing, cache import/export — and the `FROM` step (`[x 1/n] FROM image@digest`). FROM is
// image resolution / pull, not build work: BuildKit reports it `cached` whenever the image is
// already in the local store — even on a cold build (observed on buildx 0.13.1) — and not
// cached after a registry cache import, so counting it would only make the ratio noisier.
// A stage built `FROM` another stage has no FROM vertex at all (`[build 1/2] RUN …`), which
// is why FROM is recognised by its instruction, never by its number.
// Steps that never started (the build failed earlier) are not counted either.

import type { BuildStepTiming } from '../report/model.js'
import { JsonObjectSplitter } from './json-stream.js'

/** Lines of a vertex's own log kept for the error message of a failed build. */
const LOG_TAIL_LINES = 20
/** Lines of text (non-progress) output kept, e.g. buildx's final `ERROR: …` and Dockerfile excerpt. */
const TEXT_TAIL_LINES = 40

const STEP_NAME = /^\[(?:[^\]]*\s)?(\d+)\/(\d+)\]\s+(\S+)/
const CACHE_EXPORT_NAME = /^exporting cache\b/i
/** Cache import and export vertices: their errors never fail a build (a missing cache is normal). */
const CACHE_IO_NAME = /^(?:exporting cache|importing cache manifest)\b/i
/** A registry cache import: `importing cache manifest from <ref>`. */
const CACHE_IMPORT_NAME = /^importing cache manifest from (\S+)/i

/**
 * Whether a cache import error only says there is no cache yet (the first build of a ref):
 * BuildKit's `failed to configure registry cache importer: <ref>: not found`. Any other import
 * error (a refused blob, a denied read) lost the build the cache it asked for.
 */
function noCacheYet(ref: string, error: string): boolean {
  return error.endsWith(`${ref}: not found`)
}
const CANCELED = /context canceled|^canceled$/i

/** Whether a vertex name is a Dockerfile step that counts (see the file comment). */
export function isStepVertexName(name: string): boolean {
  const instruction = STEP_NAME.exec(name)?.[3]
  return instruction !== undefined && instruction.toUpperCase() !== 'FROM'
}

/** RFC 3339 timestamp (nanosecond fractions as BuildKit writes them) → epoch ms, sub-ms kept. */
export function parseTimestamp(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s)
  const [, seconds, fraction, zone] = m ?? []
  if (seconds === undefined || zone === undefined) return undefined
  const whole = Date.parse(seconds + zone)
  if (Number.isNaN(whole)) return undefined
  const frac = fraction ? Number(`0.${fraction}`) * 1000 : 0
  return whole + frac
}

export interface ProgressResult {
  cachedSteps: number
  totalSteps: number
  steps: BuildStepTiming[]
  /** Set when the registry cache export failed (the build itself went on: `ignore-error=true`). */
  cacheExportError?: string
  /** Registry caches BuildKit tried to import and could not for a reason other than "none yet" (the build ran without them). */
  cacheImportErrors?: readonly CacheImportError[]
}

/** A registry cache the build asked for and BuildKit did not import. */
export interface CacheImportError {
  readonly ref: string
  readonly error: string
}

/** What went wrong in a failed build, as far as the progress tells. */
export interface ProgressFailure {
  /** Name of the vertex that failed (a Dockerfile step, or e.g. `[internal] load metadata …`). */
  vertex?: string
  /** True when the failed vertex is a Dockerfile step. */
  inStep: boolean
  error?: string
  /** Last lines of the failed vertex's own output. */
  logTail: string[]
  /** Last lines of buildx's text output (the Dockerfile excerpt, `ERROR: failed to solve: …`). */
  textTail: string[]
  /** `Dockerfile:<line>` from buildx's excerpt: the failure is located in the Dockerfile. */
  dockerfileLine?: number
}

interface Vertex {
  /** `#n` of the log, assigned when the vertex is first shown (0 until then), like the plain printer. */
  index: number
  name?: string
  started?: number
  completed?: number
  /** Order of first appearance. */
  readonly order: number
  cached: boolean
  error?: string
  announced: boolean
  cachedLogged: boolean
  endLogged: boolean
  tail: string[]
}

class Ring {
  readonly items: string[] = []
  constructor(private readonly size: number) {}
  push(line: string): void {
    this.items.push(line)
    if (this.items.length > this.size) this.items.shift()
  }
}

function pushTail(tail: string[], line: string): void {
  tail.push(line)
  if (tail.length > LOG_TAIL_LINES) tail.shift()
}

function fmtSeconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(1) + 's'
}

/** Shared bookkeeping of both trackers: vertices in order of appearance, text tail. */
abstract class TrackerBase {
  onLog?: (line: string) => void
  protected readonly vertices = new Map<string, Vertex>()
  protected readonly text = new Ring(TEXT_TAIL_LINES)
  protected cacheExportError?: string
  private prevText = ''
  private dockerfileLine?: number

  private shown = 0
  private seen = 0

  protected vertex(key: string): Vertex {
    let v = this.vertices.get(key)
    if (!v) {
      v = { index: 0, order: ++this.seen, cached: false, announced: false, cachedLogged: false, endLogged: false, tail: [] }
      this.vertices.set(key, v)
    }
    return v
  }

  /** The vertex's `#n`, numbering it now if it has none yet. */
  protected num(v: Vertex): number {
    if (v.index === 0) v.index = ++this.shown
    return v.index
  }

  protected log(line: string): void {
    this.onLog?.(line)
  }

  protected textLine(line: string): void {
    this.text.push(line)
    // buildx locates a failure in the Dockerfile as `<file>:<line>` followed by a dashed rule.
    if (/^-{8,}$/.test(line)) {
      const m = /^\S.*:(\d+)$/.exec(this.prevText)
      if (m) this.dockerfileLine = Number(m[1])
    }
    this.prevText = line
    this.log(line)
  }

  result(): ProgressResult {
    // Dockerfile order as far as it can be known: stages in the order they started (first
    // appearance on ties), steps by their number within a stage.
    const steps: { v: Vertex; stage: string; n: number }[] = []
    const stageStart = new Map<string, [number, number]>()
    for (const v of this.vertices.values()) {
      if (!v.name || !isStepVertexName(v.name)) continue
      if (v.started === undefined && v.completed === undefined && !v.cached && v.error === undefined) continue
      const m = STEP_NAME.exec(v.name)!
      const stage = /^\[(.*?)\s*\d+\/\d+\]/.exec(v.name)?.[1] ?? ''
      steps.push({ v, stage, n: Number(m[1]) })
      const at = stageStart.get(stage)
      const started = v.started ?? Number.POSITIVE_INFINITY
      if (!at || started < at[0] || (started === at[0] && v.order < at[1])) stageStart.set(stage, [started, v.order])
    }
    steps.sort((a, b) => {
      const sa = stageStart.get(a.stage)!
      const sb = stageStart.get(b.stage)!
      return sa[0] - sb[0] || sa[1] - sb[1] || a.n - b.n || a.v.order - b.v.order
    })
    const out: BuildStepTiming[] = steps.map(({ v }) => ({
      name: v.name ?? '',
      cached: v.cached,
      durationMs: this.durationOf(v),
    }))
    const result: ProgressResult = {
      cachedSteps: out.filter((s) => s.cached).length,
      totalSteps: out.length,
      steps: out,
    }
    if (this.cacheExportError !== undefined) result.cacheExportError = this.cacheExportError
    const imports = this.cacheImportErrors()
    if (imports.length > 0) result.cacheImportErrors = imports
    return result
  }

  protected durationOf(v: Vertex): number {
    return v.started !== undefined && v.completed !== undefined ? Math.max(0, Math.round(v.completed - v.started)) : 0
  }

  /** The last lines of text (non-progress) output, e.g. buildx's own error messages. */
  textTail(): string[] {
    return [...this.text.items]
  }

  /** The cache imports that failed for a reason other than "no cache yet", one per ref, in order. */
  private cacheImportErrors(): CacheImportError[] {
    const out = new Map<string, string>()
    for (const v of this.vertices.values()) {
      const ref = v.name === undefined ? undefined : CACHE_IMPORT_NAME.exec(v.name)?.[1]
      if (ref === undefined || v.error === undefined || noCacheYet(ref, v.error) || CANCELED.test(v.error) || out.has(ref)) continue
      out.set(ref, v.error)
    }
    return [...out].map(([ref, error]) => ({ ref, error }))
  }

  /** Whether a cache export vertex appeared (i.e. the builder did try to export). */
  cacheExportSeen(): boolean {
    for (const v of this.vertices.values()) if (v.name && CACHE_EXPORT_NAME.test(v.name)) return true
    return false
  }

  /** The failure, if a vertex failed or buildx printed an error; undefined otherwise. */
  failure(): ProgressFailure | undefined {
    let failed: Vertex | undefined
    let canceled: Vertex | undefined
    for (const v of this.vertices.values()) {
      if (v.error === undefined || (v.name && CACHE_IO_NAME.test(v.name))) continue
      if (CANCELED.test(v.error)) {
        canceled ??= v
        continue
      }
      // Prefer a failed Dockerfile step over anything else that failed with it.
      if (!failed || (v.name && isStepVertexName(v.name) && !(failed.name && isStepVertexName(failed.name)))) failed = v
    }
    failed ??= canceled
    const textTail = [...this.text.items]
    if (!failed && this.dockerfileLine === undefined && !textTail.some((l) => /^ERROR\b/.test(l))) return undefined
    const f: ProgressFailure = {
      inStep: failed?.name !== undefined && STEP_NAME.test(failed.name),
      logTail: failed ? [...failed.tail] : [],
      textTail,
    }
    if (failed?.name !== undefined) f.vertex = failed.name
    if (failed?.error !== undefined) f.error = failed.error
    if (this.dockerfileLine !== undefined) f.dockerfileLine = this.dockerfileLine
    return f
  }
}

interface RawVertex {
  digest?: unknown
  name?: unknown
  started?: unknown
  completed?: unknown
  cached?: unknown
  error?: unknown
}
interface RawStatus {
  id?: unknown
  vertex?: unknown
  completed?: unknown
  started?: unknown
}
interface RawLog {
  vertex?: unknown
  stream?: unknown
  data?: unknown
  timestamp?: unknown
}
interface RawWarning {
  vertex?: unknown
  short?: unknown
}

function decodeBase64(data: unknown): string {
  if (typeof data !== 'string') return ''
  return Buffer.from(data, 'base64').toString('utf8')
}

/**
 * Streaming parser of `--progress=rawjson`: `write` chunks as they arrive (split anywhere),
 * `end` at the end; `onLog` receives the human-readable log as it goes.
 */
export class ProgressTracker extends TrackerBase {
  private readonly splitter = new JsonObjectSplitter({
    object: (o) => this.event(o),
    text: (l) => this.textLine(l),
  })
  /** Unterminated log line per vertex+stream. */
  private readonly partial = new Map<string, { digest: string; text: string; timestamp?: number }>()
  private readonly statusDone = new Set<string>()

  write(chunk: string): void {
    this.splitter.write(chunk)
  }

  end(): void {
    this.splitter.end()
    for (const key of [...this.partial.keys()]) this.flushPartial(key)
  }

  private event(o: unknown): void {
    if (typeof o !== 'object' || o === null) return
    const ev = o as { vertexes?: unknown; statuses?: unknown; logs?: unknown; warnings?: unknown }
    if (Array.isArray(ev.vertexes)) {
      // One event can carry several updates of a vertex (e.g. completed, then started again):
      // merge them all first, then show the state the event ends in.
      const touched = new Set<string>()
      for (const v of ev.vertexes as RawVertex[]) {
        const digest = this.mergeVertex(v)
        if (digest !== undefined) touched.add(digest)
      }
      for (const digest of touched) this.showVertex(digest)
    }
    if (Array.isArray(ev.statuses)) for (const s of ev.statuses as RawStatus[]) this.onStatus(s)
    if (Array.isArray(ev.logs)) for (const l of ev.logs as RawLog[]) this.onLogEntry(l)
    if (Array.isArray(ev.warnings)) for (const w of ev.warnings as RawWarning[]) this.onWarning(w)
  }

  /** Merges one vertex update (later updates win, field by field); returns its digest. */
  private mergeVertex(raw: RawVertex): string | undefined {
    if (typeof raw !== 'object' || raw === null || typeof raw.digest !== 'string') return undefined
    const v = this.vertex(raw.digest)
    if (typeof raw.name === 'string') v.name = raw.name
    const started = parseTimestamp(raw.started)
    const completed = parseTimestamp(raw.completed)
    if (started !== undefined) {
      // Started again without a completion: it is running again (BuildKit does this for
      // `[internal] load build definition`), so an earlier completion no longer holds.
      if (completed === undefined && v.started !== started) v.completed = undefined
      v.started = started
    }
    if (completed !== undefined) v.completed = completed
    if (typeof raw.cached === 'boolean') v.cached = raw.cached
    if (typeof raw.error === 'string' && raw.error !== '') v.error = raw.error
    return raw.digest
  }

  private showVertex(digest: string): void {
    const v = this.vertex(digest)
    if (!v.announced && (v.started !== undefined || v.cached || v.error !== undefined)) {
      v.announced = true
      this.log(`#${this.num(v)} ${v.name ?? digest}`)
    }
    if (v.cached && !v.cachedLogged) {
      v.cachedLogged = true
      this.flushVertexPartials(digest)
      this.log(`#${this.num(v)} CACHED`)
    }
    if (v.error !== undefined && v.name && CACHE_EXPORT_NAME.test(v.name)) this.cacheExportError ??= v.error
    if (!v.endLogged && (v.error !== undefined || (v.completed !== undefined && !v.cached))) {
      v.endLogged = true
      this.flushVertexPartials(digest)
      if (v.error !== undefined) this.log(CANCELED.test(v.error) ? `#${this.num(v)} CANCELED` : `#${this.num(v)} ERROR: ${v.error}`)
      else this.log(`#${this.num(v)} DONE ${fmtSeconds(this.durationOf(v))}`)
    }
  }

  private onStatus(s: RawStatus): void {
    if (typeof s !== 'object' || s === null || typeof s.vertex !== 'string' || typeof s.id !== 'string') return
    const completed = parseTimestamp(s.completed)
    if (completed === undefined) return
    const key = `${s.vertex}\u0000${s.id}`
    if (this.statusDone.has(key)) return
    this.statusDone.add(key)
    const v = this.vertex(s.vertex)
    const started = parseTimestamp(s.started)
    const took = started !== undefined && completed - started >= 50 ? ` ${fmtSeconds(completed - started)}` : ''
    this.log(`#${this.num(v)} ${s.id}${took} done`)
  }

  private onLogEntry(l: RawLog): void {
    if (typeof l !== 'object' || l === null || typeof l.vertex !== 'string') return
    const key = `${l.vertex}\u0000${typeof l.stream === 'number' ? l.stream : ''}`
    const ts = parseTimestamp(l.timestamp)
    const text = (this.partial.get(key)?.text ?? '') + decodeBase64(l.data)
    const lines = text.split('\n')
    const rest = lines.pop() ?? ''
    for (const line of lines) this.logLine(l.vertex, line.replace(/\r$/, ''), ts)
    if (rest === '') this.partial.delete(key)
    else this.partial.set(key, { digest: l.vertex, text: rest, timestamp: ts })
  }

  private onWarning(w: RawWarning): void {
    if (typeof w !== 'object' || w === null) return
    const short = decodeBase64(w.short).trim() || (typeof w.short === 'string' ? w.short : '')
    const v = typeof w.vertex === 'string' ? this.vertices.get(w.vertex) : undefined
    this.log(v ? `#${this.num(v)} WARN: ${short}` : `WARNING: ${short}`)
    if ((v?.name && CACHE_EXPORT_NAME.test(v.name)) || (/cache/i.test(short) && /export/i.test(short))) {
      this.cacheExportError ??= short
    }
  }

  private logLine(digest: string, line: string, ts?: number): void {
    const v = this.vertex(digest)
    pushTail(v.tail, line)
    const at = ts !== undefined && v.started !== undefined ? ` ${((ts - v.started) / 1000).toFixed(3)}` : ''
    this.log(`#${this.num(v)}${at} ${line}`)
  }

  private flushVertexPartials(digest: string): void {
    for (const [key, p] of this.partial) if (p.digest === digest) this.flushPartial(key)
  }

  private flushPartial(key: string): void {
    const p = this.partial.get(key)
    if (!p) return
    this.partial.delete(key)
    this.logLine(p.digest, p.text.replace(/\r$/, ''), p.timestamp)
  }
}

/**
 * Streaming parser of `--progress=plain` output (the fallback): `#<n> <name>` opens a vertex,
 * `#<n> CACHED` / `#<n> DONE 1.2s` / `#<n> ERROR: …` / `#<n> CANCELED` close it, other
 * `#<n> …` lines are its log. Lines are passed to `onLog` unchanged.
 */
export class PlainProgressTracker extends TrackerBase {
  private line = ''

  write(chunk: string): void {
    let i = 0
    for (;;) {
      const nl = chunk.indexOf('\n', i)
      if (nl < 0) {
        this.line += chunk.slice(i)
        return
      }
      this.onLine(this.line + chunk.slice(i, nl))
      this.line = ''
      i = nl + 1
    }
  }

  end(): void {
    if (this.line !== '') this.onLine(this.line)
    this.line = ''
  }

  private onLine(raw: string): void {
    const line = raw.replace(/\r$/, '')
    const [, id, rest] = /^#(\d+) (.*)$/.exec(line) ?? []
    if (id === undefined || rest === undefined) {
      if (line.trim() !== '') this.textLine(line)
      return
    }
    this.log(line)
    const known = this.vertices.has(id)
    const v = this.vertex(id)
    if (!known) {
      v.name = rest
      v.announced = true
      return
    }
    if (rest === v.name) return // the printer repeats the name when it switches back to a vertex
    let d: RegExpExecArray | null
    if (rest === 'CACHED') {
      v.cached = true
      v.started ??= 0
      v.completed ??= 0
    } else if ((d = /^DONE (\d+(?:\.\d+)?)s$/.exec(rest))) {
      v.started = 0
      v.completed = Number(d[1]) * 1000
    } else if (rest === 'CANCELED') {
      v.error = 'canceled'
    } else if ((d = /^ERROR: (.*)$/.exec(rest))) {
      const error = d[1] ?? ''
      v.error = error
      v.started ??= 0
      if (v.name && CACHE_EXPORT_NAME.test(v.name)) this.cacheExportError ??= error
    } else {
      // A log line: `#6 0.151 output` (or a status line); keep it without the elapsed time.
      pushTail(v.tail, rest.replace(/^\d+\.\d+ /, ''))
    }
  }
}

/** Counts and step timings from a complete `--progress=plain` output (the fallback). */
export function parsePlainProgress(text: string): { cachedSteps: number; totalSteps: number; steps: BuildStepTiming[] } {
  const t = new PlainProgressTracker()
  t.write(text)
  t.end()
  const { cachedSteps, totalSteps, steps } = t.result()
  return { cachedSteps, totalSteps, steps }
}
