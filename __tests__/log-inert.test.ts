// Outside text in the job log starts no workflow command: every message of
// the run's one log writer, read back the way the runner reads stdout (a line ends at a bare
// CR too; `::name::` after white space, `##[name]` anywhere; `::stop-commands::<token>`),
// yields exactly the commands the action meant — whatever the text holds.

import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { commandsStoppedAtEnd, runnerCommands, stdoutOf } from '../__fixtures__/runner-commands.js'
import { logSink, runnerAnnotator } from '../src/runner/log.js'
import { text as mdText, code as mdCode } from '../src/report/markdown.js'
import { inertLine, visible } from '../src/text/visible.js'

const ATTACKS = [
  'ok\r::set-output name=image::evil',
  '\r\n  ::warning::forged',
  '::stop-commands::pwned',
  'x ##[set-output name=image;]evil',
  '\u2028::add-mask::x',
  '\u0085::error::nel',
  '\u00a0\u3000::debug::spaces',
  '\u001b[31m::notice::esc',
  'a\u202eb\u2066c',
  '%0D::set-output name=a::b',
]
const outside = fc.oneof(
  fc.constantFrom(...ATTACKS),
  fc.string({ unit: 'binary' }),
  fc.array(fc.constantFrom(...ATTACKS, 'x', '\r', '\n', ':', '#', '[', ' ')).map((a) => a.join('')),
)

type Call = 'info' | 'output' | 'debug' | 'notice' | 'warning' | 'error' | 'group'
const INTENDED: Record<Call, string[]> = {
  info: [],
  output: [],
  debug: ['debug'],
  notice: ['notice'],
  warning: ['warning'],
  error: ['error'],
  group: ['group', 'endgroup'],
}

describe('the job log writer', () => {
  test.prop(
    [fc.array(fc.tuple(fc.constantFrom<Call>('info', 'output', 'debug', 'notice', 'warning', 'error', 'group'), outside, outside), { maxLength: 12 })],
    {
      numRuns: 300,
    },
  )('outside text yields only the commands the action issued', async (calls) => {
    const log = runnerAnnotator()
    const out = await stdoutOf(async () => {
      for (const [call, m, file] of calls) {
        if (call === 'group') await log.group(m, () => Promise.resolve(log.output(file)))
        else if (call === 'notice' || call === 'warning' || call === 'error') log[call](m, { file, line: 3 })
        else log[call](m)
      }
      log.info('done')
    })
    const names = runnerCommands(out)
      .map((c) => c.name)
      .filter((n) => !/^[0-9a-f]{32}$/.test(n) && n !== 'stop-commands')
    expect(names).toEqual(calls.flatMap(([call]) => INTENDED[call]))
    expect(commandsStoppedAtEnd(out)).toBe(false)
  })

  it('brackets program output with a fresh random token, and a line holding the token cannot end it early', async () => {
    const tokens = ['aaaa1111', 'bbbb2222', 'cccc3333']
    const log = runnerAnnotator(undefined, () => tokens.shift()!)
    const out = await stdoutOf(() => {
      log.output('#5 [2/3] RUN printf ok\r::set-output name=image::evil')
      log.output('::AAAA1111::')
      log.output('::set-output name=image::evil2')
      log.warning('after the build')
    })
    expect(out.split('\n').slice(0, 7)).toEqual([
      '::stop-commands::aaaa1111',
      '#5 [2/3] RUN printf ok\\r::set-output name=image::evil',
      '::aaaa1111::',
      '::stop-commands::bbbb2222',
      '::AAAA1111::',
      '::set-output name=image::evil2',
      '::bbbb2222::',
    ])
    expect(runnerCommands(out).map((c) => c.name)).toEqual(['stop-commands', 'aaaa1111', 'stop-commands', 'bbbb2222', 'warning'])
  })

  it('tokens are 128 random bits, new for each stop', async () => {
    const log = runnerAnnotator()
    const out = await stdoutOf(() => {
      log.output('a')
      log.info('b')
      log.output('c')
      log.info('d')
    })
    const stops = runnerCommands(out).filter((c) => c.name === 'stop-commands')
    expect(stops).toHaveLength(2)
    for (const s of stops) expect(s.data).toMatch(/^[0-9a-f]{32}$/)
    expect(stops[0]!.data).not.toBe(stops[1]!.data)
  })

  it('shows control and bidirectional characters escaped in annotations, group titles and log lines', async () => {
    const log = logSink(runnerAnnotator())
    const out = await stdoutOf(async () => {
      log.warning('pkg \u001b[2J\u202eevil\u2069 name\rx', { file: 'env\u202e.yml', line: 2 })
      await log.group('Step \u2066name\r::warning::x', () => Promise.resolve(log.info('path a\u001bb ##[error]x')))
    })
    const [warning, group, , endgroup] = runnerCommands(out)
    expect(warning?.data).toBe('pkg \\x1b[2J\\u202eevil\\u2069 name\\rx')
    expect(warning?.properties).toBe('file=env\\u202e.yml,line=2')
    expect(group?.data).toBe('Step \\u2066name\\r::warning::x')
    expect(endgroup).toBeUndefined()
    expect(out).toContain('path a\\x1bb #\\x23[error]x\n')
    // eslint-disable-next-line no-control-regex -- the point
    expect(out).not.toMatch(/[\u001b\u202e\u2066\u2069]/)
  })
})

describe('visible / inertLine', () => {
  it.each([
    ['a\rb', 'a\\rb'],
    ['a\nb', 'a\\nb'],
    ['tab\tkept', 'tab\tkept'],
    ['\u0007\u007f\u0085\u200b\u202a\u202e\u2066\u2069\ufeff', '\\x07\\x7f\\x85\\u200b\\u202a\\u202e\\u2066\\u2069\\ufeff'],
  ])('visible(%j) = %j', (s, want) => expect(visible(s)).toBe(want))

  it.each([
    ['::set-output name=a::b', ':\\x3aset-output name=a::b'],
    ['  \u00a0::warning::x', '  \u00a0:\\x3awarning::x'],
    ['text ##[set-output name=a;]b', 'text #\\x23[set-output name=a;]b'],
    ['fine: a::b', 'fine: a::b'],
  ])('inertLine(%j) = %j', (s, want) => {
    expect(inertLine(s)).toBe(want)
    expect(runnerCommands(inertLine(s))).toEqual([])
  })

  test.prop([outside])('no inert line is a command', (s) => {
    expect(runnerCommands(inertLine(s))).toEqual([])
  })
})

describe('markdown of the summary and the comment', () => {
  it.each([
    ['a\u202eb', 'a\\\\u202eb', '`a\\u202eb`'],
    ['a\u001b[31mb', 'a\\\\x1b\\[31mb', '`a\\x1b[31mb`'],
  ])('shows %j escaped', (s, asText, asCode) => {
    expect(mdText(s)).toBe(asText)
    expect(mdCode(s)).toBe(asCode)
  })
})
