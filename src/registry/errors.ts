// The one error type of the registry client. Messages name the registry and say what to do;
// they never contain a credential, a token or a signed storage URL.

export type RegistryErrorKind = 'auth' | 'denied' | 'not-found' | 'network' | 'protocol' | 'http'

export class RegistryError extends Error {
  readonly status?: number
  readonly kind: RegistryErrorKind
  /** Registry host as written (`ghcr.io`, `127.0.0.1:5000`). */
  readonly registry: string
  constructor(kind: RegistryErrorKind, registry: string, message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RegistryError'
    this.kind = kind
    this.registry = registry
    this.status = status
  }
}

export function isRegistryError(e: unknown): e is RegistryError {
  return e instanceof RegistryError
}

/**
 * A request ended because the run did (Transport.close), not because of the registry:
 * nobody waits for its answer any more, so it is no fault to report.
 */
export class RunEnded extends RegistryError {
  constructor(registry: string, message: string) {
    super('network', registry, message)
    this.name = 'RunEnded'
  }
}

/** The registry gives sizes no image could have: the image (its verified `digest`) is there, its size is unknown. */
export class ImplausibleSize extends RegistryError {
  constructor(
    registry: string,
    message: string,
    readonly digest: string,
  ) {
    super('protocol', registry, message)
    this.name = 'ImplausibleSize'
  }
}

export function isImplausibleSize(e: unknown): e is ImplausibleSize {
  return e instanceof ImplausibleSize
}

export function isRunEnded(e: unknown): e is RunEnded {
  return e instanceof RunEnded
}

/**
 * A fault worth another attempt (5xx, 429, reset connection, timeout, truncated or
 * unparsable body). Internal: the retry loop turns the last one into a RegistryError.
 */
export class TransientError extends Error {
  readonly status?: number
  /** Milliseconds the server asked us to wait (Retry-After), if it did. */
  readonly retryAfterMs?: number
  readonly kind: 'network' | 'http' | 'protocol'
  constructor(kind: 'network' | 'http' | 'protocol', message: string, status?: number, retryAfterMs?: number, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TransientError'
    this.kind = kind
    this.status = status
    this.retryAfterMs = retryAfterMs
  }
}
