// Platform selectors (conda-build / conda-lock style `# [linux64]`, `# [osx and arm64]`, and
// micromamba's `sel(linux): dep`) evaluated for a conda subdir, and docker platforms mapped
// to conda subdirs.
//
// The evaluation is three-valued: a selector that uses anything other than the platform
// names below (`py<38`, `test`, `cuda`) is "unknown" for that subdir and the entry is kept,
// with its selector, so that the hash stays sensitive to it ("when unsure, prefer a rebuild").

/** Docker platform (`os/arch[/variant]`) → conda subdir; undefined when conda has none. */
export function subdirOf(platform: string): string | undefined {
  const [os = '', arch = '', variant = ''] = platform.trim().toLowerCase().split('/')
  const conda = os === 'darwin' ? 'osx' : os === 'windows' ? 'win' : os === 'linux' ? 'linux' : undefined
  if (!conda) return undefined
  switch (arch) {
    case 'amd64':
    case 'x86_64':
      return `${conda}-64`
    case '386':
      return conda === 'osx' ? undefined : `${conda}-32`
    case 'arm64':
    case 'aarch64':
      return conda === 'linux' ? 'linux-aarch64' : `${conda}-arm64`
    case 'arm':
      if (conda !== 'linux') return undefined
      return variant === 'v6' ? 'linux-armv6l' : 'linux-armv7l'
    case 'ppc64le':
    case 's390x':
    case 'riscv64':
      return conda === 'linux' ? `linux-${arch}` : undefined
    default:
      return undefined
  }
}

/** The selector names that are true on a subdir; every other platform name is false there. */
function truths(subdir: string): Set<string> {
  const [os = '', arch = ''] = subdir.split('-')
  const t = new Set<string>()
  if (os === 'linux' || os === 'osx' || os === 'win') t.add(os)
  if (os === 'linux' || os === 'osx') t.add('unix')
  if (os === 'emscripten') t.add('emscripten')
  if (arch === '64') {
    t.add('x86').add('x86_64').add(`${os}64`)
    if (os === 'win') t.add('win64')
  }
  if (arch === '32') t.add('x86').add(`${os}32`)
  if (arch === 'aarch64') t.add('aarch64').add('arm64')
  if (arch === 'arm64') t.add('arm64').add('aarch64')
  if (arch === 'armv6l') t.add('armv6l').add('arm')
  if (arch === 'armv7l') t.add('armv7l').add('arm')
  for (const a of ['ppc64le', 's390x', 'riscv64', 'wasm32']) if (arch === a) t.add(a)
  return t
}

/** Every platform name a selector may use; anything else makes the selector "unknown". */
const PLATFORM_NAMES = new Set([
  'linux',
  'osx',
  'win',
  'unix',
  'emscripten',
  'linux32',
  'linux64',
  'osx64',
  'win32',
  'win64',
  'x86',
  'x86_64',
  'aarch64',
  'arm64',
  'arm',
  'armv6l',
  'armv7l',
  'ppc64le',
  's390x',
  'riscv64',
  'wasm32',
])

export type Tri = boolean | 'unknown'

/**
 * Evaluates a selector expression (`linux`, `osx and arm64`, `not win`, `(linux or osx) and
 * not aarch64`) on a subdir. Comparisons, calls and unknown names yield 'unknown'.
 */
/** Longer selectors are not evaluated (the parser recurses; real selectors are a few words). */
const MAX_SELECTOR = 256

export function evalSelector(expr: string, subdir: string): Tri {
  if (subdir.startsWith('unknown:') || expr.length > MAX_SELECTOR) return 'unknown'
  const toks = expr.match(/\(|\)|[A-Za-z_][A-Za-z0-9_]*|[^\s()A-Za-z_]+/g) ?? []
  const t = truths(subdir)
  let i = 0
  let bad = false
  const peek = () => toks[i]
  const orExpr = (): Tri => {
    let v = andExpr()
    while (peek() === 'or') {
      i++
      const r = andExpr()
      v = v === true || r === true ? true : v === 'unknown' || r === 'unknown' ? 'unknown' : false
    }
    return v
  }
  const andExpr = (): Tri => {
    let v = notExpr()
    while (peek() === 'and') {
      i++
      const r = notExpr()
      v = v === false || r === false ? false : v === 'unknown' || r === 'unknown' ? 'unknown' : true
    }
    return v
  }
  const notExpr = (): Tri => {
    if (peek() === 'not') {
      i++
      const v = notExpr()
      return v === 'unknown' ? 'unknown' : !v
    }
    return atom()
  }
  const atom = (): Tri => {
    const tok = toks[i++]
    if (tok === '(') {
      const v = orExpr()
      if (toks[i++] !== ')') bad = true
      return v
    }
    if (tok === undefined || !/^[A-Za-z_]/.test(tok) || tok === 'and' || tok === 'or') {
      bad = true
      return 'unknown'
    }
    // `py < 38`, `name(…)`: swallow the rest of the comparison / call as unknown
    if (toks[i] !== undefined && /^[^\s()A-Za-z_]/.test(toks[i]!)) {
      i++
      if (toks[i] !== undefined && toks[i] !== ')' && toks[i] !== 'and' && toks[i] !== 'or') i++
      return 'unknown'
    }
    if (toks[i] === '(') {
      bad = true
      return 'unknown'
    }
    if (!PLATFORM_NAMES.has(tok)) return 'unknown'
    return t.has(tok)
  }
  const v = orExpr()
  if (bad || i < toks.length) return 'unknown'
  return v
}

/**
 * A conda-build selector at the end of a comment: `[linux]`, `pinned [osx and arm64]`. The
 * bracket must start the comment or follow a space: `# needed for sphinx-gallery[parallel]`
 * mentions pip extras, it is not a selector.
 */
export function selectorOfComment(comment: string | undefined): string | undefined {
  if (!comment) return undefined
  const m = /(?:^|\s)\[([^[\]]+)\]\s*$/.exec(comment)
  return m ? m[1]!.trim().replace(/\s+/g, ' ') : undefined
}

/** micromamba's `sel(expr)` mapping key → expr. */
export function selectorOfKey(key: string): string | undefined {
  const m = /^sel\((.*)\)$/.exec(key.trim())
  return m ? m[1]!.trim().replace(/\s+/g, ' ') : undefined
}
