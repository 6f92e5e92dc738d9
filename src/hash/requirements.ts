// pip requirement files referenced with -r/-c: their references, read the way pip reads
// them (line continuations joined, comments removed). The file itself is hashed by content;
// this only finds what it points at.
//
// Normalization of the hashed bytes: a UTF-8 BOM is removed and CRLF/CR become LF, nothing
// else. That is safe because pip decodes requirement files BOM-aware and splits them with
// str.splitlines(), so neither ever reaches pip's parser (a Windows checkout then hashes
// like a Linux one). Everything else — comments, blank lines, order, spacing — is hashed
// as is: pip's reading of them has enough corners (`--hash` continuation lines, env-var
// expansion, options that are positional) that we prefer a rebuild.

import { pipRefs, type PipRef } from './spec.js'

export interface RequirementLine {
  readonly line: number
  readonly text: string
}

/** Logical lines (continuations joined) with the number of their first physical line. */
export function requirementLines(text: string): RequirementLine[] {
  const out: RequirementLine[] = []
  let cur = ''
  let start = 0
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '')
    if (!cur) start = i + 1
    if (/(^|[^\\])\\$/.test(line)) {
      cur += line.slice(0, -1)
      return
    }
    cur += line
    if (cur.trim()) out.push({ line: start, text: cur })
    cur = ''
  })
  if (cur.trim()) out.push({ line: start, text: cur })
  return out
}

export function requirementFileRefs(text: string): { line: number; text: string; ref: PipRef }[] {
  const out: { line: number; text: string; ref: PipRef }[] = []
  for (const l of requirementLines(text)) for (const ref of pipRefs(l.text)) out.push({ line: l.line, text: l.text.trim(), ref })
  return out
}
