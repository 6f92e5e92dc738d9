// Which deletion API a registry host takes (the hosts and their quirks: src/image/registry-hosts.ts).
// Deletes by digest are part of the OCI Distribution API but many hosted registries turn them off
// or use their own API.

import { isLoopbackHost } from '../image/reference.js'
import { hostOnly, registryHost } from '../image/registry-hosts.js'

export type BackendKind = 'distribution' | 'ghcr' | 'unsupported'

/** Why `registry` cannot be pruned, or undefined when it can. */
export function unsupportedReason(registry: string): string | undefined {
  const host = hostOnly(registry)
  if (!host) return 'an image in the local Docker engine has no registry to prune'
  if (isLoopbackHost(registry)) return undefined
  const { retention } = registryHost(registry)
  return typeof retention === 'object' ? retention.unsupported : undefined
}

/**
 * `ghcr` for ghcr.io (GitHub Packages API), `distribution` for registries that delete by
 * digest (loopback, self-hosted Distribution, Harbor, GitLab, Azure ACR, …: a registry
 * with deletes disabled answers 405, which is reported then), `unsupported` otherwise —
 * `explain` receives the reason.
 */
export function selectBackend(registry: string, explain?: (message: string) => void): BackendKind {
  if (hostOnly(registry) && registryHost(registry).retention === 'ghcr') return 'ghcr'
  const why = unsupportedReason(registry)
  if (why) {
    explain?.(`Retention is not supported for ${registry || 'the local engine'}: ${why}`)
    return 'unsupported'
  }
  return 'distribution'
}
