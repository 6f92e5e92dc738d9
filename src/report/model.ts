// The plain data the report renderer (job summary + PR comment) works from.
// The report phase (src/phases/report.ts) fills it from the run; renderers are pure functions of it.

import type { Mode } from '../vocabulary/constants.js'
import type { PackageChange } from '../sizes/changes.js'

export interface BuildStepTiming {
  /** Vertex name as BuildKit shows it, e.g. `[base 3/5] RUN micromamba install …`. */
  readonly name: string
  readonly cached: boolean
  readonly durationMs: number
}

export interface BuildReport {
  readonly kind: 'base' | 'app'
  /** Reference that was built (first tag). */
  readonly ref: string
  readonly digest?: string
  readonly cachedSteps: number
  readonly totalSteps: number
  readonly durationMs: number
  readonly steps: readonly BuildStepTiming[]
  /** Registry cache export: done, skipped (no push / builder cannot), or failed (warned). */
  readonly cacheExport: 'exported' | 'skipped' | 'failed'
  readonly cacheNote?: string
  /** Registry caches the build asked for and BuildKit did not import (the build ran without them). */
  readonly cacheImport?: readonly string[]
}

export interface PlatformSize {
  /** `linux/amd64`, or `unknown` for a single-platform manifest without a platform. */
  readonly platform: string
  readonly digest?: string
  readonly bytes: number
}

export type SizeMeasure = 'registry' | 'engine-compressed' | 'engine-uncompressed' | 'engine-unknown'

export interface ImageSize {
  readonly ref: string
  readonly digest?: string
  /** Sum over platforms (config + layers), attestations excluded. */
  readonly total: number
  readonly platforms: readonly PlatformSize[]
  /**
   * What the figure measures: the registry's compressed config and layers (absent), the local
   * engine's content (containerd image store: compressed layers, config and manifest), its
   * unpacked size (classic store), or a local size of unknown kind.
   */
  readonly measure?: SizeMeasure
}

/**
 * What happened to the base in this run: reused, built, its build failed, the run failed
 * before its build; in plan mode, what a run would do.
 */
export type BaseOutcome =
  | 'reused'
  | 'built'
  | 'build-failed'
  | 'not-reached'
  | 'would-build'
  | 'would-reuse'
  /** mode: merge wrote the multi-platform tag from the per-platform images the jobs pushed. */
  | 'assembled'
  /** mode: merge failed before the base's multi-platform tag was written. */
  | 'assemble-failed'

/** What a refresh of an existing base (nightly `mode: base`, `max-age`) did, from its build's steps. */
export interface RefreshReport {
  /** `pull`: FROM images re-pulled, unchanged steps from the cache; `full`: built with --no-cache (re-solved). */
  readonly kind: 'pull' | 'full'
  readonly cachedSteps: number
  readonly totalSteps: number
  /** The steps that ran (not from the cache), in build order. */
  readonly rebuilt: readonly string[]
}

/** Why a new base was built (or that none was). */
export type BaseDecision = 'reused' | 'new-environment' | 'max-age' | 'nightly' | 'lookup-failed' | 'planned'

export interface EnvChange {
  readonly section: string
  readonly kind: 'added' | 'removed' | 'changed'
  readonly item: string
  readonly before?: string
  readonly after?: string
}

export interface RetentionEntry {
  readonly tag: string
  readonly digest?: string
  readonly ageDays?: number
  readonly reason?: string
}

export interface RetentionReport {
  readonly mode: 'dry-run' | 'true'
  readonly backend: string
  readonly kept: readonly RetentionEntry[]
  readonly deleted: readonly RetentionEntry[]
  readonly protected: readonly RetentionEntry[]
  readonly error?: string
}

export interface BudgetResult {
  readonly kind: 'max-size' | 'max-growth'
  readonly limit: string
  readonly actual: string
  readonly exceeded: boolean
  /** Why the limit could not be evaluated (no measured size, nothing to compare with). */
  readonly note?: string
}

export interface PackageSize {
  readonly name: string
  readonly version: string
  readonly build?: string
  /** Installed bytes. */
  readonly size: number
}

/** The SBOM a run attached to the base it built and pushed (src/phases/sbom.ts): what the report says was attached. */
export interface SbomAttached {
  /** `<repository>@sha256:…` of the SBOM artifact of the first platform (the `sbom` output). */
  readonly ref: string
  /** How many platform manifests got their SBOM attached. */
  readonly platforms: number
  /** Components of that SBOM: conda packages and pip distributions. */
  readonly conda: number
  readonly pip: number
  /** The lock's path in the base image (the `lock` output), when the image has one. */
  readonly lock?: string
}

/** What makes the base big: its conda packages by installed size (from its size manifest). */
export interface PackagesReport {
  /** The largest packages, largest first. */
  readonly largest: readonly PackageSize[]
  /** Number of packages and their installed bytes in total. */
  readonly count: number
  readonly total: number
  /** Against the previous base, when a new base was built and the previous one has a manifest. */
  readonly changes?: {
    readonly previousTag: string
    /** Every package that differs, each once, the largest installed-size change first (src/sizes/changes.ts); pip's among them when compared. */
    readonly list: readonly PackageChange[]
    /** Both manifests list their pip distributions, so pip changes are in `list` (absent: pip was not compared). */
    readonly pipCompared?: boolean
  }
}

/** A layer one image has and the other has not, named by the Dockerfile step that made it. */
export interface LayerChange {
  readonly step: string
  /** Compressed bytes. */
  readonly bytes: number
}

export interface LayersReport {
  /** The largest layers the image has that the compared image has not, and the other way round. */
  readonly added: readonly LayerChange[]
  readonly removed: readonly LayerChange[]
  /** All of them, in bytes (what the shown ones are part of). */
  readonly addedBytes: number
  readonly removedBytes: number
}

/** One platform's figure of ChangedBytes. */
export interface PlatformChangedBytes {
  readonly platform: string
  /** Compressed bytes of this platform's layers (each digest once) that the compared image's same platform has not. */
  readonly changed: number
  /** Compressed bytes of all of this platform's layers (each digest once). */
  readonly total: number
  /** False when the compared image has no manifest for this platform: a node has nothing of it, every layer is new. */
  readonly compared: boolean
}

/** What a node that has the compared image downloads to run this one: the layers it lacks, by digest. */
export interface ChangedBytes {
  /** The image compared with (`repo:tag@sha256:…`). */
  readonly against: string
  /** Sums over the platforms. */
  readonly changed: number
  readonly total: number
  readonly platforms: readonly PlatformChangedBytes[]
}

/** What failed, for the report of a failed run. */
export interface FailureInfo {
  /** The phase that failed: `Build base base-…`, `Lookup`, `Push check`, … */
  readonly phase: string
  /** One line, redacted. */
  readonly message: string
  /** `Dockerfile line 3`, or the bundled template's line and the environment file it installed. */
  readonly where?: string
  /** True when the failure is in the bundled base template. */
  readonly template?: boolean
  /** The relevant lines of the build log, redacted and short. */
  readonly log: readonly string[]
  /** What to try. */
  readonly hints: readonly string[]
  /** A problem with the user's input or files (else a fault of the runner, registry or action). */
  readonly userError: boolean
}

export interface ReportData {
  readonly mode: Mode
  readonly image: string
  readonly environmentFile: string
  /** A pixi project: the environment installed and its lock (relative to the workspace). */
  readonly pixi?: { readonly environment: string; readonly lock: string }
  readonly envHash: string
  /** Absent when the run failed before the base was decided (nothing about it is known). */
  readonly base?: {
    readonly tag: string
    /** `repo:tag@sha256:…` when known. */
    readonly ref?: string
    readonly outcome: BaseOutcome
    readonly decision: BaseDecision
    /** Age in whole days of the picked tag's date (0 for today). */
    readonly ageDays?: number
    /** What differs from the newest previous base of this repository/prefix. */
    readonly changes?: readonly EnvChange[]
    readonly previousTag?: string
    /** The previous base has this very environment hash: a refresh, not a change of the environment. */
    readonly previousSameEnvironment?: boolean
    /** A refresh build (nightly, max-age) that ran: what it did. */
    readonly refresh?: RefreshReport
    /** e.g. the merge of `mode: merge`. */
    readonly note?: string
    /** mode: merge — the per-platform tags the base is assembled from (outcomes `assembled`, `assemble-failed`). */
    readonly parts?: readonly string[]
    /** Size of a newly built base, and of the previous base it is compared with (when an application image is the final image). */
    readonly size?: ImageSize
    readonly compareTo?: ImageSize
    /** A new base next to an application image: what a node that has the previous base pulls. */
    readonly changedBytes?: ChangedBytes
    /** The SBOM this run attached to the base it built and pushed (absent: none was attached — a reuse says nothing). */
    readonly sbom?: SbomAttached
    /** A reused base whose label records its build time: how long it took when it was built (the time this run did not spend), in milliseconds. */
    readonly savedMs?: number
  }
  readonly final?: {
    readonly ref: string
    readonly digest?: string
    readonly size?: ImageSize
    /** No size: the registry gave one no image could have (a fault of the registry, warned about). */
    readonly sizeImplausible?: boolean
    /** Image compared against (previous dated base, or `compare-to`). */
    readonly compareTo?: ImageSize
    /** A reference that already had this digest (the tag before the push, or the compared image): nothing changed. */
    readonly unchangedFrom?: string
    /** Why it changed size against `compareTo`: the layers that account for it (registry images). */
    readonly layers?: LayersReport
    /** What a node that has the compared image pulls (registry images; absent when there is nothing to compare with). */
    readonly changedBytes?: ChangedBytes
  }
  readonly builds: readonly BuildReport[]
  /** Totals over the builds that ran (1 when nothing was built). */
  readonly cache: { readonly cachedSteps: number; readonly totalSteps: number; readonly ratio: number }
  /** Each phase's own time; `overlapped`: the phases its work ran alongside; start/end (monotonic) give the wall-clock total. */
  readonly phases: readonly {
    readonly name: string
    readonly ms: number
    readonly overlapped?: readonly string[]
    readonly startMs?: number
    readonly endMs?: number
  }[]
  readonly push: { readonly enabled: boolean; readonly reason: string }
  /** Sizes of the last dated bases of this environment, oldest first. */
  readonly trend?: readonly { readonly tag: string; readonly bytes: number }[]
  readonly budget?: readonly BudgetResult[]
  readonly retention?: RetentionReport
  /** Absent when the base has no size manifest (custom base Dockerfile, local engine store). */
  readonly packages?: PackagesReport
  readonly warnings: readonly string[]
  /** Set when the run failed: the report leads with it. */
  readonly failure?: FailureInfo
  /** Link to the workflow run. */
  readonly runUrl?: string
  /** Every reference this run pushed. */
  readonly pushedTags?: readonly string[]
  /** The smoke tests that ran: command, result, time, the last lines of a failed one's output. */
  readonly smokeTests?: readonly SmokeResult[]
}

/** A smoke test's result (planned and run in src/run/smoke-plan.ts and src/phases/smoke.ts). */
export interface SmokeResult {
  readonly target: 'base' | 'app'
  /** The image as it was run (a digest, or the local tag of a loaded image). */
  readonly ref: string
  readonly command: string
  readonly passed: boolean
  /** The exit code; undefined when the test was ended at its timeout. */
  readonly exitCode?: number
  readonly timedOut: boolean
  readonly durationMs: number
  /** The last lines of its output (stdout and stderr), as they came: outside data. */
  readonly lastLines: readonly string[]
  /** The digest pushed afterwards, when it was pushed: the tested one, or (a warning) another. */
  readonly pushedDigest?: string
}
