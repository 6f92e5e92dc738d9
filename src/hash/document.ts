// Assembling the canonical document from its parts, and reading one back from a label.
// Pure functions.

import { gunzipSync, gzipSync } from 'node:zlib'
import { HASH_SCHEME } from '../vocabulary/constants.js'
import { canonicalJson, sha256Hex } from './canonical.js'
import type { Selection } from './env.js'
import { subdirOf } from './selectors.js'
import type { ContextSection, EnvDocument, JsonValue, LockPackages, SourceKind, SubdirDeps } from './types.js'

/** When no platform is given, selectors are evaluated for this subdir (and the document says so). */
export const DEFAULT_SUBDIR = 'linux-64'

/** Target platforms as they go into the document: trimmed, unique, sorted (order does not change any image). */
export function normalizePlatforms(platforms: readonly string[]): string[] {
  return [...new Set(platforms.map((p) => p.trim()).filter((p) => p !== ''))].sort()
}

/** Conda subdirs of the targets; an unknown platform gives `unknown:<platform>` (all selectors unknown there). */
export function targetSubdirs(platforms: readonly string[]): { subdirs: string[]; assumed: boolean } {
  if (platforms.length === 0) return { subdirs: [DEFAULT_SUBDIR], assumed: true }
  return { subdirs: [...new Set(platforms.map((p) => subdirOf(p) ?? `unknown:${p}`))].sort(), assumed: false }
}

export interface DocumentParts {
  readonly source: SourceKind
  readonly name?: string
  readonly channels?: readonly string[]
  readonly selection?: Selection
  readonly variables?: Readonly<Record<string, string | null>>
  readonly extra?: Readonly<Record<string, JsonValue>>
  readonly packages?: Readonly<Record<string, LockPackages>>
  readonly files?: Readonly<Record<string, string>>
  readonly local?: Readonly<Record<string, string>>
  readonly context?: ContextSection
  readonly pixi?: Readonly<Record<string, string>>
  readonly dockerfile: { readonly path?: string; readonly sha256: string }
  readonly buildArgs: readonly string[]
  readonly platforms: readonly string[]
  readonly subdirs: readonly string[]
  readonly subdirsAssumed: boolean
}

const nonEmpty = <T>(xs: readonly T[] | undefined): T[] | undefined => (xs && xs.length ? [...xs] : undefined)
const nonEmptyObj = <T>(o: Readonly<Record<string, T>> | undefined): Record<string, T> | undefined => (o && Object.keys(o).length ? { ...o } : undefined)

export function buildDocument(p: DocumentParts): EnvDocument {
  const doc: EnvDocument = {
    scheme: HASH_SCHEME,
    source: p.source,
    dockerfile: p.dockerfile.path === undefined ? { sha256: p.dockerfile.sha256 } : { path: p.dockerfile.path, sha256: p.dockerfile.sha256 },
    buildArgs: [...p.buildArgs],
    platforms: [...p.platforms],
    subdirs: [...p.subdirs],
  }
  if (p.subdirsAssumed) doc.subdirsAssumed = true
  if (p.name !== undefined) doc.name = p.name
  if (nonEmpty(p.channels)) doc.channels = [...p.channels!]
  if (p.selection) Object.assign(doc, dependencySections(p.selection, p.subdirs))
  const variables = nonEmptyObj(p.variables)
  if (variables) doc.variables = variables as Record<string, string>
  const extra = nonEmptyObj(p.extra)
  if (extra) doc.extra = extra
  const packages = nonEmptyObj(p.packages)
  if (packages) doc.packages = packages
  const files = nonEmptyObj(p.files)
  if (files) doc.files = files
  const local = nonEmptyObj(p.local)
  if (local) doc.local = local
  if (p.context) doc.context = { files: { ...p.context.files }, sha256: p.context.sha256 }
  if (p.pixi) doc.pixi = { ...p.pixi }
  return doc
}

/** Dependencies common to all targets at the top; what differs per subdir in `bySubdir`. */
function dependencySections(sel: Selection, subdirs: readonly string[]): Pick<EnvDocument, 'dependencies' | 'pip' | 'bySubdir' | 'excluded'> {
  const lists = subdirs.map((s) => sel.bySubdir.get(s)!)
  const sets = lists.map((l) => new Set(l.conda))
  const common = lists[0]!.conda.filter((spec) => sets.every((set) => set.has(spec)))
  const pipSame = lists.every((l) => l.pip.length === lists[0]!.pip.length && l.pip.every((e, i) => e === lists[0]!.pip[i]))
  const out: Pick<EnvDocument, 'dependencies' | 'pip' | 'bySubdir' | 'excluded'> = {}
  if (common.length) out.dependencies = common
  if (pipSame && lists[0]!.pip.length) out.pip = [...lists[0]!.pip]
  const commonSet = new Set(common)
  const by: Record<string, SubdirDeps> = {}
  subdirs.forEach((s, i) => {
    const own = lists[i]!.conda.filter((spec) => !commonSet.has(spec))
    const entry: SubdirDeps = {}
    if (own.length) entry.dependencies = own
    if (!pipSame) entry.pip = [...lists[i]!.pip]
    if (entry.dependencies || entry.pip) by[s] = entry
  })
  if (Object.keys(by).length) out.bySubdir = by
  if (sel.excluded.length) out.excluded = [...sel.excluded]
  return out
}

export function serialize(doc: EnvDocument): { json: string; hash: string } {
  const json = canonicalJson(doc)
  return { json, hash: sha256Hex(json) }
}

// ---------------------------------------------------------------------------------------
// Reading a document back from an image label

const isStr = (v: unknown): v is string => typeof v === 'string'
const isStrArr = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr)
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isStrRecord = (v: unknown, nullable = false): boolean => isObj(v) && Object.values(v).every((x) => isStr(x) || (nullable && x === null))
const isJson = (v: unknown): boolean => v === null || isStr(v) || (Array.isArray(v) && v.every(isJson)) || (isObj(v) && Object.values(v).every(isJson))
const SOURCES = new Set(['environment', 'explicit', 'conda-lock', 'spec-list', 'pixi'])

// The label value: the canonical JSON itself while it is small (readable with `docker
// inspect`), else `gz1:` + base64 of its gzip — one build argument must stay far below
// Linux's 128 KiB cap on a single argv string. Past MAX_DOCUMENT_LABEL even that is not
// written: the label carries `truncated:` and the document's hash, and a later run says the
// previous document is unavailable instead of what changed.

/** Documents up to this size are written as plain JSON. */
export const PLAIN_DOCUMENT_LABEL = 16 * 1024
/** Largest label value written. */
export const MAX_DOCUMENT_LABEL = 64 * 1024
const GZ_PREFIX = 'gz1:'
const TRUNCATED_PREFIX = 'truncated:'
/** Largest document a label may decompress to (guards against a hostile registry's gzip bomb). */
const MAX_DOCUMENT_JSON = 16 * 1024 * 1024

/** The value of the document label for `doc` (see above). */
export function encodeDocumentLabel(doc: EnvDocument): string {
  const json = canonicalJson(doc)
  if (json.length <= PLAIN_DOCUMENT_LABEL) return json
  const packed = `${GZ_PREFIX}${gzipSync(json, { level: 9 }).toString('base64')}`
  if (packed.length <= MAX_DOCUMENT_LABEL) return packed
  return `${TRUNCATED_PREFIX}sha256=${sha256Hex(json)} bytes=${Buffer.byteLength(json)}`
}

/** True when the label stands for a document too large to be kept in it. */
export function isTruncatedDocumentLabel(label: string): boolean {
  return label.startsWith(TRUNCATED_PREFIX)
}

function labelJson(label: string): string | undefined {
  if (!label.startsWith(GZ_PREFIX)) return label
  try {
    return gunzipSync(Buffer.from(label.slice(GZ_PREFIX.length), 'base64'), { maxOutputLength: MAX_DOCUMENT_JSON }).toString('utf8')
  } catch {
    return undefined
  }
}

/** The document of a label if it is ours (scheme v1, the expected shape; plain or `gz1:`), else undefined. */
export function parseDocumentLabel(label: string): EnvDocument | undefined {
  const json = labelJson(label)
  if (json === undefined) return undefined
  let v: unknown
  try {
    v = JSON.parse(json)
  } catch {
    return undefined
  }
  if (!isObj(v) || v.scheme !== HASH_SCHEME || !isStr(v.source) || !SOURCES.has(v.source)) return undefined
  if (!isObj(v.dockerfile) || !isStr(v.dockerfile.sha256) || (v.dockerfile.path !== undefined && !isStr(v.dockerfile.path))) return undefined
  if (!isStrArr(v.buildArgs) || !isStrArr(v.platforms) || !isStrArr(v.subdirs)) return undefined
  if (v.subdirsAssumed !== undefined && typeof v.subdirsAssumed !== 'boolean') return undefined
  if (v.name !== undefined && !isStr(v.name)) return undefined
  for (const k of ['channels', 'dependencies', 'pip', 'excluded'] as const) if (v[k] !== undefined && !isStrArr(v[k])) return undefined
  if (v.variables !== undefined && !isStrRecord(v.variables, true)) return undefined
  for (const k of ['files', 'local', 'pixi'] as const) if (v[k] !== undefined && !isStrRecord(v[k])) return undefined
  if (v.extra !== undefined && !(isObj(v.extra) && isJson(v.extra))) return undefined
  if (v.context !== undefined && !(isObj(v.context) && isStrRecord(v.context.files) && isStr(v.context.sha256))) return undefined
  if (v.condarc !== undefined && !isJson(v.condarc)) return undefined
  if (v.secrets !== undefined && !isStrArr(v.secrets)) return undefined
  if (v.bySubdir !== undefined) {
    if (!isObj(v.bySubdir)) return undefined
    for (const s of Object.values(v.bySubdir)) {
      if (!isObj(s) || (s.dependencies !== undefined && !isStrArr(s.dependencies)) || (s.pip !== undefined && !isStrArr(s.pip))) return undefined
    }
  }
  if (v.packages !== undefined) {
    if (!isObj(v.packages)) return undefined
    for (const p of Object.values(v.packages)) if (!isObj(p) || !isStrArr(p.items) || !isStr(p.sha256)) return undefined
  }
  return v as unknown as EnvDocument
}
