// Which image a run's size is compared with: the previous image of the same *stream*, read
// before this run pushes anything. Pure functions over the run context.
//
// The rule (also in the README):
// - every run that tags by default (`tags` empty) also tags a stream tag: the branch name of
//   a push (`main`, `feature-x`, sanitized like docker/metadata-action's `type=ref`), or
//   `pr-<n>` for a pull request;
// - a pull request compares with its target branch's stream tag (`<image>:main`), i.e. the
//   image the last push to that branch produced;
// - a push to a branch compares with that branch's stream tag (the previous push of it), then
//   the default branch's;
// - other events (tags, schedules, dispatches) compare with the default branch's;
// - `<image>:latest` is the last fallback; `compare-to` overrides all of it.
// Because the candidates are read before the build, a run never compares an image with itself.

import type { RunContext } from '../context/run-context.js'

/** A tag for a branch name: invalid characters become `-`, at most 128 characters; undefined when nothing is left. */
export function branchTag(branch: string): string | undefined {
  const t = branch
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128)
  return t === '' ? undefined : t
}

/** The branch a push event pushed to (`refs/heads/<b>`), else undefined. */
export function pushedBranch(ref: string | undefined): string | undefined {
  return ref?.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined
}

type StreamContext = Pick<RunContext, 'eventName' | 'pullRequest'> & { readonly ref?: string; readonly baseRef?: string; readonly defaultBranch?: string }

/** The stream tag this run writes when `tags` is empty: `pr-<n>`, the pushed branch, or none. */
export function defaultStreamTag(ctx: StreamContext): string | undefined {
  if (ctx.pullRequest) return ctx.pullRequest.number > 0 ? `pr-${ctx.pullRequest.number}` : undefined
  const branch = pushedBranch(ctx.ref)
  return branch === undefined ? undefined : branchTag(branch)
}

/** Tags of `image` to compare with, in order of preference (the first that exists wins). */
export function comparisonTags(ctx: StreamContext): string[] {
  const out: string[] = []
  const add = (branch: string | undefined) => {
    const t = branch === undefined ? undefined : branchTag(branch)
    if (t && !out.includes(t)) out.push(t)
  }
  if (ctx.pullRequest) add(ctx.baseRef || undefined)
  else add(pushedBranch(ctx.ref))
  add(ctx.defaultBranch)
  if (!out.includes('latest')) out.push('latest')
  return out
}
