// File and directory inputs (`environment-file`, `base-dockerfile`, `dockerfile`, `context`):
// resolved inside the workspace with src/fs; anything else is one user error naming the input.

import { UserError } from '../vocabulary/user-error.js'
import { MAX_DOCKERFILE_BYTES } from '../vocabulary/constants.js'
import { ConfinedError, isConfinedError, readConfinedSync, resolveConfinedSync, workspaceAt, type Workspace } from './confined.js'
import { statSync } from 'node:fs'
import path from 'node:path'

function workspace(dir: string): Workspace {
  try {
    return workspaceAt(dir)
  } catch {
    throw new UserError(`The workspace "${dir}" does not exist (GITHUB_WORKSPACE or the working directory)`)
  }
}

function inputError(name: string, value: string, e: ConfinedError): UserError {
  switch (e.reason) {
    case 'missing':
      return new UserError(`Input "${name}": file "${value}" does not exist`)
    case 'directory':
    case 'not-regular':
      return new UserError(`Input "${name}": "${value}" is not a file`)
    case 'outside':
      return new UserError(`Input "${name}": "${value}" is outside the workspace — only files of the checked-out repository are read`)
    case 'system':
      return new UserError(`Input "${name}": "${value}" is a system path (/proc, /sys, /dev) — only files of the checked-out repository are read`)
    default:
      return new UserError(`Input "${name}": "${value}" cannot be read: ${e.detail}`)
  }
}

function confined<T>(name: string, value: string, f: () => T): T {
  try {
    return f()
  } catch (e) {
    throw isConfinedError(e) ? inputError(name, value, e) : e
  }
}

/**
 * A file input: the absolute path (as given, resolved against the workspace) of a regular
 * file whose real path lies inside the workspace.
 */
export function inputFile(name: string, value: string, workspaceDir: string): string {
  const ws = workspace(workspaceDir)
  const p = confined(name, value, () => resolveConfinedSync(ws, value))
  confined(name, value, () => {
    const st = statSync(p.real)
    if (!st.isFile()) throw new ConfinedError(st.isDirectory() ? 'directory' : 'not-regular', value)
  })
  return p.abs
}

/** A file input read as UTF-8 text (bounded): its path and content. */
export function readInputFile(name: string, value: string, workspaceDir: string, maxBytes: number = MAX_DOCKERFILE_BYTES): { path: string; content: string } {
  const ws = workspace(workspaceDir)
  const f = confined(name, value, () => readConfinedSync(ws, value, { maxBytes }))
  return { path: f.abs, content: f.bytes.toString('utf8') }
}

/** A directory input (`context`): its absolute path; it must be a directory inside the workspace. */
export function inputDirectory(name: string, value: string, workspaceDir: string): string {
  const ws = workspace(workspaceDir)
  const p = confined(name, value, () => resolveConfinedSync(ws, value))
  let dir = false
  try {
    dir = statSync(p.real).isDirectory()
  } catch {
    dir = false
  }
  if (!dir) throw new UserError(`Input "${name}": "${value}" is not a directory`)
  return path.resolve(p.abs)
}
