// Types of scripts/license-check.mjs (plain Node ESM, imported by __tests__/license-check.test.ts).

export interface LockFile {
  packages?: Record<string, { version?: string; license?: string | { type?: string }; dev?: boolean; devOptional?: boolean; link?: boolean }>
}

export const ALLOWED: string[]
export function bundledPackages(lock: LockFile): { id: string; license: string | undefined }[]
export function spdxAllowed(expression: string, allowed?: string[]): boolean
export function licenseProblems(lock: LockFile, allowed?: string[]): string[]
