// The stand-in micromamba and pixi images (__fixtures__/micromamba-standin, pixi-standin) pushed to the local registry
// under a repository of its own, for tests that build the bundled template with it.

import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { ROOT } from './action-runner.js'
import { BUSYBOX, REGISTRY, uniqueRepo } from './stack.js'

export interface Standin {
  /** The repository to remove after the tests. */
  readonly repo: string
  /** The image reference, for `MICROMAMBA_IMAGE`. */
  readonly ref: string
}

/** Builds and pushes the stand-in micromamba image (bounded: 3 minutes). */
export function pushStandin(kind: string): Standin {
  return pushStandinImage(kind, 'micromamba-standin')
}

/** Builds and pushes the stand-in pixi image (__fixtures__/pixi-standin), for `PIXI_IMAGE`. */
export function pushPixiStandin(kind: string): Standin {
  return pushStandinImage(kind, 'pixi-standin')
}

function pushStandinImage(kind: string, dir: string): Standin {
  const repo = uniqueRepo(kind)
  const ref = `${REGISTRY}/${repo}:1`
  execFileSync('docker', ['buildx', 'build', '--quiet', '--push', '--build-arg', `BUSYBOX=${BUSYBOX}`, '-t', ref, path.join(ROOT, '__fixtures__', dir)], {
    stdio: 'pipe',
    timeout: 180_000,
  })
  return { repo, ref }
}
