// Phase 7: retention — old dated base tags pruned (or, in a dry run, listed).

import { applyRetention, collectTagInfo, distributionBackend, planRetention, selectBackend } from '../retention/index.js'
import type { Ports } from '../ports/index.js'
import type { RetentionReport } from '../report/model.js'
import type { RunState } from '../run/state.js'
import { tolerate } from './timing.js'

export async function retentionPhase(s: RunState, ports: Pick<Ports, 'log' | 'github'>): Promise<RetentionReport | undefined> {
  const r = s.plan.retention
  if (!r) return undefined
  if (!r.tolerant) return prune(s, r.mode, ports)
  return tolerate(ports.log, 'plan retention', () => prune(s, r.mode, ports))
}

async function prune(s: RunState, mode: 'dry-run' | 'true', ports: Pick<Ports, 'log' | 'github'>): Promise<RetentionReport | undefined> {
  const { opts, stores, ctx, plan } = s
  const { log } = ports
  const registry = stores.registry
  if (!registry) {
    log.warning('Retention applies to registries; the local engine store is not pruned')
    return undefined
  }
  const repo = opts.baseRepository
  const kind = selectBackend(repo.registry)
  if (kind === 'unsupported') {
    log.warning(`Retention is not supported for ${repo.registry}: tags are not deleted there`)
    return { mode, backend: repo.registry, kept: [], deleted: [], protected: [], error: `retention is not supported for ${repo.registry}` }
  }
  const infos = await collectTagInfo(registry, repo, opts.baseTagPrefix, { log: log })
  const policy = { prefix: opts.baseTagPrefix, keepLatest: opts.keepLatest, keepDays: opts.keepDays, protectTags: [plan.choice.tag], today: ctx.now }
  const backend =
    kind === 'ghcr'
      ? ports.github.packagesBackend({
          token: opts.githubToken,
          apiUrl: ctx.apiUrl,
          owner: repo.repository.split('/')[0]!,
          packageName: repo.repository.split('/').slice(1).join('/'),
        })
      : distributionBackend(registry, repo)
  // A deleted base's referrers (its SBOMs, and what refers to those: a signature of an SBOM) go
  // right after it, by the referrers API or the tag schema's index, each after its subject.
  const referrers = stores.referrers
  const lister = referrers ? (subject: string) => referrers.tree(repo, subject) : undefined
  const report = await applyRetention(planRetention(infos, policy), backend, mode, log, lister)
  if (report.error) log.warning(`Retention: ${report.error}`)
  return report
}
