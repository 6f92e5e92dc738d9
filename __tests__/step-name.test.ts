import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { mainCommand, stepName } from '../src/buildx/step-name.js'

const template = readFileSync(path.join(__dirname, '..', 'templates', 'base.Dockerfile'), 'utf8')
const MOUNTS =
  '--mount=type=secret,id=condarc,required=false     --mount=type=secret,id=pip_conf,required=false     --mount=type=secret,id=netrc,required=false'

describe('stepName', () => {
  // Vertex names as BuildKit 0.13 prints them (a heredoc shows its first line only).
  test.each([
    [`[solve 3/4] RUN ${MOUNTS}     <<'EOF' (set -eu...)`, template, '[solve 3/4] RUN micromamba install -y -n base -f "$spec" …'],
    [`[solve 4/4] RUN <<'EOF' (set -eu...)`, template, '[solve 4/4] RUN mkdir -p "$d" /tmp/home /tmp/sizes …'],
    [`[solve 3/4] RUN ${MOUNTS}     <<'EOF' (set -eu...)`, undefined, '[solve 3/4] RUN set -eu …'],
    ['[2/5] RUN --mount=type=cache,target=/root/.cache pip install -e /app', undefined, '[2/5] RUN pip install -e /app'],
    ['[2/5] RUN echo a && echo b', undefined, '[2/5] RUN echo a && echo b'],
    ['[runtime 2/4] COPY --from=solve /opt/conda /opt/conda', template, '[runtime 2/4] COPY --from=solve /opt/conda /opt/conda'],
    ['[3/5] RUN <<EOF (set -eu...)', 'FROM x\nCOPY . /a\nRUN <<EOF\nset -eu\nexport A=1\nmake -j4 all\nEOF\n', '[3/5] RUN make -j4 all'],
    ['[stage-1 2/2] RUN <<EOF (cd /a...)', 'FROM x AS a\nRUN true\nFROM y\nRUN <<EOF\ncd /a\nnpm ci\nnpm test\nEOF\n', '[stage-1 2/2] RUN npm ci …'],
  ])('%s', (vertex, dockerfile, want) => {
    expect(stepName(vertex, dockerfile)).toBe(want)
  })
})

describe('mainCommand', () => {
  test.each([
    [
      'set -eu\nfor v in A B; do\n  echo $v\ndone\nif [ -r x ]; then export X=1; fi\nspec=$(basename y)\ncase "$spec" in\n  *.yml) cp a b ;;\nesac\nmicromamba install -y -f "$spec"\n',
      'micromamba install -y -f "$spec"',
    ],
    ['# comment\napt-get update && apt-get install -y curl', 'apt-get update …'],
    ['set -eu\nexport A=1', undefined],
    ['pip install \\\n  numpy', 'pip install numpy'],
  ])('%j', (script, want) => {
    expect(mainCommand(script)).toBe(want)
  })
})
