// Every input and output name of action.yml, defined once (docs/DESIGN.md §2: the interface is a contract).

export const Inputs = {
  EnvironmentFile: 'environment-file',
  PixiEnvironment: 'pixi-environment',
  Image: 'image',
  BaseRepository: 'base-repository',
  BaseTagPrefix: 'base-tag-prefix',
  BaseDockerfile: 'base-dockerfile',
  BaseBuildArgs: 'base-build-args',
  Dockerfile: 'dockerfile',
  Context: 'context',
  Tags: 'tags',
  Mode: 'mode',
  Push: 'push',
  MaxAge: 'max-age',
  CacheMode: 'cache-mode',
  CacheRef: 'cache-ref',
  AppCacheRef: 'app-cache-ref',
  Platforms: 'platforms',
  BuildPlatforms: 'build-platforms',
  BuildArgs: 'build-args',
  Labels: 'labels',
  Target: 'target',
  Builder: 'builder',
  KeepLatest: 'keep-latest',
  KeepDays: 'keep-days',
  Prune: 'prune',
  Summary: 'summary',
  PrComment: 'pr-comment',
  GithubToken: 'github-token',
  RegistryUsername: 'registry-username',
  RegistryPassword: 'registry-password',
  InsecureRegistries: 'insecure-registries',
  CompareTo: 'compare-to',
  MaxSize: 'max-size',
  MaxGrowth: 'max-growth',
  FailOnBudget: 'fail-on-budget',
  Refresh: 'refresh',
  CacheBackend: 'cache-backend',
  ActionsCacheMaxSize: 'actions-cache-max-size',
  Store: 'store',
  Secrets: 'secrets',
  SecretFiles: 'secret-files',
  SecretEnvs: 'secret-envs',
  Ssh: 'ssh',
  Condarc: 'condarc',
  SmokeTest: 'smoke-test',
  BaseSmokeTest: 'base-smoke-test',
  SmokeTestTimeout: 'smoke-test-timeout',
  Compression: 'compression',
  CompressionLevel: 'compression-level',
} as const
export type InputName = (typeof Inputs)[keyof typeof Inputs]

export const Outputs = {
  EnvHash: 'env-hash',
  BaseTag: 'base-tag',
  BaseImage: 'base-image',
  BaseReused: 'base-reused',
  Image: 'image',
  Digest: 'digest',
  ImageSize: 'image-size',
  CacheHitRatio: 'cache-hit-ratio',
  CachedSteps: 'cached-steps',
  TotalSteps: 'total-steps',
  Metadata: 'metadata',
  Tags: 'tags',
  ChangedBytes: 'changed-bytes',
  Sbom: 'sbom',
  Lock: 'lock',
} as const
export type OutputName = (typeof Outputs)[keyof typeof Outputs]

export const Modes = ['auto', 'base', 'plan', 'merge'] as const
export type Mode = (typeof Modes)[number]

export const PruneModes = ['false', 'dry-run', 'true'] as const
export type PruneMode = (typeof PruneModes)[number]

export const RefreshModes = ['pull', 'full'] as const
export type RefreshMode = (typeof RefreshModes)[number]

export const CacheBackends = ['registry', 'actions', 'both'] as const
export type CacheBackend = (typeof CacheBackends)[number]
/** `cache-backend` as written: a backend, or empty for "decided per run". */
export const CacheBackendChoices = ['', ...CacheBackends] as const
export type CacheBackendChoice = (typeof CacheBackendChoices)[number]

export const StoreKinds = ['registry', 'local'] as const
export type StoreKind = (typeof StoreKinds)[number]

export const CacheModes = ['min', 'max'] as const
export type CacheMode = (typeof CacheModes)[number]

/** Image labels the action writes on every base it builds. */
export const Labels = {
  EnvHash: 'io.github.conda-image-action.env-hash',
  /** The canonical environment document (JSON) that was hashed; read back to explain rebuilds. */
  EnvDocument: 'io.github.conda-image-action.env-document',
  Scheme: 'io.github.conda-image-action.scheme',
  /** Absolute path of the size manifest (conda packages and installed sizes) in the image's last layer. */
  SizeManifest: 'io.github.conda-image-action.size-manifest',
  /** The lines of the hashed requirement files (not hashed): "why rebuilt" shows which requirements changed. */
  EnvFiles: 'io.github.conda-image-action.env-files',
  /** How long the base's build took, in seconds (its solve: the build without the export and push); read back when a run reuses the base. */
  BuildSeconds: 'io.github.conda-image-action.build-seconds',
  Source: 'org.opencontainers.image.source',
  Revision: 'org.opencontainers.image.revision',
  Created: 'org.opencontainers.image.created',
} as const

export const HASH_SCHEME = 'v1'

/** Build-arg names passed to the Dockerfiles. */
export const BuildArgNames = {
  EnvironmentFile: 'ENVIRONMENT_FILE',
  /** The environment hash, given to the bundled template only (part of its solve step's cache key). */
  EnvHash: 'ENV_HASH',
  BaseImage: 'BASE_IMAGE',
} as const

/** BuildKit secret ids the bundled template mounts when they are given. */
export const SecretIds = {
  Condarc: 'condarc',
  PipConf: 'pip_conf',
  Netrc: 'netrc',
} as const

/** Marker that identifies the action's sticky PR comment (one per image). */
export const COMMENT_MARKER_PREFIX = '<!-- conda-image-action:'

/** GitHub's limit on a step summary; the report stays well below it. */
export const STEP_SUMMARY_LIMIT = 1024 * 1024

/** Largest Dockerfile read (no real Dockerfile is anywhere near it). */
export const MAX_DOCKERFILE_BYTES = 1024 * 1024
