// A loopback front for the registry that serves tag lists in Link-paginated pages (as
// GHCR, Docker Hub and newer Distribution releases do; Distribution 2.8 answers in one
// page whatever `n` asks) and passes every other request through unchanged. Lets the
// benchmark see how the action's lookup grows with the number of pages.

import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { REGISTRY } from './registry.js'

export interface PagedFront {
  addr: string
  pages: number
  /** Requests passed through, by `METHOD kind` (kind: manifests, blobs, other). */
  requests: Map<string, number>
  close(): Promise<void>
}

export async function startPagedFront(pageSize = 1000): Promise<PagedFront> {
  const [upHost, upPort] = REGISTRY.split(':') as [string, string | undefined]
  const lists = new Map<string, string[]>()
  const state = { pages: 0 }
  const requests = new Map<string, number>()
  const fullList = async (repo: string): Promise<string[] | undefined> => {
    let l = lists.get(repo)
    if (!l) {
      const r = await fetch(`http://${REGISTRY}/v2/${repo}/tags/list`, { signal: AbortSignal.timeout(60_000) })
      if (!r.ok) return undefined
      l = (((await r.json()) as { tags: string[] | null }).tags ?? []).sort()
      lists.set(repo, l)
    }
    return l
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://front')
    const m = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname)
    if (req.method === 'GET' && m) {
      const repo = m[1]!
      void fullList(repo).then(
        (all) => {
          if (!all) {
            res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NAME_UNKNOWN"}]}')
            return
          }
          const n = Math.min(Number(url.searchParams.get('n') ?? pageSize) || pageSize, pageSize)
          const last = url.searchParams.get('last')
          let start = 0
          if (last !== null) {
            // Binary search: first tag > last.
            let lo = 0
            let hi = all.length
            while (lo < hi) {
              const mid = (lo + hi) >> 1
              if (all[mid]! <= last) lo = mid + 1
              else hi = mid
            }
            start = lo
          }
          const page = all.slice(start, start + n)
          const headers: Record<string, string> = { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' }
          if (start + n < all.length) headers.link = `</v2/${repo}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1]!)}>; rel="next"`
          state.pages++
          res.writeHead(200, headers).end(JSON.stringify({ name: repo, tags: page }))
        },
        () => res.writeHead(502).end(),
      )
      return
    }
    const kind = /^\/v2\/.+\/(manifests|blobs)\//.exec(url.pathname)?.[1] ?? 'other'
    requests.set(`${req.method} ${kind}`, (requests.get(`${req.method} ${kind}`) ?? 0) + 1)
    const up = http.request(
      { host: upHost, port: Number(upPort ?? 80), method: req.method, path: req.url, headers: { ...req.headers, host: REGISTRY } },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers)
        ur.pipe(res)
      },
    )
    up.on('error', () => res.writeHead(502).end())
    req.pipe(up)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    addr: `127.0.0.1:${port}`,
    get pages() {
      return state.pages
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
