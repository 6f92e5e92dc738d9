// What the entry point starts before it loads the rest of the action: with an application
// Dockerfile (outside plan and merge modes) a build is certain, and the builder's inspection —
// a docker CLI start of 0.1–0.3 s, the slowest step before a build — can run while Node
// loads and evaluates the bundle, instead of after the inputs are parsed. Only the raw inputs
// are read here; the Inputs phase still validates everything and decides (buildCertain in
// src/run/run-plan.ts). A result nobody asks for is dropped.

import { checkBuilderName } from './buildx/argv.js'
import { inspectBuilder } from './buildx/builder-cli.js'
import { Inputs } from './vocabulary/constants.js'
import { checkDockerConfig } from './fs/runner-files.js'
import type { EarlyStart } from './ports/index.js'
import { getInput } from './runner/workflow-commands.js'
import { defaultDockerConfigDir } from './registry/credentials.js'

export type { EarlyStart }

export function startEarly(env: NodeJS.ProcessEnv): EarlyStart {
  const mode = getInput(Inputs.Mode, env)
  if (!getInput(Inputs.Dockerfile, env) || mode === 'plan' || mode === 'merge') return {}
  const raw = getInput(Inputs.Builder, env)
  let builder: string | undefined
  try {
    // A Docker config the run refuses (inside the workspace, a FIFO) is never handed to docker.
    checkDockerConfig(defaultDockerConfigDir(env), env.GITHUB_WORKSPACE ?? process.cwd())
    builder = raw ? checkBuilderName(raw) : undefined
  } catch {
    return {} // the Inputs phase reports it
  }
  const info = inspectBuilder(builder, { env })
  info.catch(() => undefined)
  return { inspect: { builder, info } }
}
