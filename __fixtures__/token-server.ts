// A small token issuer of the Distribution token specification for tests: GET /token with
// Basic credentials (or anonymous) and the OAuth2 POST form (refresh_token grant). It signs
// RS256 JWTs with a key whose self-signed certificate (made with openssl) the registry
// trusts (`auth.token.rootcertbundle`); the certificate travels in the `x5c` header.

import { execFileSync } from 'node:child_process'
import { X509Certificate, createSign, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'

export interface TokenServerOptions {
  dir: string
  issuer: string
  service: string
  /** user → password; a user gets every action it asks for. */
  users: Record<string, string>
  /** refresh token → user (identity tokens of `docker login` with OAuth). */
  refreshTokens?: Record<string, string>
  /** Actions anonymous callers get (default none). */
  anonymousActions?: string[]
}

export interface TokenRequestRecord {
  method: string
  user?: string
  scopes: string[]
  authorization?: string
  grant?: string
}

export interface TokenServer {
  readonly url: string
  readonly certFile: string
  readonly requests: TokenRequestRecord[]
  /** Every token handed out, in order. */
  readonly issued: string[]
  /** Which field carries the token: `token`, `access_token` or both. */
  field: 'token' | 'access_token' | 'both'
  /** Lifetime reported and signed, seconds. */
  expiresIn: number
  /** Makes the next `n` token requests fail with this status. */
  failNext(status: number, n?: number): void
  /** A token (for seeding) for `user` with `actions` on `repository`. */
  mint(user: string, repository: string, actions: string[]): string
  close(): Promise<void>
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url')
}

/** Makes an RSA key and a self-signed certificate in `dir` with openssl. */
export function makeSigningCert(dir: string): { keyFile: string; certFile: string } {
  const keyFile = path.join(dir, 'token.key')
  const certFile = path.join(dir, 'token.crt')
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=test-token-issuer'],
    { stdio: 'ignore', timeout: 60_000 },
  )
  return { keyFile, certFile }
}

export async function startTokenServer(o: TokenServerOptions): Promise<TokenServer> {
  const { keyFile, certFile } = makeSigningCert(o.dir)
  const key = readFileSync(keyFile, 'utf8')
  const x5c = new X509Certificate(readFileSync(certFile)).raw.toString('base64')
  const requests: TokenRequestRecord[] = []
  const issued: string[] = []
  let failures: { status: number; n: number } | undefined

  const sign = (user: string | undefined, scopes: string[], lifetime: number): string => {
    const access: { type: string; name: string; actions: string[] }[] = []
    for (const s of scopes) {
      const m = /^repository:(.+):([^:]*)$/.exec(s)
      if (!m) continue
      const wanted = m[2]!.split(',').filter(Boolean)
      const granted = user ? wanted : wanted.filter((a) => (o.anonymousActions ?? []).includes(a))
      if (granted.length) access.push({ type: 'repository', name: m[1]!, actions: granted })
    }
    const now = Math.floor(Date.now() / 1000)
    const header = { typ: 'JWT', alg: 'RS256', x5c: [x5c] }
    const claims = { iss: o.issuer, sub: user ?? '', aud: o.service, exp: now + lifetime, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access }
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`
    const sig = createSign('RSA-SHA256').update(input).sign(key)
    return `${input}.${b64url(sig)}`
  }

  const state = { field: 'token' as TokenServer['field'], expiresIn: 300 }

  const reply = (res: http.ServerResponse, user: string | undefined, scopes: string[]): void => {
    const token = sign(user, scopes, state.expiresIn)
    issued.push(token)
    const body: Record<string, unknown> = { expires_in: state.expiresIn, issued_at: new Date().toISOString() }
    if (state.field !== 'access_token') body.token = token
    if (state.field !== 'token') body.access_token = token
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x')
    const authorization = req.headers.authorization
    if (failures && failures.n > 0) {
      failures.n--
      res.writeHead(failures.status, { 'content-type': 'application/json' }).end('{"details":"injected"}')
      return
    }
    if (u.pathname !== '/token') {
      res.writeHead(404).end()
      return
    }
    if (req.method === 'POST') {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (d: string) => (body += d))
      req.on('end', () => {
        const f = new URLSearchParams(body)
        const scopes = (f.get('scope') ?? '').split(' ').filter(Boolean)
        const grant = f.get('grant_type') ?? undefined
        const user = grant === 'refresh_token' ? o.refreshTokens?.[f.get('refresh_token') ?? ''] : undefined
        requests.push({ method: 'POST', user, scopes, authorization, grant })
        if (!user) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}')
          return
        }
        reply(res, user, scopes)
      })
      return
    }
    const scopes = u.searchParams
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .filter(Boolean)
    let user: string | undefined
    if (authorization) {
      const m = /^Basic (.+)$/.exec(authorization)
      const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : ''
      const colon = decoded.indexOf(':')
      const name = decoded.slice(0, colon)
      const pass = decoded.slice(colon + 1)
      if (colon < 0 || o.users[name] === undefined || o.users[name] !== pass) {
        requests.push({ method: 'GET', scopes, authorization })
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="token"' }).end('{"details":"bad credentials"}')
        return
      }
      user = name
    }
    requests.push({ method: 'GET', user, scopes, authorization })
    reply(res, user, scopes)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/token`,
    certFile,
    requests,
    issued,
    get field() {
      return state.field
    },
    set field(v) {
      state.field = v
    },
    get expiresIn() {
      return state.expiresIn
    },
    set expiresIn(v) {
      state.expiresIn = v
    },
    failNext(status: number, n = 1) {
      failures = { status, n }
    },
    mint: (user, repository, actions) => sign(user, [`repository:${repository}:${actions.join(',')}`], 600),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
