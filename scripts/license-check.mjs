#!/usr/bin/env node
// Licence gate over the bundled dependencies: every production package in package-lock.json
// (what ncc bundles into dist/, as scripts/licenses.mjs lists it in dist/licenses.txt) must
// declare an SPDX licence expression that the allowlist satisfies. Exit 1 with one line per
// package otherwise. `--lock <file>` checks another lock file (the tests use it).
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** Permissive licences whose notices dist/licenses.txt carries. Add one only after reading it. */
export const ALLOWED = ['0BSD', 'Apache-2.0', 'BlueOak-1.0.0', 'BSD-2-Clause', 'BSD-3-Clause', 'ISC', 'MIT']

/** Production packages of a package-lock (v2/v3): `{ id: name@version, license }`, sorted, once each. */
export function bundledPackages(lock) {
  const out = new Map()
  for (const [key, pkg] of Object.entries(lock.packages ?? {})) {
    if (!key.startsWith('node_modules/') && !key.includes('/node_modules/')) continue
    if (pkg.dev || pkg.devOptional || pkg.link) continue
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length)
    const license = typeof pkg.license === 'string' ? pkg.license : typeof pkg.license?.type === 'string' ? pkg.license.type : undefined
    out.set(`${name}@${pkg.version}`, { id: `${name}@${pkg.version}`, license })
  }
  return [...out.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/**
 * Whether an SPDX expression is satisfied by the allowlist: `A OR B` needs one of them,
 * `A AND B` both, parentheses group, `A WITH exception` counts as A, `A+` as A. Anything
 * else (`SEE LICENSE IN …`, `UNLICENSED`, a malformed expression) is not.
 */
export function spdxAllowed(expression, allowed = ALLOWED) {
  const tokens = String(expression).match(/\(|\)|[^\s()]+/g) ?? []
  let i = 0
  const ok = new Set(allowed.map((l) => l.toLowerCase()))
  const primary = () => {
    const t = tokens[i++]
    if (t === '(') {
      const v = or()
      if (tokens[i++] !== ')') throw new Error('unbalanced parentheses')
      return v
    }
    if (!t || /^(AND|OR|WITH|\))$/i.test(t)) throw new Error(`unexpected ${t ?? 'end'}`)
    if (/^with$/i.test(tokens[i] ?? '')) i += 2
    return ok.has(t.replace(/\+$/, '').toLowerCase())
  }
  const and = () => {
    let v = primary()
    while (/^and$/i.test(tokens[i] ?? '')) {
      i++
      v = primary() && v
    }
    return v
  }
  const or = () => {
    let v = and()
    while (/^or$/i.test(tokens[i] ?? '')) {
      i++
      v = and() || v
    }
    return v
  }
  try {
    const v = or()
    return i === tokens.length && v
  } catch {
    return false
  }
}

/** One line per bundled package whose licence is missing or outside the allowlist. */
export function licenseProblems(lock, allowed = ALLOWED) {
  return bundledPackages(lock)
    .filter((p) => !p.license || !spdxAllowed(p.license, allowed))
    .map((p) => (p.license ? `${p.id}: ${p.license} is not on the allowlist` : `${p.id}: declares no licence`))
}

function main(argv) {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const at = argv.indexOf('--lock')
  const file = at >= 0 ? path.resolve(argv[at + 1] ?? '') : path.join(root, 'package-lock.json')
  const lock = JSON.parse(readFileSync(file, 'utf8'))
  const problems = licenseProblems(lock)
  const count = bundledPackages(lock).length
  if (problems.length) {
    for (const p of problems) console.log(`::error file=package-lock.json::${p}`)
    console.error(`${problems.length} of ${count} bundled packages have a licence outside the allowlist (${ALLOWED.join(', ')}), see scripts/license-check.mjs`)
    return 1
  }
  console.log(`licences: all ${count} bundled packages are on the allowlist (${ALLOWED.join(', ')})`)
  return 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) process.exitCode = main(process.argv.slice(2))
