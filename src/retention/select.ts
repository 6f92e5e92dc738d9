// Which deletion API a registry host takes. Deletes by digest are part of the OCI
// Distribution API but many hosted registries turn them off or use their own API.

import { isDockerHub, isLoopbackHost } from '../image/reference.js'

export type BackendKind = 'distribution' | 'ghcr' | 'unsupported'

/** Hosts (suffixes) known not to take `DELETE /v2/<name>/manifests/<digest>`, and why. */
const UNSUPPORTED: readonly { match: (host: string) => boolean; why: string }[] = [
  { match: isDockerHub, why: "Docker Hub does not delete manifests through the registry API (use Docker Hub's own API or web UI)" },
  {
    match: (h) => /\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$/.test(h) || h === 'public.ecr.aws',
    why: 'Amazon ECR deletes images through its own API (ecr batch-delete-image) or lifecycle policies',
  },
  {
    match: (h) => h === 'gcr.io' || h.endsWith('.gcr.io') || h.endsWith('-docker.pkg.dev'),
    why: 'Google Container/Artifact Registry deletes tagged images through gcloud (or cleanup policies), not by digest',
  },
  { match: (h) => h === 'docker.pkg.github.com', why: 'the old GitHub Docker registry cannot delete; move the image to ghcr.io' },
]

function hostOnly(registry: string): string {
  const r = registry.trim().toLowerCase()
  if (r.startsWith('[')) return r.slice(0, r.indexOf(']') + 1)
  return r.split(':')[0]!
}

/** Why `registryHost` cannot be pruned, or undefined when it can. */
export function unsupportedReason(registryHost: string): string | undefined {
  const host = hostOnly(registryHost)
  if (!host) return 'an image in the local Docker engine has no registry to prune'
  if (host === 'ghcr.io' || isLoopbackHost(registryHost)) return undefined
  return UNSUPPORTED.find((u) => u.match(host))?.why
}

/**
 * `ghcr` for ghcr.io (GitHub Packages API), `distribution` for registries that delete by
 * digest (loopback, self-hosted Distribution, Harbor, GitLab, Azure ACR, …: a registry
 * with deletes disabled answers 405, which is reported then), `unsupported` otherwise —
 * `explain` receives the reason.
 */
export function selectBackend(registryHost: string, explain?: (message: string) => void): BackendKind {
  const host = hostOnly(registryHost)
  if (host === 'ghcr.io') return 'ghcr'
  const why = unsupportedReason(registryHost)
  if (why) {
    explain?.(`Retention is not supported for ${registryHost || 'the local engine'}: ${why}`)
    return 'unsupported'
  }
  return 'distribution'
}
