// Phases run as timed log groups; the timings go into the report.

import { errorMessage, isUserError } from '../vocabulary/user-error.js'
import type { Clock, LogSink } from '../ports/index.js'
import { isRunEnded } from '../registry/index.js'
import type { PhaseTiming } from '../run/state.js'

/** Work started before the phase that waits for it (the tag list, the push checks): when it started and settled. */
export interface Tracked<T> {
  readonly promise: Promise<T>
  readonly startMs: number
  /** Set when it settled. */
  readonly endMs: () => number | undefined
}

export class PhaseTimer {
  readonly list: PhaseTiming[] = []
  /** The phase running now (named in the report of a failure). */
  current?: string
  constructor(
    private readonly log: LogSink,
    private readonly clock: Clock,
  ) {}

  /** Starts timing work that runs in the background until a phase waits for it. */
  track<T>(start: () => Promise<T>): Tracked<T> {
    const startMs = this.clock.monotonicMs()
    let end: number | undefined
    const promise = start()
    const settle = () => {
      end = this.clock.monotonicMs()
    }
    promise.then(settle, settle)
    return { promise, startMs, endMs: () => end }
  }

  /**
   * Runs the phase `name`. With `work` (started earlier), the phase's own time is the work's,
   * from its start to when it settled, and the phases it ran alongside are named.
   */
  async run<T>(name: string, f: () => Promise<T>, work?: Pick<Tracked<unknown>, 'startMs' | 'endMs'>): Promise<T> {
    this.current = name
    const start = this.clock.monotonicMs()
    try {
      return await this.log.group(name, f)
    } finally {
      const end = this.clock.monotonicMs()
      this.list.push(phaseTiming(name, start, end, work && { startMs: work.startMs, endMs: work.endMs() ?? end }, this.list))
    }
  }
}

/**
 * A phase's timing: its own time is the union of its work started earlier and the phase
 * itself (the work's time, plus what the phase did after the work settled); the phases
 * that ran while its work was under way are named.
 */
export function phaseTiming(
  name: string,
  start: number,
  end: number,
  work: { readonly startMs: number; readonly endMs: number } | undefined,
  before: readonly PhaseTiming[],
): PhaseTiming {
  if (!work || work.startMs >= start) return { name, ms: Math.round(end - start), startMs: start, endMs: end }
  const workEnd = Math.min(work.endMs, end)
  const ms = workEnd - work.startMs + (end - Math.max(start, workEnd))
  // The phases that ran while the work was under way (started before it settled, ended after it started).
  const overlapped = before.filter((p) => p.startMs !== undefined && p.endMs !== undefined && p.endMs > work.startMs && p.startMs < workEnd).map((p) => p.name)
  return { name, ms: Math.round(ms), startMs: work.startMs, endMs: end, ...(overlapped.length ? { overlapped } : {}) }
}

/**
 * Runs `f`; a failure that is not the user's becomes a warning ("Could not <what>") and
 * undefined. A read the end of the run cut short (a run that failed before it needed it) is
 * no warning.
 */
export async function tolerate<T>(log: Pick<LogSink, 'warning'>, what: string, f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f()
  } catch (e) {
    if (isUserError(e)) throw e
    if (isRunEnded(e)) return undefined
    log.warning(`Could not ${what}: ${errorMessage(e)}`)
    return undefined
  }
}
