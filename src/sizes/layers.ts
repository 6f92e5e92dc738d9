// Why an image changed size: the layers it has that the compared image has not (and the
// other way round), largest first, each named by the Dockerfile step that made it (the image
// config's history `created_by`). Pure.

import type { LayerChange } from '../report/model.js'

export interface Layer {
  readonly digest: string
  readonly size: number
  readonly createdBy?: string
}

/** The layers that account for the change from `before` to `after`, largest first (at most `max` of each). */
export function layerChanges(
  before: readonly Layer[],
  after: readonly Layer[],
  max: number,
): { added: LayerChange[]; removed: LayerChange[]; addedBytes: number; removedBytes: number } {
  const had = new Set(before.map((l) => l.digest))
  const has = new Set(after.map((l) => l.digest))
  const added = after.filter((l) => !had.has(l.digest))
  const removed = before.filter((l) => !has.has(l.digest))
  const top = (ls: Layer[]) =>
    [...ls]
      .sort((a, b) => b.size - a.size)
      .slice(0, max)
      .map((l) => ({ step: stepOfHistory(l.createdBy), bytes: l.size }))
  const sum = (ls: Layer[]) => ls.reduce((n, l) => n + l.size, 0)
  return { added: top(added), removed: top(removed), addedBytes: sum(added), removedBytes: sum(removed) }
}

/**
 * A history entry's `created_by` as the Dockerfile step: BuildKit writes
 * `RUN |2 A=1 B=2 /bin/sh -c <command> # buildkit` and `COPY src /app # buildkit`.
 */
export function stepOfHistory(createdBy: string | undefined): string {
  if (!createdBy) return 'a step of an earlier image (no history)'
  return createdBy
    .replace(/\s*# buildkit$/, '')
    .replace(/^RUN \|\d+(?: \S+=\S*)* /, 'RUN ')
    .replace(/^RUN \/bin\/sh -c /, 'RUN ')
    .replace(/^\/bin\/sh -c #\(nop\) /, '')
    .replace(/^\/bin\/sh -c /, 'RUN ')
    .replace(/\s+/g, ' ')
    .trim()
}
