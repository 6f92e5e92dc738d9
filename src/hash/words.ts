// Docker's word processing for instruction arguments (BuildKit's shell lexer, as it treats
// `COPY`/`ADD` sources, `--mount` values and `ARG`/`ENV` values): quotes removed, the escape
// character honoured, `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}` and
// `${NAME+word}` expanded. dockerfile-ast splits instructions into words but expands only
// with the Dockerfile's own defaults (not the build-args) and keeps quotes, so this small
// step is done here. Pure.

/** A variable's value; `undefined` = not declared (unknown before the build). */
export type Lookup = (name: string) => string | undefined

export interface Expanded {
  readonly value: string
  /** Variables that were referenced but are not declared, or forms this reader does not know. */
  readonly unknown: readonly string[]
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/

export function expandWord(word: string, lookup: Lookup, escape = '\\'): Expanded {
  const unknown: string[] = []
  let out = ''
  let quote: '"' | "'" | undefined
  for (let i = 0; i < word.length; i++) {
    const c = word[i]!
    if (quote === "'") {
      if (c === "'") quote = undefined
      else out += c
      continue
    }
    if (c === escape && i + 1 < word.length) {
      const next = word[i + 1]!
      // inside double quotes only `"`, `$` and the escape character itself are escaped
      if (quote === '"' && next !== '"' && next !== '$' && next !== escape) out += c
      else out += next
      i++
      continue
    }
    if (c === '"') {
      quote = quote ? undefined : '"'
      continue
    }
    if (c === "'" && !quote) {
      quote = "'"
      continue
    }
    if (c === '$') {
      const r = variable(word, i + 1, lookup, escape)
      if (r) {
        out += r.value
        unknown.push(...r.unknown)
        i = r.end - 1
        continue
      }
    }
    out += c
  }
  return { value: out, unknown }
}

function variable(word: string, at: number, lookup: Lookup, escape: string): { value: string; unknown: string[]; end: number } | undefined {
  if (word[at] !== '{') {
    const m = NAME.exec(word.slice(at))
    if (!m) return undefined
    const v = lookup(m[0])
    return { value: v ?? '', unknown: v === undefined ? [m[0]] : [], end: at + m[0].length }
  }
  const close = closingBrace(word, at + 1)
  if (close < 0) return { value: '', unknown: [word.slice(at - 1)], end: word.length }
  const inner = word.slice(at + 1, close)
  const m = NAME.exec(inner)
  if (!m) return { value: '', unknown: [`\${${inner}}`], end: close + 1 }
  const name = m[0]
  const rest = inner.slice(name.length)
  const v = lookup(name)
  if (rest === '') return { value: v ?? '', unknown: v === undefined ? [name] : [], end: close + 1 }
  const op = /^(:?[-+])/.exec(rest)?.[1]
  if (!op) return { value: '', unknown: [`\${${inner}}`], end: close + 1 }
  const alt = expandWord(rest.slice(op.length), lookup, escape)
  if (v === undefined) return { value: '', unknown: [name, ...alt.unknown], end: close + 1 }
  const set = op.startsWith(':') ? v !== '' : true
  const value = op.endsWith('-') ? (set ? v : alt.value) : set ? alt.value : ''
  return { value, unknown: op.endsWith('-') && set ? [] : [...alt.unknown], end: close + 1 }
}

function closingBrace(word: string, from: number): number {
  let depth = 1
  for (let i = from; i < word.length; i++) {
    if (word[i] === '{') depth++
    else if (word[i] === '}' && --depth === 0) return i
  }
  return -1
}
