// Static facts of the bundled base template that the action and the docs rely on (the
// template is built for real in base-template.e2e.test.ts).
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { DockerfileParser } from 'dockerfile-ast'
import { describe, expect, it } from 'vitest'
import { BuildArgNames, Labels } from '../src/vocabulary/constants.js'

const TEXT = readFileSync(path.join(import.meta.dirname, '..', 'templates', 'base.Dockerfile'), 'utf8')
const df = DockerfileParser.parse(TEXT)
const instructions = df.getInstructions()
const keyword = (i: (typeof instructions)[number]) => i.getKeyword().toUpperCase()
const args = (i: (typeof instructions)[number]) => i.getArgumentsContent() ?? ''

describe('templates/base.Dockerfile', () => {
  it('has no parser directive: no `# syntax=` frontend image to pull', () => {
    expect(df.getDirectives()).toEqual([])
    expect(TEXT).not.toMatch(/^#\s*syntax\s*=/im)
  })

  it('takes both images as build args, the micromamba image a 2.x release', () => {
    expect(TEXT).toMatch(/^ARG MICROMAMBA_IMAGE=mambaorg\/micromamba:2\.\d+\.\d+\S*$/m)
    expect(TEXT).toMatch(/^ARG RUNTIME_IMAGE=\S+$/m)
    const froms = instructions.filter((i) => keyword(i) === 'FROM').map(args)
    expect(froms[0]).toBe('${MICROMAMBA_IMAGE} AS solve')
    // the runtime image under the package layers (see package-layers.test.ts)
    expect(froms).toContain('${RUNTIME_IMAGE} AS packages-0')
    expect(froms[froms.length - 1]).toBe('packages-${PACKAGE_LAYERS} AS runtime')
  })

  it('declares the build args the action passes', () => {
    const declared = instructions.filter((i) => keyword(i) === 'ARG').map((i) => args(i).split('=')[0])
    expect(declared).toEqual(expect.arrayContaining([BuildArgNames.EnvironmentFile, BuildArgNames.EnvHash, 'IMAGE_USER', 'KEEP_PYCACHE', 'ACTIVATION_SHELL']))
    for (const v of ['CUDA', 'GLIBC', 'OSX', 'ARCHSPEC']) expect(declared).toContain(`CONDA_OVERRIDE_${v}`)
  })

  it('mounts the well-known secrets, each optional', () => {
    for (const id of ['condarc', 'pip_conf', 'netrc']) expect(TEXT).toContain(`--mount=type=secret,id=${id},required=false`)
  })

  it('runs nothing in the runtime stage, and its last layer is the size manifest named by the label', () => {
    const runtime = instructions.slice(instructions.findIndex((i) => keyword(i) === 'FROM' && args(i).endsWith('AS runtime')))
    expect(runtime.filter((i) => keyword(i) === 'RUN')).toEqual([])
    const layers = runtime.filter((i) => ['COPY', 'ADD', 'RUN'].includes(keyword(i)))
    const label = runtime.find((i) => keyword(i) === 'LABEL' && args(i).startsWith(`${Labels.SizeManifest}=`))
    expect(label).toBeDefined()
    const manifestPath = args(label!).split('=')[1]
    // the last layer is the staged manifest directory, holding the file the label names
    expect(args(layers[layers.length - 1]!)).toBe('/layers/manifest/ /')
    // staged from the files the solve stage wrote to /tmp/sizes, sizes.json among them
    expect(TEXT).toContain(`for f in /tmp/sizes/*; do cp "$f" "$m${path.posix.dirname(manifestPath!)}/"`)
    expect(TEXT).toContain(`: "\${cia_prefix:=/opt/conda}" "\${cia_out:=/tmp/sizes}"\n`)
    expect(TEXT).toContain(`} > "$cia_out/${path.posix.basename(manifestPath!)}"\n`)
    expect(runtime.find((i) => keyword(i) === 'USER') && args(runtime.find((i) => keyword(i) === 'USER')!)).toBe('${IMAGE_USER}')
    expect(TEXT).toMatch(/^ARG IMAGE_USER=57439:57439$/m)
  })

  it('installs with -n base -f, so the environment name is not hashed', () => {
    expect(TEXT).toMatch(/micromamba install -y -n base -f "\$spec"/)
  })
})
