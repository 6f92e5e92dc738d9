// Phase 3: what the registry (or engine) already has, and whether this job may write to it.

import { datedTags, isFromTheFuture, splitFutureTags } from '../image/dated-tags.js'
import { errorMessage, isUserError } from '../vocabulary/user-error.js'
import type { Options } from '../run/options.js'
import type { LookupResult } from '../run/run-plan.js'
import { parsePartTag } from '../image/platforms.js'
import type { Ports, Stores } from '../ports/index.js'
import { formatName } from '../image/reference.js'
import { isRegistryError } from '../registry/index.js'

/**
 * The tag list of the base repository does not depend on the environment hash: it is asked
 * for as soon as the inputs are read, and the registry answers while the action hashes. A
 * failure waits for the Lookup phase (never an unhandled rejection).
 */
export function startTagList({ opts, stores }: { opts: Options; stores: Stores }): Promise<string[]> {
  const tags = stores.store.tags(opts.baseRepository)
  tags.catch(() => undefined)
  return tags
}

/**
 * Dated base tags of the base repository (newest first), and every tag (per-platform parts
 * of a matrix), from the list startTagList asked for; none when the lookup failed (and
 * whether it was refused).
 */
export async function lookupPhase(
  { opts, envHash, tags, now }: { opts: Options; envHash: string; tags: Promise<string[]>; now: Date },
  { log, clock }: Pick<Ports, 'log' | 'clock'>,
): Promise<LookupResult> {
  const repo = opts.baseRepository
  try {
    const t = await tags
    // The later of the run's date (SOURCE_DATE_EPOCH) and the clock's.
    const today = new Date(Math.max(now.getTime(), clock.now().getTime()))
    const { dated, future } = splitFutureTags(datedTags(t, opts.baseTagPrefix), today)
    // mode: merge also reads the per-platform parts: those of a day after tomorrow are left out like their dated tags.
    const futureParts = opts.mode === 'merge' ? t.filter((tag) => isFuturePart(tag, opts.baseTagPrefix, today)) : []
    const ignored = [...future.map((d) => d.tag), ...futureParts]
    if (ignored.length > 0) {
      const some = ignored.slice(0, 3)
      log.warning(
        `Ignoring ${ignored.length} dated base tag${ignored.length === 1 ? '' : 's'} of ${formatName(repo)} dated after tomorrow (${some.join(', ')}${ignored.length > some.length ? ', …' : ''}): a tag from the future would stay the newest for ever`,
      )
    }
    const mine = dated.filter((d) => d.hash12 === envHash.slice(0, 12)).length
    log.info(`${formatName(repo)}: ${t.length} tags, ${dated.length} dated base tags, ${mine} of this environment`)
    return { dated, tags: futureParts.length > 0 ? t.filter((tag) => !futureParts.includes(tag)) : t }
  } catch (e) {
    if (isUserError(e)) throw e
    // Refused credentials: a run that pushes stops before building (push-access phase).
    const refused = isRegistryError(e) && (e.kind === 'auth' || e.kind === 'denied') ? errorMessage(e) : undefined
    log.warning(`Could not list the tags of ${formatName(repo)} (${errorMessage(e)}); building the base as a cache miss`)
    return { refused }
  }
}

function isFuturePart(tag: string, prefix: string, today: Date): boolean {
  const part = parsePartTag(tag, prefix)
  return part !== undefined && isFromTheFuture(part.dated, today)
}
