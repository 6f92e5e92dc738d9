// buildx itself and its builders: version check, inspection (can it export a registry
// cache?), and a throwaway docker-container builder for runs whose builder cannot.

import { randomBytes } from 'node:crypto'
import { UserError } from '../vocabulary/user-error.js'
import { createBuilderArgs, inspectBuilderArgs, removeBuilderArgs, type ContainerBuilderOptions } from './argv.js'
import { BUILDX_MISSING, briefOutput, docker, isBuildxMissing, type DockerOptions } from './docker.js'
import { engineDriverStatus, localEngineSocket } from './engine.js'

export interface BuilderInfo {
  name: string
  driver: string
  /** Whether `--cache-to type=registry,…` works with this builder. */
  canExportCache: boolean
  /** Why not (or a caveat), for the job log. */
  reason?: string
  /** Platforms of its nodes, without buildx's `*` marks, first node first. */
  platforms: string[]
  /**
   * For a builder of the docker driver over another Docker context: that context (builds run
   * as `docker --context=<it> buildx build`, see BuildSpec.dockerContext).
   */
  dockerContext?: string
  /** BuildKit's version on the first node (`docker buildx inspect`), for the log. */
  buildkit?: string
  /** `docker` driver: whether the engine uses the containerd image store (absent: not known, or another driver). */
  containerdStore?: boolean
}

export interface ParsedInspect {
  name: string
  driver: string
  /** Endpoint of the first node (for the docker driver: the docker context). */
  endpoint?: string
  status?: string
  /** `BuildKit version` of the first node. */
  buildkit?: string
  platforms: string[]
}

/** Parses the text of `docker buildx inspect`. Pure. */
export function parseInspect(out: string): ParsedInspect {
  let name = ''
  let driver = ''
  let endpoint: string | undefined
  let status: string | undefined
  let buildkit: string | undefined
  const platforms: string[] = []
  let inNodes = false
  for (const raw of out.split('\n')) {
    const m = /^([A-Za-z][A-Za-z ]*?):\s*(.*)$/.exec(raw.trimEnd())
    if (!m) continue
    const [, key, value = ''] = m
    if (key === 'Nodes') {
      inNodes = true
      continue
    }
    if (!inNodes) {
      if (key === 'Name' && name === '') name = value
      else if (key === 'Driver' && driver === '') driver = value
    } else if (key === 'Endpoint' && endpoint === undefined) {
      endpoint = value
    } else if (key === 'Status' && status === undefined) {
      status = value
    } else if (key === 'BuildKit version' && buildkit === undefined) {
      buildkit = value
    } else if (key === 'Platforms') {
      for (const p of value.split(',')) {
        const plat = p.trim().replace(/\*$/, '')
        if (plat !== '' && !platforms.includes(plat)) platforms.push(plat)
      }
    }
  }
  const r: ParsedInspect = { name, driver, platforms }
  if (endpoint !== undefined) r.endpoint = endpoint
  if (status !== undefined) r.status = status
  if (buildkit !== undefined) r.buildkit = buildkit
  return r
}

/** `docker info --format '{{json .DriverStatus}}'` → whether the containerd image store is on. Pure. */
export function usesContainerdStore(driverStatusJson: string): boolean {
  try {
    const status: unknown = JSON.parse(driverStatusJson.trim())
    if (!Array.isArray(status)) return false
    return status.some(
      (pair) => Array.isArray(pair) && pair[0] === 'driver-type' && typeof pair[1] === 'string' && pair[1].startsWith('io.containerd.snapshotter'),
    )
  } catch {
    return false
  }
}

export const DOCKER_DRIVER_NO_CACHE =
  'the "docker" driver exports a registry build cache only with the containerd image store ' +
  '(dockerd "features": {"containerd-snapshotter": true}); use a docker-container builder (docker/setup-buildx-action) or enable it'

/**
 * `docker buildx inspect [name]`. For the `docker` driver, cache export needs the engine's
 * containerd image store (DriverStatus `driver-type io.containerd.snapshotter.v1`), read over
 * the local engine's socket when the CLI would use it (src/buildx/engine.ts), else with
 * `docker info`; every other driver (docker-container, kubernetes, remote, cloud) can export.
 */
export async function inspectBuilder(name?: string, opts: DockerOptions = {}): Promise<BuilderInfo> {
  const defaultInfoArgs = ['info', '--format={{json .DriverStatus}}']
  // The usual case is the default builder of the local engine: ask the engine at the same
  // time as buildx.
  const socket = name ? undefined : localEngineSocket(opts.env ?? process.env)
  const early = socket ? engineDriverStatus(socket) : undefined
  early?.catch(() => undefined)
  const r = await docker(inspectBuilderArgs(name), { timeoutMs: 60_000, ...opts })
  if (r.code !== 0) {
    const out = r.stderr + r.stdout
    if (isBuildxMissing(out)) throw new UserError(BUILDX_MISSING)
    if (name && /no builder|not found/i.test(out)) {
      throw new UserError(`buildx builder "${name}" was not found (docker buildx ls lists the builders): ${briefOutput(out, 3)}`)
    }
    throw new Error(`docker buildx inspect${name ? ` ${name}` : ''} failed (exit ${r.code}): ${briefOutput(out)}`)
  }
  const parsed = parseInspect(r.stdout)
  const info: BuilderInfo = {
    name: parsed.name || name || 'default',
    driver: parsed.driver,
    canExportCache: true,
    platforms: parsed.platforms,
    ...(parsed.buildkit ? { buildkit: parsed.buildkit } : {}),
  }
  if (parsed.driver === 'docker') {
    // The docker driver's endpoint is a docker context name; ask that engine.
    const ctx = parsed.endpoint && /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/.test(parsed.endpoint) && parsed.endpoint !== 'default' ? parsed.endpoint : undefined
    if (ctx && name) info.dockerContext = ctx
    const fromSocket = !ctx && early ? await early.catch(() => undefined) : undefined
    const di =
      fromSocket !== undefined
        ? { code: 0, stdout: fromSocket, stderr: '' }
        : await docker([...(ctx ? [`--context=${ctx}`] : []), ...defaultInfoArgs], { timeoutMs: 60_000, ...opts })
    if (di.code !== 0) {
      info.canExportCache = false
      info.reason = `could not read the engine's image store (docker info failed: ${briefOutput(di.stderr, 3)}); ${DOCKER_DRIVER_NO_CACHE}`
    } else if (!usesContainerdStore(di.stdout)) {
      info.canExportCache = false
      info.reason = DOCKER_DRIVER_NO_CACHE
      info.containerdStore = false
    } else {
      info.containerdStore = true
    }
  }
  return info
}

/**
 * Creates and boots a `docker-container` builder for this run (remove it with
 * `removeBuilder`); returns its name. Needs the `moby/buildkit` image (pulled from Docker Hub
 * unless `driverOpts` name another `image=`).
 */
export async function createContainerBuilder(opts: ContainerBuilderOptions & DockerOptions = {}): Promise<string> {
  const name = opts.name ?? `conda-image-action-${randomBytes(4).toString('hex')}`
  const r = await docker(createBuilderArgs(name, opts), { timeoutMs: 300_000, ...opts })
  if (r.code !== 0) {
    const out = r.stderr + r.stdout
    if (isBuildxMissing(out)) throw new UserError(BUILDX_MISSING)
    // It may exist half-booted; do not leave it behind.
    await docker(removeBuilderArgs(name), { timeoutMs: 60_000, env: opts.env }).catch(() => undefined)
    throw new Error(`could not create a docker-container buildx builder (exit ${r.code}): ${briefOutput(out)}`)
  }
  return name
}

/** Removes a builder (and its state). A builder that no longer exists is not an error. */
export async function removeBuilder(name: string, opts: DockerOptions = {}): Promise<void> {
  const r = await docker(removeBuilderArgs(name), { timeoutMs: 120_000, ...opts })
  if (r.code === 0) return
  const out = r.stderr + r.stdout
  if (/no builder .*found|not found/i.test(out)) return
  throw new Error(`docker buildx rm ${name} failed (exit ${r.code}): ${briefOutput(out)}`)
}
