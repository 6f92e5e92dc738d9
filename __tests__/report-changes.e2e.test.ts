// Through the bundled action, the real registry and BuildKit:
// - a new base lists every conda package that changed against the previous base —
//   a version bump of the same installed size and a build-only change included — built from
//   the bundled template with the stand-in micromamba (__fixtures__/micromamba-standin: its
//   package sizes follow the major version, so 3.12 → 3.13 keeps the size); and every pip
//   distribution that changed, marked as pip (the stand-in's pip leaves the *.dist-info
//   directory pip leaves, RECORD with sizes: a pin of the same length keeps the size), in the
//   job summary and in the sticky PR comment;
// - a fork pull request's run says that no build cache was exported, and pushes
//   nothing (no Actions cache service here, so the local cache directory went nowhere).

import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, succeeded } from '../__fixtures__/action-runner.js'
import { e2eSuite } from '../__fixtures__/e2e-suite.js'
import { startGitHubApi, type GitHubApi } from '../__fixtures__/github-api.js'
import { pullRequestEvent } from '../__fixtures__/pr-fixture.js'
import { BUSYBOX, epochOf, listTags } from '../__fixtures__/stack.js'
import { pushStandin } from '../__fixtures__/standin.js'

const env = (python: string, numpyBuild: string, extra: string, pip: readonly string[] = []) =>
  [
    'channels: [conda-forge]',
    'dependencies:',
    `  - python=${python}`,
    `  - numpy=1.26=${numpyBuild}`,
    `  - ${extra}`,
    ...(pip.length > 0 ? ['  - pip:', ...pip.map((p) => `    - ${p}`)] : []),
    '',
  ].join('\n')

describe('every package change in the report (stand-in micromamba, bundled template)', () => {
  const suite = e2eSuite('pkgchanges', { standin: pushStandin })
  const { image } = suite
  let api: GitHubApi | undefined
  const TOKEN = 'ghs_pkgchanges'

  beforeAll(async () => {
    api = await startGitHubApi()
    api.addToken(TOKEN, 'github-actions[bot]', true)
  })
  afterAll(async () => {
    await api?.close()
  })

  const run = (environment: string, day: string, pr?: number) => {
    writeFileSync(path.join(suite.ws, 'environment.yml'), environment)
    const inputs = { image, 'base-build-args': `MICROMAMBA_IMAGE=${suite.standin.ref}\nRUNTIME_IMAGE=${BUSYBOX}`, ...(pr ? { 'github-token': TOKEN } : {}) }
    return runAction(inputs, {
      cwd: suite.ws,
      ...(pr ? { event: pullRequestEvent(pr) } : {}),
      env: { SOURCE_DATE_EPOCH: epochOf(day), ...(pr ? { GITHUB_API_URL: api!.origin } : {}) },
    })
  }

  it('a version bump of the same size and a build-only change appear, with additions and removals; pip changes marked as pip', async () => {
    const first = succeeded(await run(env('3.12', 'py_0', 'zlib=1.3', ['requests==2.32.2', 'tqdm==4.66.4']), '2026-11-20'))
    expect(first.outputs['base-reused']).toBe('false')
    const r = succeeded(await run(env('3.13', 'py_1', 'pandas=2.2', ['requests==2.32.3', 'rich==13.9.4']), '2026-11-21', 7))
    expect(r.outputs['base-reused']).toBe('false')
    const s = r.summary
    expect(s).toContain(`Against \`${first.outputs['base-tag']}\`: **7 packages changed** — 3 updated, 2 added, 2 removed (3 of them pip);`)
    // a pip bump of the same size (same-length pin: METADATA, REQUESTED, RECORD's sizes agree), an added and a removed distribution
    expect(s).toContain('| `requests` (pip) | 2.32.2 | 2.32.3 | no change |')
    expect(s).toMatch(/\| `rich` \(pip\) \| – \| 13\.9\.4 \| \+\d+ B \(new\) \|/)
    expect(s).toMatch(/\| `tqdm` \(pip\) \| 4\.66\.4 \| – \| \u2212\d+ B \(gone\) \|/)
    // the sticky PR comment carries the same rows
    const comment = api!.commentsOf('acme', 'model', 7).find((c) => c.body.startsWith(`<!-- conda-image-action:${image} -->`))?.body ?? ''
    expect(comment).toContain('| `requests` (pip) | 2.32.2 | 2.32.3 | no change |')
    expect(comment).toContain('(3 of them pip)')
    expect(s).toMatch(/\| Package \| Before \| After \| Installed change \|/)
    // the same-size patch release and the build-only change (stand-in sizes follow the major version)
    expect(s).toContain('| `python` | 3.12 | 3.13 | no change |')
    expect(s).toContain('| `numpy` | 1.26 `py_0` | 1.26 `py_1` | no change |')
    expect(s).toMatch(/\| `pandas` \| – \| 2\.2 \| \+[\d.]+ kB \(new\) \|/)
    expect(s).toMatch(/\| `zlib` \| 1\.3 \| – \| \u2212[\d.]+ kB \(gone\) \|/)
    // the packages section's count agrees with the largest-packages table
    expect(s).toContain('3 conda packages,')
    // the template's steps are named by the command they run: no mount flags, no heredoc marker
    expect(s).toMatch(/\| `\[solve \d\/\d\] RUN micromamba install [^`]*` \| base \|/)
    expect(s).not.toMatch(/RUN --mount|<<'?EOF/)
    if (process.env.E2E_DUMP) writeFileSync(process.env.E2E_DUMP, s)
  })
})

describe('a fork pull request exports no build cache and pushes nothing', () => {
  const suite = e2eSuite('forkcache', { quickstart: true })
  const { repo, image } = suite

  beforeAll(() => {
    // An environment of its own: no other test's base or cache matches it.
    const file = path.join(suite.ws, 'environment.yml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('numpy=1.26', `numpy=1.${(process.pid % 1000) + 1000}`))
  })

  it('the summary says the cache was not exported, as the runner runs the action for a fork’s pull_request event', async () => {
    const event = {
      name: 'pull_request',
      payload: {
        number: 9,
        pull_request: {
          number: 9,
          head: { ref: 'patch-1', repo: { full_name: 'eve/model', fork: true } },
          base: { ref: 'main', repo: { full_name: 'acme/model' } },
        },
        repository: { full_name: 'acme/model', default_branch: 'main' },
      },
    }
    // No ACTIONS_* variables: no Actions cache service, as on a runner where it is unavailable.
    const r = succeeded(
      await runAction({ image, 'base-dockerfile': 'base.Dockerfile' }, { cwd: suite.ws, event, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } }),
    )
    expect(r.outputs['base-reused']).toBe('false')
    const pushRow = r.summary.split('\n').find((l) => l.startsWith('| Push |')) ?? ''
    expect(pushRow).toMatch(/⏸️ not pushed — [^|]*fork/)
    expect(pushRow).toContain('base cache not exported')
    expect(r.summary).toMatch(/\| base \|[^\n]*\| skipped \|/)
    expect(r.summary).not.toMatch(/\| exported \|/)
    expect(r.summary).not.toMatch(/✅ pushed|Pushed tags/)
    expect(await listTags(repo)).toEqual([])
  })
})
