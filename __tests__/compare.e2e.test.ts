// Comparisons that compare: the README's snippet as written (no `tags`) on a push to main,
// then again after a change — the second run reports the size change against the first
// (`<image>:main`, read before it pushes); a pull request compares with main's image; a new
// base is compared with the previous base.

import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runAction, succeeded } from '../__fixtures__/action-runner.js'
import { compressedSize, epochOf, listTags } from '../__fixtures__/stack.js'
import { e2eSuite } from '../__fixtures__/e2e-suite.js'

const SHA1 = '1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const SHA2 = '2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
const SHA3 = '3333333ccccccccccccccccccccccccccccccccc'

describe("the README snippet's comparisons", () => {
  const suite = e2eSuite('cmp', { quickstart: true })
  const { repo, image } = suite

  const push = (sha: string) =>
    runAction(
      // The snippet: image, environment-file, dockerfile — no tags, no compare-to. (The stand-in
      // base Dockerfile replaces the micromamba template, which cannot reach conda channels here.)
      { image, 'environment-file': 'environment.yml', dockerfile: 'Dockerfile', 'base-dockerfile': 'base.Dockerfile' },
      {
        cwd: suite.ws,
        event: { name: 'push', payload: { ref: 'refs/heads/main', repository: { full_name: 'acme/model', default_branch: 'main' } } },
        env: { GITHUB_REF: 'refs/heads/main', GITHUB_SHA: sha, SOURCE_DATE_EPOCH: epochOf('2026-11-23') },
      },
    )

  it('the second push to main reports the size change against the first', async () => {
    const r1 = succeeded(await push(SHA1))
    expect(r1.outputs.tags!.split('\n')).toEqual(expect.arrayContaining([`${image}:sha-1111111`, `${image}:main`]))
    expect(r1.summary).toMatch(/no previous image to compare with/)
    expect((JSON.parse(r1.outputs.metadata!) as Record<string, unknown>)['containerimage.digest']).toBe(r1.outputs.digest)

    // The application grows by 64 KiB of incompressible data.
    const df = path.join(suite.ws, 'Dockerfile')
    writeFileSync(df, readFileSync(df, 'utf8').replace('CMD [', 'RUN dd if=/dev/urandom of=/app/more.bin bs=1024 count=64 2>/dev/null\nCMD ['))
    const r2 = succeeded(await push(SHA2))
    const before = await compressedSize(repo, 'sha-1111111')
    const after = await compressedSize(repo, 'sha-2222222')
    expect(after).toBeGreaterThan(before)
    expect(r2.summary).toContain(`vs \`${image}:main@sha256:`)
    expect(r2.summary).toMatch(/image \*\*[\d.]+ [kM]B\*\* \(\+/)
    expect(r2.summary).not.toMatch(/no previous image to compare with/)
    expect(r2.summary).toContain(`docker pull ${image}:sha-2222222@sha256:`)
    expect(await listTags(repo)).toEqual(expect.arrayContaining(['main', 'sha-1111111', 'sha-2222222']))
  })

  it('a pull request compares with the image of its target branch, and tags pr-<n>', async () => {
    const r = succeeded(
      await runAction(
        { image, dockerfile: 'Dockerfile', 'base-dockerfile': 'base.Dockerfile', 'pr-comment': 'false' },
        {
          cwd: suite.ws,
          event: {
            name: 'pull_request',
            payload: {
              number: 4,
              pull_request: { number: 4, head: { ref: 'f', repo: { full_name: 'acme/model' } }, base: { ref: 'main', repo: { full_name: 'acme/model' } } },
              repository: { full_name: 'acme/model', default_branch: 'main' },
            },
          },
          env: { GITHUB_REF: 'refs/pull/4/merge', GITHUB_BASE_REF: 'main', GITHUB_SHA: SHA3, SOURCE_DATE_EPOCH: epochOf('2026-11-23') },
        },
      ),
    )
    expect(r.summary).toContain(`vs \`${image}:main@sha256:`)
    expect(r.outputs.tags!.split('\n')).toEqual([`${image}:sha-3333333`, `${image}:pr-4`])
  })

  it('a new base is compared with the previous base, next to the application image', async () => {
    const env = path.join(suite.ws, 'environment.yml')
    writeFileSync(env, readFileSync(env, 'utf8').replace('dependencies:', 'dependencies:\n  - extra-package=1.0'))
    const r = succeeded(await push('4444444ddddddddddddddddddddddddddddddddd'))
    expect(r.outputs['base-reused']).toBe('false')
    expect(r.summary).toMatch(/\| Base size \| \*\*[\d.]+ [kM]B\*\* compressed .* vs `[^`]*:base-[0-9a-f]{12}-20261123(@sha256:[0-9a-f]{12}…)?`/)
  })
})
