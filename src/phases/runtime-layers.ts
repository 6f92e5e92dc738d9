// Before any build of the bundled template: its runtime image's layers, so that PACKAGE_LAYERS
// + the template's fixed layers + the runtime image's layers stay within the 127 layers an
// image may have (src/layers/package-layers.ts). The runtime image (the RUNTIME_IMAGE build
// arg, or the template's default) is read through the registry client, one manifest per
// target platform; when it cannot be read (a local-only image, no network, a registry that
// wants credentials the run does not have), a debug line says so and the template's own
// range (1–100, checked with the inputs) is what holds.

import { parseReference } from '../image/reference.js'
import { FIXED_LAYERS, checkPackageLayers, runtimeImageOf, runtimeLayersFor, type RuntimeLayers } from '../layers/package-layers.js'
import { readPlatformLayers } from '../sizes/platform-layers.js'
import { Inputs } from '../vocabulary/constants.js'
import { UserError, errorMessage } from '../vocabulary/user-error.js'
import type { Ports } from '../ports/index.js'
import type { RunState } from '../run/state.js'

/** How long the read may take before the run goes on without it. */
export const RUNTIME_READ_MS = 15_000

/**
 * Starts reading the runtime image's layers when this run builds the bundled template's base;
 * undefined otherwise. The promise never rejects: undefined, with a debug line, when the image
 * cannot be read.
 */
export function startRuntimeLayers(
  s: Pick<RunState, 'opts' | 'plan' | 'platforms' | 'stores'>,
  ports: Pick<Ports, 'log'>,
): Promise<RuntimeLayers | undefined> | undefined {
  const { opts } = s
  if (!s.plan.base.build || !opts.baseDockerfile.bundled) return undefined
  const image = runtimeImageOf(opts.baseBuildArgs, opts.baseDockerfile.content)
  const say = (why: string): undefined =>
    void ports.log.debug(`PACKAGE_LAYERS: the runtime image's layers are not known (${why}); checked against the template's range only`)
  const source = s.stores.manifests
  if (!image || !source) return say(image ? 'no registry client' : 'the template names no RUNTIME_IMAGE')
  const read = async (): Promise<RuntimeLayers | undefined> => {
    const ref = parseReference(image, 'RUNTIME_IMAGE')
    const layers = await readPlatformLayers(source, ref.name, ref.digest ?? ref.tag ?? 'latest')
    if (!layers) return say(`${image} is not in its registry`)
    const { most, missing } = runtimeLayersFor(layers, s.platforms)
    if (missing.length > 0) ports.log.debug(`PACKAGE_LAYERS: ${image} has no manifest for ${missing.join(', ')}`)
    if (!most) return say(`${image} has no manifest for the target platforms`)
    ports.log.debug(`PACKAGE_LAYERS: ${image} has ${most.layers} layers (${most.platform})`)
    return { image, ...most }
  }
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(say(`${image} was not read within ${RUNTIME_READ_MS / 1000} s`)), RUNTIME_READ_MS)
    timer.unref()
  })
  const reading = read().catch((e: unknown) => say(`${image} could not be read: ${errorMessage(e)}`))
  return Promise.race([reading, late]).finally(() => clearTimeout(timer))
}

/** The check, once the runtime image's layers are read: one user error naming the limit and the counts. */
export async function runtimeLayersPhase(s: Pick<RunState, 'opts'>, reading: Promise<RuntimeLayers | undefined> | undefined): Promise<void> {
  const runtime = await reading
  if (!runtime) return
  // Both bundled templates add FIXED_LAYERS on top of the package layers (a unit test counts them).
  const r = checkPackageLayers(s.opts.baseBuildArgs, runtime, FIXED_LAYERS)
  if (!r.ok) throw new UserError(`Input "${Inputs.BaseBuildArgs}": ${r.message}`)
}
