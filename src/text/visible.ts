// Text from outside the action — build output, registry answers, workspace files and paths,
// input values — shown to a person: in the job log, in annotations, in the summary and the
// pull-request comment. Nothing in it may start a workflow command or hide what it says.
//
// The runner reads a step's stdout line by line, and a line ends at LF, CR or CRLF (.NET's
// StreamReader.ReadLine). A line is a command when, after leading white space, it starts
// with `::name …::` (or holds `##[name …]` anywhere: the runner still parses the old form).
// So: control characters (CR and LF included), the bidirectional-override and -isolate
// characters and the invisible format characters are written as `\r`, `\x1b`, `\u202e`…;
// a log line that would start a command has its second `:` written `\x3a`, and `##[`
// becomes `#\x23[`. `\t` stays; LF stays where the message may span lines.

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const HIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/g
// eslint-disable-next-line no-control-regex -- the same, LF kept
const HIDDEN_BUT_LF = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/g

const NAMED: Record<string, string> = { '\r': '\\r', '\n': '\\n', '\u001b': '\\x1b' }

function escapeChar(c: string): string {
  const code = c.charCodeAt(0)
  return NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
}

/**
 * `s` with every control, bidirectional and invisible format character written as an escape
 * (`\r`, `\x1b`, `\u202e`); with `lines`, LF stays (a message that may span lines).
 */
export function visible(s: string, lines = false): string {
  return s.replace(lines ? HIDDEN_BUT_LF : HIDDEN, escapeChar)
}

/** One line of the job log that no runner parses as a workflow command (see the file comment). */
export function inertLine(s: string): string {
  const v = visible(s).replace(/##\[/g, '#\\x23[')
  const lead = /^\s*/.exec(v)![0].length
  return v.startsWith('::', lead) ? `${v.slice(0, lead + 1)}\\x3a${v.slice(lead + 2)}` : v
}

/** Lines of a message for the job log, each inert (an LF in `s` starts a new line). */
export function inertLines(s: string): string[] {
  return s.split('\n').map(inertLine)
}
