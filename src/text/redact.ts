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

export type Mask = (secret: string) => string

export const STARS: Mask = () => '***'

const CONVENTIONAL_USERS = /^(git|hg|svn)$/i
const PIP_OPTION = /((?:^|[\s"'])(?:-i|-f|--index-url|--extra-index-url|--find-links|--trusted-host)(?:\s+|=))(["']?)([^\s"']+)/g
/** The words that make a name a credential's: a build-arg, a .condarc key, a URL query parameter. */
const SECRET_WORDS = 'token|secret|passw(?:or)?d|passphrase|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth'
const SECRET_NAME = new RegExp(`(?:${SECRET_WORDS})`, 'i')
const QUERY_SECRET = new RegExp(`([?&](?:[A-Za-z0-9_.-]*(?:${SECRET_WORDS}|sig|signature)[A-Za-z0-9_.-]*)=)([^&#\\s"']+)`, 'gi')

/** Whether a key is named like a credential (`GITHUB_TOKEN`, `password`, `GPG_PASSPHRASE`, `AWS_SECRET_ACCESS_KEY`…): its value is masked. */
export function isSecretName(key: string): boolean {
  return SECRET_NAME.test(key)
}

/** `text` with every credential replaced by `mask(credential)` (default `***`). */
export function redact(text: string, mask: Mask = STARS): string {
  if (!text.includes('@') && !text.includes('/t/') && !text.includes('=')) return text
  let out = text
  if (out.includes('@')) {
    out = out
      // scheme://user:pass@  → scheme://user:***@ (to the authority's last `@`: a password
      // with a raw `@` is masked whole)
      .replace(
        /(\b[a-z][a-z0-9+.-]*:\/\/)([^/\s:@]*):([^/\s]+)@(?![a-z0-9]+:[0-9a-f]{32})/gi,
        (_m, scheme: string, user: string, pass: string) => `${scheme}${user}:${mask(pass)}@`,
      )
      // scheme://token@ → scheme://***@ (not git@, hg@, svn@)
      .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)([^/\s:]+)@(?![a-z0-9]+:[0-9a-f]{32})/gi, (m, scheme: string, user: string) =>
        CONVENTIONAL_USERS.test(user) ? m : `${scheme}${mask(user)}@`,
      )
      // user:pass@host without a scheme (not an image reference `name:tag@sha256:…`)
      // (bounded and unable to cross separators: linear on hostile text)
      .replace(
        /(^|[\s=,;'"(<[])([^\s:@/'"=,;()<>[\]]{1,256}):([^\s@/'",;()<>[\]]{1,256})@(?=[A-Za-z0-9[])(?![a-z0-9]+:[0-9a-f]{32})/g,
        (_m, pre: string, user: string, pass: string) => `${pre}${user}:${mask(pass)}@`,
      )
      // pip option values with userinfo and no scheme (`--index-url tok@host/simple`)
      .replace(PIP_OPTION, (m, opt: string, q: string, value: string) => `${opt}${q}${redactOptionValue(value, mask)}`)
  }
  if (out.includes('/t/')) out = out.replace(/\/t\/([A-Za-z0-9_.-]{8,})\//g, (_m, tok: string) => `/t/${mask(tok)}/`)
  if (out.includes('=')) out = out.replace(QUERY_SECRET, (_m, key: string, value: string) => `${key}${mask(value)}`)
  return out
}

/** A pip option value: userinfo before the host masked, whatever its form. */
function redactOptionValue(value: string, mask: Mask): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? ''
  const rest = value.slice(scheme.length)
  const slash = rest.indexOf('/')
  const authority = slash < 0 ? rest : rest.slice(0, slash)
  const at = authority.lastIndexOf('@')
  if (at < 0) return value
  const userinfo = authority.slice(0, at)
  if (userinfo === '***' || /^[^:]*:\*\*\*$/.test(userinfo) || /sha256:[0-9a-f]{16}$/.test(userinfo)) return value
  const colon = userinfo.indexOf(':')
  const masked = colon < 0 ? (CONVENTIONAL_USERS.test(userinfo) ? userinfo : mask(userinfo)) : `${userinfo.slice(0, colon)}:${mask(userinfo.slice(colon + 1))}`
  return `${scheme}${masked}${rest.slice(at)}`
}

// Credentials the run holds (inputs, helper answers, registry tokens): every value masked
// with `setSecret` is registered here, and whatever the action prints (the log sink, the job
// summary, the PR comment) passes `maskSecrets` — so an error that quotes a credential (Node's
// header check does, with the value JSON-escaped) is masked before it is printed, whatever
// the runner's own masking makes of a value with a line break.
const known = new Set<string>()
let ordered: string[] = []

/** Shorter values are not masked (they would mask ordinary words); the runner masks them anyway. */
const MIN_SECRET = 4

/** Registers a credential: its value, its JSON-escaped form and each of its lines. */
export function registerSecret(value: string): void {
  const forms = [value, JSON.stringify(value).slice(1, -1), ...value.split(/\r\n|\r|\n/)]
  for (const f of forms) if (f.trim().length >= MIN_SECRET) known.add(f)
  ordered = [...known].sort((a, b) => b.length - a.length)
}

/** `text` with every registered credential replaced by `***` (longest first). */
export function maskSecrets(text: string): string {
  let out = text
  for (const s of ordered) if (out.includes(s)) out = out.split(s).join('***')
  return out
}

/** Longest excerpt of user text a message may quote. */
export const MAX_EXCERPT = 80

/**
 * User text fit to quote in a message: credentials redacted, control characters shown as
 * `?`, whitespace collapsed, cut to `max` characters with `…`.
 */
export function excerpt(text: string, max: number = MAX_EXCERPT): string {
  const flat = redact(text.length > max * 4 ? text.slice(0, max * 4) : text)
    // eslint-disable-next-line no-control-regex -- control characters are what this replaces
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}
