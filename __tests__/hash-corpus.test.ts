// Table tests over the real-world corpus (__fixtures__/corpus/environment-yml): every valid
// file hashes; programmatic cosmetic rewrites keep its hash; semantic edits change it.
// Each variant is written as `environment.yml` into its own directory (a/b/ deep, so that
// `-e ../..` stays inside it), with stub files for the requirement files it references.

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isScalar, isSeq, isMap, parseDocument, Scalar, visit, type Document, type YAMLSeq } from 'yaml'
import { corpusDir } from '../__fixtures__/context.js'
import { cleanupTemp, fpFile, tempDir, userError, writeTree } from './hash-helpers.js'

const CORPUS = corpusDir()
const files = existsSync(CORPUS)
  ? readdirSync(CORPUS)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
  : []

afterAll(cleanupTemp, 120_000) // removes ~1000 temp dirs: slow on a loaded machine

/** Corpus files that are not valid environments for this action, and why (each must be a UserError). */
const INVALID: Record<string, RegExp> = {
  'conda-incubator__setup-miniconda__etc-example-faulty-environment.yml': /found "requirements:" — did you mean "dependencies:"/,
  'conda__conda__tests-env-support-empty_env.yml': /no `dependencies:` list/,
  'conda__conda__tests-env-support-missing_required_keys.yml': /no `dependencies:` list/,
}
// Accepted although odd (documented): `dependencies:` with no value (empty_deps, conda reads
// it as empty; warned), misspelt keys (invalid_keys: kept in the hash, warned), `selectors:`.

/** Requirement files a corpus file references (created as stubs next to it). */
function stubs(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of text.matchAll(/^\s*-\s+(?:-r|-c|--requirement|--constraint)[ =](?:file:)?(\S+)/gm)) out[m[1]!] = 'stub-package==1.0\n'
  return out
}

async function hashText(text: string, refs: Record<string, string>, opts: { platforms?: string[] } = {}) {
  const dir = tempDir('hash-corpus-')
  writeTree(path.join(dir, 'a', 'b'), { ...refs, 'environment.yml': text })
  return fpFile(path.join(dir, 'a', 'b', 'environment.yml'), opts)
}

const parse = (text: string) => parseDocument(text, { schema: 'failsafe' })
const NULLISH = new Set(['', '~', 'null', 'Null', 'NULL'])

function depsSeq(doc: Document): YAMLSeq | undefined {
  const d = doc.get('dependencies', true)
  return isSeq(d) ? d : undefined
}
function channelsSeq(doc: Document): YAMLSeq | undefined {
  const c = doc.get('channels', true)
  return isSeq(c) ? c : undefined
}
/** Conda dependency scalars (not pip mappings). */
function condaScalars(doc: Document): Scalar[] {
  return (depsSeq(doc)?.items ?? []).filter((i): i is Scalar => isScalar(i))
}
function pipSeqs(doc: Document): YAMLSeq[] {
  return (depsSeq(doc)?.items ?? []).flatMap((i) => (isMap(i) && isSeq(i.get('pip', true)) ? [i.get('pip', true) as unknown as YAMLSeq] : []))
}
const hasComments = (text: string) => /#\s*\[/.test(text)

function requote(text: string, type: Scalar.Type): string {
  const doc = parse(text)
  visit(doc, {
    Scalar(_k, n) {
      if (n.type === 'PLAIN' && NULLISH.has(String(n.value))) return
      if (type === 'QUOTE_SINGLE' && String(n.value).includes('\n')) return
      n.type = type
    },
  })
  return doc.toString()
}

/** Cosmetic rewrites: each returns the rewritten text, or undefined when it does not apply. */
const COSMETIC: Record<string, (text: string) => string | undefined> = {
  're-serialized': (t) => parse(t).toString(),
  'double-quoted scalars': (t) => requote(t, 'QUOTE_DOUBLE'),
  'single-quoted scalars': (t) => requote(t, 'QUOTE_SINGLE'),
  'flow style': (t) => (hasComments(t) ? undefined : parse(t).toString({ collectionStyle: 'flow' })),
  're-indented (4, sequences not indented)': (t) => parse(t).toString({ indent: 4, indentSeq: false }),
  'comments added': (t) =>
    `# added header\n\n${t
      .split(/\r?\n/)
      .map((l) => (/^\s*- /.test(l) && !/[[{]\s*$/.test(l) ? `${l.match(/^\s*/)![0]}# added comment\n${l}` : l))
      .join('\n')}\n# trailer\n`,
  'line endings swapped (LF ↔ CRLF)': (t) => (t.includes('\r\n') ? t.replace(/\r\n/g, '\n') : t.replace(/\n/g, '\r\n')),
  'BOM added': (t) => `\uFEFF${t}`,
  'conda dependency order reversed': (t) => {
    const doc = parse(t)
    const seq = depsSeq(doc)
    if (!seq) return undefined
    const scalars = seq.items.filter((i) => isScalar(i)).reverse()
    let k = 0
    seq.items = seq.items.map((i) => (isScalar(i) ? scalars[k++]! : i))
    return doc.toString()
  },
  'top-level key order reversed': (t) => {
    const doc = parse(t)
    if (!isMap(doc.contents)) return undefined
    doc.contents.items.reverse()
    return doc.toString()
  },
  'spaces around conda operators': (t) => {
    const doc = parse(t)
    for (const s of condaScalars(doc)) s.value = String(s.value).replace(/(>=|<=|==|!=)/g, ' $1 ')
    return doc.toString()
  },
  'pip extras reversed': (t) => {
    const doc = parse(t)
    let changed = false
    for (const seq of pipSeqs(doc))
      for (const s of seq.items)
        if (isScalar(s) && /^[A-Za-z0-9._-]+\[[^\]]+,[^\]]+\]/.test(String(s.value))) {
          s.value = String(s.value).replace(/\[([^\]]+)\]/, (_m, x: string) => `[${x.split(',').reverse().join(', ')}]`)
          changed = true
        }
    return changed ? doc.toString() : undefined
  },
}

/** Semantic edits of the document (via the yaml Document API), undefined when not applicable. */
const SEMANTIC: Record<string, (doc: Document) => boolean> = {
  'bump a pin': (doc) => {
    const s = condaScalars(doc).find((x) => /\d/.test(String(x.value)))
    if (!s) return false
    s.value = String(s.value).replace(/(\d)(?!.*\d)/, (d) => String((Number(d) + 1) % 10))
    return true
  },
  'change an operator': (doc) => {
    const s = condaScalars(doc).find((x) => /[=<>]/.test(String(x.value)))
    if (!s) return false
    const v = String(s.value)
    s.value = v.includes('==')
      ? v.replace('==', '=')
      : v.includes('>=')
        ? v.replace('>=', '>')
        : v.includes('=')
          ? v.replace('=', '==')
          : v.replace(/[<>]/, '$&=')
    return s.value !== v
  },
  'swap two channels': (doc) => {
    const c = channelsSeq(doc)
    if (!c || c.items.length < 2 || String((c.items[0] as Scalar).value) === String((c.items[1] as Scalar).value)) return false
    c.items = [c.items[1]!, c.items[0]!, ...c.items.slice(2)]
    return true
  },
  'add a dependency': (doc) => {
    const seq = depsSeq(doc)
    if (!seq) return false
    seq.items.push(doc.createNode('zzz-added-package>=1.0'))
    return true
  },
  'remove a dependency': (doc) => {
    const seq = depsSeq(doc)
    const i = seq?.items.findIndex((x) => isScalar(x)) ?? -1
    if (!seq || i < 0) return false
    const v = String((seq.items[i] as Scalar).value)
    if (condaScalars(doc).filter((s) => String(s.value).trim() === v.trim()).length > 1) return false
    seq.items.splice(i, 1)
    return true
  },
  'add channel:: prefix': (doc) => {
    const s = condaScalars(doc).find((x) => !String(x.value).includes('::'))
    if (!s) return false
    s.value = `conda-forge::${String(s.value).trim()}`
    return true
  },
  'move a pip entry': (doc) => {
    const seq = pipSeqs(doc).find((p) => p.items.length >= 2 && String((p.items[0] as Scalar).value) !== String((p.items[1] as Scalar).value))
    if (!seq) return false
    seq.items = [seq.items[1]!, seq.items[0]!, ...seq.items.slice(2)]
    return true
  },
  'add a pip entry': (doc) => {
    const seq = pipSeqs(doc)[0]
    if (!seq) return false
    seq.items.push(doc.createNode('zzz-added-pip==1.0'))
    return true
  },
}

describe('corpus', () => {
  it('has the files the README announces', () => {
    expect(existsSync(CORPUS), `the vendored corpus is missing: ${CORPUS}`).toBe(true)
    expect(files.length).toBeGreaterThanOrEqual(50)
  })

  it('is vendored byte for byte: the files SOURCES.tsv lists, line endings and final newlines kept', () => {
    const rows = readFileSync(path.join(CORPUS, 'SOURCES.tsv'), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t'))
    expect(rows.map((r) => r[0]).sort()).toEqual(files)
    for (const [file, repo, where, commit, features] of rows) {
      expect(repo, file).toMatch(/^[\w.-]+\/[\w.-]+$/)
      expect(where, file).toBeTruthy()
      expect(commit, file).toMatch(/^[0-9a-f]{40}$/)
      const bytes = readFileSync(path.join(CORPUS, file!), 'latin1')
      const crlf = (features ?? '').split(',').includes('crlf')
      expect(bytes.includes('\r\n'), `${file}: CRLF line endings ${crlf ? 'lost' : 'unexpected'} (.gitattributes keeps this folder -text)`).toBe(crlf)
    }
    const noFinalNewline = files.filter((f) => !readFileSync(path.join(CORPUS, f), 'latin1').endsWith('\n'))
    expect(noFinalNewline).toEqual([
      'AaltoSciComp__scicomp-docs__triton-examples-conda-r-tensorflow-cuda.yml',
      'UpperMoon0__LilyTheThird__environment-windows.yml',
      'airctic__icevision__environment-windows.yml',
    ])
  })

  describe.each(files.filter((f) => INVALID[f]))('%s (invalid)', (file) => {
    it('is a UserError with file and line', async () => {
      const text = readFileSync(path.join(CORPUS, file), 'utf8')
      const e = await userError(hashText(text, stubs(text)))
      expect(e.name).toBe('UserError')
      expect(e.message).toMatch(INVALID[file]!)
      expect(e.file).toMatch(/environment\.yml$/)
      expect(e.line).toBeGreaterThanOrEqual(1)
    })
  })

  describe.each(files.filter((f) => !INVALID[f]))('%s', (file) => {
    const text = readFileSync(path.join(CORPUS, file), 'utf8')
    const refs = stubs(text)
    let base: Awaited<ReturnType<typeof hashText>> | undefined
    const baseline = async () => (base ??= await hashText(text, refs))

    it('hashes in place (or needs only the requirement files it references)', async () => {
      const fp = await baseline()
      expect(fp.hash).toMatch(/^[0-9a-f]{64}$/)
      if (Object.keys(refs).length === 0) {
        expect((await fpFile(path.join(CORPUS, file))).document.dependencies).toEqual(fp.document.dependencies)
      } else {
        const e = await userError(fpFile(path.join(CORPUS, file)))
        expect(e.message).toMatch(/cannot be read: file not found/)
        expect(e.line).toBeGreaterThan(1)
      }
    })

    const cosmetic = Object.entries(COSMETIC).flatMap(([name, f]) => {
      const out = f(text)
      return out === undefined || out === text ? [] : [[name, out] as const]
    })
    it.each(cosmetic)('cosmetic: %s keeps the hash', async (_name, rewritten) => {
      expect((await hashText(rewritten, refs)).hash).toBe((await baseline()).hash)
    })

    const semantic = Object.entries(SEMANTIC).flatMap(([name, edit]) => {
      const doc = parse(text)
      if (!edit(doc)) return []
      return [[name, parse(text).toString(), doc.toString()] as const]
    })
    it.each(semantic)('semantic: %s changes the hash', async (_name, same, edited) => {
      const a = await hashText(same, refs)
      expect(a.hash).toBe((await baseline()).hash)
      expect((await hashText(edited, refs)).hash).not.toBe(a.hash)
    })

    it('semantic: target platform, Dockerfile and build-args change the hash', async () => {
      const h = (await baseline()).hash
      expect((await hashText(text, refs, { platforms: ['linux/arm64'] })).hash).not.toBe(h)
      const dir = tempDir('hash-corpus-')
      writeTree(path.join(dir, 'a', 'b'), { ...refs, 'environment.yml': text })
      const f = path.join(dir, 'a', 'b', 'environment.yml')
      const df = await fpFile(f, { baseDockerfile: { content: 'FROM scratch\n' } })
      expect(df.hash).not.toBe(h)
      expect((await fpFile(f, { baseDockerfile: { content: 'FROM scratch\n' }, buildArgs: ['X=1'] })).hash).not.toBe(df.hash)
    })
  })
})
