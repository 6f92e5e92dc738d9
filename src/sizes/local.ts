// The size manifest of an image in the local Docker engine (the local-engine store, or a
// base built with `push: false`): the label from `docker image inspect`, the one file with
// `docker create` + `docker cp` (no container is started, nothing is pulled), then the
// container is removed.

import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Labels } from '../vocabulary/constants.js'
import type { ProcessPort } from '../runner/process.js'
import { isConfinedError, readFileBoundedSync } from '../fs/confined.js'
import { MAX_MANIFEST_FILE_BYTES, parseSizeManifestDocument, tarMemberName } from './manifest.js'
import type { SizeManifestRead } from './read.js'

const DOCKER_TIMEOUT_MS = 60_000

/** Reads the size manifest of the local image `ref` (`repo:tag`); `missing` says why there is none. */
export async function readLocalSizeManifest(ref: string, proc: ProcessPort): Promise<SizeManifestRead> {
  const docker = (args: string[]) => proc.run('docker', args, { timeoutMs: DOCKER_TIMEOUT_MS, maxBuffer: 1024 * 1024 })
  const inspect = await docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', ref])
  if (inspect.code !== 0) return { missing: `${ref} is not in the local engine` }
  let labels: Record<string, unknown> | null
  try {
    labels = JSON.parse(inspect.stdout) as Record<string, unknown> | null
  } catch {
    return { missing: 'unreadable labels' }
  }
  const label = labels?.[Labels.SizeManifest]
  if (typeof label !== 'string' || !tarMemberName(label)) return { missing: `no ${Labels.SizeManifest} label` }
  const created = await docker(['create', '--pull', 'never', ref])
  const id = created.stdout.trim()
  if (created.code !== 0 || !/^[0-9a-f]{12,64}$/.test(id)) return { missing: `docker create failed: ${created.stderr.trim()}` }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'size-manifest-'))
  try {
    const cp = await docker(['cp', `${id}:${label}`, dir])
    if (cp.code !== 0) return { missing: `the image does not hold ${label}` }
    const file = readBounded(path.join(dir, path.posix.basename(label)), MAX_MANIFEST_FILE_BYTES)
    const manifest = file ? parseSizeManifestDocument(file.toString('utf8')) : undefined
    return manifest ?? { missing: `${label} is not a size manifest` }
  } finally {
    await docker(['rm', '-f', id]).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * A regular file of at most `max` bytes (the copy from the image), else undefined. Read as
 * every file the action opens (src/fs/confined.ts): the image decides what `docker cp` puts
 * there, and a FIFO or a device must not hang the open.
 */
export function readBounded(file: string, max: number): Buffer | undefined {
  try {
    return readFileBoundedSync(file, file, { maxBytes: max, follow: false })
  } catch (e) {
    if (isConfinedError(e)) return undefined
    throw e
  }
}
