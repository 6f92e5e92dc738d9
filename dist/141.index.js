export const id = 141;
export const ids = [141];
export const modules = {

/***/ 94141:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   PIXI_LOCK_VERSIONS: () => (/* binding */ PIXI_LOCK_VERSIONS),
/* harmony export */   condaFileParts: () => (/* binding */ condaFileParts),
/* harmony export */   isLocalLocation: () => (/* binding */ isLocalLocation),
/* harmony export */   isPixiLock: () => (/* binding */ isPixiLock),
/* harmony export */   readPixiLock: () => (/* binding */ readPixiLock),
/* harmony export */   selectEnvironment: () => (/* binding */ selectEnvironment)
/* harmony export */ });
/* harmony import */ var _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(42426);
/* harmony import */ var _text_redact_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(53326);
/* harmony import */ var _canonical_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(22778);
/* harmony import */ var _env_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(64775);
/* harmony import */ var _label_secrets_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(50002);
// pixi.lock (formats 4 to 7, parsed to a PNode tree) → the packages one environment installs
// on each target. Pure functions; every problem is a UserError with the file and line.
//
// The formats, as rattler-lock writes them:
// - every version: `environments.<env>` with `channels` (`- url: …`), optional `indexes`,
//   `find-links`, `options`, and `packages.<platform>`: a list of selectors, one single-kind
//   key (`conda: <url or path>`, `pypi: <url or path>`, v7 `conda_source: <name>[<id>] @ <path>`)
//   plus, for source packages, keys that tell variants apart (`name`, `build`, `subdir`, …);
// - versions 4 and 5: top-level `packages` entries with `kind: conda|pypi` and `url` or `path`;
// - versions 6 and 7: entries keyed like the selectors (`conda: <url>`, `pypi: <url>`, …);
// - version 7: a top-level `platforms` list (`name`, optional `subdir`): environments list
//   their packages by platform *name*, several names may share a conda subdir.
//
// What a package counts with is what `pixi install --locked` fetches and checks — its location
// (URL or path) and checksums, a PyPI package's name, version and editability — written the
// same way for every format (a lock rewritten by a newer pixi with the same packages keeps the
// hash). Sizes, timestamps, licenses, dependency lists and purls are metadata of the same bytes.





/** Lock formats read. */
const PIXI_LOCK_VERSIONS = [4, 5, 6, 7];
const KINDS = ['conda', 'conda_source', 'pypi'];
/** True when a YAML tree looks like a pixi lock: `version` and `environments` at the top. */
function isPixiLock(root) {
    if (root.kind !== 'map')
        return false;
    const keys = new Set(root.entries.map((e) => e.key));
    return keys.has('version') && keys.has('environments');
}
function entryOf(m, key) {
    return m.entries.find((e) => e.key === key);
}
function str(m, key) {
    const e = entryOf(m, key);
    return e && e.value.kind === 'scalar' ? (e.value.value ?? undefined) : undefined;
}
const fail = (file, line, message) => {
    throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${file}:${line}: ${message}`, { file, line });
};
function lockVersion(root, file) {
    const v = entryOf(root, 'version');
    const text = v.value.kind === 'scalar' ? (v.value.value ?? '') : '';
    const n = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
    if (!PIXI_LOCK_VERSIONS.includes(n))
        fail(file, v.keyLine, `pixi.lock format version "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(text || v.value.kind)}" is not one this action reads (versions ${PIXI_LOCK_VERSIONS.join(', ')}) — lock it with a pixi release that writes one of them, or update the action`);
    return n;
}
/** The kind key of a v6/v7 entry or selector: `conda`, `conda_source` or `pypi`. */
function kindOf(m) {
    return KINDS.find((k) => entryOf(m, k) !== undefined);
}
/** A v4/v5 package: `kind` with `url` or `path`. */
function legacyPackage(m, file) {
    const kind = str(m, 'kind');
    if (kind !== 'conda' && kind !== 'pypi')
        fail(file, m.line, `package entry with kind "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(kind ?? '(none)')}" — expected conda or pypi`);
    const location = str(m, 'url') ?? str(m, 'path');
    if (!location)
        fail(file, m.line, `package entry without a URL or path (${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(str(m, 'name') ?? 'no name')})`);
    return { kind: kind, location: location, map: m };
}
function modernPackage(m, file) {
    const kind = kindOf(m);
    if (!kind)
        fail(file, m.line, 'package entry without a URL or path (no `conda:`, `conda_source:` or `pypi:` key)');
    const location = str(m, kind);
    if (!location)
        fail(file, m.line, `package entry with an empty \`${kind}:\` — expected its URL or path`);
    return { kind: kind, location: location, map: m };
}
const key = (kind, location) => `${kind}\0${location}`;
/** Reads the structure of a pixi lock (version, platforms, package index); environments are read on selection. */
function readPixiLock(root, file) {
    const version = lockVersion(root, file);
    const envs = entryOf(root, 'environments');
    if (envs.value.kind !== 'map')
        fail(file, envs.keyLine, '`environments` must be a mapping of environment names');
    const packages = new Map();
    const pk = entryOf(root, 'packages');
    if (pk && !(pk.value.kind === 'scalar' && pk.value.value === null)) {
        if (pk.value.kind !== 'seq')
            fail(file, pk.keyLine, '`packages` must be a list');
        for (const item of pk.value.items) {
            if (item.kind !== 'map')
                fail(file, item.line, 'each package must be a mapping');
            const p = version <= 5 ? legacyPackage(item, file) : modernPackage(item, file);
            const k = p.kind === 'conda_source' ? key('conda', p.location) : key(p.kind, p.location);
            const list = packages.get(k);
            if (list)
                list.push(p);
            else
                packages.set(k, [p]);
        }
    }
    return { file, version, platforms: version >= 7 ? readPlatforms(root, file) : undefined, environments: envs.value, packages };
}
function readPlatforms(root, file) {
    const out = new Map();
    const e = entryOf(root, 'platforms');
    if (!e || e.value.kind !== 'seq')
        return out;
    for (const p of e.value.items) {
        if (p.kind !== 'map' || !str(p, 'name'))
            fail(file, p.line, 'each platform must be a mapping with a `name`');
        out.set(str(p, 'name'), str(p, 'subdir') ?? str(p, 'name'));
    }
    return out;
}
/** A location that is not a URL: a path relative to the lock (or absolute, or `file:`). */
function isLocalLocation(location) {
    return !/^[a-z][a-z0-9+.-]*:/i.test(location) || /^file:/i.test(location);
}
/** `…/numpy-1.26.4-py312h_0.conda` → name, version, build. */
function condaFileParts(location) {
    const base = location.split(/[?#]/)[0].split('/').pop() ?? '';
    const m = /^(.+)-([^-]+)-([^-]+)\.(conda|tar\.bz2)$/.exec(base);
    return m ? { name: m[1], version: m[2], build: m[3] } : undefined;
}
/** `…/numpy-2.2.1-cp313-…whl` / `foo-1.0.tar.gz` → name and version. */
function pypiFileParts(location) {
    const base = location.split(/[?#]/)[0].split('/').pop() ?? '';
    const m = /^([^-]+)-([^-]+?)(?:-.*)?\.(whl|tar\.gz|zip)$/.exec(base);
    return m ? { name: m[1], version: m[2] } : undefined;
}
const json = (n) => (n === undefined ? '-' : (0,_canonical_js__WEBPACK_IMPORTED_MODULE_2__/* .canonicalJson */ .dj)((0,_env_js__WEBPACK_IMPORTED_MODULE_3__/* .toJson */ .aB)(n)));
function packageLine(p, selectorExtra) {
    const m = p.map;
    const location = (0,_label_secrets_js__WEBPACK_IMPORTED_MODULE_4__/* .redactUrlSecrets */ .A_)(p.kind === 'conda_source' ? (p.location.split(' @ ').pop() ?? p.location) : p.location);
    const local = isLocalLocation(location);
    if (p.kind === 'pypi') {
        const parts = pypiFileParts(location);
        const name = str(m, 'name') ?? parts?.name ?? location;
        const version = str(m, 'version') ?? parts?.version ?? '?';
        const editable = str(m, 'editable') === 'true';
        const line = `pypi ${location} name=${name} version=${version} sha256=${str(m, 'sha256') ?? '-'} editable=${editable}${selectorExtra}`;
        return { line, item: `pypi:${name}=${version}`, ...(local ? { path: { kind: 'pypi', location, editable, line: m.line } } : {}) };
    }
    const file = condaFileParts(location);
    const name = str(m, 'name') ?? file?.name ?? p.location.split('[')[0].trim();
    const version = str(m, 'version') ?? file?.version ?? '?';
    if (file && !(p.kind === 'conda_source')) {
        const line = `conda ${location} sha256=${str(m, 'sha256') ?? '-'} md5=${str(m, 'md5') ?? '-'}${selectorExtra}`;
        return { line, item: `conda:${name}=${version}`, ...(local ? { path: { kind: 'conda', location, editable: false, line: m.line } } : {}) };
    }
    // a source package: built from its location by the build backend; the whole entry counts
    const fields = Object.fromEntries(m.entries.filter((e) => e.key !== 'timestamp').map((e) => [e.key, redactJson((0,_env_js__WEBPACK_IMPORTED_MODULE_3__/* .toJson */ .aB)(e.value))]));
    const line = `conda-source ${location} ${(0,_canonical_js__WEBPACK_IMPORTED_MODULE_2__/* .canonicalJson */ .dj)(fields)}${selectorExtra}`;
    return { line, item: `conda:${name}=${version}`, ...(local ? { path: { kind: 'conda', location, editable: false, line: m.line } } : {}) };
}
function redactJson(v) {
    if (v === null)
        return null;
    if (typeof v === 'string')
        return (0,_label_secrets_js__WEBPACK_IMPORTED_MODULE_4__/* .redactUrlSecrets */ .A_)(v);
    if (Array.isArray(v))
        return v.map(redactJson);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactJson(x)]));
}
/** The package entries a selector names, narrowed by its other keys (and the subdir for binaries). */
function resolveSelector(lock, sel, subdir, env, platform) {
    const kind = kindOf(sel);
    const location = kind && str(sel, kind);
    if (!kind || !location)
        return fail(lock.file, sel.line, `a package of environment "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(env)}" (${platform}) without a URL or path`);
    const candidates = lock.packages.get(key(kind === 'pypi' ? 'pypi' : 'conda', location)) ?? [];
    const extras = sel.entries.filter((e) => e.key !== kind);
    let found = candidates.filter((c) => extras.every((x) => entryOf(c.map, x.key) === undefined || json(entryOf(c.map, x.key).value) === json(x.value)));
    if (found.length > 1) {
        const bySubdir = found.filter((c) => [subdir, 'noarch', undefined].includes(str(c.map, 'subdir')));
        if (bySubdir.length)
            found = bySubdir;
    }
    if (found.length === 0)
        fail(lock.file, sel.line, `environment "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(env)}" (${platform}) lists ${kind} package ${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(location)}, but no package entry of the lock has it`);
    const extra = extras.length ? ` selector=${(0,_canonical_js__WEBPACK_IMPORTED_MODULE_2__/* .canonicalJson */ .dj)(Object.fromEntries(extras.map((x) => [x.key, redactJson((0,_env_js__WEBPACK_IMPORTED_MODULE_3__/* .toJson */ .aB)(x.value))])))}` : '';
    return found.map((p) => packageLine(p, extra));
}
/** The channel URLs of an environment (`- url: …` in every format; a plain string is taken as is). */
function channelsOf(m, file) {
    const e = entryOf(m, 'channels');
    if (!e || (e.value.kind === 'scalar' && e.value.value === null))
        return [];
    if (e.value.kind !== 'seq')
        return fail(file, e.keyLine, '`channels` must be a list');
    return e.value.items.map((c) => {
        const url = c.kind === 'scalar' ? c.value : c.kind === 'map' ? str(c, 'url') : undefined;
        if (!url)
            fail(file, c.line, 'each channel must have a `url`');
        return (0,_label_secrets_js__WEBPACK_IMPORTED_MODULE_4__/* .redactUrlSecrets */ .A_)(url) + (c.kind === 'map' && c.entries.length > 1 ? ` ${json(c)}` : '');
    });
}
/** The lock's platforms that a target subdir maps to (v7: every named platform with that subdir). */
function platformsFor(lock, have, subdir) {
    if (!lock.platforms)
        return have.includes(subdir) ? [subdir] : [];
    return have.filter((name) => (lock.platforms.get(name) ?? name) === subdir);
}
/** The packages `pixi install --locked -e <env>` installs on each target subdir. */
function selectEnvironment(lock, env, subdirs) {
    const e = entryOf(lock.environments, env);
    if (!e) {
        const names = lock.environments.entries.map((x) => x.key);
        fail(lock.file, lock.environments.line, `the lock has no environment "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(env)}" (it has ${names.map((n) => `"${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(n, 40)}"`).join(', ') || 'none'}) — set \`pixi-environment\` to one of them`);
    }
    if (e.value.kind !== 'map')
        fail(lock.file, e.keyLine, `environment "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(env)}" must be a mapping`);
    const m = e.value;
    const settings = {};
    for (const x of m.entries)
        if (x.key !== 'packages' && x.key !== 'channels')
            settings[`lock ${x.key}`] = (0,_canonical_js__WEBPACK_IMPORTED_MODULE_2__/* .canonicalJson */ .dj)(redactJson((0,_env_js__WEBPACK_IMPORTED_MODULE_3__/* .toJson */ .aB)(x.value)));
    const pk = entryOf(m, 'packages');
    const byPlatform = new Map();
    if (pk && pk.value.kind === 'map') {
        for (const p of pk.value.entries) {
            if (p.value.kind === 'seq')
                byPlatform.set(p.key, { line: p.keyLine, items: p.value.items });
            else if (!(p.value.kind === 'scalar' && p.value.value === null))
                fail(lock.file, p.keyLine, `packages of ${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(p.key)} must be a list`);
        }
    }
    else if (pk && !(pk.value.kind === 'scalar' && pk.value.value === null))
        fail(lock.file, pk.keyLine, '`packages` of an environment must be a mapping of platforms');
    const have = [...byPlatform.keys()];
    const targets = new Map();
    for (const subdir of subdirs) {
        const names = platformsFor(lock, have, subdir);
        if (names.length === 0 && have.length > 0)
            fail(lock.file, pk.keyLine, `environment "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(env)}" of the lock has no packages for ${subdir} (it has ${have.map((h) => (0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(h, 40)).join(', ')}) — add the platform to the manifest and run \`pixi lock\`, or set \`platforms\``);
        for (const name of names.sort()) {
            const packages = byPlatform.get(name).items.flatMap((s) => {
                if (s.kind !== 'map')
                    return fail(lock.file, s.line, `each package of environment "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(env)}" must be a mapping such as "conda: <url>"`);
                return resolveSelector(lock, s, subdir, env, name);
            });
            targets.set(name === subdir ? subdir : `${subdir}:${name}`, { subdir, name, packages });
        }
    }
    return { channels: channelsOf(m, lock.file), settings, targets };
}


/***/ })

};
