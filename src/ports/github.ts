// The GitHub API as a port: the sticky PR comment and the Packages API backend for
// retention on ghcr.io. Tests drive loopback servers or typed fakes through it.

import type { CommentLog, CommentTarget } from '../report/comment.js'
import { ghcrBackend, type GhcrBackendOptions, type RetentionBackend } from '../retention/index.js'

export interface GitHubPort {
  upsertComment(target: CommentTarget, body: string, log: CommentLog): Promise<'created' | 'updated' | 'skipped'>
  packagesBackend(opts: GhcrBackendOptions): RetentionBackend
}

/**
 * The comment module, loaded when a comment is written (most runs write none). @actions/github
 * reads the whole event payload when it is loaded, with a blocking, unbounded read (a FIFO
 * swapped in there would hang the step) for a `context` the action never uses: it is loaded
 * with GITHUB_EVENT_PATH hidden. The action reads the payload once, bounded (src/context/run-context.ts).
 */
async function loadComment(): Promise<typeof import('../report/comment.js')> {
  const eventPath = process.env.GITHUB_EVENT_PATH
  delete process.env.GITHUB_EVENT_PATH
  try {
    return await import('../report/comment.js')
  } finally {
    if (eventPath !== undefined) process.env.GITHUB_EVENT_PATH = eventPath
  }
}

export const githubApi: GitHubPort = {
  upsertComment: async (target, body, log) => (await loadComment()).upsertPrComment(target, body, log),
  packagesBackend: ghcrBackend,
}
