import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { assembleContext, bundledTemplateContext, planContext } from '../src/hash/build-context.js'
import { sha256Hex } from '../src/hash/canonical.js'
import { fingerprint } from '../src/hash/index.js'

const roots: string[] = []
function temp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'ctx-'))
  roots.push(d)
  return d
}
afterEach(() => {
  for (const d of roots.splice(0)) rmSync(d, { recursive: true, force: true })
})

function write(dir: string, files: Record<string, string>): void {
  for (const [rel, c] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    writeFileSync(path.join(dir, rel), c)
  }
}

function listTree(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listTree(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort()
}

describe('planContext', () => {
  it.each([
    ['env file only', '/ws/environment.yml', [], '/ws', 'environment.yml', ['environment.yml']],
    ['env file in a subdirectory', '/ws/envs/environment.yml', ['/ws/envs/req.txt'], '/ws/envs', 'environment.yml', ['environment.yml', 'req.txt']],
    ['a -r file above the env file', '/ws/envs/environment.yml', ['/ws/reqs/req.txt'], '/ws', 'envs/environment.yml', ['envs/environment.yml', 'reqs/req.txt']],
    [
      'a local pip tree',
      '/ws/environment.yml',
      ['/ws/pkg/setup.py', '/ws/pkg/src/a.py', '/ws/environment.yml'],
      '/ws',
      'environment.yml',
      ['environment.yml', 'pkg/setup.py', 'pkg/src/a.py'],
    ],
  ])('%s', (_name, env, files, root, envRel, rels) => {
    const plan = planContext(env, files, '/ws')
    expect(plan.root).toBe(root)
    expect(plan.environmentFile).toBe(envRel)
    expect(plan.entries.map((e) => e.rel)).toEqual(rels)
  })

  it('leaves out a .dockerignore at the context root (it would hide hashed files from the build)', () => {
    const plan = planContext('/ws/environment.yml', ['/ws/.dockerignore', '/ws/pkg/.dockerignore', '/ws/pkg/a.py'], '/ws')
    expect(plan.entries.map((e) => e.rel)).toEqual(['environment.yml', 'pkg/.dockerignore', 'pkg/a.py'])
  })

  it('refuses a hashed file outside the workspace, naming it', () => {
    expect(() => planContext('/ws/environment.yml', ['/etc/req.txt'], '/ws')).toThrow(/\/etc\/req\.txt .*outside the workspace/)
    expect(() => planContext('/ws/environment.yml', ['/ws-other/req.txt'], '/ws')).toThrow(/outside the workspace/)
  })
})

/** The digest the hash took of `<ws>/environment.yml` (`dependencies: [python]`). */
const envDigest = (ws: string) => new Map([[path.join(ws, 'environment.yml'), sha256Hex('dependencies: [python]\n')]])

describe('assembleContext', () => {
  it('copies exactly the fingerprint files, at their relative paths, with their modes', async () => {
    const ws = temp()
    write(ws, {
      'envs/environment.yml': 'dependencies:\n  - pip\n  - pip:\n      - -r ../reqs/req.txt\n',
      'reqs/req.txt': 'flask==3\n-c constraints.txt\n',
      'reqs/constraints.txt': 'click<9\n',
      'README.md': 'not hashed\n',
      'app/main.py': 'not hashed\n',
    })
    chmodSync(path.join(ws, 'reqs/req.txt'), 0o750)
    const fp = await fingerprint({
      environmentFile: path.join(ws, 'envs/environment.yml'),
      baseDockerfile: { content: 'FROM x\n' },
      buildArgs: [],
      platforms: [],
      workspace: ws,
    })
    const dest = path.join(temp(), 'ctx')
    const out = await bundledTemplateContext({
      environmentFile: path.join(ws, 'envs/environment.yml'),
      files: fp.files,
      digests: fp.digests,
      workspace: ws,
      dest,
    })
    expect(out.environmentFile).toBe('envs/environment.yml')
    expect(listTree(dest)).toEqual(['envs/environment.yml', 'reqs/constraints.txt', 'reqs/req.txt'])
    expect(readFileSync(path.join(dest, 'reqs/req.txt'), 'utf8')).toBe('flask==3\n-c constraints.txt\n')
    expect(statSync(path.join(dest, 'reqs/req.txt')).mode & 0o777).toBe(0o750)
    expect(out.files).toBe(3)
  })

  it('refuses a symlink that leads out of the workspace', async () => {
    const ws = temp()
    const outside = temp()
    write(outside, { 'secret.txt': 'x\n' })
    write(ws, { 'environment.yml': 'dependencies: [python]\n' })
    symlinkSync(path.join(outside, 'secret.txt'), path.join(ws, 'req.txt'))
    const plan = planContext(path.join(ws, 'environment.yml'), [path.join(ws, 'req.txt')], ws)
    await expect(assembleContext(plan, ws, path.join(temp(), 'ctx'), envDigest(ws))).rejects.toThrow(/req\.txt resolves outside the workspace/)
  })

  it('refuses a file that is gone or not a regular file', async () => {
    const ws = temp()
    write(ws, { 'environment.yml': 'dependencies: [python]\n' })
    mkdirSync(path.join(ws, 'dir'))
    await expect(
      assembleContext(planContext(path.join(ws, 'environment.yml'), [path.join(ws, 'gone.txt')], ws), ws, path.join(temp(), 'c'), envDigest(ws)),
    ).rejects.toThrow(/gone\.txt is no longer a readable regular file/)
    await expect(
      assembleContext(planContext(path.join(ws, 'environment.yml'), [path.join(ws, 'dir')], ws), ws, path.join(temp(), 'c'), envDigest(ws)),
    ).rejects.toThrow(/no longer a readable regular file/)
  })

  describe('holds the very bytes that were hashed: a file changed between the hash and the copy is refused', () => {
    async function hashed() {
      const ws = temp()
      write(ws, { 'environment.yml': 'dependencies:\n  - pip\n  - pip:\n      - -r req.txt\n', 'req.txt': 'flask==3\n', 'other.txt': 'flask==2\n' })
      const env = path.join(ws, 'environment.yml')
      const fp = await fingerprint({ environmentFile: env, baseDockerfile: { content: 'FROM x\n' }, buildArgs: [], platforms: [], workspace: ws })
      const assemble = () =>
        bundledTemplateContext({ environmentFile: env, files: fp.files, digests: fp.digests, workspace: ws, dest: path.join(temp(), 'ctx') })
      return { ws, fp, assemble }
    }

    it.each([
      ['its content is edited', (ws: string) => writeFileSync(path.join(ws, 'req.txt'), 'flask==2\n')],
      [
        'it is swapped for a symlink to another workspace file',
        (ws: string) => {
          unlinkSync(path.join(ws, 'req.txt'))
          symlinkSync('other.txt', path.join(ws, 'req.txt'))
        },
      ],
    ])('%s', async (_name, swap) => {
      const { ws, fp, assemble } = await hashed()
      expect(fp.digests.get(path.join(ws, 'req.txt'))).toBe(sha256Hex('flask==3\n'))
      swap(ws)
      await expect(assemble()).rejects.toThrow(/req\.txt changed after the environment hash read it/)
    })
  })
})
