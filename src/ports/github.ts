// The GitHub API as a port: the sticky PR comment and the Packages API backend for
// retention on ghcr.io. Tests drive loopback servers or typed fakes through it.

import type { CommentLog, CommentTarget } from '../report/comment.js'
import { ghcrBackend, type GhcrBackendOptions, type RetentionBackend } from '../retention/index.js'

export interface GitHubPort {
  upsertComment(target: CommentTarget, body: string, log: CommentLog): Promise<'created' | 'updated' | 'skipped'>
  packagesBackend(opts: GhcrBackendOptions): RetentionBackend
}

export const githubApi: GitHubPort = {
  // Loaded when a comment is written: @actions/github reads (and parses) the event payload
  // when it is loaded, which must happen inside the action's error boundary, and most runs
  // write no comment.
  upsertComment: async (target, body, log) => (await import('../report/comment.js')).upsertPrComment(target, body, log),
  packagesBackend: ghcrBackend,
}
