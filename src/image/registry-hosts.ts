// The one table of registry hosts and what the action knows about each: how retention deletes
// tags there (or why it cannot), and the advice it gives when the registry refuses a login, a
// read, a delete or a push. To support a registry's quirk, add or change its row here.

import { isDockerHub } from './reference.js'

export interface RegistryHost {
  /** Shown in messages. */
  readonly name: string
  /** Matches the host, lowercased and without its port. */
  readonly match: (host: string) => boolean
  /** Retention: the GitHub Packages API, the Distribution API's delete by digest, or why tags cannot be deleted there. */
  readonly retention: 'ghcr' | 'distribution' | { readonly unsupported: string }
  /** After a refused login (401); the last row's when not given. */
  readonly credentialAdvice?: string
  /** After a refused read, delete or push (403); the last row's for what is not given. */
  readonly permissionAdvice?: Partial<RegistryAdvice['permission']>
  /** Added to the message of a push that cannot happen. */
  readonly pushNote?: string
}

/** What to tell the user when a registry refuses: a host's own advice, or the generic one. */
export interface RegistryAdvice {
  /** After a refused login (401). */
  readonly credential: string
  /** After a refused read, delete or push (403). */
  readonly permission: { readonly read: string; readonly delete: string; readonly push: string }
}

/** Known hosts, first match wins; any other registry is the last row (a Distribution registry: Harbor, GitLab, Azure ACR, quay, self-hosted …). */
export const REGISTRY_HOSTS: readonly RegistryHost[] = [
  {
    name: 'GitHub Container Registry',
    match: (h) => h === 'ghcr.io',
    retention: 'ghcr',
    credentialAdvice: 'check registry-username/registry-password (a token with read:packages/write:packages) or the docker/login-action step',
    permissionAdvice: {
      read: 'grant the workflow `packages: write` (or `packages: read`) and give the repository access to the package',
      delete: 'deleting needs a token with delete:packages or the GitHub Packages API; grant the workflow `packages: write`',
      push: 'grant the workflow `packages: write` and give the repository access to the package',
    },
  },
  {
    name: 'Docker Hub',
    match: isDockerHub,
    retention: { unsupported: "Docker Hub does not delete manifests through the registry API (use Docker Hub's own API or web UI)" },
    credentialAdvice: 'log in to Docker Hub with a user name and a personal access token (docker/login-action, or registry-username/registry-password)',
    permissionAdvice: {
      push: 'the repository must be under the account or an organization it can write to, and its access token needs the Read & Write scope',
    },
    pushNote: " (Docker Hub: a name without a registry host is on Docker Hub; for the runner's own Docker engine set `store: local`)",
  },
  {
    name: 'Amazon ECR',
    match: (h) => /\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$/.test(h) || h === 'public.ecr.aws',
    retention: { unsupported: 'Amazon ECR deletes images through its own API (ecr batch-delete-image) or lifecycle policies' },
  },
  {
    name: 'Google Container/Artifact Registry',
    match: (h) => h === 'gcr.io' || h.endsWith('.gcr.io') || h.endsWith('-docker.pkg.dev'),
    retention: { unsupported: 'Google Container/Artifact Registry deletes tagged images through gcloud (or cleanup policies), not by digest' },
  },
  {
    name: 'the old GitHub Docker registry',
    match: (h) => h === 'docker.pkg.github.com',
    retention: { unsupported: 'the old GitHub Docker registry cannot delete; move the image to ghcr.io' },
  },
  {
    name: 'a Distribution registry',
    match: () => true,
    retention: 'distribution',
    credentialAdvice: 'check registry-username/registry-password or the docker/login-action step',
    permissionAdvice: {
      read: 'check that the account may read this repository',
      delete: 'the account needs delete permission on the repository',
      push: 'the account needs push (write) permission on the repository',
    },
  },
]

const GENERIC = REGISTRY_HOSTS[REGISTRY_HOSTS.length - 1]!

/** `Host:5000` → `host`; `[::1]:5000` → `[::1]`. */
export function hostOnly(registry: string): string {
  const r = registry.trim().toLowerCase()
  if (r.startsWith('[')) return r.slice(0, r.indexOf(']') + 1)
  return r.split(':')[0]!
}

/** The row of a registry (host as written, with or without a port). */
export function registryHost(registry: string): RegistryHost {
  const host = hostOnly(registry)
  return REGISTRY_HOSTS.find((r) => r.match(host))!
}

/** The advice after a refusal by `registry` (host as written): its row's, the last row's for what the row does not say. */
export function registryAdvice(registry: string): RegistryAdvice {
  const row = registryHost(registry)
  const generic = GENERIC.permissionAdvice!
  const own = row.permissionAdvice ?? {}
  return {
    credential: row.credentialAdvice ?? GENERIC.credentialAdvice!,
    permission: { read: own.read ?? generic.read!, delete: own.delete ?? generic.delete!, push: own.push ?? generic.push! },
  }
}
