// mode: merge — the last job of a matrix. It builds nothing: from the per-platform parts the
// jobs pushed (src/image/platforms.ts), it assembles one multi-platform index under the dated base
// tag and one under the application tags. Every check runs before the first write, so a
// missing platform fails the step with nothing pushed.

import { UserError } from '../vocabulary/user-error.js'
import { planAppMerge, planBaseMerge, type BaseMergePlan, type MergePart } from './platforms.js'
import { formatName, formatReference, parseReference, type ImageName } from './reference.js'
import type { Log } from '../runner/log.js'

/** What the merge needs of the registry client. */
export interface MergeRegistry {
  listTags(name: ImageName): Promise<string[]>
  headDigest(name: ImageName, tag: string): Promise<string | undefined>
  putIndex(name: ImageName, parts: readonly { ref: string; platform: string }[], tags: readonly string[]): Promise<{ digest: string }>
}

export interface MergeInput {
  readonly baseRepository: ImageName
  readonly prefix: string
  readonly envHash: string
  /** The full platform set (`platforms`), in order. */
  readonly platforms: readonly string[]
  /** Application tags (full references); empty when there is no application image. */
  readonly appTags: readonly string[]
  /** The merge of the base, when already planned from a tag listing (planRun); else planned here. */
  readonly base?: BaseMergePlan
}

export interface MergeResult {
  readonly base: { readonly tag: string; readonly digest: string; readonly assembled: boolean }
  readonly app?: { readonly name: ImageName; readonly tag: string; readonly digest: string }
}

interface AppMergePlan {
  readonly name: ImageName
  readonly tags: readonly string[]
  readonly parts: readonly MergePart[]
}

/** Checks everything and plans both merges; reads only. */
async function planMerges(input: MergeInput, registry: MergeRegistry): Promise<{ base: BaseMergePlan; app?: AppMergePlan }> {
  const repo = formatName(input.baseRepository)
  const baseTags = await registry.listTags(input.baseRepository)
  const base = input.base ?? planBaseMerge({ tags: baseTags, prefix: input.prefix, envHash: input.envHash, platforms: input.platforms, repository: repo })
  if (input.appTags.length === 0) return { base }
  const refs = input.appTags.map((t) => parseReference(t))
  const name = refs[0]!.name
  const other = refs.find((r) => formatName(r.name) !== formatName(name))
  if (other) {
    throw new UserError(
      `mode: merge assembles the application image in ${formatName(name)}; ${formatName(other.name)}:${other.tag} is in another repository (list tags of one repository, or copy the merged image afterwards)`,
    )
  }
  const appRepoTags = formatName(name) === repo ? baseTags : await registry.listTags(name)
  const parts = planAppMerge({ tags: appRepoTags, appTag: refs[0]!.tag!, platforms: input.platforms, repository: formatName(name) })
  return { base, app: { name, tags: refs.map((r) => r.tag!), parts } }
}

/** `pushed`: told of each tag as soon as its index is written (a later failure still reports it). */
export async function mergeImages(
  input: MergeInput,
  registry: MergeRegistry,
  log: Pick<Log, 'info'>,
  pushed: (refs: readonly string[]) => void = () => undefined,
): Promise<MergeResult> {
  const plan = await planMerges(input, registry)
  const repo = formatName(input.baseRepository)
  let base: MergeResult['base']
  if (plan.base.action === 'assemble') {
    const parts = plan.base.parts.map((p) => ({ ref: p.tag, platform: p.platform }))
    const { digest } = await registry.putIndex(input.baseRepository, parts, [plan.base.tag])
    pushed([formatReference(input.baseRepository, plan.base.tag)])
    log.info(`Assembled ${repo}:${plan.base.tag}@${digest} from ${plan.base.parts.map((p) => p.tag).join(', ')}`)
    base = { tag: plan.base.tag, digest, assembled: true }
  } else {
    const digest = await registry.headDigest(input.baseRepository, plan.base.tag)
    if (!digest) throw new Error(`${repo}:${plan.base.tag} vanished while merging`)
    log.info(`${repo}:${plan.base.tag} is already a whole base (the jobs reused it): nothing to assemble`)
    base = { tag: plan.base.tag, digest, assembled: false }
  }
  if (!plan.app) return { base }
  const { name, tags, parts } = plan.app
  const { digest } = await registry.putIndex(
    name,
    parts.map((p) => ({ ref: p.tag, platform: p.platform })),
    tags,
  )
  pushed(input.appTags)
  log.info(`Assembled ${formatName(name)}:${tags.join(', ')}@${digest} from ${parts.map((p) => p.tag).join(', ')}`)
  return { base, app: { name, tag: tags[0]!, digest } }
}
