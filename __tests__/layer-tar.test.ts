// A layer blob as its tar for each media type a pushed image can have (compression: gzip,
// estargz, zstd; uncompressed). zstd needs Node's zlib zstd (Node 22.15+); this repository's
// tests run on Node 20 too, so the zstd CLI stands in for it where Node has none.

import { execFileSync } from 'node:child_process'
import { gzipSync } from 'node:zlib'
import { describe, expect, test } from 'vitest'
import { layerTar, nodeZstd } from '../src/sizes/layer-tar.js'

const TAR = Buffer.concat([Buffer.from('a tar, as far as this module cares\n'), Buffer.alloc(2048, 7)])
const zstdCompress = (b: Buffer): Buffer => execFileSync('zstd', ['-q', '-c', '-3'], { input: b, timeout: 10_000 })
/** Node's zstd when it has one, else the zstd CLI (a real decoder, not a stub). */
const zstdDecompress = nodeZstd() ?? ((b: Buffer) => execFileSync('zstd', ['-q', '-d', '-c'], { input: b, timeout: 10_000 }))
const MAX = 1 << 20

describe('layerTar', () => {
  test.each<[string, string, Buffer]>([
    ['OCI gzip', 'application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(TAR)],
    ['Docker gzip', 'application/vnd.docker.image.rootfs.diff.tar.gzip', gzipSync(TAR)],
    // eStargz: gzip members one after the other (the files, then the table of contents).
    [
      'eStargz (gzip members in a row)',
      'application/vnd.oci.image.layer.v1.tar+gzip',
      Buffer.concat([gzipSync(TAR.subarray(0, 100)), gzipSync(TAR.subarray(100))]),
    ],
    ['OCI uncompressed', 'application/vnd.oci.image.layer.v1.tar', TAR],
    ['OCI zstd', 'application/vnd.oci.image.layer.v1.tar+zstd', zstdCompress(TAR)],
    ['Docker zstd', 'application/vnd.docker.image.rootfs.diff.tar.zstd', zstdCompress(TAR)],
  ])('%s → the tar', (_, mt, blob) => {
    expect(layerTar(mt, blob, MAX, zstdDecompress)).toEqual({ tar: TAR })
  })

  test('zstd on a Node without zstd: unreadable here, said with the reason (no crash)', () => {
    const r = layerTar('application/vnd.oci.image.layer.v1.tar+zstd', zstdCompress(TAR), MAX, undefined)
    expect(r).toEqual({ missing: expect.stringMatching(/zstd-compressed .*Node\.js v\d+.* cannot decompress zstd/) as unknown, unreadable: true })
  })

  test('the Node in use: zstd is read exactly when zlib has it', () => {
    const r = layerTar('application/vnd.oci.image.layer.v1.tar+zstd', zstdCompress(TAR), MAX)
    expect('tar' in r).toBe(nodeZstd() !== undefined)
  })

  test.each([['application/vnd.oci.image.layer.v1.tar+lz4'], [undefined]])('%s: not a layer it reads', (mt) => {
    expect(layerTar(mt, TAR, MAX, zstdDecompress)).toEqual({ missing: expect.stringMatching(/^its last layer is /) as unknown })
  })

  test.each<[string, Buffer]>([
    ['application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(Buffer.alloc(4096))],
    ['application/vnd.oci.image.layer.v1.tar+zstd', zstdCompress(Buffer.alloc(4096))],
  ])('%s: more than the cap unpacked throws (the reader says it cannot be decompressed)', (mt, blob) => {
    expect(() => layerTar(mt, blob, 1024, nodeZstd() ?? ((b, o) => capped(zstdDecompress(b), o?.maxOutputLength)))).toThrow()
  })
})

/** The CLI stand-in with zlib's cap: more than `max` bytes is an error, as in Node's zstdDecompressSync. */
function capped(b: Buffer, max: number | undefined): Buffer {
  if (max !== undefined && b.length > max) throw new RangeError('Cannot create a Buffer larger than maxOutputLength')
  return b
}
