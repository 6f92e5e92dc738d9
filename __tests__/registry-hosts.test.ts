import { describe, expect, it } from 'vitest'
import { REGISTRY_HOSTS, registryAdvice, registryHost } from '../src/image/registry-hosts.js'
import { describeFailure } from '../src/report/failure-info.js'
import { pushAccessMessage } from '../src/run/push.js'
import { selectBackend } from '../src/retention/select.js'

describe('the one table of registry hosts', () => {
  it.each([
    ['ghcr.io', 'GitHub Container Registry', 'ghcr'],
    ['GHCR.IO', 'GitHub Container Registry', 'ghcr'],
    ['docker.io', 'Docker Hub', 'unsupported'],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'Amazon ECR', 'unsupported'],
    ['public.ecr.aws', 'Amazon ECR', 'unsupported'],
    ['europe-docker.pkg.dev', 'Google Container/Artifact Registry', 'unsupported'],
    ['eu.gcr.io', 'Google Container/Artifact Registry', 'unsupported'],
    ['docker.pkg.github.com', 'the old GitHub Docker registry', 'unsupported'],
    ['acme.azurecr.io', 'a Distribution registry', 'distribution'],
    ['quay.io', 'a Distribution registry', 'distribution'],
    ['127.0.0.1:5000', 'a Distribution registry', 'distribution'],
  ])('%s: %s, retention %s', (host, name, backend) => {
    expect(registryHost(host).name).toBe(name)
    expect(selectBackend(host)).toBe(backend)
  })

  it('gives its advice where the registry refuses a push', () => {
    expect(pushAccessMessage('docker.io', 'acme/model', 'denied')).toContain('a name without a registry host is on Docker Hub')
    expect(pushAccessMessage('ghcr.io', 'acme/model', 'denied')).not.toContain('Docker Hub')
    // each host's push advice is its table row's
    for (const row of REGISTRY_HOSTS.filter((r) => r.permissionAdvice?.push)) {
      const host = row.name === 'Docker Hub' ? 'docker.io' : row.name === 'GitHub Container Registry' ? 'ghcr.io' : 'registry.example:5000'
      expect(pushAccessMessage(host, 'acme/model', 'denied')).toContain(`(${row.name}: ${row.permissionAdvice!.push})`)
    }
    expect(pushAccessMessage('ghcr.io', 'acme/model', 'denied')).toContain('`packages: write`')
  })
})

describe("a refused push or login gets its registry's advice from the table", () => {
  const failed = (registry: string, host: string, status: string) =>
    describeFailure(
      new Error(
        `docker buildx build failed (exit 1)\nERROR: failed to push ${registry}/acme/model:base-x: unexpected status from POST request to https://${host}/v2/acme/model/blobs/uploads/: ${status}`,
      ),
      { workspace: '/ws', phase: 'Build base base-x', registries: [registry] },
    ).info.hints

  it.each([
    ['ghcr.io', 'ghcr.io', /packages: write/],
    ['docker.io', 'registry-1.docker.io', /Read & Write scope/],
    ['registry.example:5000', 'registry.example:5000', /^the account needs push \(write\) permission/],
  ])('%s: 403', (registry, host, wording) => {
    const advice = registryAdvice(registry).permission.push
    expect(advice).toMatch(wording)
    expect(failed(registry, host, '403 Forbidden')).toContain(`The credentials lack permission to push to ${registry}: ${advice}.`)
  })

  it.each([
    ['ghcr.io', 'ghcr.io', /read:packages\/write:packages/],
    ['docker.io', 'registry-1.docker.io', /personal access token/],
    ['registry.example:5000', 'registry.example:5000', /^check registry-username\/registry-password or the docker\/login-action step$/],
  ])('%s: 401', (registry, host, wording) => {
    const advice = registryAdvice(registry).credential
    expect(advice).toMatch(wording)
    expect(failed(registry, host, '401 Unauthorized')).toContain(`The registry ${registry} refused the credentials: ${advice}.`)
  })

  it('names the registry the failure is about when the run writes to two', () => {
    const hints = describeFailure(new Error('failed to push ghcr.io/acme/base:base-x: 403 Forbidden'), {
      workspace: '/ws',
      registries: ['registry.example:5000', 'ghcr.io'],
    }).info.hints
    expect(hints.join('\n')).toContain(`push to ghcr.io: ${registryAdvice('ghcr.io').permission.push}`)
  })

  it("every host has advice for a refused login and push: its row's or the generic row's", () => {
    for (const r of ['ghcr.io', 'docker.io', 'quay.io']) {
      const a = registryAdvice(r)
      expect(a.permission.push).not.toBe('')
      expect(a.credential).not.toBe('')
    }
    expect(registryAdvice('quay.io')).toEqual(registryAdvice('127.0.0.1:5000'))
    // Docker Hub has no read or delete advice of its own: the generic row's.
    expect(registryAdvice('docker.io').permission.read).toBe(registryAdvice('quay.io').permission.read)
  })
})
