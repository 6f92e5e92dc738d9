// Typed fakes of every port of the orchestrator (src/ports/), for orchestrator tests that
// run in the unit tier with no Docker, no registry and no GitHub. The fakes keep state
// (a registry that gains the tags a push writes), so a test asserts on what happened.

import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { BuilderInfo, BuildOutcome, BuildSpec } from '../src/buildx/index.js'
import type { InputName, OutputName } from '../src/vocabulary/constants.js'
import { logSink, type Annotator, type Where } from '../src/runner/log.js'
import type { Ports, ProcessPort, RegistryAccess, Store, Stores } from '../src/ports/index.js'
import { inputFiles } from '../src/ports/input-files.js'
import { formatName, parseReference, type ImageName } from '../src/image/reference.js'
import type { RetentionBackend } from '../src/retention/index.js'
import type { ReachFailure } from '../src/registry/index.js'

export interface Annotated {
  readonly level: 'info' | 'debug' | 'notice' | 'warning' | 'error'
  readonly message: string
  readonly where?: Where
}

/** An annotator that records everything (and runs groups inline). */
export function recordingAnnotator(): Annotator & { readonly events: Annotated[] } {
  const events: Annotated[] = []
  const rec =
    (level: Annotated['level']) =>
    (message: string, where?: Where): void => {
      events.push(where ? { level, message, where } : { level, message })
    }
  return {
    events,
    info: rec('info'),
    output: rec('info'),
    debug: rec('debug'),
    notice: rec('notice'),
    warning: rec('warning'),
    error: rec('error'),
    group: async (name, f) => {
      events.push({ level: 'info', message: `::group::${name}` })
      return f()
    },
  }
}

export interface FakeImage {
  digest: string
  bytes: number
  labels: Record<string, string>
}

/** A registry (or engine) in memory: repositories of tags. Also the retention registry. */
export class FakeRegistry implements Store, RegistryAccess {
  readonly repos = new Map<string, Map<string, FakeImage>>()
  readonly deleted: string[] = []
  /** Tags whose manifest read fails (retention's collect). */
  readonly unreadable = new Set<string>()
  /** Tag listing fails with this error. */
  listError?: Error
  /** The push-access check fails with this error (a RegistryError of kind auth/denied: refused). */
  pushError?: Error
  readonly probed: string[] = []

  /** The reachability check finds the registry unreachable for this reason. */
  unreachable?: ReachFailure

  reachable(): Promise<ReachFailure | undefined> {
    return Promise.resolve(this.unreachable)
  }

  probePush(name: ImageName): Promise<void> {
    this.probed.push(formatName(name))
    return this.pushError ? Promise.reject(this.pushError) : Promise.resolve()
  }

  put(ref: string, image: Partial<FakeImage> = {}): FakeImage {
    const r = parseReference(ref)
    const repo = this.repo(r.name)
    const img = { digest: image.digest ?? digestOf(ref), bytes: image.bytes ?? 1000, labels: image.labels ?? {} }
    repo.set(r.tag!, img)
    return img
  }

  tagsOf(name: ImageName | string): string[] {
    return [...this.repo(typeof name === 'string' ? parseReference(`${name}:x`).name : name).keys()].sort()
  }

  private repo(name: ImageName): Map<string, FakeImage> {
    const key = formatName(name)
    if (!this.repos.has(key)) this.repos.set(key, new Map())
    return this.repos.get(key)!
  }

  private find(name: ImageName, ref: string): FakeImage | undefined {
    const repo = this.repo(name)
    return ref.startsWith('sha256:') ? [...repo.values()].find((i) => i.digest === ref) : repo.get(ref)
  }

  async tags(name: ImageName): Promise<string[]> {
    return this.listTags(name)
  }
  listTags(name: ImageName): Promise<string[]> {
    if (this.listError) return Promise.reject(this.listError)
    return Promise.resolve([...this.repo(name).keys()].sort())
  }
  digest(name: ImageName, tag: string): Promise<string | undefined> {
    return Promise.resolve(this.find(name, tag)?.digest)
  }
  size(name: ImageName, ref: string) {
    const img = this.find(name, ref)
    return Promise.resolve(
      img && {
        ref: `${formatName(name)}:${ref}`,
        digest: img.digest,
        total: img.bytes,
        platforms: [{ platform: 'linux/amd64', digest: img.digest, bytes: img.bytes }],
      },
    )
  }
  labels(name: ImageName, ref: string) {
    return Promise.resolve(this.find(name, ref)?.labels)
  }
  getManifest(name: ImageName, tag: string) {
    if (this.unreadable.has(tag)) return Promise.reject(new Error('HTTP 500 from the registry'))
    const img = this.find(name, tag)
    return Promise.resolve(img && { digest: img.digest })
  }
  headDigest(name: ImageName, tag: string): Promise<string | undefined> {
    return Promise.resolve(this.find(name, tag)?.digest)
  }
  /** mode: merge — an index of the parts: its digest derived from theirs, its size their sum. */
  putIndex(name: ImageName, parts: readonly { ref: string; platform: string }[], tags: readonly string[]): Promise<{ digest: string }> {
    const imgs = parts.map((p) => this.find(name, p.ref))
    const missing = parts.find((_p, n) => !imgs[n])
    if (missing) return Promise.reject(new Error(`${formatName(name)}:${missing.ref} does not exist`))
    const found = imgs.filter((i) => i !== undefined)
    const digest = digestOf(found.map((i) => i.digest).join(','))
    for (const t of tags) this.repo(name).set(t, { digest, bytes: found.reduce((n, i) => n + i.bytes, 0), labels: found[0]?.labels ?? {} })
    return Promise.resolve({ digest })
  }
  deleteManifest(name: ImageName, digest: string): Promise<'deleted'> {
    const repo = this.repo(name)
    for (const [t, i] of repo) if (i.digest === digest) repo.delete(t)
    this.deleted.push(digest)
    return Promise.resolve('deleted')
  }
}

export function digestOf(s: string): string {
  return `sha256:${createHash('sha256').update(s).digest('hex')}`
}

export interface FakeBuildxOptions {
  /** The current builder's cache export ability (default true). */
  canExportCache?: boolean
  /** A created docker-container builder can export (default true); `false`: creation fails. */
  createWorks?: boolean
  /** The first push fails with this (e.g. a registry 500). */
  failFirstPush?: Error
  /** Builds for which this returns an error fail with it (e.g. the application build, as a user error on its Dockerfile). */
  failBuild?: (spec: BuildSpec) => Error | undefined
  cachedSteps?: number
  totalSteps?: number
  /** The steps a build with no output (a base's solve) reports, and its time (default none, 10 ms). */
  solveSteps?: readonly { name: string; cached: boolean; durationMs: number }[]
  solveMs?: number
}

/** buildx over the fake registry: a push writes the tags, a load writes them to the engine. */
export function fakeBuildx(registry: FakeRegistry, engine: FakeRegistry, o: FakeBuildxOptions = {}) {
  const builds: BuildSpec[] = []
  const solves: BuildSpec[] = []
  const builders: string[] = []
  const removed: string[] = []
  let pushFailure = o.failFirstPush
  const info = (name: string | undefined): BuilderInfo => {
    const created = name !== undefined && builders.includes(name)
    const can = created || (o.canExportCache ?? true)
    return {
      name: name ?? 'default',
      driver: created ? 'docker-container' : 'docker',
      canExportCache: can,
      reason: can ? undefined : 'no containerd store',
      platforms: ['linux/amd64'],
    }
  }
  const port: Ports['buildx'] = {
    inspect: (name) => Promise.resolve(info(name)),
    createBuilder: () => {
      if (o.createWorks === false) return Promise.reject(new Error('moby/buildkit cannot be pulled'))
      const name = `fake-builder-${builders.length + 1}`
      builders.push(name)
      return Promise.resolve(name)
    },
    removeBuilder: (name) => {
      removed.push(name)
      return Promise.resolve()
    },
    build: (spec): Promise<BuildOutcome> => {
      // A build with no output (a base's solve before its export) is listed apart: `builds` are the ones that export.
      ;(spec.output === 'none' ? solves : builds).push(spec)
      const failure = o.failBuild?.(spec)
      if (failure) throw failure
      if (spec.output === 'push' && pushFailure) {
        const e = pushFailure
        pushFailure = undefined
        return Promise.reject(e)
      }
      const digest = digestOf(spec.tags.join(',') + spec.buildArgs.join(','))
      const labels = Object.fromEntries(spec.labels.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
      const target = spec.output === 'push' ? registry : engine
      // A push by digest writes no tag (a smoke test's trial); the digest is the pushed one's.
      // No output (a base's solve before its export, src/phases/build.ts): the result stays in the build cache.
      if (spec.output === 'push' || spec.output === 'load') for (const t of spec.tags) target.put(t, { digest, labels, bytes: 5000 })
      const exported = spec.cacheTo !== undefined && spec.cacheTo.length > 0
      return Promise.resolve({
        digest,
        metadata: {},
        cachedSteps: o.cachedSteps ?? 1,
        totalSteps: o.totalSteps ?? 4,
        steps: spec.output === 'none' ? [...(o.solveSteps ?? [])] : [],
        durationMs: spec.output === 'none' ? (o.solveMs ?? 10) : 10,
        cacheExport: exported ? 'exported' : 'skipped',
      })
    },
    login: (_registries, _u, _p) => ({ env: { DOCKER_CONFIG: '/fake' }, dir: '/fake', cleanup: () => undefined }),
  }
  return { port, builds, solves, builders, removed }
}

/** A process port that refuses: the orchestrator starts no process itself (buildx and stores are ports). */
export const noProcess: ProcessPort = {
  run: (program) => Promise.reject(new Error(`unexpected process: ${program}`)),
}

export interface FakePortsOptions {
  inputs: Partial<Record<InputName, string>>
  registry?: FakeRegistry
  engine?: FakeRegistry
  buildx?: FakeBuildxOptions
  now?: Date
  /** The process port (smoke tests' `docker run`); default: one that refuses every process. */
  proc?: ProcessPort
}

export interface FakeRun {
  ports: Ports
  annotator: ReturnType<typeof recordingAnnotator>
  registry: FakeRegistry
  engine: FakeRegistry
  buildx: ReturnType<typeof fakeBuildx>
  outputs: Partial<Record<OutputName, string>>
  summaries: string[]
  comments: { issue: number; body: string }[]
  retentionDeletes: string[]
  actionsCache: { restored: string[]; saved: string[] }
}

export function fakePorts(o: FakePortsOptions): FakeRun {
  const annotator = recordingAnnotator()
  const registry = o.registry ?? new FakeRegistry()
  const engine = o.engine ?? new FakeRegistry()
  const buildx = fakeBuildx(registry, engine, o.buildx)
  const outputs: FakeRun['outputs'] = {}
  const summaries: string[] = []
  const comments: FakeRun['comments'] = []
  const retentionDeletes: string[] = []
  const actionsCache = { restored: [] as string[], saved: [] as string[] }
  let tick = 0
  const ghcr: RetentionBackend = {
    name: 'fake GitHub Packages',
    deleteDigest: (d) => {
      retentionDeletes.push(d)
      return Promise.resolve('deleted')
    },
  }
  const ports: Ports = {
    log: logSink(annotator),
    clock: { now: () => o.now ?? new Date('2026-11-23T12:00:00Z'), monotonicMs: () => (tick += 5) },
    proc: o.proc ?? noProcess,
    github: {
      upsertComment: (target, body) => {
        comments.push({ issue: target.issueNumber, body })
        return Promise.resolve('created')
      },
      packagesBackend: () => ghcr,
    },
    results: {
      setOutput: (name, value) => {
        outputs[name] = value
      },
      writeSummary: (md) => {
        summaries.push(md)
        return Promise.resolve(true)
      },
    },
    buildx: buildx.port,
    actionsCache: {
      plan: (args) => ({ key: `k-${args.kind}`, restoreKeys: [], dir: `/fake-cache/${args.kind}` }),
      restore: (plan) => {
        actionsCache.restored.push(plan.key)
        return Promise.resolve({ hit: 'miss' })
      },
      finish: () => Promise.resolve({ exported: true, changed: true }),
      save: (plan) => {
        actionsCache.saved.push(plan.key)
        return Promise.resolve('saved')
      },
    },
    input: (name) => o.inputs[name] ?? '',
    // The real files of the test's workspace, read as the action reads them.
    inputFiles,
    stores: (s): Stores => (s.local ? { store: engine, engine } : { store: registry, engine, registry }),
    tempDir: () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-run-'))
      return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
    },
  }
  return { ports, annotator, registry, engine, buildx, outputs, summaries, comments, retentionDeletes, actionsCache }
}
