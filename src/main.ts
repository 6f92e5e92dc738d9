// The action as a short list of phases (each in a log group): inputs → fingerprint →
// lookup → base → application → measure → retention → report. Decisions are pure
// functions in their own modules; this file wires them to the I/O.

import * as core from '@actions/core'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  buildxVersion,
  cacheTos,
  cacheToValue,
  createContainerBuilder,
  displayCommand,
  inspectBuilder,
  removeBuilder,
  runBuild,
  type BuildOutcome,
  type BuildSpec,
} from './buildx/index.js'
import { BuildArgNames, HASH_SCHEME, Labels, Outputs } from './constants.js'
import { readRunContext, type RunContext } from './context.js'
import {
  actionsCachePlan,
  buildxLocalCacheArgs,
  cacheBranch,
  defaultBranchFromEvent,
  finishLocalCache,
  resolveCacheBackend,
  restoreBuildCache,
  saveBuildCache,
  type CacheBackend,
} from './actions-cache/index.js'
import { dockerConfigWithLogin } from './docker-login.js'
import { inspectLocal, localTags } from './engine.js'
import { UserError, errorMessage, isUserError } from './errors.js'
import { checkAppDockerfile } from './app-dockerfile.js'
import { comparisonTags } from './compare.js'
import { describeFailure } from './failure.js'
import { diffDocuments, fingerprint, parseDocumentLabel, type Fingerprint } from './hash/index.js'
import { getOptions, type Options } from './options.js'
import { decidePush, pushAccessMessage, type PushDecision } from './push.js'
import { formatName, formatReference, parseReference, type ImageName } from './reference.js'
import { RegistryClient, isRegistryError } from './registry/index.js'
import type { BuildReport, EnvChange, FailureInfo, ImageSize, ReportData, RetentionReport } from './report/model.js'
import { materialize, secretIds, valuesToMask, type BuildSecretArgs } from './secrets.js'
import { SecretIds } from './constants.js'
import { readFileSync } from 'node:fs'
import { collectFileLines, fileLinesLabel, parseFileLinesLabel, withRequirementLines } from './hash/file-lines.js'
import { evaluateBudget, renderReport, upsertPrComment } from './report/index.js'
import { applyRetention, collectTagInfo, distributionBackend, ghcrBackend, planRetention, selectBackend } from './retention/index.js'
import { chooseBase, datedTags, previousBase, trendTags, withTag, type BaseChoice, type DatedTag } from './tags.js'

const TREND_POINTS = 8

class Phases {
  readonly list: { name: string; ms: number }[] = []
  /** The phase running now (named in the report of a failure). */
  current?: string
  async run<T>(name: string, f: () => Promise<T>): Promise<T> {
    this.current = name
    const start = Date.now()
    try {
      return await core.group(name, f)
    } finally {
      this.list.push({ name, ms: Date.now() - start })
    }
  }
}

/** The store behind `image`: a registry, or the local Docker engine. */
interface Store {
  tags(name: ImageName): Promise<string[]>
  digest(name: ImageName, tag: string): Promise<string | undefined>
  size(name: ImageName, tagOrDigest: string): Promise<ImageSize | undefined>
  labels(name: ImageName, tagOrDigest: string): Promise<Record<string, string> | undefined>
}

function registryStore(client: RegistryClient): Store {
  return {
    tags: (name) => client.listTags(name),
    digest: (name, tag) => client.headDigest(name, tag),
    size: async (name, ref) => {
      const s = await client.imageSize(name, ref)
      if (!s) return undefined
      return {
        ref: formatReference(name, ref.startsWith('sha256:') ? undefined : ref, s.digest),
        digest: s.digest,
        total: s.total,
        platforms: s.platforms.map((p) => ({ platform: p.platform, digest: p.digest, bytes: p.bytes })),
      }
    },
    labels: async (name, ref) => (await client.imageConfig(name, ref))?.labels,
  }
}

const engineStore: Store = {
  tags: (name) => localTags(formatName(name)),
  digest: async (name, tag) => (await inspectLocal(formatReference(name, tag)))?.id,
  size: async (name, tag) => {
    const img = await inspectLocal(formatReference(name, tag))
    if (!img) return undefined
    return {
      ref: formatReference(name, tag),
      digest: img.id,
      total: img.size,
      platforms: [{ platform: 'local', digest: img.id, bytes: img.size }],
      uncompressed: true,
    }
  },
  labels: async (name, tag) => (await inspectLocal(formatReference(name, tag)))?.labels,
}

/** What a run knows so far: what the report of a failure can still say. */
interface RunState {
  ctx?: RunContext
  opts?: Options
  fp?: Fingerprint
  choice?: BaseChoice
  push?: PushDecision
  readonly phases: Phases
  readonly warnings: string[]
  readonly builds: BuildReport[]
  /** Every reference pushed so far. */
  readonly pushed: string[]
}

/** Entry point: never throws; failures become one error annotation and a non-zero exit. */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const cleanup: (() => Promise<void>)[] = []
  const state: RunState = { phases: new Phases(), warnings: [], builds: [], pushed: [] }
  try {
    state.ctx = readRunContext(env)
    await main(state.ctx, cleanup, env, state)
  } catch (e) {
    await fail(e, state, env)
  } finally {
    for (const c of cleanup.reverse()) {
      try {
        await c()
      } catch (e) {
        core.warning(`Cleanup failed: ${errorMessage(e)}`)
      }
    }
  }
}

/** One error annotation (file and line where known), and — once the inputs are read — the report of the failure. */
async function fail(e: unknown, state: RunState, env: NodeJS.ProcessEnv): Promise<void> {
  process.exitCode = 1
  const { opts, ctx } = state
  const masks = [opts?.registryPassword, opts?.githubToken, ...(opts ? valuesToMask(opts.secrets, env) : []), ...(opts?.condarc?.secretValues ?? [])].filter((m): m is string => Boolean(m))
  const { info, annotation } = describeFailure(e, {
    phase: state.phases.current,
    workspace: ctx?.workspace ?? process.cwd(),
    templatePath: opts?.baseDockerfile.bundled ? opts.baseDockerfile.path : undefined,
    environmentFile: opts?.environmentFile,
    masks,
  })
  core.error(annotation.message, annotation.file ? { file: annotation.file, startLine: annotation.line, startColumn: annotation.column } : {})
  if (!isUserError(e) && e instanceof Error && e.stack) core.debug(e.stack)
  if (!opts || !ctx) return
  try {
    await writeReports(opts, ctx, failureReport(state, opts, ctx, info))
  } catch (err) {
    core.warning(`Could not report the failure: ${errorMessage(err)}`)
  }
}

function failureReport(state: RunState, opts: Options, ctx: RunContext, failure: FailureInfo): ReportData {
  const { fp, choice } = state
  return {
    mode: opts.mode,
    image: formatName(opts.image),
    environmentFile: path.relative(ctx.workspace, opts.environmentFile) || opts.environmentFile,
    envHash: fp?.hash ?? '',
    base: choice
      ? { tag: choice.tag, reused: choice.action === 'reuse', decision: choice.decision, ageDays: choice.action === 'reuse' ? choice.ageDays : undefined }
      : { tag: '–', reused: false, decision: 'planned' },
    builds: state.builds,
    cache: cacheTotals(state.builds),
    phases: state.phases.list,
    push: state.push ?? { enabled: false, reason: 'not decided' },
    warnings: state.warnings,
    failure,
    runUrl: runUrl(ctx),
    pushedTags: state.pushed,
  }
}

function runUrl(ctx: RunContext): string | undefined {
  return ctx.repository && ctx.runId ? `${ctx.serverUrl}/${ctx.repository}/actions/runs/${ctx.runId}` : undefined
}

async function main(ctx: RunContext, cleanup: (() => Promise<void>)[], env: NodeJS.ProcessEnv, state: RunState): Promise<void> {
  const { phases, warnings } = state
  const warn = (m: string): void => {
    warnings.push(m)
    core.warning(m)
  }

  const opts = await phases.run('Inputs', async () => {
    const o = getOptions(ctx, undefined, env)
    if (o.dockerfile) {
      for (const w of checkAppDockerfile(readFileSync(o.dockerfile, 'utf8'), path.relative(ctx.workspace, o.dockerfile) || o.dockerfile, o.target)) {
        warnings.push(w.message)
        core.warning(w.message, { file: path.relative(ctx.workspace, o.dockerfile) || o.dockerfile, startLine: w.line })
      }
    }
    return o
  })
  state.opts = opts
  // An empty `platforms` means this runner's platform, made explicit so that runners of
  // different architectures never share (and reuse) one base.
  const platforms = opts.platforms.length ? opts.platforms : [ctx.hostPlatform]
  const fp = await phases.run('Environment hash', () => hashEnvironment(opts, platforms))
  state.fp = fp
  for (const w of fp.warnings) warn(w)
  core.setOutput(Outputs.EnvHash, fp.hash)

  const client = opts.image.local
    ? undefined
    : new RegistryClient({
        username: opts.registryUsername,
        password: opts.registryPassword,
        insecureRegistries: opts.insecureRegistries,
      })
  const store = client ? registryStore(client) : engineStore
  const baseRepo = opts.baseRepository
  const push = decidePush({ push: opts.push, local: opts.image.local, pullRequest: ctx.pullRequest })
  state.push = push
  if (push.notice) core.notice(push.notice)

  // Dated base tags of the repository, parsed once (newest first); undefined when the lookup failed.
  const dated = await phases.run('Lookup', async (): Promise<DatedTag[] | undefined> => {
    try {
      const t = await store.tags(baseRepo)
      const dated = datedTags(t, opts.baseTagPrefix)
      const mine = dated.filter((d) => d.hash12 === fp.hash.slice(0, 12)).length
      core.info(`${formatName(baseRepo)}: ${t.length} tags, ${dated.length} dated base tags, ${mine} of this environment`)
      return dated
    } catch (e) {
      if (isUserError(e)) throw e
      // Refused credentials are fatal when this run must push: the push would fail after the build.
      if (push.enabled && opts.mode !== 'plan' && isRegistryError(e) && (e.kind === 'auth' || e.kind === 'denied')) {
        throw new UserError(pushAccessMessage(baseRepo.registry, baseRepo.repository, errorMessage(e)))
      }
      warn(`Could not list the tags of ${formatName(baseRepo)} (${errorMessage(e)}); building the base as a cache miss`)
      return undefined
    }
  })
  const choice = chooseBase({
    dated,
    prefix: opts.baseTagPrefix,
    envHash: fp.hash,
    now: ctx.now,
    mode: opts.mode,
    maxAgeMs: opts.maxAgeMs,
  })
  state.choice = choice
  core.info(`Push: ${push.enabled ? 'yes' : 'no'} (${push.reason})`)
  const cacheBackend: CacheBackend = resolveCacheBackend(opts.cacheBackend, {
    pullRequestFromFork: ctx.pullRequest?.fromFork ?? false,
    pullRequest: ctx.pullRequest !== undefined,
    local: opts.image.local,
    canPush: push.enabled,
  })
  const useRegistryCache = cacheBackend !== 'actions' && !opts.image.local
  let useActionsCache = cacheBackend !== 'registry'
  core.info(`Build cache: ${cacheBackend}`)
  core.setOutput(Outputs.BaseTag, choice.tag)

  // The newest dated base other than the one picked: what a new base is compared with.
  const previous = dated && previousBase(dated, choice.tag)

  if (opts.mode === 'plan') {
    await planOnly(opts, ctx, fp, choice, previous, push, store, client, phases, warnings)
    return
  }

  const builds = state.builds
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'conda-image-action-'))
  cleanup.push(async () => rmSync(workDir, { recursive: true, force: true }))

  let builder: string | undefined = opts.builder
  let canExportCache = false
  const needBuild = choice.action === 'build' || Boolean(opts.dockerfile)
  if (needBuild && push.enabled && client) {
    const repos = [...(choice.action === 'build' ? [baseRepo] : []), ...(opts.dockerfile ? [opts.image] : [])]
    await phases.run('Push access', () => checkPushAccess(client, repos, warn))
  }
  // The image of the same stream before this run pushes: what the final size is compared with.
  const compareTo = opts.dockerfile ? await tolerate(warn, 'read the size of the compared image', () => previousAppImage(opts, ctx, store)) : undefined
  const secretArgs = needBuild ? buildSecrets(opts, cleanup) : undefined
  // The credential inputs reach BuildKit through a temporary Docker config for the builds.
  let dockerEnv: NodeJS.ProcessEnv | undefined
  if (needBuild && opts.registryUsername && opts.registryPassword && !opts.image.local) {
    const login = dockerConfigWithLogin([opts.image.registry, baseRepo.registry], opts.registryUsername, opts.registryPassword)
    cleanup.push(async () => login.cleanup())
    if (login.note) core.notice(login.note)
    dockerEnv = login.env
  }
  const dockerOpts = { env: dockerEnv }
  if (needBuild) {
    await phases.run('Builder', async () => {
      core.info(await buildxVersion(dockerOpts))
      let info = await inspectBuilder(builder, dockerOpts)
      const wantsExport = push.enabled || useActionsCache
      if (wantsExport && !info.canExportCache && !opts.builder) {
        core.warning(
          `Builder "${info.name}" (${info.driver} driver) cannot export a build cache: ${info.reason ?? 'unsupported'}. Creating a docker-container builder for this run.`,
        )
        try {
          builder = await createContainerBuilder(dockerOpts)
          const created = builder
          cleanup.push(() => removeBuilder(created, dockerOpts))
          info = await inspectBuilder(builder, dockerOpts)
        } catch (e) {
          builder = opts.builder
          warn(`Could not create a docker-container builder (${errorMessage(e)}); building without registry cache export`)
        }
      } else if (wantsExport && !info.canExportCache) {
        warn(`Builder "${info.name}" (${info.driver} driver) cannot export a build cache (${info.reason ?? 'unsupported'}); building without cache export`)
      }
      canExportCache = info.canExportCache
      if (useActionsCache && !canExportCache) {
        useActionsCache = false
        warn('The Actions cache is not used: the builder cannot export a local build cache')
      }
      core.info(`Builder: ${info.name} (${info.driver} driver), registry cache export: ${canExportCache ? 'yes' : 'no'}`)
    })
  }

  const cacheLog = { info: core.info, warning: warn }
  const branch = cacheBranch(env, ctx.pullRequest?.number)
  const defaultBranch = defaultBranchFromEvent(env)
  const runOpts = { log: (l: string) => core.info(l), env: dockerEnv }
  /**
   * A push can fail on a registry hiccup that is not the user's fault — e.g. a 500 while
   * another job writes the same dated tag at the same moment (two nightly schedules). The
   * rebuild is all cache hits, so such a build is tried once more before the step fails.
   */
  const runBuildRetrying = async (spec: BuildSpec): Promise<BuildOutcome> => {
    try {
      return await runBuild(spec, runOpts)
    } catch (e) {
      if (isUserError(e) || spec.output !== 'push') throw e
      warn(`The build or its push failed (${errorMessage(e).split('\n')[0]}); trying once more`)
      return runBuild(spec, runOpts)
    }
  }
  /** runBuild, with the BuildKit cache restored from and saved to the Actions cache when that backend is on. */
  const build = async (kind: 'base' | 'app', spec: BuildSpec): Promise<{ outcome: BuildOutcome; note?: string }> => {
    if (!useActionsCache) return { outcome: await runBuildRetrying(spec) }
    const plan = actionsCachePlan({ kind, envHash: fp.hash, branch, defaultBranch, platform: platforms.join(','), revision: ctx.sha }, env)
    const restored = await restoreBuildCache(plan, cacheLog)
    const local = buildxLocalCacheArgs(plan.dir, opts.cacheMode)
    const outcome = await runBuildRetrying({
      ...spec,
      cacheFrom: restored.hit === 'exact' || restored.hit === 'partial' ? [...spec.cacheFrom, local.cacheFrom] : spec.cacheFrom,
      cacheTo: [...cacheTos(spec), local.cacheTo],
    })
    const finished = await finishLocalCache(plan.dir, cacheLog)
    const saved = finished.exported ? await saveBuildCache(plan, { changed: finished.changed, maxBytes: opts.actionsCacheMaxBytes }, cacheLog) : 'failed'
    const note = `Actions cache: ${restored.hit === 'exact' || restored.hit === 'partial' ? `restored ${restored.hit} (${restored.matchedKey})` : restored.hit}, save ${saved}`
    core.info(note)
    return { outcome, note }
  }

  /** `--cache-from`/`--cache-to` of a registry cache ref, as this run may use them. */
  const registryCache = (ref: string): Pick<BuildSpec, 'cacheFrom' | 'cacheTo'> => ({
    cacheFrom: useRegistryCache ? [`type=registry,ref=${ref}`] : [],
    cacheTo: useRegistryCache && push.enabled && canExportCache ? cacheToValue(ref, opts.cacheMode) : undefined,
  })

  // --- base ---
  let lastMetadata: Record<string, unknown> | undefined
  const baseTagRef = formatReference(baseRepo, choice.tag)
  let baseDigest: string | undefined
  if (choice.action === 'build') {
    const outcome = await phases.run(`Build base ${choice.tag}`, async () => {
      core.info(reasonText(choice))
      const spec: BuildSpec = {
        context: path.dirname(opts.environmentFile),
        dockerfile: opts.baseDockerfile.path,
        tags: [baseTagRef],
        buildArgs: [...opts.baseBuildArgs, `${BuildArgNames.EnvironmentFile}=${path.basename(opts.environmentFile)}`],
        labels: [...opts.labels, ...ociLabels(ctx), `${Labels.EnvHash}=${fp.hash}`, `${Labels.Scheme}=${HASH_SCHEME}`, `${Labels.EnvDocument}=${fp.json}`, ...envFilesLabel(opts, fp)],
        platforms,
        builder,
        ...registryCache(opts.cacheRef),
        output: push.enabled ? 'push' : 'load',
        // Refresh builds (nightly, max-age) re-pull FROM images; `refresh: full` also re-solves.
        pull: isRefresh(choice),
        noCache: isRefresh(choice) && opts.refresh === 'full',
        metadataFile: path.join(workDir, 'base-metadata.json'),
        ...secretArgs,
      }
      core.info(displayCommand(spec))
      return build('base', spec)
    })
    builds.push(buildReport('base', baseTagRef, outcome.outcome, outcome.note))
    lastMetadata = outcome.outcome.metadata
    if (push.enabled) state.pushed.push(baseTagRef)
    baseDigest = (push.enabled ? await store.digest(baseRepo, choice.tag) : undefined) ?? outcome.outcome.digest
    if (push.enabled && !baseDigest) throw new Error(`${baseTagRef} was built but the registry does not have it`)
  } else {
    core.info(`Reusing ${baseTagRef} (${choice.ageDays} day(s) old): the environment is unchanged, no base build`)
    baseDigest = await store.digest(baseRepo, choice.tag)
  }
  const baseRef = push.enabled || choice.action === 'reuse' ? formatReference(baseRepo, choice.tag, baseDigest) : baseTagRef
  core.setOutput(Outputs.BaseImage, baseRef)
  core.setOutput(Outputs.BaseReused, String(choice.action === 'reuse'))

  // --- application ---
  let finalName = baseRepo
  let finalTag = choice.tag
  let finalDigest = baseDigest
  if (opts.dockerfile) {
    const appRef = opts.tags[0]!
    const outcome = await phases.run(`Build application ${appRef}`, async () => {
      const fromRef = push.enabled && baseDigest ? formatReference(baseRepo, choice.tag, baseDigest) : baseTagRef
      const spec: BuildSpec = {
        context: opts.context,
        dockerfile: opts.dockerfile!,
        tags: opts.tags,
        buildArgs: [`${BuildArgNames.BaseImage}=${fromRef}`, ...opts.buildArgs],
        labels: [...opts.labels, ...ociLabels(ctx), `${Labels.EnvHash}=${fp.hash}`],
        platforms,
        target: opts.target,
        builder,
        ...registryCache(opts.appCacheRef),
        output: push.enabled ? 'push' : 'load',
        metadataFile: path.join(workDir, 'app-metadata.json'),
        ...secretArgs,
      }
      core.info(displayCommand(spec))
      return build('app', spec)
    })
    builds.push(buildReport('app', appRef, outcome.outcome, outcome.note))
    lastMetadata = outcome.outcome.metadata
    if (push.enabled) state.pushed.push(...opts.tags)
    const parsed = parseReference(appRef, 'tags', { local: opts.image.local })
    finalName = parsed.name
    finalTag = parsed.tag!
    finalDigest = (push.enabled || opts.image.local ? await store.digest(finalName, finalTag) : undefined) ?? outcome.outcome.digest
  }
  const finalRef = formatReference(finalName, finalTag, finalDigest)
  core.setOutput(Outputs.Image, finalRef)
  core.setOutput(Outputs.Digest, finalDigest ?? '')
  core.setOutput(Outputs.Metadata, lastMetadata ? JSON.stringify(lastMetadata) : '')
  core.setOutput(Outputs.Tags, state.pushed.join('\n'))

  const cache = cacheTotals(builds)
  core.setOutput(Outputs.CacheHitRatio, String(cache.ratio))
  core.setOutput(Outputs.CachedSteps, String(cache.cachedSteps))
  core.setOutput(Outputs.TotalSteps, String(cache.totalSteps))

  // --- measure ---
  const measured = await phases.run('Measure', async () => {
    const sizeStore = push.enabled || opts.image.local ? store : engineStore
    const measuredRef = finalDigest && !opts.image.local && push.enabled ? finalDigest : finalTag
    // Independent registry reads: run them at once.
    const newBase = opts.dockerfile && choice.action === 'build'
    const [read, baseCompared, changes, trend, baseSize] = await Promise.all([
      tolerate(warn, 'read the image size', () => sizeStore.size(finalName, measuredRef)),
      previous ? tolerate(warn, 'read the size of the previous base', () => store.size(opts.baseRepository, previous.tag)) : undefined,
      choice.action === 'build' && previous
        ? tolerate(warn, 'read the previous base environment', () => environmentChanges(opts, store, previous, fp))
        : undefined,
      tolerate(warn, 'read the size trend', () => sizeTrend(opts, store, dated ?? [], choice.tag, fp.hash, push.enabled || opts.image.local)),
      newBase ? tolerate(warn, 'read the size of the new base', () => sizeStore.size(baseRepo, push.enabled && baseDigest ? baseDigest : choice.tag)) : undefined,
    ])
    return {
      size: read ? { ...read, ref: finalRef } : undefined,
      // An application image is compared with the previous image of its stream; a base alone with the previous base.
      compareTo: opts.dockerfile ? compareTo : baseCompared,
      base: newBase && baseSize ? { size: { ...baseSize, ref: baseRef }, compareTo: baseCompared } : undefined,
      changes,
      trend,
    }
  })
  if (measured.size) core.setOutput(Outputs.ImageSize, String(measured.size.total))
  else core.setOutput(Outputs.ImageSize, '')

  // --- retention ---
  let retention: RetentionReport | undefined
  if (opts.prune !== 'false') {
    retention = await phases.run(`Retention (prune: ${opts.prune})`, () => prune(opts, client, [choice.tag], ctx.now, opts.prune === 'dry-run' ? 'dry-run' : 'true', warn))
  }

  // --- report ---
  const budget = evaluateBudget({
    size: measured.size?.total,
    previous: measured.compareTo?.total,
    maxSize: opts.maxSize,
    maxGrowth: opts.maxGrowth,
  })
  for (const b of budget) if (b.exceeded) core.warning(`Size budget ${b.kind} exceeded: ${b.actual} (limit ${b.limit})`)

  const data: ReportData = {
    ...reportHead(opts, ctx, fp),
    base: {
      tag: choice.tag,
      ref: baseRef,
      reused: choice.action === 'reuse',
      decision: choice.decision,
      ageDays: choice.action === 'reuse' ? choice.ageDays : 0,
      changes: measured.changes?.changes,
      previousTag: measured.changes?.previousTag,
      note: isRefresh(choice) ? refreshNote(opts) : undefined,
      size: measured.base?.size,
      compareTo: measured.base?.compareTo,
    },
    final: { ref: finalRef, digest: finalDigest, size: measured.size, compareTo: measured.compareTo },
    builds,
    cache,
    phases: phases.list,
    push,
    trend: measured.trend,
    budget,
    retention,
    warnings,
    runUrl: runUrl(ctx),
    pushedTags: state.pushed,
  }
  await writeReports(opts, ctx, data)
  if (opts.failOnBudget && budget.some((b) => b.exceeded)) {
    throw new UserError(`The image exceeds its size budget: ${budget.filter((b) => b.exceeded).map((b) => `${b.kind} ${b.actual} > ${b.limit}`).join('; ')}`)
  }
}

async function hashEnvironment(opts: Options, platforms: readonly string[]): Promise<Fingerprint> {
  const fp = await fingerprint({
    environmentFile: opts.environmentFile,
    baseDockerfile: { path: opts.baseDockerfile.bundled ? undefined : opts.baseDockerfile.path, content: opts.baseDockerfile.content },
    buildArgs: opts.baseBuildArgs,
    platforms,
    condarc: opts.condarc?.hashed,
    secretIds: secretIds(opts.secrets),
  })
  core.info(`Environment hash ${fp.hash} (scheme ${HASH_SCHEME}) over ${fp.files.length} file(s)`)
  return fp
}

/**
 * Push means push: before any build, check that every repository this run pushes to takes a
 * push (a blob upload started and cancelled). Refused or missing credentials fail the step,
 * naming the registry; a registry that cannot be reached for the check is only warned about.
 */
async function checkPushAccess(client: RegistryClient, repos: readonly ImageName[], warn: (m: string) => void): Promise<void> {
  const seen = new Set<string>()
  for (const repo of repos) {
    const key = formatName(repo)
    if (seen.has(key)) continue
    seen.add(key)
    try {
      await client.probePush(repo)
      core.info(`Push access to ${key}: ok`)
    } catch (e) {
      if (isRegistryError(e) && (e.kind === 'auth' || e.kind === 'denied')) throw new UserError(pushAccessMessage(repo.registry, repo.repository, errorMessage(e)))
      warn(`Could not check push access to ${key} (${errorMessage(e)}); building anyway`)
    }
  }
}

/** The BuildKit secrets and ssh forwards of both builds; the inline values are written to private files removed at the end. */
function buildSecrets(opts: Options, cleanup: (() => Promise<void>)[]): BuildSecretArgs {
  const all = opts.condarc ? { ...opts.secrets, secrets: [...opts.secrets.secrets, { id: SecretIds.Condarc, kind: 'value' as const, value: opts.condarc.text }] } : opts.secrets
  const m = materialize(all)
  cleanup.push(async () => m.cleanup())
  return m.args
}

/** The previous image of this run's stream (see compare.ts), read before anything is pushed. */
async function previousAppImage(opts: Options, ctx: RunContext, store: Store): Promise<ImageSize | undefined> {
  if (opts.compareTo) {
    const ref = parseReference(opts.compareTo, 'compare-to', { local: opts.image.local })
    return store.size(ref.name, ref.digest ?? ref.tag ?? 'latest')
  }
  for (const tag of comparisonTags(ctx)) {
    const size = await store.size(opts.image, tag)
    if (size) return size
  }
  return undefined
}

function ociLabels(ctx: RunContext): string[] {
  const out = [`${Labels.Created}=${ctx.now.toISOString()}`]
  if (ctx.repository) out.push(`${Labels.Source}=${ctx.serverUrl}/${ctx.repository}`)
  if (ctx.sha) out.push(`${Labels.Revision}=${ctx.sha}`)
  return out
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

function buildReport(kind: 'base' | 'app', ref: string, o: BuildOutcome, actionsCacheNote?: string): BuildReport {
  return {
    kind,
    ref,
    digest: o.digest,
    cachedSteps: o.cachedSteps,
    totalSteps: o.totalSteps,
    durationMs: o.durationMs,
    steps: o.steps,
    cacheExport: o.cacheExport,
    cacheNote: [o.cacheNote, actionsCacheNote].filter(Boolean).join('; ') || undefined,
  }
}

export function cacheTotals(builds: readonly Pick<BuildReport, 'cachedSteps' | 'totalSteps'>[]): ReportData['cache'] {
  const cachedSteps = builds.reduce((n, b) => n + b.cachedSteps, 0)
  const totalSteps = builds.reduce((n, b) => n + b.totalSteps, 0)
  const ratio = totalSteps === 0 ? 1 : Math.round((cachedSteps / totalSteps) * 10_000) / 10_000
  return { cachedSteps, totalSteps, ratio }
}

async function tolerate<T>(warn: (m: string) => void, what: string, f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f()
  } catch (e) {
    if (isUserError(e)) throw e
    warn(`Could not ${what}: ${errorMessage(e)}`)
    return undefined
  }
}

/** What differs between the environment of the previous base (read back from its label) and this one. */
async function environmentChanges(
  opts: Options,
  store: Store,
  prev: DatedTag,
  fp: Fingerprint,
): Promise<{ changes: EnvChange[]; previousTag: string }> {
  const labels = await store.labels(opts.baseRepository, prev.tag)
  const doc = labels?.[Labels.EnvDocument] ? parseDocumentLabel(labels[Labels.EnvDocument]) : undefined
  if (!doc) return { changes: [{ section: 'environment', kind: 'changed', item: `${prev.tag} carries no environment document label` }], previousTag: prev.tag }
  const lines = withRequirementLines(diffDocuments(doc, fp.document), parseFileLinesLabel(labels?.[Labels.EnvFiles]), fileLines(opts, fp))
  return { changes: lines, previousTag: prev.tag }
}

function fileLines(opts: Options, fp: Fingerprint): ReturnType<typeof collectFileLines> {
  return collectFileLines(fp.document.files, path.dirname(opts.environmentFile))
}

/** The label with the requirement files' lines, when there are any. */
function envFilesLabel(opts: Options, fp: Fingerprint): string[] {
  const value = fileLinesLabel(fileLines(opts, fp))
  return value ? [`${Labels.EnvFiles}=${value}`] : []
}

async function sizeTrend(
  opts: Options,
  store: Store,
  dated: readonly DatedTag[],
  baseTag: string,
  envHash: string,
  includeCurrent: boolean,
): Promise<{ tag: string; bytes: number }[]> {
  const all = includeCurrent ? withTag(dated, baseTag, opts.baseTagPrefix) : dated
  const picked = trendTags(all, envHash, TREND_POINTS)
  const sizes = await Promise.all(picked.map(async (t) => ({ tag: t.tag, size: await store.size(opts.baseRepository, t.tag) })))
  return sizes.filter((s) => s.size).map((s) => ({ tag: s.tag, bytes: s.size!.total }))
}

async function prune(
  opts: Options,
  client: RegistryClient | undefined,
  protect: string[],
  now: Date,
  mode: 'dry-run' | 'true',
  warn: (m: string) => void,
): Promise<RetentionReport | undefined> {
  if (!client) {
    warn('Retention applies to registries; the local engine store is not pruned')
    return undefined
  }
  const repo = opts.baseRepository
  const kind = selectBackend(repo.registry)
  if (kind === 'unsupported') {
    warn(`Retention is not supported for ${repo.registry}: tags are not deleted there`)
    return { mode, backend: repo.registry, kept: [], deleted: [], protected: [], error: `retention is not supported for ${repo.registry}` }
  }
  const infos = await collectTagInfo(client, repo, opts.baseTagPrefix)
  const plan = planRetention(infos, { prefix: opts.baseTagPrefix, keepLatest: opts.keepLatest, keepDays: opts.keepDays, protectTags: protect, today: now })
  const backend =
    kind === 'ghcr'
      ? ghcrBackend({ token: opts.githubToken, owner: repo.repository.split('/')[0]!, packageName: repo.repository.split('/').slice(1).join('/') })
      : distributionBackend(client, repo)
  const report = await applyRetention(plan, backend, mode, { info: core.info, warning: core.warning })
  if (report.error) warn(`Retention: ${report.error}`)
  return report
}

async function planOnly(
  opts: Options,
  ctx: RunContext,
  fp: Fingerprint,
  choice: BaseChoice,
  previous: DatedTag | undefined,
  push: PushDecision,
  store: Store,
  client: RegistryClient | undefined,
  phases: Phases,
  warnings: string[],
): Promise<void> {
  await core.group('Plan', async () => {
    core.info(`Canonical environment document (hashed, scheme ${HASH_SCHEME}):`)
    core.info(JSON.stringify(fp.document, null, 2))
    core.info(reasonText(choice))
    if (choice.action === 'build') core.info(`Would build and ${push.enabled ? 'push' : 'load'} ${formatReference(opts.baseRepository, choice.tag)}`)
    if (opts.dockerfile) core.info(`Would build the application image ${opts.tags.join(', ')} FROM ${formatReference(opts.baseRepository, choice.tag)}`)
    if (opts.prune !== 'false') core.info('Would prune old dated tags (see the retention plan below)')
  })
  let baseRef: string | undefined
  if (choice.action === 'reuse') {
    const digest = await store.digest(opts.baseRepository, choice.tag).catch(() => undefined)
    baseRef = formatReference(opts.baseRepository, choice.tag, digest)
    core.setOutput(Outputs.BaseImage, baseRef)
  }
  core.setOutput(Outputs.BaseReused, String(choice.action === 'reuse'))
  const changes = choice.action === 'build' && previous ? await tolerate((m) => warnings.push(m), 'read the previous base environment', () => environmentChanges(opts, store, previous, fp)) : undefined
  let retention: RetentionReport | undefined
  if (opts.prune !== 'false' && client) {
    retention = await tolerate(
      (m) => warnings.push(m),
      'plan retention',
      () => prune(opts, client, [choice.tag], ctx.now, 'dry-run', (m) => warnings.push(m)),
    )
  }
  const data: ReportData = {
    ...reportHead(opts, ctx, fp),
    base: {
      tag: choice.tag,
      ref: baseRef,
      reused: choice.action === 'reuse',
      decision: choice.decision,
      ageDays: choice.action === 'reuse' ? choice.ageDays : undefined,
      changes: changes?.changes,
      previousTag: changes?.previousTag ?? previous?.tag,
    },
    builds: [],
    cache: { cachedSteps: 0, totalSteps: 0, ratio: 1 },
    phases: phases.list,
    push,
    retention,
    warnings,
    runUrl: runUrl(ctx),
  }
  await writeReports(opts, ctx, data)
}

function reportHead(opts: Options, ctx: RunContext, fp: Fingerprint): Pick<ReportData, 'mode' | 'image' | 'environmentFile' | 'envHash'> {
  return {
    mode: opts.mode,
    image: formatName(opts.image),
    environmentFile: path.relative(ctx.workspace, opts.environmentFile) || opts.environmentFile,
    envHash: fp.hash,
  }
}

async function writeReports(opts: Options, ctx: RunContext, data: ReportData): Promise<void> {
  if (opts.summary) {
    try {
      const md = renderReport(data)
      if (process.env.GITHUB_STEP_SUMMARY) {
        await core.summary.addRaw(md, true).write()
      } else {
        core.info('GITHUB_STEP_SUMMARY is not set; the summary follows:')
        core.info(md)
      }
    } catch (e) {
      core.warning(`Could not write the job summary: ${errorMessage(e)}`)
    }
  }
  if (opts.prComment && ctx.pullRequest) {
    if (ctx.pullRequest.fromFork) {
      core.notice('Pull request from a fork: its token cannot write, so no PR comment is posted (see the job summary)')
    } else if (!opts.githubToken) {
      core.notice('No github-token: no PR comment is posted')
    } else {
      try {
        const [owner, repo] = ctx.repository.split('/')
        const body = renderReport(data, { forComment: true })
        const result = await upsertPrComment(
          { token: opts.githubToken, apiUrl: ctx.apiUrl, owner: owner!, repo: repo!, issueNumber: ctx.pullRequest.number, image: data.image },
          body,
          { info: core.info, notice: core.notice, warning: core.warning, debug: core.debug },
        )
        core.info(`PR comment: ${result}`)
      } catch (e) {
        core.warning(`Could not write the PR comment: ${errorMessage(e)}`)
      }
    }
  }
}
