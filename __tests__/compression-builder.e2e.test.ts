// A compression the builder cannot produce, through the bundled action: a second, real
// dockerd beside the machine's — the classic image store (containerd-snapshotter off), its
// own data root, socket and bridge (never `--bridge=none`: dockerd then deletes the host's
// docker0, which the first daemon's containers need), no iptables — and the action pointed at it by DOCKER_HOST
// with `builder: default` (the docker driver; an explicit builder is kept, not replaced).
// `compression: zstd` / `estargz` is then one input error naming the builder, before any
// build, nothing pushed. Needs root and dockerd (skipped otherwise: the stack of these tests
// runs as root).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction } from '../__fixtures__/action-runner.js'
import { BUSYBOX, REGISTRY, listTags, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'

const canRun = process.getuid?.() === 0 && spawnSync('dockerd', ['--version']).status === 0 && spawnSync('ip', ['-V']).status === 0
/** The second daemon's own bridge (made here, removed after). */
const BRIDGE = `ciatest${process.pid % 100000}`

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 })
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`)
}

describe.skipIf(!canRun)('a compression the builder cannot produce: one error naming the builder, before any build', () => {
  const repo = uniqueRepo('classic-store')
  let dir: string
  let host: string
  let daemon: ChildProcess | undefined
  let ws: string

  beforeAll(async () => {
    await requireStack()
    dir = mkdtempSync(path.join(os.tmpdir(), 'classic-dockerd-'))
    host = `unix://${dir}/docker.sock`
    writeFileSync(path.join(dir, 'daemon.json'), JSON.stringify({ features: { 'containerd-snapshotter': false } }))
    ip('link', 'add', BRIDGE, 'type', 'bridge')
    ip('addr', 'add', '10.213.77.1/24', 'dev', BRIDGE)
    const log = openSync(path.join(dir, 'log'), 'w')
    daemon = spawn(
      'dockerd',
      [
        '--config-file',
        path.join(dir, 'daemon.json'),
        '--data-root',
        path.join(dir, 'data'),
        '--exec-root',
        path.join(dir, 'exec'),
        '--pidfile',
        path.join(dir, 'pid'),
        '-H',
        host,
        `--bridge=${BRIDGE}`,
        '--iptables=false',
        '--ip6tables=false',
        '--storage-driver=vfs',
      ],
      { stdio: ['ignore', log, log] },
    )
    // Ready when it answers (each `docker info` is bounded; the loop too).
    const deadline = Date.now() + 60_000
    for (;;) {
      const r = spawnSync('docker', ['info', '--format', '{{.Driver}} {{json .DriverStatus}}'], {
        env: { ...process.env, DOCKER_HOST: host },
        encoding: 'utf8',
        timeout: 10_000,
      })
      if (r.status === 0) {
        // The classic store: a graph driver, not containerd's snapshotter.
        expect(r.stdout).not.toContain('io.containerd.snapshotter')
        break
      }
      if (daemon.exitCode !== null || Date.now() > deadline) throw new Error(`the second dockerd did not start: ${r.stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    ws = mkdtempSync(path.join(os.tmpdir(), 'ws-classic-'))
    writeFileSync(path.join(ws, 'environment.yml'), `name: t\ndependencies:\n  - python=3.12\n  - zlib=1.${process.pid}\n`)
  }, 90_000)

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      const exited = new Promise((resolve) => daemon!.once('exit', resolve))
      daemon.kill('SIGTERM')
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000).unref())])
      if (daemon.exitCode === null) daemon.kill('SIGKILL')
    }
    spawnSync('ip', ['link', 'delete', BRIDGE], { timeout: 10_000 })
    if (dir) rmSync(dir, { recursive: true, force: true })
    if (ws) rmSync(ws, { recursive: true, force: true })
    await removeRepo(repo)
  }, 60_000)

  it.each(['zstd', 'estargz'])('compression: %s', async (compression) => {
    const r = await runAction(
      {
        image: `${REGISTRY}/${repo}`,
        builder: 'default',
        compression,
        'base-build-args': `MICROMAMBA_IMAGE=${REGISTRY}/${repo}-no-such-micromamba:1\nRUNTIME_IMAGE=${BUSYBOX}`,
      },
      { cwd: ws, env: { DOCKER_HOST: host }, timeoutMs: 120_000 },
    )
    expect(r.code).not.toBe(0)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toContain(
      `The buildx builder "default" (docker driver) cannot produce compression: ${compression}: the Docker engine's classic image store exports gzip layers only.`,
    )
    // No build started (its FROM image would have been named), nothing pushed.
    expect(r.stdout).not.toContain('no-such-micromamba')
    expect(r.stdout).toMatch(/^::group::Builder$/m)
    expect(r.stdout).not.toMatch(/^::group::Build /m)
    expect(await listTags(repo)).toEqual([])
  })

  it("leaves the host's docker0 bridge alone", () => {
    expect(spawnSync('ip', ['link', 'show', 'docker0']).status).toBe(0)
  })
})
