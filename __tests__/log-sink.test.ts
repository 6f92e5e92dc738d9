// The log sink: annotations with file/line, every warning collected for the report,
// duplicates dropped, each kind capped so the log stays bounded whatever the input.

import { describe, expect, it } from 'vitest'
import { recordingAnnotator } from '../__fixtures__/ports.js'
import { logSink, warningKind, WARNINGS_PER_KIND } from '../src/runner/log.js'

describe('logSink', () => {
  it('annotates a warning with its file and line, and collects it', () => {
    const a = recordingAnnotator()
    const log = logSink(a)
    log.warning('Could not read -r extra.txt', { file: 'environment.yml', line: 7 })
    expect(a.events).toEqual([{ level: 'warning', message: 'Could not read -r extra.txt', where: { file: 'environment.yml', line: 7 } }])
    expect(log.warnings()).toEqual(['Could not read -r extra.txt'])
  })

  it('drops exact duplicates', () => {
    const a = recordingAnnotator()
    const log = logSink(a)
    for (let i = 0; i < 5; i++) log.warning('same')
    expect(a.events.filter((e) => e.level === 'warning')).toHaveLength(1)
    expect(log.warnings()).toEqual(['same'])
  })

  it('keeps the first WARNINGS_PER_KIND of a kind, then one "and N more" line', () => {
    const a = recordingAnnotator()
    const log = logSink(a)
    for (let i = 0; i < 100_000; i++) log.warning(`Could not read -e ./pkg${i}: not found`)
    log.warning('Another kind')
    const shown = a.events.filter((e) => e.level === 'warning')
    expect(shown).toHaveLength(WARNINGS_PER_KIND + 1)
    const all = log.flush()
    expect(all).toHaveLength(WARNINGS_PER_KIND + 2)
    expect(all.at(-1)).toBe(`… and ${100_000 - WARNINGS_PER_KIND} more warnings like "Could not read -e …"`)
    // flush annotates the "and N more" line once.
    log.flush()
    expect(a.events.filter((e) => e.level === 'warning')).toHaveLength(WARNINGS_PER_KIND + 2)
    expect(a.events.length).toBeLessThan(WARNINGS_PER_KIND + 10)
  })

  it('kinds: the text before the first ":" or "(", or an explicit kind', () => {
    expect(warningKind('Could not read x (ENOENT)')).toBe('Could not read x')
    expect(warningKind('Could not read -r ../reqs/a1.txt (ENOENT)')).toBe('Could not read -r …')
    expect(warningKind('Retention: could not read a:b')).toBe('Retention')
    const a = recordingAnnotator()
    const log = logSink(a, 2)
    for (let i = 0; i < 5; i++) log.warning(`line ${i}`, { kind: 'k' })
    expect(log.warnings()).toEqual(['line 0', 'line 1', '… and 3 more warnings like "k"'])
  })
})
