// Phase 2: the environment hash over everything the base build reads.

import { HASH_SCHEME } from '../vocabulary/constants.js'
import { fingerprintOutputs, publishOutputs } from '../run/outputs.js'
import { fingerprint, type Fingerprint } from '../hash/index.js'
import type { Ports } from '../ports/index.js'
import { secretIds } from '../secrets/build-secrets.js'
import type { InputsResult } from './inputs.js'

export async function fingerprintPhase({ opts, platforms }: InputsResult, workspace: string, ports: Pick<Ports, 'log' | 'results'>): Promise<Fingerprint> {
  const fp = await fingerprint({
    environmentFile: opts.environmentFile,
    baseDockerfile: { path: opts.baseDockerfile.bundled ? undefined : opts.baseDockerfile.path, content: opts.baseDockerfile.content },
    buildArgs: opts.baseBuildArgs,
    platforms,
    workspace,
    condarc: opts.condarc?.hashed,
    secretIds: secretIds(opts.secrets),
    pixiEnvironment: opts.pixiEnvironment,
  })
  ports.log.info(`Environment hash ${fp.hash} (scheme ${HASH_SCHEME}) over ${fp.files.length} file(s)`)
  for (const w of fp.warnings) ports.log.warning(w.message, { file: w.file, line: w.line, kind: w.kind })
  publishOutputs(ports.results, fingerprintOutputs(fp))
  return fp
}
