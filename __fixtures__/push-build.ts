// A pushing build as the action runs one: retried once when the registry answered with a
// server error (the action's build step does the same, src/phases/build.ts). The local
// Distribution registry's filesystem driver writes a tag's link file in place, and with the
// docker driver both BuildKit and the engine push the tag: a read can meet a half-written
// link ("invalid checksum digest format", HTTP 500). Any other failure is the test's.

import { runBuild, type BuildOutcome, type BuildSpec } from '../src/buildx/index.js'

export async function runPushBuild(spec: BuildSpec, opts: Parameters<typeof runBuild>[1] = {}): Promise<BuildOutcome> {
  try {
    return await runBuild(spec, opts)
  } catch (e) {
    if (spec.output !== 'push' || !/\b5\d\d Internal Server Error\b|: 5\d\d\b/.test((e as Error).message)) throw e
    return runBuild(spec, opts)
  }
}
