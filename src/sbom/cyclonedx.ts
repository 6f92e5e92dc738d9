// The SBOM of a base (CycloneDX 1.6 JSON), as the bundled template writes it into the base's
// last layer (templates/base.Dockerfile, "SBOM and lock"). The image has no Node, so the
// template's script is the one generator; here the action checks what it wrote before
// attaching those same bytes as a referrer: every purl must parse with packageurl-js and be
// in its canonical encoding, and the components rendered by @cyclonedx/cyclonedx-library from
// what was parsed must say exactly what the document says. Pure: bytes in, data out.

// The library's parts, not its front door: that loads its validators, whose schema files the bundle does not carry.
import * as Enums from '@cyclonedx/cyclonedx-library/Enums'
import * as Models from '@cyclonedx/cyclonedx-library/Models'
import * as Serialize from '@cyclonedx/cyclonedx-library/Serialize'
import * as Spec from '@cyclonedx/cyclonedx-library/Spec'
import { PackageURL } from 'packageurl-js'

export { EXPLICIT_FILE, LEFT_OUT_PROPERTY, PIP_LOCK_FILE, SBOM_FILE, SBOM_MEDIA_TYPE } from './files.js'
import { LEFT_OUT_PROPERTY } from './files.js'

/** Most components accepted (a real environment has hundreds). */
const MAX_COMPONENTS = 50_000
const MAX_FIELD = 1026
const MAX_LEFT_OUT = 50

export interface SbomComponent {
  readonly kind: 'conda' | 'pypi'
  readonly name: string
  readonly version: string
  readonly purl: string
  /** Qualifiers of a conda purl: build, channel, subdir. */
  readonly qualifiers: Readonly<Record<string, string>>
  /** `MD5` / `SHA-256` → hex. */
  readonly hashes: Readonly<Record<string, string>>
  readonly license?: string
}

export interface ParsedSbom {
  readonly components: readonly SbomComponent[]
  /** What the template left out, each `<record file>: <why>` (at most MAX_LEFT_OUT). */
  readonly leftOut: readonly string[]
}

const HASH_LENGTH: Readonly<Record<string, number>> = { MD5: 32, 'SHA-256': 64 }

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_FIELD

function hashesOf(v: unknown): Record<string, string> | string {
  if (v === undefined) return {}
  if (!Array.isArray(v)) return 'hashes is not a list'
  const out: Record<string, string> = {}
  for (const h of v) {
    const alg = isObject(h) ? h.alg : undefined
    const content = isObject(h) ? h.content : undefined
    if (typeof alg !== 'string' || !(alg in HASH_LENGTH) || typeof content !== 'string') return 'a hash is not MD5 or SHA-256'
    if (content.length !== HASH_LENGTH[alg] || /[^0-9a-f]/.test(content)) return `its ${alg} is not ${HASH_LENGTH[alg]} hex digits`
    out[alg] = content
  }
  return out
}

function licenseOf(v: unknown): string | undefined | { bad: string } {
  if (v === undefined) return undefined
  const l = Array.isArray(v) && v.length === 1 && isObject(v[0]) && isObject(v[0].license) ? v[0].license.name : undefined
  return str(l) ? l : { bad: 'licenses is not one named licence' }
}

/** One component, or why it is not one the template writes. */
export function parseComponent(c: unknown): SbomComponent | string {
  if (!isObject(c)) return 'not an object'
  const { name, version, purl } = c
  if (c.type !== 'library' || !str(name) || !str(version) || !str(purl)) return 'not a library with a name, a version and a purl'
  if (c['bom-ref'] !== purl) return 'its bom-ref is not its purl'
  let p: PackageURL
  try {
    p = PackageURL.fromString(purl)
  } catch (e) {
    return `its purl does not parse (${(e as Error).message})`
  }
  if (p.type !== 'conda' && p.type !== 'pypi') return `its purl is of type ${p.type}`
  if (p.toString() !== purl) return 'its purl is not in the canonical encoding'
  const expected = p.type === 'pypi' ? name.toLowerCase().replace(/_/g, '-') : name
  if (p.name !== expected || p.version !== version || p.namespace) return 'its purl does not name it'
  const hashes = hashesOf(c.hashes)
  if (typeof hashes === 'string') return hashes
  const license = licenseOf(c.licenses)
  if (typeof license === 'object') return license.bad
  const qualifiers = { ...(p.qualifiers ?? {}) } as Record<string, string>
  return { kind: p.type, name, version, purl, qualifiers, hashes, ...(license ? { license } : {}) }
}

/** The components as @cyclonedx/cyclonedx-library renders them (CycloneDX 1.6 JSON), keyed by purl. */
function libraryRendering(components: readonly SbomComponent[]): Map<string, Json> {
  const bom = new Models.Bom()
  for (const s of components) {
    const c = new Models.Component(Enums.ComponentType.Library, s.name, { version: s.version, purl: s.purl })
    c.bomRef.value = s.purl
    for (const [alg, content] of Object.entries(s.hashes)) c.hashes.set(alg as Enums.HashAlgorithm, content)
    if (s.license) c.licenses.add(new Models.NamedLicense(s.license))
    bom.components.add(c)
  }
  const json = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6)).serialize(bom)
  const out = new Map<string, Json>()
  for (const c of (JSON.parse(json) as { components?: Json[] }).components ?? []) out.set(String(c.purl), c)
  return out
}

function agrees(s: SbomComponent, rendered: Json | undefined): boolean {
  if (!rendered || rendered.name !== s.name || rendered.version !== s.version || rendered['bom-ref'] !== s.purl) return false
  const hashes: Record<string, unknown> = Object.fromEntries(((rendered.hashes ?? []) as Json[]).map((h): [string, unknown] => [String(h.alg), h.content]))
  if (JSON.stringify(Object.entries(hashes).sort()) !== JSON.stringify(Object.entries(s.hashes).sort())) return false
  const lic = (rendered.licenses as { license?: { name?: string } }[] | undefined)?.[0]?.license?.name
  return lic === s.license
}

function leftOutOf(metadata: unknown): string[] {
  const props = isObject(metadata) && Array.isArray(metadata.properties) ? metadata.properties : []
  return props
    .filter((p): p is Json => isObject(p) && p.name === LEFT_OUT_PROPERTY && typeof p.value === 'string')
    .slice(0, MAX_LEFT_OUT)
    .map((p) => (p.value as string).slice(0, 300))
}

/** The SBOM's components and what it says was left out, or why it is not a CycloneDX 1.6 SBOM of the template. */
export function parseSbom(bytes: Buffer): ParsedSbom | { readonly invalid: string } {
  let doc: unknown
  try {
    doc = JSON.parse(bytes.toString('utf8'))
  } catch {
    return { invalid: 'it is not JSON' }
  }
  if (!isObject(doc) || doc.bomFormat !== 'CycloneDX' || doc.specVersion !== '1.6') return { invalid: 'it is not a CycloneDX 1.6 document' }
  const list = doc.components ?? []
  if (!Array.isArray(list) || list.length > MAX_COMPONENTS) return { invalid: `components is not a list of at most ${MAX_COMPONENTS}` }
  const components: SbomComponent[] = []
  const seen = new Set<string>()
  for (const [i, c] of list.entries()) {
    const parsed = parseComponent(c)
    if (typeof parsed === 'string') return { invalid: `component ${i + 1}: ${parsed}` }
    if (seen.has(parsed.purl)) return { invalid: `component ${i + 1}: a second ${parsed.purl}` }
    seen.add(parsed.purl)
    components.push(parsed)
  }
  const rendered = libraryRendering(components)
  const differs = components.find((c) => !agrees(c, rendered.get(c.purl)))
  if (differs) return { invalid: `${differs.purl} is not what the CycloneDX library renders for it` }
  return { components, leftOut: leftOutOf(doc.metadata) }
}
