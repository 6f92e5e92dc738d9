// The build of a bundled template: its build context (exactly the hashed files, see
// src/build-context.ts) and its build args, for the micromamba template or the pixi one.

import path from 'node:path'
import { bundledTemplateContext, type AssembledContext } from '../hash/build-context.js'
import { BuildArgNames } from '../vocabulary/constants.js'
import type { Fingerprint, PixiSource } from '../hash/index.js'
import { pixiBuildArgs, templateKindOf, type TemplateKind } from './pixi.js'

export interface BundledBuild {
  readonly context: AssembledContext
  /** The template's build args (after the user's `base-build-args`, so they win). */
  readonly buildArgs: readonly string[]
}

/** What the context is planned from: the environment file and its files, or the pixi project's manifest and its context files. */
export function bundledContextSource(
  kind: TemplateKind,
  environmentFile: string,
  fp: Pick<Fingerprint, 'files' | 'pixi'>,
): { readonly environmentFile: string; readonly files: readonly string[] } {
  if (kind === 'micromamba') return { environmentFile, files: fp.files }
  const pixi = requirePixi(fp.pixi, environmentFile)
  return { environmentFile: pixi.manifest, files: pixi.contextFiles }
}

/** The build args of a bundled template, given where the environment file (or the pixi manifest) is in its context. */
export function bundledBuildArgs(kind: TemplateKind, inContext: string, hash: string, pixi?: Pick<PixiSource, 'environment'>): string[] {
  const own = kind === 'pixi' ? pixiBuildArgs(inContext, requirePixi(pixi, inContext).environment) : [`${BuildArgNames.EnvironmentFile}=${inContext}`]
  return [...own, `${BuildArgNames.EnvHash}=${hash}`]
}

function requirePixi<T>(pixi: T | undefined, file: string): T {
  // templateKindOf and the hash decide alike (by the file's name); this is a bug otherwise.
  if (!pixi) throw new Error(`${path.basename(file)} selects the bundled pixi template, but the environment hash did not read a pixi project`)
  return pixi
}

/** The context (assembled in `dest`) and build args of the bundled template for this environment file. */
export async function bundledBuild(input: {
  environmentFile: string
  fp: Pick<Fingerprint, 'files' | 'digests' | 'pixi' | 'hash'>
  workspace: string
  dest: string
}): Promise<BundledBuild> {
  const kind = templateKindOf(input.environmentFile)
  const source = bundledContextSource(kind, input.environmentFile, input.fp)
  const context = await bundledTemplateContext({ ...source, digests: input.fp.digests, workspace: input.workspace, dest: input.dest })
  return { context, buildArgs: bundledBuildArgs(kind, context.environmentFile, input.fp.hash, input.fp.pixi) }
}
