// The Builder phase's docker CLI calls: `buildx version`, and `inspectBuilder`, which asks the
// engine (`docker info`) at the same time as buildx for the default builder; failures are kept
// for whoever awaits them. A fake `docker` on PATH records its calls.

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest'
import { buildxVersion, inspectBuilder } from '../src/buildx/index.js'
import { UserError } from '../src/errors.js'

let dir: string
const log = () => readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n').sort()

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'builder-probe-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(() => vi.unstubAllEnvs())

function fakeDocker(script: string): void {
  writeFileSync(path.join(dir, 'calls'), '')
  writeFileSync(path.join(dir, 'docker'), `#!/bin/sh\necho "$*" >> "${dir}/calls"\n${script}\n`)
  chmodSync(path.join(dir, 'docker'), 0o755)
  vi.stubEnv('PATH', `${dir}:${process.env.PATH}`)
}

test('the default builder: version, inspect and docker info, all three under way at once', async () => {
  fakeDocker(`case "$*" in
  "buildx version") echo "github.com/docker/buildx v0.13.1 abc" ;;
  "buildx inspect") printf 'Name:   default\\nDriver: docker\\n\\nNodes:\\nName:      default\\nEndpoint:  default\\nStatus:    running\\nPlatforms: linux/amd64\\n' ;;
  info*) echo '[["driver-type","io.containerd.snapshotter.v1"]]' ;;
esac`)
  const [version, info] = await Promise.all([buildxVersion(), inspectBuilder()])
  expect(version).toBe('v0.13.1')
  expect(info).toMatchObject({ name: 'default', driver: 'docker', canExportCache: true })
  expect(log()).toEqual(['buildx inspect', 'buildx version', 'info --format={{json .DriverStatus}}'])
})

test('buildx missing: both reject with the UserError that names what to install', async () => {
  fakeDocker(`echo "docker: 'buildx' is not a docker command." >&2; exit 1`)
  const version = buildxVersion()
  const info = inspectBuilder()
  await expect(version).rejects.toBeInstanceOf(UserError)
  await expect(info).rejects.toBeInstanceOf(UserError)
  await vi.waitFor(() => expect(log()).toHaveLength(3)) // version, inspect and the early docker info
})
