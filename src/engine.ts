// The local Docker engine as the image store (an `image` without a registry host):
// lookup with the engine's image list, sizes and labels from `docker image inspect`.

import { execFile } from 'node:child_process'
import { UserError } from './errors.js'

function docker(args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('docker', args, { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new UserError('docker is not installed or not on PATH: install Docker (docker.io or Docker CE) on the runner'))
        return
      }
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })
}

/** Tags of `repository` in the local engine. */
export async function localTags(repository: string): Promise<string[]> {
  const r = await docker(['image', 'ls', '--format', '{{.Tag}}', repository])
  if (r.code !== 0) throw new Error(`docker image ls failed: ${r.stderr.trim()}`)
  return r.stdout
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s && s !== '<none>')
    .sort()
}

export interface LocalImage {
  /** Image ID (with the containerd image store: the manifest/index digest). */
  readonly id: string
  /** Uncompressed size in bytes. */
  readonly size: number
  readonly labels: Record<string, string>
  readonly created?: string
}

export async function inspectLocal(ref: string): Promise<LocalImage | undefined> {
  const r = await docker(['image', 'inspect', '--format', '{{json .}}', ref])
  if (r.code !== 0) {
    if (/no such image|not found/i.test(r.stderr)) return undefined
    throw new Error(`docker image inspect ${ref} failed: ${r.stderr.trim()}`)
  }
  const j = JSON.parse(r.stdout.split('\n')[0]!) as { Id: string; Size: number; Created?: string; Config?: { Labels?: Record<string, string> | null } }
  return { id: j.Id, size: j.Size, labels: j.Config?.Labels ?? {}, created: j.Created }
}
