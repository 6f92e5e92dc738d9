// The split script of the bundled template's `layers` stage, run on this machine (GNU
// coreutils, tar, awk — the tools of the micromamba image's Debian; the busybox side is
// proven in package-layers.e2e.test.ts) over a small prefix with odd records: JSON escapes,
// a surrogate pair, a name with a newline, paths outside the prefix, a path listed twice,
// a path under a symlinked directory, hard links, an empty directory, a 0700 directory.
// Root only: the script gives the directories above the prefix to root.
import { spawnSync } from 'node:child_process'
import { chmodSync, cpSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest'

const TEXT = readFileSync(path.join(import.meta.dirname, '..', 'templates', 'base.Dockerfile'), 'utf8')
const SCRIPT = /\nFROM solve AS layers\n(?:ARG [A-Z_]+\n)*RUN <<'EOF'\n([\s\S]*?)\nEOF\n/.exec(TEXT)![1]!
const root = process.getuid?.() === 0
const uid = `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`

function record(name: string, files: string[], sizes: Record<string, number> = {}): string {
  const json = (s: string) => JSON.stringify(s)
  const paths = files.map((f) => `{ "_path": ${json(f)}, "path_type": "hardlink", "size_in_bytes": ${sizes[f] ?? 1} }`)
  return `{\n  "name": ${json(name)},\n  "files": [\n    ${files.map(json).join(',\n    ')}\n  ],\n  "paths_data": { "paths": [ ${paths.join(', ')} ], "paths_version": 1 }\n}\n`
}

function prefix(dir: string, extra = false): string {
  const p = path.join(dir, 'opt', 'conda')
  for (const d of ['conda-meta', 'bin', 'lib/sp dir', 'share/real', 'empty/dir', 'secret']) mkdirSync(path.join(p, d), { recursive: true })
  chmodSync(path.join(p, 'secret'), 0o700)
  writeFileSync(path.join(p, 'bin/big'), Buffer.alloc(5000, 1))
  linkSync(path.join(p, 'bin/big'), path.join(p, 'bin/big-hard'))
  symlinkSync('big', path.join(p, 'bin/big-link'))
  writeFileSync(path.join(p, 'lib/sp dir/say "hi" \\ x.py'), 'q')
  writeFileSync(path.join(p, 'lib/sp dir/café 😀.txt'), 'u')
  writeFileSync(path.join(p, 'lib/both'), 'b')
  writeFileSync(path.join(p, 'share/real/f'), 'r')
  symlinkSync('real', path.join(p, 'share/via'))
  writeFileSync(path.join(p, 'secret/key'), 'k')
  writeFileSync(path.join(p, 'conda-meta/history'), '==> 2026 <==\n')
  writeFileSync(path.join(p, 'lib/pip-installed.py'), 'p')
  writeFileSync(
    path.join(p, 'conda-meta/big-1-0.json'),
    record('big', ['bin/big', 'bin/big-hard', 'bin/big-link', 'lib/both', '../outside', '/abs', 'missing'], { 'bin/big': 5000 }),
  )
  // written by hand: JSON escapes as conda and micromamba write them
  writeFileSync(
    path.join(p, 'conda-meta/odd-2-0.json'),
    '{"name":"odd","files":["lib/sp dir/say \\"hi\\" \\\\ x.py","lib/sp dir/caf\\u00e9 \\ud83d\\ude00.txt","lib/both","share/via/f","share/real/f","new\\nline","secret/key"]}',
  )
  if (extra) writeFileSync(path.join(p, 'conda-meta/zz-1-0.json'), record('zz', []))
  return p
}

function run(dir: string, layers: string, env: Record<string, string> = {}) {
  return spawnSync('sh', ['-c', SCRIPT], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      PACKAGE_LAYERS: layers,
      IMAGE_USER: uid,
      PACKAGE_LAYERS_PREFIX: path.join(dir, 'opt/conda'),
      PACKAGE_LAYERS_OUT: path.join(dir, 'layers'),
      PACKAGE_LAYERS_HOME: path.join(dir, 'nohome'),
      ...env,
    },
  })
}

/** Every entry under a layer's prefix: path → type, mode, size (and the mtime, checked apart). */
function tree(layer: string, prefixRel: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(layer, prefixRel, rel))) {
      const r = rel ? `${rel}/${e}` : e
      const st = lstatSync(path.join(layer, prefixRel, r))
      expect(st.mtimeMs, r).toBe(0)
      out.set(r, `${st.isSymbolicLink() ? 'l' : st.isDirectory() ? 'd' : 'f'} ${(st.mode & 0o7777).toString(8)} ${st.isFile() ? st.size : ''}`)
      if (st.isDirectory()) walk(r)
    }
  }
  walk('')
  return out
}

describe.skipIf(!root)('the package-layers script (GNU tools)', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pkg-layers-script-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test.each(['0', '101', 'ten', '', '-1'])('PACKAGE_LAYERS=%j is refused, naming the limit', (n) => {
    const d = path.join(dir, `bad-${n || 'empty'}`)
    prefix(d)
    const r = run(d, n)
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(`PACKAGE_LAYERS must be a whole number from 1 to 100, not '${n}'`)
  })

  it('places every file by its record, deterministically, and leaves the rest unowned', () => {
    const d = path.join(dir, 'ok')
    const p = prefix(d)
    const rel = p.slice(1)
    const r = run(d, '2')
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    // 2 layers: 1 own layer (the largest package), 1 bucket
    const big = tree(path.join(d, 'layers/1'), rel)
    const odd = tree(path.join(d, 'layers/2'), rel)
    const unowned = tree(path.join(d, 'layers/unowned'), rel)
    const files = (t: Map<string, string>) =>
      [...t]
        .filter(([, v]) => !v.startsWith('d'))
        .map(([k]) => k)
        .sort()
    expect(files(big)).toEqual(['bin/big', 'bin/big-hard', 'bin/big-link', 'conda-meta/big-1-0.json', 'lib/both'])
    expect(files(odd)).toEqual(['conda-meta/odd-2-0.json', 'lib/sp dir/café 😀.txt', 'lib/sp dir/say "hi" \\ x.py', 'secret/key', 'share/real/f'])
    expect(files(unowned)).toEqual(['conda-meta/history', 'lib/pip-installed.py', 'share/via'])
    // every directory is in the unowned layer (the empty one too), with the prefix's modes
    expect(
      [...unowned]
        .filter(([, v]) => v.startsWith('d'))
        .map(([k]) => k)
        .sort(),
    ).toEqual(['bin', 'conda-meta', 'empty', 'empty/dir', 'lib', 'lib/sp dir', 'secret', 'share', 'share/real'].sort())
    expect(odd.get('secret')).toBe('d 700 ')
    expect(unowned.get('secret')).toBe('d 700 ')
    // hard links stay linked within a layer; the symlink is a link
    expect(lstatSync(path.join(d, 'layers/1', rel, 'bin/big-hard')).ino).toBe(lstatSync(path.join(d, 'layers/1', rel, 'bin/big')).ino)
    expect(big.get('bin/big-link')).toMatch(/^l /)
    // the directories above the prefix belong to root, mode 0755
    const opt = path.join(d, 'layers/1', path.dirname(p))
    expect(lstatSync(opt).uid).toBe(0)
    expect((lstatSync(opt).mode & 0o777).toString(8)).toBe('755')
  })

  it('gives the same layers for the same files, and an added package moves no other one', () => {
    const a = path.join(dir, 'a')
    const b = path.join(dir, 'b')
    const c = path.join(dir, 'c')
    const rel = prefix(a).slice(1)
    cpSync(a, b, { recursive: true, verbatimSymlinks: true })
    prefix(c, true)
    for (const d of [a, b]) expect(run(d, '6').status).toBe(0)
    expect(run(c, '6').status).toBe(0)
    for (let i = 1; i <= 6; i++) {
      const ta = tree(path.join(a, `layers/${i}`), rel)
      expect(tree(path.join(b, `layers/${i}`), rel.replace(a.slice(1), b.slice(1)))).toEqual(ta)
      const tc = tree(path.join(c, `layers/${i}`), rel.replace(a.slice(1), c.slice(1)))
      // the layer zz joins has zz's record in addition; every other layer is the same
      if (tc.delete('conda-meta/zz-1-0.json') && !ta.has('conda-meta')) tc.delete('conda-meta')
      expect(tc).toEqual(ta)
    }
  })
})
