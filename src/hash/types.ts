// The canonical environment document (fingerprint scheme v1) and the fingerprint API types.
//
// The document is what gets hashed and what is written as an image label, so it holds only
// plain JSON (strings, arrays, objects) and stays compact: files appear as sha256 digests,
// dependencies as strings. Keys are sorted when it is serialized (see canonical.ts).

import type { PixiSource } from './pixi/pixi-source.js'

export type JsonValue = string | null | JsonValue[] | { [key: string]: JsonValue }

/** What the environment file turned out to be. */
export type SourceKind = 'environment' | 'explicit' | 'conda-lock' | 'spec-list' | 'pixi'

/** Per-conda-subdir part of the dependencies, present only when the targets differ. */
export interface SubdirDeps {
  /** Conda specs selected on this subdir but not on every target (sorted). */
  dependencies?: string[]
  /** The pip entries of this subdir, in order (present when they differ between targets). */
  pip?: string[]
}

/** Lock-file packages of one conda subdir. */
export interface LockPackages {
  /** Short, readable `manager:name=version` (conda-lock) or `name-version-build` (explicit) items, sorted. */
  items: string[]
  /** sha256 over the full, sorted package lines (URLs and checksums) — what is really hashed. */
  sha256: string
}

export interface EnvDocument {
  /** Fingerprint scheme; a new scheme means every hash changes. */
  scheme: 'v1'
  source: SourceKind
  /** Environment name — only when the base Dockerfile uses it (see dockerfile.ts). */
  name?: string
  /** Channels in priority order. */
  channels?: string[]
  /** Conda specs selected on every target subdir, whitespace-normalized, sorted, deduplicated. */
  dependencies?: string[]
  /** Pip entries in order when they are the same on every target (section breaks marked). */
  pip?: string[]
  /** Per-subdir results when platform selectors make the targets differ. */
  bySubdir?: Record<string, SubdirDeps>
  /** Entries a platform selector removes on every target, with their selector (sorted). */
  excluded?: string[]
  /** `variables:` (conda env vars), values of secret-looking names as digests. */
  variables?: Record<string, string>
  /** Top-level keys conda does not know, kept verbatim (a tool in the Dockerfile may read them). */
  extra?: Record<string, JsonValue>
  /** Lock files: packages per target subdir. */
  packages?: Record<string, LockPackages>
  /** Requirement/constraint files referenced from pip entries: path relative to the env file dir → `entries:<sha256 of its entries>` (requirements.ts), the sha256 of its bytes when it is not valid text, or `outside-workspace`. */
  files?: Record<string, string>
  /** Local pip paths (`-e .`, `./pkg`, `file:`): path → tree digest, or `missing` / `unhashed:<why>`. */
  local?: Record<string, string>
  /**
   * Build-context files the base Dockerfile reads (`COPY`/`ADD` sources, `RUN --mount=type=bind`),
   * present only when it reads any besides the environment file.
   */
  context?: ContextSection
  /** The base Dockerfile: path relative to the env file dir (absent = bundled template) and content digest. */
  dockerfile: { path?: string; sha256: string }
  /** Base build-args in input order (values of secret-looking names as digests). */
  buildArgs: string[]
  /** Target docker platforms, sorted; [] = the builder's default. */
  platforms: string[]
  /** Conda subdirs the selectors were evaluated for. */
  subdirs: string[]
  /** `true` when no platform was given and `linux-64` was assumed for selectors. */
  subdirsAssumed?: boolean
  /** The `condarc` input, parsed, token/password values and URL credentials redacted. */
  condarc?: JsonValue
  /** Ids of the BuildKit secrets and ssh forwards the builds get (`secret:<id>`, `ssh:<id>`), sorted; never values. */
  secrets?: string[]
  /**
   * A pixi project: the environment, where the manifest is, and what of the manifest and the
   * lock's environment settings counts (label → canonical JSON; see pixi/pixi-manifest.ts). Its
   * packages are in `packages` (per target platform), path sources in `local`, activation
   * scripts in `files`.
   */
  pixi?: Record<string, string>
}

/** Build-context files by content (see context-files.ts). */
export interface ContextSection {
  /**
   * Path relative to the context root → 16 hex digits of its sha256 (`exec:` when executable),
   * `link:<target>`, `missing`, `outside`, `size:<bytes>` or `special`. Beyond 200 files,
   * one entry per source instead (`<source> (<n> entries)` → digest).
   */
  files: Record<string, string>
  /** sha256 over every entry in full (paths, full digests, modes, directories) — what is really hashed. */
  sha256: string
}

export interface FingerprintInput {
  /** Path as the user gave it (relative to cwd or absolute). */
  environmentFile: string
  /**
   * The directory every file read must lie in (real path checked): `GITHUB_WORKSPACE`, else
   * the working directory (see src/fs). References outside it are never read.
   */
  workspace: string
  /** `path` undefined = bundled template. */
  baseDockerfile: { path?: string; content: string }
  /** Base build-args, KEY=VALUE, in input order. */
  buildArgs: readonly string[]
  /** Target platforms, e.g. ['linux/amd64']; [] = the builder's default. */
  platforms: readonly string[]
  /** The redacted `condarc` (see condarc.ts); absent = none given. */
  condarc?: JsonValue
  /** Secret and ssh ids (see secrets.ts `secretIds`); absent or [] = none. */
  secretIds?: readonly string[]
  /** The pixi environment to hash when the environment file is a pixi project; absent = `default`. */
  pixiEnvironment?: string
}

export interface Fingerprint {
  /** 64 lowercase hex: sha256 of `json`. */
  hash: string
  document: EnvDocument
  /** Canonical JSON (sorted keys, no whitespace) — hashed, and written as an image label. */
  json: string
  /** Things a person should know (local pip paths, unresolvable references, odd keys). */
  warnings: HashWarning[]
  /** Every file read (env file + referenced files + hashed local trees), absolute. */
  files: string[]
  /**
   * The files read whole for the document (env file, `-r`/`-c` files, local pip trees; not the
   * context files of a custom Dockerfile): absolute path → sha256 of the very bytes read.
   */
  digests: ReadonlyMap<string, string>
  /** Set when the environment is a pixi project (`source: 'pixi'`): what a build of it needs (see pixi/pixi-source.ts). */
  pixi?: PixiSource
}

/** Stable categories of hash warnings (for deduplication and capping by the log sink). */
export type HashWarningKind =
  /** A target platform without a known conda subdir. */
  | 'platform'
  /** An explicit lock for another platform than the target. */
  | 'lock-platform'
  /** What the environment file itself says: unknown keys, empty dependencies, odd selectors. */
  | 'environment'
  /** A `-r`/`-c` file on a remote URL. */
  | 'remote-reference'
  /** An environment variable in a referenced path (not resolved). */
  | 'unresolved-path'
  /** A `-r`/`-c` file or a local pip path outside the workspace (never read). */
  | 'outside-workspace'
  /** A local pip path that cannot be read (missing, not a regular file or directory). */
  | 'local-unreadable'
  /** A local tree past the hashing limits, or with unreadable parts. */
  | 'tree-limit'
  /** A local tree that contains the environment file. */
  | 'tree-contains-environment'
  /** A requirement file that is not valid text in its encoding. */
  | 'encoding'
  /** A dependency YAML reads as a number or boolean (`- 1`, `- yes`). */
  | 'dependency-type'
  /** A base Dockerfile context source with a variable not known before the build (the whole context counts). */
  | 'context-unresolved'
  /** `ADD` of a remote URL or git repository without `--checksum`. */
  | 'context-remote'
  /** A context source leaving the build context (`..`, a symlink out): hashed by its text. */
  | 'context-escapes'
  /** The context files the Dockerfile reads are past the hashing limits. */
  | 'context-partial'
  /** A copied `.git` directory (every commit rebuilds). */
  | 'context-git'
  /** A named context source `.dockerignore` hides (the build will not find it). */
  | 'context-missing'
  /** Stands for warnings left out when one kind occurs too often (see `MAX_WARNINGS_PER_KIND`). */
  | 'truncated'

/** A warning of the fingerprint, with the file and line it is about when there is one. */
export interface HashWarning {
  /** Complete sentence for the log (already redacted; quotes at most a short excerpt). */
  readonly message: string
  readonly kind: HashWarningKind
  /** Path relative to the workspace (as an annotation wants it). */
  readonly file?: string
  /** 1-based line in `file`. */
  readonly line?: number
}
