// The input-files port's real adapter (src/ports/input-files.ts), and the readers the secret
// and condarc parsers take, bound to a test's workspace: tests read real files as the action does.

import { inputFiles } from '../src/ports/input-files.js'
import type { CondarcReader } from '../src/secrets/condarc.js'
import type { SecretFileReader } from '../src/secrets/build-secrets.js'
import { Inputs } from '../src/vocabulary/constants.js'

export { inputFiles }

/** The `condarc` input's file reader in `workspace`. */
export const condarcFile =
  (workspace: string): CondarcReader =>
  (given, maxBytes) =>
    inputFiles.text(Inputs.Condarc, given, workspace, maxBytes)

/** The `secret-files` reader in `workspace`. */
export const secretFile =
  (workspace: string): SecretFileReader =>
  (given, maxBytes) =>
    inputFiles.bytes(given, workspace, maxBytes)
