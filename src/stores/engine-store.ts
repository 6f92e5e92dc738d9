// The local Docker engine as the image store (an `image` without a registry host):
// lookup with the engine's image list, sizes and labels from `docker image inspect`.

import { docker as dockerCli } from '../buildx/docker.js'
import { usesContainerdStore } from '../buildx/builder-cli.js'
import type { ProcessPort } from '../runner/process.js'

function docker(args: string[], proc?: ProcessPort, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return dockerCli(args, { timeoutMs, maxBuffer: 256 * 1024 * 1024, proc })
}

/** Tags of `repository` in the local engine. */
export async function localTags(repository: string, proc?: ProcessPort): Promise<string[]> {
  const r = await docker(['image', 'ls', '--format', '{{.Tag}}', repository], proc)
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
  /**
   * `docker image inspect`'s Size: with the containerd image store, the bytes of the image's
   * content (compressed layers, config, manifest); with the classic store, the unpacked size.
   */
  readonly size: number
  readonly labels: Record<string, string>
  readonly created?: string
  /** `os/architecture`, when the engine says. */
  readonly platform?: string
}

/** Whether the engine keeps images in the containerd image store (`docker info`'s driver status); undefined when docker info fails. */
export async function engineUsesContainerdStore(proc?: ProcessPort): Promise<boolean | undefined> {
  const r = await docker(['info', '--format', '{{json .DriverStatus}}'], proc)
  return r.code === 0 ? usesContainerdStore(r.stdout) : undefined
}

export async function inspectLocal(ref: string, proc?: ProcessPort): Promise<LocalImage | undefined> {
  const r = await docker(['image', 'inspect', '--format', '{{json .}}', ref], proc)
  if (r.code !== 0) {
    if (/no such image|not found/i.test(r.stderr)) return undefined
    throw new Error(`docker image inspect ${ref} failed: ${r.stderr.trim()}`)
  }
  const j = JSON.parse(r.stdout.split('\n')[0]!) as {
    Id: string
    Size: number
    Created?: string
    Os?: string
    Architecture?: string
    Config?: { Labels?: Record<string, string> | null }
  }
  const platform = j.Os && j.Architecture ? `${j.Os}/${j.Architecture}` : undefined
  return { id: j.Id, size: j.Size, labels: j.Config?.Labels ?? {}, created: j.Created, ...(platform ? { platform } : {}) }
}
