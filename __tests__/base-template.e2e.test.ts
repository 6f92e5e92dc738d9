// The bundled base template (templates/base.Dockerfile), built for real with BuildKit and
// pushed to the real registry — through the bundled action (dist/index.js) and, for the
// template's own inputs (secrets, lock formats), with `docker buildx build` directly.
// No conda channel is reachable here, so the solve stage is the stand-in micromamba image
// (__fixtures__/micromamba-standin: busybox plus a script that writes what an install
// leaves); the runtime stage is busybox. The facts are asserted with `docker run`.

import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction, succeeded, type ActionResult } from '../__fixtures__/action-runner.js'
import { BUSYBOX, REGISTRY, epochOf, listTags, pruneBuildCache, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'

const TEMPLATE = path.join(ROOT, 'templates', 'base.Dockerfile')
const STANDIN_DIR = path.join(ROOT, '__fixtures__', 'micromamba-standin')

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 180_000 })
}

/** `docker run --rm IMAGE sh -c SCRIPT` (through the image's entrypoint), stdout trimmed. */
function inImage(ref: string, script: string): string {
  return sh('docker', ['run', '--rm', ref, 'sh', '-c', script]).trim()
}

function writeTree(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    writeFileSync(path.join(dir, rel), content)
  }
}

const ENV_V1 = [
  'name: demo',
  'channels: [conda-forge]',
  'dependencies:',
  '  - python=3.12',
  '  - numpy=1.26',
  '  - pandas=2.2',
  '  - pip',
  '  - pip:',
  '      - -r requirements.txt',
  '',
].join('\n')

const APP_DOCKERFILE = [
  'ARG BASE_IMAGE',
  'FROM ${BASE_IMAGE}',
  '# runs as the image user, through the activation shell',
  'RUN pip install app-extra && echo "activated=$STANDIN_ACTIVATED uid=$(id -u)" > /home/conda/run-step.txt',
  'COPY app/ /home/conda/app/',
  '',
].join('\n')

describe('bundled base template (stand-in micromamba, real BuildKit and registry)', () => {
  const standinRepo = uniqueRepo('standin')
  const standin = `${REGISTRY}/${standinRepo}:1`
  const repo = uniqueRepo('template')
  const image = `${REGISTRY}/${repo}`
  let ws: string
  let first: ActionResult
  let baseRef: string
  const inputs = (): Record<string, string> => ({
    image,
    dockerfile: 'Dockerfile',
    tags: `${image}:app-1`,
    'base-build-args': `MICROMAMBA_IMAGE=${standin}\nRUNTIME_IMAGE=${BUSYBOX}\nCONDA_OVERRIDE_CUDA=12.4`,
  })

  beforeAll(async () => {
    await requireStack()
    sh('docker', ['buildx', 'build', '--quiet', '--push', '--build-arg', `BUSYBOX=${BUSYBOX}`, '-t', standin, STANDIN_DIR])
    ws = mkdtempSync(path.join(os.tmpdir(), 'ws-template-'))
    writeTree(ws, {
      'environment.yml': ENV_V1,
      'requirements.txt': 'flask==3.0\n',
      'README.md': '# demo\n',
      'app/main.py': 'print("hello")\n',
      Dockerfile: APP_DOCKERFILE,
    })
    first = succeeded(await runAction(inputs(), { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-20') } }))
    baseRef = first.outputs['base-image']!
  })
  afterAll(async () => {
    await removeRepo(repo)
    await removeRepo(standinRepo)
    if (ws) rmSync(ws, { recursive: true, force: true })
  })

  it('builds offline with the built-in Dockerfile frontend (no frontend image pulled)', () => {
    expect(first.outputs['base-reused']).toBe('false')
    expect(baseRef).toMatch(/@sha256:/)
    expect(first.stdout).not.toMatch(/docker\/dockerfile/)
  })

  it('the solve stage saw only the hashed files: not README.md, not the app code', () => {
    const seen = inImage(baseRef, 'cat /opt/conda/share/standin/context-files.txt').split('\n')
    expect(seen).toEqual(['environment.yml', 'requirements.txt'])
    // …and pip's -r file resolved in the environment file's directory
    expect(inImage(baseRef, 'cat /opt/conda/share/standin/pip.txt')).toBe('flask==3.0')
  })

  it('leaves no package cache, pip cache, build context or solver in the image; conda-meta is kept', () => {
    const out = inImage(
      baseRef,
      'for p in /opt/conda/pkgs /root/.cache /home/conda/.cache /tmp/env /bin/micromamba; do [ -e "$p" ] && echo "present: $p"; done; ' +
        'find / -xdev \\( -name "*.conda" -o -name "*.tar.bz2" -o -path "*/.cache/pip*" \\) -print 2>/dev/null; ls /opt/conda/conda-meta',
    )
    expect(out.split('\n').sort()).toEqual([
      'history',
      'numpy-1.26-0_standin.json',
      'pandas-2.2-0_standin.json',
      'pip-1.0-0_standin.json',
      'python-3.12-0_standin.json',
    ])
  })

  it('docker run sees what the activation scripts set', () => {
    expect(inImage(baseRef, 'echo "$STANDIN_ACTIVATED $STANDIN_DATA $CONDA_PREFIX"')).toBe('yes /opt/conda/share/standin /opt/conda')
  })

  it('runs as a numeric non-root user owning the prefix; pip install in an app Dockerfile on top works', () => {
    expect(inImage(baseRef, 'id -u; id -g; stat -c %u /opt/conda /opt/conda/conda-meta')).toBe('57439\n57439\n57439\n57439')
    const app = `${image}:app-1`
    expect(first.outputs.image).toContain(`${image}:app-1@sha256:`)
    // the app's RUN step ran as the image user, with activation, and wrote into the prefix
    expect(inImage(app, 'cat /home/conda/run-step.txt')).toBe('activated=yes uid=57439')
    expect(inImage(app, 'cat /opt/conda/lib/python3.12/site-packages/app-extra/__init__.py')).toBe('installed by 57439')
  })

  it('CONDA_OVERRIDE_CUDA reaches the solver; unset overrides stay unset', () => {
    const view = inImage(baseRef, 'cat /opt/conda/share/standin/solver-view.txt')
    expect(view).toContain('CONDA_OVERRIDE_CUDA=12.4')
    expect(view).toContain('CONDA_OVERRIDE_GLIBC unset')
    expect(view).toContain('condarc=absent')
  })

  it('the report lists the largest conda packages by installed size', () => {
    const s = first.summary
    expect(s).toContain('What makes the base big')
    expect(s).toMatch(/4 conda packages/)
    // python 3.12 (224 KiB) > pandas 2.2 (160 KiB) > numpy 1.26 = pip 1.0 (96 KiB)
    const order = ['python', 'pandas', 'numpy', 'pip'].map((n) => s.indexOf(`\`${n}\``))
    expect(order.every((i) => i > 0)).toBe(true)
    expect([...order].sort((a, b) => a - b)).toEqual(order)
  })

  it('after an edit to unhashed files, a mode: base refresh on a fresh builder has every step cached', async () => {
    writeFileSync(path.join(ws, 'README.md'), '# demo, edited\n')
    writeFileSync(path.join(ws, 'app', 'main.py'), 'print("hello, edited")\n')
    pruneBuildCache()
    const { dockerfile: _app, tags: _tags, ...baseOnly } = inputs()
    const r = succeeded(await runAction({ ...baseOnly, mode: 'base' }, { cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-21') } }))
    expect(r.outputs['env-hash']).toBe(first.outputs['env-hash'])
    expect(r.outputs['base-tag']).toMatch(/-20261121$/)
    expect(Number(r.outputs['total-steps'])).toBeGreaterThan(0)
    expect(r.outputs['cached-steps']).toBe(r.outputs['total-steps'])
  })

  it('with push: false the base stays in the local engine, and the report still lists its largest packages', async () => {
    const local = mkdtempSync(path.join(os.tmpdir(), 'ws-template-'))
    try {
      writeTree(local, { 'environment.yml': ENV_V1.replace('  - pip\n', '  - zlib=1.3\n  - pip\n'), 'requirements.txt': 'flask==3.0\n' })
      const { dockerfile: _app, tags: _tags, ...baseOnly } = inputs()
      const r = succeeded(await runAction({ ...baseOnly, push: 'false' }, { cwd: local, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-21') } }))
      expect(r.outputs['base-reused']).toBe('false')
      expect(await listTags(repo)).not.toContain(r.outputs['base-tag'])
      expect(r.summary).toContain('What makes the base big')
      expect(r.summary).toMatch(/5 conda packages/)
      expect(r.summary).toContain('`zlib`')
      // no container is left behind by the read
      expect(sh('docker', ['ps', '-a', '--filter', `ancestor=${image}:${r.outputs['base-tag']}`, '--format', '{{.ID}}']).trim()).toBe('')
    } finally {
      rmSync(local, { recursive: true, force: true })
    }
  })

  it('an environment change builds a new base; the report lists every package that changed', async () => {
    const changed = mkdtempSync(path.join(os.tmpdir(), 'ws-template-'))
    try {
      writeTree(changed, {
        'environment.yml': ENV_V1.replace('numpy=1.26', 'numpy=2.1').replace('  - pandas=2.2\n', '  - scipy=1.14\n'),
        'requirements.txt': 'flask==3.0\n',
      })
      const { dockerfile: _app, tags: _tags, ...baseOnly } = inputs()
      const r = succeeded(await runAction(baseOnly, { cwd: changed, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-22') } }))
      expect(r.outputs['base-reused']).toBe('false')
      const s = r.summary
      expect(s).toContain('What makes the base big')
      expect(s).toContain('**3 packages changed** — 1 updated, 1 added, 1 removed;')
      expect(s).toMatch(/\| `scipy` \| – \| 1\.14 \| \+[\d.]+ kB \(new\) \|/)
      expect(s).toMatch(/\| `pandas` \| 2\.2 \| – \| \u2212[\d.]+ kB \(gone\) \|/)
      expect(s).toMatch(/\| `numpy` \| 1\.26 \| 2\.1 \| \+[\d.]+ kB, \+\d+(\.\d)?% \|/)
    } finally {
      rmSync(changed, { recursive: true, force: true })
    }
  })
})

describe('bundled base template, built directly: secrets and environment file formats', () => {
  const standinRepo = uniqueRepo('standin')
  const standin = `${REGISTRY}/${standinRepo}:1`
  const repo = uniqueRepo('template-direct')
  let dir: string

  beforeAll(async () => {
    await requireStack()
    sh('docker', ['buildx', 'build', '--quiet', '--push', '--build-arg', `BUSYBOX=${BUSYBOX}`, '-t', standin, STANDIN_DIR])
    dir = mkdtempSync(path.join(os.tmpdir(), 'template-direct-'))
  })
  afterAll(async () => {
    await removeRepo(repo)
    await removeRepo(standinRepo)
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  /** Builds the template on `files` and pushes it; returns the pushed ref. */
  function build(tag: string, files: Record<string, string>, envFile: string, extra: string[] = []): string {
    const ctx = path.join(dir, tag)
    writeTree(ctx, files)
    const ref = `${REGISTRY}/${repo}:${tag}`
    const r = spawnSync(
      'docker',
      [
        'buildx',
        'build',
        '--push',
        '-f',
        TEMPLATE,
        '-t',
        ref,
        '--build-arg',
        `MICROMAMBA_IMAGE=${standin}`,
        '--build-arg',
        `RUNTIME_IMAGE=${BUSYBOX}`,
        '--build-arg',
        `ENVIRONMENT_FILE=${envFile}`,
        ...extra,
        ctx,
      ],
      { encoding: 'utf8', timeout: 180_000 },
    )
    if (r.status !== 0) throw new Error(`build failed:\n${r.stderr.slice(-3000)}`)
    return ref
  }

  it('a condarc secret reaches the solver and is absent from the image config, history and layers', () => {
    const secret = path.join(dir, 'condarc')
    writeFileSync(secret, 'channel_alias: https://mirror.invalid/conda\n# token: tk-s3cr3t-0123456789\n')
    const pipConf = path.join(dir, 'pip.conf')
    writeFileSync(pipConf, '[global]\nindex-url = https://user:pw-s3cr3t@pypi.invalid/simple\n')
    const ref = build('secret', { 'environment.yml': 'dependencies:\n  - python=3.12\n' }, 'environment.yml', [
      '--secret',
      `id=condarc,src=${secret}`,
      '--secret',
      `id=pip_conf,src=${pipConf}`,
    ])
    const view = inImage(ref, 'cat /opt/conda/share/standin/solver-view.txt')
    expect(view).toContain('condarc=readable')
    expect(view).toContain('condarc.channel_alias=https://mirror.invalid/conda')
    expect(view).toContain('pip_conf=readable')
    expect(view).toContain('netrc=absent')
    const inspect = sh('docker', ['image', 'inspect', ref]) + sh('docker', ['history', '--no-trunc', ref])
    expect(inspect).not.toMatch(/s3cr3t/)
    // nowhere in the file system either
    expect(inImage(ref, 'find / -xdev -type f -exec grep -l s3cr3t {} + 2>/dev/null; true')).toBe('')
  })

  it('a new ENV_HASH (e.g. a changed condarc, which is hashed) re-runs the solve even when the context is unchanged', () => {
    const files = { 'environment.yml': 'dependencies:\n  - python=3.12\n' }
    const secret = path.join(dir, 'condarc-2')
    writeFileSync(secret, 'channel_alias: https://mirror-2.invalid/conda\n')
    const a = build('hash-a', files, 'environment.yml', ['--build-arg', 'ENV_HASH=aaaa'])
    expect(inImage(a, 'cat /opt/conda/share/standin/solver-view.txt')).toContain('condarc=absent')
    // Secrets are not part of BuildKit's cache key: with the same context and args the step
    // above would be reused. A new environment hash solves again, with the condarc.
    const b = build('hash-b', files, 'environment.yml', ['--build-arg', 'ENV_HASH=bbbb', '--secret', `id=condarc,src=${secret}`])
    expect(inImage(b, 'cat /opt/conda/share/standin/solver-view.txt')).toContain('condarc.channel_alias=https://mirror-2.invalid/conda')
  })

  it('installs an @EXPLICIT lock, a conda-lock file (whatever its name) and a plain spec list', () => {
    const explicit = build(
      'explicit',
      {
        'envs/linux.lock':
          '# platform: linux-64\n@EXPLICIT\nhttps://conda.invalid/linux-64/zlib-1.3.1-hb9d3cd8_2.conda#abc\nhttps://conda.invalid/noarch/tzdata-2024a-h0c530f3_0.conda#def\nhttps://conda.invalid/noarch/six-1.16.0-pyhd8ed1ab_0.conda#0123\n',
      },
      'envs/linux.lock',
    )
    expect(inImage(explicit, 'ls /opt/conda/conda-meta')).toBe(
      'history\nsix-1.16.0-pyhd8ed1ab_0.json\ntzdata-2024a-h0c530f3_0.json\nzlib-1.3.1-hb9d3cd8_2.json',
    )
    // What micromamba leaves in a prefix (the stand-in's records, see its header): a dated
    // history of the links, records with the package URL and paths_data (a soft link, a text
    // file whose prefix placeholder was rewritten), a noarch: python package's .pyc compiled
    // at install (pyc_file), a compiled package's .pyc shipped (hardlink).
    const history = inImage(explicit, 'cat /opt/conda/conda-meta/history').split('\n')
    expect(history[0]).toMatch(/^==> \d{4}-\d\d-\d\d \d\d:\d\d:\d\d <==$/)
    expect(history).toContain('+https://conda.invalid/linux-64::zlib-1.3.1-hb9d3cd8_2')
    const zlib = JSON.parse(inImage(explicit, 'cat /opt/conda/conda-meta/zlib-1.3.1-hb9d3cd8_2.json')) as {
      url: string
      paths_data: { paths: { _path: string; path_type: string; prefix_placeholder?: string }[] }
    }
    expect(zlib.url).toBe('https://conda.invalid/linux-64/zlib-1.3.1-hb9d3cd8_2.conda')
    const types = Object.fromEntries(zlib.paths_data.paths.map((p) => [p._path, p.path_type]))
    expect(types['lib/libzlib.so']).toBe('softlink')
    expect(types['lib/python3.12/site-packages/zlib/__pycache__/__init__.cpython-312.pyc']).toBe('hardlink')
    expect(zlib.paths_data.paths.find((p) => p._path === 'bin/zlib-config')?.prefix_placeholder).toBe('/opt/anaconda1anaconda2anaconda3')
    expect(inImage(explicit, 'cat /opt/conda/bin/zlib-config; readlink /opt/conda/lib/libzlib.so')).toBe('#!/bin/sh\necho /opt/conda/include\nlibzlib.so.1.3.1')
    const six = inImage(explicit, 'cat /opt/conda/conda-meta/six-1.16.0-pyhd8ed1ab_0.json')
    expect(six).toContain('"noarch": "python"')
    expect(six).toMatch(/"_path": "lib\/python3\.12\/site-packages\/six\/__pycache__\/__init__\.cpython-312\.pyc", "path_type": "pyc_file"/)
    const condaLock = build(
      'condalock',
      {
        'locked.yml':
          'version: 1\nmetadata:\n  platforms: [linux-64]\npackage:\n- name: zlib\n  version: 1.3.1\n  manager: conda\n  platform: linux-64\n- name: openssl\n  version: 3.3.2\n  manager: conda\n  platform: linux-64\n',
      },
      'locked.yml',
    )
    expect(inImage(condaLock, 'ls /opt/conda/conda-meta')).toBe('history\nopenssl-3.3.2-0_lock.json\nzlib-1.3.1-0_lock.json')
    const specList = build(
      'speclist',
      { 'spec.txt': '# This file may be used to create an environment using:\n# platform: linux-64\nzlib=1.3.1=hb9d3cd8_2\nxz=5.6.3=hb9d3cd8_1\n' },
      'spec.txt',
    )
    expect(inImage(specList, 'ls /opt/conda/conda-meta')).toBe('history\nxz-5.6.3-hb9d3cd8_1.json\nzlib-1.3.1-hb9d3cd8_2.json')
  })

  it('works on a runtime image without a shell or libc (scratch) with ACTIVATION_SHELL from the environment', () => {
    const ref = build('scratch', { 'environment.yml': 'dependencies:\n  - python=3.12\n  - busybox\n' }, 'environment.yml', [
      '--build-arg',
      'RUNTIME_IMAGE=scratch',
      '--build-arg',
      'ACTIVATION_SHELL=/opt/conda/bin/sh',
    ])
    const out = sh('docker', ['run', '--rm', ref, 'busybox', 'sh', '-c', 'echo "$STANDIN_ACTIVATED $(busybox id -u) $(busybox ls /bin 2>&1)"']).trim()
    expect(out).toMatch(/^yes 57439 .*(No such file|can't access)/)
  })

  it('KEEP_PYCACHE=false removes __pycache__; IMAGE_USER=0:0 runs as root', () => {
    const ref = build('root-nopyc', { 'environment.yml': 'dependencies:\n  - python=3.12\n' }, 'environment.yml', [
      '--build-arg',
      'KEEP_PYCACHE=false',
      '--build-arg',
      'IMAGE_USER=0:0',
    ])
    expect(inImage(ref, 'id -u; find /opt/conda -name __pycache__ | wc -l')).toBe('0\n0')
    const kept = build('pyc', { 'environment.yml': 'dependencies:\n  - python=3.12\n' }, 'environment.yml')
    expect(Number(inImage(kept, 'find /opt/conda -name __pycache__ | wc -l'))).toBeGreaterThan(0)
  })
})
