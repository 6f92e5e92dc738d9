#!/usr/bin/env node
// Writes dist/licenses.txt: the license of every production dependency in package-lock.json
// (name, version, SPDX id, and the package's license file). ncc's own --license output
// covers one chunk only when the bundle is split (lazy imports), so the bundle step uses
// this instead. Deterministic: sorted, from the lock file and node_modules as `npm ci` lays them out.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'))
const out = []
const seen = new Set()
for (const [key, pkg] of Object.entries(lock.packages ?? {})) {
  if (!key.startsWith('node_modules/') || pkg.dev || pkg.devOptional) continue
  const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length)
  const id = `${name}@${pkg.version}`
  if (seen.has(id)) continue
  seen.add(id)
  const dir = path.join(root, key)
  let text = ''
  if (existsSync(dir)) {
    const file = readdirSync(dir)
      .filter((f) => /^(licen[cs]e|copying|notice)(\.|$)/i.test(f))
      .sort()[0]
    if (file) text = readFileSync(path.join(dir, file), 'utf8').trim()
  }
  out.push({ id, name, license: pkg.license ?? 'UNKNOWN', text })
}
out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
const body = out.map((p) => `${p.name}\n${p.license}\n${p.text}`.trimEnd()).join('\n\n')
writeFileSync(path.join(root, 'dist', 'licenses.txt'), body + '\n')
console.log(`dist/licenses.txt: ${out.length} production dependencies`)
