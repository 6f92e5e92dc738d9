// The BuildKit secrets and ssh forwards of both builds: the `secrets` values (and the
// `condarc` input, as the secret `condarc`) written to private 0600 files for the run.

import { SecretIds } from '../vocabulary/constants.js'
import type { Options } from '../run/options.js'
import { materialize, type BuildSecretArgs } from '../secrets/build-secrets.js'
import type { Cleanup } from '../run/state.js'

export function materializeSecrets(opts: Pick<Options, 'secrets' | 'condarc'>, cleanup: Cleanup): BuildSecretArgs {
  const all = opts.condarc
    ? { ...opts.secrets, secrets: [...opts.secrets.secrets, { id: SecretIds.Condarc, kind: 'value' as const, value: opts.condarc.text }] }
    : opts.secrets
  const m = materialize(all)
  cleanup(() => m.cleanup())
  return m.args
}
