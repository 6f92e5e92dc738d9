import { createHash } from 'node:crypto'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it, test } from 'vitest'
import { canonicalJson } from '../src/hash/canonical.js'
import { dockerfileUsesEnvName } from '../src/hash/dockerfile.js'
import { parseDocumentLabel } from '../src/hash/index.js'
import { evalSelector, subdirOf } from '../src/hash/selectors.js'
import { normalizeCondaSpec, normalizePipEntry, pipRefs } from '../src/hash/spec.js'
import { cleanupTemp, fpFile, fpOf, hashOf, tempDir, TEMPLATE, userError, writeTree } from './hash-helpers.js'

afterAll(cleanupTemp, 120_000)

const BASE = `name: demo
channels:
  - conda-forge
  - bioconda
dependencies:
  - numpy >= 1.2
  - python=3.10
  - pip
  - pip:
      - requests[socks,security]>=2
      - -r requirements.txt
variables:
  A: "1"
`
const REQ = { 'requirements.txt': 'flask==3.0\n' }

describe('canonical document', () => {
  it('is sorted-key JSON without whitespace, hashed with sha256, scheme v1', async () => {
    const fp = await fpOf(BASE, {}, REQ)
    expect(fp.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(fp.hash).toBe(createHash('sha256').update(fp.json).digest('hex'))
    expect(fp.json).toBe(canonicalJson(JSON.parse(fp.json)))
    expect(fp.json).not.toMatch(/[\n]|": /)
    expect(fp.json).toContain('"scheme":"v1"')
    expect(fp.document.scheme).toBe('v1')
    expect(fp.document.dependencies).toEqual(['numpy>=1.2', 'pip', 'python=3.10'])
    expect(fp.document.pip).toEqual(['requests[security,socks]>=2', '-r requirements.txt'])
    expect(Object.keys(fp.document.files ?? {})).toEqual(['requirements.txt'])
    expect(fp.files.map((f) => path.basename(f)).sort()).toEqual(['environment.yml', 'requirements.txt'])
    expect(fp.files.every((f) => path.isAbsolute(f))).toBe(true)
    expect(parseDocumentLabel(fp.json)).toEqual(fp.document)
  })

  test('canonicalJson sorts nested keys and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 'x'], c: undefined, b: null } })).toBe('{"a":{"b":null,"d":[2,"x"]},"b":1}')
  })

  it('keeps scalars as their source text (failsafe schema)', async () => {
    const fp = await fpOf('dependencies:\n  - python=3.10\n  - 3.10\nvariables:\n  A: 3.10\n  B: yes\n  C: 1e3\n  D: 0x10\n  E: "3.10"\n  F: off\n')
    expect(fp.document.variables).toEqual({ A: '3.10', B: 'yes', C: '1e3', D: '0x10', E: '3.10', F: 'off' })
    expect(fp.document.dependencies).toEqual(['3.10', 'python=3.10'])
  })
})

describe('cosmetic edits keep the hash', () => {
  const variants: Record<string, string | Buffer> = {
    comments: `# header\n${BASE.replace('dependencies:', 'dependencies: # the deps\n  # a comment line')}`,
    'blank lines': BASE.replace(/\n/g, '\n\n'),
    indentation: BASE.replace(/^ {2}/gm, '    ').replace(/^ {6}/gm, '        '),
    'zero-indent lists':
      'name: demo\nchannels:\n- conda-forge\n- bioconda\ndependencies:\n- numpy >= 1.2\n- python=3.10\n- pip\n- pip:\n  - requests[socks,security]>=2\n  - -r requirements.txt\nvariables:\n  A: "1"\n',
    quoting: `name: 'demo'\nchannels:\n  - "conda-forge"\n  - 'bioconda'\ndependencies:\n  - "numpy >= 1.2"\n  - 'python=3.10'\n  - "pip"\n  - "pip":\n      - "requests[socks,security]>=2"\n      - '-r requirements.txt'\nvariables:\n  "A": '1'\n`,
    flow: `{name: demo, channels: [conda-forge, bioconda], dependencies: [numpy >= 1.2, python=3.10, pip, {pip: ["requests[socks,security]>=2", -r requirements.txt]}], variables: {A: "1"}}\n`,
    crlf: BASE.replace(/\n/g, '\r\n'),
    bom: `\uFEFF${BASE}`,
    'key order':
      'variables:\n  A: "1"\ndependencies:\n  - numpy >= 1.2\n  - python=3.10\n  - pip\n  - pip:\n      - requests[socks,security]>=2\n      - -r requirements.txt\nchannels:\n  - conda-forge\n  - bioconda\nname: demo\n',
    'conda dependency order': BASE.replace('  - numpy >= 1.2\n  - python=3.10\n  - pip\n', '  - pip\n  - python=3.10\n  - numpy >= 1.2\n'),
    'whitespace in specs': BASE.replace('numpy >= 1.2', 'numpy>=1.2').replace('python=3.10', 'python = 3.10'),
    'pip extras order': BASE.replace('requests[socks,security]>=2', 'requests[security, socks] >= 2'),
    'pip section position':
      'name: demo\nchannels: [conda-forge, bioconda]\ndependencies:\n  - pip:\n      - requests[socks,security]>=2\n      - -r requirements.txt\n  - numpy >= 1.2\n  - python=3.10\n  - pip\nvariables:\n  A: "1"\n',
    'duplicate conda spec': BASE.replace('  - pip\n', '  - pip\n  - python=3.10\n'),
    prefix: `${BASE}prefix: /opt/somewhere\n`,
    'name (bundled template installs into -n base)': BASE.replace('name: demo', 'name: other'),
    'requirements file CRLF and BOM': BASE,
    'requirements file comments, blank lines and spacing': BASE,
    'requirements file line continuation': BASE,
  }
  const fileVariants: Record<string, Record<string, string>> = {
    'requirements file CRLF and BOM': { 'requirements.txt': '\uFEFFflask==3.0\r\n' },
    'requirements file comments, blank lines and spacing': { 'requirements.txt': '# pinned for the API\n\n  flask == 3.0   # web\n\n' },
    'requirements file line continuation': { 'requirements.txt': 'flask\\\n==3.0\n' },
  }
  it.each(Object.keys(variants))('%s', async (name) => {
    const base = await hashOf(BASE, {}, REQ)
    const files = fileVariants[name] ?? REQ
    expect(await hashOf(variants[name]!, {}, files)).toBe(base)
  })
})

describe('semantic edits change the hash', () => {
  const edits: Record<string, { text?: string; files?: Record<string, string>; opts?: Parameters<typeof hashOf>[1] }> = {
    'channel order': { text: BASE.replace('  - conda-forge\n  - bioconda', '  - bioconda\n  - conda-forge') },
    'add a channel': { text: BASE.replace('  - bioconda', '  - bioconda\n  - defaults') },
    'add a conda spec': { text: BASE.replace('  - pip\n', '  - pip\n  - scipy\n') },
    'remove a conda spec': { text: BASE.replace('  - numpy >= 1.2\n', '') },
    'bump a pin': { text: BASE.replace('python=3.10', 'python=3.11') },
    'operator = → ==': { text: BASE.replace('python=3.10', 'python==3.10') },
    'operator = → space': { text: BASE.replace('python=3.10', 'python 3.10') },
    'channel:: prefix': { text: BASE.replace('- python=3.10', '- conda-forge::python=3.10') },
    'build string': { text: BASE.replace('python=3.10', 'python=3.10=*_cpython') },
    'add a pip entry': { text: BASE.replace('      - -r requirements.txt', '      - -r requirements.txt\n      - rich') },
    'move a pip entry': {
      text: BASE.replace(
        '      - requests[socks,security]>=2\n      - -r requirements.txt',
        '      - -r requirements.txt\n      - requests[socks,security]>=2',
      ),
    },
    'split a pip section': { text: BASE.replace('      - -r requirements.txt', '  - pip:\n      - -r requirements.txt') },
    'requirement file byte': { files: { 'requirements.txt': 'flask==3.0.1\n' } },
    'requirement file entry added': { files: { 'requirements.txt': 'flask==3.0\n--no-binary flask\n' } },
    variables: { text: BASE.replace('A: "1"', 'A: "2"') },
    'add a variable': { text: `${BASE}  B: x\n` },
    'unknown top-level key': { text: `${BASE}platforms: [linux-64]\n` },
    'base Dockerfile': { opts: { baseDockerfile: { content: `${TEMPLATE}\n# changed\n` } } },
    'base Dockerfile path': { opts: { baseDockerfile: { path: 'docker/base.Dockerfile', content: TEMPLATE } } },
    'build-args': { opts: { buildArgs: ['PYTHON=3.12'] } },
    'build-args order': { opts: { buildArgs: ['A=1', 'A=2'] } },
    platforms: { opts: { platforms: ['linux/amd64'] } },
  }
  it.each(Object.keys(edits))('%s', async (name) => {
    const e = edits[name]!
    const base = await hashOf(BASE, name === 'build-args order' ? { buildArgs: ['A=2', 'A=1'] } : {}, REQ)
    expect(await hashOf(e.text ?? BASE, e.opts ?? {}, e.files ?? REQ)).not.toBe(base)
  })
})

describe('conda spec and pip entry normalization', () => {
  test.each([
    ['numpy >= 1.2', 'numpy>=1.2'],
    ['  numpy   >=1.2 ,  <2 ', 'numpy>=1.2,<2'],
    ['python = 3.12', 'python=3.12'],
    ['cython ==0.21', 'cython==0.21'],
    ['blas * mkl', 'blas * mkl'],
    ['tensorflow=*=*cuda*', 'tensorflow=*=*cuda*'],
    ['conda-forge :: numpy', 'conda-forge::numpy'],
    ['blas [ version=1, build = mkl ]', 'blas[build=mkl,version=1]'],
    ['python 3.8.* *_cpython', 'python 3.8.* *_cpython'],
  ])('conda %j → %j', (raw, want) => expect(normalizeCondaSpec(raw)).toBe(want))

  test.each([
    ['numpy >= 1.2', 'numpy>=1.2'],
    ['deeplabcut[tf, gui] == 2.3', 'deeplabcut[gui,tf]==2.3'],
    ['flit-core === 3.9.0 --hash=sha256:1234', 'flit-core===3.9.0 --hash=sha256:1234'],
    ['monai >=1.0 ; platform_system != "Windows"', 'monai>=1.0; platform_system != "Windows"'],
    ['-e   git+https://github.com/x/y.git#egg=y', '-e git+https://github.com/x/y.git#egg=y'],
    [
      '--index-url https://user:secret@pypi.example/simple',
      `--index-url https://user:sha256:${createHash('sha256').update('secret').digest('hex').slice(0, 16)}@pypi.example/simple`,
    ],
  ])('pip %j → %j', (raw, want) => expect(normalizePipEntry(raw)).toBe(want))

  test.each([
    ['-r a.txt', [{ kind: 'requirements', option: 'requirement', target: 'a.txt' }]],
    ['--requirement a.txt', [{ kind: 'requirements', option: 'requirement', target: 'a.txt' }]],
    ['--requirement=a.txt', [{ kind: 'requirements', option: 'requirement', target: 'a.txt' }]],
    ['-ra.txt', [{ kind: 'requirements', option: 'requirement', target: 'a.txt' }]],
    ['-r file:a.txt', [{ kind: 'requirements', option: 'requirement', target: 'file:a.txt' }]],
    ['-c c.txt', [{ kind: 'requirements', option: 'constraint', target: 'c.txt' }]],
    ['--constraint=c.txt', [{ kind: 'requirements', option: 'constraint', target: 'c.txt' }]],
    ['-r https://example.com/r.txt', [{ kind: 'remote', target: 'https://example.com/r.txt' }]],
    ['-e .', [{ kind: 'local', target: '.' }]],
    ['-e ../..', [{ kind: 'local', target: '../..' }]],
    ['./pkg[extra]', [{ kind: 'local', target: './pkg' }]],
    ['submodules/simple-knn', [{ kind: 'local', target: 'submodules/simple-knn' }]],
    ['pkg @ file:///opt/pkg', [{ kind: 'local', target: 'file:///opt/pkg' }]],
    ['--find-links ./wheels', [{ kind: 'local', target: './wheels' }]],
    ['dist/pkg-1.0-py3-none-any.whl', [{ kind: 'local', target: 'dist/pkg-1.0-py3-none-any.whl' }]],
    ['-e git+https://github.com/x/y.git#egg=y', []],
    ['requests>=2 ; python_version > "3/8"', []],
    ['git+https://github.com/x/y.git', []],
    ['numpy  # -r not-a-ref.txt', []],
  ])('pipRefs(%j)', (line, want) => expect(pipRefs(line)).toEqual(want))
})

describe('requirement files (-r / -c)', () => {
  const env = (entry: string) => `dependencies:\n  - pip\n  - pip:\n      - ${entry}\n`
  test.each([
    '-r reqs/a.txt',
    '--requirement reqs/a.txt',
    '--requirement=reqs/a.txt',
    '-rreqs/a.txt',
    '-r file:reqs/a.txt',
    '-c reqs/a.txt',
    '--constraint reqs/a.txt',
  ])('%s: every byte that matters counts', async (entry) => {
    const a = await hashOf(env(entry), {}, { 'reqs/a.txt': 'flask==3.0\n' })
    expect(await hashOf(env(entry), {}, { 'reqs/a.txt': 'flask==3.1\n' })).not.toBe(a)
    expect(await hashOf(env(entry), {}, { 'reqs/a.txt': 'flask==3.0\r\n' })).toBe(a)
    const fp = await fpOf(env(entry), {}, { 'reqs/a.txt': 'flask==3.0\n' })
    expect(Object.keys(fp.document.files ?? {})).toEqual(['reqs/a.txt'])
  })

  it('follows nested references relative to the including file, recursively and cycle-safe', async () => {
    const files = {
      'reqs/a.txt': '# top\n-r b.txt\n--constraint=../c.txt\nflask\n',
      'reqs/b.txt': '-r a.txt\n-r sub/d.txt\n',
      'reqs/sub/d.txt': 'rich==13\n',
      'c.txt': 'flask<4\n',
    }
    const fp = await fpOf(env('-r reqs/a.txt'), {}, files)
    expect(Object.keys(fp.document.files ?? {}).sort()).toEqual(['c.txt', 'reqs/a.txt', 'reqs/b.txt', 'reqs/sub/d.txt'])
    expect(fp.files).toHaveLength(5)
    for (const f of ['reqs/sub/d.txt', 'c.txt']) {
      expect(await hashOf(env('-r reqs/a.txt'), {}, { ...files, [f]: 'changed\n' })).not.toBe(fp.hash)
    }
  })

  it('an unreadable reference is a UserError at the pip entry line', async () => {
    const e = await userError(fpOf('name: x\ndependencies:\n  - pip\n  - pip:\n      - rich\n      - -r missing.txt\n'))
    expect(e.name).toBe('UserError')
    expect(e.line).toBe(6)
    expect(e.file).toMatch(/environment\.yml$/)
    expect(e.message).toMatch(/missing\.txt.*cannot be read: file not found/)
  })

  it('an unreadable nested reference points into the including file', async () => {
    const e = await userError(fpOf(env('-r a.txt'), {}, { 'a.txt': 'flask\n\n-c gone.txt\n' }))
    expect(e.file).toMatch(/a\.txt$/)
    expect(e.line).toBe(3)
  })

  it('warns about remote requirement files and environment variables in paths', async () => {
    const fp = await fpOf('dependencies:\n  - pip:\n      - -r https://example.com/r.txt\n      - -r ${HOME}/x.txt\n')
    expect(fp.warnings.map((w) => w.message).join('\n')).toMatch(/remote file/)
    expect(fp.warnings.map((w) => w.message).join('\n')).toMatch(/environment variable/)
  })
})

describe('local pip paths', () => {
  it('hashes the tree of -e . (skipping .git, node_modules, __pycache__, the env file itself)', async () => {
    const dir = tempDir()
    const text = 'dependencies:\n  - pip:\n      - -e .\n'
    writeTree(dir, {
      'environment.yml': text,
      'setup.py': 'setup()\n',
      'pkg/__init__.py': 'x = 1\n',
      '.git/HEAD': 'ref\n',
      'node_modules/a.js': '1',
      'pkg/__pycache__/a.pyc': '1',
    })
    const file = path.join(dir, 'environment.yml')
    const a = await fpFile(file)
    expect(a.document.local?.['.']).toMatch(/^tree:[0-9a-f]{64}$/)
    writeTree(dir, { '.git/HEAD': 'other\n', 'node_modules/a.js': '2', 'pkg/__pycache__/a.pyc': '2', 'environment.yml': `# cosmetic\n${text}` })
    expect((await fpFile(file)).hash).toBe(a.hash)
    writeTree(dir, { 'pkg/__init__.py': 'x = 2\n' })
    expect((await fpFile(file)).hash).not.toBe(a.hash)
    expect(a.warnings.map((w) => w.message).join('\n')).toMatch(/contains the environment file/)
    expect(a.files.some((f) => f.endsWith('setup.py'))).toBe(true)
  })

  it('hashes ./pkg, file: URLs and name @ file:// references', async () => {
    const dir = tempDir()
    writeTree(dir, { 'pkg/setup.py': 'a\n', 'wheels/w-1.0-py3-none-any.whl': 'w' })
    const abs = path.join(dir, 'pkg')
    const text = `dependencies:\n  - pip:\n      - ./pkg\n      - mypkg @ file://${abs}\n      - file:wheels/w-1.0-py3-none-any.whl\n`
    writeTree(dir, { 'environment.yml': text })
    const fp = await fpFile(path.join(dir, 'environment.yml'))
    expect(Object.keys(fp.document.local ?? {}).sort()).toEqual([abs, 'pkg', 'wheels/w-1.0-py3-none-any.whl'].sort())
    expect(fp.document.local?.['wheels/w-1.0-py3-none-any.whl']).toMatch(/^file:/)
    writeTree(dir, { 'pkg/setup.py': 'b\n' })
    expect((await fpFile(path.join(dir, 'environment.yml'))).hash).not.toBe(fp.hash)
  })

  it('never ignores a missing local path silently', async () => {
    const fp = await fpOf('dependencies:\n  - pip:\n      - -e ./not-there\n')
    expect(fp.document.local).toEqual({ 'not-there': 'missing' })
    expect(fp.warnings).toHaveLength(1)
    expect(fp.warnings[0]!.message).toMatch(/environment\.yml:3: .*not-there.*rebuilt only when the environment file changes/)
  })

  it('caps big trees and warns', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 5005; i++) files[`big/f${String(i).padStart(5, '0')}.txt`] = `${i}`
    const fp = await fpOf('dependencies:\n  - pip:\n      - ./big\n', {}, files)
    expect(fp.document.local?.big).toMatch(/^partial:/)
    expect(fp.warnings.map((w) => w.message).join('\n')).toMatch(/larger than the hashing limit/)
  })

  it('records symlinks without following them', async () => {
    const dir = tempDir()
    writeTree(dir, { 'pkg/a.txt': 'a', 'environment.yml': 'dependencies:\n  - pip:\n      - ./pkg\n' })
    symlinkSync('..', path.join(dir, 'pkg', 'loop'))
    const fp = await fpFile(path.join(dir, 'environment.yml'))
    expect(fp.document.local?.pkg).toMatch(/^tree:/)
  })
})

describe('platform selectors', () => {
  test.each([
    ['linux', 'linux-64', true],
    ['linux', 'osx-arm64', false],
    ['linux64', 'linux-64', true],
    ['linux64', 'linux-aarch64', false],
    ['unix', 'linux-aarch64', true],
    ['unix', 'win-64', false],
    ['win', 'win-64', true],
    ['osx and arm64', 'osx-arm64', true],
    ['osx and arm64', 'linux-aarch64', false],
    ['not win', 'linux-64', true],
    ['(linux or osx) and not aarch64', 'linux-aarch64', false],
    ['aarch64', 'linux-aarch64', true],
    ['ppc64le', 'linux-ppc64le', true],
    ['test', 'linux-64', 'unknown'],
    ['py<38', 'linux-64', 'unknown'],
    ['linux and py<38', 'osx-64', false],
    ['linux or test', 'linux-64', true],
    ['linux and', 'linux-64', 'unknown'],
  ])('[%s] on %s → %s', (expr, subdir, want) => expect(evalSelector(expr, subdir)).toBe(want))

  test.each([
    ['linux/amd64', 'linux-64'],
    ['linux/arm64', 'linux-aarch64'],
    ['linux/arm64/v8', 'linux-aarch64'],
    ['linux/ppc64le', 'linux-ppc64le'],
    ['linux/s390x', 'linux-s390x'],
    ['linux/arm/v7', 'linux-armv7l'],
    ['linux/386', 'linux-32'],
    ['darwin/arm64', 'osx-arm64'],
    ['windows/amd64', 'win-64'],
    ['plan9/amd64', undefined],
  ])('subdir of %s is %s', (p, s) => expect(subdirOf(p)).toBe(s))

  const SEL = 'dependencies:\n  - python\n  - libgcc  # [linux]\n  - foo # [aarch64]\n  - bar # [osx]\n  - pip:\n      - psutil  # [linux64]\n'

  it('assumes linux-64 without platforms and says so', async () => {
    const fp = await fpOf(SEL)
    expect(fp.document.subdirs).toEqual(['linux-64'])
    expect(fp.document.subdirsAssumed).toBe(true)
    expect(fp.document.platforms).toEqual([])
    expect(fp.document.dependencies).toEqual(['libgcc', 'python'])
    expect(fp.document.pip).toEqual(['psutil'])
    expect(fp.document.excluded).toEqual(['bar # [osx]', 'foo # [aarch64]'])
  })

  it('a selector true on every target is like no selector', async () => {
    expect(await hashOf('dependencies:\n  - python\n  - libgcc  # [linux]\n')).toBe(await hashOf('dependencies:\n  - python\n  - libgcc\n'))
    expect(await hashOf('dependencies:\n  - libgcc  # [unix]\n', { platforms: ['linux/arm64'] })).toBe(
      await hashOf('dependencies:\n  - libgcc\n', { platforms: ['linux/arm64'] }),
    )
  })

  it('a dep excluded on every target is removed from the dependencies but recorded (micromamba ignores comment selectors)', async () => {
    const fp = await fpOf('dependencies:\n  - python\n  - bar # [osx]\n')
    expect(fp.document.dependencies).toEqual(['python'])
    expect(fp.document.excluded).toEqual(['bar # [osx]'])
    expect(fp.hash).not.toBe(await hashOf('dependencies:\n  - python\n'))
    expect(fp.hash).not.toBe(await hashOf('dependencies:\n  - python\n  - sel(osx): bar\n'))
  })

  it('gives the result per platform when the targets differ', async () => {
    const fp = await fpOf(SEL, { platforms: ['linux/arm64', 'linux/amd64'] })
    expect(fp.document.platforms).toEqual(['linux/amd64', 'linux/arm64'])
    expect(fp.document.subdirs).toEqual(['linux-64', 'linux-aarch64'])
    expect(fp.document.subdirsAssumed).toBeUndefined()
    expect(fp.document.dependencies).toEqual(['libgcc', 'python'])
    expect(fp.document.bySubdir).toEqual({ 'linux-64': { pip: ['psutil'] }, 'linux-aarch64': { dependencies: ['foo'], pip: [] } })
    expect(fp.document.excluded).toEqual(['bar # [osx]'])
  })

  it('evaluates micromamba sel(...) keys', async () => {
    const fp = await fpOf('dependencies:\n  - sel(linux): libgcc\n  - sel(win): vs2019\n')
    expect(fp.document.dependencies).toEqual(['libgcc'])
    expect(fp.document.excluded).toEqual(['sel(win): vs2019'])
  })

  it('keeps entries with selectors it cannot evaluate, with the selector, and warns', async () => {
    const fp = await fpOf('dependencies:\n  - python\n  - pytest  # [test]\n  - joblib  # needed for sphinx-gallery[parallel]\n')
    expect(fp.document.dependencies).toEqual(['joblib', 'pytest # [test]', 'python'])
    expect(fp.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/environment\.yml:3: selector \[test\]/)])
  })
})

describe('lock files', () => {
  const EXPLICIT = `# This file may be used to create an environment using:
# platform: linux-64
@EXPLICIT
https://conda.anaconda.org/conda-forge/linux-64/python-3.12.3-h_0_cpython.conda#aaaa
https://conda.anaconda.org/conda-forge/noarch/tzdata-2024a-h0c530f3_0.conda#bbbb
https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py312h_0.conda#sha256:cccc
# pip requests @ https://files.pythonhosted.org/packages/requests-2.31.0-py3-none-any.whl#sha256=dddd
`
  it('hashes the package lines of an @EXPLICIT file, sorted', async () => {
    const fp = await fpOf(EXPLICIT)
    expect(fp.document.source).toBe('explicit')
    expect(fp.document.packages?.['linux-64']?.items).toEqual(['numpy-1.26.4-py312h_0', 'pip:requests', 'python-3.12.3-h_0_cpython', 'tzdata-2024a-h0c530f3_0'])
    const lines = EXPLICIT.split('\n')
    const shuffled = [...lines.slice(0, 3), lines[6], lines[5], lines[4], lines[3], '', '# a comment'].join('\n')
    expect(await hashOf(shuffled)).toBe(fp.hash)
    expect(await hashOf(EXPLICIT.replace('#aaaa', '#aaab'))).not.toBe(fp.hash)
    expect(await hashOf(EXPLICIT.replace('sha256=dddd', 'sha256=ddde'))).not.toBe(fp.hash)
    expect(await hashOf(EXPLICIT.replace(/^https.*tzdata.*\n/m, ''))).not.toBe(fp.hash)
    expect(fp.warnings).toEqual([])
  })

  it('warns when an explicit lock is for another platform', async () => {
    const fp = await fpOf(EXPLICIT, { platforms: ['linux/arm64'] })
    expect(fp.warnings.map((w) => w.message).join('\n')).toMatch(/explicit lock for linux-64/)
  })

  it('rejects non-URL lines in an explicit file', async () => {
    const e = await userError(fpOf('@EXPLICIT\nnumpy=1.26\n'))
    expect(e.line).toBe(2)
  })

  const pkg = (name: string, version: string, platform: string, sha: string, manager = 'conda') =>
    `  - name: ${name}\n    version: ${version}\n    manager: ${manager}\n    platform: ${platform}\n    dependencies: {}\n    url: https://conda.anaconda.org/conda-forge/${platform}/${name}-${version}-0.conda\n    hash:\n      md5: m${sha}\n      sha256: s${sha}\n    category: main\n    optional: false\n`
  const LOCK = (meta: string, pkgs: string[]) =>
    `version: 1\nmetadata:\n  content_hash:\n    linux-64: ${meta}\n  channels:\n  - url: conda-forge\n    used_env_vars: []\n  platforms:\n  - linux-64\n  - osx-arm64\n  sources:\n  - environment.yml\npackage:\n${pkgs.join('')}`
  const PKGS = [
    pkg('python', '3.12.3', 'linux-64', '1'),
    pkg('numpy', '1.26.4', 'linux-64', '2'),
    pkg('python', '3.12.3', 'osx-arm64', '3'),
    pkg('requests', '2.31.0', 'linux-64', '4', 'pip'),
  ]

  it('hashes the packages of the target platforms of a conda-lock.yml, sorted, ignoring metadata', async () => {
    const fp = await fpOf(LOCK('abc', PKGS))
    expect(fp.document.source).toBe('conda-lock')
    expect(fp.document.packages?.['linux-64']?.items).toEqual(['conda:numpy=1.26.4', 'conda:python=3.12.3', 'pip:requests=2.31.0'])
    expect(await hashOf(LOCK('other-content-hash', PKGS))).toBe(fp.hash)
    expect(await hashOf(LOCK('abc', [...PKGS].reverse()))).toBe(fp.hash)
    expect(await hashOf(LOCK('abc', [PKGS[0]!, PKGS[1]!, pkg('python', '3.12.4', 'osx-arm64', '3'), PKGS[3]!]))).toBe(fp.hash)
    expect(await hashOf(LOCK('abc', [PKGS[0]!, pkg('numpy', '1.26.4', 'linux-64', '9'), PKGS[2]!, PKGS[3]!]))).not.toBe(fp.hash)
    expect(await hashOf(LOCK('abc', PKGS.slice(1)))).not.toBe(fp.hash)
  })

  it('covers every target platform and fails for a platform the lock does not have', async () => {
    const fp = await fpOf(LOCK('abc', PKGS), { platforms: ['linux/amd64', 'darwin/arm64'] })
    expect(Object.keys(fp.document.packages ?? {})).toEqual(['linux-64', 'osx-arm64'])
    const e = await userError(fpOf(LOCK('abc', PKGS), { platforms: ['linux/arm64'] }))
    expect(e.message).toMatch(/no packages for linux-aarch64 \(it has linux-64, osx-arm64\)/)
    expect(e.line).toBe(13)
  })
})

describe('name, prefix and other keys', () => {
  test.each([
    ['RUN micromamba install -y -n base -f /tmp/env.yml', false],
    ['RUN micromamba create --yes --prefix /opt/env --file env.yml', false],
    ['RUN mamba env create --name x -f env.yml && conda clean -a', false],
    ['RUN conda env create -f environment.yml', true],
    ['RUN micromamba create -y \\\n    -f env.yml', true],
    ['RUN micromamba create -y \\\n    -f env.yml \\\n    -n app', false],
    ['RUN pip install -r requirements.txt', true],
    ['RUN /opt/conda/bin/conda env update -f env.yml', true],
  ])('%j uses the env name: %s', (df, want) => expect(dockerfileUsesEnvName(`FROM x\n${df}\n`)).toBe(want))

  it('keeps the name when the base Dockerfile uses it, drops it with the bundled template', async () => {
    expect(dockerfileUsesEnvName(TEMPLATE)).toBe(false)
    const custom = {
      baseDockerfile: { path: 'Dockerfile', content: 'FROM continuumio/miniconda3\nCOPY environment.yml .\nRUN conda env create -f environment.yml\n' },
    }
    const fp = await fpOf('name: app\ndependencies: [python]\n', custom)
    expect(fp.document.name).toBe('app')
    expect(await hashOf('name: app2\ndependencies: [python]\n', custom)).not.toBe(fp.hash)
    expect((await fpOf('name: app\ndependencies: [python]\n')).document.name).toBeUndefined()
  })

  it('drops prefix', async () => {
    expect(await hashOf('prefix: /a\ndependencies: [python]\n')).toBe(await hashOf('dependencies: [python]\n'))
  })

  it('keeps unknown keys and warns about likely misspellings', async () => {
    const fp = await fpOf('names: x\nchanels: [conda-forge]\ndependencies: [nltk]\n')
    expect(fp.document.extra).toEqual({ names: 'x', chanels: ['conda-forge'] })
    expect(fp.warnings.map((w) => w.message).join('\n')).toMatch(/"chanels" \(did you mean "channels"\?\)/)
  })

  it('keeps secrets out of the label but in the hash', async () => {
    const text = 'channels:\n  - https://conda.example.com/t/tk-1234567890abcdef/stable\ndependencies: [python]\nvariables:\n  API_TOKEN: hunter22\n'
    const fp = await fpOf(text, { buildArgs: ['GITHUB_TOKEN=ghp_secret', 'PY=3.12'] })
    expect(fp.json).not.toMatch(/tk-1234567890abcdef|hunter22|ghp_secret/)
    expect(fp.json).toContain('PY=3.12')
    expect(await hashOf(text.replace('hunter22', 'hunter23'), { buildArgs: ['GITHUB_TOKEN=ghp_secret', 'PY=3.12'] })).not.toBe(fp.hash)
    expect(await hashOf(text, { buildArgs: ['GITHUB_TOKEN=ghp_other', 'PY=3.12'] })).not.toBe(fp.hash)
  })
})

describe('user errors carry file and line', () => {
  const cases: [string, string | Buffer, number | undefined, RegExp][] = [
    ['not YAML', 'dependencies:\n  - [unclosed\n', 2, /not valid YAML/],
    ['bad indentation', 'name: x\ndependencies:\n  - a\n - b\n', 4, /not valid YAML/],
    ['unterminated quote', 'name: x\ndependencies: []\nvariables:\n  A: "open\n', 4, /not valid YAML: Missing closing "quote/],
    ['duplicate key', 'name: x\ndependencies: [a]\nname: y\n', 3, /duplicate key "name"/],
    ['duplicate key, quoted spelling', 'name: x\n"name": y\ndependencies: []\n', 2, /duplicate key/],
    ['top level a list', '- numpy\n- scipy\n', 1, /top level must be a mapping/],
    ['top level a string', 'numpy\n', 1, /top level must be a mapping/],
    ['empty file', '# nothing\n', 1, /empty/],
    ['dependencies a string', 'name: x\ndependencies: numpy\n', 2, /`dependencies` must be a list/],
    ['dependencies a mapping', 'name: x\ndependencies:\n  numpy: 1\n', 3, /`dependencies` must be a list/],
    ['dependency a list', 'dependencies:\n  - numpy\n  - [a, b]\n', 3, /a dependency must be a string/],
    ['dependency an odd mapping', 'dependencies:\n  - numpy\n  - conda: [a]\n', 3, /only "pip:"/],
    ['dependency a mapping with two keys', 'dependencies:\n  - pip: [a]\n    conda: [b]\n', 2, /a dependency must be a string .*"pip", "conda"/],
    ['pip not a list', 'dependencies:\n  - pip: rich\n', 2, /`pip:` must be a list/],
    ['pip entry a mapping', 'dependencies:\n  - pip:\n      - a: b\n', 3, /a pip entry must be a non-empty string/],
    ['channels a string', 'channels: conda-forge\ndependencies: []\n', 1, /`channels` must be a list/],
    ['variables a list', 'dependencies: []\nvariables: [a]\n', 2, /`variables` must be a mapping/],
    ['no dependencies, hinted', 'name: x\nrequirements:\n  - black\n', 2, /did you mean "dependencies:"/],
    ['no dependencies', 'name: x\nchannels: [a]\n', 1, /no `dependencies:` list/],
    [
      'alias bomb',
      `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ndependencies: []\n`,
      undefined,
      /alias/,
    ],
    ['absurd size', `dependencies:\n${'  - numpy\n'.repeat(600_000)}`, 1, /MiB/],
    ['not UTF-8', Buffer.from([0x64, 0x65, 0x70, 0xff, 0xfe, 0x3a, 0x0a]), 1, /not UTF-8/],
  ]
  it.each(cases)('%s', async (_name, text, line, msg) => {
    const e = await userError(fpOf(text))
    expect(e.name).toBe('UserError')
    expect(e.message).toMatch(msg)
    expect(e.file).toMatch(/environment\.yml$/)
    if (line !== undefined) expect(e.line).toBe(line)
  })

  it('a missing environment file', async () => {
    const e = await userError(fpFile('does/not/exist.yml'))
    expect(e.name).toBe('UserError')
    expect(e.file).toBe('does/not/exist.yml')
    expect(e.message).toMatch(/cannot be read: file not found/)
  })

  it('a directory as environment file', async () => {
    const dir = tempDir()
    mkdirSync(path.join(dir, 'env.yml'))
    expect((await userError(fpFile(path.join(dir, 'env.yml')))).message).toMatch(/not a regular file/)
  })

  it('accepts `dependencies:` with no value (conda reads it as empty) with a warning', async () => {
    const fp = await fpOf('name: x\ndependencies:\n')
    expect(fp.document.dependencies).toBeUndefined()
    expect(fp.warnings.map((w) => w.message).join('\n')).toMatch(/empty/)
  })
})

describe('size of the document', () => {
  it('stays well under 64 KiB for a 2,000-dependency environment', async () => {
    const words = ['r-bioconductor', 'python', 'libxml', 'scikit', 'pytorch-cuda', 'jupyterlab', 'openssl', 'ca-certificates', 'font-ttf-dejavu', 'libgcc-ng']
    const deps = Array.from({ length: 2000 }, (_, i) => `  - ${words[i % words.length]}-${i}${['=1.2.3', '>=2.0,<3', '==0.9.1', ''][i % 4]}`)
    const dir = tempDir()
    writeFileSync(path.join(dir, 'requirements.txt'), Array.from({ length: 500 }, (_, i) => `pypkg-${i}==1.${i}.0`).join('\n'))
    writeFileSync(
      path.join(dir, 'environment.yml'),
      `name: big\nchannels: [conda-forge]\ndependencies:\n${deps.join('\n')}\n  - pip:\n      - -r requirements.txt\n`,
    )
    const fp = await fpFile(path.join(dir, 'environment.yml'))
    expect(fp.document.dependencies).toHaveLength(2000)
    expect(Buffer.byteLength(fp.json)).toBeLessThan(56 * 1024)
  })
})
