// A two-platform busybox for multi-platform tests on an amd64-only machine: there is no
// arm64 CPU and no emulation here, so the linux/arm64 entry carries the very same (amd64)
// files under an arm64 config. It is never executed: arm64 is built only from Dockerfiles
// without RUN steps (FROM, COPY, ENV, LABEL), which BuildKit builds for any platform.

import { BUSYBOX, REGISTRY } from './stack.js'
import { OCI_INDEX, OCI_MANIFEST, Seeder } from './registry-procs.js'

const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'

async function get(path: string, accept?: string): Promise<Buffer> {
  const r = await fetch(`http://${REGISTRY}/v2/${path}`, { headers: accept ? { accept } : {}, signal: AbortSignal.timeout(30_000) })
  if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}`)
  return Buffer.from(await r.arrayBuffer())
}

/** Pushes `<repo>:latest`, an OCI index of linux/amd64 and linux/arm64 busybox; returns its reference. */
export async function pushTwoPlatformBusybox(repo: string): Promise<string> {
  const src = BUSYBOX.slice(REGISTRY.length + 1).replace(/:latest$/, '')
  const seeder = new Seeder(REGISTRY)
  const m = JSON.parse((await get(`${src}/manifests/latest`, ACCEPT)).toString()) as {
    config: { digest: string }
    layers: { digest: string; size: number; mediaType: string }[]
  }
  const config = JSON.parse((await get(`${src}/blobs/${m.config.digest}`)).toString()) as Record<string, unknown>
  const layers = []
  for (const l of m.layers)
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...(await seeder.blob(repo, await get(`${src}/blobs/${l.digest}`))) })
  const descs = []
  for (const architecture of ['amd64', 'arm64']) {
    const cfg = await seeder.blob(repo, JSON.stringify({ ...config, architecture, os: 'linux' }))
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
      layers,
    })
    const digest = await seeder.manifest(repo, `${architecture}`, body, OCI_MANIFEST)
    descs.push({ mediaType: OCI_MANIFEST, digest, size: Buffer.byteLength(body), platform: { os: 'linux', architecture } })
  }
  await seeder.manifest(repo, 'latest', JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: descs }), OCI_INDEX)
  return `${REGISTRY}/${repo}:latest`
}
