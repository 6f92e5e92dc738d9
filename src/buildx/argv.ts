// Pure construction of `docker` argv for buildx. Every value travels as part of a single
// `--flag=value` element, so no value — whatever it starts with or contains — can be read
// as a second argument or a flag; nothing here ever passes through a shell.

import { exporterAttributes, type Compression } from '../compression/index.js'
import { UserError } from '../vocabulary/user-error.js'
import { isSecretName, redact } from '../text/redact.js'

export interface BuildSpec {
  context: string
  dockerfile: string
  tags: readonly string[]
  /** `KEY=VALUE`, in order. */
  buildArgs: readonly string[]
  /** `KEY=VALUE`. */
  labels: readonly string[]
  platforms: readonly string[]
  target?: string
  builder?: string
  /**
   * A builder of the docker driver over a Docker context (buildx lists each context as one):
   * buildx refuses `--builder=<context>` for it ("use docker --context=… buildx"), so the
   * build runs as `docker --context=<context> buildx build` instead; `builder` is then unused.
   */
  dockerContext?: string
  /** Full values, e.g. `type=registry,ref=host/repo:buildcache`. */
  cacheFrom: readonly string[]
  /** Full value, or undefined for no cache export. */
  /** One or more `--cache-to` values (e.g. the registry cache and a local one for the Actions cache). */
  cacheTo?: string | readonly string[]
  /**
   * push → `--push`; load → `--load`; none → no output flag (the result stays in the build
   * cache); push-by-digest → the image pushed to the repository of the first tag with no tag
   * at all (a smoke test's trial build, src/run/smoke-plan.ts), its digest in the metadata.
   */
  output: 'push' | 'load' | 'none' | 'push-by-digest'
  pull?: boolean
  noCache?: boolean
  metadataFile: string
  /** Default `rawjson`. */
  progress?: 'rawjson' | 'plain'
  /**
   * Whole seconds: BuildKit's SOURCE_DATE_EPOCH build-arg (image config `created` and history
   * dates), for a reproducible image. Also drops the provenance attestation, whose build ID
   * and timestamps differ on every build and would change the pushed digest.
   */
  sourceDateEpoch?: number
  /** `--secret` values (`id=x,src=FILE` or `id=x,env=NAME`): never a secret value itself. */
  secrets?: readonly string[]
  /** `--ssh` values (`default`, `id=path[,path]`). */
  ssh?: readonly string[]
  /** Layer compression of the exported image (push, push by digest, load); absent or plain gzip: BuildKit's default. */
  compression?: Compression
}

/** `--cache-to` value for a registry cache that never fails the build. */
export function cacheToValue(ref: string, mode: 'min' | 'max'): string {
  return `type=registry,ref=${ref},mode=${mode},image-manifest=true,oci-mediatypes=true,ignore-error=true`
}

/** The `--output` of a push by digest: the repository of the first tag (its tag dropped). */
function pushByDigest(tags: readonly string[], attrs: readonly string[]): string {
  const first = tags[0]
  if (!first) throw new Error('a push by digest needs the repository to push to')
  // `host[:port]/path:tag` → `host[:port]/path` (a colon after the last slash starts the tag).
  const slash = first.lastIndexOf('/')
  const colon = first.lastIndexOf(':')
  const name = colon > slash ? first.slice(0, colon) : first
  if (/[,"=\s]/.test(name)) throw new UserError(`invalid image name ${JSON.stringify(name)}`)
  return ['type=image', `name=${name}`, 'push-by-digest=true', 'name-canonical=true', 'push=true', ...attrs].join(',')
}

/**
 * The output flags: `--push` / `--load` as they are; with a compression of its own, the same
 * exporters spelled out (`type=image,push=true` / `type=docker`) with its attributes.
 */
function outputArgs(spec: Pick<BuildSpec, 'output' | 'tags' | 'compression'>): string[] {
  const attrs = exporterAttributes(spec.compression)
  if (spec.output === 'push-by-digest') return [`--output=${pushByDigest(spec.tags, attrs)}`]
  if (spec.output === 'push') return attrs.length ? [`--output=${['type=image', 'push=true', ...attrs].join(',')}`] : ['--push']
  if (spec.output === 'load') return attrs.length ? [`--output=${['type=docker', ...attrs].join(',')}`] : ['--load']
  return []
}

/** A Docker context name as Docker accepts them (so it can never read as a flag). */
function checkContextName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/.test(name)) throw new UserError(`invalid Docker context name ${JSON.stringify(name)}`)
  return name
}

/**
 * The positional context argument. A context starting with `-` would be read as a flag (or,
 * as `-`, as "read the context from stdin"), so a relative one is made explicit with `./`.
 */
function contextArg(context: string): string {
  if (context === '') return '.'
  return context.startsWith('-') ? `./${context}` : context
}

/** The argv after `docker`: `buildx`, `build`, … (after `--context=<c>` for a context builder). Pure. */
export function buildxArgs(spec: BuildSpec): string[] {
  const args = spec.dockerContext ? [`--context=${checkContextName(spec.dockerContext)}`, 'buildx', 'build'] : ['buildx', 'build']
  if (spec.builder && !spec.dockerContext) args.push(`--builder=${spec.builder}`)
  args.push(`--file=${spec.dockerfile}`)
  if (spec.output === 'push-by-digest') args.push(...outputArgs(spec))
  else for (const tag of spec.tags) args.push(`--tag=${tag}`)
  // First, so that a SOURCE_DATE_EPOCH among the user's build-args wins.
  if (spec.sourceDateEpoch !== undefined) args.push(`--build-arg=SOURCE_DATE_EPOCH=${Math.floor(spec.sourceDateEpoch)}`)
  for (const arg of spec.buildArgs) args.push(`--build-arg=${arg}`)
  for (const label of spec.labels) args.push(`--label=${label}`)
  if (spec.platforms.length > 0) {
    // buildx splits --platform on commas, so a comma inside one would make it two platforms.
    for (const p of spec.platforms) {
      if (p.includes(',') || p.trim() === '') throw new UserError(`invalid platform ${JSON.stringify(p)}`)
    }
    args.push(`--platform=${spec.platforms.join(',')}`)
  }
  if (spec.target) args.push(`--target=${spec.target}`)
  for (const secret of spec.secrets ?? []) args.push(`--secret=${secret}`)
  for (const ssh of spec.ssh ?? []) args.push(`--ssh=${ssh}`)
  for (const from of spec.cacheFrom) args.push(`--cache-from=${from}`)
  for (const to of cacheTos(spec)) args.push(`--cache-to=${to}`)
  if (spec.output !== 'push-by-digest') args.push(...outputArgs(spec))
  if (spec.sourceDateEpoch !== undefined) args.push('--provenance=false')
  if (spec.pull) args.push('--pull')
  if (spec.noCache) args.push('--no-cache')
  args.push(`--metadata-file=${spec.metadataFile}`)
  args.push(`--progress=${spec.progress ?? 'rawjson'}`)
  args.push(contextArg(spec.context))
  return args
}

/**
 * The command as it is logged (info level): build args with secret-looking names and
 * credentials in URLs masked, labels longer than 200 characters (the environment document)
 * shortened. Pure.
 */
export function displayCommand(spec: BuildSpec): string {
  const shown = buildxArgs(spec).map((a) => {
    const m = /^--(build-arg|label)=([^=]*)=(.*)$/s.exec(a)
    if (!m) return a
    const [, flag, key, value] = m
    if (flag === 'build-arg' && isSecretName(key!)) return `--build-arg=${key}=***`
    // Credentials in a value (URL userinfo, `?token=`…): the one redaction, src/text/redact.ts.
    const v = redact(value!)
    return `--${flag}=${key}=${v.length > 200 ? `${v.slice(0, 60)}… (${v.length} characters)` : v}`
  })
  return `docker ${shown.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')}`
}

export interface ContainerBuilderOptions {
  /** Builder name; default `conda-image-action-<random>`. */
  name?: string
  /**
   * `--driver-opt` values. Default `network=host`, so the builder reaches registries on the
   * runner's loopback (e.g. a `registry:2` service on localhost) like the engine does.
   */
  driverOpts?: readonly string[]
  /** Path of a buildkitd.toml (`--config`), e.g. to mark a registry insecure. */
  config?: string
}

/** argv (after `docker`) creating and booting a `docker-container` builder. Pure. */
export function createBuilderArgs(name: string, opts: ContainerBuilderOptions = {}): string[] {
  const args = ['buildx', 'create', '--driver=docker-container', `--name=${checkBuilderName(name)}`]
  for (const o of opts.driverOpts ?? ['network=host']) args.push(`--driver-opt=${o}`)
  if (opts.config) args.push(`--config=${opts.config}`)
  args.push('--bootstrap')
  return args
}

/** argv (after `docker`) removing a builder (and its state). Pure. */
export function removeBuilderArgs(name: string): string[] {
  return ['buildx', 'rm', checkBuilderName(name)]
}

/** argv (after `docker`) inspecting a builder (the selected one without a name). Pure. */
export function inspectBuilderArgs(name?: string): string[] {
  return name ? ['buildx', 'inspect', checkBuilderName(name)] : ['buildx', 'inspect']
}

/** Builder names as buildx accepts them; anything else is refused before it reaches argv. */
export function checkBuilderName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw new UserError(`invalid buildx builder name ${JSON.stringify(name)}`)
  }
  return name
}

/** The `--cache-to` values of a spec, as a list. */
export function cacheTos(spec: Pick<BuildSpec, 'cacheTo'>): string[] {
  if (spec.cacheTo === undefined) return []
  return (typeof spec.cacheTo === 'string' ? [spec.cacheTo] : [...spec.cacheTo]).filter(Boolean)
}
