// The GitHub API as a port: the sticky PR comment and the Packages API backend for
// retention on ghcr.io. Tests drive loopback servers or typed fakes through it.

import { upsertPrComment, type CommentLog, type CommentTarget } from '../report/index.js'
import { ghcrBackend, type GhcrBackendOptions, type RetentionBackend } from '../retention/index.js'

export interface GitHubPort {
  upsertComment(target: CommentTarget, body: string, log: CommentLog): Promise<'created' | 'updated' | 'skipped'>
  packagesBackend(opts: GhcrBackendOptions): RetentionBackend
}

export const githubApi: GitHubPort = {
  upsertComment: upsertPrComment,
  packagesBackend: ghcrBackend,
}
