export const id = 970;
export const ids = [970];
export const modules = {

/***/ 22778:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   dj: () => (/* binding */ canonicalJson),
/* harmony export */   fg: () => (/* binding */ sha256Hex),
/* harmony export */   jN: () => (/* binding */ normalizeNewlines)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);

/**
 * Canonical JSON: object keys sorted (by UTF-16 code unit, like Array#sort), no whitespace,
 * `undefined` members omitted, arrays kept in order. Strings are escaped by JSON.stringify,
 * which is deterministic.
 */
function canonicalJson(value) {
    if (value === null)
        return 'null';
    if (Array.isArray(value))
        return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
    switch (typeof value) {
        case 'string':
        case 'boolean':
            return JSON.stringify(value);
        case 'number':
            if (!Number.isFinite(value))
                throw new TypeError('canonicalJson: non-finite number');
            return JSON.stringify(value);
        case 'object': {
            const obj = value;
            const keys = Object.keys(obj)
                .filter((k) => obj[k] !== undefined)
                .sort();
            return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
        }
        default:
            throw new TypeError(`canonicalJson: cannot serialize ${typeof value}`);
    }
}
function sha256Hex(data) {
    return (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha256').update(data).digest('hex');
}
/** UTF-8 BOM removed, CRLF and lone CR turned into LF. */
function normalizeNewlines(text) {
    const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    return noBom.includes('\r') ? noBom.replace(/\r\n?/g, '\n') : noBom;
}


/***/ }),

/***/ 64775:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Qo: () => (/* binding */ readEnvironment),
/* harmony export */   XO: () => (/* binding */ selectEntries),
/* harmony export */   aB: () => (/* binding */ toJson)
/* harmony export */ });
/* unused harmony exports KNOWN_KEYS, userRecord, misspeltKey, pipSectionMarker */
/* harmony import */ var _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(42426);
/* harmony import */ var _text_redact_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(53326);
/* harmony import */ var _selectors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(51954);
/* harmony import */ var _spec_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(12253);
// conda environment.yml (parsed to a PNode tree) → a plain model, and the model's selection
// for each target conda subdir. Pure functions; every user mistake is a UserError with line.
//
// Keys, following conda's own reading of the file (conda.env.env: name, channels,
// dependencies, prefix, variables):
// - `name`: kept as a string; whether it counts is decided by the Dockerfile (dockerfile.ts);
// - `channels`: list of strings, order kept (priority); null/empty = none;
// - `dependencies`: list of conda specs and `pip:` mappings (also micromamba's
//   `sel(<selector>): spec`); missing is an error (the image would hold nothing — usually a
//   misspelt key), `dependencies:` with no value is an empty list, as in conda;
// - `prefix`: dropped — where the environment goes is the Dockerfile's business;
// - `variables`: mapping of strings;
// - any other key: kept verbatim in `extra` — conda ignores it, but a tool in the base
//   Dockerfile may not (conda-lock reads `platforms`, others read `category`, …), and we
//   know of no key that is cosmetic for every installer, so a change there rebuilds (a
//   rare false miss, never a false hit). A key that looks like a misspelt conda key is
//   warned about.




const KNOWN_KEYS = ['name', 'channels', 'dependencies', 'prefix', 'variables'];
/** Keys of tools other than conda that we recognise (kept in `extra`, no warning). */
const TOOL_KEYS = new Set(['platforms', 'category', 'channel_priority']);
/**
 * A record for user keys: no prototype, so `__proto__`, `constructor` or `toString` are keys
 * like any other (with `{}`, `out['__proto__'] = v` would set the prototype and lose `v`).
 */
function userRecord() {
    return Object.create(null);
}
function toJson(n) {
    if (n.kind === 'scalar')
        return n.value;
    if (n.kind === 'seq')
        return n.items.map(toJson);
    const out = userRecord();
    for (const e of n.entries)
        out[e.key] = toJson(e.value);
    return out;
}
function describe(n) {
    if (n.kind === 'scalar')
        return n.value === null ? 'empty' : `the string "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(n.value)}"`;
    return n.kind === 'seq' ? 'a list' : 'a mapping';
}
/** Edit distance, small strings only (misspelling hints). */
function distance(a, b) {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++)
        d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++)
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
}
const SYNONYMS = {
    requirements: 'dependencies',
    deps: 'dependencies',
    packages: 'dependencies',
    dependency: 'dependencies',
    env: 'variables',
    environment: 'variables',
};
/** The conda key an unknown key was probably meant to be. */
function misspeltKey(key) {
    const k = key.toLowerCase();
    if (Object.hasOwn(SYNONYMS, k))
        return SYNONYMS[k];
    let best;
    for (const known of KNOWN_KEYS) {
        if (k === known)
            return key === known ? undefined : known;
        const d = distance(k, known);
        if (d <= 2 && (!best || d < distance(k, best)))
            best = known;
    }
    return best;
}
function readEnvironment(root, file) {
    if (root.kind === 'scalar' && root.value === null)
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${file} is empty — expected a conda environment (name, channels, dependencies)`, { file, line: 1 });
    if (root.kind !== 'map')
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${file}:${root.line}: the top level must be a mapping (name:, channels:, dependencies:), not ${describe(root)}`, {
            file,
            line: root.line,
        });
    const warnings = [];
    const extra = userRecord();
    let name;
    let channels = [];
    let variables;
    let deps;
    const suspicious = [];
    for (const { key, keyLine, value } of root.entries) {
        switch (key) {
            case 'name':
                if (value.kind !== 'scalar')
                    throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${file}:${value.line}: \`name\` must be a string, not ${describe(value)}`, { file, line: value.line });
                name = value.value ?? undefined;
                break;
            case 'channels':
                channels = readChannels(value, file);
                break;
            case 'dependencies':
                deps = value;
                break;
            case 'prefix':
                break;
            case 'variables':
                variables = readVariables(value, file);
                break;
            default: {
                extra[key] = toJson(value);
                if (TOOL_KEYS.has(key))
                    break;
                const meant = misspeltKey(key);
                if (meant)
                    suspicious.push({ key, line: keyLine, meant });
                warnings.push(`${file}:${keyLine}: unknown top-level key "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(key)}"${meant ? ` (did you mean "${meant}"?)` : ''} — conda ignores it; it is kept in the environment hash`);
            }
        }
    }
    if (deps === undefined) {
        const hint = suspicious.find((s) => s.meant === 'dependencies');
        const line = hint?.line ?? root.line;
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${file}:${line}: no \`dependencies:\` list — the environment would install nothing${hint ? ` (found "${hint.key}:" — did you mean "dependencies:"?)` : ''}`, { file, line });
    }
    const { conda, pipSections } = readDependencies(deps, file, warnings);
    return { name, channels, conda, pipSections, variables, extra, warnings };
}
function readChannels(value, file) {
    if (value.kind === 'scalar' && value.value === null)
        return [];
    if (value.kind !== 'seq')
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${file}:${value.line}: \`channels\` must be a list of channel names, not ${describe(value)}`, { file, line: value.line });
    return value.items.map((c) => {
        if (c.kind !== 'scalar' || c.value === null || c.value.trim() === '')
            throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${file}:${c.line}: each channel must be a non-empty string, not ${describe(c)}`, { file, line: c.line });
        return c.value.trim();
    });
}
function readVariables(value, file) {
    if (value.kind === 'scalar' && value.value === null)
        return undefined;
    if (value.kind !== 'map')
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${file}:${value.line}: \`variables\` must be a mapping of NAME: value, not ${describe(value)}`, { file, line: value.line });
    const out = userRecord();
    for (const { key, value: v } of value.entries) {
        if (v.kind !== 'scalar')
            throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${file}:${v.line}: variable "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(key)}" must have a string value, not ${describe(v)}`, { file, line: v.line });
        out[key] = v.value;
    }
    return out;
}
/** A conda spec or a pip entry that cannot be one (see condaSpecProblem, pipEntryProblem). */
function impossible(n, problem, file) {
    const why = problem(n.value);
    const what = problem === _spec_js__WEBPACK_IMPORTED_MODULE_3__/* .pipEntryProblem */ .xu ? 'a pip requirement' : 'a conda package spec';
    if (why)
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${file}:${n.line}: "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(n.value)}" is not ${what}: ${why}`, { file, line: n.line });
}
function entryOf(n, what, file, warnings, problem = _spec_js__WEBPACK_IMPORTED_MODULE_3__/* .condaSpecProblem */ .yJ) {
    if (n.kind !== 'scalar' || n.value === null || n.value.trim() === '')
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${file}:${n.line}: ${what} must be a non-empty string, not ${describe(n)}`, { file, line: n.line });
    impossible({ value: n.value, line: n.line }, problem, file);
    if (n.typed && warnings) {
        warnings.push(`${file}:${n.line}: ${what.replace(/^an? /, '')} ${n.value} is a ${n.typed} in YAML, not a package spec — conda reads it as a ${n.typed}; quote it if it is meant as a name`);
    }
    const expr = (0,_selectors_js__WEBPACK_IMPORTED_MODULE_2__/* .selectorOfComment */ .e9)(n.comment);
    return expr ? { text: n.value, line: n.line, selector: { expr, form: 'comment' } } : { text: n.value, line: n.line };
}
function readDependencies(value, file, warnings) {
    const conda = [];
    const pipSections = [];
    if (value.kind === 'scalar' && value.value === null) {
        warnings.push(`${file}:${value.line}: \`dependencies\` is empty — the environment installs nothing`);
        return { conda, pipSections };
    }
    if (value.kind !== 'seq')
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${file}:${value.line}: \`dependencies\` must be a list (- numpy, - pip: [...]), not ${describe(value)}`, { file, line: value.line });
    for (const item of value.items) {
        if (item.kind === 'scalar') {
            conda.push(entryOf(item, 'a dependency', file, warnings));
            continue;
        }
        if (item.kind === 'map' && item.entries.length === 1) {
            const { key, value: v } = item.entries[0];
            if (key === 'pip') {
                pipSections.push(readPip(v, file, warnings));
                continue;
            }
            const expr = (0,_selectors_js__WEBPACK_IMPORTED_MODULE_2__/* .selectorOfKey */ .cV)(key);
            if (expr !== undefined) {
                const e = entryOf(v, `the dependency of "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(key)}"`, file, warnings);
                conda.push({ text: e.text, line: e.line, selector: { expr, form: 'sel' } });
                continue;
            }
            throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${file}:${item.line}: unexpected mapping "${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(key)}:" in \`dependencies\` — only "pip:" (or micromamba's "sel(...):") may appear there`, { file, line: item.line });
        }
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${file}:${item.line}: a dependency must be a string (e.g. "numpy>=1.26") or a "pip:" list, not ${item.kind === 'map'
            ? `a mapping with keys ${item.entries
                .slice(0, 5)
                .map((e) => `"${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(e.key, 40)}"`)
                .join(', ')}${item.entries.length > 5 ? ', …' : ''}`
            : describe(item)}`, { file, line: item.line });
    }
    return { conda, pipSections };
}
function readPip(v, file, warnings) {
    if (v.kind === 'scalar' && v.value === null)
        return [];
    if (v.kind !== 'seq')
        throw new _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_0__/* .UserError */ .yo(`${file}:${v.line}: \`pip:\` must be a list of pip requirements, not ${describe(v)}`, { file, line: v.line });
    return v.items.map((i) => entryOf(i, 'a pip entry', file, warnings, _spec_js__WEBPACK_IMPORTED_MODULE_3__/* .pipEntryProblem */ .xu));
}
/** Marker between pip sections when there are several (conda keeps only the last `pip:` mapping, micromamba merges them). */
function pipSectionMarker(n) {
    return `# pip section ${n}`;
}
function selectEntries(model, subdirs, file) {
    const warnings = [];
    const excluded = new Set();
    const withSelector = (text, sel) => (sel.form === 'sel' ? `sel(${sel.expr}): ${text}` : `${text} # [${sel.expr}]`);
    const warned = new Set();
    const verdicts = (e) => subdirs.map((s) => {
        if (!e.selector)
            return 'in';
        const v = (0,_selectors_js__WEBPACK_IMPORTED_MODULE_2__/* .evalSelector */ .AS)(e.selector.expr, s);
        if (v === 'unknown' && !warned.has(`${e.line}`)) {
            warned.add(`${e.line}`);
            warnings.push(`${file}:${e.line}: selector [${(0,_text_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)(e.selector.expr)}] is not a platform selector this action understands — the entry is kept on every platform`);
        }
        return v === 'unknown' ? 'unknown' : v ? 'in' : 'out';
    });
    const conda = subdirs.map(() => new Set());
    for (const e of model.conda) {
        const spec = (0,_spec_js__WEBPACK_IMPORTED_MODULE_3__/* .normalizeCondaSpec */ .Ux)(e.text);
        const v = verdicts(e);
        if (v.every((x) => x === 'out'))
            excluded.add(withSelector(spec, e.selector));
        v.forEach((x, i) => {
            if (x === 'in')
                conda[i].add(spec);
            else if (x === 'unknown')
                conda[i].add(withSelector(spec, e.selector));
        });
    }
    const pip = subdirs.map(() => []);
    const pipEntries = [];
    const several = model.pipSections.length > 1;
    model.pipSections.forEach((section, n) => {
        if (several && n > 0)
            pip.forEach((p) => p.push(pipSectionMarker(n + 1)));
        for (const e of section) {
            const entry = (0,_spec_js__WEBPACK_IMPORTED_MODULE_3__/* .normalizePipEntry */ .vE)(e.text);
            const v = verdicts(e);
            if (v.every((x) => x === 'out'))
                excluded.add(`pip: ${withSelector(entry, e.selector)}`);
            else
                pipEntries.push(e);
            v.forEach((x, i) => {
                if (x === 'in')
                    pip[i].push(entry);
                else if (x === 'unknown')
                    pip[i].push(withSelector(entry, e.selector));
            });
        }
    });
    const bySubdir = new Map();
    subdirs.forEach((s, i) => bySubdir.set(s, { conda: [...conda[i]].sort(), pip: pip[i] }));
    return { bySubdir, excluded: [...excluded].sort(), pipEntries, warnings };
}


/***/ }),

/***/ 50002:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   A_: () => (/* binding */ redactUrlSecrets),
/* harmony export */   I3: () => (/* binding */ redactBuildArg),
/* harmony export */   Ph: () => (/* binding */ redactAssignment)
/* harmony export */ });
/* harmony import */ var _text_redact_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(53326);
/* harmony import */ var _canonical_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(22778);
// The document is written as an image label, readable by anyone who can pull the image.
// Secrets that users commonly put into channels, index URLs, variables or build-args are
// replaced by a short digest: the hash still changes when the secret changes (prefer a
// rebuild), but the secret never reaches the label. Which text counts as a credential is
// decided by the one redaction function (src/text/redact.ts); here it masks with a digest.


function mask(secret) {
    return `sha256:${(0,_canonical_js__WEBPACK_IMPORTED_MODULE_1__/* .sha256Hex */ .fg)(secret).slice(0, 16)}`;
}
/** `https://user:pass@host` → `https://user:sha256:…@host`; anaconda `/t/<token>/` → `/t/sha256:…/`; see src/text/redact.ts. */
function redactUrlSecrets(text) {
    return (0,_text_redact_js__WEBPACK_IMPORTED_MODULE_0__/* .redact */ .E$)(text, mask);
}
/** `KEY=VALUE` with a secret-looking KEY keeps only a digest of VALUE. */
function redactAssignment(key, value) {
    return (0,_text_redact_js__WEBPACK_IMPORTED_MODULE_0__/* .isSecretName */ .eh)(key) ? mask(value) : redactUrlSecrets(value);
}
function redactBuildArg(arg) {
    const eq = arg.indexOf('=');
    if (eq < 0)
        return arg;
    const key = arg.slice(0, eq);
    return `${key}=${redactAssignment(key, arg.slice(eq + 1))}`;
}


/***/ }),

/***/ 51954:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   AS: () => (/* binding */ evalSelector),
/* harmony export */   Bg: () => (/* binding */ subdirOf),
/* harmony export */   cV: () => (/* binding */ selectorOfKey),
/* harmony export */   e9: () => (/* binding */ selectorOfComment)
/* harmony export */ });
// Platform selectors (conda-build / conda-lock style `# [linux64]`, `# [osx and arm64]`, and
// micromamba's `sel(linux): dep`) evaluated for a conda subdir, and docker platforms mapped
// to conda subdirs.
//
// The evaluation is three-valued: a selector that uses anything other than the platform
// names below (`py<38`, `test`, `cuda`) is "unknown" for that subdir and the entry is kept,
// with its selector, so that the hash stays sensitive to it ("when unsure, prefer a rebuild").
/** Docker platform (`os/arch[/variant]`) → conda subdir; undefined when conda has none. */
function subdirOf(platform) {
    const [os = '', arch = '', variant = ''] = platform.trim().toLowerCase().split('/');
    const conda = os === 'darwin' ? 'osx' : os === 'windows' ? 'win' : os === 'linux' ? 'linux' : undefined;
    if (!conda)
        return undefined;
    switch (arch) {
        case 'amd64':
        case 'x86_64':
            return `${conda}-64`;
        case '386':
            return conda === 'osx' ? undefined : `${conda}-32`;
        case 'arm64':
        case 'aarch64':
            return conda === 'linux' ? 'linux-aarch64' : `${conda}-arm64`;
        case 'arm':
            if (conda !== 'linux')
                return undefined;
            return variant === 'v6' ? 'linux-armv6l' : 'linux-armv7l';
        case 'ppc64le':
        case 's390x':
        case 'riscv64':
            return conda === 'linux' ? `linux-${arch}` : undefined;
        default:
            return undefined;
    }
}
/** The selector names that are true on a subdir; every other platform name is false there. */
function truths(subdir) {
    const [os = '', arch = ''] = subdir.split('-');
    const t = new Set();
    if (os === 'linux' || os === 'osx' || os === 'win')
        t.add(os);
    if (os === 'linux' || os === 'osx')
        t.add('unix');
    if (os === 'emscripten')
        t.add('emscripten');
    if (arch === '64') {
        t.add('x86').add('x86_64').add(`${os}64`);
        if (os === 'win')
            t.add('win64');
    }
    if (arch === '32')
        t.add('x86').add(`${os}32`);
    if (arch === 'aarch64')
        t.add('aarch64').add('arm64');
    if (arch === 'arm64')
        t.add('arm64').add('aarch64');
    if (arch === 'armv6l')
        t.add('armv6l').add('arm');
    if (arch === 'armv7l')
        t.add('armv7l').add('arm');
    for (const a of ['ppc64le', 's390x', 'riscv64', 'wasm32'])
        if (arch === a)
            t.add(a);
    return t;
}
/** Every platform name a selector may use; anything else makes the selector "unknown". */
const PLATFORM_NAMES = new Set([
    'linux',
    'osx',
    'win',
    'unix',
    'emscripten',
    'linux32',
    'linux64',
    'osx64',
    'win32',
    'win64',
    'x86',
    'x86_64',
    'aarch64',
    'arm64',
    'arm',
    'armv6l',
    'armv7l',
    'ppc64le',
    's390x',
    'riscv64',
    'wasm32',
]);
/**
 * Evaluates a selector expression (`linux`, `osx and arm64`, `not win`, `(linux or osx) and
 * not aarch64`) on a subdir. Comparisons, calls and unknown names yield 'unknown'.
 */
/** Longer selectors are not evaluated (the parser recurses; real selectors are a few words). */
const MAX_SELECTOR = 256;
function evalSelector(expr, subdir) {
    if (subdir.startsWith('unknown:') || expr.length > MAX_SELECTOR)
        return 'unknown';
    const toks = expr.match(/\(|\)|[A-Za-z_][A-Za-z0-9_]*|[^\s()A-Za-z_]+/g) ?? [];
    const t = truths(subdir);
    let i = 0;
    let bad = false;
    const peek = () => toks[i];
    const orExpr = () => {
        let v = andExpr();
        while (peek() === 'or') {
            i++;
            const r = andExpr();
            v = v === true || r === true ? true : v === 'unknown' || r === 'unknown' ? 'unknown' : false;
        }
        return v;
    };
    const andExpr = () => {
        let v = notExpr();
        while (peek() === 'and') {
            i++;
            const r = notExpr();
            v = v === false || r === false ? false : v === 'unknown' || r === 'unknown' ? 'unknown' : true;
        }
        return v;
    };
    const notExpr = () => {
        if (peek() === 'not') {
            i++;
            const v = notExpr();
            return v === 'unknown' ? 'unknown' : !v;
        }
        return atom();
    };
    const atom = () => {
        const tok = toks[i++];
        if (tok === '(') {
            const v = orExpr();
            if (toks[i++] !== ')')
                bad = true;
            return v;
        }
        if (tok === undefined || !/^[A-Za-z_]/.test(tok) || tok === 'and' || tok === 'or') {
            bad = true;
            return 'unknown';
        }
        // `py < 38`, `name(…)`: swallow the rest of the comparison / call as unknown
        if (toks[i] !== undefined && /^[^\s()A-Za-z_]/.test(toks[i])) {
            i++;
            if (toks[i] !== undefined && toks[i] !== ')' && toks[i] !== 'and' && toks[i] !== 'or')
                i++;
            return 'unknown';
        }
        if (toks[i] === '(') {
            bad = true;
            return 'unknown';
        }
        if (!PLATFORM_NAMES.has(tok))
            return 'unknown';
        return t.has(tok);
    };
    const v = orExpr();
    if (bad || i < toks.length)
        return 'unknown';
    return v;
}
/**
 * A conda-build selector at the end of a comment: `[linux]`, `pinned [osx and arm64]`. The
 * bracket must start the comment or follow a space: `# needed for sphinx-gallery[parallel]`
 * mentions pip extras, it is not a selector.
 */
function selectorOfComment(comment) {
    if (!comment)
        return undefined;
    const m = /(?:^|\s)\[([^[\]]+)\]\s*$/.exec(comment);
    return m ? m[1].trim().replace(/\s+/g, ' ') : undefined;
}
/** micromamba's `sel(expr)` mapping key → expr. */
function selectorOfKey(key) {
    const m = /^sel\((.*)\)$/.exec(key.trim());
    return m ? m[1].trim().replace(/\s+/g, ' ') : undefined;
}


/***/ }),

/***/ 12253:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Bo: () => (/* binding */ pipEntryKey),
/* harmony export */   MH: () => (/* binding */ condaSpecName),
/* harmony export */   Ux: () => (/* binding */ normalizeCondaSpec),
/* harmony export */   Wp: () => (/* binding */ fileUrlToPathish),
/* harmony export */   qE: () => (/* binding */ pipRefs),
/* harmony export */   vE: () => (/* binding */ normalizePipEntry),
/* harmony export */   xY: () => (/* binding */ stripRequirementComment),
/* harmony export */   xu: () => (/* binding */ pipEntryProblem),
/* harmony export */   yJ: () => (/* binding */ condaSpecProblem)
/* harmony export */ });
/* unused harmony export isLocalTarget */
/* harmony import */ var _label_secrets_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(50002);
// Normalization of single conda specs and pip entries, and what pip entries refer to.
// Pure string functions.

/**
 * A conda MatchSpec with only cosmetic whitespace removed. Operators are kept verbatim
 * (`=1.26`, `==1.26` and ` 1.26` stay different), `channel::` prefixes are kept.
 *
 * - runs of whitespace become one space, ends trimmed;
 * - no space around `::`, comparison operators (`= == != < <= > >= ~=`), `,` and `|`
 *   (`numpy >= 1.2` ≡ `numpy>=1.2`, `python = 3.12` ≡ `python=3.12`);
 * - other spaces stay: they separate name, version and build (`blas * mkl`);
 * - bracket options (`blas [build = mkl, version=1]`) lose spaces and are sorted when they
 *   are all `key=value` without quotes (conda reads them as a set of keyword arguments).
 */
function normalizeCondaSpec(raw) {
    let s = raw.trim().replace(/\s+/g, ' ');
    s = s.replace(/\s*::\s*/g, '::');
    s = s.replace(/\s*([<>=!~]=?|==|,|\|)\s*/g, '$1');
    // `>= =` style runs produced above are already adjacent; remove a space before `[`.
    s = s.replace(/\s+\[/g, '[').replace(/\[\s+/g, '[').replace(/\s+\]/g, ']');
    s = s.replace(/\[([^\]]*)\]/g, (_m, inner) => `[${sortBracketItems(inner)}]`);
    return (0,_label_secrets_js__WEBPACK_IMPORTED_MODULE_0__/* .redactUrlSecrets */ .A_)(s);
}
function sortBracketItems(inner) {
    if (/["']/.test(inner))
        return inner;
    const items = inner.split(',').map((i) => i.trim());
    if (items.some((i) => i === ''))
        return inner;
    return items.sort().join(',');
}
/**
 * Why a dependency cannot be a conda MatchSpec, or undefined when it may be one. Only shapes
 * conda's grammar (`[channel[/subdir]::]name[ version[ build]][[key=value, …]]`, or a package
 * URL or path) can never parse are refused — a folded list item first, the mistake valid YAML
 * makes out of an over-indented `- pandas` line:
 * - ` - ` between words: two list items folded into one (`numpy=1.26 - pandas>=2.1`);
 * - no package name (`>=1.2`, `::numpy`, `=1.2`);
 * - more than three fields (name, version, build) outside `[…]`;
 * - a `[` or a quote that is never closed.
 */
function condaSpecProblem(raw) {
    const s = raw.trim();
    if (s === '')
        return 'it is empty';
    if (/^-(\s|$)|\s-(\s|$)/.test(s))
        return 'it holds " - ": two list items folded into one (is the next item indented more than this one?) — a spec is one package';
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^[./~\\]/.test(s))
        return undefined; // a package URL or path
    const spec = normalizeCondaSpec(s);
    if (!balanced(spec))
        return 'a "[" or a quote is never closed';
    const afterChannel = spec.includes('::') ? spec.slice(spec.lastIndexOf('::') + 2) : spec;
    if (/^[=<>!~,|[]/.test(afterChannel) || afterChannel === '')
        return 'it has no package name before the version';
    const fields = spec.replace(/\[[^\]]*\]/g, '').split(' ');
    if (fields.length > 3)
        return `it has ${fields.length} space-separated parts, and a spec has at most three (name, version, build)`;
    return undefined;
}
/** Brackets and quotes closed, in order. */
function balanced(s) {
    let quote;
    let depth = 0;
    for (const c of s) {
        if (quote) {
            if (c === quote)
                quote = undefined;
        }
        else if (c === '"' || c === "'")
            quote = c;
        else if (c === '[')
            depth++;
        else if (c === ']' && --depth < 0)
            return false;
    }
    return quote === undefined && depth === 0;
}
/** Why a `pip:` entry cannot be one pip requirement line, or undefined: a folded list item (` - ` after a requirement), or a lone `-`. */
function pipEntryProblem(raw) {
    const s = raw.trim();
    if (s === '-')
        return 'it is a lone "-"';
    if (!s.startsWith('-') && /\s-(\s|$)/.test(stripRequirementComment(s)))
        return 'it holds " - ": two list items folded into one (is the next item indented more than this one?) — an entry is one requirement';
    return undefined;
}
/** The package name of a conda spec (no channel, no version), lower-case: used to pair specs in diffs. */
function condaSpecName(spec) {
    const noChannel = spec.includes('::') ? spec.slice(spec.lastIndexOf('::') + 2) : spec;
    const m = /^[^\s=<>!~,|[\]]+/.exec(noChannel);
    return (m ? m[0] : noChannel).toLowerCase();
}
/** Collapses whitespace outside quotes; trims. */
function collapseOutsideQuotes(s) {
    let out = '';
    let quote = null;
    let pendingSpace = false;
    for (const ch of s.trim()) {
        if (quote) {
            out += ch;
            if (ch === quote)
                quote = null;
            continue;
        }
        if (/\s/.test(ch)) {
            pendingSpace = true;
            continue;
        }
        if (pendingSpace && out)
            out += ' ';
        pendingSpace = false;
        out += ch;
        if (ch === '"' || ch === "'")
            quote = ch;
    }
    return out;
}
const PEP508_NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$/s;
/**
 * A pip entry with only cosmetic differences removed: whitespace collapsed (outside quotes),
 * and for a `name[extras] specifiers ; marker` requirement the extras sorted and the spaces
 * inside the version specifiers dropped (`numpy >= 1.2` ≡ `numpy>=1.2`). Option lines,
 * URLs and paths are kept as written (collapsed). Secrets in URLs become digests.
 */
function normalizePipEntry(raw) {
    const s = collapseOutsideQuotes(raw);
    if (s.startsWith('-') || isUrlOrPath(s))
        return (0,_label_secrets_js__WEBPACK_IMPORTED_MODULE_0__/* .redactUrlSecrets */ .A_)(s);
    const m = PEP508_NAME.exec(s);
    if (!m)
        return (0,_label_secrets_js__WEBPACK_IMPORTED_MODULE_0__/* .redactUrlSecrets */ .A_)(s);
    const [, name, extras, rest0] = m;
    let rest = rest0 ?? '';
    if (rest.startsWith('@'))
        return (0,_label_secrets_js__WEBPACK_IMPORTED_MODULE_0__/* .redactUrlSecrets */ .A_)(`${name}${extras ? sortExtras(extras) : ''} ${rest}`);
    // split off options (`--hash=…`, `--global-option …`) and the marker
    let options = '';
    const opt = /(^|\s)--?[A-Za-z]/.exec(rest);
    if (opt) {
        options = rest.slice(opt.index).trim();
        rest = rest.slice(0, opt.index);
    }
    let marker = '';
    const semi = rest.indexOf(';');
    if (semi >= 0) {
        marker = rest.slice(semi + 1).trim();
        rest = rest.slice(0, semi);
    }
    const version = rest.replace(/\s+/g, '');
    let out = `${name}${extras ? sortExtras(extras) : ''}${version}`;
    if (marker)
        out += `; ${marker}`;
    if (options)
        out += ` ${options}`;
    return (0,_label_secrets_js__WEBPACK_IMPORTED_MODULE_0__/* .redactUrlSecrets */ .A_)(out);
}
function sortExtras(extras) {
    const items = extras
        .slice(1, -1)
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== '');
    return `[${items.sort().join(',')}]`;
}
function isUrlOrPath(s) {
    return /^[a-z][a-z0-9+.-]*:/i.test(s) || /^[./~\\]/.test(s) || /^[^\s;@]*[/\\]/.test(s);
}
/** Key that pairs pip entries across documents in a diff: the normalized project name, or the whole line. */
function pipEntryKey(entry) {
    if (entry.startsWith('-') || isUrlOrPath(entry))
        return entry;
    const m = PEP508_NAME.exec(entry);
    return m ? m[1].toLowerCase().replace(/[-_.]+/g, '-') : entry;
}
const REQ_OPTS = new Map([
    ['-r', 'requirement'],
    ['--requirement', 'requirement'],
    ['-c', 'constraint'],
    ['--constraint', 'constraint'],
]);
const PATH_OPTS = new Set(['-e', '--editable', '-f', '--find-links']);
/**
 * Splits a requirement line into tokens, honouring quotes (no escapes); comments must be
 * removed before (see stripRequirementComment).
 */
function tokens(line) {
    const out = [];
    const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
    let m;
    while ((m = re.exec(line)))
        out.push(m[1] ?? m[2] ?? m[3]);
    return out;
}
/** pip's comment rule: `#` at the start of a line or after whitespace starts a comment. */
function stripRequirementComment(line) {
    const m = /(^|\s)#/.exec(line);
    return (m ? line.slice(0, m.index) : line).trim();
}
/** The files, local paths and remote files a pip entry / requirement line refers to. */
function pipRefs(line) {
    const text = stripRequirementComment(line);
    if (!text)
        return [];
    const t = tokens(text);
    const refs = [];
    for (let i = 0; i < t.length; i++) {
        const tok = t[i];
        const eq = tok.startsWith('--') ? tok.indexOf('=') : -1;
        const name = eq > 0 ? tok.slice(0, eq) : tok;
        const inlineValue = eq > 0 ? tok.slice(eq + 1) : undefined;
        const shortMatch = /^(-[rcef])(.+)$/.exec(tok);
        if (REQ_OPTS.has(name) || (shortMatch && REQ_OPTS.has(shortMatch[1]))) {
            const option = REQ_OPTS.get(name) ?? REQ_OPTS.get(shortMatch[1]);
            const target = inlineValue ?? (REQ_OPTS.has(name) ? t[++i] : shortMatch[2]);
            if (target !== undefined)
                refs.push(fileRef(option, target));
            continue;
        }
        if (PATH_OPTS.has(name) || (shortMatch && PATH_OPTS.has(shortMatch[1]))) {
            const target = inlineValue ?? (PATH_OPTS.has(name) ? t[++i] : shortMatch[2]);
            // after -e / --find-links anything that is not a (non-file:) URL is a local path
            if (target !== undefined && (/^file:/i.test(target) || !/^[a-z][a-z0-9+.-]+:/i.test(target)))
                refs.push({ kind: 'local', target: stripExtras(target) });
            continue;
        }
        if (tok.startsWith('-')) {
            // other options (`--index-url X`, `--hash=…`): a `file:` value is local content
            const value = inlineValue ?? (tok.startsWith('--') && eq < 0 && i + 1 < t.length && !t[i + 1].startsWith('-') ? t[i + 1] : undefined);
            if (value && /^file:/i.test(value))
                refs.push({ kind: 'local', target: value });
            continue;
        }
        if (i === 0) {
            // a requirement: `name @ file:…`, a path, an archive or a file: URL
            const at = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?\s*@\s*(\S+)/.exec(text);
            if (at) {
                if (/^file:/i.test(at[1]))
                    refs.push({ kind: 'local', target: at[1] });
                break;
            }
            const target = stripExtras(tok.split(';')[0]);
            if (isLocalTarget(target))
                refs.push({ kind: 'local', target });
            break;
        }
    }
    return refs;
}
/** `./pkg[extra]` → `./pkg`. */
function stripExtras(target) {
    // by hand: the equivalent regex backtracks quadratically on `a[a[a[…`
    if (!target.endsWith(']'))
        return target;
    const body = target.slice(0, -1);
    const stop = Math.max(body.lastIndexOf(']'), body.lastIndexOf('/'), body.lastIndexOf('\\'));
    const open = body.indexOf('[', stop + 1);
    return open >= 0 ? target.slice(0, open) : target;
}
function fileRef(option, target) {
    if (/^[a-z][a-z0-9+.-]+:\/\//i.test(target) && !/^file:/i.test(target))
        return { kind: 'remote', target };
    return { kind: 'requirements', option, target };
}
/** A local path or `file:` URL (not a project name, not a remote URL or VCS reference). */
function isLocalTarget(target) {
    if (/^file:/i.test(target))
        return true;
    if (/^[a-z][a-z0-9+.-]+:/i.test(target))
        return false; // http:, git+https:, …
    if (target === '.' || target === '..' || /^[./~\\]/.test(target))
        return true;
    if (/^[A-Za-z]:[\\/]/.test(target))
        return true;
    if (/[/\\]/.test(target))
        return true;
    return /\.(whl|tar\.gz|tgz|zip|tar\.bz2|tar\.xz)$/i.test(target);
}
/** `file:` URL or path → a path (relative paths stay relative). */
function fileUrlToPathish(target) {
    if (!/^file:/i.test(target))
        return target;
    let rest = target.slice(5);
    if (rest.startsWith('//')) {
        rest = rest.slice(2);
        const slash = rest.indexOf('/');
        const host = slash < 0 ? rest : rest.slice(0, slash);
        rest = slash < 0 ? '/' : rest.slice(slash);
        if (host && host.toLowerCase() !== 'localhost')
            rest = `//${host}${rest}`;
    }
    rest = rest.split('#')[0];
    try {
        return decodeURIComponent(rest);
    }
    catch {
        return rest;
    }
}


/***/ }),

/***/ 74970:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  run: () => (/* binding */ run)
});

// EXTERNAL MODULE: ./src/vocabulary/user-error.ts
var user_error = __webpack_require__(42426);
// EXTERNAL MODULE: ./src/fs/runner-files.ts
var runner_files = __webpack_require__(28663);
// EXTERNAL MODULE: ./src/registry/credentials.ts
var credentials = __webpack_require__(3653);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
var external_node_path_default = /*#__PURE__*/__webpack_require__.n(external_node_path_);
// EXTERNAL MODULE: ./src/fs/confined.ts
var confined = __webpack_require__(58755);
// EXTERNAL MODULE: ./src/runner/process.ts + 2 modules
var runner_process = __webpack_require__(99077);
;// CONCATENATED MODULE: ./src/context/source-date.ts
// The build's source date: what the `created` label and BuildKit's SOURCE_DATE_EPOCH say, so
// that a rebuild of the same commit yields the same image. Pure choices over plain data,
// plus one bounded process call (the commit time of HEAD).
//
// Order: SOURCE_DATE_EPOCH when the user set it, else the commit time of the checked-out
// HEAD, else the event payload's head commit timestamp, else the clock. The date of a new
// dated tag is a different thing: it is today's date (the clock), unless SOURCE_DATE_EPOCH
// is set explicitly (see RunContext.now).





/** 9999-12-31T23:59:59Z: the last second a dated tag (YYYYMMDD) can name. */
const SOURCE_DATE_EPOCH_MAX = 253_402_300_799;
/**
 * SOURCE_DATE_EPOCH as a date: undefined when unset or empty; a UserError naming it when it
 * is not a whole number of seconds in the years 1970–9999.
 */
function source_date_parseSourceDateEpoch(value) {
    if (value === undefined || value.trim() === '')
        return undefined;
    const v = value.trim();
    const shown = JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    if (!/^\d{1,15}$/.test(v)) {
        throw new user_error/* UserError */.yo(`SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC (e.g. the output of \`git log -1 --format=%ct\`); got ${shown}`);
    }
    const seconds = Number(v);
    if (seconds > SOURCE_DATE_EPOCH_MAX) {
        throw new user_error/* UserError */.yo(`SOURCE_DATE_EPOCH must lie in the years 1970–9999 (at most ${SOURCE_DATE_EPOCH_MAX}); got ${shown}`);
    }
    return new Date(seconds * 1000);
}
/** Seconds of a date string (ISO 8601, as in event payloads) within the allowed range; undefined otherwise. */
function timestampSeconds(value) {
    if (typeof value !== 'string' || value.length > 64)
        return undefined;
    const ms = Date.parse(value);
    if (!Number.isFinite(ms))
        return undefined;
    const s = Math.floor(ms / 1000);
    return s >= 0 && s <= SOURCE_DATE_EPOCH_MAX ? s : undefined;
}
/** `git log -1 --format=%ct` output as seconds; undefined for anything but one in-range number. */
function parseCommitTime(stdout) {
    const v = stdout.trim();
    if (!/^\d{1,12}$/.test(v))
        return undefined;
    const s = Number(v);
    return s <= SOURCE_DATE_EPOCH_MAX ? s : undefined;
}
/** The head commit timestamp of an event payload (push: head_commit; workflow_run: its head_commit). */
function eventCommitTimestamp(payload) {
    if (!payload || typeof payload !== 'object')
        return undefined;
    const p = payload;
    const t = p.head_commit?.timestamp ?? p.workflow_run?.head_commit?.timestamp;
    return typeof t === 'string' ? t : undefined;
}
/** The source date and where it came from. Pure. */
function chooseSourceDate(i) {
    const from = (seconds, origin) => ({ seconds, date: new Date(seconds * 1000), origin });
    if (i.explicit)
        return from(Math.floor(i.explicit.getTime() / 1000), 'SOURCE_DATE_EPOCH');
    if (i.commitSeconds !== undefined)
        return from(i.commitSeconds, 'commit');
    const event = timestampSeconds(i.eventTimestamp);
    if (event !== undefined)
        return from(event, 'event');
    return from(Math.floor(i.now.getTime() / 1000), 'clock');
}
const GIT_TIMEOUT_MS = 5_000;
/**
 * `-c` overrides (command-line configuration wins over the repository's) for every key that
 * names a program git could start, or a hook directory: the repository's configuration is
 * the pull request's to write when the workspace is not a fresh checkout.
 */
const GIT_SAFE_CONFIG = [
    'core.fsmonitor=false',
    'core.hooksPath=/dev/null',
    'core.pager=cat',
    'core.sshCommand=false',
    'core.gitProxy=false',
    'core.askPass=false',
    'core.editor=false',
    'core.alternateRefsCommand=false',
    'credential.helper=',
    'log.showSignature=false',
    'gpg.program=false',
    'gpg.openpgp.program=false',
    'gpg.x509.program=false',
    'gpg.ssh.program=false',
    'gpg.ssh.defaultKeyCommand=false',
    'protocol.allow=never',
    'diff.external=',
    'pager.cat-file=false',
];
/**
 * The whole environment of the git call: no variable of the step (no GIT_* the workflow or a
 * runner hook set, no secret), no system or global configuration, no repository but `gitDir`
 * (GIT_DIR set, discovery ceilinged), no replace refs, no pager, no prompt, no lazy fetch.
 */
function gitEnvironment(gitDir, workspace, env) {
    return {
        PATH: env.PATH ?? '/usr/bin:/bin',
        GITHUB_WORKSPACE: workspace,
        LC_ALL: 'C',
        GIT_DIR: gitDir,
        GIT_CEILING_DIRECTORIES: external_node_path_default().dirname(external_node_path_default().resolve(workspace)),
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_SYSTEM: '/dev/null',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_ATTR_NOSYSTEM: '1',
        GIT_NO_REPLACE_OBJECTS: '1',
        GIT_NO_LAZY_FETCH: '1',
        GIT_TERMINAL_PROMPT: '0',
        GIT_OPTIONAL_LOCKS: '0',
        GIT_PAGER: 'cat',
        PAGER: 'cat',
    };
}
/**
 * `<workspace>/.git` when it is what a checkout leaves — a real directory, or a small
 * regular `gitdir:` file (a worktree or submodule) — else undefined: the action never lets
 * git discover a repository (a workspace laid out as a bare repository, a parent directory).
 */
function checkoutGitDir(workspace) {
    const dotGit = external_node_path_default().join(external_node_path_default().resolve(workspace), '.git');
    let st;
    try {
        st = (0,external_node_fs_.lstatSync)(dotGit);
    }
    catch {
        return undefined;
    }
    if (st.isDirectory())
        return dotGit;
    if (!st.isFile())
        return undefined;
    try {
        const text = (0,confined/* readFileBoundedSync */.ri)(dotGit, dotGit, { maxBytes: 4096, follow: false }).toString('utf8');
        return /^gitdir: \S/.test(text) ? dotGit : undefined;
    }
    catch {
        return undefined;
    }
}
/** The committer time of a raw commit object (`git cat-file commit`), or undefined. Pure. */
function committerSeconds(commit) {
    for (const line of commit.split('\n')) {
        if (line === '')
            return undefined; // the headers end before the message
        const m = /^committer .*> (\d{1,12}) [+-]\d{4}$/.exec(line);
        if (m)
            return parseCommitTime(m[1]);
    }
    return undefined;
}
/**
 * Commit time of HEAD of the checkout in `dir`, read with plumbing (`git cat-file commit
 * HEAD`: no signature check, no pager, no hook, no fsmonitor) under a scrubbed environment
 * with every program-valued key overridden; undefined when there is no checkout, no git, or
 * no answer within a few seconds (the process is killed then).
 */
async function headCommitSeconds(dir, timeoutMs = GIT_TIMEOUT_MS, proc = runner_process/* execProcess */.ZG, env = process.env) {
    const gitDir = checkoutGitDir(dir);
    if (!gitDir)
        return undefined;
    const config = GIT_SAFE_CONFIG.flatMap((c) => ['-c', c]);
    try {
        const r = await proc.run('git', ['--no-pager', ...config, 'cat-file', 'commit', 'HEAD'], {
            timeoutMs,
            maxBuffer: 64 * 1024,
            env: gitEnvironment(gitDir, dir, env),
        });
        return r.code === 0 && !r.killed ? committerSeconds(r.stdout) : undefined;
    }
    catch {
        return undefined;
    }
}
/** The port call: the source date of this run. */
async function resolveSourceDate(ctx, clock = () => new Date(), proc = runner_process/* execProcess */.ZG) {
    const commitSeconds = ctx.sourceDateEpoch ? undefined : await headCommitSeconds(ctx.workspace, GIT_TIMEOUT_MS, proc);
    return chooseSourceDate({ explicit: ctx.sourceDateEpoch, commitSeconds, eventTimestamp: ctx.eventCommitTimestamp, now: clock() });
}
/**
 * The first reference that already had `digest` (before this run, or the compared image): a
 * rebuild that changed nothing. Undefined when the digest is new or unknown. Pure.
 */
function sameDigestAs(digest, candidates) {
    if (!digest)
        return undefined;
    return candidates.find((c) => c.ref && c.digest === digest)?.ref;
}

;// CONCATENATED MODULE: ./src/context/run-context.ts
// What the runner tells the action about the run (environment variables and the event
// payload), read once at the edge into plain data.




/** The workspace: `GITHUB_WORKSPACE`, or the working directory outside the runner. */
function workspaceOf(env) {
    return env.GITHUB_WORKSPACE ?? process.cwd();
}
/** Throws a UserError for an invalid SOURCE_DATE_EPOCH. */
function readRunContext(env = process.env, clock = () => new Date()) {
    const sourceDateEpoch = source_date_parseSourceDateEpoch(env.SOURCE_DATE_EPOCH);
    const eventName = env.GITHUB_EVENT_NAME ?? '';
    const workspace = workspaceOf(env);
    const payload = env.GITHUB_EVENT_PATH ? readEventPayload(env.GITHUB_EVENT_PATH) : {};
    // The files the step writes at its end are checked now, before anything is built or pushed.
    if (env.GITHUB_OUTPUT)
        (0,runner_files/* checkAppendable */.FB)('GITHUB_OUTPUT', env.GITHUB_OUTPUT);
    if (env.GITHUB_STEP_SUMMARY)
        (0,runner_files/* checkAppendable */.FB)('GITHUB_STEP_SUMMARY', env.GITHUB_STEP_SUMMARY);
    (0,runner_files/* checkDockerConfig */.FS)((0,credentials/* defaultDockerConfigDir */.Fd)(env), workspace);
    return Object.freeze({
        sha: env.GITHUB_SHA ?? '',
        eventName,
        repository: env.GITHUB_REPOSITORY ?? '',
        serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
        apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
        runId: env.GITHUB_RUN_ID ?? '',
        workspace,
        ref: env.GITHUB_REF || undefined,
        baseRef: env.GITHUB_BASE_REF || (typeof payload.pull_request?.base?.ref === 'string' ? payload.pull_request.base.ref : undefined),
        defaultBranch: typeof payload.repository?.default_branch === 'string' ? payload.repository.default_branch : undefined,
        pullRequest: pullRequestOf(eventName, payload),
        now: sourceDateEpoch ?? clock(),
        sourceDateEpoch,
        eventCommitTimestamp: eventCommitTimestamp(payload),
        hostPlatform: hostPlatform(process.arch),
    });
}
/**
 * The event payload file the runner writes. Whether this is a pull request, and from a fork,
 * is read from it: a payload that cannot be read (a FIFO, a directory, larger than the cap)
 * is the run's failure (a UserError naming GITHUB_EVENT_PATH), never a guess — nor a hang.
 */
function readEventPayload(file) {
    const text = (0,runner_files/* readRunnerFile */.Lh)('GITHUB_EVENT_PATH', file).toString('utf8');
    let parsed;
    try {
        parsed = JSON.parse(text);
    }
    catch {
        throw new user_error/* UserError */.yo('The event payload file (GITHUB_EVENT_PATH) is not valid JSON: the runner writes it; was it replaced by an earlier step?');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new user_error/* UserError */.yo('The event payload file (GITHUB_EVENT_PATH) does not hold a JSON object');
    }
    return parsed;
}
const ARCH = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm/v7',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
    loong64: 'loong64',
};
/**
 * Docker's name for the platform of images built on this machine. Containers are Linux
 * everywhere (Docker on macOS and Windows runs a Linux VM of the same architecture).
 */
function hostPlatform(nodeArch) {
    return `linux/${ARCH[nodeArch] ?? nodeArch}`;
}
function pullRequestOf(eventName, payload) {
    if (!eventName.startsWith('pull_request') || !payload.pull_request)
        return undefined;
    const pr = payload.pull_request;
    const head = pr.head?.repo?.full_name;
    const base = pr.base?.repo?.full_name ?? payload.repository?.full_name;
    // A deleted fork has head.repo === null: treat as a fork (it cannot have write access).
    const fromFork = pr.head?.repo === null || (head !== undefined && base !== undefined && head !== base);
    return { number: pr.number ?? 0, fromFork, headRef: pr.head?.ref };
}
/** UTC date of SOURCE_DATE_EPOCH (seconds since the epoch); undefined when unset; a UserError when invalid. */
function sourceDate(value) {
    return parseSourceDateEpoch(value);
}

// EXTERNAL MODULE: ./src/vocabulary/constants.ts
var constants = __webpack_require__(70209);
;// CONCATENATED MODULE: ./src/run/outputs.ts
// The step outputs: every output's value is decided here, from the piece of the run's state
// that knows it. The phases publish each piece as soon as the run knows it (an output known
// before a failure is still set), always through `publishOutputs`.

/** `env-hash`: the environment hash. */
function fingerprintOutputs(fp) {
    return { [constants/* Outputs */.tY.EnvHash]: fp.hash };
}
/** `base-tag`: the tag this job pushes or uses (a job of a matrix that builds the base: its platform's part). */
function planOutputs(plan) {
    return { [constants/* Outputs */.tY.BaseTag]: plan.base.tag };
}
/**
 * `base-image` (when the run knows the base's reference) and `base-reused`: by default whether
 * the plan reuses a base; a merge always uses the jobs' base.
 */
function baseOutputs(ref, reused) {
    return { ...(ref !== undefined ? { [constants/* Outputs */.tY.BaseImage]: ref } : {}), [constants/* Outputs */.tY.BaseReused]: String(reused) };
}
/** Whether the plan reuses a base (the `base-reused` output of a run that builds). */
function reusesBase(plan) {
    return plan.choice.action === 'reuse';
}
/** The final image: `image`, `digest`, the cache counts, `metadata` (the build's, JSON) and `tags` (the pushed ones, a line each). */
function finalOutputs(o) {
    return {
        [constants/* Outputs */.tY.Image]: o.ref,
        [constants/* Outputs */.tY.Digest]: o.digest ?? '',
        [constants/* Outputs */.tY.CacheHitRatio]: String(o.cache.ratio),
        [constants/* Outputs */.tY.CachedSteps]: String(o.cache.cachedSteps),
        [constants/* Outputs */.tY.TotalSteps]: String(o.cache.totalSteps),
        [constants/* Outputs */.tY.Metadata]: o.metadata ? JSON.stringify(o.metadata) : '',
        [constants/* Outputs */.tY.Tags]: o.pushed.join('\n'),
    };
}
/** `image-size`: the final image's total bytes (empty when unread). */
function sizeOutputs(size) {
    return { [constants/* Outputs */.tY.ImageSize]: size ? String(size.total) : '' };
}
/** `changed-bytes`: what the final image changed against the compared one (empty when unread). */
function changedBytesOutputs(changed) {
    return { [constants/* Outputs */.tY.ChangedBytes]: changed ? String(changed.changed) : '' };
}
/** `sbom` (the SBOM artifact by digest) and `lock` (where the lock is), each when known. */
function sbomOutputs(o) {
    return { ...(o.sbom ? { [constants/* Outputs */.tY.Sbom]: o.sbom } : {}), ...(o.lock ? { [constants/* Outputs */.tY.Lock]: o.lock } : {}) };
}
/** Sets the outputs, in their order. */
function publishOutputs(results, outputs) {
    for (const [name, value] of Object.entries(outputs))
        results.setOutput(name, value);
}

// EXTERNAL MODULE: ./src/image/reference.ts
var reference = __webpack_require__(23564);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
var external_node_os_default = /*#__PURE__*/__webpack_require__.n(external_node_os_);
;// CONCATENATED MODULE: ./src/buildx/cache-config.ts
// The registry cache as BuildKit reads it back: what the report says when an import was
// refused, and whether an exported cache can be imported at all. Pure; the read of the pushed
// cache manifest is the build phase's (src/phases/build.ts).
//
// BuildKit reads a registry cache's config blob (the records and the layer chain, JSON) with a
// ceiling of 1 MiB (cache/remotecache/import.go, readBlob): a larger one is exported without
// complaint and refused at every import ("blob sha256:… is too large (1240118 > 1048576)"), so
// each later build silently runs without the cache. Raising the ceiling is an open upstream
// pull request (moby/buildkit#7126; see #3719, #4916). The config grows with the records the
// build graph makes: chained `COPY --link` steps multiply them (the bundled template's package
// layers are therefore plain COPY steps; templates/base.Dockerfile).
/** The largest cache config BuildKit imports from a registry, in bytes. */
const BUILDKIT_CACHE_CONFIG_MAX = 1024 * 1024;
/** Media type of BuildKit's cache config (the image manifest's config, or an index entry). */
const CACHE_CONFIG_MEDIA_TYPE = 'application/vnd.buildkit.cacheconfig.v0';
/** The `ref` of a `--cache-to`/`--cache-from` value of type registry; undefined for any other type. */
function registryCacheRef(value) {
    const attrs = value.split(',');
    if (!attrs.includes('type=registry'))
        return undefined;
    const ref = attrs.find((a) => a.startsWith('ref='))?.slice('ref='.length);
    return ref ? ref : undefined;
}
/**
 * The size BuildKit will read of a registry cache's config, from the cache manifest: the
 * config of an image manifest (`image-manifest=true`) or the cache-config entry of an index;
 * undefined when the manifest names none or its size is not a whole number.
 */
function cacheConfigBytes(manifest) {
    if (typeof manifest !== 'object' || manifest === null)
        return undefined;
    const m = manifest;
    const candidates = [m.config, ...(Array.isArray(m.manifests) ? m.manifests : [])];
    for (const d of candidates) {
        if (typeof d !== 'object' || d === null)
            continue;
        const { mediaType, size } = d;
        if (mediaType === CACHE_CONFIG_MEDIA_TYPE && typeof size === 'number' && Number.isSafeInteger(size) && size >= 0)
            return size;
    }
    return undefined;
}
function mib(bytes) {
    return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}
/**
 * The report's note on a cache config too large to import; undefined when it fits. `what`
 * names the cache (`the registry cache <ref>`, `the local cache saved to the Actions cache`).
 */
function oversizeCacheNote(what, bytes) {
    if (bytes <= BUILDKIT_CACHE_CONFIG_MAX)
        return undefined;
    return (`${what} was exported with a ${mib(bytes)} cache config, over the 1 MiB BuildKit imports: ` +
        'later builds cannot use it and run every step again (fewer stages and fewer COPY --link steps make it smaller)');
}
/**
 * The report's note on a cache BuildKit did not import (the build went on without it). A local
 * cache (BuildKit names it `local:<number>`) is the one the action keeps in the Actions cache.
 */
function cacheImportNote(e) {
    const tooLarge = /\bis too large \(\d+ > \d+\)/.test(e.error);
    const what = /^local:/.test(e.ref) ? 'the local build cache (kept in the Actions cache)' : `the registry cache ${e.ref}`;
    return `${what} was not imported (${e.error})${tooLarge ? ': BuildKit imports a cache config of at most 1 MiB' : ''}; the build went on without it`;
}

;// CONCATENATED MODULE: ./src/actions-cache/index.ts
// A second build cache through the GitHub Actions cache service (docs/DESIGN.md §4.6): a BuildKit
// `type=local` cache directory, restored with `@actions/cache` before a build and saved after
// it. It keeps pull requests that cannot write to the registry (forks) and runs without a
// registry (the local engine store) warm.
//
// Life of one build's cache:
//   restoreBuildCache(plan)        → <dir> holds the newest matching cache (or nothing)
//   buildxLocalCacheArgs(dir, mode) → --cache-from type=local,src=<dir>
//                                     --cache-to   type=local,dest=<dir>.new,mode=…
//   finishLocalCache(dir)          → <dir>.new replaces <dir>; `changed` when what it holds differs
//   saveBuildCache(plan, {changed}) → uploaded only when changed and not too large
// Exporting into a fresh directory and swapping keeps the cache to what this build used, so
// it does not grow with every run.
//
// Nothing here throws: the cache is an optimisation, so every failure becomes a status (and
// a warning) and the build goes on.
/**
 * `@actions/cache` (and the Azure SDK behind it) is more than half of the bundle; loaded
 * on demand, only runs that use the Actions cache pay ~150 ms for it.
 */
let cacheModule;
function actionsCache() {
    cacheModule ??= Promise.all(/* import() */[__webpack_require__.e(752), __webpack_require__.e(955), __webpack_require__.e(631)]).then(__webpack_require__.bind(__webpack_require__, 70631));
    return cacheModule;
}






/** First part of every key this action writes; bump `v1` when the layout changes. */
const CACHE_KEY_PREFIX = 'conda-image-action-buildkit-v1';
/**
 * Which build caches a run uses. Explicit inputs are honoured, except that `both` without a
 * registry (the local engine store) can only be `actions`. Empty (auto): `actions` for the
 * local engine store, `both` for pull requests that cannot push (registry cache is still
 * imported, the Actions cache carries what they build), `registry` otherwise. Pure.
 */
function resolveCacheBackend(input, ctx) {
    if (input === 'registry' || input === 'actions')
        return input;
    if (input === 'both')
        return ctx.local ? 'actions' : 'both';
    if (ctx.local)
        return 'actions';
    const pullRequest = ctx.pullRequest ?? ctx.pullRequestFromFork;
    if (ctx.pullRequestFromFork || (pullRequest && !ctx.canPush))
        return 'both';
    return 'registry';
}
/**
 * Keys of a build cache: `<prefix>-<kind>-<platform>-<env16>-<branch>:<revision>`. Git
 * forbids `:` in branch names, so `…-<branch>:` is a prefix of that branch's entries only.
 * Restore keys, in order: this environment on this branch, on the default branch, on any
 * branch; then any environment of this kind and platform (BuildKit reuses whatever layers
 * match, e.g. the stages before the environment is installed). On GitHub, entries visible
 * to a pull request are those of its own ref, its base branch and the default branch. Pure.
 */
function cacheKeys(args) {
    const kindPrefix = `${CACHE_KEY_PREFIX}-${args.kind}-${platformSlug(args.platform)}-`;
    const envPrefix = `${kindPrefix}${args.envHash.slice(0, 16)}-`;
    const branch = branchSlug(args.branch);
    const key = `${envPrefix}${branch}:${keySafe(args.revision ?? '') || 'latest'}`;
    const restoreKeys = [`${envPrefix}${branch}:`];
    if (args.defaultBranch && branchSlug(args.defaultBranch) !== branch)
        restoreKeys.push(`${envPrefix}${branchSlug(args.defaultBranch)}:`);
    restoreKeys.push(envPrefix, kindPrefix);
    return { key: truncateKey(key), restoreKeys: restoreKeys.map(truncateKey) };
}
/** `linux/amd64,linux/arm64` → `linux-amd64+linux-arm64`. */
function platformSlug(platform) {
    const parts = platform
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '');
    return keySafe(parts.join('+').replace(/\//g, '-')) || 'default';
}
function branchSlug(branch) {
    return keySafe(branch.replace(/^refs\/heads\//, '')) || 'unknown';
}
/** Cache keys must not contain commas; whitespace and `:` would confuse the layout. */
function keySafe(s) {
    return s.trim().replace(/[,:\s]/g, '_');
}
/** Keys are limited to 512 characters. */
function truncateKey(key) {
    return key.length <= 512 ? key : key.slice(0, 512);
}
/**
 * The branch a run's cache belongs to: `pull/<n>` for pull requests (a fork's `main` is not
 * the repository's `main`), else the branch or tag name of the ref. Pure over `env`.
 */
function cacheBranch(env, pullRequestNumber) {
    if (pullRequestNumber !== undefined && pullRequestNumber > 0)
        return `pull/${pullRequestNumber}`;
    const name = env.GITHUB_REF_NAME || (env.GITHUB_REF ?? '').replace(/^refs\/(heads|tags)\//, '');
    return name || 'local';
}
/**
 * The cache directory of a build kind: under `RUNNER_TEMP` (stable between runs on GitHub
 * runners and emptied after each job), else the OS temp directory. Pure over `env`.
 */
function cacheDir(kind, env = process.env) {
    return external_node_path_default().join(env.RUNNER_TEMP || external_node_os_default().tmpdir(), 'conda-image-action-buildkit-cache', kind);
}
/** Everything a build needs to use the Actions cache. Pure over `env`. */
function actionsCachePlan(args, env = process.env) {
    return { ...cacheKeys(args), dir: cacheDir(args.kind, env) };
}
/**
 * `--cache-from` / `--cache-to` values for a local cache directory. The export goes to
 * `<dir>.new`, which `finishLocalCache` swaps in. Pure.
 */
function buildxLocalCacheArgs(dir, mode) {
    // buildx splits these values on commas (CSV): a comma in the path would break them.
    if (dir.includes(',') || dir.includes('"'))
        throw new Error(`the build cache directory must not contain commas or quotes: ${dir}`);
    return { cacheFrom: `type=local,src=${dir}`, cacheTo: `type=local,dest=${newDir(dir)},mode=${mode}` };
}
function newDir(dir) {
    return `${dir}.new`;
}
/**
 * Why the Actions cache cannot be used here, or undefined when it can: no cache service
 * (outside GitHub Actions, or GHES without it) or no runtime token. Without any cache
 * service URL the answer needs no @actions/cache (so it is not loaded); otherwise its own
 * check decides (it reads `process.env`; `env` only words the message).
 */
async function unavailableReason(env = process.env) {
    const noService = (!env.ACTIONS_CACHE_URL && !env.ACTIONS_RESULTS_URL) || !(await actionsCache()).isFeatureAvailable();
    if (noService) {
        return env.GITHUB_ACTIONS === 'true'
            ? 'the Actions cache service is not available on this runner (GitHub Enterprise Server without it?)'
            : 'not running on GitHub Actions: there is no Actions cache service';
    }
    if (!env.ACTIONS_RUNTIME_TOKEN)
        return 'ACTIONS_RUNTIME_TOKEN is not set, so the Actions cache service cannot be used';
    return undefined;
}
/**
 * Restores the newest matching cache into `plan.dir` (emptied first, as is `<dir>.new`).
 * Never throws: an unavailable service is `unavailable` (a warning on GitHub Actions runners,
 * an info line elsewhere), a failed download a `miss` (@actions/cache warns).
 */
async function restoreBuildCache(plan, log) {
    try {
        await (0,promises_.rm)(plan.dir, { recursive: true, force: true });
        await (0,promises_.rm)(newDir(plan.dir), { recursive: true, force: true });
        const why = await unavailableReason();
        if (why) {
            // On a runner (GHES, a service outage) this is worth a warning; elsewhere (local runs,
            // other CI) there simply is no Actions cache.
            if (process.env.GITHUB_ACTIONS === 'true')
                log.warning(`Actions cache not used: ${why}`);
            else
                log.info(`Actions cache not used: ${why}`);
            return { hit: 'unavailable' };
        }
        if (!isCacheModeReadable()) {
            log.info(`Actions cache not restored: ACTIONS_CACHE_MODE=${process.env.ACTIONS_CACHE_MODE ?? ''} does not permit reads`);
            return { hit: 'unavailable' };
        }
        const matched = await (await actionsCache()).restoreCache([plan.dir], plan.key, plan.restoreKeys);
        if (matched === undefined) {
            log.info(`Actions cache: no entry for ${plan.key} or its restore keys`);
            return { hit: 'miss' };
        }
        if (!(0,external_node_fs_.existsSync)(external_node_path_default().join(plan.dir, 'index.json'))) {
            log.warning(`Actions cache entry ${matched} holds no BuildKit cache (no index.json in ${plan.dir}); building without it`);
            await (0,promises_.rm)(plan.dir, { recursive: true, force: true });
            return { hit: 'miss' };
        }
        const hit = matched === plan.key ? 'exact' : 'partial';
        log.info(`Actions cache: restored ${matched} (${hit === 'exact' ? 'exact key' : 'restore key'}) into ${plan.dir}`);
        return { hit, matchedKey: matched };
    }
    catch (e) {
        log.warning(`Actions cache restore failed (building without it): ${message(e)}`);
        return { hit: 'miss' };
    }
}
/** A local cache's index.json lists a few manifests: kilobytes. */
const MAX_INDEX_BYTES = 4 * 1024 * 1024;
const MAX_CACHE_CONFIG_BYTES = 64 * 1024 * 1024;
/**
 * What a BuildKit local cache holds, as one string: its cache config (every record and the
 * layers they point to) without the creation times, or else the sorted manifest digests of its
 * index.json; undefined when it has no manifest. BuildKit restates creation times when it
 * exports a cache it imported, so a build that added nothing still writes another config blob;
 * comparing without them tells "nothing new" from "new records or layers".
 */
function localCacheDigest(dir) {
    return Promise.resolve(readLocalCache(dir).digest);
}
function readJson(dir, rel, maxBytes) {
    const file = external_node_path_default().join(dir, rel);
    return JSON.parse((0,confined/* readFileBoundedSync */.ri)(file, file, { maxBytes }).toString('utf8'));
}
/** The JSON with every `createdAt` key left out (any case: BuildKit writes `createdAt` and `buildkit/createdat`), keys sorted. */
function withoutTimes(v) {
    if (Array.isArray(v))
        return `[${v.map(withoutTimes).join(',')}]`;
    if (v && typeof v === 'object')
        return `{${Object.keys(v)
            .filter((k) => !/createdat$/i.test(k))
            .sort()
            .map((k) => `${JSON.stringify(k)}:${withoutTimes(v[k])}`)
            .join(',')}}`;
    return JSON.stringify(v);
}
function blobPath(digest) {
    return typeof digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(digest) ? external_node_path_default().join('blobs', 'sha256', digest.slice(7)) : undefined;
}
/**
 * What is known of a local cache, read in one pass: its digest (localCacheDigest) and the size
 * of its cache config (localCacheConfigBytes); each undefined when it cannot be read.
 */
function readLocalCache(dir) {
    let digests;
    let index;
    try {
        index = readJson(dir, 'index.json', MAX_INDEX_BYTES);
        const manifests = index && typeof index === 'object' && !Array.isArray(index) && Array.isArray(index.manifests) ? index.manifests : [];
        digests = manifests.map((m) => (m && typeof m === 'object' && !Array.isArray(m) ? m.digest : undefined)).filter((d) => typeof d === 'string');
    }
    catch {
        return {};
    }
    if (digests.length === 0)
        return {};
    let inners;
    try {
        inners = digests.sort().map((d) => readJson(dir, blobPath(d), MAX_INDEX_BYTES));
    }
    catch {
        return { digest: digests.join(',') };
    }
    const sizes = inners.map(cacheConfigBytes).filter((n) => n !== undefined);
    const size = sizes.length > 0 ? { configBytes: Math.max(...sizes) } : {};
    try {
        // index.json → the cache's image index → its cache config blob
        const configs = inners.map((inner) => {
            const config = (inner.manifests ?? []).find((m) => m.mediaType === CACHE_CONFIG_MEDIA_TYPE);
            return withoutTimes(readJson(dir, blobPath(config?.digest), MAX_CACHE_CONFIG_BYTES));
        });
        return { digest: `config:${configs.join('\n')}`, ...size };
    }
    catch {
        return { digest: digests.join(','), ...size };
    }
}
/**
 * The size of a local cache's config (index.json → the cache's image index → its cache-config
 * entry): what BuildKit reads at most 1 MiB of when it imports the cache. Undefined when it
 * cannot be read.
 */
function localCacheConfigBytes(dir) {
    return readLocalCache(dir).configBytes;
}
/**
 * After the build: swaps the exported `<dir>.new` in for `<dir>`. `exported` is false when
 * the build wrote no cache (then `<dir>` is left as restored); `changed` is true when the
 * exported cache differs from the restored one (or nothing was restored); `configBytes` is
 * the exported cache's config size (localCacheConfigBytes). Never throws.
 */
async function finishLocalCache(dir, log) {
    try {
        const { digest: fresh, configBytes } = readLocalCache(newDir(dir));
        if (fresh === undefined) {
            await (0,promises_.rm)(newDir(dir), { recursive: true, force: true });
            log?.warning(`The build exported no local cache to ${newDir(dir)}; the Actions cache is not updated`);
            return { exported: false, changed: false };
        }
        const old = await localCacheDigest(dir);
        await (0,promises_.rm)(dir, { recursive: true, force: true });
        await (0,promises_.rename)(newDir(dir), dir);
        return { exported: true, changed: fresh !== old, ...(configBytes !== undefined ? { configBytes } : {}) };
    }
    catch (e) {
        log?.warning(`Could not swap in the new build cache: ${message(e)}`);
        return { exported: false, changed: false };
    }
}
/**
 * Saves `plan.dir` under `plan.key` when the build changed it, it is at most `maxBytes`, and
 * no entry has that key yet. Never throws; `failed` comes with a warning.
 */
async function saveBuildCache(plan, opts, log) {
    try {
        if (await unavailableReason())
            return 'unavailable';
        if (!isCacheModeWritable()) {
            log.info(`Actions cache not saved: ACTIONS_CACHE_MODE=${process.env.ACTIONS_CACHE_MODE ?? ''} does not permit writes`);
            return 'unavailable';
        }
        if (!opts.changed) {
            log.info('Actions cache not saved: the build added nothing to the restored cache');
            return 'skipped-unchanged';
        }
        if ((await localCacheDigest(plan.dir)) === undefined) {
            log.warning(`Actions cache not saved: ${plan.dir} holds no BuildKit cache`);
            return 'failed';
        }
        const bytes = await dirBytes(plan.dir);
        if (bytes > opts.maxBytes) {
            log.warning(`Actions cache not saved: the build cache is ${formatBytes(bytes)}, over actions-cache-max-size ${formatBytes(opts.maxBytes)}`);
            return 'skipped-too-large';
        }
        // Entries are immutable: a second save under the same key is refused by the service.
        const cache = await actionsCache();
        const existing = await cache.restoreCache([plan.dir], plan.key, [], { lookupOnly: true });
        if (existing === plan.key) {
            log.info(`Actions cache: ${plan.key} exists already`);
            return 'exists';
        }
        const id = await cache.saveCache([plan.dir], plan.key);
        // -1 is @actions/cache's "not saved" (it has logged why).
        if (id !== -1) {
            log.info(`Actions cache: saved ${plan.key} (${formatBytes(bytes)})`);
            return 'saved';
        }
        log.warning(`Actions cache: could not save ${plan.key} (see the messages above)`);
        return 'failed';
    }
    catch (e) {
        log.warning(`Actions cache save failed: ${message(e)}`);
        return 'failed';
    }
}
/** `ACTIONS_CACHE_MODE` as @actions/cache reads it: unset or unknown modes permit everything. */
function cacheMode() {
    return (process.env.ACTIONS_CACHE_MODE ?? '').trim().toLowerCase();
}
function isCacheModeReadable() {
    const m = cacheMode();
    return !['none', 'read', 'write', 'write-only'].includes(m) || m === 'read' || m === 'write';
}
function isCacheModeWritable() {
    const m = cacheMode();
    return !['none', 'read', 'write', 'write-only'].includes(m) || m === 'write' || m === 'write-only';
}
/** Total size of the regular files under `dir` (symlinks not followed). */
async function dirBytes(dir) {
    let total = 0;
    const stack = [dir];
    while (stack.length > 0) {
        const d = stack.pop();
        for (const entry of await (0,promises_.readdir)(d, { withFileTypes: true })) {
            const p = external_node_path_default().join(d, entry.name);
            if (entry.isDirectory())
                stack.push(p);
            else if (entry.isFile())
                total += (await (0,promises_.lstat)(p)).size;
        }
    }
    return total;
}
function formatBytes(n) {
    if (n >= 1024 ** 3)
        return `${(n / 1024 ** 3).toFixed(2)} GiB`;
    if (n >= 1024 ** 2)
        return `${(n / 1024 ** 2).toFixed(1)} MiB`;
    if (n >= 1024)
        return `${(n / 1024).toFixed(1)} KiB`;
    return `${n} B`;
}
function message(e) {
    return e instanceof Error ? e.message : String(e);
}

// EXTERNAL MODULE: ./src/buildx/argv.ts
var argv = __webpack_require__(32548);
// EXTERNAL MODULE: ./src/buildx/builder-cli.ts + 1 modules
var builder_cli = __webpack_require__(3969);
// EXTERNAL MODULE: external "node:perf_hooks"
var external_node_perf_hooks_ = __webpack_require__(643);
// EXTERNAL MODULE: ./src/buildx/docker.ts
var docker = __webpack_require__(6034);
;// CONCATENATED MODULE: ./src/buildx/json-stream.ts
// Incremental splitter for a stream of concatenated JSON objects (as `--progress=rawjson`
// writes them: pretty-printed, several lines each, no separator) mixed with plain text lines
// (buildx prints the Dockerfile excerpt and `ERROR: …` as text after the objects).
//
// It is string- and escape-aware, so braces inside strings never count, and it is robust to
// chunks split anywhere — inside a string, an escape or between `\` and the escaped char.
// An object starts only at a `{` that is the first non-blank character of a line.
/** Objects larger than this are not progress events; their text is passed on as lines. */
const MAX_OBJECT_CHARS = 64 * 1024 * 1024;
class JsonObjectSplitter {
    handlers;
    /** Text of the object being read, or null between objects. */
    obj = null;
    objChars = 0;
    depth = 0;
    inString = false;
    escaped = false;
    /** Text line being read between objects. */
    line = '';
    constructor(handlers) {
        this.handlers = handlers;
    }
    write(chunk) {
        let i = 0;
        const n = chunk.length;
        while (i < n) {
            if (this.obj === null) {
                // Between objects: collect a text line, unless it opens an object.
                const nl = chunk.indexOf('\n', i);
                const end = nl < 0 ? n : nl;
                let j = i;
                if (this.line.trim() === '') {
                    while (j < end && (chunk[j] === ' ' || chunk[j] === '\t' || chunk[j] === '\r'))
                        j++;
                    if (j < end && chunk[j] === '{') {
                        this.line = '';
                        this.obj = [];
                        this.objChars = 0;
                        this.depth = 0;
                        this.inString = false;
                        this.escaped = false;
                        i = j;
                        continue;
                    }
                }
                this.line += chunk.slice(i, end);
                if (nl < 0)
                    return;
                this.flushLine();
                i = nl + 1;
                continue;
            }
            // Inside an object: scan to its closing brace (or the end of the chunk).
            const start = i;
            let closed = false;
            for (; i < n; i++) {
                const c = chunk.charCodeAt(i);
                if (this.inString) {
                    if (this.escaped)
                        this.escaped = false;
                    else if (c === 0x5c /* \ */)
                        this.escaped = true;
                    else if (c === 0x22 /* " */)
                        this.inString = false;
                }
                else if (c === 0x22) {
                    this.inString = true;
                }
                else if (c === 0x7b /* { */) {
                    this.depth++;
                }
                else if (c === 0x7d /* } */) {
                    this.depth--;
                    if (this.depth === 0) {
                        i++;
                        closed = true;
                        break;
                    }
                }
            }
            this.obj.push(chunk.slice(start, i));
            this.objChars += i - start;
            if (closed)
                this.finishObject();
            else if (this.objChars > MAX_OBJECT_CHARS)
                this.abandonObject();
        }
    }
    /** Flushes a trailing partial line or unterminated object as text. */
    end() {
        if (this.obj !== null)
            this.abandonObject();
        if (this.line !== '')
            this.flushLine();
    }
    flushLine() {
        const line = this.line.replace(/\r$/, '');
        this.line = '';
        if (line.trim() !== '')
            this.handlers.text(line);
    }
    finishObject() {
        const text = (this.obj ?? []).join('');
        this.obj = null;
        let value;
        try {
            value = JSON.parse(text);
        }
        catch {
            this.emitText(text);
            return;
        }
        this.handlers.object(value);
    }
    abandonObject() {
        const text = (this.obj ?? []).join('');
        this.obj = null;
        this.emitText(text);
    }
    emitText(text) {
        for (const l of text.split('\n')) {
            const line = l.replace(/\r$/, '');
            if (line.trim() !== '')
                this.handlers.text(line);
        }
    }
}

;// CONCATENATED MODULE: ./src/buildx/progress.ts
// Build progress: counts cached / total Dockerfile steps, times them, spots a failed cache
// export, and renders a human-readable log (like `--progress=plain`) while the build runs.
//
// Input is either `--progress=rawjson` (a stream of pretty-printed JSON SolveStatus objects,
// see json-stream.ts) or, as a fallback, `--progress=plain` text. Both are consumed
// incrementally; memory is bounded by the number of vertices, not the size of the output
// (per vertex only the last few log lines are kept, for error messages).
//
// What counts as a step: a vertex whose name is `[n/m] …` or `[<prefix> n/m] …` (prefix = stage
// name and/or platform, e.g. `[base 2/4] RUN …`, `[stage-1 3/3] COPY …`,
// `[linux/arm64 build 2/5] RUN …`). Not counted: `[internal] …`, `[auth] …`, exporting,
// pushing, cache import/export — and the `FROM` step (`[x 1/n] FROM image@digest`). FROM is
// image resolution / pull, not build work: BuildKit reports it `cached` whenever the image is
// already in the local store — even on a cold build (observed on buildx 0.13.1) — and not
// cached after a registry cache import, so counting it would only make the ratio noisier.
// A stage built `FROM` another stage has no FROM vertex at all (`[build 1/2] RUN …`), which
// is why FROM is recognised by its instruction, never by its number.
// Steps that never started (the build failed earlier) are not counted either.

/** Lines of a vertex's own log kept for the error message of a failed build. */
const LOG_TAIL_LINES = 20;
/** Lines of text (non-progress) output kept, e.g. buildx's final `ERROR: …` and Dockerfile excerpt. */
const TEXT_TAIL_LINES = 40;
const STEP_NAME = /^\[(?:[^\]]*\s)?(\d+)\/(\d+)\]\s+(\S+)/;
const CACHE_EXPORT_NAME = /^exporting cache\b/i;
/** Cache import and export vertices: their errors never fail a build (a missing cache is normal). */
const CACHE_IO_NAME = /^(?:exporting cache|importing cache manifest)\b/i;
/** A registry cache import: `importing cache manifest from <ref>`. */
const CACHE_IMPORT_NAME = /^importing cache manifest from (\S+)/i;
/**
 * Whether a cache import error only says there is no cache yet (the first build of a ref):
 * BuildKit's `failed to configure registry cache importer: <ref>: not found`. Any other import
 * error (a refused blob, a denied read) lost the build the cache it asked for.
 */
function noCacheYet(ref, error) {
    return error.endsWith(`${ref}: not found`);
}
const CANCELED = /context canceled|^canceled$/i;
/** Whether a vertex name is a Dockerfile step that counts (see the file comment). */
function isStepVertexName(name) {
    const instruction = STEP_NAME.exec(name)?.[3];
    return instruction !== undefined && instruction.toUpperCase() !== 'FROM';
}
/** RFC 3339 timestamp (nanosecond fractions as BuildKit writes them) → epoch ms, sub-ms kept. */
function parseTimestamp(s) {
    if (typeof s !== 'string')
        return undefined;
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
    const [, seconds, fraction, zone] = m ?? [];
    if (seconds === undefined || zone === undefined)
        return undefined;
    const whole = Date.parse(seconds + zone);
    if (Number.isNaN(whole))
        return undefined;
    const frac = fraction ? Number(`0.${fraction}`) * 1000 : 0;
    return whole + frac;
}
class Ring {
    size;
    items = [];
    constructor(size) {
        this.size = size;
    }
    push(line) {
        this.items.push(line);
        if (this.items.length > this.size)
            this.items.shift();
    }
}
function pushTail(tail, line) {
    tail.push(line);
    if (tail.length > LOG_TAIL_LINES)
        tail.shift();
}
function fmtSeconds(ms) {
    return (Math.max(0, ms) / 1000).toFixed(1) + 's';
}
/** Shared bookkeeping of both trackers: vertices in order of appearance, text tail. */
class TrackerBase {
    onLog;
    vertices = new Map();
    text = new Ring(TEXT_TAIL_LINES);
    cacheExportError;
    prevText = '';
    dockerfileLine;
    shown = 0;
    seen = 0;
    vertex(key) {
        let v = this.vertices.get(key);
        if (!v) {
            v = { index: 0, order: ++this.seen, cached: false, announced: false, cachedLogged: false, endLogged: false, tail: [] };
            this.vertices.set(key, v);
        }
        return v;
    }
    /** The vertex's `#n`, numbering it now if it has none yet. */
    num(v) {
        if (v.index === 0)
            v.index = ++this.shown;
        return v.index;
    }
    log(line) {
        this.onLog?.(line);
    }
    textLine(line) {
        this.text.push(line);
        // buildx locates a failure in the Dockerfile as `<file>:<line>` followed by a dashed rule.
        if (/^-{8,}$/.test(line)) {
            const m = /^\S.*:(\d+)$/.exec(this.prevText);
            if (m)
                this.dockerfileLine = Number(m[1]);
        }
        this.prevText = line;
        this.log(line);
    }
    result() {
        // Dockerfile order as far as it can be known: stages in the order they started (first
        // appearance on ties), steps by their number within a stage.
        const steps = [];
        const stageStart = new Map();
        for (const v of this.vertices.values()) {
            if (!v.name || !isStepVertexName(v.name))
                continue;
            if (v.started === undefined && v.completed === undefined && !v.cached && v.error === undefined)
                continue;
            const m = STEP_NAME.exec(v.name);
            const stage = /^\[(.*?)\s*\d+\/\d+\]/.exec(v.name)?.[1] ?? '';
            steps.push({ v, stage, n: Number(m[1]) });
            const at = stageStart.get(stage);
            const started = v.started ?? Number.POSITIVE_INFINITY;
            if (!at || started < at[0] || (started === at[0] && v.order < at[1]))
                stageStart.set(stage, [started, v.order]);
        }
        steps.sort((a, b) => {
            const sa = stageStart.get(a.stage);
            const sb = stageStart.get(b.stage);
            return sa[0] - sb[0] || sa[1] - sb[1] || a.n - b.n || a.v.order - b.v.order;
        });
        const out = steps.map(({ v }) => ({
            name: v.name ?? '',
            cached: v.cached,
            durationMs: this.durationOf(v),
        }));
        const result = {
            cachedSteps: out.filter((s) => s.cached).length,
            totalSteps: out.length,
            steps: out,
        };
        if (this.cacheExportError !== undefined)
            result.cacheExportError = this.cacheExportError;
        const imports = this.cacheImportErrors();
        if (imports.length > 0)
            result.cacheImportErrors = imports;
        return result;
    }
    durationOf(v) {
        return v.started !== undefined && v.completed !== undefined ? Math.max(0, Math.round(v.completed - v.started)) : 0;
    }
    /** The last lines of text (non-progress) output, e.g. buildx's own error messages. */
    textTail() {
        return [...this.text.items];
    }
    /** The cache imports that failed for a reason other than "no cache yet", one per ref, in order. */
    cacheImportErrors() {
        const out = new Map();
        for (const v of this.vertices.values()) {
            const ref = v.name === undefined ? undefined : CACHE_IMPORT_NAME.exec(v.name)?.[1];
            if (ref === undefined || v.error === undefined || noCacheYet(ref, v.error) || CANCELED.test(v.error) || out.has(ref))
                continue;
            out.set(ref, v.error);
        }
        return [...out].map(([ref, error]) => ({ ref, error }));
    }
    /** Whether a cache export vertex appeared (i.e. the builder did try to export). */
    cacheExportSeen() {
        for (const v of this.vertices.values())
            if (v.name && CACHE_EXPORT_NAME.test(v.name))
                return true;
        return false;
    }
    /** The failure, if a vertex failed or buildx printed an error; undefined otherwise. */
    failure() {
        let failed;
        let canceled;
        for (const v of this.vertices.values()) {
            if (v.error === undefined || (v.name && CACHE_IO_NAME.test(v.name)))
                continue;
            if (CANCELED.test(v.error)) {
                canceled ??= v;
                continue;
            }
            // Prefer a failed Dockerfile step over anything else that failed with it.
            if (!failed || (v.name && isStepVertexName(v.name) && !(failed.name && isStepVertexName(failed.name))))
                failed = v;
        }
        failed ??= canceled;
        const textTail = [...this.text.items];
        if (!failed && this.dockerfileLine === undefined && !textTail.some((l) => /^ERROR\b/.test(l)))
            return undefined;
        const f = {
            inStep: failed?.name !== undefined && STEP_NAME.test(failed.name),
            logTail: failed ? [...failed.tail] : [],
            textTail,
        };
        if (failed?.name !== undefined)
            f.vertex = failed.name;
        if (failed?.error !== undefined)
            f.error = failed.error;
        if (this.dockerfileLine !== undefined)
            f.dockerfileLine = this.dockerfileLine;
        return f;
    }
}
function decodeBase64(data) {
    if (typeof data !== 'string')
        return '';
    return Buffer.from(data, 'base64').toString('utf8');
}
/**
 * Streaming parser of `--progress=rawjson`: `write` chunks as they arrive (split anywhere),
 * `end` at the end; `onLog` receives the human-readable log as it goes.
 */
class ProgressTracker extends TrackerBase {
    splitter = new JsonObjectSplitter({
        object: (o) => this.event(o),
        text: (l) => this.textLine(l),
    });
    /** Unterminated log line per vertex+stream. */
    partial = new Map();
    statusDone = new Set();
    write(chunk) {
        this.splitter.write(chunk);
    }
    end() {
        this.splitter.end();
        for (const key of [...this.partial.keys()])
            this.flushPartial(key);
    }
    event(o) {
        if (typeof o !== 'object' || o === null)
            return;
        const ev = o;
        if (Array.isArray(ev.vertexes)) {
            // One event can carry several updates of a vertex (e.g. completed, then started again):
            // merge them all first, then show the state the event ends in.
            const touched = new Set();
            for (const v of ev.vertexes) {
                const digest = this.mergeVertex(v);
                if (digest !== undefined)
                    touched.add(digest);
            }
            for (const digest of touched)
                this.showVertex(digest);
        }
        if (Array.isArray(ev.statuses))
            for (const s of ev.statuses)
                this.onStatus(s);
        if (Array.isArray(ev.logs))
            for (const l of ev.logs)
                this.onLogEntry(l);
        if (Array.isArray(ev.warnings))
            for (const w of ev.warnings)
                this.onWarning(w);
    }
    /** Merges one vertex update (later updates win, field by field); returns its digest. */
    mergeVertex(raw) {
        if (typeof raw !== 'object' || raw === null || typeof raw.digest !== 'string')
            return undefined;
        const v = this.vertex(raw.digest);
        if (typeof raw.name === 'string')
            v.name = raw.name;
        const started = parseTimestamp(raw.started);
        const completed = parseTimestamp(raw.completed);
        if (started !== undefined) {
            // Started again without a completion: it is running again (BuildKit does this for
            // `[internal] load build definition`), so an earlier completion no longer holds.
            if (completed === undefined && v.started !== started)
                v.completed = undefined;
            v.started = started;
        }
        if (completed !== undefined)
            v.completed = completed;
        if (typeof raw.cached === 'boolean')
            v.cached = raw.cached;
        if (typeof raw.error === 'string' && raw.error !== '')
            v.error = raw.error;
        return raw.digest;
    }
    showVertex(digest) {
        const v = this.vertex(digest);
        if (!v.announced && (v.started !== undefined || v.cached || v.error !== undefined)) {
            v.announced = true;
            this.log(`#${this.num(v)} ${v.name ?? digest}`);
        }
        if (v.cached && !v.cachedLogged) {
            v.cachedLogged = true;
            this.flushVertexPartials(digest);
            this.log(`#${this.num(v)} CACHED`);
        }
        if (v.error !== undefined && v.name && CACHE_EXPORT_NAME.test(v.name))
            this.cacheExportError ??= v.error;
        if (!v.endLogged && (v.error !== undefined || (v.completed !== undefined && !v.cached))) {
            v.endLogged = true;
            this.flushVertexPartials(digest);
            if (v.error !== undefined)
                this.log(CANCELED.test(v.error) ? `#${this.num(v)} CANCELED` : `#${this.num(v)} ERROR: ${v.error}`);
            else
                this.log(`#${this.num(v)} DONE ${fmtSeconds(this.durationOf(v))}`);
        }
    }
    onStatus(s) {
        if (typeof s !== 'object' || s === null || typeof s.vertex !== 'string' || typeof s.id !== 'string')
            return;
        const completed = parseTimestamp(s.completed);
        if (completed === undefined)
            return;
        const key = `${s.vertex}\u0000${s.id}`;
        if (this.statusDone.has(key))
            return;
        this.statusDone.add(key);
        const v = this.vertex(s.vertex);
        const started = parseTimestamp(s.started);
        const took = started !== undefined && completed - started >= 50 ? ` ${fmtSeconds(completed - started)}` : '';
        this.log(`#${this.num(v)} ${s.id}${took} done`);
    }
    onLogEntry(l) {
        if (typeof l !== 'object' || l === null || typeof l.vertex !== 'string')
            return;
        const key = `${l.vertex}\u0000${typeof l.stream === 'number' ? l.stream : ''}`;
        const ts = parseTimestamp(l.timestamp);
        const text = (this.partial.get(key)?.text ?? '') + decodeBase64(l.data);
        const lines = text.split('\n');
        const rest = lines.pop() ?? '';
        for (const line of lines)
            this.logLine(l.vertex, line.replace(/\r$/, ''), ts);
        if (rest === '')
            this.partial.delete(key);
        else
            this.partial.set(key, { digest: l.vertex, text: rest, timestamp: ts });
    }
    onWarning(w) {
        if (typeof w !== 'object' || w === null)
            return;
        const short = decodeBase64(w.short).trim() || (typeof w.short === 'string' ? w.short : '');
        const v = typeof w.vertex === 'string' ? this.vertices.get(w.vertex) : undefined;
        this.log(v ? `#${this.num(v)} WARN: ${short}` : `WARNING: ${short}`);
        if ((v?.name && CACHE_EXPORT_NAME.test(v.name)) || (/cache/i.test(short) && /export/i.test(short))) {
            this.cacheExportError ??= short;
        }
    }
    logLine(digest, line, ts) {
        const v = this.vertex(digest);
        pushTail(v.tail, line);
        const at = ts !== undefined && v.started !== undefined ? ` ${((ts - v.started) / 1000).toFixed(3)}` : '';
        this.log(`#${this.num(v)}${at} ${line}`);
    }
    flushVertexPartials(digest) {
        for (const [key, p] of this.partial)
            if (p.digest === digest)
                this.flushPartial(key);
    }
    flushPartial(key) {
        const p = this.partial.get(key);
        if (!p)
            return;
        this.partial.delete(key);
        this.logLine(p.digest, p.text.replace(/\r$/, ''), p.timestamp);
    }
}
/**
 * Streaming parser of `--progress=plain` output (the fallback): `#<n> <name>` opens a vertex,
 * `#<n> CACHED` / `#<n> DONE 1.2s` / `#<n> ERROR: …` / `#<n> CANCELED` close it, other
 * `#<n> …` lines are its log. Lines are passed to `onLog` unchanged.
 */
class PlainProgressTracker extends TrackerBase {
    line = '';
    write(chunk) {
        let i = 0;
        for (;;) {
            const nl = chunk.indexOf('\n', i);
            if (nl < 0) {
                this.line += chunk.slice(i);
                return;
            }
            this.onLine(this.line + chunk.slice(i, nl));
            this.line = '';
            i = nl + 1;
        }
    }
    end() {
        if (this.line !== '')
            this.onLine(this.line);
        this.line = '';
    }
    onLine(raw) {
        const line = raw.replace(/\r$/, '');
        const [, id, rest] = /^#(\d+) (.*)$/.exec(line) ?? [];
        if (id === undefined || rest === undefined) {
            if (line.trim() !== '')
                this.textLine(line);
            return;
        }
        this.log(line);
        const known = this.vertices.has(id);
        const v = this.vertex(id);
        if (!known) {
            v.name = rest;
            v.announced = true;
            return;
        }
        if (rest === v.name)
            return; // the printer repeats the name when it switches back to a vertex
        let d;
        if (rest === 'CACHED') {
            v.cached = true;
            v.started ??= 0;
            v.completed ??= 0;
        }
        else if ((d = /^DONE (\d+(?:\.\d+)?)s$/.exec(rest))) {
            v.started = 0;
            v.completed = Number(d[1]) * 1000;
        }
        else if (rest === 'CANCELED') {
            v.error = 'canceled';
        }
        else if ((d = /^ERROR: (.*)$/.exec(rest))) {
            const error = d[1] ?? '';
            v.error = error;
            v.started ??= 0;
            if (v.name && CACHE_EXPORT_NAME.test(v.name))
                this.cacheExportError ??= error;
        }
        else {
            // A log line: `#6 0.151 output` (or a status line); keep it without the elapsed time.
            pushTail(v.tail, rest.replace(/^\d+\.\d+ /, ''));
        }
    }
}
/** Counts and step timings from a complete `--progress=plain` output (the fallback). */
function parsePlainProgress(text) {
    const t = new PlainProgressTracker();
    t.write(text);
    t.end();
    const { cachedSteps, totalSteps, steps } = t.result();
    return { cachedSteps, totalSteps, steps };
}

// EXTERNAL MODULE: ./node_modules/dockerfile-ast/lib/main.js
var main = __webpack_require__(78390);
;// CONCATENATED MODULE: ./src/buildx/step-name.ts
// A build step named by the command it runs. BuildKit names a vertex by its instruction as
// written, mount flags and all; a heredoc `RUN` shows only its first line
// (`RUN --mount=… <<'EOF' (set -eu...)`). The report names it `[stage n/m] RUN <command> …`:
// flags dropped, and a heredoc's script (read from the Dockerfile, parsed with
// dockerfile-ast) named by its first top-level command that is not shell housekeeping.
// Pure.

const PREFIX = /^(\[[^\]]*\]\s+)?([A-Za-z]+)\s+([\s\S]*)$/;
/** `<<EOF`, `<<-'EOF'`, `<<"EOF"`, then BuildKit's `(first line...)`. */
const HEREDOC = /^<<-?(['"]?)([A-Za-z_][\w.-]*)\1\s*(?:\(([\s\S]*?)(?:\.\.\.)?\))?\s*$/;
/** Commands that set up the shell rather than do the step's work. */
const HOUSEKEEPING = new Set([
    'set', 'export', 'unset', 'cd', 'eval', 'echo', 'printf', 'true', 'false', ':', '.', 'source', 'shift', 'trap', 'umask', 'local',
    'readonly', 'test', '[', '[[', 'exit', 'return',
]); // prettier-ignore
const OPENERS = { if: 'fi', case: 'esac', for: 'done', while: 'done', until: 'done', '{': '}' };
/** The display name of a step vertex; `dockerfile`: the text of the Dockerfile built (for heredoc scripts). */
function stepName(vertex, dockerfile) {
    const m = PREFIX.exec(vertex.trim());
    if (!m || m[2].toUpperCase() !== 'RUN')
        return vertex;
    const prefix = m[1] ?? '';
    let rest = m[3].trim();
    // Leading `--mount=…`, `--network=…`, `--security=…` flags.
    while (/^--[\w-]+(=\S*)?(\s|$)/.test(rest))
        rest = rest.replace(/^--[\w-]+(=\S*)?\s*/, '');
    const heredoc = HEREDOC.exec(rest);
    if (heredoc) {
        const script = dockerfile ? heredocScript(dockerfile, prefix) : undefined;
        const cmd = (script && mainCommand(script)) ?? (heredoc[3] ? `${heredoc[3].trim()} …` : `<<${heredoc[2]}`);
        return `${prefix}RUN ${cmd}`;
    }
    return `${prefix}RUN ${rest.replace(/\s+/g, ' ')}`;
}
/** Instructions BuildKit numbers within a stage (`[stage n/m]`); ARG, ENV, LABEL, USER … are not. */
const NUMBERED = new Set(['FROM', 'RUN', 'COPY', 'ADD', 'WORKDIR']);
/** The script of the heredoc of the step `prefix` names (`[solve 2/5]`, `[3/4]`, `[stage-1 2/3]`). */
function heredocScript(dockerfile, prefix) {
    const m = /^\[(?:(\S+)\s+)?(\d+)\/\d+\]/.exec(prefix.trim());
    if (!m)
        return undefined;
    let df;
    try {
        df = main.DockerfileParser.parse(dockerfile);
    }
    catch {
        return undefined;
    }
    const stages = [];
    for (const ins of df.getInstructions()) {
        const keyword = ins.getKeyword();
        if (keyword === 'FROM')
            stages.push({ name: ins.getBuildStage()?.toLowerCase(), numbered: [] });
        if (!NUMBERED.has(keyword) || stages.length === 0)
            continue;
        const heredocs = 'getHeredocs' in ins ? ins.getHeredocs() : [];
        stages[stages.length - 1].numbered.push({ keyword, heredocs });
    }
    const label = m[1]?.toLowerCase();
    const stage = label === undefined
        ? stages.length === 1
            ? stages[0]
            : undefined
        : (stages.find((s) => s.name === label) ?? stages[Number(/^stage-(\d+)$/.exec(label)?.[1] ?? NaN)]);
    const step = stage?.numbered[Number(m[2]) - 1];
    const range = step?.keyword === 'RUN' ? step.heredocs[0]?.getContentRange() : undefined;
    return range
        ? dockerfile
            .split(/\r?\n/)
            .slice(range.start.line, range.end.line + 1)
            .join('\n')
        : undefined;
}
/** The first top-level command of a shell script that is not housekeeping (set, export, cd, control flow), with ` …` when more follows. */
function mainCommand(script) {
    const lines = script
        .replace(/\\\r?\n/g, ' ')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'));
    let depth = 0;
    let found;
    let after = false;
    for (const line of lines) {
        for (let part of line.split(/\s*(?:;|&&|\|\|)\s*/)) {
            const words = part.split(/\s+/).filter(Boolean);
            part = words.join(' ');
            const first = words[0];
            if (!first)
                continue;
            if (found !== undefined) {
                after = true;
                break;
            }
            const closer = OPENERS[first];
            if (closer)
                depth++;
            else if (['fi', 'esac', 'done', '}'].includes(first))
                depth = Math.max(0, depth - 1);
            else if (depth === 0 && !HOUSEKEEPING.has(first) && !/^[A-Za-z_]\w*=/.test(first) && !['then', 'do', 'else', 'elif'].includes(first))
                found = part;
        }
        if (after)
            break;
    }
    return found === undefined ? undefined : `${found}${after ? ' …' : ''}`;
}

;// CONCATENATED MODULE: ./src/buildx/run.ts
// Running one `docker buildx build`: streams a readable log, counts cache hits, reads the
// digest from the metadata file, and turns failures into messages a user can act on.










/** Runs the buildx argv through the process port, streaming stdout lines to `log` and stderr to `progress`. */
async function spawnBuild(args, opts, log, progress, end) {
    let stdoutLine = '';
    const onStdout = (d) => {
        const lines = (stdoutLine + d).split('\n');
        stdoutLine = lines.pop() ?? '';
        for (const l of lines)
            if (l.trim() !== '')
                log(l);
        if (stdoutLine.length > 64 * 1024) {
            log(stdoutLine);
            stdoutLine = '';
        }
    };
    try {
        const r = await (opts.proc ?? runner_process/* execProcess */.ZG).run('docker', args, { env: opts.env, signal: opts.signal, maxBuffer: 0, onStdout, onStderr: progress });
        if (r.killed === 'aborted' || opts.signal?.aborted)
            throw new Error('the build was aborted');
        return r.killed ? { code: null, signal: 'SIGKILL' } : { code: r.code, signal: null };
    }
    catch (e) {
        if ((0,runner_process/* isProgramNotFound */.qi)(e))
            throw new user_error/* UserError */.yo(docker/* DOCKER_MISSING */.EO);
        if (opts.signal?.aborted)
            throw new Error('the build was aborted');
        throw e;
    }
    finally {
        if (stdoutLine.trim() !== '')
            log(stdoutLine);
        end();
    }
}
/** Lines of the failed step's own output quoted in the error. */
const ERROR_LOG_LINES = 20;
/**
 * The image digest of a build's metadata: `containerimage.digest` when it is a sha256 digest.
 * With the docker driver + containerd image store (buildx 0.13.1, docker 26.1) this was the
 * digest of the pushed image index — equal to the registry's `Docker-Content-Digest` — while
 * `containerimage.config.digest` carried the same value (not a config digest at all).
 * Callers that need certainty verify it against the registry.
 */
function digestFromMetadata(metadata) {
    const d = metadata['containerimage.digest'];
    return typeof d === 'string' && /^sha256:[0-9a-f]{64}$/.test(d) ? d : undefined;
}
/** The error message of a failed build (pure; exported for tests). */
function failureMessage(code, failure, textTail = []) {
    const head = `docker buildx build failed${code !== null ? ` (exit ${code})` : ''}`;
    if (!failure) {
        // Nothing in the progress says what failed: quote what buildx printed.
        const tail = textTail.slice(-ERROR_LOG_LINES);
        return tail.length > 0 ? `${head}:\n${tail.map((l) => `  ${l}`).join('\n')}` : head;
    }
    const parts = [];
    let first = head;
    // The step by the command it runs, and BuildKit's `process "<the whole script>" did not complete` without the script (the step names it).
    if (failure.vertex)
        first += ` at ${stepName(failure.vertex)}`;
    if (failure.error)
        first += `: ${shortProcessError(failure.error)}`;
    parts.push(first);
    const tail = failure.logTail.slice(-ERROR_LOG_LINES);
    if (tail.length > 0) {
        parts.push(`last ${tail.length} line${tail.length === 1 ? '' : 's'} of its output:`);
        parts.push(...tail.map((l) => `  ${l}`));
    }
    // buildx's own summary (`ERROR: failed to solve: …`), when it says more than the vertex error.
    const solve = failure.textTail.filter((l) => /^ERROR\b/.test(l)).slice(-1)[0];
    if (solve && (!failure.error || !solve.includes(failure.error)))
        parts.push(shortProcessError(solve));
    return parts.join('\n');
}
/** `process "/bin/sh -c <script>" did not complete successfully: exit code: 1` → `the command failed (exit code: 1)`. */
function shortProcessError(error) {
    return error.replace(/process "(?:[^"\\]|\\.)*" did not complete successfully: (exit code: \d+)/g, 'the command failed ($1)');
}
/**
 * Runs `docker buildx build` for `spec`. Resolves when the build succeeded (a failed registry
 * cache export is reported in `cacheExport`, never thrown); rejects with a UserError when the
 * failure is located in the user's Dockerfile (a failed step, or buildx's `Dockerfile:<line>`
 * excerpt), with a plain Error otherwise.
 */
async function runBuild(spec, opts = {}) {
    const log = opts.log ?? (() => undefined);
    const args = (0,argv/* buildxArgs */.w$)(spec);
    const tracker = spec.progress === 'plain' ? new PlainProgressTracker() : new ProgressTracker();
    tracker.onLog = log;
    // A metadata file left from an earlier build must not lend its digest to this one.
    await (0,promises_.rm)(spec.metadataFile, { force: true });
    const started = external_node_perf_hooks_.performance.now();
    const { code, signal } = await spawnBuild(args, opts, log, (d) => tracker.write(d), () => tracker.end());
    const durationMs = Math.round(external_node_perf_hooks_.performance.now() - started);
    if (opts.signal?.aborted)
        throw new Error('the build was aborted');
    if (code !== 0) {
        const failure = tracker.failure();
        const text = tracker.textTail();
        if ((0,docker/* isBuildxMissing */.Tk)(text.join('\n')))
            throw new user_error/* UserError */.yo(docker/* BUILDX_MISSING */.QG);
        const message = failureMessage(signal ? null : code, failure, text) + (signal ? ` (killed by ${signal})` : '');
        // Errors of the user's Dockerfile that BuildKit reports without a line (unknown target stage, blank base name).
        const userContent = /target stage "[^"]*" could not be found|base name \(?\$?\{?\w*\}?\)? ?should not be blank|dockerfile parse error/i.test(text.join('\n'));
        const inDockerfile = failure !== undefined && ((failure.inStep && failure.error !== undefined) || failure.dockerfileLine !== undefined || userContent);
        if (inDockerfile) {
            const where = { file: spec.dockerfile };
            if (failure.dockerfileLine !== undefined)
                where.line = failure.dockerfileLine;
            throw new user_error/* UserError */.yo(message, where);
        }
        throw new Error(message);
    }
    const metadata = readBuildMetadata(spec.metadataFile, log);
    const progress = tracker.result();
    const outcome = {
        metadata,
        cachedSteps: progress.cachedSteps,
        totalSteps: progress.totalSteps,
        steps: progress.steps,
        durationMs,
        cacheExport: 'skipped',
    };
    const digest = digestFromMetadata(metadata);
    if (digest)
        outcome.digest = digest;
    if ((0,argv/* cacheTos */.z5)(spec).length > 0) {
        if (progress.cacheExportError !== undefined) {
            outcome.cacheExport = 'failed';
            outcome.cacheNote = `cache export failed (the build itself succeeded): ${progress.cacheExportError}`;
        }
        else if (!tracker.cacheExportSeen()) {
            outcome.cacheExport = 'failed';
            outcome.cacheNote = 'a cache export was requested, but the build reported no cache export';
        }
        else {
            outcome.cacheExport = 'exported';
        }
        if (outcome.cacheNote)
            log(`warning: ${outcome.cacheNote}`);
    }
    if (progress.cacheImportErrors) {
        outcome.cacheImportNotes = progress.cacheImportErrors.map(cacheImportNote);
        for (const n of outcome.cacheImportNotes)
            log(`warning: ${n}`);
    }
    return outcome;
}
/**
 * Largest `--metadata-file` read: a multi-platform build with provenance writes a few tens of
 * kilobytes (one descriptor and one attestation per platform); 4 MiB is far above any real one.
 */
const MAX_METADATA_BYTES = 4 * 1024 * 1024;
/**
 * The `--metadata-file` document, read as every file the action opens (src/fs/confined.ts:
 * without blocking, a regular file, at most MAX_METADATA_BYTES). Missing or not a JSON object:
 * `{}` and a warning line (the digest is unknown). Anything else in its place — a FIFO, a
 * device, a directory, a file past the cap — is an error that says so, never a hang.
 */
function readBuildMetadata(file, log) {
    let text;
    try {
        text = (0,confined/* readFileBoundedSync */.ri)(file, file, { maxBytes: MAX_METADATA_BYTES, follow: false }).toString('utf8');
    }
    catch (e) {
        if ((0,confined/* isConfinedError */.pY)(e) && e.reason !== 'missing')
            throw new Error(`The build metadata file ${file} cannot be read: ${e.detail}`);
        log(`warning: no build metadata in ${file}; the digest is unknown`);
        return {};
    }
    try {
        const parsed = JSON.parse(text);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
            return parsed;
    }
    catch {
        // reported below
    }
    log(`warning: no build metadata in ${file} (not a JSON object); the digest is unknown`);
    return {};
}

;// CONCATENATED MODULE: ./src/buildx/index.ts
// Everything about running BuildKit (`docker buildx`): argv, builders, builds, progress.







;// CONCATENATED MODULE: ./src/image/dated-tags.ts
// Dated base tags `<prefix><hash12>-<YYYYMMDD>` and the choice between reusing one and
// building today's. Pure functions over plain data; the clock is passed in.
const DAY_MS = 86_400_000;
function formatDate(d) {
    const y = d.getUTCFullYear().toString().padStart(4, '0');
    const m = (d.getUTCMonth() + 1).toString().padStart(2, '0');
    const day = d.getUTCDate().toString().padStart(2, '0');
    return `${y}${m}${day}`;
}
function hash12(envHash) {
    return envHash.slice(0, 12);
}
function datedTag(prefix, envHash, now) {
    return `${prefix}${hash12(envHash)}-${formatDate(now)}`;
}
/** `<hash12>-<YYYYMMDD>`: the length of what follows the prefix. */
const DATED_REST = 21;
/** Days of each month; February is checked against the leap year. */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function isLeap(y) {
    return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}
/** The number written by `n` ASCII digits of `s` at `at`; -1 when one is not a digit. */
function digits(s, at, n) {
    let v = 0;
    for (let i = at; i < at + n; i++) {
        const c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9)
            return -1;
        v = v * 10 + c;
    }
    return v;
}
/** UTC midnight of the date `YYYYMMDD` written at `at`; NaN for an impossible date or a year before 100. */
function dateTime(s, at) {
    const y = digits(s, at, 4);
    const mo = digits(s, at + 4, 2);
    const d = digits(s, at + 6, 2);
    if (y < 100 || mo < 1 || mo > 12 || d < 1 || d > MONTH_DAYS[mo - 1] || (mo === 2 && d === 29 && !isLeap(y)))
        return NaN;
    return Date.UTC(y, mo - 1, d);
}
/** What follows the prefix of a dated tag (its date is checked apart), matched in place. */
const DATED_REST_SHAPE = /[0-9a-f]{12}-[0-9]{8}$/y;
/** Whether `tag` has the shape `<prefix><12 hex>-<8 digits>` (the date itself unchecked). */
function datedShape(tag, prefix) {
    if (tag.length !== prefix.length + DATED_REST || !tag.startsWith(prefix))
        return false;
    DATED_REST_SHAPE.lastIndex = prefix.length;
    return DATED_REST_SHAPE.test(tag);
}
/**
 * Parses a dated tag of this prefix; undefined for any other tag (or an impossible date, or
 * a year before 100). No Date is built to check the calendar.
 */
function parseDatedTag(tag, prefix) {
    if (!datedShape(tag, prefix))
        return undefined;
    const p = prefix.length;
    const time = dateTime(tag, p + 13);
    if (Number.isNaN(time))
        return undefined;
    return { tag, hash12: tag.slice(p, p + 12), date: tag.slice(p + 13), time };
}
/**
 * Dated tags of this prefix, newest first (ties broken by tag, last first, for a stable
 * order); the same as parseDatedTag over every tag, then a sort by (time, tag) descending.
 * The lookup runs it over every tag of the repository (tens of thousands, in code running
 * for the first time), so the shape is one regular-expression test, each distinct date is
 * checked once, and the order comes from grouping by date: a repository has a few hundred
 * dates, and the registry's list is already sorted by tag (else each day is sorted).
 */
function datedTags(tags, prefix) {
    const p = prefix.length;
    const times = new Map();
    const byDate = new Map();
    let ascending = true;
    let last = '';
    for (const tag of tags) {
        if (!datedShape(tag, prefix))
            continue;
        const date = tag.slice(p + 13);
        let time = times.get(date);
        if (time === undefined)
            times.set(date, (time = dateTime(date, 0)));
        if (Number.isNaN(time))
            continue;
        if (tag < last)
            ascending = false;
        last = tag;
        const d = { tag, hash12: tag.slice(p, p + 12), date, time };
        const day = byDate.get(date);
        if (day)
            day.push(d);
        else
            byDate.set(date, [d]);
    }
    // Equal dates are equal times, and fixed-width dates sort as their times do.
    const out = [];
    for (const date of [...byDate.keys()].sort().reverse()) {
        const day = byDate.get(date);
        if (ascending)
            day.reverse();
        else
            day.sort(newestFirst);
        for (const d of day)
            out.push(d);
    }
    return out;
}
function newestFirst(a, b) {
    return b.time - a.time || (a.tag < b.tag ? 1 : a.tag > b.tag ? -1 : 0);
}
/** `dated` with `tag` added in its place (when it is a dated tag of `prefix` not yet listed). */
function withTag(dated, tag, prefix) {
    const d = parseDatedTag(tag, prefix);
    if (!d || dated.some((t) => t.tag === tag))
        return [...dated];
    return [...dated, d].sort(newestFirst);
}
/** Whole days between the tag's date and `now`'s UTC date (0 = today). */
function ageDays(tag, now) {
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    return Math.round((today - tag.time) / DAY_MS);
}
/**
 * auto/plan: the newest dated tag of this hash is reused unless it is older than max-age.
 * base (nightly): today's tag is reused when it exists, else built.
 */
function chooseBase(input) {
    const today = datedTag(input.prefix, input.envHash, input.now);
    if (input.dated === undefined)
        return { action: 'build', tag: today, decision: 'lookup-failed' };
    const mine = input.dated.filter((t) => t.hash12 === hash12(input.envHash));
    // A tag dated after "now" (clock skew, SOURCE_DATE_EPOCH in the past) is still a valid base.
    const newest = mine[0];
    if (input.mode === 'base') {
        const existing = mine.find((t) => t.tag === today);
        if (existing)
            return { action: 'reuse', tag: today, ageDays: 0, decision: 'reused' };
        return { action: 'build', tag: today, decision: 'nightly', sameEnvironment: newest?.tag };
    }
    if (!newest)
        return { action: 'build', tag: today, decision: 'new-environment' };
    const age = ageDays(newest, input.now);
    if (input.maxAgeMs !== undefined) {
        const startOfToday = Date.UTC(input.now.getUTCFullYear(), input.now.getUTCMonth(), input.now.getUTCDate());
        const ageMs = input.now.getTime() - newest.time;
        if (ageMs > input.maxAgeMs && newest.time < startOfToday) {
            return { action: 'build', tag: today, decision: 'max-age', sameEnvironment: newest.tag };
        }
    }
    return { action: 'reuse', tag: newest.tag, ageDays: Math.max(0, age), decision: 'reused' };
}
/**
 * The newest dated base other than `exclude` — what a new base is compared with (any hash:
 * "the environment in the newest previous base").
 */
function previousBase(dated, exclude) {
    return dated.find((t) => t.tag !== exclude);
}
/** The last `n` dated bases of this environment, oldest first (for the size trend). */
function trendTags(dated, envHash, n) {
    return dated
        .filter((t) => t.hash12 === hash12(envHash))
        .slice(0, n)
        .reverse();
}
/**
 * Whether a dated tag is dated after tomorrow (UTC) of `now`: such a tag would stay the
 * newest for ever, so `max-age` and the nightly would never take over. Tomorrow's tags are
 * not (a runner's clock a little behind the one that pushed them).
 */
function isFromTheFuture(tag, now) {
    return tag.time > Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
}
/** Dated tags split into those of today or earlier (or tomorrow) and those from the future (isFromTheFuture). */
function splitFutureTags(dated, now) {
    return { dated: dated.filter((t) => !isFromTheFuture(t, now)), future: dated.filter((t) => isFromTheFuture(t, now)) };
}

;// CONCATENATED MODULE: ./src/run/compare.ts
// Which image a run's size is compared with: the previous image of the same *stream*, read
// before this run pushes anything. Pure functions over the run context.
//
// The rule (also in the README):
// - every run that tags by default (`tags` empty) also tags a stream tag: the branch name of
//   a push (`main`, `feature-x`, sanitized like docker/metadata-action's `type=ref`), or
//   `pr-<n>` for a pull request;
// - a pull request compares with its target branch's stream tag (`<image>:main`), i.e. the
//   image the last push to that branch produced;
// - a push to a branch compares with that branch's stream tag (the previous push of it), then
//   the default branch's;
// - other events (tags, schedules, dispatches) compare with the default branch's;
// - `<image>:latest` is the last fallback; `compare-to` overrides all of it.
// Because the candidates are read before the build, a run never compares an image with itself.
/** A tag for a branch name: invalid characters become `-`, at most 128 characters; undefined when nothing is left. */
function branchTag(branch) {
    const t = branch
        .replace(/[^A-Za-z0-9_.-]/g, '-')
        .replace(/^[.-]+/, '')
        .slice(0, 128);
    return t === '' ? undefined : t;
}
/** The branch a push event pushed to (`refs/heads/<b>`), else undefined. */
function pushedBranch(ref) {
    return ref?.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
}
/** The stream tag this run writes when `tags` is empty: `pr-<n>`, the pushed branch, or none. */
function defaultStreamTag(ctx) {
    if (ctx.pullRequest)
        return ctx.pullRequest.number > 0 ? `pr-${ctx.pullRequest.number}` : undefined;
    const branch = pushedBranch(ctx.ref);
    return branch === undefined ? undefined : branchTag(branch);
}
/** Tags of `image` to compare with, in order of preference (the first that exists wins). */
function comparisonTags(ctx) {
    const out = [];
    const add = (branch) => {
        const t = branch === undefined ? undefined : branchTag(branch);
        if (t && !out.includes(t))
            out.push(t);
    };
    if (ctx.pullRequest)
        add(ctx.baseRef || undefined);
    else
        add(pushedBranch(ctx.ref));
    add(ctx.defaultBranch);
    if (!out.includes('latest'))
        out.push('latest');
    return out;
}

;// CONCATENATED MODULE: ./src/fs/input-paths.ts
// File and directory inputs (`environment-file`, `base-dockerfile`, `dockerfile`, `context`):
// resolved inside the workspace with src/fs; anything else is one user error naming the input.





function workspace(dir) {
    try {
        return (0,confined/* workspaceAt */.xJ)(dir);
    }
    catch {
        throw new user_error/* UserError */.yo(`The workspace "${dir}" does not exist (GITHUB_WORKSPACE or the working directory)`);
    }
}
function inputError(name, value, e) {
    switch (e.reason) {
        case 'missing':
            return new user_error/* UserError */.yo(`Input "${name}": file "${value}" does not exist`);
        case 'directory':
        case 'not-regular':
            return new user_error/* UserError */.yo(`Input "${name}": "${value}" is not a file`);
        case 'outside':
            return new user_error/* UserError */.yo(`Input "${name}": "${value}" is outside the workspace — only files of the checked-out repository are read`);
        case 'system':
            return new user_error/* UserError */.yo(`Input "${name}": "${value}" is a system path (/proc, /sys, /dev) — only files of the checked-out repository are read`);
        default:
            return new user_error/* UserError */.yo(`Input "${name}": "${value}" cannot be read: ${e.detail}`);
    }
}
function input_paths_confined(name, value, f) {
    try {
        return f();
    }
    catch (e) {
        throw (0,confined/* isConfinedError */.pY)(e) ? inputError(name, value, e) : e;
    }
}
/**
 * A file input: the absolute path (as given, resolved against the workspace) of a regular
 * file whose real path lies inside the workspace.
 */
function inputFile(name, value, workspaceDir) {
    const ws = workspace(workspaceDir);
    const p = input_paths_confined(name, value, () => (0,confined/* resolveConfinedSync */.us)(ws, value));
    input_paths_confined(name, value, () => {
        const st = (0,external_node_fs_.statSync)(p.real);
        if (!st.isFile())
            throw new confined/* ConfinedError */.RW(st.isDirectory() ? 'directory' : 'not-regular', value);
    });
    return p.abs;
}
/** A file input read as UTF-8 text (bounded): its path and content. */
function readInputFile(name, value, workspaceDir, maxBytes = constants/* MAX_DOCKERFILE_BYTES */.uq) {
    const ws = workspace(workspaceDir);
    const f = input_paths_confined(name, value, () => (0,confined/* readConfinedSync */.S$)(ws, value, { maxBytes }));
    return { path: f.abs, content: f.bytes.toString('utf8') };
}
/** A directory input (`context`): its absolute path; it must be a directory inside the workspace. */
function inputDirectory(name, value, workspaceDir) {
    const ws = workspace(workspaceDir);
    const p = input_paths_confined(name, value, () => (0,confined/* resolveConfinedSync */.us)(ws, value));
    let dir = false;
    try {
        dir = (0,external_node_fs_.statSync)(p.real).isDirectory();
    }
    catch {
        dir = false;
    }
    if (!dir)
        throw new user_error/* UserError */.yo(`Input "${name}": "${value}" is not a directory`);
    return external_node_path_default().resolve(p.abs);
}

;// CONCATENATED MODULE: ./src/fs/index.ts



// EXTERNAL MODULE: ./src/hash/canonical.ts
var canonical = __webpack_require__(22778);
// EXTERNAL MODULE: ./src/hash/spec.ts
var spec = __webpack_require__(12253);
;// CONCATENATED MODULE: ./src/hash/requirements.ts
// pip requirement files referenced with -r/-c: read the way pip reads them, into entries.
// A file counts in the environment hash by its entries, not its bytes, so cosmetic edits
// keep the hash, as they do for the environment file itself.
//
// Decoding, as pip decodes them: a BOM selects UTF-8, UTF-16 (LE/BE) or UTF-32 (LE/BE) —
// what `pip freeze >` writes in Windows PowerShell is UTF-16LE with a BOM; without a BOM the
// file is read as UTF-8 (pip falls back to the locale's encoding, UTF-8 on every runner),
// and bytes that are not valid UTF-8 are warned about. (pip looks for UTF-16 before UTF-32,
// so it misreads a UTF-32LE file as UTF-16; we read it as UTF-32, which is what it is.)
//
// Entries, by pip's requirements-file grammar (pip's `req_file.py`: `join_lines`,
// `ignore_comments`, then each line parsed on its own):
// - the text is split into lines as Python's str.splitlines does (CRLF, CR, LF alike);
// - a line ending with `\` continues on the next (the backslashes dropped, the lines joined
//   as they are) — unless it is a comment line;
// - `#` at the start of a line or after whitespace starts a comment, to the end of the line;
// - what is left is stripped; an empty line is no entry.
// Every other line is an entry, in order (option lines such as `-r`, `-c`, `-e`,
// `--index-url`, `--hash` are positional, so order counts); an entry's inner whitespace is
// collapsed and its specifiers normalized as a `pip:` entry's are (normalizePipEntry).
// Environment variables (`${VAR}`) are kept as written: pip expands them when it installs,
// and their values are not the workspace's to hash. `-r` files are read recursively, each
// relative to the file that names it (loader.ts), and count by their own entries.
//
// A file that is not valid in its encoding is hashed by its bytes (newlines normalized):
// its entries could not be read faithfully.


/** Python's str.splitlines, which pip splits the file with. */
// eslint-disable-next-line no-control-regex -- the line boundaries of str.splitlines are the point
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;
/** The entries of a requirement file's text, with the line each starts on (pip's grammar, above). */
function requirementEntries(text) {
    const out = [];
    const push = (line, joined) => {
        const entry = (0,spec/* stripRequirementComment */.xY)(joined);
        if (entry)
            out.push({ line, text: entry });
    };
    let pending = [];
    let start = 0;
    text.split(LINE_BREAK).forEach((raw, i) => {
        const comment = /^\s*#/.test(raw); // pip: COMMENT_RE.match, anchored — only a comment line's trailing `\` continues nothing
        if (!raw.endsWith('\\') || comment) {
            if (pending.length) {
                // pip prefixes a comment line that ends a continuation with a space, so it stays a comment
                push(start, pending.join('') + (comment ? ` ${raw}` : raw));
                pending = [];
            }
            else
                push(i + 1, raw);
            return;
        }
        if (!pending.length)
            start = i + 1;
        pending.push(raw.replace(/^\\+|\\+$/g, ''));
    });
    if (pending.length)
        push(start, pending.join(''));
    return out;
}
/** The entries as they are hashed and compared: whitespace and specifiers normalized, credentials as digests. */
function canonicalEntries(text) {
    return requirementEntries(text).map((e) => (0,spec/* normalizePipEntry */.vE)(e.text));
}
/** Prefix of a requirement file's digest in the environment document when it covers the file's entries. */
const ENTRIES_DIGEST = 'entries:';
/** What a requirement file contributes to the environment document: its entries' digest, or its bytes' when it is not valid text. */
function requirementsDigest(decoded) {
    if (decoded.invalid)
        return (0,canonical/* sha256Hex */.fg)(decoded.hashed);
    return `${ENTRIES_DIGEST}${(0,canonical/* sha256Hex */.fg)(canonicalEntries(decoded.text).join('\n'))}`;
}
function requirementFileRefs(text) {
    const out = [];
    for (const l of requirementEntries(text))
        for (const ref of (0,spec/* pipRefs */.qE)(l.text))
            out.push({ line: l.line, text: l.text, ref });
    return out;
}
function bomOf(b) {
    if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf)
        return { encoding: 'utf-8', length: 3 };
    if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0)
        return { encoding: 'utf-32le', length: 4 };
    if (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff)
        return { encoding: 'utf-32be', length: 4 };
    if (b[0] === 0xff && b[1] === 0xfe)
        return { encoding: 'utf-16le', length: 2 };
    if (b[0] === 0xfe && b[1] === 0xff)
        return { encoding: 'utf-16be', length: 2 };
    return { encoding: 'utf-8', length: 0 };
}
function decodeUtf32(b, le) {
    let invalid = b.length % 4 !== 0;
    const parts = [];
    const chunk = [];
    for (let i = 0; i + 4 <= b.length; i += 4) {
        const cp = le ? b.readUInt32LE(i) : b.readUInt32BE(i);
        const ok = cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
        if (!ok)
            invalid = true;
        chunk.push(ok ? cp : 0xfffd);
        if (chunk.length >= 4096)
            parts.push(String.fromCodePoint(...chunk.splice(0)));
    }
    parts.push(String.fromCodePoint(...chunk));
    return { text: parts.join(''), invalid };
}
const newlines = (s) => (s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s);
/** Requirement-file bytes decoded the way pip decodes them (see the top of this file). */
function decodeRequirements(bytes) {
    const { encoding, length } = bomOf(bytes);
    const body = bytes.subarray(length);
    if (encoding === 'utf-32le' || encoding === 'utf-32be') {
        const { text, invalid } = decodeUtf32(body, encoding === 'utf-32le');
        const t = newlines(text);
        return { text: t, encoding, hashed: Buffer.from(t, 'utf8'), invalid };
    }
    try {
        const t = newlines(new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(body));
        return { text: t, encoding, hashed: Buffer.from(t, 'utf8'), invalid: false };
    }
    catch {
        const t = newlines(new TextDecoder(encoding, { ignoreBOM: true }).decode(body));
        // invalid UTF-8 is hashed by its bytes (newlines normalized), so no two differ in hash
        const hashed = encoding === 'utf-8' ? Buffer.from(newlines(body.toString('latin1')), 'latin1') : Buffer.from(t, 'utf8');
        return { text: t, encoding, hashed, invalid: true };
    }
}

;// CONCATENATED MODULE: ./src/hash/diff.ts
// What differs between two environment documents — the "why was the base rebuilt" list of
// the report. Pure; tolerant of documents that differ in shape (targets, source kind).


const diff_short = (digest) => (digest === undefined ? undefined : digest.replace(/^([a-z]+:)?([0-9a-f]{12})[0-9a-f]*$/, '$1$2'));
/**
 * Name-keyed comparison of two string lists: added / removed / changed per key. The item of
 * each change is the key, with `label` around it (`requirements.txt: uvicorn`, `numpy (linux-64)`).
 * The one before/after diff of the report: dependencies, pip entries, lock packages and the
 * entries of requirement files (file-lines.ts) all go through it.
 */
function keyed(section, prev, next, key, suffix = '', prefix = '') {
    const group = (xs) => {
        const m = new Map();
        for (const x of xs) {
            const k = key(x);
            const g = m.get(k);
            if (g)
                g.push(x);
            else
                m.set(k, [x]);
        }
        return m;
    };
    const a = group(prev);
    const b = group(next);
    const out = [];
    for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) {
        const before = a.get(k)?.join(', ');
        const after = b.get(k)?.join(', ');
        if (before === after)
            continue;
        const item = `${prefix}${k}${suffix}`;
        if (before === undefined)
            out.push({ section, kind: 'added', item, after });
        else if (after === undefined)
            out.push({ section, kind: 'removed', item, before });
        else
            out.push({ section, kind: 'changed', item, before, after });
    }
    return out;
}
function sameList(a, b) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
}
/** Changes of an ordered list: keyed changes, or an order change when only the order differs. */
function ordered(section, prev, next, key, suffix = '') {
    if (sameList(prev, next))
        return [];
    const changes = keyed(section, prev, next, key, suffix);
    const prevCommon = prev.filter((x) => next.includes(x));
    const nextCommon = next.filter((x) => prev.includes(x));
    if (!sameList(prevCommon, nextCommon))
        changes.push({ section, kind: 'changed', item: `order${suffix}`, before: prevCommon.join(', '), after: nextCommon.join(', ') });
    return changes;
}
function recordChanges(section, prev, next, fmt = (v) => v ?? '(empty)', label = (k) => k) {
    const a = prev ?? {};
    const b = next ?? {};
    const out = [];
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
        const inA = Object.hasOwn(a, k);
        const inB = Object.hasOwn(b, k);
        if (inA && inB && a[k] === b[k])
            continue;
        if (!inA)
            out.push({ section, kind: 'added', item: label(k), after: fmt(b[k]) });
        else if (!inB)
            out.push({ section, kind: 'removed', item: label(k), before: fmt(a[k]) });
        else
            out.push({ section, kind: 'changed', item: label(k), before: fmt(a[k]), after: fmt(b[k]) });
    }
    return out;
}
/** Per-subdir conda specs and pip entries of a document (top-level lists apply to every subdir). */
function perSubdir(doc) {
    const m = new Map();
    for (const s of doc.subdirs) {
        const own = doc.bySubdir?.[s];
        m.set(s, { conda: [...(doc.dependencies ?? []), ...(own?.dependencies ?? [])].sort(), pip: own?.pip ?? doc.pip ?? [] });
    }
    return m;
}
/**
 * Runs `diff` for every subdir of `next` (against the same subdir of `prev`, or prev's first
 * one when prev had other targets); reports once when every subdir changed the same way,
 * else per subdir (` (linux-aarch64)` after the item).
 */
function bySubdir(prev, next, diff) {
    const subdirs = [...next.keys()];
    const fallback = prev.values().next().value;
    const pick = (s) => prev.get(s) ?? fallback;
    const plain = subdirs.map((s) => diff(pick(s), next.get(s), ''));
    const same = plain.every((c) => JSON.stringify(c) === JSON.stringify(plain[0]));
    if (same || subdirs.length <= 1)
        return plain[0] ?? [];
    return subdirs.flatMap((s) => diff(pick(s), next.get(s), ` (${s})`));
}
const json = (v) => (v === undefined ? undefined : JSON.stringify(v));
function lockChanges(prev, next) {
    const pm = new Map(Object.entries(prev));
    const nm = new Map(Object.entries(next));
    if (pm.size === 0 || nm.size === 0)
        return [];
    const key = (item) => item.replace(/=[^=]*$/, '');
    return bySubdir(pm, nm, (a, b, suffix) => {
        const changes = keyed('packages', a.items, b.items, key, suffix);
        if (changes.length === 0 && a.sha256 !== b.sha256)
            changes.push({ section: 'packages', kind: 'changed', item: `package builds or checksums${suffix}`, before: diff_short(a.sha256), after: diff_short(b.sha256) });
        return changes;
    });
}
/**
 * A requirement file that an earlier version hashed by its bytes and this one by its entries
 * (`entries:` digests, requirements.ts): its digest changed although nothing in it need have;
 * say so instead of showing two digests.
 */
function requirementsScheme(c, prev, next) {
    const p = prev?.[c.item];
    const n = next?.[c.item];
    if (c.kind !== 'changed' || p === undefined || n === undefined || p.startsWith(ENTRIES_DIGEST) || !n.startsWith(ENTRIES_DIGEST))
        return c;
    return {
        ...c,
        before: 'hashed by its bytes (an earlier version of the action)',
        after: 'hashed by its entries: comments, blank lines and layout no longer count',
    };
}
/** Build-context files the base Dockerfile reads: each one added, removed or changed, by path. */
function contextChanges(prev, next) {
    if ((prev?.sha256 ?? '') === (next?.sha256 ?? ''))
        return [];
    const changes = recordChanges(CONTEXT_SECTION, prev?.files, next?.files, (v) => diff_short(v ?? undefined));
    if (changes.length === 0)
        changes.push({
            section: CONTEXT_SECTION,
            kind: 'changed',
            item: 'directories, links or files not listed',
            before: diff_short(prev?.sha256),
            after: diff_short(next?.sha256),
        });
    return changes;
}
/** Section name of build-context changes in "why the base was rebuilt". */
const CONTEXT_SECTION = 'build context files';
function diffDocuments(prev, next) {
    const out = [];
    if (prev.scheme !== next.scheme)
        out.push({ section: 'scheme', kind: 'changed', item: 'scheme', before: prev.scheme, after: next.scheme });
    if (prev.source !== next.source)
        out.push({ section: 'environment', kind: 'changed', item: 'kind of environment file', before: prev.source, after: next.source });
    if (prev.name !== next.name)
        out.push({
            section: 'name',
            kind: prev.name === undefined ? 'added' : next.name === undefined ? 'removed' : 'changed',
            item: 'name',
            before: prev.name,
            after: next.name,
        });
    const pc = prev.channels ?? [];
    const nc = next.channels ?? [];
    out.push(...ordered('channels', pc, nc, (c) => c));
    const pd = perSubdir(prev);
    const nd = perSubdir(next);
    out.push(...bySubdir(pd, nd, (a, b, suffix) => keyed('dependencies', a.conda, b.conda, spec/* condaSpecName */.MH, suffix)));
    out.push(...bySubdir(pd, nd, (a, b, suffix) => ordered('pip', a.pip, b.pip, spec/* pipEntryKey */.Bo, suffix)));
    out.push(...keyed('excluded by platform selectors', prev.excluded ?? [], next.excluded ?? [], (s) => s));
    if (prev.packages || next.packages)
        out.push(...lockChanges(prev.packages ?? {}, next.packages ?? {}));
    out.push(...recordChanges('files', prev.files, next.files, (v) => diff_short(v ?? undefined)).map((c) => requirementsScheme(c, prev.files, next.files)));
    out.push(...recordChanges('local packages', prev.local, next.local, (v) => diff_short(v ?? undefined)));
    out.push(...contextChanges(prev.context, next.context));
    out.push(...recordChanges('pixi', prev.pixi, next.pixi));
    const df = (d) => `${d.path ?? 'bundled template'} (${diff_short(d.sha256)})`;
    if (prev.dockerfile.path !== next.dockerfile.path || prev.dockerfile.sha256 !== next.dockerfile.sha256) {
        out.push({ section: 'dockerfile', kind: 'changed', item: 'Dockerfile', before: df(prev.dockerfile), after: df(next.dockerfile) });
    }
    out.push(...ordered('build-args', prev.buildArgs, next.buildArgs, (a) => a.split('=')[0]));
    const plats = (d) => (d.platforms.length ? d.platforms.join(', ') : `builder default (selectors for ${d.subdirs.join(', ')})`);
    if (plats(prev) !== plats(next))
        out.push({ section: 'platforms', kind: 'changed', item: 'platforms', before: plats(prev), after: plats(next) });
    out.push(...recordChanges('variables', prev.variables, next.variables));
    const pe = prev.extra ?? {};
    const ne = next.extra ?? {};
    const extraStr = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, json(v)]));
    out.push(...recordChanges('environment', extraStr(pe), extraStr(ne), (v) => v ?? undefined, (k) => `key "${k}"`));
    const rc = (d) => d.condarc !== null && typeof d.condarc === 'object' && !Array.isArray(d.condarc)
        ? extraStr(d.condarc)
        : d.condarc === undefined
            ? {}
            : { '.': json(d.condarc) };
    out.push(...recordChanges('condarc', rc(prev), rc(next)));
    out.push(...keyed('secrets', prev.secrets ?? [], next.secrets ?? [], (s) => s));
    return out;
}

;// CONCATENATED MODULE: ./src/hash/file-lines.ts
// The lines of the requirement files a base hashed, kept beside the environment document (in
// their own label, not hashed) so that "why rebuilt" can show a changed requirement file as
// the requirements that changed (`uvicorn==0.29.0` → `uvicorn==0.30.1`) instead of two digests.
// Reading goes through src/fs like every read of a user file (confined to the workspace by
// real path, regular files only, bounded); content is redacted; pure diffing.






const FILE_BYTES = 64 * 1024;
const FILE_LINES = 500;
/** The whole label stays well below Linux's 128 KiB limit of one argument. */
const TOTAL_CHARS = 24 * 1024;
/** The entries of a requirement file's text, as hashed (requirements.ts: pip's grammar, normalized, credentials redacted), at most FILE_LINES. */
function requirementLines(text) {
    return canonicalEntries(text).slice(0, FILE_LINES);
}
/** A requirement file's text, read confined to the workspace with the size bound; undefined when refused. */
function readBounded(ws, rel, envDir) {
    try {
        return decodeRequirements((0,confined/* readConfinedSync */.S$)(ws, rel, { maxBytes: FILE_BYTES }, envDir).bytes).text;
    }
    catch {
        // Outside the workspace, a symlink leaving it, a FIFO or device, too large, gone: left out.
        return undefined;
    }
}
/**
 * Lines of the document's requirement files (`files`: path relative to the environment
 * file's directory), read again inside the workspace (`workspaceDir`) with a size bound;
 * files that cannot be read there, or do not fit, are left out.
 */
function collectFileLines(files, envDir, workspaceDir) {
    const out = {};
    const names = Object.keys(files ?? {});
    if (!names.length)
        return out;
    let ws;
    try {
        ws = (0,confined/* workspaceAt */.xJ)(workspaceDir);
    }
    catch {
        return out;
    }
    let total = 0;
    for (const rel of names.sort()) {
        // The fingerprint did not read it (outside the workspace): neither does the label.
        if (files[rel] === 'outside-workspace')
            continue;
        const text = readBounded(ws, rel, envDir);
        if (text === undefined)
            continue;
        const lines = requirementLines(text);
        const size = lines.reduce((n, l) => n + l.length + 4, rel.length);
        if (total + size > TOTAL_CHARS)
            continue;
        total += size;
        out[rel] = lines;
    }
    return out;
}
/** The label value: canonical JSON of the lines (or undefined when there are none). */
function fileLinesLabel(lines) {
    return Object.keys(lines).length ? JSON.stringify(lines) : undefined;
}
function parseFileLinesLabel(json) {
    if (!json)
        return undefined;
    try {
        const v = JSON.parse(json);
        if (typeof v !== 'object' || v === null || Array.isArray(v))
            return undefined;
        const out = {};
        for (const [k, x] of Object.entries(v)) {
            if (!Array.isArray(x) || !x.every((l) => typeof l === 'string'))
                return undefined;
            Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
        }
        return out;
    }
    catch {
        return undefined;
    }
}
/** The requirement changes of one file, keyed by requirement name (the one keyed diff of diff.ts). */
function requirementChanges(file, prev, next) {
    return keyed('files', prev, next, spec/* pipEntryKey */.Bo, '', `${file}: `);
}
/**
 * `changes` with each changed requirement file (a digest change of `files`) replaced by its
 * requirement changes, where both sides' lines are known.
 */
function withRequirementLines(changes, prev, next) {
    if (!prev || !next)
        return [...changes];
    return changes.flatMap((c) => {
        const p = c.section === 'files' && c.kind === 'changed' ? prev[c.item] : undefined;
        const n = c.section === 'files' && c.kind === 'changed' ? next[c.item] : undefined;
        if (!p || !n)
            return [c];
        const lines = requirementChanges(c.item, p, n);
        return lines.length ? lines : [c];
    });
}
/** The requirement lines of a fingerprint's files, read next to the environment file, inside the workspace. */
function fingerprintFileLines(fp, environmentFile, workspaceDir) {
    return collectFileLines(fp.document.files, external_node_path_default().dirname(environmentFile), workspaceDir);
}
/** The `--label` value with the requirement files' lines, when there are any. */
function envFilesLabel(fp, environmentFile, workspaceDir) {
    const value = fileLinesLabel(fingerprintFileLines(fp, environmentFile, workspaceDir));
    return value ? [`${constants/* Labels */.gC.EnvFiles}=${value}`] : [];
}

// EXTERNAL MODULE: external "node:zlib"
var external_node_zlib_ = __webpack_require__(38522);
var external_node_zlib_default = /*#__PURE__*/__webpack_require__.n(external_node_zlib_);
// EXTERNAL MODULE: ./src/hash/selectors.ts
var selectors = __webpack_require__(51954);
;// CONCATENATED MODULE: ./src/hash/document.ts
// Assembling the canonical document from its parts, and reading one back from a label.
// Pure functions.




/** When no platform is given, selectors are evaluated for this subdir (and the document says so). */
const DEFAULT_SUBDIR = 'linux-64';
/** Target platforms as they go into the document: trimmed, unique, sorted (order does not change any image). */
function normalizePlatforms(platforms) {
    return [...new Set(platforms.map((p) => p.trim()).filter((p) => p !== ''))].sort();
}
/** Conda subdirs of the targets; an unknown platform gives `unknown:<platform>` (all selectors unknown there). */
function targetSubdirs(platforms) {
    if (platforms.length === 0)
        return { subdirs: [DEFAULT_SUBDIR], assumed: true };
    return { subdirs: [...new Set(platforms.map((p) => (0,selectors/* subdirOf */.Bg)(p) ?? `unknown:${p}`))].sort(), assumed: false };
}
const nonEmpty = (xs) => (xs && xs.length ? [...xs] : undefined);
const nonEmptyObj = (o) => (o && Object.keys(o).length ? { ...o } : undefined);
function buildDocument(p) {
    const doc = {
        scheme: constants/* HASH_SCHEME */.tS,
        source: p.source,
        dockerfile: p.dockerfile.path === undefined ? { sha256: p.dockerfile.sha256 } : { path: p.dockerfile.path, sha256: p.dockerfile.sha256 },
        buildArgs: [...p.buildArgs],
        platforms: [...p.platforms],
        subdirs: [...p.subdirs],
    };
    if (p.subdirsAssumed)
        doc.subdirsAssumed = true;
    if (p.name !== undefined)
        doc.name = p.name;
    if (nonEmpty(p.channels))
        doc.channels = [...p.channels];
    if (p.selection)
        Object.assign(doc, dependencySections(p.selection, p.subdirs));
    const variables = nonEmptyObj(p.variables);
    if (variables)
        doc.variables = variables;
    const extra = nonEmptyObj(p.extra);
    if (extra)
        doc.extra = extra;
    const packages = nonEmptyObj(p.packages);
    if (packages)
        doc.packages = packages;
    const files = nonEmptyObj(p.files);
    if (files)
        doc.files = files;
    const local = nonEmptyObj(p.local);
    if (local)
        doc.local = local;
    if (p.context)
        doc.context = { files: { ...p.context.files }, sha256: p.context.sha256 };
    if (p.pixi)
        doc.pixi = { ...p.pixi };
    return doc;
}
/** Dependencies common to all targets at the top; what differs per subdir in `bySubdir`. */
function dependencySections(sel, subdirs) {
    const lists = subdirs.map((s) => sel.bySubdir.get(s));
    const sets = lists.map((l) => new Set(l.conda));
    const common = lists[0].conda.filter((spec) => sets.every((set) => set.has(spec)));
    const pipSame = lists.every((l) => l.pip.length === lists[0].pip.length && l.pip.every((e, i) => e === lists[0].pip[i]));
    const out = {};
    if (common.length)
        out.dependencies = common;
    if (pipSame && lists[0].pip.length)
        out.pip = [...lists[0].pip];
    const commonSet = new Set(common);
    const by = {};
    subdirs.forEach((s, i) => {
        const own = lists[i].conda.filter((spec) => !commonSet.has(spec));
        const entry = {};
        if (own.length)
            entry.dependencies = own;
        if (!pipSame)
            entry.pip = [...lists[i].pip];
        if (entry.dependencies || entry.pip)
            by[s] = entry;
    });
    if (Object.keys(by).length)
        out.bySubdir = by;
    if (sel.excluded.length)
        out.excluded = [...sel.excluded];
    return out;
}
function serialize(doc) {
    const json = (0,canonical/* canonicalJson */.dj)(doc);
    return { json, hash: (0,canonical/* sha256Hex */.fg)(json) };
}
// ---------------------------------------------------------------------------------------
// Reading a document back from an image label
const isStr = (v) => typeof v === 'string';
const isStrArr = (v) => Array.isArray(v) && v.every(isStr);
const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrRecord = (v, nullable = false) => isObj(v) && Object.values(v).every((x) => isStr(x) || (nullable && x === null));
const isJson = (v) => v === null || isStr(v) || (Array.isArray(v) && v.every(isJson)) || (isObj(v) && Object.values(v).every(isJson));
const SOURCES = new Set(['environment', 'explicit', 'conda-lock', 'spec-list', 'pixi']);
// The label value: the canonical JSON itself while it is small (readable with `docker
// inspect`), else `gz1:` + base64 of its gzip — one build argument must stay far below
// Linux's 128 KiB cap on a single argv string. Past MAX_DOCUMENT_LABEL even that is not
// written: the label carries `truncated:` and the document's hash, and a later run says the
// previous document is unavailable instead of what changed.
/** Documents up to this size are written as plain JSON. */
const PLAIN_DOCUMENT_LABEL = 16 * 1024;
/** Largest label value written. */
const MAX_DOCUMENT_LABEL = 64 * 1024;
const GZ_PREFIX = 'gz1:';
const TRUNCATED_PREFIX = 'truncated:';
/** Largest document a label may decompress to (guards against a hostile registry's gzip bomb). */
const MAX_DOCUMENT_JSON = 16 * 1024 * 1024;
/** The value of the document label for `doc` (see above). */
function encodeDocumentLabel(doc) {
    const json = (0,canonical/* canonicalJson */.dj)(doc);
    if (json.length <= PLAIN_DOCUMENT_LABEL)
        return json;
    const packed = `${GZ_PREFIX}${(0,external_node_zlib_.gzipSync)(json, { level: 9 }).toString('base64')}`;
    if (packed.length <= MAX_DOCUMENT_LABEL)
        return packed;
    return `${TRUNCATED_PREFIX}sha256=${(0,canonical/* sha256Hex */.fg)(json)} bytes=${Buffer.byteLength(json)}`;
}
/** True when the label stands for a document too large to be kept in it. */
function isTruncatedDocumentLabel(label) {
    return label.startsWith(TRUNCATED_PREFIX);
}
function labelJson(label) {
    if (!label.startsWith(GZ_PREFIX))
        return label;
    try {
        return (0,external_node_zlib_.gunzipSync)(Buffer.from(label.slice(GZ_PREFIX.length), 'base64'), { maxOutputLength: MAX_DOCUMENT_JSON }).toString('utf8');
    }
    catch {
        return undefined;
    }
}
/** The document of a label if it is ours (scheme v1, the expected shape; plain or `gz1:`), else undefined. */
function parseDocumentLabel(label) {
    const json = labelJson(label);
    if (json === undefined)
        return undefined;
    let v;
    try {
        v = JSON.parse(json);
    }
    catch {
        return undefined;
    }
    if (!isObj(v) || v.scheme !== constants/* HASH_SCHEME */.tS || !isStr(v.source) || !SOURCES.has(v.source))
        return undefined;
    if (!isObj(v.dockerfile) || !isStr(v.dockerfile.sha256) || (v.dockerfile.path !== undefined && !isStr(v.dockerfile.path)))
        return undefined;
    if (!isStrArr(v.buildArgs) || !isStrArr(v.platforms) || !isStrArr(v.subdirs))
        return undefined;
    if (v.subdirsAssumed !== undefined && typeof v.subdirsAssumed !== 'boolean')
        return undefined;
    if (v.name !== undefined && !isStr(v.name))
        return undefined;
    for (const k of ['channels', 'dependencies', 'pip', 'excluded'])
        if (v[k] !== undefined && !isStrArr(v[k]))
            return undefined;
    if (v.variables !== undefined && !isStrRecord(v.variables, true))
        return undefined;
    for (const k of ['files', 'local', 'pixi'])
        if (v[k] !== undefined && !isStrRecord(v[k]))
            return undefined;
    if (v.extra !== undefined && !(isObj(v.extra) && isJson(v.extra)))
        return undefined;
    if (v.context !== undefined && !(isObj(v.context) && isStrRecord(v.context.files) && isStr(v.context.sha256)))
        return undefined;
    if (v.condarc !== undefined && !isJson(v.condarc))
        return undefined;
    if (v.secrets !== undefined && !isStrArr(v.secrets))
        return undefined;
    if (v.bySubdir !== undefined) {
        if (!isObj(v.bySubdir))
            return undefined;
        for (const s of Object.values(v.bySubdir)) {
            if (!isObj(s) || (s.dependencies !== undefined && !isStrArr(s.dependencies)) || (s.pip !== undefined && !isStrArr(s.pip)))
                return undefined;
        }
    }
    if (v.packages !== undefined) {
        if (!isObj(v.packages))
            return undefined;
        for (const p of Object.values(v.packages))
            if (!isObj(p) || !isStrArr(p.items) || !isStr(p.sha256))
                return undefined;
    }
    return v;
}

// EXTERNAL MODULE: ./src/text/redact.ts
var redact = __webpack_require__(53326);
;// CONCATENATED MODULE: ./src/hash/glob.ts
// Docker's wildcard rule for `COPY`/`ADD` sources: Go's `path/filepath.Match` (Unix flavour),
// applied by BuildKit to every path of the build context relative to its root. `*` and `?`
// never match `/`, `[...]` is a class (`^` negates, `a-z` ranges, `\` escapes), `\` escapes
// outside a class, and `**` is nothing more than two `*`. A malformed pattern matches nothing
// (BuildKit ignores filepath.Match's error). Pure functions over code points.
/** True when a source has a wildcard Docker would expand (`*`, `?` or `[`). */
function hasWildcard(source) {
    return /[*?[]/.test(source);
}
/** Go's filepath.Match(pattern, name) on Unix; a malformed pattern gives false. */
function goMatch(pattern, name) {
    try {
        return match([...pattern], [...name]);
    }
    catch {
        return false;
    }
}
/** True when Go's filepath.Match calls the pattern malformed (ErrBadPattern). */
function isBadPattern(pattern) {
    try {
        match([...pattern], ['.']);
        return false;
    }
    catch {
        return true;
    }
}
class BadPattern extends Error {
}
function match(pattern, name) {
    let p = pattern;
    let n = name;
    outer: while (p.length > 0) {
        const { star, chunk, rest } = scanChunk(p);
        p = rest;
        if (star && chunk.length === 0)
            return !n.includes('/');
        const t = matchChunk(chunk, n);
        if (t !== undefined && (t.length === 0 || p.length > 0)) {
            n = t;
            continue;
        }
        if (star) {
            for (let i = 0; i < n.length && n[i] !== '/'; i++) {
                const t2 = matchChunk(chunk, n.slice(i + 1));
                if (t2 !== undefined) {
                    if (p.length === 0 && t2.length > 0)
                        continue;
                    n = t2;
                    continue outer;
                }
            }
        }
        // the rest of the pattern must still be well-formed (Go reports ErrBadPattern)
        while (p.length > 0) {
            const next = scanChunk(p);
            p = next.rest;
            matchChunk(next.chunk, []);
        }
        return false;
    }
    return n.length === 0;
}
function scanChunk(pattern) {
    let i = 0;
    let star = false;
    while (i < pattern.length && pattern[i] === '*') {
        i++;
        star = true;
    }
    const start = i;
    let inRange = false;
    for (; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === '\\') {
            if (i + 1 < pattern.length)
                i++;
        }
        else if (c === '[')
            inRange = true;
        else if (c === ']')
            inRange = false;
        else if (c === '*' && !inRange)
            break;
    }
    return { star, chunk: pattern.slice(start, i), rest: pattern.slice(i) };
}
/** The rest of `s` after `chunk` matched its start, or undefined; throws on a malformed chunk. */
function matchChunk(chunk, s) {
    let c = chunk;
    let failed = false;
    while (c.length > 0) {
        if (!failed && s.length === 0)
            failed = true;
        const head = c[0];
        if (head === '[') {
            const r = failed ? '' : s[0];
            if (!failed)
                s = s.slice(1);
            c = c.slice(1);
            let negated = false;
            if (c[0] === '^') {
                negated = true;
                c = c.slice(1);
            }
            let matched = false;
            let nrange = 0;
            for (;;) {
                if (c.length > 0 && c[0] === ']' && nrange > 0) {
                    c = c.slice(1);
                    break;
                }
                const lo = getEsc(c);
                c = lo.rest;
                let hi = lo.r;
                if (c[0] === '-') {
                    const h = getEsc(c.slice(1));
                    hi = h.r;
                    c = h.rest;
                }
                if (!failed && lo.r <= r && r <= hi)
                    matched = true;
                nrange++;
            }
            if (matched === negated)
                failed = true;
        }
        else if (head === '?') {
            if (!failed) {
                if (s[0] === '/')
                    failed = true;
                s = s.slice(1);
            }
            c = c.slice(1);
        }
        else {
            if (head === '\\') {
                c = c.slice(1);
                if (c.length === 0)
                    throw new BadPattern();
            }
            if (!failed) {
                if (c[0] !== s[0])
                    failed = true;
                s = s.slice(1);
            }
            c = c.slice(1);
        }
    }
    return failed ? undefined : s;
}
function getEsc(chunk) {
    let c = chunk;
    if (c.length === 0 || c[0] === '-' || c[0] === ']')
        throw new BadPattern();
    if (c[0] === '\\') {
        c = c.slice(1);
        if (c.length === 0)
            throw new BadPattern();
    }
    const r = c[0];
    const rest = c.slice(1);
    if (rest.length === 0)
        throw new BadPattern();
    return { r, rest };
}

;// CONCATENATED MODULE: ./src/hash/patternmatcher.ts
// `.dockerignore` files and `COPY --exclude` patterns, matched exactly as BuildKit matches
// them: moby/patternmatcher (what buildx's context transfer and BuildKit's copy use), and its
// `ignorefile.ReadAll` for the file. Pure functions.
//
// Why not @balena/dockerignore (used before): it matches case-insensitively by default and
// differs in the details below, each pinned by a test (__tests__/hash-patternmatcher.test.ts):
// - matching is case-sensitive (`upper.txt` does not hide `Upper.txt`);
// - a pattern is cleaned as Go's `filepath.Clean` does, a leading `/` dropped, `!` re-includes;
// - a pattern matches a path or any of its parent directories (`MatchesOrParentMatches`);
// - `**` at the start is a suffix match (`**/foo` matches `foo` and `x/foo`, `**foo` any path
//   ending in `foo`), `**` at the end a prefix match (`foo**` matches `foobar/x`), `**/` in the
//   middle any number of directories;
// - `*` and `?` never match `/`; `[...]` is a class; `\` escapes the next character;
// - a line is a comment only when `#` is its first character; a CR before the LF is dropped.
//
// The pattern becomes a JavaScript regular expression where it becomes a Go one in
// patternmatcher; where the two languages would read it differently (a `\` before a letter or
// digit, a POSIX class `[:alpha:]`) or Go's `filepath.Match` calls it malformed, the pattern is
// uncertain and is taken the way that hashes more: an exclude pattern matches nothing, a `!`
// pattern matches everything.


/** Lines of a `.dockerignore` file as `ignorefile.ReadAll` returns them. */
function readIgnoreFile(text) {
    const out = [];
    const lines = text.split('\n');
    if (lines.length && lines[lines.length - 1] === '')
        lines.pop();
    lines.forEach((raw, i) => {
        let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (i === 0)
            line = line.replace(/^\uFEFF/, '');
        if (line.startsWith('#'))
            return;
        let p = goTrimSpace(line);
        if (p === '')
            return;
        const invert = p.startsWith('!');
        if (invert)
            p = goTrimSpace(p.slice(1));
        if (p.length > 0) {
            p = goClean(p);
            if (p.length > 1 && p.startsWith('/'))
                p = p.slice(1);
        }
        out.push(invert ? `!${p}` : p);
    });
    return out;
}
/** Go's strings.TrimSpace (Unicode white space). */
function goTrimSpace(s) {
    return s.replace(/^[\s\u0085]+|[\s\u0085]+$/gu, '');
}
/** Go's path/filepath.Clean on Unix. */
function goClean(p) {
    if (p === '')
        return '.';
    const n = external_node_path_default().posix.normalize(p);
    return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}
class PatternMatcher {
    patterns;
    /** Some pattern is a `!` re-include: excluded directories must still be entered. */
    exclusions;
    constructor(patterns) {
        this.patterns = [];
        for (const raw of patterns) {
            let p = goTrimSpace(raw);
            if (p === '')
                continue;
            p = goClean(p);
            const exclusion = p.startsWith('!');
            if (exclusion) {
                if (p.length === 1)
                    continue; // BuildKit refuses `!`; a pattern that matches nothing hashes more
                p = p.slice(1);
            }
            this.patterns.push({ exclusion, test: isBadPattern(p) ? undefined : compile(p) });
        }
        this.exclusions = this.patterns.some((p) => p.exclusion);
    }
    get empty() {
        return this.patterns.length === 0;
    }
    /** patternmatcher's MatchesOrParentMatches: the last pattern matching the path or a parent directory decides. */
    matches(file) {
        const parents = file.split('/').slice(0, -1);
        const candidates = parents.map((_, i) => parents.slice(0, i + 1).join('/'));
        let matched = false;
        for (const pattern of this.patterns) {
            if (pattern.exclusion !== matched)
                continue;
            const test = pattern.test;
            const hit = test === undefined ? pattern.exclusion : test(file) || candidates.some((c) => test(c));
            if (hit)
                matched = !pattern.exclusion;
        }
        return matched;
    }
    /**
     * patternmatcher's MatchesUsingParentResults, applied down the path as fsutil's walk applies
     * it (what buildx sends of the context): each directory's per-pattern results are its
     * children's starting point, and a pattern skipped at a directory (the verdict already
     * stood) is not looked at again below it. It can differ from `matches`: with the lines `d`,
     * a `!` pattern for every `B.txt`, then `d` again, the walk keeps `d/B.txt`, whose content
     * is then not sent (BuildKit copies it as an empty file).
     */
    matchesWalking(file) {
        const parts = file.split('/');
        let parent;
        let matched = false;
        for (let i = 0; i < parts.length; i++) {
            const at = parts.slice(0, i + 1).join('/');
            const info = [];
            matched = false;
            for (const [k, pattern] of this.patterns.entries()) {
                let match = parent?.[k] ?? false;
                if (!match) {
                    if (pattern.exclusion !== matched) {
                        info.push(false);
                        continue;
                    }
                    match = pattern.test === undefined ? pattern.exclusion : pattern.test(at);
                }
                info.push(match);
                if (match)
                    matched = !pattern.exclusion;
            }
            parent = info;
        }
        return matched;
    }
}
/** Characters with a meaning in a JavaScript regular expression (escaped when literal). */
const JS_SPECIAL = new Set([...'^$\\.*+?()[]{}|/']);
const lit = (c) => (JS_SPECIAL.has(c) ? `\\${c}` : c);
/** What Go's regexp accepts after `\` as the character itself: ASCII punctuation. */
const PUNCT = /^[!-/:-@[-`{-~]$/;
/** patternmatcher's Pattern.compile: the match type and the regular expression, or undefined when uncertain. */
function translate(pattern) {
    const chars = [...pattern];
    let re = '^';
    let type = 'exact';
    let inClass = false;
    for (let i = 0; i < chars.length; i++) {
        const ch = chars[i];
        if (inClass) {
            // inside a class: what Go's regexp and JavaScript's read alike, else uncertain
            if (ch === ']')
                inClass = false;
            else if (ch === '[' && chars[i + 1] === ':')
                return undefined;
            else if (ch === '\\') {
                const next = chars[++i];
                if (next === undefined || !PUNCT.test(next))
                    return undefined;
                re += next === '-' ? '\\-' : lit(next);
                continue;
            }
            re += ch === '[' || ch === '/' ? `\\${ch}` : ch;
            continue;
        }
        if (ch === '*') {
            const start = i;
            if (chars[i + 1] === '*') {
                i++;
                if (chars[i + 1] === '/')
                    i++;
                if (i + 1 >= chars.length) {
                    if (type === 'exact')
                        type = 'prefix';
                    else {
                        re += '[^\\n]*';
                        type = 'regexp';
                    }
                }
                else {
                    re += '(?:[^\\n]*\\/)?';
                    type = 'regexp';
                }
                if (start === 0)
                    type = 'suffix';
            }
            else {
                re += '[^/]*';
                type = 'regexp';
            }
        }
        else if (ch === '?') {
            re += '[^/]';
            type = 'regexp';
        }
        else if (ch === '\\') {
            const next = chars[i + 1];
            if (next === undefined || !PUNCT.test(next))
                return undefined;
            else {
                re += lit(next);
                i++;
                type = 'regexp';
            }
        }
        else if (ch === '[') {
            re += '[';
            if (chars[i + 1] === '^') {
                re += '^';
                i++;
            }
            inClass = true;
            type = 'regexp';
        }
        else if (ch === ']') {
            re += '\\]';
            type = 'regexp';
        }
        else
            re += ch === '^' ? '^' : lit(ch); // `^` is not escaped by patternmatcher: an anchor in Go's regexp too
    }
    return inClass ? undefined : { type, re: `${re}$` };
}
/** patternmatcher's Pattern.match for one pattern, or undefined when the pattern is uncertain. */
function compile(pattern) {
    const t = translate(pattern);
    if (!t)
        return undefined;
    const { type, re } = t;
    if (type === 'exact')
        return (file) => file === pattern;
    if (type === 'prefix') {
        const prefix = pattern.slice(0, -2);
        return (file) => file.startsWith(prefix);
    }
    if (type === 'suffix') {
        const suffix = pattern.slice(2);
        return (file) => file.endsWith(suffix) || (suffix.startsWith('/') && file === suffix.slice(1));
    }
    let regexp;
    try {
        regexp = new RegExp(re, 'u');
    }
    catch {
        return undefined;
    }
    return (file) => regexp.test(file);
}

;// CONCATENATED MODULE: ./src/hash/root-path.ts
// A path of the build context resolved the way BuildKit's copy resolves a source
// (continuity's fs.RootPath): symlinks followed component by component, inside the context
// root — an absolute target starts again at the root, `..` never climbs above it. So
// `x -> /etc/passwd` is the context's `etc/passwd`, never the runner's. A missing component
// and what follows it are kept as written.


/** Links followed at most (Linux's limit as continuity counts it)… */
const MAX_LINKS = 255;
/** …and path components looked at (long link targets cannot make one source cost minutes). */
const MAX_STEPS = 4096;
/** `rel` (`/`-separated, relative to `root`) without symlinks, `.` for the root; undefined past MAX_LINKS or MAX_STEPS. */
async function resolveInRoot(root, rel) {
    const todo = split(rel);
    const done = [];
    let links = 0;
    let steps = 0;
    while (todo.length > 0) {
        if (++steps > MAX_STEPS)
            return undefined;
        const part = todo.shift();
        if (part === '..') {
            done.pop();
            continue;
        }
        const next = external_node_path_default().join(root, ...done, part);
        const st = await (0,promises_.lstat)(next).catch(() => undefined);
        if (st?.isSymbolicLink()) {
            if (++links > MAX_LINKS)
                return undefined;
            const target = await (0,promises_.readlink)(next);
            if (target.startsWith('/'))
                done.length = 0;
            todo.unshift(...split(target));
            continue;
        }
        done.push(part);
    }
    return done.join('/') || '.';
}
const split = (p) => p.split('/').filter((x) => x !== '' && x !== '.');

;// CONCATENATED MODULE: ./src/hash/context-files.ts
// The build-context files a base Dockerfile reads (dockerfile.ts finds which), by content,
// the way BuildKit reads them: `.dockerignore` and `COPY --exclude` matched as
// moby/patternmatcher matches them (patternmatcher.ts; a Dockerfile-specific
// `<Dockerfile>.dockerignore` next to the Dockerfile takes precedence over the context's
// own), wildcards matched as BuildKit's copy matches them (glob.ts: the part after the
// first wildcard, below the fixed part), directories recursively.
//
// Symlinks as BuildKit's copy treats them: a source path — named directly or matched by a
// wildcard — is followed, and resolved inside the context root (an absolute target or `..`
// stays in the context: `x -> /etc/passwd` reads the context's `etc/passwd`), so the target's
// bytes count; a symlink inside a copied directory is copied as a link, so its text counts.
// Every read opens regular files only (O_NOFOLLOW) and is bounded: the same file-count and
// byte limits as local pip trees, over the whole context. Empty directories count (BuildKit
// creates them); the mode counts (BuildKit keeps it): the executable bit as an `x` prefix,
// permission bits other than 0644/0755 as a `:mode=` suffix. The environment file itself is
// left out (it is in the document as parsed, so its cosmetic edits must not rebuild), except
// for a frontend that may read anything (`unfiltered`), where every byte counts.







/** The bounds of local pip trees (loader.ts), over the whole context the Dockerfile reads. */
const MAX_CONTEXT_FILES = 5000;
const MAX_CONTEXT_BYTES = 128 * 1024 * 1024;
const MAX_TREE_FILES = MAX_CONTEXT_FILES;
const MAX_TREE_BYTES = MAX_CONTEXT_BYTES;
/** Up to this many files are listed by name in the document (the label stays small); beyond, per source. */
const MAX_LISTED_CONTEXT_FILES = 200;
const MAX_IGNORE_BYTES = 1024 * 1024;
/** Directories deeper than this below a copied directory are not listed. */
const MAX_DEPTH = 64;
async function hashContextFiles(input) {
    const { ignore, file: ignoreFile } = await loadIgnore(input.workspace, input.root, input.dockerfile);
    const w = {
        root: input.root,
        ws: (0,confined/* workspaceAt */.xJ)(input.root),
        envFile: input.envFile,
        ignore,
        raw: input.reads.some((r) => r.unfiltered),
        entries: new Map(),
        added: new Set(),
        files: new Set(),
        warnings: [],
        count: 0,
        bytes: 0,
        stopped: false,
        partial: false,
        gitWarned: false,
    };
    const perRead = new Map();
    for (const read of input.reads) {
        const before = new Set(w.entries.keys());
        await readOne(read, w);
        const label = read.unresolved ? '(whole build context)' : read.source;
        const mine = perRead.get(label) ?? new Set();
        for (const k of w.entries.keys())
            if (!before.has(k) || entryOf(read, k))
                mine.add(k);
        perRead.set(label, mine);
    }
    if (w.stopped || w.partial) {
        w.warnings.push({
            kind: 'context-partial',
            message: `the build context the base Dockerfile reads is larger than the hashing limit (${MAX_TREE_FILES} files, ${MAX_TREE_BYTES / 1024 / 1024} MiB) — ${w.stopped ? `only its first ${MAX_TREE_FILES} files` : 'files beyond the limit only by size'} count in the environment hash`,
        });
    }
    return { section: sectionOf(w.entries, perRead), warnings: w.warnings, files: [...w.files], ignoreFile };
}
/** Whether an entry already seen belongs to a read (a file two sources copy counts for both). */
function entryOf(read, rel) {
    if (read.unresolved || read.source === '.')
        return true;
    const src = read.source;
    return rel === src || rel.startsWith(`${src}/`) || (hasWildcard(src) && goMatch(src, rel.split('/').slice(0, src.split('/').length).join('/')));
}
function sectionOf(entries, perRead) {
    if (entries.size === 0)
        return undefined;
    const lines = [...entries].map(([k, v]) => `${k}\0${v}`).sort();
    const sha256 = (0,canonical/* sha256Hex */.fg)(lines.join('\n'));
    const listed = [...entries].filter(([, v]) => v !== 'dir');
    const files = Object.create(null);
    if (listed.length <= MAX_LISTED_CONTEXT_FILES) {
        for (const [k, v] of listed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
            files[k] = context_files_short(v);
    }
    else {
        for (const [label, keys] of [...perRead].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
            files[`${label} (${keys.size} entries)`] = (0,canonical/* sha256Hex */.fg)([...keys]
                .sort()
                .map((k) => `${k}\0${entries.get(k)}`)
                .join('\n')).slice(0, 16);
        }
    }
    return { files: { ...files }, sha256 };
}
/** A full value as listed: content digests shortened to 16 hex digits (the full ones are in `sha256`). */
function context_files_short(v) {
    const m = /^(x)?([0-9a-f]{64})(:mode=[0-7]+)?$/.exec(v);
    if (!m)
        return v;
    return `${m[1] ? 'exec:' : ''}${m[2].slice(0, 16)}${m[3] ?? ''}`;
}
async function loadIgnore(workspace, root, dockerfile) {
    // The Dockerfile-specific file may lie outside the context (next to the Dockerfile): it is
    // confined to the workspace, the context's own to the context.
    for (const [dir, file] of [
        [workspace, `${dockerfile}.dockerignore`],
        [root, external_node_path_default().join(root, '.dockerignore')],
    ]) {
        const text = await readSmallFile(dir, file);
        if (text === undefined)
            continue;
        return { ignore: new PatternMatcher(readIgnoreFile(text)), file };
    }
    return { ignore: new PatternMatcher([]) };
}
/** A regular file's text (bounded), or undefined when it is not there or not readable. */
async function readSmallFile(dir, file) {
    try {
        return (await (0,confined/* readConfined */.Hz)((0,confined/* workspaceAt */.xJ)(dir), file, { maxBytes: MAX_IGNORE_BYTES })).bytes.toString('utf8');
    }
    catch {
        return undefined;
    }
}
/**
 * Hidden by `.dockerignore` (a context path), or by a `COPY --exclude` pattern, which
 * BuildKit matches relative to the copied source (`base`, a context path; never the source itself).
 */
function isIgnored(w, rel, excludes, base) {
    if (rel === '.' || w.raw)
        return false;
    if (w.ignore.matches(rel))
        return true;
    if (!excludes || base === undefined || rel === base)
        return false;
    const inner = base === '.' ? rel : rel.startsWith(`${base}/`) ? rel.slice(base.length + 1) : undefined;
    return inner !== undefined && excludes.matches(inner);
}
/** Whether an ignored directory is still entered: a `!` pattern may bring back something below it. */
const entersIgnored = (w, excludes) => !w.raw && (w.ignore.exclusions || (excludes?.exclusions ?? false));
/**
 * Records `value` under the context path `key`. Two reads can reach one path as different
 * things — `COPY .` copies a symlink as a link, `COPY l*` follows it to its target — and the
 * build reads both: the first keeps `key`, each other value is kept as `key#2`, `key#3` … (in
 * the reads' order, so the document is deterministic). A directory marker gives way to what
 * else is there (the directory's files are entries of their own).
 */
function put(w, key, value) {
    const had = w.entries.get(key);
    if (had === undefined || had === 'dir') {
        w.entries.set(key, value);
        return;
    }
    if (had === value || value === 'dir')
        return;
    for (let n = 2;; n++) {
        const other = w.entries.get(`${key}#${n}`);
        if (other === value)
            return;
        if (other === undefined) {
            w.entries.set(`${key}#${n}`, value);
            return;
        }
    }
}
const isEnvFile = (w, rel) => !w.raw && external_node_path_default().join(w.root, rel) === w.envFile;
/** A context path (`/`-separated, `.` = the root) joined. */
const join = (dir, rel) => (dir === '.' ? rel : `${dir}/${rel}`);
async function readOne(read, w) {
    const excludes = read.excludes?.length ? new PatternMatcher(read.excludes) : undefined;
    const source = read.unresolved ? '.' : read.source;
    if (hasWildcard(source))
        await walkGlob(source, w, excludes, read.line);
    else
        await readSource(source, w, excludes, read.line);
}
/**
 * A source path (named, or a wildcard's match; `key` names it in the document), followed as
 * BuildKit follows it: inside the context root, symlinks included.
 */
async function readSource(key, w, excludes, line) {
    const real = await resolveInRoot(w.ws.root, key);
    if (real === undefined) {
        put(w, key, 'special'); // a symlink loop: BuildKit fails too
        return;
    }
    if (isEnvFile(w, real))
        return;
    let st;
    try {
        st = await (0,confined/* statConfined */.lH)(w.ws, real);
    }
    catch (e) {
        put(w, key, (0,confined/* isConfinedError */.pY)(e) && e.reason === 'missing' ? 'missing' : 'special');
        return;
    }
    if (isIgnored(w, real) && !(st.type === 'directory' && entersIgnored(w, excludes))) {
        put(w, key, 'missing');
        w.warnings.push({
            kind: 'context-missing',
            line,
            message: `${real} is excluded by .dockerignore — it is not in the build context, so this instruction will not find it`,
        });
        return;
    }
    if (st.type === 'directory')
        await walkTree(real, key, w, line, (full, isDir) => !isIgnored(w, full, excludes, real) || (isDir && entersIgnored(w, excludes)));
    else
        await addFile(key, real, st.size, w);
}
/**
 * Wildcard source, as BuildKit's copy resolves it: the part before the first wildcard is
 * followed inside the context root; below it, every path the rest matches (Go
 * filepath.Match, relative to that directory; a matched directory is not searched further)
 * that the context holds is a source of its own, followed like a named one.
 */
async function walkGlob(pattern, w, excludes, line) {
    const parts = pattern.split('/');
    const at = parts.findIndex((p) => hasWildcard(p));
    const fixed = parts.slice(0, at).join('/') || '.';
    const rest = parts.slice(at).join('/');
    const depth = parts.length - at;
    const base = await resolveInRoot(w.ws.root, fixed);
    if (base === undefined)
        return;
    const matches = [];
    const include = (r, _name, isDir) => {
        const ctx = join(base, r);
        const ignored = isIgnored(w, ctx);
        if (goMatch(rest, r)) {
            if (!ignored || (isDir && entersIgnored(w)))
                matches.push(r);
            return false;
        }
        return isDir && r.split('/').length < depth && (!ignored || entersIgnored(w));
    };
    try {
        await (0,confined/* walkConfined */.cT)(w.ws, base, { maxFiles: Number.MAX_SAFE_INTEGER, maxDepth: depth, include });
    }
    catch {
        return;
    }
    for (const r of matches) {
        if (w.stopped)
            return;
        await readSource(join(fixed, r), w, excludes, line);
    }
}
/**
 * Files of a context directory `at` (walkConfined: sorted, symlinks not followed, bounded),
 * each hashed under `as` (the source's name); `take` decides per context path.
 */
async function walkTree(at, as, w, line, take) {
    if (w.stopped)
        return;
    if (as !== '.')
        put(w, as, 'dir');
    const include = (r, name, isDir) => {
        const f = join(at, r);
        if (isEnvFile(w, f))
            return false;
        if (!take(f, isDir)) {
            // Hidden by .dockerignore, yet kept by the walk that sends the context: copied as an
            // empty file (its name counts, not its bytes).
            if (!isDir && !w.raw && w.ignore.exclusions && w.ignore.matches(f) && !w.ignore.matchesWalking(f))
                put(w, join(as, r), EMPTY_FILE);
            return false;
        }
        if (isDir) {
            put(w, join(as, r), 'dir');
            if (name === '.git' && !w.gitWarned) {
                w.gitWarned = true;
                w.warnings.push({
                    kind: 'context-git',
                    line,
                    message: `the build context read here includes ${f} — it changes with every commit, so the base is rebuilt on every commit; add .git to .dockerignore`,
                });
            }
        }
        return true;
    };
    let walk;
    try {
        walk = await (0,confined/* walkConfined */.cT)(w.ws, at, { maxFiles: Math.max(0, MAX_TREE_FILES - w.count), maxDepth: MAX_DEPTH, include });
    }
    catch {
        return;
    }
    if (walk.stopped === 'files')
        w.stopped = true;
    else if (walk.stopped)
        w.partial = true; // directories past the depth limit: their names do not count
    for (const e of walk.entries) {
        const key = join(as, e.rel);
        if (e.type === 'symlink')
            put(w, key, `link:${e.target}`);
        else if (e.type === 'file')
            await addFile(key, join(at, e.rel), e.size, w);
        else
            put(w, key, e.type);
    }
}
/** The value of a file copied with no content. */
const EMPTY_FILE = (0,canonical/* sha256Hex */.fg)('');
/** Permission bits every checkout has: only others show in the value. */
const USUAL_MODES = new Set([0o644, 0o755]);
/** A regular file of the context (`rel`, no symlinks) by content and mode, as `key`. */
async function addFile(key, rel, size, w) {
    if (w.added.has(`${key}\0${rel}`))
        return;
    w.added.add(`${key}\0${rel}`);
    if (++w.count > MAX_TREE_FILES) {
        w.stopped = true;
        return;
    }
    if (w.bytes + size > MAX_TREE_BYTES) {
        w.partial = true;
        put(w, key, `size:${size}`);
        return;
    }
    try {
        const h = await (0,confined/* hashConfined */.vX)(w.ws, rel, { maxBytes: MAX_TREE_BYTES - w.bytes });
        const perm = Number((await (0,promises_.lstat)(h.real)).mode) & 0o7777;
        w.bytes += h.size;
        w.files.add(h.abs);
        put(w, key, `${perm & 0o111 ? 'x' : ''}${h.sha256}${USUAL_MODES.has(perm) ? '' : `:mode=${perm.toString(8).padStart(4, '0')}`}`);
    }
    catch (e) {
        if ((0,confined/* isConfinedError */.pY)(e) && e.reason === 'too-large') {
            w.partial = true;
            put(w, key, `size:${size}`);
        }
        else
            put(w, key, 'special');
    }
}

;// CONCATENATED MODULE: ./src/hash/words.ts
// Docker's word processing for instruction arguments (BuildKit's shell lexer, as it treats
// `COPY`/`ADD` sources, `--mount` values and `ARG`/`ENV` values): quotes removed, the escape
// character honoured, `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}` and
// `${NAME+word}` expanded. dockerfile-ast splits instructions into words but expands only
// with the Dockerfile's own defaults (not the build-args) and keeps quotes, so this small
// step is done here. Pure.
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
function expandWord(word, lookup, escape = '\\') {
    const unknown = [];
    let out = '';
    let quote;
    for (let i = 0; i < word.length; i++) {
        const c = word[i];
        if (quote === "'") {
            if (c === "'")
                quote = undefined;
            else
                out += c;
            continue;
        }
        if (c === escape && i + 1 < word.length) {
            const next = word[i + 1];
            // inside double quotes only `"`, `$` and the escape character itself are escaped
            if (quote === '"' && next !== '"' && next !== '$' && next !== escape)
                out += c;
            else
                out += next;
            i++;
            continue;
        }
        if (c === '"') {
            quote = quote ? undefined : '"';
            continue;
        }
        if (c === "'" && !quote) {
            quote = "'";
            continue;
        }
        if (c === '$') {
            const r = variable(word, i + 1, lookup, escape);
            if (r) {
                out += r.value;
                unknown.push(...r.unknown);
                i = r.end - 1;
                continue;
            }
        }
        out += c;
    }
    return { value: out, unknown };
}
function variable(word, at, lookup, escape) {
    if (word[at] !== '{') {
        const m = NAME.exec(word.slice(at));
        if (!m)
            return undefined;
        const v = lookup(m[0]);
        return { value: v ?? '', unknown: v === undefined ? [m[0]] : [], end: at + m[0].length };
    }
    const close = closingBrace(word, at + 1);
    if (close < 0)
        return { value: '', unknown: [word.slice(at - 1)], end: word.length };
    const inner = word.slice(at + 1, close);
    const m = NAME.exec(inner);
    if (!m)
        return { value: '', unknown: [`\${${inner}}`], end: close + 1 };
    const name = m[0];
    const rest = inner.slice(name.length);
    const v = lookup(name);
    if (rest === '')
        return { value: v ?? '', unknown: v === undefined ? [name] : [], end: close + 1 };
    const op = /^(:?[-+])/.exec(rest)?.[1];
    if (!op)
        return { value: '', unknown: [`\${${inner}}`], end: close + 1 };
    const alt = expandWord(rest.slice(op.length), lookup, escape);
    if (v === undefined)
        return { value: '', unknown: [name, ...alt.unknown], end: close + 1 };
    const set = op.startsWith(':') ? v !== '' : true;
    const value = op.endsWith('-') ? (set ? v : alt.value) : set ? alt.value : '';
    return { value, unknown: op.endsWith('-') && set ? [] : [...alt.unknown], end: close + 1 };
}
function closingBrace(word, from) {
    let depth = 1;
    for (let i = from; i < word.length; i++) {
        if (word[i] === '{')
            depth++;
        else if (word[i] === '}' && --depth === 0)
            return i;
    }
    return -1;
}

;// CONCATENATED MODULE: ./src/hash/dockerfile.ts
// The base Dockerfile, read with dockerfile-ast (instructions, flags, continuations, the
// escape directive, heredocs): what it reads from the build context, and whether it uses the
// environment file's `name`. Pure functions over its text.
//
// Context reads: the sources of every `COPY`/`ADD` without `--from` (shell and JSON form,
// heredoc files excluded: they are inline, in the Dockerfile's own digest) and every
// `RUN --mount` of type bind without `from=` (its `source` defaults to the context root),
// also as the `ONBUILD` triggers of a stage, which run in a stage built `FROM` it.
// Sources are expanded as Docker expands them (words.ts) with the stage's `ARG`s (defaults,
// then the base build-args) and `ENV`s, once per target platform (`TARGETPLATFORM` & co. as
// BuildKit normalises the platform; `BUILDPLATFORM` & co. depend on the builder: unknown).
// A source is joined to the context root as BuildKit joins it (`../x` is the context's `x`).
// Where the action cannot know what the build reads, the whole context counts, with a
// warning naming the line: a source that uses a variable not known before the build, and a
// frontend other than the standard one (`# syntax=`, the `BUILDKIT_SYNTAX` build-arg) — that
// one may even ignore `.dockerignore`. A remote `ADD` URL without `--checksum` is warned about.
//
// The name rule: the name is dropped from the document only when every
// `micromamba|mamba|conda` install/create/update (incl. `env create|update`) command of a
// `RUN` that reads an environment file (`-f`/`--file`) also names its target environment
// explicitly (`-n`/`--name`/`-p`/`--prefix`) — then the file's `name:` cannot change what is
// built, as with the bundled template (`micromamba install -y -n base -f …`). In every other
// case (no such command, `conda env create -f env.yml` without a target, a tool we do not
// parse) the name is kept: renaming the environment may move it, so it rebuilds.



/** The last Dockerfile parsed: the hash asks two questions of the same base Dockerfile. */
let last;
function parse(content) {
    if (last?.content === content)
        return last.parsed;
    const text = content.replace(/\r\n?/g, '\n');
    const doc = main.DockerfileParser.parse(text);
    const parsed = { doc, lines: text.split('\n'), escape: doc.getEscapeCharacter() };
    last = { content, parsed };
    return parsed;
}
function rangeText(lines, r) {
    if (r.start.line === r.end.line)
        return lines[r.start.line].slice(r.start.character, r.end.character);
    const out = [lines[r.start.line].slice(r.start.character)];
    for (let l = r.start.line + 1; l < r.end.line; l++)
        out.push(lines[l]);
    out.push(lines[r.end.line].slice(0, r.end.character));
    return out.join('\n');
}
const lineOf = (ins) => ins.getRange().start.line + 1;
const flagsOf = (ins) => {
    const get = ins.getFlags;
    return typeof get === 'function' ? get.call(ins) : [];
};
/** Heredocs of a `COPY`/`RUN` (the getter is public on those, protected on Instruction). */
const heredocsOf = (ins) => {
    const get = ins.getHeredocs;
    return typeof get === 'function' ? get.call(ins) : [];
};
/**
 * The words of a `COPY`/`ADD`/`RUN` after its flags: the JSON form parsed as JSON (Docker
 * falls back to the shell form when it is not a JSON string array), else the shell words
 * before any heredoc body. dockerfile-ast's own JSON strings lose inner spaces and escapes,
 * and it lists heredoc bodies as arguments, hence both steps here.
 */
function wordsOf(ins, p) {
    const open = 'getOpeningBracket' in ins ? ins.getOpeningBracket() : null;
    const close = 'getClosingBracket' in ins ? ins.getClosingBracket() : null;
    if (open && close) {
        const raw = rangeText(p.lines, { start: open.getRange().start, end: close.getRange().end });
        const joined = raw.split(`${p.escape}\n`).join('');
        try {
            const v = JSON.parse(joined);
            if (Array.isArray(v) && v.every((x) => typeof x === 'string'))
                return { words: v, json: true };
        }
        catch {
            // not JSON: the shell form, as Docker reads it
        }
    }
    const args = ins.getArguments();
    const heredocs = heredocsOf(ins);
    if (heredocs.length === 0)
        return { words: args.map((a) => a.getValue()), json: false };
    const markerLine = Math.min(...heredocs.map((h) => h.getStartRange().start.line));
    return { words: args.filter((a) => a.getRange().start.line <= markerLine).map((a) => a.getValue()), json: false };
}
/** The environment manager commands of the Dockerfile's `RUN`s (shell form, JSON form, heredoc bodies). */
function runCommands(p) {
    const out = [];
    for (const ins of p.doc.getInstructions()) {
        if (ins.getKeyword() !== 'RUN')
            continue;
        const { words } = wordsOf(ins, p);
        out.push(...words.join(' ').split(/&&|\|\||;|\|/));
        for (const h of heredocsOf(ins)) {
            const body = h.getContentRange();
            if (body)
                out.push(...rangeText(p.lines, body)
                    .replace(/\\\n/g, ' ')
                    .split(/\n|&&|\|\||;|\|/));
        }
    }
    return out;
}
const MANAGER = /(?:^|\/)(?:micromamba|mamba|conda)$/;
const VERBS = new Set(['install', 'create', 'update']);
function shellWords(cmd) {
    return cmd.match(/"[^"]*"|'[^']*'|\S+/g)?.map((w) => w.replace(/^["']|["']$/g, '')) ?? [];
}
function hasOption(args, short, long) {
    return args.some((a) => short.some((s) => a === s || (a.startsWith(s) && !a.startsWith('--'))) || long.some((l) => a === l || a.startsWith(`${l}=`)));
}
/** True when the Dockerfile may use the environment file's `name:` (see the rule above). */
function dockerfileUsesEnvName(content) {
    let fileInstalls = 0;
    for (const cmd of runCommands(parse(content))) {
        const w = shellWords(cmd);
        const at = w.findIndex((x) => MANAGER.test(x));
        if (at < 0)
            continue;
        let i = at + 1;
        while (w[i]?.startsWith('-'))
            i++; // global options (`-y`, `--root-prefix=…`)
        if (w[i] === 'env')
            i++;
        if (!VERBS.has(w[i] ?? ''))
            continue;
        const args = w.slice(i + 1);
        if (!hasOption(args, ['-f'], ['--file']))
            continue;
        fileInstalls++;
        if (!hasOption(args, ['-n', '-p'], ['--name', '--prefix']))
            return true;
    }
    return fileInstalls === 0;
}
// ---------------------------------------------------------------------------------------
// Context reads
/** What the Dockerfile reads from the build context, for the given build-args and target platforms. */
function dockerfileContextReads(content, buildArgs, platforms) {
    const args = buildArgMap(buildArgs);
    const frontend = customFrontend(content, args);
    if (frontend)
        return frontend;
    const p = parse(content);
    const reads = new Map();
    const warnings = new Map();
    for (const platform of platforms.length ? platforms : [undefined]) {
        const r = readsFor(p, args, platform);
        for (const x of r.reads)
            reads.set(JSON.stringify(x), x);
        for (const w of r.warnings)
            warnings.set(w.message, w);
    }
    return { reads: [...reads.values()], warnings: [...warnings.values()] };
}
/** The frontend images that implement the standard Dockerfile grammar (any tag or digest). */
const STANDARD_FRONTEND = /^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/)?docker\/dockerfile(?:-upstream)?(?::[\w][\w.-]*)?(?:@sha256:[0-9a-f]{64})?$/;
/**
 * The `syntax` parser directive as BuildKit's `DetectSyntax` finds it: after a byte-order
 * mark and a `#!` line, the leading `# key=value` lines (then `// key=value` lines, then the
 * whole file as a JSON object with a `syntax` string); the image is the value up to its
 * first space. Undefined when there is none.
 */
function syntaxDirective(content) {
    let lines = content.replace(/^\uFEFF/, '').split('\n');
    let first = 1;
    if (lines[0]?.startsWith('#!')) {
        lines = lines.slice(1);
        first = 2;
    }
    for (const comment of ['#', '//']) {
        for (let i = 0; i < lines.length; i++) {
            const l = lines[i].replace(/\r$/, '');
            if (!l.startsWith(comment))
                break;
            const m = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(l.slice(comment.length).trimStart());
            if (!m || !['syntax', 'check', 'escape'].includes(m[1].toLowerCase()))
                break;
            if (m[1].toLowerCase() === 'syntax')
                return { image: m[2].split(' ')[0], line: first + i };
        }
    }
    try {
        const v = JSON.parse(lines.join('\n'));
        const syntax = typeof v === 'object' && v !== null && !Array.isArray(v) ? v.syntax : undefined;
        if (typeof syntax === 'string')
            return { image: syntax.split(' ')[0], line: first };
    }
    catch {
        // not JSON
    }
    return undefined;
}
/**
 * A frontend other than the standard Dockerfile one — named by the `syntax` directive or the
 * `BUILDKIT_SYNTAX` build-arg (which wins) — can read any file of the build context, with or
 * without `.dockerignore`: the whole context counts, the environment file's bytes included.
 */
function customFrontend(content, args) {
    const fromArg = args.has('BUILDKIT_SYNTAX');
    const directive = syntaxDirective(content.replace(/\r\n?/g, '\n'));
    const image = fromArg ? args.get('BUILDKIT_SYNTAX') : directive?.image;
    if (image === undefined || (image !== null && STANDARD_FRONTEND.test(image)))
        return undefined;
    const line = fromArg ? 0 : directive.line;
    const what = fromArg ? `the build-arg BUILDKIT_SYNTAX=${image ?? ''}` : `# syntax=${image}`;
    return {
        reads: [{ line, instruction: fromArg ? 'BUILDKIT_SYNTAX' : '# syntax', unresolved: true, unfiltered: true }],
        warnings: [
            {
                line,
                kind: 'context-unresolved',
                message: `${what} selects a frontend other than the standard Dockerfile one: it can read any file of the build context, so the whole build context counts in the environment hash`,
            },
        ],
    };
}
/** Base build-args; a bare `KEY` (value from the runner's environment) is known to exist but not its value. */
function buildArgMap(buildArgs) {
    const m = new Map();
    for (const a of buildArgs) {
        const eq = a.indexOf('=');
        if (eq < 0)
            m.set(a, null);
        else
            m.set(a.slice(0, eq), a.slice(eq + 1));
    }
    return m;
}
/**
 * A target platform as BuildKit normalises it (containerd's `platforms.Normalize`): OS and
 * architecture lower-cased, `x86_64`→`amd64`, `aarch64`→`arm64` without the `v8` variant,
 * `armhf`→`arm/v7`, `armel`→`arm/v6`, a bare `arm` as `arm/v7`. Undefined when it is not
 * `os/arch[/variant]`.
 */
function normalizePlatform(platform) {
    const parts = platform.trim().split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some((x) => x === ''))
        return undefined;
    let os = parts[0].toLowerCase();
    let arch = parts[1].toLowerCase();
    let variant = (parts[2] ?? '').toLowerCase();
    if (os === 'macos')
        os = 'darwin';
    if (arch === 'i386')
        [arch, variant] = ['386', ''];
    else if (arch === 'x86_64' || arch === 'x86-64' || arch === 'amd64')
        [arch, variant] = ['amd64', variant === 'v1' ? '' : variant];
    else if (arch === 'aarch64' || arch === 'arm64')
        [arch, variant] = ['arm64', variant === '8' || variant === 'v8' ? '' : variant];
    else if (arch === 'armhf')
        [arch, variant] = ['arm', 'v7'];
    else if (arch === 'armel')
        [arch, variant] = ['arm', 'v6'];
    else if (arch === 'arm')
        variant = variant === '' || variant === '7' ? 'v7' : ['5', '6', '8'].includes(variant) ? `v${variant}` : variant;
    return { os, arch, variant };
}
/**
 * BuildKit's automatic platform args: the target's, as BuildKit normalises the platform, and
 * the builder's (`BUILDPLATFORM` & co.), which depend on the node that runs the build (a
 * remote builder may be of another architecture than the runner): declared, value unknown.
 */
function platformArgs(platform) {
    const m = new Map(['BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT'].map((k) => [k, null]));
    const t = platform === undefined ? undefined : normalizePlatform(platform);
    if (!t)
        return m.set('TARGETPLATFORM', null).set('TARGETOS', null).set('TARGETARCH', null).set('TARGETVARIANT', null);
    const formatted = [t.os, t.arch, t.variant].filter((x) => x !== '').join('/');
    return m.set('TARGETPLATFORM', formatted).set('TARGETOS', t.os).set('TARGETARCH', t.arch).set('TARGETVARIANT', t.variant);
}
const lookupIn = (scope) => (name) => {
    const v = scope.env.has(name) ? scope.env.get(name) : scope.vars.get(name);
    return v === null ? undefined : v;
};
function readsFor(p, buildArgs, platform) {
    const automatic = platformArgs(platform);
    const global = { vars: new Map(automatic), env: new Map() };
    const stages = new Map();
    let scope = global;
    let stage = { env: global.env, triggers: [] };
    const reads = [];
    const warnings = [];
    const dispatch = (ins, kw) => {
        if (kw === 'COPY' || kw === 'ADD')
            copyReads(ins, p, lookupIn(scope), reads, warnings);
        else if (kw === 'RUN')
            mountReads(ins, p.escape, lookupIn(scope), reads, warnings);
    };
    for (const ins of p.doc.getInstructions()) {
        const kw = ins.getKeyword();
        if (kw === 'FROM') {
            const words = ins.getArguments().map((a) => a.getValue());
            const parent = stages.get((words[0] ?? '').toLowerCase());
            scope = { vars: new Map(), env: new Map(parent?.env ?? []) };
            stage = { env: scope.env, triggers: [] };
            const as = words.findIndex((w) => w.toLowerCase() === 'as');
            if (as >= 0 && words[as + 1])
                stages.set(words[as + 1].toLowerCase(), stage);
            // a stage's ONBUILD triggers run at the start of a stage built FROM it, in that stage's scope
            for (const t of parent?.triggers ?? [])
                dispatch(t, t.getKeyword());
        }
        else if (kw === 'ARG')
            declareArgs(ins, p, scope, scope === global ? automatic : global.vars, buildArgs);
        else if (kw === 'ENV')
            setEnv(ins, p, scope);
        else if (kw === 'ONBUILD') {
            const trigger = ins.getTriggerInstruction?.();
            if (trigger)
                stage.triggers.push(trigger);
        }
        else
            dispatch(ins, kw);
    }
    return { reads, warnings };
}
function propertiesOf(ins) {
    const props = 'getProperties' in ins ? ins.getProperties() : [];
    return props.map((pr) => ({ name: pr.getName(), range: pr.getValueRange() ?? undefined }));
}
/** An `ARG`/`ENV` value as written, line continuations joined. */
const valueText = (p, range) => rangeText(p.lines, range).split(`${p.escape}\n`).join('');
function declareArgs(ins, p, scope, outer, buildArgs) {
    for (const { name, range } of propertiesOf(ins)) {
        let value;
        if (buildArgs.has(name))
            value = buildArgs.get(name);
        else if (range) {
            const e = expandWord(valueText(p, range), lookupIn(scope), p.escape);
            value = e.unknown.length ? null : e.value;
        }
        else
            value = outer.has(name) ? outer.get(name) : '';
        scope.vars.set(name, value);
    }
}
function setEnv(ins, p, scope) {
    for (const { name, range } of propertiesOf(ins)) {
        if (!range)
            continue;
        const e = expandWord(valueText(p, range), lookupIn(scope), p.escape);
        scope.env.set(name, e.unknown.length ? null : e.value);
    }
}
const REMOTE = /^(?:[a-z][a-z0-9+.-]*:\/\/|git@)/i;
function copyReads(ins, p, lookup, reads, warnings) {
    const kw = ins.getKeyword();
    const flags = flagsOf(ins);
    if (flags.some((f) => f.getName() === 'from'))
        return;
    const { words, json } = wordsOf(ins, p);
    const sources = words.slice(0, -1).filter((w) => json || !/^<<-?["']?[A-Za-z_]/.test(w));
    const excludes = flags.filter((f) => f.getName() === 'exclude' && f.getValue()).map((f) => f.getValue());
    const line = lineOf(ins);
    for (const raw of sources) {
        if (kw === 'ADD' && REMOTE.test(raw)) {
            if (!flags.some((f) => f.getName() === 'checksum')) {
                warnings.push({
                    line,
                    kind: 'context-remote',
                    message: `ADD ${raw} reads a remote file that the environment hash cannot see — the base is rebuilt only when the Dockerfile or the environment changes (pin it with ADD --checksum)`,
                });
            }
            continue;
        }
        addRead(kw, raw, lookup, p.escape, line, excludes, reads, warnings);
    }
}
function mountReads(ins, escape, lookup, reads, warnings) {
    for (const f of flagsOf(ins)) {
        if (f.getName() !== 'mount')
            continue;
        const opts = new Map(f.getOptions().map((o) => [o.getName().toLowerCase(), o.getValue() ?? '']));
        if ((opts.get('type') ?? 'bind') !== 'bind' || opts.has('from'))
            continue;
        addRead('RUN --mount', opts.get('source') ?? opts.get('src') ?? '.', lookup, escape, lineOf(ins), [], reads, warnings);
    }
}
function addRead(instruction, raw, lookup, escape, line, excludes, reads, warnings) {
    const e = expandWord(raw, lookup, escape);
    if (e.unknown.length) {
        const vars = [...new Set(e.unknown)].map((v) => (v.startsWith('$') ? v : `$${v}`)).join(', ');
        warnings.push({
            line,
            kind: 'context-unresolved',
            message: `${instruction} source "${raw}" uses ${vars}, not known before the build (no ARG default or base-build-arg) — the whole build context counts in the environment hash`,
        });
        reads.push({ line, instruction, unresolved: true });
        return;
    }
    // BuildKit joins a source to the context root as an absolute path: `../x` and `/x` are `x` of the context
    const cleaned = external_node_path_default().posix.join('/', e.value).slice(1) || '.';
    const source = cleaned.replace(/\/+$/, '') || '.';
    reads.push(excludes.length ? { line, instruction, source, excludes } : { line, instruction, source });
}

// EXTERNAL MODULE: ./src/hash/env.ts
var hash_env = __webpack_require__(64775);
// EXTERNAL MODULE: ./src/hash/label-secrets.ts
var label_secrets = __webpack_require__(50002);
;// CONCATENATED MODULE: ./src/hash/lock.ts
// Plain spec lists and lock files as `environment-file`. A spec list (`conda list --export`:
// `name=version=build` lines, `#` comments, an optional `# platform:` line, no `@EXPLICIT`;
// what `conda create --file` and `micromamba install -f` read) is hashed by its specs,
// normalized like environment dependencies and sorted (the solver sees a set).
// Lock files: an explicit spec (`@EXPLICIT`, as `conda list
// --explicit` / `conda-lock render --kind explicit` write it) or a conda-lock.yml (version 1).
// Both are hashed by their package lines, sorted (install order is the solver's, not the
// file's); the document shows a short readable item per package and a digest over the full
// lines (URL with checksum), which is what makes the hash exact while keeping the label small.





/** True when the text is an explicit spec: its first non-comment line is `@EXPLICIT`. */
function isExplicitLock(text) {
    for (const raw of text.split('\n')) {
        const line = raw.trim();
        if (line === '' || line.startsWith('#'))
            continue;
        return line === '@EXPLICIT';
    }
    return false;
}
function lock_packages(lines, item) {
    const sorted = [...new Set(lines)].sort();
    return { items: [...new Set(sorted.map(item))].sort(), sha256: (0,canonical/* sha256Hex */.fg)(sorted.join('\n')) };
}
/** `…/linux-64/numpy-1.26.4-py312h_0.conda#md5` → `numpy-1.26.4-py312h_0`. */
function explicitItem(line) {
    if (line.startsWith('# pip ')) {
        const req = line.slice(6).trim();
        const at = req.indexOf(' @ ');
        return `pip:${at > 0 ? req.slice(0, at) : req}`;
    }
    const base = line.split('#')[0].split('/').pop() ?? line;
    return base.replace(/\.(conda|tar\.bz2)$/, '');
}
/** Package lines of an explicit spec: URLs (with their `#md5`/`#sha256:` fragment) and `# pip …` lines. */
function readExplicitLock(text, file) {
    const lines = [];
    let platform;
    const warnings = [];
    text.split('\n').forEach((raw, i) => {
        const line = raw.trim();
        if (line === '' || line === '@EXPLICIT')
            return;
        const plat = /^#\s*platform:\s*(\S+)/.exec(line);
        if (plat)
            platform = plat[1];
        if (/^#\s*pip\s/.test(line)) {
            lines.push(`# pip ${(0,label_secrets/* redactUrlSecrets */.A_)(line.replace(/^#\s*pip\s+/, '').replace(/\s+/g, ' '))}`);
            return;
        }
        if (line.startsWith('#'))
            return;
        if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(line) && !line.startsWith('/')) {
            throw new user_error/* UserError */.yo(`${file}:${i + 1}: an explicit environment (@EXPLICIT) may list only package URLs, found "${(0,redact/* excerpt */.Kb)(line)}"`, { file, line: i + 1 });
        }
        if (!/#/.test(line))
            warnings.push(`${file}:${i + 1}: package without a checksum (#md5 or #sha256) — the hash covers only its URL`);
        lines.push((0,label_secrets/* redactUrlSecrets */.A_)(line));
    });
    if (lines.length === 0)
        throw new user_error/* UserError */.yo(`${file}: the explicit environment (@EXPLICIT) lists no packages`, { file, line: 1 });
    return { platform, packages: lock_packages(lines, explicitItem), warnings: warnings.slice(0, 5) };
}
/** A conda-lock.yml: a mapping with `version` and a `package` list (and no `dependencies`). */
function isCondaLock(root) {
    if (root.kind !== 'map')
        return false;
    const keys = new Set(root.entries.map((e) => e.key));
    return keys.has('package') && keys.has('version') && !keys.has('dependencies');
}
function scalar(m, key) {
    const e = m.entries.find((x) => x.key === key);
    return e && e.value.kind === 'scalar' ? (e.value.value ?? undefined) : undefined;
}
/**
 * conda-lock.yml (version 1): the packages of the target subdirs, one line each with
 * manager, name, version, URL, checksums, category and `optional`. Its `metadata` (content
 * hash of the sources, timestamps, …) is ignored: the packages are what gets installed.
 */
function readCondaLock(root, file, subdirs) {
    const version = root.entries.find((e) => e.key === 'version');
    if (version.value.kind !== 'scalar' || version.value.value !== '1') {
        throw new user_error/* UserError */.yo(`${file}:${version.keyLine}: unsupported conda-lock file version "${version.value.kind === 'scalar' ? (0,redact/* excerpt */.Kb)(version.value.value ?? '') : '?'}" — version 1 is supported`, { file, line: version.keyLine });
    }
    const pkgEntry = root.entries.find((e) => e.key === 'package');
    if (pkgEntry.value.kind !== 'seq')
        throw new user_error/* UserError */.yo(`${file}:${pkgEntry.keyLine}: \`package\` must be a list`, { file, line: pkgEntry.keyLine });
    const byPlatform = new Map();
    for (const p of pkgEntry.value.items) {
        if (p.kind !== 'map')
            throw new user_error/* UserError */.yo(`${file}:${p.line}: each package must be a mapping (name, version, platform, url, hash)`, { file, line: p.line });
        const name = scalar(p, 'name');
        const ver = scalar(p, 'version');
        const platform = scalar(p, 'platform');
        const url = scalar(p, 'url');
        if (!name || !ver || !platform || !url)
            throw new user_error/* UserError */.yo(`${file}:${p.line}: package needs name, version, platform and url`, { file, line: p.line });
        const manager = scalar(p, 'manager') ?? 'conda';
        const hashNode = p.entries.find((e) => e.key === 'hash')?.value;
        const hashes = [];
        if (hashNode?.kind === 'map') {
            for (const h of hashNode.entries)
                if (h.value.kind === 'scalar' && h.value.value)
                    hashes.push(`${h.key}=${h.value.value}`);
        }
        else if (hashNode?.kind === 'scalar' && hashNode.value) {
            hashes.push(hashNode.value);
        }
        hashes.sort();
        const category = scalar(p, 'category') ?? 'main';
        const optional = scalar(p, 'optional') ?? 'false';
        const line = `${manager} ${name} ${ver} ${(0,label_secrets/* redactUrlSecrets */.A_)(url)} ${hashes.join(',') || 'no-hash'} category=${category} optional=${optional}`;
        let entry = byPlatform.get(platform);
        if (!entry)
            byPlatform.set(platform, (entry = { lines: [] }));
        entry.lines.push(line);
    }
    const out = {};
    for (const s of subdirs) {
        const entry = byPlatform.get(s);
        if (!entry) {
            throw new user_error/* UserError */.yo(`${file}:${pkgEntry.keyLine}: the conda-lock file has no packages for ${s} (it has ${[...byPlatform.keys()].sort().join(', ') || 'none'}) — lock for the target platform or set \`platforms\``, { file, line: pkgEntry.keyLine });
        }
        out[s] = lock_packages(entry.lines, (l) => {
            const [manager, name, ver] = l.split(' ');
            return `${manager}:${name}=${ver}`;
        });
    }
    return out;
}
// ---------------------------------------------------------------------------------------
// Plain spec lists
/** A conda match spec on one line: `name`, `name=1.2=build`, `name>=1.2`, `chan::name 1.2 py*`, `name[build=x]`. */
const SPEC_LINE = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*(?:::[A-Za-z0-9_][A-Za-z0-9_.+-]*)?(?:\s*(?:[=<>!~][^\s:#]*|\[[^\]]*\]|\s[^\s:#-][^\s:#]*)){0,3}\s*$/;
/**
 * True when the text is a plain spec list: no `@EXPLICIT`, at least one spec line, and every
 * line that is not blank or a comment a conda match spec (never a YAML `key:` or `- item`).
 */
function isSpecList(text) {
    let specs = 0;
    for (const raw of text.split('\n')) {
        const line = raw.trim();
        if (line === '' || line.startsWith('#'))
            continue;
        if (!SPEC_LINE.test(line))
            return false;
        specs++;
    }
    return specs > 0;
}
function readSpecList(text) {
    let platform;
    const specs = new Set();
    for (const raw of text.split('\n')) {
        const line = raw.trim();
        const plat = /^#\s*platform:\s*(\S+)/.exec(line);
        if (plat)
            platform = plat[1];
        if (line === '' || line.startsWith('#'))
            continue;
        specs.add((0,spec/* normalizeCondaSpec */.Ux)(line));
    }
    return { platform, specs: [...specs].sort() };
}

// EXTERNAL MODULE: ./node_modules/yaml/dist/index.js
var dist = __webpack_require__(38815);
;// CONCATENATED MODULE: ./src/text/strings.ts
// Small text helpers that stay off ICU (Intl): its first use costs ~12 ms of a short run.
/**
 * An integer with thousands separators, `9950` → `9,950`: what `toLocaleString('en-US')`
 * writes, without its first call's ICU start-up (about 12 ms of a 150 ms run).
 */
function thousands(n) {
    if (!Number.isSafeInteger(n))
        return Number.isFinite(n) ? thousands(Math.round(n)) : String(n);
    const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return n < 0 ? `-${digits}` : digits;
}
/** Code-unit order: the same on every runner (`localeCompare` orders punctuation by the ICU data), and ICU is not loaded. */
function compareText(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}

;// CONCATENATED MODULE: ./src/hash/yaml.ts
// YAML → a small plain tree that keeps every scalar's source string and its line.
//
// Parsed with the `failsafe` schema: no scalar is ever coerced (`3.10` stays "3.10", `yes`
// stays "yes", `1e3` stays "1e3"), and a quoted and an unquoted spelling of the same value
// give the same string. Only a *plain* (unquoted) `null`/`Null`/`NULL`/`~` or an empty value
// is read as null, as every YAML 1.2 core-schema reader (conda's included) would.




/** Larger files are refused before parsing (no environment file is anywhere near this). */
const MAX_YAML_BYTES = 5 * 1024 * 1024;
/** Aliases allowed per document; real environment files use none. */
const MAX_ALIASES = 100;
/** Upper bound on nodes visited while expanding aliases (guards against alias bombs). */
const MAX_NODES = 1_000_000;
/** Deepest nesting of mappings and lists accepted (real environment files nest 3 or 4 levels). */
const yaml_MAX_DEPTH = 100;
/**
 * Lines plus flow separators accepted: parsing builds a node per item, and 100,000 of them
 * already take some 200 MB (a large multi-platform conda-lock file has some 30,000).
 */
const MAX_ENTRIES = 100_000;
const ENVIRONMENT_FILE_LIMITS = {
    maxBytes: MAX_YAML_BYTES,
    maxEntries: MAX_ENTRIES,
    maxNodes: MAX_NODES,
    what: 'an environment file',
    typical: 'real ones have hundreds',
};
/**
 * A pixi lock lists every package of every environment and platform of a project (pixi's own
 * is about 0.5 MB, 15,000 lines; a large multi-environment project's a few MB). Parsing is
 * about 0.5 s and 45 MB per MiB, so 16 MiB is the bound.
 */
const PIXI_LOCK_LIMITS = {
    maxBytes: 16 * 1024 * 1024,
    maxEntries: 600_000,
    maxNodes: 3_000_000,
    what: 'a pixi lock',
    typical: 'large multi-environment projects have some 100,000',
};
/** The limits of the YAML file at `abs`: a `pixi.lock` has its own. */
function yamlLimitsFor(file) {
    return /(^|[\\/])pixi\.lock$/.test(file) ? PIXI_LOCK_LIMITS : ENVIRONMENT_FILE_LIMITS;
}
/** Lines plus commas: an upper estimate of the nodes the parser would build. */
function roughEntries(src) {
    let n = 1;
    for (let i = 0; i < src.length; i++) {
        const c = src.charCodeAt(i);
        if (c === 10 || c === 44)
            n++;
    }
    return n;
}
/** Deepest indentation (columns, a compact `- ` counting 2) looked at before parsing. */
const MAX_INDENT = 400;
const NULL_PLAIN = new Set(['', '~', 'null', 'Null', 'NULL']);
/** Parses one YAML document into a PNode tree; every problem is a UserError with file and line. */
function parseYaml(text, file, limits = ENVIRONMENT_FILE_LIMITS) {
    const src = preflight(text, file, limits);
    const lineCounter = new dist/* LineCounter */.HN();
    let doc;
    try {
        doc = (0,dist/* parseDocument */.Tp)(src, { schema: 'failsafe', lineCounter, uniqueKeys: true, prettyErrors: false, merge: false });
    }
    catch (e) {
        // the parser recurses; anything it throws (a stack overflow included) is about the input
        const why = e instanceof RangeError ? `it is nested too deeply` : `the YAML parser stopped (${e.message.split('\n')[0].slice(0, 80)})`;
        throw new user_error/* UserError */.yo(`${file} is not valid YAML: ${why}`, { file, line: 1 });
    }
    const err = doc.errors[0];
    if (err)
        throw documentError(doc, err, src, file, lineCounter);
    if (doc.contents === null)
        return { kind: 'scalar', value: null, line: 1 };
    return converter(doc, src, file, lineCounter, limits.maxNodes)(doc.contents, 0);
}
/** The bounds checked before the parser sees the text (size, entries, depth); the text without a BOM. */
function preflight(text, file, limits) {
    if (text.length > limits.maxBytes) {
        throw new user_error/* UserError */.yo(`${file} is ${Math.round(text.length / 1024)} KiB, more than the ${limits.maxBytes / 1024 / 1024} MiB ${limits.what} may have`, {
            file,
            line: 1,
        });
    }
    const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    const entries = roughEntries(src);
    if (entries > limits.maxEntries) {
        throw new user_error/* UserError */.yo(`${file} has about ${thousands(entries)} lines and list items, more than the ${thousands(limits.maxEntries)} ${limits.what} may have (${limits.typical})`, { file, line: 1 });
    }
    const deep = tooDeep(src);
    if (deep)
        throw new user_error/* UserError */.yo(`${file}:${deep}: the YAML is nested more than ${yaml_MAX_DEPTH} levels deep — an environment file nests a few levels`, { file, line: deep });
    return src;
}
/** Errors the library reports where it gave up (often the end of the file) rather than where the problem starts. */
const UNCLOSED_CODES = new Set(['MISSING_CHAR', 'MULTILINE_IMPLICIT_KEY', 'BAD_INDENT', 'UNEXPECTED_TOKEN']);
/**
 * Where the problem of an error starts: for an unclosed quoted string or flow collection (`"…`,
 * `[…`, `{…`) that the library reports where it gave up, the start of the innermost such
 * construct that holds the error's position (a quote before a bracket); else the error's own
 * position.
 */
function problemStart(doc, err) {
    const pos = err.pos[0];
    if (!UNCLOSED_CODES.has(err.code))
        return { offset: pos };
    let quote;
    let flow;
    (0,dist/* visit */.YR)(doc, {
        Node(_key, n) {
            const r = n.range;
            if (!r || r[0] > pos || pos > r[2])
                return;
            if ((0,dist/* isScalar */.jn)(n) && (n.type === dist/* Scalar */.X5.QUOTE_DOUBLE || n.type === dist/* Scalar */.X5.QUOTE_SINGLE) && (!quote || r[0] > quote.offset))
                quote = { offset: r[0], opened: n.type === dist/* Scalar */.X5.QUOTE_DOUBLE ? 'a "double-quoted" string' : "a 'single-quoted' string" };
            else if ((0,dist/* isCollection */.P3)(n) && n.flow && (!flow || r[0] > flow.offset))
                flow = { offset: r[0], opened: (0,dist/* isSeq */.oP)(n) ? 'a [flow list]' : 'a {flow mapping}' };
        },
    });
    return quote ?? flow ?? { offset: pos };
}
/** A YAML error's line and column, 1-based, at the start of the problem (see problemStart). */
function yamlErrorPosition(doc, err, lineCounter) {
    const start = problemStart(doc, err);
    const { line, col } = lineCounter.linePos(start.offset);
    return { line, column: col, ...(start.opened ? { opened: start.opened } : {}) };
}
/** The parser's first error in the action's own words, with file, line and column. */
function documentError(doc, err, src, file, lineCounter) {
    const { line, column, opened } = yamlErrorPosition(doc, err, lineCounter);
    if (err.code === 'DUPLICATE_KEY') {
        const key = duplicateKeyAt(src, err.pos[0]);
        return new user_error/* UserError */.yo(`${file}:${line}: duplicate key${key ? ` "${(0,redact/* excerpt */.Kb)(key)}"` : ''} — each key may appear only once in a mapping`, {
            file,
            line,
            column,
        });
    }
    if (err.code === 'MULTIPLE_DOCS') {
        return new user_error/* UserError */.yo(`${file}:${line}: a second YAML document starts here (a \`---\` line after content) — an environment file is one document`, {
            file,
            line,
            column,
        });
    }
    const first = yamlErrorText(err);
    const where = opened ? ` (${opened} opened on line ${line} and not closed)` : '';
    return new user_error/* UserError */.yo(`${file}:${line}: not valid YAML: ${(0,redact/* excerpt */.Kb)(first, 160)}${where}`, { file, line, column });
}
/** The library's message without its position (ours is better) and its advice about its own API. */
function yamlErrorText(err) {
    return err.message
        .split('\n')[0]
        .replace(/ at line \d+, column \d+:?$/, '')
        .replace(/;\s*please use [^;]*$/i, '');
}
/** Converts the parsed document's nodes to PNodes, within the node, depth and alias budgets. */
function converter(doc, src, file, lineCounter, maxNodes) {
    const lineOf = (offset) => lineCounter.linePos(offset).line;
    let budget = maxNodes;
    let aliases = 0;
    const convert = (node, depth) => {
        if (--budget < 0)
            throw new user_error/* UserError */.yo(`${file}: the YAML expands to too many nodes (more than ${thousands(maxNodes)})`, { file, line: 1 });
        if (depth > yaml_MAX_DEPTH) {
            const line = lineOf(node.range?.[0] ?? 0);
            throw new user_error/* UserError */.yo(`${file}:${line}: the YAML is nested more than ${yaml_MAX_DEPTH} levels deep — an environment file nests a few levels`, { file, line });
        }
        if (node === null || node === undefined)
            return { kind: 'scalar', value: null, line: 1 };
        if ((0,dist/* isAlias */.Vj)(node)) {
            const line = lineOf(node.range?.[0] ?? 0);
            if (++aliases > MAX_ALIASES)
                throw new user_error/* UserError */.yo(`${file}:${line}: too many YAML aliases (more than ${MAX_ALIASES})`, { file, line });
            const target = node.resolve(doc);
            if (!target)
                throw new user_error/* UserError */.yo(`${file}:${line}: unresolved YAML alias *${node.source}`, { file, line });
            return convert(target, depth + 1);
        }
        const n = node;
        const line = lineOf(n.range?.[0] ?? 0);
        if ((0,dist/* isScalar */.jn)(n))
            return scalarNode(n, line, src);
        if ((0,dist/* isSeq */.oP)(n))
            return { kind: 'seq', items: n.items.map((i) => convert(i, depth + 1)), line };
        if ((0,dist/* isMap */.jh)(n))
            return { kind: 'map', entries: mapEntries(n, line, depth), line };
        throw new user_error/* UserError */.yo(`${file}:${line}: unsupported YAML node`, { file, line });
    };
    const mapEntries = (n, line, depth) => {
        const entries = [];
        for (const pair of n.items) {
            if (!(0,dist/* isPair */.tO)(pair))
                continue;
            const k = pair.key;
            const keyLine = k && 'range' in k && k.range ? lineOf(k.range[0]) : line;
            const keyNode = k === null ? { kind: 'scalar', value: null, line: keyLine } : convert(k, depth + 1);
            if (keyNode.kind !== 'scalar')
                throw new user_error/* UserError */.yo(`${file}:${keyLine}: a mapping key must be a plain string`, { file, line: keyLine });
            entries.push({ key: keyNode.value ?? '', keyLine, value: convert(pair.value, depth + 1) });
        }
        return entries;
    };
    return convert;
}
/** The failsafe schema reads every scalar as a string; other primitives are written out all the same. */
function scalarText(raw) {
    if (typeof raw === 'string')
        return raw;
    if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint')
        return String(raw);
    return null;
}
function scalarNode(n, line, src) {
    const raw = n.value;
    const plain = n.type === dist/* Scalar */.X5.PLAIN || n.type === undefined;
    const value = scalarText(raw);
    const isNull = value === null || (plain && NULL_PLAIN.has(value));
    const comment = n.range ? trailingComment(src, n.range[1]) : undefined;
    const typed = plain && value !== null && !isNull ? typedAs(value) : undefined;
    return { kind: 'scalar', value: isNull ? null : value, line, ...(comment === undefined ? {} : { comment }), ...(typed ? { typed } : {}) };
}
/** YAML 1.2 core-schema and YAML 1.1 (PyYAML) numbers and booleans. */
function typedAs(v) {
    if (/^(?:true|false|yes|no|on|off)$/i.test(v))
        return 'boolean';
    if (/^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$/.test(v) ||
        /^0x[0-9a-fA-F]+$|^0o[0-7]+$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/.test(v))
        return 'number';
    return undefined;
}
/** The comment that follows a block-context value on its own line (`- dep  # [linux]`). */
function trailingComment(src, end) {
    let eol = src.indexOf('\n', end);
    if (eol < 0)
        eol = src.length;
    const rest = src.slice(end, eol);
    const m = /^[ \t]+#(.*?)\r?$/.exec(rest);
    return m ? m[1].trim() : undefined;
}
function duplicateKeyAt(src, offset) {
    const m = /^\s*(?:-\s+)?(["']?)([^:"'\n]+?)\1\s*:/.exec(src.slice(offset, offset + 200));
    return m?.[2];
}
/**
 * First line where the nesting of flow collections (`[`, `{`) passes MAX_DEPTH, or the
 * indentation of block collections (compact `- - x` counting each dash) passes MAX_INDENT;
 * 0 when neither does. Quotes are skipped roughly (a quote after a space or an indicator);
 * what this misses, the parser's own stack overflow still reports as too deep.
 * An overestimate is harmless (real files are nowhere near); it keeps the recursive parser
 * from overflowing its stack.
 */
function tooDeep(src) {
    let flow = 0;
    let line = 1;
    let quote;
    let lineStart = true;
    let block = 0;
    for (let i = 0; i < src.length; i++) {
        const c = src[i];
        if (c === '\n') {
            line++;
            lineStart = true;
            block = 0;
            if (quote === "'" || quote === '"')
                continue;
            quote = undefined;
            continue;
        }
        if (quote) {
            if (c === quote)
                quote = undefined;
            else if (c === '\\' && quote === '"')
                i++;
            continue;
        }
        if (lineStart && (c === ' ' || c === '-')) {
            if (c === ' ')
                block++;
            else
                block += 2;
            if (block > MAX_INDENT)
                return line;
            continue;
        }
        lineStart = false;
        if (c === '#' && (i === 0 || /\s/.test(src[i - 1])))
            quote = '#';
        else if ((c === '"' || c === "'") && (flow > 0 || i === 0 || /[\s[{,:-]/.test(src[i - 1])))
            quote = c;
        else if (c === '[' || c === '{') {
            if (++flow > yaml_MAX_DEPTH)
                return line;
        }
        else if ((c === ']' || c === '}') && flow > 0)
            flow--;
    }
    return 0;
}

;// CONCATENATED MODULE: ./src/hash/pixi/pixi-source.ts
// A pixi project as the environment source: what the fingerprint read, and what a build of
// it needs. The bundled pixi template (and its build context) is assembled from this.
/** Default of the `pixi-environment` input: pixi's own default environment. */
const DEFAULT_PIXI_ENVIRONMENT = 'default';

;// CONCATENATED MODULE: ./src/hash/loader.ts
// The thin I/O layer of the fingerprint: reads the environment file, the requirement files
// it references (recursively, cycle-safe) and the local trees pip installs from, then hands
// plain data to the pure functions.
//
// Every read goes through src/fs (confined to the workspace, regular files only, bounded).
// A reference outside the workspace is never read: it is warned about and counts by its
// text (the entry or the including file is hashed). Paths and names are data: they are kept
// in Maps, so `__proto__`, `constructor` or `toString` behave like any other name.
















/** Local trees: directories never descended into. */
const SKIP_DIRS = new Set(['.git', '.hg', '.svn', 'node_modules', '__pycache__', '.mypy_cache', '.pytest_cache', '.ruff_cache', '.tox', '.nox', '.venv']);
/** Local trees: at most this many entries are listed… */
const loader_MAX_TREE_FILES = 5000;
/** …and at most this many bytes read; files beyond it count by path and size only… */
const loader_MAX_TREE_BYTES = 128 * 1024 * 1024;
/** …and directories deeper than this are not listed. */
const MAX_TREE_DEPTH = 64;
/** Largest requirement file read. */
const MAX_REQUIREMENT_BYTES = 5 * 1024 * 1024;
/** Warnings kept per kind; the rest are counted in one `truncated` warning (the log sink caps further). */
const MAX_WARNINGS_PER_KIND = 100;
/** Path relative to `dir`, with `/` separators (stable across OSes). */
function relTo(dir, abs) {
    const rel = external_node_path_default().relative(dir, abs);
    return (rel === '' ? '.' : rel).split((external_node_path_default()).sep).join('/');
}
/** The warnings of one fingerprint, capped per kind. */
class Warnings {
    list = [];
    counts = new Map();
    add(kind, message, file, line) {
        const n = (this.counts.get(kind) ?? 0) + 1;
        this.counts.set(kind, n);
        if (n > MAX_WARNINGS_PER_KIND)
            return;
        const w = { message: (0,redact/* redact */.E$)(message), kind, ...(file !== undefined ? { file } : {}), ...(line !== undefined && line > 0 ? { line } : {}) };
        this.list.push(w);
    }
    /** A warning of the pure parts (`<file>:<line>: …`), with its line taken from the message. */
    adopt(kind, message, file) {
        const m = /^.*?:(\d+): /.exec(message);
        this.add(kind, message, file, m ? Number(m[1]) : undefined);
    }
    done() {
        for (const [kind, n] of this.counts) {
            if (n > MAX_WARNINGS_PER_KIND)
                this.list.push({ kind: 'truncated', message: `${n - MAX_WARNINGS_PER_KIND} more warnings like the ones above (${kind}) were left out` });
        }
        return this.list;
    }
}
function openWorkspace(dir) {
    try {
        return { ...(0,confined/* workspaceAt */.xJ)(dir), dir: external_node_path_default().resolve(dir) };
    }
    catch {
        throw new user_error/* UserError */.yo(`the workspace ${dir} does not exist`);
    }
}
/** A path for messages and annotations: relative to the workspace (as given, or its real path) when inside it. */
function shownIn(ws, abs) {
    for (const root of [ws.dir, ws.root]) {
        const rel = external_node_path_default().relative(root, abs);
        if (rel && !rel.startsWith('..') && !external_node_path_default().isAbsolute(rel))
            return rel.split((external_node_path_default()).sep).join('/');
    }
    return abs;
}
async function readEnvironmentFile(ws, given) {
    const abs = external_node_path_default().resolve(given);
    const shown = external_node_path_default().isAbsolute(given) ? shownIn(ws, abs) : given;
    const limits = yamlLimitsFor(abs);
    let file;
    try {
        file = await (0,confined/* readConfined */.Hz)(ws, abs, { maxBytes: limits.maxBytes });
    }
    catch (e) {
        if (!(0,confined/* isConfinedError */.pY)(e))
            throw e;
        if (e.reason === 'too-large')
            throw new user_error/* UserError */.yo(`${shown} is more than the ${limits.maxBytes / 1024 / 1024} MiB ${limits.what} may have`, { file: shown, line: 1 });
        const why = e.reason === 'directory' || e.reason === 'not-regular' ? 'it is not a regular file' : (0,confined/* describeRefusal */.a2)(e.reason);
        throw new user_error/* UserError */.yo(`environment file ${shown} cannot be read: ${why}`, { file: shown });
    }
    let raw;
    try {
        raw = new TextDecoder('utf-8', { fatal: true }).decode(file.bytes);
    }
    catch {
        throw new user_error/* UserError */.yo(`${shown} is not UTF-8 text`, { file: shown, line: 1 });
    }
    return { text: (0,canonical/* normalizeNewlines */.jN)(raw), abs, real: file.real, shown, sha256: (0,canonical/* sha256Hex */.fg)(file.bytes) };
}
function newContext(ws, env, warnings) {
    const pixi = isPixiFile(env.abs);
    return {
        ws,
        envFile: env.abs,
        envReal: env.real,
        envDir: external_node_path_default().dirname(env.abs),
        files: new Set([env.abs]),
        digests: new Map([[env.abs, env.sha256]]),
        warnings,
        reqFiles: new Map(),
        local: new Map(),
        visited: new Set(),
        exclude: new Set([env.real, env.abs]),
        skipDirs: pixi ? PIXI_SKIP_DIRS : SKIP_DIRS,
        pixi,
    };
}
async function fingerprintFiles(input) {
    const ws = openWorkspace(input.workspace);
    const env = await readEnvironmentFile(ws, input.environmentFile);
    const given = env.shown;
    const envDir = external_node_path_default().dirname(env.abs);
    const warnings = new Warnings();
    const ctx = newContext(ws, env, warnings);
    const platforms = normalizePlatforms(input.platforms);
    const { subdirs, assumed } = targetSubdirs(platforms);
    for (const s of subdirs)
        if (s.startsWith('unknown:'))
            warnings.add('platform', `platform ${s.slice(8)} has no conda subdir this action knows — platform selectors are not evaluated for it`);
    const dockerfile = {
        path: input.baseDockerfile.path === undefined ? undefined : relTo(envDir, external_node_path_default().resolve(input.baseDockerfile.path)),
        sha256: (0,canonical/* sha256Hex */.fg)(input.baseDockerfile.content),
    };
    const context = await contextOf(input, platforms, ctx);
    const common = { dockerfile, context, buildArgs: input.buildArgs.map(label_secrets/* redactBuildArg */.I3), platforms, subdirs, subdirsAssumed: assumed };
    let parts;
    let pixi;
    if (ctx.pixi) {
        const read = await readPixiProject(env, input.pixiEnvironment ?? DEFAULT_PIXI_ENVIRONMENT, subdirs, ctx);
        pixi = read.source;
        parts = { source: 'pixi', ...read.parts, ...common };
    }
    else if (isExplicitLock(env.text)) {
        const lock = readExplicitLock(env.text, given);
        for (const w of lock.warnings)
            warnings.adopt('environment', w, given);
        if (lock.platform && !subdirs.includes(lock.platform)) {
            warnings.add('lock-platform', `${given} is an explicit lock for ${(0,redact/* excerpt */.Kb)(lock.platform)}, but the target is ${subdirs.join(', ')}${assumed ? ' (assumed; set `platforms`)' : ''}`, given);
        }
        parts = { source: 'explicit', packages: Object.fromEntries(subdirs.map((s) => [s, lock.packages])), ...common };
    }
    else if (!/\.ya?ml$/i.test(env.abs) && isSpecList(env.text)) {
        // micromamba reads `.yml`/`.yaml` as environment files and every other name as a spec file
        const list = readSpecList(env.text);
        if (list.platform && !subdirs.includes(list.platform)) {
            warnings.add('lock-platform', `${given} is a spec list exported for ${list.platform}, but the target is ${subdirs.join(', ')}${assumed ? ' (assumed; set `platforms`)' : ''}`, given);
        }
        const same = { conda: list.specs, pip: [] };
        parts = { source: 'spec-list', selection: { bySubdir: new Map(subdirs.map((s) => [s, same])), excluded: [], pipEntries: [], warnings: [] }, ...common };
    }
    else {
        const root = parseYaml(env.text, given);
        if (isCondaLock(root)) {
            parts = { source: 'conda-lock', packages: readCondaLock(root, given, subdirs), ...common };
        }
        else {
            const model = (0,hash_env/* readEnvironment */.Qo)(root, given);
            for (const w of model.warnings)
                warnings.adopt(/ is a (number|boolean) in YAML, /.test(w) ? 'dependency-type' : 'environment', w, given);
            const selection = (0,hash_env/* selectEntries */.XO)(model, subdirs, given);
            for (const w of selection.warnings)
                warnings.adopt('environment', w, given);
            await resolvePipEntries(selection.pipEntries, given, ctx);
            const variables = model.variables && Object.fromEntries(Object.entries(model.variables).map(([k, v]) => [k, v === null ? null : (0,label_secrets/* redactAssignment */.Ph)(k, v)]));
            parts = {
                source: 'environment',
                name: dockerfileUsesEnvName(input.baseDockerfile.content) ? model.name : undefined,
                channels: model.channels.map(label_secrets/* redactUrlSecrets */.A_),
                selection,
                variables,
                extra: redactJson(model.extra),
                files: Object.fromEntries(ctx.reqFiles),
                local: Object.fromEntries(ctx.local),
                ...common,
            };
        }
    }
    const document = buildDocument(parts);
    const { json, hash } = serialize(document);
    return { hash, document, json, warnings: warnings.done(), files: [...ctx.files], digests: ctx.digests, ...(pixi ? { pixi } : {}) };
}
/**
 * What a custom base Dockerfile reads from its build context (the environment file's
 * directory), by content. The bundled template reads only the environment file and the
 * files it references (the action assembles its context from the fingerprint's file list),
 * so it adds nothing here.
 */
async function contextOf(input, platforms, ctx) {
    if (input.baseDockerfile.path === undefined)
        return undefined;
    const dockerfile = external_node_path_default().resolve(input.baseDockerfile.path);
    const file = shownIn(ctx.ws, dockerfile);
    // the action passes ENVIRONMENT_FILE=<file name> after the base build-args (main.ts)
    const buildArgs = [...input.buildArgs, `${constants/* BuildArgNames */.vs.EnvironmentFile}=${external_node_path_default().basename(ctx.envFile)}`];
    const { reads, warnings } = dockerfileContextReads(input.baseDockerfile.content, buildArgs, platforms);
    const note = (w) => ctx.warnings.add(w.kind, w.line ? `${file}:${w.line}: ${w.message}` : `${file}: ${w.message}`, file, w.line);
    warnings.forEach(note);
    if (reads.length === 0)
        return undefined;
    const result = await hashContextFiles({ workspace: ctx.ws.root, root: ctx.envDir, dockerfile, envFile: ctx.envFile, reads });
    result.warnings.forEach(note);
    for (const f of result.files)
        ctx.files.add(f);
    return result.section;
}
async function resolvePipEntries(entries, envFile, ctx) {
    for (const e of entries) {
        for (const ref of (0,spec/* pipRefs */.qE)(e.text))
            await resolveRef(ref, e.text.trim(), { shownFile: envFile, line: e.line, dir: ctx.envDir }, ctx);
    }
}
const at = (o) => `${o.shownFile}:${o.line}`;
async function resolveRef(ref, entry, origin, ctx) {
    const quoted = (0,redact/* excerpt */.Kb)(entry);
    if (ref.kind === 'remote') {
        ctx.warnings.add('remote-reference', `${at(origin)}: pip entry "${quoted}" reads a remote file that the environment hash cannot see — the base is rebuilt only when the environment file changes`, origin.shownFile, origin.line);
        return;
    }
    const target = (0,spec/* fileUrlToPathish */.Wp)(ref.target);
    if (/\$\{?[A-Za-z_]/.test(target)) {
        ctx.warnings.add('unresolved-path', `${at(origin)}: pip entry "${quoted}" uses an environment variable in a path — not resolved, its content is not in the environment hash`, origin.shownFile, origin.line);
        ctx.local.set(`unresolved:${target}`, 'unhashed');
        return;
    }
    if (ref.kind === 'requirements') {
        await readRequirementFile(external_node_path_default().resolve(origin.dir, target), quoted, origin, ctx);
        return;
    }
    // local paths: pip runs in the environment file's directory
    const abs = external_node_path_default().resolve(ctx.envDir, target);
    const key = external_node_path_default().isAbsolute(target) ? target : relTo(ctx.envDir, abs);
    if (ctx.local.has(key))
        return;
    ctx.local.set(key, await hashLocal(abs, key, quoted, origin, ctx));
}
/**
 * A pip entry whose file or path lies outside the workspace (or is a system path): not read, one
 * warning; its text alone counts. Returns whether `e` was that refusal.
 */
const outsideWords = (e) => (e.reason === 'system' ? 'a system path (/proc, /sys, /dev)' : 'outside the workspace');
function warnedOutside(e, refersTo, quoted, origin, ctx) {
    if (e.reason !== 'outside' && e.reason !== 'system')
        return false;
    const where = outsideWords(e);
    ctx.warnings.add('outside-workspace', `${at(origin)}: pip entry "${quoted}" ${refersTo} ${where} — it is not read; only the entry's text counts in the environment hash`, origin.shownFile, origin.line);
    return true;
}
async function readRequirementFile(abs, quoted, origin, ctx) {
    const key = relTo(ctx.envDir, abs);
    if (ctx.visited.has(abs))
        return;
    ctx.visited.add(abs);
    let file;
    try {
        file = await (0,confined/* readConfined */.Hz)(ctx.ws, abs, { maxBytes: MAX_REQUIREMENT_BYTES });
    }
    catch (e) {
        if (!(0,confined/* isConfinedError */.pY)(e))
            throw e;
        if (warnedOutside(e, 'refers to a file', quoted, origin, ctx)) {
            ctx.reqFiles.set(key, 'outside-workspace');
            return;
        }
        const why = e.reason === 'too-large' ? `it is larger than ${MAX_REQUIREMENT_BYTES / 1024 / 1024} MiB` : (0,confined/* describeRefusal */.a2)(e.reason);
        throw new user_error/* UserError */.yo(`${at(origin)}: pip entry "${quoted}" refers to ${shownIn(ctx.ws, abs)}, which cannot be read: ${why}`, {
            file: origin.shownFile,
            line: origin.line,
        });
    }
    ctx.files.add(abs);
    ctx.digests.set(abs, (0,canonical/* sha256Hex */.fg)(file.bytes));
    const shown = shownIn(ctx.ws, abs);
    const decoded = decodeRequirements(file.bytes);
    if (decoded.invalid)
        ctx.warnings.add('encoding', `${shown} is not valid ${decoded.encoding.toUpperCase()} text — it is hashed by its bytes, and its references are read with the invalid bytes replaced`, shown, 1);
    ctx.reqFiles.set(key, requirementsDigest(decoded));
    const origin2 = { shownFile: shown, dir: external_node_path_default().dirname(abs) };
    for (const r of requirementFileRefs(decoded.text))
        await resolveRef(r.ref, r.text, { ...origin2, line: r.line }, ctx);
}
/** Digest of a local file or directory tree, bounded; warns when it cannot be complete. */
async function hashLocal(abs, key, quoted, origin, ctx) {
    let st;
    try {
        st = await (0,confined/* statConfined */.lH)(ctx.ws, abs);
    }
    catch (e) {
        if (!(0,confined/* isConfinedError */.pY)(e))
            throw e;
        if (warnedOutside(e, 'installs from a path', quoted, origin, ctx))
            return 'outside-workspace';
        ctx.warnings.add('local-unreadable', `${at(origin)}: pip entry "${quoted}" installs from ${(0,redact/* excerpt */.Kb)(key)}, which cannot be read here (${(0,confined/* describeRefusal */.a2)(e.reason)}) — its content is not in the environment hash, so the base is rebuilt only when the environment file changes`, origin.shownFile, origin.line);
        return 'missing';
    }
    if (st.type === 'file') {
        if (st.size > loader_MAX_TREE_BYTES) {
            ctx.warnings.add('tree-limit', `${at(origin)}: ${(0,redact/* excerpt */.Kb)(key)} is larger than ${loader_MAX_TREE_BYTES / 1024 / 1024} MiB — hashed by size only`, origin.shownFile, origin.line);
            return `size:${st.size}`;
        }
        try {
            const h = await (0,confined/* hashConfined */.vX)(ctx.ws, abs, { maxBytes: loader_MAX_TREE_BYTES });
            ctx.files.add(abs);
            ctx.digests.set(abs, h.sha256);
            return `file:${h.sha256}`;
        }
        catch (e) {
            if (!(0,confined/* isConfinedError */.pY)(e))
                throw e;
            ctx.warnings.add('local-unreadable', `${at(origin)}: pip entry "${quoted}" installs from ${(0,redact/* excerpt */.Kb)(key)}, which cannot be read here (${(0,confined/* describeRefusal */.a2)(e.reason)}) — its content is not in the environment hash`, origin.shownFile, origin.line);
            return 'missing';
        }
    }
    return hashTree(abs, key, origin, ctx);
}
async function hashTree(abs, key, origin, ctx) {
    const include = (_rel, name, isDir) => (isDir ? !ctx.skipDirs.has(name) : !name.endsWith('.pyc'));
    const walk = await (0,confined/* walkConfined */.cT)(ctx.ws, abs, { maxFiles: loader_MAX_TREE_FILES, maxDepth: MAX_TREE_DEPTH, include });
    const lines = [];
    let bytes = 0;
    let partial = false;
    const unreadable = [];
    for (const e of walk.entries) {
        // The environment file itself is hashed as parsed; its bytes in a local tree (`-e .`)
        // would make every cosmetic edit rebuild.
        if (ctx.exclude.has(e.abs) || ctx.exclude.has(external_node_path_default().join(abs, e.rel)))
            continue;
        if (e.type === 'symlink')
            lines.push(`${e.rel}\0link:${e.target}`);
        else if (e.type === 'unreadable') {
            unreadable.push(e.rel);
            lines.push(`${e.rel}\0unreadable`);
        }
        else if (e.type === 'file') {
            const h = bytes + e.size <= loader_MAX_TREE_BYTES ? await (0,confined/* hashConfined */.vX)(ctx.ws, e.abs, { maxBytes: e.size }).catch(() => undefined) : undefined;
            if (h) {
                bytes += h.size;
                ctx.files.add(external_node_path_default().join(abs, e.rel));
                ctx.digests.set(external_node_path_default().join(abs, e.rel), h.sha256);
                lines.push(`${e.rel}\0${h.sha256}`);
            }
            else {
                partial = true;
                lines.push(`${e.rel}\0size:${e.size}`);
            }
        }
    }
    const digest = (0,canonical/* sha256Hex */.fg)(lines.join('\n'));
    const inside = !external_node_path_default().relative(abs, ctx.envDir).startsWith('..');
    const where = `${at(origin)}: pip installs from ${(0,redact/* excerpt */.Kb)(key)}`;
    if (unreadable.length) {
        ctx.warnings.add('tree-limit', `${where}, which has ${unreadable.length} director${unreadable.length === 1 ? 'y' : 'ies'} that cannot be listed (first: ${(0,redact/* excerpt */.Kb)(unreadable[0])}) — only their names count in the environment hash`, origin.shownFile, origin.line);
    }
    if (walk.stopped || partial) {
        const what = walk.stopped === 'files'
            ? `only its first ${loader_MAX_TREE_FILES} files`
            : walk.stopped === 'depth'
                ? `nothing deeper than ${MAX_TREE_DEPTH} levels`
                : 'files beyond the limit only by size';
        ctx.warnings.add('tree-limit', `${where}, a tree larger than the hashing limit (${loader_MAX_TREE_FILES} files, ${loader_MAX_TREE_BYTES / 1024 / 1024} MiB, ${MAX_TREE_DEPTH} levels) — ${what} count in the environment hash`, origin.shownFile, origin.line);
        return `partial:${digest}`;
    }
    if (inside && !ctx.pixi) {
        ctx.warnings.add('tree-contains-environment', `${where}, which contains the environment file — every change to its files changes the environment hash and rebuilds the base`, origin.shownFile, origin.line);
    }
    return unreadable.length ? `partial:${digest}` : `tree:${digest}`;
}
/** Unknown keys are kept verbatim in the label document: credentials in their strings become digests. */
function redactJson(v) {
    if (v === null)
        return null;
    if (typeof v === 'string')
        return (0,label_secrets/* redactUrlSecrets */.A_)(v);
    if (Array.isArray(v))
        return v.map(redactJson);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactJson(x)]));
}
// ---------------------------------------------------------------------------------------
// pixi projects
/** Names of an environment file that make it a pixi project (the bundled template decides alike: src/template/pixi.ts). */
const PIXI_FILE_NAMES = new Set(['pixi.toml', 'pyproject.toml', 'pixi.lock']);
/** Local trees of a pixi project: pixi's own directory (installed environments) is never part of the source. */
const PIXI_SKIP_DIRS = new Set([...SKIP_DIRS, '.pixi']);
function isPixiFile(file) {
    return PIXI_FILE_NAMES.has(external_node_path_default().basename(file));
}
/** A file of the project read whole (and recorded as read), or undefined when it does not exist. */
async function readProjectFile(ctx, abs) {
    const shown = shownIn(ctx.ws, abs);
    const limits = yamlLimitsFor(abs);
    let file;
    try {
        file = await (0,confined/* readConfined */.Hz)(ctx.ws, abs, { maxBytes: limits.maxBytes });
    }
    catch (e) {
        if (!(0,confined/* isConfinedError */.pY)(e))
            throw e;
        if (e.reason === 'missing')
            return undefined;
        const why = e.reason === 'too-large' ? `it is more than the ${limits.maxBytes / 1024 / 1024} MiB ${limits.what} may have` : (0,confined/* describeRefusal */.a2)(e.reason);
        throw new user_error/* UserError */.yo(`${shown} cannot be read: ${why}`, { file: shown });
    }
    let text;
    try {
        text = (0,canonical/* normalizeNewlines */.jN)(new TextDecoder('utf-8', { fatal: true }).decode(file.bytes));
    }
    catch {
        throw new user_error/* UserError */.yo(`${shown} is not UTF-8 text`, { file: shown, line: 1 });
    }
    ctx.files.add(abs);
    ctx.digests.set(abs, (0,canonical/* sha256Hex */.fg)(file.bytes));
    return { text, abs, real: file.real, shown };
}
async function loadPixiReaders() {
    return { lock: await __webpack_require__.e(/* import() */ 141).then(__webpack_require__.bind(__webpack_require__, 94141)), manifest: await Promise.all(/* import() */[__webpack_require__.e(292), __webpack_require__.e(31)]).then(__webpack_require__.bind(__webpack_require__, 48031)) };
}
function manifestOf(f, readers) {
    return readers.manifest.parsePixiManifest(f.text, f.shown, external_node_path_default().basename(f.abs));
}
/** The manifest next to a lock: pixi.toml, else a pyproject.toml with [tool.pixi] (pixi's own order). */
async function manifestNextTo(lock, ctx, readers) {
    for (const name of ['pixi.toml', 'pyproject.toml']) {
        const file = await readProjectFile(ctx, external_node_path_default().join(external_node_path_default().dirname(lock.abs), name));
        const manifest = file && manifestOf(file, readers);
        if (file && manifest)
            return { file, manifest };
        if (file) {
            ctx.files.delete(file.abs);
            ctx.digests.delete(file.abs);
        }
    }
    throw new user_error/* UserError */.yo(`${lock.shown}: there is no pixi manifest next to this lock (a pixi.toml, or a pyproject.toml with [tool.pixi]) — \`pixi install --locked\` needs both; commit the manifest with the lock`, { file: lock.shown, line: 1 });
}
const packagesOf = (lines, items) => ({
    items: [...new Set(items)].sort(),
    sha256: (0,canonical/* sha256Hex */.fg)([...lines].sort().join('\n')),
});
/** The manifest and the lock of a pixi project, whichever of them the environment file names. */
async function pixiFiles(env, ctx, readers) {
    if (external_node_path_default().basename(env.abs) === 'pixi.lock') {
        const { file, manifest } = await manifestNextTo(env, ctx, readers);
        return { manifestFile: file, manifest, lockFile: env };
    }
    const manifest = manifestOf(env, readers);
    if (!manifest)
        throw new user_error/* UserError */.yo(`${env.shown}: this pyproject.toml has no [tool.pixi] table, so it is not a pixi project — point \`environment-file\` at a conda environment file, a pixi.toml, or a pyproject.toml with [tool.pixi]`, { file: env.shown, line: 1 });
    const lockFile = await readProjectFile(ctx, external_node_path_default().join(ctx.envDir, 'pixi.lock'));
    if (!lockFile)
        throw new user_error/* UserError */.yo(`${env.shown}: there is no pixi.lock next to this pixi manifest — run \`pixi lock\` and commit pixi.lock (the base is built with \`pixi install --locked\`, which installs exactly what the lock says)`, { file: env.shown, line: 1 });
    return { manifestFile: env, manifest, lockFile };
}
/** Path sources of the environment by content (`local`); one outside the workspace, or missing, is a user error at its line in the lock. */
async function hashPathSources(paths, lockFile, ctx) {
    const out = [];
    for (const [key, p] of [...paths].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const abs = external_node_path_default().resolve(ctx.envDir, (0,spec/* fileUrlToPathish */.Wp)(p.location));
        const origin = { shownFile: lockFile.shown, line: p.line, dir: ctx.envDir };
        await requireInside(abs, `${p.kind} path source ${(0,redact/* excerpt */.Kb)(p.location)}`, origin, ctx);
        ctx.local.set(key, await hashLocal(abs, p.location, p.location, origin, ctx));
        out.push({ kind: p.kind, location: p.location, abs, editable: p.editable, project: abs === ctx.envDir });
    }
    return out;
}
/** The manifest's activation scripts for the environment by content (`files`); the ones read, absolute. */
async function hashActivationScripts(scripts, manifestFile, ctx) {
    const read = [];
    for (const s of scripts) {
        const abs = external_node_path_default().resolve(ctx.envDir, s.path);
        const key = `activation ${s.path}`;
        if (ctx.reqFiles.has(key))
            continue;
        const origin = { shownFile: manifestFile.shown, line: manifestLine(manifestFile.text, s.path), dir: ctx.envDir };
        await requireInside(abs, `activation script ${(0,redact/* excerpt */.Kb)(s.path)} (${s.where})`, origin, ctx, true);
        try {
            const h = await (0,confined/* hashConfined */.vX)(ctx.ws, abs, { maxBytes: MAX_REQUIREMENT_BYTES });
            ctx.files.add(abs);
            ctx.digests.set(abs, h.sha256);
            ctx.reqFiles.set(key, h.sha256);
            read.push(abs);
        }
        catch (e) {
            if (!(0,confined/* isConfinedError */.pY)(e))
                throw e;
            const why = e.reason === 'too-large' ? `larger than ${MAX_REQUIREMENT_BYTES / 1024 / 1024} MiB` : (0,confined/* describeRefusal */.a2)(e.reason);
            ctx.warnings.add('local-unreadable', `${at(origin)}: activation script ${(0,redact/* excerpt */.Kb)(s.path)} (${s.where}) cannot be read here (${why}) — its content is not in the environment hash`, origin.shownFile, origin.line);
            ctx.reqFiles.set(key, 'missing');
        }
    }
    return [...new Set(read)].sort();
}
const byPlatform = (a, b) => a.subdir === b.subdir ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.subdir < b.subdir ? -1 : 1;
/**
 * A pixi project (manifest and lock, whichever the environment file names): the packages
 * `pixi install --locked -e <env>` installs on each target, the path sources by content, the
 * manifest's parts that count (pixi/pixi-manifest.ts), and the source the bundled template builds.
 */
async function readPixiProject(env, environment, subdirs, ctx) {
    const readers = await loadPixiReaders();
    const { lock: lockReader, manifest: manifestReader } = readers;
    const { manifestFile, manifest, lockFile } = await pixiFiles(env, ctx, readers);
    for (const f of [manifestFile, lockFile])
        ctx.exclude.add(f.abs).add(f.real);
    const root = parseYaml(lockFile.text, lockFile.shown, PIXI_LOCK_LIMITS);
    if (!lockReader.isPixiLock(root))
        throw new user_error/* UserError */.yo(`${lockFile.shown}:1: this is not a pixi lock (it has no \`version\` and \`environments\`)`, { file: lockFile.shown, line: 1 });
    const lock = lockReader.readPixiLock(root, lockFile.shown);
    const selection = lockReader.selectEnvironment(lock, environment, subdirs);
    const packages = {};
    const paths = new Map();
    for (const [key, t] of selection.targets) {
        packages[key] = packagesOf(t.packages.map((p) => p.line), t.packages.map((p) => p.item));
        for (const p of t.packages)
            if (p.path)
                paths.set(`${p.path.kind} ${p.path.location}`, p.path);
    }
    const pathSources = await hashPathSources(paths, lockFile, ctx);
    const fromManifest = manifestReader.manifestParts(manifest, environment, subdirs, {
        lockPlatforms: lock.platforms,
        installsProject: pathSources.some((p) => p.project),
    });
    const activationScripts = await hashActivationScripts(fromManifest.scripts, manifestFile, ctx);
    const source = {
        kind: 'pixi',
        manifest: manifestFile.abs,
        lock: lockFile.abs,
        root: ctx.envDir,
        lockVersion: lock.version,
        environment,
        platforms: [...selection.targets.values()].map((t) => ({ subdir: t.subdir, name: t.name })).sort(byPlatform),
        pathSources,
        activationScripts,
        contextFiles: [...ctx.files].sort(),
    };
    const pixi = { environment, manifest: relTo(ctx.envDir, manifestFile.abs), ...fromManifest.settings, ...selection.settings };
    return {
        parts: { channels: selection.channels, packages, files: Object.fromEntries(ctx.reqFiles), local: Object.fromEntries(ctx.local), pixi },
        source,
    };
}
/** The 1-based line of the manifest that names `text` (for annotations), else 1. */
function manifestLine(manifest, text) {
    const i = manifest.split('\n').findIndex((l) => l.includes(text));
    return i < 0 ? 1 : i + 1;
}
/** A path a pixi project installs from or sources must be inside the workspace: else a user error at its line. */
async function requireInside(abs, what, origin, ctx, mayBeMissing = false) {
    try {
        await (0,confined/* statConfined */.lH)(ctx.ws, abs);
    }
    catch (e) {
        if (!(0,confined/* isConfinedError */.pY)(e))
            throw e;
        if (e.reason === 'outside' || e.reason === 'system')
            throw new user_error/* UserError */.yo(`${at(origin)}: the ${what} is ${outsideWords(e)} — the base build context holds only files of the workspace; move it into the workspace`, { file: origin.shownFile, line: origin.line });
        if (e.reason === 'missing' && !mayBeMissing)
            throw new user_error/* UserError */.yo(`${at(origin)}: the ${what} does not exist here — \`pixi install --locked\` cannot install it`, {
                file: origin.shownFile,
                line: origin.line,
            });
    }
}

;// CONCATENATED MODULE: ./src/hash/index.ts
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





/** Fingerprints an environment file (plus what it references) for the given base build. */
async function fingerprint(input) {
    const fp = await fingerprintFiles(input);
    // The solver's .condarc (redacted) and the ids of the build's secrets are part of what the
    // base build sees; without them the document is exactly the one of earlier versions.
    const ids = input.secretIds && input.secretIds.length ? [...input.secretIds].sort() : undefined;
    if (input.condarc === undefined && ids === undefined)
        return fp;
    const document = { ...fp.document, ...(input.condarc !== undefined ? { condarc: input.condarc } : {}), ...(ids ? { secrets: ids } : {}) };
    const { json, hash } = serialize(document);
    return { ...fp, document, json, hash };
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
;// CONCATENATED MODULE: ./src/registry/auth.ts
// Authentication challenges (RFC 7235 `WWW-Authenticate`) and the token request of the
// Distribution token specification (GET with Basic credentials, or the OAuth2 POST form with
// a refresh token). Pure parsing lives here; the requests are made by the transport.
/** Parameters `k=v` / `k="v"` (with `\"` escapes) of one challenge. */
function parseParams(s) {
    const out = {};
    const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
    for (let m = re.exec(s); m; m = re.exec(s)) {
        const key = m[1].toLowerCase();
        const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
        if (!(key in out))
            out[key] = value;
    }
    return out;
}
/**
 * The challenge to answer: Bearer (with a realm) when offered, else Basic. Undefined when the
 * header is missing or offers neither.
 */
function parseChallenge(header) {
    if (!header)
        return undefined;
    const bearer = /(?:^|,)\s*Bearer\s+/i.exec(header);
    if (bearer) {
        let rest = header.slice(bearer.index + bearer[0].length);
        // Stop at a following challenge (`, Basic realm=...`).
        const next = /,\s*(?:Basic|Digest|Negotiate)\b(?:\s|$)/i.exec(rest);
        if (next)
            rest = rest.slice(0, next.index);
        const p = parseParams(rest);
        if (p.realm)
            return { scheme: 'bearer', realm: p.realm, service: p.service || undefined, scope: p.scope || undefined };
    }
    const basic = /(?:^|,)\s*Basic\b/i.exec(header);
    if (basic) {
        const p = parseParams(header.slice(basic.index + basic[0].length));
        return { scheme: 'basic', realm: p.realm };
    }
    return undefined;
}
/** `repository:<name>:pull`, or `pull,delete` for deletes. */
function repositoryScope(repository, actions) {
    return `repository:${repository}:${actions.join(',')}`;
}
/** The scopes to ask for: ours plus whatever the challenge named, de-duplicated, stable. */
function tokenScopes(ours, challenged) {
    const set = new Set([ours]);
    for (const s of (challenged ?? '').split(/\s+/))
        if (s)
            set.add(s);
    return [...set];
}
/** Reads `token` or `access_token` and `expires_in` from a token endpoint's JSON. */
function parseTokenResponse(body) {
    if (!body || typeof body !== 'object')
        return undefined;
    const j = body;
    const token = typeof j.token === 'string' && j.token ? j.token : typeof j.access_token === 'string' && j.access_token ? j.access_token : undefined;
    if (!token)
        return undefined;
    const e = typeof j.expires_in === 'number' && Number.isFinite(j.expires_in) && j.expires_in > 0 ? j.expires_in : 60;
    return { token, expiresIn: e };
}
function basicAuth(username, password) {
    return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

;// CONCATENATED MODULE: ./src/registry/errors.ts
// The one error type of the registry client. Messages name the registry and say what to do;
// they never contain a credential, a token or a signed storage URL.
class errors_RegistryError extends Error {
    status;
    kind;
    /** Registry host as written (`ghcr.io`, `127.0.0.1:5000`). */
    registry;
    constructor(kind, registry, message, status, options) {
        super(message, options);
        this.name = 'RegistryError';
        this.kind = kind;
        this.registry = registry;
        this.status = status;
    }
}
function isRegistryError(e) {
    return e instanceof errors_RegistryError;
}
/**
 * A request ended because the run did (Transport.close), not because of the registry:
 * nobody waits for its answer any more, so it is no fault to report.
 */
class RunEnded extends errors_RegistryError {
    constructor(registry, message) {
        super('network', registry, message);
        this.name = 'RunEnded';
    }
}
/** The registry gives sizes no image could have: the image (its verified `digest`) is there, its size is unknown. */
class ImplausibleSize extends errors_RegistryError {
    digest;
    constructor(registry, message, digest) {
        super('protocol', registry, message);
        this.digest = digest;
        this.name = 'ImplausibleSize';
    }
}
function isImplausibleSize(e) {
    return e instanceof ImplausibleSize;
}
function isRunEnded(e) {
    return e instanceof RunEnded;
}
/**
 * A fault worth another attempt (5xx, 429, reset connection, timeout, truncated or
 * unparsable body). Internal: the retry loop turns the last one into a RegistryError.
 */
class TransientError extends Error {
    status;
    /** Milliseconds the server asked us to wait (Retry-After), if it did. */
    retryAfterMs;
    kind;
    constructor(kind, message, status, retryAfterMs, options) {
        super(message, options);
        this.name = 'TransientError';
        this.kind = kind;
        this.status = status;
        this.retryAfterMs = retryAfterMs;
    }
}

// EXTERNAL MODULE: ./src/runner/log.ts
var runner_log = __webpack_require__(47708);
// EXTERNAL MODULE: ./node_modules/@actions/http-client/lib/proxy.js
var lib_proxy = __webpack_require__(19783);
// EXTERNAL MODULE: ./node_modules/tunnel/index.js
var tunnel = __webpack_require__(20770);
// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(37067);
var external_node_http_default = /*#__PURE__*/__webpack_require__.n(external_node_http_);
// EXTERNAL MODULE: external "node:https"
var external_node_https_ = __webpack_require__(44708);
var external_node_https_default = /*#__PURE__*/__webpack_require__.n(external_node_https_);
;// CONCATENATED MODULE: ./src/image/registry-hosts.ts
// The one table of registry hosts and what the action knows about each: how retention deletes
// tags there (or why it cannot), and the advice it gives when the registry refuses a login, a
// read, a delete or a push. To support a registry's quirk, add or change its row here.

/** Known hosts, first match wins; any other registry is the last row (a Distribution registry: Harbor, GitLab, Azure ACR, quay, self-hosted …). */
const REGISTRY_HOSTS = [
    {
        name: 'GitHub Container Registry',
        match: (h) => h === 'ghcr.io',
        retention: 'ghcr',
        credentialAdvice: 'check registry-username/registry-password (a token with read:packages/write:packages) or the docker/login-action step',
        permissionAdvice: {
            read: 'grant the workflow `packages: write` (or `packages: read`) and give the repository access to the package',
            delete: 'deleting needs a token with delete:packages or the GitHub Packages API; grant the workflow `packages: write`',
            push: 'grant the workflow `packages: write` and give the repository access to the package',
        },
    },
    {
        name: 'Docker Hub',
        match: reference/* isDockerHub */.gr,
        retention: { unsupported: "Docker Hub does not delete manifests through the registry API (use Docker Hub's own API or web UI)" },
        credentialAdvice: 'log in to Docker Hub with a user name and a personal access token (docker/login-action, or registry-username/registry-password)',
        permissionAdvice: {
            push: 'the repository must be under the account or an organization it can write to, and its access token needs the Read & Write scope',
        },
        pushNote: " (Docker Hub: a name without a registry host is on Docker Hub; for the runner's own Docker engine set `store: local`)",
    },
    {
        name: 'Amazon ECR',
        match: (h) => /\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$/.test(h) || h === 'public.ecr.aws',
        retention: { unsupported: 'Amazon ECR deletes images through its own API (ecr batch-delete-image) or lifecycle policies' },
    },
    {
        name: 'Google Container/Artifact Registry',
        match: (h) => h === 'gcr.io' || h.endsWith('.gcr.io') || h.endsWith('-docker.pkg.dev'),
        retention: { unsupported: 'Google Container/Artifact Registry deletes tagged images through gcloud (or cleanup policies), not by digest' },
    },
    {
        name: 'the old GitHub Docker registry',
        match: (h) => h === 'docker.pkg.github.com',
        retention: { unsupported: 'the old GitHub Docker registry cannot delete; move the image to ghcr.io' },
    },
    {
        name: 'a Distribution registry',
        match: () => true,
        retention: 'distribution',
        credentialAdvice: 'check registry-username/registry-password or the docker/login-action step',
        permissionAdvice: {
            read: 'check that the account may read this repository',
            delete: 'the account needs delete permission on the repository',
            push: 'the account needs push (write) permission on the repository',
        },
    },
];
const GENERIC = REGISTRY_HOSTS[REGISTRY_HOSTS.length - 1];
/** `Host:5000` → `host`; `[::1]:5000` → `[::1]`. */
function hostOnly(registry) {
    const r = registry.trim().toLowerCase();
    if (r.startsWith('['))
        return r.slice(0, r.indexOf(']') + 1);
    return r.split(':')[0];
}
/** The row of a registry (host as written, with or without a port). */
function registryHost(registry) {
    const host = hostOnly(registry);
    return REGISTRY_HOSTS.find((r) => r.match(host));
}
/** The advice after a refusal by `registry` (host as written): its row's, the last row's for what the row does not say. */
function registryAdvice(registry) {
    const row = registryHost(registry);
    const generic = GENERIC.permissionAdvice;
    const own = row.permissionAdvice ?? {};
    return {
        credential: row.credentialAdvice ?? GENERIC.credentialAdvice,
        permission: { read: own.read ?? generic.read, delete: own.delete ?? generic.delete, push: own.push ?? generic.push },
    };
}

;// CONCATENATED MODULE: ./src/registry/transport.ts
// All HTTP I/O of the registry client (and, through `exchange`, of retention's GitHub
// Packages API calls), over node:http / node:https with keep-alive agents
// (Node's global fetch loads undici and compiles its WebAssembly parser: too slow and too
// big for a short process), with
//  - a timeout on every attempt (covering redirects, token requests, headers and bodies), and optionally one
//    deadline over a whole operation (every attempt, retry and backoff of it);
//  - every body read capped while it streams;
//  - bounded exponential backoff with jitter for 429 (Retry-After honoured, capped), 408,
//    5xx (not 501/505), connection resets/refusals, timeouts, truncated and unparsable bodies;
//  - authentication: Bearer token challenges (tokens cached per scope for their lifetime,
//    refreshed once on 401) and Basic challenges;
//  - redirects followed by hand: credentials only ever go to the registry host itself or to
//    the token realm it named; other hosts (blob storage) get no Authorization; https→http
//    is refused;
//  - the runner's proxy settings (HTTPS_PROXY/HTTP_PROXY/NO_PROXY, as @actions/http-client
//    reads them), through http-client's tunnelling agent, only when a proxy applies to the URL.










const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 4;
const BACKOFF_BASE_MS = 500;
/** Attempts of a reachability check (see Transport.reach). */
const REACH_ATTEMPTS = 3;
const BACKOFF_CAP_MS = 15_000;
const RETRY_AFTER_CAP_MS = 60_000;
const MAX_REDIRECTS = 5;
const TOKEN_BODY_MAX = 1 << 20;
const USER_AGENT = 'conda-image-action';
// Registry answers end up in these messages: the job log's one writer shows them inert.
const defaultLog = {
    debug: (m) => runner_log/* runnerLog */.t1.debug(m),
    warning: (m) => runner_log/* runnerLog */.t1.warning(m),
    setSecret: (s) => runner_log/* runnerLog */.t1.mask(s),
};
/** Retry-After as milliseconds (delta-seconds or HTTP date), capped; undefined if absent/invalid. */
function parseRetryAfter(value, now = Date.now(), capMs = RETRY_AFTER_CAP_MS) {
    if (!value)
        return undefined;
    const v = value.trim();
    let ms;
    if (/^\d+$/.test(v))
        ms = Number(v) * 1000;
    else {
        const t = Date.parse(v);
        if (Number.isNaN(t))
            return undefined;
        ms = t - now;
    }
    return Math.min(Math.max(ms, 0), capMs);
}
/** Exponential backoff with "equal jitter": half fixed, half random; capped. */
function backoffMs(attempt, random = Math.random) {
    const d = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
    return Math.round(d / 2 + random() * (d / 2));
}
/** Statuses worth another attempt. */
function isTransientStatus(status) {
    return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}
/**
 * Whether a redirect from `from` to `to` may be followed: only http(s), never https→http.
 * Throws RegistryError('protocol') otherwise.
 */
function checkRedirect(registry, from, to) {
    if (to.protocol !== 'https:' && to.protocol !== 'http:') {
        throw new errors_RegistryError('protocol', registry, `${registry} redirected to an unsupported scheme (${to.protocol}); refusing to follow`);
    }
    if (from.protocol === 'https:' && to.protocol === 'http:') {
        throw new errors_RegistryError('protocol', registry, `${registry} redirected from https to plain http (${to.host}); refusing the downgrade`);
    }
}
/** A URL for logs: the query is dropped for hosts other than the registry (signed storage URLs). */
function logUrl(url, registryHost) {
    if (url.host === registryHost)
        return url.toString();
    return `${url.protocol}//${url.host}${url.pathname}${url.search ? '?…' : ''}`;
}
/** Error codes of connection problems that are not worth retrying. */
const PERMANENT_CODES = new Set([
    'ENOTFOUND',
    'CERT_HAS_EXPIRED',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'ERR_SSL_WRONG_VERSION_NUMBER',
    'EPROTO',
    'ERR_INVALID_URL',
]);
function errorCode(e) {
    let cur = e;
    for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
        const c = cur;
        if (typeof c.code === 'string')
            return c.code;
        if (c.name === 'TimeoutError' || c.name === 'AbortError')
            return String(c.name);
        if (Array.isArray(c.errors) && c.errors.length)
            cur = c.errors[0];
        else
            cur = c.cause;
    }
    return undefined;
}
class HeaderMap {
    h;
    constructor(h) {
        this.h = h;
    }
    get(name) {
        const v = this.h[name.toLowerCase()];
        if (v === undefined)
            return null;
        return Array.isArray(v) ? v.join(', ') : String(v);
    }
}
/**
 * A CONNECT tunnel through `proxy` for requests to `url` — the agent @actions/http-client
 * builds for the runner's proxy settings (the `tunnel` package, keep-alive), without loading
 * http-client itself (docs/DESIGN.md §9.4). Credentials in the proxy URL are percent-decoded.
 */
function proxyAgent(url, proxy) {
    const auth = proxy.username || proxy.password ? { proxyAuth: `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}` } : {};
    const options = {
        maxSockets: 100,
        keepAlive: true,
        proxy: { ...auth, host: proxy.hostname, port: Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80)) },
    };
    const overHttps = proxy.protocol === 'https:';
    if (url.protocol === 'https:')
        return overHttps ? tunnel.httpsOverHttps(options) : tunnel.httpsOverHttp(options);
    return overHttps ? tunnel.httpOverHttps(options) : tunnel.httpOverHttp(options);
}
/**
 * The time limit of one attempt: every request of it (redirects, token requests) and the
 * response being read are destroyed when it passes. A plain unref'd timer: cheaper to load
 * than AbortSignal for a short process.
 */
class AttemptTimer {
    ms;
    aborted = false;
    live = new Set();
    timer;
    constructor(ms) {
        this.ms = ms;
        this.timer = setTimeout(() => this.abort(), ms);
        this.timer.unref();
    }
    /** Ends the attempt now (its time is up, or the transport was closed). */
    abort() {
        clearTimeout(this.timer);
        this.aborted = true;
        for (const r of this.live)
            r.destroy(this.error());
        this.live.clear();
    }
    error() {
        return Object.assign(new Error(`no answer within ${this.ms} ms`), { name: 'TimeoutError' });
    }
    /** Destroys `r` with the others when the time is up (at once when it already is). */
    track(r) {
        if (this.aborted) {
            r.destroy(this.error());
            return;
        }
        this.live.add(r);
        r.once('close', () => this.live.delete(r));
    }
    done() {
        clearTimeout(this.timer);
        this.live.clear();
    }
}
class Transport {
    opts;
    log;
    /** An injected wait (tests); else a timer that close() clears. */
    sleep;
    timeoutMs;
    retries;
    insecure;
    credentials = new Map();
    challenges = new Map();
    tokens = new Map();
    secrets = new Set();
    agents = new Map();
    /** Attempts under way and retry waits, ended by close(). */
    attempts = new Set();
    waits = new Set();
    closed = false;
    /** The clock of deadlines (milliseconds since the epoch). */
    now;
    constructor(opts = {}) {
        this.opts = opts;
        this.log = opts.log ?? defaultLog;
        this.sleep = opts.sleep;
        this.now = opts.now ?? Date.now;
        this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
        this.retries = Math.max(0, opts.retries ?? DEFAULT_RETRIES);
        this.insecure = new Set((opts.insecureRegistries ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean));
        if (opts.password)
            this.secret(opts.password);
    }
    /** The registry behind an image name's host. */
    registry(name, apiHost) {
        const plain = (0,reference/* isLoopbackHost */.cW)(name) || this.insecure.has(name.toLowerCase()) || this.insecure.has(apiHost.toLowerCase());
        return { name, host: apiHost, scheme: plain ? 'http' : 'https' };
    }
    secret(s) {
        if (!s || this.secrets.has(s))
            return;
        this.secrets.add(s);
        this.log.setSecret(s);
    }
    creds(reg) {
        let p = this.credentials.get(reg.name);
        if (!p) {
            p = (0,credentials/* resolveCredentials */.z8)(reg.name, {
                username: this.opts.username,
                password: this.opts.password,
                dockerConfigDir: this.opts.dockerConfigDir,
                warning: (m) => this.log.warning(m),
            }).then((c) => {
                if (c) {
                    this.secret(c.password);
                    this.secret(c.identityToken);
                    if (c.username && c.password)
                        this.secret(Buffer.from(`${c.username}:${c.password}`).toString('base64'));
                    this.log.debug(`${reg.name}: using credentials from ${c.source}`);
                }
                else {
                    this.log.debug(`${reg.name}: no credentials, anonymous access`);
                }
                return c;
            });
            this.credentials.set(reg.name, p);
        }
        return p;
    }
    /**
     * The keep-alive agent for a URL: a plain one per scheme, or, when the runner's proxy
     * settings apply to the URL, a tunnelling agent for that proxy (proxyAgent).
     * Idle keep-alive sockets do not hold the process open (Node unrefs them).
     */
    agent(url) {
        const proxy = (0,lib_proxy/* getProxyUrl */.s)(url);
        const key = proxy ? `${url.protocol}${proxy.href}` : url.protocol;
        let agent = this.agents.get(key);
        if (!agent) {
            if (proxy)
                agent = proxyAgent(url, proxy);
            else
                agent = url.protocol === 'https:' ? new (external_node_https_default()).Agent({ keepAlive: true }) : new (external_node_http_default()).Agent({ keepAlive: true });
            this.agents.set(key, agent);
        }
        return agent;
    }
    /**
     * The run is over: requests still under way (started early for a run that then failed, or
     * whose answer nobody waits for any more) are ended, retry waits cut short, connections
     * closed, and every later request fails at once. Without this, a registry that accepts
     * connections and never answers would hold the finished process open for the attempts'
     * timeouts and retries (minutes). Their promises reject; whoever started them has already
     * given them a handler.
     */
    close() {
        this.closed = true;
        for (const a of this.attempts)
            a.abort();
        this.attempts.clear();
        for (const wake of this.waits)
            wake();
        this.waits.clear();
        for (const a of this.agents.values())
            a.destroy();
        this.agents.clear();
    }
    closedError(reg, req) {
        return new RunEnded(reg.name, `${reg.name}: did not ${req.what}: the run ended first`);
    }
    /** Waits `ms` before a retry (the injected sleep, else a timer); close() ends the wait at once, and its timer with it. */
    pause(ms) {
        return new Promise((resolve) => {
            let timer;
            const wake = () => {
                clearTimeout(timer);
                this.waits.delete(wake);
                resolve();
            };
            this.waits.add(wake);
            if (this.sleep)
                this.sleep(ms).then(wake, wake);
            else
                timer = setTimeout(wake, ms);
        });
    }
    /** One HTTP exchange; resolves once the status and headers are in (the body is read later). */
    rawFetch(url, init) {
        return new Promise((resolve, reject) => {
            const headers = { 'user-agent': USER_AGENT, ...init.headers };
            if (init.body !== undefined)
                headers['content-length'] = String(Buffer.byteLength(init.body));
            let req;
            try {
                if (url.protocol !== 'http:' && url.protocol !== 'https:')
                    throw Object.assign(new Error(`unsupported scheme ${url.protocol}`), { code: 'ERR_INVALID_URL' });
                const mod = url.protocol === 'https:' ? (external_node_https_default()) : (external_node_http_default());
                req = mod.request(url, { method: init.method, headers, agent: this.agent(url) });
                init.signal.track(req);
            }
            catch (e) {
                reject(this.networkError(e, url, init.signal));
                return;
            }
            req.once('response', (res) => {
                init.signal.track(res);
                resolve({ status: res.statusCode ?? 0, headers: new HeaderMap(res.headers), body: res });
            });
            req.once('error', (e) => reject(this.networkError(e, url, init.signal)));
            req.end(init.body);
        });
    }
    networkError(e, url, signal) {
        if (e instanceof errors_RegistryError || e instanceof TransientError)
            return e;
        const code = errorCode(e) ?? (signal.aborted ? 'TimeoutError' : undefined);
        if (code === 'TimeoutError' || code === 'AbortError' || signal.aborted) {
            return new TransientError('network', `${url.host} did not answer within ${Math.round(signal.ms / 100) / 10}s`, undefined, undefined, { cause: e });
        }
        const what = code ?? e?.message ?? String(e);
        if (code && PERMANENT_CODES.has(code)) {
            const hint = code.startsWith('ERR_SSL') || code === 'EPROTO' ? ' (if this registry serves plain HTTP, list it in insecure-registries)' : '';
            return new errors_RegistryError('network', url.host, `cannot reach ${url.host}: ${what}${hint}`, undefined, { cause: e });
        }
        return new TransientError('network', `cannot reach ${url.host}: ${what}`, undefined, undefined, { cause: e });
    }
    /** Reads a body with a size limit, enforced while it streams; a short or broken body is transient. */
    async readBody(res, max, reg, url, signal) {
        const declaredHeader = res.headers.get('content-length');
        const declared = declaredHeader !== null && /^\d+$/.test(declaredHeader) ? Number(declaredHeader) : undefined;
        if (declared !== undefined && declared > max) {
            discard(res);
            throw new errors_RegistryError('protocol', reg.name, `${reg.name} sent a response of ${declared} bytes (limit ${max}) for ${url.pathname}`);
        }
        const chunks = [];
        let n = 0;
        try {
            for await (const chunk of res.body) {
                n += chunk.length;
                if (n > max) {
                    res.body.destroy();
                    throw new errors_RegistryError('protocol', reg.name, `${reg.name} sent more than ${max} bytes for ${url.pathname}`);
                }
                chunks.push(chunk);
            }
        }
        catch (e) {
            if (e instanceof errors_RegistryError)
                throw e;
            const err = this.networkError(e, url, signal);
            if (err instanceof TransientError) {
                throw new TransientError('network', `the response from ${url.host} broke off after ${n} bytes (${err.message})`, undefined, undefined, { cause: e });
            }
            throw err;
        }
        if (declared !== undefined && !res.headers.get('content-encoding') && n !== declared) {
            throw new TransientError('protocol', `the response from ${url.host} was truncated (${n} of ${declared} bytes)`);
        }
        return Buffer.concat(chunks, n);
    }
    /**
     * One exchange outside the registry protocol (the GitHub Packages REST API of retention), on
     * the transport's agents (keep-alive, the runner's proxy) within the per-request timeout:
     * the headers as given and no others, no challenge answered, no redirect followed (a 3xx
     * comes back as it is), no retry, the body read up to `maxBytes` while it streams. Raises
     * TransientError for network failures, timeouts and short bodies, RegistryError for
     * permanent network failures ('network') and a body over the limit ('protocol').
     */
    async exchange(url, init) {
        const reg = { name: url.host, host: url.host, scheme: url.protocol === 'http:' ? 'http' : 'https' };
        const signal = new AttemptTimer(this.timeoutMs);
        try {
            const res = await this.rawFetch(url, { method: init.method, headers: init.headers, signal });
            const body = await this.readBody(res, init.maxBytes, reg, url, signal);
            return { status: res.status, headers: res.headers, body, url };
        }
        finally {
            signal.done();
        }
    }
    /**
     * Whether the registry answers at all, within `deadlineMs` (attempt timeouts, retries and
     * backoff included): one `GET /v2/` per attempt, no credentials, no redirect followed; any
     * HTTP status is an answer. A failure worth another attempt (refused, reset) is tried at
     * most `REACH_ATTEMPTS` times; one that is not (the name does not resolve, TLS, no answer
     * before the deadline) ends the check at once. Undefined when it answered, else the failure:
     * its code (`ENOTFOUND`, `ECONNREFUSED`, `TimeoutError`, a TLS code) and message.
     */
    async reach(reg, deadlineMs) {
        const deadline = this.now() + deadlineMs;
        const url = new URL(`${reg.scheme}://${reg.host}/v2/`);
        let last;
        for (let attempt = 0; attempt < REACH_ATTEMPTS; attempt++) {
            if (attempt > 0)
                await this.pause(Math.max(0, Math.min(backoffMs(attempt - 1), deadline - this.now())));
            if (this.closed)
                throw this.closedError(reg, { what: 'reach the registry' });
            const signal = new AttemptTimer(Math.max(1, deadline - this.now()));
            this.attempts.add(signal);
            try {
                discard(await this.rawFetch(url, { method: 'GET', headers: {}, signal }));
                return undefined;
            }
            catch (e) {
                if (this.closed)
                    throw this.closedError(reg, { what: 'reach the registry' });
                const code = signal.aborted ? 'TimeoutError' : (errorCode(e) ?? 'unknown');
                last = { code: code === 'AbortError' ? 'TimeoutError' : code, message: e.message, ms: deadlineMs };
                if (last.code === 'TimeoutError' || PERMANENT_CODES.has(last.code) || this.now() >= deadline)
                    return last;
            }
            finally {
                this.attempts.delete(signal);
                signal.done();
            }
        }
        return last;
    }
    /**
     * Sends a request with retries. `validate` may throw TransientError (unparsable JSON, digest
     * mismatch) to have the whole request retried.
     */
    async send(reg, req, validate) {
        let last;
        for (let attempt = 0; attempt <= this.retries; attempt++) {
            if (attempt > 0 && last) {
                const wait = last.retryAfterMs ?? backoffMs(attempt - 1);
                if (req.deadline !== undefined && this.now() + wait >= req.deadline)
                    throw this.pastDeadline(reg, req, last);
                this.log.debug(`${req.method} ${logUrl(req.url, reg.host)}: ${last.message}; retry ${attempt}/${this.retries} in ${wait}ms`);
                await this.pause(wait);
            }
            if (this.closed)
                throw this.closedError(reg, req);
            if (req.deadline !== undefined && this.now() >= req.deadline)
                throw this.pastDeadline(reg, req, last);
            try {
                const r = await this.attempt(reg, req);
                return validate ? validate(r) : r;
            }
            catch (e) {
                if (e instanceof TransientError) {
                    last = e;
                    continue;
                }
                throw e;
            }
        }
        const e = last;
        throw new errors_RegistryError(e.kind, reg.name, `${reg.name}: could not ${req.what} after ${this.retries + 1} attempts: ${e.message}`, e.status, { cause: e });
    }
    /** The error of a request whose deadline passed (with the last transient failure, if any). */
    pastDeadline(reg, req, last) {
        return new errors_RegistryError('network', reg.name, `${reg.name}: could not ${req.what} before its deadline${last ? ` (last attempt: ${last.message})` : ''}`, last?.status, { cause: last });
    }
    async attempt(reg, req) {
        const remaining = req.deadline === undefined ? Infinity : req.deadline - this.now();
        const ms = Math.max(1, Math.min(this.timeoutMs * (req.timeoutFactor ?? 1), remaining));
        const signal = new AttemptTimer(ms);
        this.attempts.add(signal);
        try {
            return await this.attemptWithin(reg, req, signal);
        }
        catch (e) {
            // Ended by close(), not by the registry: not a fault to retry or to report as one.
            if (this.closed)
                throw this.closedError(reg, req);
            throw e;
        }
        finally {
            this.attempts.delete(signal);
            signal.done();
        }
    }
    async attemptWithin(reg, req, signal) {
        let answered = false;
        for (;;) {
            const auth = await this.authorization(reg, req.scope, signal);
            const { res, url, onRegistry } = await this.follow(reg, req, auth, signal);
            if (res.status === 401 && onRegistry && !answered) {
                const challenge = parseChallenge(res.headers.get('www-authenticate'));
                discard(res);
                if (challenge) {
                    answered = true;
                    this.learn(reg, challenge, req.scope);
                    continue;
                }
                throw await this.authError(reg, req, 401, auth !== undefined);
            }
            if (req.passStatuses?.includes(res.status)) {
                const body = req.method === 'HEAD' ? (discard(res), Buffer.alloc(0)) : await this.readBody(res, req.maxBytes, reg, url, signal);
                return { status: res.status, headers: res.headers, body, url };
            }
            if (res.status === 401 || res.status === 403) {
                const detail = await errorDetail(res);
                throw await this.authError(reg, req, res.status, auth !== undefined, detail);
            }
            if (isTransientStatus(res.status)) {
                const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
                const detail = await errorDetail(res);
                throw new TransientError('http', `HTTP ${res.status}${detail ? ` (${detail})` : ''}`, res.status, retryAfter);
            }
            if (res.status < 200 || res.status >= 300) {
                const detail = await errorDetail(res);
                const kind = res.status === 404 ? 'not-found' : 'http';
                throw new errors_RegistryError(kind, reg.name, `${reg.name}: could not ${req.what}: HTTP ${res.status}${detail ? ` (${detail})` : ''}`, res.status);
            }
            const body = req.method === 'HEAD' ? (discard(res), Buffer.alloc(0)) : await this.readBody(res, req.maxBytes, reg, url, signal);
            return { status: res.status, headers: res.headers, body, url };
        }
    }
    /** Follows redirects by hand; Authorization only on the registry host. */
    async follow(reg, req, auth, signal) {
        let url = req.url;
        let method = req.method;
        for (let hop = 0;; hop++) {
            const onRegistry = url.host === reg.host && (url.protocol === `${reg.scheme}:` || url.protocol === 'https:');
            const headers = { ...(req.headers ?? {}) };
            if (onRegistry && auth)
                headers.authorization = auth;
            this.log.debug(`${method} ${logUrl(url, reg.host)}${hop ? ` (redirect ${hop})` : ''}`);
            const res = await this.rawFetch(url, { method, headers, signal, ...(req.body && method === req.method ? { body: req.body } : {}) });
            const location = res.headers.get('location');
            if (![301, 302, 303, 307, 308].includes(res.status) || !location)
                return { res, url, onRegistry };
            discard(res);
            if (hop >= MAX_REDIRECTS)
                throw new errors_RegistryError('protocol', reg.name, `${reg.name}: too many redirects while trying to ${req.what}`);
            let next;
            try {
                next = new URL(location, url);
            }
            catch {
                throw new errors_RegistryError('protocol', reg.name, `${reg.name} sent an invalid redirect while trying to ${req.what}`);
            }
            checkRedirect(reg.name, url, next);
            if (res.status === 303 && method !== 'HEAD')
                method = 'GET';
            url = next;
        }
    }
    learn(reg, challenge, scope) {
        this.challenges.set(reg.host, challenge);
        if (challenge.scheme === 'bearer') {
            // A 401 with a token in hand means it expired or lacks the scope: fetch a fresh one.
            this.tokens.delete(tokenKey(challenge, scope));
            this.pendingScopes.set(tokenKey(challenge, scope), challenge.scope);
        }
    }
    pendingScopes = new Map();
    /** The Authorization header for a request to `reg` with `scope`, once a challenge is known. */
    async authorization(reg, scope, signal) {
        const challenge = this.challenges.get(reg.host);
        if (!challenge)
            return undefined;
        if (challenge.scheme === 'basic') {
            const c = await this.creds(reg);
            if (c?.username && c.password)
                return basicAuth(c.username, c.password);
            if (c?.identityToken)
                return basicAuth(c.username || '<token>', c.identityToken);
            return undefined;
        }
        const key = tokenKey(challenge, scope);
        const cached = this.tokens.get(key);
        if (cached && !(cached instanceof Promise) && cached.expiresAt > Date.now())
            return `Bearer ${cached.token}`;
        if (cached instanceof Promise) {
            try {
                return `Bearer ${(await cached).token}`;
            }
            catch {
                // fall through: fetch our own
            }
        }
        const p = this.fetchToken(reg, challenge, scope, signal);
        this.tokens.set(key, p);
        try {
            const t = await p;
            this.tokens.set(key, t);
            return `Bearer ${t.token}`;
        }
        catch (e) {
            this.tokens.delete(key);
            throw e;
        }
    }
    async fetchToken(reg, ch, scope, signal) {
        let realm;
        try {
            realm = new URL(ch.realm);
        }
        catch {
            throw new errors_RegistryError('protocol', reg.name, `${reg.name} named an invalid token realm`);
        }
        if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
            throw new errors_RegistryError('protocol', reg.name, `${reg.name} named a token realm with an unsupported scheme (${realm.protocol})`);
        }
        if (realm.protocol === 'http:' && reg.scheme === 'https' && !(0,reference/* isLoopbackHost */.cW)(realm.host) && !this.insecure.has(realm.host.toLowerCase())) {
            throw new errors_RegistryError('protocol', reg.name, `${reg.name} named a plain-http token realm (${realm.host}); refusing to send credentials there`);
        }
        const scopes = tokenScopes(scope, this.pendingScopes.get(tokenKey(ch, scope)));
        const c = await this.creds(reg);
        const started = Date.now();
        let res;
        if (c?.identityToken) {
            const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, client_id: USER_AGENT, scope: scopes.join(' ') });
            if (ch.service)
                form.set('service', ch.service);
            this.log.debug(`POST ${realm.origin}${realm.pathname} (OAuth2 refresh token, scope ${scopes.join(' ')})`);
            res = await this.rawFetch(realm, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), signal });
            if (res.status === 404 || res.status === 405) {
                discard(res);
                res = await this.tokenGet(realm, ch, scopes, basicAuth(c.username || '<token>', c.identityToken), signal);
            }
        }
        else {
            res = await this.tokenGet(realm, ch, scopes, c?.username && c.password ? basicAuth(c.username, c.password) : undefined, signal, c?.username);
        }
        if (res.status === 401 || res.status === 403) {
            const detail = await errorDetail(res);
            throw new errors_RegistryError(res.status === 401 ? 'auth' : 'denied', reg.name, c
                ? `the token service of ${reg.name} (${realm.host}) rejected the credentials from ${c.source} (HTTP ${res.status}${detail ? `: ${detail}` : ''}): ${credentialAdvice(reg.name)}`
                : `the token service of ${reg.name} (${realm.host}) refused anonymous access (HTTP ${res.status}${detail ? `: ${detail}` : ''}): log in with docker/login-action or set registry-username and registry-password`, res.status);
        }
        if (isTransientStatus(res.status)) {
            discard(res);
            throw new TransientError('http', `token service ${realm.host}: HTTP ${res.status}`, res.status, parseRetryAfter(res.headers.get('retry-after')));
        }
        if (res.status < 200 || res.status >= 300) {
            const detail = await errorDetail(res);
            throw new errors_RegistryError('http', reg.name, `the token service of ${reg.name} (${realm.host}) answered HTTP ${res.status}${detail ? ` (${detail})` : ''}`, res.status);
        }
        const body = await this.readBody(res, TOKEN_BODY_MAX, reg, realm, signal);
        let parsed;
        try {
            parsed = JSON.parse(body.toString('utf8'));
        }
        catch {
            throw new TransientError('protocol', `the token service ${realm.host} sent invalid JSON`);
        }
        const t = parseTokenResponse(parsed);
        if (!t)
            throw new errors_RegistryError('protocol', reg.name, `the token service of ${reg.name} (${realm.host}) sent no token`);
        this.secret(t.token);
        // Renew a little early: a few seconds, at most a tenth of the lifetime.
        const margin = Math.min(5_000, t.expiresIn * 100);
        return { token: t.token, expiresAt: started + t.expiresIn * 1000 - margin };
    }
    async tokenGet(realm, ch, scopes, auth, signal, account) {
        const u = new URL(realm);
        if (ch.service)
            u.searchParams.set('service', ch.service);
        for (const s of scopes)
            u.searchParams.append('scope', s);
        if (account && auth)
            u.searchParams.set('account', account);
        this.log.debug(`GET ${realm.origin}${realm.pathname} (token, scope ${scopes.join(' ')}, ${auth ? 'with credentials' : 'anonymous'})`);
        const res = await this.rawFetch(u, { method: 'GET', headers: auth ? { authorization: auth } : {}, signal });
        if ([301, 302, 303, 307, 308].includes(res.status)) {
            discard(res);
            throw new errors_RegistryError('protocol', realm.host, `the token service ${realm.host} redirected; refusing to send credentials elsewhere`);
        }
        return res;
    }
    async authError(reg, req, status, sentAuth, detail) {
        const c = await this.creds(reg).catch(() => undefined);
        const d = detail ? ` (${detail})` : '';
        if (status === 401) {
            const msg = c && sentAuth
                ? `${reg.name} rejected the credentials from ${c.source} while trying to ${req.what} (HTTP 401${d}): ${credentialAdvice(reg.name)}`
                : `${reg.name} requires authentication to ${req.what} (HTTP 401${d}): log in with docker/login-action or set registry-username and registry-password`;
            return new errors_RegistryError('auth', reg.name, msg, 401);
        }
        return new errors_RegistryError('denied', reg.name, `${reg.name} denied access to ${req.what} (HTTP 403${d}): ${c ? `the credentials from ${c.source} lack permission; ` : 'anonymous access is not allowed; '}${permissionAdvice(reg.name, req.method)}`, 403);
    }
}
function tokenKey(ch, scope) {
    return `${ch.realm}\n${ch.service ?? ''}\n${scope}`;
}
function credentialAdvice(registry) {
    return registryAdvice(registry).credential;
}
/** The table's advice for what was refused: a delete, a read, or a write (push). */
function permissionAdvice(registry, method) {
    const advice = registryAdvice(registry).permission;
    if (method === 'DELETE')
        return advice.delete;
    return method === 'GET' || method === 'HEAD' ? advice.read : advice.push;
}
const DISCARD_DRAIN_MAX = 64 << 10;
/**
 * Drops a body not worth reading. A small declared body is drained so that its keep-alive
 * connection can carry the next request; anything else closes the connection.
 */
function discard(res) {
    const body = res.body;
    if (body.destroyed)
        return;
    // A response without a body (HEAD, 204, 304) still has to be read to its end before its
    // connection goes back to the pool; left alone it stays busy (and holds the process open).
    if (body.complete) {
        body.resume();
        return;
    }
    const declared = res.headers.get('content-length');
    if (declared !== null && /^\d+$/.test(declared) && Number(declared) <= DISCARD_DRAIN_MAX) {
        body.on('error', () => undefined);
        body.resume();
    }
    else {
        body.destroy();
    }
}
/** `CODE: message` of a Distribution error body (first error), read with a small limit. */
async function errorDetail(res) {
    try {
        const chunks = [];
        let n = 0;
        for await (const chunk of res.body) {
            chunks.push(chunk);
            n += chunk.length;
            if (n > 16_384)
                break;
        }
        const text = Buffer.concat(chunks).toString('utf8');
        const j = JSON.parse(text);
        const e = j.errors?.[0];
        if (!e)
            return undefined;
        return [e.code, e.message].filter(Boolean).join(': ').slice(0, 300);
    }
    catch {
        return undefined;
    }
    finally {
        if (!res.body.complete)
            res.body.destroy();
    }
}
/** The Distribution error code of a body (`NAME_UNKNOWN`, `UNSUPPORTED`), if any. */
function errorCodeOf(body) {
    try {
        const j = JSON.parse(body.toString('utf8'));
        return j.errors?.[0]?.code;
    }
    catch {
        return undefined;
    }
}

;// CONCATENATED MODULE: ./src/registry/plausible.ts
// What a registry answers is checked before it is believed (SECURITY.md, "What a registry can
// do"): sizes are whole numbers of bytes no blob or image could exceed, a manifest's shape
// agrees with its media type, and every walk over image indexes is bounded. Pure functions.
/** No blob (a layer, a config) is believed bigger than this: 1 TiB (registries cap layers far lower). */
const MAX_BLOB_BYTES = 2 ** 40;
/** No image (all its platforms) is believed bigger than this: 1 TiB. */
const MAX_IMAGE_BYTES = 2 ** 40;
/** Index → index → image: the deepest nesting read (BuildKit writes one level; a matrix merge, two). */
const MAX_INDEX_DEPTH = 2;
/** Manifests one index may list. */
const MAX_INDEX_ENTRIES = 1024;
/** Manifests one walk over an index and the indexes under it reads. */
const MAX_MANIFESTS_WALKED = 256;
/** A size in bytes a registry may say: a whole number from 0 to MAX_BLOB_BYTES. */
function plausibleSize(v) {
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_BLOB_BYTES;
}
/** config.size + the layers' sizes; undefined when one of them, or their sum, is implausible. */
function manifestBytes(m) {
    const layers = Array.isArray(m.layers) ? m.layers : [];
    // A manifest without a config (none listed) counts nothing for it.
    const sizes = [...(m.config === undefined ? [] : [m.config?.size]), ...layers.map((l) => l?.size)];
    let total = 0;
    for (const s of sizes) {
        if (!plausibleSize(s))
            return undefined;
        total += s;
    }
    return total <= MAX_IMAGE_BYTES ? total : undefined;
}
const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const IMAGE_TYPES = new Set(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json']);
/** Why a manifest's content contradicts its media type (the body's, else the Content-Type's); undefined when it does not. */
function shapeFault(m, contentType = '') {
    if (!m || typeof m !== 'object' || Array.isArray(m))
        return 'is not a JSON object';
    const { mediaType, manifests, layers, config } = m;
    if (mediaType !== undefined && typeof mediaType !== 'string')
        return 'has a mediaType that is not a string';
    const type = mediaType ?? contentType;
    const listsManifests = manifests !== undefined;
    const hasImageParts = layers !== undefined || config !== undefined;
    if (listsManifests && !Array.isArray(manifests))
        return 'has "manifests" that is not a list';
    if (layers !== undefined && !Array.isArray(layers))
        return 'has "layers" that is not a list';
    if (listsManifests && hasImageParts)
        return 'is both an index (manifests) and an image (config, layers)';
    if (INDEX_TYPES.has(type) && !listsManifests)
        return `says it is an index (${type}) but lists no manifests`;
    if (IMAGE_TYPES.has(type) && (listsManifests || config === undefined))
        return `says it is an image manifest (${type}) but has no config`;
    return undefined;
}

;// CONCATENATED MODULE: ./src/registry/client.ts
// The registry client of the action (OCI Distribution API v2): tags, manifests, sizes,
// image configs and deletes. HTTP, auth and fault handling live in transport.ts.





/** The reachability check of a registry a run pushes to, retries and backoff included: seconds, not the minutes of a build. */
const REACH_DEADLINE_MS = 8_000;
/** The push check (a test upload and its cancellation), retries and backoff included. */
const PUSH_CHECK_DEADLINE_MS = 60_000;
const DEFAULT_TAG_LIST_LIMITS = Object.freeze({ deadlineMs: 60_000, maxTags: 100_000, maxBytes: 32 << 20 });
const MediaTypes = {
    DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
    DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
    OciManifest: 'application/vnd.oci.image.manifest.v1+json',
    OciIndex: 'application/vnd.oci.image.index.v1+json',
};
const MANIFEST_ACCEPT = [MediaTypes.OciIndex, MediaTypes.DockerManifestList, MediaTypes.OciManifest, MediaTypes.DockerManifest].join(', ');
const MANIFEST_MAX_BYTES = 4 << 20;
const CONFIG_MAX_BYTES = 16 << 20;
const TAG_PAGE_MAX_BYTES = 64 << 20;
const TAG_PAGE_SIZE = 1000;
const MAX_TAG_PAGES = 100_000;
const CHILD_CONCURRENCY = 4;
/** Content-addressed reads kept per client (a run reads a few dozen). */
const BY_DIGEST_ENTRIES = 256;
/** `sha256:<hex>` of bytes. */
function sha256Digest(bytes) {
    return `sha256:${(0,external_node_crypto_.createHash)('sha256').update(bytes).digest('hex')}`;
}
/** Checks `bytes` against `digest` (sha256/sha512); throws TransientError on a mismatch or another algorithm. */
function verifyDigest(digest, bytes, what) {
    const colon = digest.indexOf(':');
    const algo = digest.slice(0, colon);
    if (algo !== 'sha256' && algo !== 'sha512')
        throw new TransientError('protocol', `${what}: digest ${digest.slice(0, 80)} is not sha256 or sha512; it cannot be checked`);
    const actual = `${algo}:${(0,external_node_crypto_.createHash)(algo).update(bytes).digest('hex')}`;
    if (actual !== digest)
        throw new TransientError('protocol', `${what}: content digest ${actual} does not match ${digest}`);
}
function isIndex(m) {
    return m.mediaType === MediaTypes.OciIndex || m.mediaType === MediaTypes.DockerManifestList || (m.mediaType === undefined && Array.isArray(m.manifests));
}
/** Attestation manifests of BuildKit: by annotation, or the platform `unknown/unknown`. */
function isAttestation(d) {
    if (d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest')
        return true;
    return d.platform?.os === 'unknown' && d.platform?.architecture === 'unknown';
}
/** A platform as a registry may name it: `os/arch[/variant]`, each part a short word (anything else, e.g. a 4 MB string, is 'unknown'). */
function platformString(p) {
    const word = (v) => typeof v === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(v);
    const { os, architecture, variant } = p ?? {};
    if (!word(os) || !word(architecture))
        return 'unknown';
    if (variant === undefined || variant === '')
        return `${os}/${architecture}`;
    return word(variant) ? `${os}/${architecture}/${variant}` : 'unknown';
}
/** `<url>; rel="next"` of a Link header, resolved against the request URL. */
function nextLink(header, base) {
    if (!header)
        return undefined;
    for (const part of header.split(/,(?=\s*<)/)) {
        const m = /^\s*<([^>]*)>(.*)$/.exec(part);
        if (!m)
            continue;
        if (!/;\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(m[2]))
            continue;
        try {
            return new URL(m[1], base);
        }
        catch {
            return undefined;
        }
    }
    return undefined;
}
/** A digest the action can check: sha256 or sha512 (another algorithm is a registry fault: nothing it names can be verified). */
function validDigest(d) {
    return /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/.test(d);
}
function parseJson(body, what) {
    try {
        return JSON.parse(body.toString('utf8'));
    }
    catch {
        throw new TransientError('protocol', `${what}: the response is not valid JSON`);
    }
}
/** Runs `f` over `items` with at most `n` in flight, preserving order. */
async function mapLimit(items, n, f) {
    const out = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            out[i] = await f(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
    return out;
}
class RegistryClient {
    transport;
    tagListLimits;
    byDigest = new Map();
    constructor(opts = {}) {
        this.transport = new Transport(opts);
        this.tagListLimits = { ...DEFAULT_TAG_LIST_LIMITS, ...opts.tagListLimits };
    }
    /** The run is over: requests still under way end at once, and later ones fail (Transport.close). */
    close() {
        this.transport.close();
    }
    reg(name) {
        if (name.local || !name.registry) {
            throw new errors_RegistryError('protocol', '', `${name.repository} has no registry host: the local Docker engine is its store`);
        }
        return this.transport.registry(name.registry, name.apiHost);
    }
    url(reg, path) {
        return new URL(`${reg.scheme}://${reg.host}/v2/${path}`);
    }
    /**
     * All tags of the repository (every page), sorted; [] when the repository does not exist.
     * Bounded by one deadline and caps on tags and bytes (`tagListLimits`): past any of them it
     * fails with a RegistryError.
     */
    async listTags(name, limits = {}) {
        const reg = this.reg(name);
        const scope = repositoryScope(name.repository, ['pull']);
        const what = `list the tags of ${name.repository}`;
        const bounds = { ...this.tagListLimits, ...limits };
        const deadline = this.transport.now() + bounds.deadlineMs;
        const first = this.url(reg, `${name.repository}/tags/list`);
        first.searchParams.set('n', String(TAG_PAGE_SIZE));
        const tags = new Set();
        const seen = new Set();
        let bytes = 0;
        let url = first;
        for (let page = 0; url; page++) {
            if (page >= MAX_TAG_PAGES)
                throw new errors_RegistryError('protocol', reg.name, `${reg.name}: more than ${MAX_TAG_PAGES} pages of tags for ${name.repository}`);
            const key = url.toString();
            if (seen.has(key))
                throw new errors_RegistryError('protocol', reg.name, `${reg.name}: the tag list of ${name.repository} links back to a page already read`);
            seen.add(key);
            const pageUrl = url;
            const budget = bounds.maxBytes - bytes;
            if (budget <= 0)
                throw tagListTooBig(reg.name, name.repository, `more than ${bounds.maxBytes} bytes`);
            const request = { method: 'GET', url: pageUrl, scope, maxBytes: Math.min(TAG_PAGE_MAX_BYTES, budget), what, passStatuses: [404], deadline };
            const r = await this.transport
                .send(reg, request, (res) => {
                if (res.status === 404)
                    return { res, list: undefined };
                const j = parseJson(res.body, what);
                if (!j || typeof j !== 'object' || (j.tags !== null && j.tags !== undefined && !Array.isArray(j.tags))) {
                    throw new TransientError('protocol', `${what}: unexpected response`);
                }
                return { res, list: (j.tags ?? []) };
            })
                .catch((e) => {
                // A page refused for its size when the total budget was the tighter bound: the cap's own words.
                if (budget < TAG_PAGE_MAX_BYTES &&
                    e instanceof errors_RegistryError &&
                    e.kind === 'protocol' &&
                    / sent (?:more than|a response of) \d+ bytes/.test(e.message)) {
                    throw tagListTooBig(reg.name, name.repository, `more than ${bounds.maxBytes} bytes`);
                }
                throw e;
            });
            if (r.list === undefined) {
                // NAME_UNKNOWN (or an empty 404): the repository does not exist yet. A 404 on a
                // later page means the list moved under us; report what we have read.
                if (page === 0)
                    return [];
                const code = errorCodeOf(r.res.body);
                throw new errors_RegistryError('not-found', reg.name, `${reg.name}: a page of the tag list of ${name.repository} vanished (${code ?? 'HTTP 404'})`, 404);
            }
            bytes += r.res.body.length;
            for (const t of r.list)
                if (typeof t === 'string')
                    tags.add(t);
            if (tags.size > bounds.maxTags)
                throw tagListTooBig(reg.name, name.repository, `more than ${bounds.maxTags} tags`);
            const next = nextLink(r.res.headers.get('link'), r.res.url);
            if (next && next.host !== reg.host) {
                throw new errors_RegistryError('protocol', reg.name, `${reg.name}: the tag list of ${name.repository} links to another host (${next.host}); refusing to follow`);
            }
            if (next && r.res.url.protocol === 'https:' && next.protocol !== 'https:') {
                throw new errors_RegistryError('protocol', reg.name, `${reg.name}: the tag list of ${name.repository} links to plain http; refusing the downgrade`);
            }
            url = next;
        }
        return [...tags].sort();
    }
    async fetchManifest(name, ref) {
        const reg = this.reg(name);
        const byDigest = ref.includes(':');
        if (byDigest && !validDigest(ref))
            throw new errors_RegistryError('protocol', reg.name, `invalid digest "${ref}"`);
        const what = `read the manifest ${name.repository}${byDigest ? '@' : ':'}${ref}`;
        const r = await this.transport.send(reg, {
            method: 'GET',
            url: this.url(reg, `${name.repository}/manifests/${ref}`),
            headers: { accept: MANIFEST_ACCEPT },
            scope: repositoryScope(name.repository, ['pull']),
            maxBytes: MANIFEST_MAX_BYTES,
            what,
            passStatuses: [404],
        }, (res) => {
            if (res.status === 404)
                return res;
            if (byDigest)
                verifyDigest(ref, res.body, what);
            else {
                // The digest the action pins is the sha256 of these bytes; a header that names other bytes is a fault.
                const header = res.headers.get('docker-content-digest');
                if (header)
                    verifyDigest(header, res.body, `${what}: Docker-Content-Digest`);
            }
            const fault = shapeFault(parseJson(res.body, what), (res.headers.get('content-type') ?? '').split(';')[0].trim());
            if (fault)
                throw new errors_RegistryError('protocol', reg.name, `${reg.name}: ${what}: the manifest ${fault}`);
            return res;
        });
        if (r.status === 404)
            return undefined;
        return { res: r };
    }
    /**
     * A read by digest, once per client: content-addressed, so what was read is what is there
     * (concurrent readers share one request). A failure or "not there" is not kept (it may be
     * pushed later in the run); deleteManifest forgets the digest.
     */
    once(key, read) {
        let p = this.byDigest.get(key);
        if (!p) {
            if (this.byDigest.size >= BY_DIGEST_ENTRIES)
                this.byDigest.clear();
            p = read();
            this.byDigest.set(key, p);
            const forget = () => {
                if (this.byDigest.get(key) === p)
                    this.byDigest.delete(key);
            };
            p.then((v) => v === undefined && forget(), forget);
        }
        return p;
    }
    /** The manifest (or index) at a tag or digest; undefined when it does not exist. */
    async getManifest(name, tagOrDigest) {
        if (!validDigest(tagOrDigest))
            return this.readManifest(name, tagOrDigest);
        return this.once(`manifest ${name.registry}/${name.repository}@${tagOrDigest}`, () => this.readManifest(name, tagOrDigest));
    }
    async readManifest(name, tagOrDigest) {
        const r = await this.fetchManifest(name, tagOrDigest);
        if (!r)
            return undefined;
        const { res } = r;
        const manifest = JSON.parse(res.body.toString('utf8'));
        // By digest: verified against the bytes. By tag: the digest of the bytes (a header naming others was refused).
        const digest = tagOrDigest.includes(':') ? tagOrDigest : sha256Digest(res.body);
        const ct = (res.headers.get('content-type') ?? '').split(';')[0].trim();
        const mediaType = manifest.mediaType || (ct && ct !== 'application/json' ? ct : '') || (isIndex(manifest) ? MediaTypes.OciIndex : MediaTypes.OciManifest);
        return { digest, mediaType, size: res.body.length, manifest };
    }
    /**
     * The digest of the manifest a tag names: the sha256 of its bytes, read with GET (a HEAD's
     * Docker-Content-Digest cannot be checked against anything, and the base is pinned by it).
     */
    async headDigest(name, tag) {
        return (await this.getManifest(name, tag))?.digest;
    }
    /**
     * Compressed size per platform (config + layers), attestation manifests excluded. A walk
     * bounded in depth, entries and manifests read; a size that is not a whole number of bytes
     * up to 10 TiB (per blob and per image) is a registry fault, not a size (plausible.ts).
     */
    async imageSize(name, tagOrDigest) {
        const top = await this.getManifest(name, tagOrDigest);
        if (!top)
            return undefined;
        const platforms = await this.platformSizes(name, top, undefined, 0, { left: MAX_MANIFESTS_WALKED }).catch((e) => {
            // The image is there (its digest verified); only its size is not believed.
            throw e instanceof ImplausibleSize ? new ImplausibleSize(e.registry, e.message, top.digest) : e;
        });
        const total = platforms.reduce((n, p) => n + p.bytes, 0);
        if (total > MAX_IMAGE_BYTES)
            throw new ImplausibleSize(name.registry, `${name.registry}: ${name.repository}@${top.digest} adds up to an implausible size`, top.digest);
        return { digest: top.digest, mediaType: top.mediaType, total, platforms };
    }
    async platformSizes(name, m, platform, depth, budget) {
        const at = `${name.registry}: ${name.repository}@${m.digest}`;
        const fault = (why) => new errors_RegistryError('protocol', name.registry, `${at} ${why}`);
        if (!isIndex(m.manifest)) {
            const bytes = manifestBytes(m.manifest);
            if (bytes === undefined)
                throw new ImplausibleSize(name.registry, `${at} gives an implausible size (each must be a whole number of bytes up to ${MAX_BLOB_BYTES})`, m.digest);
            return [{ platform: platform ?? (await this.configPlatform(name, m)), digest: m.digest, bytes }];
        }
        if (depth >= MAX_INDEX_DEPTH)
            throw fault(`nests image indexes more than ${MAX_INDEX_DEPTH} deep`);
        const listed = m.manifest.manifests;
        if (listed.length > MAX_INDEX_ENTRIES)
            throw fault(`lists ${listed.length} manifests, more than the ${MAX_INDEX_ENTRIES} read`);
        const descs = [
            ...new Map(listed.filter((d) => d && typeof d.digest === 'string' && !isAttestation(d)).map((d) => [d.digest, d])).values(),
        ];
        budget.left -= descs.length;
        if (budget.left < 0)
            throw fault(`and the indexes under it list more than the ${MAX_MANIFESTS_WALKED} manifests read`);
        const sizes = await mapLimit(descs, CHILD_CONCURRENCY, async (d) => {
            const child = await this.getManifest(name, d.digest);
            if (!child)
                throw new errors_RegistryError('not-found', name.registry, `${name.registry}: ${name.repository}@${d.digest}, listed in the index ${m.digest}, does not exist`, 404);
            return this.platformSizes(name, child, platformString(d.platform), depth + 1, budget);
        });
        return sizes.flat();
    }
    /** The platform an image's config names ('unknown' when it cannot be read). */
    async configPlatform(name, m) {
        const cfg = m.manifest.config;
        if (!cfg?.digest)
            return 'unknown';
        try {
            return platformString((await this.blobJson(name, cfg.digest)));
        }
        catch (e) {
            this.transport.log.debug(`${name.registry}: could not read the config of ${name.repository}@${m.digest} for its platform: ${e.message}`);
            return 'unknown';
        }
    }
    /**
     * The image config (labels, created, os/architecture). For an index, the manifest of
     * `platform` (`os/arch[/variant]`), else linux/amd64, else the first non-attestation one.
     */
    async imageConfig(name, tagOrDigest, platform) {
        let m = await this.getManifest(name, tagOrDigest);
        for (let depth = 0; m && isIndex(m.manifest); depth++) {
            if (depth > 2)
                throw new errors_RegistryError('protocol', name.registry, `${name.registry}: ${name.repository}:${tagOrDigest} nests indexes too deeply`);
            const descs = (m.manifest.manifests ?? []).filter((d) => d && typeof d.digest === 'string' && !isAttestation(d));
            const want = platform ?? 'linux/amd64';
            const pick = descs.find((d) => platformString(d.platform) === want) ??
                (platform ? descs.find((d) => platformString(d.platform).startsWith(`${want}/`)) : undefined) ??
                (platform ? undefined : descs[0]);
            if (!pick)
                return undefined;
            m = await this.getManifest(name, pick.digest);
        }
        if (!m)
            return undefined;
        const cfg = m.manifest.config;
        if (!cfg?.digest)
            return undefined;
        const c = (await this.blobJson(name, cfg.digest));
        const labels = {};
        for (const [k, v] of Object.entries(c?.config?.Labels ?? {}))
            if (typeof v === 'string')
                labels[k] = v;
        const layers = layersWithHistory(m.manifest.layers, c.history);
        return {
            labels,
            created: typeof c.created === 'string' ? c.created : undefined,
            architecture: typeof c.architecture === 'string' ? c.architecture : undefined,
            os: typeof c.os === 'string' ? c.os : undefined,
            ...(layers ? { layers } : {}),
        };
    }
    /** A small JSON blob by digest (verified, read once per client: see blob); redirects to storage are followed without credentials. */
    async blobJson(name, digest) {
        const body = await this.blob(name, digest, CONFIG_MAX_BYTES);
        try {
            return JSON.parse(body.toString('utf8'));
        }
        catch {
            throw new errors_RegistryError('protocol', name.registry, `read the blob ${name.repository}@${digest}: not valid JSON`);
        }
    }
    /**
     * A blob by digest, at most `maxBytes` (verified); redirects to storage are followed
     * without credentials. Blobs up to the config cap are read once per client (configs, the
     * size manifest's layer: several phases ask for the same ones).
     */
    async blob(name, digest, maxBytes) {
        if (maxBytes > CONFIG_MAX_BYTES)
            return this.readBlob(name, digest, maxBytes);
        const kept = await this.once(`blob ${name.registry}/${name.repository}@${digest}`, () => this.readBlob(name, digest, CONFIG_MAX_BYTES));
        if (kept && kept.length <= maxBytes)
            return kept;
        return this.readBlob(name, digest, maxBytes);
    }
    async readBlob(name, digest, maxBytes) {
        const reg = this.reg(name);
        if (!validDigest(digest))
            throw new errors_RegistryError('protocol', reg.name, `invalid digest "${digest}"`);
        const what = `read the blob ${name.repository}@${digest}`;
        return this.transport.send(reg, { method: 'GET', url: this.url(reg, `${name.repository}/blobs/${digest}`), scope: repositoryScope(name.repository, ['pull']), maxBytes, what }, (res) => {
            verifyDigest(digest, res.body, what);
            return res.body;
        });
    }
    /**
     * The descriptors a platform's part contributes to a multi-platform index: its image
     * manifest(s) of `platform` and the attestation manifests that refer to them. A part is
     * a plain manifest (its platform read from its config) or an index (BuildKit's, with
     * attestations). Throws when the part holds no image of `platform` or another platform.
     */
    async partDescriptors(name, ref, platform) {
        const top = await this.getManifest(name, ref);
        const at = `${name.repository}:${ref}`;
        if (!top)
            throw new errors_RegistryError('not-found', name.registry, `${name.registry}: ${at} does not exist`, 404);
        let images;
        let attestations = [];
        if (isIndex(top.manifest)) {
            const descs = (top.manifest.manifests ?? []).filter((d) => d && typeof d.digest === 'string' && validDigest(d.digest));
            images = descs.filter((d) => !isAttestation(d));
            attestations = descs.filter((d) => isAttestation(d) && images.some((i) => i.digest === d.annotations?.['vnd.docker.reference.digest']));
        }
        else {
            const cfg = top.manifest.config;
            const c = cfg?.digest ? (await this.blobJson(name, cfg.digest)) : undefined;
            const p = c && typeof c.os === 'string' && typeof c.architecture === 'string'
                ? { os: c.os, architecture: c.architecture, ...(typeof c.variant === 'string' ? { variant: c.variant } : {}) }
                : undefined;
            images = [{ mediaType: top.mediaType, digest: top.digest, size: top.size, ...(p ? { platform: p } : {}) }];
        }
        const others = images.filter((d) => platformString(d.platform) !== platform);
        if (images.length === 0 || others.length > 0) {
            const found = images.map((d) => platformString(d.platform)).join(', ') || 'no image';
            throw new errors_RegistryError('protocol', name.registry, `${name.registry}: ${at} should hold an image of ${platform} only, but holds ${found}`);
        }
        return [...images, ...attestations].map((d) => ({
            mediaType: d.mediaType,
            digest: d.digest,
            size: d.size,
            ...(d.platform ? { platform: d.platform } : {}),
            ...(d.annotations ? { annotations: d.annotations } : {}),
        }));
    }
    /**
     * Assembles one OCI image index from per-platform parts (tags or digests of this
     * repository, see partDescriptors) and puts it under every tag of `tags`. Returns its digest.
     */
    async putIndex(name, parts, tags) {
        const descs = await mapLimit(parts, CHILD_CONCURRENCY, (p) => this.partDescriptors(name, p.ref, p.platform));
        const index = { schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests: descs.flat() };
        const body = Buffer.from(JSON.stringify(index));
        const digest = sha256Digest(body);
        for (const tag of tags)
            await this.putManifest(name, tag, body, MediaTypes.OciIndex, digest);
        return { digest, size: body.length };
    }
    /** PUTs manifest bytes under a tag; checks the digest the registry computed. */
    async putManifest(name, tag, body, mediaType, digest) {
        const reg = this.reg(name);
        const what = `push the manifest ${name.repository}:${tag}`;
        await this.transport.send(reg, {
            method: 'PUT',
            url: this.url(reg, `${name.repository}/manifests/${encodeURIComponent(tag)}`),
            headers: { 'content-type': mediaType },
            body,
            scope: repositoryScope(name.repository, ['pull', 'push']),
            maxBytes: 1 << 20,
            what,
        }, (res) => {
            const got = res.headers.get('docker-content-digest');
            if (got && got !== digest)
                throw new errors_RegistryError('protocol', reg.name, `${what}: the registry stored ${got}, not ${digest}`);
            return res;
        });
    }
    /**
     * Uploads a small blob (monolithic: POST, then PUT with its digest) unless the registry
     * has it already. Returns its digest. Used for referrer artifacts (referrers.ts).
     */
    async pushBlob(name, bytes) {
        const reg = this.reg(name);
        const digest = sha256Digest(bytes);
        const scope = repositoryScope(name.repository, ['pull', 'push']);
        const blobUrl = this.url(reg, `${name.repository}/blobs/${digest}`);
        const head = await this.transport.send(reg, {
            method: 'HEAD',
            url: blobUrl,
            scope,
            maxBytes: 1 << 16,
            what: `check the blob ${digest}`,
            passStatuses: [404],
        });
        if (head.status === 200)
            return digest;
        const what = `push a blob to ${name.repository}`;
        const started = await this.transport.send(reg, {
            method: 'POST',
            url: this.url(reg, `${name.repository}/blobs/uploads/`),
            headers: { 'content-length': '0' },
            scope,
            maxBytes: 1 << 16,
            what,
        });
        const location = started.headers.get('location');
        if (!location)
            throw new errors_RegistryError('protocol', reg.name, `${what}: the registry named no upload location`);
        const upload = new URL(location, started.url);
        if (upload.host !== started.url.host)
            throw new errors_RegistryError('protocol', reg.name, `${what}: the upload location is on another host`);
        upload.searchParams.set('digest', digest);
        await this.transport.send(reg, {
            method: 'PUT',
            url: upload,
            headers: { 'content-type': 'application/octet-stream' },
            body: bytes,
            scope,
            maxBytes: 1 << 16,
            what,
        });
        return digest;
    }
    /**
     * PUTs manifest bytes under a tag or their digest. Returns the digest and the registry's
     * `OCI-Subject` header: present when the registry indexed the manifest's subject in its
     * referrers API (OCI distribution-spec 1.1); absent otherwise (the tag schema then applies).
     */
    async pushManifest(name, ref, body, mediaType) {
        const reg = this.reg(name);
        const digest = sha256Digest(body);
        const what = `push the manifest ${name.repository}${validDigest(ref) ? '@' : ':'}${ref}`;
        const res = await this.transport.send(reg, {
            method: 'PUT',
            url: this.url(reg, `${name.repository}/manifests/${validDigest(ref) ? ref : encodeURIComponent(ref)}`),
            headers: { 'content-type': mediaType },
            body,
            scope: repositoryScope(name.repository, ['pull', 'push']),
            maxBytes: 1 << 20,
            what,
        });
        const got = res.headers.get('docker-content-digest');
        if (got && got !== digest)
            throw new errors_RegistryError('protocol', reg.name, `${what}: the registry stored ${got}, not ${digest}`);
        this.byDigest.delete(`manifest ${name.registry}/${name.repository}@${ref}`);
        const subject = res.headers.get('oci-subject');
        return { digest, ...(subject ? { ociSubject: subject } : {}) };
    }
    /**
     * The referrers API's index for `digest` (`GET /v2/<name>/referrers/<digest>`), or
     * undefined where the registry has no referrers API (404 or another non-index answer).
     */
    async referrersApi(name, digest) {
        const reg = this.reg(name);
        if (!validDigest(digest))
            throw new errors_RegistryError('protocol', reg.name, `invalid digest "${digest}"`);
        const res = await this.transport.send(reg, {
            method: 'GET',
            url: this.url(reg, `${name.repository}/referrers/${digest}`),
            headers: { accept: MediaTypes.OciIndex },
            scope: repositoryScope(name.repository, ['pull']),
            maxBytes: MANIFEST_MAX_BYTES,
            what: `list the referrers of ${name.repository}@${digest}`,
            passStatuses: [400, 404, 405],
        });
        if (res.status !== 200 || !(res.headers.get('content-type') ?? '').startsWith(MediaTypes.OciIndex))
            return undefined;
        const j = parseJson(res.body, 'the referrers index');
        return j && Array.isArray(j.manifests) ? { manifests: j.manifests } : undefined;
    }
    /** Whether the registry of `name` answers at all (see Transport.reach): undefined, or why not. */
    reachable(name, deadlineMs = REACH_DEADLINE_MS) {
        return this.transport.reach(this.reg(name), deadlineMs);
    }
    /**
     * Checks that this client may push to the repository, cheaply and without writing anything
     * lasting: starts a blob upload (`POST /v2/<name>/blobs/uploads/`) and cancels it (DELETE of
     * the upload URL it answered with). Throws the transport's RegistryError (`auth` 401,
     * `denied` 403, or another fault) when the registry refuses.
     */
    async probePush(name) {
        const reg = this.reg(name);
        // Like the lookup, one deadline over the check's requests, retries and backoff: an
        // unreachable registry is only warned about, so it must not hold the run for minutes.
        const deadline = this.transport.now() + PUSH_CHECK_DEADLINE_MS;
        const r = await this.transport.send(reg, {
            deadline,
            method: 'POST',
            url: this.url(reg, `${name.repository}/blobs/uploads/`),
            headers: { 'content-length': '0' },
            scope: repositoryScope(name.repository, ['pull', 'push']),
            maxBytes: 1 << 16,
            what: `push to ${name.repository} (a test upload, cancelled at once)`,
        });
        const location = r.headers.get('location');
        if (!location)
            return;
        let upload;
        try {
            upload = new URL(location, r.url);
        }
        catch {
            return;
        }
        // Cancel only on the registry itself; an upload left behind expires on its own.
        if (upload.host !== r.url.host)
            return;
        await this.transport
            .send(reg, {
            deadline,
            method: 'DELETE',
            url: upload,
            scope: repositoryScope(name.repository, ['pull', 'push']),
            maxBytes: 1 << 16,
            what: `cancel the test upload to ${name.repository}`,
            passStatuses: [400, 404, 405],
        })
            .catch((e) => this.transport.log.debug(`${reg.name}: could not cancel the test upload: ${e.message}`));
    }
    /** Deletes a manifest by digest (which untags every tag pointing at it). */
    async deleteManifest(name, digest) {
        const reg = this.reg(name);
        if (!validDigest(digest))
            throw new errors_RegistryError('protocol', reg.name, `invalid digest "${digest}": manifests are deleted by digest`);
        this.byDigest.delete(`manifest ${name.registry}/${name.repository}@${digest}`);
        const r = await this.transport.send(reg, {
            method: 'DELETE',
            url: this.url(reg, `${name.repository}/manifests/${digest}`),
            headers: { accept: MANIFEST_ACCEPT },
            scope: repositoryScope(name.repository, ['pull', 'delete']),
            maxBytes: 1 << 20,
            what: `delete ${name.repository}@${digest}`,
            passStatuses: [400, 404, 405],
            // Distribution untags every tag of the digest in this one request, scanning all tags of
            // the repository: on a large repository that takes longer than a read.
            timeoutFactor: 4,
        });
        if (r.status === 404)
            return 'not-found';
        if (r.status === 405)
            return 'unsupported';
        if (r.status === 400) {
            if (errorCodeOf(r.body) === 'UNSUPPORTED')
                return 'unsupported';
            throw new errors_RegistryError('http', reg.name, `${reg.name}: could not delete ${name.repository}@${digest}: HTTP 400 (${errorCodeOf(r.body) ?? 'bad request'})`, 400);
        }
        return 'deleted';
    }
}
function tagListTooBig(registry, repository, what) {
    return new errors_RegistryError('protocol', registry, `${registry}: the tag list of ${repository} has ${what}; the lookup stops there`);
}
/**
 * The manifest's layers paired with the config's history entries that made a layer (those
 * without `empty_layer`), in order; without `createdBy` when the two do not line up.
 */
function layersWithHistory(layers, history) {
    if (!Array.isArray(layers))
        return undefined;
    const descs = layers.filter((l) => typeof l === 'object' && l !== null && typeof l.digest === 'string' && typeof l.size === 'number');
    const made = Array.isArray(history)
        ? history.filter((h) => typeof h === 'object' && h !== null && h.empty_layer !== true)
        : [];
    const lined = made.length === descs.length;
    return descs.map((d, i) => {
        const by = lined ? made[i].created_by : undefined;
        return { digest: d.digest, size: d.size, ...(typeof by === 'string' ? { createdBy: by } : {}) };
    });
}

;// CONCATENATED MODULE: ./src/registry/index.ts
// Registry access of the action: every registry HTTP request goes through RegistryClient.




;// CONCATENATED MODULE: ./src/sizes/manifest.ts
// What makes a base image big: the size manifest the bundled template writes (one record
// per conda package with its installed bytes, from the conda-meta records), parsed and
// compared (src/sizes/changes.ts). Pure functions over plain data.
//
// The contract (also for custom base Dockerfiles): the image carries the label
// `io.github.conda-image-action.size-manifest` naming an absolute path, and its LAST layer
// holds that file: JSON `{"version": 1, "packages": [{"name", "version", "build"?, "size"}],
// "pip"?: [{"name", "version", "size"?}]}` with `size` the installed bytes of the package;
// `pip` lists the pip-installed distributions (name and version from their METADATA, size the
// bytes their RECORD lists). A manifest without `pip` (a base built before it was written, a
// custom base that leaves it out) says nothing about pip: its pip changes are not reported.

/** The compressed last layer is read only when it is at most this big… */
const MAX_MANIFEST_LAYER_BYTES = 1024 * 1024;
/** …the manifest file itself at most this big… */
const MAX_MANIFEST_FILE_BYTES = 4 * 1024 * 1024;
/** …and at most this many package records are kept. */
const MAX_PACKAGES = 20_000;
// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const SHORT = /^[^\u0000-\u001f]{1,200}$/;
/** Records of a size manifest; undefined when the text is not one (never throws). */
function parseSizeManifest(text) {
    return parseSizeManifestDocument(text)?.packages;
}
/** The pip list of a manifest: undefined when it has none (not an array); bad records are skipped, a bad size dropped. */
function pipList(list) {
    if (!Array.isArray(list))
        return undefined;
    const out = [];
    for (const p of list.slice(0, MAX_PACKAGES)) {
        if (!p || typeof p !== 'object')
            continue;
        const { name, version, size } = p;
        if (typeof name !== 'string' || !SHORT.test(name) || typeof version !== 'string' || !SHORT.test(version))
            continue;
        out.push({ name, version, ...(plausibleSize(size) ? { size } : {}) });
    }
    return out;
}
/** The conda packages and pip distributions of a size manifest; undefined when the text is not one (never throws). */
function parseSizeManifestDocument(text) {
    let doc;
    try {
        doc = JSON.parse(text);
    }
    catch {
        return undefined;
    }
    if (!doc || typeof doc !== 'object' || doc.version !== 1)
        return undefined;
    const list = doc.packages;
    if (!Array.isArray(list))
        return undefined;
    const out = [];
    let total = 0;
    for (const p of list.slice(0, MAX_PACKAGES)) {
        if (!p || typeof p !== 'object')
            continue;
        const { name, version, build, size } = p;
        if (typeof name !== 'string' || !SHORT.test(name) || typeof version !== 'string' || !SHORT.test(version))
            continue;
        // A size no package could have (1e308, 1.5, beyond 2^53 or 1 TiB) is not a size: the record is skipped.
        if (!plausibleSize(size))
            continue;
        out.push({ name, version, build: typeof build === 'string' && SHORT.test(build) ? build : undefined, size });
        total += size;
    }
    const pip = pipList(doc.pip);
    // Installed sizes that add up to more than any image holds: not a size manifest.
    if (total + (pip ?? []).reduce((n, p) => n + (p.size ?? 0), 0) > MAX_IMAGE_BYTES)
        return undefined;
    return pip ? { packages: out, pip } : { packages: out };
}
/** The `n` largest packages by installed size (ties by name). */
function largestPackages(pkgs, n = 10) {
    return [...pkgs].sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).slice(0, n);
}
/** The tar member name of an absolute manifest path (`/opt/x.json` → `opt/x.json`); undefined when the path is not usable. */
function tarMemberName(labelPath) {
    if (!labelPath.startsWith('/') || labelPath.length > 1024 || labelPath.includes('\0'))
        return undefined;
    const parts = labelPath.split('/').filter((s) => s !== '' && s !== '.');
    if (parts.length === 0 || parts.includes('..'))
        return undefined;
    return parts.join('/');
}

;// CONCATENATED MODULE: ./src/sizes/layer-tar.ts
// A layer blob as the tar it holds, for each media type a pushed image can have: gzip (and
// eStargz, which is gzip with a table of contents), zstd, uncompressed. zstd is decompressed
// with Node's own zlib where this Node has it (22.15 / 23.8 and later); elsewhere the layer
// is "unreadable here", said as such, never a crash.

/** Node's `zlib.zstdDecompressSync`, when this Node has it. */
function nodeZstd() {
    const f = (external_node_zlib_default()).zstdDecompressSync;
    return typeof f === 'function' ? f : undefined;
}
/**
 * The tar of a layer of `mediaType`, at most `maxOutput` bytes of it (a bigger one throws, as
 * does a corrupt stream). `zstd`: the decompressor, default Node's when it has one.
 */
function layerTar(mediaType, bytes, maxOutput, zstd = nodeZstd()) {
    const mt = mediaType ?? '';
    if (/[.+]gzip$/.test(mt))
        return { tar: external_node_zlib_default().gunzipSync(bytes, { maxOutputLength: maxOutput }) };
    if (/[.+]zstd$/.test(mt)) {
        if (!zstd)
            return {
                missing: `its last layer is zstd-compressed (${mt}) and this Node.js ${process.version} cannot decompress zstd (Node.js 22.15 and later can)`,
                unreadable: true,
            };
        return { tar: zstd(bytes, { maxOutputLength: maxOutput }) };
    }
    if (/[.]tar$/.test(mt))
        return { tar: bytes };
    return { missing: `its last layer is ${mt || 'of an unknown media type'}` };
}

;// CONCATENATED MODULE: ./src/sizes/read.ts
// Reads a base image's size manifest cheaply: the image's config (for the label naming the
// file) and its last layer — one small blob fetched by digest, un-gzipped, and the one file
// taken from the tar — never the whole image.



const read_CONFIG_MAX_BYTES = 16 * 1024 * 1024;
function platformOf(d) {
    const p = d.platform;
    return p ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : 'unknown';
}
/** The image manifest of `platform` (default: linux/amd64, else the first image) under an index. */
async function imageManifest(port, ref, platform) {
    let m = (await port.manifest(ref))?.manifest;
    for (let depth = 0; m && Array.isArray(m.manifests); depth++) {
        if (depth > 2)
            return undefined;
        const images = m.manifests.filter((d) => d && typeof d.digest === 'string' && d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest');
        const want = platform ?? 'linux/amd64';
        const pick = images.find((d) => platformOf(d) === want) ?? (platform ? undefined : images[0]);
        if (!pick)
            return undefined;
        m = (await port.manifest(pick.digest))?.manifest;
    }
    return m;
}
/** The bytes of one regular file of a tar archive, at most `max` bytes; undefined when absent. */
async function tarFile(tar, member, max) {
    // tar-stream (with streamx) loads only when a size manifest is read out of a layer.
    const ex = (await __webpack_require__.e(/* import() */ 118).then(__webpack_require__.t.bind(__webpack_require__, 56118, 19))).extract();
    ex.end(tar);
    let found;
    for await (const entry of ex) {
        const name = entry.header.name.replace(/^(\.\/|\/)+/, '');
        if (found === undefined && name === member && entry.header.type === 'file' && entry.header.size <= max) {
            const chunks = [];
            for await (const c of entry)
                chunks.push(c);
            found = Buffer.concat(chunks);
        }
        else {
            entry.resume();
        }
    }
    return found;
}
/** An image manifest's last layer as a tar, when it is small enough to read for the files the action puts there. */
async function lastLayerTar(port, m, maxTar) {
    const last = m.layers?.[m.layers.length - 1];
    if (!last?.digest)
        return { missing: 'the image has no layers' };
    if (!(last.size <= MAX_MANIFEST_LAYER_BYTES))
        return { missing: `its last layer is ${last.size} bytes, more than the ${MAX_MANIFEST_LAYER_BYTES} read for a size manifest` };
    try {
        return layerTar(last.mediaType, await port.blob(last.digest, MAX_MANIFEST_LAYER_BYTES), maxTar);
    }
    catch (e) {
        return { missing: `its last layer (${last.mediaType ?? 'of an unknown media type'}) cannot be decompressed (${e.message})` };
    }
}
/** The path the size manifest label names in an image config, or why there is none. */
function sizeManifestPath(config) {
    const label = config?.config?.Labels?.[constants/* Labels */.gC.SizeManifest];
    const member = typeof label === 'string' ? tarMemberName(label) : undefined;
    if (typeof label !== 'string' || !member)
        return { missing: `no ${constants/* Labels */.gC.SizeManifest} label` };
    return { label, member };
}
/**
 * The size manifest of the image at `ref`, or why there is none. Reads the config and, when
 * the label names a manifest, the last layer if it is small; errors of the registry propagate.
 */
async function readSizeManifest(port, ref, platform) {
    const m = await imageManifest(port, ref, platform);
    if (!m?.config?.digest)
        return { missing: 'no image manifest for the platform' };
    const path = sizeManifestPath(JSON.parse((await port.blob(m.config.digest, read_CONFIG_MAX_BYTES)).toString('utf8')));
    if ('missing' in path)
        return path;
    const layer = await lastLayerTar(port, m, MAX_MANIFEST_FILE_BYTES + 1024 * 1024);
    if ('missing' in layer)
        return layer;
    const file = await tarFile(layer.tar, path.member, MAX_MANIFEST_FILE_BYTES).catch(() => undefined);
    if (!file)
        return { missing: `its last layer does not hold ${path.label}` };
    const manifest = parseSizeManifestDocument(file.toString('utf8'));
    return manifest ?? { missing: `${path.label} is not a size manifest` };
}

;// CONCATENATED MODULE: ./src/sizes/changes.ts
// Every package change between two bases, from their size manifests: each conda package
// whose version or build changed, that was added or removed — or, with the same version and
// build, whose installed size changed — once, with its installed-size change. A patch
// release of the same size is a change like any other. Pure.
//
// The pip-installed distributions are compared the same way (everyPipChange), by their
// normalised name (PEP 503), when both manifests list them: a manifest without a pip list
// says nothing about pip, so nothing is said. A distribution's size is the bytes its RECORD
// lists, where it lists them; a change whose size is not known on both sides has no delta.

/** One record per name: the last one wins (a manifest lists each conda package once; a second record replaces the first). */
function packagesByName(pkgs) {
    const m = new Map();
    for (const p of pkgs)
        m.set(p.name, p);
    return m;
}
function kindOf(before, after) {
    if (!before)
        return after ? 'added' : undefined;
    if (!after)
        return 'removed';
    if (before.version !== after.version || (before.build ?? '') !== (after.build ?? ''))
        return 'updated';
    // An unknown size is not a change of size.
    return before.size !== undefined && after.size !== undefined && before.size !== after.size ? 'resized' : undefined;
}
function deltaOf(before, after) {
    if ((before && before.size === undefined) || (after && after.size === undefined))
        return undefined;
    return (after?.size ?? 0) - (before?.size ?? 0);
}
/** The order of a change list: the largest installed-size change first (an unknown one counts as none), then by name, conda before pip. */
function byChangeSize(x, y) {
    return Math.abs(y.delta ?? 0) - Math.abs(x.delta ?? 0) || compareText(x.name, y.name) || (x.pip ? 1 : 0) - (y.pip ? 1 : 0);
}
function changesOf(prev, cur, pip) {
    const out = [];
    for (const key of new Set([...prev.keys(), ...cur.keys()])) {
        const b = prev.get(key);
        const a = cur.get(key);
        const kind = kindOf(b, a);
        if (!kind)
            continue;
        const delta = deltaOf(b, a);
        out.push({
            name: (a ?? b).name,
            kind,
            ...(pip ? { pip: true } : {}),
            ...(b ? { before: b } : {}),
            ...(a ? { after: a } : {}),
            ...(delta === undefined ? {} : { delta }),
        });
    }
    return out;
}
/**
 * Every package that differs between `before` and `after`, each name once; the largest
 * installed-size change first (by magnitude), then by name. Unchanged packages are left out.
 */
function everyPackageChange(before, after) {
    return changesOf(packagesByName(before), packagesByName(after), false).sort(byChangeSize);
}
/** A pip distribution's name as pip compares names (PEP 503): lower case, runs of `-`, `_`, `.` one `-`. */
function normalizePipName(name) {
    return name.replace(/[-_.]+/g, '-').toLowerCase();
}
/** One record per normalised name: the last one wins. */
function pipByName(dists) {
    const m = new Map();
    for (const d of dists)
        m.set(normalizePipName(d.name), d);
    return m;
}
/**
 * Every pip distribution that differs between `before` and `after` (version changed, added,
 * removed, or the same version with another known size), each normalised name once, in the
 * order of everyPackageChange. Undefined when either base has no pip list: nothing is known.
 */
function everyPipChange(before, after) {
    if (!before || !after)
        return undefined;
    return changesOf(pipByName(before), pipByName(after), true).sort(byChangeSize);
}
/** How many changes of each kind, their installed-size change in total (of those whose size is known), how many are pip's and how many have no known size. */
function changeTotals(changes) {
    const t = { added: 0, removed: 0, updated: 0, resized: 0, delta: 0, pip: 0, unsized: 0 };
    for (const c of changes) {
        t[c.kind]++;
        if (c.pip)
            t.pip++;
        if (c.delta === undefined)
            t.unsized++;
        else
            t.delta += c.delta;
    }
    return t;
}

;// CONCATENATED MODULE: ./src/sizes/local.ts
// The size manifest of an image in the local Docker engine (the local-engine store, or a
// base built with `push: false`): the label from `docker image inspect`, the one file with
// `docker create` + `docker cp` (no container is started, nothing is pulled), then the
// container is removed.






const DOCKER_TIMEOUT_MS = 60_000;
/** Reads the size manifest of the local image `ref` (`repo:tag`); `missing` says why there is none. */
async function readLocalSizeManifest(ref, proc) {
    const docker = (args) => proc.run('docker', args, { timeoutMs: DOCKER_TIMEOUT_MS, maxBuffer: 1024 * 1024 });
    const inspect = await docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', ref]);
    if (inspect.code !== 0)
        return { missing: `${ref} is not in the local engine` };
    let labels;
    try {
        labels = JSON.parse(inspect.stdout);
    }
    catch {
        return { missing: 'unreadable labels' };
    }
    const label = labels?.[constants/* Labels */.gC.SizeManifest];
    if (typeof label !== 'string' || !tarMemberName(label))
        return { missing: `no ${constants/* Labels */.gC.SizeManifest} label` };
    const created = await docker(['create', '--pull', 'never', ref]);
    const id = created.stdout.trim();
    if (created.code !== 0 || !/^[0-9a-f]{12,64}$/.test(id))
        return { missing: `docker create failed: ${created.stderr.trim()}` };
    const dir = await (0,promises_.mkdtemp)(external_node_path_default().join(external_node_os_default().tmpdir(), 'size-manifest-'));
    try {
        const cp = await docker(['cp', `${id}:${label}`, dir]);
        if (cp.code !== 0)
            return { missing: `the image does not hold ${label}` };
        const file = local_readBounded(external_node_path_default().join(dir, external_node_path_default().posix.basename(label)), MAX_MANIFEST_FILE_BYTES);
        const manifest = file ? parseSizeManifestDocument(file.toString('utf8')) : undefined;
        return manifest ?? { missing: `${label} is not a size manifest` };
    }
    finally {
        await docker(['rm', '-f', id]).catch(() => undefined);
        await (0,promises_.rm)(dir, { recursive: true, force: true });
    }
}
/**
 * A regular file of at most `max` bytes (the copy from the image), else undefined. Read as
 * every file the action opens (src/fs/confined.ts): the image decides what `docker cp` puts
 * there, and a FIFO or a device must not hang the open.
 */
function local_readBounded(file, max) {
    try {
        return (0,confined/* readFileBoundedSync */.ri)(file, file, { maxBytes: max, follow: false });
    }
    catch (e) {
        if ((0,confined/* isConfinedError */.pY)(e))
            return undefined;
        throw e;
    }
}

;// CONCATENATED MODULE: ./src/sizes/package-sizes.ts
// The "what makes the base big" figures of a run: the size manifest of the base (and of the
// previous base when a new one was built), read from the registry, turned into report data.





/** The reader's port over a registry client and one repository. */
function registryManifestPort(client, name) {
    return {
        manifest: async (ref) => {
            const m = await client.getManifest(name, ref);
            return m && { digest: m.digest, manifest: m.manifest, mediaType: m.mediaType, size: m.size };
        },
        blob: (digest, maxBytes) => client.blob(name, digest, maxBytes),
    };
}
/** From the registry: the last layer by digest. `platform` is picked under an index (default linux/amd64, else the first). */
function registryReader(client, name, platform) {
    const port = registryManifestPort(client, name);
    return (ref) => readSizeManifest(port, ref, platform);
}
/** From the local engine (`docker create` + `docker cp` of the one file). */
function localReader(name, proc) {
    return (ref) => readLocalSizeManifest((0,reference/* formatReference */.FH)(name, ref.startsWith('sha256:') ? undefined : ref, ref.startsWith('sha256:') ? ref : undefined), proc);
}
/** The packages section's data; undefined when the base has no readable size manifest (no warning: custom bases need not have one). */
async function packagesReport(input) {
    const [cur, prev] = await Promise.all([input.read(input.ref), input.previousTag ? input.read(input.previousTag) : undefined]);
    if ('missing' in cur && cur.unreadable) {
        const m = `Could not read the size manifest of the base: ${cur.missing}; the largest packages are not reported`;
        if (input.log.warning)
            input.log.warning(m);
        else
            input.log.debug(m);
        return undefined;
    }
    if ('missing' in cur) {
        input.log.debug(`No size manifest in the base (${cur.missing}): the largest packages are not reported`);
        return undefined;
    }
    if (prev && 'missing' in prev)
        input.log.debug(`No size manifest in the previous base ${input.previousTag} (${prev.missing})`);
    let changes;
    if (prev && 'packages' in prev) {
        // pip changes only when both manifests list pip distributions: a base without the list says nothing about pip.
        const pip = everyPipChange(prev.pip, cur.pip);
        if (!pip && (prev.pip || cur.pip))
            input.log.debug(`pip changes not reported: ${prev.pip ? 'the new base' : `the previous base ${input.previousTag}`} lists no pip distributions`);
        const list = everyPackageChange(prev.packages, cur.packages);
        changes = { previousTag: input.previousTag, list: pip ? [...list, ...pip].sort(byChangeSize) : list, pipCompared: pip !== undefined };
    }
    // One record per name, as the changes count them: the count and total agree with them.
    const packages = [...packagesByName(cur.packages).values()];
    return {
        largest: largestPackages(packages, 10),
        count: packages.length,
        total: packages.reduce((n, p) => n + p.size, 0),
        changes,
    };
}

;// CONCATENATED MODULE: ./src/sizes/index.ts






;// CONCATENATED MODULE: ./src/sizes/layers.ts
// Why an image changed size: the layers it has that the compared image has not (and the
// other way round), largest first, each named by the Dockerfile step that made it (the image
// config's history `created_by`). Pure.
/** The layers that account for the change from `before` to `after`, largest first (at most `max` of each). */
function layerChanges(before, after, max) {
    const had = new Set(before.map((l) => l.digest));
    const has = new Set(after.map((l) => l.digest));
    const added = after.filter((l) => !had.has(l.digest));
    const removed = before.filter((l) => !has.has(l.digest));
    const top = (ls) => [...ls]
        .sort((a, b) => b.size - a.size)
        .slice(0, max)
        .map((l) => ({ step: stepOfHistory(l.createdBy), bytes: l.size }));
    const sum = (ls) => ls.reduce((n, l) => n + l.size, 0);
    return { added: top(added), removed: top(removed), addedBytes: sum(added), removedBytes: sum(removed) };
}
/**
 * A history entry's `created_by` as the Dockerfile step: BuildKit writes
 * `RUN |2 A=1 B=2 /bin/sh -c <command> # buildkit` and `COPY src /app # buildkit`.
 */
function stepOfHistory(createdBy) {
    if (!createdBy)
        return 'a step of an earlier image (no history)';
    return createdBy
        .replace(/\s*# buildkit$/, '')
        .replace(/^RUN \|\d+(?: \S+=\S*)* /, 'RUN ')
        .replace(/^RUN \/bin\/sh -c /, 'RUN ')
        .replace(/^\/bin\/sh -c #\(nop\) /, '')
        .replace(/^\/bin\/sh -c /, 'RUN ')
        .replace(/\s+/g, ' ')
        .trim();
}

;// CONCATENATED MODULE: ./src/sizes/size-measure.ts
// What a size measures, and which two sizes can be compared. The registry's figure is the
// compressed config and layers; the local engine's (`docker image inspect`) is the image's
// content with the containerd image store (compressed layers, config and manifest — the
// registry's figure plus the manifest's few hundred bytes) and the unpacked size with the
// classic store. Pure.
function measureOf(s) {
    return s.measure ?? 'registry';
}
const COMPRESSED = new Set(['registry', 'engine-compressed']);
/** Whether `a` and `b` measure the same thing (both compressed, or both the classic store's unpacked size). */
function comparableSizes(a, b) {
    const ka = measureOf(a);
    const kb = measureOf(b);
    return (COMPRESSED.has(ka) && COMPRESSED.has(kb)) || (ka === 'engine-uncompressed' && kb === 'engine-uncompressed');
}
/** How the report names what a size measures. */
const MEASURE_WORDS = {
    registry: 'compressed',
    'engine-compressed': 'compressed (in the local engine: layers, config and manifest)',
    'engine-uncompressed': 'unpacked (in the local engine)',
    'engine-unknown': 'in the local engine (what it measures is unknown)',
};
/** Why two sizes are not compared. */
function notComparableWhy(size, other) {
    return `it is ${MEASURE_WORDS[measureOf(other)]}, this one ${MEASURE_WORDS[measureOf(size)]}`;
}

;// CONCATENATED MODULE: ./src/sizes/changed-layers.ts
// What a node downloads: the compressed bytes of an image's layers that the image it already
// has does not have, by layer digest, per platform manifest (a node pulls one platform; a
// layer it has, under any name, is not pulled again). Pure.
/** Each digest once (an image may list a layer twice; a node pulls it once). */
function unique(layers) {
    const seen = new Map();
    for (const l of layers)
        if (!seen.has(l.digest))
            seen.set(l.digest, l);
    return [...seen.values()];
}
/**
 * The compared image's layers for `platform`: those of the same platform; two single-platform
 * images are one platform whatever they call it (a manifest without an index names none).
 */
function comparedLayers(platform, now, before) {
    const same = before.find((b) => b.platform === platform);
    if (same)
        return same.layers;
    return now.length === 1 && before.length === 1 ? before[0].layers : undefined;
}
/** The figures of `now` against `before` (the image compared with, named `against`). */
function changedBytes(now, before, against) {
    const platforms = now.map((p) => {
        const had = comparedLayers(p.platform, now, before);
        const have = new Set((had ?? []).map((l) => l.digest));
        const layers = unique(p.layers);
        const total = layers.reduce((n, l) => n + l.size, 0);
        const changed = layers.filter((l) => !have.has(l.digest)).reduce((n, l) => n + l.size, 0);
        return { platform: p.platform, changed, total, compared: had !== undefined };
    });
    return {
        against,
        changed: platforms.reduce((n, p) => n + p.changed, 0),
        total: platforms.reduce((n, p) => n + p.total, 0),
        platforms,
    };
}

;// CONCATENATED MODULE: ./src/sizes/platform-layers.ts
// The layers (digest, compressed size) of each platform manifest of an image in a registry:
// what changed.ts compares. Reads manifests only (never a blob), through the registry client
// (its own bounds: sizes, shapes, redirects), in a walk bounded in depth and manifests read.


/** Layers one image manifest may list before the read gives up (containerd refuses more than 127). */
const MAX_LAYERS = 1024;
function layersOf(m, at) {
    if (!Array.isArray(m.layers))
        throw new Error(`${at} lists no layers`);
    if (m.layers.length > MAX_LAYERS)
        throw new Error(`${at} lists ${m.layers.length} layers, more than the ${MAX_LAYERS} read`);
    return m.layers.map((l) => {
        if (typeof l?.digest !== 'string' || !plausibleSize(l.size))
            throw new Error(`${at} lists a layer without a digest and a plausible size`);
        return { digest: l.digest, size: l.size };
    });
}
/** Every platform's layers of `ref` (attestation manifests left out); undefined when the image does not exist. */
async function readPlatformLayers(src, name, ref) {
    const top = await src.getManifest(name, ref);
    if (!top)
        return undefined;
    const out = [];
    let read = 1;
    const walk = async (m, platform, depth) => {
        const body = (m.manifest ?? {});
        const at = `${name.repository}@${m.digest}`;
        if (!Array.isArray(body.manifests)) {
            out.push({ platform, layers: layersOf(body, at) });
            return;
        }
        if (depth >= MAX_INDEX_DEPTH)
            throw new Error(`${at} nests image indexes more than ${MAX_INDEX_DEPTH} deep`);
        const children = body.manifests.filter((d) => d && typeof d.digest === 'string' && !isAttestation(d));
        read += children.length;
        if (read > MAX_MANIFESTS_WALKED)
            throw new Error(`${at} and the indexes under it list more than the ${MAX_MANIFESTS_WALKED} manifests read`);
        for (const d of children) {
            const child = await src.getManifest(name, d.digest);
            if (!child)
                throw new Error(`${name.repository}@${d.digest}, listed in ${at}, does not exist`);
            await walk(child, platformString(d.platform), depth + 1);
        }
    };
    await walk(top, 'unknown', 0);
    return out;
}

;// CONCATENATED MODULE: ./src/phases/timing.ts
// Phases run as timed log groups; the timings go into the report.


class PhaseTimer {
    log;
    clock;
    list = [];
    /** The phase running now (named in the report of a failure). */
    current;
    constructor(log, clock) {
        this.log = log;
        this.clock = clock;
    }
    /** Starts timing work that runs in the background until a phase waits for it. */
    track(start) {
        const startMs = this.clock.monotonicMs();
        let end;
        const promise = start();
        const settle = () => {
            end = this.clock.monotonicMs();
        };
        promise.then(settle, settle);
        return { promise, startMs, endMs: () => end };
    }
    /**
     * Runs the phase `name`. With `work` (started earlier), the phase's own time is the work's,
     * from its start to when it settled, and the phases it ran alongside are named.
     */
    async run(name, f, work) {
        this.current = name;
        const start = this.clock.monotonicMs();
        try {
            return await this.log.group(name, f);
        }
        finally {
            const end = this.clock.monotonicMs();
            this.list.push(phaseTiming(name, start, end, work && { startMs: work.startMs, endMs: work.endMs() ?? end }, this.list));
        }
    }
}
/**
 * A phase's timing: its own time is the union of its work started earlier and the phase
 * itself (the work's time, plus what the phase did after the work settled); the phases
 * that ran while its work was under way are named.
 */
function phaseTiming(name, start, end, work, before) {
    if (!work || work.startMs >= start)
        return { name, ms: Math.round(end - start), startMs: start, endMs: end };
    const workEnd = Math.min(work.endMs, end);
    const ms = workEnd - work.startMs + (end - Math.max(start, workEnd));
    // The phases that ran while the work was under way (started before it settled, ended after it started).
    const overlapped = before.filter((p) => p.startMs !== undefined && p.endMs !== undefined && p.endMs > work.startMs && p.startMs < workEnd).map((p) => p.name);
    return { name, ms: Math.round(ms), startMs: work.startMs, endMs: end, ...(overlapped.length ? { overlapped } : {}) };
}
/**
 * Runs `f`; a failure that is not the user's becomes a warning ("Could not <what>") and
 * undefined. A read the end of the run cut short (a run that failed before it needed it) is
 * no warning.
 */
async function tolerate(log, what, f) {
    try {
        return await f();
    }
    catch (e) {
        if ((0,user_error/* isUserError */.iU)(e))
            throw e;
        if (isRunEnded(e))
            return undefined;
        log.warning(`Could not ${what}: ${(0,user_error/* errorMessage */.gJ)(e)}`);
        return undefined;
    }
}

;// CONCATENATED MODULE: ./src/phases/changed-bytes.ts
// The Measure phase's "what a node downloads" (src/sizes/changed.ts): a new base against the
// previous base, the application image against the image it is compared with. Registry
// images only (manifests read through the registry client); a failed read is a warning and
// the figure is absent, never 0.





/** One figure: `now` (name, ref) against the image `before` (read by its digest). */
async function figure(registry, now, before, what, log) {
    const digest = before.image?.digest;
    if (!digest)
        return undefined;
    return tolerate(log, `read the layers of ${what}`, async () => {
        const [a, b] = await Promise.all([readPlatformLayers(registry, now.name, now.ref), readPlatformLayers(registry, before.name, digest)]);
        return a && b ? changedBytes(a, b, before.image.ref) : undefined;
    });
}
/**
 * The figures of a run whose images are in the registry: `base` for a new base next to an
 * application image, `final` for the final image (the base itself when there is no
 * application image). Sets the `changed-bytes` output (empty when there is no figure).
 */
async function changedBytesOf(s, built, compared, ports) {
    const { opts, plan, stores } = s;
    const registry = stores.registry;
    const pushed = plan.pins.measureInStore && !opts.image.local;
    const newBase = plan.choice.action === 'build';
    const base = registry && pushed && newBase
        ? figure(registry, { name: opts.baseRepository, ref: built.base.digest ?? plan.base.tag }, { name: opts.baseRepository, image: compared.previousBase }, 'the new base and the previous base', ports.log)
        : undefined;
    const cmpName = opts.compareTo ? (0,reference/* parseReference */.F2)(opts.compareTo, 'compare-to', { local: opts.image.local }).name : opts.image;
    const app = registry && pushed && plan.app
        ? figure(registry, { name: built.final.name, ref: built.final.digest ?? built.final.tag }, { name: cmpName, image: compared.app }, 'the image and the compared image', ports.log)
        : undefined;
    const [b, a] = await Promise.all([base, app]);
    const final = plan.app ? a : b;
    publishOutputs(ports.results, changedBytesOutputs(final));
    return { ...(plan.app && b ? { base: b } : {}), ...(final ? { final } : {}) };
}

;// CONCATENATED MODULE: ./src/image/build-seconds.ts
// How long a base took to build, kept on the base itself: a label of its image config
// (`Labels.BuildSeconds`), written when the base is pushed and read back when a later run
// reuses it — the time that run did not spend. A label lives in the config, never in a
// layer, so the package layers stay what they are. Pure.

/** Longer than any build a runner allows (a job ends after 6 h; a self-hosted one after 5 days). */
const MAX_BUILD_SECONDS = 30 * 24 * 3600;
/** The label of a build that took `ms` (milliseconds precision, in seconds). */
function buildSecondsLabel(ms) {
    return `${constants/* Labels */.gC.BuildSeconds}=${(Math.max(0, ms) / 1000).toFixed(3)}`;
}
/** The build time a base's labels record, in milliseconds; undefined when there is none or it is not a plausible duration (outside data). */
function recordedBuildMs(labels) {
    const v = labels?.[constants/* Labels */.gC.BuildSeconds];
    if (typeof v !== 'string' || !/^\d{1,9}(\.\d{1,3})?$/.test(v))
        return undefined;
    const s = Number(v);
    return Number.isFinite(s) && s > 0 && s <= MAX_BUILD_SECONDS ? Math.round(s * 1000) : undefined;
}

;// CONCATENATED MODULE: ./src/phases/measure.ts
// Phase 6: sizes — the final image, what it is compared with, the size trend of the bases,
// and what changed in the environment since the previous base. Reads only; a failed read
// is a warning, never the run's failure.















const TREND_POINTS = 8;
function startEarlyMeasure(s, baseDigest, log, after = Promise.resolve()) {
    const { opts, plan, stores } = s;
    const prev = plan.previous;
    const early = {
        previousBase: prev
            ? after.then(() => tolerate(log, 'read the size of the previous base', () => stores.store.size(opts.baseRepository, prev.tag)))
            : undefined,
        changes: after.then(() => environmentChangesOf(s, log)),
        ...(plan.choice.action === 'reuse' ? { reusedBuildMs: after.then(() => reusedBuildMs(s, log)) } : {}),
    };
    if (plan.choice.action !== 'reuse' || !baseDigest)
        return early;
    const digest = baseDigest.catch(() => undefined);
    return {
        ...early,
        trend: after.then(() => trendOf(s, log)),
        packages: after.then(() => digest).then((d) => basePackages(s, { digest: d }, log)),
    };
}
/**
 * `appCompareTo`: the previous image of the stream, read before the builds (see
 * previousAppImage); a base alone is compared with the previous dated base. `early`: the
 * reads already under way (startEarlyMeasure).
 */
async function measurePhase(s, built, appCompareTo, ports, early) {
    const { opts, plan, stores } = s;
    const { log } = ports;
    const sizeStore = plan.pins.measureInStore ? stores.store : stores.engine;
    const measuredRef = built.final.digest && plan.pins.measureByDigest ? built.final.digest : built.final.tag;
    const newBase = plan.app !== undefined && plan.choice.action === 'build';
    // What was not started early starts now (the reads that need no build: startEarlyMeasure).
    const started = early ?? startEarlyMeasure(s, undefined, log);
    // Independent registry reads: run them at once.
    // A registry that gives a size no image could have: the size is unknown, and the report says why.
    let implausible = false;
    const flagged = (p) => p.catch((e) => {
        implausible ||= isImplausibleSize(e);
        throw e;
    });
    const [read, previousBase, changes, trend, baseSize, packages, reusedBuild] = await Promise.all([
        built.final.size ?? tolerate(log, 'read the image size', () => flagged(sizeStore.size(built.final.name, measuredRef))),
        started.previousBase,
        started.changes,
        started.trend ?? trendOf(s, log, plan.base.tag === plan.choice.tag ? built.base.size : undefined),
        newBase
            ? (built.base.size ??
                tolerate(log, 'read the size of the new base', () => sizeStore.size(opts.baseRepository, built.base.digest && plan.pins.measureByDigest ? built.base.digest : plan.base.tag)))
            : undefined,
        started.packages ?? basePackages(s, built.base, log),
        started.reusedBuildMs,
    ]);
    const size = read ? { ...read, ref: built.final.ref } : undefined;
    publishOutputs(ports.results, sizeOutputs(size));
    const base = baseSize ? { size: { ...baseSize, ref: built.base.ref ?? plan.base.tagRef }, compareTo: previousBase } : undefined;
    const [layers, changedBytes] = await Promise.all([
        plan.app && size && appCompareTo ? appLayers(s, built, size, appCompareTo, log) : undefined,
        changedBytesOf(s, built, { previousBase, app: appCompareTo }, ports),
    ]);
    return {
        size,
        compareTo: plan.app ? appCompareTo : previousBase,
        changes,
        trend,
        base,
        packages,
        ...(layers ? { layers } : {}),
        changedBytes,
        ...(reusedBuild !== undefined ? { reusedBuildMs: reusedBuild } : {}),
        ...(!size && implausible ? { sizeImplausible: true } : {}),
    };
}
/** How long the reused base took to build when it was built, from its label (none on a base built before the label existed). */
async function reusedBuildMs(s, log) {
    const labels = await tolerate(log, 'read the labels of the reused base', () => s.stores.store.labels(s.opts.baseRepository, s.plan.base.tag));
    return recordedBuildMs(labels);
}
/** Layers of each list shown. */
const LAYERS_SHOWN = 5;
/**
 * Why the application image changed size: the layers it has that the compared image has
 * not, and the other way round, with the step that made each. Registry images only (their
 * configs carry the history); nothing when the size did not change or the sizes measure
 * different things.
 */
async function appLayers(s, built, size, compareTo, log) {
    const { opts, stores, platforms } = s;
    const store = s.plan.pins.measureInStore ? stores.store : stores.engine;
    if (!store.layers || !stores.store.layers || size.total === compareTo.total || !comparableSizes(size, compareTo))
        return undefined;
    const cmpName = opts.compareTo ? (0,reference/* parseReference */.F2)(opts.compareTo, 'compare-to', { local: opts.image.local }).name : opts.image;
    const [after, before] = await Promise.all([
        tolerate(log, 'read the layers of the image', () => store.layers(built.final.name, built.final.digest ?? built.final.tag, platforms[0])),
        compareTo.digest ? tolerate(log, 'read the layers of the compared image', () => stores.store.layers(cmpName, compareTo.digest, platforms[0])) : undefined,
    ]);
    return after && before ? layerChanges(before, after, LAYERS_SHOWN) : undefined;
}
/**
 * The store's read of a tag the run pushed: its digest and size in one read. A registry
 * that gives sizes no image could have gives the digest only: the size is unknown (a
 * warning worded as the measure phase's own, so the log shows it once).
 */
async function pushedImage(store, name, tag, log, what) {
    try {
        const size = await store.size(name, tag);
        return size ? { digest: size.digest, size } : {};
    }
    catch (e) {
        if (!isImplausibleSize(e))
            throw e;
        log.warning(`Could not ${what}: ${(0,user_error/* errorMessage */.gJ)(e)}`);
        return { digest: e.digest };
    }
}
/** The previous image of this run's stream (`compare-to`, else the first of compare.ts's tags that exists), read before anything is pushed. */
async function previousAppImage(s) {
    const { opts, stores } = s;
    if (opts.compareTo) {
        const ref = (0,reference/* parseReference */.F2)(opts.compareTo, 'compare-to', { local: opts.image.local });
        return stores.store.size(ref.name, ref.digest ?? ref.tag ?? 'latest');
    }
    for (const tag of comparisonTags(s.ctx)) {
        const size = await stores.store.size(opts.image, tag);
        if (size)
            return size;
    }
    return undefined;
}
/**
 * What makes the base big: its size manifest, read from the registry (the last layer by
 * digest) when the base is there, else from the local engine. No manifest (a custom base
 * Dockerfile): no section, no warning.
 */
async function basePackages(s, base, log) {
    const { opts, plan, stores, platforms } = s;
    if (!stores.sizeManifests)
        return undefined;
    const inRegistry = Boolean(stores.registry) && (plan.push.enabled || plan.choice.action === 'reuse');
    try {
        return await packagesReport({
            read: stores.sizeManifests(opts.baseRepository, inRegistry ? 'registry' : 'engine', platforms[0]),
            ref: inRegistry ? (base.digest ?? plan.choice.tag) : plan.choice.tag,
            previousTag: plan.choice.action === 'build' ? plan.previous?.tag : undefined,
            log,
        });
    }
    catch (e) {
        log.info(`Could not read the size manifest of the base: ${(0,user_error/* errorMessage */.gJ)(e)}`);
        return undefined;
    }
}
/** What changed since the previous base, when a new base is (or would be) built. */
function environmentChangesOf(s, log) {
    const prev = s.plan.previous;
    if (s.plan.choice.action !== 'build' || !prev)
        return Promise.resolve(undefined);
    return tolerate(log, 'read the previous base environment', () => environmentChanges(s.opts, s.ctx.workspace, s.stores.store, prev, s.fp));
}
/** What differs between the environment of the previous base (read back from its label) and this one. */
async function environmentChanges(opts, workspace, store, prev, fp) {
    const labels = await store.labels(opts.baseRepository, prev.tag);
    const label = labels?.[constants/* Labels */.gC.EnvDocument];
    if (label && isTruncatedDocumentLabel(label)) {
        return {
            changes: [
                {
                    section: 'environment',
                    kind: 'changed',
                    item: `${prev.tag}'s environment document was too large to keep in its label — what changed is unavailable`,
                },
            ],
            previousTag: prev.tag,
        };
    }
    const doc = label ? parseDocumentLabel(label) : undefined;
    if (!doc)
        return { changes: [{ section: 'environment', kind: 'changed', item: `${prev.tag} carries no environment document label` }], previousTag: prev.tag };
    const changes = withRequirementLines(diffDocuments(doc, fp.document), parseFileLinesLabel(labels?.[constants/* Labels */.gC.EnvFiles]), fingerprintFileLines(fp, opts.environmentFile, workspace));
    return { changes, previousTag: prev.tag };
}
/** The size trend of this environment's bases (a failed read is a warning); `current`: the base this run pushed, already read. */
function trendOf(s, log, current) {
    const { opts, plan, stores, lookup, fp } = s;
    return tolerate(log, 'read the size trend', () => sizeTrend(opts, stores.store, lookup.dated ?? [], plan.choice.tag, fp.hash, plan.pins.measureInStore, current));
}
async function sizeTrend(opts, store, dated, baseTag, envHash, includeCurrent, current) {
    const all = includeCurrent ? withTag(dated, baseTag, opts.baseTagPrefix) : dated;
    const picked = trendTags(all, envHash, TREND_POINTS);
    // `current`: the base this run pushed, already read.
    const read = (tag) => (current && tag === baseTag ? Promise.resolve(current) : store.size(opts.baseRepository, tag));
    const sizes = await Promise.all(picked.map(async (t) => ({ tag: t.tag, size: await read(t.tag) })));
    return sizes.filter((s) => s.size).map((s) => ({ tag: s.tag, bytes: s.size.total }));
}

;// CONCATENATED MODULE: ./src/phases/build.ts
// Phase 5b: one build — retried once when its push fails for a reason that is not the
// user's, with the BuildKit cache restored from and saved to the Actions cache when that
// backend is on. Also the pieces both builds share (the build step, cache refs, labels, the report entry).








/**
 * A push can fail on a registry hiccup that is not the user's fault — e.g. a 500 while
 * another job writes the same dated tag at the same moment (two nightly schedules). The
 * rebuild is all cache hits, so such a build is tried once more before the step fails.
 */
async function buildRetrying(spec, tc, ports) {
    const opts = { log: (l) => ports.log.output(l), env: tc.env };
    try {
        return await ports.buildx.build(spec, opts);
    }
    catch (e) {
        if ((0,user_error/* isUserError */.iU)(e) || spec.output !== 'push')
            throw e;
        ports.log.warning(`The build or its push failed (${(0,user_error/* errorMessage */.gJ)(e).split('\n')[0]}); trying once more`);
        return ports.buildx.build(spec, opts);
    }
}
/**
 * A build whose image records how long it took (the base: what a later run that reuses it
 * did not spend). The build runs first with no output — the result stays in the build cache,
 * nothing is exported — then once more, every step from that cache, exported (and pushed)
 * with the solve's time as a label of the image config (src/image/build-seconds.ts). A solve
 * that ran no step (all from the cache) reproduces an earlier base: it carries that base's
 * label (so a fully cached rebuild keeps its digest), or records nothing — its own time is
 * not what the base took to build. Steps, cache hits and time in the report are the
 * solve's (plus the export's).
 */
async function buildRecordingTime(spec, tc, ports, record) {
    const solve = { ...spec, output: 'none', cacheTo: undefined, metadataFile: spec.metadataFile.replace(/(\.json)?$/, '-solve.json') };
    const solved = await ports.buildx.build(solve, { log: (l) => ports.log.output(l), env: tc.env });
    const ran = solved.steps.some((st) => !st.cached);
    const ms = ran ? solved.durationMs : await record.carried?.();
    const labels = ms !== undefined ? [...spec.labels, buildSecondsLabel(ms)] : spec.labels;
    const exported = await buildRetrying({ ...spec, labels, noCache: false }, tc, ports);
    return withTrial(exported, solved);
}
/**
 * The one build step of the base and the application: the build, run under its phase name and
 * logged with its command; its report row (a trial's steps counted); and, with `readBack`, the
 * store's digest and size of the tag in one read (else the build's own digest).
 */
async function buildStep(kind, o, s, tc, timer, ports) {
    const outcome = await timer.run(o.phase, async () => {
        if (o.reason)
            ports.log.info(o.reason);
        const spec = await o.spec();
        ports.log.info((0,argv/* displayCommand */.kc)(spec));
        const built = await runOneBuild(kind, spec, { ...s, platforms: s.plan.job.platforms }, tc, ports, o.recordTime);
        const oversize = await oversizeCaches(spec, built.outcome, s.stores.manifests, ports);
        for (const n of oversize)
            ports.log.warning(`The ${kind} build: ${n}.`);
        return oversize.length === 0
            ? built
            : { ...built, outcome: { ...built.outcome, cacheNote: [built.outcome.cacheNote, ...oversize].filter(Boolean).join('; ') } };
    });
    const report = buildReport(kind, o.ref, withTrial(outcome.outcome, o.trial), outcome.note, o.dockerfile);
    for (const n of report.cacheImport ?? [])
        ports.log.warning(`The ${kind} build: ${n}.`);
    const stored = o.readBack ? await pushedImage(s.stores.store, o.readBack.name, o.readBack.tag, ports.log, o.readBack.what) : {};
    return { report, metadata: outcome.outcome.metadata, digest: stored.digest ?? outcome.outcome.digest, ...(stored.size ? { size: stored.size } : {}) };
}
/**
 * The registry caches this build exported that BuildKit will refuse to import (a cache config
 * over 1 MiB; src/buildx/cache-config.ts), read back from the registry after the export: notes
 * for the report (and warnings). A cache manifest that cannot be read is a debug line.
 */
async function oversizeCaches(spec, o, manifests, ports) {
    if (o.cacheExport !== 'exported' || !manifests)
        return [];
    const notes = [];
    for (const ref of (0,argv/* cacheTos */.z5)(spec).map(registryCacheRef)) {
        if (ref === undefined)
            continue;
        try {
            const r = (0,reference/* parseReference */.F2)(ref, 'cache ref');
            const m = await manifests.getManifest(r.name, r.digest ?? r.tag ?? 'latest');
            const bytes = cacheConfigBytes(m?.manifest);
            if (bytes === undefined) {
                ports.log.debug(`the registry cache ${ref}: no cache config in its manifest; its size is not checked`);
                continue;
            }
            ports.log.debug(`the registry cache ${ref}: a cache config of ${bytes} bytes`);
            const note = oversizeCacheNote(`the registry cache ${ref}`, bytes);
            if (note)
                notes.push(note);
        }
        catch (e) {
            ports.log.debug(`the registry cache ${ref} could not be read back (${(0,user_error/* errorMessage */.gJ)(e).split('\n')[0]}); its size is not checked`);
        }
    }
    return notes;
}
/**
 * Runs one build; with the Actions cache on, restores it first (once a run per cache
 * directory) and saves it after.
 * `recordTime`: the image records how long its build took (buildRecordingTime).
 */
async function runOneBuild(kind, spec, s, tc, ports, recordTime) {
    const build = (sp) => (recordTime ? buildRecordingTime(sp, tc, ports, recordTime) : buildRetrying(sp, tc, ports));
    if (!tc.cache.actions)
        return { outcome: await build(spec) };
    const cacheLog = ports.log;
    const plan = ports.actionsCache.plan({
        kind,
        envHash: s.fp.hash,
        branch: cacheBranch(s.env, s.ctx.pullRequest?.number),
        // Read once, bounded, with the rest of the event payload (src/context/run-context.ts).
        defaultBranch: s.ctx.defaultBranch,
        platform: s.platforms.join(','),
        revision: s.ctx.sha,
    });
    // A second build of one kind in a run (a smoke test's trial, then the push) finds the cache
    // directory as the first left it: restored, then swapped for that build's export. It is not
    // downloaded again.
    const filled = tc.actionsCacheDirs;
    const earlier = filled.get(plan.dir);
    const restored = earlier === undefined ? await ports.actionsCache.restore(plan, cacheLog) : undefined;
    const hit = restored ? restored.hit === 'exact' || restored.hit === 'partial' : earlier;
    const local = buildxLocalCacheArgs(plan.dir, s.opts.cacheMode);
    const outcome = await build({ ...spec, cacheFrom: hit ? [...spec.cacheFrom, local.cacheFrom] : spec.cacheFrom, cacheTo: [...(0,argv/* cacheTos */.z5)(spec), local.cacheTo] });
    const finished = await ports.actionsCache.finish(plan.dir, cacheLog);
    // BuildKit imports a local cache's config with the same 1 MiB ceiling as a registry's.
    const oversize = finished.exported && finished.configBytes !== undefined ? oversizeCacheNote('the build cache for the Actions cache', finished.configBytes) : undefined;
    if (oversize)
        ports.log.warning(`The ${kind} build: ${oversize}.`);
    filled.set(plan.dir, hit || finished.exported);
    const saved = finished.exported
        ? await ports.actionsCache.save(plan, { changed: finished.changed, maxBytes: s.opts.actionsCacheMaxBytes }, cacheLog)
        : 'failed';
    const from = !restored
        ? earlier
            ? "this run's earlier build's cache (not restored again)"
            : "this run's earlier build left no cache (not restored again)"
        : hit
            ? `restored ${restored.hit} (${restored.matchedKey})`
            : restored.hit;
    const note = `Actions cache: ${from}, save ${saved}${oversize ? `; ${oversize}` : ''}`;
    ports.log.info(note);
    return { outcome: { ...outcome, cacheExport: cacheExportOf((0,argv/* cacheTos */.z5)(spec).length > 0, outcome.cacheExport, saved) }, note };
}
/**
 * Where the build cache went, as the report says it: buildx's export to the registry (when
 * one was asked for) and the Actions cache save. An export to the local directory that was
 * not saved (Actions cache unavailable, too large, failed) exported nothing anyone can use.
 */
function cacheExportOf(registry, buildx, saved) {
    if (registry)
        return buildx;
    if (buildx !== 'exported')
        return buildx;
    if (saved === 'saved' || saved === 'exists' || saved === 'skipped-unchanged')
        return 'exported';
    return saved === 'failed' ? 'failed' : 'skipped';
}
/** `--cache-from`/`--cache-to` of a registry cache ref, as this run may use them. */
function registryCache(ref, s, tc) {
    return {
        cacheFrom: tc.cache.registry ? [`type=registry,ref=${ref}`] : [],
        cacheTo: tc.cache.registry && s.plan.push.enabled && tc.cache.export ? (0,argv/* cacheToValue */.NO)(ref, s.opts.cacheMode) : undefined,
    };
}
function ociLabels(ctx, sourceDate) {
    const out = [`${constants/* Labels */.gC.Created}=${(sourceDate?.date ?? ctx.now).toISOString()}`];
    if (ctx.repository)
        out.push(`${constants/* Labels */.gC.Source}=${ctx.serverUrl}/${ctx.repository}`);
    if (ctx.sha)
        out.push(`${constants/* Labels */.gC.Revision}=${ctx.sha}`);
    return out;
}
/** The report's entry of a build; `dockerfile`: the text built, to name heredoc steps by their command. */
function buildReport(kind, ref, o, actionsCacheNote, dockerfile) {
    return {
        kind,
        ref,
        digest: o.digest,
        cachedSteps: o.cachedSteps,
        totalSteps: o.totalSteps,
        durationMs: o.durationMs,
        steps: o.steps.map((st) => ({ ...st, name: stepName(st.name, dockerfile) })),
        cacheExport: o.cacheExport,
        cacheNote: [o.cacheNote, actionsCacheNote].filter(Boolean).join('; ') || undefined,
        ...(o.cacheImportNotes?.length ? { cacheImport: o.cacheImportNotes } : {}),
    };
}
/**
 * A pushing build that follows a smoke test's trial build is the same build again, all cached:
 * the run's steps, cache hits and time are the trial's (plus the push's time).
 */
function withTrial(pushed, trial) {
    if (!trial)
        return pushed;
    return { ...pushed, cachedSteps: trial.cachedSteps, totalSteps: trial.totalSteps, steps: trial.steps, durationMs: trial.durationMs + pushed.durationMs };
}
/** Cached and total steps over the builds, and their ratio (1 when nothing was built). */
function cacheTotals(builds) {
    const cachedSteps = builds.reduce((n, b) => n + b.cachedSteps, 0);
    const totalSteps = builds.reduce((n, b) => n + b.totalSteps, 0);
    const ratio = totalSteps === 0 ? 1 : Math.round((cachedSteps / totalSteps) * 10_000) / 10_000;
    return { cachedSteps, totalSteps, ratio };
}

;// CONCATENATED MODULE: ./src/phases/app.ts
// Phase 5d: the application image FROM the base (when a `dockerfile` is given), and the
// outputs that name the final image.





function appSpec(s, tc, base, workDir) {
    const { opts, plan, fp, ctx } = s;
    const fromRef = plan.push.enabled && base.digest ? (0,reference/* formatReference */.FH)(opts.baseRepository, plan.base.tag, base.digest) : plan.base.tagRef;
    return {
        context: opts.context,
        dockerfile: opts.dockerfile,
        tags: [...plan.job.appTags],
        buildArgs: [`${constants/* BuildArgNames */.vs.BaseImage}=${fromRef}`, ...opts.buildArgs],
        labels: [...opts.labels, ...ociLabels(ctx, tc.sourceDate), `${constants/* Labels */.gC.EnvHash}=${fp.hash}`],
        sourceDateEpoch: tc.sourceDate?.seconds,
        platforms: [...plan.job.platforms],
        target: opts.target,
        builder: tc.builder,
        dockerContext: tc.dockerContext,
        ...registryCache(plan.job.appCacheRef, s, tc),
        output: plan.push.enabled ? 'push' : 'load',
        metadataFile: external_node_path_default().join(workDir, 'app-metadata.json'),
        compression: opts.compression,
        ...tc.secrets,
    };
}
async function appPhase(s, tc, base, workDir, timer, ports, reads, trial) {
    const { plan, opts } = s;
    const builds = base.build ? [base.build] : [];
    let final = { name: opts.baseRepository, tag: plan.base.tag, digest: base.digest, ...(base.size ? { size: base.size } : {}) };
    let metadata = base.metadata;
    if (plan.app) {
        const { ref: appRef, name, tag } = plan.app;
        // What the tag held before this run (read with the other reads before the builds): a rebuild that changed nothing pushes the same digest.
        const digestBefore = await reads.appDigestBefore;
        const step = await buildStep('app', {
            phase: `Build application ${appRef}`,
            ref: appRef,
            spec: () => appSpec(s, tc, base, workDir),
            trial,
            dockerfile: opts.dockerfileContent,
            // The store's digest of the tag and its size in one read (one round trip fewer than a HEAD, then a GET by digest).
            readBack: plan.pins.finalFromStore ? { name, tag, what: 'read the image size' } : undefined,
        }, s, tc, timer, ports);
        builds.push(step.report);
        metadata = step.metadata;
        final = { name, tag, digest: step.digest, digestBefore, ...(step.size ? { size: step.size } : {}) };
    }
    const ref = (0,reference/* formatReference */.FH)(final.name, final.tag, final.digest);
    const pushed = plan.push.enabled ? [...(base.build ? [plan.base.tagRef] : []), ...(plan.app ? plan.job.appTags : [])] : [];
    publishOutputs(ports.results, finalOutputs({ ref, digest: final.digest, cache: cacheTotals(builds), metadata, pushed }));
    return {
        builds,
        base: { ref: base.ref, digest: base.digest, ...(base.size ? { size: base.size } : {}), ...(base.sbom ? { sbom: base.sbom } : {}) },
        final: { ...final, ref },
        pushed,
    };
}

// EXTERNAL MODULE: ./src/sbom/files.ts
var files = __webpack_require__(39282);
;// CONCATENATED MODULE: ./src/phases/sbom.ts
// Phase 5c': the base's SBOM attached to it as an OCI 1.1 referrer, and the outputs `sbom`
// and `lock`. The SBOM is the file the base build wrote into its last layer (checked by
// src/sbom/cyclonedx.ts: the bytes attached are the bytes in the image); one artifact per
// platform manifest, whose subject it is. A base without an SBOM there (a custom base
// Dockerfile without the contract) gets nothing, and no warning.




/** Left-out records named in one warning, at most this many. */
const LEFT_OUT_SHOWN = 10;
/** The platforms in the run's order (`platforms`), others after them: the first is the one the outputs name. */
function inRunOrder(sboms, platforms) {
    const rank = (p) => {
        const i = platforms.indexOf(p);
        return i < 0 ? platforms.length : i;
    };
    return [...sboms].sort((a, b) => rank(a.platform) - rank(b.platform) || (a.platform < b.platform ? -1 : a.platform > b.platform ? 1 : 0));
}
/** What the SBOMs say was left out, once per record, in one warning; undefined when nothing was. */
function leftOutWarning(sboms, base) {
    const all = [...new Set(sboms.flatMap((s) => ('parsed' in s.sbom ? s.sbom.parsed.leftOut : [])))];
    if (all.length === 0)
        return undefined;
    const shown = all.slice(0, LEFT_OUT_SHOWN).join('; ');
    const more = all.length > LEFT_OUT_SHOWN ? `; and ${all.length - LEFT_OUT_SHOWN} more` : '';
    return `The SBOM and lock of ${base} leave out ${all.length} conda-meta record(s) or field(s) that are not what conda or micromamba write: ${shown}${more}`;
}
/**
 * Attaches the SBOM of each platform of a base the run pushed (`built`), or finds the one
 * attached to a reused base; sets `sbom` and `lock`. Reads and pushes are tolerated: a
 * failure is a warning, never the run's failure.
 */
async function sbomPhase(s, base, ports) {
    const { opts, plan, stores } = s;
    const { log } = ports;
    const name = opts.baseRepository;
    // A loaded base (no push), the local engine store: no registry to attach anything to.
    if (!base.digest || !stores.sboms || !stores.referrers || (base.built && !plan.push.enabled))
        return {};
    const read = await tolerate(log, 'read the SBOM of the base', () => stores.sboms(name, base.digest));
    if (!read || read.length === 0) {
        log.debug(`No SBOM in the last layer of ${(0,reference/* formatName */.nD)(name)}@${base.digest}: nothing attached`);
        return {};
    }
    const sboms = inRunOrder(read, plan.job.platforms);
    const invalid = sboms.filter((p) => 'invalid' in p.sbom);
    if (base.built && invalid.length > 0) {
        const why = invalid.map((p) => `${p.platform}: ${'invalid' in p.sbom ? p.sbom.invalid : ''}`).join('; ');
        log.warning(`The SBOM in the base's last layer (${files/* SBOM_FILE */.HO}) is not one the action attaches, so it was not attached (${why})`);
    }
    const valid = sboms.filter((p) => 'parsed' in p.sbom);
    const referrers = stores.referrers;
    const artifacts = [];
    let first;
    if (base.built) {
        const warning = leftOutWarning(valid, plan.base.tagRef);
        if (warning)
            log.warning(warning);
        for (const p of valid) {
            const attached = await tolerate(log, `attach the SBOM of ${p.platform} to the base`, () => referrers.attach(name, p.subject, { artifactType: files/* SBOM_MEDIA_TYPE */.y_, mediaType: files/* SBOM_MEDIA_TYPE */.y_, bytes: p.sbom.bytes, title: files/* SBOM_FILE */.HO }));
            if (!attached)
                continue;
            log.info(`Attached the SBOM of ${p.platform} to ${(0,reference/* formatName */.nD)(name)}@${p.subject.digest} as ${attached.digest} (${attached.via === 'api' ? 'referrers API' : 'referrers tag schema'})`);
            artifacts.push(attached.digest);
            first ??= p;
        }
    }
    else {
        for (const p of valid) {
            const listed = await tolerate(log, `list the referrers of the base (${p.platform})`, () => referrers.list(name, p.subject.digest));
            const found = listed?.referrers.find((r) => r.artifactType === files/* SBOM_MEDIA_TYPE */.y_);
            if (found)
                artifacts.push(found.digest);
            else
                log.debug(`The reused base has no SBOM referrer for ${p.platform} (built before SBOMs were attached)`);
        }
    }
    const sbom = artifacts[0] ? `${(0,reference/* formatName */.nD)(name)}@${artifacts[0]}` : undefined;
    const lock = sboms.find((p) => p.lock)?.lock;
    publishOutputs(ports.results, sbomOutputs({ sbom, lock }));
    const components = first && 'parsed' in first.sbom ? first.sbom.parsed.components : undefined;
    const attached = sbom && components
        ? {
            ref: sbom,
            platforms: artifacts.length,
            conda: components.filter((c) => c.kind === 'conda').length,
            pip: components.filter((c) => c.kind === 'pypi').length,
            ...(lock ? { lock } : {}),
        }
        : undefined;
    return { ...(sbom ? { sbom } : {}), ...(lock ? { lock } : {}), ...(attached ? { attached } : {}) };
}

;// CONCATENATED MODULE: ./src/phases/report-data.ts
// The report's data, built once from what the run recorded — for a finished run and for a
// failed one alike. Every row is derived here from what happened (the builds that finished,
// the references pushed, the phase that failed), never set in two places, so rows cannot
// contradict each other. Pure.





/** Name prefix of the phase that builds the base (what a failure in it is recognised by). */
const BASE_BUILD_PHASE = 'Build base';
function reportData(r) {
    const { opts, ctx, measured, built } = r;
    return {
        mode: opts.mode,
        image: (0,reference/* formatName */.nD)(opts.image),
        environmentFile: external_node_path_default().relative(ctx.workspace, opts.environmentFile) || opts.environmentFile,
        ...(r.fp?.pixi ? { pixi: { environment: r.fp.pixi.environment, lock: external_node_path_default().relative(ctx.workspace, r.fp.pixi.lock) || r.fp.pixi.lock } } : {}),
        envHash: r.fp?.hash ?? '',
        base: baseReport(r),
        final: built && !r.failure ? finalReport(built, measured ?? {}) : undefined,
        builds: [...r.builds],
        cache: cacheTotals(r.builds),
        phases: [...r.phases],
        push: r.plan?.push ?? { enabled: false, reason: 'not decided' },
        trend: trendAfterRetention(measured?.trend, r.retention),
        budget: built && !r.failure ? [...(r.budget ?? [])] : undefined,
        retention: r.retention,
        packages: measured?.packages,
        warnings: [...r.warnings],
        ...(r.failure ? { failure: r.failure } : {}),
        runUrl: runUrl(ctx),
        pushedTags: [...r.pushed],
        ...(r.smokeTests?.length ? { smokeTests: [...r.smokeTests] } : {}),
    };
}
function runUrl(ctx) {
    return ctx.repository && ctx.runId ? `${ctx.serverUrl}/${ctx.repository}/actions/runs/${ctx.runId}` : undefined;
}
/** What happened to the base, from the plan, the builds that finished and the phase that failed. */
function baseOutcome(r) {
    const { plan } = r;
    if (!plan)
        return undefined;
    const reuse = plan.choice.action === 'reuse';
    if (r.opts.mode === 'plan')
        return reuse ? 'would-reuse' : 'would-build';
    // mode: merge assembles the base from the jobs' parts (written first: a later failure leaves it assembled).
    if (plan.merge?.action === 'assemble')
        return !r.failure || r.pushed.includes(plan.base.tagRef) ? 'assembled' : 'assemble-failed';
    if (reuse)
        return 'reused';
    if (r.builds.some((b) => b.kind === 'base'))
        return 'built';
    if (!r.failure)
        return 'built';
    return r.failure.phase.startsWith(BASE_BUILD_PHASE) ? 'build-failed' : 'not-reached';
}
function baseReport(r) {
    const { plan, measured, fp } = r;
    const outcome = baseOutcome(r);
    if (!plan || !outcome)
        return undefined;
    const previousTag = plan.choice.action === 'build' ? plan.previous?.tag : undefined;
    const baseBuild = r.builds.find((b) => b.kind === 'base');
    return {
        tag: plan.choice.tag,
        ref: r.built?.base.ref ?? r.baseRef,
        outcome,
        decision: plan.choice.decision,
        ageDays: plan.report.ageDays,
        changes: measured?.changes?.changes,
        previousTag,
        previousSameEnvironment: previousTag !== undefined && fp !== undefined && plan.previous?.hash12 === hash12(fp.hash),
        ...(plan.base.build?.pull && baseBuild ? { refresh: refreshReport(plan.base.build.noCache, baseBuild) } : {}),
        ...(plan.merge ? { note: plan.report.note } : {}),
        ...(plan.merge?.action === 'assemble' ? { parts: plan.merge.parts.map((p) => p.tag) } : {}),
        size: measured?.base?.size,
        compareTo: measured?.base?.compareTo,
        ...(measured?.changedBytes?.base ? { changedBytes: measured.changedBytes.base } : {}),
        ...(outcome === 'reused' && measured?.reusedBuildMs !== undefined ? { savedMs: measured.reusedBuildMs } : {}),
        // Only what this run attached to the base it built and pushed: never for a reuse, never without the push.
        ...(outcome === 'built' && r.built?.base.sbom && r.pushed.includes(plan.base.tagRef) ? { sbom: r.built.base.sbom } : {}),
    };
}
function refreshReport(noCache, build) {
    return {
        kind: noCache ? 'full' : 'pull',
        cachedSteps: build.cachedSteps,
        totalSteps: build.totalSteps,
        rebuilt: build.steps.filter((s) => !s.cached).map((s) => s.name),
    };
}
/** The final image; "unchanged" when a build pushed a digest the tag or the compared image already had. */
function finalReport(built, measured) {
    const { ref, digest, name, tag, digestBefore } = built.final;
    const unchangedFrom = built.builds.length
        ? sameDigestAs(digest, [{ ref: (0,reference/* formatReference */.FH)(name, tag), digest: digestBefore }, measured.compareTo ?? {}])
        : undefined;
    return {
        ref,
        digest,
        size: measured.size,
        ...(!measured.size && measured.sizeImplausible ? { sizeImplausible: true } : {}),
        compareTo: measured.compareTo,
        ...(unchangedFrom ? { unchangedFrom } : {}),
        ...(measured.layers ? { layers: measured.layers } : {}),
        ...(measured.changedBytes?.final ? { changedBytes: measured.changedBytes.final } : {}),
    };
}
/** The size trend without the tags this run's retention deleted. */
function trendAfterRetention(trend, retention) {
    if (!trend || !retention || retention.mode !== 'true')
        return trend;
    const deleted = new Set(retention.deleted.map((d) => d.tag));
    return trend.filter((t) => !deleted.has(t.tag));
}

;// CONCATENATED MODULE: ./src/hash/build-context.ts
// The build context of the bundled base template: exactly the files the environment hash
// covers (the fingerprint's own file list — environment file, -r/-c files, local trees pip
// installs from), copied into a fresh directory at their paths relative to one another.
// So the base build cannot read anything the hash does not cover, the context upload stays
// small, and an edit to any other file leaves every step of a refresh build cached.
//
// The context holds the very bytes that were hashed: each file is read again the way the
// hash read it (confined to the workspace, regular files only, opened without blocking or
// following a symlink, bounded), its sha256 compared with the digest the hash took, and the
// bytes read — not the path — written into the context. A file changed, or swapped for a
// symlink or a FIFO, between the hash and the copy is a user error, never other bytes in the
// build.
//
// BuildKit keys a COPY by the content (and mode) of what it copies, not by mtimes, so the
// copies keep the mode bits only.





/** At most this many files… */
const build_context_MAX_CONTEXT_FILES = 10_000;
/** …and this many bytes go into the assembled context. */
const build_context_MAX_CONTEXT_BYTES = 512 * 1024 * 1024;
function isInside(dir, p) {
    const rel = external_node_path_default().relative(dir, p);
    return rel === '' || (!rel.startsWith('..') && !external_node_path_default().isAbsolute(rel));
}
function commonDir(paths) {
    let dir = external_node_path_default().dirname(paths[0]);
    for (const p of paths.slice(1))
        while (!isInside(dir, p))
            dir = external_node_path_default().dirname(dir);
    return dir;
}
/**
 * Where each hashed file goes in the context (pure). Every file must be inside the
 * workspace; the context root is the deepest directory holding them all.
 */
function planContext(environmentFile, files, workspace) {
    const env = external_node_path_default().resolve(environmentFile);
    const all = [...new Set([env, ...files.map((f) => external_node_path_default().resolve(f))])].sort();
    const ws = external_node_path_default().resolve(workspace);
    for (const f of all) {
        if (!isInside(ws, f)) {
            throw new user_error/* UserError */.yo(`${f} is read by the environment (hashed) but lies outside the workspace ${ws}: the base build context holds only files of the workspace`);
        }
    }
    const root = commonDir(all);
    const rel = (p) => external_node_path_default().relative(root, p).split((external_node_path_default()).sep).join('/');
    // A .dockerignore at the context root (one of a local pip tree's files) would hide hashed
    // files from the build: Docker reads it, the install does not need it.
    const entries = all.map((source) => ({ source, rel: rel(source) })).filter((e) => e.rel !== '.dockerignore');
    return { root, environmentFile: rel(env), entries };
}
/**
 * Copies the planned files into `dest` (created; must not exist or be empty). Only regular
 * files whose real path stays inside the workspace are copied, within the count and byte
 * bounds, and only with the bytes the hash read (`digests`: absolute path → sha256); anything
 * else is a user error naming the file.
 */
async function assembleContext(plan, workspace, dest, digests) {
    if (plan.entries.length > build_context_MAX_CONTEXT_FILES) {
        throw new user_error/* UserError */.yo(`The environment reads ${plan.entries.length} files, more than the ${build_context_MAX_CONTEXT_FILES} the base build context may hold`);
    }
    const ws = (0,confined/* workspaceAt */.xJ)(workspace);
    await (0,promises_.mkdir)(dest, { recursive: true });
    let bytes = 0;
    for (const { source, rel } of plan.entries) {
        const file = await readHashed(ws, source, build_context_MAX_CONTEXT_BYTES - bytes);
        if ((0,canonical/* sha256Hex */.fg)(file.bytes) !== digests.get(source)) {
            throw new user_error/* UserError */.yo(`${source} changed after the environment hash read it: the base build context would not hold the bytes that were hashed`);
        }
        bytes += file.bytes.length;
        const target = external_node_path_default().join(dest, ...rel.split('/'));
        await (0,promises_.mkdir)(external_node_path_default().dirname(target), { recursive: true });
        await (0,promises_.writeFile)(target, file.bytes, { flag: 'wx' });
        await (0,promises_.chmod)(target, file.mode & 0o777);
    }
    return { dir: dest, environmentFile: plan.environmentFile, files: plan.entries.length, bytes };
}
/** A planned file read as the hash reads files (confined, regular, non-blocking, bounded), with its mode. */
async function readHashed(ws, source, maxBytes) {
    try {
        const file = await (0,confined/* readConfined */.Hz)(ws, source, { maxBytes: Math.max(0, maxBytes) });
        return { bytes: file.bytes, mode: Number((await (0,promises_.lstat)(file.real)).mode) };
    }
    catch (e) {
        if (!(0,confined/* isConfinedError */.pY)(e))
            throw e;
        if (e.reason === 'too-large')
            throw new user_error/* UserError */.yo(`The files the environment reads exceed ${build_context_MAX_CONTEXT_BYTES / 1024 / 1024} MiB: too large for the base build context`);
        if (e.reason === 'outside' || e.reason === 'system')
            throw new user_error/* UserError */.yo(`${source} resolves outside the workspace: it cannot go into the base build context`);
        throw new user_error/* UserError */.yo(`${source} is no longer a readable regular file (${(0,confined/* describeRefusal */.a2)(e.reason)}): it cannot go into the base build context`);
    }
}
/** planContext + assembleContext: the context of the bundled template in `dest`. */
async function bundledTemplateContext(input) {
    return assembleContext(planContext(input.environmentFile, input.files, input.workspace), input.workspace, input.dest, input.digests);
}

;// CONCATENATED MODULE: ./src/template/pixi.ts
// The bundled templates: which one builds the base (templates/base.Dockerfile with
// micromamba for a conda environment file, templates/pixi.Dockerfile for a pixi project),
// and the build args of the pixi one. Pure decisions over plain data.
//
// The pixi template installs the project where pixi's container documentation does: the
// build context at /app, the environment at <project>/.pixi/envs/<env>, kept at that path in
// the runtime stage (a conda environment carries its prefix in its files). The project is
// /app when the manifest is at the context root, /app/<dir> when the context holds files above
// it (path sources such as `../lib`).

/** The file of each bundled template in `templates/`. */
const TEMPLATE_FILES = { micromamba: 'base.Dockerfile', pixi: 'pixi.Dockerfile' };
/** Names of an environment file that make it a pixi project: its manifest or its lock. */
const pixi_PIXI_FILE_NAMES = new Set(['pixi.toml', 'pixi.lock', 'pyproject.toml']);
/** The bundled template for an environment file, by its name (a pyproject.toml can only be a pixi manifest here). */
function templateKindOf(environmentFile) {
    return pixi_PIXI_FILE_NAMES.has(external_node_path_default().basename(environmentFile)) ? 'pixi' : 'micromamba';
}
/** Build-arg names of the pixi template (see its header). */
const PixiBuildArgNames = {
    Manifest: 'MANIFEST',
    ProjectDir: 'PIXI_PROJECT_DIR',
    Environment: 'PIXI_ENVIRONMENT',
};
/** Where the pixi template copies the build context (pixi's documented project directory). */
const PIXI_CONTEXT_DIR = '/app';
const SAFE_SEGMENT = /^[A-Za-z0-9_.@+-][A-Za-z0-9_.@+ -]*$/;
/** Pixi environment names: lowercase letters, digits and dashes (pixi refuses others). */
const ENVIRONMENT_NAME = /^[a-z0-9-]{1,100}$/;
/** The project directory in the image for a manifest at `manifestInContext` (`/`-separated, relative). */
function pixiProjectDir(manifestInContext) {
    const parts = manifestInContext.split('/');
    if (parts.length === 0 || parts.some((p) => p === '' || p === '.' || p === '..' || !SAFE_SEGMENT.test(p))) {
        throw new Error(`not a relative path inside the build context: ${JSON.stringify(manifestInContext)}`);
    }
    return [PIXI_CONTEXT_DIR, ...parts.slice(0, -1)].join('/');
}
/** The pixi template's build args: the manifest inside the context, the project directory in the image, the environment. */
function pixiBuildArgs(manifestInContext, environment) {
    if (!ENVIRONMENT_NAME.test(environment))
        throw new Error(`not a pixi environment name: ${JSON.stringify(environment)}`);
    return [
        `${PixiBuildArgNames.Manifest}=${manifestInContext}`,
        `${PixiBuildArgNames.ProjectDir}=${pixiProjectDir(manifestInContext)}`,
        `${PixiBuildArgNames.Environment}=${environment}`,
    ];
}
/** Where the environment is in an image of the pixi template (CONDA_PREFIX). */
function pixiPrefix(manifestInContext, environment) {
    return `${pixiProjectDir(manifestInContext)}/.pixi/envs/${environment}`;
}

;// CONCATENATED MODULE: ./src/template/bundled.ts
// The build of a bundled template: its build context (exactly the hashed files, see
// src/build-context.ts) and its build args, for the micromamba template or the pixi one.




/** What the context is planned from: the environment file and its files, or the pixi project's manifest and its context files. */
function bundledContextSource(kind, environmentFile, fp) {
    if (kind === 'micromamba')
        return { environmentFile, files: fp.files };
    const pixi = requirePixi(fp.pixi, environmentFile);
    return { environmentFile: pixi.manifest, files: pixi.contextFiles };
}
/** The build args of a bundled template, given where the environment file (or the pixi manifest) is in its context. */
function bundledBuildArgs(kind, inContext, hash, pixi) {
    const own = kind === 'pixi' ? pixiBuildArgs(inContext, requirePixi(pixi, inContext).environment) : [`${constants/* BuildArgNames */.vs.EnvironmentFile}=${inContext}`];
    return [...own, `${constants/* BuildArgNames */.vs.EnvHash}=${hash}`];
}
function requirePixi(pixi, file) {
    // templateKindOf and the hash decide alike (by the file's name); this is a bug otherwise.
    if (!pixi)
        throw new Error(`${external_node_path_default().basename(file)} selects the bundled pixi template, but the environment hash did not read a pixi project`);
    return pixi;
}
/** The context (assembled in `dest`) and build args of the bundled template for this environment file. */
async function bundledBuild(input) {
    const kind = templateKindOf(input.environmentFile);
    const source = bundledContextSource(kind, input.environmentFile, input.fp);
    const context = await bundledTemplateContext({ ...source, digests: input.fp.digests, workspace: input.workspace, dest: input.dest });
    return { context, buildArgs: bundledBuildArgs(kind, context.environmentFile, input.fp.hash, input.fp.pixi) };
}

;// CONCATENATED MODULE: ./src/phases/base.ts
// Phase 5c: the base image — built (and pushed or loaded) or reused.













/**
 * The base build. The bundled template builds from a context assembled from exactly the
 * hashed files (`bundled`), and gets the environment hash as a build arg so that a change
 * the registry cache cannot see (a secret's content is not in BuildKit's cache key) re-solves.
 */
function baseSpec(s, tc, workDir, bundled) {
    const { opts, plan, fp, ctx } = s;
    return {
        context: bundled?.context.dir ?? external_node_path_default().dirname(opts.environmentFile),
        dockerfile: opts.baseDockerfile.path,
        tags: [plan.base.tagRef],
        buildArgs: [...opts.baseBuildArgs, ...(bundled?.buildArgs ?? [`${constants/* BuildArgNames */.vs.EnvironmentFile}=${external_node_path_default().basename(opts.environmentFile)}`])],
        labels: [
            ...opts.labels,
            ...ociLabels(ctx, tc.sourceDate),
            `${constants/* Labels */.gC.EnvHash}=${fp.hash}`,
            `${constants/* Labels */.gC.Scheme}=${constants/* HASH_SCHEME */.tS}`,
            `${constants/* Labels */.gC.EnvDocument}=${encodeDocumentLabel(fp.document)}`,
            ...envFilesLabel(fp, opts.environmentFile, ctx.workspace),
        ],
        sourceDateEpoch: tc.sourceDate?.seconds,
        // A job of a matrix builds its own platform (build-platforms), with a cache of its own.
        platforms: [...plan.job.platforms],
        builder: tc.builder,
        dockerContext: tc.dockerContext,
        ...registryCache(plan.job.cacheRef, s, tc),
        output: plan.push.enabled ? 'push' : 'load',
        // Refresh builds (nightly, max-age) re-pull FROM images; `refresh: full` also re-solves.
        pull: plan.base.build?.pull ?? false,
        noCache: plan.base.build?.noCache ?? false,
        metadataFile: external_node_path_default().join(workDir, 'base-metadata.json'),
        compression: opts.compression,
        ...tc.secrets,
    };
}
/**
 * The build time the previous base of this very environment recorded (a refresh): a build
 * that ran no step reproduces it, and carries its label. Undefined for another environment,
 * a base without the label, or a failed read (a warning).
 */
async function carriedBuildMs(s, log) {
    const prev = s.plan.previous;
    if (!prev || prev.hash12 !== hash12(s.fp.hash))
        return undefined;
    return recordedBuildMs(await tolerate(log, 'read the labels of the previous base', () => s.stores.store.labels(s.opts.baseRepository, prev.tag)));
}
/** The base build's spec, its build context assembled (once: a smoke test's trial and the push use one). */
async function baseBuildSpec(s, tc, workDir) {
    const { opts } = s;
    const bundled = opts.baseDockerfile.bundled
        ? await bundledBuild({ environmentFile: opts.environmentFile, fp: s.fp, workspace: s.ctx.workspace, dest: external_node_path_default().join(workDir, 'base-context') })
        : undefined;
    return baseSpec(s, tc, workDir, bundled);
}
async function basePhase(s, tc, workDir, timer, ports, reads, tested = {}) {
    const { spec: prepared, trial } = tested;
    const { plan, opts } = s;
    const repo = opts.baseRepository;
    let build;
    let metadata;
    let digest;
    let size;
    if (plan.base.build) {
        const step = await buildStep('base', {
            phase: `${BASE_BUILD_PHASE} ${plan.base.tag}`,
            ref: plan.base.tagRef,
            reason: plan.report.reason,
            spec: async () => prepared ?? (await baseBuildSpec(s, tc, workDir)),
            trial,
            // Without a trial, the base records how long it took to build (a trial's tested image has no such label: the pushed one must be the same).
            recordTime: trial ? undefined : { carried: () => carriedBuildMs(s, ports.log) },
            dockerfile: opts.baseDockerfile.content,
            // The registry's digest of the pushed tag and its size in one read.
            readBack: plan.push.enabled ? { name: repo, tag: plan.base.tag, what: plan.app ? 'read the size of the new base' : 'read the image size' } : undefined,
        }, s, tc, timer, ports);
        build = step.report;
        metadata = step.metadata;
        size = step.size;
        digest = step.digest;
        if (plan.push.enabled && !digest)
            throw new Error(`${plan.base.tagRef} was built but the registry does not have it`);
    }
    else {
        ports.log.info(`Reusing ${plan.base.tagRef} (${plan.report.ageDays} day(s) old): the environment is unchanged, no base build`);
        digest = await reads.baseDigest;
    }
    const ref = plan.pins.baseByDigest ? (0,reference/* formatReference */.FH)(repo, plan.base.tag, digest) : plan.base.tagRef;
    publishOutputs(ports.results, baseOutputs(ref, reusesBase(plan)));
    // The SBOM as a referrer of the pushed base (or the one a reused base has): `sbom`, `lock`.
    const { attached } = await sbomPhase(s, { digest, built: build !== undefined }, ports);
    return { build, metadata, ref, digest, ...(size ? { size } : {}), ...(attached ? { sbom: attached } : {}) };
}

// EXTERNAL MODULE: ./src/compression/index.ts
var compression = __webpack_require__(99782);
;// CONCATENATED MODULE: ./src/run/push.ts
// Whether this run pushes (the `push` input), as a pure decision with a reason a person reads.
//
// Push means push: `auto` pushes everywhere except where the reason not to is visible and
// expected — a pull request from a fork, whose token is read-only (said as a notice). Missing
// or refused credentials are not a reason to skip: the run checks push access before any
// build and fails, naming the registry and how to log in (see `pushAccessMessage`).



/** What a run does (plan mode reports it as what a run would do, and pushes nothing). */
function decidePush(p) {
    if (p.local)
        return { enabled: false, reason: 'the local Docker engine is the store (`store: local`): images are loaded, not pushed' };
    if (p.push === true)
        return { enabled: true, reason: 'push: true' };
    if (p.push === false)
        return { enabled: false, reason: 'push: false — images are loaded into the local engine, registry cache is not exported' };
    if (p.pullRequest?.fromFork) {
        const reason = 'pull request from a fork: its token is read-only, so nothing is pushed and no registry cache is exported';
        return { enabled: false, reason, notice: `Not pushing: ${reason}. The images are built and loaded on the runner; the job summary has the report.` };
    }
    return { enabled: true, reason: 'push: auto — the job pushes (push access is checked before building)' };
}
/** The message of a push that cannot happen: names the registry and how to log in. */
function pushAccessMessage(registry, repository, detail) {
    const row = registryHost(registry);
    // The host's own word on pushing (e.g. GitHub's `packages: write`), from the one host table.
    const own = row.permissionAdvice?.push ? ` (${row.name}: ${row.permissionAdvice.push})` : '';
    return (`Cannot push to ${registry}/${repository}${row.pushNote ?? ''}: ${detail}. ` +
        `Log in before this step with docker/login-action (registry: ${registry}), or set the inputs registry-username and registry-password${own}; ` +
        'set push: false to build without pushing.');
}
/**
 * Every registry a run that pushes writes to, once per registry host, in input order: the
 * base repository's; with an application Dockerfile also the image's and those of `tags`;
 * with a registry build cache those of `cache-ref` and `app-cache-ref`. A computed default
 * (the base repository, the cache refs, tags of the image's own repository) is on a
 * registry already listed, so only inputs that name another repository are named.
 */
function registriesToReach(o) {
    const named = [];
    const same = (a, b) => (0,reference/* formatName */.nD)(a) === (0,reference/* formatName */.nD)(b);
    named.push([same(o.baseRepository, o.image) ? constants/* Inputs */.G0.Image : constants/* Inputs */.G0.BaseRepository, o.baseRepository]);
    if (o.dockerfile) {
        named.push([constants/* Inputs */.G0.Image, o.image]);
        for (const t of o.tags) {
            const name = (0,reference/* parseReference */.F2)(t).name;
            if (!same(name, o.image))
                named.push([constants/* Inputs */.G0.Tags, name]);
        }
    }
    if (o.cacheBackend !== 'actions') {
        if (o.cacheRef !== `${(0,reference/* formatName */.nD)(o.baseRepository)}:buildcache`)
            named.push([constants/* Inputs */.G0.CacheRef, (0,reference/* parseReference */.F2)(o.cacheRef).name]);
        if (o.dockerfile && o.appCacheRef !== `${(0,reference/* formatName */.nD)(o.image)}:buildcache-app`)
            named.push([constants/* Inputs */.G0.AppCacheRef, (0,reference/* parseReference */.F2)(o.appCacheRef).name]);
    }
    const byRegistry = new Map();
    for (const [input, name] of named) {
        const t = byRegistry.get(name.registry);
        if (!t)
            byRegistry.set(name.registry, { name, inputs: [input] });
        else if (!t.inputs.includes(input))
            t.inputs.push(input);
    }
    return [...byRegistry.values()];
}
const TLS_CODE = /^(CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|ERR_TLS|ERR_SSL|EPROTO$|ERR_CERT)/;
/** Why a registry could not be reached, in words, and what to do about that cause. */
function unreachableCause(registry, why) {
    const host = registry.replace(/:\d+$/, '');
    const checkHost = `check the registry host`;
    if (['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL'].includes(why.code))
        return {
            cause: `the name ${host} does not resolve (DNS: ${why.code})`,
            fix: `${checkHost} for a typo, and that the runner can resolve it (a private registry needs a runner on its network)`,
        };
    if (why.code === 'ECONNREFUSED')
        return { cause: `the connection to ${registry} was refused (nothing listens there)`, fix: `${checkHost} and port, and that the registry is running` };
    if (['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN'].includes(why.code))
        return {
            cause: `${host} is unreachable from the runner (${why.code})`,
            fix: `check the runner's network and firewall (and HTTPS_PROXY if the runner needs a proxy)`,
        };
    if (why.code === 'TimeoutError')
        return {
            cause: `it accepted no request within ${Math.round(why.ms / 1000)} s`,
            fix: `check that the registry is up and that the runner's network (or its proxy, HTTPS_PROXY) lets the connection through`,
        };
    if (TLS_CODE.test(why.code))
        return {
            cause: `the TLS handshake with ${registry} failed (${why.code})`,
            fix: `give the runner the registry's CA certificate (NODE_EXTRA_CA_CERTS and Docker's certs.d), or, for a registry that serves plain HTTP, list it in ${constants/* Inputs */.G0.InsecureRegistries}`,
        };
    if (why.code === 'ECONNRESET' || why.code === 'EPIPE')
        return { cause: `the connection to ${registry} was reset (${why.code})`, fix: `check that the registry is up and speaks HTTPS on that port` };
    return { cause: `${why.code === 'unknown' ? why.message : why.code}`, fix: `check the registry host and the runner's network` };
}
/** The error of a registry the run must push to and cannot reach: names the host, the cause, the inputs and what to do. */
function unreachableMessage(target, why) {
    const registry = target.name.registry;
    const { cause, fix } = unreachableCause(registry, why);
    const inputs = target.inputs.map((i) => `\`${i}\``).join(', ');
    return (`Cannot reach the registry ${registry} (named by ${inputs}): ${cause}. ` +
        `The run must push there, so it stops before building. To fix: ${fix}; or set push: false to build without pushing.`);
}

;// CONCATENATED MODULE: ./src/image/platforms.ts
// Multi-platform images from native runners: each job of a matrix builds a subset of the
// image's `platforms` (`build-platforms`) and pushes it under per-platform "part" tags; a
// merge job assembles the parts into one index per tag. Pure functions over plain data.
//
// Part tags: `<tag>_<os>_<arch>[_<variant>]`, e.g. `base-0123456789ab-20261120_linux_arm64`
// for a part of the dated base `base-0123456789ab-20261120`, `sha-0123456_linux_arm64` for
// a part of the application tag `sha-0123456`. Platform components never contain `-`, so
// everything after the last `-` of a part tag contains a `_` and is never the `YYYYMMDD`
// a dated base tag ends with: no part is ever read as a dated base tag, of any prefix, by
// lookup or retention. A dated base tag ends with its date, so it is never read as a part.


const platforms_DAY_MS = 86_400_000;
const COMPONENT = /^[a-z0-9]+(?:[_.][a-z0-9]+)*$/;
const MAX_TAG = 128;
/** `linux/arm64/v8` → `linux_arm64_v8`. Throws a UserError for anything but `os/arch[/variant]`. */
function platforms_platformSlug(platform) {
    const parts = platform.split('/');
    if (parts.length < 2 || parts.length > 3 || !parts.every((p) => COMPONENT.test(p))) {
        throw new user_error/* UserError */.yo(`"${platform}" is not a platform such as linux/amd64 or linux/arm64/v8`);
    }
    return parts.join('_');
}
/** The tag of `platform`'s part of `tag`. Throws a UserError when it would be too long for a tag. */
function partTag(tag, platform) {
    const t = `${tag}_${platforms_platformSlug(platform)}`;
    if (t.length > MAX_TAG)
        throw new user_error/* UserError */.yo(`The per-platform tag ${t} is longer than ${MAX_TAG} characters: use a shorter tag or base-tag-prefix`);
    return t;
}
/** Parses a part of a dated base tag of `prefix`; undefined for any other tag. */
function parsePartTag(tag, prefix) {
    if (!tag.startsWith(prefix))
        return undefined;
    // The slug: at least `os_arch` (`linux_x86_64` may be linux/x86_64, so it is not split).
    const m = /^([0-9a-f]{12}-\d{8})_([a-z0-9]+(?:[_.][a-z0-9]+)*_[a-z0-9]+(?:[_.][a-z0-9]+)*)$/.exec(tag.slice(prefix.length));
    const dated = m ? parseDatedTag(`${prefix}${m[1]}`, prefix) : undefined;
    return dated ? { tag, dated, slug: m[2] } : undefined;
}
/**
 * `build-platforms` checked against `platforms`: every one of them must be in `platforms`
 * (the full set, which is what is hashed). Empty means all of `platforms`. `subset` is true
 * when this job builds only some of them (and so pushes parts, not the tags themselves).
 */
function resolveBuildPlatforms(platforms, buildPlatforms, input = 'build-platforms') {
    const slugs = new Map();
    for (const p of platforms) {
        const s = platforms_platformSlug(p);
        const other = slugs.get(s);
        if (other !== undefined && other !== p)
            throw new user_error/* UserError */.yo(`Input "platforms": ${other} and ${p} would share the per-platform tag suffix _${s}`);
        slugs.set(s, p);
    }
    if (buildPlatforms.length === 0)
        return { build: [...new Set(platforms)], subset: false };
    const unknown = buildPlatforms.filter((p) => !platforms.includes(p));
    if (unknown.length > 0) {
        const full = platforms.length ? platforms.join(', ') : '(empty: only the runner’s own platform)';
        throw new user_error/* UserError */.yo(`Input "${input}": ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in "platforms" (${full}); build-platforms must be a subset of platforms`);
    }
    const build = platforms.filter((p) => buildPlatforms.includes(p));
    return { build, subset: build.length < new Set(platforms).size };
}
/** Dated bases of `prefix` with their parts, newest first; a unit may have parts only. */
function baseUnits(tags, prefix) {
    const units = new Map();
    const unit = (d) => {
        let u = units.get(d.tag);
        if (!u)
            units.set(d.tag, (u = { dated: d, merged: false, parts: new Map() }));
        return u;
    };
    for (const d of datedTags(tags, prefix))
        unit(d).merged = true;
    for (const t of tags) {
        const p = parsePartTag(t, prefix);
        if (p)
            unit(p.dated).parts.set(p.slug, p.tag);
    }
    return [...units.values()].sort((a, b) => b.dated.time - a.dated.time || (a.dated.tag < b.dated.tag ? 1 : a.dated.tag > b.dated.tag ? -1 : 0));
}
/**
 * The merge of the base: the newest dated base of this environment decides. When its parts
 * cover every platform, they are assembled (again, when it already exists: same parts, same
 * index); when the dated tag exists without all parts, the jobs reused it; otherwise the
 * merge fails naming every missing platform. The jobs of one matrix may straddle midnight
 * (UTC): a platform missing from the newest parts is taken from the parts of the day before.
 */
function planBaseMerge(input) {
    const units = baseUnits(input.tags, input.prefix).filter((u) => u.dated.hash12 === hash12(input.envHash));
    const newest = units[0];
    if (!newest) {
        throw new user_error/* UserError */.yo(`mode: merge found no dated base and no per-platform parts of environment ${hash12(input.envHash)} in ${input.repository}: run the per-platform jobs (build-platforms) first, with the same inputs, and list them in this job's needs`);
    }
    const dayBefore = units.find((u) => u.dated.time === newest.dated.time - platforms_DAY_MS && !u.merged);
    const parts = input.platforms.map((platform) => {
        const slug = platforms_platformSlug(platform);
        return { platform, tag: newest.parts.get(slug) ?? (newest.merged ? undefined : dayBefore?.parts.get(slug)) };
    });
    const missing = parts.filter((p) => p.tag === undefined);
    if (missing.length === 0)
        return { action: 'assemble', tag: newest.dated.tag, parts: parts };
    if (newest.merged)
        return { action: 'merged', tag: newest.dated.tag };
    throw missingPlatforms(newest.dated.tag, input.repository, missing.map((m) => m.platform), (p) => partTag(newest.dated.tag, p));
}
/** The parts of an application tag; fails naming every platform whose part is not in `tags`. */
function planAppMerge(input) {
    const have = new Set(input.tags);
    const parts = input.platforms.map((platform) => ({ platform, tag: partTag(input.appTag, platform) }));
    const missing = parts.filter((p) => !have.has(p.tag));
    if (missing.length > 0)
        throw missingPlatforms(input.appTag, input.repository, missing.map((m) => m.platform), (p) => partTag(input.appTag, p));
    return parts;
}
function missingPlatforms(tag, repository, missing, part) {
    const list = missing.map((p) => `${p} (${part(p)})`).join(', ');
    return new user_error/* UserError */.yo(`Cannot merge ${repository}:${tag}: no image for ${missing.length === 1 ? 'platform' : 'platforms'} ${list}. ` +
        `Did the job with build-platforms: ${missing.join(', ')} succeed, with the same inputs, before this one (needs:)?`);
}
function platformJob(input) {
    const { build, subset } = resolveBuildPlatforms(input.platforms, input.buildPlatforms);
    const same = { platforms: build, baseTag: input.datedTag, appTags: input.appTags, cacheRef: input.cacheRef, appCacheRef: input.appCacheRef };
    if (!subset)
        return same;
    if (build.length !== 1) {
        throw new user_error/* UserError */.yo(`Input "build-platforms": a job of a matrix builds one platform of "platforms" (got ${build.join(', ')}); run one job per platform`);
    }
    const part = build[0];
    return {
        platforms: build,
        part,
        baseTag: partTag(input.datedTag, part),
        appTags: input.appTags.length > 0 ? [partRef(input.appTags[0], part)] : [],
        cacheRef: partRef(input.cacheRef, part),
        appCacheRef: partRef(input.appCacheRef, part),
    };
}
/** `host/repo:tag` → `host/repo:tag_<os>_<arch>` (a reference with a tag; a digest is kept out). */
function partRef(ref, platform) {
    const at = ref.lastIndexOf(':');
    const slash = ref.lastIndexOf('/');
    if (at <= slash || ref.includes('@'))
        throw new user_error/* UserError */.yo(`${ref} has no tag to derive a per-platform tag from`);
    return `${ref.slice(0, at)}:${partTag(ref.slice(at + 1), platform)}`;
}

;// CONCATENATED MODULE: ./src/run/run-plan.ts
// What a run will do, decided once from plain data: the inputs, the run context and what
// the lookup found. Pure: every policy of the orchestrator lives here (reuse or build, push,
// cache backends, builder needs, which refs are pinned and measured, what the report says).
// Plan mode renders this plan and stops; every other mode carries it out.






/** The application's first tag, with its repository and tag parsed (validated with the inputs). */
function appTarget(ref, local) {
    const parsed = (0,reference/* parseReference */.F2)(ref, 'tags', { local });
    return { ref, name: parsed.name, tag: parsed.tag };
}
function planRun({ opts, ctx, envHash, lookup, platforms = opts.platforms }) {
    const merge = opts.mode === 'merge' ? mergePlan(opts, envHash, lookup, platforms) : undefined;
    const choice = merge
        ? mergedChoice(merge.tag, opts.baseTagPrefix, ctx.now)
        : chooseBase({ dated: lookup.dated, prefix: opts.baseTagPrefix, envHash, now: ctx.now, mode: opts.mode, maxAgeMs: opts.maxAgeMs });
    const job = platformJob({
        platforms,
        buildPlatforms: opts.buildPlatforms,
        datedTag: choice.tag,
        appTags: opts.tags,
        cacheRef: opts.cacheRef,
        appCacheRef: opts.appCacheRef,
    });
    const push = decidePush({ push: opts.push, local: opts.image.local, pullRequest: ctx.pullRequest });
    const backend = resolveCacheBackend(opts.cacheBackend, {
        pullRequestFromFork: ctx.pullRequest?.fromFork ?? false,
        pullRequest: ctx.pullRequest !== undefined,
        local: opts.image.local,
        canPush: push.enabled,
    });
    const actions = backend !== 'registry';
    const needed = opts.mode !== 'plan' && !merge && (choice.action === 'build' || Boolean(opts.dockerfile));
    const refresh = isRefresh(choice);
    // A job of a matrix that builds the base pushes its platform's part of the dated tag.
    const baseTag = choice.action === 'build' ? job.baseTag : choice.tag;
    const tagRef = (0,reference/* formatReference */.FH)(opts.baseRepository, baseTag);
    const measureInStore = push.enabled || opts.image.local;
    return {
        choice,
        job,
        ...(merge ? { merge } : {}),
        previous: lookup.dated && previousBase(lookup.dated, choice.tag),
        push,
        cache: { backend, registry: backend !== 'actions' && !opts.image.local, actions },
        builder: {
            needed,
            login: builderLogin(opts, needed),
            wantsExport: push.enabled || actions,
        },
        base: { tag: baseTag, tagRef, build: choice.action === 'build' && !merge ? { pull: refresh, noCache: refresh && opts.refresh === 'full' } : undefined },
        app: opts.dockerfile ? appTarget(merge ? opts.tags[0] : job.appTags[0], opts.image.local) : undefined,
        pins: {
            baseByDigest: push.enabled || choice.action === 'reuse',
            finalFromStore: measureInStore,
            measureInStore,
            measureByDigest: push.enabled && !opts.image.local,
        },
        retention: opts.prune === 'false' ? undefined : { mode: opts.mode === 'plan' || opts.prune === 'dry-run' ? 'dry-run' : 'true', tolerant: opts.mode === 'plan' },
        report: {
            ageDays: choice.action === 'reuse' ? choice.ageDays : 0,
            note: merge ? mergeNote(merge) : refresh ? refreshNote(opts) : undefined,
            reason: merge ? mergeNote(merge) : reasonText(choice),
        },
        steps: merge ? [mergeNote(merge)] : planSteps(opts, choice, push, tagRef, job),
    };
}
/** mode: merge — the merge of the base, decided from the tags the lookup found. */
function mergePlan(opts, envHash, lookup, platforms) {
    if (opts.image.local)
        throw new user_error/* UserError */.yo('mode: merge assembles multi-platform tags in a registry; the local Docker engine has no per-platform images to merge');
    if (!lookup.tags)
        throw new user_error/* UserError */.yo(`mode: merge could not list the tags of ${(0,reference/* formatName */.nD)(opts.baseRepository)}, so it cannot find the per-platform images to merge`);
    return planBaseMerge({ tags: lookup.tags, prefix: opts.baseTagPrefix, envHash, platforms, repository: (0,reference/* formatName */.nD)(opts.baseRepository) });
}
function mergedChoice(tag, prefix, now) {
    const parsed = parseDatedTag(tag, prefix);
    return { action: 'reuse', tag, ageDays: parsed ? Math.max(0, ageDays(parsed, now)) : 0, decision: 'reused' };
}
function mergeNote(merge) {
    return merge.action === 'assemble'
        ? `mode: merge — assembling ${merge.tag} from ${merge.parts.map((p) => p.tag).join(', ')}`
        : `mode: merge — ${merge.tag} is already a whole base (the jobs reused it)`;
}
function planSteps(opts, choice, push, tagRef, job) {
    const steps = [reasonText(choice)];
    if (job.part)
        steps.push(`This job builds ${job.part} only (build-platforms): it pushes per-platform tags for a mode: merge job to assemble`);
    if (choice.action === 'build')
        steps.push(`Would build and ${push.enabled ? 'push' : 'load'} ${tagRef}`);
    if (opts.dockerfile)
        steps.push(`Would build and ${push.enabled ? 'push' : 'load'} the application image ${job.appTags.join(', ')} FROM ${tagRef}`);
    if (opts.prune !== 'false')
        steps.push('Would prune old dated tags (see the retention plan below)');
    return steps;
}
/** The credential inputs reach BuildKit (through a temporary Docker config) when a build runs against a registry. */
function builderLogin(opts, buildNeeded) {
    return buildNeeded && Boolean(opts.registryUsername && opts.registryPassword) && !opts.image.local;
}
/**
 * A build is certain before the lookup: an application Dockerfile is built whatever the
 * lookup finds (outside plan and merge modes). Its builder can be probed early.
 */
function buildCertain(opts) {
    return opts.mode !== 'plan' && opts.mode !== 'merge' && Boolean(opts.dockerfile);
}
function decideBuilder(plan, info, userBuilder) {
    if (!plan.builder.wantsExport || info.canExportCache)
        return { action: 'use' };
    const why = info.reason ?? 'unsupported';
    if (!userBuilder) {
        return {
            action: 'create',
            warning: `Builder "${info.name}" (${info.driver} driver) cannot export a build cache: ${why}. Creating a docker-container builder for this run.`,
        };
    }
    return { action: 'no-export', warning: `Builder "${info.name}" (${info.driver} driver) cannot export a build cache (${why}); building without cache export` };
}
/** The cache settings once the builder is known: the Actions cache needs a builder that can export. */
function cacheWithBuilder(cache, canExportCache) {
    if (cache.actions && !canExportCache) {
        return { ...cache, actions: false, export: false, warning: 'The Actions cache is not used: the builder cannot export a local build cache' };
    }
    return { ...cache, export: canExportCache };
}
function isRefresh(choice) {
    return choice.action === 'build' && (choice.decision === 'nightly' || choice.decision === 'max-age');
}
function refreshNote(opts) {
    return opts.refresh === 'full'
        ? 'refresh: full — built with --no-cache, so the environment was solved again'
        : 'refresh: pull — FROM images re-pulled, unchanged steps taken from the registry cache';
}
function reasonText(choice) {
    if (choice.action === 'reuse')
        return `Reusing ${choice.tag}`;
    switch (choice.decision) {
        case 'new-environment':
            return `No base exists for this environment yet: building ${choice.tag}`;
        case 'max-age':
            return `The newest base ${choice.sameEnvironment} is older than max-age: building ${choice.tag}`;
        case 'nightly':
            return `mode: base — building today's tag ${choice.tag}${choice.sameEnvironment ? ` (newest was ${choice.sameEnvironment})` : ''}`;
        case 'lookup-failed':
            return `The tag lookup failed: building ${choice.tag} as a cache miss`;
    }
}

;// CONCATENATED MODULE: ./src/phases/builder.ts
// Phase 5a: the buildx builder (and the Docker config) the builds use.




/** The credential inputs reach BuildKit through a temporary Docker config for the builds (when `useLogin`, see builderLogin). */
function dockerEnvironment(opts, useLogin, ports, cleanup) {
    if (!useLogin || !opts.registryUsername || !opts.registryPassword)
        return undefined;
    const login = ports.buildx.login([opts.image.registry, opts.baseRepository.registry], opts.registryUsername, opts.registryPassword);
    cleanup(() => login.cleanup());
    if (login.note)
        ports.log.notice(login.note);
    return login.env;
}
/**
 * Starts the Builder phase's reads now — `docker buildx inspect` (a CLI start of 0.1–0.3 s;
 * the engine's image store is asked over its socket at the same time) and `git log` for the
 * commit time — so that they run while the action does other work. A failure is kept for
 * whoever awaits it (never unhandled).
 */
function probeBuilder(s, env, ports) {
    const probe = {
        env,
        inspected: ports.buildx.inspect(s.opts.builder, env),
        sourceDate: resolveSourceDate(s.ctx, () => ports.clock.now(), ports.proc),
    };
    for (const p of [probe.inspected, probe.sourceDate])
        p.catch(() => undefined);
    return probe;
}
async function builderPhase(s, probe, ports, cleanup) {
    const { log, buildx } = ports;
    const { env } = probe;
    let builder = s.opts.builder;
    const [inspected, sourceDate] = await Promise.all([probe.inspected, probe.sourceDate]);
    log.info(`Source date ${sourceDate.date.toISOString()} (from ${sourceDate.origin})`);
    let info = inspected;
    const decision = decideBuilder(s.plan, info, s.opts.builder);
    if (decision.action === 'create') {
        log.warning(decision.warning);
        try {
            builder = await buildx.createBuilder(env);
            const created = builder;
            cleanup(() => buildx.removeBuilder(created, env));
            info = await buildx.inspect(builder, env);
        }
        catch (e) {
            builder = s.opts.builder;
            log.warning(`Could not create a docker-container builder (${(0,user_error/* errorMessage */.gJ)(e)}); building without registry cache export`);
        }
    }
    else if (decision.action === 'no-export') {
        log.warning(decision.warning);
    }
    // A compression this builder cannot produce: the user's error, before any build.
    const problem = (0,compression/* compressionProblem */.sJ)(s.opts.compression, info);
    if (problem)
        throw new user_error/* UserError */.yo(problem);
    const cache = cacheWithBuilder(s.plan.cache, info.canExportCache);
    if (cache.warning)
        log.warning(cache.warning);
    const buildkit = info.buildkit ? `, BuildKit ${info.buildkit}` : '';
    log.info(`Builder: ${info.name} (${info.driver} driver${buildkit}), registry cache export: ${info.canExportCache ? 'yes' : 'no'}`);
    return {
        builder,
        ...(info.dockerContext ? { dockerContext: info.dockerContext } : {}),
        driver: info.driver,
        cache,
        env,
        sourceDate,
        actionsCacheDirs: new Map(),
    };
}
/** No builds: the plan's cache settings as they are. */
function noToolchain(plan) {
    return { cache: { ...plan.cache, export: false }, actionsCacheDirs: new Map() };
}

;// CONCATENATED MODULE: ./src/secrets/build-secrets.ts
// BuildKit secrets and ssh forwarding, with docker/build-push-action's input syntax:
//   secrets:       id=value lines (the value may contain `=`; a line may be a quoted CSV field
//                  "id=multi\nline value" with "" for a quote, as build-push-action reads it)
//   secret-files:  id=path lines (a file inside the workspace)
//   secret-envs:   id=ENVVAR lines (an environment variable of the step)
//   ssh:           `default`, or id=path|socket[,path…] lines
// Values never travel in argv, build args, the image or the hash: `secrets` values are
// written to 0600 files in a private temporary directory and passed as `id=<id>,src=<file>`;
// only the ids reach the environment document. Parsing is pure; writing is `materialize`.






const ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * Lines of a list input as build-push-action reads them: one item per line; an item that
 * starts with `"` runs to its closing quote (across lines, `""` is a quote). Blank lines and
 * `#` comment lines are skipped.
 */
function secretLines(value) {
    const out = [];
    const s = value.replace(/\r\n?/g, '\n');
    let i = 0;
    while (i < s.length) {
        while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n'))
            i++;
        if (i >= s.length)
            break;
        if (s[i] === '"') {
            let item = '';
            let j = i + 1;
            for (;;) {
                if (j >= s.length)
                    throw new user_error/* UserError */.yo('a quoted item is not closed (a `"` is missing)');
                if (s[j] === '"') {
                    if (s[j + 1] === '"') {
                        item += '"';
                        j += 2;
                        continue;
                    }
                    j++;
                    break;
                }
                item += s[j++];
            }
            while (j < s.length && s[j] !== '\n') {
                if (s[j] !== ' ' && s[j] !== '\t')
                    throw new user_error/* UserError */.yo('text after a closing quote');
                j++;
            }
            out.push(item);
            i = j;
            continue;
        }
        const end = s.indexOf('\n', i);
        const line = (end < 0 ? s.slice(i) : s.slice(i, end)).trim();
        i = end < 0 ? s.length : end + 1;
        if (line !== '' && !line.startsWith('#'))
            out.push(line);
    }
    return out;
}
function splitItem(input, item, what, n) {
    const eq = item.indexOf('=');
    const id = eq < 0 ? '' : item.slice(0, eq).trim();
    if (!ID.test(id)) {
        // Never echo the item: it may hold a secret value.
        throw new user_error/* UserError */.yo(`Input "${input}": item ${n} must be ${what}, with an id of letters, digits, '_', '.', '-'`);
    }
    return [id, item.slice(eq + 1)];
}
function withInput(input, f) {
    try {
        return f();
    }
    catch (e) {
        if (e instanceof user_error/* UserError */.yo && !e.message.startsWith('Input '))
            throw new user_error/* UserError */.yo(`Input "${input}": ${e.message}`);
        throw e;
    }
}
/** A path for a `--secret`/`--ssh` CSV value: no `,` or `"` (buildx reads it as CSV). */
function csvSafe(input, p) {
    if (/[,"\n]/.test(p))
        throw new user_error/* UserError */.yo(`Input "${input}": the path "${p}" contains a comma, quote or newline, which buildx cannot take`);
    return p;
}
/** BuildKit refuses a secret larger than this (its MaxSecretSize). */
const MAX_SECRET_FILE_BYTES = 500 * 1024;
/**
 * A file inside the workspace (symlinks resolved), regular, read now (src/fs: without
 * blocking, at most BuildKit's secret size): buildx gets a private copy, so a file swapped
 * for a FIFO or a larger one after this check never reaches it.
 */
function workspaceFile(input, id, given, readFile) {
    let f;
    try {
        f = readFile(given, MAX_SECRET_FILE_BYTES);
    }
    catch (e) {
        if (!(0,confined/* isConfinedError */.pY)(e))
            throw e;
        const why = e.reason === 'missing'
            ? 'does not exist'
            : e.reason === 'outside'
                ? 'is outside the workspace'
                : e.reason === 'not-regular' || e.reason === 'directory'
                    ? 'is not a regular file'
                    : `cannot be read: ${e.detail}`;
        throw new user_error/* UserError */.yo(`Input "${input}": the file of secret "${id}" ("${given}") ${why}`);
    }
    return { file: csvSafe(input, f.real), bytes: f.bytes };
}
/** Parses the four inputs (the secret files read through `readFile`). Duplicate ids are refused. */
function parseSecretInputs(v, workspace, env, readFile) {
    const secrets = [];
    withInput(constants/* Inputs */.G0.Secrets, () => {
        for (const [n, item] of secretLines(v.secrets).entries()) {
            const [id, value] = splitItem(constants/* Inputs */.G0.Secrets, item, 'id=value', n + 1);
            secrets.push({ id, kind: 'value', value });
        }
    });
    withInput(constants/* Inputs */.G0.SecretFiles, () => {
        for (const [n, item] of secretLines(v.secretFiles).entries()) {
            const [id, file] = splitItem(constants/* Inputs */.G0.SecretFiles, item, 'id=path', n + 1);
            secrets.push({ id, kind: 'file', ...workspaceFile(constants/* Inputs */.G0.SecretFiles, id, file.trim(), readFile) });
        }
    });
    withInput(constants/* Inputs */.G0.SecretEnvs, () => {
        for (const [i, item] of secretLines(v.secretEnvs).entries()) {
            const [id, name] = splitItem(constants/* Inputs */.G0.SecretEnvs, item, 'id=ENVVAR', i + 1);
            const n = name.trim();
            if (!ENV_NAME.test(n))
                throw new user_error/* UserError */.yo(`Input "${constants/* Inputs */.G0.SecretEnvs}": "${n}" (secret "${id}") is not an environment variable name`);
            if (env[n] === undefined)
                throw new user_error/* UserError */.yo(`Input "${constants/* Inputs */.G0.SecretEnvs}": the environment variable ${n} (secret "${id}") is not set in this step`);
            secrets.push({ id, kind: 'env', env: n });
        }
    });
    const seen = new Set();
    for (const s of secrets) {
        if (seen.has(s.id))
            throw new user_error/* UserError */.yo(`Secret id "${s.id}" is given twice (inputs "${constants/* Inputs */.G0.Secrets}", "${constants/* Inputs */.G0.SecretFiles}", "${constants/* Inputs */.G0.SecretEnvs}", "${constants/* Inputs */.G0.Condarc}")`);
        seen.add(s.id);
    }
    return { secrets, ssh: withInput(constants/* Inputs */.G0.Ssh, () => parseSsh(v.ssh, workspace)) };
}
function parseSsh(value, workspace) {
    const out = [];
    for (const item of secretLines(value)) {
        const eq = item.indexOf('=');
        const id = (eq < 0 ? item : item.slice(0, eq)).trim();
        if (!ID.test(id))
            throw new user_error/* UserError */.yo(`"${item}" must be \`default\` or id=path (an agent socket or key file)`);
        const paths = eq < 0
            ? []
            : item
                .slice(eq + 1)
                .split(',')
                .map((p) => p.trim())
                .filter(Boolean);
        if (eq >= 0 && paths.length === 0)
            throw new user_error/* UserError */.yo(`"${item}" names no socket or key path`);
        if (out.some((o) => o.id === id))
            throw new user_error/* UserError */.yo(`ssh id "${id}" is given twice`);
        out.push({ id, paths: paths.map((p) => csvSafe(constants/* Inputs */.G0.Ssh, external_node_path_default().resolve(workspace, p))) });
    }
    return out;
}
/** Ids as they go into the environment document: `secret:<id>`, `ssh:<id>`, sorted. Never values. */
function secretIds(s) {
    return [...s.secrets.map((x) => `secret:${x.id}`), ...s.ssh.map((x) => `ssh:${x.id}`)].sort();
}
/** The values to mask in the log (`core.setSecret`): whole values and each of their lines. */
function valuesToMask(s, env) {
    const out = new Set();
    for (const x of s.secrets) {
        const v = x.kind === 'value' ? x.value : x.kind === 'env' ? (env[x.env] ?? '') : '';
        if (v.trim() === '')
            continue;
        out.add(v);
        for (const line of v.split('\n'))
            if (line.trim().length >= 4)
                out.add(line.trim());
    }
    return [...out];
}
/**
 * Writes the inline values to 0600 files in a new 0700 directory and returns the buildx
 * values, and a cleanup that removes the directory. `tmpRoot` defaults to the system's.
 */
function materialize(s, tmpRoot = external_node_os_default().tmpdir()) {
    const args = { secrets: [], ssh: s.ssh.map((x) => (x.paths.length ? `${x.id}=${x.paths.join(',')}` : x.id)) };
    if (s.secrets.length === 0)
        return { args, cleanup: () => undefined };
    const dir = (0,external_node_fs_.mkdtempSync)(external_node_path_default().join(tmpRoot, 'cia-secrets-'));
    (0,external_node_fs_.chmodSync)(dir, 0o700);
    csvSafe('secrets', dir);
    s.secrets.forEach((x, i) => {
        if (x.kind === 'env')
            return void args.secrets.push(`id=${x.id},env=${x.env}`);
        const file = external_node_path_default().join(dir, `s${i}`);
        (0,external_node_fs_.writeFileSync)(file, x.kind === 'value' ? x.value : x.bytes, { mode: 0o600 });
        args.secrets.push(`id=${x.id},src=${file}`);
    });
    return { args, cleanup: () => (0,external_node_fs_.rmSync)(dir, { recursive: true, force: true }) };
}

;// CONCATENATED MODULE: ./src/phases/fingerprint.ts
// Phase 2: the environment hash over everything the base build reads.




async function fingerprintPhase({ opts, platforms }, workspace, ports) {
    const fp = await fingerprint({
        environmentFile: opts.environmentFile,
        baseDockerfile: { path: opts.baseDockerfile.bundled ? undefined : opts.baseDockerfile.path, content: opts.baseDockerfile.content },
        buildArgs: opts.baseBuildArgs,
        platforms,
        workspace,
        condarc: opts.condarc?.hashed,
        secretIds: secretIds(opts.secrets),
        pixiEnvironment: opts.pixiEnvironment,
    });
    ports.log.info(`Environment hash ${fp.hash} (scheme ${constants/* HASH_SCHEME */.tS}) over ${fp.files.length} file(s)`);
    for (const w of fp.warnings)
        ports.log.warning(w.message, { file: w.file, line: w.line, kind: w.kind });
    publishOutputs(ports.results, fingerprintOutputs(fp));
    return fp;
}

;// CONCATENATED MODULE: ./src/buildx/app-dockerfile.ts
// Checks of the application Dockerfile before it is built (pure, over its text, parsed
// with dockerfile-ast): the image built must derive from the picked base (`BASE_IMAGE`), the
// `ARG BASE_IMAGE` it needs must be declared before the first FROM, and `target` must name
// one of its stages.



const USES_BASE = new RegExp(`\\$(?:\\{${constants/* BuildArgNames */.vs.BaseImage}(?=[:}])|${constants/* BuildArgNames */.vs.BaseImage}(?![A-Za-z0-9_]))`);
/**
 * Throws a UserError (file and line) for what would make the build fail in a confusing way;
 * returns warnings for what would build an image without the environment.
 */
function checkAppDockerfile(text, file, target) {
    const df = main.DockerfileParser.parse(text);
    const froms = df.getFROMs();
    if (froms.length === 0)
        throw new user_error/* UserError */.yo(`${file} has no FROM instruction`, { file, line: 1 });
    const stages = froms.map((f) => ({ name: f.getBuildStage()?.toLowerCase(), image: f.getImage() ?? '', line: f.getRange().start.line + 1 }));
    const declared = df.getInitialARGs().some((a) => a.getProperty()?.getName() === constants/* BuildArgNames */.vs.BaseImage);
    const users = stages.filter((s) => USES_BASE.test(s.image));
    if (users.length > 0 && !declared) {
        throw new user_error/* UserError */.yo(`${file} uses \${${constants/* BuildArgNames */.vs.BaseImage}} in FROM but declares no \`ARG ${constants/* BuildArgNames */.vs.BaseImage}\` before its first FROM; add \`ARG ${constants/* BuildArgNames */.vs.BaseImage}\` as its first line`, { file, line: users[0].line });
    }
    let index = stages.length - 1;
    if (target !== undefined) {
        index = stages.findIndex((s) => s.name === target.toLowerCase());
        if (index < 0) {
            const names = stages.map((s) => s.name).filter(Boolean);
            throw new user_error/* UserError */.yo(`Input "${constants/* Inputs */.G0.Target}": stage "${target}" is not in ${file} (${names.length ? `its stages: ${names.join(', ')}` : 'it names no stages (`FROM … AS <name>`)'})`, { file, line: 1 });
        }
    }
    if (derivesFromBase(stages, index))
        return [];
    const stage = stages[index];
    const what = target !== undefined ? `the target stage "${target}"` : 'the image it builds (its last stage)';
    return [
        {
            line: stage.line,
            message: `${file}: ${what} does not start FROM \${${constants/* BuildArgNames */.vs.BaseImage}}, so it does not contain the conda environment of the base; write \`ARG ${constants/* BuildArgNames */.vs.BaseImage}\` before the first FROM and \`FROM \${${constants/* BuildArgNames */.vs.BaseImage}}\``,
        },
    ];
}
/** Follows `FROM <earlier stage>` links back to an image; true when one on the way uses BASE_IMAGE. */
function derivesFromBase(stages, index) {
    const seen = new Set();
    let i = index;
    while (i >= 0 && !seen.has(i)) {
        seen.add(i);
        const image = stages[i].image;
        if (USES_BASE.test(image))
            return true;
        const parent = stages.findIndex((s, j) => j < i && s.name !== undefined && s.name === image.toLowerCase());
        i = parent;
    }
    return false;
}

;// CONCATENATED MODULE: ./src/vocabulary/units.ts
// Parsers of the quantities users write in inputs: sizes (`800MB`, `1.5GiB`), growth limits
// (`10%`, `50MB`) and durations (`14d`, `1d12h`). Pure; anything else is a UserError.

/** Size units as written in messages, with their factor; matched without regard to case. */
const SIZE_UNIT_TABLE = [
    ['B', 1],
    ['kB', 1e3],
    ['MB', 1e6],
    ['GB', 1e9],
    ['TB', 1e12],
    ['KiB', 1024],
    ['MiB', 1024 ** 2],
    ['GiB', 1024 ** 3],
    ['TiB', 1024 ** 4],
];
/** One-letter spellings of the decimal units (`800M`, `1.5G`). */
const SIZE_UNIT_SHORT = [
    ['K', 1e3],
    ['M', 1e6],
    ['G', 1e9],
    ['T', 1e12],
];
const SIZE_UNITS = new Map([...SIZE_UNIT_TABLE, ...SIZE_UNIT_SHORT].map(([u, f]) => [u.toLowerCase(), f]));
/** The size units, for messages: derived from the parser's own table. */
const SIZE_UNIT_NAMES = `${SIZE_UNIT_TABLE.map(([u]) => u).join(', ')} (${SIZE_UNIT_SHORT.map(([u]) => u).join(', ')} for short)`;
const SIZE_RE = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i;
/**
 * `800MB`, `1.5GB`, `800 MiB`, `123B` → bytes. Decimal units (kB, MB, GB, TB; also K, M, G,
 * T) and binary ones (KiB, MiB, GiB, TiB). A number without a unit is refused (`5` meant as
 * 5 % or 5 GB would silently be 5 bytes), as is anything else: a UserError.
 */
function parseSize(s) {
    const v = s.trim();
    const m = SIZE_RE.exec(v);
    if (m && m[2] === '') {
        throw new user_error/* UserError */.yo(`Invalid size "${shorten(s)}": a size needs a unit, one of ${SIZE_UNIT_NAMES}, e.g. 800MB (bytes: ${m[1]}B)`);
    }
    const factor = m ? SIZE_UNITS.get(m[2].toLowerCase()) : undefined;
    if (!m || factor === undefined) {
        throw new user_error/* UserError */.yo(`Invalid size "${shorten(s)}": use a number and a unit, one of ${SIZE_UNIT_NAMES}, e.g. 800MB, 1.5GB or 800MiB`);
    }
    const bytes = Math.round(Number(m[1]) * factor);
    if (!Number.isSafeInteger(bytes))
        throw new user_error/* UserError */.yo(`Invalid size "${shorten(s)}": too large`);
    return bytes;
}
/**
 * `10%` → `{ percent: 10 }`, `50MB` → `{ bytes: 50e6 }`; both may be given, separated by a
 * comma (`10%, 50MB`): the image is over budget when it grew beyond either.
 */
function parseGrowth(s) {
    const parts = s
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '');
    const units = `a percentage (10%) or a size with a unit (50MB; units ${SIZE_UNIT_NAMES})`;
    if (parts.length === 0 || parts.length > 2)
        throw new user_error/* UserError */.yo(`Invalid growth limit "${shorten(s)}": use ${units}, or one of each (10%, 50MB)`);
    const out = {};
    for (const p of parts) {
        const pm = /^(\d+(?:\.\d+)?|\.\d+)\s*%$/.exec(p);
        if (pm) {
            if (out.percent !== undefined)
                throw new user_error/* UserError */.yo(`Invalid growth limit "${shorten(s)}": two percentages`);
            out.percent = Number(pm[1]);
            continue;
        }
        if (out.bytes !== undefined)
            throw new user_error/* UserError */.yo(`Invalid growth limit "${shorten(s)}": two sizes`);
        if (/^(\d+(?:\.\d+)?|\.\d+)$/.test(p))
            throw new user_error/* UserError */.yo(`Invalid growth limit "${shorten(s)}": "${p}" has no unit — use ${units}`);
        try {
            out.bytes = parseSize(p);
        }
        catch {
            throw new user_error/* UserError */.yo(`Invalid growth limit "${shorten(s)}": use ${units}`);
        }
    }
    return out;
}
function shorten(s) {
    // eslint-disable-next-line no-control-regex -- stripping control characters is the point
    const one = s.replace(/[\u0000-\u001f\u007f]/g, ' ');
    return one.length > 60 ? `${one.slice(0, 60)}…` : one;
}
const DURATION_UNITS = { s: 1e3, m: 60e3, h: 3_600e3, d: 86_400e3, w: 604_800e3 };
/** `14d`, `2w`, `36h`, `90m`, `1d12h`: milliseconds. `name` is the input, for the message. */
function parseDuration(name, value) {
    const v = value.trim();
    const re = /(\d+)\s*([smhdw])/gy;
    let total = 0;
    let matched = 0;
    let m;
    while ((m = re.exec(v)) !== null) {
        total += Number(m[1]) * DURATION_UNITS[m[2]];
        matched = re.lastIndex;
    }
    if (v === '' || matched !== v.length) {
        const units = Object.keys(DURATION_UNITS).join(', ');
        const why = /^\d+$/.test(v) ? `: "${v}" has no unit` : '';
        throw new user_error/* UserError */.yo(`Input "${name}" must be a duration such as 14d, 2w or 36h (units ${units}), got "${shorten(value)}"${why}`);
    }
    return total;
}

;// CONCATENATED MODULE: ./src/run/input-table.ts
// Every input of the action, declared once: name, default, parser and description. The
// parse step of getOptions, the action.yml consistency test (which checks action.yml's
// inputs against this table) and, through action.yml, the README's input table all come
// from here. To add an input: add its name to `Inputs` (constants.ts), a row here, run
// `npm run docs` (rewrites the inputs of action.yml and the README tables), and use the
// parsed value in options.ts.





// --- parsers ---
const input_table_text = (v) => v;
/**
 * A credential travels in an HTTP header (and the Docker config): a line break, NUL or other
 * control character in it is a user error naming the input and what is wrong, never quoting
 * the value (Node's header check would quote it in an error). A token is visible ASCII only.
 */
function credential(kind) {
    // eslint-disable-next-line no-control-regex -- control characters are what this refuses
    const bad = kind === 'token' ? /[^\x21-\x7e]/ : /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
    return (v, name) => {
        const c = bad.exec(v)?.[0];
        if (c === undefined)
            return v;
        const what = badCharacter(c);
        throw new user_error/* UserError */.yo(`Input "${name}" contains ${what}, which a ${kind} cannot hold: check the secret it comes from (its value is not shown)`);
    };
}
/** What kind of character `c` is, in words (for a credential refused because of it). */
function badCharacter(c) {
    const code = c.charCodeAt(0);
    const kind = /[\n\r\u2028\u2029]/.test(c)
        ? 'a line break'
        : code === 0
            ? 'a NUL character'
            : code < 0x20 || (code >= 0x7f && code <= 0x9f)
                ? 'a control character'
                : c === ' '
                    ? 'a space'
                    : 'a character outside visible ASCII';
    return `${kind} (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
}
/** The text as given (secrets.ts and condarc.ts parse these inputs with the workspace at hand). */
const raw = (v) => v;
function optional(p) {
    return (v, name) => (v === '' ? undefined : p(v, name));
}
/** Splits a list input on newlines (and commas unless `newlineOnly`); drops blanks and `#` comments. */
function parseList(value, newlineOnly = false) {
    const out = [];
    for (const line of value.split(/\r?\n/)) {
        const pieces = newlineOnly ? [line] : line.split(',');
        for (const p of pieces) {
            const t = p.trim();
            if (t && !t.startsWith('#'))
                out.push(t);
        }
    }
    return out;
}
const list = (v) => parseList(v);
/** Registry hosts (`host[:port]`), each checked like the host of an image name. */
const hostList = (v, name) => {
    const hosts = parseList(v);
    for (const h of hosts) {
        const problem = (0,reference/* registryHostProblem */.r6)(h);
        if (problem)
            throw new user_error/* UserError */.yo(`Input "${name}": "${h}" is not a registry host: ${problem}`);
    }
    return hosts;
};
/** A parser over a table of accepted spellings; its error lists exactly the table's values (it cannot drift from what is accepted). */
function choice(table) {
    const shown = [...new Set([...table.keys()].map((k) => k.toLowerCase()))];
    const listed = shown
        .filter((k) => k !== '')
        .map((k) => `"${k}"`)
        .join(', ');
    return (v, name) => {
        if (table.has(v))
            return table.get(v);
        throw new user_error/* UserError */.yo(`Input "${name}" must be one of ${listed}${shown.includes('') ? ' (or empty)' : ''}, got "${v}"`);
    };
}
const BOOLEANS = new Map(['true', 'True', 'TRUE', 'false', 'False', 'FALSE'].map((k) => [k, k.toLowerCase() === 'true']));
const input_table_boolean = choice(BOOLEANS);
function oneOf(allowed) {
    return choice(new Map(allowed.map((a) => [a, a])));
}
function count(min) {
    return (v, name) => {
        if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
            const unit = /^\d+\s*[a-z]+$/i.test(v) ? ' (a plain number: the unit is in the name of the input)' : '';
            throw new user_error/* UserError */.yo(`Input "${name}" must be a whole number${min > 0 ? ` of at least ${min}` : ''}${unit}, got "${v}"`);
        }
        return Number(v);
    };
}
const keyValues = (v, name) => {
    const items = parseList(v, true);
    for (const item of items) {
        if (!/^[A-Za-z_][A-Za-z0-9_.\-/]*=/.test(item))
            throw new user_error/* UserError */.yo(`Input "${name}" must hold KEY=VALUE lines, got "${item}"`);
    }
    return items;
};
/** A repository name, checked here (syntax, registry host and port); read as a name of its store in options.ts. */
const imageName = (v, name) => {
    if (v === '')
        throw new user_error/* UserError */.yo(`Input "${name}" is required, e.g. ${name}: ghcr.io/acme/model`);
    (0,reference/* parseImageName */["if"])(v, `Input "${name}"`);
    return v;
};
const tagPrefix = (v, name) => {
    if (!/^[\w][\w.-]{0,100}$/.test(v)) {
        throw new user_error/* UserError */.yo(`Input "${name}" must be letters, digits, '_', '.', '-' (starting with a letter, digit or '_'), got "${v}"`);
    }
    return v;
};
const pushMode = choice(new Map([['auto', 'auto'], ...BOOLEANS]));
const duration = (v, name) => ({ text: v, ms: parseDuration(name, v) });
/** Longest smoke-test command: one argument of `docker run` (Linux caps one at 128 KiB). */
const MAX_COMMAND_BYTES = 32 * 1024;
/** A command for `sh -c`: one argument of a process, so no NUL byte, and bounded. */
const command = (v, name) => {
    if (v.includes('\0'))
        throw new user_error/* UserError */.yo(`Input "${name}" contains a NUL byte: a command cannot (no process argument can hold one)`);
    const bytes = Buffer.byteLength(v, 'utf8');
    if (bytes > MAX_COMMAND_BYTES)
        throw new user_error/* UserError */.yo(`Input "${name}" is ${bytes} bytes long; a command may have at most ${MAX_COMMAND_BYTES} (put a longer one in a script in the image)`);
    return v;
};
const positiveDuration = (v, name) => {
    const ms = parseDuration(name, v);
    if (ms <= 0)
        throw new user_error/* UserError */.yo(`Input "${name}" must be longer than zero, got "${v}"`);
    return ms;
};
const input_table_reference = (v, name) => {
    (0,reference/* parseReference */.F2)(v, `Input "${name}"`);
    return v;
};
const tagReference = (v, name) => {
    const ref = (0,reference/* parseReference */.F2)(v, `Input "${name}"`);
    if (ref.digest)
        throw new user_error/* UserError */.yo(`Input "${name}" must be a tag reference, not a digest: "${v}"`);
    return v;
};
const PLATFORM = /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_.]+)?$/;
const platformList = (v, name) => {
    const platforms = parseList(v);
    for (const p of platforms) {
        if (!PLATFORM.test(p))
            throw new user_error/* UserError */.yo(`Input "${name}": "${p}" is not a platform such as linux/amd64 or linux/arm64/v8`);
    }
    return platforms;
};
/** A pixi environment name: lowercase letters, digits and `-` (pixi's own rule). */
const pixiEnvironmentName = (v, name) => {
    if (!/^[a-z0-9-]{1,64}$/.test(v))
        throw new user_error/* UserError */.yo(`Input "${name}": "${v.slice(0, 80)}" is not a pixi environment name (lowercase letters, digits and -)`);
    return v;
};
const size = (v) => parseSize(v);
const growth = (v) => parseGrowth(v);
// --- the table ---
const INPUTS = {
    environmentFile: {
        name: constants/* Inputs */.G0.EnvironmentFile,
        default: 'environment.yml',
        parse: input_table_text,
        description: 'Conda environment file to fingerprint and install: an `environment.yml`, an `@EXPLICIT` lock, a `conda-lock.yml`, or a pixi project (its `pixi.toml`, a `pyproject.toml` with `[tool.pixi]`, or its `pixi.lock`; the lock is required), relative to the workspace.',
    },
    pixiEnvironment: {
        name: constants/* Inputs */.G0.PixiEnvironment,
        default: 'default',
        parse: pixiEnvironmentName,
        description: 'The pixi environment to hash and install when `environment-file` is a pixi project (`pixi install --locked -e <name>`). Ignored for other environment files.',
    },
    image: {
        name: constants/* Inputs */.G0.Image,
        required: true,
        default: '',
        parse: imageName,
        description: "Repository of the image, e.g. `ghcr.io/acme/model`. As everywhere in Docker, a name without a registry host is on Docker Hub (`acme/model` is `docker.io/acme/model`). To keep images in the runner's Docker engine instead, set `store: local`.",
    },
    store: {
        name: constants/* Inputs */.G0.Store,
        default: 'registry',
        parse: oneOf(constants/* StoreKinds */.BG),
        description: "Where the images live: `registry` (pushed to the registry of `image`, with a registry build cache) or `local` (the runner's Docker engine: built with `--load`, nothing pushed, sizes as the engine counts them).",
    },
    baseRepository: {
        name: constants/* Inputs */.G0.BaseRepository,
        default: '',
        parse: optional(imageName),
        description: 'Repository that holds the dated base tags (in the same store as `image`). Default: the same as `image`.',
    },
    baseTagPrefix: {
        name: constants/* Inputs */.G0.BaseTagPrefix,
        default: 'base-',
        parse: tagPrefix,
        description: 'Prefix of the dated base tags `<prefix><hash12>-<YYYYMMDD>`.',
    },
    baseDockerfile: {
        name: constants/* Inputs */.G0.BaseDockerfile,
        default: '',
        parse: optional(input_table_text),
        description: "Dockerfile that builds the base from the environment file, with the environment file's directory as context and `--build-arg ENVIRONMENT_FILE=<file name>`. Part of the environment hash. Default: the bundled micromamba template.",
    },
    baseBuildArgs: {
        name: constants/* Inputs */.G0.BaseBuildArgs,
        default: '',
        parse: keyValues,
        description: 'Build args of the base build (`KEY=VALUE`, one per line). Part of the environment hash. The bundled template passes `CONDA_OVERRIDE_*` build args (e.g. `CONDA_OVERRIDE_CUDA=12.4` to solve CUDA builds on a runner without a GPU) to the solver. Never put secrets here: use `secrets`.',
    },
    dockerfile: {
        name: constants/* Inputs */.G0.Dockerfile,
        default: '',
        parse: optional(input_table_text),
        description: 'Application Dockerfile built `FROM` the base; it receives `--build-arg BASE_IMAGE=<picked base ref>`. Empty: build the base only.',
    },
    context: {
        name: constants/* Inputs */.G0.Context,
        default: '.',
        parse: input_table_text,
        description: 'Build context of the application image.',
    },
    tags: {
        name: constants/* Inputs */.G0.Tags,
        default: '',
        parse: list,
        description: 'Tags of the application image (newline- or comma-separated); a bare tag (`latest`) is a tag of `image`. Default: `<image>:sha-<7 chars of GITHUB_SHA>` plus the stream tag `<image>:<branch>` on a push (`<image>:pr-<n>` on a pull request), which the next run of the stream compares with.',
    },
    mode: {
        name: constants/* Inputs */.G0.Mode,
        default: 'auto',
        parse: oneOf(constants/* Modes */.dX),
        description: "`auto`: pick or create the base, then build the app; `base` (nightly): build today's base tag even if an older one exists; `plan`: print the plan and the canonical environment document, build, push and delete nothing; `merge`: in a job that `needs:` the per-platform jobs of a matrix (`build-platforms`), build nothing and assemble one multi-platform base tag and application tag from their per-platform images, failing with the names of missing platforms.",
    },
    refresh: {
        name: constants/* Inputs */.G0.Refresh,
        default: 'pull',
        parse: oneOf(constants/* RefreshModes */._G),
        description: 'How a refresh build of the base (`mode: base`, `max-age`) refreshes: `pull` re-pulls the `FROM` images and takes unchanged steps from the registry cache; `full` adds `--no-cache` and solves the environment again.',
    },
    push: {
        name: constants/* Inputs */.G0.Push,
        default: 'auto',
        parse: pushMode,
        description: '`auto`: push, except on a pull request from a fork (said as a notice); push access is checked before any build, and missing or refused credentials fail the step naming the registry. `true`/`false` force it.',
    },
    maxAge: {
        name: constants/* Inputs */.G0.MaxAge,
        default: '',
        parse: optional(duration),
        description: "In `auto` mode, rebuild a newest base older than this with today's date, e.g. `14d`, `2w`, `36h`. Empty: never.",
    },
    cacheMode: {
        name: constants/* Inputs */.G0.CacheMode,
        default: 'max',
        parse: oneOf(constants/* CacheModes */.dr),
        description: 'Registry cache export mode, `min` or `max`.',
    },
    cacheBackend: {
        name: constants/* Inputs */.G0.CacheBackend,
        default: '',
        parse: oneOf(constants/* CacheBackendChoices */.tM),
        description: 'Build cache backend: registry, actions (the GitHub Actions cache) or both. Default: registry; both on pull requests that cannot push (forks); actions when the local engine is the store.',
    },
    actionsCacheMaxSize: {
        name: constants/* Inputs */.G0.ActionsCacheMaxSize,
        default: '2GB',
        parse: size,
        description: 'Largest BuildKit cache saved to the Actions cache, e.g. 2GB or 500MB; larger ones are not saved.',
    },
    cacheRef: {
        name: constants/* Inputs */.G0.CacheRef,
        default: '',
        parse: optional(tagReference),
        description: 'Registry build cache of the base. Default: `<base-repository>:buildcache`.',
    },
    appCacheRef: {
        name: constants/* Inputs */.G0.AppCacheRef,
        default: '',
        parse: optional(tagReference),
        description: 'Registry build cache of the application image. Default: `<image>:buildcache-app`.',
    },
    platforms: {
        name: constants/* Inputs */.G0.Platforms,
        default: '',
        parse: platformList,
        description: "Target platforms (comma- or newline-separated), e.g. `linux/amd64,linux/arm64`. Part of the environment hash. Default: the runner's platform (linux/<arch>), so runners of different architectures never share a base.",
    },
    buildPlatforms: {
        name: constants/* Inputs */.G0.BuildPlatforms,
        default: '',
        parse: platformList,
        description: 'The subset of `platforms` this job builds, natively, in a matrix with one job per platform (e.g. `linux/arm64` on an arm64 runner). Such a job pushes its platform of the base and of the application under per-platform tags (`<tag>_<os>_<arch>`); a `mode: merge` job then assembles the multi-platform tags. `platforms` stays the full set (the same in every job: it is hashed). Default: all of `platforms`.',
    },
    buildArgs: {
        name: constants/* Inputs */.G0.BuildArgs,
        default: '',
        parse: keyValues,
        description: 'Build args of the application image (`KEY=VALUE`, one per line).',
    },
    labels: {
        name: constants/* Inputs */.G0.Labels,
        default: '',
        parse: keyValues,
        description: 'Labels of the built images (`KEY=VALUE`, one per line).',
    },
    target: {
        name: constants/* Inputs */.G0.Target,
        default: '',
        parse: optional(input_table_text),
        description: 'Target stage of the application Dockerfile.',
    },
    builder: {
        name: constants/* Inputs */.G0.Builder,
        default: '',
        parse: optional(input_table_text),
        description: 'Name of the buildx builder to use (docker-container, kubernetes, remote and cloud builders all work). Default: the current builder.',
    },
    keepLatest: {
        name: constants/* Inputs */.G0.KeepLatest,
        default: '3',
        parse: count(1),
        description: 'Retention: always keep the newest N dated tags of each environment hash.',
    },
    keepDays: {
        name: constants/* Inputs */.G0.KeepDays,
        default: '30',
        parse: count(0),
        description: 'Retention: keep dated tags younger than this many days.',
    },
    prune: {
        name: constants/* Inputs */.G0.Prune,
        default: 'false',
        parse: oneOf(constants/* PruneModes */.dm),
        description: 'Delete old dated base tags after the build: `false`, `dry-run` (list what would go) or `true`.',
    },
    summary: {
        name: constants/* Inputs */.G0.Summary,
        default: 'true',
        parse: input_table_boolean,
        description: 'Write the report to the job summary.',
    },
    prComment: {
        name: constants/* Inputs */.G0.PrComment,
        default: 'true',
        parse: input_table_boolean,
        description: 'Create or update one sticky comment on the pull request (needs `pull-requests: write`).',
    },
    githubToken: {
        name: constants/* Inputs */.G0.GithubToken,
        default: '',
        actionDefault: '${{ github.token }}',
        parse: credential('token'),
        secret: true,
        description: 'Token for the PR comment and, for ghcr.io, the GitHub Packages API (pruning).',
    },
    registryUsername: {
        name: constants/* Inputs */.G0.RegistryUsername,
        default: '',
        parse: optional(credential('credential')),
        description: 'Registry user name, with `registry-password`. Empty: the Docker config (`docker/login-action`, credential helpers) is used.',
    },
    registryPassword: {
        name: constants/* Inputs */.G0.RegistryPassword,
        default: '',
        parse: optional(credential('credential')),
        secret: true,
        description: 'Registry password or token, with `registry-username`; masked in logs. Empty: the Docker config (`docker/login-action`, credential helpers) is used.',
    },
    insecureRegistries: {
        name: constants/* Inputs */.G0.InsecureRegistries,
        default: '',
        parse: hostList,
        description: 'Registry hosts reached over plain HTTP besides loopback ones (comma- or newline-separated).',
    },
    compareTo: {
        name: constants/* Inputs */.G0.CompareTo,
        default: '',
        parse: optional(input_table_reference),
        description: "Image the application image's size is compared with, read before this run pushes (without `dockerfile`, the base is compared with the previous dated base). Default: the previous image of the same stream: for a pull request `<image>:<target branch>`, for a push `<image>:<branch>`, then `<image>:<default branch>`, then `<image>:latest` — the first that exists.",
    },
    maxSize: {
        name: constants/* Inputs */.G0.MaxSize,
        default: '',
        parse: optional(size),
        description: 'Size budget of the final image, with a unit, e.g. `800MB` or `1.5GiB`. Exceeding it warns (or fails with `fail-on-budget`).',
    },
    maxGrowth: {
        name: constants/* Inputs */.G0.MaxGrowth,
        default: '',
        parse: optional(growth),
        description: 'Growth budget against the compared image: a percentage (`10%`), a size with a unit (`50MB`), or both (`10%, 50MB`). A number without a unit is refused.',
    },
    failOnBudget: {
        name: constants/* Inputs */.G0.FailOnBudget,
        default: 'false',
        parse: input_table_boolean,
        description: 'Fail the step (after the report is written) when a size budget is exceeded.',
    },
    secrets: {
        name: constants/* Inputs */.G0.Secrets,
        default: '',
        parse: raw,
        description: 'BuildKit secrets of both builds, `id=value` per line (the value may contain `=`; a quoted line `"id=multi-line value"` may span lines), as in docker/build-push-action. Mount them with `RUN --mount=type=secret,id=<id>`. Never build args, never in the image or the environment hash (only the ids are hashed); masked in logs.',
    },
    secretFiles: {
        name: constants/* Inputs */.G0.SecretFiles,
        default: '',
        parse: raw,
        description: "BuildKit secrets from files, `id=path` per line (a file inside the workspace). Well-known ids the bundled template mounts: `pip_conf` (pip's config, e.g. a private index) and `netrc`; the bundled pixi template: `pixi_auth` (pixi's authentication file), `pixi_config` (a pixi config file) and `netrc`.",
    },
    secretEnvs: {
        name: constants/* Inputs */.G0.SecretEnvs,
        default: '',
        parse: raw,
        description: 'BuildKit secrets from environment variables of the step, `id=ENVVAR` per line.',
    },
    ssh: {
        name: constants/* Inputs */.G0.Ssh,
        default: '',
        parse: raw,
        description: 'SSH agent sockets or keys forwarded to both builds (`RUN --mount=type=ssh`), e.g. `default` or `id=path`, one per line — for `git+ssh://` dependencies.',
    },
    condarc: {
        name: constants/* Inputs */.G0.Condarc,
        default: '',
        parse: raw,
        description: 'A `.condarc` for the solver (channel mirrors, `channel_alias`, `custom_channels`, tokens): a file path in the workspace or the YAML itself. Passed to the build as the BuildKit secret `condarc`; its content with token and password values and URL credentials redacted is part of the environment hash.',
    },
    smokeTest: {
        name: constants/* Inputs */.G0.SmokeTest,
        default: '',
        parse: optional(command),
        description: 'A command run in the final image before anything is pushed (the application image, else the base), as `sh -c <command>` through the image\'s entrypoint, so the environment is activated: e.g. `python -c "import numpy"`. A non-zero exit or a timeout fails the step and nothing is tagged. Empty: none.',
    },
    baseSmokeTest: {
        name: constants/* Inputs */.G0.BaseSmokeTest,
        default: '',
        parse: optional(command),
        description: 'The same for a base this run builds (a reused base is not tested again), run before the application image is built.',
    },
    smokeTestTimeout: {
        name: constants/* Inputs */.G0.SmokeTestTimeout,
        default: '5m',
        parse: positiveDuration,
        description: 'How long a smoke test may run (e.g. `90s`, `10m`); one that runs longer is ended (its container removed) and counts as failed.',
    },
    compression: {
        name: constants/* Inputs */.G0.Compression,
        default: 'gzip',
        parse: oneOf(compression/* Compressions */.Ue),
        description: 'How the layers of the pushed base and application images are compressed: `gzip`; `zstd` (smaller, faster to unpack; the nodes that pull must read zstd layers); `estargz` (gzip with a table of contents: nodes with a stargz snapshotter start containers before the whole image is pulled). Anything but plain `gzip` recompresses every layer, those of the `FROM` image too; the builder must be able to produce it (checked before any build).',
    },
    compressionLevel: {
        name: constants/* Inputs */.G0.CompressionLevel,
        default: '',
        parse: optional(count(0)),
        description: "BuildKit's `compression-level`: 0–9 for `gzip` and `estargz`, 0–22 for `zstd`; empty for BuildKit's default.",
    },
};
/** The table's rows in declaration order (the order of action.yml and the README). */
function inputSpecs() {
    return Object.values(INPUTS);
}

;// CONCATENATED MODULE: ./src/secrets/condarc.ts
// The `condarc` input: a `.condarc` for the solver (channel mirrors, channel_alias,
// custom_channels, tokens), given as a file path in the workspace or as inline YAML (like
// mamba-org/setup-micromamba's). The raw text reaches the build only as the BuildKit secret
// `condarc`; its non-secret content — parsed, with token/password values and URL userinfo
// redacted — goes into the environment document, so a mirror change rebuilds the base while
// rotating a token does not.





const MAX_BYTES = 256 * 1024;
/** A single line without `:` is a path; anything else is inline YAML. */
function isCondarcPath(value) {
    const v = value.trim();
    return v !== '' && !v.includes('\n') && !v.includes(':') && !v.startsWith('{');
}
/** Credentials in a string (the one redaction, src/text/redact.ts) replaced by `***`; the originals collected in `found` (to mask in the log). */
function redactUrl(s, found = []) {
    return (0,redact/* redact */.E$)(s, (secret) => {
        found.push(secret);
        return '***';
    });
}
/** The parsed YAML with secret-looking keys' values and URL credentials redacted; keys kept. */
function redactCondarc(v, found = [], depth = 0) {
    if (depth > 32)
        throw new user_error/* UserError */.yo(`Input "${constants/* Inputs */.G0.Condarc}" is nested too deeply`);
    if (v === null || v === undefined)
        return null;
    if (typeof v === 'string')
        return redactUrl(v, found);
    if (typeof v === 'number' || typeof v === 'boolean')
        return String(v);
    if (Array.isArray(v))
        return v.map((x) => redactCondarc(x, found, depth + 1));
    if (typeof v === 'object') {
        const out = {};
        for (const [k, x] of Object.entries(v)) {
            let value;
            if ((0,redact/* isSecretName */.eh)(k)) {
                collectScalars(x, found);
                value = '***';
            }
            else
                value = redactCondarc(x, found, depth + 1);
            Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
        }
        return out;
    }
    return typeof v === 'bigint' ? String(v) : null;
}
function collectScalars(v, found, depth = 0) {
    if (depth > 32 || v === null || v === undefined)
        return;
    if (typeof v === 'object')
        for (const x of Object.values(v))
            collectScalars(x, found, depth + 1);
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
        if (String(v).length >= 4)
            found.push(String(v));
    }
}
/** Reads (a path: through `readFile`) and parses the input; undefined when it is empty. Messages never quote the content. */
function readCondarc(value, readFile) {
    if (value.trim() === '')
        return undefined;
    const file = (given) => {
        const f = readFile(given, MAX_BYTES);
        return { text: f.content, file: f.path };
    };
    // Inline YAML arrives trimmed (the runner's inputs are): it is given back its final newline.
    const source = isCondarcPath(value) ? file(value.trim()) : { text: value.endsWith('\n') ? value : `${value}\n`, file: undefined };
    if (Buffer.byteLength(source.text) > MAX_BYTES)
        throw new user_error/* UserError */.yo(`Input "${constants/* Inputs */.G0.Condarc}" is larger than ${MAX_BYTES} bytes`);
    let doc = parseCondarcYaml(source.text, source.file);
    if (doc === null || doc === undefined)
        doc = {};
    if (typeof doc !== 'object' || Array.isArray(doc)) {
        throw new user_error/* UserError */.yo(`Input "${constants/* Inputs */.G0.Condarc}" must be a YAML mapping (channels:, channel_alias:, …)`, source.file ? { file: source.file, line: 1 } : {});
    }
    const found = [];
    const hashed = redactCondarc(doc, found);
    return { text: source.text, hashed, file: source.file, secretValues: [...new Set(found)] };
}
/** The YAML of a condarc as plain data; an error names the line where the problem starts (file inputs get an annotation there). */
function parseCondarcYaml(text, file) {
    const lineCounter = new dist/* LineCounter */.HN();
    const fail = (line, why) => {
        throw new user_error/* UserError */.yo(`Input "${constants/* Inputs */.G0.Condarc}" is not valid YAML${line ? ` (line ${line})` : ''}: ${why}`, file ? { file, line } : {});
    };
    const doc = (0,dist/* parseDocument */.Tp)(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
    const err = doc.errors[0];
    if (err) {
        const { line, opened } = yamlErrorPosition(doc, err, lineCounter);
        return fail(line, `${yamlErrorText(err)}${opened ? ` (${opened} opened on line ${line} and not closed)` : ''}`);
    }
    try {
        return doc.toJS({ maxAliasCount: 100 });
    }
    catch (e) {
        return fail(undefined, (0,user_error/* errorMessage */.gJ)(e).split('\n')[0]);
    }
}

;// CONCATENATED MODULE: ./src/layers/package-layers.ts
// The PACKAGE_LAYERS build arg of the bundled template (templates/base.Dockerfile, "Package
// layers"): how many layers the conda packages are shipped in. A Dockerfile cannot loop, so
// the template has one stage per possible layer (packages-1 … packages-100) and starts its
// runtime stage from packages-${PACKAGE_LAYERS}: a value out of range would name a stage that
// does not exist (BuildKit would then try to pull an image of that name), and containerd
// refuses an image of more than 127 layers. Checked here, before any build. Pure.
/** The build arg's name. */
const PACKAGE_LAYERS_ARG = 'PACKAGE_LAYERS';
/** The template's default (its `ARG PACKAGE_LAYERS=`). */
const PACKAGE_LAYERS_DEFAULT = 40;
/** The template's last packages-<i> stage. */
const PACKAGE_LAYERS_MAX = 100;
/** Layers the runtime stage adds besides the package layers: the unowned files, WORKDIR, the size manifest. */
const FIXED_LAYERS = 3;
/** containerd (and Docker) refuse images of more layers. */
const MAX_IMAGE_LAYERS = 127;
/** The PACKAGE_LAYERS a list of `KEY=VALUE` build args sets (the last one wins, as with docker), as written. */
function packageLayersArg(buildArgs) {
    let value;
    for (const a of buildArgs)
        if (a.startsWith(`${PACKAGE_LAYERS_ARG}=`))
            value = a.slice(PACKAGE_LAYERS_ARG.length + 1);
    return value;
}
/** The largest PACKAGE_LAYERS for a runtime image of `runtimeLayers` layers (unknown: the template's maximum). */
function maxPackageLayers(runtimeLayers, fixed = FIXED_LAYERS) {
    if (runtimeLayers === undefined)
        return PACKAGE_LAYERS_MAX;
    return Math.min(PACKAGE_LAYERS_MAX, MAX_IMAGE_LAYERS - fixed - runtimeLayers);
}
/**
 * The number of package layers the bundled template will build with these base build args,
 * or why it cannot: not a whole number, below 1, above the template's stages, or so many that
 * the runtime image's layers (when known) + package layers + the template's `fixed` ones
 * exceed 127. The template's default is checked against the runtime image too.
 */
function checkPackageLayers(buildArgs, runtime, fixed = FIXED_LAYERS) {
    const raw = packageLayersArg(buildArgs);
    const rt = typeof runtime === 'number' ? { image: 'the runtime image', platform: '', layers: runtime } : runtime;
    const max = maxPackageLayers(rt?.layers, fixed);
    const shown = raw === undefined ? '' : JSON.stringify(raw.length > 20 ? `${raw.slice(0, 20)}…` : raw);
    const stages = `the bundled template has ${PACKAGE_LAYERS_MAX} package layer stages`;
    if (raw === '0')
        return { ok: false, message: `${PACKAGE_LAYERS_ARG} must be at least 1 (the conda packages need a layer); got ${shown}` };
    // As the template's stage names are written: no sign, no space, no leading zero.
    if (raw !== undefined && !/^[1-9]\d{0,8}$/.test(raw)) {
        return { ok: false, message: `${PACKAGE_LAYERS_ARG} must be a whole number of layers from 1 to ${Math.max(1, max)} (${stages}); got ${shown}` };
    }
    const value = raw === undefined ? PACKAGE_LAYERS_DEFAULT : Number(raw);
    if (value > PACKAGE_LAYERS_MAX)
        return { ok: false, message: `${PACKAGE_LAYERS_ARG} must be at most ${PACKAGE_LAYERS_MAX}: ${stages}; got ${shown}` };
    if (rt && value + fixed + rt.layers > MAX_IMAGE_LAYERS)
        return { ok: false, message: tooManyLayers(value, raw === undefined, rt, fixed, max) };
    return { ok: true, value };
}
function tooManyLayers(value, isDefault, rt, fixed, max) {
    const set = isDefault ? `${PACKAGE_LAYERS_ARG}=${value} (the template's default)` : `${PACKAGE_LAYERS_ARG}=${value}`;
    const image = rt.image === 'the runtime image' ? rt.image : `the runtime image ${rt.image}`;
    const where = rt.platform ? ` for ${rt.platform}` : '';
    const total = value + fixed + rt.layers;
    const advice = max >= 1 ? `set ${PACKAGE_LAYERS_ARG} to at most ${max} in base-build-args` : 'use a runtime image of fewer layers';
    return (`${set} + ${fixed} fixed layers of the template + ${rt.layers} layers of ${image}${where} = ${total} layers, ` +
        `more than the ${MAX_IMAGE_LAYERS} an image may have (containerd's limit): ${advice}`);
}
/** The RUNTIME_IMAGE a build of the bundled template starts from: the last `RUNTIME_IMAGE=` build arg, else the template's `ARG RUNTIME_IMAGE=` default. */
function runtimeImageOf(buildArgs, templateText) {
    let value;
    for (const a of buildArgs)
        if (a.startsWith('RUNTIME_IMAGE='))
            value = a.slice('RUNTIME_IMAGE='.length);
    if (value !== undefined)
        return value.trim() || undefined;
    return /^ARG RUNTIME_IMAGE=(\S+)[ \t]*$/m.exec(templateText)?.[1];
}
/** Whether an image manifest for `found` serves a build for `target` (`os/arch[/variant]`; arm64 is arm64/v8). */
function servesPlatform(found, target) {
    const norm = (p) => (p === 'linux/arm64/v8' ? 'linux/arm64' : p);
    const [f, t] = [norm(found), norm(target)];
    if (f === t)
        return true;
    // A target without a variant takes the one the image has (linux/arm → linux/arm/v7).
    return t.split('/').length === 2 && f.startsWith(`${t}/`);
}
/**
 * The runtime image's layer count that bounds PACKAGE_LAYERS: of the manifests `read` (per
 * platform; a plain manifest, platform `unknown`, serves every target), the target platform
 * with the most layers; the targets no manifest serves are listed (the build would fail on
 * them anyway). Pure.
 */
function runtimeLayersFor(read, targets) {
    let most;
    const missing = [];
    for (const t of targets) {
        const m = read.length === 1 && read[0].platform === 'unknown' ? read[0] : read.find((r) => servesPlatform(r.platform, t));
        if (!m)
            missing.push(t);
        else if (!most || m.layers.length > most.layers)
            most = { platform: t, layers: m.layers.length };
    }
    return { ...(most ? { most } : {}), missing };
}

;// CONCATENATED MODULE: ./src/run/options.ts
// Inputs, read once into a frozen object: read (the raw text, defaults from the input table)
// → parse (each input by its own parser, src/run/input-table.ts) → validate (what involves several
// inputs or the workspace) → infer (computed defaults). Every problem is a UserError whose
// message names the input and says what would be accepted.














/** Parse: every input through its parser (its default when empty); secrets masked first. */
function parseInputs(get) {
    const out = {};
    for (const [key, spec] of Object.entries(INPUTS)) {
        const raw = get(spec.name).trim();
        if ('secret' in spec && spec.secret && raw)
            runner_log/* runnerLog */.t1.mask(raw);
        out[key] = named(spec.name, () => spec.parse(raw === '' ? spec.default : raw, spec.name));
    }
    return out;
}
/** A parser's UserError names the input (the unit parsers do not know it). */
function named(name, f) {
    try {
        return f();
    }
    catch (e) {
        if (e instanceof user_error/* UserError */.yo)
            throw e.message.includes(`"${name}"`) ? e : new user_error/* UserError */.yo(`Input "${name}": ${e.message}`);
        throw new user_error/* UserError */.yo(`Input "${name}": ${(0,user_error/* errorMessage */.gJ)(e)}`);
    }
}
/** Validate: what involves several inputs, or the workspace (its files read through the port). Returns the resolved paths (and the Dockerfiles' content). */
function validate(p, ws, files) {
    // File inputs are confined to the workspace (the port's adapter: src/ports/input-files.ts).
    const environmentFile = files.file(constants/* Inputs */.G0.EnvironmentFile, p.environmentFile, ws);
    const baseDockerfile = p.baseDockerfile ? files.text(constants/* Inputs */.G0.BaseDockerfile, p.baseDockerfile, ws, constants/* MAX_DOCKERFILE_BYTES */.uq) : undefined;
    const dockerfile = p.dockerfile ? files.text(constants/* Inputs */.G0.Dockerfile, p.dockerfile, ws, constants/* MAX_DOCKERFILE_BYTES */.uq) : undefined;
    const context = dockerfile ? files.directory(constants/* Inputs */.G0.Context, p.context, ws) : external_node_path_default().resolve(ws, p.context);
    if (!baseDockerfile) {
        const layers = checkPackageLayers(p.baseBuildArgs);
        if (!layers.ok)
            throw new user_error/* UserError */.yo(`Input "${constants/* Inputs */.G0.BaseBuildArgs}": ${layers.message}`);
    }
    if (p.buildPlatforms.length > 0 && p.mode === 'merge') {
        throw new user_error/* UserError */.yo(`Input "${constants/* Inputs */.G0.BuildPlatforms}" does not go with mode: merge, which builds nothing: leave it empty in the merge job`);
    }
    if (Boolean(p.registryUsername) !== Boolean(p.registryPassword)) {
        throw new user_error/* UserError */.yo(`Inputs "${constants/* Inputs */.G0.RegistryUsername}" and "${constants/* Inputs */.G0.RegistryPassword}" go together: set both or neither`);
    }
    return { environmentFile, baseDockerfile, dockerfile, context };
}
/** The repositories, as the store reads names: a bare name is Docker Hub's, unless the store is the local engine. */
function names(p) {
    const local = { local: p.store === 'local' };
    const image = (0,reference/* parseImageName */["if"])(p.image, `Input "${constants/* Inputs */.G0.Image}"`, local);
    return { image, baseRepository: p.baseRepository ? (0,reference/* parseImageName */["if"])(p.baseRepository, `Input "${constants/* Inputs */.G0.BaseRepository}"`, local) : image };
}
/**
 * Reads, parses, validates every input once and infers the computed defaults. `get`: the
 * inputs; `read`: the files they name (the input-files port); `env`: the step's environment,
 * where `secret-envs` are read.
 */
function getOptions(ctx, get, read, env = {}) {
    const p = parseInputs(get);
    const files = validate(p, ctx.workspace, read);
    const { image, baseRepository } = names(p);
    return Object.freeze({
        store: p.store,
        environmentFile: files.environmentFile,
        pixiEnvironment: p.pixiEnvironment,
        image,
        baseRepository,
        baseTagPrefix: p.baseTagPrefix,
        baseDockerfile: Object.freeze(files.baseDockerfile ? { ...files.baseDockerfile, bundled: false } : { ...read.template(templateKindOf(files.environmentFile)), bundled: true }),
        baseBuildArgs: Object.freeze(p.baseBuildArgs),
        dockerfile: files.dockerfile?.path,
        dockerfileContent: files.dockerfile?.content,
        context: files.context,
        tags: Object.freeze(parseTags(p.tags.join('\n'), image, ctx.sha, defaultStreamTag(ctx))),
        mode: p.mode,
        refresh: p.refresh,
        push: p.push,
        maxAge: p.maxAge?.text,
        maxAgeMs: p.maxAge?.ms,
        cacheMode: p.cacheMode,
        cacheBackend: p.cacheBackend,
        actionsCacheMaxBytes: p.actionsCacheMaxSize,
        cacheRef: p.cacheRef ?? `${(0,reference/* formatName */.nD)(baseRepository)}:buildcache`,
        appCacheRef: p.appCacheRef ?? `${(0,reference/* formatName */.nD)(image)}:buildcache-app`,
        platforms: Object.freeze(p.platforms),
        buildPlatforms: Object.freeze(p.buildPlatforms),
        buildArgs: Object.freeze(p.buildArgs),
        labels: Object.freeze(p.labels),
        target: p.target,
        builder: p.builder,
        keepLatest: p.keepLatest,
        keepDays: p.keepDays,
        prune: p.prune,
        summary: p.summary,
        prComment: p.prComment,
        githubToken: p.githubToken,
        registryUsername: p.registryUsername,
        registryPassword: p.registryPassword,
        insecureRegistries: Object.freeze(p.insecureRegistries),
        compareTo: p.compareTo,
        maxSize: p.maxSize,
        maxGrowth: p.maxGrowth,
        failOnBudget: p.failOnBudget,
        smokeTest: p.smokeTest,
        baseSmokeTest: p.baseSmokeTest,
        smokeTestTimeoutMs: p.smokeTestTimeout,
        compression: Object.freeze((0,compression/* compressionOf */.MB)(p.compression, p.compressionLevel, { kind: constants/* Inputs */.G0.Compression, level: constants/* Inputs */.G0.CompressionLevel })),
        ...readSecrets(p, ctx.workspace, env, read),
    });
}
/** The secret inputs and `condarc`, with every value masked in the log at once. */
function readSecrets(p, ws, env, read) {
    const secretFile = (given, maxBytes) => read.bytes(given, ws, maxBytes);
    const secrets = parseSecretInputs({ secrets: p.secrets, secretFiles: p.secretFiles, secretEnvs: p.secretEnvs, ssh: p.ssh }, ws, env, secretFile);
    for (const v of valuesToMask(secrets, env))
        runner_log/* runnerLog */.t1.mask(v);
    const condarc = readCondarc(p.condarc, (given, maxBytes) => read.text(constants/* Inputs */.G0.Condarc, given, ws, maxBytes));
    if (!condarc)
        return { secrets };
    for (const v of condarc.secretValues)
        runner_log/* runnerLog */.t1.mask(v);
    if (secrets.secrets.some((s) => s.id === constants/* SecretIds */.ZI.Condarc)) {
        throw new user_error/* UserError */.yo(`The secret id "${constants/* SecretIds */.ZI.Condarc}" is given twice: by the input "${constants/* Inputs */.G0.Condarc}" and by a secret input`);
    }
    return { secrets, condarc };
}
/**
 * Tags of the application image. Full references are taken as they are (a name without a
 * registry host is Docker Hub's, as in Docker); a bare tag (`latest`, `v1.2`) means a tag of
 * `image`. Default: `<image>:sha-<7 chars of GITHUB_SHA>`, plus the stream tag of the run
 * (`streamTag`: the branch of a push, `pr-<n>` of a pull request) when there is one — what
 * the next run of the same stream compares its size with.
 */
function parseTags(value, image, sha, streamTag) {
    const items = parseList(value);
    const name = (0,reference/* formatName */.nD)(image);
    if (items.length === 0) {
        const short = /^[0-9a-f]{7,}$/i.test(sha) ? sha.slice(0, 7).toLowerCase() : 'dev';
        return [`${name}:sha-${short}`, ...(streamTag ? [`${name}:${streamTag}`] : [])];
    }
    const opts = { local: image.local };
    return items.map((t) => {
        if (!t.includes('/') && !t.includes(':') && !t.includes('@')) {
            (0,reference/* parseReference */.F2)(`${name}:${t}`, `Input "${constants/* Inputs */.G0.Tags}"`, opts);
            return `${name}:${t}`;
        }
        const ref = (0,reference/* parseReference */.F2)(t, `Input "${constants/* Inputs */.G0.Tags}"`, opts);
        if (!ref.tag)
            throw new user_error/* UserError */.yo(`Input "${constants/* Inputs */.G0.Tags}": "${t}" has no tag (e.g. ${t}:latest)`);
        if (ref.digest)
            throw new user_error/* UserError */.yo(`Input "${constants/* Inputs */.G0.Tags}": "${t}" must be a tag, not a digest`);
        return (0,reference/* formatReference */.FH)(ref.name, ref.tag);
    });
}

;// CONCATENATED MODULE: ./src/phases/inputs.ts
// Phase 1: the inputs, read and validated once.



function readInputs(ctx, env, ports) {
    const opts = getOptions(ctx, ports.input, ports.inputFiles, env);
    if (opts.dockerfile) {
        // An application Dockerfile that does not derive from BASE_IMAGE: a warning on its line.
        const file = external_node_path_default().relative(ctx.workspace, opts.dockerfile) || opts.dockerfile;
        for (const w of checkAppDockerfile(opts.dockerfileContent ?? '', file, opts.target))
            ports.log.warning(w.message, { file, line: w.line });
    }
    // An empty `platforms` means this runner's platform, made explicit so that runners of
    // different architectures never share (and reuse) one base.
    const platforms = opts.platforms.length ? opts.platforms : [ctx.hostPlatform];
    return { opts, platforms };
}

;// CONCATENATED MODULE: ./src/phases/lookup.ts
// Phase 3: what the registry (or engine) already has, and whether this job may write to it.





/**
 * The tag list of the base repository does not depend on the environment hash: it is asked
 * for as soon as the inputs are read, and the registry answers while the action hashes. A
 * failure waits for the Lookup phase (never an unhandled rejection).
 */
function startTagList({ opts, stores }) {
    const tags = stores.store.tags(opts.baseRepository);
    tags.catch(() => undefined);
    return tags;
}
/**
 * Dated base tags of the base repository (newest first), and every tag (per-platform parts
 * of a matrix), from the list startTagList asked for; none when the lookup failed (and
 * whether it was refused).
 */
async function lookupPhase({ opts, envHash, tags, now }, { log, clock }) {
    const repo = opts.baseRepository;
    try {
        const t = await tags;
        // The later of the run's date (SOURCE_DATE_EPOCH) and the clock's.
        const today = new Date(Math.max(now.getTime(), clock.now().getTime()));
        const { dated, future } = splitFutureTags(datedTags(t, opts.baseTagPrefix), today);
        // mode: merge also reads the per-platform parts: those of a day after tomorrow are left out like their dated tags.
        const futureParts = opts.mode === 'merge' ? t.filter((tag) => isFuturePart(tag, opts.baseTagPrefix, today)) : [];
        const ignored = [...future.map((d) => d.tag), ...futureParts];
        if (ignored.length > 0) {
            const some = ignored.slice(0, 3);
            log.warning(`Ignoring ${ignored.length} dated base tag${ignored.length === 1 ? '' : 's'} of ${(0,reference/* formatName */.nD)(repo)} dated after tomorrow (${some.join(', ')}${ignored.length > some.length ? ', …' : ''}): a tag from the future would stay the newest for ever`);
        }
        const mine = dated.filter((d) => d.hash12 === envHash.slice(0, 12)).length;
        log.info(`${(0,reference/* formatName */.nD)(repo)}: ${t.length} tags, ${dated.length} dated base tags, ${mine} of this environment`);
        return { dated, tags: futureParts.length > 0 ? t.filter((tag) => !futureParts.includes(tag)) : t };
    }
    catch (e) {
        if ((0,user_error/* isUserError */.iU)(e))
            throw e;
        // Refused credentials: a run that pushes stops before building (push-access phase).
        const refused = isRegistryError(e) && (e.kind === 'auth' || e.kind === 'denied') ? (0,user_error/* errorMessage */.gJ)(e) : undefined;
        log.warning(`Could not list the tags of ${(0,reference/* formatName */.nD)(repo)} (${(0,user_error/* errorMessage */.gJ)(e)}); building the base as a cache miss`);
        return { refused };
    }
}
function isFuturePart(tag, prefix, today) {
    const part = parsePartTag(tag, prefix);
    return part !== undefined && isFromTheFuture(part.dated, today);
}

;// CONCATENATED MODULE: ./src/report/failure-info.ts
// What a failed run tells its reader: which phase failed, where (the user's file and line;
// the bundled template's failures named as the template's), the relevant log lines
// (redacted, short) and what to try. Pure: the caller writes the annotation and the reports.




const LOG_LINES = 15;
const LINE_CHARS = 300;
/** The annotation: its first line, and at most this many of the log's last lines, this long. */
const ANNOTATION_HEAD_CHARS = 400;
const ANNOTATION_LOG_LINES = 3;
const ANNOTATION_LINE_CHARS = 200;
/**
 * The one redaction (credentials in URLs, pip options, channel tokens: src/text/redact.ts), plus
 * HTTP authorization headers a build log may echo and the known secret values.
 */
function redactText(text, masks = []) {
    let out = (0,redact/* redact */.E$)(text).replace(/\b(Authorization:\s*(?:Basic|Bearer)\s+)\S+/gi, '$1***');
    for (const m of [...masks].sort((a, b) => b.length - a.length))
        if (m.length >= 3)
            out = out.split(m).join('***');
    return out;
}
function relative(file, workspace) {
    const rel = external_node_path_default().relative(workspace, file);
    return rel && !rel.startsWith('..') && !external_node_path_default().isAbsolute(rel) ? rel : file;
}
const HINTS = [
    [
        /^The smoke test of /,
        'The image was built but failed its smoke test (`smoke-test`, `base-smoke-test`), so nothing was pushed: run the command in the image (`docker run --rm <image> sh -c "<command>"`) and fix the environment or the command; raise `smoke-test-timeout` if it needs longer.',
    ],
    [
        /"[^"]*": not found|failed to calculate checksum|COPY failed|no such file or directory/i,
        'Check that the file exists in the build context (the `context` input), is not excluded by `.dockerignore`, and is not outside the context (`COPY ../x` cannot reach it).',
    ],
    [/target stage .* could not be found|stage "[^"]+" is not in/i, 'Check the `target` input against the `FROM … AS <name>` stages of the Dockerfile.'],
    [
        /base name .*should not be blank|ARG BASE_IMAGE/i,
        'Declare `ARG BASE_IMAGE` before the first FROM of the application Dockerfile and start it `FROM ${BASE_IMAGE}`.',
    ],
    [/dockerfile parse error|unknown instruction|syntax/i, 'Fix the Dockerfile syntax at the line shown.'],
    [
        /could not solve|nothing provides|conflicting requests|PackagesNotFoundError|UnsatisfiableError|encountered problems while solving/i,
        'The environment could not be solved: check the specs and channels of the environment file (and the `condarc` input for mirrors or private channels); `mode: plan` prints what is hashed.',
    ],
    [
        /No matching distribution|pip.*(error|failed)|ResolutionImpossible/i,
        'pip could not install a requirement: check the pip entries and their index (private indexes: pass a pip config as the secret `pip_conf` with `secret-files`).',
    ],
    // A refused login or push: the advice of the registry's row in src/image/registry-hosts.ts.
    [
        /401|unauthori[sz]ed|authentication required|rejected the credentials|requires authentication/i,
        (r) => `The registry${r.host ? ` ${r.host}` : ''} refused the credentials: ${r.advice.credential}.`,
    ],
    [/403|denied|forbidden|lack permission/i, (r) => `The credentials lack permission to push${r.host ? ` to ${r.host}` : ''}: ${r.advice.permission.push}.`],
    [/secret .*not found|--secret|ssh/i, 'Check the `secrets`, `secret-files`, `secret-envs` and `ssh` inputs: the Dockerfile mounts an id that was not given.'],
];
/** Of the run's registries, the one the text names (else the first); its advice from the table. */
function refusing(text, registries) {
    const lower = text.toLowerCase();
    const named = registries.find((r) => r !== '' && lower.includes(hostOnly(r))) ?? registries.find((r) => r !== '');
    return named ? { host: named, advice: registryAdvice(named) } : { host: '', advice: registryAdvice('') };
}
/** What to try, from the message and the log (at most three hints); `registries`: see FailureContext. */
function failureHints(text, userError, registries = []) {
    const out = HINTS.filter(([re]) => re.test(text)).map(([, h]) => (typeof h === 'string' ? h : h(refusing(text, registries))));
    if (out.length === 0)
        out.push(userError
            ? 'Fix the input or file named above and run the job again.'
            : 'This looks like a fault of the runner, the registry or the action: run the job again; if it persists, open an issue with this log.');
    return out.slice(0, 3);
}
function where(e, ctx) {
    if (!(0,user_error/* isUserError */.iU)(e) || !e.file)
        return { annotation: {}, template: false };
    const lineText = e.line !== undefined ? ` line ${e.line}` : '';
    if (ctx.templatePath !== undefined && external_node_path_default().resolve(e.file) === external_node_path_default().resolve(ctx.templatePath)) {
        // The template is the action's, not the user's: the annotation goes on the environment
        // file it was installing, and the message names the template's line.
        const env = ctx.environmentFile ? relative(ctx.environmentFile, ctx.workspace) : undefined;
        return {
            text: `the bundled base template (conda-image-action's templates/${external_node_path_default().basename(ctx.templatePath)}${lineText}${env ? `), installing ${env}` : ')'}`,
            annotation: env ? { file: env } : {},
            template: true,
        };
    }
    const file = relative(e.file, ctx.workspace);
    return { text: `${file}${lineText}`, annotation: { file, line: e.line, column: e.column }, template: false };
}
/** The failure as the report shows it, and the one annotation of the step. */
function describeFailure(e, ctx) {
    const user = (0,user_error/* isUserError */.iU)(e);
    const raw = redactText((0,user_error/* errorMessage */.gJ)(e), ctx.masks);
    const lines = raw.split('\n');
    const head = lines[0].slice(0, 1000);
    const log = lines
        .slice(1)
        .filter((l) => l.trim() !== '' && !/^last \d+ lines? of its output:$/.test(l.trim()))
        .map((l) => (l.length > LINE_CHARS ? `${l.slice(0, LINE_CHARS)}…` : l))
        .slice(-LOG_LINES);
    const w = where(e, ctx);
    const info = {
        phase: ctx.phase ?? 'Inputs',
        message: head,
        where: w.text,
        template: w.template || undefined,
        log,
        hints: failureHints(raw, user, ctx.registries),
        userError: user,
    };
    const prefix = user ? '' : 'conda-image-action failed: ';
    const inTemplate = w.template ? ` (in ${w.text})` : '';
    const annotation = {
        message: annotationText(`${prefix}${head}${inTemplate}`, log, user ? Infinity : ANNOTATION_HEAD_CHARS),
        ...w.annotation,
    };
    return { info, annotation };
}
/**
 * The `::error` message: a few short lines — what failed and the last lines of its output.
 * The job summary is the place for the excerpt (LOG_LINES lines) and what to try. A user
 * error's first line is its whole message (what to change, up to 1,000 characters); another
 * failure's is cut at ANNOTATION_HEAD_CHARS (BuildKit repeats the whole command there).
 */
function annotationText(first, log, headChars) {
    const cut = (l, n) => (l.length > n ? `${l.slice(0, n - 1)}…` : l);
    const tail = log.slice(-ANNOTATION_LOG_LINES).map((l) => cut(l.trim(), ANNOTATION_LINE_CHARS));
    const more = log.length > tail.length ? ['(more of the log and what to try: the job summary)'] : [];
    return [cut(first, headChars), ...tail, ...more].join('\n');
}

;// CONCATENATED MODULE: ./src/report/format.ts
// Human units for sizes, deltas and durations, and the parsers of the budget inputs.
// Sizes use decimal units, as registries and the GitHub Packages UI show them.
/** U+2212 MINUS SIGN: reads better than a hyphen in front of a number. */
const MINUS = '\u2212';
const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
/** `950 B`, `12.0 kB`, `412.3 MB`, `1.2 GB` (decimal units, one decimal above bytes). */
function format_formatBytes(n) {
    if (!Number.isFinite(n))
        return '? B';
    if (n < 0)
        return `${MINUS}${format_formatBytes(-n)}`;
    if (n < 1000)
        return `${Math.round(n)} B`;
    let unit = 0;
    let v = n;
    while (v >= 1000 && unit < UNITS.length - 1) {
        v /= 1000;
        unit++;
    }
    // 999_960 B rounds to "1000.0 kB": carry into the next unit.
    if (Number(v.toFixed(1)) >= 1000 && unit < UNITS.length - 1) {
        v /= 1000;
        unit++;
    }
    return `${v.toFixed(1)} ${UNITS[unit]}`;
}
/** Signed change of `current` against `previous`: `+18.2 MB, +4.6%`, `−3.0 MB, −0.7%`, `no change`. */
function formatDelta(current, previous) {
    if (!Number.isFinite(current) || !Number.isFinite(previous))
        return 'unknown change';
    const diff = current - previous;
    if (diff === 0)
        return 'no change';
    const sign = diff > 0 ? '+' : MINUS;
    const bytes = `${sign}${format_formatBytes(Math.abs(diff))}`;
    if (previous <= 0)
        return bytes;
    const pct = (Math.abs(diff) / previous) * 100;
    return `${bytes}, ${sign}${formatPercent(pct)}`;
}
function formatPercent(p) {
    if (p >= 1000)
        return `${Math.round(p)}%`;
    if (p > 0 && p < 0.05)
        return '<0.1%';
    return `${p.toFixed(1)}%`;
}
/** `350 ms`, `12.3 s`, `2 m 41 s`, `1 h 02 m`. */
function formatDuration(ms) {
    if (!Number.isFinite(ms) || ms < 0)
        return '?';
    if (ms < 1000)
        return `${Math.round(ms)} ms`;
    if (ms < 60_000)
        return `${(ms / 1000).toFixed(1)} s`;
    const totalS = Math.round(ms / 1000);
    if (totalS < 3600)
        return `${Math.floor(totalS / 60)} m ${String(totalS % 60).padStart(2, '0')} s`;
    const totalM = Math.round(ms / 60_000);
    return `${Math.floor(totalM / 60)} h ${String(totalM % 60).padStart(2, '0')} m`;
}

;// CONCATENATED MODULE: ./src/report/budget.ts
// Size budgets (`max-size`, `max-growth`): pure evaluation; `main` warns or fails.

/**
 * One result per configured limit. A limit that cannot be evaluated (no measured size, no
 * compared image) is reported with `exceeded: false` and a `note` saying why. Being exactly
 * at a limit is within it.
 */
function evaluateBudget(args) {
    const out = [];
    const { size, previous, maxSize, maxGrowth } = args;
    const known = (n) => n !== undefined && Number.isFinite(n);
    if (maxSize !== undefined) {
        if (!known(size)) {
            out.push({ kind: 'max-size', limit: format_formatBytes(maxSize), actual: 'unknown', exceeded: false, note: 'the image size could not be measured' });
        }
        else {
            out.push({ kind: 'max-size', limit: format_formatBytes(maxSize), actual: format_formatBytes(size), exceeded: size > maxSize });
        }
    }
    if (maxGrowth && (maxGrowth.percent !== undefined || maxGrowth.bytes !== undefined)) {
        const limits = [];
        if (maxGrowth.percent !== undefined)
            limits.push(`+${maxGrowth.percent}%`);
        if (maxGrowth.bytes !== undefined)
            limits.push(`+${format_formatBytes(maxGrowth.bytes)}`);
        const limit = limits.join(' or ');
        if (!known(size)) {
            out.push({ kind: 'max-growth', limit, actual: 'unknown', exceeded: false, note: 'the image size could not be measured' });
        }
        else if (!known(previous)) {
            out.push({ kind: 'max-growth', limit, actual: 'unknown', exceeded: false, note: args.noPrevious ?? 'no previous image to compare with' });
        }
        else {
            const growth = size - previous;
            const overBytes = maxGrowth.bytes !== undefined && growth > maxGrowth.bytes;
            const overPercent = maxGrowth.percent !== undefined && growth > 0 && (previous <= 0 || (growth / previous) * 100 > maxGrowth.percent);
            out.push({ kind: 'max-growth', limit, actual: formatDelta(size, previous), exceeded: overBytes || overPercent });
        }
    }
    return out;
}

// EXTERNAL MODULE: ./src/report/marker.ts
var marker = __webpack_require__(80990);
// EXTERNAL MODULE: ./src/text/visible.ts
var visible = __webpack_require__(31573);
;// CONCATENATED MODULE: ./src/report/markdown.ts
// Escaping of user-controlled strings (tags, paths, step names, warnings) for GitHub
// Flavored Markdown: nothing they contain may open HTML, close a table cell, start a list,
// end a code fence or mention someone; credentials in them are redacted (src/text/redact.ts).


/** One line, its control characters shown escaped, at most `max` characters (then `…`). */
function oneLine(s0, max) {
    // Credentials redacted before anything is cut (a cut URL could hide its `@`) or escaped.
    const s = (0,redact/* redact */.E$)(s0.length > 65_536 ? s0.slice(0, 65_536) : s0);
    // Cut first: a 1 MB string is never scanned more than needed.
    let v = s.length > max * 2 + 16 ? s.slice(0, max * 2 + 16) : s;
    // Line breaks become spaces; other control, bidirectional and invisible characters are shown escaped (`\x1b`, `\u202e`).
    v = (0,visible/* visible */.RK)(v.replace(/\r\n?|\n|\u2028|\u2029|\t/g, ' '));
    if (v.length > max || s.length > v.length) {
        let cut = v.slice(0, Math.max(1, max - 1));
        // Do not split a surrogate pair.
        if (/[\ud800-\udbff]$/.test(cut))
            cut = cut.slice(0, -1);
        v = `${cut}…`;
    }
    return v;
}
const MD_PUNCT = /[\\`*_[\]()#+\-!|~{}<>&]/g;
const ENTITIES = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };
/**
 * Plain inline text, safe in a paragraph, a list item or a table cell: HTML characters as
 * entities, Markdown punctuation backslash-escaped, `@` defused so no one is mentioned.
 */
function markdown_text(s, max = 200) {
    return oneLine(s, max)
        .replace(MD_PUNCT, (c) => ENTITIES[c] ?? `\\${c}`)
        .replace(/@/g, '@\u200b');
}
/**
 * An inline code span of `s` (backticks inside handled). In a table cell (`cell`), pipes are
 * escaped as GFM requires even inside code.
 */
function code(s, max = 200, cell = true) {
    let v = oneLine(s, max);
    if (cell)
        v = v.replace(/\|/g, '\\|');
    if (v.trim() === '')
        return '` `';
    const longest = Math.max(0, ...(v.match(/`+/g) ?? []).map((r) => r.length));
    const fence = '`'.repeat(longest + 1);
    const pad = v.startsWith('`') || v.endsWith('`') || (v.startsWith(' ') && v.endsWith(' ')) ? ' ' : '';
    return `${fence}${pad}${v}${pad}${fence}`;
}
/** A fence (``` or longer) that no line of `lines` can close. */
function fenceFor(lines) {
    let longest = 0;
    for (const l of lines)
        for (const r of l.match(/`{3,}/g) ?? [])
            longest = Math.max(longest, r.length);
    return '`'.repeat(Math.max(3, longest + 1));
}
/** Text for an HTML context (e.g. `<summary>`): entities only, one line. */
function html(s, max = 200) {
    return oneLine(s, max)
        .replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)
        .replace(/@/g, '@\u200b');
}
/** A GFM table. `align` per column: 'l' | 'r' | 'c'. Cells must already be escaped. */
function table(head, rows, align) {
    const sep = head.map((_, i) => {
        const a = align?.[i] ?? 'l';
        return a === 'r' ? '---:' : a === 'c' ? ':---:' : '---';
    });
    const line = (cells) => `| ${cells.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`;
    return [line(head), `|${sep.join('|')}|`, ...rows.map(line)].join('\n');
}
/** `<details>` block; `summary` is raw (already escaped) HTML text. */
function details(summary, body, open = false) {
    return `<details${open ? ' open' : ''}><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}
function plural(n, one, many = `${one}s`) {
    return `${n} ${n === 1 ? one : many}`;
}

;// CONCATENATED MODULE: ./src/report/changed-row.ts
// The report row "New layers": what a node that has the compared image downloads to run this
// one (src/sizes/changed.ts). Pure.


/** Platforms shown one by one (the rest are in the sums). */
const PLATFORMS_SHOWN = 8;
/** `**41.0 MB** of its 2.3 GB of compressed layers — what a node that has `repo:tag@…` pulls …`. */
function changedBytesText(c, shortRef, maxRef) {
    const head = `**${format_formatBytes(c.changed)}** of its ${format_formatBytes(c.total)} of compressed layers — what a node that has ${code(shortRef(c.against), maxRef)} pulls (the layers it lacks, by digest)`;
    if (c.platforms.length <= 1) {
        const p = c.platforms[0];
        return p && !p.compared ? `${head}; it has no ${markdown_text(p.platform, 40)} manifest` : head;
    }
    const each = c.platforms
        .slice(0, PLATFORMS_SHOWN)
        .map((p) => `${markdown_text(p.platform, 40)} ${format_formatBytes(p.changed)} of ${format_formatBytes(p.total)}${p.compared ? '' : ' (not in it)'}`);
    const more = c.platforms.length > PLATFORMS_SHOWN ? `, … and ${c.platforms.length - PLATFORMS_SHOWN} more` : '';
    return `${head}; summed over ${c.platforms.length} platforms: ${each.join(', ')}${more}`;
}

;// CONCATENATED MODULE: ./src/report/package-changes.ts
// The report's list of package changes against the previous base (src/sizes/changes.ts):
// every conda package whose version or build changed, added or removed, with its installed
// size change — and every pip distribution's, marked "(pip)", when both bases list them.
// The job summary shows them all up to a bound; the PR comment shows the first few and folds
// the rest. Pure.




/** Rows the PR comment shows before the rest is folded. */
const COMMENT_OPEN_ROWS = 5;
const KIND_WORDS = [
    ['updated', 'updated'],
    ['added', 'added'],
    ['removed', 'removed'],
    ['resized', 'resized (same version and build)'],
];
/** `1.26`, or `1.26 py312h_0` when the versions are equal (a build-only change must show what changed). */
function versionCell(p, withBuild) {
    if (!p)
        return '–';
    return withBuild && p.build ? `${markdown_text(p.version, 40)} ${code(p.build, 60)}` : markdown_text(p.version, 40);
}
function changeCell(c) {
    if (c.delta === undefined)
        return c.kind === 'added' ? 'not known (new)' : c.kind === 'removed' ? 'not known (gone)' : 'not known';
    if (c.kind === 'added')
        return `+${format_formatBytes(c.delta)} (new)`;
    if (c.kind === 'removed')
        return `${MINUS}${format_formatBytes(-c.delta)} (gone)`;
    return formatDelta(c.after.size, c.before.size);
}
function row(c, maxStr) {
    const sameVersion = c.before !== undefined && c.after !== undefined && c.before.version === c.after.version;
    return [`${code(c.name, maxStr)}${c.pip ? ' (pip)' : ''}`, versionCell(c.before, sameVersion), versionCell(c.after, sameVersion), changeCell(c)];
}
function changeTable(list, maxStr) {
    return table(['Package', 'Before', 'After', 'Installed change'], list.map((c) => row(c, maxStr)), ['l', 'l', 'l', 'r']);
}
/** `3 updated, 1 added, 1 removed`, and the installed-size change they add up to. */
function changeHeadline(list) {
    const t = changeTotals(list);
    const kinds = KIND_WORDS.filter(([k]) => t[k] > 0).map(([k, w]) => `${thousands(t[k])} ${w}`);
    const delta = t.delta === 0 ? 'no change in installed size' : `installed size ${t.delta > 0 ? '+' : MINUS}${format_formatBytes(Math.abs(t.delta))}`;
    const pip = t.pip === 0 ? '' : ` (${thousands(t.pip)} of them pip)`;
    const unsized = t.unsized === 0 ? '' : ` (${thousands(t.unsized)} pip ${t.unsized === 1 ? 'change' : 'changes'} of unknown size not counted: no sizes in RECORD)`;
    return `**${thousands(list.length)} ${list.length === 1 ? 'package' : 'packages'} changed** — ${kinds.join(', ')}${pip}; ${delta}${unsized}`;
}
/**
 * The changes against `previousTag`. At most `maxRows` rows (then "… and N more"); in the
 * comment the first COMMENT_OPEN_ROWS are open and the rest folded.
 */
function packageChangesText(previousTag, list, opts) {
    const against = code(previousTag, opts.maxStr, false);
    if (list.length === 0)
        return opts.pipCompared
            ? `No conda or pip package changed against ${against}: same versions, builds and installed sizes.`
            : `No conda package changed against ${against}: same versions, builds and installed sizes.`;
    const shown = list.slice(0, Math.max(1, opts.maxRows));
    const rest = list.length > shown.length ? `… and ${thousands(list.length - shown.length)} more package changes.` : undefined;
    const out = [`Against ${against}: ${changeHeadline(list)}.`];
    if (!opts.forComment || shown.length <= COMMENT_OPEN_ROWS) {
        out.push(changeTable(shown, opts.maxStr));
        if (rest)
            out.push(rest);
        return out.join('\n\n');
    }
    out.push(changeTable(shown.slice(0, COMMENT_OPEN_ROWS), opts.maxStr));
    const folded = shown.slice(COMMENT_OPEN_ROWS);
    out.push(details(`${thousands(list.length - COMMENT_OPEN_ROWS)} more package ${list.length - COMMENT_OPEN_ROWS === 1 ? 'change' : 'changes'}`, [changeTable(folded, opts.maxStr), ...(rest ? [rest] : [])].join('\n\n')));
    return out.join('\n\n');
}

;// CONCATENATED MODULE: ./src/report/packages.ts
// The report section "What makes the base big": the largest conda packages of the base by
// installed size and, when a new base was built, every package that changed against the
// previous base (src/report/package-changes.ts).



/** How many of the largest packages are shown. */
const LIST_CAP = 10;
/** How many package changes are listed at most (the summary's bound). */
const CHANGES_CAP = 500;
function packagesSection(p, forComment, maxStr, maxChanges = CHANGES_CAP) {
    if (!p || p.count === 0)
        return undefined;
    const lines = [`#### What makes the base big`, `${plural(p.count, 'conda package')}, ${format_formatBytes(p.total)} installed.`];
    if (p.changes)
        lines.push(packageChangesText(p.changes.previousTag, p.changes.list, { forComment, maxRows: maxChanges, maxStr, pipCompared: p.changes.pipCompared }));
    const rows = p.largest
        .slice(0, LIST_CAP)
        .map((q, i) => [
        String(i + 1),
        code(q.name, maxStr),
        markdown_text(q.version, 40),
        format_formatBytes(q.size),
        p.total > 0 ? `${((q.size / p.total) * 100).toFixed(1)}%` : '–',
    ]);
    const t = table(['#', 'Package', 'Version', 'Installed', 'Share'], rows, ['r', 'l', 'l', 'r', 'r']);
    lines.push(forComment ? details(`Largest ${Math.min(LIST_CAP, p.largest.length)} packages`, t) : `Largest packages by installed size:\n\n${t}`);
    return lines.join('\n\n');
}

;// CONCATENATED MODULE: ./src/report/smoke-section.ts
// The report's smoke-test section: each test's image, command, result and time (the last
// lines of a failed test's output are in the failure section, which leads the report).


const TARGET = { base: 'base', app: 'application' };
function resultText(r) {
    if (r.passed)
        return '✅ passed';
    return r.timedOut ? '❌ timed out (ended)' : `❌ exit code ${r.exitCode ?? '?'}`;
}
function pushedText(r) {
    if (!r.pushedDigest)
        return r.passed ? 'not pushed by this run' : 'nothing pushed';
    const tested = r.ref.includes('@') ? r.ref.slice(r.ref.lastIndexOf('@') + 1) : undefined;
    return !tested || tested === r.pushedDigest
        ? `pushed: ${code(r.pushedDigest.slice(0, 19))} (the tested image)`
        : `⚠️ pushed ${code(r.pushedDigest.slice(0, 19))}, not the tested image`;
}
/** Undefined when no smoke test ran. `str`: the length cap of a command. */
function smokeSection(tests, str) {
    if (!tests || tests.length === 0)
        return undefined;
    const rows = tests.map((r) => [TARGET[r.target], code(r.command, str), resultText(r), formatDuration(r.durationMs), pushedText(r)]);
    const failed = tests.filter((t) => !t.passed).length;
    const head = failed ? `**Smoke tests** — ${failed} failed, so nothing was pushed` : '**Smoke tests** — passed before anything was pushed';
    return `${head}\n\n${table(['image', markdown_text('command (sh -c, through the entrypoint)'), 'result', 'time', 'pushed'], rows)}`;
}

;// CONCATENATED MODULE: ./src/report/render.ts
// The report as Markdown: the job summary and the sticky PR comment are the same document
// (the comment starts with the hidden marker and is a little more compact). Pure: a
// function of `ReportData` only.










const SUMMARY_CAPS = {
    changes: 100,
    warnings: 30,
    retention: 40,
    trend: 30,
    platforms: 16,
    builds: 8,
    phases: 16,
    budget: 8,
    packages: 500,
    str: 200,
    value: 160,
    warning: 500,
};
const COMMENT_CAPS = {
    changes: 40,
    warnings: 10,
    retention: 15,
    trend: 20,
    platforms: 8,
    builds: 4,
    phases: 10,
    budget: 4,
    packages: 60,
    str: 150,
    value: 120,
    warning: 300,
};
const TIGHT_CAPS = {
    changes: 10,
    warnings: 5,
    retention: 5,
    trend: 10,
    platforms: 4,
    builds: 2,
    phases: 6,
    budget: 4,
    packages: 15,
    str: 80,
    value: 60,
    warning: 120,
};
/** The job summary stays well below GitHub's 1 MiB step-summary limit. */
const SUMMARY_BYTES = Math.floor(constants/* STEP_SUMMARY_LIMIT */.CG / 4);
/** The comment stays below GitHub's 65,536-character comment limit. */
const COMMENT_CHARS = marker/* COMMENT_BODY_LIMIT */.t - 4096;
const SLOWEST = 5;
const SPARK = '▁▂▃▄▅▆▇█';
function renderReport(data, opts = {}) {
    // Every string was redacted as it was escaped; the whole document once more for what
    // reached it unescaped (code fences).
    return (0,redact/* redact */.E$)(renderUnredacted(data, opts));
}
function renderUnredacted(data, opts) {
    const forComment = opts.forComment === true;
    const fits = (md) => (forComment ? md.length <= COMMENT_CHARS : Buffer.byteLength(md, 'utf8') <= SUMMARY_BYTES);
    let md = render(data, forComment, forComment ? COMMENT_CAPS : SUMMARY_CAPS);
    if (fits(md))
        return md;
    md = render(data, forComment, TIGHT_CAPS);
    if (fits(md))
        return md;
    // Unreachable with the caps above unless the data is absurd in a way not foreseen: cut
    // at a line boundary and say so.
    const limit = forComment ? COMMENT_CHARS : SUMMARY_BYTES;
    let cut = md.slice(0, limit - 200);
    while (!fits(`${cut}\n\n…`) && cut.length > 0)
        cut = cut.slice(0, Math.floor(cut.length * 0.9));
    const nl = cut.lastIndexOf('\n');
    return `${nl > 0 ? cut.slice(0, nl) : cut}\n\n</details>\n\n… report truncated to stay within GitHub's size limit.\n`;
}
function render(d, forComment, caps) {
    const parts = [];
    if (forComment)
        parts.push((0,marker/* commentMarker */.Q)(d.image));
    const plan = d.mode === 'plan';
    parts.push(`### ${d.failure ? '❌ conda image failed' : plan ? '📝 conda image plan' : '🐍 conda image'} · ${code(d.image, caps.str, false)}`);
    if (d.failure)
        parts.push(failureSection(d.failure, caps));
    else
        parts.push(headline(d, caps));
    if (plan)
        parts.push('> **Plan only** (`mode: plan`): nothing was built, pushed or deleted.');
    // A run that failed before the environment was hashed has nothing else to show.
    if (d.envHash)
        parts.push(mainTable(d, caps, forComment));
    const smoke = smokeSection(d.smokeTests, caps.str);
    if (smoke)
        parts.push(smoke);
    const platforms = platformTable(d, caps);
    if (platforms)
        parts.push(platforms);
    const why = whySection(d, caps);
    if (why)
        parts.push(why);
    const packages = packagesSection(d.packages, forComment, caps.str, caps.packages);
    if (packages)
        parts.push(packages);
    const layers = layersSection(d, caps);
    if (layers)
        parts.push(layers);
    const builds = buildsSection(d, forComment, caps);
    if (builds)
        parts.push(builds);
    const trend = trendSection(d, forComment, caps);
    if (trend)
        parts.push(trend);
    const budget = budgetSection(d.budget, caps);
    if (budget)
        parts.push(budget);
    const retention = retentionSection(d, plan, caps);
    if (retention)
        parts.push(retention);
    const warnings = warningsSection(d.warnings, caps);
    if (warnings)
        parts.push(warnings);
    const run = d.runUrl ? ` · [workflow run](${d.runUrl})` : '';
    parts.push(`<sub>${d.envHash ? `Environment hash ${code(forComment ? d.envHash.slice(0, 12) : d.envHash, 80, false)} · ` : ''}mode ${code(d.mode, 10, false)}${run} · conda-image-action</sub>`);
    return `${parts.join('\n\n')}\n`;
}
const DECISION_SHORT = {
    reused: 'reused',
    'new-environment': 'new environment',
    'max-age': 'refreshed by max-age',
    nightly: 'nightly refresh',
    'lookup-failed': 'lookup failed, built as a cache miss',
    planned: 'planned',
};
const OUTCOME_ICON = {
    reused: '♻️',
    'would-reuse': '📝',
    built: '🔨',
    'would-build': '📝',
    'build-failed': '❌',
    'not-reached': '⏭️',
    assembled: '🧩',
    'assemble-failed': '❌',
};
/** Why a base build was due (new environment, refresh, lookup failure). */
function buildReason(decision) {
    switch (decision) {
        case 'new-environment':
            return 'no base exists for this environment hash yet';
        case 'max-age':
            return 'the newest base for this environment was older than `max-age`';
        case 'nightly':
            return "nightly refresh (`mode: base`) for today's date";
        case 'lookup-failed':
            return 'the tag lookup failed, so it was treated as a cache miss';
        default:
            return 'no reusable base for this environment';
    }
}
function decisionWords(d, b) {
    switch (b.outcome) {
        case 'would-reuse':
            return 'would be reused — a base for this environment already exists';
        case 'reused':
            return d.mode === 'base'
                ? "reused — today's base for this environment already exists (`mode: base` builds one a day), no base build ran"
                : 'reused — a base for this environment already existed, no base build ran';
        case 'would-build':
            return `would be built — ${buildReason(b.decision)}`;
        case 'built':
            return `built — ${buildReason(b.decision)}`;
        case 'build-failed':
            return `build failed — it was built because ${buildReason(b.decision)}`;
        case 'not-reached':
            return `not built — the run failed before the base build (due because ${buildReason(b.decision)})`;
        case 'assembled':
            return `assembled by \`mode: merge\` from ${plural(b.parts?.length ?? 0, 'per-platform image')} the jobs pushed (${partList(b)}), no base build ran`;
        case 'assemble-failed':
            return `not assembled — \`mode: merge\` failed before writing it (from ${partList(b)})`;
    }
}
function partList(b) {
    return (b.parts ?? []).map((t) => code(t, 120, true)).join(', ');
}
function headline(d, caps) {
    const out = [];
    const b = d.base;
    if (b?.outcome === 'would-reuse')
        out.push(`**Would reuse** base ${code(b.tag, caps.str, false)}`);
    else if (b?.outcome === 'would-build')
        out.push(`**Would build** base ${code(b.tag, caps.str, false)}${b.decision === 'planned' || b.decision === 'reused' ? '' : ` (${DECISION_SHORT[b.decision]})`}`);
    else if (b?.outcome === 'reused')
        out.push('♻️ **Base reused**');
    else if (b?.outcome === 'assembled')
        out.push('🧩 **Base assembled** (`mode: merge`)');
    else if (b?.outcome === 'built')
        out.push(`🔨 **${builtVerb(b)}** (${builtWhy(b)})`);
    const size = d.final?.size;
    if (size) {
        const cmp = d.final?.compareTo && comparableSizes(size, d.final.compareTo) ? d.final.compareTo : undefined;
        out.push(`image **${format_formatBytes(size.total)}**${cmp ? ` (${formatDelta(size.total, cmp.total)})` : ''}`);
    }
    if (d.mode !== 'plan' && d.builds.length === 0)
        out.push('nothing built');
    return out.join(' · ');
}
/** "Base built" for a base of a new environment, "Base rebuilt" for a refresh of an existing one. */
function builtVerb(b) {
    return b.decision === 'max-age' || b.decision === 'nightly' ? 'Base rebuilt' : 'Base built';
}
function builtWhy(b) {
    if (b.decision === 'new-environment')
        return b.previousTag ? 'environment changed' : 'new environment';
    return DECISION_SHORT[b.decision];
}
function failureSection(f, caps) {
    const lines = [`❌ **Failed** in ${markdown_text(f.phase, 80)}${f.where ? ` — ${markdown_text(f.where, caps.str)}` : ''}`];
    lines.push(`> ${markdown_text(f.message, caps.warning)}`);
    if (f.log.length > 0) {
        const log = f.log.map((l) => oneLine(l, caps.warning));
        const fence = fenceFor(log);
        lines.push(`${fence}text\n${log.join('\n')}\n${fence}`);
    }
    if (f.hints.length > 0)
        lines.push(`**What to try:**\n${f.hints.map((h) => `- ${markdown_text(h, caps.warning)}`).join('\n')}`);
    return lines.join('\n\n');
}
/** A reference with its digest cut to 12 hex digits: full digests are where someone copies them (the pull line, the outputs). */
function shortDigests(s) {
    return s.replace(/\bsha256:([0-9a-f]{12})[0-9a-f]{52}\b/g, 'sha256:$1…');
}
/**
 * The SBOM this run attached to the base it built: the artifact by digest (in full in the
 * summary, where someone copies it; short in the comment), its components, where the lock is.
 */
function sbomText(s, caps, forComment) {
    const counts = `${thousands(s.conda)} conda and ${thousands(s.pip)} pip ${s.conda + s.pip === 1 ? 'component' : 'components'}`;
    const lock = s.lock ? `; lock ${code(s.lock, caps.str)} in the base image` : '';
    if (forComment)
        return `📄 attached ${code(shortDigests(s.ref), caps.str)} — ${counts}${lock}`;
    const each = s.platforms > 1 ? ` (one per platform manifest, ${s.platforms} attached; this is the first platform's)` : '';
    return `📄 CycloneDX, attached to the base as an OCI referrer: ${code(s.ref, caps.str + 80)}${each} — ${counts}${lock}`;
}
function baseRows(d, b, caps, forComment) {
    const rows = [];
    rows.push(['Base tag', `${code(b.tag, caps.str)} · ${tagState(b)}`]);
    rows.push(['Base', `${OUTCOME_ICON[b.outcome]} ${decisionWords(d, b)}`]);
    const shownAsImage = d.final && b.ref?.startsWith(`${d.final.ref.split('@')[0]}@`);
    if (b.ref && !b.outcome.startsWith('would') && !shownAsImage)
        rows.push(['Base image', code(shortDigests(b.ref), caps.str)]);
    if (b.size)
        rows.push(['Base size', sizeText(b.size, b.compareTo, caps)]);
    if (b.changedBytes)
        rows.push(['Base new layers', changedBytesText(b.changedBytes, shortDigests, caps.str)]);
    if (b.sbom && b.outcome === 'built')
        rows.push(['SBOM', sbomText(b.sbom, caps, forComment)]);
    if (b.outcome === 'reused' && b.savedMs !== undefined)
        rows.push(['Reuse saved', savedText(b)]);
    return rows;
}
/** The time the reused base's own build took (its label): what this run did not spend. */
function savedText(b) {
    return `⏱️ **${formatDuration(b.savedMs)}** not spent — what building ${code(b.tag, 80)} took when it was built (without its export and push)`;
}
function tagState(b) {
    switch (b.outcome) {
        case 'reused':
        case 'would-reuse':
            return ageText(b.ageDays ?? 0);
        case 'built':
            return 'from today';
        case 'would-build':
            return 'would be created today';
        case 'build-failed':
        case 'not-reached':
            return 'not created';
        case 'assembled':
            return `${ageText(b.ageDays ?? 0)}, assembled now`;
        case 'assemble-failed':
            return 'not assembled';
    }
}
function mainTable(d, caps, forComment) {
    const plan = d.mode === 'plan';
    const rows = [];
    const source = d.pixi ? `pixi environment ${code(d.pixi.environment, caps.str)} of ${code(d.pixi.lock, caps.str)}` : code(d.environmentFile, caps.str);
    rows.push(['Environment', `${code(d.envHash.slice(0, 12), 12)} from ${source}`]);
    if (d.base)
        rows.push(...baseRows(d, d.base, caps, forComment));
    if (d.final) {
        const f = d.final;
        const digest = f.digest && !f.ref.includes(f.digest) ? ` · digest ${code(shortDigests(f.digest), 80)}` : '';
        const unchanged = f.unchangedFrom ? ` · unchanged (same digest as ${code(shortDigests(f.unchangedFrom), caps.str)})` : '';
        rows.push([plan ? 'Image (planned)' : 'Image', `${code(shortDigests(f.ref), caps.str)}${digest}${unchanged}`]);
        rows.push(['Size', !f.size && f.sizeImplausible ? IMPLAUSIBLE : sizeText(f.size, f.compareTo, caps)]);
        if (f.changedBytes)
            rows.push(['New layers', changedBytesText(f.changedBytes, shortDigests, caps.str)]);
    }
    rows.push(['Cache', cacheText(d, caps)]);
    rows.push(['Push', pushText(d, caps)]);
    const pushed = d.pushedTags ?? [];
    if (pushed.length > 0 && !d.failure) {
        const shown = pushed.slice(0, caps.builds * 2).map((t) => code(shortDigests(t), caps.str));
        if (pushed.length > shown.length)
            shown.push(`… and ${more(pushed.length - shown.length)} more`);
        rows.push(['Pushed tags', shown.join('<br>')]);
    }
    // The one place a full digest is shown: the line someone copies — when the image is in the registry (pushed, or reused from there).
    const inRegistry = pushed.length > 0 || (d.push.enabled && d.builds.length === 0);
    if (d.final?.ref && !d.failure && !plan && inRegistry)
        rows.push(['Pull', code(`docker pull ${d.final.ref}`, caps.str + 80)]);
    if (d.phases.length > 0)
        rows.push(['Time', phasesText(d, caps)]);
    return table(['', ''], rows);
}
function ageText(days) {
    if (days <= 0)
        return 'from today';
    return `${plural(days, 'day')} old`;
}
/** 9,950 */
function more(n) {
    return thousands(n);
}
function percent(n, total, digits) {
    if (total <= 0)
        return '–';
    return `${((n / total) * 100).toFixed(digits)}%`;
}
/** The final image's size when the registry gave one no image could have. */
const IMPLAUSIBLE = '⚠️ unknown — the registry gave a size no image could have (its layers add up to more than any image holds, or are not whole numbers of bytes); nothing is compared or budgeted with it';
function sizeText(size, cmp, caps) {
    if (!size)
        return 'not measured';
    const kind = MEASURE_WORDS[measureOf(size)];
    const platforms = size.platforms.length > 1 ? ` over ${plural(size.platforms.length, 'platform')}` : '';
    const single = size.platforms.length === 1 && size.platforms[0].platform !== 'unknown' ? ` (${markdown_text(size.platforms[0].platform, 40)})` : '';
    const vs = !cmp
        ? ' · no previous image to compare with'
        : comparableSizes(size, cmp)
            ? ` · ${formatDelta(size.total, cmp.total)} vs ${code(shortDigests(cmp.ref), caps.str)}`
            : ` · not compared with ${code(shortDigests(cmp.ref), caps.str)} (${format_formatBytes(cmp.total)}): ${markdown_text(notComparableWhy(size, cmp), caps.value)}`;
    return `**${format_formatBytes(size.total)}** ${kind}${platforms}${single}${vs}`;
}
function cacheText(d, caps) {
    const { cachedSteps, totalSteps } = d.cache;
    if (d.mode === 'plan')
        return 'nothing built (plan)';
    if (d.builds.length === 0)
        return d.failure ? 'no build finished (the run failed)' : 'nothing built';
    // A registry cache BuildKit refused to import explains a low ratio: said next to it.
    const refused = [...new Set(d.builds.slice(0, caps.builds).flatMap((b) => (b.cacheImport ?? []).map((n) => `⚠️ ${b.kind}: ${markdown_text(n, caps.value)}`)))];
    if (totalSteps === 0)
        return ['no Dockerfile steps counted', ...refused].join(' · ');
    // The one place the ratio is shown, rounded once (as the `cache-hit-ratio` output, in percent).
    const ratio = `${cachedSteps}/${totalSteps} steps cached (${percent(cachedSteps, totalSteps, 0)})`;
    return [d.failure ? `${ratio} in the ${plural(d.builds.length, 'build')} that finished` : ratio, ...refused].join(' · ');
}
function pushText(d, caps) {
    if (d.mode === 'plan')
        return d.push.enabled
            ? '📝 nothing pushed (plan) — a run would push'
            : `📝 nothing pushed (plan) — a run would not push: ${markdown_text(d.push.reason, caps.value)}`;
    const pushed = d.pushedTags ?? [];
    if (d.failure) {
        return pushed.length ? `❌ the run failed after pushing ${pushed.map((t) => code(t, caps.str)).join(', ')}` : '❌ the run failed: nothing was pushed';
    }
    const head = !d.push.enabled
        ? `⏸️ not pushed — ${markdown_text(d.push.reason, caps.value)}`
        : pushed.length === 0
            ? '✅ nothing to push — nothing was built'
            : '✅ pushed';
    const notes = new Set();
    for (const b of d.builds.slice(0, caps.builds)) {
        if (b.cacheExport === 'exported') {
            if (b.cacheNote)
                notes.add(`${b.kind} ${markdown_text(b.cacheNote, caps.value)}`);
            continue;
        }
        const what = b.cacheExport === 'failed' ? 'cache export failed' : 'cache not exported';
        notes.add(`${b.kind} ${what}${b.cacheNote ? ` (${markdown_text(b.cacheNote, caps.value)})` : ''}`);
    }
    return [head, ...notes].join(' · ');
}
function phasesText(d, caps) {
    const shown = d.phases
        .slice(0, caps.phases)
        .map((p) => `${markdown_text(p.name, 60)} ${formatDuration(p.ms)}${p.overlapped?.length ? ` (alongside ${p.overlapped.map((o) => markdown_text(o, 40)).join(', ')})` : ''}`);
    if (d.phases.length > caps.phases)
        shown.push(`… and ${more(d.phases.length - caps.phases)} more`);
    return `${shown.join(' · ')} · **total ${formatDuration(wallClock(d.phases))}**`;
}
/** From the first phase's start to the last one's end (phases that overlapped are not counted twice); the sum when the times are not known. */
function wallClock(phases) {
    const timed = phases.filter((p) => Number.isFinite(p.startMs) && Number.isFinite(p.endMs));
    if (timed.length > 0 && timed.length === phases.length)
        return Math.max(...timed.map((p) => p.endMs)) - Math.min(...timed.map((p) => p.startMs));
    return phases.reduce((n, p) => n + (Number.isFinite(p.ms) ? p.ms : 0), 0);
}
function platformTable(d, caps) {
    const size = d.final?.size;
    if (!size || size.platforms.length < 2)
        return undefined;
    const cmp = d.final?.compareTo && comparableSizes(size, d.final.compareTo) ? d.final.compareTo : undefined;
    const rows = size.platforms.slice(0, caps.platforms).map((p) => {
        const prev = cmp?.platforms.find((q) => q.platform === p.platform);
        return [markdown_text(p.platform, 60), format_formatBytes(p.bytes), prev ? formatDelta(p.bytes, prev.bytes) : cmp ? 'new platform' : '–'];
    });
    if (size.platforms.length > caps.platforms)
        rows.push([`… and ${more(size.platforms.length - caps.platforms)} more`, '', '']);
    return table(['Platform', measureOf(size) === 'engine-uncompressed' ? 'Unpacked' : 'Compressed', 'Change'], rows, ['l', 'r', 'l']);
}
// --- why the base was (re)built ---
const SECTION_NAMES = {
    dependencies: 'conda dependencies',
    channels: 'channels (order = priority)',
    pip: 'pip requirements',
    files: 'referenced files',
    file: 'referenced files',
    dockerfile: 'base Dockerfile',
    variables: 'variables',
    buildArgs: 'base build args',
    'build-args': 'base build args',
    platforms: 'platforms',
    name: 'environment name',
    scheme: 'hash scheme',
    environment: 'environment',
};
const WHY_TITLE = {
    'would-build': '#### Why a base would be built',
    'build-failed': '#### Why a base build ran',
    'not-reached': '#### Why a base build was due',
};
function whySection(d, caps) {
    const b = d.base;
    // Nothing was built for a reused base, nor by mode: merge (its base row names the parts).
    if (!b || b.outcome === 'reused' || b.outcome === 'would-reuse' || b.outcome === 'assembled' || b.outcome === 'assemble-failed')
        return undefined;
    const title = WHY_TITLE[b.outcome] ?? `#### Why the base was ${builtVerb(b) === 'Base rebuilt' ? 'rebuilt' : 'built'}`;
    const prev = b.previousTag ? code(b.previousTag, caps.str, false) : undefined;
    const lines = [title];
    switch (b.decision) {
        case 'max-age':
            lines.push(`Refreshed by \`max-age\`: the newest base for this environment${prev ? ` (${prev})` : ''} was older than the limit, so it is rebuilt with today's date.`);
            break;
        case 'nightly':
            lines.push("Nightly refresh (`mode: base`): today's tag is built for the current environment even though an older one may exist.");
            break;
        case 'lookup-failed':
            lines.push('The registry tag lookup failed, so the base is built as a cache miss (see the warnings).');
            break;
        default:
            if (!prev)
                lines.push('No earlier base of this repository and prefix to compare with: this is the first base for it.');
    }
    lines.push(...environmentComparison(b, prev, caps));
    if (b.refresh)
        lines.push(refreshText(b.refresh, b, prev, caps));
    if (b.note)
        lines.push(`Note: ${markdown_text(b.note, caps.value)}`);
    return lines.join('\n\n');
}
/** What differs from the previous base: nothing (same hash), the document's changes, or that they were not read. */
function environmentComparison(b, prev, caps) {
    if (!prev)
        return [];
    if (b.previousSameEnvironment)
        return [`Same environment as ${prev} (identical hash): nothing in the environment changed.`];
    const changes = b.changes;
    if (!changes)
        return [];
    if (changes.length === 0)
        return [`No difference from ${prev} in the environment document (a different hash can come from platforms or the scheme).`];
    const out = [`Compared with ${prev}: ${changeCounts(changes)}.`, changeDiff(changes, caps)];
    if (changes.length > caps.changes)
        out.push(`… and ${more(changes.length - caps.changes)} more changes`);
    return out;
}
/** What a refresh did, from its build's steps: FROM images changed or not, the environment solved again or not. */
function refreshText(r, b, prev, caps) {
    const ran = r.rebuilt.length;
    if (r.kind === 'full')
        return `**What the refresh did** (\`refresh: full\`): built with \`--no-cache\` — FROM images pulled again and every step run again (${ran} of ${r.totalSteps}), so the environment was solved again.`;
    if (ran === 0 && r.totalSteps > 0) {
        const same = b.previousSameEnvironment && prev ? ` as ${prev}` : '';
        return `**What the refresh did** (\`refresh: pull\`): FROM images pulled again and unchanged — all ${r.totalSteps} steps came from the cache, so the environment was **not** solved again and ${code(b.tag, caps.str, false)} has the same content${same}. \`refresh: full\` solves it again (newer package builds within the same specs).`;
    }
    const names = r.rebuilt.slice(0, 3).map((n) => code(n, caps.value, false));
    const rest = ran > names.length ? ` and ${more(ran - names.length)} more` : '';
    return `**What the refresh did** (\`refresh: pull\`): FROM images pulled again; ${ran} of ${r.totalSteps} steps ran again (a FROM image changed, or the cache did not have them): ${names.join(', ')}${rest}.`;
}
function changeCounts(changes) {
    let added = 0;
    let removed = 0;
    let changed = 0;
    for (const c of changes) {
        if (c.kind === 'added')
            added++;
        else if (c.kind === 'removed')
            removed++;
        else
            changed++;
    }
    const out = [];
    if (added)
        out.push(`${thousands(added)} added`);
    if (removed)
        out.push(`${thousands(removed)} removed`);
    if (changed)
        out.push(`${thousands(changed)} changed`);
    return out.join(', ');
}
function changeDiff(changes, caps) {
    const v = (s) => oneLine(s, caps.value);
    const shown = changes.slice(0, caps.changes);
    // Group by section, keeping the order sections first appear in.
    const groups = new Map();
    for (const c of shown) {
        const g = groups.get(c.section);
        if (g)
            g.push(c);
        else
            groups.set(c.section, [c]);
    }
    const lines = [];
    for (const [section, list] of groups) {
        lines.push(`@@ ${v(SECTION_NAMES[section] ?? section)} @@`);
        for (const c of list) {
            const item = v(c.item);
            const withValue = (val) => (val !== undefined && val !== c.item ? `${item}: ${v(val)}` : item);
            if (c.kind === 'added')
                lines.push(`+ ${withValue(c.after)}`);
            else if (c.kind === 'removed')
                lines.push(`- ${withValue(c.before)}`);
            else if (c.before !== undefined || c.after !== undefined) {
                lines.push(`- ${c.before !== undefined ? `${item}: ${v(c.before)}` : item}`);
                lines.push(`+ ${c.after !== undefined ? `${item}: ${v(c.after)}` : item}`);
            }
            else
                lines.push(`! ${item} (changed)`);
        }
    }
    const fence = fenceFor(lines);
    return `${fence}diff\n${lines.join('\n')}\n${fence}`;
}
// --- why the image changed size ---
function layersSection(d, caps) {
    const f = d.final;
    const l = f?.layers;
    if (!f?.size || !f.compareTo || !l || (l.added.length === 0 && l.removed.length === 0))
        return undefined;
    const rows = [
        ...l.added.map((c) => ['+', format_formatBytes(c.bytes), code(c.step, caps.value)]),
        ...l.removed.map((c) => ['−', format_formatBytes(c.bytes), code(c.step, caps.value)]),
    ];
    const head = `#### Why the image changed size (${formatDelta(f.size.total, f.compareTo.total)} vs ${code(shortDigests(f.compareTo.ref), caps.str)})\n\n` +
        `Layers it has that the compared image has not: **${format_formatBytes(l.addedBytes)}**; layers only the compared image had: **${format_formatBytes(l.removedBytes)}** (compressed; the largest of each, with the step that made it).`;
    return `${head}\n\n${table(['', 'Size', 'Step'], rows, ['l', 'r', 'l'])}`;
}
// --- builds and slowest steps ---
function buildsSection(d, forComment, caps) {
    if (d.builds.length === 0)
        return undefined;
    const out = [];
    if (!forComment || d.builds.length > 1) {
        const rows = d.builds
            .slice(0, caps.builds)
            .map((b) => [
            b.kind,
            `${code(shortDigests(b.ref), caps.str)}${b.digest && !b.ref.includes(b.digest) ? ` ${code(shortDigests(b.digest), 80)}` : ''}`,
            b.totalSteps > 0 ? `${b.cachedSteps}/${b.totalSteps}` : '–',
            formatDuration(b.durationMs),
            b.cacheExport === 'exported' ? 'exported' : b.cacheExport === 'failed' ? '⚠️ failed' : 'skipped',
        ]);
        if (d.builds.length > caps.builds)
            rows.push([`… and ${more(d.builds.length - caps.builds)} more`, '', '', '', '']);
        out.push(table(['Build', 'Image', 'Cached steps', 'Time', 'Cache export'], rows, ['l', 'l', 'r', 'r', 'l']));
    }
    const steps = slowestSteps(d.builds);
    if (steps.top.length > 0) {
        const rows = steps.top.map((s) => [code(s.name, caps.value), s.kind, formatDuration(s.durationMs), s.cached ? '✅ cached' : 'built']);
        out.push(details(`Slowest build steps (top ${steps.top.length} of ${thousands(steps.total)})`, table(['Step', 'Build', 'Time', 'Cache'], rows, ['l', 'l', 'r', 'l'])));
    }
    return out.length > 0 ? out.join('\n\n') : undefined;
}
function slowestSteps(builds) {
    const top = [];
    let total = 0;
    for (const b of builds) {
        for (const s of b.steps) {
            total++;
            const ms = Number.isFinite(s.durationMs) ? s.durationMs : 0;
            if (top.length < SLOWEST || ms > top[top.length - 1].durationMs) {
                top.push({ name: s.name, kind: b.kind, durationMs: ms, cached: s.cached });
                top.sort((a, c) => c.durationMs - a.durationMs);
                if (top.length > SLOWEST)
                    top.pop();
            }
        }
    }
    return { top, total };
}
// --- trend ---
function sparkline(values) {
    if (values.length === 0)
        return '';
    const min = Math.min(...values);
    const max = Math.max(...values);
    if (max === min)
        return SPARK[3].repeat(values.length);
    return values.map((v) => SPARK[Math.min(7, Math.floor(((v - min) / (max - min)) * 8))]).join('');
}
function trendSection(d, forComment, caps) {
    const all = (d.trend ?? []).filter((t) => Number.isFinite(t.bytes));
    if (all.length < 2)
        return undefined;
    const points = all.slice(-caps.trend);
    const values = points.map((p) => p.bytes);
    const first = values[0];
    const last = values[values.length - 1];
    const line = `**Size trend** (last ${plural(points.length, 'dated base')}): \`${sparkline(values)}\` ` +
        `${format_formatBytes(first)} → ${format_formatBytes(last)} (${formatDelta(last, first)}) · min ${format_formatBytes(Math.min(...values))} · max ${format_formatBytes(Math.max(...values))}`;
    if (forComment)
        return line;
    const rows = points.map((p, i) => [code(p.tag, caps.str), format_formatBytes(p.bytes), i === 0 ? '–' : formatDelta(p.bytes, points[i - 1].bytes)]);
    return `${line}\n\n${details('Sizes of the dated bases', table(['Tag', 'Size', 'Change'], rows, ['l', 'r', 'l']))}`;
}
// --- budget, retention, warnings ---
function budgetSection(budget, caps) {
    if (!budget || budget.length === 0)
        return undefined;
    const exceeded = budget.filter((b) => b.exceeded).length;
    const rows = budget
        .slice(0, caps.budget)
        .map((b) => [
        code(b.kind, 20),
        markdown_text(b.limit, 60),
        markdown_text(b.actual, 60),
        b.exceeded ? '❌ exceeded' : b.note ? `➖ not evaluated: ${markdown_text(b.note, caps.value)}` : '✅ within',
    ]);
    const head = exceeded > 0 ? `#### ❌ Size budget exceeded (${exceeded} of ${budget.length})` : '#### Size budget';
    return `${head}\n\n${table(['Budget', 'Limit', 'Actual', 'Result'], rows)}`;
}
function retentionSection(d, plan, caps) {
    const r = d.retention;
    if (!r)
        return undefined;
    const dry = plan || r.mode === 'dry-run';
    const title = dry ? '#### Retention (dry run — nothing deleted)' : '#### Retention';
    const counts = [
        `${dry ? 'would delete' : 'deleted'} **${r.deleted.length}**`,
        `${dry ? 'would keep' : 'kept'} **${r.kept.length}**`,
        `protected **${r.protected.length}**`,
    ].join(' · ');
    const lines = [title, `${counts.charAt(0).toUpperCase()}${counts.slice(1)} (via ${markdown_text(r.backend, 40)})`];
    if (r.error)
        lines.push(`⚠️ ${markdown_text(r.error, caps.warning)}`);
    const rows = [];
    const add = (entries, action) => {
        for (const e of entries.slice(0, caps.retention)) {
            rows.push([code(e.tag, caps.str), e.ageDays === undefined ? '–' : plural(e.ageDays, 'day'), action, e.reason ? markdown_text(e.reason, caps.value) : '']);
        }
        if (entries.length > caps.retention)
            rows.push([`… and ${more(entries.length - caps.retention)} more`, '', action, '']);
    };
    add(r.deleted, dry ? 'would delete' : '🗑️ deleted');
    add(r.protected, '🛡️ protected');
    add(r.kept, 'kept');
    if (rows.length > 0)
        lines.push(details('Dated tags', table(['Tag', 'Age', 'Action', 'Reason'], rows)));
    return lines.join('\n\n');
}
function warningsSection(warnings, caps) {
    if (warnings.length === 0)
        return undefined;
    const items = warnings.slice(0, caps.warnings).map((w) => `- ${markdown_text(w, caps.warning)}`);
    if (warnings.length > caps.warnings)
        items.push(`- … and ${more(warnings.length - caps.warnings)} more`);
    return `#### ⚠️ Warnings\n\n${items.join('\n')}`;
}

;// CONCATENATED MODULE: ./src/phases/report.ts
// Phase 8: the report — assembled once from the run's state (plan mode included), written
// to the job summary and the sticky PR comment; then the size budget is enforced.





/** The size budget, when an image was built or reused (plan mode has no image to measure). */
function budgetOf(s) {
    if (!s.built)
        return [];
    const { size, compareTo } = s.measured;
    // Growth only against a size that measures the same thing.
    const comparable = !size || !compareTo || comparableSizes(size, compareTo);
    return evaluateBudget({
        size: size?.total,
        previous: comparable ? compareTo?.total : undefined,
        ...(comparable ? {} : { noPrevious: `the compared image's size measures something else (${notComparableWhy(size, compareTo)})` }),
        maxSize: s.opts.maxSize,
        maxGrowth: s.opts.maxGrowth,
    });
}
async function reportPhase(s, ports) {
    const budget = budgetOf(s);
    for (const b of budget)
        if (b.exceeded)
            ports.log.warning(`Size budget ${b.kind} exceeded: ${b.actual} (limit ${b.limit})`);
    const data = reportData({ ...s, builds: s.built?.builds ?? [], pushed: s.built?.pushed ?? [], budget, warnings: ports.log.flush() });
    await writeSummary(s, data, ports);
    await writeComment(s, data, ports);
    const over = budget.filter((b) => b.exceeded);
    if (s.opts.failOnBudget && over.length > 0) {
        throw new user_error/* UserError */.yo(`The image exceeds its size budget: ${over.map((b) => `${b.kind} ${b.actual} > ${b.limit}`).join('; ')}`);
    }
}
async function writeSummary(s, data, { log, results }) {
    if (!s.opts.summary)
        return;
    try {
        const md = renderReport(data);
        if (!(await results.writeSummary(md))) {
            log.info('GITHUB_STEP_SUMMARY is not set; the summary follows:');
            log.info(md);
        }
    }
    catch (e) {
        log.warning(`Could not write the job summary: ${(0,user_error/* errorMessage */.gJ)(e)}`);
    }
}
async function writeComment(s, data, { log, github }) {
    const { opts, ctx } = s;
    if (!opts.prComment || !ctx.pullRequest)
        return;
    if (ctx.pullRequest.fromFork)
        return log.notice('Pull request from a fork: its token cannot write, so no PR comment is posted (see the job summary)');
    if (!opts.githubToken)
        return log.notice('No github-token: no PR comment is posted');
    try {
        const [owner, repo] = ctx.repository.split('/');
        const body = renderReport(data, { forComment: true });
        const target = { token: opts.githubToken, apiUrl: ctx.apiUrl, owner: owner, repo: repo, issueNumber: ctx.pullRequest.number, image: data.image };
        const result = await github.upsertComment(target, body, log);
        log.info(`PR comment: ${result}`);
    }
    catch (e) {
        log.warning(`Could not write the PR comment: ${(0,user_error/* errorMessage */.gJ)(e)}`);
    }
}

;// CONCATENATED MODULE: ./src/phases/failure.ts
// When a run fails after its inputs are read, the failure is reported where people look:
// the job summary and the sticky PR comment say what failed, where (the user's file and
// line; the bundled template's failures named as the template's), the log's relevant lines
// and what to try — and the comment no longer shows an earlier run's "✅ pushed".






/** Values never shown in a failure report: the credential inputs and every secret. */
function masks(opts, env) {
    if (!opts)
        return [];
    const all = [opts.registryPassword, opts.githubToken, ...valuesToMask(opts.secrets, env), ...(opts.condarc?.secretValues ?? [])];
    return all.filter((m) => Boolean(m));
}
/** One error annotation (file and line where known), and — once the inputs are read — the report of the failure. */
async function failurePhase(e, p, env, ports) {
    const { opts, ctx } = p;
    const { info, annotation } = describeFailure(e, {
        phase: p.timer?.current,
        workspace: ctx?.workspace ?? workspaceOf(env),
        templatePath: opts?.baseDockerfile.bundled ? opts.baseDockerfile.path : undefined,
        environmentFile: opts?.environmentFile,
        masks: masks(opts, env),
        registries: opts ? [...new Set([opts.image.registry, opts.baseRepository.registry].filter(Boolean))] : [],
    });
    ports.log.error(annotation.message, annotation.file ? { file: annotation.file, line: annotation.line, column: annotation.column } : undefined);
    if (!(0,user_error/* isUserError */.iU)(e) && e instanceof Error && e.stack)
        ports.log.debug(e.stack);
    if (!opts || !ctx || p.reported)
        return;
    const data = reportData({ ...p, opts, ctx, phases: p.timer?.list ?? [], warnings: ports.log.flush(), failure: info });
    await writeSummary({ opts }, data, ports);
    await writeComment({ opts, ctx }, data, ports);
}

;// CONCATENATED MODULE: ./src/phases/reads.ts
// Phase 4a: the registry reads the builds need (and those of the Measure phase that need no
// build), started together right after the plan. None
// depends on another, and each is a round trip or two — a few milliseconds on a loopback
// registry, tens to hundreds on a remote one — so they run at once, beside the push check
// and the builder probe, instead of one after the other before the build.


/** Starts the reads; a failure stays with whoever awaits it (never an unhandled rejection). */
function startReadsBeforeBuilds(s, ports) {
    // The reads of the Measure phase that need no build start too (startEarlyMeasure).
    const { plan, opts, stores } = s;
    const compareTo = plan.app ? tolerate(ports.log, 'read the size of the compared image', () => previousAppImage(s)) : Promise.resolve(undefined);
    const baseDigest = plan.base.build ? undefined : stores.store.digest(opts.baseRepository, plan.base.tag);
    baseDigest?.catch(() => undefined);
    let appDigestBefore = Promise.resolve(undefined);
    if (plan.app && plan.push.enabled)
        appDigestBefore = stores.store.digest(plan.app.name, plan.app.tag).catch(() => undefined);
    // The build waits for the first three; the Measure phase's reads go after them (the registry answers those first).
    const first = Promise.allSettled([compareTo, baseDigest, appDigestBefore]).then(() => undefined);
    return { compareTo, baseDigest, appDigestBefore, measure: startEarlyMeasure(s, baseDigest, ports.log, first) };
}

;// CONCATENATED MODULE: ./src/image/platform-merge.ts
// mode: merge — the last job of a matrix. It builds nothing: from the per-platform parts the
// jobs pushed (src/image/platforms.ts), it assembles one multi-platform index under the dated base
// tag and one under the application tags. Every check runs before the first write, so a
// missing platform fails the step with nothing pushed.



/** Checks everything and plans both merges; reads only. */
async function planMerges(input, registry) {
    const repo = (0,reference/* formatName */.nD)(input.baseRepository);
    const baseTags = await registry.listTags(input.baseRepository);
    const base = input.base ?? planBaseMerge({ tags: baseTags, prefix: input.prefix, envHash: input.envHash, platforms: input.platforms, repository: repo });
    if (input.appTags.length === 0)
        return { base };
    const refs = input.appTags.map((t) => (0,reference/* parseReference */.F2)(t));
    const name = refs[0].name;
    const other = refs.find((r) => (0,reference/* formatName */.nD)(r.name) !== (0,reference/* formatName */.nD)(name));
    if (other) {
        throw new user_error/* UserError */.yo(`mode: merge assembles the application image in ${(0,reference/* formatName */.nD)(name)}; ${(0,reference/* formatName */.nD)(other.name)}:${other.tag} is in another repository (list tags of one repository, or copy the merged image afterwards)`);
    }
    const appRepoTags = (0,reference/* formatName */.nD)(name) === repo ? baseTags : await registry.listTags(name);
    const parts = planAppMerge({ tags: appRepoTags, appTag: refs[0].tag, platforms: input.platforms, repository: (0,reference/* formatName */.nD)(name) });
    return { base, app: { name, tags: refs.map((r) => r.tag), parts } };
}
/** `pushed`: told of each tag as soon as its index is written (a later failure still reports it). */
async function mergeImages(input, registry, log, pushed = () => undefined) {
    const plan = await planMerges(input, registry);
    const repo = (0,reference/* formatName */.nD)(input.baseRepository);
    let base;
    if (plan.base.action === 'assemble') {
        const parts = plan.base.parts.map((p) => ({ ref: p.tag, platform: p.platform }));
        const { digest } = await registry.putIndex(input.baseRepository, parts, [plan.base.tag]);
        pushed([(0,reference/* formatReference */.FH)(input.baseRepository, plan.base.tag)]);
        log.info(`Assembled ${repo}:${plan.base.tag}@${digest} from ${plan.base.parts.map((p) => p.tag).join(', ')}`);
        base = { tag: plan.base.tag, digest, assembled: true };
    }
    else {
        const digest = await registry.headDigest(input.baseRepository, plan.base.tag);
        if (!digest)
            throw new Error(`${repo}:${plan.base.tag} vanished while merging`);
        log.info(`${repo}:${plan.base.tag} is already a whole base (the jobs reused it): nothing to assemble`);
        base = { tag: plan.base.tag, digest, assembled: false };
    }
    if (!plan.app)
        return { base };
    const { name, tags, parts } = plan.app;
    const { digest } = await registry.putIndex(name, parts.map((p) => ({ ref: p.tag, platform: p.platform })), tags);
    pushed(input.appTags);
    log.info(`Assembled ${(0,reference/* formatName */.nD)(name)}:${tags.join(', ')}@${digest} from ${parts.map((p) => p.tag).join(', ')}`);
    return { base, app: { name, tag: tags[0], digest } };
}

;// CONCATENATED MODULE: ./src/phases/merge.ts
// Phase 5 of mode: merge — no builds: the per-platform images the jobs of a matrix pushed are
// assembled into one multi-platform base tag and application tag (src/image/platform-merge.ts).






/** `progress`: every reference written, as it is written (what a failure report says was pushed). */
async function mergePhase(s, ports, progress = { pushed: [] }) {
    const { opts, plan, stores, fp } = s;
    if (!stores.registry || !plan.merge)
        throw new user_error/* UserError */.yo('mode: merge assembles multi-platform tags in a registry');
    if (!plan.push.enabled)
        throw new user_error/* UserError */.yo(`mode: merge pushes the multi-platform tags, but this job does not push: ${plan.push.reason}`);
    const merged = await mergeImages({
        baseRepository: opts.baseRepository,
        prefix: opts.baseTagPrefix,
        envHash: fp.hash,
        platforms: s.platforms,
        appTags: opts.dockerfile ? opts.tags : [],
        base: plan.merge,
    }, stores.registry, ports.log, (refs) => progress.pushed.push(...refs));
    const baseRef = (0,reference/* formatReference */.FH)(opts.baseRepository, merged.base.tag, merged.base.digest);
    const final = merged.app ?? { name: opts.baseRepository, tag: merged.base.tag, digest: merged.base.digest };
    const ref = (0,reference/* formatReference */.FH)(final.name, final.tag, final.digest);
    // The merge writes the multi-platform base tag (unless the jobs reused a whole base) and, with an application, its tags.
    const pushed = [...progress.pushed];
    publishOutputs(ports.results, {
        ...baseOutputs(baseRef, true),
        ...finalOutputs({ ref, digest: final.digest, cache: cacheTotals([]), metadata: undefined, pushed }),
    });
    // The jobs attached each platform's SBOM to its manifest: the outputs name what they attached.
    await sbomPhase(s, { digest: merged.base.digest, built: false }, ports);
    return { builds: [], base: { ref: baseRef, digest: merged.base.digest }, final: { ...final, ref }, pushed };
}

;// CONCATENATED MODULE: ./src/phases/plan.ts
// Phase 4: the plan, announced in the log; in plan mode, rendered (nothing is built).




/** Logs the decisions every run makes and sets the outputs known from the plan alone. */
function announcePlan({ plan }, ports) {
    ports.log.info(`Push: ${plan.push.enabled ? 'yes' : 'no'} (${plan.push.reason})`);
    if (plan.push.notice)
        ports.log.notice(plan.push.notice);
    ports.log.info(`Build cache: ${plan.cache.backend}`);
    // The tag this job pushes or uses: a job of a matrix that builds the base pushes its platform's part.
    publishOutputs(ports.results, planOutputs(plan));
}
/** Plan mode: the canonical document and what a run would do; the base outputs it can know. Returns the base reference (a reused base's). */
async function showPlan(s, ports) {
    const { fp, plan, opts } = s;
    // Bounded: 50,000 requirement lines must not become a 1.5 MB log. The whole document is in the debug log.
    ports.log.info(`Canonical environment document (hashed, scheme ${constants/* HASH_SCHEME */.tS}): ${documentCounts(fp.document)}`);
    ports.log.info(JSON.stringify(boundedJson(fp.document, PLAN_ENTRIES), null, 2));
    ports.log.info(`(at most ${PLAN_ENTRIES} entries of each list are shown; the whole document is in the debug log: re-run with debug logging)`);
    ports.log.debug(`Canonical environment document, whole:\n${JSON.stringify(fp.document, null, 2)}`);
    for (const step of plan.steps)
        ports.log.info(step);
    let baseRef;
    if (plan.choice.action === 'reuse') {
        const digest = await s.stores.store.digest(opts.baseRepository, plan.choice.tag).catch(() => undefined);
        baseRef = (0,reference/* formatReference */.FH)(opts.baseRepository, plan.choice.tag, digest);
    }
    publishOutputs(ports.results, baseOutputs(baseRef, reusesBase(plan)));
    return baseRef;
}
/** Entries of each list or map the plan prints. */
const PLAN_ENTRIES = 20;
/** `1,204 dependencies, 3 channels, 12 pip`: the size of each list or map of the document. */
function documentCounts(doc) {
    const parts = [];
    for (const [key, value] of Object.entries(doc)) {
        if (Array.isArray(value))
            parts.push(`${thousands(value.length)} ${key}`);
        else if (value && typeof value === 'object')
            parts.push(`${thousands(Object.keys(value).length)} ${key}`);
    }
    return parts.join(', ');
}
/** The document with every list and map cut to `max` entries, saying how many more there are. */
function boundedJson(value, max) {
    if (Array.isArray(value)) {
        const shown = value.slice(0, max).map((v) => boundedJson(v, max));
        return value.length > max ? [...shown, `… and ${thousands(value.length - max)} more`] : shown;
    }
    if (value && typeof value === 'object') {
        const entries = Object.entries(value);
        const out = Object.fromEntries(entries.slice(0, max).map(([k, v]) => [k, boundedJson(v, max)]));
        if (entries.length > max)
            out['…'] = `and ${thousands(entries.length - max)} more`;
        return out;
    }
    return value;
}

;// CONCATENATED MODULE: ./src/phases/push-access.ts
// Phase 4b: push means push. Before any build, a run that pushes checks that it can: a tag
// lookup the registry refused (401/403) is fatal, and every repository the run pushes to
// must take a push (a blob upload started and cancelled). Missing or refused credentials
// fail the step, naming the registry and how to log in; a registry that cannot be reached
// for the check is only warned about (the push itself will say more).
//
// Before that, as soon as the inputs are read: every registry a run that pushes writes to must
// answer at all (startReachChecks, reachPhase). One that cannot be reached — the name does not
// resolve, the connection is refused, TLS fails, no answer within seconds — stops the run
// before the lookup and any build, naming the host, the cause and what to do.





/** The repositories this run pushes to: the base repository when a base is built, the image's when an application is. */
function pushTargets(s) {
    const repos = [...(s.plan.base.build ? [s.opts.baseRepository] : []), ...(s.plan.app ? [s.opts.image] : [])];
    return repos.filter((r, i) => repos.findIndex((q) => (0,reference/* formatName */.nD)(q) === (0,reference/* formatName */.nD)(r)) === i);
}
/** Whether the phase has anything to do (so that it is only timed and logged when it does). */
function needsPushCheck(s) {
    return s.opts.mode !== 'plan' && s.plan.push.enabled && (s.lookup.refused !== undefined || s.plan.builder.needed);
}
/**
 * With an application Dockerfile and a run that pushes, the image's repository is a push
 * target whatever the lookup finds: its check (two round trips, more with a token) starts
 * while the action hashes and lists tags. A failure waits for the phase (never unhandled).
 */
function startPushChecks(s) {
    const { opts, ctx, stores } = s;
    const checks = new Map();
    if (!buildCertain(opts) || !stores.registry || !decidePush({ push: opts.push, local: opts.image.local, pullRequest: ctx.pullRequest }).enabled)
        return checks;
    const check = stores.registry.probePush(opts.image);
    check.catch(() => undefined);
    checks.set((0,reference/* formatName */.nD)(opts.image), check);
    return checks;
}
async function pushAccessPhase(s, ports, early = new Map()) {
    const base = s.opts.baseRepository;
    if (s.lookup.refused !== undefined)
        throw new user_error/* UserError */.yo(pushAccessMessage(base.registry, base.repository, s.lookup.refused));
    const registry = s.stores.registry;
    if (!registry || !s.plan.builder.needed)
        return;
    for (const repo of pushTargets(s)) {
        try {
            await (early.get((0,reference/* formatName */.nD)(repo)) ?? registry.probePush(repo));
            ports.log.info(`Push access to ${(0,reference/* formatName */.nD)(repo)}: ok`);
        }
        catch (e) {
            if (isRegistryError(e) && (e.kind === 'auth' || e.kind === 'denied'))
                throw new user_error/* UserError */.yo(pushAccessMessage(repo.registry, repo.repository, (0,user_error/* errorMessage */.gJ)(e)));
            ports.log.warning(`Could not check push access to ${(0,reference/* formatName */.nD)(repo)} (${(0,user_error/* errorMessage */.gJ)(e)}); building anyway`);
        }
    }
}
/** Starts the reachability checks of a run that pushes (they run while the action hashes). */
function startReachChecks(s) {
    const { opts, ctx, stores } = s;
    const registry = stores.registry;
    if (opts.mode === 'plan' || !registry || !decidePush({ push: opts.push, local: opts.image.local, pullRequest: ctx.pullRequest }).enabled)
        return undefined;
    const checks = Promise.all(registriesToReach(opts).map(async (target) => ({ target, why: await registry.reachable(target.name) })));
    checks.catch(() => undefined);
    return checks;
}
/** Every registry the run pushes to answered; else one UserError naming each that did not. */
async function reachPhase(checks, ports) {
    const results = await checks;
    const failed = results.filter((r) => r.why !== undefined);
    if (failed.length)
        throw new user_error/* UserError */.yo(failed.map((r) => unreachableMessage(r.target, r.why)).join('\n'));
    ports.log.info(`Registries reachable: ${results.map((r) => r.target.name.registry).join(', ')}`);
}

;// CONCATENATED MODULE: ./src/retention/retention-plan.ts
// The retention plan (docs/DESIGN.md §6.4): which dated tags of a prefix to keep and which manifest
// digests to delete. Pure: the tags, their digests and the clock come in as data.
//
// Deleting in a registry deletes a manifest digest, and with it EVERY tag on that digest.
// So the unit of deletion is a digest, and a digest is deleted only when every tag on it
// is a deletion candidate: a digest shared with a kept dated tag, with a tag the run uses,
// or with any other ("foreign") tag — `latest`, `sha-…`, a tag of another prefix — is
// protected. A digest that is a platform manifest of a surviving index is protected too,
// so a kept multi-platform image never loses a child. When a tag's digest could not be
// resolved, nothing it might share is deleted.
//
// A dated base and its per-platform parts (`<dated tag>_<os>_<arch>`, pushed by the jobs of
// a matrix and merged into the dated tag) are one unit: kept or deleted together, decided
// by the unit's date and hash, even while only the parts exist (the merge has not run yet).


function byTag(a, b) {
    return a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0;
}
function retention_plan_count(n, what) {
    return `${n} ${what}${n === 1 ? '' : 's'}`;
}
function planRetention(tags, policy) {
    const keepLatest = Number.isFinite(policy.keepLatest) ? Math.max(0, Math.floor(policy.keepLatest)) : 0;
    // A non-finite keepDays (Infinity) keeps everything; NaN is treated as "keep everything" too.
    const keepDays = Number.isNaN(policy.keepDays) ? Infinity : Math.max(0, policy.keepDays);
    const { dated, foreign } = classify(tags, policy);
    const { kept, candidates } = keepOrCandidate(dated, policy, keepLatest, keepDays);
    const { survivorTag, unknown } = survivors(kept, foreign);
    const childrenOf = childrenByDigest(tags);
    const { byDigest, protectedTag } = candidatesByDigest(candidates);
    const protectedDigest = protection(byDigest, survivorTag, unknown, childrenOf);
    return entries({ tags, kept, candidates, byDigest, protectedTag, protectedDigest, childrenOf, keepLatest, keepDays });
}
/** Tags of the prefix's units (dated tags and their parts, with their age) and every other tag; one entry per tag name (first wins). */
function classify(tags, policy) {
    const seen = new Set();
    const dated = [];
    const foreign = [];
    for (const info of tags) {
        if (seen.has(info.tag))
            continue;
        seen.add(info.tag);
        const parsed = parseDatedTag(info.tag, policy.prefix);
        const part = parsed ? undefined : parsePartTag(info.tag, policy.prefix);
        if (parsed)
            dated.push({ info, parsed, age: ageDays(parsed, policy.today) });
        else if (part)
            dated.push({ info, parsed: part.dated, age: ageDays(part.dated, policy.today), part: true });
        else
            foreign.push(info);
    }
    return { dated, foreign };
}
/** The units of each environment hash, newest first: dated tag → its members (the tag itself and its parts). */
function unitsByHash(dated) {
    const units = new Map();
    for (const d of dated) {
        const u = units.get(d.parsed.tag) ?? { tag: d.parsed, members: [] };
        u.members.push(d);
        units.set(d.parsed.tag, u);
    }
    const groups = new Map();
    for (const u of units.values())
        groups.set(u.tag.hash12, [...(groups.get(u.tag.hash12) ?? []), u]);
    for (const g of groups.values())
        g.sort((a, b) => b.tag.time - a.tag.time || byTag(b.tag, a.tag));
    return groups;
}
/**
 * 1. Keep (with the reason) or candidate, per unit (a dated tag with its parts). keepLatest
 * counts whole bases (the dated tag exists): a unit of parts whose merge is still to come
 * must not push out the base other jobs reuse meanwhile; it is kept while it is newer than
 * every whole base of its environment.
 */
function keepOrCandidate(dated, policy, keepLatest, keepDays) {
    const protectTags = new Set(policy.protectTags);
    const kept = [];
    const candidates = [];
    for (const [hash, group] of unitsByHash(dated)) {
        let whole = 0;
        for (const { tag, members } of group) {
            const isWhole = members.some((m) => !m.part);
            const age = members[0].age;
            // A tag dated after tomorrow is kept but takes no "newest" place (it would hold it for ever).
            const future = isFromTheFuture(tag, policy.today);
            let reason;
            if (protectTags.has(tag.tag) || members.some((m) => protectTags.has(m.info.tag)))
                reason = 'in use by this run';
            else if (future)
                reason = 'dated after tomorrow (not counted among the newest)';
            else if (isWhole && whole < keepLatest)
                reason = `newest ${keepLatest} of ${policy.prefix}${hash}`;
            else if (!isWhole && whole === 0 && keepLatest > 0)
                reason = 'parts of a base newer than every merged one (merge pending)';
            else if (age <= keepDays)
                reason = age < 0 ? 'dated in the future' : `not older than ${retention_plan_count(keepDays, 'day')}`;
            if (isWhole && !future)
                whole++;
            for (const d of members) {
                if (reason)
                    kept.push({ d, reason: d.part ? `platform part of ${tag.tag}: ${reason}` : reason });
                else
                    candidates.push(d);
            }
        }
    }
    return { kept, candidates };
}
/** 2. Digests that survive no matter what: kept dated tags and every other tag (and surviving tags of unknown digest). */
function survivors(kept, foreign) {
    const survivorTag = new Map(); // digest → a human description of who keeps it
    const unknown = []; // surviving tags whose digest is unknown
    for (const { d } of kept) {
        if (!d.info.digest)
            unknown.push(d.info.tag);
        else if (!survivorTag.has(d.info.digest))
            survivorTag.set(d.info.digest, `kept tag ${d.info.tag}`);
    }
    for (const f of [...foreign].sort(byTag)) {
        if (!f.digest)
            unknown.push(f.tag);
        else if (!survivorTag.has(f.digest))
            survivorTag.set(f.digest, `tag ${f.tag}`);
    }
    return { survivorTag, unknown };
}
/** Children per digest (any tag may carry them; union). */
function childrenByDigest(tags) {
    const childrenOf = new Map();
    for (const t of tags) {
        if (!t.digest || !t.children || t.children.length === 0)
            continue;
        const s = childrenOf.get(t.digest) ?? new Set();
        for (const c of t.children)
            s.add(c);
        childrenOf.set(t.digest, s);
    }
    return childrenOf;
}
/** 3a. Candidates grouped by digest; a candidate of unknown digest is protected. */
function candidatesByDigest(candidates) {
    const byDigest = new Map();
    const protectedTag = new Map(); // tag → reason (candidates that cannot be deleted)
    for (const c of candidates) {
        if (!c.info.digest) {
            protectedTag.set(c.info.tag, 'digest unknown (the tag could not be resolved)');
            continue;
        }
        const list = byDigest.get(c.info.digest) ?? [];
        list.push(c);
        byDigest.set(c.info.digest, list);
    }
    return { byDigest, protectedTag };
}
/** 3b. Candidate digests that must not be deleted, with the reason. */
function protection(byDigest, survivorTag, unknown, childrenOf) {
    const protectedDigest = new Map();
    if (unknown.length > 0) {
        const shown = unknown.slice(0, 3).join(', ') + (unknown.length > 3 ? ` and ${unknown.length - 3} more` : '');
        for (const digest of byDigest.keys())
            protectedDigest.set(digest, `the digest of ${shown} is unknown, so nothing that might share it is deleted`);
        return protectedDigest;
    }
    for (const digest of byDigest.keys()) {
        const who = survivorTag.get(digest);
        if (who)
            protectedDigest.set(digest, `digest shared with ${who}`);
    }
    // A surviving index keeps its platform manifests; repeat until nothing changes
    // (a protected candidate index protects its own children in turn).
    const surviving = new Map(survivorTag);
    for (const [digest] of protectedDigest) {
        const first = byDigest.get(digest)[0];
        surviving.set(digest, `protected tag ${first.info.tag}`);
    }
    for (let changed = true; changed;) {
        changed = false;
        for (const [digest, who] of [...surviving]) {
            for (const child of childrenOf.get(digest) ?? []) {
                if (!byDigest.has(child) || protectedDigest.has(child))
                    continue;
                protectedDigest.set(child, `platform manifest of the index of ${who}`);
                const first = byDigest.get(child)[0];
                surviving.set(child, `protected tag ${first.info.tag}`);
                changed = true;
            }
        }
    }
    return protectedDigest;
}
/** 4. The plan's entries: kept, deleted (by digest), protected. */
function entries(a) {
    const { kept, candidates, byDigest, protectedTag, protectedDigest, childrenOf, keepLatest, keepDays } = a;
    const keep = kept.sort((x, y) => x.d.age - y.d.age || byTag(x.d.info, y.d.info)).map(({ d, reason }) => entry(d, reason));
    const protect = [];
    const del = [];
    for (const [digest, list] of byDigest) {
        const reason = protectedDigest.get(digest);
        if (reason) {
            for (const d of list)
                protectedTag.set(d.info.tag, reason);
            continue;
        }
        const sorted = [...list].sort((x, y) => x.age - y.age || byTag(x.info, y.info));
        const tagsOn = sorted.map((d) => d.info.tag);
        const keptBy = keepLatest > 0 ? ` and not among the newest ${keepLatest} of its environment` : '';
        del.push({
            tag: tagsOn.join(', '),
            tags: tagsOn,
            digest,
            ageDays: sorted[0].age,
            reason: `older than ${retention_plan_count(keepDays, 'day')}${keptBy}`,
            ...(childrenOf.has(digest) ? { index: true } : {}),
        });
    }
    for (const c of candidates) {
        const reason = protectedTag.get(c.info.tag);
        if (reason)
            protect.push(entry(c, reason));
    }
    protect.sort((x, y) => (y.ageDays ?? 0) - (x.ageDays ?? 0) || byTag(x, y));
    withSubjects(del, a.tags, childrenOf);
    // Indexes before plain manifests: should a run stop half-way, no surviving index has lost
    // a child. Then oldest first.
    del.sort((x, y) => Number(!!y.index) - Number(!!x.index) || y.ageDays - x.ageDays || (x.digest < y.digest ? -1 : x.digest > y.digest ? 1 : 0));
    return { keep, delete: del, protect };
}
/**
 * 5. The subjects of each deleted digest whose referrers are deleted with it: itself and its
 * platform manifests, unless a tag that survives (any tag not deleted) names it or lists it.
 */
function withSubjects(del, tags, childrenOf) {
    const gone = new Set(del.map((d) => d.digest));
    const alive = new Set();
    for (const t of tags) {
        if (!t.digest || gone.has(t.digest))
            continue;
        alive.add(t.digest);
        for (const c of t.children ?? [])
            alive.add(c);
    }
    for (const [i, d] of del.entries()) {
        const subjects = [...new Set([d.digest, ...(childrenOf.get(d.digest) ?? [])])].filter((x) => !alive.has(x));
        if (subjects.length > 0)
            del[i] = { ...d, subjects };
    }
}
function entry(d, reason) {
    return { tag: d.info.tag, ...(d.info.digest ? { digest: d.info.digest } : {}), ageDays: d.age, reason };
}

;// CONCATENATED MODULE: ./src/retention/apply.ts
// Carries out a retention plan through a backend (Distribution API or GitHub Packages API).
// `dry-run` reports exactly what `true` would delete and calls nothing. A backend that
// cannot delete (deletes disabled, 405) or may not (no admin access) ends the run with an
// error in the report — retention never fails the build.

/** Consecutive thrown failures (network, 5xx after retries) after which the run stops. */
const MAX_CONSECUTIVE_FAILURES = 3;
function tagsOf(e) {
    const t = e.tags;
    return t && t.length > 0 ? [...t] : e.tag.split(', ');
}
function describe(e) {
    const age = e.ageDays === undefined ? '' : `, ${e.ageDays} day${e.ageDays === 1 ? '' : 's'} old`;
    return `${tagsOf(e).join(', ')} (${e.digest ?? 'unknown digest'}${age})`;
}
/**
 * The referrers of a deleted entry's subjects (the entry's digest and its platform
 * manifests, `subjects`), deleted right after it through the same backend, each logged —
 * never before their subject, never alone: an entry whose subject was not deleted (a failed
 * delete) stays. A failure is a problem of the report, not a stop.
 */
async function deleteReferrersOf(e, backend, referrers, log, problems) {
    if (!referrers)
        return;
    for (const subject of e.subjects ?? []) {
        try {
            const listed = await referrers(subject);
            if (listed.bounded)
                problems.push(listed.bounded);
            const gone = new Set([subject]);
            for (const r of listed.entries) {
                const what = r.index ? `the referrers index ${r.digest} of ${r.subject}` : `the referrer ${r.digest} of ${r.subject}`;
                if (!gone.has(r.subject)) {
                    log.info?.(`kept ${what}: its subject was not deleted`);
                    continue;
                }
                let outcome;
                try {
                    outcome = await backend.deleteDigest(r.digest);
                }
                catch (err) {
                    problems.push(`could not delete ${what}: ${(0,user_error/* errorMessage */.gJ)(err)}`);
                    continue;
                }
                if (outcome === 'deleted' || outcome === 'not-found')
                    gone.add(r.digest);
                if (outcome === 'deleted')
                    log.info?.(`deleted ${what}`);
                else if (outcome === 'not-found')
                    log.info?.(`already gone: ${what}`);
                else
                    problems.push(`could not delete ${what}: ${backend.explain?.(outcome) ?? outcome}`);
            }
        }
        catch (err) {
            problems.push(`could not delete the referrers of ${subject}: ${(0,user_error/* errorMessage */.gJ)(err)}`);
        }
    }
}
async function applyRetention(plan, backend, mode, log = {}, referrers) {
    const base = { mode, backend: backend.name, kept: [...plan.keep], protected: [...plan.protect] };
    if (mode === 'dry-run') {
        for (const e of plan.delete)
            log.info?.(`would delete ${describe(e)}`);
        for (const e of plan.protect)
            log.info?.(`protected ${e.tag}: ${e.reason ?? ''}`);
        log.info?.(`Retention dry run: would delete ${plan.delete.length} digest(s); nothing was deleted`);
        return { ...base, deleted: [...plan.delete] };
    }
    if (mode !== 'true')
        throw new Error(`applyRetention: unknown mode "${String(mode)}"`);
    const deleted = [];
    const problems = [];
    let stopped;
    let failures = 0;
    let notDone = 0;
    for (const e of plan.delete) {
        if (stopped) {
            notDone++;
            continue;
        }
        if (!e.digest) {
            // Plans from planRetention always carry a digest; never delete what we cannot name.
            problems.push(`${e.tag}: no digest, not deleted`);
            notDone++;
            continue;
        }
        let outcome;
        try {
            outcome = await backend.deleteDigest(e.digest);
        }
        catch (err) {
            failures++;
            notDone++;
            problems.push(`could not delete ${describe(e)}: ${(0,user_error/* errorMessage */.gJ)(err)}`);
            log.info?.(`could not delete ${describe(e)}: ${(0,user_error/* errorMessage */.gJ)(err)}`);
            if (failures >= MAX_CONSECUTIVE_FAILURES)
                stopped = `stopped after ${failures} failures in a row`;
            continue;
        }
        switch (outcome) {
            case 'deleted':
                failures = 0;
                deleted.push(e);
                log.info?.(`deleted ${describe(e)}`);
                await deleteReferrersOf(e, backend, referrers, log, problems);
                break;
            case 'not-found':
                failures = 0;
                deleted.push({ ...e, reason: `${e.reason ? `${e.reason}; ` : ''}already gone (not found)` });
                log.info?.(`already gone: ${describe(e)}`);
                await deleteReferrersOf(e, backend, referrers, log, problems);
                break;
            case 'unsupported':
            case 'denied': {
                notDone++;
                const why = backend.explain?.(outcome) ??
                    (outcome === 'unsupported' ? `${backend.name} does not support deleting manifests` : `${backend.name} denied the delete`);
                stopped = why;
                break;
            }
            default:
                throw new Error(`applyRetention: unexpected outcome "${String(outcome)}" from ${backend.name}`);
        }
    }
    const parts = [];
    if (stopped)
        parts.push(stopped);
    if (problems.length > 0)
        parts.push(problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : ''));
    if (notDone > 0)
        parts.push(`${notDone} of ${plan.delete.length} digest(s) were not deleted`);
    // Returned in the report (the caller warns with it), not logged here twice.
    const error = parts.length > 0 ? parts.join(' — ') : undefined;
    log.info?.(`Retention: deleted ${deleted.length} of ${plan.delete.length} digest(s)`);
    return { ...base, deleted, ...(error ? { error } : {}) };
}

;// CONCATENATED MODULE: ./src/retention/distribution.ts
// Retention on a CNCF Distribution–compatible registry: tags and digests read through the
// registry client, deletes as `DELETE /v2/<name>/manifests/<digest>`. Typed against the
// few client methods used, so any RegistryClient-like object fits.




function errorKind(e) {
    const k = e?.kind;
    return typeof k === 'string' ? k : undefined;
}
function distributionBackend(client, name) {
    let denied = '';
    return {
        name: `Distribution API (${name.registry || 'local'})`,
        async deleteDigest(digest) {
            try {
                return await client.deleteManifest(name, digest);
            }
            catch (e) {
                // 401/403 from the registry: the credentials may pull and push but not delete.
                const kind = errorKind(e);
                if (kind === 'denied' || kind === 'auth') {
                    denied = (0,user_error/* errorMessage */.gJ)(e);
                    return 'denied';
                }
                throw e;
            }
        },
        explain(outcome) {
            if (outcome === 'unsupported') {
                return `${name.registry} does not allow deleting manifests (HTTP 405 UNSUPPORTED): deletes are disabled in the registry (Distribution: storage.delete.enabled: true), so nothing was deleted`;
            }
            return `${name.registry} refused to delete from ${(0,reference/* formatName */.nD)(name)}${denied ? ` (${denied})` : ''}: the registry credentials need delete permission on the repository`;
        },
    };
}
/** Failed reads after which the rest is not attempted (each read already retries). */
const MAX_FAILURES = 3;
/**
 * Every tag of the repository with its digest (and its platform manifests when it is an
 * index). All tags are resolved, not just the dated ones: any of them may share a digest
 * with a dated tag. A tag that vanished meanwhile is left out; a tag that could not be read
 * gets digest '' — planRetention then deletes nothing that tag might share.
 * Returns [] when the repository has no dated tag of `prefix` (nothing to prune).
 */
async function collectTagInfo(client, name, prefix, opts = {}) {
    const tags = await client.listTags(name);
    // Nothing to prune without a dated tag or a per-platform part of one.
    if (!tags.some((t) => parseDatedTag(t, prefix) || parsePartTag(t, prefix)))
        return [];
    const n = Math.max(1, Math.floor(opts.concurrency ?? 8));
    const out = new Array(tags.length);
    let failures = 0;
    let next = 0;
    const worker = async () => {
        while (next < tags.length) {
            const i = next++;
            const tag = tags[i];
            if (failures >= MAX_FAILURES) {
                out[i] = { tag, digest: '' };
                continue;
            }
            try {
                const m = await client.getManifest(name, tag);
                if (!m)
                    continue; // deleted since the listing
                const manifests = m.manifest?.manifests;
                const children = Array.isArray(manifests)
                    ? manifests.map((d) => d?.digest).filter((d) => typeof d === 'string')
                    : undefined;
                out[i] = { tag, digest: m.digest, ...(children ? { children } : {}) };
            }
            catch (e) {
                failures++;
                opts.log?.warning?.(`Retention: could not read ${(0,reference/* formatName */.nD)(name)}:${tag} (${(0,user_error/* errorMessage */.gJ)(e)}); nothing it might share is deleted`);
                out[i] = { tag, digest: '' };
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(n, tags.length) }, worker));
    return out.filter((t) => t !== undefined);
}

;// CONCATENATED MODULE: ./src/retention/ghcr.ts
// Retention on ghcr.io through the GitHub Packages REST API: the registry API of ghcr.io
// cannot delete, but every manifest digest is a "package version" there
// (`name` = digest, `metadata.container.tags`), deleted by id.
//
//   GET    /orgs/{org}/packages/container/{package}/versions?per_page=100   (or /users/{user}/…)
//   DELETE /orgs/{org}/packages/container/{package}/versions/{id}           → 204
//
// The package name is URL-encoded (`ghcr.io/acme/model/sub` → package `model%2Fsub`).
// Deleting needs Admin access to the package — the workflow's GITHUB_TOKEN gets it through
// the package settings ("Manage Actions access": the repository with the Admin role) plus
// `permissions: packages: write`; GitHub answers 403 (or 404) otherwise.
//
// The requests go over the registry client's transport (node:https, keep-alive agents, the
// runner's proxy settings, a timeout per request, bodies read with a cap), one exchange at a
// time: the token goes in its own header to the API's origin only, and a redirect is never
// followed (GitHub's 301/302/307 come back as they are and fail the call).



const MAX_PAGES = 500;
const MAX_DELAY_MS = 30_000;
/** One page of at most 100 versions (each well under 10 KiB, even with many tags). */
const MAX_LIST_BYTES = 8 << 20;
/** Any other answer: a delete's empty 204, an error message. */
const MAX_OTHER_BYTES = 1 << 20;
class HttpStatus extends Error {
    status;
    constructor(status, message) {
        super(message);
        this.status = status;
    }
}
function ghcr_nextLink(header) {
    if (!header)
        return undefined;
    for (const part of header.split(',')) {
        const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
        if (m && /\brel\s*=\s*"?next"?/i.test(m[2]))
            return m[1];
    }
    return undefined;
}
function messageOf(res) {
    const text = res.body.toString('utf8');
    try {
        const j = JSON.parse(text);
        if (typeof j.message === 'string')
            return j.message.slice(0, 300);
    }
    catch {
        // not JSON
    }
    return text.slice(0, 300) || external_node_http_.STATUS_CODES[res.status] || '';
}
/** One request with retries of transient failures; never leaves the API's origin. */
async function request(api, method, url) {
    if (url.origin !== api.root.origin)
        throw new Error(`refusing to send the GitHub token to ${url.origin} (API is ${api.root.origin})`);
    for (let attempt = 0;; attempt++) {
        let res;
        let failure;
        try {
            // One exchange: no redirect followed, the body read up to the cap within the timeout.
            res = await api.transport.exchange(url, {
                method,
                headers: {
                    accept: 'application/vnd.github+json',
                    authorization: `Bearer ${api.token}`,
                    'x-github-api-version': '2022-11-28',
                },
                maxBytes: method === 'GET' ? MAX_LIST_BYTES : MAX_OTHER_BYTES,
            });
        }
        catch (e) {
            // A body over the cap is no fault another attempt mends.
            if (e instanceof errors_RegistryError && e.kind === 'protocol')
                throw new Error(`${method} ${url.pathname}: ${e.message}`, { cause: e });
            failure = e;
        }
        const transient = !res || res.status >= 500 || res.status === 429;
        if (!transient)
            return res;
        if (attempt >= api.retries) {
            if (res)
                throw new HttpStatus(res.status, `${method} ${url.pathname}: HTTP ${res.status} ${messageOf(res)}`);
            throw new Error(`${method} ${url.pathname}: ${failure instanceof Error ? failure.message : String(failure)}`);
        }
        let delay = Math.min(MAX_DELAY_MS, 500 * 2 ** attempt);
        const after = res?.headers.get('retry-after');
        if (after && /^\d+$/.test(after))
            delay = Math.min(MAX_DELAY_MS, Number(after) * 1000);
        await api.sleep(delay);
    }
}
/** Version ids by digest (version name) under `base`, every page; or the 401/403/404 status that refused it. */
async function listVersions(api, base, display, onRefused) {
    const byDigest = new Map();
    const first = new URL(base);
    first.searchParams.set('per_page', '100');
    let url = first;
    const seen = new Set();
    for (let page = 0; url; page++) {
        if (page >= MAX_PAGES || seen.has(url.href))
            throw new Error(`GitHub Packages API: the version list of ${display} does not end`);
        seen.add(url.href);
        const res = await request(api, 'GET', url);
        if (res.status !== 200) {
            const msg = messageOf(res);
            if ([401, 403, 404].includes(res.status)) {
                onRefused(`HTTP ${res.status} ${msg}`);
                return res.status;
            }
            throw new HttpStatus(res.status, `GitHub Packages API: listing the versions of ${display}: HTTP ${res.status} ${msg}`);
        }
        let body;
        try {
            body = JSON.parse(res.body.toString('utf8'));
        }
        catch {
            body = undefined;
        }
        if (!Array.isArray(body))
            throw new Error(`GitHub Packages API: unexpected version list for ${display}`);
        for (const v of body) {
            if (v && typeof v.name === 'string' && typeof v.id === 'number')
                byDigest.set(v.name, v.id);
        }
        const next = ghcr_nextLink(res.headers.get('link'));
        url = next ? new URL(next, url) : undefined;
    }
    return byDigest;
}
function ghcrBackend(opts) {
    const root = new URL((opts.apiUrl || 'https://api.github.com').replace(/\/+$/, '') + '/');
    const api = {
        root,
        token: opts.token,
        // Its own retries are not used: exchange() makes one attempt, request() retries as GitHub asks.
        transport: new Transport({ timeoutMs: opts.timeoutMs ?? 30_000, retries: 0 }),
        retries: opts.retries ?? 3,
        sleep: opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    };
    const owner = encodeURIComponent(opts.owner);
    const pkg = encodeURIComponent(opts.packageName);
    const display = `ghcr.io/${opts.owner}/${opts.packageName}`;
    let problem = '';
    let versions;
    async function load() {
        const kinds = opts.ownerType ? [opts.ownerType] : ['org', 'user'];
        for (const kind of kinds) {
            const base = new URL(`${kind === 'org' ? 'orgs' : 'users'}/${owner}/packages/container/${pkg}/versions`, root);
            const r = await listVersions(api, base, display, (p) => (problem = p));
            if (typeof r !== 'number')
                return { base, byDigest: r };
            // 404: not an organization (or not visible to the token) — try the user endpoints.
            if (r !== 404)
                return undefined;
        }
        return undefined;
    }
    return {
        name: 'GitHub Packages API',
        async deleteDigest(digest) {
            if (!opts.token) {
                problem = 'no github-token';
                return 'denied';
            }
            versions ??= load();
            let v;
            try {
                v = await versions;
            }
            catch (e) {
                versions = undefined; // a later call may try again
                throw e;
            }
            if (!v)
                return 'denied';
            const id = v.byDigest.get(digest);
            if (id === undefined)
                return 'not-found';
            const res = await request(api, 'DELETE', new URL(`${v.base.pathname.replace(/\/+$/, '')}/${id}`, root));
            if (res.status === 204 || res.status === 200 || res.status === 202) {
                v.byDigest.delete(digest);
                return 'deleted';
            }
            const msg = messageOf(res);
            if ([401, 403, 404].includes(res.status)) {
                problem = `HTTP ${res.status} ${msg}`;
                return 'denied';
            }
            throw new HttpStatus(res.status, `GitHub Packages API: deleting version ${id} (${digest}) of ${display}: HTTP ${res.status} ${msg}`);
        },
        explain(outcome) {
            if (outcome === 'unsupported')
                return `GitHub Packages API cannot delete versions of ${display}`;
            const hidden = problem.startsWith('HTTP 404') ? '; GitHub answers 404 when the package does not exist or the token may not see it' : '';
            return (`GitHub Packages refused to delete versions of ${display}${problem ? ` (${problem}${hidden})` : ''}: the token needs Admin access to the package — ` +
                `in the package settings, "Manage Actions access", give this repository the Admin role — and the workflow needs \`permissions: packages: write\``);
        },
    };
}

;// CONCATENATED MODULE: ./src/retention/select.ts
// Which deletion API a registry host takes (the hosts and their quirks: src/image/registry-hosts.ts).
// Deletes by digest are part of the OCI Distribution API but many hosted registries turn them off
// or use their own API.


/** Why `registry` cannot be pruned, or undefined when it can. */
function unsupportedReason(registry) {
    const host = hostOnly(registry);
    if (!host)
        return 'an image in the local Docker engine has no registry to prune';
    if ((0,reference/* isLoopbackHost */.cW)(registry))
        return undefined;
    const { retention } = registryHost(registry);
    return typeof retention === 'object' ? retention.unsupported : undefined;
}
/**
 * `ghcr` for ghcr.io (GitHub Packages API), `distribution` for registries that delete by
 * digest (loopback, self-hosted Distribution, Harbor, GitLab, Azure ACR, …: a registry
 * with deletes disabled answers 405, which is reported then), `unsupported` otherwise —
 * `explain` receives the reason.
 */
function selectBackend(registry, explain) {
    if (hostOnly(registry) && registryHost(registry).retention === 'ghcr')
        return 'ghcr';
    const why = unsupportedReason(registry);
    if (why) {
        explain?.(`Retention is not supported for ${registry || 'the local engine'}: ${why}`);
        return 'unsupported';
    }
    return 'distribution';
}

;// CONCATENATED MODULE: ./src/retention/index.ts
// Retention of dated base tags (docs/DESIGN.md §6.4): plan (pure), apply (dry-run or delete) and the
// deletion backends (Distribution API, GitHub Packages API for ghcr.io).






;// CONCATENATED MODULE: ./src/phases/retention.ts
// Phase 7: retention — old dated base tags pruned (or, in a dry run, listed).


async function retentionPhase(s, ports) {
    const r = s.plan.retention;
    if (!r)
        return undefined;
    if (!r.tolerant)
        return prune(s, r.mode, ports);
    return tolerate(ports.log, 'plan retention', () => prune(s, r.mode, ports));
}
async function prune(s, mode, ports) {
    const { opts, stores, ctx, plan } = s;
    const { log } = ports;
    const registry = stores.registry;
    if (!registry) {
        log.warning('Retention applies to registries; the local engine store is not pruned');
        return undefined;
    }
    const repo = opts.baseRepository;
    const kind = selectBackend(repo.registry);
    if (kind === 'unsupported') {
        log.warning(`Retention is not supported for ${repo.registry}: tags are not deleted there`);
        return { mode, backend: repo.registry, kept: [], deleted: [], protected: [], error: `retention is not supported for ${repo.registry}` };
    }
    const infos = await collectTagInfo(registry, repo, opts.baseTagPrefix, { log: log });
    const policy = { prefix: opts.baseTagPrefix, keepLatest: opts.keepLatest, keepDays: opts.keepDays, protectTags: [plan.choice.tag], today: ctx.now };
    const backend = kind === 'ghcr'
        ? ports.github.packagesBackend({
            token: opts.githubToken,
            apiUrl: ctx.apiUrl,
            owner: repo.repository.split('/')[0],
            packageName: repo.repository.split('/').slice(1).join('/'),
        })
        : distributionBackend(registry, repo);
    // A deleted base's referrers (its SBOMs, and what refers to those: a signature of an SBOM) go
    // right after it, by the referrers API or the tag schema's index, each after its subject.
    const referrers = stores.referrers;
    const lister = referrers ? (subject) => referrers.tree(repo, subject) : undefined;
    const report = await applyRetention(planRetention(infos, policy), backend, mode, log, lister);
    if (report.error)
        log.warning(`Retention: ${report.error}`);
    return report;
}

;// CONCATENATED MODULE: ./src/phases/runtime-layers.ts
// Before any build of the bundled template: its runtime image's layers, so that PACKAGE_LAYERS
// + the template's fixed layers + the runtime image's layers stay within the 127 layers an
// image may have (src/layers/package-layers.ts). The runtime image (the RUNTIME_IMAGE build
// arg, or the template's default) is read through the registry client, one manifest per
// target platform; when it cannot be read (a local-only image, no network, a registry that
// wants credentials the run does not have), a debug line says so and the template's own
// range (1–100, checked with the inputs) is what holds.





/** How long the read may take before the run goes on without it. */
const RUNTIME_READ_MS = 15_000;
/**
 * Starts reading the runtime image's layers when this run builds the bundled template's base;
 * undefined otherwise. The promise never rejects: undefined, with a debug line, when the image
 * cannot be read.
 */
function startRuntimeLayers(s, ports) {
    const { opts } = s;
    if (!s.plan.base.build || !opts.baseDockerfile.bundled)
        return undefined;
    const image = runtimeImageOf(opts.baseBuildArgs, opts.baseDockerfile.content);
    const say = (why) => void ports.log.debug(`PACKAGE_LAYERS: the runtime image's layers are not known (${why}); checked against the template's range only`);
    const source = s.stores.manifests;
    if (!image || !source)
        return say(image ? 'no registry client' : 'the template names no RUNTIME_IMAGE');
    const read = async () => {
        const ref = (0,reference/* parseReference */.F2)(image, 'RUNTIME_IMAGE');
        const layers = await readPlatformLayers(source, ref.name, ref.digest ?? ref.tag ?? 'latest');
        if (!layers)
            return say(`${image} is not in its registry`);
        const { most, missing } = runtimeLayersFor(layers, s.platforms);
        if (missing.length > 0)
            ports.log.debug(`PACKAGE_LAYERS: ${image} has no manifest for ${missing.join(', ')}`);
        if (!most)
            return say(`${image} has no manifest for the target platforms`);
        ports.log.debug(`PACKAGE_LAYERS: ${image} has ${most.layers} layers (${most.platform})`);
        return { image, ...most };
    };
    let timer;
    const late = new Promise((resolve) => {
        timer = setTimeout(() => resolve(say(`${image} was not read within ${RUNTIME_READ_MS / 1000} s`)), RUNTIME_READ_MS);
        timer.unref();
    });
    const reading = read().catch((e) => say(`${image} could not be read: ${(0,user_error/* errorMessage */.gJ)(e)}`));
    return Promise.race([reading, late]).finally(() => clearTimeout(timer));
}
/** The check, once the runtime image's layers are read: one user error naming the limit and the counts. */
async function runtimeLayersPhase(s, reading) {
    const runtime = await reading;
    if (!runtime)
        return;
    // Both bundled templates add FIXED_LAYERS on top of the package layers (a unit test counts them).
    const r = checkPackageLayers(s.opts.baseBuildArgs, runtime, FIXED_LAYERS);
    if (!r.ok)
        throw new user_error/* UserError */.yo(`Input "${constants/* Inputs */.G0.BaseBuildArgs}": ${r.message}`);
}

// EXTERNAL MODULE: ./src/runner/workflow-commands.ts
var workflow_commands = __webpack_require__(91520);
;// CONCATENATED MODULE: ./src/secrets/docker-login.ts
// Makes the credential inputs (`registry-username`/`registry-password`) reach BuildKit:
// buildx pushes and reads registry cache with the credentials of the client's Docker
// config, so a build gets a temporary DOCKER_CONFIG that adds an `auths` entry for the
// registry. Everything else of the user's config is kept: its other settings and the
// buildx builder list (`buildx/`), CLI plugins and contexts are linked in, so the builder
// selected by docker/setup-buildx-action is still the current one.





const LINKED = ['buildx', 'cli-plugins', 'contexts'];
/** Writes `<tmp>/config.json` = the user's config + `auths[registry]`; returns the env to use. */
function dockerConfigWithLogin(registries, username, password, env = process.env) {
    const source = (0,credentials/* defaultDockerConfigDir */.Fd)(env);
    const dir = (0,external_node_fs_.mkdtempSync)(external_node_path_default().join(external_node_os_default().tmpdir(), 'conda-image-action-docker-'));
    let config = {};
    try {
        config = (0,credentials/* readDockerConfig */.TO)(source)?.config ?? {};
    }
    catch {
        config = {};
    }
    const auths = { ...(config.auths ?? {}) };
    const helpers = { ...(config.credHelpers ?? {}) };
    for (const registry of new Set(registries)) {
        const key = (0,reference/* isDockerHub */.gr)(registry) ? credentials/* DOCKER_HUB_KEY */.pe : registry;
        auths[key] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
        // A per-registry helper would be asked before `auths`: the inputs take precedence.
        delete helpers[key];
        delete helpers[registry];
    }
    const out = { ...config, auths };
    if (Object.keys(helpers).length)
        out.credHelpers = helpers;
    else
        delete out.credHelpers;
    (0,external_node_fs_.writeFileSync)(external_node_path_default().join(dir, 'config.json'), JSON.stringify(out, null, 2), { mode: 0o600 });
    for (const name of LINKED) {
        const target = external_node_path_default().join(source, name);
        if ((0,external_node_fs_.existsSync)(target))
            (0,external_node_fs_.symlinkSync)(target, external_node_path_default().join(dir, name));
    }
    const store = config.credsStore;
    const note = typeof store === 'string' && store
        ? `The Docker config uses the credential store "${store}", which Docker asks before the registry-username/registry-password inputs; if the push is denied, log in with docker/login-action instead`
        : undefined;
    return {
        env: { ...env, DOCKER_CONFIG: dir },
        dir,
        note,
        cleanup: () => (0,external_node_fs_.rmSync)(dir, { recursive: true, force: true }),
    };
}

;// CONCATENATED MODULE: ./src/ports/github.ts
// The GitHub API as a port: the sticky PR comment and the Packages API backend for
// retention on ghcr.io. Tests drive loopback servers or typed fakes through it.

/**
 * The comment module, loaded when a comment is written (most runs write none). @actions/github
 * reads the whole event payload when it is loaded, with a blocking, unbounded read (a FIFO
 * swapped in there would hang the step) for a `context` the action never uses: it is loaded
 * with GITHUB_EVENT_PATH hidden. The action reads the payload once, bounded (src/context/run-context.ts).
 */
async function loadComment() {
    const eventPath = process.env.GITHUB_EVENT_PATH;
    delete process.env.GITHUB_EVENT_PATH;
    try {
        return await Promise.all(/* import() */[__webpack_require__.e(752), __webpack_require__.e(413), __webpack_require__.e(231)]).then(__webpack_require__.bind(__webpack_require__, 54231));
    }
    finally {
        if (eventPath !== undefined)
            process.env.GITHUB_EVENT_PATH = eventPath;
    }
}
const githubApi = {
    upsertComment: async (target, body, log) => (await loadComment()).upsertPrComment(target, body, log),
    packagesBackend: ghcrBackend,
};

// EXTERNAL MODULE: external "node:url"
var external_node_url_ = __webpack_require__(73136);
;// CONCATENATED MODULE: ./src/ports/input-files.ts
// The files the inputs name, read once while the options are parsed (src/run/options.ts): the
// Dockerfiles, the condarc file, the secret files and the bundled base template. The run's
// option parsing gets them only through this port; the real adapter reads them with src/fs
// (confined to the workspace, opened without blocking, regular files only, size-capped).




/** Where the bundled base templates live: `templates/` next to `dist/` and `src/`. */
function bundledTemplatePath(kind = 'micromamba') {
    // ncc relocates the assets and, depending on how they are read, may turn these URLs into
    // plain paths of dist/ (it does when the bundle has lazily loaded chunks): take either.
    // One literal URL per template, so that ncc sees (and copies) both.
    const where = (kind === 'pixi' ? __webpack_require__.ab + "pixi.Dockerfile" : __webpack_require__.ab + "base.Dockerfile");
    return typeof where === 'string' && !where.startsWith('file:') ? where : (0,external_node_url_.fileURLToPath)(where);
}
/** The real adapter: src/fs's confined, non-blocking, type-checked, size-capped reads. */
const inputFiles = {
    file: inputFile,
    directory: inputDirectory,
    text: readInputFile,
    bytes: (value, workspace, maxBytes) => {
        const f = (0,confined/* readConfinedSync */.S$)((0,confined/* workspaceAt */.xJ)(workspace), value, { maxBytes });
        return { real: f.real, bytes: f.bytes };
    },
    template: (kind) => {
        const file = bundledTemplatePath(kind);
        return { path: file, content: (0,confined/* readFileBoundedSync */.ri)(file, file, { maxBytes: constants/* MAX_DOCKERFILE_BYTES */.uq }).toString('utf8') };
    },
};

;// CONCATENATED MODULE: ./src/stores/engine-store.ts
// The local Docker engine as the image store (an `image` without a registry host):
// lookup with the engine's image list, sizes and labels from `docker image inspect`.


function engine_store_docker(args, proc, timeoutMs = 60_000) {
    return (0,docker/* docker */.T3)(args, { timeoutMs, maxBuffer: 256 * 1024 * 1024, proc });
}
/** Tags of `repository` in the local engine. */
async function localTags(repository, proc) {
    const r = await engine_store_docker(['image', 'ls', '--format', '{{.Tag}}', repository], proc);
    if (r.code !== 0)
        throw new Error(`docker image ls failed: ${r.stderr.trim()}`);
    return r.stdout
        .split('\n')
        .map((s) => s.trim())
        .filter((s) => s && s !== '<none>')
        .sort();
}
/** Whether the engine keeps images in the containerd image store (`docker info`'s driver status); undefined when docker info fails. */
async function engineUsesContainerdStore(proc) {
    const r = await engine_store_docker(['info', '--format', '{{json .DriverStatus}}'], proc);
    return r.code === 0 ? (0,builder_cli/* usesContainerdStore */.hm)(r.stdout) : undefined;
}
async function inspectLocal(ref, proc) {
    const r = await engine_store_docker(['image', 'inspect', '--format', '{{json .}}', ref], proc);
    if (r.code !== 0) {
        if (/no such image|not found/i.test(r.stderr))
            return undefined;
        throw new Error(`docker image inspect ${ref} failed: ${r.stderr.trim()}`);
    }
    const j = JSON.parse(r.stdout.split('\n')[0]);
    const platform = j.Os && j.Architecture ? `${j.Os}/${j.Architecture}` : undefined;
    return { id: j.Id, size: j.Size, labels: j.Config?.Labels ?? {}, created: j.Created, ...(platform ? { platform } : {}) };
}

;// CONCATENATED MODULE: ./src/registry/referrers.ts
// OCI 1.1 referrers (distribution-spec 1.1, "Listing Referrers" and "Referrers Tag Schema"):
// an artifact (an SBOM) attached to an image manifest by its `subject`, listed through the
// registry's referrers API where it has one and otherwise through the referrers tag schema —
// the tag `<alg>-<hex>` of the subject's digest names an OCI image index of its referrers,
// which the client keeps (read-modify-write, existing entries kept). The functions take the
// few RegistryClient methods they use.


/** The OCI empty descriptor (image-spec 1.1): the config of an artifact that has none. */
const EMPTY_DESCRIPTOR = Object.freeze({
    mediaType: 'application/vnd.oci.empty.v1+json',
    digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    size: 2,
    data: 'e30=',
});
const EMPTY_BYTES = Buffer.from('{}');
/** Most referrers of one subject read (an image has a handful: SBOMs, signatures, attestations). */
const MAX_REFERRERS = 1000;
/** The referrers tag schema's tag of a digest: `sha256:<hex>` → `sha256-<hex>`. */
function referrersTag(digest) {
    const m = /^(sha256|sha512):([a-f0-9]{64,128})$/.exec(digest);
    if (!m)
        throw new Error(`not a digest: ${digest.slice(0, 80)}`);
    return `${m[1]}-${m[2].slice(0, 64)}`;
}
/** Whether a tag is a referrers tag (`sha256-<64 hex>`): never a base, a part or anything the action dates. */
function isReferrersTag(tag) {
    return /^sha(?:256|512)-[a-f0-9]{64}$/.test(tag);
}
/** The descriptors of an index's `manifests` that are well-formed referrers (digest, size, media type), at most MAX_REFERRERS. */
function referrersOf(manifests) {
    if (!Array.isArray(manifests))
        return [];
    const out = [];
    for (const d of manifests) {
        if (!d || typeof d !== 'object')
            continue;
        const { mediaType, digest, size, artifactType, annotations } = d;
        if (typeof digest !== 'string' || !/^sha(256:[a-f0-9]{64}|512:[a-f0-9]{128})$/.test(digest))
            continue;
        if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || typeof mediaType !== 'string')
            continue;
        const notes = annotations && typeof annotations === 'object' && !Array.isArray(annotations)
            ? Object.fromEntries(Object.entries(annotations).filter((e) => typeof e[1] === 'string'))
            : undefined;
        out.push({ mediaType, digest, size, ...(typeof artifactType === 'string' ? { artifactType } : {}), ...(notes ? { annotations: notes } : {}) });
        if (out.length >= MAX_REFERRERS)
            break;
    }
    return out;
}
/** The artifact manifest of one blob attached to `subject` (image-spec 1.1: artifactType, the empty config, subject). */
function artifactManifest(subject, artifact, annotations = {}) {
    const layer = { ...artifact.blob, ...(artifact.title ? { annotations: { 'org.opencontainers.image.title': artifact.title } } : {}) };
    const m = {
        schemaVersion: 2,
        mediaType: MediaTypes.OciManifest,
        artifactType: artifact.artifactType,
        config: EMPTY_DESCRIPTOR,
        layers: [layer],
        subject: { mediaType: subject.mediaType ?? MediaTypes.OciManifest, digest: subject.digest, size: subject.size },
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    };
    return Buffer.from(JSON.stringify(m));
}
/** The referrers of `subject`: from the referrers API when the registry has one, else from the tag schema's index. */
async function listReferrers(client, name, subject) {
    const api = await client.referrersApi(name, subject);
    if (api)
        return { via: 'api', referrers: referrersOf(api.manifests) };
    const index = await client.getManifest(name, referrersTag(subject));
    if (!index)
        return { via: 'tag', referrers: [] };
    const manifests = index.manifest?.manifests;
    return { via: 'tag', referrers: referrersOf(manifests), tagIndex: index.digest };
}
/**
 * Attaches one blob to `subject` as an artifact: pushes the empty config and the blob, then
 * the artifact manifest by its digest. A registry that indexed the subject (`OCI-Subject`,
 * or a referrers API listing it) is done; otherwise the tag schema's index is updated: read,
 * the artifact added unless listed, written back — existing entries are kept. Idempotent:
 * the same blob gives the same artifact, listed once.
 */
async function attachArtifact(client, name, subject, artifact, annotations = {}) {
    await client.pushBlob(name, EMPTY_BYTES);
    const blob = { mediaType: artifact.mediaType, digest: await client.pushBlob(name, artifact.bytes), size: artifact.bytes.length };
    const body = artifactManifest(subject, { artifactType: artifact.artifactType, blob, title: artifact.title }, annotations);
    const digest = sha256Digest(body);
    const pushed = await client.pushManifest(name, digest, body, MediaTypes.OciManifest);
    if (pushed.ociSubject)
        return { digest, via: 'api' };
    const listed = await listReferrers(client, name, subject.digest);
    if (listed.via === 'api')
        return { digest, via: 'api' };
    if (listed.referrers.some((r) => r.digest === digest))
        return { digest, via: 'tag' };
    const entry = {
        mediaType: MediaTypes.OciManifest,
        digest,
        size: body.length,
        artifactType: artifact.artifactType,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    };
    const index = { schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests: [...listed.referrers, entry] };
    const indexBody = Buffer.from(JSON.stringify(index));
    await client.pushManifest(name, referrersTag(subject.digest), indexBody, MediaTypes.OciIndex);
    // The old index is untagged now; a registry keeps it until garbage collection (it names nothing else).
    if (listed.tagIndex && listed.tagIndex !== sha256Digest(indexBody))
        await client.deleteManifest(name, listed.tagIndex).catch(() => undefined);
    return { digest, via: 'tag' };
}
/** How deep referrers of referrers are followed (the base → its SBOM → a signature of the SBOM → …)… */
const MAX_REFERRER_DEPTH = 4;
/** …and how many are listed below one subject at most. */
const MAX_REFERRER_TREE = 1000;
/**
 * Every referrer of `subject` and, recursively, every referrer of those (a signature of an
 * SBOM), with the tag schema's index of each, breadth first: an entry's subject always comes
 * before it, so deleting in this order deletes no referrer before its subject. Each digest
 * once (a cycle ends); at most `maxDepth` levels and `maxEntries` entries, `bounded` saying
 * what was left unlisted.
 */
async function referrerTree(list, subject, bounds = {}) {
    const maxDepth = bounds.maxDepth ?? MAX_REFERRER_DEPTH;
    const maxEntries = bounds.maxEntries ?? MAX_REFERRER_TREE;
    const seen = new Set([subject]);
    const entries = [];
    let level = [subject];
    for (let depth = 1; level.length > 0; depth++) {
        const next = [];
        for (const s of level) {
            const listed = await list(s);
            const unseen = [...listed.referrers.map((r) => r.digest), ...(listed.tagIndex ? [listed.tagIndex] : [])].filter((d) => !seen.has(d));
            if (unseen.length === 0)
                continue;
            if (depth > maxDepth)
                return { entries, bounded: `referrers more than ${maxDepth} levels below ${subject} (of ${s}) were not listed` };
            const more = [
                ...listed.referrers.map((r) => ({ digest: r.digest })),
                ...(listed.tagIndex ? [{ digest: listed.tagIndex, index: true }] : []),
            ];
            for (const r of more) {
                if (seen.has(r.digest))
                    continue;
                if (entries.length >= maxEntries)
                    return { entries, bounded: `more than ${maxEntries} referrers below ${subject}: the rest were not listed` };
                seen.add(r.digest);
                entries.push({ ...r, subject: s, depth });
                if (!r.index)
                    next.push(r.digest);
            }
        }
        level = next;
    }
    return { entries };
}
/**
 * Deletes every referrer of `subject`, the referrers of those (recursively, see
 * referrerTree) and, with the tag schema, each index (and with it its referrers tag), in
 * the tree's order; an entry whose subject was not deleted stays. Returns the digests
 * deleted. Called only once the subject itself is deleted: a referrer is never deleted alone.
 */
async function deleteReferrers(client, name, subject) {
    const tree = await referrerTree((s) => listReferrers(client, name, s), subject);
    const gone = new Set([subject]);
    const deleted = [];
    for (const e of tree.entries) {
        if (!gone.has(e.subject))
            continue;
        const outcome = await client.deleteManifest(name, e.digest);
        if (outcome === 'unsupported')
            throw new RegistryError('http', name.registry, `${name.registry} does not allow deleting the referrer ${e.digest}`, 405);
        if (outcome === 'deleted')
            deleted.push(e.digest);
        gone.add(e.digest);
    }
    return deleted;
}

;// CONCATENATED MODULE: ./src/sbom/image-sbom.ts
// The SBOM and the lock of a pushed base, per platform, read the way the size manifest is
// read (src/sizes/read.ts): the config for the label naming the size manifest, then the small
// last layer by digest — `sbom.cdx.json` and `explicit.txt` sit next to the size manifest
// there. This is the contract a custom base Dockerfile follows to get the same SBOM and lock;
// an image without it has no SBOM, which is not an error.



/** The SBOM file is read when it is at most this big (a real environment's is well under 1 MiB)… */
const MAX_SBOM_BYTES = 16 << 20;
/** …out of a last layer that decompresses to at most this. */
const MAX_LAYER_TAR_BYTES = 24 << 20;
/** Platform manifests of one index read. */
const MAX_PLATFORMS = 16;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
function image_sbom_platformOf(d) {
    const p = d.platform;
    return p && p.os && p.architecture ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : 'unknown';
}
function image_sbom_isAttestation(d) {
    return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || image_sbom_platformOf(d) === 'unknown/unknown';
}
/** The image manifests of `ref` with their platform: itself, or the images an index lists (attestations left out). */
async function platformManifests(port, ref) {
    const top = await port.manifest(ref);
    if (!top)
        return [];
    const listed = top.manifest.manifests;
    if (!Array.isArray(listed)) {
        const size = top.size;
        if (size === undefined)
            return [];
        return [{ subject: { mediaType: top.mediaType ?? OCI_MANIFEST, digest: top.digest, size }, manifest: top.manifest }];
    }
    const images = listed.filter((d) => d && typeof d.digest === 'string' && typeof d.size === 'number' && !image_sbom_isAttestation(d));
    const out = [];
    for (const d of images.slice(0, MAX_PLATFORMS)) {
        const m = await port.manifest(d.digest);
        if (!m || Array.isArray(m.manifest.manifests))
            continue;
        out.push({
            platform: image_sbom_platformOf(d),
            subject: { mediaType: d.mediaType ?? m.mediaType ?? OCI_MANIFEST, digest: d.digest, size: d.size },
            manifest: m.manifest,
        });
    }
    return out;
}
/**
 * The SBOM of each platform of the image at `ref` (a tag or digest of the port's repository)
 * that has one; [] when none has (no size manifest label, no SBOM next to it, a last layer
 * too big to be the action's). Registry errors propagate.
 */
async function readImageSboms(port, ref) {
    const out = [];
    for (const p of await platformManifests(port, ref)) {
        const m = p.manifest;
        if (!m.config?.digest)
            continue;
        const config = JSON.parse((await port.blob(m.config.digest, read_CONFIG_MAX_BYTES)).toString('utf8'));
        const at = sizeManifestPath(config);
        if ('missing' in at)
            continue;
        const layer = await lastLayerTar(port, m, MAX_LAYER_TAR_BYTES);
        if ('missing' in layer)
            continue;
        const dir = external_node_path_default().posix.dirname(at.member);
        const bytes = await tarFile(layer.tar, `${dir}/${files/* SBOM_FILE */.HO}`, MAX_SBOM_BYTES).catch(() => undefined);
        if (!bytes)
            continue;
        const lock = await tarFile(layer.tar, `${dir}/${files/* EXPLICIT_FILE */.wP}`, MAX_SBOM_BYTES).catch(() => undefined);
        // The CycloneDX library and packageurl-js load only when a base has an SBOM.
        const parsed = (await Promise.all(/* import() */[__webpack_require__.e(571), __webpack_require__.e(660)]).then(__webpack_require__.bind(__webpack_require__, 95660))).parseSbom(bytes);
        const word = (v) => typeof v === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(v);
        const platform = p.platform ??
            (word(config.os) && word(config.architecture) ? [config.os, config.architecture, ...(word(config.variant) ? [config.variant] : [])].join('/') : 'unknown');
        out.push({
            platform,
            subject: p.subject,
            sbom: 'invalid' in parsed ? { bytes, invalid: parsed.invalid } : { bytes, parsed },
            ...(lock ? { lock: `/${dir}/${files/* EXPLICIT_FILE */.wP}` } : {}),
        });
    }
    return out;
}

;// CONCATENATED MODULE: ./src/stores/image-stores.ts
// The store behind `image`: a registry (through the registry client) or the local Docker
// engine (through the process port). Reads only; retention's deletes go through `registry`.







function registryStore(client) {
    return {
        tags: (name) => client.listTags(name),
        digest: (name, tag) => client.headDigest(name, tag),
        size: async (name, ref) => {
            const s = await client.imageSize(name, ref);
            if (!s)
                return undefined;
            return {
                ref: (0,reference/* formatReference */.FH)(name, ref.startsWith('sha256:') ? undefined : ref, s.digest),
                digest: s.digest,
                total: s.total,
                platforms: s.platforms.map((p) => ({ platform: p.platform, digest: p.digest, bytes: p.bytes })),
            };
        },
        labels: async (name, ref) => (await client.imageConfig(name, ref))?.labels,
        layers: async (name, ref, platform) => (await client.imageConfig(name, ref, platform))?.layers,
    };
}
function engineStore(proc) {
    let containerd;
    return {
        tags: (name) => localTags((0,reference/* formatName */.nD)(name), proc),
        digest: async (name, tag) => (await inspectLocal((0,reference/* formatReference */.FH)(name, tag), proc))?.id,
        size: async (name, tag) => {
            const img = await inspectLocal((0,reference/* formatReference */.FH)(name, tag), proc);
            if (!img)
                return undefined;
            containerd ??= engineUsesContainerdStore(proc).catch(() => undefined);
            const store = await containerd;
            return {
                ref: (0,reference/* formatReference */.FH)(name, tag),
                digest: img.id,
                total: img.size,
                platforms: [{ platform: img.platform ?? 'unknown', digest: img.id, bytes: img.size }],
                // The containerd image store counts the image's content (compressed layers, config, manifest); the classic store the unpacked size.
                measure: store === true ? 'engine-compressed' : store === false ? 'engine-uncompressed' : 'engine-unknown',
            };
        },
        labels: async (name, tag) => (await inspectLocal((0,reference/* formatReference */.FH)(name, tag), proc))?.labels,
    };
}
/** Opens the stores for a run's options; the registry client's warnings go to `log` (default: the runner's workflow commands). */
function openStores(o, proc, log) {
    const engine = engineStore(proc);
    const fromEngine = (name) => localReader(name, proc ?? runner_process/* execProcess */.ZG);
    const client = new RegistryClient({ username: o.username, password: o.password, insecureRegistries: o.insecureRegistries, log });
    if (o.local)
        return { store: engine, engine, manifests: client, sizeManifests: fromEngine, close: () => client.close() };
    return {
        store: registryStore(client),
        engine,
        registry: client,
        sboms: (name, ref) => readImageSboms(registryManifestPort(client, name), ref),
        referrers: {
            list: (name, subject) => listReferrers(client, name, subject),
            tree: (name, subject) => referrerTree((s) => listReferrers(client, name, s), subject),
            attach: (name, subject, artifact) => attachArtifact(client, name, subject, artifact),
        },
        manifests: client,
        sizeManifests: (name, where, platform) => (where === 'registry' ? registryReader(client, name, platform) : fromEngine(name)),
        close: () => client.close(),
    };
}

;// CONCATENATED MODULE: ./src/ports/index.ts
// Every edge of the orchestrator, as one bundle of ports. `defaultPorts` wires the real
// ones; orchestrator tests pass typed fakes (__fixtures__/ports.ts).













/** `early`: what the entry point started before loading the action (src/early.ts), handed to the first matching call. */
function defaultPorts(env = process.env, early = {}) {
    const proc = runner_process/* execProcess */.ZG;
    let earlyInspect = early.inspect;
    const log = (0,runner_log/* logSink */.yV)();
    const docker = (e) => ({ env: e, proc });
    // The registry client's warnings (retries, fallbacks) go through the run's log sink too.
    const registryLog = { debug: (m) => log.debug(m), warning: (m) => log.warning(m), setSecret: (s) => runner_log/* runnerLog */.t1.mask(s) };
    return {
        log,
        clock: { now: () => new Date(), monotonicMs: () => performance.now() },
        proc,
        github: githubApi,
        results: {
            setOutput: (name, value) => (0,workflow_commands/* setOutput */.uH)(name, value, env),
            writeSummary: async (md) => {
                if (!env.GITHUB_STEP_SUMMARY)
                    return false;
                await (0,workflow_commands/* appendSummary */.fe)((0,redact/* maskSecrets */.QU)(md), env);
                return true;
            },
        },
        buildx: {
            inspect: (name, e) => {
                const pre = earlyInspect;
                earlyInspect = undefined;
                // The login config (if any) links the user's buildx builders and contexts: the same answer.
                return pre && pre.builder === name ? pre.info : (0,builder_cli/* inspectBuilder */.IK)(name, docker(e));
            },
            createBuilder: (e) => (0,builder_cli/* createContainerBuilder */.hD)(docker(e)),
            removeBuilder: (name, e) => (0,builder_cli/* removeBuilder */.iq)(name, docker(e)),
            build: (spec, o) => runBuild(spec, { ...o, proc }),
            login: (registries, u, p) => dockerConfigWithLogin(registries, u, p, env),
        },
        actionsCache: {
            plan: (args) => actionsCachePlan(args, env),
            restore: restoreBuildCache,
            finish: finishLocalCache,
            save: saveBuildCache,
        },
        input: (name) => (0,workflow_commands/* getInput */.V4)(name, env),
        inputFiles: inputFiles,
        stores: (o) => openStores(o, proc, registryLog),
        tempDir: () => {
            const dir = (0,external_node_fs_.mkdtempSync)(external_node_path_default().join(external_node_os_default().tmpdir(), 'conda-image-action-'));
            return { path: dir, remove: () => (0,external_node_fs_.rmSync)(dir, { recursive: true, force: true }) };
        },
    };
}

;// CONCATENATED MODULE: ./src/phases/secrets.ts
// The BuildKit secrets and ssh forwards of both builds: the `secrets` values (and the
// `condarc` input, as the secret `condarc`) written to private 0600 files for the run.


function materializeSecrets(opts, cleanup) {
    const all = opts.condarc
        ? { ...opts.secrets, secrets: [...opts.secrets.secrets, { id: constants/* SecretIds */.ZI.Condarc, kind: 'value', value: opts.condarc.text }] }
        : opts.secrets;
    const m = materialize(all);
    cleanup(() => m.cleanup());
    return m.args;
}

;// CONCATENATED MODULE: ./src/run/smoke-plan.ts
// Smoke tests (`smoke-test`, `base-smoke-test`): a command run in an image before anything
// of the run is tagged in the registry. Pure: which tests a run has, how an image is kept
// for them, the `docker run` argv, and what a run of one means. The I/O is in
// src/phases/smoke.ts.

/** Lines of a smoke test's output kept for the report (the tail). */
const SMOKE_LINES = 20;
/** Characters of output read from a smoke test (stdout and stderr each). */
const SMOKE_OUTPUT_CHARS = 256 * 1024;
/** Which smoke tests a run has. A reused base is not tested by `base-smoke-test` again. */
function planSmoke(opts, plan) {
    const base = plan.base.build && opts.baseSmokeTest ? opts.baseSmokeTest : undefined;
    const final = opts.smokeTest ? { command: opts.smokeTest, target: plan.app ? 'app' : 'base' } : undefined;
    const builds = Boolean(plan.base.build) || Boolean(plan.app);
    const tested = base !== undefined || (final !== undefined && (final.target === 'app' || Boolean(plan.base.build)));
    return { ...(base ? { base } : {}), ...(final ? { final } : {}), trial: plan.push.enabled && builds && tested };
}
/**
 * How a trial build keeps its image for the test: the `docker` driver builds into the engine
 * (`--load`: BuildKit there shares the engine's image store, so an application build finds the
 * base by its tag); every other driver pushes it by digest, with no tag, to the repository.
 */
function trialOutput(driver) {
    return driver === 'docker' || driver === undefined ? 'load' : 'push-by-digest';
}
/** `docker run` (argv after `docker`): the command through the image's own entrypoint, as `sh -c`. */
function smokeRunArgs(ref, command, container, dockerContext) {
    return dockerArgs(dockerContext, [
        'run',
        '--rm',
        `--name=${container}`,
        '--pull=missing',
        // Everything the user gives is one argument: an image reference never starts with `-`.
        ref.startsWith('-') ? invalidRef(ref) : ref,
        'sh',
        '-c',
        command,
    ]);
}
/** `docker` argv (after `docker`) over a Docker context when one is given (a context builder's engine). */
function dockerArgs(dockerContext, args) {
    return [...(dockerContext ? [`--context=${dockerContext}`] : []), ...args];
}
function invalidRef(ref) {
    throw new user_error/* UserError */.yo(`invalid image reference ${JSON.stringify(ref)}`);
}
/** The last `n` non-empty lines of a test's output. */
function lastLines(output, n = SMOKE_LINES) {
    return output
        .split(/\r?\n|\r/)
        .filter((l) => l.trim() !== '')
        .slice(-n);
}
/** What one run of the test means. `killed`: ended at the timeout. */
function smokeResult(run, test) {
    const timedOut = run.killed === 'timeout';
    return {
        ...test,
        passed: !run.killed && run.code === 0,
        ...(timedOut ? {} : { exitCode: run.code }),
        timedOut,
        durationMs: run.durationMs,
        lastLines: lastLines(run.output),
    };
}
const WHAT = { base: 'the base image', app: 'the application image' };
/** The error of a failed test: one line saying what failed, then the last lines of its output (the failure report shows them). */
function smokeFailure(r, timeoutMs) {
    const how = r.timedOut ? `did not finish within ${Math.round(timeoutMs / 1000)} s (smoke-test-timeout) and was ended` : `exited with code ${r.exitCode}`;
    const head = `The smoke test of ${WHAT[r.target]} failed: \`${oneLineCommand(r.command)}\` ${how}; nothing was pushed`;
    return new user_error/* UserError */.yo([head, ...r.lastLines].join('\n'));
}
/** A command as one line for a message (newlines shown as ⏎, long ones cut). */
function oneLineCommand(c, max = 200) {
    const v = c.replace(/\r?\n/g, ' ⏎ ');
    return v.length > max ? `${v.slice(0, max - 1)}…` : v;
}

;// CONCATENATED MODULE: ./src/phases/smoke.ts
// Phase 5a: smoke tests (src/run/smoke-plan.ts). With a push, the builds are first made by a trial —
// kept in the engine (docker driver) or pushed by digest with no tag (other drivers) — and
// tested; a failed test ends the run before any tag is pushed. The pushing builds that follow
// are the same builds again, all cached, and their digests are checked against the tested ones.






/** Runs one test: `docker run --rm` through the image's entrypoint, ended (and its container removed) at the timeout or when the step is cancelled. */
async function runSmokeTest(test, s, tc, ports) {
    const container = `conda-image-action-smoke-${(0,external_node_crypto_.randomUUID)().slice(0, 12)}`;
    ports.log.info(`Smoke test of the ${test.target === 'app' ? 'application image' : 'base'} ${test.ref}: sh -c ${JSON.stringify(oneLineCommand(test.command))}`);
    let output = '';
    const keep = (chunk) => {
        output += chunk;
        if (output.length > SMOKE_OUTPUT_CHARS)
            output = output.slice(-SMOKE_OUTPUT_CHARS);
    };
    const start = ports.clock.monotonicMs();
    const run = await ports.proc.run('docker', smokeRunArgs(test.ref, test.command, container, tc.dockerContext), {
        env: tc.env,
        timeoutMs: s.opts.smokeTestTimeoutMs,
        maxBuffer: SMOKE_OUTPUT_CHARS,
        onStdout: keep,
        onStderr: keep,
        // A cancelled step stops `docker run`, not the container: the port removes it then.
        onCancel: { program: 'docker', args: dockerArgs(tc.dockerContext, ['rm', '--force', container]) },
    });
    const durationMs = Math.round(ports.clock.monotonicMs() - start);
    // Killing the client does not stop the container: remove it (and with it its processes).
    if (run.killed)
        await removeContainer(container, tc, ports);
    // In arrival order when the port streams it; else as the result holds it.
    const text = output || `${run.stdout}${run.stderr}`;
    const result = smokeResult({ code: run.code, output: text, killed: run.killed, durationMs }, test);
    // Outside data: every line is prefixed, so none can read as a workflow command.
    for (const l of result.lastLines)
        ports.log.info(`  | ${l}`);
    ports.log.info(`Smoke test ${result.passed ? 'passed' : 'failed'} in ${(durationMs / 1000).toFixed(1)} s${result.timedOut ? ' (timed out)' : ` (exit code ${run.code})`}`);
    return result;
}
/** A clean-up `docker` command on the engine the tests run on; undefined when it could not run. */
function dockerCleanup(args, tc, ports) {
    return ports.proc.run('docker', dockerArgs(tc.dockerContext, args), { env: tc.env, timeoutMs: 60_000 }).catch(() => undefined);
}
async function removeContainer(name, tc, ports) {
    const r = await dockerCleanup(['rm', '--force', name], tc, ports);
    if (!r || (r.code !== 0 && !/No such container/i.test(r.stderr)))
        ports.log.warning(`Could not remove the smoke test's container ${name}`);
}
/** Runs a test, records it, and throws (nothing pushed yet) when it failed. */
async function smokeGate(test, s, tc, ports, sink) {
    const r = await runSmokeTest(test, s, tc, ports);
    sink(r);
    if (!r.passed)
        throw smokeFailure(r, s.opts.smokeTestTimeoutMs);
    return r;
}
/**
 * The trial: each build of the run made without tags, then its test — the base's before the
 * application is built on it, the final image's last. `baseSpec` is the pushing build's spec
 * (its context assembled once, for both).
 */
async function trialPhase(s, tc, smoke, baseSpec, reused, io) {
    const { plan } = s;
    const output = trialOutput(tc.driver);
    const kept = (spec, name) => ({ ...spec, output, cacheTo: undefined, metadataFile: external_node_path_default().join(io.workDir, name) });
    // On the docker driver the trial's images are in the engine under the run's tags: a failed
    // trial takes them away again, so the engine never shows a tag the registry refused.
    const loaded = [];
    const trial = async (kind, spec) => {
        io.ports.log.info((0,argv/* displayCommand */.kc)(spec));
        const { outcome } = await runOneBuild(kind, spec, { ...s, platforms: plan.job.platforms }, tc, io.ports);
        if (output === 'load')
            loaded.push(...spec.tags);
        if (!outcome.digest)
            throw new Error(`The trial build of the ${kind === 'app' ? 'application image' : 'base'} gave no digest`);
        return outcome;
    };
    const at = (ref, digest) => (output === 'load' ? ref : `${ref.replace(/:[^:/@]+$/, '')}@${digest}`);
    try {
        let base;
        let baseRef = reused.ref;
        if (baseSpec) {
            base = await io.timer.run(`Trial build of base ${plan.base.tag}`, () => trial('base', kept(baseSpec, 'base-trial-metadata.json')));
            baseRef = at(plan.base.tagRef, base.digest);
            if (smoke.base)
                await io.timer.run('Smoke test (base)', () => smokeGate({ target: 'base', ref: baseRef, command: smoke.base }, s, tc, io.ports, io.sink));
        }
        let app;
        if (plan.app) {
            // A base of this trial on the docker driver is in the engine under its tag; any other by its digest.
            const from = { digest: base ? (output === 'load' ? undefined : base.digest) : reused.digest };
            const spec = kept(appSpec(s, tc, from, io.workDir), 'app-trial-metadata.json');
            app = await io.timer.run(`Trial build of application ${plan.app.ref}`, () => trial('app', spec));
            const appRef = at(plan.app.ref, app.digest);
            if (smoke.final)
                await io.timer.run('Smoke test', () => smokeGate({ target: 'app', ref: appRef, command: smoke.final.command }, s, tc, io.ports, io.sink));
        }
        else if (smoke.final) {
            await io.timer.run('Smoke test', () => smokeGate({ target: 'base', ref: baseRef, command: smoke.final.command }, s, tc, io.ports, io.sink));
        }
        return { tested: { base: base?.digest, app: app?.digest }, outcomes: { base, app } };
    }
    catch (e) {
        await untag([...new Set(loaded)], tc, io.ports);
        throw e;
    }
}
/** Removes tags from the engine (`docker image rm`: the tag; the image only when it was its last). */
async function untag(tags, tc, ports) {
    if (tags.length === 0)
        return;
    const r = await dockerCleanup(['image', 'rm', ...tags], tc, ports);
    if (!r || r.code !== 0)
        ports.log.warning(`Could not remove the failed trial's images from the engine: ${tags.join(', ')}`);
    else
        ports.log.info(`The failed trial's images were removed from the engine: ${tags.join(', ')}`);
}
/** The pushed digests against the tested ones: a difference is a warning (the pushed image is not the one tested). */
function checkPushed(results, tested, built, log) {
    const pushed = { base: built.builds.find((b) => b.kind === 'base')?.digest, app: built.builds.find((b) => b.kind === 'app')?.digest };
    return results.map((r) => {
        const before = tested[r.target];
        const after = pushed[r.target];
        if (!before || !after)
            return r;
        if (before !== after)
            log.warning(`The pushed ${r.target === 'app' ? 'application image' : 'base'} (${after}) is not the image the smoke test ran (${before})`);
        return { ...r, pushedDigest: after };
    });
}

;// CONCATENATED MODULE: ./src/main.ts
// The action as a short list of phases over ports: inputs → fingerprint → lookup → plan →
// builds → measure → retention → report. Every decision is made by `planRun` (pure, in
// plan.ts); each phase is a function in src/phases/ taking the run state and the ports it
// needs; the ports (src/ports/) are the only I/O.























/** Entry point: never throws; failures become one error annotation and a non-zero exit. */
async function run(env, given, early) {
    const ports = given ?? defaultPorts(env, early);
    const cleanups = [];
    const progress = { builds: [], pushed: [], smokeTests: [] };
    try {
        progress.ctx = readRunContext(env, () => ports.clock.now());
        await main_main(progress.ctx, env, ports, (f) => cleanups.push(f), progress);
    }
    catch (e) {
        await failurePhase(e, progress, env, ports);
        process.exitCode = 1;
    }
    finally {
        for (const c of cleanups.reverse()) {
            try {
                await c();
            }
            catch (e) {
                ports.log.warning(`Cleanup failed: ${(0,user_error/* errorMessage */.gJ)(e)}`);
            }
        }
    }
}
async function main_main(ctx, env, ports, cleanup, progress) {
    const timer = new PhaseTimer(ports.log, ports.clock);
    progress.timer = timer;
    const inputs = await timer.run('Inputs', () => Promise.resolve().then(() => readInputs(ctx, env, ports)));
    progress.opts = inputs.opts;
    const { opts } = inputs;
    const stores = ports.stores({
        local: opts.image.local,
        username: opts.registryUsername,
        password: opts.registryPassword,
        insecureRegistries: opts.insecureRegistries,
    });
    // Last of all (cleanups run in reverse): whatever is still asking the registry ends with the run.
    if (stores.close)
        cleanup(stores.close);
    // With an application Dockerfile a build is certain: the builder and push access are checked while the action hashes and lists tags.
    const builderProbe = buildCertain(opts) ? probeBuilder({ opts, ctx }, dockerEnvironment(opts, builderLogin(opts, true), ports, cleanup), ports) : undefined;
    // Tracked: the checks run while the action hashes, and the Registries phase's time is theirs (marked alongside).
    const reach = startReachChecks({ opts, ctx, stores });
    const reachWork = reach && timer.track(() => reach);
    const builderWork = builderProbe && timer.track(() => Promise.allSettled([builderProbe.inspected, builderProbe.sourceDate]));
    const pushChecks = startPushChecks({ opts, ctx, stores });
    const pushWork = pushChecks.size > 0 ? timer.track(() => Promise.allSettled([...pushChecks.values()])) : undefined;
    const tags = timer.track(() => startTagList({ opts, stores }));
    const fp = await timer.run('Environment hash', () => fingerprintPhase(inputs, ctx.workspace, ports));
    progress.fp = fp;
    // A registry the run must push to and cannot reach stops it here, before the lookup and any build.
    if (reach)
        await timer.run('Registries', () => reachPhase(reach, ports), reachWork);
    const lookup = await timer.run('Lookup', () => lookupPhase({ opts, envHash: fp.hash, tags: tags.promise, now: ctx.now }, ports), tags);
    const plan = planRun({ opts, ctx, envHash: fp.hash, lookup, platforms: inputs.platforms });
    progress.plan = plan;
    const s = { env, ctx, ...inputs, fp, stores, lookup, plan, phases: timer.list };
    announcePlan(s, ports);
    if (opts.mode === 'plan') {
        const baseRef = await timer.run('Plan', () => showPlan(s, ports));
        const [changes, retention] = await Promise.all([environmentChangesOf(s, ports.log), retentionPhase(s, ports)]);
        progress.reported = true;
        return reportPhase({ ...s, baseRef, measured: { changes }, retention }, ports);
    }
    if (opts.mode === 'merge') {
        const built = await timer.run('Merge', () => mergePhase(s, ports, progress));
        const measured = await timer.run('Measure', () => measurePhase(s, built, undefined, ports));
        const retention = plan.retention ? await timer.run(`Retention (prune: ${opts.prune})`, () => retentionPhase(s, ports)) : undefined;
        progress.reported = true;
        return reportPhase({ ...s, built, measured, retention }, ports);
    }
    const reads = startReadsBeforeBuilds(s, ports);
    const runtime = startRuntimeLayers(s, ports);
    const runtimeWork = runtime && timer.track(() => runtime);
    const { previousBase, changes, trend, packages } = reads.measure;
    const measureWork = timer.track(() => Promise.allSettled([previousBase, changes, trend, packages]));
    if (needsPushCheck(s))
        await timer.run('Push access', () => pushAccessPhase(s, ports, pushChecks), pushWork);
    // PACKAGE_LAYERS against the runtime image's layers (127 in all): a user error before any build.
    if (runtimeWork)
        await timer.run('Runtime image', () => runtimeLayersPhase(s, runtimeWork.promise), runtimeWork);
    const { path: workDir, remove } = ports.tempDir();
    cleanup(remove);
    const probe = () => builderProbe ?? probeBuilder(s, dockerEnvironment(opts, plan.builder.login, ports, cleanup), ports);
    const toolchain = plan.builder.needed ? await timer.run('Builder', () => builderPhase(s, probe(), ports, cleanup), builderWork) : noToolchain(plan);
    const tc = plan.builder.needed ? { ...toolchain, secrets: materializeSecrets(opts, cleanup) } : toolchain;
    const { built, compareTo, smokeTests } = await buildPhases(s, tc, { workDir, timer, reads, progress }, ports);
    const measured = await timer.run('Measure', () => measurePhase(s, built, compareTo, ports, reads.measure), measureWork);
    const retention = plan.retention ? await timer.run(`Retention (prune: ${opts.prune})`, () => retentionPhase(s, ports)) : undefined;
    progress.reported = true;
    await reportPhase({ ...s, built, measured, retention, smokeTests }, ports);
}
/**
 * The base and the application, with their smoke tests (src/run/smoke-plan.ts): when the run pushes,
 * a trial of each build is tested first and a failure ends the run before any tag is pushed;
 * otherwise the loaded images are tested after their builds.
 */
async function buildPhases(s, tc, io, ports) {
    const { plan } = s;
    const { workDir, timer, reads, progress } = io;
    const smoke = planSmoke(s.opts, plan);
    const sink = (r) => void progress.smokeTests.push(r);
    const gate = (target, ref, command) => command ? timer.run(target === 'base' ? 'Smoke test (base)' : 'Smoke test', () => smokeGate({ target, ref, command }, s, tc, ports, sink)) : undefined;
    const trialIo = { workDir, timer, ports, sink };
    const spec = smoke.trial && plan.base.build ? await baseBuildSpec(s, tc, workDir) : undefined;
    const early = spec ? await trialPhase(s, tc, smoke, spec, { ref: plan.base.tagRef }, trialIo) : undefined;
    const base = await basePhase(s, tc, workDir, timer, ports, reads, { spec, trial: early?.outcomes.base });
    if (base.build)
        progress.builds.push(base.build);
    if (base.build && plan.push.enabled)
        progress.pushed.push(plan.base.tagRef);
    // A reused base: the trial builds only the application, on it.
    const trial = early ?? (smoke.trial ? await trialPhase(s, tc, smoke, undefined, base, trialIo) : undefined);
    if (!smoke.trial && base.build)
        await gate('base', base.ref, smoke.base);
    if (!smoke.trial && !plan.app)
        await gate('base', base.ref, smoke.final?.command);
    // Read before the application is pushed (started with the other reads: ready by now).
    const compareTo = await reads.compareTo;
    const built = await appPhase(s, tc, base, workDir, timer, ports, reads, trial?.outcomes.app);
    if (!smoke.trial && plan.app)
        await gate('app', plan.app.ref, smoke.final?.command);
    const smokeTests = trial ? checkPushed(progress.smokeTests, trial.tested, built, ports.log) : [...progress.smokeTests];
    return { built, compareTo, smokeTests };
}


/***/ }),

/***/ 80990:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Q: () => (/* binding */ commentMarker),
/* harmony export */   t: () => (/* binding */ COMMENT_BODY_LIMIT)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _vocabulary_constants_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(70209);
// The hidden marker that identifies the action's sticky PR comment: one per image.


/** GitHub rejects issue comments longer than this many characters. */
const COMMENT_BODY_LIMIT = 65_536;
/**
 * `<!-- conda-image-action:<image> -->`. The image is percent-encoded where it could end or
 * confuse the HTML comment (`%`, `<`, `>`, `!`, whitespace, control and non-ASCII
 * characters, a `-` following a `-`), so different images always get different markers and
 * no image can close the comment early. An absurdly long name (over 200 characters encoded)
 * is shortened to its start plus a hash of the whole name.
 */
function commentMarker(image) {
    let out = '';
    let prev = '';
    for (const ch of image) {
        let enc;
        if (ch === '-' && prev === '-')
            enc = '%2D';
        else if (/^[A-Za-z0-9._/:@+=,;~^$&*()[\]{}'"#?|\\-]$/.test(ch))
            enc = ch;
        else
            enc = encodeURIComponent(ch).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
        out += enc;
        prev = ch;
    }
    if (out.length > 200) {
        const digest = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha256').update(image).digest('hex').slice(0, 16);
        out = `${out.slice(0, 100).replace(/%[0-9A-F]?$/, '')}%E2%80%A6sha256=${digest}`;
    }
    // A trailing `-` next to the closing ` -->` is fine (a space separates them).
    return `${_vocabulary_constants_js__WEBPACK_IMPORTED_MODULE_1__/* .COMMENT_MARKER_PREFIX */ .QO}${out} -->`;
}


/***/ }),

/***/ 39282:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   HO: () => (/* binding */ SBOM_FILE),
/* harmony export */   HZ: () => (/* binding */ LEFT_OUT_PROPERTY),
/* harmony export */   ND: () => (/* binding */ PIP_LOCK_FILE),
/* harmony export */   wP: () => (/* binding */ EXPLICIT_FILE),
/* harmony export */   y_: () => (/* binding */ SBOM_MEDIA_TYPE)
/* harmony export */ });
// The names of the SBOM and lock files and of the SBOM's media type; no library behind them, so
// that the start of the action does not load the CycloneDX library (src/sbom/cyclonedx.ts loads on use).
const SBOM_MEDIA_TYPE = 'application/vnd.cyclonedx+json';
/** The file next to the size manifest in a base's last layer. */
const SBOM_FILE = 'sbom.cdx.json';
const EXPLICIT_FILE = 'explicit.txt';
const PIP_LOCK_FILE = 'requirements.lock.txt';
/** Metadata property naming a record the template left out (or a field of it), with why. */
const LEFT_OUT_PROPERTY = 'conda-image-action:left-out';


/***/ })

};
