import path from 'node:path'
import { expect, test } from 'vitest'
import { UserError } from '../src/vocabulary/user-error.js'
import { failureMessage } from '../src/buildx/index.js'
import { describeFailure, failureHints, redactText } from '../src/report/failure-info.js'

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

test('a failed solve: the annotation is a few short lines and never repeats the RUN command; the summary keeps the excerpt', () => {
  const script = [
    'set -eu',
    'for v in CUDA GLIBC OSX ARCHSPEC; do',
    '  eval \\"val=\\\\${CONDA_OVERRIDE_$v:-}\\"',
    'done',
    'spec=$(basename \\"$ENVIRONMENT_FILE\\")',
    'micromamba install -y -n base -f \\"$spec\\"',
    'micromamba clean --all --yes',
    'rm -rf /opt/conda/pkgs',
  ].join('\\n')
  const processError = `process "/bin/sh -c ${script}" did not complete successfully: exit code: 1`
  const logTail = [
    ...Array.from({ length: 12 }, (_, i) => `info     libmamba Parsing repodata ${i}`),
    'error    libmamba Could not solve for environment specs',
    '    The following package could not be installed',
    '    └─ numpy =9.99 * does not exist (perhaps a typo or a missing channel).',
    'critical libmamba Could not solve for environment specs',
  ]
  const message = failureMessage(1, {
    vertex: `[solve 3/4] RUN --mount=type=secret,id=condarc,required=false     --mount=type=secret,id=pip_conf,required=false     <<'EOF' (set -eu...)`,
    inStep: true,
    error: processError,
    logTail,
    textTail: [`ERROR: failed to solve: ${processError}`],
  })
  const { info, annotation } = describeFailure(new UserError(message, { file: template, line: 50 }), ctx)
  expect(annotation.message.split('\n').length).toBeLessThanOrEqual(5)
  expect(annotation.message.length).toBeLessThan(700)
  expect(annotation.message).not.toContain('--mount')
  expect(annotation.message).not.toContain('micromamba clean')
  expect(annotation.message).toContain('critical libmamba Could not solve for environment specs')
  expect(annotation.message).toContain('the command failed (exit code: 1)')
  expect(info.message).not.toContain('micromamba clean')
  expect(info.log.length).toBeGreaterThan(5)
  expect(info.log.join('\n')).toContain('numpy =9.99')
})
