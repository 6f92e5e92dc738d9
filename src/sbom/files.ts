// The names of the SBOM and lock files and of the SBOM's media type; no library behind them, so
// that the start of the action does not load the CycloneDX library (src/sbom/cyclonedx.ts loads on use).

export const SBOM_MEDIA_TYPE = 'application/vnd.cyclonedx+json'
/** The file next to the size manifest in a base's last layer. */
export const SBOM_FILE = 'sbom.cdx.json'
export const EXPLICIT_FILE = 'explicit.txt'
export const PIP_LOCK_FILE = 'requirements.lock.txt'
/** Metadata property naming a record the template left out (or a field of it), with why. */
export const LEFT_OUT_PROPERTY = 'conda-image-action:left-out'
