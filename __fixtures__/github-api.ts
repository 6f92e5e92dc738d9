// A loopback HTTP server behaving like the GitHub REST endpoints the action uses, recording
// every request. Extend it with `api.route(method, '/path/:param', handler)`; routes added
// later win over the built-in ones, so a test can also override one endpoint (e.g. to fail).
//
// Built in (documented behaviour of api.github.com):
//   GET   /repos/{owner}/{repo}/issues/{n}/comments   per_page (≤100, default 30), page, Link
//   POST  /repos/{owner}/{repo}/issues/{n}/comments   201 with the comment
//   PATCH /repos/{owner}/{repo}/issues/comments/{id}  200 with the comment (a write token may
//         edit anyone's comment, as a collaborator with write access can)
//   GET   /user                                       the authenticated user; an installation token
//         (a login ending in `[bot]`, like the Actions GITHUB_TOKEN) → 403 "Resource not accessible
//         by integration" (REST docs: "Get the authenticated user" is for user tokens)
//   POST  /graphql  `query { viewer { login } }`      the token's account (a bot without `[bot]`)
// Auth: `Authorization: Bearer <t>` or `token <t>`; unknown token → 401 Bad credentials;
// a token with `write: false` → 403 "Resource not accessible by integration" on writes.

import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ApiToken {
  login: string
  write: boolean
}

export interface RecordedRequest {
  method: string
  /** Path without the query string. */
  path: string
  query: URLSearchParams
  headers: http.IncomingHttpHeaders
  body: string
  status: number
}

export interface ApiRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: http.IncomingHttpHeaders
  /** Parsed JSON body (undefined when empty or not JSON). */
  json: unknown
  body: string
  /** Path parameters of the matched route. */
  params: Record<string, string>
  /** The authenticated token, or undefined when the route is public. */
  token?: ApiToken
  /** `http://127.0.0.1:<port>`: for absolute URLs in bodies and `Link` headers. */
  origin: string
}

export interface ApiResponse {
  status: number
  headers?: Record<string, string>
  body?: unknown
}

export type Handler = (req: ApiRequest, api: GitHubApi) => ApiResponse | Promise<ApiResponse>

export interface RouteOptions {
  /** Require a known token (default true). */
  auth?: boolean
  /** The route writes: a read-only token gets 403 (default: true for POST/PATCH/PUT/DELETE). */
  write?: boolean
}

export interface IssueComment {
  id: number
  node_id: string
  url: string
  html_url: string
  issue_url: string
  body: string
  user: { login: string; id: number; type: string }
  created_at: string
  updated_at: string
  author_association: string
}

interface Route {
  method: string
  pattern: RegExp
  names: string[]
  handler: Handler
  auth: boolean
  write: boolean
}

export class GitHubApi {
  readonly requests: RecordedRequest[] = []
  readonly tokens = new Map<string, ApiToken>()
  /** Comments per `owner/repo#n`, oldest first. */
  readonly comments = new Map<string, IssueComment[]>()
  private readonly routes: Route[] = []
  private server?: http.Server
  private nextId = 1000
  private clock = Date.parse('2024-06-01T12:00:00Z')
  origin = ''

  constructor() {
    this.route('GET', '/repos/:owner/:repo/issues/:number/comments', (req) => this.listComments(req), { write: false })
    this.route('POST', '/repos/:owner/:repo/issues/:number/comments', (req) => this.createComment(req))
    this.route('PATCH', '/repos/:owner/:repo/issues/comments/:id', (req) => this.updateComment(req))
    this.route('GET', '/user', (req) => this.authenticatedUser(req), { write: false })
    this.route('POST', '/graphql', (req) => this.graphql(req), { write: false })
  }

  /** Adds (or overrides) an endpoint. `:name` segments become `req.params.name`. */
  route(method: string, path: string, handler: Handler, opts: RouteOptions = {}): this {
    const names: string[] = []
    const source = path
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          names.push(seg.slice(1))
          return '([^/]+)'
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      })
      .join('/')
    const upper = method.toUpperCase()
    this.routes.unshift({
      method: upper,
      pattern: new RegExp(`^${source}/?$`),
      names,
      handler,
      auth: opts.auth ?? true,
      write: opts.write ?? !['GET', 'HEAD'].includes(upper),
    })
    return this
  }

  addToken(token: string, login: string, write = true): this {
    this.tokens.set(token, { login, write })
    return this
  }

  /** Seeds a comment as if someone posted it earlier. */
  addComment(owner: string, repo: string, issue: number, body: string, login = 'someone'): IssueComment {
    return this.insertComment(owner, repo, issue, body, login)
  }

  commentsOf(owner: string, repo: string, issue: number): IssueComment[] {
    return this.comments.get(`${owner}/${repo}#${issue}`) ?? []
  }

  /** Recorded requests that changed something (a GraphQL query is a POST that changes nothing). */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => !['GET', 'HEAD'].includes(r.method) && r.path !== '/graphql')
  }

  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      void this.handle(req, res)
    })
    this.server = server
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    this.origin = `http://127.0.0.1:${port}`
    return this.origin
  }

  async close(): Promise<void> {
    const server = this.server
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  // --- dispatch ---

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', this.origin)
    const method = (req.method ?? 'GET').toUpperCase()
    const record: RecordedRequest = { method, path: url.pathname, query: url.searchParams, headers: req.headers, body, status: 0 }
    this.requests.push(record)

    let out: ApiResponse
    try {
      out = await this.dispatch(method, url, req.headers, body)
    } catch (e) {
      out = { status: 500, body: { message: `fixture error: ${(e as Error).message}` } }
    }
    record.status = out.status
    const payload = out.body === undefined ? '' : JSON.stringify(out.body)
    res.writeHead(out.status, {
      'content-type': 'application/json; charset=utf-8',
      'x-github-media-type': 'github.v3; format=json',
      ...out.headers,
    })
    res.end(payload)
  }

  private async dispatch(method: string, url: URL, headers: http.IncomingHttpHeaders, body: string): Promise<ApiResponse> {
    let pathMatched = false
    for (const r of this.routes) {
      const m = r.pattern.exec(url.pathname)
      if (!m) continue
      pathMatched = true
      if (r.method !== method) continue
      const params: Record<string, string> = {}
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)))
      let token: ApiToken | undefined
      if (r.auth) {
        const auth = /^(?:Bearer|token)\s+(\S+)$/i.exec(String(headers.authorization ?? ''))
        token = auth ? this.tokens.get(auth[1]!) : undefined
        if (!auth) return error(401, 'Requires authentication')
        if (!token) return error(401, 'Bad credentials')
        if (r.write && !token.write) return error(403, 'Resource not accessible by integration')
      }
      let json: unknown
      try {
        json = body ? JSON.parse(body) : undefined
      } catch {
        return error(400, 'Problems parsing JSON')
      }
      return r.handler({ method, path: url.pathname, query: url.searchParams, headers, json, body, params, token, origin: this.origin }, this)
    }
    return pathMatched ? error(405, 'Method not allowed') : error(404, 'Not Found')
  }

  // --- issue comments ---

  private insertComment(owner: string, repo: string, issue: number, body: string, login: string): IssueComment {
    const id = this.nextId++
    const at = new Date((this.clock += 60_000)).toISOString()
    const c: IssueComment = {
      id,
      node_id: `IC_${id}`,
      url: `${this.origin}/repos/${owner}/${repo}/issues/comments/${id}`,
      html_url: `https://github.com/${owner}/${repo}/pull/${issue}#issuecomment-${id}`,
      issue_url: `${this.origin}/repos/${owner}/${repo}/issues/${issue}`,
      body,
      user: { login, id: 1, type: login.endsWith('[bot]') ? 'Bot' : 'User' },
      created_at: at,
      updated_at: at,
      author_association: 'NONE',
    }
    const key = `${owner}/${repo}#${issue}`
    const list = this.comments.get(key) ?? []
    list.push(c)
    this.comments.set(key, list)
    return c
  }

  private listComments(req: ApiRequest): ApiResponse {
    const { owner, repo, number } = req.params
    const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 30) || 30))
    const page = Math.max(1, Number(req.query.get('page') ?? 1) || 1)
    const all = this.commentsOf(owner!, repo!, Number(number))
    const last = Math.max(1, Math.ceil(all.length / perPage))
    const items = all.slice((page - 1) * perPage, page * perPage)
    const link = (p: number) => {
      const q = new URLSearchParams(req.query)
      q.set('per_page', String(perPage))
      q.set('page', String(p))
      return `<${req.origin}${req.path}?${q.toString()}>`
    }
    const rels: string[] = []
    if (page > 1) rels.push(`${link(page - 1)}; rel="prev"`)
    if (page < last) rels.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`)
    if (page > 1) rels.push(`${link(1)}; rel="first"`)
    return { status: 200, body: items, headers: rels.length > 0 ? { link: rels.join(', ') } : {} }
  }

  private createComment(req: ApiRequest): ApiResponse {
    const { owner, repo, number } = req.params
    const body = (req.json as { body?: unknown } | undefined)?.body
    if (typeof body !== 'string' || body === '') return error(422, 'Validation Failed')
    if (body.length > 65_536) return error(422, 'Validation Failed: body is too long (maximum is 65536 characters)')
    return { status: 201, body: this.insertComment(owner!, repo!, Number(number), body, req.token!.login) }
  }

  private updateComment(req: ApiRequest): ApiResponse {
    const { owner, repo, id } = req.params
    const body = (req.json as { body?: unknown } | undefined)?.body
    if (typeof body !== 'string' || body === '') return error(422, 'Validation Failed')
    if (body.length > 65_536) return error(422, 'Validation Failed: body is too long (maximum is 65536 characters)')
    for (const [key, list] of this.comments) {
      if (!key.startsWith(`${owner}/${repo}#`)) continue
      const c = list.find((x) => x.id === Number(id))
      if (!c) continue
      c.body = body
      c.updated_at = new Date((this.clock += 60_000)).toISOString()
      return { status: 200, body: c }
    }
    return error(404, 'Not Found')
  }

  // --- identity ---

  private authenticatedUser(req: ApiRequest): ApiResponse {
    const t = req.token!
    if (isInstallation(t)) return error(403, 'Resource not accessible by integration')
    return { status: 200, body: { login: t.login, id: 1, type: 'User' } }
  }

  private graphql(req: ApiRequest): ApiResponse {
    const query = (req.json as { query?: unknown } | undefined)?.query
    if (typeof query !== 'string' || !/\bviewer\s*\{\s*login\s*\}/.test(query))
      return { status: 200, body: { errors: [{ message: 'fixture: only viewer { login } is served' }] } }
    return { status: 200, body: { data: { viewer: { login: req.token!.login.replace(/\[bot\]$/, '') } } } }
  }
}

/** An installation token (GITHUB_TOKEN, a GitHub App's) acts as a bot account. */
function isInstallation(t: ApiToken): boolean {
  return t.login.endsWith('[bot]')
}

export function error(status: number, message: string): ApiResponse {
  return { status, body: { message, documentation_url: 'https://docs.github.com/rest', status: String(status) } }
}

/** Starts a fake API; remember `await api.close()`. */
export async function startGitHubApi(): Promise<GitHubApi> {
  const api = new GitHubApi()
  await api.start()
  return api
}
