// The workflow commands a runner would take from a step's stdout, read the way the
// actions/runner reads them (ActionCommand.TryParseV2 / TryParse, ActionCommandManager):
// a line ends at CRLF, LF or a bare CR; `::name props::data` after leading white space,
// or the old `##[name props]data` anywhere in the line; `::stop-commands::<token>` stops
// every command until one named `<token>` (case-insensitive). Stricter than the runner in
// one way: any name counts as a command (the runner ignores names it has not registered),
// so a test that finds none has found none the runner would run.

export interface RunnerCommand {
  readonly name: string
  readonly properties: string
  readonly data: string
  /** The line it was read from. */
  readonly line: string
}

function parseV2(line: string): RunnerCommand | undefined {
  const m = line.trimStart()
  if (!m.startsWith('::')) return undefined
  const end = m.indexOf('::', 2)
  if (end < 0) return undefined
  const info = m.slice(2, end)
  const space = info.indexOf(' ')
  const name = space < 0 ? info : info.slice(0, space)
  if (name === '') return undefined
  return { name, properties: space < 0 ? '' : info.slice(space + 1), data: m.slice(end + 2), line }
}

function parseV1(line: string): RunnerCommand | undefined {
  const at = line.indexOf('##[')
  if (at < 0) return undefined
  const rb = line.indexOf(']', at)
  if (rb < 0) return undefined
  const info = line.slice(at + 3, rb)
  const space = info.indexOf(' ')
  const name = space < 0 ? info : info.slice(0, space)
  if (name === '') return undefined
  return { name, properties: space < 0 ? '' : info.slice(space + 1), data: line.slice(rb + 1), line }
}

/** The commands a runner would process in `stdout`, in order (the stop and resume included). */
export function runnerCommands(stdout: string): RunnerCommand[] {
  const out: RunnerCommand[] = []
  let stopToken: string | undefined
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    const c = parseV2(line) ?? parseV1(line)
    if (!c) continue
    if (stopToken !== undefined) {
      if (c.name.toLowerCase() === stopToken.toLowerCase()) {
        stopToken = undefined
        out.push(c)
      }
      continue
    }
    if (c.name.toLowerCase() === 'stop-commands') stopToken = c.data
    out.push(c)
  }
  return out
}

/** Whether commands are stopped at the end of `stdout` (a step must not leave them stopped). */
export function commandsStoppedAtEnd(stdout: string): boolean {
  let stopped = false
  for (const c of runnerCommands(stdout)) stopped = c.name.toLowerCase() === 'stop-commands'
  return stopped
}

/** What `f` writes to this process's stdout (the step's log), captured instead of printed. */
export async function stdoutOf(f: () => unknown): Promise<string> {
  let out = ''
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = (chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()
    return true
  }
  try {
    await f()
  } finally {
    process.stdout.write = write
  }
  return out
}
