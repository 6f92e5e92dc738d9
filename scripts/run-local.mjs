#!/usr/bin/env node
// Runs the bundled action outside GitHub, the way the runner would: every input of
// action.yml gets its default unless given as `--<input> <value>`, outputs go to a
// GITHUB_OUTPUT file and the job summary to a GITHUB_STEP_SUMMARY file, both printed at
// the end. Example:
//   node scripts/run-local.mjs --image 127.0.0.1:5000/acme/model --environment-file environment.yml
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const actionYml = readFileSync(path.join(root, 'action.yml'), 'utf8')

// Input names and defaults from action.yml (a small reader: the file's own simple layout).
const inputs = {}
let section = ''
let current = ''
for (const line of actionYml.split('\n')) {
  if (/^\S/.test(line)) section = line.replace(/:.*$/, '')
  const name = /^ {2}([a-z0-9-]+):\s*$/.exec(line)
  if (section === 'inputs' && name) {
    current = name[1]
    inputs[current] = ''
  }
  const def = /^ {4}default:\s*'(.*)'\s*$/.exec(line)
  if (section === 'inputs' && def && current) inputs[current] = def[1].replace(/''/g, "'")
}

const args = process.argv.slice(2)
for (let i = 0; i < args.length; i++) {
  const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(args[i])
  if (!m || !(m[1] in inputs)) {
    console.error(`unknown argument ${args[i]}; inputs are: ${Object.keys(inputs).join(', ')}`)
    process.exit(2)
  }
  inputs[m[1]] = m[2] ?? args[++i] ?? ''
}
if (inputs['github-token'] === '${{ github.token }}') inputs['github-token'] = process.env.GITHUB_TOKEN ?? ''

const tmp = mkdtempSync(path.join(os.tmpdir(), 'conda-image-action-local-'))
const outputFile = path.join(tmp, 'outputs')
const summaryFile = path.join(tmp, 'summary.md')
writeFileSync(outputFile, '')
writeFileSync(summaryFile, '')
const env = { ...process.env, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile }
for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v
env.GITHUB_WORKSPACE ??= process.cwd()

const r = spawnSync(process.execPath, [path.join(root, 'dist', 'index.js')], { stdio: 'inherit', env })
console.log(`\n--- outputs (${outputFile}) ---`)
const out = readFileSync(outputFile, 'utf8')
for (const m of out.matchAll(/^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) console.log(`${m[1]}=${m[3]}`)
console.log(`\n--- job summary (${summaryFile}) ---\n${readFileSync(summaryFile, 'utf8')}`)
process.exit(r.status ?? 1)
