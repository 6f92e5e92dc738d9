// Through the bundled action, the real registry (Distribution: no referrers API, so the
// referrers tag schema) and BuildKit, with the stand-in micromamba (__fixtures__/
// micromamba-standin: NOT micromamba; it writes conda-meta records and, for pip entries,
// the *.dist-info directories pip leaves):
// - the pushed base's referrers list one CycloneDX SBOM per platform manifest whose
//   components are exactly the image's conda-meta records (purls checked with packageurl-js,
//   a hostile package name included) and its pip distributions; `explicit.txt` lists every
//   conda package with a hash; the outputs `sbom` and `lock` name them;
// - a reuse finds the dated tag among the referrer tags and names the same SBOM;
// - retention deleting the base leaves none of its referrers, a referrer of the SBOM (a
//   signature the test attaches to the SBOM artifact, as cosign or notation would) included;
//   the lookup and the size trend ignore both levels' referrers tags.

import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PackageURL } from 'packageurl-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, succeeded } from '../__fixtures__/action-runner.js'
import { BUSYBOX, REGISTRY, epochOf, getManifest, listTags, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'
import { e2eSuite } from '../__fixtures__/e2e-suite.js'
import { pushStandin } from '../__fixtures__/standin.js'
import { pushTwoPlatformBusybox } from '../__fixtures__/multiplat.js'
import { parseSbom } from '../src/sbom/cyclonedx.js'
import { parseImageName } from '../src/image/reference.js'
import { RegistryClient } from '../src/registry/index.js'
import { attachArtifact } from '../src/registry/referrers.js'

const SBOM = 'application/vnd.cyclonedx+json'
const HOSTILE = 'na?me@x+y'
const ENV = [
  'channels: [conda-forge]',
  'dependencies:',
  '  - python=3.12',
  '  - numpy=1.26=py_0',
  `  - "${HOSTILE}=1.0"`,
  '  - pip',
  '  - pip:',
  '    - Typing_Extensions==4.9.0',
  '    - requests',
  '',
].join('\n')

interface Record_ {
  name: string
  version: string
  build: string
  channel: string
  subdir: string
  url: string
  sha256: string
}

/** The files of the base image under `dir` (docker create + docker cp: nothing runs). */
function copyOut(ref: string, dir: string, dest: string): string {
  const id = execFileSync('docker', ['create', ref, 'true'], { encoding: 'utf8' }).trim()
  try {
    execFileSync('docker', ['cp', `${id}:${dir}`, dest], { stdio: 'pipe' })
  } finally {
    execFileSync('docker', ['rm', '-f', id], { stdio: 'pipe' })
  }
  return path.join(dest, path.basename(dir))
}

async function blob(repo: string, digest: string): Promise<Buffer> {
  const r = await fetch(`http://${REGISTRY}/v2/${repo}/blobs/${digest}`)
  if (!r.ok) throw new Error(`blob ${digest}: HTTP ${r.status}`)
  return Buffer.from(await r.arrayBuffer())
}

/** The image manifests of a pushed tag (attestations left out). */
async function platformManifests(repo: string, tag: string): Promise<string[]> {
  const m = (await getManifest(repo, tag))!
  if (!m.body.manifests) return [m.digest]
  return m.body.manifests.filter((d) => d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest').map((d) => d.digest)
}

describe('the base SBOM as an OCI referrer (stand-in micromamba, bundled template)', () => {
  const suite = e2eSuite('sbomref', { standin: pushStandin })
  const { repo, image } = suite

  const run = (environment: string, day: string, extra: Record<string, string> = {}) => {
    writeFileSync(path.join(suite.ws, 'environment.yml'), environment)
    const inputs = { image, 'base-build-args': `MICROMAMBA_IMAGE=${suite.standin.ref}\nRUNTIME_IMAGE=${BUSYBOX}`, ...extra }
    return runAction(inputs, { cwd: suite.ws, env: { SOURCE_DATE_EPOCH: epochOf(day) } })
  }

  it('attaches the SBOM of the image’s records; reuse names it; retention deletes it with the base', async () => {
    const first = succeeded(await run(ENV, '2026-11-20'))
    expect(first.outputs['base-reused']).toBe('false')
    const tag = first.outputs['base-tag']!
    expect(first.outputs.lock).toBe('/opt/conda/etc/conda-image-action/explicit.txt')
    expect(first.outputs.sbom).toMatch(new RegExp(`^${image.replace(/[.]/g, '\\.')}@sha256:[a-f0-9]{64}$`))
    // one warning, naming the record: the hostile name is encoded in its purl, but its URL (a `?` in
    // the file name) is not a package URL, so it is left out of explicit.txt
    // (only the SBOM's: a loaded machine may add a registry retry's warning)
    const warnings = first.annotations.filter((a) => a.level === 'warning' && /SBOM|conda-meta|left out/.test(a.message)).map((a) => a.message)
    expect(warnings).toEqual([
      expect.stringMatching(/leave out 1 conda-meta record\(s\) or field\(s\) .*: na\?me@x\+y-1\.0-0_standin\.json: left out of explicit\.txt: no usable url/),
    ])

    // the job summary says what was attached: the artifact by digest, its components, where the lock is
    expect(first.summary).toContain(
      `| SBOM | 📄 CycloneDX, attached to the base as an OCI referrer: \`${first.outputs.sbom}\` — 4 conda and 2 pip components; lock \`/opt/conda/etc/conda-image-action/explicit.txt\` in the base image |`,
    )
    // the referrers tag schema: one CycloneDX artifact per platform manifest, the one of the output among them
    const subjects = await platformManifests(repo, tag)
    expect(subjects).toHaveLength(1)
    const referrersTag = subjects[0]!.replace(':', '-')
    const index = (await getManifest(repo, referrersTag))!
    expect(index.body.mediaType).toBe('application/vnd.oci.image.index.v1+json')
    const listed = index.body.manifests as unknown as { digest: string; artifactType: string }[]
    expect(listed.map((d) => d.artifactType)).toEqual([SBOM])
    expect(first.outputs.sbom).toBe(`${image}@${listed[0]!.digest}`)
    const artifact = (await getManifest(repo, listed[0]!.digest))!.body as unknown as {
      artifactType: string
      subject: { digest: string }
      layers: { mediaType: string; digest: string }[]
    }
    expect(artifact.artifactType).toBe(SBOM)
    expect(artifact.subject.digest).toBe(subjects[0])
    expect(artifact.layers.map((l) => l.mediaType)).toEqual([SBOM])
    const sbomBytes = await blob(repo, artifact.layers[0]!.digest)
    const sbom = parseSbom(sbomBytes)
    if ('invalid' in sbom) throw new Error(sbom.invalid)

    // the image's own records and dist-infos, read out of the base
    const out = mkdtempSync(path.join(os.tmpdir(), 'sbomref-out-'))
    try {
      const baseRef = `${image}:${tag}`
      execFileSync('docker', ['pull', '-q', baseRef], { stdio: 'pipe' })
      const meta = copyOut(baseRef, '/opt/conda/conda-meta', out)
      const records = readdirSync(meta)
        .filter((f) => f.endsWith('.json'))
        .map((f) => JSON.parse(readFileSync(path.join(meta, f), 'utf8')) as Record_)
      expect(records.map((r) => r.name).sort()).toEqual([HOSTILE, 'numpy', 'pip', 'python'].sort())
      const expected = records.map((r) =>
        new PackageURL('conda', undefined, r.name, r.version, { build: r.build, channel: r.channel, subdir: r.subdir }, undefined).toString(),
      )
      const conda = sbom.components.filter((c) => c.kind === 'conda')
      expect(conda.map((c) => c.purl).sort()).toEqual(expected.sort())
      // the purl spec's encoding: `?`, `@` and `+` of the name percent-encoded, and it parses back to the name
      const hostile = conda.find((c) => c.name === HOSTILE)!
      expect(hostile.purl).toMatch(/^pkg:conda\/na%3Fme%40x%2By@1\.0\?/)
      expect(PackageURL.fromString(hostile.purl).name).toBe(HOSTILE)
      for (const c of conda) expect(c.hashes['SHA-256']).toBe(records.find((r) => r.name === c.name)!.sha256)

      const sp = copyOut(baseRef, '/opt/conda/lib/python3.12/site-packages', out)
      const dists = readdirSync(sp).filter((d) => d.endsWith('.dist-info'))
      expect(dists.sort()).toEqual(['Typing_Extensions-4.9.0.dist-info', 'requests-1.0.dist-info'])
      const pypi = sbom.components.filter((c) => c.kind === 'pypi')
      expect(pypi.map((c) => c.purl).sort()).toEqual(['pkg:pypi/requests@1.0', 'pkg:pypi/typing-extensions@4.9.0'])
      for (const c of pypi) expect(PackageURL.fromString(c.purl).type).toBe('pypi')

      // the SBOM in the image is the one attached; explicit.txt lists every conda package with its hash
      const dir = copyOut(baseRef, '/opt/conda/etc/conda-image-action', out)
      expect(readFileSync(path.join(dir, 'sbom.cdx.json')).equals(sbomBytes)).toBe(true)
      const lines = readFileSync(path.join(dir, 'explicit.txt'), 'utf8').split('\n')
      expect(lines).toContain('@EXPLICIT')
      const urls = lines.filter((l) => /^[a-z]+:\/\//.test(l))
      const usable = records.filter((r) => r.name !== HOSTILE)
      expect(urls.sort()).toEqual(usable.map((r) => `${r.url}#sha256:${r.sha256}`).sort())
    } finally {
      rmSync(out, { recursive: true, force: true })
      execFileSync('docker', ['image', 'rm', '-f', `${image}:${tag}`], { stdio: 'pipe' })
    }

    // a second-level referrer: a signature attached to the SBOM artifact (the tag schema: the tag sha256-<SBOM artifact>)
    const client = new RegistryClient({ log: { debug: () => undefined, warning: () => undefined, setSecret: () => undefined } })
    let signature: string
    try {
      const sbomArtifact = (await getManifest(repo, listed[0]!.digest))!
      const signed = await attachArtifact(
        client,
        parseImageName(image),
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sbomArtifact.digest, size: Buffer.byteLength(JSON.stringify(sbomArtifact.body)) },
        {
          artifactType: 'application/vnd.example.signature.v1+json',
          mediaType: 'application/vnd.example.signature.v1+json',
          bytes: Buffer.from('{"sig":"x"}'),
        },
      )
      expect(signed.via).toBe('tag')
      signature = signed.digest
    } finally {
      client.close()
    }
    const signatureTag = listed[0]!.digest.replace(':', '-')
    expect((await listTags(repo)).filter((t) => t.startsWith('sha256-')).sort()).toEqual([referrersTag, signatureTag].sort())

    // reuse: the lookup picks the dated tag among the referrer tags of both levels, and names the SBOM attached
    const again = succeeded(await run(ENV, '2026-11-21'))
    expect(again.outputs['base-reused']).toBe('true')
    expect(again.outputs['base-tag']).toBe(tag)
    expect(again.outputs.sbom).toBe(first.outputs.sbom)
    expect(again.outputs.lock).toBe(first.outputs.lock)
    expect(again.summary).not.toMatch(/sha256-[a-f0-9]{64}/)
    // a reuse attached nothing, and says nothing of it
    expect(again.summary).not.toMatch(/^\| SBOM \|/m)

    // retention: the base is rebuilt (older than max-age) and the old one pruned (keep the newest only)
    const newer = succeeded(await run(ENV, '2026-11-30', { 'max-age': '3d', prune: 'true', 'keep-latest': '1', 'keep-days': '0' }))
    expect(newer.outputs['base-reused']).toBe('false')
    expect(newer.outputs['base-tag']).not.toBe(tag)
    const tags = await listTags(repo)
    expect(tags).not.toContain(tag)
    expect(tags).not.toContain(referrersTag)
    expect(tags).not.toContain(signatureTag)
    expect(await getManifest(repo, listed[0]!.digest)).toBeUndefined()
    expect(await getManifest(repo, signature)).toBeUndefined()
    // each deletion logged, the signature after its subject (the SBOM); the size trend names no referrers tag
    const log = newer.stdout
    const sbomLine = log.indexOf(`deleted the referrer ${listed[0]!.digest} of ${subjects[0]}`)
    const sigLine = log.indexOf(`deleted the referrer ${signature} of ${listed[0]!.digest}`)
    expect(sbomLine).toBeGreaterThan(-1)
    expect(sigLine).toBeGreaterThan(sbomLine)
    expect(log).toContain(`deleted the referrers index`)
    expect(newer.summary).not.toMatch(/sha256-[a-f0-9]{64}/)
    // the new base keeps its own
    const newSubject = (await platformManifests(repo, newer.outputs['base-tag']!))[0]!
    expect(tags).toContain(newSubject.replace(':', '-'))
    expect(newer.outputs.sbom).toMatch(/@sha256:/)
  })
})

// A custom base Dockerfile that follows the contract (the size manifest label, and the SBOM
// next to the size manifest in the last layer), built for two platforms in one job; and one
// that does not. No RUN steps: arm64 is never executed here (see __fixtures__/multiplat.ts).
describe('a custom base that follows the contract, two platforms; one that does not', () => {
  const repo = uniqueRepo('sbomcustom')
  const fromRepo = uniqueRepo('sbomcustom-from')
  const image = `${REGISTRY}/${repo}`
  const purl = 'pkg:conda/zlib@1.3.1?build=h4ab18f5_1&channel=conda-forge&subdir=linux-64'
  const doc = JSON.stringify({
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    components: [{ type: 'library', 'bom-ref': purl, name: 'zlib', version: '1.3.1', purl }],
  })
  let ws: string
  let from: string

  beforeAll(async () => {
    await requireStack()
    from = await pushTwoPlatformBusybox(fromRepo)
    ws = mkdtempSync(path.join(os.tmpdir(), 'ws-sbomcustom-'))
    writeFileSync(path.join(ws, 'environment.yml'), 'channels: [conda-forge]\ndependencies: [zlib=1.3.1]\n')
    mkdirSync(path.join(ws, 'cia'))
    writeFileSync(path.join(ws, 'cia', 'sizes.json'), '{"version":1,"packages":[{"name":"zlib","version":"1.3.1","size":1000}]}\n')
    writeFileSync(path.join(ws, 'cia', 'sbom.cdx.json'), doc)
    writeFileSync(path.join(ws, 'cia', 'explicit.txt'), '@EXPLICIT\n')
    const common = 'ARG BASE_FROM\nFROM ${BASE_FROM}\nARG ENVIRONMENT_FILE=environment.yml\nCOPY ${ENVIRONMENT_FILE} /opt/conda/environment.yml\n'
    writeFileSync(
      path.join(ws, 'contract.Dockerfile'),
      `${common}COPY cia/ /opt/conda/etc/conda-image-action/\nLABEL io.github.conda-image-action.size-manifest=/opt/conda/etc/conda-image-action/sizes.json\n`,
    )
    writeFileSync(path.join(ws, 'plain.Dockerfile'), common)
    writeFileSync(
      path.join(ws, 'matrix.Dockerfile'),
      `${common}ENV MATRIX=1\n${readFileSync(path.join(ws, 'contract.Dockerfile'), 'utf8').slice(common.length)}`,
    )
  })
  afterAll(async () => {
    await removeRepo(repo)
    await removeRepo(fromRepo)
    if (ws) rmSync(ws, { recursive: true, force: true })
  })

  it('each platform manifest gets its SBOM; `sbom` names the first platform’s; without the contract, nothing and no warning', async () => {
    const inputs = { image, platforms: 'linux/amd64,linux/arm64', 'base-build-args': `BASE_FROM=${from}` }
    const r = succeeded(
      await runAction({ ...inputs, 'base-dockerfile': 'contract.Dockerfile' }, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-20') } }),
    )
    const top = (await getManifest(repo, r.outputs['base-tag']!))!
    const images = top.body.manifests!.filter((d) => d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')
    expect(images.map((d) => `${d.platform!.os}/${d.platform!.architecture}`).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    const artifacts: Record<string, string> = {}
    for (const d of images) {
      const index = (await getManifest(repo, d.digest.replace(':', '-')))!
      const listed = index.body.manifests as unknown as { digest: string; artifactType: string }[]
      expect(listed.map((x) => x.artifactType)).toEqual([SBOM])
      const artifact = (await getManifest(repo, listed[0]!.digest))!.body as unknown as { subject: { digest: string }; layers: { digest: string }[] }
      expect(artifact.subject.digest).toBe(d.digest)
      expect((await blob(repo, artifact.layers[0]!.digest)).toString()).toBe(doc)
      artifacts[`${d.platform!.os}/${d.platform!.architecture}`] = listed[0]!.digest
    }
    expect(r.outputs.sbom).toBe(`${image}@${artifacts['linux/amd64']}`)
    expect(r.outputs.lock).toBe('/opt/conda/etc/conda-image-action/explicit.txt')
    expect(r.annotations.filter((a) => a.level === 'warning')).toEqual([])

    const before = (await listTags(repo)).filter((t) => t.startsWith('sha256-'))
    const plain = succeeded(
      await runAction({ ...inputs, 'base-dockerfile': 'plain.Dockerfile' }, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-21') } }),
    )
    expect(plain.outputs['base-reused']).toBe('false')
    expect(plain.outputs.sbom ?? '').toBe('')
    expect(plain.outputs.lock ?? '').toBe('')
    expect(plain.annotations.filter((a) => a.level === 'warning')).toEqual([])
    expect((await listTags(repo)).filter((t) => t.startsWith('sha256-'))).toEqual(before)
  })

  it('a matrix: each job attaches its platform’s SBOM and names it; the merge names the first platform’s', async () => {
    const inputs = { image, platforms: 'linux/amd64,linux/arm64', 'base-build-args': `BASE_FROM=${from}`, 'base-dockerfile': 'matrix.Dockerfile' }
    const env = { SOURCE_DATE_EPOCH: epochOf('2026-11-22') }
    const amd = succeeded(await runAction({ ...inputs, 'build-platforms': 'linux/amd64' }, { cwd: ws, env }))
    const arm = succeeded(await runAction({ ...inputs, 'build-platforms': 'linux/arm64' }, { cwd: ws, env }))
    const merged = succeeded(await runAction({ ...inputs, mode: 'merge' }, { cwd: ws, env }))
    const top = (await getManifest(repo, merged.outputs['base-tag']!))!
    const byPlatform: Record<string, string> = {}
    for (const d of top.body.manifests!.filter((x) => x.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')) {
      const listed = (await getManifest(repo, d.digest.replace(':', '-')))!.body.manifests as unknown as { digest: string; artifactType: string }[]
      expect(listed.map((x) => x.artifactType)).toEqual([SBOM])
      byPlatform[`${d.platform!.os}/${d.platform!.architecture}`] = `${image}@${listed[0]!.digest}`
    }
    expect(amd.outputs.sbom).toBe(byPlatform['linux/amd64'])
    expect(arm.outputs.sbom).toBe(byPlatform['linux/arm64'])
    expect(merged.outputs.sbom).toBe(byPlatform['linux/amd64'])
    expect(merged.outputs.lock).toBe('/opt/conda/etc/conda-image-action/explicit.txt')
  })
})
