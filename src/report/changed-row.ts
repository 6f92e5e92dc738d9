// The report row "New layers": what a node that has the compared image downloads to run this
// one (src/sizes/changed.ts). Pure.

import { formatBytes } from './format.js'
import { code, text } from './markdown.js'
import type { ChangedBytes } from './model.js'

/** Platforms shown one by one (the rest are in the sums). */
const PLATFORMS_SHOWN = 8

/** `**41.0 MB** of its 2.3 GB of compressed layers — what a node that has `repo:tag@…` pulls …`. */
export function changedBytesText(c: ChangedBytes, shortRef: (ref: string) => string, maxRef: number): string {
  const head = `**${formatBytes(c.changed)}** of its ${formatBytes(c.total)} of compressed layers — what a node that has ${code(shortRef(c.against), maxRef)} pulls (the layers it lacks, by digest)`
  if (c.platforms.length <= 1) {
    const p = c.platforms[0]
    return p && !p.compared ? `${head}; it has no ${text(p.platform, 40)} manifest` : head
  }
  const each = c.platforms
    .slice(0, PLATFORMS_SHOWN)
    .map((p) => `${text(p.platform, 40)} ${formatBytes(p.changed)} of ${formatBytes(p.total)}${p.compared ? '' : ' (not in it)'}`)
  const more = c.platforms.length > PLATFORMS_SHOWN ? `, … and ${c.platforms.length - PLATFORMS_SHOWN} more` : ''
  return `${head}; summed over ${c.platforms.length} platforms: ${each.join(', ')}${more}`
}
