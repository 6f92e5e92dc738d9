import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 32548:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   NO: () => (/* binding */ cacheToValue),
/* harmony export */   R2: () => (/* binding */ createBuilderArgs),
/* harmony export */   kc: () => (/* binding */ displayCommand),
/* harmony export */   lc: () => (/* binding */ checkBuilderName),
/* harmony export */   p5: () => (/* binding */ inspectBuilderArgs),
/* harmony export */   tk: () => (/* binding */ removeBuilderArgs),
/* harmony export */   w$: () => (/* binding */ buildxArgs),
/* harmony export */   z5: () => (/* binding */ cacheTos)
/* harmony export */ });
/* harmony import */ var _compression_index_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(99782);
/* harmony import */ var _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(42426);
/* harmony import */ var _text_redact_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(53326);
// Pure construction of `docker` argv for buildx. Every value travels as part of a single
// `--flag=value` element, so no value — whatever it starts with or contains — can be read
// as a second argument or a flag; nothing here ever passes through a shell.



/** `--cache-to` value for a registry cache that never fails the build. */
function cacheToValue(ref, mode) {
    return `type=registry,ref=${ref},mode=${mode},image-manifest=true,oci-mediatypes=true,ignore-error=true`;
}
/** The `--output` of a push by digest: the repository of the first tag (its tag dropped). */
function pushByDigest(tags, attrs) {
    const first = tags[0];
    if (!first)
        throw new Error('a push by digest needs the repository to push to');
    // `host[:port]/path:tag` → `host[:port]/path` (a colon after the last slash starts the tag).
    const slash = first.lastIndexOf('/');
    const colon = first.lastIndexOf(':');
    const name = colon > slash ? first.slice(0, colon) : first;
    if (/[,"=\s]/.test(name))
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo(`invalid image name ${JSON.stringify(name)}`);
    return ['type=image', `name=${name}`, 'push-by-digest=true', 'name-canonical=true', 'push=true', ...attrs].join(',');
}
/**
 * The output flags: `--push` / `--load` as they are; with a compression of its own, the same
 * exporters spelled out (`type=image,push=true` / `type=docker`) with its attributes.
 */
function outputArgs(spec) {
    const attrs = (0,_compression_index_js__WEBPACK_IMPORTED_MODULE_0__/* .exporterAttributes */ .bF)(spec.compression);
    if (spec.output === 'push-by-digest')
        return [`--output=${pushByDigest(spec.tags, attrs)}`];
    if (spec.output === 'push')
        return attrs.length ? [`--output=${['type=image', 'push=true', ...attrs].join(',')}`] : ['--push'];
    if (spec.output === 'load')
        return attrs.length ? [`--output=${['type=docker', ...attrs].join(',')}`] : ['--load'];
    return [];
}
/** A Docker context name as Docker accepts them (so it can never read as a flag). */
function checkContextName(name) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/.test(name))
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo(`invalid Docker context name ${JSON.stringify(name)}`);
    return name;
}
/**
 * The positional context argument. A context starting with `-` would be read as a flag (or,
 * as `-`, as "read the context from stdin"), so a relative one is made explicit with `./`.
 */
function contextArg(context) {
    if (context === '')
        return '.';
    return context.startsWith('-') ? `./${context}` : context;
}
/** The argv after `docker`: `buildx`, `build`, … (after `--context=<c>` for a context builder). Pure. */
function buildxArgs(spec) {
    const args = spec.dockerContext ? [`--context=${checkContextName(spec.dockerContext)}`, 'buildx', 'build'] : ['buildx', 'build'];
    if (spec.builder && !spec.dockerContext)
        args.push(`--builder=${spec.builder}`);
    args.push(`--file=${spec.dockerfile}`);
    if (spec.output === 'push-by-digest')
        args.push(...outputArgs(spec));
    else
        for (const tag of spec.tags)
            args.push(`--tag=${tag}`);
    // First, so that a SOURCE_DATE_EPOCH among the user's build-args wins.
    if (spec.sourceDateEpoch !== undefined)
        args.push(`--build-arg=SOURCE_DATE_EPOCH=${Math.floor(spec.sourceDateEpoch)}`);
    for (const arg of spec.buildArgs)
        args.push(`--build-arg=${arg}`);
    for (const label of spec.labels)
        args.push(`--label=${label}`);
    if (spec.platforms.length > 0) {
        // buildx splits --platform on commas, so a comma inside one would make it two platforms.
        for (const p of spec.platforms) {
            if (p.includes(',') || p.trim() === '')
                throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo(`invalid platform ${JSON.stringify(p)}`);
        }
        args.push(`--platform=${spec.platforms.join(',')}`);
    }
    if (spec.target)
        args.push(`--target=${spec.target}`);
    for (const secret of spec.secrets ?? [])
        args.push(`--secret=${secret}`);
    for (const ssh of spec.ssh ?? [])
        args.push(`--ssh=${ssh}`);
    for (const from of spec.cacheFrom)
        args.push(`--cache-from=${from}`);
    for (const to of cacheTos(spec))
        args.push(`--cache-to=${to}`);
    if (spec.output !== 'push-by-digest')
        args.push(...outputArgs(spec));
    if (spec.sourceDateEpoch !== undefined)
        args.push('--provenance=false');
    if (spec.pull)
        args.push('--pull');
    if (spec.noCache)
        args.push('--no-cache');
    args.push(`--metadata-file=${spec.metadataFile}`);
    args.push(`--progress=${spec.progress ?? 'rawjson'}`);
    args.push(contextArg(spec.context));
    return args;
}
/**
 * The command as it is logged (info level): build args with secret-looking names and
 * credentials in URLs masked, labels longer than 200 characters (the environment document)
 * shortened. Pure.
 */
function displayCommand(spec) {
    const shown = buildxArgs(spec).map((a) => {
        const m = /^--(build-arg|label)=([^=]*)=(.*)$/s.exec(a);
        if (!m)
            return a;
        const [, flag, key, value] = m;
        if (flag === 'build-arg' && (0,_text_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .isSecretName */ .eh)(key))
            return `--build-arg=${key}=***`;
        // Credentials in a value (URL userinfo, `?token=`…): the one redaction, src/text/redact.ts.
        const v = (0,_text_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .redact */ .E$)(value);
        return `--${flag}=${key}=${v.length > 200 ? `${v.slice(0, 60)}… (${v.length} characters)` : v}`;
    });
    return `docker ${shown.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')}`;
}
/** argv (after `docker`) creating and booting a `docker-container` builder. Pure. */
function createBuilderArgs(name, opts = {}) {
    const args = ['buildx', 'create', '--driver=docker-container', `--name=${checkBuilderName(name)}`];
    for (const o of opts.driverOpts ?? ['network=host'])
        args.push(`--driver-opt=${o}`);
    if (opts.config)
        args.push(`--config=${opts.config}`);
    args.push('--bootstrap');
    return args;
}
/** argv (after `docker`) removing a builder (and its state). Pure. */
function removeBuilderArgs(name) {
    return ['buildx', 'rm', checkBuilderName(name)];
}
/** argv (after `docker`) inspecting a builder (the selected one without a name). Pure. */
function inspectBuilderArgs(name) {
    return name ? ['buildx', 'inspect', checkBuilderName(name)] : ['buildx', 'inspect'];
}
/** Builder names as buildx accepts them; anything else is refused before it reaches argv. */
function checkBuilderName(name) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo(`invalid buildx builder name ${JSON.stringify(name)}`);
    }
    return name;
}
/** The `--cache-to` values of a spec, as a list. */
function cacheTos(spec) {
    if (spec.cacheTo === undefined)
        return [];
    return (typeof spec.cacheTo === 'string' ? [spec.cacheTo] : [...spec.cacheTo]).filter(Boolean);
}


/***/ }),

/***/ 3969:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  hD: () => (/* binding */ createContainerBuilder),
  IK: () => (/* binding */ inspectBuilder),
  iq: () => (/* binding */ removeBuilder),
  hm: () => (/* binding */ usesContainerdStore)
});

// UNUSED EXPORTS: DOCKER_DRIVER_NO_CACHE, parseInspect

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(77598);
// EXTERNAL MODULE: ./src/vocabulary/user-error.ts
var user_error = __nccwpck_require__(42426);
// EXTERNAL MODULE: ./src/buildx/argv.ts
var argv = __nccwpck_require__(32548);
// EXTERNAL MODULE: ./src/buildx/docker.ts
var docker = __nccwpck_require__(6034);
// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __nccwpck_require__(37067);
var external_node_http_default = /*#__PURE__*/__nccwpck_require__.n(external_node_http_);
// EXTERNAL MODULE: ./src/registry/credentials.ts
var credentials = __nccwpck_require__(3653);
;// CONCATENATED MODULE: ./src/buildx/engine.ts
// The local engine's image store, asked over its socket (the Engine API's `GET /info`)
// instead of starting the docker CLI for `docker info`: the CLI is a Go program of ~40 ms of
// CPU, and on a 2-core runner the action starts it while it hashes and lists tags. Only when
// the CLI itself would talk to the local socket (no DOCKER_HOST other than unix://, no Docker
// context chosen); anything else, and any failure here, is left to `docker info`.


const DEFAULT_SOCKET = '/var/run/docker.sock';
const INFO_MAX_BYTES = 1 << 20;
/** The socket the docker CLI would use for `env`, when it is a local Unix socket. Pure but for reading the Docker config. */
function localEngineSocket(env) {
    if (process.platform === 'win32')
        return undefined;
    const host = env.DOCKER_HOST;
    if (host)
        return host.startsWith('unix://') && host.length > 'unix://'.length ? host.slice('unix://'.length) : undefined;
    if (env.DOCKER_CONTEXT && env.DOCKER_CONTEXT !== 'default')
        return undefined;
    try {
        const current = (0,credentials/* readDockerConfig */.TO)((0,credentials/* defaultDockerConfigDir */.Fd)(env))?.config?.currentContext;
        if (current !== undefined && current !== '' && current !== 'default')
            return undefined;
    }
    catch {
        return undefined;
    }
    return DEFAULT_SOCKET;
}
/** `GET /info` of the engine on `socket` → its `DriverStatus` as JSON (what `docker info --format '{{json .DriverStatus}}'` prints). */
function engineDriverStatus(socket, timeoutMs = 10_000) {
    return new Promise((resolve, reject) => {
        const req = external_node_http_default().get({ socketPath: socket, path: '/info', headers: { host: 'docker' }, timeout: timeoutMs }, (res) => {
            const chunks = [];
            let bytes = 0;
            res.on('data', (c) => {
                bytes += c.length;
                if (bytes > INFO_MAX_BYTES)
                    req.destroy(new Error(`the engine's /info is larger than ${INFO_MAX_BYTES} bytes`));
                else
                    chunks.push(c);
            });
            res.on('end', () => {
                if (res.statusCode !== 200)
                    return reject(new Error(`the engine answered /info with HTTP ${res.statusCode}`));
                try {
                    const info = JSON.parse(Buffer.concat(chunks).toString('utf8'));
                    if (!info || typeof info !== 'object' || !Array.isArray(info.DriverStatus))
                        return reject(new Error("the engine's /info has no DriverStatus"));
                    resolve(JSON.stringify(info.DriverStatus));
                }
                catch (e) {
                    reject(e instanceof Error ? e : new Error(String(e)));
                }
            });
            res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error(`the engine did not answer /info within ${timeoutMs} ms`)));
        req.on('error', reject);
    });
}

;// CONCATENATED MODULE: ./src/buildx/builder-cli.ts
// buildx itself and its builders: version check, inspection (can it export a registry
// cache?), and a throwaway docker-container builder for runs whose builder cannot.





/** Parses the text of `docker buildx inspect`. Pure. */
function parseInspect(out) {
    let name = '';
    let driver = '';
    let endpoint;
    let status;
    let buildkit;
    const platforms = [];
    let inNodes = false;
    for (const raw of out.split('\n')) {
        const m = /^([A-Za-z][A-Za-z ]*?):\s*(.*)$/.exec(raw.trimEnd());
        if (!m)
            continue;
        const [, key, value = ''] = m;
        if (key === 'Nodes') {
            inNodes = true;
            continue;
        }
        if (!inNodes) {
            if (key === 'Name' && name === '')
                name = value;
            else if (key === 'Driver' && driver === '')
                driver = value;
        }
        else if (key === 'Endpoint' && endpoint === undefined) {
            endpoint = value;
        }
        else if (key === 'Status' && status === undefined) {
            status = value;
        }
        else if (key === 'BuildKit version' && buildkit === undefined) {
            buildkit = value;
        }
        else if (key === 'Platforms') {
            for (const p of value.split(',')) {
                const plat = p.trim().replace(/\*$/, '');
                if (plat !== '' && !platforms.includes(plat))
                    platforms.push(plat);
            }
        }
    }
    const r = { name, driver, platforms };
    if (endpoint !== undefined)
        r.endpoint = endpoint;
    if (status !== undefined)
        r.status = status;
    if (buildkit !== undefined)
        r.buildkit = buildkit;
    return r;
}
/** `docker info --format '{{json .DriverStatus}}'` → whether the containerd image store is on. Pure. */
function usesContainerdStore(driverStatusJson) {
    try {
        const status = JSON.parse(driverStatusJson.trim());
        if (!Array.isArray(status))
            return false;
        return status.some((pair) => Array.isArray(pair) && pair[0] === 'driver-type' && typeof pair[1] === 'string' && pair[1].startsWith('io.containerd.snapshotter'));
    }
    catch {
        return false;
    }
}
const DOCKER_DRIVER_NO_CACHE = 'the "docker" driver exports a registry build cache only with the containerd image store ' +
    '(dockerd "features": {"containerd-snapshotter": true}); use a docker-container builder (docker/setup-buildx-action) or enable it';
/**
 * `docker buildx inspect [name]`. For the `docker` driver, cache export needs the engine's
 * containerd image store (DriverStatus `driver-type io.containerd.snapshotter.v1`), read over
 * the local engine's socket when the CLI would use it (src/buildx/engine.ts), else with
 * `docker info`; every other driver (docker-container, kubernetes, remote, cloud) can export.
 */
async function inspectBuilder(name, opts = {}) {
    const defaultInfoArgs = ['info', '--format={{json .DriverStatus}}'];
    // The usual case is the default builder of the local engine: ask the engine at the same
    // time as buildx.
    const socket = name ? undefined : localEngineSocket(opts.env ?? process.env);
    const early = socket ? engineDriverStatus(socket) : undefined;
    early?.catch(() => undefined);
    const r = await (0,docker/* docker */.T3)((0,argv/* inspectBuilderArgs */.p5)(name), { timeoutMs: 60_000, ...opts });
    if (r.code !== 0) {
        const out = r.stderr + r.stdout;
        if ((0,docker/* isBuildxMissing */.Tk)(out))
            throw new user_error/* UserError */.yo(docker/* BUILDX_MISSING */.QG);
        if (name && /no builder|not found/i.test(out)) {
            throw new user_error/* UserError */.yo(`buildx builder "${name}" was not found (docker buildx ls lists the builders): ${(0,docker/* briefOutput */.uB)(out, 3)}`);
        }
        throw new Error(`docker buildx inspect${name ? ` ${name}` : ''} failed (exit ${r.code}): ${(0,docker/* briefOutput */.uB)(out)}`);
    }
    const parsed = parseInspect(r.stdout);
    const info = {
        name: parsed.name || name || 'default',
        driver: parsed.driver,
        canExportCache: true,
        platforms: parsed.platforms,
        ...(parsed.buildkit ? { buildkit: parsed.buildkit } : {}),
    };
    if (parsed.driver === 'docker') {
        // The docker driver's endpoint is a docker context name; ask that engine.
        const ctx = parsed.endpoint && /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/.test(parsed.endpoint) && parsed.endpoint !== 'default' ? parsed.endpoint : undefined;
        if (ctx && name)
            info.dockerContext = ctx;
        const fromSocket = !ctx && early ? await early.catch(() => undefined) : undefined;
        const di = fromSocket !== undefined
            ? { code: 0, stdout: fromSocket, stderr: '' }
            : await (0,docker/* docker */.T3)([...(ctx ? [`--context=${ctx}`] : []), ...defaultInfoArgs], { timeoutMs: 60_000, ...opts });
        if (di.code !== 0) {
            info.canExportCache = false;
            info.reason = `could not read the engine's image store (docker info failed: ${(0,docker/* briefOutput */.uB)(di.stderr, 3)}); ${DOCKER_DRIVER_NO_CACHE}`;
        }
        else if (!usesContainerdStore(di.stdout)) {
            info.canExportCache = false;
            info.reason = DOCKER_DRIVER_NO_CACHE;
            info.containerdStore = false;
        }
        else {
            info.containerdStore = true;
        }
    }
    return info;
}
/**
 * Creates and boots a `docker-container` builder for this run (remove it with
 * `removeBuilder`); returns its name. Needs the `moby/buildkit` image (pulled from Docker Hub
 * unless `driverOpts` name another `image=`).
 */
async function createContainerBuilder(opts = {}) {
    const name = opts.name ?? `conda-image-action-${(0,external_node_crypto_.randomBytes)(4).toString('hex')}`;
    const r = await (0,docker/* docker */.T3)((0,argv/* createBuilderArgs */.R2)(name, opts), { timeoutMs: 300_000, ...opts });
    if (r.code !== 0) {
        const out = r.stderr + r.stdout;
        if ((0,docker/* isBuildxMissing */.Tk)(out))
            throw new user_error/* UserError */.yo(docker/* BUILDX_MISSING */.QG);
        // It may exist half-booted; do not leave it behind.
        await (0,docker/* docker */.T3)((0,argv/* removeBuilderArgs */.tk)(name), { timeoutMs: 60_000, env: opts.env }).catch(() => undefined);
        throw new Error(`could not create a docker-container buildx builder (exit ${r.code}): ${(0,docker/* briefOutput */.uB)(out)}`);
    }
    return name;
}
/** Removes a builder (and its state). A builder that no longer exists is not an error. */
async function removeBuilder(name, opts = {}) {
    const r = await (0,docker/* docker */.T3)((0,argv/* removeBuilderArgs */.tk)(name), { timeoutMs: 120_000, ...opts });
    if (r.code === 0)
        return;
    const out = r.stderr + r.stdout;
    if (/no builder .*found|not found/i.test(out))
        return;
    throw new Error(`docker buildx rm ${name} failed (exit ${r.code}): ${(0,docker/* briefOutput */.uB)(out)}`);
}


/***/ }),

/***/ 6034:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   EO: () => (/* reexport safe */ _runner_process_js__WEBPACK_IMPORTED_MODULE_1__.EO),
/* harmony export */   QG: () => (/* binding */ BUILDX_MISSING),
/* harmony export */   T3: () => (/* binding */ docker),
/* harmony export */   Tk: () => (/* binding */ isBuildxMissing),
/* harmony export */   uB: () => (/* binding */ briefOutput)
/* harmony export */ });
/* harmony import */ var _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(42426);
/* harmony import */ var _runner_process_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(99077);
// Spawning `docker` with an argv array (never a shell).



const BUILDX_MISSING = 'docker buildx is not available: install the Docker buildx plugin (e.g. the docker-buildx-plugin package, or docker/setup-buildx-action) — this action builds with `docker buildx build`';
/** True when docker says it has no `buildx` command (plugin missing). */
function isBuildxMissing(stderr) {
    return /'buildx' is not a docker command|unknown command "buildx"|unknown command: docker buildx/i.test(stderr);
}
/** Runs `docker <args>` to completion, collecting (bounded) output. Rejects only when it cannot run. */
async function docker(args, opts = {}) {
    const proc = opts.proc ?? _runner_process_js__WEBPACK_IMPORTED_MODULE_1__/* .execProcess */ .ZG;
    try {
        const r = await proc.run('docker', args, { env: opts.env, signal: opts.signal, timeoutMs: opts.timeoutMs ?? 120_000, maxBuffer: opts.maxBuffer });
        if (r.killed)
            throw new Error(`docker ${args.slice(0, 2).join(' ')} was killed (SIGKILL)${r.killed === 'aborted' ? ': aborted' : ''}`);
        return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    }
    catch (e) {
        if ((0,_runner_process_js__WEBPACK_IMPORTED_MODULE_1__/* .isProgramNotFound */ .qi)(e))
            throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(_runner_process_js__WEBPACK_IMPORTED_MODULE_1__/* .DOCKER_MISSING */ .EO);
        throw e;
    }
}
/** Short, single-paragraph form of a command's error output for messages. */
function briefOutput(text, maxLines = 20) {
    const lines = text
        .split('\n')
        .map((l) => l.trimEnd())
        .filter((l) => l !== '');
    return lines.slice(-maxLines).join('\n');
}


/***/ }),

/***/ 99782:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   MB: () => (/* binding */ compressionOf),
/* harmony export */   Ue: () => (/* binding */ Compressions),
/* harmony export */   bF: () => (/* binding */ exporterAttributes),
/* harmony export */   sJ: () => (/* binding */ compressionProblem)
/* harmony export */ });
/* unused harmony exports LEVELS, isDefaultCompression, MIN_BUILDKIT, buildkitVersion */
/* harmony import */ var _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(42426);
// Layer compression of the pushed images (`compression`, `compression-level`): what is
// accepted, the exporter attributes BuildKit gets, and whether a builder can produce it.
// Pure functions over plain data.

const Compressions = ['gzip', 'zstd', 'estargz'];
/** The levels BuildKit accepts for each kind (gzip and estargz are gzip streams; zstd's own scale). */
const LEVELS = {
    gzip: { min: 0, max: 9 },
    estargz: { min: 0, max: 9 },
    zstd: { min: 0, max: 22 },
};
/** The inputs as one value; a level outside the kind's range is a UserError naming both inputs. */
function compressionOf(kind, level, names) {
    if (level === undefined)
        return { kind };
    const { min, max } = LEVELS[kind];
    if (level < min || level > max) {
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`Input "${names.level}" must be from ${min} to ${max} for ${names.kind}: ${kind}, got ${level}`);
    }
    return { kind, level };
}
/** Whether the images are built exactly as without the inputs (gzip at BuildKit's default level): then no attribute is added. */
function isDefaultCompression(c) {
    return c === undefined || (c.kind === 'gzip' && c.level === undefined);
}
/**
 * The exporter attributes (`key=value`, in order) that make BuildKit compress every layer of
 * the image — those of the `FROM` image too (`force-compression`) — with `c`. zstd and
 * estargz layers have OCI media types only. Empty for the default.
 */
function exporterAttributes(c) {
    if (!c || isDefaultCompression(c))
        return [];
    const attrs = [`compression=${c.kind}`];
    if (c.level !== undefined)
        attrs.push(`compression-level=${c.level}`);
    attrs.push('force-compression=true');
    if (c.kind !== 'gzip')
        attrs.push('oci-mediatypes=true');
    return attrs;
}
/** The first BuildKit release that exports each kind (with `force-compression` and `compression-level`). */
const MIN_BUILDKIT = {
    gzip: [0, 10],
    zstd: [0, 10],
    estargz: [0, 10],
};
/** `v0.13.2` → [0, 13]; undefined when the version is not a real one (`v0.0.0+unknown`, a dev build). */
function buildkitVersion(v) {
    const m = /^v?(\d+)\.(\d+)\.\d+/.exec(v?.trim() ?? '');
    if (!m)
        return undefined;
    const major = Number(m[1]);
    const minor = Number(m[2]);
    return major === 0 && minor === 0 ? undefined : [major, minor];
}
/**
 * Why the builder cannot produce `c` (a sentence naming the builder and what to do), or
 * undefined when it can, or when nothing says it cannot. Only what departs from the default
 * is checked: a default build is what it always was.
 */
function compressionProblem(c, b) {
    if (!c || isDefaultCompression(c))
        return undefined;
    const what = `compression: ${c.kind}${c.level !== undefined ? ` (level ${c.level})` : ''}`;
    if (b.driver === 'docker' && c.kind !== 'gzip' && b.containerdStore !== true) {
        return (`The buildx builder "${b.name}" (docker driver) cannot produce ${what}: the Docker engine's ${b.containerdStore === false ? 'classic image store' : 'image store (unknown)'} exports gzip layers only. ` +
            'Enable the containerd image store (dockerd "features": {"containerd-snapshotter": true}), use a docker-container builder (docker/setup-buildx-action), or use compression: gzip');
    }
    const have = buildkitVersion(b.buildkit);
    const need = MIN_BUILDKIT[c.kind];
    if (have && (have[0] < need[0] || (have[0] === need[0] && have[1] < need[1]))) {
        return `The buildx builder "${b.name}" runs BuildKit ${b.buildkit}, which cannot produce ${what}: it needs BuildKit v${need[0]}.${need[1]} or later`;
    }
    return undefined;
}


/***/ }),

/***/ 35400:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   w: () => (/* binding */ startEarly)
/* harmony export */ });
/* harmony import */ var _buildx_argv_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(32548);
/* harmony import */ var _buildx_builder_cli_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(3969);
/* harmony import */ var _vocabulary_constants_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(70209);
/* harmony import */ var _fs_runner_files_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(28663);
/* harmony import */ var _runner_workflow_commands_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(91520);
/* harmony import */ var _registry_credentials_js__WEBPACK_IMPORTED_MODULE_5__ = __nccwpck_require__(3653);
// What the entry point starts before it loads the rest of the action: with an application
// Dockerfile (outside plan and merge modes) a build is certain, and the builder's inspection —
// a docker CLI start of 0.1–0.3 s, the slowest step before a build — can run while Node
// loads and evaluates the bundle, instead of after the inputs are parsed. Only the raw inputs
// are read here; the Inputs phase still validates everything and decides (buildCertain in
// src/run/run-plan.ts). A result nobody asks for is dropped.






function startEarly(env) {
    const mode = (0,_runner_workflow_commands_js__WEBPACK_IMPORTED_MODULE_4__/* .getInput */ .V4)(_vocabulary_constants_js__WEBPACK_IMPORTED_MODULE_2__/* .Inputs */ .G0.Mode, env);
    if (!(0,_runner_workflow_commands_js__WEBPACK_IMPORTED_MODULE_4__/* .getInput */ .V4)(_vocabulary_constants_js__WEBPACK_IMPORTED_MODULE_2__/* .Inputs */ .G0.Dockerfile, env) || mode === 'plan' || mode === 'merge')
        return {};
    const raw = (0,_runner_workflow_commands_js__WEBPACK_IMPORTED_MODULE_4__/* .getInput */ .V4)(_vocabulary_constants_js__WEBPACK_IMPORTED_MODULE_2__/* .Inputs */ .G0.Builder, env);
    let builder;
    try {
        // A Docker config the run refuses (inside the workspace, a FIFO) is never handed to docker.
        (0,_fs_runner_files_js__WEBPACK_IMPORTED_MODULE_3__/* .checkDockerConfig */ .FS)((0,_registry_credentials_js__WEBPACK_IMPORTED_MODULE_5__/* .defaultDockerConfigDir */ .Fd)(env), env.GITHUB_WORKSPACE ?? process.cwd());
        builder = raw ? (0,_buildx_argv_js__WEBPACK_IMPORTED_MODULE_0__/* .checkBuilderName */ .lc)(raw) : undefined;
    }
    catch {
        return {}; // the Inputs phase reports it
    }
    const info = (0,_buildx_builder_cli_js__WEBPACK_IMPORTED_MODULE_1__/* .inspectBuilder */ .IK)(builder, { env });
    info.catch(() => undefined);
    return { inspect: { builder, info } };
}


/***/ }),

/***/ 58755:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   FK: () => (/* binding */ isInside),
/* harmony export */   Hz: () => (/* binding */ readConfined),
/* harmony export */   JU: () => (/* binding */ appendBoundedSync),
/* harmony export */   RW: () => (/* binding */ ConfinedError),
/* harmony export */   S$: () => (/* binding */ readConfinedSync),
/* harmony export */   a2: () => (/* binding */ describeRefusal),
/* harmony export */   cT: () => (/* binding */ walkConfined),
/* harmony export */   lH: () => (/* binding */ statConfined),
/* harmony export */   pY: () => (/* binding */ isConfinedError),
/* harmony export */   ri: () => (/* binding */ readFileBoundedSync),
/* harmony export */   us: () => (/* binding */ resolveConfinedSync),
/* harmony export */   vX: () => (/* binding */ hashConfined),
/* harmony export */   w5: () => (/* binding */ openRegularSync),
/* harmony export */   xJ: () => (/* binding */ workspaceAt)
/* harmony export */ });
/* unused harmony exports workspaceDir, isSystemPath, reasonOfCode, MAX_PATH, resolveConfined, readBoundedSync */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(73024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__nccwpck_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(51455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__nccwpck_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(76760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__nccwpck_require__.n(node_path__WEBPACK_IMPORTED_MODULE_3__);
// Confined, bounded file access: the only way the action reads a file because of user input.
//
// A pull request controls the environment file, every file it references and the base
// Dockerfile, so every such path is treated as hostile:
// - it is resolved to its real path (symlinks followed) and must lie inside the workspace
//   root (itself taken as a real path); `..` and symlinks cannot leave it;
// - nothing under /proc, /sys or /dev is ever touched, whatever the workspace is;
// - only regular files are read: every file is opened with O_NONBLOCK (and O_NOFOLLOW once
//   resolved: a FIFO or symlink swapped in cannot hang or redirect the read) and kept only when
//   fstat on the descriptor says it is a regular file within the size cap (openRegularSync —
//   the one opener, also for the runner's files in runner-files.ts);
// - every read is capped while it streams (no read of a size the file claims);
// - directory walks stop at a count and depth limit and never follow symlinks.
//
// Refusals are `ConfinedError`s with a stable `reason`; their messages name the path as given,
// never file content. Callers turn them into user errors or warnings in their own words.




class ConfinedError extends Error {
    reason;
    /** The path as the caller gave it. */
    given;
    /** Why, in words ("it is larger than 1 MiB"): the message without the path. */
    detail;
    constructor(reason, given, detail) {
        super(`${given}: ${detail ?? describeRefusal(reason)}`);
        this.detail = detail ?? describeRefusal(reason);
        this.name = 'ConfinedError';
        this.reason = reason;
        this.given = given;
    }
}
function isConfinedError(e) {
    return e instanceof ConfinedError;
}
/** Words for a refusal, for messages ("… cannot be read: <words>"). */
function describeRefusal(reason) {
    switch (reason) {
        case 'outside':
            return 'it is outside the workspace';
        case 'system':
            return 'it is a system path (/proc, /sys, /dev)';
        case 'missing':
            return 'file not found';
        case 'directory':
            return 'it is a directory';
        case 'not-regular':
            return 'it is not a regular file (a device, FIFO or socket)';
        case 'denied':
            return 'permission denied';
        case 'too-large':
            return 'it is too large';
        case 'invalid':
            return 'the path cannot be resolved';
    }
}
/** `GITHUB_WORKSPACE`, else the working directory (absolute, not yet a real path). */
function workspaceDir(env = process.env, cwd = process.cwd()) {
    return path.resolve(cwd, env.GITHUB_WORKSPACE || '.');
}
/** The workspace rooted at `dir` (its real path; `dir` itself must exist). */
function workspaceAt(dir) {
    return Object.freeze({ root: node_fs__WEBPACK_IMPORTED_MODULE_1__.realpathSync.native(node_path__WEBPACK_IMPORTED_MODULE_3___default().resolve(dir)) });
}
const SYSTEM_ROOTS = ['/proc', '/sys', '/dev'];
/** True for /proc, /sys, /dev and anything under them. */
function isSystemPath(abs) {
    return SYSTEM_ROOTS.some((r) => abs === r || abs.startsWith(`${r}/`));
}
/** True when `abs` is `root` or below it (both absolute, normalized). */
function isInside(root, abs) {
    const rel = node_path__WEBPACK_IMPORTED_MODULE_3___default().relative(root, abs);
    return rel === '' || (!node_path__WEBPACK_IMPORTED_MODULE_3___default().isAbsolute(rel) && !/^\.\.(?:[\\/]|$)/.test(rel));
}
/** Refusal reason of a Node fs error code. */
function reasonOfCode(code) {
    switch (code) {
        case 'ENOENT':
        case 'ENOTDIR':
            return 'missing';
        case 'EISDIR':
            return 'directory';
        case 'EACCES':
        case 'EPERM':
            return 'denied';
        case 'ENXIO':
        case 'EAGAIN':
        case 'EWOULDBLOCK':
            return 'not-regular';
        default:
            return 'invalid';
    }
}
const codeOf = (e) => e?.code;
/** Longest path resolved (Linux's PATH_MAX): longer ones fail in the kernel anyway, and cost time here. */
const MAX_PATH = 4096;
function lexicalCheck(given, abs) {
    if (abs.includes('\0') || abs.length > MAX_PATH)
        throw new ConfinedError('invalid', given);
    if (isSystemPath(abs))
        throw new ConfinedError('system', given);
}
function realCheck(ws, given, abs, real) {
    if (isSystemPath(real))
        throw new ConfinedError('system', given);
    if (!isInside(ws.root, real))
        throw new ConfinedError('outside', given);
    const rel = node_path__WEBPACK_IMPORTED_MODULE_3___default().relative(ws.root, real).split((node_path__WEBPACK_IMPORTED_MODULE_3___default().sep)).join('/') || '.';
    return { abs, real, rel };
}
/** A missing path: `outside` when it would lie outside the workspace anyway, else the fs reason. */
function resolveFailure(ws, given, abs, e) {
    const reason = reasonOfCode(codeOf(e));
    if (reason === 'missing' && (!isInside(ws.root, abs) || !isInside(ws.root, safeRealParent(abs))))
        return new ConfinedError('outside', given);
    return new ConfinedError(reason, given);
}
/** Real path of the deepest existing ancestor of `abs` joined with the rest (best effort). */
function safeRealParent(abs) {
    let dir = abs;
    const rest = [];
    for (;;) {
        try {
            return node_path__WEBPACK_IMPORTED_MODULE_3___default().join(node_fs__WEBPACK_IMPORTED_MODULE_1__.realpathSync.native(dir), ...rest);
        }
        catch {
            const up = node_path__WEBPACK_IMPORTED_MODULE_3___default().dirname(dir);
            if (up === dir)
                return abs;
            rest.unshift(node_path__WEBPACK_IMPORTED_MODULE_3___default().basename(dir));
            dir = up;
        }
    }
}
/**
 * Resolves `p` (relative to `base`, default the workspace root) to a real path inside the
 * workspace. (Synchronous inside: a path resolves in microseconds, and thousands of
 * references through the thread pool would cost seconds.)
 */
function resolveConfined(ws, p, base = ws.root) {
    return new Promise((resolve) => resolve(resolveConfinedSync(ws, p, base)));
}
/** Synchronous resolveConfined (for input validation). */
function resolveConfinedSync(ws, p, base = ws.root) {
    const abs = node_path__WEBPACK_IMPORTED_MODULE_3___default().resolve(base, p);
    lexicalCheck(p, abs);
    let real;
    try {
        real = node_fs__WEBPACK_IMPORTED_MODULE_1__.realpathSync.native(abs);
    }
    catch (e) {
        throw resolveFailure(ws, p, abs, e);
    }
    return realCheck(ws, p, abs, real);
}
/** What a stat says about a resolved path, as a refusal (undefined = a regular file). */
function typeRefusal(st) {
    if (st.isFile())
        return undefined;
    return st.isDirectory() ? 'directory' : 'not-regular';
}
const NONBLOCK = node_fs__WEBPACK_IMPORTED_MODULE_1__.constants.O_NONBLOCK ?? 0;
const NOFOLLOW = node_fs__WEBPACK_IMPORTED_MODULE_1__.constants.O_NOFOLLOW ?? 0;
const CHUNK = 64 * 1024;
const tooLarge = (given, maxBytes) => new ConfinedError('too-large', given, `it is larger than ${formatLimit(maxBytes)}`);
/**
 * The one way the action opens a file: without blocking (O_NONBLOCK: a FIFO or device swapped
 * in cannot hang the open), then fstat on the descriptor — only a regular file of at most
 * `maxBytes` is kept. `follow: false` also refuses a symlink (O_NOFOLLOW) for paths already
 * resolved to their real path. Returns the open descriptor; refusals are ConfinedErrors.
 */
function openRegularSync(file, given, opts) {
    let fd;
    try {
        fd = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.openSync)(file, opts.flags | NONBLOCK | (opts.follow === false ? NOFOLLOW : 0));
    }
    catch (e) {
        throw new ConfinedError(codeOf(e) === 'ELOOP' ? 'invalid' : reasonOfCode(codeOf(e)), given);
    }
    try {
        const st = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.fstatSync)(fd);
        const refusal = typeRefusal(st);
        if (refusal)
            throw new ConfinedError(refusal, given);
        if (st.size > opts.maxBytes)
            throw tooLarge(given, opts.maxBytes);
        return fd;
    }
    catch (e) {
        (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.closeSync)(fd);
        throw e;
    }
}
/**
 * Reads a regular file (opened by openRegularSync) in chunks handed to `onChunk`, refused as
 * `too-large` as soon as it streams past `maxBytes` (a file growing after the fstat included).
 * Returns the number of bytes read.
 */
function readBoundedSync(file, given, limits, onChunk) {
    const fd = openRegularSync(file, given, { flags: node_fs__WEBPACK_IMPORTED_MODULE_1__.constants.O_RDONLY, maxBytes: limits.maxBytes, follow: limits.follow });
    try {
        let total = 0;
        for (;;) {
            const buf = Buffer.allocUnsafe(Math.min(CHUNK, limits.maxBytes + 1 - total));
            const n = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readSync)(fd, buf, 0, buf.length, null);
            if (n === 0)
                return total;
            total += n;
            if (total > limits.maxBytes)
                throw tooLarge(given, limits.maxBytes);
            onChunk(buf.subarray(0, n));
        }
    }
    catch (e) {
        throw isConfinedError(e) ? e : new ConfinedError(reasonOfCode(codeOf(e)), given);
    }
    finally {
        (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.closeSync)(fd);
    }
}
/** A whole file, bounded (readBoundedSync into one buffer). */
function readFileBoundedSync(file, given, limits) {
    const chunks = [];
    const total = readBoundedSync(file, given, limits, (c) => chunks.push(c));
    return Buffer.concat(chunks, total);
}
/**
 * Appends `text` to a file that must already exist as a regular file (the runner's
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY), opened without blocking; refused (`too-large`) when
 * the file would grow past `maxBytes`.
 */
function appendBoundedSync(file, given, text, maxBytes) {
    const bytes = Buffer.from(text, 'utf8');
    const fd = openRegularSync(file, given, { flags: node_fs__WEBPACK_IMPORTED_MODULE_1__.constants.O_WRONLY | node_fs__WEBPACK_IMPORTED_MODULE_1__.constants.O_APPEND, maxBytes });
    try {
        if ((0,node_fs__WEBPACK_IMPORTED_MODULE_1__.fstatSync)(fd).size + bytes.length > maxBytes)
            throw new ConfinedError('too-large', given, `it would grow past ${formatLimit(maxBytes)}`);
        let off = 0;
        while (off < bytes.length)
            off += (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.writeSync)(fd, bytes, off, bytes.length - off);
    }
    catch (e) {
        throw isConfinedError(e) ? e : new ConfinedError(reasonOfCode(codeOf(e)), given);
    }
    finally {
        (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.closeSync)(fd);
    }
}
/** Reads a regular file inside the workspace, at most `maxBytes` (refused beyond). */
function readConfined(ws, p, limits, base) {
    return new Promise((resolve) => resolve(readConfinedSync(ws, p, limits, base)));
}
/** Synchronous readConfined (for input validation). */
function readConfinedSync(ws, p, limits, base) {
    const target = resolveConfinedSync(ws, p, base);
    return { ...target, bytes: readFileBoundedSync(target.real, p, { maxBytes: limits.maxBytes, follow: false }) };
}
/**
 * sha256 (hex) of a regular file inside the workspace, streamed (constant memory); refused
 * (`too-large`) when it has more than `maxBytes`.
 */
function hashConfined(ws, p, limits, base) {
    return new Promise((resolve) => {
        const target = resolveConfinedSync(ws, p, base);
        const h = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha256');
        const size = readBoundedSync(target.real, p, { maxBytes: limits.maxBytes, follow: false }, (c) => h.update(c));
        resolve({ ...target, sha256: h.digest('hex'), size });
    });
}
/** Type (file or directory, symlinks followed) and size of a path inside the workspace, without opening it. */
function statConfined(ws, p, base) {
    return new Promise((resolve) => resolve(statConfinedSync(ws, p, base)));
}
function statConfinedSync(ws, p, base) {
    const target = resolveConfinedSync(ws, p, base);
    let st;
    try {
        st = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.statSync)(target.real);
    }
    catch (e) {
        throw new ConfinedError(reasonOfCode(codeOf(e)), p);
    }
    if (st.isDirectory())
        return { ...target, type: 'directory', size: 0 };
    if (st.isFile())
        return { ...target, type: 'file', size: st.size };
    throw new ConfinedError('not-regular', p);
}
function formatLimit(bytes) {
    return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}
/**
 * Lists a directory tree inside the workspace, depth first, sorted, without following
 * symlinks (they are entries). `dir` must be a directory inside the workspace.
 */
async function walkConfined(ws, dir, limits, base) {
    const start = await resolveConfined(ws, dir, base);
    const entries = [];
    let files = 0;
    let stopped;
    const toRel = (p) => node_path__WEBPACK_IMPORTED_MODULE_3___default().relative(start.real, p).split((node_path__WEBPACK_IMPORTED_MODULE_3___default().sep)).join('/');
    const visit = async (d, depth) => {
        let names;
        try {
            names = (await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.readdir)(d)).sort();
        }
        catch (e) {
            entries.push({ type: 'unreadable', rel: toRel(d) || '.', abs: d, reason: reasonOfCode(codeOf(e)) });
            return;
        }
        for (const name of names) {
            if (stopped === 'files')
                return;
            const p = node_path__WEBPACK_IMPORTED_MODULE_3___default().join(d, name);
            const rel = toRel(p);
            const st = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.lstat)(p).catch(() => undefined);
            if (!st)
                continue;
            if (st.isDirectory()) {
                if (limits.include && !limits.include(rel, name, true))
                    continue;
                if (isSystemPath(p))
                    continue;
                if (depth + 1 > limits.maxDepth) {
                    stopped ??= 'depth';
                    continue;
                }
                await visit(p, depth + 1);
                continue;
            }
            if (limits.include && !limits.include(rel, name, false))
                continue;
            if (st.isSymbolicLink())
                entries.push({ type: 'symlink', rel, abs: p, target: await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.readlink)(p).catch(() => '?') });
            else if (st.isFile()) {
                if (++files > limits.maxFiles) {
                    stopped = 'files';
                    return;
                }
                entries.push({ type: 'file', rel, abs: p, size: st.size });
            }
            else
                entries.push({ type: 'special', rel, abs: p });
        }
    };
    let st;
    try {
        st = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.stat)(start.real);
    }
    catch (e) {
        throw new ConfinedError(reasonOfCode(codeOf(e)), dir);
    }
    if (!st.isDirectory())
        throw new ConfinedError('not-regular', dir, 'it is not a directory');
    await visit(start.real, 0);
    return { ...start, entries, stopped };
}


/***/ }),

/***/ 28663:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   FB: () => (/* binding */ checkAppendable),
/* harmony export */   FS: () => (/* binding */ checkDockerConfig),
/* harmony export */   Lh: () => (/* binding */ readRunnerFile),
/* harmony export */   TL: () => (/* binding */ appendRunnerFile),
/* harmony export */   gK: () => (/* binding */ RUNNER_FILE_CAPS)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(73024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(76760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__nccwpck_require__.n(node_path__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(42426);
/* harmony import */ var _confined_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(58755);
// The runner's files: the event payload (GITHUB_EVENT_PATH), the step's outputs
// (GITHUB_OUTPUT) and job summary (GITHUB_STEP_SUMMARY), the Docker config. An earlier step
// of the job can replace any of them (with a FIFO that blocks an open, a device, a file of
// gigabytes), so they go through the same bounded opener as workspace files
// (openRegularSync: O_NONBLOCK, fstat, a size cap) and a refusal is one user error naming
// the variable, the path and the cap.




const MiB = 1024 * 1024;
/** Size caps of the runner's files. */
const RUNNER_FILE_CAPS = {
    /** GitHub caps webhook payloads at 25 MB; the event file is never larger. */
    GITHUB_EVENT_PATH: 25 * MiB,
    /** GitHub's documented limit of one step's job summary (larger ones are not shown). */
    GITHUB_STEP_SUMMARY: MiB,
    /** The outputs file after this step's few outputs (GitHub keeps at most 1 MiB of a job's outputs). */
    GITHUB_OUTPUT: 16 * MiB,
    /** A Docker config.json (a few KiB in practice). */
    DOCKER_CONFIG: 4 * MiB,
};
const LABEL = {
    GITHUB_EVENT_PATH: 'The event payload file (GITHUB_EVENT_PATH)',
    GITHUB_STEP_SUMMARY: 'The job summary file (GITHUB_STEP_SUMMARY)',
    GITHUB_OUTPUT: 'The step outputs file (GITHUB_OUTPUT)',
    DOCKER_CONFIG: 'The Docker config (config.json of DOCKER_CONFIG or ~/.docker)',
};
function runnerFileError(name, file, e) {
    return new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_2__/* .UserError */ .yo(`${LABEL[name]} "${file}" could not be ${name === 'GITHUB_OUTPUT' || name === 'GITHUB_STEP_SUMMARY' ? 'written' : 'read'}: ${e.detail}`);
}
function named(name, file, f) {
    try {
        return f();
    }
    catch (e) {
        throw (0,_confined_js__WEBPACK_IMPORTED_MODULE_3__/* .isConfinedError */ .pY)(e) ? runnerFileError(name, file, e) : e;
    }
}
/** The whole of a runner file (a regular file within its cap), else a UserError naming it. */
function readRunnerFile(name, file) {
    return named(name, file, () => (0,_confined_js__WEBPACK_IMPORTED_MODULE_3__/* .readFileBoundedSync */ .ri)(file, file, { maxBytes: RUNNER_FILE_CAPS[name] }));
}
/** Appends to a runner file that exists as a regular file (and stays within its cap), else a UserError naming it. */
function appendRunnerFile(name, file, text) {
    named(name, file, () => (0,_confined_js__WEBPACK_IMPORTED_MODULE_3__/* .appendBoundedSync */ .JU)(file, file, text, RUNNER_FILE_CAPS[name]));
}
/** Checks up front that a runner file the step appends to can be appended to (without blocking). */
function checkAppendable(name, file) {
    named(name, file, () => (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.closeSync)((0,_confined_js__WEBPACK_IMPORTED_MODULE_3__/* .openRegularSync */ .w5)(file, file, { flags: node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.O_WRONLY | node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.O_APPEND, maxBytes: RUNNER_FILE_CAPS[name] })));
}
/**
 * The Docker config the docker CLI will read: the runner's (the user's), never one a pull
 * request controls — a config directory inside the workspace names the programs Docker runs
 * (`credsStore`, `credHelpers`, `cli-plugins/`), so it is a user error. Its config.json, when
 * there is one, must be a regular file within the cap (a FIFO would block the docker CLI too).
 */
function checkDockerConfig(dir, workspace) {
    const real = (p) => {
        try {
            return node_fs__WEBPACK_IMPORTED_MODULE_0__.realpathSync.native(node_path__WEBPACK_IMPORTED_MODULE_1___default().resolve(p));
        }
        catch {
            return node_path__WEBPACK_IMPORTED_MODULE_1___default().resolve(p);
        }
    };
    if ((0,_confined_js__WEBPACK_IMPORTED_MODULE_3__/* .isInside */ .FK)(real(workspace), real(dir))) {
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_2__/* .UserError */ .yo(`The Docker config directory "${dir}" (DOCKER_CONFIG, else ~/.docker) lies inside the workspace: a pull request could name the programs Docker runs (credential helpers, CLI plugins). Use a directory outside the workspace.`);
    }
    const file = node_path__WEBPACK_IMPORTED_MODULE_1___default().join(dir, 'config.json');
    try {
        (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.closeSync)((0,_confined_js__WEBPACK_IMPORTED_MODULE_3__/* .openRegularSync */ .w5)(file, file, { flags: node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.O_RDONLY, maxBytes: RUNNER_FILE_CAPS.DOCKER_CONFIG }));
    }
    catch (e) {
        if ((0,_confined_js__WEBPACK_IMPORTED_MODULE_3__/* .isConfinedError */ .pY)(e) && e.reason === 'missing')
            return;
        throw (0,_confined_js__WEBPACK_IMPORTED_MODULE_3__/* .isConfinedError */ .pY)(e) ? runnerFileError('DOCKER_CONFIG', file, e) : e;
    }
}


/***/ }),

/***/ 23564:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   F2: () => (/* binding */ parseReference),
/* harmony export */   FH: () => (/* binding */ formatReference),
/* harmony export */   cW: () => (/* binding */ isLoopbackHost),
/* harmony export */   gr: () => (/* binding */ isDockerHub),
/* harmony export */   "if": () => (/* binding */ parseImageName),
/* harmony export */   nD: () => (/* binding */ formatName),
/* harmony export */   r6: () => (/* binding */ registryHostProblem)
/* harmony export */ });
/* harmony import */ var _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(42426);
// Image reference parsing, following the rules of the Docker reference grammar
// (distribution/reference): the first path component is a registry host when it contains
// a '.' or ':' or is 'localhost'. As everywhere in Docker, a name without a registry host
// is on Docker Hub (`acme/model` → `docker.io/acme/model`, `busybox` →
// `docker.io/library/busybox`). The local Docker engine as the store is chosen explicitly
// (the `store: local` input): names are then kept as written and marked `local`.

const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::([0-9]{1,5}))?$/;
/** Why `host` is not a registry host (syntax, port range 1–65535, length), or undefined when it is one. */
function registryHostProblem(host) {
    const m = HOST.exec(host);
    if (!m)
        return 'a registry host is a DNS name or IP address, optionally with :port';
    if (m[1] !== undefined) {
        const port = Number(m[1]);
        if (!(port >= 1 && port <= 65535))
            return `port ${m[1]} is outside 1–65535`;
    }
    if (host.length > 253)
        return 'it is longer than 253 characters';
    return undefined;
}
function looksLikeHost(component) {
    return component.includes('.') || component.includes(':') || component === 'localhost';
}
/** Docker Hub's names: `docker.io`, `index.docker.io`, `registry-1.docker.io`. */
function isDockerHub(registry) {
    return registry === 'docker.io' || registry === 'index.docker.io' || registry === 'registry-1.docker.io';
}
/**
 * Parses `[host[:port]/]path[:tag][@digest]`. `what` names the input in error messages.
 * Throws UserError with a message a person understands.
 */
function parseReference(input, what = 'image', opts = {}) {
    const s = input.trim();
    if (!s)
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${what} is empty`);
    if (/\s/.test(s))
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${what} "${input}" contains white space`);
    let rest = s;
    let digest;
    const at = rest.indexOf('@');
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        if (!DIGEST.test(digest))
            throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${what} "${input}" has an invalid digest "${digest}"`);
    }
    let tag;
    const lastSlash = rest.lastIndexOf('/');
    const lastColon = rest.lastIndexOf(':');
    if (lastColon > lastSlash) {
        tag = rest.slice(lastColon + 1);
        rest = rest.slice(0, lastColon);
        if (!TAG.test(tag))
            throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${what} "${input}" has an invalid tag "${tag}" (letters, digits, '_', '.', '-'; at most 128)`);
    }
    const name = parseName(rest, what, input, opts.local === true);
    return { name, tag, digest };
}
/** Parses a repository name without tag or digest. */
function parseImageName(input, what = 'image', opts = {}) {
    const ref = parseReference(input, what, opts);
    if (ref.tag || ref.digest) {
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${what} "${input}" must be a repository without a tag or digest (e.g. ghcr.io/acme/model)`);
    }
    return ref.name;
}
function parseName(rest, what, input, local) {
    const parts = rest.split('/');
    let registry = '';
    if (parts.length > 1 && looksLikeHost(parts[0])) {
        registry = parts.shift();
        const problem = registryHostProblem(registry);
        if (problem)
            throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${what} "${input}" has an invalid registry host "${registry}": ${problem}`);
    }
    else if (!local) {
        registry = 'docker.io';
    }
    if (parts.length === 0 || parts.some((p) => p === '')) {
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${what} "${input}" is not a valid image reference`);
    }
    for (const p of parts) {
        if (!COMPONENT.test(p)) {
            throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${what} "${input}" is not a valid image reference: "${p}" must be lowercase letters, digits and separators (. _ __ -)`);
        }
    }
    let repository = parts.join('/');
    let apiHost = registry;
    if (registry && isDockerHub(registry)) {
        registry = 'docker.io';
        apiHost = 'registry-1.docker.io';
        if (!repository.includes('/'))
            repository = `library/${repository}`;
    }
    if (repository.length > 255)
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${what} "${input}" is longer than 255 characters`);
    return Object.freeze({ registry, apiHost, repository, local });
}
/** `registry/repository` (or just `repository` for the local engine). */
function formatName(name) {
    return name.registry ? `${name.registry}/${name.repository}` : name.repository;
}
function formatReference(name, tag, digest) {
    let s = formatName(name);
    if (tag)
        s += `:${tag}`;
    if (digest)
        s += `@${digest}`;
    return s;
}
/** Loopback hosts are reached over plain HTTP, like Docker does. */
function isLoopbackHost(registry) {
    const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.split(':')[0];
    return host === 'localhost' || /^127(?:\.\d{1,3}){3}$/.test(host) || host === '::1';
}


/***/ }),

/***/ 79407:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _early_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(35400);
/* harmony import */ var _runner_log_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(47708);
/* harmony import */ var _runner_process_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(99077);



// A cancelled step (SIGINT/SIGTERM) leaves no docker or buildx process behind.
(0,_runner_process_js__WEBPACK_IMPORTED_MODULE_2__/* .killChildrenOnSignal */ .h9)((m) => _runner_log_js__WEBPACK_IMPORTED_MODULE_1__/* .runnerLog */ .t1.info(m));
// The builder's inspection starts first; the rest of the action loads meanwhile (its own chunk).
const early = (0,_early_js__WEBPACK_IMPORTED_MODULE_0__/* .startEarly */ .w)(process.env);
const { run } = await Promise.all(/* import() */[__nccwpck_require__.e(746), __nccwpck_require__.e(970)]).then(__nccwpck_require__.bind(__nccwpck_require__, 74970));
await run(process.env, undefined, early);
// What the run started and no longer waits for ends with it (registry requests end in run()).
(0,_runner_process_js__WEBPACK_IMPORTED_MODULE_2__/* .endChildren */ .PH)();

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 3653:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Fd: () => (/* binding */ defaultDockerConfigDir),
/* harmony export */   TO: () => (/* binding */ readDockerConfig),
/* harmony export */   pe: () => (/* binding */ DOCKER_HUB_KEY),
/* harmony export */   z8: () => (/* binding */ resolveCredentials)
/* harmony export */ });
/* unused harmony exports normalizeRegistryKey, helperServerUrl, fromAuthEntry, fromHelperOutput, runHelper, hasCredentials */
/* harmony import */ var _runner_process_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(99077);
/* harmony import */ var _fs_confined_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(58755);
/* harmony import */ var _fs_runner_files_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(28663);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(48161);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__nccwpck_require__.n(node_os__WEBPACK_IMPORTED_MODULE_3__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(76760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_4___default = /*#__PURE__*/__nccwpck_require__.n(node_path__WEBPACK_IMPORTED_MODULE_4__);
/* harmony import */ var _image_reference_js__WEBPACK_IMPORTED_MODULE_5__ = __nccwpck_require__(23564);
// Credentials for a registry host, found the way the Docker CLI finds them:
//   1. the action's inputs (registry-username / registry-password);
//   2. `credHelpers[<host>]` of the Docker config → `docker-credential-<name> get`;
//   3. `auths[<host>]` of the Docker config (base64 `auth`, `username`/`password`,
//      `identitytoken`);
//   4. the global `credsStore` → `docker-credential-<name> get`;
//   5. anonymous.
// The config is `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. Keys match with and
// without scheme and trailing path (`https://ghcr.io/v1/` matches `ghcr.io`), and all of
// Docker Hub's names (`https://index.docker.io/v1/`, `docker.io`, `index.docker.io`,
// `registry-1.docker.io`) are one registry. Docker gives a helper precedence over `auths`;
// here `auths` entries that carry credentials come before the global `credsStore`, since
// docker/login-action writes them there and a runner's store may not be unlockable.






const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const HELPER_TIMEOUT_MS = 30_000;
function defaultDockerConfigDir(env = process.env) {
    return env.DOCKER_CONFIG || node_path__WEBPACK_IMPORTED_MODULE_4___default().join(node_os__WEBPACK_IMPORTED_MODULE_3___default().homedir(), '.docker');
}
/** `https://ghcr.io/v1/` → `ghcr.io`; every Docker Hub name → `docker.io`. Lowercased host. */
function normalizeRegistryKey(key) {
    let k = key.trim();
    k = k.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
    const slash = k.indexOf('/');
    if (slash >= 0)
        k = k.slice(0, slash);
    k = k.toLowerCase();
    return (0,_image_reference_js__WEBPACK_IMPORTED_MODULE_5__/* .isDockerHub */ .gr)(k) ? 'docker.io' : k;
}
/** The server URL a credential helper is asked about (Docker's conventions). */
function helperServerUrl(registry) {
    return (0,_image_reference_js__WEBPACK_IMPORTED_MODULE_5__/* .isDockerHub */ .gr)(registry.toLowerCase()) ? DOCKER_HUB_KEY : registry;
}
/**
 * `<dir>/config.json`, read without blocking and bounded (src/fs); undefined when there is
 * none. Throws for one that is not a regular file, too large, or not JSON (never quoting it:
 * it holds secrets).
 */
function readDockerConfig(dir) {
    const file = node_path__WEBPACK_IMPORTED_MODULE_4___default().join(dir, 'config.json');
    let text;
    try {
        text = (0,_fs_confined_js__WEBPACK_IMPORTED_MODULE_1__/* .readFileBoundedSync */ .ri)(file, file, { maxBytes: _fs_runner_files_js__WEBPACK_IMPORTED_MODULE_2__/* .RUNNER_FILE_CAPS */ .gK.DOCKER_CONFIG }).toString('utf8');
    }
    catch (e) {
        if ((0,_fs_confined_js__WEBPACK_IMPORTED_MODULE_1__/* .isConfinedError */ .pY)(e) && e.reason === 'missing')
            return undefined;
        throw new Error((0,_fs_confined_js__WEBPACK_IMPORTED_MODULE_1__/* .isConfinedError */ .pY)(e) ? e.message : `${file} could not be read`);
    }
    try {
        const config = JSON.parse(text);
        if (!config || typeof config !== 'object')
            return undefined;
        return { config, file };
    }
    catch {
        // Do not quote the file: it holds secrets.
        throw new Error(`${file} is not valid JSON`);
    }
}
/** The value of `record` under the key that means `registry` (exact key first). */
function lookup(record, registry) {
    if (!record || typeof record !== 'object')
        return undefined;
    if (Object.prototype.hasOwnProperty.call(record, registry))
        return record[registry];
    const want = normalizeRegistryKey(registry);
    if (want === 'docker.io' && Object.prototype.hasOwnProperty.call(record, DOCKER_HUB_KEY))
        return record[DOCKER_HUB_KEY];
    for (const [k, v] of Object.entries(record))
        if (normalizeRegistryKey(k) === want)
            return v;
    return undefined;
}
/** Credentials of an `auths` entry, or undefined when it carries none. */
function fromAuthEntry(entry, source) {
    if (!entry || typeof entry !== 'object')
        return undefined;
    let username = typeof entry.username === 'string' ? entry.username : undefined;
    let password = typeof entry.password === 'string' ? entry.password : undefined;
    if (typeof entry.auth === 'string' && entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) {
            username = decoded.slice(0, colon);
            password = decoded.slice(colon + 1);
        }
    }
    const identityToken = typeof entry.identitytoken === 'string' && entry.identitytoken ? entry.identitytoken : undefined;
    if (identityToken)
        return { username, identityToken, source };
    if (username && password)
        return { username, password, source };
    return undefined;
}
/** Parses a helper's `get` output; `<token>` as the user means an identity token. */
function fromHelperOutput(stdout, source) {
    const j = JSON.parse(stdout);
    const username = typeof j.Username === 'string' ? j.Username : '';
    const secret = typeof j.Secret === 'string' ? j.Secret : '';
    if (!secret)
        return undefined;
    if (username === '<token>')
        return { identityToken: secret, source };
    return { username, password: secret, source };
}
/**
 * Credentials for `registry` (host as written), or undefined for anonymous access.
 * Runs credential helpers asynchronously with a timeout.
 */
async function resolveCredentials(registry, opts) {
    if (opts.username && opts.password) {
        return { username: opts.username, password: opts.password, source: 'the registry-username/registry-password inputs' };
    }
    const dir = opts.dockerConfigDir ?? defaultDockerConfigDir();
    let found;
    try {
        found = readDockerConfig(dir);
    }
    catch (e) {
        opts.warning?.(`Ignoring the Docker config: ${e.message}`);
        return undefined;
    }
    if (!found)
        return undefined;
    const { config, file } = found;
    const helper = lookup(config.credHelpers, registry);
    if (typeof helper === 'string' && helper)
        return runHelper(helper, registry, opts.warning);
    const fromFile = fromAuthEntry(lookup(config.auths, registry), `${file} (auths)`);
    if (fromFile)
        return fromFile;
    if (typeof config.credsStore === 'string' && config.credsStore)
        return runHelper(config.credsStore, registry, opts.warning);
    return undefined;
}
/**
 * Runs `docker-credential-<name> get` with the server URL on stdin. "Not found" (any non-zero
 * exit) means anonymous; a helper that is missing or hangs is warned about, not fatal.
 */
/** `<program> get` with the server URL on stdin, through the process port; never rejects. */
async function helperGet(program, registry, proc = _runner_process_js__WEBPACK_IMPORTED_MODULE_0__/* .execProcess */ .ZG) {
    try {
        const r = await proc.run(program, ['get'], { input: helperServerUrl(registry), timeoutMs: HELPER_TIMEOUT_MS, maxBuffer: 1 << 20 });
        return { code: r.killed ? null : r.code, stdout: r.stdout };
    }
    catch (e) {
        return { code: null, stdout: '', error: e instanceof Error ? e : new Error(String(e)) };
    }
}
async function runHelper(name, registry, warning) {
    const program = `docker-credential-${name}`;
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
        warning?.(`Ignoring credential helper "${name}": not a valid helper name`);
        return undefined;
    }
    const source = `the credential helper ${program}`;
    const r = await helperGet(program, registry);
    if (r.error) {
        warning?.(`Could not run ${program} for ${registry} (${r.error.code ?? r.error.message}); continuing without credentials`);
        return undefined;
    }
    if (r.code !== 0) {
        // "credentials not found in native keychain" and the like: anonymous, quietly.
        return undefined;
    }
    try {
        return fromHelperOutput(r.stdout, source);
    }
    catch {
        warning?.(`${program} printed something that is not credentials JSON; continuing without credentials`);
        return undefined;
    }
}
/**
 * Whether credentials for `registry` are available, without contacting the registry:
 * the inputs are checked by the caller; this looks at the Docker config and asks the
 * helper that would be used (synchronously, bounded).
 */
async function hasCredentials(registry, dockerConfigDir) {
    let found;
    try {
        found = readDockerConfig(dockerConfigDir ?? defaultDockerConfigDir());
    }
    catch {
        return false;
    }
    if (!found)
        return false;
    const { config } = found;
    const helper = lookup(config.credHelpers, registry);
    const askHelper = async (name) => {
        if (!/^[A-Za-z0-9_.-]+$/.test(name))
            return false;
        const r = await helperGet(`docker-credential-${name}`, registry);
        if (r.code !== 0 || r.error)
            return false;
        try {
            return fromHelperOutput(r.stdout, '') !== undefined;
        }
        catch {
            return false;
        }
    };
    if (typeof helper === 'string' && helper)
        return askHelper(helper);
    if (fromAuthEntry(lookup(config.auths, registry), ''))
        return true;
    if (typeof config.credsStore === 'string' && config.credsStore)
        return askHelper(config.credsStore);
    return false;
}


/***/ }),

/***/ 47708:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   t1: () => (/* binding */ runnerLog),
/* harmony export */   yV: () => (/* binding */ logSink)
/* harmony export */ });
/* unused harmony exports WARNINGS_PER_KIND, warningKind, runnerAnnotator, commandsStopped */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _workflow_commands_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(91520);
/* harmony import */ var _text_redact_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(53326);
/* harmony import */ var _text_visible_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(31573);
// The one log sink of a run: every message goes through it. Warnings become annotations
// (with file and line when known) and are collected for the report; they are deduplicated
// and capped per kind, so the log stays bounded whatever the input.




/** Warnings of one kind shown before the rest are counted. */
const WARNINGS_PER_KIND = 20;
/**
 * The kind of a warning: its text up to the first ':' or '(', with the words that name
 * things (paths, numbers, quoted values) replaced by '…' — so one warning per line of a
 * hostile file is one kind (at most 80 characters).
 */
function warningKind(m) {
    const cut = m.search(/[:(]/);
    const head = (cut > 0 ? m.slice(0, cut) : m).trim();
    return head
        .split(/\s+/)
        .map((w) => (/[\d/\\.'"`@=]/.test(w) ? '…' : w))
        .join(' ')
        .slice(0, 80);
}
/**
 * The runner's workflow commands as the annotator (file/line become `file=`/`line=`
 * annotation properties): the one way the action writes to the job log. Every message goes
 * through the one redaction function (credentials in URLs and pip options) and is made
 * visible and inert (src/text/visible.ts); program output goes between the runner's
 * `::stop-commands::<token>` and `::<token>::` (see `commandsStopped`).
 */
function runnerAnnotator(write = _workflow_commands_js__WEBPACK_IMPORTED_MODULE_1__/* .info */ .pq, token = randomToken) {
    const stopped = commandsStopped(write, token);
    // An annotation's message may span lines (the protocol writer escapes LF).
    const says = (f) => (m, ...a) => {
        stopped.resume();
        f((0,_text_visible_js__WEBPACK_IMPORTED_MODULE_3__/* .visible */ .RK)(clean(m), true), ...a);
    };
    return {
        mask: (secret) => {
            stopped.resume();
            (0,_workflow_commands_js__WEBPACK_IMPORTED_MODULE_1__/* .setSecret */ .Pq)(secret);
        },
        info: (m) => {
            stopped.resume();
            for (const l of (0,_text_visible_js__WEBPACK_IMPORTED_MODULE_3__/* .inertLines */ .wi)(clean(m)))
                write(l);
        },
        output: (line) => stopped.write(clean(line)),
        debug: says((m) => (0,_workflow_commands_js__WEBPACK_IMPORTED_MODULE_1__/* .debug */ .Yz)(m)),
        notice: says((m, w) => (0,_workflow_commands_js__WEBPACK_IMPORTED_MODULE_1__/* .notice */ .lm)(m, props(w))),
        warning: says((m, w) => (0,_workflow_commands_js__WEBPACK_IMPORTED_MODULE_1__/* .warning */ .$e)(m, props(w))),
        error: says((m, w) => (0,_workflow_commands_js__WEBPACK_IMPORTED_MODULE_1__/* .error */ .z3)(m, props(w))),
        group: async (name, f) => {
            stopped.resume();
            return (0,_workflow_commands_js__WEBPACK_IMPORTED_MODULE_1__/* .group */ .Os)((0,_text_visible_js__WEBPACK_IMPORTED_MODULE_3__/* .visible */ .RK)(clean(name)), async () => {
                try {
                    return await f();
                }
                finally {
                    stopped.resume();
                }
            });
        },
    };
}
/** The one cleaning of every line: masked values, then credentials in URLs and pip options. */
function clean(m) {
    return (0,_text_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .redact */ .E$)((0,_text_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .maskSecrets */ .QU)(m));
}
/** 128 random bits: a stop token no output can guess. */
function randomToken() {
    return (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomBytes)(16).toString('hex');
}
/**
 * Program output between `::stop-commands::<token>` and `::<token>::`: the runner runs no
 * command in between but the one that ends the stop. The stop starts at the first line and
 * ends before the action writes anything else (its own commands must run). A line that holds
 * the token — the only text that could end the stop early — is written under a fresh token,
 * and CR (which ends a line for the runner) and LF are written `\r`/`\n`.
 */
function commandsStopped(write, token) {
    let current;
    const stop = () => {
        current = token();
        write(`::stop-commands::${current}`);
    };
    const resume = () => {
        if (current !== undefined)
            write(`::${current}::`);
        current = undefined;
    };
    return {
        write(line) {
            const shown = line.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
            if (current === undefined)
                stop();
            while (shown.toLowerCase().includes(current.toLowerCase())) {
                resume();
                stop();
            }
            write(shown);
        },
        resume,
    };
}
/** The job log of this process (one stdout: one stop state). */
const runnerLog = runnerAnnotator();
function props(w) {
    if (!w?.file)
        return {};
    return { file: (0,_text_visible_js__WEBPACK_IMPORTED_MODULE_3__/* .visible */ .RK)((0,_text_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .redact */ .E$)(w.file)), startLine: w.line, startColumn: w.line !== undefined ? w.column : undefined };
}
function logSink(out = runnerLog, perKind = WARNINGS_PER_KIND) {
    const seen = new Set();
    const kept = [];
    const counts = new Map();
    const dropped = new Map();
    const flushed = new Map();
    return {
        info: (m) => out.info(m),
        output: (line) => out.output(line),
        debug: (m) => out.debug(m),
        notice: (m, w) => out.notice(m, w),
        error: (m, w) => out.error(m, w),
        group: (name, f) => out.group(name, f),
        warning(m, opts = {}) {
            const key = `${opts.file ?? ''}:${opts.line ?? ''}:${m}`;
            if (seen.has(key))
                return;
            seen.add(key);
            const kind = opts.kind ?? warningKind(m);
            const n = (counts.get(kind) ?? 0) + 1;
            counts.set(kind, n);
            if (n > perKind) {
                dropped.set(kind, (dropped.get(kind) ?? 0) + 1);
                if (n === perKind + 1)
                    out.info(`More warnings like "${kind}" follow; they are counted, not shown`);
                return;
            }
            kept.push(m);
            out.warning(m, opts);
        },
        warnings() {
            return [...kept, ...[...dropped].map(([kind, n]) => moreLine(kind, n))];
        },
        flush() {
            for (const [kind, n] of dropped) {
                if (flushed.get(kind) !== n)
                    out.warning(moreLine(kind, n));
                flushed.set(kind, n);
            }
            return this.warnings();
        },
    };
}
function moreLine(kind, n) {
    return `… and ${n} more warning${n === 1 ? '' : 's'} like "${kind}"`;
}


/***/ }),

/***/ 99077:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  EO: () => (/* binding */ DOCKER_MISSING),
  PH: () => (/* binding */ endChildren),
  ZG: () => (/* binding */ execProcess),
  qi: () => (/* binding */ isProgramNotFound),
  h9: () => (/* binding */ killChildrenOnSignal)
});

// UNUSED EXPORTS: CANCEL_CLEANUP_MS, ProgramNotFound, resolveProgram

;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(77598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(73024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(76760);
var external_node_path_default = /*#__PURE__*/__nccwpck_require__.n(external_node_path_);
;// CONCATENATED MODULE: external "node:string_decoder"
const external_node_string_decoder_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:string_decoder");
// EXTERNAL MODULE: ./src/fs/confined.ts
var confined = __nccwpck_require__(58755);
;// CONCATENATED MODULE: ./src/runner/process.ts
// The one way this action starts a process (docker, docker buildx, credential helpers):
// `@actions/exec`, argv arrays (never a shell), bounded output, a timeout or an abort that
// kills the child's whole process tree, and — once `killChildrenOnSignal` is installed —
// no child left behind when the step is cancelled (SIGINT/SIGTERM).






/** The one message for a missing Docker CLI, naming what to install. */
const DOCKER_MISSING = 'the docker CLI was not found on PATH: install Docker (the docker CLI and the buildx plugin, e.g. the docker-ce-cli and docker-buildx-plugin packages) or run on a runner that has it';
/** The program is not on PATH (or not executable). */
class ProgramNotFound extends Error {
    program;
    code = 'ENOENT';
    constructor(program) {
        super(`${program} was not found on PATH`);
        this.program = program;
        this.name = 'ProgramNotFound';
    }
}
function isProgramNotFound(e) {
    return e instanceof ProgramNotFound;
}
function stringEnv(env) {
    const out = {};
    for (const [k, v] of Object.entries(env))
        if (v !== undefined)
            out[k] = v;
    return out;
}
/** A collector that keeps at most `max` characters and forwards every chunk. */
function collector(max, forward) {
    const decoder = new external_node_string_decoder_namespaceObject.StringDecoder('utf8');
    let text = '';
    return {
        push(b) {
            const s = decoder.write(b);
            if (text.length < max)
                text += s.slice(0, max - text.length);
            forward?.(s);
        },
        text: () => text,
    };
}
/**
 * `@actions/exec` (with `@actions/io`) loads on the first process started, not at start-up:
 * a run that reuses its base starts no process, and the two cost ~5 ms of every start.
 */
let exec;
const loadExec = () => (exec ??= __nccwpck_require__.e(/* import() */ 955).then(__nccwpck_require__.bind(__nccwpck_require__, 41955)));
/** Calls of execProcess.run under way. */
let running = 0;
/** The process port over `@actions/exec`. */
const execProcess = {
    async run(program, args, opts = {}) {
        if (cancelledBy)
            throw new Error(`not starting ${program}: the action was cancelled (${cancelledBy})`);
        const out = collector(opts.maxBuffer ?? 4 * 1024 * 1024, opts.onStdout);
        const err = collector(opts.maxBuffer ?? 4 * 1024 * 1024, opts.onStderr);
        let killed;
        // Every process of this call carries a marker in its environment (it survives exec and is
        // inherited), so a timeout finds the whole tree even when a wrapper exec'd another program.
        const marker = `${PROCESS_MARKER}=${(0,external_node_crypto_.randomUUID)()}`;
        const kill = (why) => {
            killed ??= why;
            for (const pid of new Set([...markedProcesses(marker), ...childrenRunning(program, args)]))
                killTree(pid, 'SIGKILL');
        };
        const timer = opts.timeoutMs ? setTimeout(() => kill('timeout'), opts.timeoutMs) : undefined;
        const onAbort = () => kill('aborted');
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        const cleanup = opts.onCancel ? { ...opts.onCancel, env: opts.env ?? process.env } : undefined;
        if (cleanup)
            cancelCleanups.add(cleanup);
        running++;
        try {
            const file = resolveProgram(program, opts.env ?? process.env);
            const env = { ...stringEnv(opts.env ?? process.env), [PROCESS_MARKER]: marker.slice(PROCESS_MARKER.length + 1) };
            const code = opts.input ? await runWithInput(file, args, env, opts.input, out, err) : await runWithExec(file, args, env, out, err);
            return { code: typeof code === 'number' ? code : 1, stdout: out.text(), stderr: err.text(), ...(killed ? { killed } : {}) };
        }
        catch (e) {
            if (e instanceof Error && /Unable to locate executable file/.test(e.message))
                throw new ProgramNotFound(program);
            throw e;
        }
        finally {
            running--;
            if (cleanup)
                cancelCleanups.delete(cleanup);
            if (timer)
                clearTimeout(timer);
            opts.signal?.removeEventListener('abort', onAbort);
        }
    },
};
async function runWithExec(file, args, env, out, err) {
    const { getExecOutput } = await loadExec();
    const r = await getExecOutput(file, [...args], {
        env,
        silent: true,
        ignoreReturnCode: true,
        listeners: { stdout: (b) => out.push(b), stderr: (b) => err.push(b) },
    });
    return r.exitCode;
}
/**
 * A process fed on stdin (credential helpers get the registry on stdin). `@actions/exec`
 * gives no handle on the child's stdin, so a helper that exits without reading its input
 * would raise an unhandled EPIPE there; here the write error is the child's business and
 * its exit code tells the outcome.
 */
function runWithInput(file, args, env, input, out, err) {
    return new Promise((resolve, reject) => {
        const cp = (0,external_node_child_process_namespaceObject.spawn)(file, [...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
        cp.stdin.on('error', () => undefined);
        cp.stdout.on('data', (b) => out.push(b));
        cp.stderr.on('data', (b) => err.push(b));
        cp.on('error', reject);
        cp.on('close', (code) => resolve(code ?? 1));
        cp.stdin.end(input);
    });
}
/**
 * The program's path as the child's own PATH finds it (as `spawn` would; `@actions/exec`
 * alone would search this process's PATH). Throws ProgramNotFound. A program the workspace
 * provides never runs: PATH entries that are relative (resolved against the working
 * directory, the workspace) or lie inside GITHUB_WORKSPACE are skipped, and so is a program
 * named by a path.
 */
function resolveProgram(program, env) {
    if (program.includes('/'))
        throw new ProgramNotFound(program);
    const workspace = env.GITHUB_WORKSPACE ? external_node_path_default().resolve(env.GITHUB_WORKSPACE) : undefined;
    for (const dir of (env.PATH ?? '').split((external_node_path_default()).delimiter)) {
        if (!dir || !external_node_path_default().isAbsolute(dir))
            continue;
        if (workspace && isWithin(workspace, dir))
            continue;
        const candidate = external_node_path_default().join(dir, program);
        try {
            if ((0,external_node_fs_.statSync)(candidate).isFile()) {
                (0,external_node_fs_.accessSync)(candidate, external_node_fs_.constants.X_OK);
                return candidate;
            }
        }
        catch {
            // not here
        }
    }
    throw new ProgramNotFound(program);
}
function isWithin(root, p) {
    const rel = external_node_path_default().relative(root, external_node_path_default().resolve(p));
    return rel === '' || (!external_node_path_default().isAbsolute(rel) && !/^\.\.(?:[\\/]|$)/.test(rel));
}
// --- process trees (Linux /proc, else `ps`) ---
/**
 * Largest /proc file read (a process's stat, command line or environment): the kernel caps
 * argv + environment at a quarter of the stack limit, 2 MiB by default.
 */
const MAX_PROC_FILE_BYTES = 4 * 1024 * 1024;
/** A /proc file, read as every file the action opens (src/fs/confined.ts: without blocking, regular, bounded). */
function procFile(file, encoding) {
    return (0,confined/* readFileBoundedSync */.ri)(file, file, { maxBytes: MAX_PROC_FILE_BYTES }).toString(encoding);
}
/** pid → parent pid of every process visible. */
function processTable() {
    const table = new Map();
    let entries;
    try {
        entries = (0,external_node_fs_.readdirSync)('/proc').filter((d) => /^\d+$/.test(d));
    }
    catch {
        return psTable();
    }
    for (const d of entries) {
        try {
            const stat = procFile(`/proc/${d}/stat`, 'utf8');
            const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
            const argv = procFile(`/proc/${d}/cmdline`, 'utf8').split('\0').slice(0, -1);
            table.set(Number(d), { ppid, argv });
        }
        catch {
            // gone meanwhile
        }
    }
    return table;
}
function psTable() {
    const table = new Map();
    try {
        const out = (0,external_node_child_process_namespaceObject.execFileSync)('ps', ['-A', '-o', 'pid=', '-o', 'ppid=', '-o', 'command='], { encoding: 'utf8', timeout: 5000 });
        for (const line of out.split('\n')) {
            const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
            if (m)
                table.set(Number(m[1]), { ppid: Number(m[2]), argv: m[3].split(' ') });
        }
    }
    catch {
        // no ps: nothing known
    }
    return table;
}
/** `root` and every process below it, children before parents' siblings. */
function descendants(root, table = processTable()) {
    const out = [];
    const walk = (pid) => {
        for (const [p, info] of table) {
            if (info.ppid === pid && !out.includes(p)) {
                out.push(p);
                walk(p);
            }
        }
    };
    walk(root);
    return out;
}
/** Direct children of this process that run `program args…` (the ones a run started). */
/** The environment variable that marks the processes of one call (see `run`). */
const PROCESS_MARKER = 'CONDA_IMAGE_ACTION_CALL';
/** Processes whose environment holds `marker` (`NAME=value`); Linux `/proc` only. */
function markedProcesses(marker) {
    let entries;
    try {
        entries = (0,external_node_fs_.readdirSync)('/proc').filter((d) => /^\d+$/.test(d));
    }
    catch {
        return [];
    }
    const out = [];
    for (const d of entries) {
        try {
            if (procFile(`/proc/${d}/environ`, 'latin1').split('\0').includes(marker))
                out.push(Number(d));
        }
        catch {
            // another user's process, or gone meanwhile
        }
    }
    return out;
}
function childrenRunning(program, args) {
    const table = processTable();
    const want = args.join('\0');
    return [...table]
        .filter(([, t]) => t.ppid === process.pid && external_node_path_default().basename(t.argv[0] ?? '') === external_node_path_default().basename(program) && t.argv.slice(1).join('\0') === want)
        .map(([pid]) => pid);
}
function killTree(pid, sig) {
    for (const p of [pid, ...descendants(pid)]) {
        try {
            process.kill(p, sig);
        }
        catch {
            // already gone
        }
    }
}
/** Signals every process below this one; returns how many there were. */
function killChildren(sig = 'SIGTERM') {
    const all = descendants(process.pid);
    for (const p of all) {
        try {
            process.kill(p, sig);
        }
        catch {
            // already gone
        }
    }
    return all.length;
}
/**
 * The run is over: a process it started and no longer waits for (the builder inspection
 * started before the inputs were read, in a run that then failed on them) would hold the
 * step open until its own timeout. Kills every process tree below this one; for the entry
 * point only, once the run has returned (every process it waits for has ended by then).
 */
function endChildren() {
    // Nothing under way (the common case): no scan of the process table.
    return running > 0 ? killChildren('SIGKILL') : 0;
}
const GRACE_MS = 3000;
let cancelledBy;
/** The bound of one cancel clean-up command (ProcessOptions.onCancel). */
const CANCEL_CLEANUP_MS = 10_000;
/** The onCancel commands of the calls under way. */
const cancelCleanups = new Set();
/** Runs the clean-ups of the calls under way, one after the other, each bounded; returns how many ran. */
function runCancelCleanups() {
    let n = 0;
    for (const c of [...cancelCleanups]) {
        cancelCleanups.delete(c);
        try {
            (0,external_node_child_process_namespaceObject.execFileSync)(resolveProgram(c.program, c.env), [...c.args], { env: stringEnv(c.env), stdio: 'ignore', timeout: CANCEL_CLEANUP_MS });
        }
        catch {
            // best effort: the step is ending
        }
        n++;
    }
    return n;
}
/**
 * On SIGINT/SIGTERM (a cancelled step): SIGTERM to every child process tree, SIGKILL to what
 * is left after a short grace, then exit non-zero. Returns a function that uninstalls it.
 */
function killChildrenOnSignal(say = () => undefined) {
    const handler = (sig) => {
        cancelledBy = sig;
        const n = killChildren('SIGTERM');
        say(`Received ${sig}: stopping ${n} child process${n === 1 ? '' : 'es'}`);
        const cleaned = runCancelCleanups();
        if (cleaned > 0)
            say(`Ran ${cleaned} clean-up command${cleaned === 1 ? '' : 's'} (what stopping a process does not end, e.g. a container)`);
        const done = () => {
            killChildren('SIGKILL');
            process.exit(sig === 'SIGINT' ? 130 : 143);
        };
        if (n === 0)
            done();
        const started = Date.now();
        const poll = setInterval(() => {
            if (descendants(process.pid).length === 0 || Date.now() - started > GRACE_MS)
                done();
        }, 100);
        void poll;
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
    };
}


/***/ }),

/***/ 91520:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   $e: () => (/* binding */ warning),
/* harmony export */   Os: () => (/* binding */ group),
/* harmony export */   Pq: () => (/* binding */ setSecret),
/* harmony export */   V4: () => (/* binding */ getInput),
/* harmony export */   Yz: () => (/* binding */ debug),
/* harmony export */   fe: () => (/* binding */ appendSummary),
/* harmony export */   lm: () => (/* binding */ notice),
/* harmony export */   pq: () => (/* binding */ info),
/* harmony export */   uH: () => (/* binding */ setOutput),
/* harmony export */   z3: () => (/* binding */ error)
/* harmony export */ });
/* unused harmony export issueCommand */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(73024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__nccwpck_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(51455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__nccwpck_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(48161);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__nccwpck_require__.n(node_os__WEBPACK_IMPORTED_MODULE_3__);
/* harmony import */ var _fs_runner_files_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(28663);
/* harmony import */ var _text_redact_js__WEBPACK_IMPORTED_MODULE_5__ = __nccwpck_require__(53326);
// The runner's side of a step, written the way @actions/core writes it: inputs from
// `INPUT_<NAME>`, workflow commands on stdout (`::warning file=…,line=…::message`, groups,
// masks), step outputs in the `$GITHUB_OUTPUT` file (`name<<delimiter` blocks), the job
// summary appended to `$GITHUB_STEP_SUMMARY`.
//
// Why not @actions/core itself (docs/DESIGN.md §9.4): its entry module imports its OIDC client,
// which imports @actions/http-client, which imports undici — about 0.9 MB of the 2.2 MB bundle,
// parsed and evaluated on every start (about 28 ms of a 200 ms reuse run) for a token the
// action never asks for. These functions are the subset the action uses; a conformance test
// (__tests__/workflow-commands.test.ts) checks each against @actions/core on arbitrary input.
// The lazily loaded chunks (@actions/cache, @actions/github) still use @actions/core.






function commandValue(v) {
    if (v === null || v === undefined)
        return '';
    if (typeof v === 'string' || v instanceof String)
        return String(v);
    return JSON.stringify(v);
}
function escapeData(s) {
    return commandValue(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeProperty(s) {
    return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
/**
 * `::command key=value,…::message` on stdout; properties without a value are left out (a
 * properties object whose values are all empty still leaves the space, as @actions/core does).
 */
function issueCommand(command, properties, message) {
    let line = `::${command}`;
    const props = Object.entries(properties)
        .filter(([, v]) => Boolean(v))
        .map(([k, v]) => `${k}=${escapeProperty(v)}`);
    if (Object.keys(properties).length > 0)
        line += ` ${props.join(',')}`;
    process.stdout.write(`${line}::${escapeData(message)}${node_os__WEBPACK_IMPORTED_MODULE_3__.EOL}`);
}
function annotationProperties(p) {
    if (Object.keys(p).length === 0)
        return {};
    return { title: p.title, file: p.file, line: p.startLine, endLine: p.endLine, col: p.startColumn, endColumn: p.endColumn };
}
/** The input `name` (`INPUT_<NAME>`, spaces as `_`), trimmed; '' when not set. */
function getInput(name, env = process.env) {
    return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}
/** A step output: a `name<<delimiter` block in `$GITHUB_OUTPUT` (or the old `::set-output` command without it). */
function setOutput(name, value, env = process.env) {
    const file = env.GITHUB_OUTPUT ?? '';
    if (!file) {
        process.stdout.write(node_os__WEBPACK_IMPORTED_MODULE_3__.EOL);
        issueCommand('set-output', { name }, commandValue(value));
        return;
    }
    if (!(0,node_fs__WEBPACK_IMPORTED_MODULE_1__.existsSync)(file))
        throw new Error(`Missing file at path: ${file}`);
    const delimiter = `ghadelimiter_${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomUUID)()}`;
    const text = commandValue(value);
    if (name.includes(delimiter))
        throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
    if (text.includes(delimiter))
        throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
    (0,_fs_runner_files_js__WEBPACK_IMPORTED_MODULE_4__/* .appendRunnerFile */ .TL)('GITHUB_OUTPUT', file, `${name}<<${delimiter}${node_os__WEBPACK_IMPORTED_MODULE_3__.EOL}${text}${node_os__WEBPACK_IMPORTED_MODULE_3__.EOL}${delimiter}${node_os__WEBPACK_IMPORTED_MODULE_3__.EOL}`);
}
/** Masks a value in the rest of the job's log. */
function setSecret(secret) {
    (0,_text_redact_js__WEBPACK_IMPORTED_MODULE_5__/* .registerSecret */ .cl)(secret);
    issueCommand('add-mask', {}, secret);
}
function info(message) {
    process.stdout.write(message + node_os__WEBPACK_IMPORTED_MODULE_3__.EOL);
}
function debug(message) {
    issueCommand('debug', {}, message);
}
function notice(message, properties = {}) {
    issueCommand('notice', annotationProperties(properties), message);
}
function warning(message, properties = {}) {
    issueCommand('warning', annotationProperties(properties), message);
}
function error(message, properties = {}) {
    issueCommand('error', annotationProperties(properties), message);
}
/** `f` inside a collapsible group of the log. */
async function group(name, f) {
    issueCommand('group', {}, name);
    try {
        return await f();
    }
    finally {
        issueCommand('endgroup', {}, '');
    }
}
/** Appends markdown (and a line end) to the job summary file; throws when it cannot be written. */
async function appendSummary(markdown, env = process.env) {
    const file = env.GITHUB_STEP_SUMMARY;
    if (!file)
        throw new Error('Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.');
    try {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.access)(file, node_fs__WEBPACK_IMPORTED_MODULE_1__.constants.R_OK | node_fs__WEBPACK_IMPORTED_MODULE_1__.constants.W_OK);
    }
    catch {
        throw new Error(`Unable to access summary file: '${file}'. Check if the file has correct read/write permissions.`);
    }
    (0,_fs_runner_files_js__WEBPACK_IMPORTED_MODULE_4__/* .appendRunnerFile */ .TL)('GITHUB_STEP_SUMMARY', file, markdown + node_os__WEBPACK_IMPORTED_MODULE_3__.EOL);
}


/***/ }),

/***/ 53326:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   E$: () => (/* binding */ redact),
/* harmony export */   Kb: () => (/* binding */ excerpt),
/* harmony export */   QU: () => (/* binding */ maskSecrets),
/* harmony export */   cl: () => (/* binding */ registerSecret),
/* harmony export */   eh: () => (/* binding */ isSecretName)
/* harmony export */ });
/* unused harmony exports STARS, MAX_EXCERPT */
// The one redaction function: credentials a user may write into an environment file, a
// requirement file, a channel or an input never reach a log line, an annotation, the job
// summary, the PR comment or the image label. Everything that prints user text passes it
// through `redact`; the label document passes a digest mask (so the hash still changes when
// a secret changes) instead of the default `***`.
//
// What counts as a credential:
// - the userinfo of a URL: `scheme://user:pass@host` keeps `user`, `scheme://token@host`
//   (a token as the user name) is masked whole — except the conventional `git@`, `hg@`, `svn@`;
// - `user:pass@host` anywhere, with or without a scheme;
// - the value of a pip index/link option (`-i`, `--index-url`, `--extra-index-url`,
//   `-f`, `--find-links`, `--trusted-host`) that carries userinfo, even without a scheme;
// - anaconda.org tokens in a channel path (`/t/<token>/`);
// - URL query parameters named like a credential (`?token=…`, `&access_key=…`, `&sig=…`).
const STARS = () => '***';
const CONVENTIONAL_USERS = /^(git|hg|svn)$/i;
const PIP_OPTION = /((?:^|[\s"'])(?:-i|-f|--index-url|--extra-index-url|--find-links|--trusted-host)(?:\s+|=))(["']?)([^\s"']+)/g;
/** The words that make a name a credential's: a build-arg, a .condarc key, a URL query parameter. */
const SECRET_WORDS = 'token|secret|passw(?:or)?d|passphrase|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth';
const SECRET_NAME = new RegExp(`(?:${SECRET_WORDS})`, 'i');
const QUERY_SECRET = new RegExp(`([?&](?:[A-Za-z0-9_.-]*(?:${SECRET_WORDS}|sig|signature)[A-Za-z0-9_.-]*)=)([^&#\\s"']+)`, 'gi');
/** Whether a key is named like a credential (`GITHUB_TOKEN`, `password`, `GPG_PASSPHRASE`, `AWS_SECRET_ACCESS_KEY`…): its value is masked. */
function isSecretName(key) {
    return SECRET_NAME.test(key);
}
/** `text` with every credential replaced by `mask(credential)` (default `***`). */
function redact(text, mask = STARS) {
    if (!text.includes('@') && !text.includes('/t/') && !text.includes('='))
        return text;
    let out = text;
    if (out.includes('@')) {
        out = out
            // scheme://user:pass@  → scheme://user:***@ (to the authority's last `@`: a password
            // with a raw `@` is masked whole)
            .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)([^/\s:@]*):([^/\s]+)@(?![a-z0-9]+:[0-9a-f]{32})/gi, (_m, scheme, user, pass) => `${scheme}${user}:${mask(pass)}@`)
            // scheme://token@ → scheme://***@ (not git@, hg@, svn@)
            .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)([^/\s:]+)@(?![a-z0-9]+:[0-9a-f]{32})/gi, (m, scheme, user) => CONVENTIONAL_USERS.test(user) ? m : `${scheme}${mask(user)}@`)
            // user:pass@host without a scheme (not an image reference `name:tag@sha256:…`)
            // (bounded and unable to cross separators: linear on hostile text)
            .replace(/(^|[\s=,;'"(<[])([^\s:@/'"=,;()<>[\]]{1,256}):([^\s@/'",;()<>[\]]{1,256})@(?=[A-Za-z0-9[])(?![a-z0-9]+:[0-9a-f]{32})/g, (_m, pre, user, pass) => `${pre}${user}:${mask(pass)}@`)
            // pip option values with userinfo and no scheme (`--index-url tok@host/simple`)
            .replace(PIP_OPTION, (m, opt, q, value) => `${opt}${q}${redactOptionValue(value, mask)}`);
    }
    if (out.includes('/t/'))
        out = out.replace(/\/t\/([A-Za-z0-9_.-]{8,})\//g, (_m, tok) => `/t/${mask(tok)}/`);
    if (out.includes('='))
        out = out.replace(QUERY_SECRET, (_m, key, value) => `${key}${mask(value)}`);
    return out;
}
/** A pip option value: userinfo before the host masked, whatever its form. */
function redactOptionValue(value, mask) {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? '';
    const rest = value.slice(scheme.length);
    const slash = rest.indexOf('/');
    const authority = slash < 0 ? rest : rest.slice(0, slash);
    const at = authority.lastIndexOf('@');
    if (at < 0)
        return value;
    const userinfo = authority.slice(0, at);
    if (userinfo === '***' || /^[^:]*:\*\*\*$/.test(userinfo) || /sha256:[0-9a-f]{16}$/.test(userinfo))
        return value;
    const colon = userinfo.indexOf(':');
    const masked = colon < 0 ? (CONVENTIONAL_USERS.test(userinfo) ? userinfo : mask(userinfo)) : `${userinfo.slice(0, colon)}:${mask(userinfo.slice(colon + 1))}`;
    return `${scheme}${masked}${rest.slice(at)}`;
}
// Credentials the run holds (inputs, helper answers, registry tokens): every value masked
// with `setSecret` is registered here, and whatever the action prints (the log sink, the job
// summary, the PR comment) passes `maskSecrets` — so an error that quotes a credential (Node's
// header check does, with the value JSON-escaped) is masked before it is printed, whatever
// the runner's own masking makes of a value with a line break.
const known = new Set();
let ordered = [];
/** Shorter values are not masked (they would mask ordinary words); the runner masks them anyway. */
const MIN_SECRET = 4;
/** Registers a credential: its value, its JSON-escaped form and each of its lines. */
function registerSecret(value) {
    const forms = [value, JSON.stringify(value).slice(1, -1), ...value.split(/\r\n|\r|\n/)];
    for (const f of forms)
        if (f.trim().length >= MIN_SECRET)
            known.add(f);
    ordered = [...known].sort((a, b) => b.length - a.length);
}
/** `text` with every registered credential replaced by `***` (longest first). */
function maskSecrets(text) {
    let out = text;
    for (const s of ordered)
        if (out.includes(s))
            out = out.split(s).join('***');
    return out;
}
/** Longest excerpt of user text a message may quote. */
const MAX_EXCERPT = 80;
/**
 * User text fit to quote in a message: credentials redacted, control characters shown as
 * `?`, whitespace collapsed, cut to `max` characters with `…`.
 */
function excerpt(text, max = MAX_EXCERPT) {
    const flat = redact(text.length > max * 4 ? text.slice(0, max * 4) : text)
        // eslint-disable-next-line no-control-regex -- control characters are what this replaces
        .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, '?')
        .replace(/\s+/g, ' ')
        .trim();
    return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}


/***/ }),

/***/ 31573:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   RK: () => (/* binding */ visible),
/* harmony export */   wi: () => (/* binding */ inertLines)
/* harmony export */ });
/* unused harmony export inertLine */
// Text from outside the action — build output, registry answers, workspace files and paths,
// input values — shown to a person: in the job log, in annotations, in the summary and the
// pull-request comment. Nothing in it may start a workflow command or hide what it says.
//
// The runner reads a step's stdout line by line, and a line ends at LF, CR or CRLF (.NET's
// StreamReader.ReadLine). A line is a command when, after leading white space, it starts
// with `::name …::` (or holds `##[name …]` anywhere: the runner still parses the old form).
// So: control characters (CR and LF included), the bidirectional-override and -isolate
// characters and the invisible format characters are written as `\r`, `\x1b`, `\u202e`…;
// a log line that would start a command has its second `:` written `\x3a`, and `##[`
// becomes `#\x23[`. `\t` stays; LF stays where the message may span lines.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const HIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/g;
// eslint-disable-next-line no-control-regex -- the same, LF kept
const HIDDEN_BUT_LF = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/g;
const NAMED = { '\r': '\\r', '\n': '\\n', '\u001b': '\\x1b' };
function escapeChar(c) {
    const code = c.charCodeAt(0);
    return NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}
/**
 * `s` with every control, bidirectional and invisible format character written as an escape
 * (`\r`, `\x1b`, `\u202e`); with `lines`, LF stays (a message that may span lines).
 */
function visible(s, lines = false) {
    return s.replace(lines ? HIDDEN_BUT_LF : HIDDEN, escapeChar);
}
/** One line of the job log that no runner parses as a workflow command (see the file comment). */
function inertLine(s) {
    const v = visible(s).replace(/##\[/g, '#\\x23[');
    const lead = /^\s*/.exec(v)[0].length;
    return v.startsWith('::', lead) ? `${v.slice(0, lead + 1)}\\x3a${v.slice(lead + 2)}` : v;
}
/** Lines of a message for the job log, each inert (an LF in `s` starts a new line). */
function inertLines(s) {
    return s.split('\n').map(inertLine);
}


/***/ }),

/***/ 70209:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   BG: () => (/* binding */ StoreKinds),
/* harmony export */   CG: () => (/* binding */ STEP_SUMMARY_LIMIT),
/* harmony export */   G0: () => (/* binding */ Inputs),
/* harmony export */   QO: () => (/* binding */ COMMENT_MARKER_PREFIX),
/* harmony export */   ZI: () => (/* binding */ SecretIds),
/* harmony export */   _G: () => (/* binding */ RefreshModes),
/* harmony export */   dX: () => (/* binding */ Modes),
/* harmony export */   dm: () => (/* binding */ PruneModes),
/* harmony export */   dr: () => (/* binding */ CacheModes),
/* harmony export */   gC: () => (/* binding */ Labels),
/* harmony export */   tM: () => (/* binding */ CacheBackendChoices),
/* harmony export */   tS: () => (/* binding */ HASH_SCHEME),
/* harmony export */   tY: () => (/* binding */ Outputs),
/* harmony export */   uq: () => (/* binding */ MAX_DOCKERFILE_BYTES),
/* harmony export */   vs: () => (/* binding */ BuildArgNames)
/* harmony export */ });
/* unused harmony export CacheBackends */
// Every input and output name of action.yml, defined once (docs/DESIGN.md §2: the interface is a contract).
const Inputs = {
    EnvironmentFile: 'environment-file',
    PixiEnvironment: 'pixi-environment',
    Image: 'image',
    BaseRepository: 'base-repository',
    BaseTagPrefix: 'base-tag-prefix',
    BaseDockerfile: 'base-dockerfile',
    BaseBuildArgs: 'base-build-args',
    Dockerfile: 'dockerfile',
    Context: 'context',
    Tags: 'tags',
    Mode: 'mode',
    Push: 'push',
    MaxAge: 'max-age',
    CacheMode: 'cache-mode',
    CacheRef: 'cache-ref',
    AppCacheRef: 'app-cache-ref',
    Platforms: 'platforms',
    BuildPlatforms: 'build-platforms',
    BuildArgs: 'build-args',
    Labels: 'labels',
    Target: 'target',
    Builder: 'builder',
    KeepLatest: 'keep-latest',
    KeepDays: 'keep-days',
    Prune: 'prune',
    Summary: 'summary',
    PrComment: 'pr-comment',
    GithubToken: 'github-token',
    RegistryUsername: 'registry-username',
    RegistryPassword: 'registry-password',
    InsecureRegistries: 'insecure-registries',
    CompareTo: 'compare-to',
    MaxSize: 'max-size',
    MaxGrowth: 'max-growth',
    FailOnBudget: 'fail-on-budget',
    Refresh: 'refresh',
    CacheBackend: 'cache-backend',
    ActionsCacheMaxSize: 'actions-cache-max-size',
    Store: 'store',
    Secrets: 'secrets',
    SecretFiles: 'secret-files',
    SecretEnvs: 'secret-envs',
    Ssh: 'ssh',
    Condarc: 'condarc',
    SmokeTest: 'smoke-test',
    BaseSmokeTest: 'base-smoke-test',
    SmokeTestTimeout: 'smoke-test-timeout',
    Compression: 'compression',
    CompressionLevel: 'compression-level',
};
const Outputs = {
    EnvHash: 'env-hash',
    BaseTag: 'base-tag',
    BaseImage: 'base-image',
    BaseReused: 'base-reused',
    Image: 'image',
    Digest: 'digest',
    ImageSize: 'image-size',
    CacheHitRatio: 'cache-hit-ratio',
    CachedSteps: 'cached-steps',
    TotalSteps: 'total-steps',
    Metadata: 'metadata',
    Tags: 'tags',
    ChangedBytes: 'changed-bytes',
    Sbom: 'sbom',
    Lock: 'lock',
};
const Modes = ['auto', 'base', 'plan', 'merge'];
const PruneModes = ['false', 'dry-run', 'true'];
const RefreshModes = ['pull', 'full'];
const CacheBackends = ['registry', 'actions', 'both'];
/** `cache-backend` as written: a backend, or empty for "decided per run". */
const CacheBackendChoices = ['', ...CacheBackends];
const StoreKinds = ['registry', 'local'];
const CacheModes = ['min', 'max'];
/** Image labels the action writes on every base it builds. */
const Labels = {
    EnvHash: 'io.github.conda-image-action.env-hash',
    /** The canonical environment document (JSON) that was hashed; read back to explain rebuilds. */
    EnvDocument: 'io.github.conda-image-action.env-document',
    Scheme: 'io.github.conda-image-action.scheme',
    /** Absolute path of the size manifest (conda packages and installed sizes) in the image's last layer. */
    SizeManifest: 'io.github.conda-image-action.size-manifest',
    /** The lines of the hashed requirement files (not hashed): "why rebuilt" shows which requirements changed. */
    EnvFiles: 'io.github.conda-image-action.env-files',
    /** How long the base's build took, in seconds (its solve: the build without the export and push); read back when a run reuses the base. */
    BuildSeconds: 'io.github.conda-image-action.build-seconds',
    Source: 'org.opencontainers.image.source',
    Revision: 'org.opencontainers.image.revision',
    Created: 'org.opencontainers.image.created',
};
const HASH_SCHEME = 'v1';
/** Build-arg names passed to the Dockerfiles. */
const BuildArgNames = {
    EnvironmentFile: 'ENVIRONMENT_FILE',
    /** The environment hash, given to the bundled template only (part of its solve step's cache key). */
    EnvHash: 'ENV_HASH',
    BaseImage: 'BASE_IMAGE',
};
/** BuildKit secret ids the bundled template mounts when they are given. */
const SecretIds = {
    Condarc: 'condarc',
    PipConf: 'pip_conf',
    Netrc: 'netrc',
};
/** Marker that identifies the action's sticky PR comment (one per image). */
const COMMENT_MARKER_PREFIX = '<!-- conda-image-action:';
/** GitHub's limit on a step summary; the report stays well below it. */
const STEP_SUMMARY_LIMIT = 1024 * 1024;
/** Largest Dockerfile read (no real Dockerfile is anywhere near it). */
const MAX_DOCKERFILE_BYTES = 1024 * 1024;


/***/ }),

/***/ 42426:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   gJ: () => (/* binding */ errorMessage),
/* harmony export */   iU: () => (/* binding */ isUserError),
/* harmony export */   yo: () => (/* binding */ UserError)
/* harmony export */ });
/**
 * An error the user can fix (bad input, malformed environment file, denied registry access).
 * `main` reports it as one `::error` annotation — with file and line where known — and
 * exits non-zero without a stack trace. Anything else is a bug and is reported as such.
 */
class UserError extends Error {
    file;
    /** 1-based line in `file`. */
    line;
    column;
    constructor(message, where = {}) {
        super(message);
        this.name = 'UserError';
        this.file = where.file;
        this.line = where.line;
        this.column = where.column;
    }
}
function isUserError(e) {
    return e instanceof UserError;
}
/** Message of any thrown value, without a stack. */
function errorMessage(e) {
    if (e instanceof Error)
        return e.message;
    return String(e);
}


/***/ }),

/***/ 42613:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("assert");

/***/ }),

/***/ 20181:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("buffer");

/***/ }),

/***/ 35317:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("child_process");

/***/ }),

/***/ 76982:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("crypto");

/***/ }),

/***/ 24434:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("events");

/***/ }),

/***/ 79896:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("fs");

/***/ }),

/***/ 58611:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("http");

/***/ }),

/***/ 65692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("https");

/***/ }),

/***/ 69278:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("net");

/***/ }),

/***/ 34589:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:assert");

/***/ }),

/***/ 16698:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:async_hooks");

/***/ }),

/***/ 4573:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:buffer");

/***/ }),

/***/ 37540:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:console");

/***/ }),

/***/ 77598:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");

/***/ }),

/***/ 53053:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:diagnostics_channel");

/***/ }),

/***/ 40610:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:dns");

/***/ }),

/***/ 78474:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:events");

/***/ }),

/***/ 73024:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");

/***/ }),

/***/ 51455:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");

/***/ }),

/***/ 37067:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");

/***/ }),

/***/ 32467:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http2");

/***/ }),

/***/ 44708:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:https");

/***/ }),

/***/ 98995:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:module");

/***/ }),

/***/ 77030:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");

/***/ }),

/***/ 48161:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");

/***/ }),

/***/ 76760:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");

/***/ }),

/***/ 643:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:perf_hooks");

/***/ }),

/***/ 1708:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:process");

/***/ }),

/***/ 41792:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:querystring");

/***/ }),

/***/ 57075:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream");

/***/ }),

/***/ 41692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:tls");

/***/ }),

/***/ 73136:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:url");

/***/ }),

/***/ 57975:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util");

/***/ }),

/***/ 73429:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util/types");

/***/ }),

/***/ 75919:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:worker_threads");

/***/ }),

/***/ 38522:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:zlib");

/***/ }),

/***/ 70857:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("os");

/***/ }),

/***/ 16928:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("path");

/***/ }),

/***/ 932:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("process");

/***/ }),

/***/ 2203:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("stream");

/***/ }),

/***/ 13193:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("string_decoder");

/***/ }),

/***/ 53557:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("timers");

/***/ }),

/***/ 64756:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("tls");

/***/ }),

/***/ 52018:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("tty");

/***/ }),

/***/ 87016:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("url");

/***/ }),

/***/ 39023:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("util");

/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId].call(module.exports, module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/******/ // expose the modules object (__webpack_modules__)
/******/ __nccwpck_require__.m = __webpack_modules__;
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/create fake namespace object */
/******/ (() => {
/******/ 	var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 	var leafPrototypes;
/******/ 	// create a fake namespace object
/******/ 	// mode & 1: value is a module id, require it
/******/ 	// mode & 2: merge all properties of value into the ns
/******/ 	// mode & 4: return value when already ns object
/******/ 	// mode & 16: return value when it's Promise-like
/******/ 	// mode & 8|1: behave like require
/******/ 	__nccwpck_require__.t = function(value, mode) {
/******/ 		if(mode & 1) value = this(value);
/******/ 		if(mode & 8) return value;
/******/ 		if(typeof value === 'object' && value) {
/******/ 			if((mode & 4) && value.__esModule) return value;
/******/ 			if((mode & 16) && typeof value.then === 'function') return value;
/******/ 		}
/******/ 		var ns = Object.create(null);
/******/ 		__nccwpck_require__.r(ns);
/******/ 		var def = {};
/******/ 		leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 		for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 			Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 		}
/******/ 		def['default'] = () => (value);
/******/ 		__nccwpck_require__.d(ns, def);
/******/ 		return ns;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/ensure chunk */
/******/ (() => {
/******/ 	__nccwpck_require__.f = {};
/******/ 	// This file contains only the entry chunk.
/******/ 	// The chunk loading function for additional chunks
/******/ 	__nccwpck_require__.e = (chunkId) => {
/******/ 		return Promise.all(Object.keys(__nccwpck_require__.f).reduce((promises, key) => {
/******/ 			__nccwpck_require__.f[key](chunkId, promises);
/******/ 			return promises;
/******/ 		}, []));
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/get javascript chunk filename */
/******/ (() => {
/******/ 	// This function allow to reference async chunks
/******/ 	__nccwpck_require__.u = (chunkId) => {
/******/ 		// return url for filenames based on template
/******/ 		return "" + chunkId + ".index.js";
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/******/ /* webpack/runtime/make namespace object */
/******/ (() => {
/******/ 	// define __esModule on exports
/******/ 	__nccwpck_require__.r = (exports) => {
/******/ 		if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 			Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 		}
/******/ 		Object.defineProperty(exports, '__esModule', { value: true });
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/import chunk loading */
/******/ (() => {
/******/ 	// no baseURI
/******/ 	
/******/ 	// object to store loaded and loading chunks
/******/ 	// undefined = chunk not loaded, null = chunk preloaded/prefetched
/******/ 	// [resolve, Promise] = chunk loading, 0 = chunk loaded
/******/ 	var installedChunks = {
/******/ 		792: 0
/******/ 	};
/******/ 	
/******/ 	var installChunk = (data) => {
/******/ 		var {ids, modules, runtime} = data;
/******/ 		// add "modules" to the modules object,
/******/ 		// then flag all "ids" as loaded and fire callback
/******/ 		var moduleId, chunkId, i = 0;
/******/ 		for(moduleId in modules) {
/******/ 			if(__nccwpck_require__.o(modules, moduleId)) {
/******/ 				__nccwpck_require__.m[moduleId] = modules[moduleId];
/******/ 			}
/******/ 		}
/******/ 		if(runtime) runtime(__nccwpck_require__);
/******/ 		for(;i < ids.length; i++) {
/******/ 			chunkId = ids[i];
/******/ 			if(__nccwpck_require__.o(installedChunks, chunkId) && installedChunks[chunkId]) {
/******/ 				installedChunks[chunkId][0]();
/******/ 			}
/******/ 			installedChunks[ids[i]] = 0;
/******/ 		}
/******/ 	
/******/ 	}
/******/ 	
/******/ 	__nccwpck_require__.f.j = (chunkId, promises) => {
/******/ 			// import() chunk loading for javascript
/******/ 			var installedChunkData = __nccwpck_require__.o(installedChunks, chunkId) ? installedChunks[chunkId] : undefined;
/******/ 			if(installedChunkData !== 0) { // 0 means "already installed".
/******/ 	
/******/ 				// a Promise means "currently loading".
/******/ 				if(installedChunkData) {
/******/ 					promises.push(installedChunkData[1]);
/******/ 				} else {
/******/ 					if(true) { // all chunks have JS
/******/ 						// setup Promise in chunk cache
/******/ 						var promise = import("./" + __nccwpck_require__.u(chunkId)).then(installChunk, (e) => {
/******/ 							if(installedChunks[chunkId] !== 0) installedChunks[chunkId] = undefined;
/******/ 							throw e;
/******/ 						});
/******/ 						var promise = Promise.race([promise, new Promise((resolve) => (installedChunkData = installedChunks[chunkId] = [resolve]))])
/******/ 						promises.push(installedChunkData[1] = promise);
/******/ 					}
/******/ 				}
/******/ 			}
/******/ 	};
/******/ 	
/******/ 	// no prefetching
/******/ 	
/******/ 	// no preloaded
/******/ 	
/******/ 	// no external install chunk
/******/ 	
/******/ 	// no on chunks loaded
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(79407);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
