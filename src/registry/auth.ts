// Authentication challenges (RFC 7235 `WWW-Authenticate`) and the token request of the
// Distribution token specification (GET with Basic credentials, or the OAuth2 POST form with
// a refresh token). Pure parsing lives here; the requests are made by the transport.

export interface BearerChallenge {
  scheme: 'bearer'
  realm: string
  service?: string
  scope?: string
}
export interface BasicChallenge {
  scheme: 'basic'
  realm?: string
}
export type Challenge = BearerChallenge | BasicChallenge

/** Parameters `k=v` / `k="v"` (with `\"` escapes) of one challenge. */
function parseParams(s: string): Record<string, string> {
  const out: Record<string, string> = {}
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const key = m[1]!.toLowerCase()
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '')
    if (!(key in out)) out[key] = value
  }
  return out
}

/**
 * The challenge to answer: Bearer (with a realm) when offered, else Basic. Undefined when the
 * header is missing or offers neither.
 */
export function parseChallenge(header: string | null | undefined): Challenge | undefined {
  if (!header) return undefined
  const bearer = /(?:^|,)\s*Bearer\s+/i.exec(header)
  if (bearer) {
    let rest = header.slice(bearer.index + bearer[0].length)
    // Stop at a following challenge (`, Basic realm=...`).
    const next = /,\s*(?:Basic|Digest|Negotiate)\b(?:\s|$)/i.exec(rest)
    if (next) rest = rest.slice(0, next.index)
    const p = parseParams(rest)
    if (p.realm) return { scheme: 'bearer', realm: p.realm, service: p.service || undefined, scope: p.scope || undefined }
  }
  const basic = /(?:^|,)\s*Basic\b/i.exec(header)
  if (basic) {
    const p = parseParams(header.slice(basic.index + basic[0].length))
    return { scheme: 'basic', realm: p.realm }
  }
  return undefined
}

/** `repository:<name>:pull`, or `pull,delete` for deletes. */
export function repositoryScope(repository: string, actions: readonly string[]): string {
  return `repository:${repository}:${actions.join(',')}`
}

/** The scopes to ask for: ours plus whatever the challenge named, de-duplicated, stable. */
export function tokenScopes(ours: string, challenged?: string): string[] {
  const set = new Set<string>([ours])
  for (const s of (challenged ?? '').split(/\s+/)) if (s) set.add(s)
  return [...set]
}

export interface TokenResponse {
  token: string
  /** Lifetime in seconds (default 60, as the specification says). */
  expiresIn: number
}

/** Reads `token` or `access_token` and `expires_in` from a token endpoint's JSON. */
export function parseTokenResponse(body: unknown): TokenResponse | undefined {
  if (!body || typeof body !== 'object') return undefined
  const j = body as { token?: unknown; access_token?: unknown; expires_in?: unknown }
  const token = typeof j.token === 'string' && j.token ? j.token : typeof j.access_token === 'string' && j.access_token ? j.access_token : undefined
  if (!token) return undefined
  const e = typeof j.expires_in === 'number' && Number.isFinite(j.expires_in) && j.expires_in > 0 ? j.expires_in : 60
  return { token, expiresIn: e }
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`
}
