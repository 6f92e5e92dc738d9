// Every edge of the orchestrator, as one bundle of ports. `defaultPorts` wires the real
// ones; orchestrator tests pass typed fakes (__fixtures__/ports.ts).

import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { appendSummary, getInput, setOutput } from '../runner/workflow-commands.js'
import { maskSecrets } from '../text/redact.js'
import {
  actionsCachePlan,
  finishLocalCache,
  restoreBuildCache,
  saveBuildCache,
  type ActionsCachePlan,
  type CacheKeyArgs,
  type CacheLog,
  type RestoreResult,
  type SaveResult,
} from '../actions-cache/index.js'
import { createContainerBuilder, inspectBuilder, removeBuilder, runBuild, type BuilderInfo, type BuildOutcome, type BuildSpec } from '../buildx/index.js'
import type { InputName, OutputName } from '../vocabulary/constants.js'
import { dockerConfigWithLogin, type LoginConfig } from '../secrets/docker-login.js'
import { githubApi, type GitHubPort } from './github.js'
import { inputFiles, type InputFilesPort } from './input-files.js'
import { logSink, runnerLog, type LogSink } from '../runner/log.js'
import { execProcess, type ProcessPort } from '../runner/process.js'
import { openStores, type StoreOptions, type Stores } from '../stores/image-stores.js'

export type { GitHubPort } from './github.js'
export type { InputFilesPort } from './input-files.js'
export type { LogSink, Where, WarningOptions, Annotator } from '../runner/log.js'
export type { ProcessPort, ProcessOptions, ProcessResult } from '../runner/process.js'
export type { Store, Stores, StoreOptions, RegistryAccess } from '../stores/image-stores.js'

/** The clock: wall time for tags and labels, a monotonic counter for phase timings. */
export interface Clock {
  now(): Date
  monotonicMs(): number
}

/** Where results go: step outputs and the job summary. */
export interface ResultPort {
  setOutput(name: OutputName, value: string): void
  /** Appends to the job summary; false when there is no summary file (the caller logs it instead). */
  writeSummary(markdown: string): Promise<boolean>
}

/** `docker buildx`: builders and builds (all through the process port). */
export interface BuildxPort {
  inspect(name: string | undefined, env?: NodeJS.ProcessEnv): Promise<BuilderInfo>
  createBuilder(env?: NodeJS.ProcessEnv): Promise<string>
  removeBuilder(name: string, env?: NodeJS.ProcessEnv): Promise<void>
  build(spec: BuildSpec, opts: { log: (line: string) => void; env?: NodeJS.ProcessEnv }): Promise<BuildOutcome>
  /** A temporary Docker config with the credential inputs for the builds. */
  login(registries: readonly string[], username: string, password: string): LoginConfig
}

/** The Actions cache as a BuildKit local cache store. */
export interface ActionsCachePort {
  plan(args: CacheKeyArgs): ActionsCachePlan
  restore(plan: ActionsCachePlan, log: CacheLog): Promise<RestoreResult>
  /** `configBytes`: the size of the exported cache's config (BuildKit imports at most 1 MiB of it), when it could be read. */
  finish(dir: string, log: CacheLog): Promise<{ exported: boolean; changed: boolean; configBytes?: number }>
  save(plan: ActionsCachePlan, opts: { changed: boolean; maxBytes: number }, log: CacheLog): Promise<SaveResult>
}

/** What the entry point started before it loaded the action (src/early.ts). */
export interface EarlyStart {
  /** `buildx inspect` of the `builder` input (undefined: the current builder), under way. */
  readonly inspect?: { readonly builder: string | undefined; readonly info: Promise<BuilderInfo> }
}

export interface Ports {
  readonly log: LogSink
  readonly clock: Clock
  readonly proc: ProcessPort
  readonly github: GitHubPort
  readonly results: ResultPort
  readonly buildx: BuildxPort
  readonly actionsCache: ActionsCachePort
  /** The action's inputs (`INPUT_<NAME>`). */
  readonly input: (name: InputName) => string
  /** The files the inputs name (Dockerfiles, condarc, secret files) and the bundled template. */
  readonly inputFiles: InputFilesPort
  /** Opens the image stores for the run's options. */
  readonly stores: (o: StoreOptions) => Stores
  /** A new private scratch directory for the run's generated files; `remove` deletes it with its contents. */
  readonly tempDir: () => { readonly path: string; readonly remove: () => void }
}

/** `early`: what the entry point started before loading the action (src/early.ts), handed to the first matching call. */
export function defaultPorts(env: NodeJS.ProcessEnv = process.env, early: EarlyStart = {}): Ports {
  const proc = execProcess
  let earlyInspect = early.inspect
  const log = logSink()
  const docker = (e?: NodeJS.ProcessEnv) => ({ env: e, proc })
  // The registry client's warnings (retries, fallbacks) go through the run's log sink too.
  const registryLog = { debug: (m: string) => log.debug(m), warning: (m: string) => log.warning(m), setSecret: (s: string) => runnerLog.mask(s) }
  return {
    log,
    clock: { now: () => new Date(), monotonicMs: () => performance.now() },
    proc,
    github: githubApi,
    results: {
      setOutput: (name, value) => setOutput(name, value, env),
      writeSummary: async (md) => {
        if (!env.GITHUB_STEP_SUMMARY) return false
        await appendSummary(maskSecrets(md), env)
        return true
      },
    },
    buildx: {
      inspect: (name, e) => {
        const pre = earlyInspect
        earlyInspect = undefined
        // The login config (if any) links the user's buildx builders and contexts: the same answer.
        return pre && pre.builder === name ? pre.info : inspectBuilder(name, docker(e))
      },
      createBuilder: (e) => createContainerBuilder(docker(e)),
      removeBuilder: (name, e) => removeBuilder(name, docker(e)),
      build: (spec, o) => runBuild(spec, { ...o, proc }),
      login: (registries, u, p) => dockerConfigWithLogin(registries, u, p, env),
    },
    actionsCache: {
      plan: (args) => actionsCachePlan(args, env),
      restore: restoreBuildCache,
      finish: finishLocalCache,
      save: saveBuildCache,
    },
    input: (name) => getInput(name, env),
    inputFiles,
    stores: (o) => openStores(o, proc, registryLog),
    tempDir: () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'conda-image-action-'))
      return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
    },
  }
}
