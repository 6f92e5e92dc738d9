// The PACKAGE_LAYERS build arg of the bundled template (templates/base.Dockerfile, "Package
// layers"): how many layers the conda packages are shipped in. A Dockerfile cannot loop, so
// the template has one stage per possible layer (packages-1 … packages-100) and starts its
// runtime stage from packages-${PACKAGE_LAYERS}: a value out of range would name a stage that
// does not exist (BuildKit would then try to pull an image of that name), and containerd
// refuses an image of more than 127 layers. Checked here, before any build. Pure.

/** The build arg's name. */
export const PACKAGE_LAYERS_ARG = 'PACKAGE_LAYERS'
/** The template's default (its `ARG PACKAGE_LAYERS=`). */
export const PACKAGE_LAYERS_DEFAULT = 40
/** The template's last packages-<i> stage. */
export const PACKAGE_LAYERS_MAX = 100
/** Layers the runtime stage adds besides the package layers: the unowned files, WORKDIR, the size manifest. */
export const FIXED_LAYERS = 3
/** containerd (and Docker) refuse images of more layers. */
export const MAX_IMAGE_LAYERS = 127

/** The PACKAGE_LAYERS a list of `KEY=VALUE` build args sets (the last one wins, as with docker), as written. */
export function packageLayersArg(buildArgs: readonly string[]): string | undefined {
  let value: string | undefined
  for (const a of buildArgs) if (a.startsWith(`${PACKAGE_LAYERS_ARG}=`)) value = a.slice(PACKAGE_LAYERS_ARG.length + 1)
  return value
}

/** The largest PACKAGE_LAYERS for a runtime image of `runtimeLayers` layers (unknown: the template's maximum). */
export function maxPackageLayers(runtimeLayers?: number): number {
  if (runtimeLayers === undefined) return PACKAGE_LAYERS_MAX
  return Math.min(PACKAGE_LAYERS_MAX, MAX_IMAGE_LAYERS - FIXED_LAYERS - runtimeLayers)
}

export type PackageLayers = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly message: string }

/**
 * The number of package layers the bundled template will build with these base build args,
 * or why it cannot: not a whole number, below 1, above the template's stages, or so many that
 * the runtime image's layers (when known) + package layers + the fixed ones exceed 127.
 */
export function checkPackageLayers(buildArgs: readonly string[], runtimeLayers?: number): PackageLayers {
  const raw = packageLayersArg(buildArgs)
  if (raw === undefined) return { ok: true, value: PACKAGE_LAYERS_DEFAULT }
  const max = maxPackageLayers(runtimeLayers)
  const shown = JSON.stringify(raw.length > 20 ? `${raw.slice(0, 20)}…` : raw)
  const limit =
    runtimeLayers === undefined || max === PACKAGE_LAYERS_MAX
      ? `the bundled template has ${PACKAGE_LAYERS_MAX} package layer stages`
      : `an image holds at most ${MAX_IMAGE_LAYERS} layers (containerd's limit): ${runtimeLayers} of the runtime image + ${FIXED_LAYERS} fixed ones leave ${max}`
  if (raw === '0') return { ok: false, message: `${PACKAGE_LAYERS_ARG} must be at least 1 (the conda packages need a layer); got ${shown}` }
  // As the template's stage names are written: no sign, no space, no leading zero.
  if (!/^[1-9]\d{0,8}$/.test(raw)) {
    return { ok: false, message: `${PACKAGE_LAYERS_ARG} must be a whole number of layers from 1 to ${max} (${limit}); got ${shown}` }
  }
  const value = Number(raw)
  if (value > max) {
    return {
      ok: false,
      message: `${PACKAGE_LAYERS_ARG} must be at most ${max}: ${limit}; got ${shown}${max < 1 ? ' (use a runtime image of fewer layers)' : ''}`,
    }
  }
  return { ok: true, value }
}
