// The floor of the reuse path for a Node program: only the work that any implementation of it
// has to do, and nothing the action adds (no validation, no canonical hash, no confinement,
// no retries, no report). Run as the action is run (`node bench/floor.mjs`, same runner
// environment, same fixture) next to it, so BENCHMARKS.md can tell what Node costs from what
// the action costs. It is a measuring stick, not a second implementation: it trusts the
// registry, hashes file bytes as they are, and takes the hash prefix to look for from
// BENCH_FLOOR_PREFIX (the action's own `env-hash` of the fixture, so both pick the same tag).
//
// What it does: read and SHA-256 the environment file, the base Dockerfile and the rest of
// the fixture's top-level files; GET the tag list in one request; pick the newest tag of the
// prefix; GET that tag's manifest (digest and size); append the outputs to $GITHUB_OUTPUT.

import { createHash } from 'node:crypto'
import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs'
import http from 'node:http'

const image = process.env['INPUT_IMAGE'] ?? ''
const prefix = process.env.BENCH_FLOOR_PREFIX ?? ''
const slash = image.indexOf('/')
const [host, port] = image.slice(0, slash).split(':')
const repo = image.slice(slash + 1)

const h = createHash('sha256')
for (const f of readdirSync('.').sort()) if (statSync(f).isFile()) h.update(readFileSync(f))
const fileHash = h.digest('hex')

const agent = new http.Agent({ keepAlive: true })
const get = (path) =>
  new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, path, agent, headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } },
      (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end()
  })

const { tags } = JSON.parse((await get(`/v2/${repo}/tags/list`)).body)
let newest = ''
for (const t of tags) if (t.startsWith(prefix) && t > newest) newest = t
if (!newest) throw new Error(`no tag ${prefix}* in ${image}`)
const manifest = await get(`/v2/${repo}/manifests/${newest}`)
const m = JSON.parse(manifest.body)
const size = m.config.size + m.layers.reduce((s, l) => s + l.size, 0)
agent.destroy()
appendFileSync(
  process.env.GITHUB_OUTPUT,
  `base-tag=${newest}\nbase-reused=true\nbase-digest=${manifest.headers['docker-content-digest']}\nbase-size=${size}\nfiles-hash=${fileHash}\n`,
)
