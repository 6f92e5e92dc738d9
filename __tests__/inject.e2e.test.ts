// A pull request's Dockerfile and build args issue no workflow command:
// a real BuildKit build whose RUN prints CR-separated `::set-output`, `::warning`,
// `::stop-commands::` and `##[set-output]`, whose Dockerfile lines and build-arg value hold
// CRs, ESC and bidi characters — the bundled action's stdout, split at CR and LF as the
// runner splits it, holds only the commands the action meant, and its outputs stand.

import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runAction, succeeded } from '../__fixtures__/action-runner.js'
import { commandsStoppedAtEnd, runnerCommands } from '../__fixtures__/runner-commands.js'
import { epochOf } from '../__fixtures__/stack.js'
import { e2eSuite } from '../__fixtures__/e2e-suite.js'

const HOSTILE_RUN = String.raw`printf 'ok\r::set-output name=image::evil\r::warning::forged\r::stop-commands::pwned\r##[set-output name=digest;]evil\r::add-mask::ok\n'`
const HOSTILE_ARG = 'a\r::set-output name=image::evil-arg\u001b[2J\u202ebidi'

describe('workflow commands from the build', () => {
  const suite = e2eSuite('inject', { quickstart: true })
  const { repo, image } = suite

  beforeAll(() => {
    writeFileSync(
      path.join(suite.ws, 'Dockerfile'),
      [
        'ARG BASE_IMAGE',
        'FROM ${BASE_IMAGE}',
        'ARG EVIL',
        // The repository name: no step of this test is in BuildKit's cache from an earlier run.
        `RUN ${HOSTILE_RUN} && echo ${repo}`,
        // A Dockerfile line (the step's name) with a CR, ESC and bidi characters.
        `RUN echo "step \u202ename\u2066\u001b[1m ${repo}" \r::set-output name=image::evil-step > /dev/null`,
        `RUN printf "%s\\n" "$EVIL" ${repo}`,
        '',
      ].join('\n'),
    )
  })

  it('only the commands the action issued reach the runner, and the outputs stand', async () => {
    const r = succeeded(
      await runAction(
        { image, 'base-dockerfile': 'base.Dockerfile', dockerfile: 'Dockerfile', 'build-args': `EVIL=${HOSTILE_ARG}` },
        { cwd: suite.ws, env: { SOURCE_DATE_EPOCH: epochOf('2026-11-23') } },
      ),
    )
    const commands = runnerCommands(r.stdout)
    expect(commands.filter((c) => /forged|evil|pwned/.test(c.data + c.properties))).toEqual([])
    // The build really printed the hostile lines (escaped, between stop and resume).
    expect(r.stdout).toContain(String.raw`ok\r::set-output name=image::evil\r::warning::forged`)
    expect(r.stdout).toContain(String.raw`a\r::set-output name=image::evil-arg`)
    const stops = commands.filter((c) => c.name === 'stop-commands').map((c) => c.data)
    expect(stops.length).toBeGreaterThan(0)
    for (const token of stops) expect(token).toMatch(/^[0-9a-f]{32}$/)
    expect(new Set(stops).size).toBe(stops.length)
    const names = commands.map((c) => c.name).filter((n) => !stops.includes(n) && n !== 'stop-commands')
    expect(names.filter((n) => !['group', 'endgroup', 'warning', 'notice', 'debug'].includes(n))).toEqual([])
    expect(commandsStoppedAtEnd(r.stdout)).toBe(false)

    expect(r.outputs.image).toMatch(new RegExp(`^${image}:`))
    expect(r.outputs.digest ?? '').not.toContain('evil')
    // ESC and bidi characters are shown escaped in the summary and in annotations.
    // eslint-disable-next-line no-control-regex -- the point
    const hidden = /[\u001b\u202a-\u202e\u2066-\u2069]/
    expect(r.summary).not.toMatch(hidden)
    for (const a of r.annotations) expect(a.message).not.toMatch(hidden)
  })
})
