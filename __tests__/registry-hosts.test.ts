import { describe, expect, it } from 'vitest'
import { registryHost } from '../src/image/registry-hosts.js'
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
  })
})
