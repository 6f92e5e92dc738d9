// A build step named by the command it runs. BuildKit names a vertex by its instruction as
// written, mount flags and all; a heredoc `RUN` shows only its first line
// (`RUN --mount=… <<'EOF' (set -eu...)`). The report names it `[stage n/m] RUN <command> …`:
// flags dropped, and a heredoc's script (read from the Dockerfile, parsed with
// dockerfile-ast) named by its first top-level command that is not shell housekeeping.
// Pure.

import { DockerfileParser } from 'dockerfile-ast'

const PREFIX = /^(\[[^\]]*\]\s+)?([A-Za-z]+)\s+([\s\S]*)$/
/** `<<EOF`, `<<-'EOF'`, `<<"EOF"`, then BuildKit's `(first line...)`. */
const HEREDOC = /^<<-?(['"]?)([A-Za-z_][\w.-]*)\1\s*(?:\(([\s\S]*?)(?:\.\.\.)?\))?\s*$/
/** Commands that set up the shell rather than do the step's work. */
const HOUSEKEEPING = new Set([
  'set', 'export', 'unset', 'cd', 'eval', 'echo', 'printf', 'true', 'false', ':', '.', 'source', 'shift', 'trap', 'umask', 'local',
  'readonly', 'test', '[', '[[', 'exit', 'return',
]) // prettier-ignore
const OPENERS: Record<string, string> = { if: 'fi', case: 'esac', for: 'done', while: 'done', until: 'done', '{': '}' }

/** The display name of a step vertex; `dockerfile`: the text of the Dockerfile built (for heredoc scripts). */
export function stepName(vertex: string, dockerfile?: string): string {
  const m = PREFIX.exec(vertex.trim())
  if (!m || m[2]!.toUpperCase() !== 'RUN') return vertex
  const prefix = m[1] ?? ''
  let rest = m[3]!.trim()
  // Leading `--mount=…`, `--network=…`, `--security=…` flags.
  while (/^--[\w-]+(=\S*)?(\s|$)/.test(rest)) rest = rest.replace(/^--[\w-]+(=\S*)?\s*/, '')
  const heredoc = HEREDOC.exec(rest)
  if (heredoc) {
    const script = dockerfile ? heredocScript(dockerfile, prefix) : undefined
    const cmd = (script && mainCommand(script)) ?? (heredoc[3] ? `${heredoc[3].trim()} …` : `<<${heredoc[2]}`)
    return `${prefix}RUN ${cmd}`
  }
  return `${prefix}RUN ${rest.replace(/\s+/g, ' ')}`
}

/** Instructions BuildKit numbers within a stage (`[stage n/m]`); ARG, ENV, LABEL, USER … are not. */
const NUMBERED = new Set(['FROM', 'RUN', 'COPY', 'ADD', 'WORKDIR'])

interface Heredoc {
  getContentRange(): { start: { line: number }; end: { line: number } } | null
}

/** The script of the heredoc of the step `prefix` names (`[solve 2/5]`, `[3/4]`, `[stage-1 2/3]`). */
function heredocScript(dockerfile: string, prefix: string): string | undefined {
  const m = /^\[(?:(\S+)\s+)?(\d+)\/\d+\]/.exec(prefix.trim())
  if (!m) return undefined
  let df
  try {
    df = DockerfileParser.parse(dockerfile)
  } catch {
    return undefined
  }
  const stages: { name?: string; numbered: { keyword: string; heredocs: Heredoc[] }[] }[] = []
  for (const ins of df.getInstructions()) {
    const keyword = ins.getKeyword()
    if (keyword === 'FROM') stages.push({ name: (ins as unknown as { getBuildStage(): string | undefined }).getBuildStage()?.toLowerCase(), numbered: [] })
    if (!NUMBERED.has(keyword) || stages.length === 0) continue
    const heredocs = 'getHeredocs' in ins ? (ins as unknown as { getHeredocs(): Heredoc[] }).getHeredocs() : []
    stages[stages.length - 1]!.numbered.push({ keyword, heredocs })
  }
  const label = m[1]?.toLowerCase()
  const stage =
    label === undefined
      ? stages.length === 1
        ? stages[0]
        : undefined
      : (stages.find((s) => s.name === label) ?? stages[Number(/^stage-(\d+)$/.exec(label)?.[1] ?? NaN)])
  const step = stage?.numbered[Number(m[2]) - 1]
  const range = step?.keyword === 'RUN' ? step.heredocs[0]?.getContentRange() : undefined
  return range
    ? dockerfile
        .split(/\r?\n/)
        .slice(range.start.line, range.end.line + 1)
        .join('\n')
    : undefined
}

/** The first top-level command of a shell script that is not housekeeping (set, export, cd, control flow), with ` …` when more follows. */
export function mainCommand(script: string): string | undefined {
  const lines = script
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
  let depth = 0
  let found: string | undefined
  let after = false
  for (const line of lines) {
    for (let part of line.split(/\s*(?:;|&&|\|\|)\s*/)) {
      const words = part.split(/\s+/).filter(Boolean)
      part = words.join(' ')
      const first = words[0]
      if (!first) continue
      if (found !== undefined) {
        after = true
        break
      }
      const closer = OPENERS[first]
      if (closer) depth++
      else if (['fi', 'esac', 'done', '}'].includes(first)) depth = Math.max(0, depth - 1)
      else if (depth === 0 && !HOUSEKEEPING.has(first) && !/^[A-Za-z_]\w*=/.test(first) && !['then', 'do', 'else', 'elif'].includes(first)) found = part
    }
    if (after) break
  }
  return found === undefined ? undefined : `${found}${after ? ' …' : ''}`
}
