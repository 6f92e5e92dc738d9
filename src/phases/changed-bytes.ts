// The Measure phase's "what a node downloads" (src/sizes/changed.ts): a new base against the
// previous base, the application image against the image it is compared with. Registry
// images only (manifests read through the registry client); a failed read is a warning and
// the figure is absent, never 0.

import { changedBytesOutputs, publishOutputs } from '../run/outputs.js'
import type { Ports } from '../ports/index.js'
import { parseReference, type ImageName } from '../image/reference.js'
import type { ChangedBytes, ImageSize } from '../report/model.js'
import { changedBytes } from '../sizes/changed-layers.js'
import { readPlatformLayers, type ManifestSource } from '../sizes/platform-layers.js'
import type { Built, Measured, RunState } from '../run/state.js'
import { tolerate } from './timing.js'

/** One figure: `now` (name, ref) against the image `before` (read by its digest). */
async function figure(
  registry: ManifestSource,
  now: { name: ImageName; ref: string },
  before: { name: ImageName; image: ImageSize | undefined },
  what: string,
  log: Pick<Ports['log'], 'warning'>,
): Promise<ChangedBytes | undefined> {
  const digest = before.image?.digest
  if (!digest) return undefined
  return tolerate(log, `read the layers of ${what}`, async () => {
    const [a, b] = await Promise.all([readPlatformLayers(registry, now.name, now.ref), readPlatformLayers(registry, before.name, digest)])
    return a && b ? changedBytes(a, b, before.image!.ref) : undefined
  })
}

/**
 * The figures of a run whose images are in the registry: `base` for a new base next to an
 * application image, `final` for the final image (the base itself when there is no
 * application image). Sets the `changed-bytes` output (empty when there is no figure).
 */
export async function changedBytesOf(
  s: Pick<RunState, 'opts' | 'plan' | 'stores'>,
  built: Built,
  compared: { readonly previousBase?: ImageSize; readonly app?: ImageSize },
  ports: Pick<Ports, 'log' | 'results'>,
): Promise<Measured['changedBytes']> {
  const { opts, plan, stores } = s
  const registry = stores.registry
  const pushed = plan.pins.measureInStore && !opts.image.local
  const newBase = plan.choice.action === 'build'
  const base =
    registry && pushed && newBase
      ? figure(
          registry,
          { name: opts.baseRepository, ref: built.base.digest ?? plan.base.tag },
          { name: opts.baseRepository, image: compared.previousBase },
          'the new base and the previous base',
          ports.log,
        )
      : undefined
  const cmpName = opts.compareTo ? parseReference(opts.compareTo, 'compare-to', { local: opts.image.local }).name : opts.image
  const app =
    registry && pushed && plan.app
      ? figure(
          registry,
          { name: built.final.name, ref: built.final.digest ?? built.final.tag },
          { name: cmpName, image: compared.app },
          'the image and the compared image',
          ports.log,
        )
      : undefined
  const [b, a] = await Promise.all([base, app])
  const final = plan.app ? a : b
  publishOutputs(ports.results, changedBytesOutputs(final))
  return { ...(plan.app && b ? { base: b } : {}), ...(final ? { final } : {}) }
}
