// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per
// category (bundle code, node internals, GC, idle = waiting for I/O or children).

import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileSummary {
  totalMs: number
  categories: { name: string; ms: number }[]
  top: { fn: string; where: string; ms: number }[]
}

function category(url: string, fn: string): string {
  if (fn === '(idle)') return 'idle (waiting for I/O, the registry, child processes)'
  if (fn === '(garbage collector)') return 'garbage collection'
  if (fn === '(program)') return 'V8 (compile, parse, runtime)'
  if (fn === '(root)') return 'other'
  // The profiled process runs the bundle (or its snapshot) plus a one-line preload.
  if (url.startsWith('file://') || url.startsWith('/')) return 'bundle code (dist/index.js)'
  if (url.startsWith('node:') || url === '') return 'node internals / builtins'
  return 'other'
}

export function summarizeProfile(file: string, topN = 12): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the following interval to it.
    const dt = p.timeDeltas[i + 1] ?? 0
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt)
  }
  const fns = new Map<string, { fn: string; where: string; us: number }>()
  const cats = new Map<string, number>()
  for (const [id, us] of self) {
    const cf = byId.get(id)!.callFrame
    const fn = cf.functionName || '(anonymous)'
    const where = cf.url ? `${path.basename(cf.url)}:${cf.lineNumber + 1}` : ''
    const key = `${fn}@${where}`
    const e = fns.get(key) ?? { fn, where, us: 0 }
    e.us += us
    fns.set(key, e)
    const c = category(cf.url, cf.functionName)
    cats.set(c, (cats.get(c) ?? 0) + us)
  }
  return {
    totalMs: (p.endTime - p.startTime) / 1000,
    categories: [...cats].map(([name, us]) => ({ name, ms: us / 1000 })).sort((a, b) => b.ms - a.ms),
    top: [...fns.values()]
      .filter((f) => f.fn !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((f) => ({ fn: f.fn, where: f.where, ms: f.us / 1000 })),
  }
}

export function findProfile(dir: string): string {
  const f = readdirSync(dir).find((x) => x.endsWith('.cpuprofile'))
  if (!f) throw new Error(`no .cpuprofile in ${dir}`)
  return path.join(dir, f)
}
