// Progress parsing against real output of this machine's buildx (0.13.1, docker driver with
// the containerd image store), captured by __fixtures__/progress/capture.sh.

import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { JsonObjectSplitter, PlainProgressTracker, ProgressTracker, failureMessage, isStepVertexName, parsePlainProgress } from '../src/buildx/index.js'
import { parseTimestamp } from '../src/buildx/progress.js'

const dir = new URL('../__fixtures__/progress/', import.meta.url)
const fixture = (name: string): string => readFileSync(new URL(name, dir), 'utf8')

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Splits text into chunks of random sizes: mostly tiny (to cut strings and escapes), some large. */
function chunks(text: string, seed: number): string[] {
  const r = rng(seed)
  const out: string[] = []
  let i = 0
  while (i < text.length) {
    const size = r() < 0.7 ? 1 + Math.floor(r() * 8) : 1 + Math.floor(r() * 4096)
    out.push(text.slice(i, i + size))
    i += size
  }
  return out
}

interface Run {
  result: ReturnType<ProgressTracker['result']>
  failure: ReturnType<ProgressTracker['failure']>
  exportSeen: boolean
  log: string[]
}

function feed(make: () => ProgressTracker | PlainProgressTracker, parts: string[]): Run {
  const t = make()
  const log: string[] = []
  t.onLog = (l) => log.push(l)
  for (const p of parts) t.write(p)
  t.end()
  return { result: t.result(), failure: t.failure(), exportSeen: t.cacheExportSeen(), log }
}

const SEEDS = [1, 2, 3, 42, 1234, 99991]

const NONCE = /[0-9]{19}/g
const stepNames = (r: Run): string[] => r.result.steps.map((s) => s.name.replace(NONCE, 'N'))

describe('rawjson fixtures', () => {
  const cases: {
    file: string
    cached: number
    total: number
    names: string[]
    exportError?: RegExp
    exportSeen: boolean
    failed?: boolean
  }[] = [
    {
      file: 'cold.json',
      cached: 0,
      total: 4,
      names: [
        '[2/5] RUN echo "nonce N" > /nonce.txt && echo to-stdout && echo to-stderr >&2',
        '[3/5] COPY hello.txt /hello.txt',
        '[4/5] WORKDIR /app',
        `[5/5] RUN cat /nonce.txt /hello.txt && printf 'a "quoted" \\\\ line\\twith tab\\n'`,
      ],
      exportSeen: true,
    },
    {
      file: 'cached.json',
      cached: 4,
      total: 4,
      names: [
        '[2/5] RUN echo "nonce N" > /nonce.txt && echo to-stdout && echo to-stderr >&2',
        '[3/5] COPY hello.txt /hello.txt',
        '[4/5] WORKDIR /app',
        `[5/5] RUN cat /nonce.txt /hello.txt && printf 'a "quoted" \\\\ line\\twith tab\\n'`,
      ],
      exportSeen: true,
    },
    {
      file: 'multistage.json',
      cached: 0,
      total: 5,
      names: [
        '[base 2/2] RUN echo "base N" > /base.txt',
        '[build 1/2] RUN echo "build N" > /out.txt && sleep 1',
        '[build 2/2] RUN cat /base.txt /out.txt > /all.txt',
        '[stage-2 2/3] COPY --from=build /all.txt /all.txt',
        '[stage-2 3/3] RUN cat /all.txt',
      ],
      exportSeen: false,
    },
    {
      file: 'failing.json',
      cached: 0,
      total: 2,
      names: [
        '[2/4] RUN echo "fail N" > /x.txt',
        '[3/4] RUN for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do echo "log line $i"; done && echo "about to fail" >&2 && exit 3',
      ],
      exportSeen: false,
      failed: true,
    },
    {
      file: 'cache-export-fails.json',
      cached: 0,
      total: 4,
      names: [
        '[2/5] RUN echo "nonce export-N" > /nonce.txt && echo to-stdout && echo to-stderr >&2',
        '[3/5] COPY hello.txt /hello.txt',
        '[4/5] WORKDIR /app',
        `[5/5] RUN cat /nonce.txt /hello.txt && printf 'a "quoted" \\\\ line\\twith tab\\n'`,
      ],
      exportError: /error writing layer blob: .*127\.0\.0\.1:5999.*connection refused/,
      exportSeen: true,
    },
  ]

  describe.each(cases)('$file', (c) => {
    const text = fixture(c.file)
    const whole = feed(() => new ProgressTracker(), [text])

    test('counts and names the Dockerfile steps (FROM, [internal], exporting excluded)', () => {
      expect(whole.result.cachedSteps).toBe(c.cached)
      expect(whole.result.totalSteps).toBe(c.total)
      expect(stepNames(whole)).toEqual(c.names)
      for (const s of whole.result.steps) {
        expect(s.durationMs).toBeGreaterThanOrEqual(0)
        expect(Number.isInteger(s.durationMs)).toBe(true)
      }
      expect(whole.exportSeen).toBe(c.exportSeen)
    })

    test('cache export error', () => {
      if (c.exportError) expect(whole.result.cacheExportError).toMatch(c.exportError)
      else expect(whole.result.cacheExportError).toBeUndefined()
    })

    test('failure', () => {
      if (!c.failed) {
        expect(whole.failure).toBeUndefined()
        return
      }
      const f = whole.failure!
      expect(f.inStep).toBe(true)
      expect(f.vertex).toMatch(/^\[3\/4\] RUN for i in/)
      expect(f.error).toMatch(/did not complete successfully: exit code: 3$/)
      expect(f.logTail).toHaveLength(20)
      expect(f.logTail.at(-1)).toBe('about to fail')
      expect(f.logTail.at(-2)).toBe('log line 25')
      expect(f.logTail[0]).toBe('log line 7')
      expect(f.dockerfileLine).toBe(3)
      expect(f.textTail.at(-1)).toMatch(/^ERROR: failed to solve: process/)
      const msg = failureMessage(1, f)
      expect(msg).toMatch(/^docker buildx build failed \(exit 1\) at \[3\/4\] RUN for i in/)
      expect(msg).toContain('last 20 lines of its output:\n  log line 7\n')
      expect(msg).toContain('  log line 25\n  about to fail')
      expect(msg).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/) // no stack trace
    })

    test.each(SEEDS)('random chunks (seed %i) give the same result and the same log as one piece', (seed) => {
      const split = feed(() => new ProgressTracker(), chunks(text, seed))
      expect(split.result).toEqual(whole.result)
      expect(split.failure).toEqual(whole.failure)
      expect(split.log).toEqual(whole.log)
    })

    test('one character at a time', () => {
      const split = feed(() => new ProgressTracker(), [...text])
      expect(split.result).toEqual(whole.result)
      expect(split.log).toEqual(whole.log)
    })
  })

  test('the log reads like --progress=plain', () => {
    const { log } = feed(() => new ProgressTracker(), [fixture('cold.json')])
    const text = log.join('\n')
    expect(log[0]).toBe('#1 [internal] load build definition from Dockerfile')
    const from = /^#(\d+) \[1\/5\] FROM 127\.0\.0\.1:5000\/test\/busybox:latest@sha256:[0-9a-f]{64}$/m.exec(text)
    expect(from).not.toBeNull()
    expect(log).toContain(`#${from![1]} CACHED`)
    // numbered in the order vertices are shown, like the plain printer
    const numbers = log.map((l) => Number(/^#(\d+) /.exec(l)?.[1]))
    expect(Math.max(...numbers)).toBe(12)
    numbers.reduce((max, n) => {
      expect(n).toBeLessThanOrEqual(max + 1)
      return Math.max(max, n)
    }, 0)
    const run = log.findIndex((l) => /^#\d+ \[2\/5\] RUN echo "nonce/.test(l))
    expect(run).toBeGreaterThan(0)
    const n = /^#(\d+) /.exec(log.at(run) ?? '')![1]
    const own = log.filter((l) => l.startsWith(`#${n} `))
    expect(own[1]).toMatch(new RegExp(`^#${n} \\d+\\.\\d{3} to-stdout$`))
    expect(own).toContainEqual(expect.stringMatching(new RegExp(`^#${n} \\d+\\.\\d{3} to-stderr$`)))
    expect(own.at(-1)).toMatch(new RegExp(`^#${n} DONE \\d+\\.\\ds$`))
    expect(text).toMatch(/^#\d+ \d+\.\d{3} a "quoted" \\ line\twith tab$/m)
    expect(text).toMatch(/^#\d+ exporting cache to registry$/m)
    expect(text).toMatch(/^#\d+ pushing 127\.0\.0\.1:5000\/.*:t with docker$/m)
    // no JSON and no base64 in the log
    expect(text).not.toMatch(/"vertexes"|"data":/)
  })

  test('the log of a failed build shows the error and buildx text output', () => {
    const { log } = feed(() => new ProgressTracker(), [fixture('failing.json')])
    expect(log).toContainEqual(expect.stringMatching(/^#\d+ ERROR: process "\/bin\/sh -c for i in .* exit code: 3$/))
    expect(log).toContain('Dockerfile:3')
    expect(log.at(-1)).toMatch(/^ERROR: failed to solve:/)
  })

  test('the log of a failed cache export shows the error', () => {
    const { log } = feed(() => new ProgressTracker(), [fixture('cache-export-fails.json')])
    expect(log).toContainEqual(expect.stringMatching(/^#\d+ ERROR: error writing layer blob:.*connection refused$/))
  })

  test('a FROM-derived stage has no FROM vertex; its step 1 counts', () => {
    const r = feed(() => new ProgressTracker(), [fixture('multistage.json')])
    expect(stepNames(r)).toContain('[build 1/2] RUN echo "build N" > /out.txt && sleep 1')
    const slow = r.result.steps.find((s) => s.name.startsWith('[build 1/2]'))!
    expect(slow.durationMs).toBeGreaterThanOrEqual(1000) // `sleep 1`
  })
})

describe('plain fixtures (fallback)', () => {
  test.each<[string, number, number, string[]]>([
    ['cold.plain.txt', 0, 4, ['[2/5] RUN', '[3/5] COPY', '[4/5] WORKDIR', '[5/5] RUN']],
    ['cached.plain.txt', 4, 4, ['[2/5] RUN', '[3/5] COPY', '[4/5] WORKDIR', '[5/5] RUN']],
    ['multistage.plain.txt', 0, 5, ['[base 2/2] RUN', '[build 1/2] RUN', '[build 2/2] RUN', '[stage-2 2/3] COPY', '[stage-2 3/3] RUN']],
    // all cached: stages in the order they were shown, steps by number within a stage
    ['multistage-cached.plain.txt', 5, 5, ['[build 1/2] RUN', '[build 2/2] RUN', '[base 2/2] RUN', '[stage-2 2/3] COPY', '[stage-2 3/3] RUN']],
    ['failing.plain.txt', 0, 2, ['[2/4] RUN', '[3/4] RUN']],
    ['cache-export-fails.plain.txt', 0, 4, ['[2/5] RUN', '[3/5] COPY', '[4/5] WORKDIR', '[5/5] RUN']],
  ])('%s: %i of %i cached', (file, cached, total, prefixes) => {
    const r = parsePlainProgress(fixture(file))
    expect(r.cachedSteps).toBe(cached)
    expect(r.totalSteps).toBe(total)
    expect(
      r.steps.map((s) =>
        s.name
          .split(' ')
          .slice(0, s.name.startsWith('[') && !/^\[\d/.test(s.name) ? 3 : 2)
          .join(' '),
      ),
    ).toEqual(prefixes)
  })

  test.each(['cold.plain.txt', 'failing.plain.txt', 'cache-export-fails.plain.txt', 'multistage.plain.txt'])(
    '%s: random chunks give the same result',
    (file) => {
      const text = fixture(file)
      const whole = feed(() => new PlainProgressTracker(), [text])
      for (const seed of SEEDS) {
        const split = feed(() => new PlainProgressTracker(), chunks(text, seed))
        expect(split.result).toEqual(whole.result)
        expect(split.failure).toEqual(whole.failure)
        expect(split.log).toEqual(whole.log)
      }
      // the plain log passes through unchanged
      expect(whole.log).toEqual(text.split('\n').filter((l) => l.trim() !== ''))
    },
  )

  test('plain and rawjson agree on the multi-stage build', () => {
    const plain = parsePlainProgress(fixture('multistage.plain.txt'))
    const raw = feed(() => new ProgressTracker(), [fixture('multistage.json')]).result
    expect(plain.totalSteps).toBe(raw.totalSteps)
    expect(plain.steps.find((s) => s.name.startsWith('[build 1/2]'))!.durationMs).toBeGreaterThanOrEqual(1000)
  })

  test('a failed step, its log tail and the Dockerfile line', () => {
    const t = new PlainProgressTracker()
    t.write(fixture('failing.plain.txt'))
    t.end()
    const f = t.failure()!
    expect(f.inStep).toBe(true)
    expect(f.vertex).toMatch(/^\[3\/4\] RUN for i in/)
    // here the step's stderr line came out first and is outside the last 20 lines
    expect(f.logTail.at(-1)).toBe('log line 25')
    expect(f.dockerfileLine).toBe(3)
  })

  test('a cache import BuildKit refused is reported with its ref; a ref with no cache yet is not', () => {
    const t = new PlainProgressTracker()
    t.write(fixture('cache-import-refused.plain.txt'))
    t.end()
    const errors = t.result().cacheImportErrors
    expect(errors).toHaveLength(1)
    expect(errors![0]!.ref).toMatch(/^127\.0\.0\.1:5000\/test-fixtures-\d+\/bigcache:buildcache$/)
    expect(errors![0]!.error).toMatch(/^blob sha256:[0-9a-f]{64} is too large \(\d+ > 1048576\)$/)
    expect(t.failure()).toBeUndefined()
  })

  test('a failed cache export', () => {
    const t = new PlainProgressTracker()
    t.write(fixture('cache-export-fails.plain.txt'))
    t.end()
    expect(t.result().cacheExportError).toMatch(/connection refused/)
    expect(t.failure()).toBeUndefined()
  })
})

describe('failureMessage', () => {
  test('without a failed vertex it quotes what buildx printed', () => {
    expect(failureMessage(1, undefined, ["docker: 'x' is not a docker command.", "See 'docker --help'"])).toBe(
      "docker buildx build failed (exit 1):\n  docker: 'x' is not a docker command.\n  See 'docker --help'",
    )
    expect(failureMessage(null, undefined)).toBe('docker buildx build failed')
  })

  test("a Dockerfile parse error (no vertex failed) quotes buildx's ERROR line", () => {
    const t = new ProgressTracker()
    t.write('Dockerfile:2\n--------------------\n   1 |     FROM x\n   2 | >>> RUNN echo x\n--------------------\n')
    t.write('ERROR: failed to solve: dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)\n')
    t.end()
    const f = t.failure()!
    expect(f.dockerfileLine).toBe(2)
    expect(f.inStep).toBe(false)
    expect(failureMessage(1, f)).toBe(
      'docker buildx build failed (exit 1)\nERROR: failed to solve: dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)',
    )
  })
})

describe('isStepVertexName', () => {
  test.each<[string, boolean]>([
    ['[2/3] COPY hello.txt /hello.txt', true],
    ['[base 2/4] RUN micromamba install -y -f /tmp/env.yml', true],
    ['[stage-1 3/3] COPY --from=build /a /b', true],
    ['[linux/arm64 build 2/5] RUN make', true],
    ['[build 1/2] RUN echo from a stage', true],
    ['[1/5] FROM 127.0.0.1:5000/test/busybox:latest@sha256:abc', false],
    ['[base 1/2] FROM docker.io/mambaorg/micromamba:1.5', false],
    ['[stage-2 1/3] from busybox', false],
    ['[internal] load build definition from Dockerfile', false],
    ['[internal] load metadata for docker.io/library/busybox:latest', false],
    ['[auth] library/busybox:pull token for registry-1.docker.io', false],
    ['exporting to image', false],
    ['exporting cache to registry', false],
    ['pushing 127.0.0.1:5000/x/y:t with docker', false],
    ['importing cache manifest from 127.0.0.1:5000/x/y:buildcache', false],
    ['resolve image config for docker-image://docker.io/docker/dockerfile:1', false],
  ])('%s → %s', (name, want) => {
    expect(isStepVertexName(name)).toBe(want)
  })
})

describe('JsonObjectSplitter', () => {
  function split(parts: string[]): unknown[] {
    const out: unknown[] = []
    const s = new JsonObjectSplitter({ object: (o) => out.push(o), text: (l) => out.push(`TEXT ${l}`) })
    for (const p of parts) s.write(p)
    s.end()
    return out
  }

  const tricky =
    '{\n  "a": "}{ \\"quoted\\" \\\\",\n  "b": { "c": [1, {"d": "\\u007b"}] }\n}\n' +
    'plain text line with { brace\n' +
    '{"x":1}{"y":2}\n' +
    '   {\n "indented": true }\n' +
    '{ not json }\n' +
    'last line without newline'
  const want = [
    { a: '}{ "quoted" \\', b: { c: [1, { d: '{' }] } },
    'TEXT plain text line with { brace',
    { x: 1 },
    { y: 2 },
    { indented: true },
    'TEXT { not json }',
    'TEXT last line without newline',
  ]

  test('whole', () => {
    expect(split([tricky])).toEqual(want)
  })

  test.each(SEEDS)('random chunks (seed %i)', (seed) => {
    expect(split(chunks(tricky, seed))).toEqual(want)
  })

  test('every split point', () => {
    for (let i = 0; i <= tricky.length; i++) expect(split([tricky.slice(0, i), tricky.slice(i)])).toEqual(want)
  })

  test('an unterminated object at the end comes out as text', () => {
    expect(split(['{"a": 1,\n "b": "x'])).toEqual(['TEXT {"a": 1,', 'TEXT  "b": "x'])
  })

  test('CRLF line endings', () => {
    expect(split(['hello\r\n{"a":1}\r\nbye\r\n'])).toEqual(['TEXT hello', { a: 1 }, 'TEXT bye'])
  })
})

describe('ProgressTracker details', () => {
  const ev = (o: unknown): string => JSON.stringify(o, null, 2) + '\n'
  const b64 = (s: string): string => Buffer.from(s).toString('base64')

  test('merges vertices by digest field by field; later updates win', () => {
    const t = new ProgressTracker()
    t.write(ev({ vertexes: [{ digest: 'sha256:a', name: '[2/2] RUN x' }] }))
    t.write(ev({ vertexes: [{ digest: 'sha256:a', name: '[2/2] RUN x', started: '2026-01-01T00:00:00.5Z' }] }))
    t.write(
      ev({ vertexes: [{ digest: 'sha256:a', name: '[2/2] RUN x', started: '2026-01-01T00:00:00.5Z', completed: '2026-01-01T00:00:02.25Z', cached: true }] }),
    )
    t.end()
    expect(t.result()).toEqual({ cachedSteps: 1, totalSteps: 1, steps: [{ name: '[2/2] RUN x', cached: true, durationMs: 1750 }] })
  })

  test('log lines split across log entries are joined; a trailing partial line is flushed at the end', () => {
    const t = new ProgressTracker()
    const log: string[] = []
    t.onLog = (l) => log.push(l)
    t.write(ev({ vertexes: [{ digest: 'sha256:a', name: '[2/2] RUN x', started: '2026-01-01T00:00:00Z' }] }))
    t.write(ev({ logs: [{ vertex: 'sha256:a', stream: 1, data: b64('hel'), timestamp: '2026-01-01T00:00:01Z' }] }))
    t.write(ev({ logs: [{ vertex: 'sha256:a', stream: 1, data: b64('lo\nwor'), timestamp: '2026-01-01T00:00:01.5Z' }] }))
    t.write(ev({ logs: [{ vertex: 'sha256:a', stream: 1, data: b64('ld'), timestamp: '2026-01-01T00:00:02Z' }] }))
    t.end()
    expect(log).toEqual(['#1 [2/2] RUN x', '#1 1.500 hello', '#1 2.000 world'])
  })

  test('cache imports: the refused one from the real stream (split anywhere); none yet, canceled and repeated ones are not reported twice or at all', () => {
    for (const seed of SEEDS) {
      const r = feed(() => new ProgressTracker(), chunks(fixture('cache-import-refused.json'), seed))
      expect(r.result.cacheImportErrors?.map((e) => e.ref.replace(/\d{19}/, 'N'))).toEqual(['127.0.0.1:5000/test-fixtures-N/bigcache:buildcache'])
      expect(r.result.cacheImportErrors![0]!.error).toMatch(/is too large \(\d+ > 1048576\)$/)
      expect(r.failure).toBeUndefined()
    }
    const t = new ProgressTracker()
    const v = (digest: string, ref: string, error?: string) => ({
      digest,
      name: `importing cache manifest from ${ref}`,
      started: '2026-01-01T00:00:00Z',
      completed: '2026-01-01T00:00:01Z',
      ...(error ? { error } : {}),
    })
    t.write(
      ev({
        vertexes: [
          v('sha256:a', 'r/a:c', 'failed to configure registry cache importer: r/a:c: not found'),
          v('sha256:b', 'r/b:c', 'context canceled'),
          v('sha256:c', 'r/c:c'),
          v('sha256:d', 'r/d:c', 'unexpected status from GET request to https://r/v2/d/manifests/c: 403 Forbidden'),
          v('sha256:e', 'r/d:c', 'a second vertex of the same ref'),
          // "not found" of another ref, or of a blob, is a lost cache
          v('sha256:f', 'r/f:c', 'blob sha256:1 not found'),
        ],
      }),
    )
    t.end()
    expect(t.result().cacheImportErrors).toEqual([
      { ref: 'r/d:c', error: 'unexpected status from GET request to https://r/v2/d/manifests/c: 403 Forbidden' },
      { ref: 'r/f:c', error: 'blob sha256:1 not found' },
    ])
    expect(feed(() => new ProgressTracker(), [fixture('cached.json')]).result.cacheImportErrors).toBeUndefined()
  })

  test('a warning about the cache export marks it failed', () => {
    const t = new ProgressTracker()
    const log: string[] = []
    t.onLog = (l) => log.push(l)
    t.write(ev({ warnings: [{ vertex: 'sha256:zz', level: 1, short: b64('failed to export cache: denied') }] }))
    t.end()
    expect(t.result().cacheExportError).toBe('failed to export cache: denied')
    expect(log).toEqual(['WARNING: failed to export cache: denied'])
  })

  test('memory stays bounded: only the last 20 log lines of a vertex are kept', () => {
    const t = new ProgressTracker()
    t.write(ev({ vertexes: [{ digest: 'sha256:a', name: '[2/2] RUN x', started: '2026-01-01T00:00:00Z' }] }))
    for (let i = 0; i < 5000; i++) t.write(ev({ logs: [{ vertex: 'sha256:a', stream: 1, data: b64(`line ${i}\n`) }] }))
    t.write(
      ev({ vertexes: [{ digest: 'sha256:a', name: '[2/2] RUN x', started: '2026-01-01T00:00:00Z', completed: '2026-01-01T00:00:01Z', error: 'exit 1' }] }),
    )
    t.end()
    const f = t.failure()!
    expect(f.logTail).toHaveLength(20)
    expect(f.logTail[19]).toBe('line 4999')
  })

  test('a failure outside the Dockerfile steps is not "in a step"', () => {
    const t = new ProgressTracker()
    t.write(ev({ vertexes: [{ digest: 'sha256:m', name: '[internal] load metadata for r/x:1', started: '2026-01-01T00:00:00Z', error: 'r/x:1: not found' }] }))
    t.write('ERROR: failed to solve: r/x:1: not found\n')
    t.end()
    const f = t.failure()!
    expect(f.inStep).toBe(false)
    expect(f.vertex).toBe('[internal] load metadata for r/x:1')
    expect(f.dockerfileLine).toBeUndefined()
  })

  test.each<[string, number | undefined]>([
    ['2026-11-23T07:50:07.339652433Z', Date.UTC(2026, 10, 23, 7, 50, 7) + 339.652433],
    ['2026-11-23T07:50:07Z', Date.UTC(2026, 10, 23, 7, 50, 7)],
    ['2026-11-23T08:50:07.5+01:00', Date.UTC(2026, 10, 23, 7, 50, 7) + 500],
    ['yesterday', undefined],
  ])('parseTimestamp(%s)', (s, want) => {
    const got = parseTimestamp(s)
    if (want === undefined) expect(got).toBeUndefined()
    else expect(got).toBeCloseTo(want, 3)
  })
})
