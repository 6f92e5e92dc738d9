export const id = 231;
export const ids = [231];
export const modules = {

/***/ 54231:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   ACTIONS_BOT: () => (/* binding */ ACTIONS_BOT),
/* harmony export */   upsertPrComment: () => (/* binding */ upsertPrComment),
/* harmony export */   writtenBy: () => (/* binding */ writtenBy)
/* harmony export */ });
/* harmony import */ var _actions_github__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(92413);
/* harmony import */ var _vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(42426);
/* harmony import */ var _text_redact_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(53326);
/* harmony import */ var _marker_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(80990);
// One sticky PR comment per image: found by its hidden marker, edited in place, created when
// missing. Only a comment the token's own identity wrote is ours (anyone can post the marker).
// API failures never fail the action: a token that cannot write (forks, read-only
// permissions) is a notice, anything else a warning.




const SILENT = { info: () => { }, notice: () => { }, warning: () => { }, debug: () => { } };
/** Whole-operation time limit (listing every page, then one write). */
const TIMEOUT_MS = 60_000;
async function upsertPrComment(target, body, log = SILENT) {
    const redact = (m) => redactSecret(m, target.token);
    const say = {
        info: (m) => log.info(redact(m)),
        notice: (m) => log.notice(redact(m)),
        warning: (m) => log.warning(redact(m)),
        debug: (m) => log.debug(redact(m)),
    };
    const where = `${target.owner}/${target.repo}#${target.issueNumber}`;
    if (!target.token) {
        say.notice(`No GitHub token: the PR comment on ${where} is skipped`);
        return 'skipped';
    }
    const marker = (0,_marker_js__WEBPACK_IMPORTED_MODULE_3__/* .commentMarker */ .Q)(target.image);
    const full = withMarker((0,_text_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .maskSecrets */ .QU)(body), marker);
    const baseUrl = (target.apiUrl || 'https://api.github.com').replace(/\/+$/, '');
    const signal = AbortSignal.timeout(TIMEOUT_MS);
    let octokit;
    try {
        octokit = (0,_actions_github__WEBPACK_IMPORTED_MODULE_0__/* .getOctokit */ .Q)(target.token, {
            baseUrl,
            log: { debug: () => { }, info: () => { }, warn: (m) => say.debug(m), error: (m) => say.debug(m) },
        });
    }
    catch (e) {
        say.warning(`Could not set up the GitHub API client for the PR comment: ${(0,_vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_1__/* .errorMessage */ .gJ)(e)}`);
        return 'skipped';
    }
    const params = { owner: target.owner, repo: target.repo, issue_number: target.issueNumber };
    let existing;
    try {
        const me = await tokenIdentity(octokit, signal);
        const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...params, per_page: 100, request: { signal } });
        let seen = 0;
        let foreign = 0;
        for (const c of comments) {
            if (!isOurs(c.body, marker))
                continue;
            if (!writtenBy(c.user, me)) {
                foreign++;
                continue;
            }
            seen++;
            existing ??= c;
        }
        say.debug(`PR comment: ${comments.length} comment(s) on ${where}, ${seen} with our marker written by ${me.login}`);
        if (foreign > 0)
            say.debug(`PR comment: ${foreign} comment(s) carry the marker but were written by someone else: left alone`);
        if (seen > 1)
            say.debug(`PR comment: ${seen} comments carry the marker; updating the oldest`);
    }
    catch (e) {
        return failed(e, `list the comments of ${where}`, say);
    }
    try {
        if (existing) {
            if (existing.body === full) {
                say.info(`PR comment on ${where} is up to date`);
                return 'updated';
            }
            await octokit.rest.issues.updateComment({ owner: target.owner, repo: target.repo, comment_id: existing.id, body: full, request: { signal } });
            say.info(`Updated the PR comment on ${where}`);
            return 'updated';
        }
        await octokit.rest.issues.createComment({ ...params, body: full, request: { signal } });
        say.info(`Created the PR comment on ${where}`);
        return 'created';
    }
    catch (e) {
        return failed(e, `${existing ? 'update' : 'create'} the PR comment on ${where}`, say);
    }
}
/** What the Actions GITHUB_TOKEN writes as (the documented author of its comments). */
const ACTIONS_BOT = { login: 'github-actions[bot]', bot: true };
/**
 * The account the token acts as: `GET /user` for a user's token (PAT, OAuth, user-to-server);
 * an installation token (the Actions GITHUB_TOKEN, a GitHub App's) is refused there (403) and
 * acts as a bot: the GraphQL `viewer`, else the Actions bot. A marker alone never makes a
 * comment ours: anyone can post one.
 */
async function tokenIdentity(octokit, signal) {
    try {
        const { data } = await octokit.request('GET /user', { request: { signal } });
        if (typeof data.login === 'string' && data.login)
            return { login: data.login, bot: data.type === 'Bot' };
    }
    catch (e) {
        if (statusOf(e) !== 403)
            throw e;
    }
    try {
        const r = await octokit.graphql('query { viewer { login } }', { request: { signal } });
        if (typeof r.viewer?.login === 'string' && r.viewer.login)
            return { login: `${r.viewer.login.replace(/\[bot\]$/, '')}[bot]`, bot: true };
    }
    catch {
        // not answered for this token: the Actions bot
    }
    return ACTIONS_BOT;
}
/**
 * Whether a comment's author is `me`: the same login and the same kind of account (GraphQL
 * names a bot without the `[bot]` suffix REST shows; a user named like a bot without it is
 * not the bot).
 */
function writtenBy(user, me) {
    if (!user?.login)
        return false;
    return user.login === me.login && (user.type === 'Bot') === me.bot;
}
/** Ours only when the body starts with our exact marker (a quote of it elsewhere does not count). */
function isOurs(body, marker) {
    if (!body)
        return false;
    return body.trimStart().startsWith(marker);
}
function withMarker(body, marker) {
    let b = body.trimStart().startsWith(marker) ? body.trimStart() : `${marker}\n${body}`;
    if (b.length > _marker_js__WEBPACK_IMPORTED_MODULE_3__/* .COMMENT_BODY_LIMIT */ .t) {
        const note = '\n\n… comment truncated to GitHub’s size limit (see the job summary).\n';
        b = b.slice(0, _marker_js__WEBPACK_IMPORTED_MODULE_3__/* .COMMENT_BODY_LIMIT */ .t - note.length - 1);
        const nl = b.lastIndexOf('\n');
        if (nl > marker.length)
            b = b.slice(0, nl);
        b += note;
    }
    return b;
}
function failed(e, what, say) {
    const status = statusOf(e);
    const msg = firstLine((0,_vocabulary_user_error_js__WEBPACK_IMPORTED_MODULE_1__/* .errorMessage */ .gJ)(e));
    if (status === 401 || status === 403 || status === 404) {
        say.notice(`The token cannot ${what} (HTTP ${status}: ${msg}); no PR comment is posted. It needs \`pull-requests: write\` (tokens of fork pull requests are read-only).`);
    }
    else {
        say.warning(`Could not ${what}${status ? ` (HTTP ${status})` : ''}: ${msg}`);
    }
    return 'skipped';
}
function statusOf(e) {
    if (e && typeof e === 'object' && 'status' in e && typeof e.status === 'number')
        return e.status;
    return undefined;
}
function firstLine(s) {
    const l = s.split('\n')[0] ?? '';
    return l.length > 300 ? `${l.slice(0, 300)}…` : l;
}
function redactSecret(m, secret) {
    if (!secret || secret.length < 4)
        return m;
    return m.split(secret).join('***');
}


/***/ })

};
