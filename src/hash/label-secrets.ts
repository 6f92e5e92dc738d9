// The document is written as an image label, readable by anyone who can pull the image.
// Secrets that users commonly put into channels, index URLs, variables or build-args are
// replaced by a short digest: the hash still changes when the secret changes (prefer a
// rebuild), but the secret never reaches the label. Which text counts as a credential is
// decided by the one redaction function (src/text/redact.ts); here it masks with a digest.

import { isSecretName, redact } from '../text/redact.js'
import { sha256Hex } from './canonical.js'

function mask(secret: string): string {
  return `sha256:${sha256Hex(secret).slice(0, 16)}`
}

/** `https://user:pass@host` → `https://user:sha256:…@host`; anaconda `/t/<token>/` → `/t/sha256:…/`; see src/text/redact.ts. */
export function redactUrlSecrets(text: string): string {
  return redact(text, mask)
}

/** `KEY=VALUE` with a secret-looking KEY keeps only a digest of VALUE. */
export function redactAssignment(key: string, value: string): string {
  return isSecretName(key) ? mask(value) : redactUrlSecrets(value)
}

export function redactBuildArg(arg: string): string {
  const eq = arg.indexOf('=')
  if (eq < 0) return arg
  const key = arg.slice(0, eq)
  return `${key}=${redactAssignment(key, arg.slice(eq + 1))}`
}
