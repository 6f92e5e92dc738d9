// A loopback server behaving like the GitHub Packages REST endpoints for container
// packages (documented behaviour of api.github.com), built on the fake GitHub API:
//
//   GET    /orgs/{org}/packages/container/{package_name}/versions          per_page (≤100, default 30), page, Link
//   GET    /users/{username}/packages/container/{package_name}/versions
//   DELETE /orgs/{org}/packages/container/{package_name}/versions/{id}     204
//   DELETE /users/{username}/packages/container/{package_name}/versions/{id}
//
// `package_name` is one URL path segment: `model/sub` must arrive as `model%2Fsub` (an
// unencoded slash does not match and gets 404, as on GitHub). An owner of the other kind
// (a user on /orgs/…) gets 404. A version's `name` is the manifest digest and
// `metadata.container.tags` its tags. Deleting needs the token's login among the package's
// admins; otherwise 403 (or 404 with `deniedStatus: 404`, as GitHub answers some callers).

import { GitHubApi, error, type ApiRequest, type ApiResponse } from './github-api.js'

export interface PackageVersion {
  id: number
  name: string
  url: string
  package_html_url: string
  created_at: string
  updated_at: string
  html_url: string
  metadata: { package_type: 'container'; container: { tags: string[] } }
}

export interface ContainerPackage {
  ownerType: 'org' | 'user'
  owner: string
  name: string
  versions: PackageVersion[]
  /** Logins allowed to delete versions. */
  admins: Set<string>
  deniedStatus: 403 | 404
}

export class GitHubPackagesApi extends GitHubApi {
  readonly packages = new Map<string, ContainerPackage>()
  private nextVersionId = 5000

  constructor() {
    super()
    for (const kind of ['orgs', 'users'] as const) {
      const type = kind === 'orgs' ? 'org' : 'user'
      const owner = kind === 'orgs' ? ':org' : ':username'
      this.route('GET', `/${kind}/${owner}/packages/container/:pkg/versions`, (req) => this.list(type, req), { write: false })
      this.route('DELETE', `/${kind}/${owner}/packages/container/:pkg/versions/:id`, (req) => this.remove(type, req), { write: false })
    }
  }

  addPackage(ownerType: 'org' | 'user', owner: string, name: string, opts: { admins?: string[]; deniedStatus?: 403 | 404 } = {}): ContainerPackage {
    const p: ContainerPackage = { ownerType, owner, name, versions: [], admins: new Set(opts.admins ?? []), deniedStatus: opts.deniedStatus ?? 403 }
    this.packages.set(key(ownerType, owner, name), p)
    return p
  }

  /** Adds a version (a manifest digest with its tags); newest first, like GitHub lists them. */
  addVersion(p: ContainerPackage, digest: string, tags: string[] = []): PackageVersion {
    const id = this.nextVersionId++
    const kind = p.ownerType === 'org' ? 'orgs' : 'users'
    const at = new Date(Date.UTC(2026, 0, 1) + id * 1000).toISOString()
    const v: PackageVersion = {
      id,
      name: digest,
      url: `${this.origin}/${kind}/${p.owner}/packages/container/${encodeURIComponent(p.name)}/versions/${id}`,
      package_html_url: `https://github.com/${kind}/${p.owner}/packages/container/package/${encodeURIComponent(p.name)}`,
      created_at: at,
      updated_at: at,
      html_url: `https://github.com/${kind}/${p.owner}/packages/container/${encodeURIComponent(p.name)}/${id}`,
      metadata: { package_type: 'container', container: { tags } },
    }
    p.versions.unshift(v)
    return v
  }

  private find(type: 'org' | 'user', req: ApiRequest): ContainerPackage | undefined {
    const owner = type === 'org' ? req.params.org! : req.params.username!
    return this.packages.get(key(type, owner, req.params.pkg!))
  }

  private list(type: 'org' | 'user', req: ApiRequest): ApiResponse {
    const p = this.find(type, req)
    if (!p) return error(404, 'Package not found.')
    const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 30) || 30))
    const page = Math.max(1, Number(req.query.get('page') ?? 1) || 1)
    const last = Math.max(1, Math.ceil(p.versions.length / perPage))
    const link = (n: number): string => {
      const q = new URLSearchParams(req.query)
      q.set('per_page', String(perPage))
      q.set('page', String(n))
      return `<${req.origin}${req.path}?${q.toString()}>`
    }
    const rels: string[] = []
    if (page > 1) rels.push(`${link(page - 1)}; rel="prev"`)
    if (page < last) rels.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`)
    if (page > 1) rels.push(`${link(1)}; rel="first"`)
    return { status: 200, body: p.versions.slice((page - 1) * perPage, page * perPage), headers: rels.length > 0 ? { link: rels.join(', ') } : {} }
  }

  private remove(type: 'org' | 'user', req: ApiRequest): ApiResponse {
    const p = this.find(type, req)
    if (!p) return error(404, 'Package not found.')
    if (!p.admins.has(req.token!.login)) {
      return p.deniedStatus === 404 ? error(404, 'Package not found.') : error(403, 'You must have admin permissions to delete this package version.')
    }
    const i = p.versions.findIndex((v) => v.id === Number(req.params.id))
    if (i < 0) return error(404, 'Not Found')
    p.versions.splice(i, 1)
    return { status: 204 }
  }
}

function key(type: 'org' | 'user', owner: string, name: string): string {
  return `${type}:${owner.toLowerCase()}/${name}`
}

/** Starts a fake Packages API; remember `await api.close()`. */
export async function startGitHubPackagesApi(): Promise<GitHubPackagesApi> {
  const api = new GitHubPackagesApi()
  await api.start()
  return api
}
