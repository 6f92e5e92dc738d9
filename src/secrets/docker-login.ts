// Makes the credential inputs (`registry-username`/`registry-password`) reach BuildKit:
// buildx pushes and reads registry cache with the credentials of the client's Docker
// config, so a build gets a temporary DOCKER_CONFIG that adds an `auths` entry for the
// registry. Everything else of the user's config is kept: its other settings and the
// buildx builder list (`buildx/`), CLI plugins and contexts are linked in, so the builder
// selected by docker/setup-buildx-action is still the current one.

import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DOCKER_HUB_KEY, defaultDockerConfigDir, readDockerConfig } from '../registry/credentials.js'
import { isDockerHub } from '../image/reference.js'

export interface LoginConfig {
  /** Environment for `docker` child processes (DOCKER_CONFIG set to the temporary dir). */
  readonly env: NodeJS.ProcessEnv
  readonly dir: string
  /** Set when the user's config has a global `credsStore`, which Docker asks before `auths`. */
  readonly note?: string
  cleanup(): void
}

const LINKED = ['buildx', 'cli-plugins', 'contexts']

/** Writes `<tmp>/config.json` = the user's config + `auths[registry]`; returns the env to use. */
export function dockerConfigWithLogin(registries: readonly string[], username: string, password: string, env: NodeJS.ProcessEnv = process.env): LoginConfig {
  const source = defaultDockerConfigDir(env)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'conda-image-action-docker-'))
  let config: Record<string, unknown> = {}
  try {
    config = (readDockerConfig(source)?.config as Record<string, unknown> | undefined) ?? {}
  } catch {
    config = {}
  }
  const auths = { ...((config.auths as Record<string, unknown> | undefined) ?? {}) }
  const helpers = { ...((config.credHelpers as Record<string, string> | undefined) ?? {}) }
  for (const registry of new Set(registries)) {
    const key = isDockerHub(registry) ? DOCKER_HUB_KEY : registry
    auths[key] = { auth: Buffer.from(`${username}:${password}`).toString('base64') }
    // A per-registry helper would be asked before `auths`: the inputs take precedence.
    delete helpers[key]
    delete helpers[registry]
  }
  const out: Record<string, unknown> = { ...config, auths }
  if (Object.keys(helpers).length) out.credHelpers = helpers
  else delete out.credHelpers
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(out, null, 2), { mode: 0o600 })
  for (const name of LINKED) {
    const target = path.join(source, name)
    if (existsSync(target)) symlinkSync(target, path.join(dir, name))
  }
  const store = config.credsStore
  const note =
    typeof store === 'string' && store
      ? `The Docker config uses the credential store "${store}", which Docker asks before the registry-username/registry-password inputs; if the push is denied, log in with docker/login-action instead`
      : undefined
  return {
    env: { ...env, DOCKER_CONFIG: dir },
    dir,
    note,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}
