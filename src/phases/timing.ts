// Phases run as timed log groups; the timings go into the report.

import { errorMessage, isUserError } from '../errors.js'
import type { Clock, LogSink } from '../ports/index.js'
import { isRunEnded } from '../registry/index.js'
import type { PhaseTiming } from '../state.js'

export class PhaseTimer {
  readonly list: PhaseTiming[] = []
  /** The phase running now (named in the report of a failure). */
  current?: string
  constructor(
    private readonly log: LogSink,
    private readonly clock: Clock,
  ) {}

  async run<T>(name: string, f: () => Promise<T>): Promise<T> {
    this.current = name
    const start = this.clock.monotonicMs()
    try {
      return await this.log.group(name, f)
    } finally {
      this.list.push({ name, ms: Math.round(this.clock.monotonicMs() - start) })
    }
  }
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
