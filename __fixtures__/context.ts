import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { RunContext } from '../src/context.js'

/** A pinned run context for unit tests (a push to acme/model on amd64). */
export function testContext(over: Partial<RunContext> & Pick<RunContext, 'workspace'>): RunContext {
  return {
    sha: 'abcdef0123456789',
    eventName: 'push',
    repository: 'acme/model',
    serverUrl: 'https://github.com',
    apiUrl: 'https://api.github.com',
    runId: '1',
    now: new Date('2026-11-23T00:00:00Z'),
    hostPlatform: 'linux/amd64',
    ...over,
  }
}

/**
 * The shared corpus of real environment files (`shared/corpus/environment-yml`), which sits
 * beside the repository: `../shared` of the clone, or `/work/shared` on the developers'
 * machines. `HASH_CORPUS` overrides it.
 */
export function corpusDir(): string {
  if (process.env.HASH_CORPUS) return process.env.HASH_CORPUS
  const beside = fileURLToPath(new URL('../../shared/corpus/environment-yml', import.meta.url))
  return existsSync(beside) ? beside : '/work/shared/corpus/environment-yml'
}
