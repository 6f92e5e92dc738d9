// The store behind `image`: a registry (through the registry client) or the local Docker
// engine (through the process port). Reads only; retention's deletes go through `registry`.

import { engineUsesContainerdStore, inspectLocal, localTags } from './engine-store.js'
import type { MergeRegistry } from '../image/platform-merge.js'
import { formatName, formatReference, type ImageName } from '../image/reference.js'
import { RegistryClient, type LayerInfo, type ReachFailure } from '../registry/index.js'
import type { Logger } from '../registry/transport.js'
import type { ImageSize } from '../report/model.js'
import type { ManifestDeleter, TagSource } from '../retention/index.js'
import { localReader, registryManifestPort, registryReader, type ManifestReader } from '../sizes/index.js'
import { attachArtifact, listReferrers, referrerTree, type Attached, type Referrers, type ReferrerTree } from '../registry/referrers.js'
import { readImageSboms, type PlatformSbom } from '../sbom/image-sbom.js'
import type { ManifestSource } from '../sizes/platform-layers.js'
import { execProcess, type ProcessPort } from '../runner/process.js'

export interface Store {
  tags(name: ImageName): Promise<string[]>
  digest(name: ImageName, tag: string): Promise<string | undefined>
  size(name: ImageName, tagOrDigest: string): Promise<ImageSize | undefined>
  labels(name: ImageName, tagOrDigest: string): Promise<Record<string, string> | undefined>
  /** The image's layers with the step that made each (a registry's; the local engine has none to give). */
  layers?(name: ImageName, tagOrDigest: string, platform?: string): Promise<readonly LayerInfo[] | undefined>
}

/** What retention (reads and manifest deletes), mode: merge (index assembly) and the push check need of a registry. */
export type RegistryAccess = TagSource & ManifestDeleter & MergeRegistry & PushProbe

/** OCI 1.1 referrers of a repository's manifests (src/registry/referrers.ts): API or tag schema. */
export interface ReferrerAccess {
  list(name: ImageName, subject: string): Promise<Referrers>
  /** Every referrer of `subject`, of those, … (bounded), each after its subject (referrerTree). */
  tree(name: ImageName, subject: string): Promise<ReferrerTree>
  attach(
    name: ImageName,
    subject: PlatformSbom['subject'],
    artifact: { readonly artifactType: string; readonly mediaType: string; readonly bytes: Buffer; readonly title?: string },
  ): Promise<Attached>
}

/** Whether this job may push to a repository (a blob upload started and cancelled; see RegistryClient.probePush). */
export interface PushProbe {
  probePush(name: ImageName): Promise<void>
  /** Whether the registry of `name` answers at all, within a few seconds: undefined, or why not (see RegistryClient.reachable). */
  reachable(name: ImageName): Promise<ReachFailure | undefined>
}

/** The stores of a run: the one behind `image`, the local engine (for loaded images), and the registry when there is one. */
export interface Stores {
  readonly store: Store
  readonly engine: Store
  readonly registry?: RegistryAccess
  /**
   * Reads manifests of any registry image the run names besides its own (the bundled
   * template's runtime image): the registry client, also when the store is the local engine.
   */
  readonly manifests?: ManifestSource
  /**
   * Reads the size manifest of a base (what makes it big): from the registry (its last layer
   * by digest) or from the local engine (one file, nothing pulled).
   */
  readonly sizeManifests?: (name: ImageName, where: 'registry' | 'engine', platform?: string) => ManifestReader
  /** The SBOM of each platform of a pushed base (its last layer, next to the size manifest); registries only. */
  readonly sboms?: (name: ImageName, ref: string) => Promise<PlatformSbom[]>
  /** Referrers (SBOM artifacts) on the registry; registries only. */
  readonly referrers?: ReferrerAccess
  /**
   * The run is over: registry requests still under way end at once (a run that failed early
   * must not wait minutes for an unresponsive registry before it exits), and later ones fail.
   */
  readonly close?: () => void
}

export interface StoreOptions {
  readonly local: boolean
  readonly username?: string
  readonly password?: string
  readonly insecureRegistries: readonly string[]
}

export function registryStore(client: RegistryClient): Store {
  return {
    tags: (name) => client.listTags(name),
    digest: (name, tag) => client.headDigest(name, tag),
    size: async (name, ref) => {
      const s = await client.imageSize(name, ref)
      if (!s) return undefined
      return {
        ref: formatReference(name, ref.startsWith('sha256:') ? undefined : ref, s.digest),
        digest: s.digest,
        total: s.total,
        platforms: s.platforms.map((p) => ({ platform: p.platform, digest: p.digest, bytes: p.bytes })),
      }
    },
    labels: async (name, ref) => (await client.imageConfig(name, ref))?.labels,
    layers: async (name, ref, platform) => (await client.imageConfig(name, ref, platform))?.layers,
  }
}

export function engineStore(proc?: ProcessPort): Store {
  let containerd: Promise<boolean | undefined> | undefined
  return {
    tags: (name) => localTags(formatName(name), proc),
    digest: async (name, tag) => (await inspectLocal(formatReference(name, tag), proc))?.id,
    size: async (name, tag) => {
      const img = await inspectLocal(formatReference(name, tag), proc)
      if (!img) return undefined
      containerd ??= engineUsesContainerdStore(proc).catch(() => undefined)
      const store = await containerd
      return {
        ref: formatReference(name, tag),
        digest: img.id,
        total: img.size,
        platforms: [{ platform: img.platform ?? 'unknown', digest: img.id, bytes: img.size }],
        // The containerd image store counts the image's content (compressed layers, config, manifest); the classic store the unpacked size.
        measure: store === true ? 'engine-compressed' : store === false ? 'engine-uncompressed' : 'engine-unknown',
      }
    },
    labels: async (name, tag) => (await inspectLocal(formatReference(name, tag), proc))?.labels,
  }
}

/** Opens the stores for a run's options; the registry client's warnings go to `log` (default: the runner's workflow commands). */
export function openStores(o: StoreOptions, proc?: ProcessPort, log?: Logger): Stores {
  const engine = engineStore(proc)
  const fromEngine = (name: ImageName): ManifestReader => localReader(name, proc ?? execProcess)
  const client = new RegistryClient({ username: o.username, password: o.password, insecureRegistries: o.insecureRegistries, log })
  if (o.local) return { store: engine, engine, manifests: client, sizeManifests: fromEngine, close: () => client.close() }
  return {
    store: registryStore(client),
    engine,
    registry: client,
    sboms: (name, ref) => readImageSboms(registryManifestPort(client, name), ref),
    referrers: {
      list: (name, subject) => listReferrers(client, name, subject),
      tree: (name, subject) => referrerTree((s) => listReferrers(client, name, s), subject),
      attach: (name, subject, artifact) => attachArtifact(client, name, subject, artifact),
    },
    manifests: client,
    sizeManifests: (name, where, platform) => (where === 'registry' ? registryReader(client, name, platform) : fromEngine(name)),
    close: () => client.close(),
  }
}
