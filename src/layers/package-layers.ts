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
export function maxPackageLayers(runtimeLayers?: number, fixed: number = FIXED_LAYERS): number {
  if (runtimeLayers === undefined) return PACKAGE_LAYERS_MAX
  return Math.min(PACKAGE_LAYERS_MAX, MAX_IMAGE_LAYERS - fixed - runtimeLayers)
}

/** The runtime image's layers, read from its manifest for the platform that has the most. */
export interface RuntimeLayers {
  /** The image as the build args (or the template's default) name it. */
  readonly image: string
  /** The target platform whose runtime image manifest has `layers` layers. */
  readonly platform: string
  readonly layers: number
}

export type PackageLayers = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly message: string }

/**
 * The number of package layers the bundled template will build with these base build args,
 * or why it cannot: not a whole number, below 1, above the template's stages, or so many that
 * the runtime image's layers (when known) + package layers + the template's `fixed` ones
 * exceed 127. The template's default is checked against the runtime image too.
 */
export function checkPackageLayers(buildArgs: readonly string[], runtime?: number | RuntimeLayers, fixed: number = FIXED_LAYERS): PackageLayers {
  const raw = packageLayersArg(buildArgs)
  const rt = typeof runtime === 'number' ? { image: 'the runtime image', platform: '', layers: runtime } : runtime
  const max = maxPackageLayers(rt?.layers, fixed)
  const shown = raw === undefined ? '' : JSON.stringify(raw.length > 20 ? `${raw.slice(0, 20)}…` : raw)
  const stages = `the bundled template has ${PACKAGE_LAYERS_MAX} package layer stages`
  if (raw === '0') return { ok: false, message: `${PACKAGE_LAYERS_ARG} must be at least 1 (the conda packages need a layer); got ${shown}` }
  // As the template's stage names are written: no sign, no space, no leading zero.
  if (raw !== undefined && !/^[1-9]\d{0,8}$/.test(raw)) {
    return { ok: false, message: `${PACKAGE_LAYERS_ARG} must be a whole number of layers from 1 to ${Math.max(1, max)} (${stages}); got ${shown}` }
  }
  const value = raw === undefined ? PACKAGE_LAYERS_DEFAULT : Number(raw)
  if (value > PACKAGE_LAYERS_MAX) return { ok: false, message: `${PACKAGE_LAYERS_ARG} must be at most ${PACKAGE_LAYERS_MAX}: ${stages}; got ${shown}` }
  if (rt && value + fixed + rt.layers > MAX_IMAGE_LAYERS) return { ok: false, message: tooManyLayers(value, raw === undefined, rt, fixed, max) }
  return { ok: true, value }
}

function tooManyLayers(value: number, isDefault: boolean, rt: { image: string; platform: string; layers: number }, fixed: number, max: number): string {
  const set = isDefault ? `${PACKAGE_LAYERS_ARG}=${value} (the template's default)` : `${PACKAGE_LAYERS_ARG}=${value}`
  const image = rt.image === 'the runtime image' ? rt.image : `the runtime image ${rt.image}`
  const where = rt.platform ? ` for ${rt.platform}` : ''
  const total = value + fixed + rt.layers
  const advice = max >= 1 ? `set ${PACKAGE_LAYERS_ARG} to at most ${max} in base-build-args` : 'use a runtime image of fewer layers'
  return (
    `${set} + ${fixed} fixed layers of the template + ${rt.layers} layers of ${image}${where} = ${total} layers, ` +
    `more than the ${MAX_IMAGE_LAYERS} an image may have (containerd's limit): ${advice}`
  )
}

/** The RUNTIME_IMAGE a build of the bundled template starts from: the last `RUNTIME_IMAGE=` build arg, else the template's `ARG RUNTIME_IMAGE=` default. */
export function runtimeImageOf(buildArgs: readonly string[], templateText: string): string | undefined {
  let value: string | undefined
  for (const a of buildArgs) if (a.startsWith('RUNTIME_IMAGE=')) value = a.slice('RUNTIME_IMAGE='.length)
  if (value !== undefined) return value.trim() || undefined
  return /^ARG RUNTIME_IMAGE=(\S+)[ \t]*$/m.exec(templateText)?.[1]
}

/** Whether an image manifest for `found` serves a build for `target` (`os/arch[/variant]`; arm64 is arm64/v8). */
function servesPlatform(found: string, target: string): boolean {
  const norm = (p: string): string => (p === 'linux/arm64/v8' ? 'linux/arm64' : p)
  const [f, t] = [norm(found), norm(target)]
  if (f === t) return true
  // A target without a variant takes the one the image has (linux/arm → linux/arm/v7).
  return t.split('/').length === 2 && f.startsWith(`${t}/`)
}

/**
 * The runtime image's layer count that bounds PACKAGE_LAYERS: of the manifests `read` (per
 * platform; a plain manifest, platform `unknown`, serves every target), the target platform
 * with the most layers; the targets no manifest serves are listed (the build would fail on
 * them anyway). Pure.
 */
export function runtimeLayersFor(
  read: readonly { readonly platform: string; readonly layers: readonly unknown[] }[],
  targets: readonly string[],
): { readonly most?: { readonly platform: string; readonly layers: number }; readonly missing: readonly string[] } {
  let most: { platform: string; layers: number } | undefined
  const missing: string[] = []
  for (const t of targets) {
    const m = read.length === 1 && read[0]!.platform === 'unknown' ? read[0] : read.find((r) => servesPlatform(r.platform, t))
    if (!m) missing.push(t)
    else if (!most || m.layers.length > most.layers) most = { platform: t, layers: m.layers.length }
  }
  return { ...(most ? { most } : {}), missing }
}
