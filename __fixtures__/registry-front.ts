// A loopback front before the real registry of the stack: every request passes through to it
// unless `intercept` answers it first (a fault to inject) — and `intercept` sees every request
// (to count what reaches the registry). Requests from the action's own registry client are
// marked, so that a test can tell them from BuildKit's.

import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { REGISTRY } from './stack.js'

export interface FrontRequest {
  readonly method: string
  /** Path and query, as sent. */
  readonly url: string
  /** The path without the query. */
  readonly path: string
  /** Sent by the action's registry client (its user agent), not by BuildKit. */
  readonly fromAction: boolean
}

export interface RegistryFront {
  /** `127.0.0.1:<port>`: use it as the registry host of the image under test. */
  readonly addr: string
  close(): Promise<void>
}

export interface FrontOptions {
  /** Sees every chunk of a request body passed on to the registry (to count what is uploaded). */
  readonly onBody?: (r: FrontRequest, bytes: number) => void
}

/** `intercept` returns a status to answer with instead of passing the request on. */
export async function registryFront(intercept: (r: FrontRequest) => number | undefined = () => undefined, o: FrontOptions = {}): Promise<RegistryFront> {
  const [upHost, upPort] = REGISTRY.split(':') as [string, string]
  const server = http.createServer((req, res) => {
    const url = req.url ?? ''
    const seen: FrontRequest = {
      method: req.method ?? 'GET',
      url,
      path: url.split('?')[0] ?? url,
      fromAction: /conda-image-action/.test(req.headers['user-agent'] ?? ''),
    }
    const status = intercept(seen)
    if (status !== undefined) {
      res.writeHead(status, { 'Content-Type': 'application/json' })
      res.end()
      return
    }
    const up = http.request({ host: upHost, port: Number(upPort), method: req.method, path: url, headers: { ...req.headers, host: REGISTRY } }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers)
      ur.pipe(res)
    })
    up.on('error', () => res.destroy())
    if (o.onBody) req.on('data', (c: Buffer) => o.onBody!(seen, c.length))
    req.pipe(up)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    addr: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
