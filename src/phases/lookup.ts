// Phase 3: what the registry (or engine) already has, and whether this job may write to it.

import { datedTags, type DatedTag } from '../dated-tags.js'
import { errorMessage, isUserError } from '../errors.js'
import type { Options } from '../options.js'
import type { LookupResult } from '../plan.js'
import type { Ports, Stores } from '../ports/index.js'
import type { CredentialState } from '../push.js'
import { formatName, isLoopbackHost } from '../reference.js'

export async function lookupPhase(
  s: { opts: Options; envHash: string; stores: Stores },
  ports: Pick<Ports, 'log' | 'hasCredentials'>,
): Promise<LookupResult> {
  const [found, credentials] = await Promise.all([datedBaseTags(s, ports), credentialState(s.opts, ports)])
  return { dated: found?.dated, tags: found?.tags, credentials }
}

/** Dated base tags of the base repository (newest first); undefined when the lookup failed. */
async function datedBaseTags(
  { opts, envHash, stores }: { opts: Options; envHash: string; stores: Stores },
  { log }: Pick<Ports, 'log'>,
): Promise<{ dated: DatedTag[]; tags: string[] } | undefined> {
  const repo = opts.baseRepository
  try {
    const t = await stores.store.tags(repo)
    const dated = datedTags(t, opts.baseTagPrefix)
    const mine = dated.filter((d) => d.hash12 === envHash.slice(0, 12)).length
    log.info(`${formatName(repo)}: ${t.length} tags, ${dated.length} dated base tags, ${mine} of this environment`)
    return { dated, tags: t }
  } catch (e) {
    if (isUserError(e)) throw e
    log.warning(`Could not list the tags of ${formatName(repo)} (${errorMessage(e)}); building the base as a cache miss`)
    return undefined
  }
}

async function credentialState(opts: Options, ports: Pick<Ports, 'hasCredentials'>): Promise<CredentialState> {
  if (opts.image.local) return 'not-needed'
  if (isLoopbackHost(opts.image.registry) || opts.insecureRegistries.includes(opts.image.registry)) return 'not-needed'
  if (opts.registryUsername && opts.registryPassword) return 'found'
  return (await ports.hasCredentials(opts.image.registry)) ? 'found' : 'none'
}
