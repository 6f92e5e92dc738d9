// Shared helpers of the hash tests: temp dirs and a one-call fingerprint.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fingerprint, type Fingerprint, type FingerprintInput } from '../src/hash/index.js'

export const TEMPLATE = readFileSync(path.join(import.meta.dirname, '..', 'templates', 'base.Dockerfile'), 'utf8')

const roots: string[] = []

/** A fresh temp dir; removed by cleanupTemp(). */
export function tempDir(prefix = 'hash-'): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix))
  roots.push(d)
  return d
}

export function cleanupTemp(): void {
  for (const d of roots.splice(0)) rmSync(d, { recursive: true, force: true })
}

/** Writes `files` (relative path → content) under `dir`, creating directories. */
export function writeTree(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel)
    mkdirSync(path.dirname(p), { recursive: true })
    writeFileSync(p, content)
  }
}

export type Opts = Partial<Omit<FingerprintInput, 'environmentFile'>>

/** The workspace of a test file: the temp dir it was written into, else its directory (or the working directory). */
export function workspaceOf(file: string): string {
  const abs = path.resolve(file)
  const root = roots.find((r) => abs.startsWith(`${r}${path.sep}`))
  if (root) return root
  return existsSync(path.dirname(abs)) ? path.dirname(abs) : process.cwd()
}

/** Fingerprint of `text` written as `environment.yml` in a fresh dir (plus `files` around it). */
export async function fpOf(text: string | Buffer, opts: Opts = {}, files: Record<string, string | Buffer> = {}): Promise<Fingerprint> {
  const dir = tempDir()
  writeTree(dir, { ...files, 'environment.yml': text })
  return fpFile(path.join(dir, 'environment.yml'), opts)
}

export function fpFile(file: string, opts: Opts = {}): Promise<Fingerprint> {
  return fingerprint({
    environmentFile: file,
    workspace: opts.workspace ?? workspaceOf(file),
    baseDockerfile: opts.baseDockerfile ?? { content: TEMPLATE },
    buildArgs: opts.buildArgs ?? [],
    platforms: opts.platforms ?? [],
  })
}

export async function hashOf(text: string | Buffer, opts: Opts = {}, files: Record<string, string | Buffer> = {}): Promise<string> {
  return (await fpOf(text, opts, files)).hash
}

/** The UserError a promise rejects with (fails the test when it resolves). */
export async function userError(p: Promise<unknown>): Promise<{ message: string; file?: string; line?: number; name: string }> {
  try {
    await p
  } catch (e) {
    return e as { message: string; file?: string; line?: number; name: string }
  }
  throw new Error('expected a UserError, but the fingerprint succeeded')
}
