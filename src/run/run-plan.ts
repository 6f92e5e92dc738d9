// What a run will do, decided once from plain data: the inputs, the run context and what
// the lookup found. Pure: every policy of the orchestrator lives here (reuse or build, push,
// cache backends, builder needs, which refs are pinned and measured, what the report says).
// Plan mode renders this plan and stops; every other mode carries it out.

import { resolveCacheBackend, type CacheBackend } from '../actions-cache/index.js'
import { ageDays, chooseBase, parseDatedTag, previousBase, type BaseChoice, type DatedTag } from '../image/dated-tags.js'
import type { RunContext } from '../context/run-context.js'
import type { Options } from './options.js'
import { decidePush, type PushDecision } from './push.js'
import { formatName, formatReference, parseReference, type ImageName } from '../image/reference.js'
import type { BuilderInfo } from '../buildx/index.js'
import { UserError } from '../vocabulary/user-error.js'
import { planBaseMerge, platformJob, type BaseMergePlan, type PlatformJob } from '../image/platforms.js'

/** What the lookup phase found out (the only I/O facts planRun needs). */
export interface LookupResult {
  /** Dated base tags of the base repository, newest first; undefined when the lookup failed. */
  readonly dated?: readonly DatedTag[]
  /** Every tag of the base repository (per-platform parts included); undefined when the lookup failed. */
  readonly tags?: readonly string[]
  /** The registry refused the lookup's credentials (401/403): fatal when the run pushes (see the push-access phase). */
  readonly refused?: string
}

export interface PlanInput {
  readonly opts: Options
  readonly ctx: Pick<RunContext, 'now' | 'pullRequest'>
  readonly envHash: string
  readonly lookup: LookupResult
  /** The full platform set (`platforms`, or the runner's own); default `opts.platforms`. */
  readonly platforms?: readonly string[]
}

export interface RunPlan {
  readonly choice: BaseChoice
  /** What this job builds and pushes: all platforms under the tags, or one platform's parts (build-platforms). */
  readonly job: PlatformJob
  /** mode: merge — how the base is merged (the application is checked when it is merged). */
  readonly merge?: BaseMergePlan
  /** The newest dated base other than the one picked: what a new base is compared with. */
  readonly previous?: DatedTag
  readonly push: PushDecision
  readonly cache: {
    readonly backend: CacheBackend
    /** `--cache-from type=registry` for the builds (export also needs push and a capable builder). */
    readonly registry: boolean
    /** Restore/save the BuildKit cache through the Actions cache (needs a builder that can export). */
    readonly actions: boolean
  }
  readonly builder: {
    /** A base or an application build runs. */
    readonly needed: boolean
    /** The credential inputs reach BuildKit through a temporary Docker config. */
    readonly login: boolean
    /** Some cache export is wanted (push, or the Actions cache). */
    readonly wantsExport: boolean
  }
  readonly base: {
    readonly tag: string
    /** `<repo>:<tag>` */
    readonly tagRef: string
    /** Set when the base is built: the build's refresh flags. */
    readonly build?: { readonly pull: boolean; readonly noCache: boolean }
  }
  /** The application image, when a `dockerfile` is given: its first tag, parsed once here. */
  readonly app?: { readonly ref: string; readonly name: ImageName; readonly tag: string }
  readonly pins: {
    /** The `base-image` output is pinned by digest. */
    readonly baseByDigest: boolean
    /** The final image's digest is read back from the store (else taken from the build). */
    readonly finalFromStore: boolean
    /** Sizes come from the run's store (else the local engine: loaded, not pushed). */
    readonly measureInStore: boolean
    /** The final image is measured by digest (else by tag). */
    readonly measureByDigest: boolean
  }
  /** Retention: what to do, and whether its failures are tolerated (plan mode). */
  readonly retention?: { readonly mode: 'dry-run' | 'true'; readonly tolerant: boolean }
  /** What the report says about the base. */
  readonly report: { readonly ageDays?: number; readonly note?: string; readonly reason: string }
  /** What plan mode prints (and a run logs) about what happens. */
  readonly steps: readonly string[]
}

/** The application's first tag, with its repository and tag parsed (validated with the inputs). */
function appTarget(ref: string, local: boolean): NonNullable<RunPlan['app']> {
  const parsed = parseReference(ref, 'tags', { local })
  return { ref, name: parsed.name, tag: parsed.tag! }
}

export function planRun({ opts, ctx, envHash, lookup, platforms = opts.platforms }: PlanInput): RunPlan {
  const merge = opts.mode === 'merge' ? mergePlan(opts, envHash, lookup, platforms) : undefined
  const choice = merge
    ? mergedChoice(merge.tag, opts.baseTagPrefix, ctx.now)
    : chooseBase({ dated: lookup.dated, prefix: opts.baseTagPrefix, envHash, now: ctx.now, mode: opts.mode, maxAgeMs: opts.maxAgeMs })
  const job = platformJob({
    platforms,
    buildPlatforms: opts.buildPlatforms,
    datedTag: choice.tag,
    appTags: opts.tags,
    cacheRef: opts.cacheRef,
    appCacheRef: opts.appCacheRef,
  })
  const push = decidePush({ push: opts.push, local: opts.image.local, pullRequest: ctx.pullRequest })
  const backend = resolveCacheBackend(opts.cacheBackend, {
    pullRequestFromFork: ctx.pullRequest?.fromFork ?? false,
    pullRequest: ctx.pullRequest !== undefined,
    local: opts.image.local,
    canPush: push.enabled,
  })
  const actions = backend !== 'registry'
  const needed = opts.mode !== 'plan' && !merge && (choice.action === 'build' || Boolean(opts.dockerfile))
  const refresh = isRefresh(choice)
  // A job of a matrix that builds the base pushes its platform's part of the dated tag.
  const baseTag = choice.action === 'build' ? job.baseTag : choice.tag
  const tagRef = formatReference(opts.baseRepository, baseTag)
  const measureInStore = push.enabled || opts.image.local
  return {
    choice,
    job,
    ...(merge ? { merge } : {}),
    previous: lookup.dated && previousBase(lookup.dated, choice.tag),
    push,
    cache: { backend, registry: backend !== 'actions' && !opts.image.local, actions },
    builder: {
      needed,
      login: builderLogin(opts, needed),
      wantsExport: push.enabled || actions,
    },
    base: { tag: baseTag, tagRef, build: choice.action === 'build' && !merge ? { pull: refresh, noCache: refresh && opts.refresh === 'full' } : undefined },
    app: opts.dockerfile ? appTarget(merge ? opts.tags[0]! : job.appTags[0]!, opts.image.local) : undefined,
    pins: {
      baseByDigest: push.enabled || choice.action === 'reuse',
      finalFromStore: measureInStore,
      measureInStore,
      measureByDigest: push.enabled && !opts.image.local,
    },
    retention:
      opts.prune === 'false' ? undefined : { mode: opts.mode === 'plan' || opts.prune === 'dry-run' ? 'dry-run' : 'true', tolerant: opts.mode === 'plan' },
    report: {
      ageDays: choice.action === 'reuse' ? choice.ageDays : 0,
      note: merge ? mergeNote(merge) : refresh ? refreshNote(opts) : undefined,
      reason: merge ? mergeNote(merge) : reasonText(choice),
    },
    steps: merge ? [mergeNote(merge)] : planSteps(opts, choice, push, tagRef, job),
  }
}

/** mode: merge — the merge of the base, decided from the tags the lookup found. */
function mergePlan(opts: Options, envHash: string, lookup: LookupResult, platforms: readonly string[]): BaseMergePlan {
  if (opts.image.local)
    throw new UserError('mode: merge assembles multi-platform tags in a registry; the local Docker engine has no per-platform images to merge')
  if (!lookup.tags)
    throw new UserError(`mode: merge could not list the tags of ${formatName(opts.baseRepository)}, so it cannot find the per-platform images to merge`)
  return planBaseMerge({ tags: lookup.tags, prefix: opts.baseTagPrefix, envHash, platforms, repository: formatName(opts.baseRepository) })
}

function mergedChoice(tag: string, prefix: string, now: Date): BaseChoice {
  const parsed = parseDatedTag(tag, prefix)
  return { action: 'reuse', tag, ageDays: parsed ? Math.max(0, ageDays(parsed, now)) : 0, decision: 'reused' }
}

function mergeNote(merge: BaseMergePlan): string {
  return merge.action === 'assemble'
    ? `mode: merge — assembling ${merge.tag} from ${merge.parts.map((p) => p.tag).join(', ')}`
    : `mode: merge — ${merge.tag} is already a whole base (the jobs reused it)`
}

function planSteps(opts: Options, choice: BaseChoice, push: PushDecision, tagRef: string, job: PlatformJob): string[] {
  const steps = [reasonText(choice)]
  if (job.part) steps.push(`This job builds ${job.part} only (build-platforms): it pushes per-platform tags for a mode: merge job to assemble`)
  if (choice.action === 'build') steps.push(`Would build and ${push.enabled ? 'push' : 'load'} ${tagRef}`)
  if (opts.dockerfile) steps.push(`Would build and ${push.enabled ? 'push' : 'load'} the application image ${job.appTags.join(', ')} FROM ${tagRef}`)
  if (opts.prune !== 'false') steps.push('Would prune old dated tags (see the retention plan below)')
  return steps
}

/** The credential inputs reach BuildKit (through a temporary Docker config) when a build runs against a registry. */
export function builderLogin(opts: Pick<Options, 'registryUsername' | 'registryPassword' | 'image'>, buildNeeded: boolean): boolean {
  return buildNeeded && Boolean(opts.registryUsername && opts.registryPassword) && !opts.image.local
}

/**
 * A build is certain before the lookup: an application Dockerfile is built whatever the
 * lookup finds (outside plan and merge modes). Its builder can be probed early.
 */
export function buildCertain(opts: Pick<Options, 'mode' | 'dockerfile'>): boolean {
  return opts.mode !== 'plan' && opts.mode !== 'merge' && Boolean(opts.dockerfile)
}

/** What to do with the builder the run found: use it, replace it for this run, or use it without cache export. */
export type BuilderDecision = { readonly action: 'use' } | { readonly action: 'create' | 'no-export'; readonly warning: string }

export function decideBuilder(plan: Pick<RunPlan, 'builder'>, info: BuilderInfo, userBuilder: string | undefined): BuilderDecision {
  if (!plan.builder.wantsExport || info.canExportCache) return { action: 'use' }
  const why = info.reason ?? 'unsupported'
  if (!userBuilder) {
    return {
      action: 'create',
      warning: `Builder "${info.name}" (${info.driver} driver) cannot export a build cache: ${why}. Creating a docker-container builder for this run.`,
    }
  }
  return { action: 'no-export', warning: `Builder "${info.name}" (${info.driver} driver) cannot export a build cache (${why}); building without cache export` }
}

/** The cache settings once the builder is known: the Actions cache needs a builder that can export. */
export function cacheWithBuilder(cache: RunPlan['cache'], canExportCache: boolean): RunPlan['cache'] & { readonly export: boolean; readonly warning?: string } {
  if (cache.actions && !canExportCache) {
    return { ...cache, actions: false, export: false, warning: 'The Actions cache is not used: the builder cannot export a local build cache' }
  }
  return { ...cache, export: canExportCache }
}

function isRefresh(choice: BaseChoice): boolean {
  return choice.action === 'build' && (choice.decision === 'nightly' || choice.decision === 'max-age')
}

function refreshNote(opts: Options): string {
  return opts.refresh === 'full'
    ? 'refresh: full — built with --no-cache, so the environment was solved again'
    : 'refresh: pull — FROM images re-pulled, unchanged steps taken from the registry cache'
}

function reasonText(choice: BaseChoice): string {
  if (choice.action === 'reuse') return `Reusing ${choice.tag}`
  switch (choice.decision) {
    case 'new-environment':
      return `No base exists for this environment yet: building ${choice.tag}`
    case 'max-age':
      return `The newest base ${choice.sameEnvironment} is older than max-age: building ${choice.tag}`
    case 'nightly':
      return `mode: base — building today's tag ${choice.tag}${choice.sameEnvironment ? ` (newest was ${choice.sameEnvironment})` : ''}`
    case 'lookup-failed':
      return `The tag lookup failed: building ${choice.tag} as a cache miss`
  }
}
