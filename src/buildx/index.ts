// Everything about running BuildKit (`docker buildx`): argv, builders, builds, progress.

export {
  buildxArgs,
  cacheTos,
  cacheToValue,
  checkBuilderName,
  createBuilderArgs,
  displayCommand,
  inspectBuilderArgs,
  removeBuilderArgs,
  type BuildSpec,
  type ContainerBuilderOptions,
} from './argv.js'
export { createContainerBuilder, inspectBuilder, parseInspect, removeBuilder, usesContainerdStore, type BuilderInfo } from './builder-cli.js'
export { digestFromMetadata, failureMessage, runBuild, type BuildOutcome, type RunBuildOptions } from './run.js'
export {
  isStepVertexName,
  parsePlainProgress,
  PlainProgressTracker,
  ProgressTracker,
  type CacheImportError,
  type ProgressFailure,
  type ProgressResult,
} from './progress.js'
export { JsonObjectSplitter } from './json-stream.js'
export { BUILDKIT_CACHE_CONFIG_MAX, cacheConfigBytes, cacheImportNote, oversizeCacheNote, registryCacheRef } from './cache-config.js'
