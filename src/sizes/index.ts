export { GROWTH_THRESHOLD, largestPackages, packageChanges, parseSizeManifest, type PackageChanges, type PackageGrowth, type PackageSize } from './manifest.js'
export { readSizeManifest, type ManifestPort, type SizeManifestRead } from './read.js'
export { localReader, packagesReport, registryManifestPort, registryReader, type ManifestReader, type PackagesInput } from './package-sizes.js'
export { readLocalSizeManifest } from './local.js'
