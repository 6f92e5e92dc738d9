// A loopback stand-in for the GitHub Actions cache service, implementing the protocol as the
// installed @actions/cache (v6) client speaks it, so tests run the real client end to end.
//
// Cache service v2 (ACTIONS_CACHE_SERVICE_V2 set, base URL ACTIONS_RESULTS_URL): twirp JSON
// over POST /twirp/github.actions.results.api.v1.CacheService/<Method> with proto field
// names (CreateCacheEntry → signed_upload_url, FinalizeCacheEntryUpload → entry_id,
// GetCacheEntryDownloadURL → signed_download_url + matched_key). The archive goes to the
// signed URL with the Azure Blob protocol as @azure/storage-blob speaks it: a single
// `PUT` (x-ms-blob-type: BlockBlob) up to 128 MiB, else `PUT ?comp=block&blockid=…` per
// block and `PUT ?comp=blocklist` with the XML block list. Downloads are GETs (ranged or
// whole) of the signed URL.
//
// Cache service v1 (ACTIONS_CACHE_URL, no ACTIONS_CACHE_SERVICE_V2): the legacy
// `_apis/artifactcache` REST API — GET cache?keys&version, POST caches (reserve),
// PATCH caches/<id> with Content-Range chunks, POST caches/<id> (commit).
//
// Lookup: entries of the requested version only; the primary key exactly, then as a prefix,
// then each restore key exactly and as a prefix — newest entry first — like the service's
// documented matching. Blobs live in files under a temp directory.

import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { open, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'

const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.CacheService/'
const V1_PREFIX = '/_apis/artifactcache/'

export interface CacheEntry {
  id: number
  key: string
  version: string
  /** Bytes of the archive once uploaded. */
  size: number
  finalized: boolean
  /** Creation order; higher is newer. */
  seq: number
}

export interface CacheRequestRecord {
  method: string
  /** Path without the query. */
  path: string
  /** `CreateCacheEntry`, `blob-put`, `blob-block`, `blob-blocklist`, `blob-get`, `v1-reserve`, … */
  op: string
  status: number
}

export interface ActionsCacheServer {
  readonly url: string
  /** Environment for cache service v2 (the current one on github.com). */
  readonly env: Record<string, string>
  /** Environment for the legacy v1 service. */
  readonly envV1: Record<string, string>
  readonly requests: CacheRequestRecord[]
  entries(): CacheEntry[]
  /** Removes every entry, blob and request record. */
  clear(): Promise<void>
  close(): Promise<void>
}

export interface ActionsCacheServerOptions {
  /** Runtime token the server expects (default: random). */
  token?: string
}

export async function startActionsCacheServer(opts: ActionsCacheServerOptions = {}): Promise<ActionsCacheServer> {
  const token = opts.token ?? randomBytes(12).toString('hex')
  const root = mkdtempSync(path.join(os.tmpdir(), 'actions-cache-server-'))
  const blobDir = path.join(root, 'blobs')
  const blockDir = path.join(root, 'blocks')
  mkdirSync(blobDir)
  mkdirSync(blockDir)
  let entries: CacheEntry[] = []
  let nextId = 1
  let seq = 0
  const requests: CacheRequestRecord[] = []
  let url = ''

  const blobPath = (id: number): string => path.join(blobDir, String(id))
  const signed = (id: number, what: 'upload' | 'download'): string =>
    `${url}/blob/cache/${id}?sv=2024-11-04&sp=${what === 'upload' ? 'cw' : 'r'}&sig=${randomBytes(8).toString('hex')}`

  function lookup(version: string, keys: string[]): CacheEntry | undefined {
    const candidates = entries.filter((e) => e.finalized && e.version === version).sort((a, b) => b.seq - a.seq)
    for (const k of keys) {
      const exact = candidates.find((e) => e.key === k)
      if (exact) return exact
      const prefixed = candidates.find((e) => e.key.startsWith(k))
      if (prefixed) return prefixed
    }
    return undefined
  }

  function create(key: string, version: string): CacheEntry | undefined {
    if (!key || !version) return undefined
    // Entries are immutable: one per key and version (finalized or being uploaded).
    if (entries.some((e) => e.key === key && e.version === version)) return undefined
    const entry: CacheEntry = { id: nextId++, key, version, size: 0, finalized: false, seq: 0 }
    entries.push(entry)
    return entry
  }

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://localhost')
    const record = (op: string, status: number): void => {
      requests.push({ method: req.method ?? '', path: u.pathname, op, status })
    }
    const json = (op: string, status: number, body: unknown): void => {
      record(op, status)
      const text = JSON.stringify(body)
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
      res.end(text)
    }
    const empty = (op: string, status: number, headers: Record<string, string> = {}): void => {
      record(op, status)
      res.writeHead(status, { 'content-length': '0', ...headers })
      res.end()
    }
    const authorized = (): boolean => req.headers.authorization === `Bearer ${token}`

    void (async () => {
      try {
        if (u.pathname.startsWith(TWIRP_PREFIX) && req.method === 'POST') {
          const method = u.pathname.slice(TWIRP_PREFIX.length)
          if (!authorized()) return json(method, 401, { code: 'unauthenticated', msg: 'missing or wrong bearer token' })
          const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Record<string, unknown>
          const key = str(body.key)
          const version = str(body.version)
          if (method === 'CreateCacheEntry') {
            const entry = create(key, version)
            if (!entry) return json(method, 409, { code: 'already_exists', msg: 'cache entry with the same key, version, and scope already exists' })
            return json(method, 200, { ok: true, signed_upload_url: signed(entry.id, 'upload') })
          }
          if (method === 'FinalizeCacheEntryUpload') {
            const entry = entries.find((e) => e.key === key && e.version === version && !e.finalized)
            const size = statSync(entry ? blobPath(entry.id) : path.join(root, 'none'), { throwIfNoEntry: false })?.size
            if (!entry || size === undefined) return json(method, 404, { code: 'not_found', msg: 'no upload for this key and version' })
            if (String(size) !== str(body.size_bytes ?? body.sizeBytes)) {
              return json(method, 400, { code: 'invalid_argument', msg: `size ${str(body.size_bytes ?? body.sizeBytes)} does not match the uploaded ${size}` })
            }
            entry.size = size
            entry.finalized = true
            entry.seq = ++seq
            return json(method, 200, { ok: true, entry_id: String(entry.id) })
          }
          if (method === 'GetCacheEntryDownloadURL') {
            const restoreKeys = Array.isArray(body.restore_keys ?? body.restoreKeys) ? ((body.restore_keys ?? body.restoreKeys) as unknown[]).map(str) : []
            const entry = lookup(version, [key, ...restoreKeys])
            if (!entry) return json(method, 200, { ok: false })
            return json(method, 200, { ok: true, signed_download_url: signed(entry.id, 'download'), matched_key: entry.key })
          }
          return json(method, 404, { code: 'bad_route', msg: `no such method ${method}` })
        }

        const blob = /^\/blob\/cache\/(\d+)$/.exec(u.pathname)
        if (blob) {
          const entry = entries.find((e) => e.id === Number(blob[1]))
          if (!entry || !u.searchParams.get('sig')) return empty('blob', 403)
          const comp = u.searchParams.get('comp')
          if (req.method === 'PUT') {
            if (entry.finalized) return empty('blob-put', 409)
            if (comp === 'block') {
              const id = u.searchParams.get('blockid') ?? ''
              const dir = path.join(blockDir, String(entry.id))
              mkdirSync(dir, { recursive: true })
              await pipeline(req, createWriteStream(path.join(dir, Buffer.from(id, 'base64').toString('hex'))))
              return empty('blob-block', 201, azureHeaders())
            }
            if (comp === 'blocklist') {
              const xml = (await readBody(req)).toString('utf8')
              const ids = [...xml.matchAll(/<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>/g)].map((m) => m[2]!)
              const out = await open(blobPath(entry.id), 'w')
              try {
                for (const id of ids) await out.write(await readFile(path.join(blockDir, String(entry.id), Buffer.from(id, 'base64').toString('hex'))))
              } finally {
                await out.close()
              }
              await rm(path.join(blockDir, String(entry.id)), { recursive: true, force: true })
              return empty('blob-blocklist', 201, azureHeaders())
            }
            if (comp === null && req.headers['x-ms-blob-type'] === 'BlockBlob') {
              await pipeline(req, createWriteStream(blobPath(entry.id)))
              return empty('blob-put', 201, azureHeaders())
            }
            return empty('blob-put', 400)
          }
          if (req.method === 'GET' || req.method === 'HEAD') {
            const op = req.method === 'GET' ? 'blob-get' : 'blob-head'
            if (!entry.finalized) return empty(op, 404)
            const file = blobPath(entry.id)
            const total = statSync(file).size
            const range = parseRange(req.headers.range ?? req.headers['x-ms-range'], total)
            if (range === 'invalid') return empty(op, 416, { 'content-range': `bytes */${total}` })
            const [start, end] = range ?? [0, total - 1]
            const headers: Record<string, string> = {
              ...azureHeaders(),
              'content-type': 'application/octet-stream',
              'content-length': String(Math.max(0, end - start + 1)),
              'accept-ranges': 'bytes',
              'x-ms-blob-type': 'BlockBlob',
            }
            if (range) headers['content-range'] = `bytes ${start}-${end}/${total}`
            record(op, range ? 206 : 200)
            res.writeHead(range ? 206 : 200, headers)
            if (req.method === 'HEAD' || total === 0) return void res.end()
            await pipeline(createReadStream(file, { start, end }), res)
            return
          }
          return empty('blob', 405)
        }

        if (u.pathname.startsWith(V1_PREFIX)) {
          const rest = u.pathname.slice(V1_PREFIX.length)
          if (!authorized()) return json('v1', 401, { message: 'missing or wrong bearer token' })
          if (rest === 'cache' && req.method === 'GET') {
            const keys = (u.searchParams.get('keys') ?? '').split(',').filter((k) => k !== '')
            const entry = lookup(u.searchParams.get('version') ?? '', keys)
            if (!entry) return empty('v1-lookup', 204)
            return json('v1-lookup', 200, { cacheKey: entry.key, scope: 'refs/heads/main', archiveLocation: signed(entry.id, 'download') })
          }
          if (rest === 'caches' && req.method === 'POST') {
            const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Record<string, unknown>
            const entry = create(str(body.key), str(body.version))
            if (!entry) return json('v1-reserve', 409, { message: `Cache already exists. Scope: refs/heads/main, Key: ${str(body.key)}` })
            await writeFile(blobPath(entry.id), '')
            return json('v1-reserve', 201, { cacheId: entry.id })
          }
          const m = /^caches\/(\d+)$/.exec(rest)
          const entry = m ? entries.find((e) => e.id === Number(m[1]) && !e.finalized) : undefined
          if (m && !entry) return json('v1', 404, { message: 'no such reservation' })
          if (entry && req.method === 'PATCH') {
            const cr = /^bytes (\d+)-(\d+)\/\*$/.exec(req.headers['content-range'] ?? '')
            if (!cr) return json('v1-chunk', 400, { message: 'Content-Range required' })
            const data = await readBody(req)
            if (data.length !== Number(cr[2]) - Number(cr[1]) + 1) return json('v1-chunk', 400, { message: 'chunk length does not match Content-Range' })
            const fh = await open(blobPath(entry.id), 'r+')
            try {
              await fh.write(data, 0, data.length, Number(cr[1]))
            } finally {
              await fh.close()
            }
            return empty('v1-chunk', 204)
          }
          if (entry && req.method === 'POST') {
            const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as { size?: unknown }
            const size = statSync(blobPath(entry.id)).size
            if (body.size !== size) return json('v1-commit', 400, { message: `size ${String(body.size)} does not match the uploaded ${size}` })
            entry.size = size
            entry.finalized = true
            entry.seq = ++seq
            return empty('v1-commit', 204)
          }
        }
        return json('unknown', 404, { msg: `not found: ${req.method ?? ''} ${u.pathname}` })
      } catch (e) {
        if (!res.headersSent) json('error', 500, { msg: e instanceof Error ? e.message : String(e) })
        else res.destroy()
      }
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    env: { ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_RESULTS_URL: `${url}/`, ACTIONS_RUNTIME_TOKEN: token },
    envV1: { ACTIONS_CACHE_URL: `${url}/`, ACTIONS_RUNTIME_TOKEN: token },
    requests,
    entries: () => entries.map((e) => ({ ...e })),
    clear: async () => {
      entries = []
      requests.length = 0
      await rm(blobDir, { recursive: true, force: true })
      await rm(blockDir, { recursive: true, force: true })
      mkdirSync(blobDir)
      mkdirSync(blockDir)
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      rmSync(root, { recursive: true, force: true })
    },
  }
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : ''
}

function azureHeaders(): Record<string, string> {
  return {
    etag: `"0x${randomBytes(8).toString('hex').toUpperCase()}"`,
    'last-modified': new Date().toUTCString(),
    'x-ms-request-id': randomBytes(16).toString('hex'),
    'x-ms-version': '2024-11-04',
    'x-ms-request-server-encrypted': 'true',
  }
}

/** `bytes=a-b` / `bytes=a-` → inclusive [a, b]; undefined when absent; 'invalid' when unsatisfiable. */
function parseRange(h: string | string[] | undefined, total: number): [number, number] | undefined | 'invalid' {
  const v = Array.isArray(h) ? h[0] : h
  if (!v) return undefined
  const m = /^bytes=(\d+)-(\d*)$/.exec(v.trim())
  if (!m) return 'invalid'
  const start = Number(m[1])
  const end = m[2] ? Math.min(Number(m[2]), total - 1) : total - 1
  if (start >= total || end < start) return 'invalid'
  return [start, end]
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}
