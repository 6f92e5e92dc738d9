// Phase 1: the inputs, read and validated once.

import type { RunContext } from '../context.js'
import { getOptions, type Options } from '../options.js'
import type { Ports } from '../ports/index.js'

export interface InputsResult {
  readonly opts: Options
  readonly platforms: readonly string[]
}

export function readInputs(ctx: RunContext, ports: Pick<Ports, 'input'>): InputsResult {
  const opts = getOptions(ctx, ports.input)
  // An empty `platforms` means this runner's platform, made explicit so that runners of
  // different architectures never share (and reuse) one base.
  const platforms = opts.platforms.length ? opts.platforms : [ctx.hostPlatform]
  return { opts, platforms }
}
