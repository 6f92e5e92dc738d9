// The scheduled job (docs/DESIGN.md §6.3) end to end: `mode: base` builds today's tag, is a no-op when
// it exists, survives two concurrent runs, and prunes old dated tags through the action.

import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction, succeeded, type ActionResult } from '../__fixtures__/action-runner.js'
import { REGISTRY, epochOf, getManifest, listTags, removeRepo, requireStack, retag, uniqueRepo } from '../__fixtures__/stack.js'

const ok = succeeded

describe('nightly base job', () => {
  const repo = uniqueRepo('nightly')
  const image = `${REGISTRY}/${repo}`
  const inputs = { image, 'base-dockerfile': 'base.Dockerfile' }
  let ws: string
  const at = (date: string) => ({ cwd: ws, env: { SOURCE_DATE_EPOCH: epochOf(date) } })
  let day1: ActionResult

  beforeAll(async () => {
    await requireStack()
    ws = mkdtempSync(path.join(os.tmpdir(), 'ws-nightly-'))
    cpSync(path.join(ROOT, 'examples', 'quickstart'), ws, { recursive: true })
    day1 = ok(await runAction(inputs, at('2026-10-01')))
  })
  afterAll(async () => {
    await removeRepo(repo)
    rmSync(ws, { recursive: true, force: true })
  })

  it('builds today’s tag even though an older one exists, and says it was a refresh', async () => {
    const r = ok(await runAction({ ...inputs, mode: 'base' }, at('2026-10-03')))
    const hash12 = day1.outputs['env-hash']!.slice(0, 12)
    expect(r.outputs['base-tag']).toBe(`base-${hash12}-20261003`)
    expect(r.outputs['base-reused']).toBe('false')
    expect(r.summary).toMatch(/refresh: pull/)
    expect(await listTags(repo)).toEqual(expect.arrayContaining([`base-${hash12}-20261001`, `base-${hash12}-20261003`]))
  })

  it('is a no-op when today’s tag already exists', async () => {
    const before = (await getManifest(repo, `base-${day1.outputs['env-hash']!.slice(0, 12)}-20261003`))!.digest
    const r = ok(await runAction({ ...inputs, mode: 'base' }, at('2026-10-03')))
    expect(r.outputs['base-reused']).toBe('true')
    expect(r.outputs['total-steps']).toBe('0')
    expect(r.outputs.digest).toBe(before)
  })

  it('two jobs building the same tag at once both succeed and leave one consistent tag', async () => {
    const [a, b] = await Promise.all([runAction({ ...inputs, mode: 'base' }, at('2026-10-04')), runAction({ ...inputs, mode: 'base' }, at('2026-10-04'))])
    ok(a)
    ok(b)
    expect(a.outputs['base-tag']).toBe(b.outputs['base-tag'])
    const m = await getManifest(repo, a.outputs['base-tag']!)
    expect(m).toBeDefined()
    expect([a.outputs.digest, b.outputs.digest]).toContain(m!.digest)
  })

  it('prunes old dated tags: dry-run deletes nothing, true deletes exactly the old ones, a shared digest survives', async () => {
    const hash12 = day1.outputs['env-hash']!.slice(0, 12)
    // `keep-me` shares the digest of the oldest dated tag: that digest must never be deleted.
    await retag(repo, `base-${hash12}-20261001`, 'keep-me')
    const prune = { ...inputs, mode: 'base', 'keep-latest': '2', 'keep-days': '30' }

    const before = await listTags(repo)
    const dry = ok(await runAction({ ...prune, prune: 'dry-run' }, at('2026-11-20')))
    // the run itself builds today's tag; nothing else changes
    expect(await listTags(repo)).toEqual([...before, dry.outputs['base-tag']!].sort())
    expect(dry.summary).toContain(`base-${hash12}-20261003`)

    const pruned = ok(await runAction({ ...prune, prune: 'true' }, at('2026-11-20')))
    const after = await listTags(repo)
    // The report's size trend does not list the tag this run's retention deleted; the retention section does, as deleted.
    const trend = /\*\*Size trend\*\*[\s\S]*?(?=\n#### )/.exec(pruned.summary)?.[0] ?? ''
    const retention = /#### Retention[\s\S]*$/.exec(pruned.summary)?.[0] ?? ''
    expect(trend).toContain(`base-${hash12}-20261004`)
    expect(trend).not.toContain(`base-${hash12}-20261003`)
    expect(retention).toMatch(new RegExp(`base-${hash12}-20261003\`[^\n]*🗑️ deleted`))
    // kept: today's and the newest other (keep-latest 2); protected: 20261001 (digest shared with keep-me)
    expect(after).toContain(`base-${hash12}-20261120`)
    expect(after).toContain(`base-${hash12}-20261004`)
    expect(after).toContain(`base-${hash12}-20261001`)
    expect(after).toContain('keep-me')
    expect(after).toContain('buildcache')
    expect(after).not.toContain(`base-${hash12}-20261003`)
  })

  it('refresh: full rebuilds with --no-cache, so the environment is solved again', async () => {
    const r = ok(await runAction({ ...inputs, mode: 'base', refresh: 'full' }, at('2026-11-21')))
    expect(r.outputs['base-reused']).toBe('false')
    expect(Number(r.outputs['total-steps'])).toBeGreaterThan(0)
    expect(r.outputs['cached-steps']).toBe('0')
    expect(r.summary).toMatch(/refresh: full/)
  })
})
