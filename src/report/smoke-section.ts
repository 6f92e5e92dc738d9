// The report's smoke-test section: each test's image, command, result and time (the last
// lines of a failed test's output are in the failure section, which leads the report).

import type { SmokeResult } from './model.js'
import { formatDuration } from './format.js'
import { code, table, text } from './markdown.js'

const TARGET = { base: 'base', app: 'application' } as const

function resultText(r: SmokeResult): string {
  if (r.passed) return '✅ passed'
  return r.timedOut ? '❌ timed out (ended)' : `❌ exit code ${r.exitCode ?? '?'}`
}

function pushedText(r: SmokeResult): string {
  if (!r.pushedDigest) return r.passed ? 'not pushed by this run' : 'nothing pushed'
  const tested = r.ref.includes('@') ? r.ref.slice(r.ref.lastIndexOf('@') + 1) : undefined
  return !tested || tested === r.pushedDigest
    ? `pushed: ${code(r.pushedDigest.slice(0, 19))} (the tested image)`
    : `⚠️ pushed ${code(r.pushedDigest.slice(0, 19))}, not the tested image`
}

/** Undefined when no smoke test ran. `str`: the length cap of a command. */
export function smokeSection(tests: readonly SmokeResult[] | undefined, str: number): string | undefined {
  if (!tests || tests.length === 0) return undefined
  const rows = tests.map((r) => [TARGET[r.target], code(r.command, str), resultText(r), formatDuration(r.durationMs), pushedText(r)])
  const failed = tests.filter((t) => !t.passed).length
  const head = failed ? `**Smoke tests** — ${failed} failed, so nothing was pushed` : '**Smoke tests** — passed before anything was pushed'
  return `${head}\n\n${table(['image', text('command (sh -c, through the entrypoint)'), 'result', 'time', 'pushed'], rows)}`
}
