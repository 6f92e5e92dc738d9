import { expect, test } from 'vitest'
import { checkAppDockerfile } from '../src/buildx/app-dockerfile.js'
import { UserError } from '../src/vocabulary/user-error.js'

const ok = [
  'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY . /app\n',
  'ARG BASE_IMAGE\nFROM $BASE_IMAGE\n',
  'ARG BASE_IMAGE=x\nFROM ${BASE_IMAGE:-fallback} AS runtime\n',
  'ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS deps\nRUN pip install x\nFROM deps AS app\nCOPY . /app\n',
  '# syntax is not needed\nARG OTHER=1\nARG BASE_IMAGE\nFROM busybox AS tools\nFROM ${BASE_IMAGE}\nCOPY --from=tools /bin/sh /x\n',
]

test.each(ok)('no warning for %j', (text) => expect(checkAppDockerfile(text, 'Dockerfile')).toEqual([]))

test.each([
  ['FROM python:3.12-slim\nCOPY . /app\n', 1, /last stage.*does not start FROM \$\{BASE_IMAGE\}/],
  ['ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS deps\nFROM alpine\nCOPY --from=deps /opt /opt\n', 3, /does not contain the conda environment/],
  ['ARG BASE_IMAGE\nFROM ${BASE_IMAGE_OTHER}\n', 2, /does not start FROM/],
])('a hard-coded FROM warns on its line: %j', (text, line, message) => {
  const w = checkAppDockerfile(text, 'Dockerfile')
  expect(w).toHaveLength(1)
  expect(w[0]!.line).toBe(line)
  expect(w[0]!.message).toMatch(message)
})

test('the target stage decides', () => {
  const text = 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS app\nFROM busybox AS debug\n'
  expect(checkAppDockerfile(text, 'Dockerfile', 'app')).toEqual([])
  expect(checkAppDockerfile(text, 'Dockerfile', 'debug')[0]!.message).toMatch(/target stage "debug"/)
})

test('ARG BASE_IMAGE missing is a clean user error on the FROM line', () => {
  try {
    checkAppDockerfile('FROM busybox AS x\nRUN true\nFROM ${BASE_IMAGE}\n', 'app/Dockerfile')
    expect.unreachable()
  } catch (e) {
    expect(e).toBeInstanceOf(UserError)
    expect((e as UserError).message).toMatch(/declares no `ARG BASE_IMAGE` before its first FROM/)
    expect((e as UserError).file).toBe('app/Dockerfile')
    expect((e as UserError).line).toBe(3)
  }
})

test('an ARG after the first FROM does not count', () => {
  expect(() => checkAppDockerfile('FROM busybox\nARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n', 'D')).toThrow(/ARG BASE_IMAGE/)
})

test('an unknown target is a user error naming the stages', () => {
  expect(() => checkAppDockerfile('ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS app\n', 'D', 'nope')).toThrow(
    /Input "target": stage "nope" is not in D \(its stages: app\)/,
  )
  expect(() => checkAppDockerfile('# nothing\n', 'D')).toThrow(/no FROM/)
})
