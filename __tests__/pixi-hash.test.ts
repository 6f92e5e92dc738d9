// The environment hash of pixi projects, on the real projects vendored under __fixtures__/pixi
// (lock formats 4 to 7): what `pixi install --locked -e <env>` installs on the target counts,
// and what the manifest adds to it (activation, system requirements, channels, features);
// cosmetic edits (comments, formatting, key order, tasks, other environments and platforms)
// keep the hash. Bad projects are one UserError with the file and line.

import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fc, it as fcIt } from '@fast-check/vitest'
import { afterAll, describe, expect, it } from 'vitest'
import { diffDocuments, fingerprint, type Fingerprint } from '../src/hash/index.js'
import { manifestParts, parsePixiManifest } from '../src/hash/pixi/pixi-manifest.js'
import { cleanupTemp, tempDir, userError, writeTree } from './hash-helpers.js'

const FIXTURES = path.join(import.meta.dirname, '..', '__fixtures__', 'pixi')
const PIXI_TEMPLATE = readFileSync(path.join(import.meta.dirname, '..', 'templates', 'pixi.Dockerfile'), 'utf8')

afterAll(cleanupTemp)

/** A copy of a vendored project in a fresh workspace, with `edit` applied to its files (relative path → new text). */
function project(name: string, edit: Record<string, (s: string) => string> = {}): string {
  const ws = tempDir('pixi-hash-')
  cpSync(path.join(FIXTURES, name), ws, { recursive: true })
  for (const [rel, f] of Object.entries(edit)) {
    const p = path.join(ws, rel)
    writeFileSync(p, f(readFileSync(p, 'utf8')))
  }
  return ws
}

function fpIn(ws: string, file: string, environment?: string, platforms: string[] = []): Promise<Fingerprint> {
  return fingerprint({
    environmentFile: path.join(ws, file),
    workspace: ws,
    baseDockerfile: { content: PIXI_TEMPLATE },
    buildArgs: [],
    platforms,
    ...(environment ? { pixiEnvironment: environment } : {}),
  })
}

const CASES = [
  { dir: 'docker-v4', manifest: 'pyproject.toml', env: 'default', version: 4 },
  { dir: 'docker-v6', manifest: 'pyproject.toml', env: 'prod', version: 6 },
  { dir: 'editable-with-extras-v5', manifest: 'pixi.toml', env: 'default', version: 5 },
  { dir: 'multi-machine-v7', manifest: 'pixi.toml', env: 'default', version: 7 },
] as const

describe('real pixi projects', () => {
  it.each(CASES)('$dir: the manifest or the lock as environment-file, the same hash; Fingerprint.pixi filled', async ({ dir, manifest, env, version }) => {
    const ws = project(dir)
    const byManifest = await fpIn(ws, manifest, env)
    const byLock = await fpIn(ws, 'pixi.lock', env)
    expect(byLock.hash).toBe(byManifest.hash)
    expect(byManifest.document.source).toBe('pixi')
    expect(byManifest.document.channels).toEqual(['https://conda.anaconda.org/conda-forge/'])
    expect(byManifest.document.pixi).toMatchObject({ environment: env, manifest })
    const linux = byManifest.document.packages!['linux-64']!
    expect(linux.items.length).toBeGreaterThan(10)
    expect(linux.items.some((i) => i.startsWith('conda:python='))).toBe(true)
    const px = byManifest.pixi!
    expect(px).toMatchObject({
      kind: 'pixi',
      manifest: path.join(ws, manifest),
      lock: path.join(ws, 'pixi.lock'),
      root: ws,
      lockVersion: version,
      environment: env,
    })
    expect(px.contextFiles).toContain(path.join(ws, manifest))
    expect(px.contextFiles).toContain(path.join(ws, 'pixi.lock'))
    // every context file was hashed (the template's context is assembled from these digests)
    for (const f of px.contextFiles) expect(byManifest.digests.get(f)).toMatch(/^[0-9a-f]{64}$/)
    expect(byManifest.warnings).toEqual([])
  })

  it('path sources: the project itself (`pypi: ./`) and a subdirectory, by content, in the build context', async () => {
    const v6 = (await fpIn(project('docker-v6'), 'pyproject.toml', 'prod')).pixi!
    expect(v6.pathSources).toEqual([expect.objectContaining({ kind: 'pypi', location: './', editable: false, project: true })])
    expect(v6.contextFiles.map((f) => path.relative(v6.root, f))).toEqual(['docker_project/__init__.py', 'pixi.lock', 'pyproject.toml'])
    const v5 = (await fpIn(project('editable-with-extras-v5'), 'pixi.toml')).pixi!
    expect(v5.pathSources).toEqual([expect.objectContaining({ location: './package_with_extras', editable: true, project: false })])
    expect(v5.contextFiles.map((f) => path.relative(v5.root, f))).toContain('package_with_extras/package_with_extras/hello.py')
  })

  it('version 7 named platforms: every platform of the target subdir is hashed', async () => {
    const fp = await fpIn(project('multi-machine-v7'), 'pixi.toml')
    expect(Object.keys(fp.document.packages!)).toEqual(['linux-64', 'linux-64:p2'])
    expect(fp.pixi!.platforms).toEqual([
      { subdir: 'linux-64', name: 'linux-64' },
      { subdir: 'linux-64', name: 'p2' },
    ])
  })
})

// Mutations of the docker-v6 project hashed for its `prod` environment on linux-64.
const V6 = 'docker-v6'
type Edit = Record<string, (s: string) => string>
const COSMETIC: Record<string, Edit> = {
  'manifest comments': { 'pyproject.toml': (s) => `# a new comment\n${s.replace('[tool.pixi.dependencies]', '[tool.pixi.dependencies]  # conda ones')}` },
  'manifest formatting': { 'pyproject.toml': (s) => s.replace('flask = ">=3.0.2,<3.1"', "flask   =   '>=3.0.2,<3.1'").replace(/\n/g, '\n\n') },
  'manifest key order': {
    'pyproject.toml': (s) =>
      s
        .replace('channels = ["conda-forge"]\nname = "docker-project"', 'name = "docker-project"\nchannels = ["conda-forge"]')
        .replace('flask = ">=3.0.2,<3.1"\ngunicorn = ">=21.2.0,<21.3"', 'gunicorn = ">=21.2.0,<21.3"\nflask = ">=3.0.2,<3.1"'),
  },
  'a task': { 'pyproject.toml': (s) => s.replace('[tool.pixi.tasks]', '[tool.pixi.tasks]\nlint = "ruff check ."') },
  'another environment': {
    'pyproject.toml': (s) =>
      s.replace('default = { features = ["test", "dev"]', 'default = { features = ["dev"]') + '\n[tool.pixi.feature.dev.activation]\nenv = { DEBUG = "1" }\n',
  },
  'another platform’s packages': { 'pixi.lock': (s) => s.replaceAll('osx-arm64/python-3.12', 'osx-arm64/python-3.13') },
  'lock metadata (timestamps, licenses)': { 'pixi.lock': (s) => s.replace(/timestamp: \d+/g, 'timestamp: 1').replace(/license: MIT\n/g, 'license: BSD\n') },
}
const SEMANTIC: Record<string, { edit: Edit; section: string }> = {
  'a package version': {
    edit: { 'pixi.lock': (s) => s.replaceAll('linux-64/bzip2-1.0.8-hda65f42_8.conda', 'linux-64/bzip2-1.0.9-hda65f42_8.conda') },
    section: 'packages',
  },
  'a package URL (same name and version)': {
    edit: {
      'pixi.lock': (s) =>
        s.replaceAll('https://conda.anaconda.org/conda-forge/linux-64/bzip2-1.0.8', 'https://mirror.example/conda-forge/linux-64/bzip2-1.0.8'),
    },
    section: 'packages',
  },
  'a channel': {
    edit: { 'pixi.lock': (s) => s.replaceAll('- url: https://conda.anaconda.org/conda-forge/', '- url: https://prefix.dev/conda-forge/') },
    section: 'channels',
  },
  'a manifest channel': {
    edit: { 'pyproject.toml': (s) => s.replace('channels = ["conda-forge"]', 'channels = ["conda-forge", "bioconda"]') },
    section: 'pixi',
  },
  'an activation variable': { edit: { 'pyproject.toml': (s) => `${s}\n[tool.pixi.activation]\nenv = { APP_MODE = "prod" }\n` }, section: 'pixi' },
  'an activation variable of the environment’s feature': {
    edit: { 'pyproject.toml': (s) => `${s}\n[tool.pixi.feature.prod.activation.env]\nAPP_MODE = "prod"\n` },
    section: 'pixi',
  },
  'system requirements': { edit: { 'pyproject.toml': (s) => `${s}\n[tool.pixi.system-requirements]\ncuda = "12"\n` }, section: 'pixi' },
  'the environment’s features': {
    edit: { 'pyproject.toml': (s) => s.replace('prod = { features = ["prod"]', 'prod = { features = ["prod", "test"]') },
    section: 'pixi',
  },
  'editability of the project': {
    edit: { 'pyproject.toml': (s) => s.replace('{ path = ".", editable = false }', '{ path = ".", editable = true }') },
    section: 'pixi',
  },
  'a file of the project (`pypi: ./`)': { edit: { 'docker_project/__init__.py': (s) => `${s}\nVERSION = 2\n` }, section: 'local packages' },
  'the project’s own build (pyproject.toml outside [tool.pixi])': {
    edit: { 'pyproject.toml': (s) => s.replace('version = "0.1.0"', 'version = "0.2.0"') },
    section: 'pixi',
  },
}

describe('cosmetic changes keep the hash, semantic ones change it (docker-v6, prod, linux-64)', () => {
  let base: Fingerprint
  const baseFp = async () => (base ??= await fpIn(project(V6), 'pyproject.toml', 'prod'))

  it.each(Object.entries(COSMETIC))('%s: same hash', async (_, edit) => {
    const ws = project(V6, edit)
    for (const rel of Object.keys(edit)) expect(readFileSync(path.join(ws, rel), 'utf8')).not.toBe(readFileSync(path.join(FIXTURES, V6, rel), 'utf8'))
    expect((await fpIn(ws, 'pyproject.toml', 'prod')).hash).toBe((await baseFp()).hash)
  })

  it.each(Object.entries(SEMANTIC))('%s: another hash, and the report says what changed', async (_, { edit, section }) => {
    const ws = project(V6, edit)
    for (const [rel, f] of Object.entries(edit)) {
      const orig = readFileSync(path.join(FIXTURES, V6, rel), 'utf8')
      expect(f(orig)).not.toBe(orig)
    }
    const fp = await fpIn(ws, 'pyproject.toml', 'prod')
    expect(fp.hash).not.toBe((await baseFp()).hash)
    expect(diffDocuments((await baseFp()).document, fp.document).map((c) => c.section)).toContain(section)
  })

  it('a package version change is named by package, for this environment and platform', async () => {
    const fp = await fpIn(project(V6, SEMANTIC['a package version']!.edit), 'pyproject.toml', 'prod')
    expect(diffDocuments((await baseFp()).document, fp.document)).toEqual([
      { section: 'packages', kind: 'changed', item: 'conda:bzip2', before: 'conda:bzip2=1.0.8', after: 'conda:bzip2=1.0.9' },
    ])
  })

  fcIt.prop([fc.subarray(Object.keys(COSMETIC), { minLength: 1 })], { numRuns: 12 })('any combination of cosmetic changes keeps the hash', async (names) => {
    const edit: Edit = {}
    for (const n of names)
      for (const [rel, f] of Object.entries(COSMETIC[n]!)) {
        const prev = edit[rel]
        edit[rel] = prev ? (s) => f(prev(s)) : f
      }
    expect((await fpIn(project(V6, edit), 'pyproject.toml', 'prod')).hash).toBe((await baseFp()).hash)
  })

  it('target activation counts on its platform only', async () => {
    const add = (sel: string): Edit => ({ 'pyproject.toml': (s) => `${s}\n[tool.pixi.target.${sel}.activation]\nenv = { X = "1" }\n` })
    const b = (await baseFp()).hash
    expect((await fpIn(project(V6, add('osx-arm64')), 'pyproject.toml', 'prod')).hash).toBe(b)
    expect((await fpIn(project(V6, add('win')), 'pyproject.toml', 'prod')).hash).toBe(b)
    expect((await fpIn(project(V6, add('linux-64')), 'pyproject.toml', 'prod')).hash).not.toBe(b)
    expect((await fpIn(project(V6, add('unix')), 'pyproject.toml', 'prod')).hash).not.toBe(b)
  })

  it('activation scripts count by content, and go into the build context', async () => {
    const edit = (): Edit => ({ 'pyproject.toml': (s) => `${s}\n[tool.pixi.activation]\nscripts = ["scripts/act.sh"]\n` })
    const ws1 = project(V6, edit())
    writeTree(ws1, { 'scripts/act.sh': 'export A=1\n' })
    const ws2 = project(V6, edit())
    writeTree(ws2, { 'scripts/act.sh': 'export A=2\n' })
    const [a, b] = [await fpIn(ws1, 'pyproject.toml', 'prod'), await fpIn(ws2, 'pyproject.toml', 'prod')]
    expect(a.hash).not.toBe(b.hash)
    expect(a.pixi!.activationScripts).toEqual([path.join(ws1, 'scripts', 'act.sh')])
    expect(a.pixi!.contextFiles).toContain(path.join(ws1, 'scripts', 'act.sh'))
  })

  it('the installed `.pixi` directory of the project is not part of its tree', async () => {
    const ws = project(V6)
    writeTree(ws, { '.pixi/envs/prod/bin/python': 'x' })
    expect((await fpIn(ws, 'pyproject.toml', 'prod')).hash).toBe((await baseFp()).hash)
  })
})

describe('bad pixi projects: one UserError with the file and the line', () => {
  const cases: [string, () => Promise<unknown>, RegExp, number | undefined][] = [
    [
      'a manifest without a lock',
      () => {
        const ws = tempDir('pixi-bad-')
        writeTree(ws, { 'pixi.toml': '[workspace]\nname = "x"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n' })
        return fpIn(ws, 'pixi.toml')
      },
      /pixi\.toml: there is no pixi\.lock next to this pixi manifest — run `pixi lock` and commit pixi\.lock/,
      1,
    ],
    [
      'a pyproject.toml without [tool.pixi]',
      () => {
        const ws = tempDir('pixi-bad-')
        writeTree(ws, { 'pyproject.toml': '[project]\nname = "x"\n', 'pixi.lock': 'version: 6\nenvironments: {}\n' })
        return fpIn(ws, 'pyproject.toml')
      },
      /has no \[tool\.pixi\] table, so it is not a pixi project/,
      1,
    ],
    ['a lock without a manifest', () => fpIn(lockOnly(), 'pixi.lock'), /no pixi manifest next to this lock/, 1],
    [
      'a TOML error',
      () => fpIn(project(V6, { 'pyproject.toml': (s) => s.replace('gunicorn = ', 'gunicorn = = ') }), 'pyproject.toml', 'prod'),
      /pyproject\.toml:27: not valid TOML/,
      27,
    ],
    [
      'an unknown lock version',
      () => fpIn(project(V6, { 'pixi.lock': (s) => s.replace('version: 6', 'version: 99') }), 'pyproject.toml', 'prod'),
      /format version "99"/,
      1,
    ],
    ['an environment not in the lock', () => fpIn(project(V6), 'pyproject.toml', 'gpu'), /no environment "gpu" \(it has "default", "prod"\)/, 3],
    [
      'an environment in the lock but not in the manifest',
      () => fpIn(project(V6, { 'pyproject.toml': (s) => s.replace(/^prod = .*$/m, '') }), 'pyproject.toml', 'prod'),
      /the manifest has no environment "prod" \(it has "default"\)/,
      undefined,
    ],
    [
      'a package entry without a URL',
      () => fpIn(project(V6, { 'pixi.lock': (s) => s.replace(/^- pypi: \.\/$/m, '- sha256: abc') }), 'pyproject.toml', 'prod'),
      /package entry without a URL or path/,
      undefined,
    ],
    [
      'a path source outside the workspace',
      () => {
        const ws = project(V6, { 'pixi.lock': (s) => s.replaceAll('pypi: ./', 'pypi: ../../etc') })
        return fpIn(ws, 'pyproject.toml', 'prod')
      },
      /pixi\.lock:\d+: the pypi path source \.\.\/\.\.\/etc is outside the workspace/,
      undefined,
    ],
    [
      'an activation script outside the workspace',
      () => fpIn(project(V6, { 'pyproject.toml': (s) => `${s}\n[tool.pixi.activation]\nscripts = ["../../etc/profile"]\n` }), 'pyproject.toml', 'prod'),
      /pyproject\.toml:\d+: the activation script \.\.\/\.\.\/etc\/profile \(feature default\) is outside the workspace/,
      undefined,
    ],
  ]
  it.each(cases)('%s', async (_, run, message, line) => {
    const e = await userError(run())
    expect(e.name).toBe('UserError')
    expect(e.message).toMatch(message)
    if (line !== undefined) expect(e.line).toBe(line)
    else expect(e.line).toBeGreaterThan(0)
  })

  it('a lock of 100,000 packages: refused before parsing, bounded in time and memory', async () => {
    const ws = project(V6)
    const pkgs = Array.from(
      { length: 100_000 },
      (_, i) => `- conda: https://conda.anaconda.org/conda-forge/linux-64/p${i}-1-0.conda\n  sha256: ${'a'.repeat(64)}\n`,
    )
    const lines = Array.from({ length: 100_000 }, (_, i) => `      - conda: https://conda.anaconda.org/conda-forge/linux-64/p${i}-1-0.conda\n`)
    writeFileSync(
      path.join(ws, 'pixi.lock'),
      `version: 6\nenvironments:\n  prod:\n    channels:\n    - url: https://conda.anaconda.org/conda-forge/\n    packages:\n      linux-64:\n${lines.join('')}packages:\n${pkgs.join('')}`,
    )
    const heap = process.memoryUsage().heapUsed
    const t = performance.now()
    const e = await userError(fpIn(ws, 'pyproject.toml', 'prod'))
    expect(performance.now() - t).toBeLessThan(5_000)
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(200 * 1024 * 1024)
    expect(e.message).toMatch(/pixi\.lock cannot be read: it is more than the 16 MiB a pixi lock may have|more than the 600,000 a pixi lock may have/)
  })

  it('a lock larger than an environment file may be (over 5 MiB, over 100,000 lines) is read and hashed', async () => {
    const ws = project(V6)
    const n = 36_000
    const url = (i: number) => `https://conda.anaconda.org/conda-forge/linux-64/p${i}-1-0.conda`
    const pkgs = Array.from({ length: n }, (_, i) => `- conda: ${url(i)}\n  sha256: ${i.toString(16).padStart(64, '0')}\n`)
    const lines = Array.from({ length: n }, (_, i) => `      - conda: ${url(i)}\n`)
    const text = `version: 6\nenvironments:\n  prod:\n    channels:\n    - url: https://conda.anaconda.org/conda-forge/\n    packages:\n      linux-64:\n${lines.join('')}packages:\n${pkgs.join('')}`
    expect(text.length).toBeGreaterThan(5 * 1024 * 1024)
    expect(text.split('\n').length).toBeGreaterThan(100_000)
    writeFileSync(path.join(ws, 'pixi.lock'), text)
    const fp = await fpIn(ws, 'pixi.lock', 'prod', ['linux/amd64'])
    expect(fp.document.packages!['linux-64']!.items).toHaveLength(n)
  }, 60_000)
})

function lockOnly(): string {
  const ws = tempDir('pixi-bad-')
  writeTree(ws, { 'pixi.lock': readFileSync(path.join(FIXTURES, V6, 'pixi.lock'), 'utf8'), 'pyproject.toml': '[project]\nname = "x"\n' })
  return ws
}

describe('manifestParts (pure)', () => {
  const parts = (text: string, env = 'default', installsProject = false) =>
    manifestParts(parsePixiManifest(text, 'pixi.toml', 'pixi.toml')!, env, ['linux-64'], { installsProject })
  const base = '[workspace]\nname = "p"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n[package]\nname = "p"\nversion = "1.0"\n'

  it('a pixi-build [package] table counts only when the environment installs the project itself', () => {
    const bumped = base.replace('version = "1.0"', 'version = "1.1"')
    expect(parts(bumped).settings).toEqual(parts(base).settings)
    expect(parts(bumped, 'default', true).settings).not.toEqual(parts(base, 'default', true).settings)
  })

  it('features in priority order, the default one last unless left out; scripts of every feature and matching target', () => {
    const text = `${base}[activation]\nscripts = ["a.sh"]\n[target.linux-64.activation]\nscripts = ["l.sh"]\n[target.win-64.activation]\nscripts = ["w.bat"]\n[feature.gpu.activation]\nscripts = ["g.sh"]\n[environments]\ncuda = ["gpu"]\nlean = { features = ["gpu"], no-default-feature = true }\n`
    expect(parts(text, 'cuda').features).toEqual(['gpu', 'default'])
    expect(parts(text, 'cuda').scripts.map((s) => s.path)).toEqual(['g.sh', 'a.sh', 'l.sh'])
    expect(parts(text, 'lean').features).toEqual(['gpu'])
    expect(parts(text, 'lean').scripts.map((s) => s.path)).toEqual(['g.sh'])
  })

  it('an undefined feature is a UserError naming the ones defined', () => {
    expect(() => parts(`${base}[feature.a]\n[environments]\nx = ["b"]\n`, 'x')).toThrow(/uses feature "b", which the manifest does not define \(it has "a"\)/)
  })
})
