// Whether this run pushes (the `push` input), as a pure decision with a reason a person reads.
//
// Push means push: `auto` pushes everywhere except where the reason not to is visible and
// expected — a pull request from a fork, whose token is read-only (said as a notice). Missing
// or refused credentials are not a reason to skip: the run checks push access before any
// build and fails, naming the registry and how to log in (see `pushAccessMessage`).

import { Inputs, type InputName } from '../vocabulary/constants.js'
import type { RunContext } from '../context/run-context.js'
import type { Options } from './options.js'
import { formatName, parseReference, type ImageName } from '../image/reference.js'
import type { ReachFailure } from '../registry/index.js'
import { registryHost } from '../image/registry-hosts.js'

export interface PushDecision {
  readonly enabled: boolean
  readonly reason: string
  /** Said as a notice: pushing was skipped for a reason the user should see. */
  readonly notice?: string
}

export interface PushInput {
  readonly push: 'auto' | boolean
  /** The local Docker engine is the store. */
  readonly local: boolean
  readonly pullRequest?: RunContext['pullRequest']
}

/** What a run does (plan mode reports it as what a run would do, and pushes nothing). */
export function decidePush(p: PushInput): PushDecision {
  if (p.local) return { enabled: false, reason: 'the local Docker engine is the store (`store: local`): images are loaded, not pushed' }
  if (p.push === true) return { enabled: true, reason: 'push: true' }
  if (p.push === false) return { enabled: false, reason: 'push: false — images are loaded into the local engine, registry cache is not exported' }
  if (p.pullRequest?.fromFork) {
    const reason = 'pull request from a fork: its token is read-only, so nothing is pushed and no registry cache is exported'
    return { enabled: false, reason, notice: `Not pushing: ${reason}. The images are built and loaded on the runner; the job summary has the report.` }
  }
  return { enabled: true, reason: 'push: auto — the job pushes (push access is checked before building)' }
}

/** The message of a push that cannot happen: names the registry and how to log in. */
export function pushAccessMessage(registry: string, repository: string, detail: string): string {
  const row = registryHost(registry)
  // The host's own word on pushing (e.g. GitHub's `packages: write`), from the one host table.
  const own = row.permissionAdvice?.push ? ` (${row.name}: ${row.permissionAdvice.push})` : ''
  return (
    `Cannot push to ${registry}/${repository}${row.pushNote ?? ''}: ${detail}. ` +
    `Log in before this step with docker/login-action (registry: ${registry}), or set the inputs registry-username and registry-password${own}; ` +
    'set push: false to build without pushing.'
  )
}

/** A registry a run that pushes must reach before it builds, with the inputs that name it. */
export interface ReachTarget {
  readonly name: ImageName
  readonly inputs: readonly InputName[]
}

type ReachOptions = Pick<Options, 'image' | 'baseRepository' | 'dockerfile' | 'tags' | 'cacheRef' | 'appCacheRef' | 'cacheBackend'>

/**
 * Every registry a run that pushes writes to, once per registry host, in input order: the
 * base repository's; with an application Dockerfile also the image's and those of `tags`;
 * with a registry build cache those of `cache-ref` and `app-cache-ref`. A computed default
 * (the base repository, the cache refs, tags of the image's own repository) is on a
 * registry already listed, so only inputs that name another repository are named.
 */
export function registriesToReach(o: ReachOptions): ReachTarget[] {
  const named: [InputName, ImageName][] = []
  const same = (a: ImageName, b: ImageName) => formatName(a) === formatName(b)
  named.push([same(o.baseRepository, o.image) ? Inputs.Image : Inputs.BaseRepository, o.baseRepository])
  if (o.dockerfile) {
    named.push([Inputs.Image, o.image])
    for (const t of o.tags) {
      const name = parseReference(t).name
      if (!same(name, o.image)) named.push([Inputs.Tags, name])
    }
  }
  if (o.cacheBackend !== 'actions') {
    if (o.cacheRef !== `${formatName(o.baseRepository)}:buildcache`) named.push([Inputs.CacheRef, parseReference(o.cacheRef).name])
    if (o.dockerfile && o.appCacheRef !== `${formatName(o.image)}:buildcache-app`) named.push([Inputs.AppCacheRef, parseReference(o.appCacheRef).name])
  }
  const byRegistry = new Map<string, { name: ImageName; inputs: InputName[] }>()
  for (const [input, name] of named) {
    const t = byRegistry.get(name.registry)
    if (!t) byRegistry.set(name.registry, { name, inputs: [input] })
    else if (!t.inputs.includes(input)) t.inputs.push(input)
  }
  return [...byRegistry.values()]
}

const TLS_CODE = /^(CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|ERR_TLS|ERR_SSL|EPROTO$|ERR_CERT)/

/** Why a registry could not be reached, in words, and what to do about that cause. */
export function unreachableCause(registry: string, why: ReachFailure): { cause: string; fix: string } {
  const host = registry.replace(/:\d+$/, '')
  const checkHost = `check the registry host`
  if (['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL'].includes(why.code))
    return {
      cause: `the name ${host} does not resolve (DNS: ${why.code})`,
      fix: `${checkHost} for a typo, and that the runner can resolve it (a private registry needs a runner on its network)`,
    }
  if (why.code === 'ECONNREFUSED')
    return { cause: `the connection to ${registry} was refused (nothing listens there)`, fix: `${checkHost} and port, and that the registry is running` }
  if (['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN'].includes(why.code))
    return {
      cause: `${host} is unreachable from the runner (${why.code})`,
      fix: `check the runner's network and firewall (and HTTPS_PROXY if the runner needs a proxy)`,
    }
  if (why.code === 'TimeoutError')
    return {
      cause: `it accepted no request within ${Math.round(why.ms / 1000)} s`,
      fix: `check that the registry is up and that the runner's network (or its proxy, HTTPS_PROXY) lets the connection through`,
    }
  if (TLS_CODE.test(why.code))
    return {
      cause: `the TLS handshake with ${registry} failed (${why.code})`,
      fix: `give the runner the registry's CA certificate (NODE_EXTRA_CA_CERTS and Docker's certs.d), or, for a registry that serves plain HTTP, list it in ${Inputs.InsecureRegistries}`,
    }
  if (why.code === 'ECONNRESET' || why.code === 'EPIPE')
    return { cause: `the connection to ${registry} was reset (${why.code})`, fix: `check that the registry is up and speaks HTTPS on that port` }
  return { cause: `${why.code === 'unknown' ? why.message : why.code}`, fix: `check the registry host and the runner's network` }
}

/** The error of a registry the run must push to and cannot reach: names the host, the cause, the inputs and what to do. */
export function unreachableMessage(target: ReachTarget, why: ReachFailure): string {
  const registry = target.name.registry
  const { cause, fix } = unreachableCause(registry, why)
  const inputs = target.inputs.map((i) => `\`${i}\``).join(', ')
  return (
    `Cannot reach the registry ${registry} (named by ${inputs}): ${cause}. ` +
    `The run must push there, so it stops before building. To fix: ${fix}; or set push: false to build without pushing.`
  )
}
