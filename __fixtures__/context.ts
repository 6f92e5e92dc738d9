import { fileURLToPath } from 'node:url'
import type { RunContext } from '../src/context/run-context.js'

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
 * The corpus of real environment files vendored in the repository
 * (`__fixtures__/corpus/environment-yml`, sources and licence note in its README.md).
 */
export function corpusDir(): string {
  return fileURLToPath(new URL('./corpus/environment-yml', import.meta.url))
}
