export const id = 660;
export const ids = [660];
export const modules = {

/***/ 95660:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   EXPLICIT_FILE: () => (/* reexport safe */ _files_js__WEBPACK_IMPORTED_MODULE_5__.wP),
/* harmony export */   LEFT_OUT_PROPERTY: () => (/* reexport safe */ _files_js__WEBPACK_IMPORTED_MODULE_5__.HZ),
/* harmony export */   PIP_LOCK_FILE: () => (/* reexport safe */ _files_js__WEBPACK_IMPORTED_MODULE_5__.ND),
/* harmony export */   SBOM_FILE: () => (/* reexport safe */ _files_js__WEBPACK_IMPORTED_MODULE_5__.HO),
/* harmony export */   SBOM_MEDIA_TYPE: () => (/* reexport safe */ _files_js__WEBPACK_IMPORTED_MODULE_5__.y_),
/* harmony export */   parseComponent: () => (/* binding */ parseComponent),
/* harmony export */   parseSbom: () => (/* binding */ parseSbom)
/* harmony export */ });
/* harmony import */ var _cyclonedx_cyclonedx_library_Enums__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6820);
/* harmony import */ var _cyclonedx_cyclonedx_library_Enums__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(_cyclonedx_cyclonedx_library_Enums__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _cyclonedx_cyclonedx_library_Models__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(50320);
/* harmony import */ var _cyclonedx_cyclonedx_library_Models__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(_cyclonedx_cyclonedx_library_Models__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _cyclonedx_cyclonedx_library_Serialize__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(51248);
/* harmony import */ var _cyclonedx_cyclonedx_library_Serialize__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(_cyclonedx_cyclonedx_library_Serialize__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var _cyclonedx_cyclonedx_library_Spec__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(94321);
/* harmony import */ var _cyclonedx_cyclonedx_library_Spec__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__webpack_require__.n(_cyclonedx_cyclonedx_library_Spec__WEBPACK_IMPORTED_MODULE_3__);
/* harmony import */ var packageurl_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(87091);
/* harmony import */ var packageurl_js__WEBPACK_IMPORTED_MODULE_4___default = /*#__PURE__*/__webpack_require__.n(packageurl_js__WEBPACK_IMPORTED_MODULE_4__);
/* harmony import */ var _files_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(39282);
// The SBOM of a base (CycloneDX 1.6 JSON), as the bundled template writes it into the base's
// last layer (templates/base.Dockerfile, "SBOM and lock"). The image has no Node, so the
// template's script is the one generator; here the action checks what it wrote before
// attaching those same bytes as a referrer: every purl must parse with packageurl-js and be
// in its canonical encoding, and the components rendered by @cyclonedx/cyclonedx-library from
// what was parsed must say exactly what the document says. Pure: bytes in, data out.
// The library's parts, not its front door: that loads its validators, whose schema files the bundle does not carry.







/** Most components accepted (a real environment has hundreds). */
const MAX_COMPONENTS = 50_000;
const MAX_FIELD = 1026;
const MAX_LEFT_OUT = 50;
const HASH_LENGTH = { MD5: 32, 'SHA-256': 64 };
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v) => typeof v === 'string' && v.length > 0 && v.length <= MAX_FIELD;
function hashesOf(v) {
    if (v === undefined)
        return {};
    if (!Array.isArray(v))
        return 'hashes is not a list';
    const out = {};
    for (const h of v) {
        const alg = isObject(h) ? h.alg : undefined;
        const content = isObject(h) ? h.content : undefined;
        if (typeof alg !== 'string' || !(alg in HASH_LENGTH) || typeof content !== 'string')
            return 'a hash is not MD5 or SHA-256';
        if (content.length !== HASH_LENGTH[alg] || /[^0-9a-f]/.test(content))
            return `its ${alg} is not ${HASH_LENGTH[alg]} hex digits`;
        out[alg] = content;
    }
    return out;
}
function licenseOf(v) {
    if (v === undefined)
        return undefined;
    const l = Array.isArray(v) && v.length === 1 && isObject(v[0]) && isObject(v[0].license) ? v[0].license.name : undefined;
    return str(l) ? l : { bad: 'licenses is not one named licence' };
}
/** One component, or why it is not one the template writes. */
function parseComponent(c) {
    if (!isObject(c))
        return 'not an object';
    const { name, version, purl } = c;
    if (c.type !== 'library' || !str(name) || !str(version) || !str(purl))
        return 'not a library with a name, a version and a purl';
    if (c['bom-ref'] !== purl)
        return 'its bom-ref is not its purl';
    let p;
    try {
        p = packageurl_js__WEBPACK_IMPORTED_MODULE_4__.PackageURL.fromString(purl);
    }
    catch (e) {
        return `its purl does not parse (${e.message})`;
    }
    if (p.type !== 'conda' && p.type !== 'pypi')
        return `its purl is of type ${p.type}`;
    if (p.toString() !== purl)
        return 'its purl is not in the canonical encoding';
    const expected = p.type === 'pypi' ? name.toLowerCase().replace(/_/g, '-') : name;
    if (p.name !== expected || p.version !== version || p.namespace)
        return 'its purl does not name it';
    const hashes = hashesOf(c.hashes);
    if (typeof hashes === 'string')
        return hashes;
    const license = licenseOf(c.licenses);
    if (typeof license === 'object')
        return license.bad;
    const qualifiers = { ...(p.qualifiers ?? {}) };
    return { kind: p.type, name, version, purl, qualifiers, hashes, ...(license ? { license } : {}) };
}
/** The components as @cyclonedx/cyclonedx-library renders them (CycloneDX 1.6 JSON), keyed by purl. */
function libraryRendering(components) {
    const bom = new _cyclonedx_cyclonedx_library_Models__WEBPACK_IMPORTED_MODULE_1__.Bom();
    for (const s of components) {
        const c = new _cyclonedx_cyclonedx_library_Models__WEBPACK_IMPORTED_MODULE_1__.Component(_cyclonedx_cyclonedx_library_Enums__WEBPACK_IMPORTED_MODULE_0__.ComponentType.Library, s.name, { version: s.version, purl: s.purl });
        c.bomRef.value = s.purl;
        for (const [alg, content] of Object.entries(s.hashes))
            c.hashes.set(alg, content);
        if (s.license)
            c.licenses.add(new _cyclonedx_cyclonedx_library_Models__WEBPACK_IMPORTED_MODULE_1__.NamedLicense(s.license));
        bom.components.add(c);
    }
    const json = new _cyclonedx_cyclonedx_library_Serialize__WEBPACK_IMPORTED_MODULE_2__.JsonSerializer(new _cyclonedx_cyclonedx_library_Serialize__WEBPACK_IMPORTED_MODULE_2__.JSON.Normalize.Factory(_cyclonedx_cyclonedx_library_Spec__WEBPACK_IMPORTED_MODULE_3__.Spec1dot6)).serialize(bom);
    const out = new Map();
    for (const c of JSON.parse(json).components ?? [])
        out.set(String(c.purl), c);
    return out;
}
function agrees(s, rendered) {
    if (!rendered || rendered.name !== s.name || rendered.version !== s.version || rendered['bom-ref'] !== s.purl)
        return false;
    const hashes = Object.fromEntries((rendered.hashes ?? []).map((h) => [String(h.alg), h.content]));
    if (JSON.stringify(Object.entries(hashes).sort()) !== JSON.stringify(Object.entries(s.hashes).sort()))
        return false;
    const lic = rendered.licenses?.[0]?.license?.name;
    return lic === s.license;
}
function leftOutOf(metadata) {
    const props = isObject(metadata) && Array.isArray(metadata.properties) ? metadata.properties : [];
    return props
        .filter((p) => isObject(p) && p.name === _files_js__WEBPACK_IMPORTED_MODULE_5__/* .LEFT_OUT_PROPERTY */ .HZ && typeof p.value === 'string')
        .slice(0, MAX_LEFT_OUT)
        .map((p) => p.value.slice(0, 300));
}
/** The SBOM's components and what it says was left out, or why it is not a CycloneDX 1.6 SBOM of the template. */
function parseSbom(bytes) {
    let doc;
    try {
        doc = JSON.parse(bytes.toString('utf8'));
    }
    catch {
        return { invalid: 'it is not JSON' };
    }
    if (!isObject(doc) || doc.bomFormat !== 'CycloneDX' || doc.specVersion !== '1.6')
        return { invalid: 'it is not a CycloneDX 1.6 document' };
    const list = doc.components ?? [];
    if (!Array.isArray(list) || list.length > MAX_COMPONENTS)
        return { invalid: `components is not a list of at most ${MAX_COMPONENTS}` };
    const components = [];
    const seen = new Set();
    for (const [i, c] of list.entries()) {
        const parsed = parseComponent(c);
        if (typeof parsed === 'string')
            return { invalid: `component ${i + 1}: ${parsed}` };
        if (seen.has(parsed.purl))
            return { invalid: `component ${i + 1}: a second ${parsed.purl}` };
        seen.add(parsed.purl);
        components.push(parsed);
    }
    const rendered = libraryRendering(components);
    const differs = components.find((c) => !agrees(c, rendered.get(c.purl)));
    if (differs)
        return { invalid: `${differs.purl} is not what the CycloneDX library renders for it` };
    return { components, leftOut: leftOutOf(doc.metadata) };
}


/***/ })

};
