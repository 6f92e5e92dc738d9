// Escaping of user-controlled strings (tags, paths, step names, warnings) for GitHub
// Flavored Markdown: nothing they contain may open HTML, close a table cell, start a list,
// end a code fence or mention someone; credentials in them are redacted (src/text/redact.ts).

import { redact } from '../text/redact.js'
import { visible } from '../text/visible.js'

/** One line, its control characters shown escaped, at most `max` characters (then `…`). */
export function oneLine(s0: string, max: number): string {
  // Credentials redacted before anything is cut (a cut URL could hide its `@`) or escaped.
  const s = redact(s0.length > 65_536 ? s0.slice(0, 65_536) : s0)
  // Cut first: a 1 MB string is never scanned more than needed.
  let v = s.length > max * 2 + 16 ? s.slice(0, max * 2 + 16) : s
  // Line breaks become spaces; other control, bidirectional and invisible characters are shown escaped (`\x1b`, `\u202e`).
  v = visible(v.replace(/\r\n?|\n|\u2028|\u2029|\t/g, ' '))
  if (v.length > max || s.length > v.length) {
    let cut = v.slice(0, Math.max(1, max - 1))
    // Do not split a surrogate pair.
    if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1)
    v = `${cut}…`
  }
  return v
}

const MD_PUNCT = /[\\`*_[\]()#+\-!|~{}<>&]/g
const ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;' }

/**
 * Plain inline text, safe in a paragraph, a list item or a table cell: HTML characters as
 * entities, Markdown punctuation backslash-escaped, `@` defused so no one is mentioned.
 */
export function text(s: string, max = 200): string {
  return oneLine(s, max)
    .replace(MD_PUNCT, (c) => ENTITIES[c] ?? `\\${c}`)
    .replace(/@/g, '@\u200b')
}

/**
 * An inline code span of `s` (backticks inside handled). In a table cell (`cell`), pipes are
 * escaped as GFM requires even inside code.
 */
export function code(s: string, max = 200, cell = true): string {
  let v = oneLine(s, max)
  if (cell) v = v.replace(/\|/g, '\\|')
  if (v.trim() === '') return '` `'
  const longest = Math.max(0, ...(v.match(/`+/g) ?? []).map((r) => r.length))
  const fence = '`'.repeat(longest + 1)
  const pad = v.startsWith('`') || v.endsWith('`') || (v.startsWith(' ') && v.endsWith(' ')) ? ' ' : ''
  return `${fence}${pad}${v}${pad}${fence}`
}

/** A fence (``` or longer) that no line of `lines` can close. */
export function fenceFor(lines: readonly string[]): string {
  let longest = 0
  for (const l of lines) for (const r of l.match(/`{3,}/g) ?? []) longest = Math.max(longest, r.length)
  return '`'.repeat(Math.max(3, longest + 1))
}

/** Text for an HTML context (e.g. `<summary>`): entities only, one line. */
export function html(s: string, max = 200): string {
  return oneLine(s, max)
    .replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/@/g, '@\u200b')
}

/** A GFM table. `align` per column: 'l' | 'r' | 'c'. Cells must already be escaped. */
export function table(head: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r' | 'c')[]): string {
  const sep = head.map((_, i) => {
    const a = align?.[i] ?? 'l'
    return a === 'r' ? '---:' : a === 'c' ? ':---:' : '---'
  })
  const line = (cells: readonly string[]) => `| ${cells.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`
  return [line(head), `|${sep.join('|')}|`, ...rows.map(line)].join('\n')
}

/** `<details>` block; `summary` is raw (already escaped) HTML text. */
export function details(summary: string, body: string, open = false): string {
  return `<details${open ? ' open' : ''}><summary>${summary}</summary>\n\n${body}\n\n</details>`
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}
