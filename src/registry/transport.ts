// All HTTP I/O of the registry client: Node's global fetch (undici) with
//  - a timeout on every attempt (AbortSignal, covering headers and body);
//  - bounded exponential backoff with jitter for 429 (Retry-After honoured, capped), 408,
//    5xx (not 501/505), connection resets/refusals, timeouts, truncated and unparsable bodies;
//  - authentication: Bearer token challenges (tokens cached per scope for their lifetime,
//    refreshed once on 401) and Basic challenges;
//  - redirects followed by hand: credentials only ever go to the registry host itself or to
//    the token realm it named; other hosts (blob storage) get no Authorization; https→http
//    is refused;
//  - the runner's proxy settings (HTTPS_PROXY/HTTP_PROXY/NO_PROXY) via @actions/http-client's
//    proxy dispatcher, only when a proxy applies to the URL.

import * as core from '@actions/core'
import { HttpClient } from '@actions/http-client'
import { isLoopbackHost } from '../reference.js'
import { basicAuth, parseChallenge, parseTokenResponse, tokenScopes, type BearerChallenge, type Challenge } from './auth.js'
import { resolveCredentials, type Credentials } from './credentials.js'
import { RegistryError, TransientError } from './errors.js'

export interface Logger {
  debug(m: string): void
  warning(m: string): void
  setSecret(s: string): void
}

export interface TransportOptions {
  /** The action's credential inputs (take precedence over the Docker config). */
  username?: string
  password?: string
  /** Default: $DOCKER_CONFIG or ~/.docker. */
  dockerConfigDir?: string
  /** Hosts reached over plain http besides loopback. */
  insecureRegistries?: readonly string[]
  /** Per request (attempt), default 30 s. */
  timeoutMs?: number
  /** Retries after the first attempt, default 4; exponential backoff with jitter, capped. */
  retries?: number
  /** Default: @actions/core. */
  log?: Logger
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>
}

/** One registry: the host as written (for messages and credentials) and where its API is. */
export interface Registry {
  /** As written by the user: `ghcr.io`, `docker.io`, `127.0.0.1:5000`. */
  readonly name: string
  /** `host[:port]` of the API (`registry-1.docker.io` for Docker Hub). */
  readonly host: string
  readonly scheme: 'http' | 'https'
}

export interface Request {
  method: 'GET' | 'HEAD' | 'DELETE' | 'PUT'
  url: URL
  /** Request body (PUT of a manifest); sent again on a retry or a 307/308 redirect. */
  body?: Buffer
  headers?: Record<string, string>
  /** Token scope, e.g. `repository:acme/model:pull`. */
  scope: string
  /** Largest body accepted (a bigger one is a protocol error, not retried). */
  maxBytes: number
  /** What is being done, for messages: `list the tags of acme/model`. */
  what: string
  /** Statuses returned to the caller as they are (e.g. 404), instead of raising. */
  passStatuses?: readonly number[]
  /** Multiplies the per-request timeout (deletes: Distribution untags every tag in one request). */
  timeoutFactor?: number
}

export interface Response {
  status: number
  headers: Headers
  body: Buffer
  /** Final URL after redirects. */
  url: URL
}

const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_RETRIES = 4
const BACKOFF_BASE_MS = 500
const BACKOFF_CAP_MS = 15_000
const RETRY_AFTER_CAP_MS = 60_000
const MAX_REDIRECTS = 5
const TOKEN_BODY_MAX = 1 << 20
const USER_AGENT = 'conda-image-action'

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const defaultLog: Logger = {
  debug: (m) => core.debug(m),
  warning: (m) => core.warning(m),
  setSecret: (s) => core.setSecret(s),
}

/** Retry-After as milliseconds (delta-seconds or HTTP date), capped; undefined if absent/invalid. */
export function parseRetryAfter(value: string | null, now: number = Date.now(), capMs = RETRY_AFTER_CAP_MS): number | undefined {
  if (!value) return undefined
  const v = value.trim()
  let ms: number
  if (/^\d+$/.test(v)) ms = Number(v) * 1000
  else {
    const t = Date.parse(v)
    if (Number.isNaN(t)) return undefined
    ms = t - now
  }
  return Math.min(Math.max(ms, 0), capMs)
}

/** Exponential backoff with "equal jitter": half fixed, half random; capped. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const d = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt)
  return Math.round(d / 2 + random() * (d / 2))
}

/** Statuses worth another attempt. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505)
}

/**
 * Whether a redirect from `from` to `to` may be followed: only http(s), never https→http.
 * Throws RegistryError('protocol') otherwise.
 */
export function checkRedirect(registry: string, from: URL, to: URL): void {
  if (to.protocol !== 'https:' && to.protocol !== 'http:') {
    throw new RegistryError('protocol', registry, `${registry} redirected to an unsupported scheme (${to.protocol}); refusing to follow`)
  }
  if (from.protocol === 'https:' && to.protocol === 'http:') {
    throw new RegistryError('protocol', registry, `${registry} redirected from https to plain http (${to.host}); refusing the downgrade`)
  }
}

/** A URL for logs: the query is dropped for hosts other than the registry (signed storage URLs). */
export function logUrl(url: URL, registryHost: string): string {
  if (url.host === registryHost) return url.toString()
  return `${url.protocol}//${url.host}${url.pathname}${url.search ? '?…' : ''}`
}

/** Error codes of connection problems that are not worth retrying. */
const PERMANENT_CODES = new Set([
  'ENOTFOUND',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
  'ERR_INVALID_URL',
])

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const c = cur as { code?: unknown; cause?: unknown; errors?: unknown[]; name?: unknown }
    if (typeof c.code === 'string') return c.code
    if (c.name === 'TimeoutError' || c.name === 'AbortError') return String(c.name)
    if (Array.isArray(c.errors) && c.errors.length) cur = c.errors[0]
    else cur = c.cause
  }
  return undefined
}

interface CachedToken {
  token: string
  expiresAt: number
}

export class Transport {
  private readonly opts: TransportOptions
  readonly log: Logger
  private readonly sleep: (ms: number) => Promise<void>
  private readonly timeoutMs: number
  private readonly retries: number
  private readonly insecure: Set<string>
  private readonly credentials = new Map<string, Promise<Credentials | undefined>>()
  private readonly challenges = new Map<string, Challenge>()
  private readonly tokens = new Map<string, CachedToken | Promise<CachedToken>>()
  private readonly secrets = new Set<string>()
  private proxyClient?: HttpClient
  private readonly signalTimeouts = new WeakMap<AbortSignal, number>()

  constructor(opts: TransportOptions = {}) {
    this.opts = opts
    this.log = opts.log ?? defaultLog
    this.sleep = opts.sleep ?? realSleep
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.retries = Math.max(0, opts.retries ?? DEFAULT_RETRIES)
    this.insecure = new Set((opts.insecureRegistries ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean))
    if (opts.password) this.secret(opts.password)
  }

  /** The registry behind an image name's host. */
  registry(name: string, apiHost: string): Registry {
    const plain = isLoopbackHost(name) || this.insecure.has(name.toLowerCase()) || this.insecure.has(apiHost.toLowerCase())
    return { name, host: apiHost, scheme: plain ? 'http' : 'https' }
  }

  private secret(s: string | undefined): void {
    if (!s || this.secrets.has(s)) return
    this.secrets.add(s)
    this.log.setSecret(s)
  }

  private creds(reg: Registry): Promise<Credentials | undefined> {
    let p = this.credentials.get(reg.name)
    if (!p) {
      p = resolveCredentials(reg.name, {
        username: this.opts.username,
        password: this.opts.password,
        dockerConfigDir: this.opts.dockerConfigDir,
        warning: (m) => this.log.warning(m),
      }).then((c) => {
        if (c) {
          this.secret(c.password)
          this.secret(c.identityToken)
          if (c.username && c.password) this.secret(Buffer.from(`${c.username}:${c.password}`).toString('base64'))
          this.log.debug(`${reg.name}: using credentials from ${c.source}`)
        } else {
          this.log.debug(`${reg.name}: no credentials, anonymous access`)
        }
        return c
      })
      this.credentials.set(reg.name, p)
    }
    return p
  }

  private dispatcher(url: URL): object | undefined {
    // Cheap when no proxy is configured: http-client only builds an agent when one applies.
    if (!process.env.https_proxy && !process.env.HTTPS_PROXY && !process.env.http_proxy && !process.env.HTTP_PROXY) return undefined
    this.proxyClient ??= new HttpClient(USER_AGENT)
    return this.proxyClient.getAgentDispatcher(url.toString())
  }

  private async rawFetch(url: URL, init: { method: string; headers: Record<string, string>; body?: string | Buffer; signal: AbortSignal }): Promise<globalThis.Response> {
    const dispatcher = this.dispatcher(url)
    try {
      return await fetch(url, {
        method: init.method,
        headers: { 'user-agent': USER_AGENT, ...init.headers },
        body: init.body,
        redirect: 'manual',
        signal: init.signal,
        ...(dispatcher ? { dispatcher } : {}),
      } as RequestInit)
    } catch (e) {
      throw this.networkError(e, url, init.signal)
    }
  }

  private networkError(e: unknown, url: URL, signal: AbortSignal): Error {
    if (e instanceof RegistryError || e instanceof TransientError) return e
    const code = errorCode(e) ?? (signal.aborted ? 'TimeoutError' : undefined)
    if (code === 'TimeoutError' || code === 'AbortError' || signal.aborted) {
      return new TransientError('network', `${url.host} did not answer within ${Math.round((this.signalTimeouts.get(signal) ?? this.timeoutMs) / 100) / 10}s`, undefined, undefined, { cause: e })
    }
    const what = code ?? (e as Error)?.message ?? String(e)
    if (code && PERMANENT_CODES.has(code)) {
      const hint = code.startsWith('ERR_SSL') || code === 'EPROTO' ? ' (if this registry serves plain HTTP, list it in insecure-registries)' : ''
      return new RegistryError('network', url.host, `cannot reach ${url.host}: ${what}${hint}`, undefined, { cause: e })
    }
    return new TransientError('network', `cannot reach ${url.host}: ${what}`, undefined, undefined, { cause: e })
  }

  /** Reads a body with a size limit; a short or broken body is transient. */
  private async readBody(res: globalThis.Response, max: number, reg: Registry, url: URL, signal: AbortSignal): Promise<Buffer> {
    if (!res.body) return Buffer.alloc(0)
    const declaredHeader = res.headers.get('content-length')
    const declared = declaredHeader !== null && /^\d+$/.test(declaredHeader) ? Number(declaredHeader) : undefined
    if (declared !== undefined && declared > max) {
      await discard(res)
      throw new RegistryError('protocol', reg.name, `${reg.name} sent a response of ${declared} bytes (limit ${max}) for ${url.pathname}`)
    }
    const chunks: Buffer[] = []
    let n = 0
    const reader = byteReader(res.body)
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        n += value.byteLength
        if (n > max) {
          await reader.cancel().catch(() => undefined)
          throw new RegistryError('protocol', reg.name, `${reg.name} sent more than ${max} bytes for ${url.pathname}`)
        }
        chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength))
      }
    } catch (e) {
      if (e instanceof RegistryError) throw e
      const err = this.networkError(e, url, signal)
      if (err instanceof TransientError) {
        throw new TransientError('network', `the response from ${url.host} broke off after ${n} bytes (${err.message})`, undefined, undefined, { cause: e })
      }
      throw err
    }
    if (declared !== undefined && !res.headers.get('content-encoding') && n !== declared) {
      throw new TransientError('protocol', `the response from ${url.host} was truncated (${n} of ${declared} bytes)`)
    }
    return Buffer.concat(chunks, n)
  }

  /**
   * Sends a request with retries. `validate` may throw TransientError (unparsable JSON, digest
   * mismatch) to have the whole request retried.
   */
  async send<T = Response>(reg: Registry, req: Request, validate?: (r: Response) => T): Promise<T> {
    let last: TransientError | undefined
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0 && last) {
        const wait = last.retryAfterMs ?? backoffMs(attempt - 1)
        this.log.debug(`${req.method} ${logUrl(req.url, reg.host)}: ${last.message}; retry ${attempt}/${this.retries} in ${wait}ms`)
        await this.sleep(wait)
      }
      try {
        const r = await this.attempt(reg, req)
        return validate ? validate(r) : (r as T)
      } catch (e) {
        if (e instanceof TransientError) {
          last = e
          continue
        }
        throw e
      }
    }
    const e = last!
    throw new RegistryError(
      e.kind,
      reg.name,
      `${reg.name}: could not ${req.what} after ${this.retries + 1} attempts: ${e.message}`,
      e.status,
      { cause: e },
    )
  }

  private async attempt(reg: Registry, req: Request): Promise<Response> {
    const ms = this.timeoutMs * (req.timeoutFactor ?? 1)
    const signal = AbortSignal.timeout(ms)
    this.signalTimeouts.set(signal, ms)
    let answered = false
    for (;;) {
      const auth = await this.authorization(reg, req.scope, signal)
      const { res, url, onRegistry } = await this.follow(reg, req, auth, signal)
      if (res.status === 401 && onRegistry && !answered) {
        const challenge = parseChallenge(res.headers.get('www-authenticate'))
        await discard(res)
        if (challenge) {
          answered = true
          this.learn(reg, challenge, req.scope)
          continue
        }
        throw await this.authError(reg, req, 401, auth !== undefined)
      }
      if (req.passStatuses?.includes(res.status)) {
        const body = req.method === 'HEAD' ? Buffer.alloc(0) : await this.readBody(res, req.maxBytes, reg, url, signal)
        return { status: res.status, headers: res.headers, body, url }
      }
      if (res.status === 401 || res.status === 403) {
        const detail = await errorDetail(res)
        throw await this.authError(reg, req, res.status, auth !== undefined, detail)
      }
      if (isTransientStatus(res.status)) {
        const retryAfter = parseRetryAfter(res.headers.get('retry-after'))
        const detail = await errorDetail(res)
        throw new TransientError('http', `HTTP ${res.status}${detail ? ` (${detail})` : ''}`, res.status, retryAfter)
      }
      if (res.status < 200 || res.status >= 300) {
        const detail = await errorDetail(res)
        const kind = res.status === 404 ? 'not-found' : 'http'
        throw new RegistryError(kind, reg.name, `${reg.name}: could not ${req.what}: HTTP ${res.status}${detail ? ` (${detail})` : ''}`, res.status)
      }
      const body = req.method === 'HEAD' ? (await discard(res), Buffer.alloc(0)) : await this.readBody(res, req.maxBytes, reg, url, signal)
      return { status: res.status, headers: res.headers, body, url }
    }
  }

  /** Follows redirects by hand; Authorization only on the registry host. */
  private async follow(reg: Registry, req: Request, auth: string | undefined, signal: AbortSignal): Promise<{ res: globalThis.Response; url: URL; onRegistry: boolean }> {
    let url = req.url
    let method: string = req.method
    for (let hop = 0; ; hop++) {
      const onRegistry = url.host === reg.host && (url.protocol === `${reg.scheme}:` || url.protocol === 'https:')
      const headers: Record<string, string> = { ...(req.headers ?? {}) }
      if (onRegistry && auth) headers.authorization = auth
      this.log.debug(`${method} ${logUrl(url, reg.host)}${hop ? ` (redirect ${hop})` : ''}`)
      const res = await this.rawFetch(url, { method, headers, signal, ...(req.body && method === req.method ? { body: req.body } : {}) })
      const location = res.headers.get('location')
      if (![301, 302, 303, 307, 308].includes(res.status) || !location) return { res, url, onRegistry }
      await discard(res)
      if (hop >= MAX_REDIRECTS) throw new RegistryError('protocol', reg.name, `${reg.name}: too many redirects while trying to ${req.what}`)
      let next: URL
      try {
        next = new URL(location, url)
      } catch {
        throw new RegistryError('protocol', reg.name, `${reg.name} sent an invalid redirect while trying to ${req.what}`)
      }
      checkRedirect(reg.name, url, next)
      if (res.status === 303 && method !== 'HEAD') method = 'GET'
      url = next
    }
  }

  private learn(reg: Registry, challenge: Challenge, scope: string): void {
    this.challenges.set(reg.host, challenge)
    if (challenge.scheme === 'bearer') {
      // A 401 with a token in hand means it expired or lacks the scope: fetch a fresh one.
      this.tokens.delete(tokenKey(challenge, scope))
      this.pendingScopes.set(tokenKey(challenge, scope), challenge.scope)
    }
  }

  private readonly pendingScopes = new Map<string, string | undefined>()

  /** The Authorization header for a request to `reg` with `scope`, once a challenge is known. */
  private async authorization(reg: Registry, scope: string, signal: AbortSignal): Promise<string | undefined> {
    const challenge = this.challenges.get(reg.host)
    if (!challenge) return undefined
    if (challenge.scheme === 'basic') {
      const c = await this.creds(reg)
      if (c?.username && c.password) return basicAuth(c.username, c.password)
      if (c?.identityToken) return basicAuth(c.username || '<token>', c.identityToken)
      return undefined
    }
    const key = tokenKey(challenge, scope)
    const cached = this.tokens.get(key)
    if (cached && !(cached instanceof Promise) && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`
    if (cached instanceof Promise) {
      try {
        return `Bearer ${(await cached).token}`
      } catch {
        // fall through: fetch our own
      }
    }
    const p = this.fetchToken(reg, challenge, scope, signal)
    this.tokens.set(key, p)
    try {
      const t = await p
      this.tokens.set(key, t)
      return `Bearer ${t.token}`
    } catch (e) {
      this.tokens.delete(key)
      throw e
    }
  }

  private async fetchToken(reg: Registry, ch: BearerChallenge, scope: string, signal: AbortSignal): Promise<CachedToken> {
    let realm: URL
    try {
      realm = new URL(ch.realm)
    } catch {
      throw new RegistryError('protocol', reg.name, `${reg.name} named an invalid token realm`)
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      throw new RegistryError('protocol', reg.name, `${reg.name} named a token realm with an unsupported scheme (${realm.protocol})`)
    }
    if (realm.protocol === 'http:' && reg.scheme === 'https' && !isLoopbackHost(realm.host) && !this.insecure.has(realm.host.toLowerCase())) {
      throw new RegistryError('protocol', reg.name, `${reg.name} named a plain-http token realm (${realm.host}); refusing to send credentials there`)
    }
    const scopes = tokenScopes(scope, this.pendingScopes.get(tokenKey(ch, scope)))
    const c = await this.creds(reg)
    const started = Date.now()
    let res: globalThis.Response
    if (c?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, client_id: USER_AGENT, scope: scopes.join(' ') })
      if (ch.service) form.set('service', ch.service)
      this.log.debug(`POST ${realm.origin}${realm.pathname} (OAuth2 refresh token, scope ${scopes.join(' ')})`)
      res = await this.rawFetch(realm, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), signal })
      if (res.status === 404 || res.status === 405) {
        await discard(res)
        res = await this.tokenGet(realm, ch, scopes, basicAuth(c.username || '<token>', c.identityToken), signal)
      }
    } else {
      res = await this.tokenGet(realm, ch, scopes, c?.username && c.password ? basicAuth(c.username, c.password) : undefined, signal, c?.username)
    }
    if (res.status === 401 || res.status === 403) {
      const detail = await errorDetail(res)
      throw new RegistryError(
        res.status === 401 ? 'auth' : 'denied',
        reg.name,
        c
          ? `the token service of ${reg.name} (${realm.host}) rejected the credentials from ${c.source} (HTTP ${res.status}${detail ? `: ${detail}` : ''}): ${credentialAdvice(reg.name)}`
          : `the token service of ${reg.name} (${realm.host}) refused anonymous access (HTTP ${res.status}${detail ? `: ${detail}` : ''}): log in with docker/login-action or set registry-username and registry-password`,
        res.status,
      )
    }
    if (isTransientStatus(res.status)) {
      await discard(res)
      throw new TransientError('http', `token service ${realm.host}: HTTP ${res.status}`, res.status, parseRetryAfter(res.headers.get('retry-after')))
    }
    if (res.status < 200 || res.status >= 300) {
      const detail = await errorDetail(res)
      throw new RegistryError('http', reg.name, `the token service of ${reg.name} (${realm.host}) answered HTTP ${res.status}${detail ? ` (${detail})` : ''}`, res.status)
    }
    const body = await this.readBody(res, TOKEN_BODY_MAX, reg, realm, signal)
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      throw new TransientError('protocol', `the token service ${realm.host} sent invalid JSON`)
    }
    const t = parseTokenResponse(parsed)
    if (!t) throw new RegistryError('protocol', reg.name, `the token service of ${reg.name} (${realm.host}) sent no token`)
    this.secret(t.token)
    // Renew a little early: a few seconds, at most a tenth of the lifetime.
    const margin = Math.min(5_000, t.expiresIn * 100)
    return { token: t.token, expiresAt: started + t.expiresIn * 1000 - margin }
  }

  private async tokenGet(realm: URL, ch: BearerChallenge, scopes: string[], auth: string | undefined, signal: AbortSignal, account?: string): Promise<globalThis.Response> {
    const u = new URL(realm)
    if (ch.service) u.searchParams.set('service', ch.service)
    for (const s of scopes) u.searchParams.append('scope', s)
    if (account && auth) u.searchParams.set('account', account)
    this.log.debug(`GET ${realm.origin}${realm.pathname} (token, scope ${scopes.join(' ')}, ${auth ? 'with credentials' : 'anonymous'})`)
    const res = await this.rawFetch(u, { method: 'GET', headers: auth ? { authorization: auth } : {}, signal })
    if ([301, 302, 303, 307, 308].includes(res.status)) {
      await discard(res)
      throw new RegistryError('protocol', realm.host, `the token service ${realm.host} redirected; refusing to send credentials elsewhere`)
    }
    return res
  }

  private async authError(reg: Registry, req: Request, status: number, sentAuth: boolean, detail?: string): Promise<RegistryError> {
    const c = await this.creds(reg).catch(() => undefined)
    const d = detail ? ` (${detail})` : ''
    if (status === 401) {
      const msg = c && sentAuth
        ? `${reg.name} rejected the credentials from ${c.source} while trying to ${req.what} (HTTP 401${d}): ${credentialAdvice(reg.name)}`
        : `${reg.name} requires authentication to ${req.what} (HTTP 401${d}): log in with docker/login-action or set registry-username and registry-password`
      return new RegistryError('auth', reg.name, msg, 401)
    }
    return new RegistryError(
      'denied',
      reg.name,
      `${reg.name} denied access to ${req.what} (HTTP 403${d}): ${c ? `the credentials from ${c.source} lack permission; ` : 'anonymous access is not allowed; '}${permissionAdvice(reg.name, req.method)}`,
      403,
    )
  }
}

function tokenKey(ch: BearerChallenge, scope: string): string {
  return `${ch.realm}\n${ch.service ?? ''}\n${scope}`
}

function credentialAdvice(registry: string): string {
  if (registry === 'ghcr.io') return 'check registry-username/registry-password (a token with read:packages/write:packages) or the docker/login-action step'
  return 'check registry-username/registry-password or the docker/login-action step'
}

function permissionAdvice(registry: string, method: string): string {
  if (registry === 'ghcr.io') {
    return method === 'DELETE'
      ? 'deleting needs a token with delete:packages or the GitHub Packages API; grant the workflow `packages: write`'
      : 'grant the workflow `packages: write` (or `packages: read`) and give the repository access to the package'
  }
  return method === 'DELETE' ? 'the account needs delete permission on the repository' : 'check that the account may read this repository'
}

async function discard(res: globalThis.Response): Promise<void> {
  try {
    await res.body?.cancel()
  } catch {
    // ignore
  }
}

/** A reader of a fetch response body, whose chunks are bytes (Node's types leave them `any`). */
function byteReader(body: ReadableStream): ReadableStreamDefaultReader<Uint8Array> {
  return (body as ReadableStream<Uint8Array>).getReader()
}

/** `CODE: message` of a Distribution error body (first error), read with a small limit. */
async function errorDetail(res: globalThis.Response): Promise<string | undefined> {
  try {
    if (!res.body) return undefined
    const reader = byteReader(res.body)
    const chunks: Uint8Array[] = []
    let n = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      n += value.byteLength
      if (n > 16_384) {
        await reader.cancel().catch(() => undefined)
        break
      }
    }
    const text = Buffer.concat(chunks).toString('utf8')
    const j = JSON.parse(text) as { errors?: { code?: string; message?: string }[] }
    const e = j.errors?.[0]
    if (!e) return undefined
    return [e.code, e.message].filter(Boolean).join(': ').slice(0, 300)
  } catch {
    return undefined
  }
}

/** The Distribution error code of a body (`NAME_UNKNOWN`, `UNSUPPORTED`), if any. */
export function errorCodeOf(body: Buffer): string | undefined {
  try {
    const j = JSON.parse(body.toString('utf8')) as { errors?: { code?: string }[] }
    return j.errors?.[0]?.code
  } catch {
    return undefined
  }
}
