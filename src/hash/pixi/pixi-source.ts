// A pixi project as the environment source: what the fingerprint read, and what a build of
// it needs. The bundled pixi template (and its build context) is assembled from this.

/** Default of the `pixi-environment` input: pixi's own default environment. */
export const DEFAULT_PIXI_ENVIRONMENT = 'default'

/** One target of the lock: a conda subdir, and (lock version 7) the named platform that maps to it. */
export interface PixiPlatform {
  /** Conda subdir, e.g. `linux-64`. */
  readonly subdir: string
  /** Name of the platform in the lock (version 7 may name platforms, e.g. `linux-64-cuda`); = `subdir` before that. */
  readonly name: string
}

/** A path or editable source the environment installs from (pypi `path`/editable, conda source). */
export interface PixiPathSource {
  readonly kind: 'pypi' | 'conda'
  /** As written in the lock, relative to the lock's directory (`.`, `./pkg`, `../lib`). */
  readonly location: string
  /** Absolute path of the source tree (inside the workspace: a path outside is a user error). */
  readonly abs: string
  readonly editable: boolean
  /** True when it is the project itself (`.`): hashed without the manifest and the lock. */
  readonly project: boolean
}

/**
 * A pixi environment source, exposed by the fingerprint phase's result (`Fingerprint.pixi`).
 * Every path is absolute; every file is inside the workspace and was read (and hashed) by the
 * fingerprint, so the build context can be assembled from `contextFiles` (with the digests of
 * `Fingerprint.digests`).
 */
export interface PixiSource {
  readonly kind: 'pixi'
  /** The manifest: `pixi.toml`, or a `pyproject.toml` with `[tool.pixi]`. */
  readonly manifest: string
  /** `pixi.lock` next to the manifest (required: the build runs `pixi install --locked`). */
  readonly lock: string
  /** The project root: the directory of the manifest and the lock. */
  readonly root: string
  /** Lock file format version (4 to 7). */
  readonly lockVersion: number
  /** The environment installed (`pixi-environment`, default `default`). */
  readonly environment: string
  /** The platforms of the lock the targets map to (sorted by subdir, then name). */
  readonly platforms: readonly PixiPlatform[]
  /** Path and editable sources of the environment on the targets, sorted by location. */
  readonly pathSources: readonly PixiPathSource[]
  /** Activation scripts of the environment on the targets (absolute), sorted. */
  readonly activationScripts: readonly string[]
  /**
   * Every file the build context must contain, absolute and sorted: manifest, lock, activation
   * scripts and the files of the path sources — all of them hashed.
   */
  readonly contextFiles: readonly string[]
}
