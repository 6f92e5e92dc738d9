// The bundled templates: which one builds the base (templates/base.Dockerfile with
// micromamba for a conda environment file, templates/pixi.Dockerfile for a pixi project),
// and the build args of the pixi one. Pure decisions over plain data.
//
// The pixi template installs the project where pixi's container documentation does: the
// build context at /app, the environment at <project>/.pixi/envs/<env>, kept at that path in
// the runtime stage (a conda environment carries its prefix in its files). The project is
// /app when the manifest is at the context root, /app/<dir> when the context holds files above
// it (path sources such as `../lib`).

import path from 'node:path'

export type TemplateKind = 'micromamba' | 'pixi'

/** The file of each bundled template in `templates/`. */
export const TEMPLATE_FILES: Readonly<Record<TemplateKind, string>> = { micromamba: 'base.Dockerfile', pixi: 'pixi.Dockerfile' }

/** Names of an environment file that make it a pixi project: its manifest or its lock. */
const PIXI_FILE_NAMES: ReadonlySet<string> = new Set(['pixi.toml', 'pixi.lock', 'pyproject.toml'])

/** The bundled template for an environment file, by its name (a pyproject.toml can only be a pixi manifest here). */
export function templateKindOf(environmentFile: string): TemplateKind {
  return PIXI_FILE_NAMES.has(path.basename(environmentFile)) ? 'pixi' : 'micromamba'
}

/** Build-arg names of the pixi template (see its header). */
export const PixiBuildArgNames = {
  Manifest: 'MANIFEST',
  ProjectDir: 'PIXI_PROJECT_DIR',
  Environment: 'PIXI_ENVIRONMENT',
} as const

/** Where the pixi template copies the build context (pixi's documented project directory). */
export const PIXI_CONTEXT_DIR = '/app'

const SAFE_SEGMENT = /^[A-Za-z0-9_.@+-][A-Za-z0-9_.@+ -]*$/
/** Pixi environment names: lowercase letters, digits and dashes (pixi refuses others). */
const ENVIRONMENT_NAME = /^[a-z0-9-]{1,100}$/

/** The project directory in the image for a manifest at `manifestInContext` (`/`-separated, relative). */
export function pixiProjectDir(manifestInContext: string): string {
  const parts = manifestInContext.split('/')
  if (parts.length === 0 || parts.some((p) => p === '' || p === '.' || p === '..' || !SAFE_SEGMENT.test(p))) {
    throw new Error(`not a relative path inside the build context: ${JSON.stringify(manifestInContext)}`)
  }
  return [PIXI_CONTEXT_DIR, ...parts.slice(0, -1)].join('/')
}

/** The pixi template's build args: the manifest inside the context, the project directory in the image, the environment. */
export function pixiBuildArgs(manifestInContext: string, environment: string): string[] {
  if (!ENVIRONMENT_NAME.test(environment)) throw new Error(`not a pixi environment name: ${JSON.stringify(environment)}`)
  return [
    `${PixiBuildArgNames.Manifest}=${manifestInContext}`,
    `${PixiBuildArgNames.ProjectDir}=${pixiProjectDir(manifestInContext)}`,
    `${PixiBuildArgNames.Environment}=${environment}`,
  ]
}

/** Where the environment is in an image of the pixi template (CONDA_PREFIX). */
export function pixiPrefix(manifestInContext: string, environment: string): string {
  return `${pixiProjectDir(manifestInContext)}/.pixi/envs/${environment}`
}
