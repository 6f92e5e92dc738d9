// The build-context files a custom base Dockerfile reads are part of the environment hash:
// COPY/ADD sources (files, directories, globs, JSON form, heredocs), RUN --mount=type=bind,
// .dockerignore as Docker applies it, ARG/ENV substitution, and what only warns.

import { chmodSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fc, test } from '@fast-check/vitest'
import { afterAll, describe, expect, it } from 'vitest'
import { MAX_CONTEXT_BYTES, MAX_CONTEXT_FILES } from '../src/hash/context-files.js'
import { dockerfileContextReads, dockerfileUsesEnvName } from '../src/hash/dockerfile.js'
import { goMatch } from '../src/hash/glob.js'
import { diffDocuments, parseDocumentLabel } from '../src/hash/index.js'
import { MAX_TREE_BYTES, MAX_TREE_FILES } from '../src/hash/loader.js'
import { expandWord } from '../src/hash/words.js'
import { cleanupTemp, fpFile, tempDir, writeTree } from './hash-helpers.js'

afterAll(cleanupTemp)

const ENV = 'name: demo\nchannels: [conda-forge]\ndependencies:\n  - python=3.12\n'

/** A workspace with `environment.yml`, a Dockerfile and `files`; returns a fingerprint function over it. */
function project(dockerfile: string, files: Record<string, string> = {}, opts: { buildArgs?: string[]; platforms?: string[]; dockerfileName?: string } = {}) {
  const dir = tempDir('hash-ctx-')
  const name = opts.dockerfileName ?? 'Dockerfile'
  writeTree(dir, { 'environment.yml': ENV, [name]: dockerfile, ...files })
  const fp = () =>
    fpFile(path.join(dir, 'environment.yml'), {
      baseDockerfile: { path: path.join(dir, name), content: dockerfile },
      buildArgs: opts.buildArgs ?? [],
      platforms: opts.platforms ?? ['linux/amd64'],
    })
  const write = (rel: string, content: string) => writeTree(dir, { [rel]: content })
  return { dir, fp, write }
}

/** The hash before and after `edit`. */
async function hashes(p: ReturnType<typeof project>, edit: () => void): Promise<[string, string]> {
  const a = (await p.fp()).hash
  edit()
  return [a, (await p.fp()).hash]
}

const FROM = 'FROM 127.0.0.1:5000/test/busybox:latest\n'

describe('COPY/ADD sources and bind mounts count by content', () => {
  it('editing a copied script changes the hash; editing a file the Dockerfile never reads does not', async () => {
    const p = project(`${FROM}COPY environment.yml scripts/post-install.sh /tmp/\nRUN sh /tmp/post-install.sh\n`, {
      'scripts/post-install.sh': 'echo 1\n',
      'scripts/other.sh': 'echo other\n',
      'README.md': 'hi\n',
    })
    const [a, b] = await hashes(p, () => p.write('scripts/post-install.sh', 'echo 2\n'))
    expect(b).not.toBe(a)
    const [c, d] = await hashes(p, () => {
      p.write('scripts/other.sh', 'echo changed\n')
      p.write('README.md', 'changed\n')
    })
    expect(d).toBe(c)
    const fp = await p.fp()
    expect(Object.keys(fp.document.context!.files)).toEqual(['scripts/post-install.sh'])
    expect(fp.files.map((f) => path.relative(p.dir, f)).sort()).toEqual(['environment.yml', 'scripts/post-install.sh'])
    expect(parseDocumentLabel(fp.json)).toEqual(fp.document)
  })

  it('a file deep in a copied directory changes the hash, and so do added and removed files and the executable bit', async () => {
    const p = project(`${FROM}COPY --chown=1000:1000 --chmod=755 --link conf/ /etc/app/\n`, { 'conf/a/b/c/deep.ini': 'x=1\n', 'conf/top.ini': 'y\n' })
    const [a, b] = await hashes(p, () => p.write('conf/a/b/c/deep.ini', 'x=2\n'))
    expect(b).not.toBe(a)
    const [, c] = await hashes(p, () => p.write('conf/a/new.ini', 'n\n'))
    expect(c).not.toBe(b)
    const [, d] = await hashes(p, () => chmodSync(path.join(p.dir, 'conf/top.ini'), 0o755))
    expect(d).not.toBe(c)
    expect((await p.fp()).document.context!.files['conf/top.ini']).toMatch(/^exec:[0-9a-f]{16}$/)
  })

  it('a file matched by an ADD glob changes the hash; one it does not match does not (Go filepath.Match: * stops at /)', async () => {
    const p = project(`${FROM}ADD src/*.py /app/\n`, { 'src/main.py': 'print(1)\n', 'src/notes.txt': 'n\n', 'src/sub/deep.py': 'print(2)\n' })
    const [a, b] = await hashes(p, () => p.write('src/main.py', 'print(3)\n'))
    expect(b).not.toBe(a)
    const [c, d] = await hashes(p, () => {
      p.write('src/notes.txt', 'changed\n')
      p.write('src/sub/deep.py', 'print(4)\n')
    })
    expect(d).toBe(c)
    const [, e] = await hashes(p, () => p.write('src/added.py', 'x\n'))
    expect(e).not.toBe(d)
  })

  it('a glob that matches a directory copies it whole', async () => {
    const p = project(`${FROM}COPY pkg-* /opt/\n`, { 'pkg-a/x/y.txt': '1\n', 'other/y.txt': '1\n' })
    const [a, b] = await hashes(p, () => p.write('pkg-a/x/y.txt', '2\n'))
    expect(b).not.toBe(a)
  })

  it('a bind-mounted file changes the hash; a mount without source binds the whole context', async () => {
    const p = project(`${FROM}RUN --mount=type=bind,source=tools,target=/t \\\n    --mount=type=cache,target=/root/.cache sh /t/setup.sh\n`, {
      'tools/setup.sh': 'echo 1\n',
      'docs/x.md': 'x\n',
    })
    const [a, b] = await hashes(p, () => p.write('tools/setup.sh', 'echo 2\n'))
    expect(b).not.toBe(a)
    const [c, d] = await hashes(p, () => p.write('docs/x.md', 'y\n'))
    expect(d).toBe(c)
    const whole = project(`${FROM}RUN --mount=target=/ctx ls /ctx\n`, { 'docs/x.md': 'x\n' })
    const [e, f] = await hashes(whole, () => whole.write('docs/x.md', 'y\n'))
    expect(f).not.toBe(e)
  })

  it('JSON form with spaces in a path, and --parents', async () => {
    const p = project(`${FROM}COPY ["my dir/a b.txt", "/dst/"]\nCOPY --parents lib/./x/y.txt /dst/\n`, { 'my dir/a b.txt': '1\n', 'lib/x/y.txt': '1\n' })
    expect(Object.keys((await p.fp()).document.context!.files)).toEqual(['lib/x/y.txt', 'my dir/a b.txt'])
    const [a, b] = await hashes(p, () => p.write('lib/x/y.txt', '2\n'))
    expect(b).not.toBe(a)
  })

  it('heredoc files are inline (in the Dockerfile digest), not context paths; the words after them are no sources', async () => {
    const p = project(`${FROM}COPY <<EOF /etc/motd\nhello scripts/x.sh\nEOF\nRUN <<EOT\nsh scripts/x.sh\nEOT\n`, { 'scripts/x.sh': '1\n' })
    const fp = await p.fp()
    expect(fp.document.context).toBeUndefined()
  })

  it('copying only the environment file adds no context section (it is in the document as parsed)', async () => {
    const p = project(`${FROM}COPY environment.yml /tmp/\nRUN true\n`)
    const fp = await p.fp()
    expect(fp.document.context).toBeUndefined()
    const [a, b] = await hashes(p, () => p.write('environment.yml', `# a comment\n${ENV}`))
    expect(b).toBe(a)
  })

  it('COPY . counts the whole context but not the environment file bytes', async () => {
    const p = project(`${FROM}COPY . /src/\n`, { 'a.txt': '1\n' })
    const [a, b] = await hashes(p, () => p.write('environment.yml', `# cosmetic\n${ENV}`))
    expect(b).toBe(a)
    const [, c] = await hashes(p, () => p.write('a.txt', '2\n'))
    expect(c).not.toBe(b)
  })

  it('the bundled template adds no context section', async () => {
    const dir = tempDir('hash-ctx-')
    writeTree(dir, { 'environment.yml': ENV, 'x.txt': '1' })
    const fp = await fpFile(path.join(dir, 'environment.yml'))
    expect(fp.document.context).toBeUndefined()
  })
})

describe('.dockerignore', () => {
  it('a file .dockerignore hides does not count (patterns, **, exceptions)', async () => {
    const p = project(`${FROM}COPY . /src/\n`, {
      '.dockerignore': '# comment\n*.log\n**/tmp\ndocs\n!docs/keep.md\n',
      'a.log': '1',
      'x/tmp/t': '1',
      'docs/drop.md': '1',
      'docs/keep.md': '1',
      'code.py': '1',
    })
    const [a, b] = await hashes(p, () => {
      p.write('a.log', '2')
      p.write('x/tmp/t', '2')
      p.write('docs/drop.md', '2')
    })
    expect(b).toBe(a)
    const [, c] = await hashes(p, () => p.write('docs/keep.md', '2'))
    expect(c).not.toBe(b)
    expect(Object.keys((await p.fp()).document.context!.files).sort()).toEqual(['.dockerignore', 'Dockerfile', 'code.py', 'docs/keep.md'])
  })

  it('a Dockerfile-specific <name>.dockerignore next to the Dockerfile takes precedence', async () => {
    const p = project(
      `${FROM}COPY . /src/\n`,
      { '.dockerignore': 'b.txt\n', 'build/base.Dockerfile.dockerignore': 'a.txt\n', 'a.txt': '1', 'b.txt': '1' },
      { dockerfileName: 'build/base.Dockerfile' },
    )
    const [a, b] = await hashes(p, () => p.write('a.txt', '2'))
    expect(b).toBe(a)
    const [, c] = await hashes(p, () => p.write('b.txt', '2'))
    expect(c).not.toBe(b)
  })

  it('a named source .dockerignore excludes is warned about (the build will not find it)', async () => {
    const p = project(`${FROM}COPY secret.txt /x\n`, { '.dockerignore': 'secret.txt\n', 'secret.txt': 's' })
    const fp = await p.fp()
    expect(fp.warnings.map((w) => w.message).join('\n')).toMatch(/Dockerfile:2: secret\.txt is excluded by \.dockerignore/)
  })
})

describe('what is not a context path, and what only warns', () => {
  it('COPY --from a stage or an image is not a context path', async () => {
    const p = project(
      `FROM 127.0.0.1:5000/test/busybox:latest AS build\nRUN echo > /out\n${FROM}COPY --from=build /out /out\nCOPY --from=127.0.0.1:5000/test/busybox:latest /bin/sh /sh\nRUN --mount=type=bind,from=build,source=/out,target=/o true\n`,
      { out: '1', 'bin/sh': '1' },
    )
    const fp = await p.fp()
    expect(fp.document.context).toBeUndefined()
    const [a, b] = await hashes(p, () => p.write('out', '2'))
    expect(b).toBe(a)
  })

  it('ARG sources resolve with the ARG default, then the base-build-args; ENV too', async () => {
    const df = `ARG DIR=scripts\n${FROM}ARG DIR\nARG NAME=post-install\nENV EXT=sh\nCOPY \${DIR}/$NAME.\${EXT} /tmp/\n`
    const p = project(df, { 'scripts/post-install.sh': '1', 'other/post-install.sh': '1' })
    expect(Object.keys((await p.fp()).document.context!.files)).toEqual(['scripts/post-install.sh'])
    const q = project(df, { 'scripts/post-install.sh': '1', 'other/post-install.sh': '1' }, { buildArgs: ['DIR=other'] })
    expect(Object.keys((await q.fp()).document.context!.files)).toEqual(['other/post-install.sh'])
    expect((await q.fp()).warnings.map((w) => w.message)).toEqual([])
  })

  it('ENVIRONMENT_FILE is the environment file name, as the action passes it', async () => {
    const p = project(`${FROM}ARG ENVIRONMENT_FILE=other.yml\nCOPY \${ENVIRONMENT_FILE} requirements.txt /tmp/env/\n`, {
      'other.yml': 'x',
      'requirements.txt': 'rich\n',
    })
    const fp = await p.fp()
    expect(Object.keys(fp.document.context!.files)).toEqual(['requirements.txt'])
    expect(fp.warnings.map((w) => w.message)).toEqual([])
  })

  it('TARGETARCH resolves per target platform', async () => {
    const p = project(
      `${FROM}ARG TARGETARCH\nCOPY bin-\${TARGETARCH} /bin/tool\n`,
      { 'bin-amd64': '1', 'bin-arm64': '1', 'bin-ppc64le': '1' },
      { platforms: ['linux/amd64', 'linux/arm64'] },
    )
    expect(Object.keys((await p.fp()).document.context!.files)).toEqual(['bin-amd64', 'bin-arm64'])
  })

  it('an unknown variable is warned about with its line, and the whole context counts', async () => {
    const p = project(`${FROM}COPY \${SOMEWHERE}/x.sh /tmp/\n`, { 'unrelated.txt': '1' })
    const fp = await p.fp()
    expect(fp.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/Dockerfile:2: COPY source "\$\{SOMEWHERE\}\/x\.sh" uses \$SOMEWHERE, not known before the build .* whole build context counts/),
    ])
    expect(fp.warnings).toEqual([expect.objectContaining({ file: 'Dockerfile', line: 2, kind: 'context-unresolved' })])
    const [a, b] = await hashes(p, () => p.write('unrelated.txt', '2'))
    expect(b).not.toBe(a)
  })

  it('a remote ADD URL is warned about with its line (not with --checksum); it is no context path', async () => {
    const p = project(
      `${FROM}ADD https://example.com/tool.tgz /opt/\nADD --checksum=sha256:${'a'.repeat(64)} https://example.com/pinned.tgz /opt/\nADD git@example.com:x/y.git /src\n`,
    )
    const fp = await p.fp()
    expect(fp.warnings).toHaveLength(2)
    expect(fp.warnings[0]!.message).toMatch(/Dockerfile:2: ADD https:\/\/example\.com\/tool\.tgz reads a remote file/)
    expect(fp.warnings[1]!.message).toMatch(/Dockerfile:4: ADD git@example\.com/)
    expect(fp.document.context).toBeUndefined()
  })

  it('a source leaving the context (.. or a symlink) is resolved inside the context root, as BuildKit resolves it; nothing outside is read', async () => {
    const outside = tempDir('hash-ctx-outside-')
    writeFileSync(path.join(outside, 'secret'), 'top secret')
    const p = project(`${FROM}COPY ../up.txt link /x/\n`, { 'up.txt': '1', [outside.slice(1) + '/secret']: 'in the context' })
    symlinkSync(path.join(outside, 'secret'), path.join(p.dir, 'link'))
    const fp = await p.fp()
    expect(fp.warnings).toEqual([])
    const files = fp.document.context!.files
    expect(Object.keys(files).sort()).toEqual(['link', 'up.txt'])
    // `link` -> <outside>/secret is the context's <outside>/secret: its bytes, not the runner's file
    const [a, b] = await hashes(p, () => p.write(outside.slice(1) + '/secret', 'changed in the context'))
    expect(b).not.toBe(a)
    const [c, d] = await hashes(p, () => writeFileSync(path.join(outside, 'secret'), 'changed outside'))
    expect(d).toBe(c)
    const [e, f] = await hashes(p, () => p.write('up.txt', '2'))
    expect(f).not.toBe(e)
    expect(fp.files.some((x) => x.startsWith(outside))).toBe(false)
  })

  it('a symlink inside a copied directory is hashed as a link (Docker copies it as one), never followed', async () => {
    const outside = tempDir('hash-ctx-outside-')
    writeFileSync(path.join(outside, 'secret'), 'top secret')
    const p = project(`${FROM}COPY conf /conf\n`, { 'conf/a.ini': '1' })
    symlinkSync(path.join(outside, 'secret'), path.join(p.dir, 'conf', 'link'))
    const fp = await p.fp()
    const files = fp.document.context!.files
    expect(Object.keys(files).sort()).toEqual(['conf/a.ini', 'conf/link'])
    expect(files['conf/a.ini']).toMatch(/^[0-9a-f]{16}$/)
    expect(files['conf/link']).toBe(`link:${path.join(outside, 'secret')}`)
    expect(fp.files.some((f) => f.startsWith(outside))).toBe(false)
  })

  it.each([
    ['COPY . then COPY l*', ['.', 'l*']],
    ['COPY l* then COPY .', ['l*', '.']],
    ['COPY l* then COPY . (a link to a file)', ['l*', '.'], 'b.txt'],
  ])('one path read as a link and as its target (%s): both count', async (_what, sources, target = 'd') => {
    const p = project(`${FROM}${sources.map((src, i) => `COPY ${src} /o${i}/\n`).join('')}`, { 'd/e/c.md': 'c', 'b.txt': 'b' })
    symlinkSync(target, path.join(p.dir, 'l0'))
    const files = (await p.fp()).document.context!.files
    // `COPY .` copies the link as a link; `COPY l*` copies what it points to
    expect(Object.values(files)).toContain(`link:${target}`)
    // the link's text alone (same target, other spelling) changes what `COPY .` copies: the hash
    const [a, b] = await hashes(p, () => {
      const link = path.join(p.dir, 'l0')
      rmSync(link)
      symlinkSync(`./${target}`, link)
    })
    expect(b).not.toBe(a)
    // and the target's content changes what `COPY l*` copies
    const [c, d] = await hashes(p, () => p.write(target === 'd' ? 'd/e/c.md' : 'b.txt', 'edited'))
    expect(d).not.toBe(c)
  })

  it('a copied .git directory is warned about (it changes with every commit)', async () => {
    const p = project(`${FROM}COPY . /src\n`, { '.git/HEAD': 'ref: refs/heads/main\n', 'a.txt': '1' })
    expect((await p.fp()).warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/Dockerfile:2: the build context read here includes \.git .* add \.git to \.dockerignore/),
    ])
  })

  it('COPY --exclude patterns leave files out', async () => {
    const p = project(`${FROM}COPY --exclude=*.md docs /docs\n`, { 'docs/a.md': '1', 'docs/b.txt': '1' })
    const [a, b] = await hashes(p, () => p.write('docs/a.md', '2'))
    expect(b).toBe(a)
    const [, c] = await hashes(p, () => p.write('docs/b.txt', '2'))
    expect(c).not.toBe(b)
  })

  it('a glob does not match what .dockerignore hides', async () => {
    const p = project(`${FROM}COPY pkg-* /opt/\n`, { '.dockerignore': 'pkg-b\n', 'pkg-a/x': '1', 'pkg-b/x': '1' })
    expect(Object.keys((await p.fp()).document.context!.files)).toEqual(['pkg-a/x'])
  })

  it('a missing source is recorded as missing (the build will fail on it)', async () => {
    const p = project(`${FROM}COPY nope.sh /x\n`)
    expect((await p.fp()).document.context!.files).toEqual({ 'nope.sh': 'missing' })
  })

  it('the context bounds are those of local pip trees', () => {
    expect(MAX_CONTEXT_FILES).toBe(MAX_TREE_FILES)
    expect(MAX_CONTEXT_BYTES).toBe(MAX_TREE_BYTES)
  })
})

describe('bounds', () => {
  it('beyond 200 files the document lists one digest per source, and every file still counts', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 250; i++) files[`data/f${i}.txt`] = `${i}`
    const p = project(`${FROM}COPY data /data\nCOPY extra.txt /x\n`, { ...files, 'extra.txt': 'e' })
    const fp = await p.fp()
    expect(Object.keys(fp.document.context!.files)).toEqual(['data (251 entries)', 'extra.txt (1 entries)'])
    expect(fp.json.length).toBeLessThan(2000)
    const [a, b] = await hashes(p, () => p.write('data/f123.txt', 'changed'))
    expect(b).not.toBe(a)
  })

  it(`beyond ${MAX_CONTEXT_FILES} files only the first count, with a warning`, async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i <= MAX_CONTEXT_FILES; i++) files[`many/${String(i).padStart(5, '0')}`] = ''
    const p = project(`${FROM}COPY many /many\n`, files)
    const fp = await p.fp()
    expect(fp.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/Dockerfile: the build context the base Dockerfile reads is larger than the hashing limit/),
    ])
  })
})

describe('why the base was rebuilt', () => {
  it.each(['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf'])('a context file named %s is a file like any other', async (name) => {
    const p = project(`${FROM}COPY ${name} /s\n`, { [name]: '1' })
    const before = await p.fp()
    expect(Object.keys((JSON.parse(before.json) as { context: { files: object } }).context.files)).toEqual([name])
    p.write(name, '2')
    const after = await p.fp()
    expect(after.hash).not.toBe(before.hash)
    expect(diffDocuments(before.document, after.document).map((c) => `${c.kind} ${c.item}`)).toEqual([`changed ${name}`])
    expect(diffDocuments(parseDocumentLabel(before.json)!, after.document).map((c) => `${c.kind} ${c.item}`)).toEqual([`changed ${name}`])
  })

  it('names changed, added and removed context files', async () => {
    const p = project(`${FROM}COPY scripts/ /s/\n`, { 'scripts/post-install.sh': '1', 'scripts/old.sh': '1' })
    const before = (await p.fp()).document
    p.write('scripts/post-install.sh', '2')
    p.write('scripts/new.sh', '1')
    const { rmSync } = await import('node:fs')
    rmSync(path.join(p.dir, 'scripts/old.sh'))
    const changes = diffDocuments(before, (await p.fp()).document)
    expect(changes.filter((c) => c.section === 'build context files').map((c) => `${c.kind} ${c.item}`)).toEqual([
      'added scripts/new.sh',
      'removed scripts/old.sh',
      'changed scripts/post-install.sh',
    ])
  })
})

describe('Dockerfile reading (pure)', () => {
  test.each([
    ['*.py', 'a.py', true],
    ['*.py', 'dir/a.py', false],
    ['src/*.py', 'src/a.py', true],
    ['**/*.py', 'src/a.py', true],
    ['**/*.py', 'a/b/c.py', false],
    ['file?.txt', 'file1.txt', true],
    ['file?.txt', 'file/.txt', false],
    ['[a-c]x', 'bx', true],
    ['[^a-c]x', 'bx', false],
    ['[!a]x', '!x', true],
    ['\\*x', '*x', true],
    ['\\*x', 'ax', false],
    ['[a-', 'a', false],
    ['a*b*c', 'axxbyyc', true],
  ])('goMatch(%s, %s) = %s', (pattern, name, expected) => {
    expect(goMatch(pattern, name)).toBe(expected)
  })

  test.each([
    ['$A/x', 'a/x'],
    ['${A}x', 'ax'],
    ['${U:-def}', 'def'],
    ['${A:+alt}', 'alt'],
    ['${E:-def}', 'def'],
    ['${E-def}', ''],
    ['"$A b"', 'a b'],
    ["'$A'", '$A'],
    ['\\$A', '$A'],
  ])('expandWord(%s) = %s', (word, expected) => {
    const vars: Record<string, string> = { A: 'a', E: '' }
    const r = expandWord(word, (n) => (Object.hasOwn(vars, n) ? vars[n] : n === 'U' ? '' : undefined))
    expect(r.value).toBe(expected)
    expect(r.unknown).toEqual([])
  })

  it('an escape directive and a backslash in a path', () => {
    const r = dockerfileContextReads('# escape=`\nFROM x\nCOPY a\\b `\n  c /d\n', [], [])
    expect(r.reads.map((x) => x.source)).toEqual(['a\\b', 'c'])
  })

  test.each([
    ['RUN ["micromamba", "install", "-y", "-f", "/tmp/env.yml"]', true],
    ['RUN ["micromamba", "install", "-y", "-n", "base", "-f", "/tmp/env.yml"]', false],
    ['RUN <<EOF\nset -e\nmicromamba install -y -n base -f /tmp/env.yml\nEOF', false],
    ['RUN <<EOF\nmicromamba install -y \\\n  -f /tmp/env.yml\nEOF', true],
    ['RUN <<EOF\nmicromamba install -y -f /tmp/env.yml \\\n  -n base\nEOF', false],
    ['RUN micromamba install -y \\\n  # the environment\n  -n base \\\n  -f /tmp/env.yml', false],
    ['RUN conda env create -f /tmp/env.yml', true],
  ])('name rule, read with dockerfile-ast: %s → %s', (run, uses) => {
    expect(dockerfileUsesEnvName(`FROM x\n${run}\n`)).toBe(uses)
  })

  it('ONBUILD instructions and cache/secret mounts read nothing now', () => {
    const r = dockerfileContextReads(
      'FROM x\nONBUILD COPY . /x\nRUN --mount=type=secret,id=a --mount=type=cache,target=/c --mount=type=tmpfs,target=/t true\n',
      [],
      [],
    )
    expect(r.reads).toEqual([])
  })
})

describe('Dockerfile reading (properties)', () => {
  const segment = fc.stringMatching(/^[a-z0-9._-]{1,8}$/)
  const relPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((xs) => xs.join('/'))

  test.prop([relPath, relPath])('a pattern without wildcards matches exactly itself', (pattern, name) => {
    expect(goMatch(pattern, name)).toBe(pattern === name)
  })

  test.prop([relPath])('`*` in place of one segment matches exactly the paths with that many segments', (name) => {
    const parts = name.split('/')
    for (let i = 0; i < parts.length; i++) {
      const pattern = parts.map((p, j) => (j === i ? '*' : p)).join('/')
      expect(goMatch(pattern, name)).toBe(true)
      expect(goMatch(pattern, `${name}/x`)).toBe(false)
    }
  })

  test.prop([fc.stringMatching(/^[A-Za-z0-9_./-]{0,20}$/)])('a word without quotes, escapes or `$` expands to itself', (word) => {
    expect(expandWord(word, () => undefined)).toEqual({ value: word, unknown: [] })
  })
})
