// inspectBuilder: `docker buildx inspect`, and for the docker driver the engine's image store —
// over the local engine's socket (a loopback Unix-socket server true to the Engine API's
// `GET /info`) when the docker CLI would use it, else `docker info`. A fake `docker` on PATH
// records its calls.

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { inspectBuilder } from '../src/buildx/index.js'
import { engineDriverStatus, localEngineSocket } from '../src/buildx/engine.js'
import { startEarly } from '../src/early.js'
import { UserError } from '../src/vocabulary/user-error.js'

let dir: string
const log = () => readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n').filter(Boolean).sort()

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'builder-probe-'))
  writeFileSync(path.join(dir, 'config.json'), '{}')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(() => vi.unstubAllEnvs())

const INSPECT_DEFAULT = `Name:   default\\nDriver: docker\\n\\nNodes:\\nName:      default\\nEndpoint:  default\\nStatus:    running\\nBuildKit version: v0.13.2\\nPlatforms: linux/amd64\\n`

function fakeDocker(script: string): void {
  writeFileSync(path.join(dir, 'calls'), '')
  writeFileSync(path.join(dir, 'docker'), `#!/bin/sh\necho "$*" >> "${dir}/calls"\n${script}\n`)
  chmodSync(path.join(dir, 'docker'), 0o755)
  vi.stubEnv('PATH', `${dir}:${process.env.PATH}`)
  vi.stubEnv('DOCKER_CONFIG', dir)
  vi.stubEnv('DOCKER_CONTEXT', '')
}

/** An engine on a Unix socket answering `GET /info` (the fields the Engine API documents; DriverStatus as pairs). */
async function engine(
  answer: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ socket: string; paths: string[]; close(): Promise<void> }> {
  const socket = path.join(dir, `engine-${Math.random().toString(16).slice(2)}.sock`)
  const paths: string[] = []
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '')
    answer(req, res)
  })
  await new Promise<void>((r) => server.listen(socket, r))
  return { socket, paths, close: () => new Promise<void>((r) => server.close(() => r())) }
}

const containerdStore = (_req: http.IncomingMessage, res: http.ServerResponse) =>
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ ID: 'x', Driver: 'overlayfs', DriverStatus: [['driver-type', 'io.containerd.snapshotter.v1']], ServerVersion: '26.1.5' }))

describe('the default builder of the local engine', () => {
  test('buildx inspect, and the image store read over the socket: no `docker info`', async () => {
    fakeDocker(`case "$*" in "buildx inspect") printf '${INSPECT_DEFAULT}' ;; *) exit 3 ;; esac`)
    const e = await engine(containerdStore)
    vi.stubEnv('DOCKER_HOST', `unix://${e.socket}`)
    try {
      expect(await inspectBuilder()).toMatchObject({ name: 'default', driver: 'docker', canExportCache: true, buildkit: 'v0.13.2' })
      expect(log()).toEqual(['buildx inspect'])
      expect(e.paths).toEqual(['/info'])
    } finally {
      await e.close()
    }
  })

  test('an engine without the containerd store cannot export a cache (said with the reason)', async () => {
    fakeDocker(`case "$*" in "buildx inspect") printf '${INSPECT_DEFAULT}' ;; *) exit 3 ;; esac`)
    const e = await engine((_req, res) => res.writeHead(200).end(JSON.stringify({ DriverStatus: [['Backing Filesystem', 'extfs']] })))
    vi.stubEnv('DOCKER_HOST', `unix://${e.socket}`)
    try {
      expect(await inspectBuilder()).toMatchObject({ canExportCache: false, reason: expect.stringMatching(/containerd image store/) as unknown })
      expect(log()).toEqual(['buildx inspect'])
    } finally {
      await e.close()
    }
  })

  test.each([
    ['the socket does not answer', (_req: http.IncomingMessage, res: http.ServerResponse) => res.writeHead(500).end('{"message":"boom"}')],
    ['the answer is not the Engine API', (_req: http.IncomingMessage, res: http.ServerResponse) => res.writeHead(200).end('<html>')],
  ])('%s: `docker info` decides', async (_name, answer) => {
    fakeDocker(`case "$*" in "buildx inspect") printf '${INSPECT_DEFAULT}' ;; info*) echo '[["driver-type","io.containerd.snapshotter.v1"]]' ;; esac`)
    const e = await engine(answer)
    vi.stubEnv('DOCKER_HOST', `unix://${e.socket}`)
    try {
      expect(await inspectBuilder()).toMatchObject({ canExportCache: true })
      expect(log()).toEqual(['buildx inspect', 'info --format={{json .DriverStatus}}'])
    } finally {
      await e.close()
    }
  })

  test('buildx missing: a UserError that names what to install', async () => {
    fakeDocker(`echo "docker: 'buildx' is not a docker command." >&2; exit 1`)
    vi.stubEnv('DOCKER_HOST', `unix://${path.join(dir, 'no-engine.sock')}`)
    await expect(inspectBuilder()).rejects.toBeInstanceOf(UserError)
  })
})

describe('localEngineSocket: only where the docker CLI would use the local socket', () => {
  test.each([
    [{ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, '{}', '/run/user/1000/docker.sock'],
    [{ DOCKER_HOST: 'tcp://10.0.0.2:2376' }, '{}', undefined],
    [{ DOCKER_HOST: 'ssh://me@builder' }, '{}', undefined],
    [{ DOCKER_HOST: 'unix://' }, '{}', undefined],
    [{ DOCKER_CONTEXT: 'remote' }, '{}', undefined],
    [{ DOCKER_CONTEXT: 'default' }, '{}', '/var/run/docker.sock'],
    [{}, '{"currentContext":"engine-b"}', undefined],
    [{}, '{"currentContext":"default"}', '/var/run/docker.sock'],
    [{}, '{}', '/var/run/docker.sock'],
    [{}, 'not json', undefined],
  ])('%j with config %s → %s', (env, config, want) => {
    writeFileSync(path.join(dir, 'config.json'), config)
    expect(localEngineSocket({ DOCKER_CONFIG: dir, ...env })).toBe(want)
    writeFileSync(path.join(dir, 'config.json'), '{}')
  })

  test('a socket nobody listens on fails fast (then the CLI is asked)', async () => {
    await expect(engineDriverStatus(path.join(dir, 'nobody.sock'))).rejects.toThrow()
  })
})

describe('startEarly: the inspection the entry point starts before loading the action', () => {
  test.each([
    [{}, false],
    [{ INPUT_DOCKERFILE: 'Dockerfile' }, true],
    [{ INPUT_DOCKERFILE: '  ' }, false],
    [{ INPUT_DOCKERFILE: 'Dockerfile', INPUT_MODE: 'plan' }, false],
    [{ INPUT_DOCKERFILE: 'Dockerfile', INPUT_MODE: 'merge' }, false],
    [{ INPUT_DOCKERFILE: 'Dockerfile', INPUT_MODE: 'base' }, true],
    [{ INPUT_DOCKERFILE: 'Dockerfile', INPUT_BUILDER: 'ci-builder' }, true],
    [{ INPUT_DOCKERFILE: 'Dockerfile', INPUT_BUILDER: '--driver=evil' }, false],
  ])('%j → inspects: %s', async (inputs, inspects) => {
    fakeDocker(`case "$*" in "buildx inspect"*) printf '${INSPECT_DEFAULT}' ;; *) exit 3 ;; esac`)
    const early = startEarly({ PATH: process.env.PATH, DOCKER_CONFIG: dir, DOCKER_HOST: `unix://${path.join(dir, 'none.sock')}`, ...inputs })
    expect(early.inspect !== undefined).toBe(inspects)
    if (!early.inspect) return expect(log()).toEqual([])
    expect(early.inspect.builder).toBe('INPUT_BUILDER' in inputs ? inputs.INPUT_BUILDER : undefined)
    await early.inspect.info.catch(() => undefined)
    expect(log().filter((l) => l.startsWith('buildx'))).toEqual([`buildx inspect${early.inspect.builder ? ` ${early.inspect.builder}` : ''}`])
  })
})
