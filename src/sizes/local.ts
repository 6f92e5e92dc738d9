// The size manifest of an image in the local Docker engine (the local-engine store, or a
// base built with `push: false`): the label from `docker image inspect`, the one file with
// `docker create` + `docker cp` (no container is started, nothing is pulled), then the
// container is removed.

import { execFile } from 'node:child_process'
import path from 'node:path'
import { Labels } from '../constants.js'
import { MAX_MANIFEST_FILE_BYTES, parseSizeManifest, tarMemberName } from './manifest.js'
import { tarFile, type SizeManifestRead } from './read.js'

export interface DockerCli {
  (args: readonly string[]): Promise<{ code: number; stdout: Buffer; stderr: string }>
}

/** `docker <args>` without a shell; stdout as bytes, bounded. */
export const dockerCli: DockerCli = (args) =>
  new Promise((resolve, reject) => {
    execFile('docker', [...args], { encoding: 'buffer', timeout: 60_000, maxBuffer: MAX_MANIFEST_FILE_BYTES + 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error('docker is not on PATH'))
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({ code, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr).toString('utf8').slice(0, 2000) })
    })
  })

/** Reads the size manifest of the local image `ref` (`repo:tag`); `missing` says why there is none. */
export async function readLocalSizeManifest(ref: string, docker: DockerCli = dockerCli): Promise<SizeManifestRead> {
  const inspect = await docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', ref])
  if (inspect.code !== 0) return { missing: `${ref} is not in the local engine` }
  let labels: Record<string, unknown> | null
  try {
    labels = JSON.parse(inspect.stdout.toString('utf8')) as Record<string, unknown> | null
  } catch {
    return { missing: 'unreadable labels' }
  }
  const label = labels?.[Labels.SizeManifest]
  if (typeof label !== 'string' || !tarMemberName(label)) return { missing: `no ${Labels.SizeManifest} label` }
  const created = await docker(['create', '--pull', 'never', ref])
  const id = created.stdout.toString('utf8').trim()
  if (created.code !== 0 || !/^[0-9a-f]{12,64}$/.test(id)) return { missing: `docker create failed: ${created.stderr.trim()}` }
  try {
    const cp = await docker(['cp', `${id}:${label}`, '-'])
    if (cp.code !== 0) return { missing: `the image does not hold ${label}` }
    const file = await tarFile(cp.stdout, path.posix.basename(label), MAX_MANIFEST_FILE_BYTES).catch(() => undefined)
    const packages = file && parseSizeManifest(file.toString('utf8'))
    return packages ? { packages } : { missing: `${label} is not a size manifest` }
  } finally {
    await docker(['rm', '-f', id]).catch(() => undefined)
  }
}
