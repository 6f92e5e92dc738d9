// The typed state a run carries from phase to phase. Each phase reads what earlier phases
// produced and returns its own part; `main` composes them. Nothing here is mutable.

import type { RunContext } from '../context/run-context.js'
import type { Fingerprint } from '../hash/index.js'
import type { Options } from './options.js'
import type { LookupResult, RunPlan } from './run-plan.js'
import type { Stores } from '../ports/index.js'
import type { ImageName } from '../image/reference.js'
import type { SmokeResult } from './smoke-plan.js'
import type { BuildReport, ChangedBytes, EnvChange, ImageSize, LayersReport, PackagesReport, RetentionReport, SbomAttached } from '../report/model.js'

/** Everything known once the plan is made (the input of every later phase). */
export interface RunState {
  readonly env: NodeJS.ProcessEnv
  readonly ctx: RunContext
  readonly opts: Options
  /** The target platforms (the runner's own when `platforms` is empty). */
  readonly platforms: readonly string[]
  readonly fp: Fingerprint
  readonly stores: Stores
  readonly lookup: LookupResult
  readonly plan: RunPlan
  /** Timed phases so far (for the report). */
  readonly phases: readonly PhaseTiming[]
}

export interface PhaseTiming {
  readonly name: string
  /** The phase's own time: for work started earlier, from its start to when it settled. */
  readonly ms: number
  /** Monotonic start and end (for the wall-clock total). */
  readonly startMs?: number
  readonly endMs?: number
  /** The phases its work ran alongside. */
  readonly overlapped?: readonly string[]
}

/** Registers work to do when the run ends (temporary files, a throwaway builder). */
export type Cleanup = (f: () => void | Promise<void>) => void

/** What the builds produced (or, when the base is reused and there is no app, what was found). */
export interface Built {
  readonly builds: readonly BuildReport[]
  readonly base: { readonly ref?: string; readonly digest?: string; readonly size?: ImageSize; readonly sbom?: SbomAttached }
  readonly final: {
    readonly name: ImageName
    readonly tag: string
    readonly digest?: string
    readonly ref: string
    /** The digest the application tag had before this run pushed (undefined: none, or not read). */
    readonly digestBefore?: string
    /** Its size, read from the store with its digest after the build (the Measure phase reports it). */
    readonly size?: ImageSize
  }
  /** Every reference this run pushed. */
  readonly pushed: readonly string[]
}

export interface Measured {
  readonly size?: ImageSize
  readonly compareTo?: ImageSize
  readonly changes?: { readonly changes: EnvChange[]; readonly previousTag: string }
  readonly trend?: { tag: string; bytes: number }[]
  /** The largest conda packages of the base, and their changes (from its size manifest). */
  readonly packages?: PackagesReport
  /** Why the application image changed size against `compareTo`. */
  readonly layers?: LayersReport
  /** What a node that has the compared image pulls: the final image's figure, and a new base's next to an application image. */
  readonly changedBytes?: { readonly base?: ChangedBytes; readonly final?: ChangedBytes }
  /** A new base next to the application image: its size and the previous base's. */
  readonly base?: { readonly size: ImageSize; readonly compareTo?: ImageSize }
  /** A reused base: how long its build took when it was built (its label), in milliseconds. */
  readonly reusedBuildMs?: number
  /** The registry gave the final image a size no image could have: its size is unknown. */
  readonly sizeImplausible?: boolean
}

/** The state the report phase renders. */
export interface FinishedRun extends RunState {
  /** The builds and the final image (none in plan mode). */
  readonly built?: Built
  /** The base reference the report names (plan mode: a reused base's, else none). */
  readonly baseRef?: string
  readonly measured: Measured
  readonly retention?: RetentionReport
  /** The smoke tests that ran (src/run/smoke-plan.ts). */
  readonly smokeTests?: readonly SmokeResult[]
}
