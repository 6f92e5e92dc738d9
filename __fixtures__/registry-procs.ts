// Extra CNCF Distribution registries for tests (`docker-registry serve <config>` on free
// loopback ports, in-memory storage, deletes enabled unless asked otherwise), plus seeding over the HTTP API:
// blobs and manifests PUT directly, the same manifest under many tags with bounded
// concurrency. Everything is bounded by timeouts; stop() kills the process it started.

import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, host, () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

export interface RegistryProcess {
  readonly addr: string
  readonly logs: () => string
  stop(): Promise<void>
}

export type RegistryAuth =
  { kind: 'none' } | { kind: 'htpasswd'; htpasswdFile: string } | { kind: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string }

/** Starts `docker-registry serve` with in-memory storage; resolves when /v2/ answers. */
export async function startRegistry(dir: string, auth: RegistryAuth, o: { deletes?: boolean } = {}): Promise<RegistryProcess> {
  const port = await freePort()
  const addr = `127.0.0.1:${port}`
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  inmemory: {}',
    '  delete:',
    `    enabled: ${o.deletes ?? true}`,
    'http:',
    `  addr: ${addr}`,
  ]
  if (auth.kind === 'htpasswd') lines.push('auth:', '  htpasswd:', '    realm: test-basic', `    path: ${auth.htpasswdFile}`)
  if (auth.kind === 'token') {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${auth.realm}`,
      `    service: ${auth.service}`,
      `    issuer: ${auth.issuer}`,
      `    rootcertbundle: ${auth.rootCertBundle}`,
    )
  }
  const config = path.join(dir, `registry-${port}.yml`)
  writeFileSync(config, lines.join('\n') + '\n')
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (d: string) => {
    if (log.length < 100_000) log += d
  })
  let exited = false
  child.on('exit', () => (exited = true))
  const stop = async (): Promise<void> => {
    if (exited) return
    await new Promise<void>((r) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL')
        r()
      }, 5000)
      child.once('exit', () => {
        clearTimeout(t)
        r()
      })
      child.kill('SIGTERM')
    })
  }
  const deadline = Date.now() + 30_000
  for (;;) {
    if (exited) throw new Error(`docker-registry exited: ${log}`)
    try {
      const r = await fetch(`http://${addr}/v2/`, { signal: AbortSignal.timeout(2000) })
      await r.body?.cancel()
      if (r.status === 200 || r.status === 401) break
    } catch {
      // not yet
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`docker-registry on ${addr} did not come up: ${log}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return { addr, logs: () => log, stop }
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'

export function digestOf(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`
}

/** Pushes over the Distribution API of `addr` (plain http). `auth` gives an Authorization header. */
export class Seeder {
  constructor(
    readonly addr: string,
    readonly auth: (repo: string) => Promise<string | undefined> = () => Promise.resolve(undefined),
  ) {}

  private async headers(repo: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
    const a = await this.auth(repo)
    return a ? { ...extra, authorization: a } : extra
  }

  async blob(repo: string, content: Buffer | string): Promise<{ digest: string; size: number }> {
    const buf = Buffer.from(content)
    const digest = digestOf(buf)
    const start = await fetch(`http://${this.addr}/v2/${repo}/blobs/uploads/`, {
      method: 'POST',
      headers: await this.headers(repo),
      signal: AbortSignal.timeout(10_000),
    })
    await start.body?.cancel()
    if (start.status !== 202) throw new Error(`start upload: HTTP ${start.status}`)
    const loc = new URL(start.headers.get('location')!, `http://${this.addr}`)
    loc.searchParams.set('digest', digest)
    const put = await fetch(loc, {
      method: 'PUT',
      headers: await this.headers(repo, { 'content-type': 'application/octet-stream' }),
      body: buf,
      signal: AbortSignal.timeout(10_000),
    })
    await put.body?.cancel()
    if (put.status !== 201) throw new Error(`put blob: HTTP ${put.status}`)
    return { digest, size: buf.length }
  }

  async manifest(repo: string, ref: string, body: string, mediaType: string): Promise<string> {
    const r = await fetch(`http://${this.addr}/v2/${repo}/manifests/${ref}`, {
      method: 'PUT',
      headers: await this.headers(repo, { 'content-type': mediaType }),
      body,
      signal: AbortSignal.timeout(10_000),
    })
    const text = await r.text()
    if (r.status !== 201) throw new Error(`put manifest ${repo}:${ref}: HTTP ${r.status} ${text}`)
    return digestOf(body)
  }

  /** A small single-platform image: config + `layers` random layers of `layerSize` bytes. */
  async image(
    repo: string,
    tag: string,
    o: { os?: string; architecture?: string; variant?: string; labels?: Record<string, string>; layers?: number; layerSize?: number } = {},
  ): Promise<{ digest: string; body: string; bytes: number }> {
    const config = JSON.stringify({
      architecture: o.architecture ?? 'amd64',
      os: o.os ?? 'linux',
      ...(o.variant ? { variant: o.variant } : {}),
      created: '2026-01-02T03:04:05Z',
      config: { Labels: o.labels ?? null },
      rootfs: { type: 'layers', diff_ids: [] },
    })
    const cfg = await this.blob(repo, config)
    const layers: { digest: string; size: number }[] = []
    for (let i = 0; i < (o.layers ?? 1); i++) {
      const bytes = Buffer.alloc(o.layerSize ?? 100 + i, 0)
      bytes.write(`${repo}:${tag}:${i}:${Math.random()}`)
      layers.push(await this.blob(repo, bytes))
    }
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
    })
    const digest = await this.manifest(repo, tag, body, OCI_MANIFEST)
    return { digest, body, bytes: cfg.size + layers.reduce((n, l) => n + l.size, 0) }
  }

  /** PUTs `body` under every tag, `concurrency` at a time. */
  async tagMany(repo: string, tags: readonly string[], body: string, mediaType: string, concurrency = 8): Promise<void> {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < tags.length) {
        const t = tags[next++]!
        await this.manifest(repo, t, body, mediaType)
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, tags.length) }, worker))
  }
}
