// Phase 5a: the buildx builder (and the Docker config) the builds use.

import type { BuilderInfo } from '../buildx/index.js'
import { compressionProblem } from '../compression/index.js'
import { UserError, errorMessage } from '../vocabulary/user-error.js'
import type { Options } from '../run/options.js'
import { cacheWithBuilder, decideBuilder, type RunPlan } from '../run/run-plan.js'
import type { Ports } from '../ports/index.js'
import { resolveSourceDate, type SourceDate } from '../context/source-date.js'
import type { BuildSecretArgs } from '../secrets/build-secrets.js'
import type { Cleanup, RunState } from '../run/state.js'

/** How the builds run: builder, cache settings now that the builder is known, the docker environment. */
export interface Toolchain {
  readonly builder?: string
  /** A builder over another Docker context: builds run as `docker --context=<it> buildx build`. */
  readonly dockerContext?: string
  /** The builder's driver (`docker`, `docker-container`, …): how a smoke test's trial keeps its image. */
  readonly driver?: string
  readonly cache: ReturnType<typeof cacheWithBuilder>
  readonly env?: NodeJS.ProcessEnv
  /** The source date of what is built (created label, SOURCE_DATE_EPOCH): a rebuild of one commit is one image. */
  readonly sourceDate?: SourceDate
  /** `--secret` / `--ssh` values of both builds. */
  readonly secrets?: BuildSecretArgs
  /**
   * The Actions cache directories this run's builds left holding a BuildKit cache (true) or
   * not (false): a second build of one kind (a smoke test's trial, then the push) finds its
   * directory as the first left it and does not restore it again (src/phases/build.ts).
   */
  readonly actionsCacheDirs: Map<string, boolean>
}

/** The credential inputs reach BuildKit through a temporary Docker config for the builds (when `useLogin`, see builderLogin). */
export function dockerEnvironment(opts: Options, useLogin: boolean, ports: Pick<Ports, 'buildx' | 'log'>, cleanup: Cleanup): NodeJS.ProcessEnv | undefined {
  if (!useLogin || !opts.registryUsername || !opts.registryPassword) return undefined
  const login = ports.buildx.login([opts.image.registry, opts.baseRepository.registry], opts.registryUsername, opts.registryPassword)
  cleanup(() => login.cleanup())
  if (login.note) ports.log.notice(login.note)
  return login.env
}

/** What the Builder phase reads before it decides: the builder and the commit time (under way). */
export interface BuilderProbe {
  /** The Docker environment the probe (and so the builds) use. */
  readonly env: NodeJS.ProcessEnv | undefined
  readonly inspected: Promise<BuilderInfo>
  readonly sourceDate: Promise<SourceDate>
}

/**
 * Starts the Builder phase's reads now — `docker buildx inspect` (a CLI start of 0.1–0.3 s;
 * the engine's image store is asked over its socket at the same time) and `git log` for the
 * commit time — so that they run while the action does other work. A failure is kept for
 * whoever awaits it (never unhandled).
 */
export function probeBuilder(
  s: Pick<RunState, 'opts' | 'ctx'>,
  env: NodeJS.ProcessEnv | undefined,
  ports: Pick<Ports, 'buildx' | 'proc' | 'clock'>,
): BuilderProbe {
  const probe: BuilderProbe = {
    env,
    inspected: ports.buildx.inspect(s.opts.builder, env),
    sourceDate: resolveSourceDate(s.ctx, () => ports.clock.now(), ports.proc),
  }
  for (const p of [probe.inspected, probe.sourceDate]) p.catch(() => undefined)
  return probe
}

export async function builderPhase(
  s: Pick<RunState, 'opts' | 'plan' | 'ctx'>,
  probe: BuilderProbe,
  ports: Pick<Ports, 'buildx' | 'log' | 'proc' | 'clock'>,
  cleanup: Cleanup,
): Promise<Toolchain> {
  const { log, buildx } = ports
  const { env } = probe
  let builder = s.opts.builder
  const [inspected, sourceDate] = await Promise.all([probe.inspected, probe.sourceDate])
  log.info(`Source date ${sourceDate.date.toISOString()} (from ${sourceDate.origin})`)
  let info = inspected
  const decision = decideBuilder(s.plan, info, s.opts.builder)
  if (decision.action === 'create') {
    log.warning(decision.warning)
    try {
      builder = await buildx.createBuilder(env)
      const created = builder
      cleanup(() => buildx.removeBuilder(created, env))
      info = await buildx.inspect(builder, env)
    } catch (e) {
      builder = s.opts.builder
      log.warning(`Could not create a docker-container builder (${errorMessage(e)}); building without registry cache export`)
    }
  } else if (decision.action === 'no-export') {
    log.warning(decision.warning)
  }
  // A compression this builder cannot produce: the user's error, before any build.
  const problem = compressionProblem(s.opts.compression, info)
  if (problem) throw new UserError(problem)
  const cache = cacheWithBuilder(s.plan.cache, info.canExportCache)
  if (cache.warning) log.warning(cache.warning)
  const buildkit = info.buildkit ? `, BuildKit ${info.buildkit}` : ''
  log.info(`Builder: ${info.name} (${info.driver} driver${buildkit}), registry cache export: ${info.canExportCache ? 'yes' : 'no'}`)
  return {
    builder,
    ...(info.dockerContext ? { dockerContext: info.dockerContext } : {}),
    driver: info.driver,
    cache,
    env,
    sourceDate,
    actionsCacheDirs: new Map(),
  }
}

/** No builds: the plan's cache settings as they are. */
export function noToolchain(plan: RunPlan): Toolchain {
  return { cache: { ...plan.cache, export: false }, actionsCacheDirs: new Map() }
}
