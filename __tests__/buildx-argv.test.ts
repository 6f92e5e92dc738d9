import { describe, expect, test } from 'vitest'
import {
  buildxArgs,
  cacheToValue,
  createBuilderArgs,
  inspectBuilderArgs,
  parseInspect,
  removeBuilderArgs,
  usesContainerdStore,
  type BuildSpec,
} from '../src/buildx/index.js'
import { UserError } from '../src/vocabulary/user-error.js'

const minimal: BuildSpec = {
  context: '.',
  dockerfile: 'Dockerfile',
  tags: [],
  buildArgs: [],
  labels: [],
  platforms: [],
  cacheFrom: [],
  output: 'none',
  metadataFile: '/tmp/meta.json',
}

describe('buildxArgs', () => {
  test.each<[string, Partial<BuildSpec>, string[]]>([
    ['minimal (no output flag, rawjson by default)', {}, ['buildx', 'build', '--file=Dockerfile', '--metadata-file=/tmp/meta.json', '--progress=rawjson', '.']],
    [
      'everything',
      {
        context: 'env',
        dockerfile: 'env/Dockerfile.base',
        tags: ['ghcr.io/acme/model:base-abc-20260101', 'ghcr.io/acme/model:latest'],
        buildArgs: ['ENVIRONMENT_FILE=environment.yml', 'PY=3.10'],
        labels: ['org.opencontainers.image.revision=abc', 'x=y'],
        platforms: ['linux/amd64', 'linux/arm64'],
        target: 'runtime',
        builder: 'ci',
        cacheFrom: ['type=registry,ref=ghcr.io/acme/model:buildcache', 'type=registry,ref=ghcr.io/acme/model:buildcache-app'],
        cacheTo: 'type=registry,ref=ghcr.io/acme/model:buildcache,mode=max',
        output: 'push',
        pull: true,
        noCache: true,
        progress: 'plain',
      },
      [
        'buildx',
        'build',
        '--builder=ci',
        '--file=env/Dockerfile.base',
        '--tag=ghcr.io/acme/model:base-abc-20260101',
        '--tag=ghcr.io/acme/model:latest',
        '--build-arg=ENVIRONMENT_FILE=environment.yml',
        '--build-arg=PY=3.10',
        '--label=org.opencontainers.image.revision=abc',
        '--label=x=y',
        '--platform=linux/amd64,linux/arm64',
        '--target=runtime',
        '--cache-from=type=registry,ref=ghcr.io/acme/model:buildcache',
        '--cache-from=type=registry,ref=ghcr.io/acme/model:buildcache-app',
        '--cache-to=type=registry,ref=ghcr.io/acme/model:buildcache,mode=max',
        '--push',
        '--pull',
        '--no-cache',
        '--metadata-file=/tmp/meta.json',
        '--progress=plain',
        'env',
      ],
    ],
    [
      "a source date: SOURCE_DATE_EPOCH build-arg before the user's, no provenance attestation",
      { output: 'push', tags: ['demo/model:t'], buildArgs: ['PY=3.10'], sourceDateEpoch: 1700000123 },
      [
        'buildx',
        'build',
        '--file=Dockerfile',
        '--tag=demo/model:t',
        '--build-arg=SOURCE_DATE_EPOCH=1700000123',
        '--build-arg=PY=3.10',
        '--push',
        '--provenance=false',
        '--metadata-file=/tmp/meta.json',
        '--progress=rawjson',
        '.',
      ],
    ],
    [
      'load',
      { output: 'load', tags: ['demo/model:t'] },
      ['buildx', 'build', '--file=Dockerfile', '--tag=demo/model:t', '--load', '--metadata-file=/tmp/meta.json', '--progress=rawjson', '.'],
    ],
    [
      'pull/noCache false add nothing',
      { pull: false, noCache: false, target: '', builder: '' },
      ['buildx', 'build', '--file=Dockerfile', '--metadata-file=/tmp/meta.json', '--progress=rawjson', '.'],
    ],
    [
      'a context that looks like a flag',
      { context: '--push' },
      ['buildx', 'build', '--file=Dockerfile', '--metadata-file=/tmp/meta.json', '--progress=rawjson', './--push'],
    ],
    [
      'stdin context is never produced',
      { context: '-' },
      ['buildx', 'build', '--file=Dockerfile', '--metadata-file=/tmp/meta.json', '--progress=rawjson', './-'],
    ],
    ['empty context means .', { context: '' }, ['buildx', 'build', '--file=Dockerfile', '--metadata-file=/tmp/meta.json', '--progress=rawjson', '.']],
    [
      'a builder over a Docker context runs as docker --context (buildx refuses --builder for it)',
      { builder: 'engine-b', dockerContext: 'engine-b', output: 'push', tags: ['r/x:t'] },
      ['--context=engine-b', 'buildx', 'build', '--file=Dockerfile', '--tag=r/x:t', '--push', '--metadata-file=/tmp/meta.json', '--progress=rawjson', '.'],
    ],
    [
      'a URL context stays',
      { context: 'https://github.com/acme/repo.git#main' },
      ['buildx', 'build', '--file=Dockerfile', '--metadata-file=/tmp/meta.json', '--progress=rawjson', 'https://github.com/acme/repo.git#main'],
    ],
  ])('%s', (_name, over, want) => {
    expect(buildxArgs({ ...minimal, ...over })).toEqual(want)
  })

  test.each<[string, Partial<BuildSpec>, string, number]>([
    ['a tag starting with a dash', { tags: ['--output=type=local,dest=/'] }, '--tag=--output=type=local,dest=/', 1],
    ['a build-arg with spaces and newlines', { buildArgs: ['A=x y\n--push'] }, '--build-arg=A=x y\n--push', 1],
    ['a label with = and quotes', { labels: ['doc={"a": "b=c"}'] }, '--label=doc={"a": "b=c"}', 1],
    ['a target starting with a dash', { target: '-x' }, '--target=-x', 1],
    ['a metadata file with spaces', { metadataFile: '/tmp/a b/--meta.json' }, '--metadata-file=/tmp/a b/--meta.json', 0],
  ])('%s stays one argument', (_name, over, element, added) => {
    const args = buildxArgs({ ...minimal, ...over })
    expect(args).toContain(element)
    expect(args.length).toBe(buildxArgs(minimal).length + added)
  })

  test.each([['linux/amd64,linux/arm64'], [''], [' ']])('refuses platform %j (it would not stay one platform)', (p) => {
    expect(() => buildxArgs({ ...minimal, platforms: [p] })).toThrow(UserError)
  })

  test('is pure: the same spec gives the same argv and the spec is untouched', () => {
    const spec: BuildSpec = { ...minimal, tags: ['a:b'], buildArgs: ['X=1'] }
    const copy = structuredClone(spec)
    expect(buildxArgs(spec)).toEqual(buildxArgs(spec))
    expect(spec).toEqual(copy)
  })
})

test.each<[string, 'min' | 'max', string]>([
  [
    'ghcr.io/acme/model:buildcache',
    'max',
    'type=registry,ref=ghcr.io/acme/model:buildcache,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true',
  ],
  [
    '127.0.0.1:5000/x/y:buildcache-app',
    'min',
    'type=registry,ref=127.0.0.1:5000/x/y:buildcache-app,mode=min,image-manifest=true,oci-mediatypes=true,ignore-error=true',
  ],
])('cacheToValue(%s, %s)', (ref, mode, want) => {
  expect(cacheToValue(ref, mode)).toBe(want)
})

describe('builder argv', () => {
  test.each<[string, Parameters<typeof createBuilderArgs>[1], string[]]>([
    ['defaults', undefined, ['buildx', 'create', '--driver=docker-container', '--name=cia-1', '--driver-opt=network=host', '--bootstrap']],
    ['no driver opts', { driverOpts: [] }, ['buildx', 'create', '--driver=docker-container', '--name=cia-1', '--bootstrap']],
    [
      'image and config',
      { driverOpts: ['image=mirror.local/moby/buildkit:v0.13.2', 'network=host'], config: '/tmp/buildkitd.toml' },
      [
        'buildx',
        'create',
        '--driver=docker-container',
        '--name=cia-1',
        '--driver-opt=image=mirror.local/moby/buildkit:v0.13.2',
        '--driver-opt=network=host',
        '--config=/tmp/buildkitd.toml',
        '--bootstrap',
      ],
    ],
  ])('createBuilderArgs: %s', (_name, opts, want) => {
    expect(createBuilderArgs('cia-1', opts)).toEqual(want)
  })

  test.each([['-H'], ['--host=x'], ['a b'], ['']])('refuses Docker context name %j', (name) => {
    if (name === '') expect(buildxArgs({ ...minimal, dockerContext: name })[0]).toBe('buildx')
    else expect(() => buildxArgs({ ...minimal, dockerContext: name })).toThrow(UserError)
  })

  test('rm and inspect', () => {
    expect(removeBuilderArgs('cia-1')).toEqual(['buildx', 'rm', 'cia-1'])
    expect(inspectBuilderArgs()).toEqual(['buildx', 'inspect'])
    expect(inspectBuilderArgs('my_builder.2')).toEqual(['buildx', 'inspect', 'my_builder.2'])
  })

  test.each([['-f'], ['--all-inactive'], ['a b'], ['x;rm -rf /']])('refuses builder name %j', (name) => {
    expect(() => removeBuilderArgs(name)).toThrow(UserError)
    expect(() => inspectBuilderArgs(name)).toThrow(UserError)
    expect(() => createBuilderArgs(name)).toThrow(UserError)
  })

  test('an empty name is refused where a name is needed, and means "the selected builder" for inspect', () => {
    expect(() => removeBuilderArgs('')).toThrow(UserError)
    expect(() => createBuilderArgs('')).toThrow(UserError)
    expect(inspectBuilderArgs('')).toEqual(['buildx', 'inspect'])
  })
})

describe('parsing buildx output', () => {
  test('parseInspect: docker driver (captured on this machine)', () => {
    const out = `Name:          default
Driver:        docker
Last Activity: 2026-11-23 07:46:05 +0000 UTC

Nodes:
Name:             default
Endpoint:         default
Status:           running
BuildKit version: v0.0.0+unknown
Platforms:        linux/amd64, linux/amd64/v2, linux/amd64/v3, linux/amd64/v4
Labels:
 org.mobyproject.buildkit.worker.executor:             containerd
`
    expect(parseInspect(out)).toEqual({
      name: 'default',
      driver: 'docker',
      endpoint: 'default',
      status: 'running',
      buildkit: 'v0.0.0+unknown',
      platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/amd64/v4'],
    })
  })

  test('parseInspect: docker-container with two nodes, * marks dropped, platforms merged', () => {
    const out = `Name:          multi
Driver:        docker-container
Last Activity: 2026-01-01 00:00:00 +0000 UTC

Nodes:
Name:      multi0
Endpoint:  unix:///var/run/docker.sock
Status:    inactive
Platforms: linux/amd64*

Name:      multi1
Endpoint:  ssh://arm-box
Status:    running
Platforms: linux/arm64*, linux/amd64
`
    expect(parseInspect(out)).toEqual({
      name: 'multi',
      driver: 'docker-container',
      endpoint: 'unix:///var/run/docker.sock',
      status: 'inactive',
      platforms: ['linux/amd64', 'linux/arm64'],
    })
  })

  test.each([
    ['[["driver-type","io.containerd.snapshotter.v1"]]', true],
    ['[["Backing Filesystem","extfs"],["Supports d_type","true"],["Using metacopy","false"],["Native Overlay Diff","true"],["userxattr","false"]]', false],
    ['null', false],
    ['', false],
    ['not json', false],
  ])('usesContainerdStore(%j) = %s', (json, want) => {
    expect(usesContainerdStore(json)).toBe(want)
  })
})
