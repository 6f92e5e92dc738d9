// The hidden marker that identifies the action's sticky PR comment: one per image.

import { createHash } from 'node:crypto'
import { COMMENT_MARKER_PREFIX } from '../vocabulary/constants.js'

/** GitHub rejects issue comments longer than this many characters. */
export const COMMENT_BODY_LIMIT = 65_536

/**
 * `<!-- conda-image-action:<image> -->`. The image is percent-encoded where it could end or
 * confuse the HTML comment (`%`, `<`, `>`, `!`, whitespace, control and non-ASCII
 * characters, a `-` following a `-`), so different images always get different markers and
 * no image can close the comment early. An absurdly long name (over 200 characters encoded)
 * is shortened to its start plus a hash of the whole name.
 */
export function commentMarker(image: string): string {
  let out = ''
  let prev = ''
  for (const ch of image) {
    let enc: string
    if (ch === '-' && prev === '-') enc = '%2D'
    else if (/^[A-Za-z0-9._/:@+=,;~^$&*()[\]{}'"#?|\\-]$/.test(ch)) enc = ch
    else enc = encodeURIComponent(ch).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    out += enc
    prev = ch
  }
  if (out.length > 200) {
    const digest = createHash('sha256').update(image).digest('hex').slice(0, 16)
    out = `${out.slice(0, 100).replace(/%[0-9A-F]?$/, '')}%E2%80%A6sha256=${digest}`
  }
  // A trailing `-` next to the closing ` -->` is fine (a space separates them).
  return `${COMMENT_MARKER_PREFIX}${out} -->`
}
