// Does the base Dockerfile use the environment file's `name`?
//
// Rule: the name is dropped from the document only when every `micromamba|mamba|conda`
// install/create/update (incl. `env create|update`) line of the Dockerfile that reads an
// environment file (`-f`/`--file`) also names its target environment explicitly
// (`-n`/`--name`/`-p`/`--prefix`) — then the file's `name:` cannot change what is built, as
// with the bundled template (`micromamba install -y -n base -f …`). In every other case
// (no such line, `conda env create -f env.yml` without a target, a tool we do not parse)
// the name is kept: renaming the environment may move it, so it rebuilds.

const MANAGER = /(?:^|\/)(?:micromamba|mamba|conda)$/
const VERBS = new Set(['install', 'create', 'update'])

/** Dockerfile text with `\` line continuations joined (the default escape character). */
function logicalLines(content: string): string[] {
  const out: string[] = []
  let cur = ''
  for (const raw of content.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.replace(/\s+$/, '')
    if (cur && /^\s*#/.test(line)) continue // comment lines inside a continuation are skipped
    if (line.endsWith('\\')) {
      cur += line.slice(0, -1) + ' '
      continue
    }
    out.push(cur + line)
    cur = ''
  }
  if (cur) out.push(cur)
  return out
}

function words(cmd: string): string[] {
  return cmd.match(/"[^"]*"|'[^']*'|\S+/g)?.map((w) => w.replace(/^["']|["']$/g, '')) ?? []
}

function hasOption(args: readonly string[], short: string[], long: string[]): boolean {
  return args.some((a) => short.some((s) => a === s || (a.startsWith(s) && !a.startsWith('--'))) || long.some((l) => a === l || a.startsWith(`${l}=`)))
}

/** True when the Dockerfile may use the environment file's `name:` (see the rule above). */
export function dockerfileUsesEnvName(content: string): boolean {
  let fileInstalls = 0
  for (const line of logicalLines(content)) {
    if (/^\s*#/.test(line)) continue
    for (const cmd of line.split(/&&|\|\||;|\|/)) {
      const w = words(cmd)
      const at = w.findIndex((x) => MANAGER.test(x))
      if (at < 0) continue
      let i = at + 1
      while (w[i]?.startsWith('-')) i++ // global options (`-y`, `--root-prefix=…`)
      if (w[i] === 'env') i++
      if (!VERBS.has(w[i] ?? '')) continue
      const args = w.slice(i + 1)
      if (!hasOption(args, ['-f'], ['--file'])) continue
      fileInstalls++
      if (!hasOption(args, ['-n', '-p'], ['--name', '--prefix'])) return true
    }
  }
  return fileInstalls === 0
}
