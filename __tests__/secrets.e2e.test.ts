// BuildKit secrets the build-push-action way, end to end: `secrets`, `secret-files`,
// `secret-envs` and the `condarc` input reach `RUN --mount=type=secret` of a custom base
// Dockerfile and of the application build; the values are in no argv, no image config, no
// history and no label; rotating a value keeps `env-hash` (only the ids are hashed).

import { createHash } from 'node:crypto'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ROOT, runAction, succeeded, visibleLog } from '../__fixtures__/action-runner.js'
import { REGISTRY, epochOf, getManifest, removeRepo, requireStack, uniqueRepo } from '../__fixtures__/stack.js'

const repo = uniqueRepo('secrets')
const image = `${REGISTRY}/${repo}`
let ws: string

const sha = (s: string) => createHash('sha256').update(s).digest('hex')

// Unique per test run (BuildKit's cache ignores secret contents, so an identical step would be reused).
const NONCE = `${Date.now()}-${process.pid}`
const BASE = `ARG BASE_FROM=127.0.0.1:5000/test/busybox:latest
FROM \${BASE_FROM}
ARG ENVIRONMENT_FILE=environment.yml
COPY \${ENVIRONMENT_FILE} /env.yml
# BuildKit does not key its cache on secret contents: a nonce keeps an earlier run's step out.
ENV NONCE=${NONCE}
RUN --mount=type=secret,id=token,required=true --mount=type=secret,id=condarc,required=true \\
    --mount=type=secret,id=envtok,required=true --mount=type=secret,id=filetok,required=true \\
    for s in token condarc envtok filetok; do sha256sum /run/secrets/$s | cut -c1-64 > /base-$s.sha; done
`
const APP = `ARG BASE_IMAGE
FROM \${BASE_IMAGE}
ARG APP_NONCE
RUN --mount=type=secret,id=token,required=true echo "$APP_NONCE" > /dev/null && sha256sum /run/secrets/token | cut -c1-64 > /app-token.sha
`

beforeAll(async () => {
  await requireStack()
  ws = mkdtempSync(path.join(os.tmpdir(), 'ws-secrets-'))
  cpSync(path.join(ROOT, 'examples', 'quickstart', 'environment.yml'), path.join(ws, 'environment.yml'))
  cpSync(path.join(ROOT, 'examples', 'quickstart', 'requirements.txt'), path.join(ws, 'requirements.txt'))
  writeFileSync(path.join(ws, 'base.Dockerfile'), BASE)
  writeFileSync(path.join(ws, 'App.Dockerfile'), APP)
  writeFileSync(path.join(ws, 'file-token.txt'), 'file-secret-VALUE-31337')
})
afterAll(async () => {
  spawnSync('docker', ['image', 'rm', '-f', `${image}:sha-1111111`, `${image}:sha-2222222`], { encoding: 'utf8' })
  await removeRepo(repo)
  rmSync(ws, { recursive: true, force: true })
})

function fileIn(ref: string, file: string): string {
  execFileSync('docker', ['pull', '-q', ref], { encoding: 'utf8', timeout: 120_000 })
  return execFileSync('docker', ['run', '--rm', ref, 'cat', file], { encoding: 'utf8', timeout: 60_000 }).trim()
}

async function configBlobs(tag: string): Promise<string> {
  const top = (await getManifest(repo, tag))!
  const manifests = top.body.manifests
    ? top.body.manifests.filter((m) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')
    : [{ digest: top.digest }]
  let out = ''
  for (const m of manifests) {
    const mf = (await getManifest(repo, m.digest))!
    out += await (await fetch(`http://${REGISTRY}/v2/${repo}/blobs/${mf.body.config!.digest}`)).text()
  }
  return out
}

it('reach both builds as BuildKit secrets, stay out of the image, and rotating them keeps env-hash', async () => {
  const run = (token: string, condarcToken: string, envToken: string, tags: string) =>
    runAction(
      {
        image,
        'base-dockerfile': 'base.Dockerfile',
        dockerfile: 'App.Dockerfile',
        tags,
        // A new value of a build arg the step uses: the step runs again (the secret alone would not make it).
        'build-args': `APP_NONCE=${NONCE}-${tags}`,
        secrets: `token=${token}`,
        'secret-files': 'filetok=file-token.txt',
        'secret-envs': 'envtok=MY_ENV_TOKEN',
        condarc: `channel_alias: https://mirror.example/conda\ntoken: ${condarcToken}\n`,
      },
      { cwd: ws, env: { MY_ENV_TOKEN: envToken, SOURCE_DATE_EPOCH: epochOf('2026-11-23') } },
    )
  const T1 = 'tok=en-VALUE-one-8d7f'
  const C1 = 'condarc-TOKEN-one-55aa'
  const E1 = 'env-TOKEN-one-77bb'
  const condarc1 = `channel_alias: https://mirror.example/conda\ntoken: ${C1}\n`
  const r1 = succeeded(await run(T1, C1, E1, 'sha-1111111'))
  expect(r1.outputs['base-reused']).toBe('false')
  const baseRef = `${image}:${r1.outputs['base-tag']}`
  expect(fileIn(baseRef, '/base-token.sha')).toBe(sha(T1)) // the value contains '=': it arrives whole
  expect(fileIn(baseRef, '/base-condarc.sha')).toBe(sha(condarc1))
  expect(fileIn(baseRef, '/base-envtok.sha')).toBe(sha(E1))
  expect(fileIn(baseRef, '/base-filetok.sha')).toBe(sha('file-secret-VALUE-31337'))
  expect(fileIn(`${image}:sha-1111111`, '/app-token.sha')).toBe(sha(T1))

  // Nowhere in the images: config blobs (labels, history, env), `docker history`, the log.
  const secrets = [T1, C1, E1, 'file-secret-VALUE-31337']
  for (const tag of [r1.outputs['base-tag']!, 'sha-1111111']) {
    const configs = await configBlobs(tag)
    const history = execFileSync('docker', ['history', '--no-trunc', `${image}:${tag}`], { encoding: 'utf8', timeout: 60_000 })
    for (const s of secrets) {
      expect(configs).not.toContain(s)
      expect(history).not.toContain(s)
    }
    expect(configs).toContain('secret:token') // the ids are hashed (the env document label of the base)
  }
  for (const s of secrets) expect(visibleLog(r1) + r1.summary).not.toContain(s)
  expect(r1.stdout).toContain(`::add-mask::${T1}`)
  expect(r1.stdout).toMatch(/--secret=id=token,src=/)

  // Rotation: new values, same environment hash; the base is reused, the app sees the new token.
  const T2 = 'tok=en-VALUE-two-1c2d'
  const r2 = succeeded(await run(T2, 'condarc-TOKEN-two-66cc', 'env-TOKEN-two-88dd', 'sha-2222222'))
  expect(r2.outputs['env-hash']).toBe(r1.outputs['env-hash'])
  expect(r2.outputs['base-reused']).toBe('true')
  expect(fileIn(`${image}:sha-2222222`, '/app-token.sha')).toBe(sha(T2))
})

it('ssh: the agent socket (`default`) and a key file (`id=path`) reach `RUN --mount=type=ssh`', async () => {
  const sshRepo = uniqueRepo('ssh')
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssh-agent-'))
  const sock = path.join(dir, 'agent.sock')
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' })
  try {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'id_ed25519')], { timeout: 30_000 })
    for (let i = 0; i < 100 && spawnSync('test', ['-S', sock]).status !== 0; i++) await new Promise((r) => setTimeout(r, 50))
    execFileSync('ssh-add', [path.join(dir, 'id_ed25519')], { env: { ...process.env, SSH_AUTH_SOCK: sock }, timeout: 30_000, stdio: 'ignore' })
    const sshWs = mkdtempSync(path.join(os.tmpdir(), 'ws-ssh-'))
    cpSync(path.join(ws, 'environment.yml'), path.join(sshWs, 'environment.yml'))
    cpSync(path.join(ws, 'requirements.txt'), path.join(sshWs, 'requirements.txt'))
    writeFileSync(
      path.join(sshWs, 'base.Dockerfile'),
      `FROM 127.0.0.1:5000/test/busybox:latest\nENV NONCE=${NONCE}\nRUN --mount=type=ssh,required=true test -S "$SSH_AUTH_SOCK"\nRUN --mount=type=ssh,id=gh,required=true test -S "$SSH_AUTH_SOCK"\n`,
    )
    const r = succeeded(
      await runAction(
        { image: `${REGISTRY}/${sshRepo}`, 'base-dockerfile': 'base.Dockerfile', ssh: `default\ngh=${path.join(dir, 'id_ed25519')}` },
        { cwd: sshWs, env: { SSH_AUTH_SOCK: sock, SOURCE_DATE_EPOCH: epochOf('2026-11-23') } },
      ),
    )
    expect(r.outputs['base-reused']).toBe('false')
    expect(r.stdout).toContain('--ssh=default')
    expect(
      (JSON.parse((await configBlobsOf(sshRepo, r.outputs['base-tag']!)).split('\n')[0]!) as { config: { Labels: Record<string, string> } }).config.Labels[
        'io.github.conda-image-action.env-document'
      ],
    ).toContain('ssh:gh')
    rmSync(sshWs, { recursive: true, force: true })
  } finally {
    agent.kill()
    await removeRepo(sshRepo)
    rmSync(dir, { recursive: true, force: true })
  }
})

async function configBlobsOf(r: string, tag: string): Promise<string> {
  const top = (await getManifest(r, tag))!
  const m = top.body.manifests
    ? (await getManifest(r, top.body.manifests.find((d) => d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')!.digest))!
    : top
  return (await fetch(`http://${REGISTRY}/v2/${r}/blobs/${m.body.config!.digest}`)).text()
}
