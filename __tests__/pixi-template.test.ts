// The bundled pixi template (templates/pixi.Dockerfile): its static facts, which template an
// environment file selects (and so which template bytes the environment hash covers), and the
// build args the base build passes. Built for real in pixi-template.e2e.test.ts.
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DockerfileParser } from 'dockerfile-ast'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { actionDefaults } from '../__fixtures__/action-runner.js'
import { testContext } from '../__fixtures__/context.js'
import type { InputName } from '../src/vocabulary/constants.js'
import { BuildArgNames, Labels } from '../src/vocabulary/constants.js'
import { FIXED_LAYERS } from '../src/layers/package-layers.js'
import { getOptions } from '../src/run/options.js'
import { bundledTemplatePath } from '../src/ports/input-files.js'
import { buildxArgs } from '../src/buildx/argv.js'
import type { PixiSource } from '../src/hash/index.js'
import type { ReportData } from '../src/report/model.js'
import { renderReport } from '../src/report/render.js'
import { bundledBuild, bundledBuildArgs, bundledContextSource } from '../src/template/bundled.js'
import { PixiBuildArgNames, pixiBuildArgs, pixiPrefix, pixiProjectDir, templateKindOf } from '../src/template/pixi.js'
import { inputFiles } from '../__fixtures__/input-files.js'

const TEMPLATES = path.join(import.meta.dirname, '..', 'templates')
const TEXT = readFileSync(path.join(TEMPLATES, 'pixi.Dockerfile'), 'utf8')
const BASE = readFileSync(path.join(TEMPLATES, 'base.Dockerfile'), 'utf8')
const df = DockerfileParser.parse(TEXT)
const instructions = df.getInstructions()
const keyword = (i: (typeof instructions)[number]) => i.getKeyword().toUpperCase()
const args = (i: (typeof instructions)[number]) => i.getArgumentsContent() ?? ''

describe('templates/pixi.Dockerfile', () => {
  it('has no parser directive: no `# syntax=` frontend image to pull', () => {
    expect(df.getDirectives()).toEqual([])
    expect(TEXT).not.toMatch(/^#\s*syntax\s*=/im)
  })

  it("builds FROM pixi's own image (a 0.x release, as pixi's container docs name it) and a runtime image, both build args", () => {
    expect(TEXT).toMatch(/^ARG PIXI_IMAGE=ghcr\.io\/prefix-dev\/pixi:0\.\d+\.\d+$/m)
    expect(TEXT).toMatch(/^ARG RUNTIME_IMAGE=\S+$/m)
    const froms = instructions.filter((i) => keyword(i) === 'FROM').map(args)
    expect(froms.slice(0, 3)).toEqual(['${PIXI_IMAGE} AS solve', 'solve AS layers', '${RUNTIME_IMAGE} AS packages-0'])
    expect(froms[froms.length - 1]).toBe('packages-${PACKAGE_LAYERS} AS runtime')
  })

  it('declares the build args the action passes and the shared ones of the micromamba template', () => {
    const declared = instructions.filter((i) => keyword(i) === 'ARG').map((i) => args(i).split('=')[0])
    expect(declared).toEqual(
      expect.arrayContaining([...Object.values(PixiBuildArgNames), BuildArgNames.EnvHash, 'IMAGE_USER', 'KEEP_PYCACHE', 'ACTIVATION_SHELL']),
    )
    for (const v of ['CUDA', 'GLIBC', 'OSX', 'ARCHSPEC']) expect(declared).toContain(`CONDA_OVERRIDE_${v}`)
    expect(declared).not.toContain(BuildArgNames.EnvironmentFile)
  })

  it("mounts pixi's secrets (auth file, config, netrc), each optional, and points pixi at them", () => {
    for (const [id, variable] of [
      ['pixi_auth', 'RATTLER_AUTH_FILE'],
      ['pixi_config', 'PIXI_CONFIG_FILE'],
      ['netrc', 'NETRC'],
    ]) {
      expect(TEXT).toContain(`--mount=type=secret,id=${id},required=false`)
      expect(TEXT).toContain(`export ${variable}=/run/secrets/${id}`)
    }
  })

  it('installs --locked the environment named by PIXI_ENVIRONMENT and bakes `pixi shell-hook` of it into the entrypoint', () => {
    expect(TEXT).toMatch(/pixi install --locked --manifest-path "\$manifest" -e "\$PIXI_ENVIRONMENT"/)
    expect(TEXT).toMatch(/pixi shell-hook --locked --manifest-path "\$manifest" -e "\$PIXI_ENVIRONMENT" -s bash/)
    expect(TEXT).toContain('cat /tmp/keep/shell-hook.sh')
  })

  it('shares its parts with the micromamba template line for line (overrides, pycache, size manifest)', () => {
    const block = (text: string, from: string, lines: number) => {
      const all = text.split('\n')
      const at = all.findIndex((l) => l.startsWith(from))
      expect(at).toBeGreaterThan(0)
      return all.slice(at, at + lines)
    }
    expect(block(TEXT, 'for v in CUDA GLIBC OSX ARCHSPEC', 4)).toEqual(block(BASE, 'for v in CUDA GLIBC OSX ARCHSPEC', 4))
    expect(block(TEXT, 'if [ -r /run/secrets/netrc ]', 1)).toEqual(block(BASE, 'if [ -r /run/secrets/netrc ]', 1))
    expect(block(TEXT, 'case "$KEEP_PYCACHE" in', 5).map((l) => l.replace('"$prefix"', '/opt/conda'))).toEqual(block(BASE, 'case "$KEEP_PYCACHE" in', 5))
    expect(block(TEXT, '    nvb=$(basename "$f" .json)', 11)).toEqual(block(BASE, '    nvb=$(basename "$f" .json)', 11))
    expect(TEXT).toMatch(/^ARG IMAGE_USER=57439:57439$/m)
  })

  it('shares the package-layer script, the SBOM and lock block and the packages-<i> stages with the micromamba template, byte for byte', () => {
    // The texts the two templates must not let drift: each is cut out of both files the same way.
    const cut = (text: string, start: string, end: string): string => {
      const a = text.indexOf(start)
      expect(a).toBeGreaterThan(0)
      const b = text.indexOf(end, a)
      expect(b).toBeGreaterThan(a)
      expect(text.indexOf(start, b)).toBe(-1) // once only
      return text.slice(a, b + end.length)
    }
    for (const [start, end] of [
      ['set -eu\n# conda-image-action package layers', 'rm -rf "$w"\nEOF\n'],
      ['# >>> SBOM and lock', '# <<< SBOM and lock <<<\n'],
      ['FROM ${RUNTIME_IMAGE} AS packages-0\n', 'COPY --from=layers /layers/100/ /\n'],
    ]) {
      const shared = cut(BASE, start!, end!)
      expect(shared.split('\n').length).toBeGreaterThan(20)
      expect(cut(TEXT, start!, end!)).toBe(shared)
    }
    // The script runs on the pixi prefix and the SBOM block reads it.
    expect(TEXT).toContain(
      "ENV PACKAGE_LAYERS_PREFIX=${PIXI_PROJECT_DIR}/.pixi/envs/${PIXI_ENVIRONMENT}\nRUN <<'EOF'\nset -eu\n# conda-image-action package layers",
    )
    expect(TEXT).toContain('cia_prefix=$prefix\n# >>> SBOM and lock')
    expect(BASE).toMatch(/^ARG PACKAGE_LAYERS=(\d+)$/m)
    expect(/^ARG PACKAGE_LAYERS=(\d+)$/m.exec(TEXT)?.[1]).toBe(/^ARG PACKAGE_LAYERS=(\d+)$/m.exec(BASE)?.[1])
  })

  it(`copies the unowned and manifest layers with COPY --link; runs nothing; ${FIXED_LAYERS} layers of its own as the micromamba template; the SBOM and size manifest are the last layer, named by the label`, () => {
    const runtime = instructions.slice(instructions.findIndex((i) => keyword(i) === 'FROM' && args(i).endsWith('AS runtime')))
    expect(runtime.filter((i) => keyword(i) === 'RUN')).toEqual([])
    const line = (i: (typeof instructions)[number]) => TEXT.split('\n')[i.getRange().start.line]!.replace(/^COPY /, '')
    const copies = runtime.filter((i) => keyword(i) === 'COPY').map(line)
    expect(copies).toEqual(['--link --from=layers /layers/unowned/ /', '--link --from=layers /layers/manifest/ /'])
    expect(runtime.filter((i) => ['COPY', 'ADD', 'RUN', 'WORKDIR'].includes(keyword(i))).length).toBe(FIXED_LAYERS)
    const prefix = '${PIXI_PROJECT_DIR}/.pixi/envs/${PIXI_ENVIRONMENT}'
    const layers = runtime.filter((i) => ['COPY', 'ADD', 'RUN'].includes(keyword(i)))
    const label = runtime.find((i) => keyword(i) === 'LABEL' && args(i).startsWith(`${Labels.SizeManifest}=`))
    const manifestPath = args(label!).split('=')[1]
    expect(manifestPath).toBe(`${prefix}/etc/conda-image-action/sizes.json`)
    expect(line(layers[layers.length - 1]!)).toBe('--link --from=layers /layers/manifest/ /')
    expect(args(runtime.find((i) => keyword(i) === 'USER')!)).toBe('${IMAGE_USER}')
    expect(args(runtime.find((i) => keyword(i) === 'ENTRYPOINT')!)).toBe('["/opt/conda-image-action/entrypoint"]')
    expect(args(runtime.find((i) => keyword(i) === 'SHELL')!)).toBe('["/opt/conda-image-action/entrypoint", "/bin/sh", "-c"]')
  })
})

describe('which bundled template an environment file selects', () => {
  it.each([
    ['environment.yml', 'micromamba'],
    ['envs/conda-lock.yml', 'micromamba'],
    ['conda-linux-64.lock', 'micromamba'],
    ['requirements.txt', 'micromamba'],
    ['pixi.toml', 'pixi'],
    ['sub/dir/pixi.lock', 'pixi'],
    ['pyproject.toml', 'pixi'],
    ['pixi.toml.bak', 'micromamba'],
    ['my-pixi.lock', 'micromamba'],
  ])('%s → %s', (file, kind) => {
    expect(templateKindOf(file)).toBe(kind)
  })

  describe('getOptions reads that template, whose bytes the environment hash covers (as base-dockerfile content)', () => {
    let ws: string
    beforeAll(() => {
      ws = mkdtempSync(path.join(os.tmpdir(), 'opts-pixi-'))
      for (const f of ['environment.yml', 'pixi.toml', 'pixi.lock', 'pyproject.toml']) writeFileSync(path.join(ws, f), 'x = 1\n')
    })
    afterAll(() => rmSync(ws, { recursive: true, force: true }))
    const get =
      (file: string) =>
      (name: InputName): string => {
        const inputs: Record<string, string> = { ...actionDefaults(''), image: 'ghcr.io/acme/model', 'environment-file': file }
        return inputs[name] ?? ''
      }

    it.each([
      ['environment.yml', 'base.Dockerfile', BASE],
      ['pixi.toml', 'pixi.Dockerfile', TEXT],
      ['pixi.lock', 'pixi.Dockerfile', TEXT],
      ['pyproject.toml', 'pixi.Dockerfile', TEXT],
    ])('%s → templates/%s', (file, template, content) => {
      const o = getOptions(testContext({ workspace: ws }), get(file), inputFiles)
      expect(path.basename(o.baseDockerfile.path)).toBe(template)
      expect(o.baseDockerfile.content).toBe(content)
      expect(o.baseDockerfile.bundled).toBe(true)
    })
  })
})

describe('the pixi template’s build args', () => {
  it.each([
    ['pixi.toml', 'default', ['MANIFEST=pixi.toml', 'PIXI_PROJECT_DIR=/app', 'PIXI_ENVIRONMENT=default'], '/app/.pixi/envs/default'],
    ['pyproject.toml', 'py312', ['MANIFEST=pyproject.toml', 'PIXI_PROJECT_DIR=/app', 'PIXI_ENVIRONMENT=py312'], '/app/.pixi/envs/py312'],
    ['proj/pixi.toml', 'cuda-12', ['MANIFEST=proj/pixi.toml', 'PIXI_PROJECT_DIR=/app/proj', 'PIXI_ENVIRONMENT=cuda-12'], '/app/proj/.pixi/envs/cuda-12'],
    ['a/b/pixi.toml', 'prod', ['MANIFEST=a/b/pixi.toml', 'PIXI_PROJECT_DIR=/app/a/b', 'PIXI_ENVIRONMENT=prod'], '/app/a/b/.pixi/envs/prod'],
  ])('%s, %s', (manifest, env, expected, prefix) => {
    expect(pixiBuildArgs(manifest, env)).toEqual(expected)
    expect(pixiPrefix(manifest, env)).toBe(prefix)
  })

  it.each([['../pixi.toml'], ['/abs/pixi.toml'], ['a//pixi.toml'], ['./pixi.toml'], [''], ['a/../pixi.toml'], ['a\nb/pixi.toml']])(
    'refuses the manifest path %j',
    (m) => {
      expect(() => pixiProjectDir(m)).toThrow(/not a relative path inside the build context/)
    },
  )

  it.each([['Default'], [''], ['a b'], ['x\nPIXI_IMAGE=evil'], ['a'.repeat(101)]])('refuses the environment name %j', (env) => {
    expect(() => pixiBuildArgs('pixi.toml', env)).toThrow(/not a pixi environment name/)
  })

  it('property: the manifest sits in PIXI_PROJECT_DIR, which is the context directory /app plus the manifest’s directory', () => {
    const segment = fc.stringMatching(/^[a-z0-9_][a-z0-9_.-]{0,11}$/).filter((s) => s !== '.' && s !== '..')
    fc.assert(
      fc.property(
        fc.array(segment, { maxLength: 4 }),
        fc.constantFrom('pixi.toml', 'pyproject.toml'),
        fc.stringMatching(/^[a-z0-9-]{1,20}$/),
        (dirs, file, env) => {
          const manifest = [...dirs, file].join('/')
          const [m, dir, e] = pixiBuildArgs(manifest, env)
          expect(m).toBe(`MANIFEST=${manifest}`)
          expect(dir).toBe(`PIXI_PROJECT_DIR=${path.posix.dirname(path.posix.join('/app', manifest))}`)
          expect(e).toBe(`PIXI_ENVIRONMENT=${env}`)
          expect(pixiPrefix(manifest, env)).toBe(path.posix.join('/app', manifest, '..', '.pixi', 'envs', env))
        },
      ),
    )
  })

  it.each([
    ['micromamba', 'env/environment.yml', undefined, ['ENVIRONMENT_FILE=env/environment.yml', 'ENV_HASH=h']],
    ['pixi', 'pixi.toml', { environment: 'default' }, ['MANIFEST=pixi.toml', 'PIXI_PROJECT_DIR=/app', 'PIXI_ENVIRONMENT=default', 'ENV_HASH=h']],
  ] as const)('the base build passes %s’s args and the environment hash', (kind, inContext, pixi, expected) => {
    expect(bundledBuildArgs(kind, inContext, 'h', pixi)).toEqual(expected)
  })

  it('plans the pixi context from the manifest and the context files the hash read, whichever file environment-file named', () => {
    const pixi = { manifest: '/ws/p/pixi.toml', contextFiles: ['/ws/p/pixi.lock', '/ws/p/pixi.toml', '/ws/lib/a.py'] }
    const fp = { files: ['/ws/p/pixi.lock'], pixi: pixi as never }
    expect(bundledContextSource('pixi', '/ws/p/pixi.lock', fp)).toEqual({ environmentFile: '/ws/p/pixi.toml', files: pixi.contextFiles })
    expect(bundledContextSource('micromamba', '/ws/environment.yml', { files: ['/ws/environment.yml'] })).toEqual({
      environmentFile: '/ws/environment.yml',
      files: ['/ws/environment.yml'],
    })
    expect(() => bundledContextSource('pixi', '/ws/pixi.toml', { files: [] })).toThrow(/did not read a pixi project/)
  })
})

describe('the report of a pixi project', () => {
  const data = (pixi?: ReportData['pixi']): ReportData => ({
    mode: 'auto',
    image: 'ghcr.io/acme/model',
    environmentFile: 'proj/pixi.toml',
    ...(pixi ? { pixi } : {}),
    envHash: 'a'.repeat(64),
    builds: [],
    cache: { cachedSteps: 0, totalSteps: 0, ratio: 0 },
    phases: [],
    push: { enabled: false, reason: 'test' },
    warnings: [],
  })
  it.each([
    [undefined, '| Environment | `aaaaaaaaaaaa` from `proj/pixi.toml` |'],
    [{ environment: 'py312', lock: 'proj/pixi.lock' }, '| Environment | `aaaaaaaaaaaa` from pixi environment `py312` of `proj/pixi.lock` |'],
  ])('names the environment and the lock it came from (%j)', (pixi, row) => {
    expect(renderReport(data(pixi)).split('\n')).toContain(row)
  })
})

describe('the base build of a pixi project: its context and its buildx argv', () => {
  let ws: string
  beforeAll(() => {
    ws = mkdtempSync(path.join(os.tmpdir(), 'pixi-ctx-'))
    for (const [rel, text] of Object.entries({
      'proj/pixi.toml': '[workspace]\nname = "p"\n',
      'proj/pixi.lock': 'version: 6\n',
      'proj/scripts/act.sh': 'export A=1\n',
      'proj/README.md': 'not hashed\n',
      'lib/src/a.py': 'print(1)\n',
    })) {
      mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true })
      writeFileSync(path.join(ws, rel), text)
    }
  })
  afterAll(() => rmSync(ws, { recursive: true, force: true }))

  it.each([
    ['the project only', ['proj/pixi.lock', 'proj/pixi.toml', 'proj/scripts/act.sh'], 'pixi.toml', '/app'],
    ['a path source above the project', ['lib/src/a.py', 'proj/pixi.lock', 'proj/pixi.toml'], 'proj/pixi.toml', '/app/proj'],
  ])('%s: the context holds exactly the hashed files; MANIFEST and PIXI_PROJECT_DIR follow', async (_what, files, manifest, dir) => {
    const abs = files.map((f) => path.join(ws, f))
    const digests = new Map(abs.map((f) => [f, createHash('sha256').update(readFileSync(f)).digest('hex')]))
    const pixi = { manifest: path.join(ws, 'proj/pixi.toml'), environment: 'py312', contextFiles: abs } as unknown as PixiSource
    const dest = mkdtempSync(path.join(os.tmpdir(), 'pixi-ctx-out-'))
    rmSync(dest, { recursive: true })
    try {
      const b = await bundledBuild({
        environmentFile: path.join(ws, 'proj/pixi.lock'),
        fp: { files: [], digests, pixi, hash: 'f'.repeat(64) },
        workspace: ws,
        dest,
      })
      const held = readdirSync(dest, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(dest, path.join(e.parentPath, e.name)))
        .sort()
      const root = manifest === 'pixi.toml' ? 'proj/' : ''
      expect(held).toEqual(files.map((f) => f.slice(root.length)).sort())
      const argv = buildxArgs({
        context: b.context.dir,
        dockerfile: bundledTemplatePath('pixi'),
        tags: ['r/x:base-1'],
        buildArgs: ['PIXI_IMAGE=mirror/pixi:0.77.0', ...b.buildArgs],
        labels: [],
        platforms: [],
        cacheFrom: [],
        output: 'push',
        metadataFile: '/m.json',
      })
      expect(argv).toContain(`--file=${bundledTemplatePath('pixi')}`)
      expect(argv.filter((a) => a.startsWith('--build-arg='))).toEqual([
        '--build-arg=PIXI_IMAGE=mirror/pixi:0.77.0',
        `--build-arg=MANIFEST=${manifest}`,
        `--build-arg=PIXI_PROJECT_DIR=${dir}`,
        '--build-arg=PIXI_ENVIRONMENT=py312',
        `--build-arg=ENV_HASH=${'f'.repeat(64)}`,
      ])
      expect(argv[argv.length - 1]).toBe(b.context.dir)
    } finally {
      rmSync(dest, { recursive: true, force: true })
    }
  })
})
