// All HTTP I/O of the registry client (and, through `exchange`, of retention's GitHub
// Packages API calls), over node:http / node:https with keep-alive agents
// (Node's global fetch loads undici and compiles its WebAssembly parser: too slow and too
// big for a short process), with
//  - a timeout on every attempt (covering redirects, token requests, headers and bodies), and optionally one
//    deadline over a whole operation (every attempt, retry and backoff of it);
//  - every body read capped while it streams;
//  - bounded exponential backoff with jitter for 429 (Retry-After honoured, capped), 408,
//    5xx (not 501/505), connection resets/refusals, timeouts, truncated and unparsable bodies;
//  - authentication: Bearer token challenges (tokens cached per scope for their lifetime,
//    refreshed once on 401) and Basic challenges;
//  - redirects followed by hand: credentials only ever go to the registry host itself or to
//    the token realm it named; other hosts (blob storage) get no Authorization; https→http
//    is refused;
//  - the runner's proxy settings (HTTPS_PROXY/HTTP_PROXY/NO_PROXY, as @actions/http-client
//    reads them), through http-client's tunnelling agent, only when a proxy applies to the URL.

import { runnerLog } from '../runner/log.js'
import { getProxyUrl } from '@actions/http-client/lib/proxy'
import * as tunnel from 'tunnel'
import http from 'node:http'
import https from 'node:https'
import { isLoopbackHost } from '../image/reference.js'
import { basicAuth, parseChallenge, parseTokenResponse, tokenScopes, type BearerChallenge, type Challenge } from './auth.js'
import { resolveCredentials, type Credentials } from './credentials.js'
import { RegistryError, RunEnded, TransientError } from './errors.js'
import type { Log } from '../runner/log.js'
import { registryAdvice } from '../image/registry-hosts.js'

/** The registry client's log, and where it masks the tokens it is given. */
export type Logger = Pick<Log, 'debug' | 'warning'> & { setSecret(s: string): void }

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
  /** Default: the runner's workflow commands. */
  log?: Logger
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>
  /** The clock of deadlines (milliseconds since the epoch). Injectable for tests. */
  now?: () => number
}

/** Response headers (lower-case names; repeated headers joined with `, `). */
export interface ResponseHeaders {
  get(name: string): string | null
}

/** One registry: the host as written (for messages and credentials) and where its API is. */
/** Why a registry could not be reached (Transport.reach). */
export interface ReachFailure {
  /** `ENOTFOUND`, `ECONNREFUSED`, `TimeoutError`, a TLS code, … */
  readonly code: string
  readonly message: string
  /** The check's deadline. */
  readonly ms: number
}

export interface Registry {
  /** As written by the user: `ghcr.io`, `docker.io`, `127.0.0.1:5000`. */
  readonly name: string
  /** `host[:port]` of the API (`registry-1.docker.io` for Docker Hub). */
  readonly host: string
  readonly scheme: 'http' | 'https'
}

export interface Request {
  method: 'GET' | 'HEAD' | 'DELETE' | 'PUT' | 'POST'
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
  /**
   * Time (per the transport's clock) by which the request, with all its retries and backoff,
   * must be done; past it the request fails with a RegistryError('network').
   */
  deadline?: number
}

export interface Response {
  status: number
  headers: ResponseHeaders
  body: Buffer
  /** Final URL after redirects. */
  url: URL
}

const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_RETRIES = 4
const BACKOFF_BASE_MS = 500
/** Attempts of a reachability check (see Transport.reach). */
const REACH_ATTEMPTS = 3
const BACKOFF_CAP_MS = 15_000
const RETRY_AFTER_CAP_MS = 60_000
const MAX_REDIRECTS = 5
const TOKEN_BODY_MAX = 1 << 20
const USER_AGENT = 'conda-image-action'

// Registry answers end up in these messages: the job log's one writer shows them inert.
const defaultLog: Logger = {
  debug: (m) => runnerLog.debug(m),
  warning: (m) => runnerLog.warning(m),
  setSecret: (s) => runnerLog.mask(s),
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

/** A response whose body is still to be read (or discarded). */
interface RawResponse {
  status: number
  headers: ResponseHeaders
  body: http.IncomingMessage
}

class HeaderMap implements ResponseHeaders {
  constructor(private readonly h: http.IncomingHttpHeaders) {}
  get(name: string): string | null {
    const v = this.h[name.toLowerCase()]
    if (v === undefined) return null
    return Array.isArray(v) ? v.join(', ') : String(v)
  }
}

/**
 * A CONNECT tunnel through `proxy` for requests to `url` — the agent @actions/http-client
 * builds for the runner's proxy settings (the `tunnel` package, keep-alive), without loading
 * http-client itself (docs/DESIGN.md §9.4). Credentials in the proxy URL are percent-decoded.
 */
export function proxyAgent(url: URL, proxy: URL): http.Agent {
  const auth = proxy.username || proxy.password ? { proxyAuth: `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}` } : {}
  const options = {
    maxSockets: 100,
    keepAlive: true,
    proxy: { ...auth, host: proxy.hostname, port: Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80)) },
  }
  const overHttps = proxy.protocol === 'https:'
  if (url.protocol === 'https:') return overHttps ? tunnel.httpsOverHttps(options) : tunnel.httpsOverHttp(options)
  return overHttps ? tunnel.httpOverHttps(options) : tunnel.httpOverHttp(options)
}

/**
 * The time limit of one attempt: every request of it (redirects, token requests) and the
 * response being read are destroyed when it passes. A plain unref'd timer: cheaper to load
 * than AbortSignal for a short process.
 */
class AttemptTimer {
  aborted = false
  private readonly live = new Set<http.ClientRequest | http.IncomingMessage>()
  private readonly timer: NodeJS.Timeout
  constructor(readonly ms: number) {
    this.timer = setTimeout(() => this.abort(), ms)
    this.timer.unref()
  }
  /** Ends the attempt now (its time is up, or the transport was closed). */
  abort(): void {
    clearTimeout(this.timer)
    this.aborted = true
    for (const r of this.live) r.destroy(this.error())
    this.live.clear()
  }
  private error(): Error {
    return Object.assign(new Error(`no answer within ${this.ms} ms`), { name: 'TimeoutError' })
  }
  /** Destroys `r` with the others when the time is up (at once when it already is). */
  track(r: http.ClientRequest | http.IncomingMessage): void {
    if (this.aborted) {
      r.destroy(this.error())
      return
    }
    this.live.add(r)
    r.once('close', () => this.live.delete(r))
  }
  done(): void {
    clearTimeout(this.timer)
    this.live.clear()
  }
}

interface CachedToken {
  token: string
  expiresAt: number
}

export class Transport {
  private readonly opts: TransportOptions
  readonly log: Logger
  /** An injected wait (tests); else a timer that close() clears. */
  private readonly sleep?: (ms: number) => Promise<void>
  private readonly timeoutMs: number
  private readonly retries: number
  private readonly insecure: Set<string>
  private readonly credentials = new Map<string, Promise<Credentials | undefined>>()
  private readonly challenges = new Map<string, Challenge>()
  private readonly tokens = new Map<string, CachedToken | Promise<CachedToken>>()
  private readonly secrets = new Set<string>()
  private readonly agents = new Map<string, http.Agent>()
  /** Attempts under way and retry waits, ended by close(). */
  private readonly attempts = new Set<AttemptTimer>()
  private readonly waits = new Set<() => void>()
  private closed = false
  /** The clock of deadlines (milliseconds since the epoch). */
  readonly now: () => number

  constructor(opts: TransportOptions = {}) {
    this.opts = opts
    this.log = opts.log ?? defaultLog
    this.sleep = opts.sleep
    this.now = opts.now ?? Date.now
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

  /**
   * The keep-alive agent for a URL: a plain one per scheme, or, when the runner's proxy
   * settings apply to the URL, a tunnelling agent for that proxy (proxyAgent).
   * Idle keep-alive sockets do not hold the process open (Node unrefs them).
   */
  private agent(url: URL): http.Agent {
    const proxy = getProxyUrl(url)
    const key = proxy ? `${url.protocol}${proxy.href}` : url.protocol
    let agent = this.agents.get(key)
    if (!agent) {
      if (proxy) agent = proxyAgent(url, proxy)
      else agent = url.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true })
      this.agents.set(key, agent)
    }
    return agent
  }

  /**
   * The run is over: requests still under way (started early for a run that then failed, or
   * whose answer nobody waits for any more) are ended, retry waits cut short, connections
   * closed, and every later request fails at once. Without this, a registry that accepts
   * connections and never answers would hold the finished process open for the attempts'
   * timeouts and retries (minutes). Their promises reject; whoever started them has already
   * given them a handler.
   */
  close(): void {
    this.closed = true
    for (const a of this.attempts) a.abort()
    this.attempts.clear()
    for (const wake of this.waits) wake()
    this.waits.clear()
    for (const a of this.agents.values()) a.destroy()
    this.agents.clear()
  }

  private closedError(reg: Registry, req: Pick<Request, 'what'>): RunEnded {
    return new RunEnded(reg.name, `${reg.name}: did not ${req.what}: the run ended first`)
  }

  /** Waits `ms` before a retry (the injected sleep, else a timer); close() ends the wait at once, and its timer with it. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const wake = (): void => {
        clearTimeout(timer)
        this.waits.delete(wake)
        resolve()
      }
      this.waits.add(wake)
      if (this.sleep) this.sleep(ms).then(wake, wake)
      else timer = setTimeout(wake, ms)
    })
  }

  /** One HTTP exchange; resolves once the status and headers are in (the body is read later). */
  private rawFetch(url: URL, init: { method: string; headers: Record<string, string>; body?: string | Buffer; signal: AttemptTimer }): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...init.headers }
      if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body))
      let req: http.ClientRequest
      try {
        if (url.protocol !== 'http:' && url.protocol !== 'https:')
          throw Object.assign(new Error(`unsupported scheme ${url.protocol}`), { code: 'ERR_INVALID_URL' })
        const mod = url.protocol === 'https:' ? https : http
        req = mod.request(url, { method: init.method, headers, agent: this.agent(url) })
        init.signal.track(req)
      } catch (e) {
        reject(this.networkError(e, url, init.signal))
        return
      }
      req.once('response', (res) => {
        init.signal.track(res)
        resolve({ status: res.statusCode ?? 0, headers: new HeaderMap(res.headers), body: res })
      })
      req.once('error', (e) => reject(this.networkError(e, url, init.signal)))
      req.end(init.body)
    })
  }

  private networkError(e: unknown, url: URL, signal: AttemptTimer): Error {
    if (e instanceof RegistryError || e instanceof TransientError) return e
    const code = errorCode(e) ?? (signal.aborted ? 'TimeoutError' : undefined)
    if (code === 'TimeoutError' || code === 'AbortError' || signal.aborted) {
      return new TransientError('network', `${url.host} did not answer within ${Math.round(signal.ms / 100) / 10}s`, undefined, undefined, { cause: e })
    }
    const what = code ?? (e as Error)?.message ?? String(e)
    if (code && PERMANENT_CODES.has(code)) {
      const hint = code.startsWith('ERR_SSL') || code === 'EPROTO' ? ' (if this registry serves plain HTTP, list it in insecure-registries)' : ''
      return new RegistryError('network', url.host, `cannot reach ${url.host}: ${what}${hint}`, undefined, { cause: e })
    }
    return new TransientError('network', `cannot reach ${url.host}: ${what}`, undefined, undefined, { cause: e })
  }

  /** Reads a body with a size limit, enforced while it streams; a short or broken body is transient. */
  private async readBody(res: RawResponse, max: number, reg: Registry, url: URL, signal: AttemptTimer): Promise<Buffer> {
    const declaredHeader = res.headers.get('content-length')
    const declared = declaredHeader !== null && /^\d+$/.test(declaredHeader) ? Number(declaredHeader) : undefined
    if (declared !== undefined && declared > max) {
      discard(res)
      throw new RegistryError('protocol', reg.name, `${reg.name} sent a response of ${declared} bytes (limit ${max}) for ${url.pathname}`)
    }
    const chunks: Buffer[] = []
    let n = 0
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        n += chunk.length
        if (n > max) {
          res.body.destroy()
          throw new RegistryError('protocol', reg.name, `${reg.name} sent more than ${max} bytes for ${url.pathname}`)
        }
        chunks.push(chunk)
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
   * One exchange outside the registry protocol (the GitHub Packages REST API of retention), on
   * the transport's agents (keep-alive, the runner's proxy) within the per-request timeout:
   * the headers as given and no others, no challenge answered, no redirect followed (a 3xx
   * comes back as it is), no retry, the body read up to `maxBytes` while it streams. Raises
   * TransientError for network failures, timeouts and short bodies, RegistryError for
   * permanent network failures ('network') and a body over the limit ('protocol').
   */
  async exchange(url: URL, init: { method: 'GET' | 'DELETE'; headers: Record<string, string>; maxBytes: number }): Promise<Response> {
    const reg: Registry = { name: url.host, host: url.host, scheme: url.protocol === 'http:' ? 'http' : 'https' }
    const signal = new AttemptTimer(this.timeoutMs)
    try {
      const res = await this.rawFetch(url, { method: init.method, headers: init.headers, signal })
      const body = await this.readBody(res, init.maxBytes, reg, url, signal)
      return { status: res.status, headers: res.headers, body, url }
    } finally {
      signal.done()
    }
  }

  /**
   * Whether the registry answers at all, within `deadlineMs` (attempt timeouts, retries and
   * backoff included): one `GET /v2/` per attempt, no credentials, no redirect followed; any
   * HTTP status is an answer. A failure worth another attempt (refused, reset) is tried at
   * most `REACH_ATTEMPTS` times; one that is not (the name does not resolve, TLS, no answer
   * before the deadline) ends the check at once. Undefined when it answered, else the failure:
   * its code (`ENOTFOUND`, `ECONNREFUSED`, `TimeoutError`, a TLS code) and message.
   */
  async reach(reg: Registry, deadlineMs: number): Promise<ReachFailure | undefined> {
    const deadline = this.now() + deadlineMs
    const url = new URL(`${reg.scheme}://${reg.host}/v2/`)
    let last: ReachFailure | undefined
    for (let attempt = 0; attempt < REACH_ATTEMPTS; attempt++) {
      if (attempt > 0) await this.pause(Math.max(0, Math.min(backoffMs(attempt - 1), deadline - this.now())))
      if (this.closed) throw this.closedError(reg, { what: 'reach the registry' })
      const signal = new AttemptTimer(Math.max(1, deadline - this.now()))
      this.attempts.add(signal)
      try {
        discard(await this.rawFetch(url, { method: 'GET', headers: {}, signal }))
        return undefined
      } catch (e) {
        if (this.closed) throw this.closedError(reg, { what: 'reach the registry' })
        const code = signal.aborted ? 'TimeoutError' : (errorCode(e) ?? 'unknown')
        last = { code: code === 'AbortError' ? 'TimeoutError' : code, message: (e as Error).message, ms: deadlineMs }
        if (last.code === 'TimeoutError' || PERMANENT_CODES.has(last.code) || this.now() >= deadline) return last
      } finally {
        this.attempts.delete(signal)
        signal.done()
      }
    }
    return last
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
        if (req.deadline !== undefined && this.now() + wait >= req.deadline) throw this.pastDeadline(reg, req, last)
        this.log.debug(`${req.method} ${logUrl(req.url, reg.host)}: ${last.message}; retry ${attempt}/${this.retries} in ${wait}ms`)
        await this.pause(wait)
      }
      if (this.closed) throw this.closedError(reg, req)
      if (req.deadline !== undefined && this.now() >= req.deadline) throw this.pastDeadline(reg, req, last)
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
    throw new RegistryError(e.kind, reg.name, `${reg.name}: could not ${req.what} after ${this.retries + 1} attempts: ${e.message}`, e.status, { cause: e })
  }

  /** The error of a request whose deadline passed (with the last transient failure, if any). */
  private pastDeadline(reg: Registry, req: Request, last: TransientError | undefined): RegistryError {
    return new RegistryError(
      'network',
      reg.name,
      `${reg.name}: could not ${req.what} before its deadline${last ? ` (last attempt: ${last.message})` : ''}`,
      last?.status,
      { cause: last },
    )
  }

  private async attempt(reg: Registry, req: Request): Promise<Response> {
    const remaining = req.deadline === undefined ? Infinity : req.deadline - this.now()
    const ms = Math.max(1, Math.min(this.timeoutMs * (req.timeoutFactor ?? 1), remaining))
    const signal = new AttemptTimer(ms)
    this.attempts.add(signal)
    try {
      return await this.attemptWithin(reg, req, signal)
    } catch (e) {
      // Ended by close(), not by the registry: not a fault to retry or to report as one.
      if (this.closed) throw this.closedError(reg, req)
      throw e
    } finally {
      this.attempts.delete(signal)
      signal.done()
    }
  }

  private async attemptWithin(reg: Registry, req: Request, signal: AttemptTimer): Promise<Response> {
    let answered = false
    for (;;) {
      const auth = await this.authorization(reg, req.scope, signal)
      const { res, url, onRegistry } = await this.follow(reg, req, auth, signal)
      if (res.status === 401 && onRegistry && !answered) {
        const challenge = parseChallenge(res.headers.get('www-authenticate'))
        discard(res)
        if (challenge) {
          answered = true
          this.learn(reg, challenge, req.scope)
          continue
        }
        throw await this.authError(reg, req, 401, auth !== undefined)
      }
      if (req.passStatuses?.includes(res.status)) {
        const body = req.method === 'HEAD' ? (discard(res), Buffer.alloc(0)) : await this.readBody(res, req.maxBytes, reg, url, signal)
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
      const body = req.method === 'HEAD' ? (discard(res), Buffer.alloc(0)) : await this.readBody(res, req.maxBytes, reg, url, signal)
      return { status: res.status, headers: res.headers, body, url }
    }
  }

  /** Follows redirects by hand; Authorization only on the registry host. */
  private async follow(
    reg: Registry,
    req: Request,
    auth: string | undefined,
    signal: AttemptTimer,
  ): Promise<{ res: RawResponse; url: URL; onRegistry: boolean }> {
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
      discard(res)
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
  private async authorization(reg: Registry, scope: string, signal: AttemptTimer): Promise<string | undefined> {
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

  private async fetchToken(reg: Registry, ch: BearerChallenge, scope: string, signal: AttemptTimer): Promise<CachedToken> {
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
    let res: RawResponse
    if (c?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, client_id: USER_AGENT, scope: scopes.join(' ') })
      if (ch.service) form.set('service', ch.service)
      this.log.debug(`POST ${realm.origin}${realm.pathname} (OAuth2 refresh token, scope ${scopes.join(' ')})`)
      res = await this.rawFetch(realm, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), signal })
      if (res.status === 404 || res.status === 405) {
        discard(res)
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
      discard(res)
      throw new TransientError('http', `token service ${realm.host}: HTTP ${res.status}`, res.status, parseRetryAfter(res.headers.get('retry-after')))
    }
    if (res.status < 200 || res.status >= 300) {
      const detail = await errorDetail(res)
      throw new RegistryError(
        'http',
        reg.name,
        `the token service of ${reg.name} (${realm.host}) answered HTTP ${res.status}${detail ? ` (${detail})` : ''}`,
        res.status,
      )
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

  private async tokenGet(
    realm: URL,
    ch: BearerChallenge,
    scopes: string[],
    auth: string | undefined,
    signal: AttemptTimer,
    account?: string,
  ): Promise<RawResponse> {
    const u = new URL(realm)
    if (ch.service) u.searchParams.set('service', ch.service)
    for (const s of scopes) u.searchParams.append('scope', s)
    if (account && auth) u.searchParams.set('account', account)
    this.log.debug(`GET ${realm.origin}${realm.pathname} (token, scope ${scopes.join(' ')}, ${auth ? 'with credentials' : 'anonymous'})`)
    const res = await this.rawFetch(u, { method: 'GET', headers: auth ? { authorization: auth } : {}, signal })
    if ([301, 302, 303, 307, 308].includes(res.status)) {
      discard(res)
      throw new RegistryError('protocol', realm.host, `the token service ${realm.host} redirected; refusing to send credentials elsewhere`)
    }
    return res
  }

  private async authError(reg: Registry, req: Request, status: number, sentAuth: boolean, detail?: string): Promise<RegistryError> {
    const c = await this.creds(reg).catch(() => undefined)
    const d = detail ? ` (${detail})` : ''
    if (status === 401) {
      const msg =
        c && sentAuth
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
  return registryAdvice(registry).credential
}

/** The table's advice for what was refused: a delete, a read, or a write (push). */
function permissionAdvice(registry: string, method: string): string {
  const advice = registryAdvice(registry).permission
  if (method === 'DELETE') return advice.delete
  return method === 'GET' || method === 'HEAD' ? advice.read : advice.push
}

const DISCARD_DRAIN_MAX = 64 << 10

/**
 * Drops a body not worth reading. A small declared body is drained so that its keep-alive
 * connection can carry the next request; anything else closes the connection.
 */
function discard(res: RawResponse): void {
  const body = res.body
  if (body.destroyed) return
  // A response without a body (HEAD, 204, 304) still has to be read to its end before its
  // connection goes back to the pool; left alone it stays busy (and holds the process open).
  if (body.complete) {
    body.resume()
    return
  }
  const declared = res.headers.get('content-length')
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) <= DISCARD_DRAIN_MAX) {
    body.on('error', () => undefined)
    body.resume()
  } else {
    body.destroy()
  }
}

/** `CODE: message` of a Distribution error body (first error), read with a small limit. */
async function errorDetail(res: RawResponse): Promise<string | undefined> {
  try {
    const chunks: Buffer[] = []
    let n = 0
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      chunks.push(chunk)
      n += chunk.length
      if (n > 16_384) break
    }
    const text = Buffer.concat(chunks).toString('utf8')
    const j = JSON.parse(text) as { errors?: { code?: string; message?: string }[] }
    const e = j.errors?.[0]
    if (!e) return undefined
    return [e.code, e.message].filter(Boolean).join(': ').slice(0, 300)
  } catch {
    return undefined
  } finally {
    if (!res.body.complete) res.body.destroy()
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
