// pip requirement files referenced with -r/-c: read the way pip reads them, into entries.
// A file counts in the environment hash by its entries, not its bytes, so cosmetic edits
// keep the hash, as they do for the environment file itself.
//
// Decoding, as pip decodes them: a BOM selects UTF-8, UTF-16 (LE/BE) or UTF-32 (LE/BE) —
// what `pip freeze >` writes in Windows PowerShell is UTF-16LE with a BOM; without a BOM the
// file is read as UTF-8 (pip falls back to the locale's encoding, UTF-8 on every runner),
// and bytes that are not valid UTF-8 are warned about. (pip looks for UTF-16 before UTF-32,
// so it misreads a UTF-32LE file as UTF-16; we read it as UTF-32, which is what it is.)
//
// Entries, by pip's requirements-file grammar (pip's `req_file.py`: `join_lines`,
// `ignore_comments`, then each line parsed on its own):
// - the text is split into lines as Python's str.splitlines does (CRLF, CR, LF alike);
// - a line ending with `\` continues on the next (the backslashes dropped, the lines joined
//   as they are) — unless it is a comment line;
// - `#` at the start of a line or after whitespace starts a comment, to the end of the line;
// - what is left is stripped; an empty line is no entry.
// Every other line is an entry, in order (option lines such as `-r`, `-c`, `-e`,
// `--index-url`, `--hash` are positional, so order counts); an entry's inner whitespace is
// collapsed and its specifiers normalized as a `pip:` entry's are (normalizePipEntry).
// Environment variables (`${VAR}`) are kept as written: pip expands them when it installs,
// and their values are not the workspace's to hash. `-r` files are read recursively, each
// relative to the file that names it (loader.ts), and count by their own entries.
//
// A file that is not valid in its encoding is hashed by its bytes (newlines normalized):
// its entries could not be read faithfully.

import { sha256Hex } from './canonical.js'
import { normalizePipEntry, pipRefs, stripRequirementComment, type PipRef } from './spec.js'

export interface RequirementLine {
  /** The 1-based line the entry starts on. */
  readonly line: number
  /** The entry: continuation lines joined, comment removed, stripped. */
  readonly text: string
}

/** Python's str.splitlines, which pip splits the file with. */
// eslint-disable-next-line no-control-regex -- the line boundaries of str.splitlines are the point
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/

/** The entries of a requirement file's text, with the line each starts on (pip's grammar, above). */
export function requirementEntries(text: string): RequirementLine[] {
  const out: RequirementLine[] = []
  const push = (line: number, joined: string) => {
    const entry = stripRequirementComment(joined)
    if (entry) out.push({ line, text: entry })
  }
  let pending: string[] = []
  let start = 0
  text.split(LINE_BREAK).forEach((raw, i) => {
    const comment = /^\s*#/.test(raw) // pip: COMMENT_RE.match, anchored — only a comment line's trailing `\` continues nothing
    if (!raw.endsWith('\\') || comment) {
      if (pending.length) {
        // pip prefixes a comment line that ends a continuation with a space, so it stays a comment
        push(start, pending.join('') + (comment ? ` ${raw}` : raw))
        pending = []
      } else push(i + 1, raw)
      return
    }
    if (!pending.length) start = i + 1
    pending.push(raw.replace(/^\\+|\\+$/g, ''))
  })
  if (pending.length) push(start, pending.join(''))
  return out
}

/** The entries as they are hashed and compared: whitespace and specifiers normalized, credentials as digests. */
export function canonicalEntries(text: string): string[] {
  return requirementEntries(text).map((e) => normalizePipEntry(e.text))
}

/** Prefix of a requirement file's digest in the environment document when it covers the file's entries. */
export const ENTRIES_DIGEST = 'entries:'

/** What a requirement file contributes to the environment document: its entries' digest, or its bytes' when it is not valid text. */
export function requirementsDigest(decoded: DecodedRequirements): string {
  if (decoded.invalid) return sha256Hex(decoded.hashed)
  return `${ENTRIES_DIGEST}${sha256Hex(canonicalEntries(decoded.text).join('\n'))}`
}

export function requirementFileRefs(text: string): { line: number; text: string; ref: PipRef }[] {
  const out: { line: number; text: string; ref: PipRef }[] = []
  for (const l of requirementEntries(text)) for (const ref of pipRefs(l.text)) out.push({ line: l.line, text: l.text, ref })
  return out
}

export type RequirementEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'utf-32le' | 'utf-32be'

export interface DecodedRequirements {
  /** BOM removed, CRLF/CR → LF. */
  readonly text: string
  readonly encoding: RequirementEncoding
  /** The normalized text as UTF-8, or — for invalid UTF-8 — the normalized bytes: what is hashed when the file is not valid text (requirementsDigest). */
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
