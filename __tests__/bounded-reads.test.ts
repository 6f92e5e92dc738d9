// Files the action opens outside the workspace are read like the workspace's (src/fs/confined.ts):
// without blocking, regular files only, size-capped. A FIFO in place of the file must be an
// answer at once, never a hang; a huge file is refused before it is read.

import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MAX_METADATA_BYTES, readBuildMetadata } from '../src/buildx/run.js'
import { readBounded } from '../src/sizes/local.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'bounded-reads-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function fifo(name: string): string {
  const f = path.join(dir, name)
  execFileSync('mkfifo', [f])
  return f
}

function sparse(name: string, bytes: number): string {
  const f = path.join(dir, name)
  writeFileSync(f, '{')
  truncateSync(f, bytes)
  return f
}

describe('the BuildKit metadata file (--metadata-file)', () => {
  const read = (file: string) => {
    const lines: string[] = []
    return { metadata: readBuildMetadata(file, (l) => lines.push(l)), lines }
  }

  it('a real one is read whole', () => {
    const f = path.join(dir, 'meta.json')
    const doc = { 'containerimage.digest': `sha256:${'a'.repeat(64)}`, 'buildx.build.provenance/linux/amd64': { x: 'y'.repeat(100_000) } }
    writeFileSync(f, JSON.stringify(doc))
    expect(read(f)).toEqual({ metadata: doc, lines: [] })
  })

  it('missing, or not a JSON object: no metadata and a warning line (the digest is unknown)', () => {
    expect(read(path.join(dir, 'none.json'))).toEqual({
      metadata: {},
      lines: [expect.stringMatching(/no build metadata in .*none\.json; the digest is unknown/)],
    })
    const f = path.join(dir, 'array.json')
    writeFileSync(f, '[1]')
    expect(read(f).lines).toEqual([expect.stringMatching(/not a JSON object/)])
  })

  it('a FIFO in its place is a clear error at once, not a hang', () => {
    const f = fifo('meta-fifo.json')
    expect(() => read(f)).toThrow(new RegExp(`^The build metadata file ${f} cannot be read: .*(FIFO|not a regular file)`, 'i'))
  })

  it('a file past the cap is refused before it is read', () => {
    const f = sparse('meta-huge.json', MAX_METADATA_BYTES + 1)
    expect(() => read(f)).toThrow(/cannot be read: it is larger than 4 MiB/)
  })

  it('a directory or a symlink in its place is refused', () => {
    const d = path.join(dir, 'meta-dir.json')
    mkdirSync(d)
    expect(() => read(d)).toThrow(/cannot be read/)
    const target = path.join(dir, 'meta.json')
    const link = path.join(dir, 'meta-link.json')
    symlinkSync(target, link)
    expect(() => read(link)).toThrow(/cannot be read/)
  })
})

describe('the size manifest copied out of an image (docker cp: the image decides what it is)', () => {
  it('a regular file within the cap is read', () => {
    const f = path.join(dir, 'sizes.json')
    writeFileSync(f, '{"a":1}')
    expect(readBounded(f, 1024)?.toString('utf8')).toBe('{"a":1}')
  })

  it('a FIFO, a symlink, a file past the cap: nothing read, at once', () => {
    expect(readBounded(fifo('sizes-fifo.json'), 1024)).toBeUndefined()
    const link = path.join(dir, 'sizes-link.json')
    symlinkSync('/etc/hostname', link)
    expect(readBounded(link, 1024)).toBeUndefined()
    expect(readBounded(sparse('sizes-huge.json', 2048), 1024)).toBeUndefined()
  })
})
