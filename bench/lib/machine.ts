// The machine the figures were taken on.

import { execFileSync } from 'node:child_process'
import os from 'node:os'

export interface Machine {
  date: string
  cpus: number
  cpuModel: string
  memoryGiB: number
  os: string
  node: string
  docker: string
  buildx: string
  buildkit: string
  registry: string
  skopeo: string
  storageDriver: string
  /** 1-minute load average when the suite started (other work on the machine skews figures). */
  loadAvg: number
}

function tryRun(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return 'unavailable'
  }
}

export function machine(): Machine {
  const buildkit = tryRun('docker', ['buildx', 'inspect'])
  return {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    docker: tryRun('docker', ['version', '--format', 'client {{.Client.Version}}, server {{.Server.Version}}']),
    buildx: tryRun('docker', ['buildx', 'version']),
    buildkit: `${/Driver:\s*(\S+)/.exec(buildkit)?.[1] ?? '?'} driver, BuildKit ${/BuildKit version:\s*(\S+)/.exec(buildkit)?.[1] ?? /Buildkit:\s*(\S+)/.exec(buildkit)?.[1] ?? '?'}`,
    registry: tryRun('docker-registry', ['--version']),
    skopeo: tryRun('skopeo', ['--version']),
    loadAvg: Math.round(os.loadavg()[0]! * 100) / 100,
    storageDriver: tryRun('docker', ['info', '--format', '{{.Driver}} ({{index .DriverStatus 0}})']),
  }
}
