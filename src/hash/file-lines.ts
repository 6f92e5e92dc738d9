// The lines of the requirement files a base hashed, kept beside the environment document (in
// their own label, not hashed) so that "why rebuilt" can show a changed requirement file as
// the requirements that changed (`uvicorn==0.29.0` → `uvicorn==0.30.1`) instead of two digests.
// Reading goes through src/fs like every read of a user file (confined to the workspace by
// real path, regular files only, bounded); content is redacted; pure diffing.

import path from 'node:path'
import { Labels } from '../vocabulary/constants.js'
import { readConfinedSync, workspaceAt, type Workspace } from '../fs/index.js'
import type { EnvChange } from '../report/model.js'
import { keyed } from './diff.js'
import { canonicalEntries, decodeRequirements } from './requirements.js'
import { pipEntryKey } from './spec.js'

const FILE_BYTES = 64 * 1024
const FILE_LINES = 500
/** The whole label stays well below Linux's 128 KiB limit of one argument. */
const TOTAL_CHARS = 24 * 1024

export type FileLines = Record<string, string[]>

/** The entries of a requirement file's text, as hashed (requirements.ts: pip's grammar, normalized, credentials redacted), at most FILE_LINES. */
export function requirementLines(text: string): string[] {
  return canonicalEntries(text).slice(0, FILE_LINES)
}

/** A requirement file's text, read confined to the workspace with the size bound; undefined when refused. */
function readBounded(ws: Workspace, rel: string, envDir: string): string | undefined {
  try {
    return decodeRequirements(readConfinedSync(ws, rel, { maxBytes: FILE_BYTES }, envDir).bytes).text
  } catch {
    // Outside the workspace, a symlink leaving it, a FIFO or device, too large, gone: left out.
    return undefined
  }
}

/**
 * Lines of the document's requirement files (`files`: path relative to the environment
 * file's directory), read again inside the workspace (`workspaceDir`) with a size bound;
 * files that cannot be read there, or do not fit, are left out.
 */
export function collectFileLines(files: Readonly<Record<string, string>> | undefined, envDir: string, workspaceDir: string): FileLines {
  const out: FileLines = {}
  const names = Object.keys(files ?? {})
  if (!names.length) return out
  let ws: Workspace
  try {
    ws = workspaceAt(workspaceDir)
  } catch {
    return out
  }
  let total = 0
  for (const rel of names.sort()) {
    // The fingerprint did not read it (outside the workspace): neither does the label.
    if (files![rel] === 'outside-workspace') continue
    const text = readBounded(ws, rel, envDir)
    if (text === undefined) continue
    const lines = requirementLines(text)
    const size = lines.reduce((n, l) => n + l.length + 4, rel.length)
    if (total + size > TOTAL_CHARS) continue
    total += size
    out[rel] = lines
  }
  return out
}

/** The label value: canonical JSON of the lines (or undefined when there are none). */
export function fileLinesLabel(lines: FileLines): string | undefined {
  return Object.keys(lines).length ? JSON.stringify(lines) : undefined
}

export function parseFileLinesLabel(json: string | undefined): FileLines | undefined {
  if (!json) return undefined
  try {
    const v: unknown = JSON.parse(json)
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined
    const out: FileLines = {}
    for (const [k, x] of Object.entries(v)) {
      if (!Array.isArray(x) || !x.every((l) => typeof l === 'string')) return undefined
      Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true })
    }
    return out
  } catch {
    return undefined
  }
}

/** The requirement changes of one file, keyed by requirement name (the one keyed diff of diff.ts). */
export function requirementChanges(file: string, prev: readonly string[], next: readonly string[]): EnvChange[] {
  return keyed('files', prev, next, pipEntryKey, '', `${file}: `)
}

/**
 * `changes` with each changed requirement file (a digest change of `files`) replaced by its
 * requirement changes, where both sides' lines are known.
 */
export function withRequirementLines(changes: readonly EnvChange[], prev: FileLines | undefined, next: FileLines | undefined): EnvChange[] {
  if (!prev || !next) return [...changes]
  return changes.flatMap((c) => {
    const p = c.section === 'files' && c.kind === 'changed' ? prev[c.item] : undefined
    const n = c.section === 'files' && c.kind === 'changed' ? next[c.item] : undefined
    if (!p || !n) return [c]
    const lines = requirementChanges(c.item, p, n)
    return lines.length ? lines : [c]
  })
}

/** The requirement lines of a fingerprint's files, read next to the environment file, inside the workspace. */
export function fingerprintFileLines(
  fp: { readonly document: { readonly files?: Readonly<Record<string, string>> } },
  environmentFile: string,
  workspaceDir: string,
): FileLines {
  return collectFileLines(fp.document.files, path.dirname(environmentFile), workspaceDir)
}

/** The `--label` value with the requirement files' lines, when there are any. */
export function envFilesLabel(
  fp: { readonly document: { readonly files?: Readonly<Record<string, string>> } },
  environmentFile: string,
  workspaceDir: string,
): string[] {
  const value = fileLinesLabel(fingerprintFileLines(fp, environmentFile, workspaceDir))
  return value ? [`${Labels.EnvFiles}=${value}`] : []
}
