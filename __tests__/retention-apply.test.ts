// applyRetention with a recording backend, collectTagInfo with a fake registry client,
// and selectBackend.

import { referrerTree, type Referrers } from '../src/registry/referrers.js'
import { describe, expect, it, test } from 'vitest'
import { parseImageName } from '../src/image/reference.js'
import {
  applyRetention,
  collectTagInfo,
  distributionBackend,
  planRetention,
  selectBackend,
  type DeleteOutcome,
  type RetentionBackend,
  type RetentionPlan,
  type TagSource,
} from '../src/retention/index.js'

const TODAY = new Date('2026-03-15T00:00:00Z')
const NAME = parseImageName('registry.example.com/acme/model')

function d(i: number): string {
  return `sha256:${i.toString(16).padStart(64, '0')}`
}

/** A plan deleting digests 1..n (tags base-…-2025010i), plus one kept tag. */
function plan(n: number): RetentionPlan {
  const tags = [{ tag: 'base-aaaaaaaaaaaa-20260314', digest: d(100) }]
  for (let i = 1; i <= n; i++) tags.push({ tag: `base-aaaaaaaaaaaa-202501${String(i).padStart(2, '0')}`, digest: d(i) })
  return planRetention(tags, { prefix: 'base-', keepLatest: 1, keepDays: 30, protectTags: [], today: TODAY })
}

function recorder(outcomes: (DeleteOutcome | Error)[] | ((digest: string) => DeleteOutcome)): RetentionBackend & { calls: string[] } {
  const calls: string[] = []
  return {
    name: 'fake',
    calls,
    deleteDigest(digest) {
      calls.push(digest)
      const o = typeof outcomes === 'function' ? outcomes(digest) : (outcomes[calls.length - 1] ?? 'deleted')
      return o instanceof Error ? Promise.reject(o) : Promise.resolve(o)
    },
    explain: (o) => `fake says ${o}`,
  }
}

describe('applyRetention', () => {
  it('dry-run calls nothing and reports the plan', async () => {
    const p = plan(3)
    const b = recorder([])
    const logged: string[] = []
    const r = await applyRetention(p, b, 'dry-run', { info: (m) => logged.push(m) })
    expect(b.calls).toEqual([])
    expect(r).toEqual({ mode: 'dry-run', backend: 'fake', kept: p.keep, deleted: p.delete, protected: p.protect })
    expect(logged.filter((l) => l.startsWith('would delete'))).toHaveLength(3)
    expect(logged[0]).toContain(d(1))
  })

  it('true deletes every digest of the plan, oldest first', async () => {
    const b = recorder([])
    const r = await applyRetention(plan(3), b, 'true')
    expect(b.calls).toEqual([d(1), d(2), d(3)])
    expect(r.deleted.map((e) => e.digest)).toEqual([d(1), d(2), d(3)])
    expect(r.error).toBeUndefined()
  })

  it('not-found counts as gone', async () => {
    const r = await applyRetention(plan(2), recorder(['not-found', 'deleted']), 'true')
    expect(r.deleted.map((e) => e.digest)).toEqual([d(1), d(2)])
    expect(r.deleted[0]!.reason).toMatch(/already gone/)
    expect(r.error).toBeUndefined()
  })

  test.each<['unsupported' | 'denied']>([['unsupported'], ['denied']])('%s stops the run, reported not thrown', async (outcome) => {
    const b = recorder(['deleted', outcome])
    const r = await applyRetention(plan(4), b, 'true')
    expect(b.calls).toEqual([d(1), d(2)])
    expect(r.deleted.map((e) => e.digest)).toEqual([d(1)])
    expect(r.error).toContain(`fake says ${outcome}`)
    expect(r.error).toContain('3 of 4 digest(s) were not deleted')
  })

  it('a thrown failure is reported and the run goes on; three in a row stop it', async () => {
    const boom = new Error('HTTP 503 after retries')
    const b = recorder(['deleted', boom, 'deleted', boom, boom, boom, 'deleted'])
    const r = await applyRetention(plan(8), b, 'true')
    expect(b.calls).toHaveLength(6)
    expect(r.deleted.map((e) => e.digest)).toEqual([d(1), d(3)])
    expect(r.error).toMatch(/stopped after 3 failures in a row/)
    expect(r.error).toMatch(/HTTP 503 after retries/)
    expect(r.error).toContain('6 of 8 digest(s) were not deleted')
  })

  it('indexes go first', async () => {
    const tags = [
      { tag: 'base-aaaaaaaaaaaa-20260314', digest: d(100) },
      { tag: 'base-aaaaaaaaaaaa-20250101', digest: d(1) },
      { tag: 'base-aaaaaaaaaaaa-20250201', digest: d(2), children: [d(3)] },
    ]
    const p = planRetention(tags, { prefix: 'base-', keepLatest: 1, keepDays: 30, protectTags: [], today: TODAY })
    const b = recorder([])
    await applyRetention(p, b, 'true')
    expect(b.calls).toEqual([d(2), d(1)])
  })
})

describe('distributionBackend', () => {
  it('passes deletes through and turns a denied registry error into denied', async () => {
    const seen: string[] = []
    const ok = distributionBackend({ deleteManifest: (_n, digest) => (seen.push(digest), Promise.resolve('unsupported')) }, NAME)
    expect(await ok.deleteDigest(d(1))).toBe('unsupported')
    expect(seen).toEqual([d(1)])
    expect(ok.explain!('unsupported')).toMatch(/deletes are disabled/)

    const denied = Object.assign(new Error('registry.example.com: access to acme/model denied (HTTP 403)'), { kind: 'denied' })
    const b = distributionBackend({ deleteManifest: async () => Promise.reject(denied) }, NAME)
    expect(await b.deleteDigest(d(1))).toBe('denied')
    expect(b.explain!('denied')).toContain('HTTP 403')

    const other = distributionBackend({ deleteManifest: async () => Promise.reject(new Error('socket hang up')) }, NAME)
    await expect(other.deleteDigest(d(1))).rejects.toThrow('socket hang up')
  })
})

describe('collectTagInfo', () => {
  function fakeClient(tags: string[], manifests: Record<string, { digest: string; manifest?: unknown } | Error | undefined>) {
    let inFlight = 0
    let maxInFlight = 0
    const gets: string[] = []
    const waiting: (() => void)[] = []
    const client: TagSource & { gets: string[]; maxInFlight: () => number } = {
      gets,
      maxInFlight: () => maxInFlight,
      listTags: () => Promise.resolve([...tags]),
      async getManifest(_name, ref) {
        gets.push(ref)
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        // Yield a few turns so that concurrent workers overlap (no timers).
        await new Promise<void>((r) => {
          waiting.push(r)
          queueMicrotask(() => waiting.shift()?.())
        })
        inFlight--
        const m = manifests[ref]
        if (m instanceof Error) throw m
        return m
      },
    }
    return client
  }

  it('resolves every tag, foreign ones too, with bounded concurrency and index children', async () => {
    const tags = Array.from({ length: 20 }, (_, i) => `base-aaaaaaaaaaaa-202501${String(i + 1).padStart(2, '0')}`)
    tags.push('latest', 'keep-me')
    const manifests: Record<string, { digest: string; manifest?: unknown }> = {}
    tags.forEach((t, i) => (manifests[t] = { digest: d(i + 1), manifest: { layers: [] } }))
    manifests.latest = { digest: d(99), manifest: { manifests: [{ digest: d(7) }, { digest: d(8) }, { nope: 1 }] } }
    const c = fakeClient(tags, manifests)
    const infos = await collectTagInfo(c, NAME, 'base-', { concurrency: 3 })
    expect(c.gets.sort()).toEqual([...tags].sort())
    expect(c.maxInFlight()).toBe(3)
    expect(infos).toHaveLength(22)
    expect(infos.find((i) => i.tag === 'latest')).toEqual({ tag: 'latest', digest: d(99), children: [d(7), d(8)] })
    expect(infos.find((i) => i.tag === 'keep-me')).toEqual({ tag: 'keep-me', digest: d(22) })
  })

  it('no dated tag of the prefix: nothing to prune, nothing read', async () => {
    const c = fakeClient(['latest', 'nightly-aaaaaaaaaaaa-20250101'], {})
    expect(await collectTagInfo(c, NAME, 'base-')).toEqual([])
    expect(c.gets).toEqual([])
  })

  it('a vanished tag is left out; an unreadable one gets an unknown digest and protects', async () => {
    const old = 'base-aaaaaaaaaaaa-20250101'
    const now = 'base-aaaaaaaaaaaa-20260314'
    const warnings: string[] = []
    const c = fakeClient([old, now, 'gone', 'latest'], { [old]: { digest: d(1) }, [now]: { digest: d(2) }, gone: undefined, latest: new Error('HTTP 500') })
    const infos = await collectTagInfo(c, NAME, 'base-', { log: { warning: (m) => warnings.push(m) } })
    expect(infos.map((i) => [i.tag, i.digest]).sort()).toEqual([
      [old, d(1)],
      [now, d(2)],
      ['latest', ''],
    ])
    expect(warnings[0]).toMatch(/latest.*HTTP 500/)
    const p = planRetention(infos, { prefix: 'base-', keepLatest: 1, keepDays: 30, protectTags: [], today: TODAY })
    expect(p.delete).toEqual([])
    expect(p.protect.map((e) => e.tag)).toEqual([old])
  })

  it('stops reading after three failures', async () => {
    const tags = Array.from({ length: 10 }, (_, i) => `base-aaaaaaaaaaaa-202501${String(i + 1).padStart(2, '0')}`)
    const manifests = Object.fromEntries(tags.map((t) => [t, new Error('down')]))
    const c = fakeClient(tags, manifests)
    const infos = await collectTagInfo(c, NAME, 'base-', { concurrency: 1 })
    expect(c.gets).toHaveLength(3)
    expect(infos.every((i) => i.digest === '')).toBe(true)
    expect(infos).toHaveLength(10)
  })
})

describe('selectBackend', () => {
  test.each<[string, 'distribution' | 'ghcr' | 'unsupported', RegExp | undefined]>([
    ['ghcr.io', 'ghcr', undefined],
    ['127.0.0.1:5000', 'distribution', undefined],
    ['localhost:5000', 'distribution', undefined],
    ['[::1]:5000', 'distribution', undefined],
    ['registry.example.com', 'distribution', undefined],
    ['myacr.azurecr.io', 'distribution', undefined],
    ['harbor.corp.internal:8443', 'distribution', undefined],
    ['registry.gitlab.com', 'distribution', undefined],
    ['docker.io', 'unsupported', /Docker Hub/],
    ['registry-1.docker.io', 'unsupported', /Docker Hub/],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'unsupported', /ECR/],
    ['public.ecr.aws', 'unsupported', /ECR/],
    ['gcr.io', 'unsupported', /gcloud/],
    ['eu.gcr.io', 'unsupported', /gcloud/],
    ['europe-west1-docker.pkg.dev', 'unsupported', /gcloud/],
    ['docker.pkg.github.com', 'unsupported', /ghcr\.io/],
    ['', 'unsupported', /local/],
  ])('%s → %s', (host, kind, why) => {
    const messages: string[] = []
    expect(selectBackend(host, (m) => messages.push(m))).toBe(kind)
    if (why) expect(messages).toEqual([expect.stringMatching(why)])
    else expect(messages).toEqual([])
  })
})

describe('referrers (SBOMs) go with the base they refer to, never alone', () => {
  const old = 'base-aaaaaaaaaaaa-20250101'
  const kept = 'base-aaaaaaaaaaaa-20260314'
  const referrer = (subject: string) => `sha256:${'f'.repeat(56)}${subject.slice(-8)}`
  const index = (subject: string) => `sha256:${'e'.repeat(56)}${subject.slice(-8)}`
  const lister = (calls: string[]) => (subject: string) => {
    calls.push(subject)
    return Promise.resolve({
      entries: [
        { digest: referrer(subject), subject },
        { digest: index(subject), subject, index: true },
      ],
    })
  }

  it('the deleted digest and its platform manifests are the subjects; a child a kept index lists is not', () => {
    const p = planRetention(
      [
        { tag: kept, digest: d(100), children: [d(101), d(3)] },
        { tag: old, digest: d(1), children: [d(2), d(3)] },
        { tag: `sha256-${d(2).slice(7)}`, digest: index(d(2)), children: [referrer(d(2))] },
      ],
      { prefix: 'base-', keepLatest: 1, keepDays: 30, protectTags: [], today: TODAY },
    )
    expect(p.delete.map((e) => [e.digest, e.subjects])).toEqual([[d(1), [d(1), d(2)]]])
  })

  it('deletes the referrers of each subject right after the subject, through the backend', async () => {
    const p = planRetention(
      [
        { tag: kept, digest: d(100) },
        { tag: old, digest: d(1), children: [d(2)] },
      ],
      { prefix: 'base-', keepLatest: 1, keepDays: 30, protectTags: [], today: TODAY },
    )
    const b = recorder(() => 'deleted')
    const listed: string[] = []
    const r = await applyRetention(p, b, 'true', {}, lister(listed))
    expect(b.calls).toEqual([d(1), referrer(d(1)), index(d(1)), referrer(d(2)), index(d(2))])
    expect(listed).toEqual([d(1), d(2)])
    expect(r.error).toBeUndefined()
  })

  it('a base not deleted (unsupported, denied, failed) keeps its referrers; dry-run lists none', async () => {
    for (const outcome of ['unsupported', 'denied', new Error('HTTP 500')] as const) {
      const b = recorder(() =>
        outcome instanceof Error
          ? (() => {
              throw outcome
            })()
          : outcome,
      )
      const listed: string[] = []
      await applyRetention(plan(1), b, 'true', {}, lister(listed))
      expect(listed).toEqual([])
      expect(b.calls).toEqual([d(1)])
    }
    const listed: string[] = []
    const b = recorder(() => 'deleted')
    await applyRetention(plan(1), b, 'dry-run', {}, lister(listed))
    expect([listed, b.calls]).toEqual([[], []])
  })

  it('a referrer listing that fails is a problem of the report, not a stop', async () => {
    const b = recorder(() => 'deleted')
    const r = await applyRetention(plan(2), b, 'true', {}, () => Promise.reject(new Error('registry down')))
    expect(r.deleted).toHaveLength(2)
    expect(r.error).toContain('could not delete the referrers of')
  })
})

describe('referrers of referrers: a signature attached to the SBOM goes too, after its subject, each deletion logged', () => {
  // base d(1) ← SBOM s1 ← signature g1 (← its own signature h1); the tag schema's index of each subject
  const sbom = d(11)
  const sig = d(12)
  const sigOfSig = d(13)
  const graph: Record<string, Referrers> = {
    [d(1)]: { via: 'tag', referrers: [{ mediaType: 'm', digest: sbom, size: 1 }], tagIndex: d(21) },
    [sbom]: { via: 'tag', referrers: [{ mediaType: 'm', digest: sig, size: 1 }], tagIndex: d(22) },
    [sig]: { via: 'tag', referrers: [{ mediaType: 'm', digest: sigOfSig, size: 1 }], tagIndex: d(23) },
  }
  const list = (s: string) => Promise.resolve(graph[s] ?? { via: 'tag' as const, referrers: [] })

  it('referrerTree lists them breadth first, each subject before what refers to it', async () => {
    const t = await referrerTree(list, d(1))
    expect(t.entries.map((e) => [e.digest, e.subject, e.depth, e.index ?? false])).toEqual([
      [sbom, d(1), 1, false],
      [d(21), d(1), 1, true],
      [sig, sbom, 2, false],
      [d(22), sbom, 2, true],
      [sigOfSig, sig, 3, false],
      [d(23), sig, 3, true],
    ])
    expect(t.bounded).toBeUndefined()
  })

  it.each([
    [{ maxDepth: 2 }, 4, /more than 2 levels below/],
    [{ maxEntries: 3 }, 3, /more than 3 referrers below/],
  ])('bounded (%o): what was listed, and what was not, said', async (bounds, n, said) => {
    const t = await referrerTree(list, d(1), bounds)
    expect(t.entries).toHaveLength(n)
    expect(t.bounded).toMatch(said)
  })

  it('a cycle (a referrer that lists its own subject) ends', async () => {
    const cyclic: Record<string, Referrers> = {
      [d(1)]: { via: 'api', referrers: [{ mediaType: 'm', digest: sbom, size: 1 }] },
      [sbom]: {
        via: 'api',
        referrers: [
          { mediaType: 'm', digest: d(1), size: 1 },
          { mediaType: 'm', digest: sbom, size: 1 },
        ],
      },
    }
    const t = await referrerTree((s) => Promise.resolve(cyclic[s] ?? { via: 'api' as const, referrers: [] }), d(1))
    expect(t.entries.map((e) => e.digest)).toEqual([sbom])
  })

  it('retention deletes the whole tree after the base, in order, logging each; a referrer whose subject survived stays', async () => {
    const b = recorder(() => 'deleted')
    const lines: string[] = []
    const r = await applyRetention(plan(1), b, 'true', { info: (m) => lines.push(m) }, (s) => referrerTree(list, s))
    expect(b.calls).toEqual([d(1), sbom, d(21), sig, d(22), sigOfSig, d(23)])
    expect(lines).toContain(`deleted the referrer ${sig} of ${sbom}`)
    expect(lines).toContain(`deleted the referrers index ${d(22)} of ${sbom}`)
    expect(lines.filter((l) => l.startsWith('deleted the referrer'))).toHaveLength(6)
    expect(r.error).toBeUndefined()

    // The SBOM's delete fails: the signature (its subject survives) and what refers to it stay.
    const failing = recorder((digest) => {
      if (digest === sbom) throw new Error('HTTP 500')
      return 'deleted'
    })
    const kept: string[] = []
    const r2 = await applyRetention(plan(1), failing, 'true', { info: (m) => kept.push(m) }, (s) => referrerTree(list, s))
    expect(failing.calls).toEqual([d(1), sbom, d(21)])
    expect(kept).toContain(`kept the referrer ${sig} of ${sbom}: its subject was not deleted`)
    expect(r2.error).toContain(`could not delete the referrer ${sbom} of ${d(1)}: HTTP 500`)
  })

  it('a tree cut by its bounds is a problem of the report; what was listed is deleted', async () => {
    const b = recorder(() => 'deleted')
    const r = await applyRetention(plan(1), b, 'true', {}, (s) => referrerTree(list, s, { maxDepth: 1 }))
    expect(b.calls).toEqual([d(1), sbom, d(21)])
    expect(r.error).toMatch(/more than 1 levels below/)
  })
})
