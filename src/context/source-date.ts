// The build's source date: what the `created` label and BuildKit's SOURCE_DATE_EPOCH say, so
// that a rebuild of the same commit yields the same image. Pure choices over plain data,
// plus one bounded process call (the commit time of HEAD).
//
// Order: SOURCE_DATE_EPOCH when the user set it, else the commit time of the checked-out
// HEAD, else the event payload's head commit timestamp, else the clock. The date of a new
// dated tag is a different thing: it is today's date (the clock), unless SOURCE_DATE_EPOCH
// is set explicitly (see RunContext.now).

import { lstatSync, type Stats } from 'node:fs'
import path from 'node:path'
import { UserError } from '../vocabulary/user-error.js'
import { readFileBoundedSync } from '../fs/confined.js'
import { execProcess, type ProcessPort } from '../runner/process.js'

/** 9999-12-31T23:59:59Z: the last second a dated tag (YYYYMMDD) can name. */
export const SOURCE_DATE_EPOCH_MAX = 253_402_300_799

export type SourceDateOrigin = 'SOURCE_DATE_EPOCH' | 'commit' | 'event' | 'clock'

export interface SourceDate {
  /** Whole seconds since the epoch. */
  readonly seconds: number
  readonly date: Date
  readonly origin: SourceDateOrigin
}

/**
 * SOURCE_DATE_EPOCH as a date: undefined when unset or empty; a UserError naming it when it
 * is not a whole number of seconds in the years 1970–9999.
 */
export function parseSourceDateEpoch(value: string | undefined): Date | undefined {
  if (value === undefined || value.trim() === '') return undefined
  const v = value.trim()
  const shown = JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)
  if (!/^\d{1,15}$/.test(v)) {
    throw new UserError(
      `SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC (e.g. the output of \`git log -1 --format=%ct\`); got ${shown}`,
    )
  }
  const seconds = Number(v)
  if (seconds > SOURCE_DATE_EPOCH_MAX) {
    throw new UserError(`SOURCE_DATE_EPOCH must lie in the years 1970–9999 (at most ${SOURCE_DATE_EPOCH_MAX}); got ${shown}`)
  }
  return new Date(seconds * 1000)
}

/** Seconds of a date string (ISO 8601, as in event payloads) within the allowed range; undefined otherwise. */
export function timestampSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined
  const ms = Date.parse(value)
  if (!Number.isFinite(ms)) return undefined
  const s = Math.floor(ms / 1000)
  return s >= 0 && s <= SOURCE_DATE_EPOCH_MAX ? s : undefined
}

/** `git log -1 --format=%ct` output as seconds; undefined for anything but one in-range number. */
export function parseCommitTime(stdout: string): number | undefined {
  const v = stdout.trim()
  if (!/^\d{1,12}$/.test(v)) return undefined
  const s = Number(v)
  return s <= SOURCE_DATE_EPOCH_MAX ? s : undefined
}

/** The head commit timestamp of an event payload (push: head_commit; workflow_run: its head_commit). */
export function eventCommitTimestamp(payload: unknown): string | undefined {
  if (!payload || typeof payload !== 'object') return undefined
  const p = payload as { head_commit?: { timestamp?: unknown } | null; workflow_run?: { head_commit?: { timestamp?: unknown } | null } | null }
  const t = p.head_commit?.timestamp ?? p.workflow_run?.head_commit?.timestamp
  return typeof t === 'string' ? t : undefined
}

export interface SourceDateInputs {
  /** SOURCE_DATE_EPOCH, already parsed (parseSourceDateEpoch). */
  readonly explicit?: Date
  /** Commit time of HEAD in the workspace, in seconds. */
  readonly commitSeconds?: number
  /** The event payload's head commit timestamp. */
  readonly eventTimestamp?: string
  readonly now: Date
}

/** The source date and where it came from. Pure. */
export function chooseSourceDate(i: SourceDateInputs): SourceDate {
  const from = (seconds: number, origin: SourceDateOrigin): SourceDate => ({ seconds, date: new Date(seconds * 1000), origin })
  if (i.explicit) return from(Math.floor(i.explicit.getTime() / 1000), 'SOURCE_DATE_EPOCH')
  if (i.commitSeconds !== undefined) return from(i.commitSeconds, 'commit')
  const event = timestampSeconds(i.eventTimestamp)
  if (event !== undefined) return from(event, 'event')
  return from(Math.floor(i.now.getTime() / 1000), 'clock')
}

const GIT_TIMEOUT_MS = 5_000

/**
 * `-c` overrides (command-line configuration wins over the repository's) for every key that
 * names a program git could start, or a hook directory: the repository's configuration is
 * the pull request's to write when the workspace is not a fresh checkout.
 */
export const GIT_SAFE_CONFIG: readonly string[] = [
  'core.fsmonitor=false',
  'core.hooksPath=/dev/null',
  'core.pager=cat',
  'core.sshCommand=false',
  'core.gitProxy=false',
  'core.askPass=false',
  'core.editor=false',
  'core.alternateRefsCommand=false',
  'credential.helper=',
  'log.showSignature=false',
  'gpg.program=false',
  'gpg.openpgp.program=false',
  'gpg.x509.program=false',
  'gpg.ssh.program=false',
  'gpg.ssh.defaultKeyCommand=false',
  'protocol.allow=never',
  'diff.external=',
  'pager.cat-file=false',
]

/**
 * The whole environment of the git call: no variable of the step (no GIT_* the workflow or a
 * runner hook set, no secret), no system or global configuration, no repository but `gitDir`
 * (GIT_DIR set, discovery ceilinged), no replace refs, no pager, no prompt, no lazy fetch.
 */
export function gitEnvironment(gitDir: string, workspace: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    PATH: env.PATH ?? '/usr/bin:/bin',
    GITHUB_WORKSPACE: workspace,
    LC_ALL: 'C',
    GIT_DIR: gitDir,
    GIT_CEILING_DIRECTORIES: path.dirname(path.resolve(workspace)),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_SYSTEM: '/dev/null',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_NO_LAZY_FETCH: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_PAGER: 'cat',
    PAGER: 'cat',
  }
}

/**
 * `<workspace>/.git` when it is what a checkout leaves — a real directory, or a small
 * regular `gitdir:` file (a worktree or submodule) — else undefined: the action never lets
 * git discover a repository (a workspace laid out as a bare repository, a parent directory).
 */
export function checkoutGitDir(workspace: string): string | undefined {
  const dotGit = path.join(path.resolve(workspace), '.git')
  let st: Stats
  try {
    st = lstatSync(dotGit)
  } catch {
    return undefined
  }
  if (st.isDirectory()) return dotGit
  if (!st.isFile()) return undefined
  try {
    const text = readFileBoundedSync(dotGit, dotGit, { maxBytes: 4096, follow: false }).toString('utf8')
    return /^gitdir: \S/.test(text) ? dotGit : undefined
  } catch {
    return undefined
  }
}

/** The committer time of a raw commit object (`git cat-file commit`), or undefined. Pure. */
export function committerSeconds(commit: string): number | undefined {
  for (const line of commit.split('\n')) {
    if (line === '') return undefined // the headers end before the message
    const m = /^committer .*> (\d{1,12}) [+-]\d{4}$/.exec(line)
    if (m) return parseCommitTime(m[1]!)
  }
  return undefined
}

/**
 * Commit time of HEAD of the checkout in `dir`, read with plumbing (`git cat-file commit
 * HEAD`: no signature check, no pager, no hook, no fsmonitor) under a scrubbed environment
 * with every program-valued key overridden; undefined when there is no checkout, no git, or
 * no answer within a few seconds (the process is killed then).
 */
export async function headCommitSeconds(
  dir: string,
  timeoutMs = GIT_TIMEOUT_MS,
  proc: ProcessPort = execProcess,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number | undefined> {
  const gitDir = checkoutGitDir(dir)
  if (!gitDir) return undefined
  const config = GIT_SAFE_CONFIG.flatMap((c) => ['-c', c])
  try {
    const r = await proc.run('git', ['--no-pager', ...config, 'cat-file', 'commit', 'HEAD'], {
      timeoutMs,
      maxBuffer: 64 * 1024,
      env: gitEnvironment(gitDir, dir, env),
    })
    return r.code === 0 && !r.killed ? committerSeconds(r.stdout) : undefined
  } catch {
    return undefined
  }
}

/** The port call: the source date of this run. */
export async function resolveSourceDate(
  ctx: { readonly sourceDateEpoch?: Date; readonly eventCommitTimestamp?: string; readonly workspace: string },
  clock: () => Date = () => new Date(),
  proc: ProcessPort = execProcess,
): Promise<SourceDate> {
  const commitSeconds = ctx.sourceDateEpoch ? undefined : await headCommitSeconds(ctx.workspace, GIT_TIMEOUT_MS, proc)
  return chooseSourceDate({ explicit: ctx.sourceDateEpoch, commitSeconds, eventTimestamp: ctx.eventCommitTimestamp, now: clock() })
}

/**
 * The first reference that already had `digest` (before this run, or the compared image): a
 * rebuild that changed nothing. Undefined when the digest is new or unknown. Pure.
 */
export function sameDigestAs(digest: string | undefined, candidates: readonly { ref?: string; digest?: string }[]): string | undefined {
  if (!digest) return undefined
  return candidates.find((c) => c.ref && c.digest === digest)?.ref
}
