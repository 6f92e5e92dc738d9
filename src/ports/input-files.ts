// The files the inputs name, read once while the options are parsed (src/run/options.ts): the
// Dockerfiles, the condarc file, the secret files and the bundled base template. The run's
// option parsing gets them only through this port; the real adapter reads them with src/fs
// (confined to the workspace, opened without blocking, regular files only, size-capped).

import { fileURLToPath } from 'node:url'
import { readFileBoundedSync, readConfinedSync, workspaceAt } from '../fs/confined.js'
import { inputDirectory, inputFile, readInputFile } from '../fs/input-paths.js'
import { MAX_DOCKERFILE_BYTES } from '../vocabulary/constants.js'
import type { TemplateKind } from '../template/pixi.js'

export interface InputFilesPort {
  /** A file input: the absolute path of a regular file inside the workspace (not read). A refusal is a UserError naming the input. */
  file(input: string, value: string, workspace: string): string
  /** A directory input inside the workspace: its absolute path. A refusal is a UserError naming the input. */
  directory(input: string, value: string, workspace: string): string
  /** A file input read as UTF-8 text, at most `maxBytes`: its absolute path and content. A refusal is a UserError naming the input. */
  text(input: string, value: string, workspace: string, maxBytes: number): { readonly path: string; readonly content: string }
  /**
   * A file inside the workspace read as bytes, at most `maxBytes`: its real path (symlinks
   * resolved) and bytes. A refusal is a ConfinedError (src/fs/confined.ts), worded by the caller.
   */
  bytes(value: string, workspace: string, maxBytes: number): { readonly real: string; readonly bytes: Buffer }
  /** The bundled base template of a kind: its path and text. */
  template(kind: TemplateKind): { readonly path: string; readonly content: string }
}

/** Where the bundled base templates live: `templates/` next to `dist/` and `src/`. */
export function bundledTemplatePath(kind: TemplateKind = 'micromamba'): string {
  // ncc relocates the assets and, depending on how they are read, may turn these URLs into
  // plain paths of dist/ (it does when the bundle has lazily loaded chunks): take either.
  // One literal URL per template, so that ncc sees (and copies) both.
  const where = (
    kind === 'pixi' ? new URL('../../templates/pixi.Dockerfile', import.meta.url) : new URL('../../templates/base.Dockerfile', import.meta.url)
  ) as URL | string
  return typeof where === 'string' && !where.startsWith('file:') ? where : fileURLToPath(where)
}

/** The real adapter: src/fs's confined, non-blocking, type-checked, size-capped reads. */
export const inputFiles: InputFilesPort = {
  file: inputFile,
  directory: inputDirectory,
  text: readInputFile,
  bytes: (value, workspace, maxBytes) => {
    const f = readConfinedSync(workspaceAt(workspace), value, { maxBytes })
    return { real: f.real, bytes: f.bytes }
  },
  template: (kind) => {
    const file = bundledTemplatePath(kind)
    return { path: file, content: readFileBoundedSync(file, file, { maxBytes: MAX_DOCKERFILE_BYTES }).toString('utf8') }
  },
}
