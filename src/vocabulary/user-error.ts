/**
 * An error the user can fix (bad input, malformed environment file, denied registry access).
 * `main` reports it as one `::error` annotation — with file and line where known — and
 * exits non-zero without a stack trace. Anything else is a bug and is reported as such.
 */
export class UserError extends Error {
  readonly file?: string
  /** 1-based line in `file`. */
  readonly line?: number
  readonly column?: number
  constructor(message: string, where: { file?: string; line?: number; column?: number } = {}) {
    super(message)
    this.name = 'UserError'
    this.file = where.file
    this.line = where.line
    this.column = where.column
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError
}

/** Message of any thrown value, without a stack. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message
  return String(e)
}
