// Checks of the application Dockerfile before it is built (pure, over its text, parsed
// with dockerfile-ast): the image built must derive from the picked base (`BASE_IMAGE`), the
// `ARG BASE_IMAGE` it needs must be declared before the first FROM, and `target` must name
// one of its stages.

import { DockerfileParser } from 'dockerfile-ast'
import { BuildArgNames, Inputs } from '../vocabulary/constants.js'
import { UserError } from '../vocabulary/user-error.js'

export interface AppDockerfileWarning {
  readonly message: string
  /** 1-based. */
  readonly line: number
}

const USES_BASE = new RegExp(`\\$(?:\\{${BuildArgNames.BaseImage}(?=[:}])|${BuildArgNames.BaseImage}(?![A-Za-z0-9_]))`)

/**
 * Throws a UserError (file and line) for what would make the build fail in a confusing way;
 * returns warnings for what would build an image without the environment.
 */
export function checkAppDockerfile(text: string, file: string, target?: string): AppDockerfileWarning[] {
  const df = DockerfileParser.parse(text)
  const froms = df.getFROMs()
  if (froms.length === 0) throw new UserError(`${file} has no FROM instruction`, { file, line: 1 })
  const stages = froms.map((f) => ({ name: f.getBuildStage()?.toLowerCase(), image: f.getImage() ?? '', line: f.getRange().start.line + 1 }))
  const declared = df.getInitialARGs().some((a) => a.getProperty()?.getName() === BuildArgNames.BaseImage)
  const users = stages.filter((s) => USES_BASE.test(s.image))
  if (users.length > 0 && !declared) {
    throw new UserError(
      `${file} uses \${${BuildArgNames.BaseImage}} in FROM but declares no \`ARG ${BuildArgNames.BaseImage}\` before its first FROM; add \`ARG ${BuildArgNames.BaseImage}\` as its first line`,
      { file, line: users[0]!.line },
    )
  }
  let index = stages.length - 1
  if (target !== undefined) {
    index = stages.findIndex((s) => s.name === target.toLowerCase())
    if (index < 0) {
      const names = stages.map((s) => s.name).filter(Boolean)
      throw new UserError(
        `Input "${Inputs.Target}": stage "${target}" is not in ${file} (${names.length ? `its stages: ${names.join(', ')}` : 'it names no stages (`FROM … AS <name>`)'})`,
        { file, line: 1 },
      )
    }
  }
  if (derivesFromBase(stages, index)) return []
  const stage = stages[index]!
  const what = target !== undefined ? `the target stage "${target}"` : 'the image it builds (its last stage)'
  return [
    {
      line: stage.line,
      message: `${file}: ${what} does not start FROM \${${BuildArgNames.BaseImage}}, so it does not contain the conda environment of the base; write \`ARG ${BuildArgNames.BaseImage}\` before the first FROM and \`FROM \${${BuildArgNames.BaseImage}}\``,
    },
  ]
}

/** Follows `FROM <earlier stage>` links back to an image; true when one on the way uses BASE_IMAGE. */
function derivesFromBase(stages: readonly { name?: string; image: string }[], index: number): boolean {
  const seen = new Set<number>()
  let i = index
  while (i >= 0 && !seen.has(i)) {
    seen.add(i)
    const image = stages[i]!.image
    if (USES_BASE.test(image)) return true
    const parent = stages.findIndex((s, j) => j < i && s.name !== undefined && s.name === image.toLowerCase())
    i = parent
  }
  return false
}
