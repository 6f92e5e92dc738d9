// The action as a short list of phases (each in a log group): inputs → fingerprint →
// lookup → base → application → measure → retention → report. Decisions are pure
// functions in their own modules; this file wires them to the I/O.

import * as core from '@actions/core'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  buildxArgs,
  probeBuilder,
  cacheTos,
  cacheToValue,
  createContainerBuilder,
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
import { diffDocuments, fingerprint, parseDocumentLabel, type Fingerprint } from './hash/index.js'
import { getOptions, type Options } from './options.js'
import { decidePush, type PushDecision } from './push.js'
import { formatName, formatReference, isLoopbackHost, parseReference, type ImageName } from './reference.js'
import { RegistryClient, hasCredentials } from './registry/index.js'
import { resolveSourceDate, sameDigestAs, type SourceDate } from './source-date.js'
import type { BuildReport, EnvChange, ImageSize, ReportData, RetentionReport } from './report/model.js'
import { evaluateBudget, renderReport } from './report/index.js'
import { applyRetention, collectTagInfo, distributionBackend, ghcrBackend, planRetention, selectBackend } from './retention/index.js'
import { chooseBase, datedTags, previousBase, trendTags, withTag, type BaseChoice, type DatedTag } from './tags.js'

const TREND_POINTS = 8

class Phases {
  readonly list: { name: string; ms: number }[] = []
  async run<T>(name: string, f: () => Promise<T>): Promise<T> {
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
  tags: (name) => localTags(name.repository),
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

/** Entry point: never throws; failures become one error annotation and a non-zero exit. */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const cleanup: (() => Promise<void>)[] = []
  try {
    await main(readRunContext(env), cleanup, env)
  } catch (e) {
    fail(e)
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

function fail(e: unknown): void {
  if (isUserError(e)) {
    core.error(e.message, e.file ? { file: e.file, startLine: e.line, startColumn: e.column } : {})
  } else {
    core.error(`conda-image-action failed: ${errorMessage(e)}`)
    if (e instanceof Error && e.stack) core.debug(e.stack)
  }
  process.exitCode = 1
}

async function main(ctx: RunContext, cleanup: (() => Promise<void>)[], env: NodeJS.ProcessEnv): Promise<void> {
  const phases = new Phases()
  const warnings: string[] = []
  const warn = (m: string): void => {
    warnings.push(m)
    core.warning(m)
  }

  const opts = await phases.run('Inputs', async () => getOptions(ctx))
  // An empty `platforms` means this runner's platform, made explicit so that runners of
  // different architectures never share (and reuse) one base.
  const platforms = opts.platforms.length ? opts.platforms : [ctx.hostPlatform]
  // With an application Dockerfile a build is certain: probe the builder (docker CLI calls)
  // while hashing and looking up. Not with credential inputs: the builds then use their own Docker config.
  const earlyProbe = opts.dockerfile && opts.mode !== 'plan' && !(opts.registryUsername && opts.registryPassword) ? probeBuilder(opts.builder) : undefined
  const fp = await phases.run('Environment hash', () => hashEnvironment(opts, platforms))
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
  const push = decidePush({
    push: opts.push,
    mode: opts.mode,
    local: opts.image.local,
    pullRequest: ctx.pullRequest,
    credentials: credentialState(opts),
    registry: opts.image.registry,
  })
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

  const builds: BuildReport[] = []
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'conda-image-action-'))
  cleanup.push(async () => rmSync(workDir, { recursive: true, force: true }))

  let builder: string | undefined = opts.builder
  let canExportCache = false
  const needBuild = choice.action === 'build' || Boolean(opts.dockerfile)
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
      const probe = earlyProbe && !dockerEnv ? earlyProbe : probeBuilder(builder, dockerOpts)
      const [version, inspected] = await Promise.all([probe.version, probe.info])
      core.info(version)
      let info = inspected
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

  // The source date of what is built (created label, SOURCE_DATE_EPOCH): a rebuild of the same commit is the same image.
  const sourceDate = needBuild ? await resolveSourceDate(ctx) : undefined
  if (sourceDate) core.info(`Source date ${sourceDate.date.toISOString()} (from ${sourceDate.origin})`)

  // --- base ---
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
        labels: [...opts.labels, ...ociLabels(ctx, sourceDate), `${Labels.EnvHash}=${fp.hash}`, `${Labels.Scheme}=${HASH_SCHEME}`, `${Labels.EnvDocument}=${fp.json}`],
        sourceDateEpoch: sourceDate?.seconds,
        platforms,
        builder,
        ...registryCache(opts.cacheRef),
        output: push.enabled ? 'push' : 'load',
        // Refresh builds (nightly, max-age) re-pull FROM images; `refresh: full` also re-solves.
        pull: isRefresh(choice),
        noCache: isRefresh(choice) && opts.refresh === 'full',
        metadataFile: path.join(workDir, 'base-metadata.json'),
      }
      core.debug(`docker ${buildxArgs(spec).filter((a) => !a.includes(`${Labels.EnvDocument}=`)).join(' ')}`)
      return build('base', spec)
    })
    builds.push(buildReport('base', baseTagRef, outcome.outcome, outcome.note))
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
  let digestBefore: string | undefined
  if (opts.dockerfile) {
    const appRef = opts.tags[0]!
    const app = parseReference(appRef)
    if (push.enabled) digestBefore = await store.digest(app.name, app.tag!).catch(() => undefined)
    const outcome = await phases.run(`Build application ${appRef}`, async () => {
      const fromRef = push.enabled && baseDigest ? formatReference(baseRepo, choice.tag, baseDigest) : baseTagRef
      const spec: BuildSpec = {
        context: opts.context,
        dockerfile: opts.dockerfile!,
        tags: opts.tags,
        buildArgs: [`${BuildArgNames.BaseImage}=${fromRef}`, ...opts.buildArgs],
        labels: [...opts.labels, ...ociLabels(ctx, sourceDate), `${Labels.EnvHash}=${fp.hash}`],
        sourceDateEpoch: sourceDate?.seconds,
        platforms,
        target: opts.target,
        builder,
        ...registryCache(opts.appCacheRef),
        output: push.enabled ? 'push' : 'load',
        metadataFile: path.join(workDir, 'app-metadata.json'),
      }
      core.debug(`docker ${buildxArgs(spec).join(' ')}`)
      return build('app', spec)
    })
    builds.push(buildReport('app', appRef, outcome.outcome, outcome.note))
    const parsed = parseReference(appRef)
    finalName = parsed.name
    finalTag = parsed.tag!
    finalDigest = (push.enabled || opts.image.local ? await store.digest(finalName, finalTag) : undefined) ?? outcome.outcome.digest
  }
  const finalRef = formatReference(finalName, finalTag, finalDigest)
  core.setOutput(Outputs.Image, finalRef)
  core.setOutput(Outputs.Digest, finalDigest ?? '')

  const cache = cacheTotals(builds)
  core.setOutput(Outputs.CacheHitRatio, String(cache.ratio))
  core.setOutput(Outputs.CachedSteps, String(cache.cachedSteps))
  core.setOutput(Outputs.TotalSteps, String(cache.totalSteps))

  // --- measure ---
  const measured = await phases.run('Measure', async () => {
    const sizeStore = push.enabled || opts.image.local ? store : engineStore
    const measuredRef = finalDigest && !opts.image.local && push.enabled ? finalDigest : finalTag
    // Independent registry reads: run them at once.
    const [read, compareTo, changes, trend] = await Promise.all([
      tolerate(warn, 'read the image size', () => sizeStore.size(finalName, measuredRef)),
      tolerate(warn, 'read the size of the compared image', () => comparedImage(opts, store, previous)),
      choice.action === 'build' && previous
        ? tolerate(warn, 'read the previous base environment', () => environmentChanges(opts, store, previous, fp))
        : undefined,
      tolerate(warn, 'read the size trend', () => sizeTrend(opts, store, dated ?? [], choice.tag, fp.hash, push.enabled || opts.image.local)),
    ])
    return { size: read ? { ...read, ref: finalRef } : undefined, compareTo, changes, trend }
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
    },
    final: {
      ref: finalRef,
      digest: finalDigest,
      size: measured.size,
      compareTo: measured.compareTo,
      unchangedFrom: builds.length ? sameDigestAs(finalDigest, [{ ref: formatReference(finalName, finalTag), digest: digestBefore }, measured.compareTo ?? {}]) : undefined,
    },
    builds,
    cache,
    phases: phases.list,
    push,
    trend: measured.trend,
    budget,
    retention,
    warnings,
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
  })
  core.info(`Environment hash ${fp.hash} (scheme ${HASH_SCHEME}) over ${fp.files.length} file(s)`)
  return fp
}

function credentialState(opts: Options): 'found' | 'none' | 'not-needed' {
  if (opts.image.local) return 'not-needed'
  if (isLoopbackHost(opts.image.registry) || opts.insecureRegistries.includes(opts.image.registry)) return 'not-needed'
  if (opts.registryUsername && opts.registryPassword) return 'found'
  return hasCredentials(opts.image.registry) ? 'found' : 'none'
}

function ociLabels(ctx: RunContext, sourceDate: SourceDate | undefined): string[] {
  const out = [`${Labels.Created}=${(sourceDate?.date ?? ctx.now).toISOString()}`]
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

/** The image the final size is compared with: `compare-to`, `<image>:latest`, or the previous dated base. */
async function comparedImage(opts: Options, store: Store, previous: DatedTag | undefined): Promise<ImageSize | undefined> {
  if (opts.dockerfile) {
    const ref = opts.compareTo ? parseReference(opts.compareTo) : { name: opts.image, tag: 'latest', digest: undefined }
    return store.size(ref.name, ref.digest ?? ref.tag ?? 'latest')
  }
  return previous && store.size(opts.baseRepository, previous.tag)
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
  return { changes: diffDocuments(doc, fp.document), previousTag: prev.tag }
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
      previousTag: previous?.tag,
    },
    builds: [],
    cache: { cachedSteps: 0, totalSteps: 0, ratio: 1 },
    phases: phases.list,
    push,
    retention,
    warnings,
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
        // Octokit is only needed here: loaded on demand (a separate chunk of the bundle).
        const { upsertPrComment } = await import('./report/comment.js')
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
