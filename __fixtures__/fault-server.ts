// A scriptable loopback HTTP server for registry-client tests: each test sets `handle`
// (what to answer) and reads `requests` (what arrived, including any Authorization).
// Helpers answer like a registry, or misbehave: truncated bodies, hangs, redirects.

import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'vitest'
import { RegistryError } from '../src/registry/index.js'

export interface Recorded {
  method: string
  url: string
  authorization?: string
  accept?: string
  body?: string
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void

export interface FaultServer {
  /** `host:port` */
  readonly addr: string
  readonly origin: string
  readonly requests: Recorded[]
  handle: Handler
  close(): Promise<void>
}

export async function startFaultServer(host = '127.0.0.1'): Promise<FaultServer> {
  const requests: Recorded[] = []
  const state: { handle: Handler } = {
    handle: (_req, res) => {
      res.writeHead(404).end()
    },
  }
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (d: string) => (body += d))
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        accept: req.headers.accept,
        body: body || undefined,
      })
      try {
        state.handle(req, res, body)
      } catch (e) {
        res.writeHead(500).end(String(e))
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const addr = `${host}:${port}`
  return {
    addr,
    origin: `http://${addr}`,
    requests,
    get handle() {
      return state.handle
    },
    set handle(h: Handler) {
      state.handle = h
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers }).end(text)
}

/** Announces `declared` bytes, sends the first few, then drops the connection. */
export function truncated(res: http.ServerResponse, body: string, declared = Buffer.byteLength(body) + 1000): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(declared) })
  res.write(body.slice(0, Math.max(1, Math.floor(body.length / 2))), () => res.socket?.destroy())
}

export function registryError(
  res: http.ServerResponse,
  status: number,
  code: string,
  message = code.toLowerCase(),
  headers: Record<string, string> = {},
): void {
  json(res, status, { errors: [{ code, message }] }, headers)
}

/** The RegistryError a promise rejects with (a test failure when it resolves or rejects with something else). */
export async function caught(p: Promise<unknown>): Promise<RegistryError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(RegistryError)
    return e as RegistryError
  }
  throw new Error('expected a RegistryError')
}
