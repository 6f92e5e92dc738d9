// The "what makes the base big" figures of a run: the size manifest of the base (and of the
// previous base when a new one was built), read from the registry, turned into report data.

import { formatReference, type ImageName } from '../image/reference.js'
import type { RegistryClient } from '../registry/index.js'
import type { PackagesReport } from '../report/model.js'
import { byChangeSize, everyPackageChange, everyPipChange, packagesByName } from './changes.js'
import { largestPackages } from './manifest.js'
import type { ProcessPort } from '../runner/process.js'
import { readLocalSizeManifest } from './local.js'
import { readSizeManifest, type ManifestPort, type SizeManifestRead } from './read.js'
import type { Log } from '../runner/log.js'

/** The reader's port over a registry client and one repository. */
export function registryManifestPort(client: RegistryClient, name: ImageName): ManifestPort {
  return {
    manifest: async (ref) => {
      const m = await client.getManifest(name, ref)
      return m && { digest: m.digest, manifest: m.manifest, mediaType: m.mediaType, size: m.size }
    },
    blob: (digest, maxBytes) => client.blob(name, digest, maxBytes),
  }
}

/** Reads the size manifest of the base at a tag or digest of its repository. */
export type ManifestReader = (ref: string) => Promise<SizeManifestRead>

/** From the registry: the last layer by digest. `platform` is picked under an index (default linux/amd64, else the first). */
export function registryReader(client: RegistryClient, name: ImageName, platform?: string): ManifestReader {
  const port = registryManifestPort(client, name)
  return (ref) => readSizeManifest(port, ref, platform)
}

/** From the local engine (`docker create` + `docker cp` of the one file). */
export function localReader(name: ImageName, proc: ProcessPort): ManifestReader {
  return (ref) => readLocalSizeManifest(formatReference(name, ref.startsWith('sha256:') ? undefined : ref, ref.startsWith('sha256:') ? ref : undefined), proc)
}

export interface PackagesInput {
  readonly read: ManifestReader
  /** Tag or digest of the base. */
  readonly ref: string
  /** The previous base (tag), when a new base was built. */
  readonly previousTag?: string
  /** `warning` (optional, else debug): a manifest that may be there but cannot be read on this runner (see SizeManifestRead), said in the report. */
  readonly log: Pick<Log, 'debug'> & Partial<Pick<Log, 'warning'>>
}

/** The packages section's data; undefined when the base has no readable size manifest (no warning: custom bases need not have one). */
export async function packagesReport(input: PackagesInput): Promise<PackagesReport | undefined> {
  const [cur, prev] = await Promise.all([input.read(input.ref), input.previousTag ? input.read(input.previousTag) : undefined])
  if ('missing' in cur && cur.unreadable) {
    const m = `Could not read the size manifest of the base: ${cur.missing}; the largest packages are not reported`
    if (input.log.warning) input.log.warning(m)
    else input.log.debug(m)
    return undefined
  }
  if ('missing' in cur) {
    input.log.debug(`No size manifest in the base (${cur.missing}): the largest packages are not reported`)
    return undefined
  }
  if (prev && 'missing' in prev) input.log.debug(`No size manifest in the previous base ${input.previousTag} (${prev.missing})`)
  let changes: PackagesReport['changes']
  if (prev && 'packages' in prev) {
    // pip changes only when both manifests list pip distributions: a base without the list says nothing about pip.
    const pip = everyPipChange(prev.pip, cur.pip)
    if (!pip && (prev.pip || cur.pip))
      input.log.debug(`pip changes not reported: ${prev.pip ? 'the new base' : `the previous base ${input.previousTag}`} lists no pip distributions`)
    const list = everyPackageChange(prev.packages, cur.packages)
    changes = { previousTag: input.previousTag!, list: pip ? [...list, ...pip].sort(byChangeSize) : list, pipCompared: pip !== undefined }
  }
  // One record per name, as the changes count them: the count and total agree with them.
  const packages = [...packagesByName(cur.packages).values()]
  return {
    largest: largestPackages(packages, 10),
    count: packages.length,
    total: packages.reduce((n, p) => n + p.size, 0),
    changes,
  }
}
