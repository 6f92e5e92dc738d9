// The local engine's image store, asked over its socket (the Engine API's `GET /info`)
// instead of starting the docker CLI for `docker info`: the CLI is a Go program of ~40 ms of
// CPU, and on a 2-core runner the action starts it while it hashes and lists tags. Only when
// the CLI itself would talk to the local socket (no DOCKER_HOST other than unix://, no Docker
// context chosen); anything else, and any failure here, is left to `docker info`.

import http from 'node:http'
import { defaultDockerConfigDir, readDockerConfig } from '../registry/credentials.js'

const DEFAULT_SOCKET = '/var/run/docker.sock'
const INFO_MAX_BYTES = 1 << 20

/** The socket the docker CLI would use for `env`, when it is a local Unix socket. Pure but for reading the Docker config. */
export function localEngineSocket(env: NodeJS.ProcessEnv): string | undefined {
  if (process.platform === 'win32') return undefined
  const host = env.DOCKER_HOST
  if (host) return host.startsWith('unix://') && host.length > 'unix://'.length ? host.slice('unix://'.length) : undefined
  if (env.DOCKER_CONTEXT && env.DOCKER_CONTEXT !== 'default') return undefined
  try {
    const current = (readDockerConfig(defaultDockerConfigDir(env))?.config as { currentContext?: unknown } | undefined)?.currentContext
    if (current !== undefined && current !== '' && current !== 'default') return undefined
  } catch {
    return undefined
  }
  return DEFAULT_SOCKET
}

/** `GET /info` of the engine on `socket` → its `DriverStatus` as JSON (what `docker info --format '{{json .DriverStatus}}'` prints). */
export function engineDriverStatus(socket: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: socket, path: '/info', headers: { host: 'docker' }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = []
      let bytes = 0
      res.on('data', (c: Buffer) => {
        bytes += c.length
        if (bytes > INFO_MAX_BYTES) req.destroy(new Error(`the engine's /info is larger than ${INFO_MAX_BYTES} bytes`))
        else chunks.push(c)
      })
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`the engine answered /info with HTTP ${res.statusCode}`))
        try {
          const info = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { DriverStatus?: unknown }
          if (!info || typeof info !== 'object' || !Array.isArray(info.DriverStatus)) return reject(new Error("the engine's /info has no DriverStatus"))
          resolve(JSON.stringify(info.DriverStatus))
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)))
        }
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`the engine did not answer /info within ${timeoutMs} ms`)))
    req.on('error', reject)
  })
}
