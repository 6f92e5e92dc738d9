import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { dockerConfigWithLogin } from '../src/secrets/docker-login.js'

let home: string
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'dockercfg-'))
})
afterEach(() => rmSync(home, { recursive: true, force: true }))

/** The Docker config the login wrote (what these tests look at). */
function readConfig(dir: string): { auths: Record<string, { auth?: string }>; credHelpers?: unknown; proxies?: unknown } {
  return JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as {
    auths: Record<string, { auth?: string }>
    credHelpers?: unknown
    proxies?: unknown
  }
}

it('adds auths for the registry, keeps the rest and links the buildx builder list', () => {
  mkdirSync(path.join(home, 'buildx'))
  writeFileSync(
    path.join(home, 'config.json'),
    JSON.stringify({ auths: { 'other.io': { auth: 'b3RoZXI6eA==' } }, credHelpers: { 'ghcr.io': 'gh', 'ecr.aws': 'ecr-login' }, proxies: { default: {} } }),
  )
  const login = dockerConfigWithLogin(['ghcr.io', 'ghcr.io'], 'bot', 's3cret', { DOCKER_CONFIG: home })
  try {
    expect(login.env.DOCKER_CONFIG).toBe(login.dir)
    const cfg = readConfig(login.dir)
    expect(cfg.auths['ghcr.io']?.auth).toBe(Buffer.from('bot:s3cret').toString('base64'))
    expect(cfg.auths['other.io']).toEqual({ auth: 'b3RoZXI6eA==' })
    expect(cfg.credHelpers).toEqual({ 'ecr.aws': 'ecr-login' })
    expect(cfg.proxies).toEqual({ default: {} })
    expect(lstatSync(path.join(login.dir, 'buildx')).isSymbolicLink()).toBe(true)
    expect(login.note).toBeUndefined()
    expect(lstatSync(path.join(login.dir, 'config.json')).mode & 0o077).toBe(0)
  } finally {
    login.cleanup()
  }
  expect(existsSync(login.dir)).toBe(false)
})

it('uses Docker Hub’s key and warns about a global credsStore', () => {
  writeFileSync(path.join(home, 'config.json'), JSON.stringify({ credsStore: 'desktop' }))
  const login = dockerConfigWithLogin(['docker.io'], 'u', 'p', { DOCKER_CONFIG: home })
  try {
    const cfg = readConfig(login.dir)
    expect(Object.keys(cfg.auths)).toEqual(['https://index.docker.io/v1/'])
    expect(login.note).toMatch(/desktop/)
  } finally {
    login.cleanup()
  }
})

it('works without any existing Docker config', () => {
  const login = dockerConfigWithLogin(['127.0.0.1:5001'], 'u', 'p', { DOCKER_CONFIG: path.join(home, 'missing') })
  try {
    const cfg = readConfig(login.dir)
    expect(Object.keys(cfg.auths)).toEqual(['127.0.0.1:5001'])
  } finally {
    login.cleanup()
  }
})
