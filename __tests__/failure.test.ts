import path from 'node:path'
import { expect, test } from 'vitest'
import { UserError } from '../src/errors.js'
import { describeFailure, failureHints, redactText } from '../src/failure.js'

const ws = '/ws'
const template = '/action/templates/base.Dockerfile'
const ctx = { workspace: ws, templatePath: template, environmentFile: path.join(ws, 'env/environment.yml'), phase: 'Build application x' }

test('a user file failure names the file and line, relative to the workspace', () => {
  const e = new UserError(
    'docker buildx build failed (exit 1) at [3/3] COPY missing.txt /x: "/missing.txt": not found\nlast 1 line of its output:\n  boom\nERROR: failed to solve: "/missing.txt": not found',
    { file: '/ws/app/Dockerfile', line: 3 },
  )
  const { info, annotation } = describeFailure(e, ctx)
  expect(annotation).toMatchObject({ file: 'app/Dockerfile', line: 3 })
  expect(info.where).toBe('app/Dockerfile line 3')
  expect(info.phase).toBe('Build application x')
  expect(info.message).toMatch(/^docker buildx build failed/)
  expect(info.log).toEqual(['  boom', 'ERROR: failed to solve: "/missing.txt": not found'])
  expect(info.hints[0]).toMatch(/build context/)
  expect(info.userError).toBe(true)
})

test("the bundled template's failure is named as the template's and annotated on the environment file", () => {
  const e = new UserError('docker buildx build failed at [build 2/4] RUN micromamba install: error: could not solve', { file: template, line: 12 })
  const { info, annotation } = describeFailure(e, ctx)
  expect(annotation.file).toBe('env/environment.yml')
  expect(annotation.line).toBeUndefined()
  expect(annotation.message).toMatch(/bundled base template \(conda-image-action's templates\/base.Dockerfile line 12\), installing env\/environment.yml/)
  expect(info.template).toBe(true)
  expect(JSON.stringify(info)).not.toContain('/action/')
  expect(info.hints.join(' ')).toMatch(/could not be solved/)
})

test('secrets and credentials never reach the report', () => {
  const e = new Error('push failed for https://bob:hunter22@reg.example/v2\nAuthorization: Bearer abc.def\nvalue s3cr3t-token here')
  const { info, annotation } = describeFailure(e, { ...ctx, masks: ['s3cr3t-token'] })
  for (const s of ['hunter22', 'abc.def', 's3cr3t-token']) {
    expect(JSON.stringify(info)).not.toContain(s)
    expect(annotation.message).not.toContain(s)
  }
  expect(annotation.message).toMatch(/^conda-image-action failed: /)
  expect(info.userError).toBe(false)
})

test('the log is short', () => {
  const long = ['head', ...Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(1000)}`)].join('\n')
  const { info } = describeFailure(new Error(long), ctx)
  expect(info.log).toHaveLength(15)
  expect(info.log.every((l) => l.length <= 301)).toBe(true)
})

test('hints', () => {
  expect(failureHints('HTTP 401 requires authentication', true)[0]).toMatch(/docker\/login-action/)
  expect(failureHints('something odd', false)[0]).toMatch(/run the job again/)
  expect(redactText('https://u:p@h/x /t/abcdefgh1234/ ok')).toBe('https://u:***@h/x /t/***/ ok')
})
