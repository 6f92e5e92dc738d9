// Carries out a retention plan through a backend (Distribution API or GitHub Packages API).
// `dry-run` reports exactly what `true` would delete and calls nothing. A backend that
// cannot delete (deletes disabled, 405) or may not (no admin access) ends the run with an
// error in the report — retention never fails the build.

import { errorMessage } from '../vocabulary/user-error.js'
import type { RetentionEntry, RetentionReport } from '../report/model.js'
import type { RetentionDeleteEntry, RetentionPlan } from './retention-plan.js'
import type { Log } from '../runner/log.js'

export type DeleteOutcome = 'deleted' | 'not-found' | 'unsupported' | 'denied'

export interface RetentionBackend {
  /** Shown in the report ("via …"). */
  name: string
  deleteDigest(digest: string): Promise<DeleteOutcome>
  /** What went wrong and what to do, for 'unsupported' and 'denied'. */
  explain?(outcome: 'unsupported' | 'denied'): string
}

/** What retention logs (either may be left out). */
export type RetentionLog = Partial<Pick<Log, 'info' | 'warning'>>

/** Consecutive thrown failures (network, 5xx after retries) after which the run stops. */
const MAX_CONSECUTIVE_FAILURES = 3

function tagsOf(e: RetentionEntry): string[] {
  const t = (e as Partial<RetentionDeleteEntry>).tags
  return t && t.length > 0 ? [...t] : e.tag.split(', ')
}

function describe(e: RetentionEntry): string {
  const age = e.ageDays === undefined ? '' : `, ${e.ageDays} day${e.ageDays === 1 ? '' : 's'} old`
  return `${tagsOf(e).join(', ')} (${e.digest ?? 'unknown digest'}${age})`
}

/** One manifest to delete with a deleted subject: an artifact referring to `subject`, or (`index`) the referrers tag's index of `subject`. */
export interface ReferrerToDelete {
  readonly digest: string
  readonly subject: string
  readonly index?: boolean
}

/**
 * The referrers of a manifest to delete with it — its artifacts, the referrers of those
 * (a signature attached to an SBOM), recursively, and each referrers tag schema's index —
 * ordered so that every entry's subject is the manifest or an entry before it (see
 * referrerTree in src/registry/referrers.ts); `bounded` when the listing was cut short.
 */
export type ReferrerLister = (subject: string) => Promise<{ readonly entries: readonly ReferrerToDelete[]; readonly bounded?: string }>

/**
 * The referrers of a deleted entry's subjects (the entry's digest and its platform
 * manifests, `subjects`), deleted right after it through the same backend, each logged —
 * never before their subject, never alone: an entry whose subject was not deleted (a failed
 * delete) stays. A failure is a problem of the report, not a stop.
 */
async function deleteReferrersOf(
  e: RetentionDeleteEntry,
  backend: RetentionBackend,
  referrers: ReferrerLister | undefined,
  log: RetentionLog,
  problems: string[],
): Promise<void> {
  if (!referrers) return
  for (const subject of e.subjects ?? []) {
    try {
      const listed = await referrers(subject)
      if (listed.bounded) problems.push(listed.bounded)
      const gone = new Set([subject])
      for (const r of listed.entries) {
        const what = r.index ? `the referrers index ${r.digest} of ${r.subject}` : `the referrer ${r.digest} of ${r.subject}`
        if (!gone.has(r.subject)) {
          log.info?.(`kept ${what}: its subject was not deleted`)
          continue
        }
        let outcome: DeleteOutcome
        try {
          outcome = await backend.deleteDigest(r.digest)
        } catch (err) {
          problems.push(`could not delete ${what}: ${errorMessage(err)}`)
          continue
        }
        if (outcome === 'deleted' || outcome === 'not-found') gone.add(r.digest)
        if (outcome === 'deleted') log.info?.(`deleted ${what}`)
        else if (outcome === 'not-found') log.info?.(`already gone: ${what}`)
        else problems.push(`could not delete ${what}: ${backend.explain?.(outcome) ?? outcome}`)
      }
    } catch (err) {
      problems.push(`could not delete the referrers of ${subject}: ${errorMessage(err)}`)
    }
  }
}

export async function applyRetention(
  plan: RetentionPlan,
  backend: RetentionBackend,
  mode: 'dry-run' | 'true',
  log: RetentionLog = {},
  referrers?: ReferrerLister,
): Promise<RetentionReport> {
  const base = { mode, backend: backend.name, kept: [...plan.keep], protected: [...plan.protect] }
  if (mode === 'dry-run') {
    for (const e of plan.delete) log.info?.(`would delete ${describe(e)}`)
    for (const e of plan.protect) log.info?.(`protected ${e.tag}: ${e.reason ?? ''}`)
    log.info?.(`Retention dry run: would delete ${plan.delete.length} digest(s); nothing was deleted`)
    return { ...base, deleted: [...plan.delete] }
  }
  if ((mode as string) !== 'true') throw new Error(`applyRetention: unknown mode "${String(mode)}"`)

  const deleted: RetentionEntry[] = []
  const problems: string[] = []
  let stopped: string | undefined
  let failures = 0
  let notDone = 0
  for (const e of plan.delete) {
    if (stopped) {
      notDone++
      continue
    }
    if (!e.digest) {
      // Plans from planRetention always carry a digest; never delete what we cannot name.
      problems.push(`${e.tag}: no digest, not deleted`)
      notDone++
      continue
    }
    let outcome: DeleteOutcome
    try {
      outcome = await backend.deleteDigest(e.digest)
    } catch (err) {
      failures++
      notDone++
      problems.push(`could not delete ${describe(e)}: ${errorMessage(err)}`)
      log.info?.(`could not delete ${describe(e)}: ${errorMessage(err)}`)
      if (failures >= MAX_CONSECUTIVE_FAILURES) stopped = `stopped after ${failures} failures in a row`
      continue
    }
    switch (outcome) {
      case 'deleted':
        failures = 0
        deleted.push(e)
        log.info?.(`deleted ${describe(e)}`)
        await deleteReferrersOf(e, backend, referrers, log, problems)
        break
      case 'not-found':
        failures = 0
        deleted.push({ ...e, reason: `${e.reason ? `${e.reason}; ` : ''}already gone (not found)` })
        log.info?.(`already gone: ${describe(e)}`)
        await deleteReferrersOf(e, backend, referrers, log, problems)
        break
      case 'unsupported':
      case 'denied': {
        notDone++
        const why =
          backend.explain?.(outcome) ??
          (outcome === 'unsupported' ? `${backend.name} does not support deleting manifests` : `${backend.name} denied the delete`)
        stopped = why
        break
      }
      default:
        throw new Error(`applyRetention: unexpected outcome "${String(outcome)}" from ${backend.name}`)
    }
  }

  const parts: string[] = []
  if (stopped) parts.push(stopped)
  if (problems.length > 0) parts.push(problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : ''))
  if (notDone > 0) parts.push(`${notDone} of ${plan.delete.length} digest(s) were not deleted`)
  // Returned in the report (the caller warns with it), not logged here twice.
  const error = parts.length > 0 ? parts.join(' — ') : undefined
  log.info?.(`Retention: deleted ${deleted.length} of ${plan.delete.length} digest(s)`)
  return { ...base, deleted, ...(error ? { error } : {}) }
}
