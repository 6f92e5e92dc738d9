// Credentials for a registry host, found the way the Docker CLI finds them:
//   1. the action's inputs (registry-username / registry-password);
//   2. `credHelpers[<host>]` of the Docker config → `docker-credential-<name> get`;
//   3. `auths[<host>]` of the Docker config (base64 `auth`, `username`/`password`,
//      `identitytoken`);
//   4. the global `credsStore` → `docker-credential-<name> get`;
//   5. anonymous.
// The config is `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. Keys match with and
// without scheme and trailing path (`https://ghcr.io/v1/` matches `ghcr.io`), and all of
// Docker Hub's names (`https://index.docker.io/v1/`, `docker.io`, `index.docker.io`,
// `registry-1.docker.io`) are one registry. Docker gives a helper precedence over `auths`;
// here `auths` entries that carry credentials come before the global `credsStore`, since
// docker/login-action writes them there and a runner's store may not be unlockable.

import { execProcess, type ProcessPort } from '../runner/process.js'
import { isConfinedError, readFileBoundedSync } from '../fs/confined.js'
import { RUNNER_FILE_CAPS } from '../fs/runner-files.js'
import os from 'node:os'
import path from 'node:path'
import { isDockerHub } from '../image/reference.js'
import type { Log } from '../runner/log.js'

export interface Credentials {
  username?: string
  password?: string
  /** OAuth2 refresh token (`identitytoken`, or a helper's `<token>` user). */
  identityToken?: string
  /** Where they came from, for messages (never the values). */
  source: string
}

interface AuthEntry {
  auth?: string
  username?: string
  password?: string
  identitytoken?: string
}

interface DockerConfig {
  auths?: Record<string, AuthEntry>
  credHelpers?: Record<string, string>
  credsStore?: string
}

export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/'
const HELPER_TIMEOUT_MS = 30_000

export function defaultDockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || path.join(os.homedir(), '.docker')
}

/** `https://ghcr.io/v1/` → `ghcr.io`; every Docker Hub name → `docker.io`. Lowercased host. */
export function normalizeRegistryKey(key: string): string {
  let k = key.trim()
  k = k.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
  const slash = k.indexOf('/')
  if (slash >= 0) k = k.slice(0, slash)
  k = k.toLowerCase()
  return isDockerHub(k) ? 'docker.io' : k
}

/** The server URL a credential helper is asked about (Docker's conventions). */
export function helperServerUrl(registry: string): string {
  return isDockerHub(registry.toLowerCase()) ? DOCKER_HUB_KEY : registry
}

/**
 * `<dir>/config.json`, read without blocking and bounded (src/fs); undefined when there is
 * none. Throws for one that is not a regular file, too large, or not JSON (never quoting it:
 * it holds secrets).
 */
export function readDockerConfig(dir: string): { config: DockerConfig; file: string } | undefined {
  const file = path.join(dir, 'config.json')
  let text: string
  try {
    text = readFileBoundedSync(file, file, { maxBytes: RUNNER_FILE_CAPS.DOCKER_CONFIG }).toString('utf8')
  } catch (e) {
    if (isConfinedError(e) && e.reason === 'missing') return undefined
    throw new Error(isConfinedError(e) ? e.message : `${file} could not be read`)
  }
  try {
    const config = JSON.parse(text) as unknown
    if (!config || typeof config !== 'object') return undefined
    return { config, file }
  } catch {
    // Do not quote the file: it holds secrets.
    throw new Error(`${file} is not valid JSON`)
  }
}

/** The value of `record` under the key that means `registry` (exact key first). */
function lookup<T>(record: Record<string, T> | undefined, registry: string): T | undefined {
  if (!record || typeof record !== 'object') return undefined
  if (Object.prototype.hasOwnProperty.call(record, registry)) return record[registry]
  const want = normalizeRegistryKey(registry)
  if (want === 'docker.io' && Object.prototype.hasOwnProperty.call(record, DOCKER_HUB_KEY)) return record[DOCKER_HUB_KEY]
  for (const [k, v] of Object.entries(record)) if (normalizeRegistryKey(k) === want) return v
  return undefined
}

/** Credentials of an `auths` entry, or undefined when it carries none. */
export function fromAuthEntry(entry: AuthEntry | undefined, source: string): Credentials | undefined {
  if (!entry || typeof entry !== 'object') return undefined
  let username = typeof entry.username === 'string' ? entry.username : undefined
  let password = typeof entry.password === 'string' ? entry.password : undefined
  if (typeof entry.auth === 'string' && entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon > 0) {
      username = decoded.slice(0, colon)
      password = decoded.slice(colon + 1)
    }
  }
  const identityToken = typeof entry.identitytoken === 'string' && entry.identitytoken ? entry.identitytoken : undefined
  if (identityToken) return { username, identityToken, source }
  if (username && password) return { username, password, source }
  return undefined
}

/** Parses a helper's `get` output; `<token>` as the user means an identity token. */
export function fromHelperOutput(stdout: string, source: string): Credentials | undefined {
  const j = JSON.parse(stdout) as { Username?: unknown; Secret?: unknown }
  const username = typeof j.Username === 'string' ? j.Username : ''
  const secret = typeof j.Secret === 'string' ? j.Secret : ''
  if (!secret) return undefined
  if (username === '<token>') return { identityToken: secret, source }
  return { username, password: secret, source }
}

export interface ResolveOptions {
  username?: string
  password?: string
  dockerConfigDir?: string
  warning?: Log['warning']
}

/**
 * Credentials for `registry` (host as written), or undefined for anonymous access.
 * Runs credential helpers asynchronously with a timeout.
 */
export async function resolveCredentials(registry: string, opts: ResolveOptions): Promise<Credentials | undefined> {
  if (opts.username && opts.password) {
    return { username: opts.username, password: opts.password, source: 'the registry-username/registry-password inputs' }
  }
  const dir = opts.dockerConfigDir ?? defaultDockerConfigDir()
  let found: ReturnType<typeof readDockerConfig>
  try {
    found = readDockerConfig(dir)
  } catch (e) {
    opts.warning?.(`Ignoring the Docker config: ${(e as Error).message}`)
    return undefined
  }
  if (!found) return undefined
  const { config, file } = found
  const helper = lookup(config.credHelpers, registry)
  if (typeof helper === 'string' && helper) return runHelper(helper, registry, opts.warning)
  const fromFile = fromAuthEntry(lookup(config.auths, registry), `${file} (auths)`)
  if (fromFile) return fromFile
  if (typeof config.credsStore === 'string' && config.credsStore) return runHelper(config.credsStore, registry, opts.warning)
  return undefined
}

/**
 * Runs `docker-credential-<name> get` with the server URL on stdin. "Not found" (any non-zero
 * exit) means anonymous; a helper that is missing or hangs is warned about, not fatal.
 */
/** `<program> get` with the server URL on stdin, through the process port; never rejects. */
async function helperGet(program: string, registry: string, proc: ProcessPort = execProcess): Promise<{ code: number | null; stdout: string; error?: Error }> {
  try {
    const r = await proc.run(program, ['get'], { input: helperServerUrl(registry), timeoutMs: HELPER_TIMEOUT_MS, maxBuffer: 1 << 20 })
    return { code: r.killed ? null : r.code, stdout: r.stdout }
  } catch (e) {
    return { code: null, stdout: '', error: e instanceof Error ? e : new Error(String(e)) }
  }
}

export async function runHelper(name: string, registry: string, warning?: (m: string) => void): Promise<Credentials | undefined> {
  const program = `docker-credential-${name}`
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    warning?.(`Ignoring credential helper "${name}": not a valid helper name`)
    return undefined
  }
  const source = `the credential helper ${program}`
  const r = await helperGet(program, registry)
  if (r.error) {
    warning?.(`Could not run ${program} for ${registry} (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); continuing without credentials`)
    return undefined
  }
  if (r.code !== 0) {
    // "credentials not found in native keychain" and the like: anonymous, quietly.
    return undefined
  }
  try {
    return fromHelperOutput(r.stdout, source)
  } catch {
    warning?.(`${program} printed something that is not credentials JSON; continuing without credentials`)
    return undefined
  }
}

/**
 * Whether credentials for `registry` are available, without contacting the registry:
 * the inputs are checked by the caller; this looks at the Docker config and asks the
 * helper that would be used (synchronously, bounded).
 */
export async function hasCredentials(registry: string, dockerConfigDir?: string): Promise<boolean> {
  let found: ReturnType<typeof readDockerConfig>
  try {
    found = readDockerConfig(dockerConfigDir ?? defaultDockerConfigDir())
  } catch {
    return false
  }
  if (!found) return false
  const { config } = found
  const helper = lookup(config.credHelpers, registry)
  const askHelper = async (name: string): Promise<boolean> => {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) return false
    const r = await helperGet(`docker-credential-${name}`, registry)
    if (r.code !== 0 || r.error) return false
    try {
      return fromHelperOutput(r.stdout, '') !== undefined
    } catch {
      return false
    }
  }
  if (typeof helper === 'string' && helper) return askHelper(helper)
  if (fromAuthEntry(lookup(config.auths, registry), '')) return true
  if (typeof config.credsStore === 'string' && config.credsStore) return askHelper(config.credsStore)
  return false
}
