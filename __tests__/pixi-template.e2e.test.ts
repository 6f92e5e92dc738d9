// The bundled pixi template (templates/pixi.Dockerfile), built for real with BuildKit and pushed
// to the real registry, with `docker buildx build` and the build args the action passes
// (src/template/pixi.ts). No conda channel is reachable here, so the build stage is the stand-in
// pixi image (__fixtures__/pixi-standin: busybox plus a script that installs what pixi.lock
// lists the way pixi lays it out); the runtime stage is busybox. The images are checked with
// `docker run`, with the template job's own assertion script (__fixtures__/real-envs/app/
// assert-image.sh) and with the action's size-manifest reader against the registry.

import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../__fixtures__/action-runner.js'
import { pushPixiStandin, type Standin } from '../__fixtures__/standin.js'
import { BUSYBOX, REGISTRY, imageLayers, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'
import { FIXED_LAYERS, PACKAGE_LAYERS_DEFAULT } from '../src/layers/package-layers.js'
import { parseImageName } from '../src/image/reference.js'
import { RegistryClient } from '../src/registry/index.js'
import { registryReader } from '../src/sizes/index.js'
import { pixiBuildArgs, pixiPrefix } from '../src/template/pixi.js'

const TEMPLATE = path.join(ROOT, 'templates', 'pixi.Dockerfile')
const REAL = path.join(ROOT, '__fixtures__', 'real-envs', 'pixi-multi-env')
const ASSERT = path.join(ROOT, '__fixtures__', 'real-envs', 'app', 'assert-image.sh')

function run(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 240_000 })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

/** `docker buildx build --push` of the template; returns the build's output (throws with it on failure). */
function build(context: string, ref: string, buildArgs: string[], extra: string[] = []): string {
  const r = run('docker', [
    'buildx',
    'build',
    '--progress=plain',
    '--push',
    // every run installs (the steps' output is asserted), never a cached layer of an earlier run
    '--no-cache',
    '-f',
    TEMPLATE,
    '-t',
    ref,
    ...buildArgs.flatMap((a) => ['--build-arg', a]),
    ...extra,
    context,
  ])
  if (r.status !== 0) {
    // What the steps printed (not the script BuildKit echoes back)
    const said = r.out.split('\n').filter((l) => /^#\d+ \d+\.\d+ /.test(l))
    throw new Error(`build of ${ref} failed:\n${said.join('\n')}\n${r.out.slice(-1000)}`)
  }
  return r.out
}

/** `docker run --rm IMAGE sh -c SCRIPT` (through the image's entrypoint), stdout trimmed. */
function inImage(ref: string, script: string, mounts: string[] = []): string {
  return execFileSync('docker', ['run', '--rm', ...mounts, ref, 'sh', '-c', script], { encoding: 'utf8', timeout: 120_000 }).trim()
}

/** The linux-64 conda packages of an environment of a version 6 pixi.lock, as name-version-build. */
function lockPackages(lock: string, env: string): string[] {
  const lines = lock.split('\n')
  const start = lines.indexOf(`  ${env}:`)
  const out: string[] = []
  let platform = ''
  for (const l of lines.slice(start + 1)) {
    if (/^ {2}\S/.test(l) || /^\S/.test(l)) break
    const p = /^ {6}(\S+):$/.exec(l)
    if (p) platform = p[1]!
    const c = /^ {6}- conda: (\S+)$/.exec(l)
    if (c && platform === 'linux-64') out.push(path.basename(c[1]!).replace(/\.(conda|tar\.bz2)$/, ''))
  }
  return out.sort()
}

const SYNTHETIC_MANIFEST = [
  '[workspace]',
  'name = "synthetic"',
  'channels = ["conda-forge"]',
  'platforms = ["linux-64"]',
  '',
  '[dependencies]',
  'python = "3.12.*"',
  '',
  '[pypi-dependencies]',
  'tomli = "*"',
  '',
  '[activation]',
  'scripts = ["scripts/activate.sh"]',
  'env.GREETING = "from-manifest"',
  'env.DATA_DIR = "$CONDA_PREFIX/share/data"',
  '',
  '[tasks]',
  'hello = "python -c \'print(1)\'"',
  '',
].join('\n')

// A version 7 lock (named platforms), written for this test in pixi's format: one conda-forge
// python with its sha256, a zlib, and a PyPI wheel.
const SYNTHETIC_LOCK = [
  'version: 7',
  'platforms:',
  '- name: linux-64',
  '  virtual-packages:',
  '  - __unix=0=0',
  '  - __linux=4.18',
  '  - __glibc=2.28',
  'environments:',
  '  default:',
  '    channels:',
  '    - url: https://conda.anaconda.org/conda-forge/',
  '    indexes:',
  '    - https://pypi.org/simple',
  '    packages:',
  '      linux-64:',
  '      - conda: https://conda.anaconda.org/conda-forge/linux-64/python-3.12.8-h9e4cc4f_1_cpython.conda',
  '      - conda: https://conda.anaconda.org/conda-forge/linux-64/libzlib-1.3.1-hb9d3cd8_2.conda',
  '      - pypi: https://files.pythonhosted.org/packages/97/75/10a9ebee3fd790d20926a90a2547f0bf78f371b2f13aa822c759680ca7b9/tomli-2.0.1-py3-none-any.whl',
  'packages:',
  '- conda: https://conda.anaconda.org/conda-forge/linux-64/libzlib-1.3.1-hb9d3cd8_2.conda',
  '  sha256: d4bfe88d7cb447768e31650f06257995601f89076080e76df55e3112d4e47dc4',
  '  md5: 41b599ed2b02abcfdd84302bff174b23',
  '- conda: https://conda.anaconda.org/conda-forge/linux-64/python-3.12.8-h9e4cc4f_1_cpython.conda',
  '  sha256: 3f0e0518c992d8ccfe62b189125721309836fe48a010dc424240583e157f9ff0',
  '  md5: 7fd2fd79436d9b473812f14e86746844',
  '- pypi: https://files.pythonhosted.org/packages/97/75/10a9ebee3fd790d20926a90a2547f0bf78f371b2f13aa822c759680ca7b9/tomli-2.0.1-py3-none-any.whl',
  '  name: tomli',
  '  version: 2.0.1',
  '',
].join('\n')

describe('bundled pixi template (stand-in pixi, real BuildKit and registry)', () => {
  let standin: Standin | undefined
  const repo = uniqueRepo('pixi-template')
  const image = `${REGISTRY}/${repo}`
  let tmp: string
  let realRef: string
  let realBuild: string
  const images = (kind: string): string[] => [`PIXI_IMAGE=${standin!.ref}`, `RUNTIME_IMAGE=${BUSYBOX}`, `ENV_HASH=${kind}`]

  beforeAll(async () => {
    await requireStack()
    standin = pushPixiStandin('pixi-standin')
    tmp = mkdtempSync(path.join(os.tmpdir(), 'pixi-template-'))
    // The real project of pixi's docs, as the action assembles its context: manifest and lock.
    const ctx = path.join(tmp, 'real')
    mkdirSync(ctx)
    for (const f of ['pixi.toml', 'pixi.lock']) cpSync(path.join(REAL, f), path.join(ctx, f))
    realRef = `${image}:real-py312`
    realBuild = build(ctx, realRef, [...images('real'), ...pixiBuildArgs('pixi.toml', 'py312')])
  }, 600_000)
  afterAll(async () => {
    await removeRepo(repo)
    if (standin) await removeRepo(standin.repo)
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  })

  it('builds offline with the built-in Dockerfile frontend (no frontend image pulled), pixi install --locked -e py312', () => {
    expect(realBuild).not.toMatch(/docker\/dockerfile/)
    expect(realBuild).toContain('pixi (stand-in): installed 23 conda and 0 PyPI package(s) into /app/.pixi/envs/py312')
  })

  it('the image runs a command with pixi’s activation applied (shell-hook in the entrypoint), as the numeric non-root user', () => {
    const out = inImage(
      realRef,
      'echo "$CONDA_PREFIX|$CONDA_DEFAULT_ENV|$PIXI_ENVIRONMENT_NAME|$PIXI_PROJECT_NAME|$STANDIN_ACTIVATED|$(id -u)"; python --version',
    )
    expect(out).toBe(`${pixiPrefix('pixi.toml', 'py312')}|hello-world:py312|py312|hello-world|yes|57439\nPython 3.12.8 (stand-in)`)
  })

  it('holds only the environment, at pixi’s path: no pixi, no manifest or lock, no package cache; __pycache__ kept by default', () => {
    const out = inImage(
      realRef,
      'for p in /usr/local/bin/pixi /app/pixi.toml /app/pixi.lock /app/.pixi/envs/default /tmp/pixi-cache /root/.cache /home/conda/.cache; do [ -e "$p" ] && echo "present: $p"; done; ' +
        'ls -A /app; ls -A /app/.pixi; ls -A /app/.pixi/envs; ls /app/.pixi/envs/py312/conda-meta | grep -v "\\.json$"; ' +
        'find $CONDA_PREFIX -name __pycache__ | wc -l',
    )
    expect(out.split('\n')).toEqual(['.pixi', 'envs', 'py312', 'history', 'pixi', 'pixi_env_prefix', '23'])
  })

  it('passes the template job’s assertion script (sizes.json lists the conda-meta records, prefix owned by the user, no caches)', () => {
    const out = inImage(realRef, 'sh /tmp/assert-image.sh --import cowpy --package python --package cowpy', ['-v', `${ASSERT}:/tmp/assert-image.sh:ro`])
    expect(out).toContain('assert-image.sh: all checks passed')
  })

  it('ships the environment in package layers (the default count + the fixed ones on the runtime image), the SBOM and lock in the last layer', async () => {
    const [all, runtime] = [await imageLayers(repo, 'real-py312'), await imageLayers(BUSYBOX.slice(REGISTRY.length + 1).replace(/:latest$/, ''), 'latest')]
    expect(all.length).toBe(runtime.length + PACKAGE_LAYERS_DEFAULT + FIXED_LAYERS)
    const out = inImage(
      realRef,
      'cd $CONDA_PREFIX/etc/conda-image-action && ls && grep -o \'"purl":"pkg:conda/[^"@]*\' sbom.cdx.json | wc -l && grep -c "^https://" explicit.txt && stat -c "%u %Y" $CONDA_PREFIX/bin $CONDA_PREFIX/conda-meta/history',
    )
    expect(out.split('\n')).toEqual([
      'explicit.txt',
      'requirements.lock.txt',
      'sbom.cdx.json',
      'sizes.json',
      '23',
      expect.stringMatching(/^\d+$/),
      '57439 0',
      '57439 0',
    ])
  })

  it('the action’s reader finds the size manifest in the last layer by the label: every package of the lock’s py312 environment', async () => {
    const client = new RegistryClient({
      dockerConfigDir: path.join(tmp, 'no-docker-config'),
      timeoutMs: 15_000,
      retries: 1,
      log: { debug: () => undefined, warning: () => undefined, setSecret: () => undefined },
    })
    const read = await registryReader(client, parseImageName(image, 'image'))('real-py312')
    if (!('packages' in read)) throw new Error(`no size manifest: ${read.missing}`)
    const expected = lockPackages(readFileSync(path.join(REAL, 'pixi.lock'), 'utf8'), 'py312')
    expect(expected).toHaveLength(23)
    expect(read.packages.map((p) => `${p.name}-${p.version}-${p.build}`).sort()).toEqual(expected)
    expect(read.packages.every((p) => p.size > 0)).toBe(true)
    expect(read.packages.find((p) => p.name === 'python')).toMatchObject({ version: '3.12.8', build: 'h9e4cc4f_1_cpython' })
  })

  describe('a project in a subdirectory of the context: a version 7 lock, [activation], PyPI, secrets, overrides', () => {
    let ref: string
    const AUTH = '{"conda.example.org": {"BearerToken": "pixi-auth-SECRET-1"}}'
    const NETRC = 'machine conda.example.org login u password netrc-SECRET-2\n'

    beforeAll(() => {
      const ctx = path.join(tmp, 'sub')
      const files: Record<string, string> = {
        'proj/pixi.toml': SYNTHETIC_MANIFEST,
        'proj/pixi.lock': SYNTHETIC_LOCK,
        'proj/scripts/activate.sh': 'export GREETING=from-script\nexport FROM_SCRIPT="$PIXI_PROJECT_NAME:$CONDA_DEFAULT_ENV"\n',
        'lib/README': 'a file above the project\n',
      }
      for (const [rel, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(ctx, rel)), { recursive: true })
        writeFileSync(path.join(ctx, rel), text)
      }
      writeFileSync(path.join(tmp, 'auth.json'), AUTH)
      writeFileSync(path.join(tmp, 'netrc'), NETRC)
      ref = `${image}:sub`
      build(
        ctx,
        ref,
        [...images('sub'), 'CONDA_OVERRIDE_CUDA=12.4', 'KEEP_PYCACHE=false', ...pixiBuildArgs('proj/pixi.toml', 'default')],
        ['--secret', `id=pixi_auth,src=${path.join(tmp, 'auth.json')}`, '--secret', `id=netrc,src=${path.join(tmp, 'netrc')}`],
      )
    }, 600_000)

    it('installs at /app/proj/.pixi/envs/default; the manifest’s activation script is kept at its path and sourced, [activation.env] applied after it', () => {
      const out = inImage(ref, 'echo "$CONDA_PREFIX|$GREETING|$FROM_SCRIPT|$DATA_DIR|$PIXI_PROJECT_ROOT"; ls -A /app; ls -A /app/proj; ls -A /app/proj/scripts')
      expect(out).toBe(
        '/app/proj/.pixi/envs/default|from-manifest|synthetic:synthetic|/app/proj/.pixi/envs/default/share/data|/app/proj\nproj\n.pixi\nscripts\nactivate.sh',
      )
    })

    it('installs the PyPI wheel of the lock as uv does (dist-info), leaves no uv cache, and removed __pycache__ (KEEP_PYCACHE=false)', () => {
      const out = inImage(
        ref,
        'sp=$CONDA_PREFIX/lib/python3.12/site-packages; cat $sp/tomli-2.0.1.dist-info/INSTALLER; python -c "import tomli" && echo imports; ' +
          'find / -xdev \\( -name __pycache__ -o -path "*/.cache/uv*" -o -name "*.whl" \\) -print 2>/dev/null | head -n 3',
      )
      expect(out).toBe('uv\nimports')
      // the size manifest lists it under pip, sized by its RECORD (what the report compares against the previous base)
      const sizes = JSON.parse(inImage(ref, 'cat $CONDA_PREFIX/etc/conda-image-action/sizes.json')) as {
        pip?: { name: string; version: string; size?: number }[]
      }
      const files = Number(
        inImage(
          ref,
          'd=$CONDA_PREFIX/lib/python3.12/site-packages; cat $d/tomli/__init__.py $d/tomli-2.0.1.dist-info/METADATA $d/tomli-2.0.1.dist-info/INSTALLER | wc -c',
        ),
      )
      expect(sizes.pip).toEqual([{ name: 'tomli', version: '2.0.1', size: files }])
    })

    it('pixi saw the CUDA override, the auth file and the netrc (no config); none of the secrets is in the image', () => {
      const view = inImage(ref, 'cat $CONDA_PREFIX/share/standin/install-view.txt')
      expect(view.split('\n')).toEqual([
        'CONDA_OVERRIDE_CUDA=12.4',
        'CONDA_OVERRIDE_GLIBC unset',
        'CONDA_OVERRIDE_OSX unset',
        'CONDA_OVERRIDE_ARCHSPEC unset',
        'auth_file=readable',
        'config_file=absent',
        'netrc=readable',
      ])
      expect(inImage(ref, 'grep -rl -e pixi-auth-SECRET-1 -e netrc-SECRET-2 /app /home /opt /etc /root /tmp 2>/dev/null || echo none')).toBe('none')
      // the install read the project directory: manifest, lock, activation script
      expect(inImage(ref, 'cat $CONDA_PREFIX/share/standin/project-files.txt').split('\n')).toEqual(['pixi.lock', 'pixi.toml', 'scripts/activate.sh'])
    })

    it('a name the lock does not have fails the build, naming the environments it has', () => {
      const ctx = path.join(tmp, 'sub')
      expect(() => build(ctx, `${image}:bad`, [...images('bad'), ...pixiBuildArgs('proj/pixi.toml', 'gpu')])).toThrow(
        /the lock-file does not contain the environment 'gpu' \(it has: default\)/,
      )
    })
  })
})
