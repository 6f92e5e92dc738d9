// Phase 1: the inputs, read and validated once.

import path from 'node:path'
import { checkAppDockerfile } from '../buildx/app-dockerfile.js'
import type { RunContext } from '../context/run-context.js'
import { getOptions, type Options } from '../run/options.js'
import type { Ports } from '../ports/index.js'

export interface InputsResult {
  readonly opts: Options
  readonly platforms: readonly string[]
}

export function readInputs(ctx: RunContext, env: NodeJS.ProcessEnv, ports: Pick<Ports, 'input' | 'inputFiles' | 'log'>): InputsResult {
  const opts = getOptions(ctx, ports.input, ports.inputFiles, env)
  if (opts.dockerfile) {
    // An application Dockerfile that does not derive from BASE_IMAGE: a warning on its line.
    const file = path.relative(ctx.workspace, opts.dockerfile) || opts.dockerfile
    for (const w of checkAppDockerfile(opts.dockerfileContent ?? '', file, opts.target)) ports.log.warning(w.message, { file, line: w.line })
  }
  // An empty `platforms` means this runner's platform, made explicit so that runners of
  // different architectures never share (and reuse) one base.
  const platforms = opts.platforms.length ? opts.platforms : [ctx.hostPlatform]
  return { opts, platforms }
}
