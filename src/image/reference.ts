// Image reference parsing, following the rules of the Docker reference grammar
// (distribution/reference): the first path component is a registry host when it contains
// a '.' or ':' or is 'localhost'. As everywhere in Docker, a name without a registry host
// is on Docker Hub (`acme/model` → `docker.io/acme/model`, `busybox` →
// `docker.io/library/busybox`). The local Docker engine as the store is chosen explicitly
// (the `store: local` input): names are then kept as written and marked `local`.

import { UserError } from '../vocabulary/user-error.js'

export interface ImageName {
  /** Registry host (`ghcr.io`, `127.0.0.1:5000`, `docker.io` when none was written); '' for a bare name in the local engine. */
  readonly registry: string
  /** Host the registry API is reached at (Docker Hub's API lives at registry-1.docker.io). */
  readonly apiHost: string
  /** Repository path inside the registry (`acme/model`, `library/busybox`). */
  readonly repository: string
  /** True when the local Docker engine is the store (`store: local`). */
  readonly local: boolean
}

export interface ImageReference {
  readonly name: ImageName
  readonly tag?: string
  readonly digest?: string
}

const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::([0-9]{1,5}))?$/

export interface ParseOptions {
  /** The local Docker engine is the store: a name without a host stays as written. */
  readonly local?: boolean
}

/** Why `host` is not a registry host (syntax, port range 1–65535, length), or undefined when it is one. */
export function registryHostProblem(host: string): string | undefined {
  const m = HOST.exec(host)
  if (!m) return 'a registry host is a DNS name or IP address, optionally with :port'
  if (m[1] !== undefined) {
    const port = Number(m[1])
    if (!(port >= 1 && port <= 65535)) return `port ${m[1]} is outside 1–65535`
  }
  if (host.length > 253) return 'it is longer than 253 characters'
  return undefined
}

function looksLikeHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost'
}

/** Docker Hub's names: `docker.io`, `index.docker.io`, `registry-1.docker.io`. */
export function isDockerHub(registry: string): boolean {
  return registry === 'docker.io' || registry === 'index.docker.io' || registry === 'registry-1.docker.io'
}

/**
 * Parses `[host[:port]/]path[:tag][@digest]`. `what` names the input in error messages.
 * Throws UserError with a message a person understands.
 */
export function parseReference(input: string, what = 'image', opts: ParseOptions = {}): ImageReference {
  const s = input.trim()
  if (!s) throw new UserError(`${what} is empty`)
  if (/\s/.test(s)) throw new UserError(`${what} "${input}" contains white space`)
  let rest = s
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) throw new UserError(`${what} "${input}" has an invalid digest "${digest}"`)
  }
  let tag: string | undefined
  const lastSlash = rest.lastIndexOf('/')
  const lastColon = rest.lastIndexOf(':')
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1)
    rest = rest.slice(0, lastColon)
    if (!TAG.test(tag)) throw new UserError(`${what} "${input}" has an invalid tag "${tag}" (letters, digits, '_', '.', '-'; at most 128)`)
  }
  const name = parseName(rest, what, input, opts.local === true)
  return { name, tag, digest }
}

/** Parses a repository name without tag or digest. */
export function parseImageName(input: string, what = 'image', opts: ParseOptions = {}): ImageName {
  const ref = parseReference(input, what, opts)
  if (ref.tag || ref.digest) {
    throw new UserError(`${what} "${input}" must be a repository without a tag or digest (e.g. ghcr.io/acme/model)`)
  }
  return ref.name
}

function parseName(rest: string, what: string, input: string, local: boolean): ImageName {
  const parts = rest.split('/')
  let registry = ''
  if (parts.length > 1 && looksLikeHost(parts[0]!)) {
    registry = parts.shift()!
    const problem = registryHostProblem(registry)
    if (problem) throw new UserError(`${what} "${input}" has an invalid registry host "${registry}": ${problem}`)
  } else if (!local) {
    registry = 'docker.io'
  }
  if (parts.length === 0 || parts.some((p) => p === '')) {
    throw new UserError(`${what} "${input}" is not a valid image reference`)
  }
  for (const p of parts) {
    if (!COMPONENT.test(p)) {
      throw new UserError(`${what} "${input}" is not a valid image reference: "${p}" must be lowercase letters, digits and separators (. _ __ -)`)
    }
  }
  let repository = parts.join('/')
  let apiHost = registry
  if (registry && isDockerHub(registry)) {
    registry = 'docker.io'
    apiHost = 'registry-1.docker.io'
    if (!repository.includes('/')) repository = `library/${repository}`
  }
  if (repository.length > 255) throw new UserError(`${what} "${input}" is longer than 255 characters`)
  return Object.freeze({ registry, apiHost, repository, local })
}

/** `registry/repository` (or just `repository` for the local engine). */
export function formatName(name: ImageName): string {
  return name.registry ? `${name.registry}/${name.repository}` : name.repository
}

export function formatReference(name: ImageName, tag?: string, digest?: string): string {
  let s = formatName(name)
  if (tag) s += `:${tag}`
  if (digest) s += `@${digest}`
  return s
}

/** Loopback hosts are reached over plain HTTP, like Docker does. */
export function isLoopbackHost(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.split(':')[0]!
  return host === 'localhost' || /^127(?:\.\d{1,3}){3}$/.test(host) || host === '::1'
}
