import { parseGrowth, parseSize } from '../src/vocabulary/units.js'
import { describe, expect, it } from 'vitest'
import { STEP_SUMMARY_LIMIT } from '../src/vocabulary/constants.js'
import { UserError } from '../src/vocabulary/user-error.js'
import {
  commentMarker,
  evaluateBudget,
  formatBytes,
  formatDelta,
  formatDuration,
  renderReport,
  sparkline,
  type BuildReport,
  type EnvChange,
  type ReportData,
} from '../src/report/index.js'
import type { RefreshReport, SizeMeasure } from '../src/report/model.js'

const HASH = '3f2a9c1b7d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd'
const DIGEST = 'sha256:9b1c0e7a5d3f2e1c0b9a8f7e6d5c4b3a29180706f5e4d3c2b1a0f9e8d7c6b5a4'
const PREV_DIGEST = 'sha256:1111111111111111111111111111111111111111111111111111111111111111'

const baseBuild: BuildReport = {
  kind: 'base',
  ref: 'ghcr.io/acme/model:base-3f2a9c1b7d4e-20240604',
  digest: DIGEST,
  cachedSteps: 2,
  totalSteps: 5,
  durationMs: 161_000,
  steps: [
    { name: '[runtime 1/3] FROM docker.io/library/debian:bookworm-slim', cached: true, durationMs: 40 },
    { name: '[build 2/4] RUN micromamba install -y -n base -f /tmp/environment.yml', cached: false, durationMs: 141_200 },
    { name: '[build 3/4] RUN micromamba clean --all --yes', cached: false, durationMs: 3_400 },
    { name: '[runtime 2/3] COPY --from=build /opt/conda /opt/conda', cached: false, durationMs: 12_800 },
    { name: '[build 1/4] COPY environment.yml /tmp/environment.yml', cached: true, durationMs: 10 },
    { name: '[runtime 3/3] RUN useradd app', cached: true, durationMs: 5 },
  ],
  cacheExport: 'exported',
}

const appBuild: BuildReport = {
  kind: 'app',
  ref: 'ghcr.io/acme/model:sha-abc1234',
  digest: 'sha256:2222222222222222222222222222222222222222222222222222222222222222',
  cachedSteps: 3,
  totalSteps: 4,
  durationMs: 9_300,
  steps: [
    { name: '[2/4] COPY src /app/src', cached: false, durationMs: 2_100 },
    { name: '[3/4] RUN pip install -e /app', cached: true, durationMs: 0 },
  ],
  cacheExport: 'exported',
}

const changes: EnvChange[] = [
  { section: 'dependencies', kind: 'added', item: 'scikit-learn=1.5' },
  { section: 'dependencies', kind: 'removed', item: 'scipy' },
  { section: 'dependencies', kind: 'changed', item: 'python', before: 'python=3.10', after: 'python=3.11' },
  { section: 'channels', kind: 'changed', item: 'order', before: 'defaults, conda-forge', after: 'conda-forge, defaults' },
  { section: 'files', kind: 'changed', item: 'requirements.txt' },
  { section: 'dockerfile', kind: 'changed', item: 'base Dockerfile content' },
  { section: 'variables', kind: 'added', item: 'OMP_NUM_THREADS', after: '4' },
]

const MB = 1_000_000

function reused(): ReportData {
  return {
    mode: 'auto',
    image: 'ghcr.io/acme/model',
    environmentFile: 'environment.yml',
    envHash: HASH,
    base: {
      tag: 'base-3f2a9c1b7d4e-20240601',
      ref: `ghcr.io/acme/model:base-3f2a9c1b7d4e-20240601@${PREV_DIGEST}`,
      outcome: 'reused',
      decision: 'reused',
      ageDays: 3,
    },
    final: {
      ref: `ghcr.io/acme/model:sha-abc1234@${DIGEST}`,
      digest: DIGEST,
      size: { ref: 'ghcr.io/acme/model:sha-abc1234', total: 412_300_000, platforms: [{ platform: 'linux/amd64', bytes: 412_300_000 }] },
      compareTo: { ref: 'ghcr.io/acme/model:latest', total: 394_100_000, platforms: [{ platform: 'linux/amd64', bytes: 394_100_000 }] },
    },
    builds: [appBuild],
    cache: { cachedSteps: 3, totalSteps: 4, ratio: 0.75 },
    phases: [
      { name: 'Fingerprint', ms: 42 },
      { name: 'Lookup', ms: 812 },
      { name: 'App build', ms: 9_300 },
      { name: 'Measure', ms: 640 },
    ],
    push: { enabled: true, reason: 'credentials present' },
    pushedTags: ['ghcr.io/acme/model:sha-abc1234'],
    warnings: [],
  }
}

function built(): ReportData {
  const r = reused()
  return {
    ...r,
    base: {
      tag: 'base-3f2a9c1b7d4e-20240604',
      ref: `ghcr.io/acme/model:base-3f2a9c1b7d4e-20240604@${DIGEST}`,
      outcome: 'built',
      decision: 'new-environment',
      ageDays: 0,
      changes,
      previousTag: 'base-0a1b2c3d4e5f-20240520',
    },
    final: {
      ref: 'ghcr.io/acme/model:base-3f2a9c1b7d4e-20240604',
      digest: DIGEST,
      size: { ref: 'ghcr.io/acme/model:base-3f2a9c1b7d4e-20240604', total: 412_300_000, platforms: [{ platform: 'linux/amd64', bytes: 412_300_000 }] },
      compareTo: { ref: 'ghcr.io/acme/model:base-0a1b2c3d4e5f-20240520', total: 394_100_000, platforms: [{ platform: 'linux/amd64', bytes: 394_100_000 }] },
    },
    builds: [baseBuild],
    pushedTags: ['ghcr.io/acme/model:base-3f2a9c1b7d4e-20240604'],
    cache: { cachedSteps: 2, totalSteps: 5, ratio: 0.4 },
    phases: [
      { name: 'Fingerprint', ms: 42 },
      { name: 'Lookup', ms: 812 },
      { name: 'Base build', ms: 161_000 },
      { name: 'Measure', ms: 640 },
    ],
    trend: [
      { tag: 'base-0a1b2c3d4e5f-20240506', bytes: 380_100_000 },
      { tag: 'base-0a1b2c3d4e5f-20240513', bytes: 388_000_000 },
      { tag: 'base-0a1b2c3d4e5f-20240520', bytes: 394_100_000 },
      { tag: 'base-3f2a9c1b7d4e-20240604', bytes: 412_300_000 },
    ],
  }
}

type Case = [name: string, data: ReportData, facts: (string | RegExp)[], absent?: (string | RegExp)[]]

/** The reused() report with a final image measured in the local engine. */
function localSize(total: number, measure: SizeMeasure): ReportData {
  const r = reused()
  return { ...r, final: { ...r.final!, size: { ref: 'acme/model:dev', total, platforms: [{ platform: 'linux/amd64', bytes: total }], measure } } }
}

/** A nightly `mode: base` refresh of the same environment as the previous tag. */
function nightly(refresh: RefreshReport, builds?: Pick<ReportData, 'builds' | 'cache'>): ReportData {
  const b = built()
  return {
    ...b,
    mode: 'base',
    base: { ...b.base!, decision: 'nightly', changes: [], previousTag: 'base-3f2a9c1b7d4e-20240603', previousSameEnvironment: true, refresh },
    ...builds,
  }
}

const cases: Case[] = [
  [
    'reused',
    reused(),
    ['♻️ **Base reused**', '412.3 MB** (+18.2 MB, +4.6%)', '3 days old', '`3f2a9c1b7d4e`', '3/4 steps cached (75%)', '✅ pushed', 'total 10.8 s'],
    ['Why the base was rebuilt'],
  ],
  [
    'built (new environment with changes)',
    built(),
    [
      '🔨 **Base built** (environment changed)',
      '#### Why the base was built',
      'Compared with `base-0a1b2c3d4e5f-20240520`',
      '+ scikit-learn=1.5',
      '- scipy',
      '- python: python=3.10',
      '+ python: python=3.11',
      '@@ channels (order = priority) @@',
      '@@ referenced files @@',
      '! requirements.txt (changed)',
      '@@ base Dockerfile @@',
      '+ OMP_NUM_THREADS: 4',
      '2 added, 1 removed, 4 changed',
      'Slowest build steps (top 5 of 6)',
      '▁▂▄█',
      'Size trend** (last 4 dated bases)',
    ],
    ['[runtime 3/3] RUN useradd app'],
  ],
  [
    'nightly',
    {
      ...built(),
      mode: 'base',
      base: {
        ...built().base!,
        decision: 'nightly',
        changes: undefined,
        previousTag: undefined,
        note: 'refresh: pull (FROM images re-pulled, registry cache used)',
      },
    },
    ['(nightly refresh)', 'Nightly refresh (`mode: base`)', 'refresh: pull'],
  ],
  [
    'max-age',
    { ...built(), base: { ...built().base!, decision: 'max-age', changes: undefined, previousTag: 'base-3f2a9c1b7d4e-20240501' } },
    ['(refreshed by max-age)', 'Refreshed by `max-age`', '`base-3f2a9c1b7d4e-20240501`'],
  ],
  [
    'lookup failed',
    {
      ...built(),
      base: { ...built().base!, decision: 'lookup-failed', changes: undefined, previousTag: undefined },
      warnings: ['Tag lookup failed: HTTP 503 from ghcr.io'],
    },
    ['lookup failed, built as a cache miss', 'built as a cache miss (see the warnings)', '#### ⚠️ Warnings', 'HTTP 503'],
  ],
  [
    'plan',
    {
      ...built(),
      mode: 'plan',
      base: { tag: 'base-3f2a9c1b7d4e-20240604', outcome: 'would-build', decision: 'new-environment', changes, previousTag: 'base-0a1b2c3d4e5f-20240520' },
      final: undefined,
      builds: [],
      pushedTags: [],
      cache: { cachedSteps: 0, totalSteps: 0, ratio: 1 },
      trend: undefined,
      push: { enabled: false, reason: 'mode: plan' },
      retention: {
        mode: 'true',
        backend: 'registry',
        kept: [{ tag: 'base-3f2a9c1b7d4e-20240601', ageDays: 3 }],
        deleted: [{ tag: 'base-0a1b2c3d4e5f-20240101', ageDays: 155, reason: 'older than 30 days' }],
        protected: [],
      },
    },
    [
      '📝 conda image plan',
      '**Would build** base `base-3f2a9c1b7d4e-20240604` (new environment)',
      'nothing was built, pushed or deleted',
      'Why a base would be built',
      'nothing pushed (plan)',
      'Would delete **1**',
      'Retention (dry run — nothing deleted)',
    ],
    ['✅ pushed', '🗑️ deleted', 'Base rebuilt'],
  ],
  [
    'multi-platform',
    {
      ...reused(),
      final: {
        ref: 'ghcr.io/acme/model:sha-abc1234',
        digest: DIGEST,
        size: {
          ref: 'x',
          total: 800 * MB,
          platforms: [
            { platform: 'linux/amd64', bytes: 412 * MB },
            { platform: 'linux/arm64', bytes: 388 * MB },
            { platform: 'linux/ppc64le', bytes: 0 },
          ],
        },
        compareTo: {
          ref: 'ghcr.io/acme/model:latest',
          total: 790 * MB,
          platforms: [
            { platform: 'linux/amd64', bytes: 400 * MB },
            { platform: 'linux/arm64', bytes: 390 * MB },
          ],
        },
      },
    },
    [
      'over 3 platforms',
      '| linux/amd64 | 412.0 MB | +12.0 MB, +3.0% |',
      '| linux/arm64 | 388.0 MB | −2.0 MB, −0.5% |',
      '| linux/ppc64le | 0 B | new platform |',
    ],
  ],
  [
    'no previous image',
    {
      ...built(),
      base: { ...built().base!, changes: undefined, previousTag: undefined },
      final: { ...built().final!, compareTo: undefined },
      trend: undefined,
    },
    ['no previous image to compare with', 'first base for it', 'image **412.3 MB**', '🔨 **Base built** (new environment)', '#### Why the base was built'],
    ['(+', 'Size trend'],
  ],
  [
    'shrink',
    {
      ...reused(),
      final: {
        ...reused().final!,
        size: { ref: 'x', total: 391_100_000, platforms: [] },
        compareTo: { ref: 'ghcr.io/acme/model:latest', total: 394_100_000, platforms: [] },
      },
    },
    ['391.1 MB** (−3.0 MB, −0.8%)'],
  ],
  [
    'growth with budget exceeded',
    {
      ...reused(),
      budget: evaluateBudget({ size: 412_300_000, previous: 394_100_000, maxSize: 400 * MB, maxGrowth: { percent: 2 } }),
    },
    [
      '#### ❌ Size budget exceeded (2 of 2)',
      '| `max-size` | 400.0 MB | 412.3 MB | ❌ exceeded |',
      '| `max-growth` | \\+2% | \\+18.2 MB, \\+4.6% | ❌ exceeded |',
    ],
  ],
  [
    'budget within',
    { ...reused(), budget: evaluateBudget({ size: 412_300_000, previous: undefined, maxSize: 1_000 * MB, maxGrowth: { percent: 10 } }) },
    ['#### Size budget', '✅ within', '➖ not evaluated: no previous image to compare with'],
    ['exceeded'],
  ],
  [
    'a registry cache BuildKit refused to import, beside the ratio; an exported one too large to import, with the push',
    {
      ...built(),
      builds: [
        {
          ...baseBuild,
          cacheImport: ['the registry cache ghcr.io/acme/model:buildcache was not imported (blob sha256:ab is too large (1240118 > 1048576))'],
          cacheNote: 'the registry cache ghcr.io/acme/model:buildcache was exported with a 1.18 MiB cache config, over the 1 MiB BuildKit imports',
        },
      ],
    },
    [
      /\| Cache \| 2\/5 steps cached \(40%\) · ⚠️ base: the registry cache ghcr\.io\/acme\/model:buildcache was not imported \S+blob sha256:ab is too large/,
      /\| Push \| ✅ pushed · base the registry cache ghcr\.io\/acme\/model:buildcache was exported with a 1\.18 MiB cache config/,
    ],
  ],
  [
    'fork, not pushed',
    {
      ...built(),
      push: { enabled: false, reason: 'pull request from a fork' },
      builds: [{ ...baseBuild, cacheExport: 'skipped', cacheNote: 'not pushing' }],
      pushedTags: [],
    },
    ['⏸️ not pushed — pull request from a fork', 'base cache not exported (not pushing)'],
    ['✅ pushed'],
  ],
  [
    'retention',
    {
      ...reused(),
      retention: {
        mode: 'true',
        backend: 'ghcr',
        kept: [{ tag: 'base-3f2a9c1b7d4e-20240601', ageDays: 3, reason: 'newest 3 of its hash' }],
        deleted: [{ tag: 'base-0a1b2c3d4e5f-20240101', ageDays: 155, reason: 'older than 30 days' }],
        protected: [{ tag: 'base-0a1b2c3d4e5f-20240102', ageDays: 154, reason: 'digest shared with a kept tag' }],
      },
    },
    ['#### Retention', 'Deleted **1** · kept **1** · protected **1** (via ghcr)', '🗑️ deleted', '🛡️ protected', 'digest shared with a kept tag'],
    ['dry run'],
  ],
  [
    'retention dry-run with error',
    {
      ...reused(),
      retention: {
        mode: 'dry-run',
        backend: 'registry',
        kept: [],
        deleted: [{ tag: 'base-old-20240101' }],
        protected: [],
        error: 'DELETE is disabled on this registry',
      },
    },
    ['Retention (dry run — nothing deleted)', 'Would delete **1**', 'would delete |', 'DELETE is disabled'],
  ],
  [
    'nightly refresh of the same environment, every step from the cache',
    nightly(
      { kind: 'pull', cachedSteps: 6, totalSteps: 6, rebuilt: [] },
      {
        builds: [{ ...baseBuild, cachedSteps: 6, totalSteps: 6, steps: baseBuild.steps.map((st) => ({ ...st, cached: true })) }],
        cache: { cachedSteps: 6, totalSteps: 6, ratio: 1 },
      },
    ),
    [
      'Same environment as `base-3f2a9c1b7d4e-20240603` (identical hash)',
      'all 6 steps came from the cache',
      'was **not** solved again',
      '`refresh: full` solves it again',
    ],
    ['a different hash can come from', 'this is the first base'],
  ],
  [
    'nightly refresh that ran steps again',
    nightly({
      kind: 'pull',
      cachedSteps: 1,
      totalSteps: 3,
      rebuilt: ['[solve 3/4] RUN micromamba install -y -n base -f "$spec" …', '[solve 4/4] RUN mkdir -p "$d"'],
    }),
    ['2 of 3 steps ran again', 'RUN micromamba install'],
  ],
  [
    'refresh: full',
    {
      ...built(),
      mode: 'base',
      base: { ...built().base!, decision: 'nightly', refresh: { kind: 'full', cachedSteps: 0, totalSteps: 3, rebuilt: ['a', 'b', 'c'] } },
    },
    ['`refresh: full`', 'the environment was solved again'],
  ],
  [
    'second mode: base run of the day',
    {
      ...reused(),
      mode: 'base',
      final: { ...reused().final!, ref: reused().base!.ref! },
      builds: [],
      pushedTags: [],
      cache: { cachedSteps: 0, totalSteps: 0, ratio: 1 },
    },
    ["today's base for this environment already exists", '✅ nothing to push — nothing was built', 'nothing built'],
    ['✅ pushed', 'Why the base'],
  ],
  [
    'the base build failed',
    {
      ...built(),
      base: { ...built().base!, outcome: 'build-failed', ref: undefined },
      final: undefined,
      builds: [],
      pushedTags: [],
      cache: { cachedSteps: 0, totalSteps: 0, ratio: 1 },
      failure: { phase: 'Build base base-3f2a9c1b7d4e-20240604', message: 'solve failed', log: [], hints: [], userError: true },
    },
    ['| Base | ❌ build failed', '· not created', 'no build finished (the run failed)', '#### Why a base build ran', '❌ the run failed: nothing was pushed'],
    ['🔨 built', 'Why the base was built', '✅', '| Pull |'],
  ],
  [
    'a failure before the base build',
    {
      ...built(),
      base: { ...built().base!, outcome: 'not-reached', ref: undefined },
      final: undefined,
      builds: [],
      pushedTags: [],
      failure: { phase: 'Builder', message: 'no builder', log: [], hints: [], userError: false },
    },
    ['| Base | ⏭️ not built — the run failed before the base build', '#### Why a base build was due'],
    ['🔨 built', 'Why the base was built'],
  ],
  [
    'phases that overlapped: each its own time, marked, and a wall-clock total',
    {
      ...reused(),
      phases: [
        { name: 'Inputs', ms: 10, startMs: 0, endMs: 10 },
        { name: 'Environment hash', ms: 390, startMs: 10, endMs: 400 },
        { name: 'Lookup', ms: 341, startMs: 10, endMs: 401, overlapped: ['Environment hash'] },
        { name: 'Measure', ms: 99, startMs: 401, endMs: 500 },
      ],
    },
    ['Lookup 341 ms (alongside Environment hash)', '**total 500 ms**'],
    ['Lookup 0 ms', 'total 840 ms'],
  ],
  [
    'store: local on the containerd image store, compared with a registry image',
    localSize(412_300_000, 'engine-compressed'),
    ['**412.3 MB** compressed (in the local engine: layers, config and manifest) (linux/amd64) · +18.2 MB, +4.6% vs `ghcr.io/acme/model:latest`'],
    ['uncompressed', '(local)'],
  ],
  [
    'an unpacked local size is not compared with a compressed registry size',
    localSize(1_200_000_000, 'engine-uncompressed'),
    ['**1.2 GB** unpacked (in the local engine)', 'not compared with `ghcr.io/acme/model:latest` (394.1 MB): it is compressed, this one unpacked'],
    ['+805', 'image **1.2 GB** ('],
  ],
  [
    'a failure before the lookup',
    {
      ...built(),
      base: undefined,
      final: undefined,
      builds: [],
      pushedTags: [],
      failure: { phase: 'Lookup', message: 'bad', log: [], hints: [], userError: true },
    },
    ['❌ **Failed** in Lookup'],
    ['Why', 'first base', '| Base'],
  ],
]

describe('renderReport', () => {
  it.each(cases)('%s', (_name, data, facts, absent = []) => {
    const md = renderReport(data)
    for (const f of facts) {
      if (typeof f === 'string') expect(md).toContain(f)
      else expect(md).toMatch(f)
    }
    for (const f of absent) {
      if (typeof f === 'string') expect(md).not.toContain(f)
      else expect(md).not.toMatch(f)
    }
    expect(md).not.toContain(commentMarker(data.image))
    expect(md).toMatchSnapshot()
  })

  it.each(cases)('%s (comment)', (_name, data) => {
    const md = renderReport(data, { forComment: true })
    expect(md.startsWith(`${commentMarker(data.image)}\n`)).toBe(true)
    expect(md.length).toBeLessThanOrEqual(renderReport(data).length + commentMarker(data.image).length + 2)
    expect(md).toMatchSnapshot()
  })

  it('is pure: same input, same output; input not mutated', () => {
    const data = built()
    const copy = structuredClone(data)
    expect(renderReport(data)).toBe(renderReport(data))
    expect(data).toEqual(copy)
  })

  it('shows the slowest five steps, slowest first, with cached flags', () => {
    const md = renderReport(built())
    const block = md.slice(md.indexOf('<details><summary>Slowest'), md.indexOf('</details>', md.indexOf('<details><summary>Slowest')))
    const order = ['micromamba install', 'COPY --from=build', 'micromamba clean', 'FROM docker.io', 'COPY environment.yml']
    const positions = order.map((s) => block.indexOf(s))
    expect(positions.every((p) => p > 0)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
    expect(block).toContain('2 m 21 s')
    expect(block).not.toContain('useradd')
    expect(block.match(/✅ cached/g)).toHaveLength(2)
  })

  it('renders the full environment hash, and the full digest only on the pull line (elsewhere shortened)', () => {
    const md = renderReport(reused())
    expect(md).toContain(HASH)
    const lines = md.split('\n').filter((l) => l.includes(DIGEST))
    expect(lines).toEqual([`| Pull | \`docker pull ghcr.io/acme/model:sha-abc1234@${DIGEST}\` |`])
    expect(md).toContain(`@${DIGEST.slice(0, 19)}…\``)
    const comment = renderReport(reused(), { forComment: true })
    expect(comment.match(/sha256:[0-9a-f]{64}/g)).toHaveLength(1)
  })

  it('says what was attached to a base it built: the SBOM by digest (in full in the summary, short in the comment), its components, the lock', () => {
    const d = built()
    const sbomRef = `ghcr.io/acme/model@sha256:${'5'.repeat(64)}`
    const data = { ...d, base: { ...d.base!, sbom: { ref: sbomRef, platforms: 1, conda: 41, pip: 3, lock: '/opt/conda/etc/conda-image-action/explicit.txt' } } }
    const md = renderReport(data)
    expect(md).toContain(
      `| SBOM | 📄 CycloneDX, attached to the base as an OCI referrer: \`${sbomRef}\` — 41 conda and 3 pip components; lock \`/opt/conda/etc/conda-image-action/explicit.txt\` in the base image |`,
    )
    const comment = renderReport(data, { forComment: true })
    expect(comment.split('\n').filter((l) => l.startsWith('| SBOM |'))).toEqual([
      `| SBOM | 📄 attached \`ghcr.io/acme/model@sha256:${'5'.repeat(12)}…\` — 41 conda and 3 pip components; lock \`/opt/conda/etc/conda-image-action/explicit.txt\` in the base image |`,
    ])
    const two = renderReport({ ...data, base: { ...data.base, sbom: { ...data.base.sbom, platforms: 2 } } })
    expect(two).toContain("(one per platform manifest, 2 attached; this is the first platform's)")
    // nothing attached, nothing said; a reused base never has the row
    expect(renderReport(d)).not.toMatch(/\| SBOM \|/)
    const r = reused()
    expect(renderReport({ ...r, base: { ...r.base!, sbom: data.base.sbom } })).not.toMatch(/\| SBOM \|/)
  })

  it('says a rebuild that changed nothing is unchanged, naming the reference that had the digest', () => {
    const d = built()
    const md = renderReport({ ...d, final: { ...d.final!, unchangedFrom: 'ghcr.io/acme/model:sha-1111111' } })
    expect(md).toContain('unchanged (same digest as `ghcr.io/acme/model:sha-1111111`)')
    expect(renderReport(d)).not.toContain('unchanged (same digest')
  })
})

describe('renderReport: day-one points', () => {
  it('a failure leads the report: what, where, log, what to try; no "pushed"', () => {
    const md = renderReport({
      ...built(),
      failure: {
        phase: 'Build application ghcr.io/acme/model:sha-abc1234',
        message: 'docker buildx build failed (exit 1) at [3/4] COPY app/mian.py /app/',
        where: 'Dockerfile line 4',
        log: ['ERROR: failed to solve: "/app/mian.py": not found'],
        hints: ['Check that the file exists in the build context.'],
        userError: true,
      },
      pushedTags: ['ghcr.io/acme/model:base-3f2a9c1b7d4e-20240604'],
      runUrl: 'https://github.com/acme/model/actions/runs/9',
    })
    expect(md).toMatch(/^### ❌ conda image failed/)
    expect(md).toContain('❌ **Failed** in Build application')
    expect(md).toContain('Dockerfile line 4')
    expect(md).toMatch(/```text\nERROR: failed to solve/)
    expect(md).toContain('**What to try:**')
    expect(md).toContain('❌ the run failed after pushing `ghcr.io/acme/model:base-3f2a9c1b7d4e-20240604`')
    expect(md).not.toContain('✅ pushed')
    expect(md).toContain('[workflow run](https://github.com/acme/model/actions/runs/9)')
  })

  it('a failure before the environment was hashed shows only what is known', () => {
    const md = renderReport({
      ...built(),
      envHash: '',
      failure: { phase: 'Lookup', message: 'Cannot push to ghcr.io/acme/model', log: [], hints: [], userError: true },
    })
    expect(md).toContain('❌ **Failed** in Lookup')
    expect(md).not.toContain('| Environment |')
  })

  it('a successful run lists the pushed tags and a docker pull line; the cache ratio is shown once', () => {
    const md = renderReport({ ...reused(), pushedTags: ['ghcr.io/acme/model:sha-abc1234', 'ghcr.io/acme/model:main'] })
    expect(md).toContain('| Pushed tags | `ghcr.io/acme/model:sha-abc1234`<br>`ghcr.io/acme/model:main` |')
    expect(md).toMatch(/\| Pull \| `docker pull ghcr.io\/acme\/model/)
    expect(md.match(/75(\.0)?%/g)).toHaveLength(1)
  })

  it('plan mode says push where a run would push', () => {
    const plan: ReportData = {
      ...built(),
      base: { ...built().base!, outcome: 'would-build' },
      mode: 'plan',
      builds: [],
      final: undefined,
      push: { enabled: true, reason: 'push: auto' },
    }
    expect(renderReport(plan)).toContain('nothing pushed (plan) — a run would push')
    expect(renderReport({ ...plan, push: { enabled: false, reason: 'push: false' } })).toContain('a run would not push: push: false')
  })

  it('a new base next to the application image is compared with the previous base', () => {
    const d = built()
    const md = renderReport({
      ...d,
      base: {
        ...d.base!,
        size: { ref: 'ghcr.io/acme/model:base-new', total: 400_000_000, platforms: [] },
        compareTo: { ref: 'ghcr.io/acme/model:base-old', total: 390_000_000, platforms: [] },
      },
    })
    expect(md).toMatch(/\| Base size \| \*\*400\.0 MB\*\* compressed · \+10\.0 MB, \+2\.6% vs `ghcr.io\/acme\/model:base-old` \|/)
  })
})

describe('renderReport with hostile input', () => {
  const evil = 'x|y`z<script>alert(1)</script>\n# heading\n*b* _i_ [l](javascript:alert(1)) @everyone ```'
  const data: ReportData = {
    ...built(),
    image: 'ghcr.io/acme/mo|del`<b>',
    environmentFile: 'envs/<img src=x onerror=alert(1)>|.yml',
    base: {
      ...built().base!,
      tag: `base-${evil}`,
      previousTag: evil,
      changes: [
        { section: evil, kind: 'added', item: evil, after: evil },
        { section: 'dependencies', kind: 'changed', item: '```', before: '````', after: '\n```\n<script>' },
      ],
      note: evil,
    },
    final: { ...built().final!, ref: evil, digest: evil },
    builds: [{ ...baseBuild, ref: evil, steps: [{ name: evil, cached: false, durationMs: 5 }], cacheExport: 'failed', cacheNote: evil }],
    phases: [{ name: evil, ms: 1 }],
    push: { enabled: false, reason: evil },
    trend: [
      { tag: evil, bytes: 1 },
      { tag: evil, bytes: 2 },
    ],
    budget: [{ kind: 'max-size', limit: evil, actual: evil, exceeded: true, note: evil }],
    retention: { mode: 'dry-run', backend: evil, kept: [{ tag: evil, reason: evil }], deleted: [], protected: [], error: evil },
    warnings: [evil, `line1\r\nline2\u0000\u001b[31m`],
  }

  it.each([false, true])('cannot inject HTML, break tables or fences (forComment %s)', (forComment) => {
    const md = renderReport(data, { forComment })
    // No raw HTML from the input, anywhere (outside code spans the `<` is an entity; inside code it is inert).
    const outsideCode = stripCode(md)
    expect(outsideCode).not.toMatch(/<script|<img|<b>/i)
    expect(outsideCode).not.toMatch(/\]\(javascript:/)
    expect(outsideCode).not.toMatch(/@everyone/)
    // Every table row has the column count of its header.
    for (const t of tables(md)) {
      const n = cells(t[0]!).length
      for (const row of t) expect(cells(row).length).toBe(n)
    }
    // Fences are balanced: every opened code block is closed by the same fence.
    const fences = md.split('\n').filter((l) => /^`{3,}/.test(l))
    expect(fences.length % 2).toBe(0)
    for (let i = 0; i < fences.length; i += 2) expect(fences[i + 1]).toBe(fences[i]!.replace(/[^`]/g, ''))
    // No heading or list started by input text.
    expect(md).not.toMatch(/^# heading/m)
    expect(md).not.toContain('\u001b')
    expect(md).not.toContain('\u0000')
  })

  it('keeps odd names readable in code spans', () => {
    const md = renderReport(data)
    expect(md).toContain('`` x\\|y`z<script>alert(1)</script> # heading *b* _i_ [l](javascript:alert(1)) @everyone ``` ``')
  })
})

describe('renderReport size limits', () => {
  const huge = 'S'.repeat(1_000_000)
  const manyChanges: EnvChange[] = Array.from({ length: 10_000 }, (_, i) => ({
    section: i % 2 ? 'dependencies' : 'pip',
    kind: (['added', 'removed', 'changed'] as const)[i % 3]!,
    item: `pkg-${i}-${'n'.repeat(300)}`,
    before: 'b'.repeat(5_000),
    after: 'a'.repeat(5_000),
  }))
  const data: ReportData = {
    ...built(),
    image: `ghcr.io/acme/${huge}`,
    environmentFile: huge,
    base: { ...built().base!, tag: huge, changes: manyChanges, previousTag: huge, note: huge },
    builds: Array.from({ length: 200 }, (_, b) => ({
      ...baseBuild,
      ref: huge,
      cacheNote: huge,
      cacheExport: 'skipped' as const,
      steps: Array.from({ length: 500 }, (_, i) => ({ name: `${i}${huge}`, cached: i % 2 === 0, durationMs: (b * 500 + i) % 9_973 })),
    })),
    phases: Array.from({ length: 5_000 }, (_, i) => ({ name: huge.slice(0, 10_000 + i), ms: i })),
    push: { enabled: false, reason: huge },
    trend: Array.from({ length: 10_000 }, (_, i) => ({ tag: huge, bytes: i * 1000 })),
    budget: Array.from({ length: 1_000 }, () => ({ kind: 'max-size' as const, limit: huge, actual: huge, exceeded: true })),
    retention: {
      mode: 'true',
      backend: huge,
      kept: Array.from({ length: 10_000 }, () => ({ tag: huge, reason: huge })),
      deleted: Array.from({ length: 10_000 }, () => ({ tag: huge, reason: huge })),
      protected: Array.from({ length: 10_000 }, () => ({ tag: huge, reason: huge })),
      error: huge,
    },
    warnings: Array.from({ length: 10_000 }, () => huge),
  }

  it('stays well under the step-summary limit and says what it left out', () => {
    const md = renderReport(data)
    expect(Buffer.byteLength(md, 'utf8')).toBeLessThan(STEP_SUMMARY_LIMIT / 2)
    expect(md).toContain('… and 9,900 more changes')
    expect(md).toContain('… and 9,970 more') // warnings
    expect(md).toContain('… and 9,960 more') // each retention list
    expect(md).toContain('… and 4,984 more') // phases
    expect(md).toContain('… and 192 more') // builds
    expect(md).toContain('Slowest build steps (top 5 of 100,000)')
    expect(md).not.toContain('S'.repeat(600))
    expect(md).not.toContain('report truncated')
  })

  it('keeps the comment under GitHub’s 65,536-character limit', () => {
    const md = renderReport(data, { forComment: true })
    expect(md.length).toBeLessThan(65_536)
    expect(md.startsWith('<!-- conda-image-action:')).toBe(true)
    expect(md).toContain('more changes')
    expect(md).not.toContain('report truncated')
  })
})

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [950, '950 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [12_000, '12.0 kB'],
    [999_949, '999.9 kB'],
    [999_960, '1.0 MB'],
    [412_300_000, '412.3 MB'],
    [1_200_000_000, '1.2 GB'],
    [2.5e12, '2.5 TB'],
    [-3_000_000, '−3.0 MB'],
    [Number.NaN, '? B'],
  ])('%d → %s', (n, s) => expect(formatBytes(n)).toBe(s))
})

describe('formatDelta', () => {
  it.each([
    [412_300_000, 394_100_000, '+18.2 MB, +4.6%'],
    [391_100_000, 394_100_000, '−3.0 MB, −0.8%'],
    [5, 5, 'no change'],
    [1_000_120, 1_000_000, '+120 B, +<0.1%'],
    [100 * MB, 0, '+100.0 MB'],
    [300 * MB, 10 * MB, '+290.0 MB, +2900%'],
  ])('%d vs %d → %s', (a, b, s) => expect(formatDelta(a, b)).toBe(s))
})

describe('formatDuration', () => {
  it.each([
    [350, '350 ms'],
    [12_345, '12.3 s'],
    [161_000, '2 m 41 s'],
    [3_725_000, '1 h 02 m'],
  ])('%d → %s', (ms, s) => expect(formatDuration(ms)).toBe(s))
})

describe('parseSize', () => {
  it.each([
    ['123B', 123],
    ['800MB', 800_000_000],
    ['800 mb', 800_000_000],
    ['1.5GB', 1_500_000_000],
    ['1.5G', 1_500_000_000],
    ['12kB', 12_000],
    ['800 MiB', 800 * 1024 * 1024],
    ['1GiB', 1024 ** 3],
    ['2 TB', 2e12],
    ['  42 B ', 42],
    ['.5MB', 500_000],
  ])('%j → %d', (s, n) => expect(parseSize(s)).toBe(n))

  it.each(['', 'MB', 'abc', '10 XB', '-5MB', '1e9', '1,5GB', '10%', '1.2.3MB', '99999999999999999999TB', '123', '0', '1.5'])(
    'rejects %j with a UserError',
    (s) => {
      expect(() => parseSize(s)).toThrow(UserError)
    },
  )
})

describe('parseGrowth', () => {
  it.each([
    ['10%', { percent: 10 }],
    ['2.5 %', { percent: 2.5 }],
    ['50MB', { bytes: 50_000_000 }],
    ['10%, 50MB', { percent: 10, bytes: 50_000_000 }],
  ])('%j → %j', (s, v) => expect(parseGrowth(s)).toEqual(v))

  it.each(['', '%', 'ten percent', '10%%', '10%,20%', '50MB,1GB', '-10%', '1,2,3', '5', '10%, 5'])('rejects %j with a UserError', (s) => {
    expect(() => parseGrowth(s)).toThrow(UserError)
  })
})

describe('evaluateBudget', () => {
  it.each([
    [{}, []],
    [{ size: 400 * MB, maxSize: 400 * MB }, [{ kind: 'max-size', limit: '400.0 MB', actual: '400.0 MB', exceeded: false }]],
    [{ size: 400 * MB + 1, maxSize: 400 * MB }, [{ kind: 'max-size', limit: '400.0 MB', actual: '400.0 MB', exceeded: true }]],
    [{ maxSize: 1 }, [{ kind: 'max-size', limit: '1 B', actual: 'unknown', exceeded: false, note: 'the image size could not be measured' }]],
    [{ size: 110 * MB, previous: 100 * MB, maxGrowth: { percent: 10 } }, [{ kind: 'max-growth', limit: '+10%', actual: '+10.0 MB, +10.0%', exceeded: false }]],
    [{ size: 111 * MB, previous: 100 * MB, maxGrowth: { percent: 10 } }, [{ kind: 'max-growth', limit: '+10%', actual: '+11.0 MB, +11.0%', exceeded: true }]],
    [{ size: 90 * MB, previous: 100 * MB, maxGrowth: { percent: 0 } }, [{ kind: 'max-growth', limit: '+0%', actual: '−10.0 MB, −10.0%', exceeded: false }]],
    [
      { size: 160 * MB, previous: 100 * MB, maxGrowth: { bytes: 50 * MB } },
      [{ kind: 'max-growth', limit: '+50.0 MB', actual: '+60.0 MB, +60.0%', exceeded: true }],
    ],
    [
      { size: 105 * MB, previous: 100 * MB, maxGrowth: { percent: 10, bytes: 1 * MB } },
      [{ kind: 'max-growth', limit: '+10% or +1.0 MB', actual: '+5.0 MB, +5.0%', exceeded: true }],
    ],
    [
      { size: 105 * MB, maxGrowth: { percent: 10 } },
      [{ kind: 'max-growth', limit: '+10%', actual: 'unknown', exceeded: false, note: 'no previous image to compare with' }],
    ],
    [
      { size: 500 * MB, previous: 100 * MB, maxSize: 1_000 * MB, maxGrowth: { percent: 50 } },
      [
        { kind: 'max-size', limit: '1.0 GB', actual: '500.0 MB', exceeded: false },
        { kind: 'max-growth', limit: '+50%', actual: '+400.0 MB, +400.0%', exceeded: true },
      ],
    ],
  ])('%j', (args, expected) => expect(evaluateBudget(args)).toEqual(expected))
})

describe('sparkline', () => {
  it.each([
    [[], ''],
    [[5, 5, 5], '▄▄▄'],
    [[1, 2, 3, 4, 5, 6, 7, 8], '▁▂▃▄▅▆▇█'],
    [[10, 0], '█▁'],
  ])('%j → %s', (v, s) => expect(sparkline(v)).toBe(s))
})

// --- helpers: a rough GFM reader, enough to check structure ---

function stripCode(md: string): string {
  // Fenced blocks, then code spans per CommonMark: a run of n backticks up to the next run of exactly n.
  const noFences = md.replace(/^(`{3,})[^\n]*\n[\s\S]*?^\1$/gm, '')
  return noFences
    .split('\n')
    .map((line) => {
      let out = ''
      let i = 0
      while (i < line.length) {
        if (line[i] === '\\' && line[i + 1] === '`') {
          out += line.slice(i, i + 2)
          i += 2
          continue
        }
        if (line[i] !== '`') {
          out += line[i]
          i++
          continue
        }
        let n = 0
        while (line[i + n] === '`') n++
        const re = new RegExp(`(?<!\`)\`{${n}}(?!\`)`, 'g')
        re.lastIndex = i + n
        const close = re.exec(line)
        if (close) i = close.index + n
        else {
          out += '`'.repeat(n)
          i += n
        }
      }
      return out
    })
    .join('\n')
}

function tables(md: string): string[][] {
  const out: string[][] = []
  let cur: string[] = []
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) cur.push(line)
    else if (cur.length) {
      out.push(cur)
      cur = []
    }
  }
  if (cur.length) out.push(cur)
  return out
}

function cells(row: string): string[] {
  // Split on pipes not escaped by a backslash (GFM splits before inline parsing, even in code).
  const parts: string[] = []
  let cur = ''
  for (let i = 0; i < row.length; i++) {
    const c = row[i]!
    if (c === '\\' && row[i + 1] === '|') {
      cur += '\\|'
      i++
    } else if (c === '|') {
      parts.push(cur)
      cur = ''
    } else cur += c
  }
  parts.push(cur)
  return parts.slice(1, -1)
}
