export const id = 31;
export const ids = [31];
export const modules = {

/***/ 48031:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   manifestParts: () => (/* binding */ manifestParts),
/* harmony export */   parsePixiManifest: () => (/* binding */ parsePixiManifest),
/* harmony export */   tomlJson: () => (/* binding */ tomlJson)
/* harmony export */ });
/* harmony import */ var smol_toml__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3292);
/* harmony import */ var _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(42426);
/* harmony import */ var _text_redact_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(53326);
/* harmony import */ var _canonical_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(22778);
/* harmony import */ var _label_secrets_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(50002);
// A pixi manifest (`pixi.toml`, or `[tool.pixi]` of a `pyproject.toml`) → the parts of it
// that change what `pixi install --locked -e <env>` installs or how the environment is
// activated, for the target platforms. Pure functions; a TOML error is a UserError with the
// file and line.
//
// The packages themselves are the lock's (lock.ts): dependency specs only decide whether the
// lock still satisfies the manifest (`--locked` fails the build when it does not), so they are
// not hashed here. What the manifest adds on top of the lock, per feature of the environment
// (the default feature too, unless `no-default-feature`), and per target selector matching a
// target platform (`[target.<platform>]`, `[feature.<f>.target.<platform>]`):
// - `[activation]` scripts and `env` (the scripts by content, in the loader),
// - `[system-requirements]`, `channels`, `channel-priority`, `pypi-options`,
// - the path entries of `pypi-dependencies` (their `editable` flag and extras are read from
//   the manifest when installing);
// the environment's feature list, the workspace `name` (activation sets PIXI_PROJECT_NAME and
// CONDA_DEFAULT_ENV from it), its channels, `channel-priority` and `pypi-options`; and in a
// `pyproject.toml`, everything outside `[tool.pixi]` (it describes how the project itself is
// built when the environment installs it: `pypi: .`), like a `[package]` table (pixi-build).
// Not counted: tasks, other environments and features, other platforms' targets,
// descriptions, comments, formatting and key order.





const isTable = (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof smol_toml__WEBPACK_IMPORTED_MODULE_0__/* .TomlDate */ .PJ);
/** The 1-based line of the first line matching `re`, else 1. */
function lineOf(text, re) {
    const lines = text.split('\n');
    const i = lines.findIndex((l) => re.test(l));
    return i < 0 ? 1 : i + 1;
}
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Parses a manifest; undefined when it is a `pyproject.toml` without `[tool.pixi]`. */
function parsePixiManifest(text, file, kind) {
    let doc;
    try {
        doc = (0,smol_toml__WEBPACK_IMPORTED_MODULE_0__/* .parse */ .qg)(text);
    }
    catch (e) {
        if (e instanceof smol_toml__WEBPACK_IMPORTED_MODULE_0__/* .TomlError */ .zx) {
            const line = e.line > 0 ? e.line : 1;
            const why = (0,_text_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .excerpt */ .Kb)(e.message.split('\n')[0].replace(/^Invalid TOML document: /, ''), 120);
            throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo(`${file}:${line}: not valid TOML: ${why}`, { file, line });
        }
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo(`${file}:1: not valid TOML (${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .excerpt */ .Kb)(String(e.message ?? e).split('\n')[0], 120)})`, { file, line: 1 });
    }
    if (kind === 'pixi.toml')
        return { file, kind, pixi: doc, text };
    const tool = doc.tool;
    if (!isTable(tool) || !isTable(tool.pixi))
        return undefined;
    const { pixi, ...otherTools } = tool;
    const pyproject = { ...doc };
    if (Object.keys(otherTools).length)
        pyproject.tool = otherTools;
    else
        delete pyproject.tool;
    return { file, kind, pixi: pixi, pyproject, text };
}
/** TOML values as plain JSON (numbers, booleans and dates as their text); credentials in URLs redacted. */
function tomlJson(v) {
    if (v === null || v === undefined)
        return null;
    if (typeof v === 'string')
        return (0,_label_secrets_js__WEBPACK_IMPORTED_MODULE_4__/* .redactUrlSecrets */ .A_)(v);
    if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean')
        return String(v);
    if (v instanceof smol_toml__WEBPACK_IMPORTED_MODULE_0__/* .TomlDate */ .PJ)
        return v.toISOString();
    if (Array.isArray(v))
        return v.map(tomlJson);
    if (isTable(v))
        return Object.fromEntries(Object.keys(v).map((k) => [k, tomlJson(v[k])]));
    return null;
}
const json = (v) => (0,_canonical_js__WEBPACK_IMPORTED_MODULE_3__/* .canonicalJson */ .dj)(tomlJson(v));
/** The workspace table: `[workspace]`, or `[project]` of older manifests. */
function workspaceOf(m) {
    const w = m.pixi.workspace ?? m.pixi.project;
    return isTable(w) ? w : {};
}
/** Conda subdirs of target selectors: exact subdirs, families, `unix`. */
const SUBDIR = /^(linux|osx|win|emscripten|wasi|zos)-[a-z0-9_]+$/;
function selectorMatches(selector, subdir, names) {
    const family = subdir.split('-')[0];
    if (selector === subdir || selector === family)
        return true;
    if (selector === 'unix')
        return family === 'linux' || family === 'osx';
    if (SUBDIR.test(selector) || ['linux', 'osx', 'win', 'unix', 'emscripten', 'wasi', 'zos'].includes(selector))
        return false;
    const named = names.get(selector);
    // a selector this action does not know counts, whatever it means (a rebuild rather than a wrong reuse)
    return named === undefined || named === subdir;
}
/** Platform names of the manifest (`{ name, platform }` entries of `platforms`) → subdir. */
function manifestPlatformNames(m) {
    const out = new Map();
    const ps = workspaceOf(m).platforms;
    if (Array.isArray(ps))
        for (const p of ps)
            if (isTable(p) && typeof p.platform === 'string')
                out.set(typeof p.name === 'string' ? p.name : p.platform, p.platform);
    return out;
}
/** The keys of a feature (or a target of it) that change the installed environment or its activation. */
const FEATURE_KEYS = ['channels', 'channel-priority', 'system-requirements', 'activation', 'pypi-options'];
/**
 * What counts of the manifest for environment `env` on the target `subdirs`.
 * `lockPlatforms`: a version 7 lock's platform names → subdir (target selectors may use them).
 */
function manifestParts(m, env, subdirs, opts = {}) {
    const lockPlatforms = opts.lockPlatforms;
    const settings = {};
    const scripts = [];
    const ws = workspaceOf(m);
    const names = new Map([...manifestPlatformNames(m), ...(lockPlatforms ?? [])]);
    const name = ws.name ?? (isTable(m.pyproject?.project) ? m.pyproject.project.name : undefined);
    if (name !== undefined)
        settings['workspace name'] = json(name);
    for (const k of ['channels', 'channel-priority', 'pypi-options'])
        if (ws[k] !== undefined)
            settings[`workspace ${k}`] = json(ws[k]);
    // the rest of a pyproject.toml builds the project itself, when the environment installs it
    if (m.pyproject && opts.installsProject)
        settings['pyproject.toml outside [tool.pixi]'] = json(m.pyproject);
    // so does a pixi-build `[package]` table (the project as a conda source package)
    if (opts.installsProject && m.pixi.package !== undefined)
        settings['package'] = json(m.pixi.package);
    const envs = isTable(m.pixi.environments) ? m.pixi.environments : {};
    const decl = envs[env];
    let listed = [];
    let noDefault = false;
    if (decl === undefined) {
        if (env !== 'default') {
            const have = ['default', ...Object.keys(envs).filter((k) => k !== 'default')];
            throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo(`${m.file}:${lineOf(m.text, /^\s*\[(tool\.pixi\.)?environments\]/)}: the manifest has no environment "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .excerpt */ .Kb)(env)}" (it has ${have.map((h) => `"${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .excerpt */ .Kb)(h, 40)}"`).join(', ')}) — set \`pixi-environment\` to one of them`, { file: m.file, line: lineOf(m.text, /^\s*\[(tool\.pixi\.)?environments\]/) });
        }
    }
    else if (Array.isArray(decl))
        listed = decl.map(String);
    else if (isTable(decl)) {
        listed = Array.isArray(decl.features) ? decl.features.map(String) : [];
        noDefault = decl['no-default-feature'] === true;
    }
    else {
        const line = lineOf(m.text, new RegExp(`^\\s*"?${escapeRe(env)}"?\\s*=`));
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo(`${m.file}:${line}: environment "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .excerpt */ .Kb)(env)}" must be a list of features or a table with \`features\``, { file: m.file, line });
    }
    const featureTables = isTable(m.pixi.feature) ? m.pixi.feature : {};
    const features = [...listed, ...(noDefault ? [] : ['default'])];
    settings['environment features'] = (0,_canonical_js__WEBPACK_IMPORTED_MODULE_3__/* .canonicalJson */ .dj)(features);
    for (const f of features) {
        const table = f === 'default' ? m.pixi : featureTables[f];
        if (!isTable(table)) {
            const line = lineOf(m.text, new RegExp(`^\\s*"?${escapeRe(env)}"?\\s*=`));
            throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo(`${m.file}:${line}: environment "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .excerpt */ .Kb)(env)}" uses feature "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .excerpt */ .Kb)(f)}", which the manifest does not define (it has ${Object.keys(featureTables)
                .map((k) => `"${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .excerpt */ .Kb)(k, 40)}"`)
                .join(', ') || 'none'})`, { file: m.file, line });
        }
        collect(table, `feature ${f}`, settings, scripts);
        const targets = isTable(table.target) ? table.target : {};
        for (const sel of Object.keys(targets).sort()) {
            if (!subdirs.some((s) => selectorMatches(sel, s, names)))
                continue;
            if (isTable(targets[sel]))
                collect(targets[sel], `feature ${f} target ${sel}`, settings, scripts);
        }
    }
    return { features, settings, scripts };
}
function collect(table, where, settings, scripts) {
    for (const k of FEATURE_KEYS)
        if (table[k] !== undefined)
            settings[`${where} ${k}`] = json(table[k]);
    const pypi = table['pypi-dependencies'];
    if (isTable(pypi)) {
        const paths = Object.keys(pypi)
            .filter((k) => isTable(pypi[k]) && pypi[k].path !== undefined)
            .sort();
        if (paths.length)
            settings[`${where} pypi path sources`] = (0,_canonical_js__WEBPACK_IMPORTED_MODULE_3__/* .canonicalJson */ .dj)(Object.fromEntries(paths.map((k) => [k, tomlJson(pypi[k])])));
    }
    const act = table.activation;
    if (isTable(act) && Array.isArray(act.scripts))
        for (const s of act.scripts)
            if (typeof s === 'string')
                scripts.push({ path: s, where });
}


/***/ })

};
