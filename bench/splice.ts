// A run of some figures (`npm run bench -- --only layers`) updates BENCHMARKS.md without
// dropping what it did not measure: the raw figures of earlier runs (bench/results/) are not
// kept in the repository, so the report of a partial run is spliced into the one on disk.
// Pure: text in, text out.

/** The report's blocks: what precedes the first `## ` heading, then one block per `## ` heading. */
function blocks(md: string): { head: string; sections: { heading: string; text: string }[] } {
  const lines = md.split('\n')
  const sections: { heading: string; text: string[] }[] = []
  const head: string[] = []
  for (const line of lines) {
    if (line.startsWith('## ')) sections.push({ heading: line, text: [line] })
    else (sections.at(-1)?.text ?? head).push(line)
  }
  return { head: head.join('\n'), sections: sections.map((s) => ({ heading: s.heading, text: s.text.join('\n') })) }
}

/** `## 7. Package layers: …` → `7`; undefined for a heading without a number. */
function sectionNumber(heading: string): string | undefined {
  return /^## (\d+)\. /.exec(heading)?.[1]
}

/** Whether a rendered figure section holds figures (not "Not measured" or "Failed: …"). */
function measured(text: string): boolean {
  const body = text.split('\n').slice(1).join('\n').trim()
  return body !== '' && !/^(Not measured|Failed:)/.test(body)
}

/** The lines of the first table of a section (the hand-written findings under it have tables of their own). */
function firstTable(text: string): string[] {
  const lines = text.split('\n')
  const start = lines.findIndex((l) => l.startsWith('|'))
  if (start < 0) return []
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'))
  return lines.slice(start, end < 0 ? undefined : end)
}

const cells = (row: string): string[] => row.split('|').map((c) => c.trim())
const isRow = (line: string): boolean => line.startsWith('| ') && !line.startsWith('|---')

/**
 * The target table of `existing` with the rows `fresh` measured: a row of the same target
 * (first cell) replaced, a new one added after the last row; rows `fresh` did not measure stay.
 */
function spliceTargets(existing: string, fresh: string): string {
  const freshRows = firstTable(fresh).filter((l) => isRow(l) && !/\*\*not measured\*\*/.test(l) && cells(l)[1] !== 'target')
  const lines = existing.split('\n')
  const used = new Set<string>()
  let lastRow = -1
  for (let i = 0; i < lines.length; i++) {
    if (!isRow(lines[i]!)) {
      if (lastRow >= 0 && lines[i]!.trim() === '') break
      continue
    }
    lastRow = i
    const replacement = freshRows.find((r) => cells(r)[1] === cells(lines[i]!)[1])
    if (replacement) {
      lines[i] = replacement
      used.add(replacement)
    }
  }
  const added = freshRows.filter((r) => !used.has(r))
  if (added.length > 0 && lastRow >= 0) lines.splice(lastRow + 1, 0, ...added)
  return lines.join('\n')
}

/**
 * `existing` (the report on disk) with what `fresh` (the report of a partial run) measured:
 * each measured figure section in place of its namesake, under a line saying where it comes
 * from; the target rows it measured. The machine table and every other section stay.
 */
export function spliceReport(existing: string, fresh: string, provenance: string): string {
  const old = blocks(existing)
  const now = blocks(fresh)
  const replaced = new Map<string, string>()
  for (const s of now.sections) {
    const n = sectionNumber(s.heading)
    if (n !== undefined && measured(s.text)) {
      const [heading, ...rest] = s.text.split('\n')
      replaced.set(n, [heading, '', `*${provenance}*`, ...rest].join('\n'))
    }
  }
  const freshTargets = now.sections.find((s) => s.heading === '## Targets')?.text ?? ''
  const out = old.sections.map((s) => {
    const n = sectionNumber(s.heading)
    if (n !== undefined && replaced.has(n)) {
      const text = replaced.get(n)!
      replaced.delete(n)
      return text.replace(/\n*$/, s.text.match(/\n*$/)![0])
    }
    return s.heading === '## Targets' ? spliceTargets(s.text, freshTargets) : s.text
  })
  // A figure the report on disk has no section for yet: at the end.
  for (const text of replaced.values()) out.push(text)
  return [old.head, ...out].join('\n')
}
