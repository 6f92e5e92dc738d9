// What an end-to-end test of a pull request run starts with: the loopback GitHub API with one
// write token (the Actions bot's) and a workspace holding a copy of examples/quickstart.

import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ROOT } from './action-runner.js'
import { startGitHubApi, type GitHubApi } from './github-api.js'
import { requireStack } from './stack.js'

export interface PrFixture {
  readonly api: GitHubApi
  readonly ws: string
  close(): Promise<void>
}

export async function prFixture(kind: string, token: string): Promise<PrFixture> {
  await requireStack()
  const api = await startGitHubApi()
  api.addToken(token, 'github-actions[bot]', true)
  const ws = mkdtempSync(path.join(os.tmpdir(), `ws-${kind}-`))
  cpSync(path.join(ROOT, 'examples', 'quickstart'), ws, { recursive: true })
  return {
    api,
    ws,
    close: async () => {
      await api.close()
      rmSync(ws, { recursive: true, force: true })
    },
  }
}

/** A `pull_request` event of acme/model from a branch of the same repository. */
export function pullRequestEvent(number: number): { name: string; payload: unknown } {
  const repo = { full_name: 'acme/model' }
  return { name: 'pull_request', payload: { number, pull_request: { number, head: { ref: 'feature', repo }, base: { ref: 'main', repo } }, repository: repo } }
}
