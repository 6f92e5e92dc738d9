// pip requirement files referenced with -r/-c: their references, read the way pip reads
// them (line continuations joined, comments removed). The file itself is hashed by content;
// this only finds what it points at.
//
// Decoding, as pip decodes them: a BOM selects UTF-8, UTF-16 (LE/BE) or UTF-32 (LE/BE) —
// what `pip freeze >` writes in Windows PowerShell is UTF-16LE with a BOM; without a BOM the
// file is read as UTF-8 (pip falls back to the locale's encoding, UTF-8 on every runner),
// and bytes that are not valid UTF-8 are warned about. (pip looks for UTF-16 before UTF-32,
// so it misreads a UTF-32LE file as UTF-16; we read it as UTF-32, which is what it is.)
//
// Normalization of the hashed text: the BOM is removed and CRLF/CR become LF, nothing
// else, and the text is hashed as UTF-8 (a file re-saved in another encoding keeps its
// hash). That is safe because pip decodes requirement files BOM-aware and splits them with
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

export type RequirementEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'utf-32le' | 'utf-32be'

export interface DecodedRequirements {
  /** BOM removed, CRLF/CR → LF. */
  readonly text: string
  readonly encoding: RequirementEncoding
  /** What is hashed: the normalized text as UTF-8, or — for invalid UTF-8 — the normalized bytes. */
  readonly hashed: Buffer
  /** Set when the bytes are not valid in their encoding (decoded with U+FFFD replacements). */
  readonly invalid: boolean
}

function bomOf(b: Buffer): { encoding: RequirementEncoding; length: number } {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { encoding: 'utf-8', length: 3 }
  if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return { encoding: 'utf-32le', length: 4 }
  if (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return { encoding: 'utf-32be', length: 4 }
  if (b[0] === 0xff && b[1] === 0xfe) return { encoding: 'utf-16le', length: 2 }
  if (b[0] === 0xfe && b[1] === 0xff) return { encoding: 'utf-16be', length: 2 }
  return { encoding: 'utf-8', length: 0 }
}

function decodeUtf32(b: Buffer, le: boolean): { text: string; invalid: boolean } {
  let invalid = b.length % 4 !== 0
  const parts: string[] = []
  const chunk: number[] = []
  for (let i = 0; i + 4 <= b.length; i += 4) {
    const cp = le ? b.readUInt32LE(i) : b.readUInt32BE(i)
    const ok = cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)
    if (!ok) invalid = true
    chunk.push(ok ? cp : 0xfffd)
    if (chunk.length >= 4096) parts.push(String.fromCodePoint(...chunk.splice(0)))
  }
  parts.push(String.fromCodePoint(...chunk))
  return { text: parts.join(''), invalid }
}

const newlines = (s: string): string => (s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s)

/** Requirement-file bytes decoded the way pip decodes them (see the top of this file). */
export function decodeRequirements(bytes: Buffer): DecodedRequirements {
  const { encoding, length } = bomOf(bytes)
  const body = bytes.subarray(length)
  if (encoding === 'utf-32le' || encoding === 'utf-32be') {
    const { text, invalid } = decodeUtf32(body, encoding === 'utf-32le')
    const t = newlines(text)
    return { text: t, encoding, hashed: Buffer.from(t, 'utf8'), invalid }
  }
  try {
    const t = newlines(new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(body))
    return { text: t, encoding, hashed: Buffer.from(t, 'utf8'), invalid: false }
  } catch {
    const t = newlines(new TextDecoder(encoding, { ignoreBOM: true }).decode(body))
    // invalid UTF-8 is hashed by its bytes (newlines normalized), so no two differ in hash
    const hashed = encoding === 'utf-8' ? Buffer.from(newlines(body.toString('latin1')), 'latin1') : Buffer.from(t, 'utf8')
    return { text: t, encoding, hashed, invalid: true }
  }
}
