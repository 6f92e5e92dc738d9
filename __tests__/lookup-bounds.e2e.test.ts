// The bundled action against a registry whose tag list never ends (a loopback front that
// always links to a next page of new tags): the lookup stops at its cap, warns once and the
// run goes on as a cache miss — bounded in time and memory, no raw V8 error.

import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ROOT, runAction, visibleLog } from '../__fixtures__/action-runner.js'

let front: http.Server
let addr: string
let tmp: string
let pages = 0

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'lookup-bounds-'))
  cpSync(path.join(ROOT, 'examples', 'quickstart'), path.join(tmp, 'ws'), { recursive: true })
  front = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://front')
    if (/\/tags\/list$/.test(url.pathname)) {
      const p = pages++
      const tags = Array.from({ length: 1000 }, (_, i) => `base-${String(p * 1000 + i).padStart(12, '0')}-${String(20260101 + (i % 28))}`)
      const body = JSON.stringify({ name: 'x', tags })
      res
        .writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          link: `<${url.pathname}?n=1000&last=${tags[999]}>; rel="next"`,
        })
        .end(body)
      return
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
  })
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r))
  addr = `127.0.0.1:${(front.address() as AddressInfo).port}`
})

afterAll(async () => {
  front?.closeAllConnections()
  await new Promise<void>((r) => (front ? front.close(() => r()) : r()))
  rmSync(tmp, { recursive: true, force: true })
})

it('an endless tag list: one warning, a planned cache miss, bounded time and memory', async () => {
  const rssFile = path.join(tmp, 'rss')
  const preload = path.join(tmp, 'rss.mjs')
  writeFileSync(
    preload,
    `import { writeFileSync } from 'node:fs'\nprocess.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS * 1024)))\n`,
  )
  const started = Date.now()
  const r = await runAction(
    { image: `${addr}/acme/endless`, 'base-dockerfile': 'base.Dockerfile', mode: 'plan' },
    { cwd: path.join(tmp, 'ws'), env: { NODE_OPTIONS: `--import=${pathToFileURL(preload).href}` }, timeoutMs: 120_000 },
  )
  const elapsed = Date.now() - started
  expect(r.code).toBe(0)
  const warnings = r.annotations.filter((a) => a.level === 'warning' && /Could not list the tags/.test(a.message))
  expect(warnings).toHaveLength(1)
  expect(warnings[0]!.message).toMatch(/has more than 100000 tags; the lookup stops there/)
  expect(warnings[0]!.message).toMatch(/building the base as a cache miss/)
  expect(visibleLog(r)).not.toMatch(/Set maximum size|RangeError|heap out of memory/)
  expect(r.outputs['base-reused']).toBe('false')
  expect(pages).toBe(101)
  expect(elapsed).toBeLessThan(60_000)
  const rss = Number(readFileSync(rssFile, 'utf8'))
  expect(rss).toBeGreaterThan(0)
  expect(rss).toBeLessThan(300 * 2 ** 20)
})
