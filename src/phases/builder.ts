// Phase 5a: the buildx builder (and the Docker config) the builds use.

import { errorMessage } from '../errors.js'
import { cacheWithBuilder, decideBuilder, type RunPlan } from '../plan.js'
import type { Ports } from '../ports/index.js'
import type { Cleanup, RunState } from '../state.js'

/** How the builds run: builder, cache settings now that the builder is known, the docker environment. */
export interface Toolchain {
  readonly builder?: string
  /** A builder over another Docker context: builds run as `docker --context=<it> buildx build`. */
  readonly dockerContext?: string
  readonly cache: ReturnType<typeof cacheWithBuilder>
  readonly env?: NodeJS.ProcessEnv
}

/** The credential inputs reach BuildKit through a temporary Docker config for the builds. */
export function dockerEnvironment(s: Pick<RunState, 'opts' | 'plan'>, ports: Pick<Ports, 'buildx' | 'log'>, cleanup: Cleanup): NodeJS.ProcessEnv | undefined {
  const { opts } = s
  if (!s.plan.builder.login || !opts.registryUsername || !opts.registryPassword) return undefined
  const login = ports.buildx.login([opts.image.registry, opts.baseRepository.registry], opts.registryUsername, opts.registryPassword)
  cleanup(() => login.cleanup())
  if (login.note) ports.log.notice(login.note)
  return login.env
}

export async function builderPhase(
  s: Pick<RunState, 'opts' | 'plan'>,
  env: NodeJS.ProcessEnv | undefined,
  ports: Pick<Ports, 'buildx' | 'log'>,
  cleanup: Cleanup,
): Promise<Toolchain> {
  const { log, buildx } = ports
  log.info(await buildx.version(env))
  let builder = s.opts.builder
  let info = await buildx.inspect(builder, env)
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
  const cache = cacheWithBuilder(s.plan.cache, info.canExportCache)
  if (cache.warning) log.warning(cache.warning)
  log.info(`Builder: ${info.name} (${info.driver} driver), registry cache export: ${info.canExportCache ? 'yes' : 'no'}`)
  return { builder, ...(info.dockerContext ? { dockerContext: info.dockerContext } : {}), cache, env }
}

/** No builds: the plan's cache settings as they are. */
export function noToolchain(plan: RunPlan): Toolchain {
  return { cache: { ...plan.cache, export: false } }
}
