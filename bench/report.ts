// Renders BENCHMARKS.md from the figures of one run.

import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { BuildResult, Scenario } from './build.js'
import type { HashResult } from './hash.js'
import { MiB, type LayersResult } from './layers.js'
import type { PrResult } from './pr.js'
import { ROOT } from './lib/fixtures.js'
import type { Machine } from './lib/machine.js'
import type { ProfileSummary } from './lib/profile.js'
import { int, kb, mb, median, ms, ratio, table, verdict } from './lib/stats.js'
import { medianPhase, type PagedSize, type ReuseResult, type SizeResult } from './reuse.js'
import type { StartupResult } from './startup.js'

type Maybe<T> = T | { error: string } | undefined

export interface Results {
  machine: Machine
  reps: number
  figures: string[]
  hash?: Maybe<HashResult>
  reuse?: Maybe<ReuseResult>
  build?: Maybe<BuildResult>
  startup?: Maybe<StartupResult>
  pr?: Maybe<PrResult>
  layers?: Maybe<LayersResult>
  durations?: Record<string, number>
  totalMs?: number
  loadAvgEnd?: number
}

function ok<T extends object>(x: Maybe<T>): T | undefined {
  return x && !('error' in x && Object.keys(x).length === 1) ? (x as T) : undefined
}
function err(x: Maybe<object>): string | undefined {
  return x && 'error' in x ? String((x as { error: unknown }).error) : undefined
}

/** Hand-written findings (causes, proposed fixes) kept next to the generator. */
const ANALYSIS = path.join(ROOT, 'bench', 'analysis.md')

export const TARGETS = {
  reuseVsBuildx: 0.15,
  /** Overhead of the action over a plain `buildx build --push` on the pull-request path. */
  prOverhead: 0.05,
  reuseVsSkopeo: 3,
  rss50kBytes: 150 * 1024 * 1024,
  hash2000Ms: 50,
  /** The per-1,000-tags slope over 10k→50k within this factor of the slope over 1k→10k. */
  linearFactor: 2,
}

interface Target {
  name: string
  target: string
  measured: string
  holds: boolean | undefined
  /** A row that explains a target instead of being one (no verdict). */
  context?: true
}

const wall = (s: SizeResult): number => median(s.runs.map((r) => r.wallMs))
const lookup = (s: SizeResult): number => medianPhase(s.runs, 'Lookup')
const rss = (s: SizeResult): number => median(s.runs.map((r) => r.maxRssBytes))
const skopeo = (s: SizeResult): number => median(s.skopeoMs)
const floor = (s: SizeResult): number => (s.floorMs?.length ? median(s.floorMs) : NaN)

function slopes<S extends { tags: number; listed: number }>(sizes: S[], f: (s: S) => number): { from: number; to: number; perK: number }[] {
  const out: { from: number; to: number; perK: number }[] = []
  for (let i = 1; i < sizes.length; i++) {
    const a = sizes[i - 1]!
    const b = sizes[i]!
    out.push({ from: a.tags, to: b.tags, perK: (f(b) - f(a)) / ((b.listed - a.listed) / 1000) })
  }
  return out
}

export function targets(r: Results): Target[] {
  const out: Target[] = []
  const reuse = ok(r.reuse)
  const s10k = reuse?.sizes.find((s) => s.tags === 10_000)
  const s50k = reuse?.sizes.find((s) => s.tags === 50_000)
  const bxFresh = reuse ? median(reuse.buildxFreshBuilderMs) : NaN
  const bxWarm = reuse ? median(reuse.buildxLocalWarmMs) : NaN
  out.push({
    name: 'Reuse path at 10,000 tags vs `docker buildx build --push`, warm registry cache, fresh builder',
    target: '≤ 0.15×',
    measured: s10k ? `${ms(wall(s10k))} vs ${ms(bxFresh)} = ${ratio(wall(s10k), bxFresh)}` : 'n/a',
    holds: s10k && Number.isFinite(bxFresh) ? wall(s10k) <= bxFresh * TARGETS.reuseVsBuildx : undefined,
  })
  if (s10k && Number.isFinite(floor(s10k))) {
    // Not a target: what the first target means. A floor above the target would make it unreachable for any Node action.
    out.push({
      name: '… for scale: the floor of the reuse path in Node (`bench/floor.mjs`: the same reads, lookup and outputs, nothing else) against the same buildx',
      target: 'context',
      measured: `${ms(floor(s10k))} vs ${ms(bxFresh)} = ${ratio(floor(s10k), bxFresh)}; the action is ${ratio(wall(s10k), floor(s10k))} the floor`,
      holds: undefined,
      context: true,
    })
  }
  out.push({
    name: '… the same, against buildx with its local cache warm too (best case for buildx)',
    target: '≤ 0.15×',
    measured: s10k ? `${ms(wall(s10k))} vs ${ms(bxWarm)} = ${ratio(wall(s10k), bxWarm)}` : 'n/a',
    holds: s10k && Number.isFinite(bxWarm) ? wall(s10k) <= bxWarm * TARGETS.reuseVsBuildx : undefined,
  })
  out.push({
    name: 'Reuse path at 10,000 tags vs `skopeo list-tags` of the same repository',
    target: '≤ 3×',
    measured: s10k ? `${ms(wall(s10k))} vs ${ms(skopeo(s10k))} = ${ratio(wall(s10k), skopeo(s10k))}` : 'n/a',
    holds: s10k ? wall(s10k) <= skopeo(s10k) * TARGETS.reuseVsSkopeo : undefined,
  })
  out.push({
    name: 'Peak memory (max RSS of `node dist/index.js`) at 50,000 tags',
    target: '< 150 MB',
    measured: s50k ? mb(rss(s50k)) : 'n/a',
    holds: s50k ? rss(s50k) < TARGETS.rss50kBytes : undefined,
  })
  const pr = ok(r.pr)
  if (pr) {
    const a = median(pr.action.map((x) => x.wallMs))
    const p = median(pr.plain)
    out.push({
      name: `Pull-request path on a fresh runner (base of ${mb(pr.baseBytes)} reused, application built on it) vs plain \`docker buildx build --push\` of the application`,
      target: '< 5% overhead',
      measured: `${ms(a)} vs ${ms(p)} = ${((a / p - 1) * 100).toFixed(1)}%`,
      holds: a <= p * (1 + TARGETS.prOverhead),
    })
    const digests = new Set(pr.rebuild.map((x) => x.digest))
    const uploads = pr.rebuild.reduce((n, x) => n + (x.writes['blob uploads'] ?? 0), 0)
    out.push({
      name: 'Rebuild of the same commit, 3× on fresh runners: one digest, nothing new pushed',
      target: '1 digest, 0 layer uploads',
      measured: `${digests.size} digest(s), ${uploads} layer upload(s)`,
      holds: digests.size === 1 && uploads === 0,
    })
  }
  const layers = ok(r.layers)
  if (layers) {
    for (const b of layers.bumps) {
      out.push({
        name: `Package layers: one package bumped (\`${b.pkg}\`), bytes pushed / pulled by a node with the previous base`,
        target: '≤ its compressed size + 1 MiB',
        measured: `${mib(b.newBytes)} (its size ${mib(b.own)}; the whole image ${mib(layers.wholeBytes)})`,
        holds: b.holds,
      })
    }
    out.push({
      name: 'Package layers: `refresh: full` re-solve with the same packages (no cache, 5 days later), bytes pushed',
      target: '≤ 1 MiB',
      measured: mib(layers.refresh.newBytes),
      holds: layers.refresh.holds,
    })
    out.push({
      name: 'Package layers: build-and-push time of a new base vs the single-layer template',
      target: `≤ ${layers.time.limit.toFixed(2)}×`,
      measured: `${ms(median(layers.time.layeredMs))} vs ${ms(median(layers.time.singleMs))} = ${ratio(median(layers.time.layeredMs), median(layers.time.singleMs))}`,
      holds: layers.time.holds,
    })
  }
  const hash = ok(r.hash)
  const h2000 = hash?.sizes.find((s) => s.specs === 2000)
  out.push({
    name: 'Hashing an environment of 2,000 specs (median, warm)',
    target: '< 50 ms',
    measured: h2000 ? `${ms(h2000.medianMs)} (first call ${ms(h2000.firstMs)})` : 'n/a',
    holds: h2000 ? h2000.medianMs < TARGETS.hash2000Ms : undefined,
  })
  // The whole run's wall time: the tag list is read while the action hashes, so the Lookup
  // phase holds only what is left of the listing once the hash is known. Every other step of
  // the run costs the same at every size, and cancels out of the slopes.
  const linear = (label: string, sizes: (SizeResult | PagedSize)[]): void => {
    const sl = slopes(
      sizes.filter((s) => s.tags >= 1000),
      (s) => median(s.runs.map((x) => x.wallMs)),
    )
    if (sl.length < 2) {
      out.push({ name: `Lookup cost linear in pages (${label})`, target: 'slopes within 2×', measured: 'n/a', holds: undefined })
      return
    }
    const first = sl[0]!.perK
    const last = sl[sl.length - 1]!.perK
    out.push({
      name: `Lookup cost linear in pages — ${label}: the run's wall time per 1,000 tags, 1k→10k vs 10k→50k`,
      target: `slopes within ${TARGETS.linearFactor}× of each other`,
      measured: `${ms(first)} → ${ms(last)} per 1,000 tags (${ratio(last, first)})`,
      holds: first > 0 && last > 0 ? last / first <= TARGETS.linearFactor && first / last <= TARGETS.linearFactor : undefined,
    })
  }
  if (reuse?.paged) linear(`Link pages of ${reuse.paged.pageSize}`, reuse.paged.sizes)
  if (reuse) linear('Distribution 2.8, one page', reuse.sizes)
  return out
}

function profileBlock(p: ProfileSummary | undefined, of: string): string {
  if (!p) return ''
  return [
    `CPU profile (\`node --cpu-prof\`) of one ${of}, ${ms(p.totalMs)} profiled:`,
    '',
    table(
      ['where the time went', 'self time', 'share'],
      p.categories.map((c) => [c.name, ms(c.ms), `${((c.ms / p.totalMs) * 100).toFixed(0)}%`]),
      'lrr',
    ),
    '',
    'Top self-time functions (excluding idle):',
    '',
    table(
      ['function', 'location', 'self time'],
      p.top.map((t) => [`\`${t.fn}\``, t.where, ms(t.ms)]),
      'llr',
    ),
  ].join('\n')
}

export function renderReport(r: Results): string {
  const m = r.machine
  const out: string[] = []
  out.push('# Benchmarks', '')
  out.push(
    'Generated by `npm run bench` (bench/run.ts) against the real local stack: the Distribution registry on',
    '127.0.0.1:5000, Docker with BuildKit, skopeo. Every figure is a **median of repeated runs** after one warm-up:',
    `${ok(r.reuse)?.actionReps ?? Math.max(7, r.reps)} runs for each action / skopeo figure (round-robin over the repository sizes), ${r.reps} for the builds (docker buildx, figure 2) and startup. Regenerate with \`npm run bench\`;`,
    '`npm run bench -- --clean` deletes the seeded `bench-*` repositories; `npm run bench -- --only <figures>` updates their sections and target rows',
    'and keeps the rest. Raw figures: `bench/results/latest.json` (not committed).',
    '',
  )
  out.push('## Machine', '')
  out.push(
    table(
      ['', ''],
      [
        ['date', m.date],
        ['CPU', `${m.cpus} cores, ${m.cpuModel}`],
        ['memory', `${m.memoryGiB} GiB`],
        ['OS', m.os],
        ['node', m.node],
        ['docker', m.docker],
        ['buildx', m.buildx],
        ['builder', `${m.buildkit}; image store ${m.storageDriver}`],
        ['registry', m.registry],
        ['skopeo', m.skopeo],
        ['load average (1 min)', `${m.loadAvg} at the start, ${r.loadAvgEnd ?? 'n/a'} at the end (other jobs on the machine add noise)`],
        [
          'suite duration',
          `${r.totalMs ? ms(r.totalMs) : 'n/a'} (${Object.entries(r.durations ?? {})
            .map(([k, v]) => `${k} ${ms(v)}`)
            .join(', ')})`,
        ],
      ],
    ),
    '',
  )

  out.push('## Targets', '')
  out.push(
    table(
      ['target', 'goal', 'measured', 'verdict'],
      targets(r).map((t) => [t.name, t.target, t.measured, t.context ? '—' : verdict(t.holds)]),
    ),
    '',
  )
  if (existsSync(ANALYSIS)) out.push(readFileSync(ANALYSIS, 'utf8').trim(), '')

  // --- 1 ---
  out.push('## 1. Reuse path against the size of the base repository', '')
  const reuse = ok(r.reuse)
  if (!reuse) out.push(`Not measured${err(r.reuse) ? `: ${err(r.reuse)}` : ''}.`, '')
  else {
    out.push(
      `\`node dist/index.js\` run as the runner runs it (inputs from action.yml defaults plus \`image\`,`,
      '`environment-file: environment.yml`, `base-dockerfile: base.Dockerfile` of examples/quickstart; no application',
      `Dockerfile), on a repository holding N tags, one of which is the seeded \`${reuse.baseTag}\` of this`,
      'environment — so the run lists the tags, reuses that base, looks up sizes and writes the report. The other tags',
      'are dated base tags of other environments (and every 50th an application `sha-` tag), all pointing at one tiny',
      'real image (busybox + a label). Wall time is spawn → exit; peak RSS is `process.resourceUsage().maxRSS` of the',
      "child (written on exit by a `--import` preload); Lookup is the `::group::Lookup` phase timed from the child's",
      'stdout; the tag list is asked for before the environment is hashed, so that phase holds only what is left of the',
      'listing once the hash is known (the rest overlaps the hashing). `skopeo list-tags --tls-verify=false',
      'docker://127.0.0.1:5000/<repo>` is the bare minimum of one listing.',
      'The floor is `bench/floor.mjs`, run the same way in the same rounds: a Node program doing only what any',
      'implementation of the reuse path must do (read and hash the fixture, one tag-list request, pick the newest tag of',
      'the hash, one manifest request, write the outputs), with none of what the action adds (validation, the canonical',
      'hash, confinement, retries, Measure, the report).',
      '',
    )
    out.push(
      table(
        [
          'tags',
          'action wall',
          'fastest run',
          'Lookup phase (what is left once hashed)',
          'peak RSS',
          'floor (bench/floor.mjs)',
          'skopeo list-tags',
          'action / skopeo',
          'seeding',
        ],
        reuse.sizes.map((s) => [
          int(s.listed),
          ms(wall(s)),
          ms(Math.min(...s.runs.map((x) => x.wallMs))),
          ms(lookup(s)),
          mb(rss(s)),
          Number.isFinite(floor(s)) ? ms(floor(s)) : 'n/a',
          ms(skopeo(s)),
          ratio(wall(s), skopeo(s)),
          s.seed.reused
            ? `cached${s.seed.pushed ? ' (+1 tag)' : ''}`
            : `${int(s.seed.pushed)} tags in ${ms(s.seed.ms)} (${Math.round(s.seed.pushed / (s.seed.ms / 1000))}/s)`,
        ]),
        'rrrrrrrrl',
      ),
      '',
    )
    const phaseNames = [...new Set(reuse.sizes.flatMap((s) => s.runs.flatMap((x) => Object.keys(x.phases))))]
    out.push('Phases of the same runs (medians), and what is left after the last phase (report, exit):', '')
    out.push(
      table(
        ['tags', 'first output line', ...phaseNames, 'after the last phase'],
        reuse.sizes.map((s) => [
          int(s.listed),
          ms(median(s.runs.map((x) => x.firstLineMs))),
          ...phaseNames.map((p) => ms(medianPhase(s.runs, p))),
          ms(median(s.runs.map((x) => x.tailMs))),
        ]),
        'r'.repeat(phaseNames.length + 3),
      ),
      '',
    )
    out.push('Growth per 1,000 tags between the sizes (the slope; linear ⇔ roughly constant):', '')
    const sW = slopes(reuse.sizes, wall)
    const sL = slopes(reuse.sizes, lookup)
    const sS = slopes(reuse.sizes, skopeo)
    const sR = slopes(reuse.sizes, rss)
    out.push(
      table(
        ['between', 'action wall / 1k tags', 'Lookup / 1k tags', 'skopeo / 1k tags', 'peak RSS / 1k tags'],
        sW.map((x, i) => [`${int(x.from)} → ${int(x.to)}`, ms(x.perK), ms(sL[i]!.perK), ms(sS[i]!.perK), kb(sR[i]!.perK)]),
        'lrrrr',
      ),
      '',
    )
    if (reuse.paged) {
      const p = reuse.paged
      const pl = slopes(p.sizes, (s) => medianPhase(s.runs, 'Lookup'))
      const pw = slopes(p.sizes, (s) => median(s.runs.map((x) => x.wallMs)))
      out.push(
        `Distribution 2.8 ignores \`n\` and returns every tag in one response, so the rows above are one request each. To see`,
        `the cost per page (GHCR, Docker Hub and newer registries paginate), the same runs went through a loopback front`,
        `(bench/lib/paged-front.ts) that serves the list in \`Link\` pages of ${p.pageSize} and passes everything else through:`,
        '',
        table(
          ['tags', 'pages', 'action wall', 'Lookup phase', 'Lookup per page', 'peak RSS'],
          p.sizes.map((s) => {
            const l = medianPhase(s.runs, 'Lookup')
            return [
              int(s.listed),
              int(s.pages),
              ms(median(s.runs.map((x) => x.wallMs))),
              ms(l),
              ms(l / Math.max(1, s.pages)),
              mb(median(s.runs.map((x) => x.maxRssBytes))),
            ]
          }),
          'rrrrrr',
        ),
        '',
        table(
          ['between', 'action wall / 1k tags (= per page)', 'Lookup / 1k tags'],
          pw.map((x, i) => [`${int(x.from)} → ${int(x.to)}`, ms(x.perK), ms(pl[i]!.perK)]),
          'lrr',
        ),
        '',
        `Registry requests of one reuse run besides the tag pages (counted by the front): ${
          Object.entries(p.sizes[0]?.requests ?? {})
            .map(([k, v]) => `${v} × \`${k}\``)
            .join(', ') || 'n/a'
        }.`,
        '',
      )
    }
    const s10k = reuse.sizes.find((s) => s.tags === 10_000)
    const bxW = median(reuse.buildxLocalWarmMs)
    const bxF = median(reuse.buildxFreshBuilderMs)
    out.push('What a user would run instead — the same fixture with `docker buildx build --push` and a fully warm registry cache:', '')
    out.push('```', reuse.buildxCommand, '```', '')
    out.push(
      table(
        ['', 'wall', 'reuse path at 10,000 tags / this'],
        [
          ['buildx, registry cache warm, fresh builder (`buildx prune -af` first: a new CI runner)', ms(bxF), s10k ? ratio(wall(s10k), bxF) : 'n/a'],
          ['buildx, registry and local cache warm (same machine again)', ms(bxW), s10k ? ratio(wall(s10k), bxW) : 'n/a'],
          ['`skopeo list-tags` (10,000 tags)', s10k ? ms(skopeo(s10k)) : 'n/a', s10k ? ratio(wall(s10k), skopeo(s10k)) : 'n/a'],
          [
            `the floor in Node (\`bench/floor.mjs\`, 10,000 tags): ${s10k && Number.isFinite(floor(s10k)) ? `${ratio(floor(s10k), bxF)} of the fresh-builder buildx` : 'n/a'}`,
            s10k && Number.isFinite(floor(s10k)) ? ms(floor(s10k)) : 'n/a',
            s10k && Number.isFinite(floor(s10k)) ? ratio(wall(s10k), floor(s10k)) : 'n/a',
          ],
        ],
        'lrr',
      ),
      '',
    )
    if (reuse.profile50k) out.push(profileBlock(reuse.profile50k, 'reuse run on the 50,000-tag repository'), '')
    if (reuse.registryBench) {
      out.push('The registry client alone, in-process (`bench/registry.bench.ts`, by the registry engineer; its own medians):', '')
      out.push('```', `$ ${reuse.registryBench.command}`, ...reuse.registryBench.lines, '```', '')
    }
  }

  // --- 2 ---
  out.push('## 2. Cold build vs reuse vs code-only change (application image, fresh builder)', '')
  const build = ok(r.build)
  if (!build) out.push(`Not measured${err(r.build) ? `: ${err(r.build)}` : ''}.`, '')
  else {
    out.push(
      'The full action (`mode: auto`, base + application Dockerfile, pushing to the loopback registry) on a copy of',
      `examples/quickstart whose environment step sleeps ${build.slowSeconds} s — standing in for the conda solve + install`,
      '(see the header of the generated base.Dockerfile in bench/lib/fixtures.ts). Each repetition uses a new repository and',
      'a new environment; `docker buildx prune -af` runs before every scenario, so only the registry cache can help:',
      '**cold** = new environment, nothing cached; **reuse** = same commit again on a new runner (base reused, application',
      'from the registry cache); **code-only** = `app/main.py` changed (base reused, code steps rebuilt).',
      '',
    )
    const sc: Scenario[] = ['cold', 'reuse', 'code-only']
    const cold = median(build.runs.cold.map((x) => x.wallMs))
    const phaseNames = [...new Set(sc.flatMap((s) => build.runs[s].flatMap((x) => Object.keys(x.phases))))]
    out.push(
      table(
        ['scenario', 'wall', '/ cold', 'cached steps', ...phaseNames],
        sc.map((s) => {
          const runs = build.runs[s]
          const w = median(runs.map((x) => x.wallMs))
          return [
            s,
            ms(w),
            ratio(w, cold),
            `${median(runs.map((x) => x.cachedSteps))}/${median(runs.map((x) => x.totalSteps))}`,
            ...phaseNames.map((p) => (runs.some((x) => p in x.phases) ? ms(medianPhase(runs, p)) : '–')),
          ]
        }),
        'lrrr' + 'r'.repeat(phaseNames.length),
      ),
      '',
    )
    const code = median(build.runs['code-only'].map((x) => x.wallMs))
    out.push(
      `**Warm/cold: ${ratio(code, cold)}** for a code-only change (${ms(cold)} → ${ms(code)}), ${ratio(median(build.runs.reuse.map((x) => x.wallMs)), cold)} for a rerun of the same commit.`,
      `Nearly all of the difference is the environment step (${build.slowSeconds} s of sleep here). A real conda solve + install takes`,
      'minutes, which the cold build pays and the warm builds do not, so with a real environment the ratio only gets better',
      '(the articles quoting 8 min → 1.5 min, 0.19×, describe the same effect with real installs and real application builds).',
      '',
    )
  }

  // --- 3 ---
  out.push('## 3. Hashing time against the size of the environment', '')
  const hash = ok(r.hash)
  if (!hash) out.push(`Not measured${err(r.hash) ? `: ${err(r.hash)}` : ''}.`, '')
  else {
    out.push(
      '`fingerprint()` of src/hash, in-process (through tsx), including reading the files. Generated environments: ~70%',
      'conda specs in mixed spellings, ~30% pip — half inline, half in `-r requirements-a.txt` (which includes',
      '`-r requirements-b.txt`) plus `-c constraints.txt`. Median of repeated calls after a first (cold) call.',
      '',
    )
    out.push(
      table(
        ['specs', 'files', 'bytes', 'median', 'first call', 'per spec', 'calls'],
        hash.sizes.map((s) => [
          int(s.specs),
          String(s.files),
          int(s.bytes),
          ms(s.medianMs),
          ms(s.firstMs),
          `${((s.medianMs / s.specs) * 1000).toFixed(1)} µs`,
          String(s.reps),
        ]),
        'rrrrrrr',
      ),
      '',
    )
    if (hash.corpus) {
      const c = hash.corpus
      out.push(
        `Corpus (__fixtures__/corpus/environment-yml): ${c.hashed} of ${c.files} files hashed, median ${ms(c.medianMs)} per file,`,
        `slowest ${ms(c.maxMs)} (\`${c.maxFile}\`), all ${c.hashed} together ${ms(c.totalMedianMs)}.`,
        '',
      )
      if (c.failed) {
        out.push(`${c.failed} file(s) were rejected (fingerprint() threw; the corpus includes deliberately invalid files):`, '')
        out.push(
          table(
            ['file', 'error'],
            c.failures.map((f) => [
              `\`${f.slice(0, f.indexOf(':'))}\``,
              f
                .slice(f.indexOf(':') + 1)
                .trim()
                .replace(/^\S*\/([^/\s]+:\d+:)/, '$1'),
            ]),
          ),
          '',
        )
      }
    }
  }

  // --- 4 ---
  out.push('## 4. Startup', '')
  const st = ok(r.startup)
  if (!st) out.push(`Not measured${err(r.startup) ? `: ${err(r.startup)}` : ''}.`, '')
  else {
    out.push(
      table(
        ['', ''],
        [
          [
            `bundle loaded at start (${(st.startFiles ?? ['index.js']).map((f) => `\`${f}\``).join(' + ')})`,
            `${kb(st.bundleBytes)} (${kb(st.bundleGzipBytes)} gzipped); dist/ ${st.distFiles} files, ${kb(st.distBytes)}`,
          ],
          ['`node -e 0` (node itself)', ms(st.nodeBareMs)],
          ['`node dist/index.js`, no inputs (load, then fail on the missing input): first line / exit', `${ms(st.noInputsFirstLineMs)} / ${ms(st.noInputsMs)}`],
          ['in-process `await import(dist/index.js)`, no inputs', ms(st.importMs)],
          ['reuse run (10 tags): first output line', ms(st.reuseFirstLineMs)],
          ['reuse run (10 tags): exit', ms(st.reuseWallMs)],
          ['⇒ module load (first line − node itself)', ms(st.reuseFirstLineMs - st.nodeBareMs)],
          ['⇒ work (exit − first line)', ms(st.reuseWallMs - st.reuseFirstLineMs)],
        ],
      ),
      '',
    )
    if (st.profile) out.push(profileBlock(st.profile, st.profileOf ?? 'run'), '')
    out.push(
      'One GET to the registry from a fresh `node` process, by HTTP client (wall time; exit delay = from the last output line to',
      'the exit of the process):',
      '',
      table(
        ['client', 'wall', 'exit delay'],
        st.httpClients.map((c) => [c.client, ms(c.wallMs), ms(c.exitDelayMs)]),
        'lrr',
      ),
      '',
    )
  }

  // --- 5 ---
  out.push('## 5. Overhead of reporting on a hit', '')
  if (!reuse) out.push('Not measured (needs figure 1).', '')
  else {
    out.push(
      'On a reuse the action still measures (`Measure`: the final image size, the compared image, the size trend — registry',
      'round trips) and renders the job summary. `summary: false` skips the rendering, not the measuring (sizes are outputs).',
      '',
    )
    out.push(
      table(
        ['tags', 'wall', 'wall, `summary: false`', 'difference', 'Measure phase', 'after the last phase', 'after the last phase, `summary: false`'],
        reuse.sizes.map((s) => [
          int(s.listed),
          ms(wall(s)),
          ms(median(s.noSummary.map((x) => x.wallMs))),
          ms(wall(s) - median(s.noSummary.map((x) => x.wallMs))),
          ms(medianPhase(s.runs, 'Measure')),
          ms(median(s.runs.map((x) => x.tailMs))),
          ms(median(s.noSummary.map((x) => x.tailMs))),
        ]),
        'rrrrrrr',
      ),
      '',
    )
    if (Number.isFinite(reuse.summaryBytes)) out.push(`Job summary of the 10,000-tag run: ${int(reuse.summaryBytes)} bytes.`, '')
    if (reuse.summaryPhaseTable) out.push("The action's own phase table from that summary:", '', reuse.summaryPhaseTable, '')
  }
  prSection(r, out)
  layersSection(r, out)
  return out.join('\n').replace(/\n{3,}/g, '\n\n')
}

function prSection(r: Results, out: string[]): void {
  out.push('## 6. Pull-request path on a fresh runner, and a rebuild of the same commit', '')
  const pr = ok(r.pr)
  if (!pr) {
    out.push(err(r.pr) ? `Failed: ${err(r.pr)}` : 'Not measured.', '')
    return
  }
  out.push(
    `bench/pr.ts. A copy of examples/quickstart whose base carries ${pr.basePayloadMb} MB of random bytes (${mb(pr.baseBytes)} compressed in the`,
    'registry) is built once. Then, per repetition, the application code changes and, on a fresh runner (`docker buildx prune -af`',
    "and the repository's local images removed before each run), the action runs on a `pull_request` event — base reused,",
    'application built FROM it and pushed — interleaved (alternating order) with a plain `docker buildx build --push` of the same',
    'application Dockerfile FROM the same base digest, with its own warm registry cache:',
    '',
    '```',
    pr.plainCommand,
    '```',
    '',
  )
  const a = median(pr.action.map((x) => x.wallMs))
  const p = median(pr.plain)
  const phases = ['Lookup', 'Builder', 'Build application', 'Measure']
  out.push(
    table(
      ['', 'median wall', 'runs', ...phases.map((x) => `${x} (median)`)],
      [
        ['the action (PR path)', ms(a), String(pr.action.length), ...phases.map((x) => ms(medianPhase(pr.action, x)))],
        ['plain `docker buildx build --push`', ms(p), String(pr.plain.length), ...phases.map(() => '–')],
        ['overhead of the action', `${ms(a - p)} (${((a / p - 1) * 100).toFixed(1)}%)`, '', ...phases.map(() => '')],
      ],
      'lrrrrrr',
    ),
    '',
    `Every run: ${pr.action.map((x) => ms(x.wallMs)).join(', ')} (action); ${pr.plain.map((x) => ms(x)).join(', ')} (plain).`,
    `Median of the per-repetition ratios (each action run against the plain build of the same code change, run next to it): ${ratio(
      median(pr.action.map((x, i) => x.wallMs / pr.plain[i]!)),
      1,
      3,
    )} (the target row uses the ratio of the medians, the stricter of the two here).`,
    '',
  )
  out.push(
    'The same commit built again three times, each on a fresh runner, through a loopback front that counts what reaches the',
    'registry (after one priming run of the commit):',
    '',
    table(
      ['run', 'wall', 'digest', 'cached steps', 'registry writes'],
      pr.rebuild.map((x, i) => [
        String(i + 1),
        ms(x.wallMs),
        `\`${x.digest.slice(0, 19)}…\``,
        x.cached,
        Object.entries(x.writes)
          .map(([k, v]) => (k === 'bytes uploaded' ? `${kb(v)} uploaded` : `${v} × ${k}`))
          .join(', ') || 'none',
      ]),
      'rrlrl',
    ),
    '',
  )
}

const mib = (b: number): string => `${(b / MiB).toFixed(2)} MiB`

function layersSection(r: Results, out: string[]): void {
  out.push('## 7. Package layers: what a change ships, and what the layering costs', '')
  const l = ok(r.layers)
  if (!l) {
    out.push(err(r.layers) ? `Failed: ${err(r.layers)}` : 'Not measured.', '')
    return
  }
  out.push(
    'bench/layers.ts. Stand-in micromamba, 30 packages with incompressible payloads (48, 32, 24 MiB; seven of 2–8 MiB; twenty of',
    `0.25–1.2 MiB; ${mib(l.wholeBytes)} compressed), the bundled template (\`PACKAGE_LAYERS\` ${l.defaultLayers}, its default) against the single-layer`,
    'template (the same template with the runtime stage of before: the whole prefix in one `COPY`) and the linked template (its',
    'package layers copied with `COPY --link`, as they were before they became plain `COPY` steps), `docker buildx build --push`.',
    '"New bytes": compressed sizes of the layers whose digests the previous image lacks — what buildx uploads to a repository',
    'holding the previous image and what a node that has it pulls (computed from the manifests, not counted on the wire).',
    '',
    table(
      ['template', 'change', 'new bytes (pushed / pulled by a node with the previous base)', 'whole image', 'build and push'],
      l.changes.map((c) => [c.template, c.change, mib(c.newBytes), mib(c.wholeBytes), c.buildMs === undefined ? '–' : ms(c.buildMs)]),
      'llrrr',
    ),
    '',
    "Registry cache (`mode=max`, as the action exports it) of each template's first build: its config is what BuildKit imports at",
    'most 1 MiB of (a larger one is refused at every import, and later builds run uncached): ' +
      (['single', 'layered', 'linked'] as const)
        .map(
          (k) =>
            `${k} ${l.cacheConfig?.[k] === undefined ? 'not measured' : `${kb(l.cacheConfig[k])}${l.cacheConfig[k] > MiB ? ' (**over 1 MiB: refused**)' : ''}`}`,
        )
        .join(', ') +
      '.',
    '',
    table(
      ['bumped package', 'its compressed size', 'new bytes', 'goal', 'verdict'],
      l.bumps.map((b) => [`\`${b.pkg}\``, mib(b.own), mib(b.newBytes), `≤ ${mib(b.limit)}`, verdict(b.holds)]),
      'lrrrl',
    ),
    '',
    `Build and push of a new base (no cache, empty repository), median of ${l.reps}: single layer ${ms(median(l.time.singleMs))} ` +
      `[${l.time.singleMs.map(ms).join(', ')}], package layers ${ms(median(l.time.layeredMs))} [${l.time.layeredMs.map(ms).join(', ')}] = ` +
      `${ratio(median(l.time.layeredMs), median(l.time.singleMs))} (goal ≤ ${l.time.limit.toFixed(2)}×: ${verdict(l.time.holds)}).`,
    '',
    '`compression: estargz` against `gzip` (the default), the same package layers, no cache, median of the same repetitions:',
    '',
    table(
      ['compression', 'image size (compressed layers)', 'build and push'],
      [
        ['gzip', mib(l.compression.gzip.bytes), `${ms(median(l.compression.gzip.ms))} [${l.compression.gzip.ms.map(ms).join(', ')}]`],
        [
          'estargz',
          `${mib(l.compression.estargz.bytes)} (${ratio(l.compression.estargz.bytes, l.compression.gzip.bytes, 3)})`,
          `${ms(median(l.compression.estargz.ms))} [${l.compression.estargz.ms.map(ms).join(', ')}] (${ratio(median(l.compression.estargz.ms), median(l.compression.gzip.ms))})`,
        ],
      ],
      'lrr',
    ),
    '',
    '`PACKAGE_LAYERS` sweep (one no-cache build and push each, with its registry cache export, then each package bumped against it;',
    '`torch` has a layer of its own at every value, so it is left out):',
    '',
    table(
      [
        'PACKAGE_LAYERS',
        'image layers',
        'build and push (no cache)',
        'registry cache config',
        ...Object.keys(l.sweep[0]?.bumpBytes ?? {}).map((b) => `\`${b}\` bumped: new bytes`),
      ],
      l.sweep.map((x) => [
        String(x.layers),
        String(x.imageLayers),
        ms(x.buildMs),
        x.cacheConfigBytes === undefined ? '–' : kb(x.cacheConfigBytes),
        ...Object.values(x.bumpBytes).map(mib),
      ]),
      'rrrrrr',
    ),
    '',
  )
  for (const f of l.sweepFailed ?? []) out.push(`PACKAGE_LAYERS ${f.layers}: a build failed (${f.error}); not measured.`, '')
  if (l.sweepSkipped.length) out.push(`Not measured (the figure's time budget was spent): PACKAGE_LAYERS ${l.sweepSkipped.join(', ')}.`, '')
}
