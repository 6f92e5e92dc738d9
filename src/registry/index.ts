// Registry access of the action: every registry HTTP request goes through RegistryClient.
export {
  RegistryClient,
  MANIFEST_ACCEPT,
  MediaTypes,
  isAttestation,
  isIndex,
  platformString,
  sha256Digest,
  type Descriptor,
  type ImageConfigInfo,
  type LayerInfo,
  type ImageSizeInfo,
  type ManifestInfo,
  type PlatformSize,
  type RegistryClientOptions,
  DEFAULT_TAG_LIST_LIMITS,
  REACH_DEADLINE_MS,
  type TagListLimits,
} from './client.js'
export { ImplausibleSize, RegistryError, RunEnded, isImplausibleSize, isRegistryError, isRunEnded, type RegistryErrorKind } from './errors.js'
export { hasCredentials, defaultDockerConfigDir } from './credentials.js'
export type { Logger as RegistryLogger, ReachFailure } from './transport.js'
