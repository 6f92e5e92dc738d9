// Environment fingerprint, scheme v1 (docs/DESIGN.md §3).
//
// sha256 over one canonical JSON document (keys sorted, no whitespace), never over file
// bytes. What the document holds and why:
//
// - the environment file, parsed (yaml.ts, env.ts): comments, whitespace, quoting, flow/block
//   style, key order, CRLF and a BOM do not count; scalars keep their source text;
// - `channels` in order (priority); conda `dependencies` whitespace-normalized, operators
//   and `channel::` prefixes verbatim, sorted and de-duplicated (the solver sees a set);
// - `pip:` entries in order (option lines are positional; several `pip:` sections are
//   marked, since conda keeps only the last one while micromamba merges them); files they
//   reference with -r/-c (any spelling, `file:` too) by the sha256 of their entries, read
//   with pip's grammar (requirements.ts), recursively; local trees pip installs from by a
//   bounded tree digest (loader.ts);
// - platform selectors evaluated per target conda subdir (selectors.ts);
// - `variables`; unknown keys verbatim; `prefix` dropped; `name` only when the base
//   Dockerfile uses it (dockerfile.ts);
// - the base Dockerfile's digest, base build-args, target platforms, the scheme `v1`;
// - what a custom base Dockerfile reads from its build context — `COPY`/`ADD` sources and
//   `RUN --mount=type=bind` sources, by content, `.dockerignore` applied (dockerfile.ts,
//   context-files.ts); present only when it reads more than the environment file;
// - an `@EXPLICIT` lock or a conda-lock.yml: its package lines for the targets (lock.ts);
// - a plain spec list (`conda list --export`, any name but `.yml`/`.yaml`): its specs,
//   normalized and sorted (lock.ts).
// - a pixi project (`pixi.toml`, `pyproject.toml` with `[tool.pixi]`, or `pixi.lock`; the
//   lock is required): the lock's packages of the environment per target platform, its
//   channels, path sources by content, and what of the manifest changes the environment or
//   its activation (pixi/pixi-lock.ts, pixi/pixi-manifest.ts).
//
// When unsure, the document keeps more (a rebuild) rather than less (a wrong image reused).

import { serialize } from './document.js'
import { fingerprintFiles } from './loader.js'
import type { Fingerprint, FingerprintInput } from './types.js'

export type {
  ContextSection,
  EnvDocument,
  Fingerprint,
  FingerprintInput,
  HashWarning,
  HashWarningKind,
  JsonValue,
  LockPackages,
  SourceKind,
  SubdirDeps,
} from './types.js'
export { diffDocuments } from './diff.js'
export { DEFAULT_PIXI_ENVIRONMENT, type PixiPathSource, type PixiPlatform, type PixiSource } from './pixi/pixi-source.js'
export { encodeDocumentLabel, isTruncatedDocumentLabel, parseDocumentLabel } from './document.js'

/** Fingerprints an environment file (plus what it references) for the given base build. */
export async function fingerprint(input: FingerprintInput): Promise<Fingerprint> {
  const fp = await fingerprintFiles(input)
  // The solver's .condarc (redacted) and the ids of the build's secrets are part of what the
  // base build sees; without them the document is exactly the one of earlier versions.
  const ids = input.secretIds && input.secretIds.length ? [...input.secretIds].sort() : undefined
  if (input.condarc === undefined && ids === undefined) return fp
  const document = { ...fp.document, ...(input.condarc !== undefined ? { condarc: input.condarc } : {}), ...(ids ? { secrets: ids } : {}) }
  const { json, hash } = serialize(document)
  return { ...fp, document, json, hash }
}
