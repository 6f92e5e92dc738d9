// Every input of the action, declared once: name, default, parser and description. The
// parse step of getOptions, the action.yml consistency test (which checks action.yml's
// inputs against this table) and, through action.yml, the README's input table all come
// from here. To add an input: add its name to `Inputs` (constants.ts), a row here, run
// `npm run docs` (rewrites the inputs of action.yml and the README tables), and use the
// parsed value in options.ts.

import { CacheBackendChoices, CacheModes, Inputs, Modes, PruneModes, RefreshModes, StoreKinds, type InputName } from '../vocabulary/constants.js'
import { UserError } from '../vocabulary/user-error.js'
import { parseImageName, parseReference, registryHostProblem } from '../image/reference.js'
import { parseDuration, parseGrowth, parseSize } from '../vocabulary/units.js'
import { Compressions } from '../compression/index.js'

/** Turns the input's text (its default when not set; trimmed) into a value, or throws a UserError naming the input. */
export type Parser<T> = (value: string, name: InputName) => T

export interface InputSpec<T> {
  readonly name: InputName
  /** What an unset input means; also action.yml's `default` unless `actionDefault` says otherwise. */
  readonly default: string
  /** action.yml's `default` when it is an expression the runner evaluates (`${{ github.token }}`). */
  readonly actionDefault?: string
  readonly required?: boolean
  /** Masked in the log as soon as it is read. */
  readonly secret?: boolean
  readonly parse: Parser<T>
  /** One line (action.yml and the README); a computed default ends it as `Default: …`. */
  readonly description: string
}

// --- parsers ---

const text: Parser<string> = (v) => v

/**
 * A credential travels in an HTTP header (and the Docker config): a line break, NUL or other
 * control character in it is a user error naming the input and what is wrong, never quoting
 * the value (Node's header check would quote it in an error). A token is visible ASCII only.
 */
function credential(kind: 'token' | 'credential'): Parser<string> {
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  const bad = kind === 'token' ? /[^\x21-\x7e]/ : /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/
  return (v, name) => {
    const c = bad.exec(v)?.[0]
    if (c === undefined) return v
    const what = badCharacter(c)
    throw new UserError(`Input "${name}" contains ${what}, which a ${kind} cannot hold: check the secret it comes from (its value is not shown)`)
  }
}

/** What kind of character `c` is, in words (for a credential refused because of it). */
function badCharacter(c: string): string {
  const code = c.charCodeAt(0)
  const kind = /[\n\r\u2028\u2029]/.test(c)
    ? 'a line break'
    : code === 0
      ? 'a NUL character'
      : code < 0x20 || (code >= 0x7f && code <= 0x9f)
        ? 'a control character'
        : c === ' '
          ? 'a space'
          : 'a character outside visible ASCII'
  return `${kind} (U+${code.toString(16).toUpperCase().padStart(4, '0')})`
}

/** The text as given (secrets.ts and condarc.ts parse these inputs with the workspace at hand). */
const raw: Parser<string> = (v) => v

function optional<T>(p: Parser<T>): Parser<T | undefined> {
  return (v, name) => (v === '' ? undefined : p(v, name))
}

/** Splits a list input on newlines (and commas unless `newlineOnly`); drops blanks and `#` comments. */
export function parseList(value: string, newlineOnly = false): string[] {
  const out: string[] = []
  for (const line of value.split(/\r?\n/)) {
    const pieces = newlineOnly ? [line] : line.split(',')
    for (const p of pieces) {
      const t = p.trim()
      if (t && !t.startsWith('#')) out.push(t)
    }
  }
  return out
}

const list: Parser<string[]> = (v) => parseList(v)

/** Registry hosts (`host[:port]`), each checked like the host of an image name. */
const hostList: Parser<string[]> = (v, name) => {
  const hosts = parseList(v)
  for (const h of hosts) {
    const problem = registryHostProblem(h)
    if (problem) throw new UserError(`Input "${name}": "${h}" is not a registry host: ${problem}`)
  }
  return hosts
}

/** A parser over a table of accepted spellings; its error lists exactly the table's values (it cannot drift from what is accepted). */
function choice<T>(table: ReadonlyMap<string, T>): Parser<T> {
  const shown = [...new Set([...table.keys()].map((k) => k.toLowerCase()))]
  const listed = shown
    .filter((k) => k !== '')
    .map((k) => `"${k}"`)
    .join(', ')
  return (v, name) => {
    if (table.has(v)) return table.get(v) as T
    throw new UserError(`Input "${name}" must be one of ${listed}${shown.includes('') ? ' (or empty)' : ''}, got "${v}"`)
  }
}

const BOOLEANS: ReadonlyMap<string, boolean> = new Map(['true', 'True', 'TRUE', 'false', 'False', 'FALSE'].map((k) => [k, k.toLowerCase() === 'true']))

const boolean: Parser<boolean> = choice(BOOLEANS)

function oneOf<T extends string>(allowed: readonly T[]): Parser<T> {
  return choice(new Map(allowed.map((a) => [a as string, a])))
}

function count(min: number): Parser<number> {
  return (v, name) => {
    if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
      const unit = /^\d+\s*[a-z]+$/i.test(v) ? ' (a plain number: the unit is in the name of the input)' : ''
      throw new UserError(`Input "${name}" must be a whole number${min > 0 ? ` of at least ${min}` : ''}${unit}, got "${v}"`)
    }
    return Number(v)
  }
}

const keyValues: Parser<string[]> = (v, name) => {
  const items = parseList(v, true)
  for (const item of items) {
    if (!/^[A-Za-z_][A-Za-z0-9_.\-/]*=/.test(item)) throw new UserError(`Input "${name}" must hold KEY=VALUE lines, got "${item}"`)
  }
  return items
}

/** A repository name, checked here (syntax, registry host and port); read as a name of its store in options.ts. */
const imageName: Parser<string> = (v, name) => {
  if (v === '') throw new UserError(`Input "${name}" is required, e.g. ${name}: ghcr.io/acme/model`)
  parseImageName(v, `Input "${name}"`)
  return v
}

const tagPrefix: Parser<string> = (v, name) => {
  if (!/^[\w][\w.-]{0,100}$/.test(v)) {
    throw new UserError(`Input "${name}" must be letters, digits, '_', '.', '-' (starting with a letter, digit or '_'), got "${v}"`)
  }
  return v
}

const pushMode: Parser<'auto' | boolean> = choice(new Map<string, 'auto' | boolean>([['auto', 'auto'], ...BOOLEANS]))

const duration: Parser<{ text: string; ms: number }> = (v, name) => ({ text: v, ms: parseDuration(name, v) })

/** Longest smoke-test command: one argument of `docker run` (Linux caps one at 128 KiB). */
export const MAX_COMMAND_BYTES = 32 * 1024

/** A command for `sh -c`: one argument of a process, so no NUL byte, and bounded. */
const command: Parser<string> = (v, name) => {
  if (v.includes('\0')) throw new UserError(`Input "${name}" contains a NUL byte: a command cannot (no process argument can hold one)`)
  const bytes = Buffer.byteLength(v, 'utf8')
  if (bytes > MAX_COMMAND_BYTES)
    throw new UserError(`Input "${name}" is ${bytes} bytes long; a command may have at most ${MAX_COMMAND_BYTES} (put a longer one in a script in the image)`)
  return v
}

const positiveDuration: Parser<number> = (v, name) => {
  const ms = parseDuration(name, v)
  if (ms <= 0) throw new UserError(`Input "${name}" must be longer than zero, got "${v}"`)
  return ms
}

const reference: Parser<string> = (v, name) => {
  parseReference(v, `Input "${name}"`)
  return v
}

const tagReference: Parser<string> = (v, name) => {
  const ref = parseReference(v, `Input "${name}"`)
  if (ref.digest) throw new UserError(`Input "${name}" must be a tag reference, not a digest: "${v}"`)
  return v
}

const PLATFORM = /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_.]+)?$/

const platformList: Parser<string[]> = (v, name) => {
  const platforms = parseList(v)
  for (const p of platforms) {
    if (!PLATFORM.test(p)) throw new UserError(`Input "${name}": "${p}" is not a platform such as linux/amd64 or linux/arm64/v8`)
  }
  return platforms
}

/** A pixi environment name: lowercase letters, digits and `-` (pixi's own rule). */
const pixiEnvironmentName: Parser<string> = (v, name) => {
  if (!/^[a-z0-9-]{1,64}$/.test(v)) throw new UserError(`Input "${name}": "${v.slice(0, 80)}" is not a pixi environment name (lowercase letters, digits and -)`)
  return v
}

const size: Parser<number> = (v) => parseSize(v)
const growth: Parser<{ readonly percent?: number; readonly bytes?: number }> = (v) => parseGrowth(v)

// --- the table ---

export const INPUTS = {
  environmentFile: {
    name: Inputs.EnvironmentFile,
    default: 'environment.yml',
    parse: text,
    description:
      'Conda environment file to fingerprint and install: an `environment.yml`, an `@EXPLICIT` lock, a `conda-lock.yml`, or a pixi project (its `pixi.toml`, a `pyproject.toml` with `[tool.pixi]`, or its `pixi.lock`; the lock is required), relative to the workspace.',
  },
  pixiEnvironment: {
    name: Inputs.PixiEnvironment,
    default: 'default',
    parse: pixiEnvironmentName,
    description:
      'The pixi environment to hash and install when `environment-file` is a pixi project (`pixi install --locked -e <name>`). Ignored for other environment files.',
  },
  image: {
    name: Inputs.Image,
    required: true,
    default: '',
    parse: imageName,
    description:
      "Repository of the image, e.g. `ghcr.io/acme/model`. As everywhere in Docker, a name without a registry host is on Docker Hub (`acme/model` is `docker.io/acme/model`). To keep images in the runner's Docker engine instead, set `store: local`.",
  },
  store: {
    name: Inputs.Store,
    default: 'registry',
    parse: oneOf(StoreKinds),
    description:
      "Where the images live: `registry` (pushed to the registry of `image`, with a registry build cache) or `local` (the runner's Docker engine: built with `--load`, nothing pushed, sizes as the engine counts them).",
  },
  baseRepository: {
    name: Inputs.BaseRepository,
    default: '',
    parse: optional(imageName),
    description: 'Repository that holds the dated base tags (in the same store as `image`). Default: the same as `image`.',
  },
  baseTagPrefix: {
    name: Inputs.BaseTagPrefix,
    default: 'base-',
    parse: tagPrefix,
    description: 'Prefix of the dated base tags `<prefix><hash12>-<YYYYMMDD>`.',
  },
  baseDockerfile: {
    name: Inputs.BaseDockerfile,
    default: '',
    parse: optional(text),
    description:
      "Dockerfile that builds the base from the environment file, with the environment file's directory as context and `--build-arg ENVIRONMENT_FILE=<file name>`. Part of the environment hash. Default: the bundled micromamba template.",
  },
  baseBuildArgs: {
    name: Inputs.BaseBuildArgs,
    default: '',
    parse: keyValues,
    description:
      'Build args of the base build (`KEY=VALUE`, one per line). Part of the environment hash. The bundled template passes `CONDA_OVERRIDE_*` build args (e.g. `CONDA_OVERRIDE_CUDA=12.4` to solve CUDA builds on a runner without a GPU) to the solver. Never put secrets here: use `secrets`.',
  },
  dockerfile: {
    name: Inputs.Dockerfile,
    default: '',
    parse: optional(text),
    description: 'Application Dockerfile built `FROM` the base; it receives `--build-arg BASE_IMAGE=<picked base ref>`. Empty: build the base only.',
  },
  context: {
    name: Inputs.Context,
    default: '.',
    parse: text,
    description: 'Build context of the application image.',
  },
  tags: {
    name: Inputs.Tags,
    default: '',
    parse: list,
    description:
      'Tags of the application image (newline- or comma-separated); a bare tag (`latest`) is a tag of `image`. Default: `<image>:sha-<7 chars of GITHUB_SHA>` plus the stream tag `<image>:<branch>` on a push (`<image>:pr-<n>` on a pull request), which the next run of the stream compares with.',
  },
  mode: {
    name: Inputs.Mode,
    default: 'auto',
    parse: oneOf(Modes),
    description:
      "`auto`: pick or create the base, then build the app; `base` (nightly): build today's base tag even if an older one exists; `plan`: print the plan and the canonical environment document, build, push and delete nothing; `merge`: in a job that `needs:` the per-platform jobs of a matrix (`build-platforms`), build nothing and assemble one multi-platform base tag and application tag from their per-platform images, failing with the names of missing platforms.",
  },
  refresh: {
    name: Inputs.Refresh,
    default: 'pull',
    parse: oneOf(RefreshModes),
    description:
      'How a refresh build of the base (`mode: base`, `max-age`) refreshes: `pull` re-pulls the `FROM` images and takes unchanged steps from the registry cache; `full` adds `--no-cache` and solves the environment again.',
  },
  push: {
    name: Inputs.Push,
    default: 'auto',
    parse: pushMode,
    description:
      '`auto`: push, except on a pull request from a fork (said as a notice); push access is checked before any build, and missing or refused credentials fail the step naming the registry. `true`/`false` force it.',
  },
  maxAge: {
    name: Inputs.MaxAge,
    default: '',
    parse: optional(duration),
    description: "In `auto` mode, rebuild a newest base older than this with today's date, e.g. `14d`, `2w`, `36h`. Empty: never.",
  },
  cacheMode: {
    name: Inputs.CacheMode,
    default: 'max',
    parse: oneOf(CacheModes),
    description: 'Registry cache export mode, `min` or `max`.',
  },
  cacheBackend: {
    name: Inputs.CacheBackend,
    default: '',
    parse: oneOf(CacheBackendChoices),
    description:
      'Build cache backend: registry, actions (the GitHub Actions cache) or both. Default: registry; both on pull requests that cannot push (forks); actions when the local engine is the store.',
  },
  actionsCacheMaxSize: {
    name: Inputs.ActionsCacheMaxSize,
    default: '2GB',
    parse: size,
    description: 'Largest BuildKit cache saved to the Actions cache, e.g. 2GB or 500MB; larger ones are not saved.',
  },
  cacheRef: {
    name: Inputs.CacheRef,
    default: '',
    parse: optional(tagReference),
    description: 'Registry build cache of the base. Default: `<base-repository>:buildcache`.',
  },
  appCacheRef: {
    name: Inputs.AppCacheRef,
    default: '',
    parse: optional(tagReference),
    description: 'Registry build cache of the application image. Default: `<image>:buildcache-app`.',
  },
  platforms: {
    name: Inputs.Platforms,
    default: '',
    parse: platformList,
    description:
      "Target platforms (comma- or newline-separated), e.g. `linux/amd64,linux/arm64`. Part of the environment hash. Default: the runner's platform (linux/<arch>), so runners of different architectures never share a base.",
  },
  buildPlatforms: {
    name: Inputs.BuildPlatforms,
    default: '',
    parse: platformList,
    description:
      'The subset of `platforms` this job builds, natively, in a matrix with one job per platform (e.g. `linux/arm64` on an arm64 runner). Such a job pushes its platform of the base and of the application under per-platform tags (`<tag>_<os>_<arch>`); a `mode: merge` job then assembles the multi-platform tags. `platforms` stays the full set (the same in every job: it is hashed). Default: all of `platforms`.',
  },
  buildArgs: {
    name: Inputs.BuildArgs,
    default: '',
    parse: keyValues,
    description: 'Build args of the application image (`KEY=VALUE`, one per line).',
  },
  labels: {
    name: Inputs.Labels,
    default: '',
    parse: keyValues,
    description: 'Labels of the built images (`KEY=VALUE`, one per line).',
  },
  target: {
    name: Inputs.Target,
    default: '',
    parse: optional(text),
    description: 'Target stage of the application Dockerfile.',
  },
  builder: {
    name: Inputs.Builder,
    default: '',
    parse: optional(text),
    description: 'Name of the buildx builder to use (docker-container, kubernetes, remote and cloud builders all work). Default: the current builder.',
  },
  keepLatest: {
    name: Inputs.KeepLatest,
    default: '3',
    parse: count(1),
    description: 'Retention: always keep the newest N dated tags of each environment hash.',
  },
  keepDays: {
    name: Inputs.KeepDays,
    default: '30',
    parse: count(0),
    description: 'Retention: keep dated tags younger than this many days.',
  },
  prune: {
    name: Inputs.Prune,
    default: 'false',
    parse: oneOf(PruneModes),
    description: 'Delete old dated base tags after the build: `false`, `dry-run` (list what would go) or `true`.',
  },
  summary: {
    name: Inputs.Summary,
    default: 'true',
    parse: boolean,
    description: 'Write the report to the job summary.',
  },
  prComment: {
    name: Inputs.PrComment,
    default: 'true',
    parse: boolean,
    description: 'Create or update one sticky comment on the pull request (needs `pull-requests: write`).',
  },
  githubToken: {
    name: Inputs.GithubToken,
    default: '',
    actionDefault: '${{ github.token }}',
    parse: credential('token'),
    secret: true,
    description: 'Token for the PR comment and, for ghcr.io, the GitHub Packages API (pruning).',
  },
  registryUsername: {
    name: Inputs.RegistryUsername,
    default: '',
    parse: optional(credential('credential')),
    description: 'Registry user name, with `registry-password`. Empty: the Docker config (`docker/login-action`, credential helpers) is used.',
  },
  registryPassword: {
    name: Inputs.RegistryPassword,
    default: '',
    parse: optional(credential('credential')),
    secret: true,
    description:
      'Registry password or token, with `registry-username`; masked in logs. Empty: the Docker config (`docker/login-action`, credential helpers) is used.',
  },
  insecureRegistries: {
    name: Inputs.InsecureRegistries,
    default: '',
    parse: hostList,
    description: 'Registry hosts reached over plain HTTP besides loopback ones (comma- or newline-separated).',
  },
  compareTo: {
    name: Inputs.CompareTo,
    default: '',
    parse: optional(reference),
    description:
      "Image the application image's size is compared with, read before this run pushes (without `dockerfile`, the base is compared with the previous dated base). Default: the previous image of the same stream: for a pull request `<image>:<target branch>`, for a push `<image>:<branch>`, then `<image>:<default branch>`, then `<image>:latest` — the first that exists.",
  },
  maxSize: {
    name: Inputs.MaxSize,
    default: '',
    parse: optional(size),
    description: 'Size budget of the final image, with a unit, e.g. `800MB` or `1.5GiB`. Exceeding it warns (or fails with `fail-on-budget`).',
  },
  maxGrowth: {
    name: Inputs.MaxGrowth,
    default: '',
    parse: optional(growth),
    description:
      'Growth budget against the compared image: a percentage (`10%`), a size with a unit (`50MB`), or both (`10%, 50MB`). A number without a unit is refused.',
  },
  failOnBudget: {
    name: Inputs.FailOnBudget,
    default: 'false',
    parse: boolean,
    description: 'Fail the step (after the report is written) when a size budget is exceeded.',
  },
  secrets: {
    name: Inputs.Secrets,
    default: '',
    parse: raw,
    description:
      'BuildKit secrets of both builds, `id=value` per line (the value may contain `=`; a quoted line `"id=multi-line value"` may span lines), as in docker/build-push-action. Mount them with `RUN --mount=type=secret,id=<id>`. Never build args, never in the image or the environment hash (only the ids are hashed); masked in logs.',
  },
  secretFiles: {
    name: Inputs.SecretFiles,
    default: '',
    parse: raw,
    description:
      "BuildKit secrets from files, `id=path` per line (a file inside the workspace). Well-known ids the bundled template mounts: `pip_conf` (pip's config, e.g. a private index) and `netrc`; the bundled pixi template: `pixi_auth` (pixi's authentication file), `pixi_config` (a pixi config file) and `netrc`.",
  },
  secretEnvs: {
    name: Inputs.SecretEnvs,
    default: '',
    parse: raw,
    description: 'BuildKit secrets from environment variables of the step, `id=ENVVAR` per line.',
  },
  ssh: {
    name: Inputs.Ssh,
    default: '',
    parse: raw,
    description:
      'SSH agent sockets or keys forwarded to both builds (`RUN --mount=type=ssh`), e.g. `default` or `id=path`, one per line — for `git+ssh://` dependencies.',
  },
  condarc: {
    name: Inputs.Condarc,
    default: '',
    parse: raw,
    description:
      'A `.condarc` for the solver (channel mirrors, `channel_alias`, `custom_channels`, tokens): a file path in the workspace or the YAML itself. Passed to the build as the BuildKit secret `condarc`; its content with token and password values and URL credentials redacted is part of the environment hash.',
  },
  smokeTest: {
    name: Inputs.SmokeTest,
    default: '',
    parse: optional(command),
    description:
      'A command run in the final image before anything is pushed (the application image, else the base), as `sh -c <command>` through the image\'s entrypoint, so the environment is activated: e.g. `python -c "import numpy"`. A non-zero exit or a timeout fails the step and nothing is tagged. Empty: none.',
  },
  baseSmokeTest: {
    name: Inputs.BaseSmokeTest,
    default: '',
    parse: optional(command),
    description: 'The same for a base this run builds (a reused base is not tested again), run before the application image is built.',
  },
  smokeTestTimeout: {
    name: Inputs.SmokeTestTimeout,
    default: '5m',
    parse: positiveDuration,
    description: 'How long a smoke test may run (e.g. `90s`, `10m`); one that runs longer is ended (its container removed) and counts as failed.',
  },
  compression: {
    name: Inputs.Compression,
    default: 'gzip',
    parse: oneOf(Compressions),
    description:
      'How the layers of the pushed base and application images are compressed: `gzip`; `zstd` (smaller, faster to unpack; the nodes that pull must read zstd layers); `estargz` (gzip with a table of contents: nodes with a stargz snapshotter start containers before the whole image is pulled). Anything but plain `gzip` recompresses every layer, those of the `FROM` image too; the builder must be able to produce it (checked before any build).',
  },
  compressionLevel: {
    name: Inputs.CompressionLevel,
    default: '',
    parse: optional(count(0)),
    description: "BuildKit's `compression-level`: 0–9 for `gzip` and `estargz`, 0–22 for `zstd`; empty for BuildKit's default.",
  },
} as const satisfies Record<string, InputSpec<unknown>>

export type InputKey = keyof typeof INPUTS

/** The parsed value of every input, by key. */
export type ParsedInputs = { -readonly [K in InputKey]: ReturnType<(typeof INPUTS)[K]['parse']> }

/** The table's rows in declaration order (the order of action.yml and the README). */
export function inputSpecs(): readonly InputSpec<unknown>[] {
  return Object.values(INPUTS)
}
