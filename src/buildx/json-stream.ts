// Incremental splitter for a stream of concatenated JSON objects (as `--progress=rawjson`
// writes them: pretty-printed, several lines each, no separator) mixed with plain text lines
// (buildx prints the Dockerfile excerpt and `ERROR: …` as text after the objects).
//
// It is string- and escape-aware, so braces inside strings never count, and it is robust to
// chunks split anywhere — inside a string, an escape or between `\` and the escaped char.
// An object starts only at a `{` that is the first non-blank character of a line.

export interface JsonStreamHandlers {
  object(value: unknown): void
  text(line: string): void
}

/** Objects larger than this are not progress events; their text is passed on as lines. */
const MAX_OBJECT_CHARS = 64 * 1024 * 1024

export class JsonObjectSplitter {
  private readonly handlers: JsonStreamHandlers
  /** Text of the object being read, or null between objects. */
  private obj: string[] | null = null
  private objChars = 0
  private depth = 0
  private inString = false
  private escaped = false
  /** Text line being read between objects. */
  private line = ''

  constructor(handlers: JsonStreamHandlers) {
    this.handlers = handlers
  }

  write(chunk: string): void {
    let i = 0
    const n = chunk.length
    while (i < n) {
      if (this.obj === null) {
        // Between objects: collect a text line, unless it opens an object.
        const nl = chunk.indexOf('\n', i)
        const end = nl < 0 ? n : nl
        let j = i
        if (this.line.trim() === '') {
          while (j < end && (chunk[j] === ' ' || chunk[j] === '\t' || chunk[j] === '\r')) j++
          if (j < end && chunk[j] === '{') {
            this.line = ''
            this.obj = []
            this.objChars = 0
            this.depth = 0
            this.inString = false
            this.escaped = false
            i = j
            continue
          }
        }
        this.line += chunk.slice(i, end)
        if (nl < 0) return
        this.flushLine()
        i = nl + 1
        continue
      }
      // Inside an object: scan to its closing brace (or the end of the chunk).
      const start = i
      let closed = false
      for (; i < n; i++) {
        const c = chunk.charCodeAt(i)
        if (this.inString) {
          if (this.escaped) this.escaped = false
          else if (c === 0x5c /* \ */) this.escaped = true
          else if (c === 0x22 /* " */) this.inString = false
        } else if (c === 0x22) {
          this.inString = true
        } else if (c === 0x7b /* { */) {
          this.depth++
        } else if (c === 0x7d /* } */) {
          this.depth--
          if (this.depth === 0) {
            i++
            closed = true
            break
          }
        }
      }
      this.obj.push(chunk.slice(start, i))
      this.objChars += i - start
      if (closed) this.finishObject()
      else if (this.objChars > MAX_OBJECT_CHARS) this.abandonObject()
    }
  }

  /** Flushes a trailing partial line or unterminated object as text. */
  end(): void {
    if (this.obj !== null) this.abandonObject()
    if (this.line !== '') this.flushLine()
  }

  private flushLine(): void {
    const line = this.line.replace(/\r$/, '')
    this.line = ''
    if (line.trim() !== '') this.handlers.text(line)
  }

  private finishObject(): void {
    const text = (this.obj ?? []).join('')
    this.obj = null
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      this.emitText(text)
      return
    }
    this.handlers.object(value)
  }

  private abandonObject(): void {
    const text = (this.obj ?? []).join('')
    this.obj = null
    this.emitText(text)
  }

  private emitText(text: string): void {
    for (const l of text.split('\n')) {
      const line = l.replace(/\r$/, '')
      if (line.trim() !== '') this.handlers.text(line)
    }
  }
}
