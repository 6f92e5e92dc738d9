// The set-up most end-to-end suites share, registered as the suite's beforeAll/afterAll: the
// stack checked, a unique repository in the local registry, a fresh workspace (optionally a
// copy of examples/quickstart) and, when asked for, a stand-in image pushed; afterwards the
// repository (and the images a run loaded), the stand-in and the workspace are removed.

import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { ROOT } from './action-runner.js'
import { REGISTRY, removeRepo, requireStack, uniqueRepo } from './stack.js'
import type { Standin } from './standin.js'

export interface SuiteOptions {
  /** Start the workspace as a copy of examples/quickstart. */
  readonly quickstart?: boolean
  /** Push a stand-in image before the tests (pushStandin or pushPixiStandin, given the suite's name). */
  readonly standin?: (kind: string) => Standin
}

export interface Suite {
  /** The suite's own repository (`e2e/<name>-…`) and its image name in the local registry. */
  readonly repo: string
  readonly image: string
  /** The workspace; set once the suite's beforeAll has run. */
  readonly ws: string
  /** The stand-in (with `standin`); set once the suite's beforeAll has run. */
  readonly standin: Standin
}

/** Registers the set-up and clean-up of a suite named `name` (call it first in a describe, or at the top of a file). */
export function e2eSuite(name: string, o: SuiteOptions = {}): Suite {
  const repo = uniqueRepo(name)
  let ws: string | undefined
  let standin: Standin | undefined
  beforeAll(async () => {
    await requireStack()
    if (o.standin) standin = o.standin(`${name}-standin`)
    ws = mkdtempSync(path.join(os.tmpdir(), `ws-${name}-`))
    if (o.quickstart) cpSync(path.join(ROOT, 'examples', 'quickstart'), ws, { recursive: true })
  })
  afterAll(async () => {
    await removeRepo(repo)
    if (standin) await removeRepo(standin.repo)
    if (ws) rmSync(ws, { recursive: true, force: true })
  })
  const set = <T>(what: string, v: T | undefined): T => {
    if (v === undefined) throw new Error(`e2eSuite(${name}): ${what} is set in beforeAll, and read before it ran (or not asked for)`)
    return v
  }
  return {
    repo,
    image: `${REGISTRY}/${repo}`,
    get ws() {
      return set('the workspace', ws)
    },
    get standin() {
      return set('the stand-in', standin)
    },
  }
}
