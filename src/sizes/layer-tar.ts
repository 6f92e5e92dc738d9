// A layer blob as the tar it holds, for each media type a pushed image can have: gzip (and
// eStargz, which is gzip with a table of contents), zstd, uncompressed. zstd is decompressed
// with Node's own zlib where this Node has it (22.15 / 23.8 and later); elsewhere the layer
// is "unreadable here", said as such, never a crash.

import zlib from 'node:zlib'

type ZstdDecompress = (buf: Buffer, options?: { maxOutputLength?: number }) => Buffer

/** Node's `zlib.zstdDecompressSync`, when this Node has it. */
export function nodeZstd(): ZstdDecompress | undefined {
  const f = (zlib as unknown as { zstdDecompressSync?: unknown }).zstdDecompressSync
  return typeof f === 'function' ? (f as ZstdDecompress) : undefined
}

export type LayerTar = { readonly tar: Buffer } | { readonly missing: string; readonly unreadable?: true }

/**
 * The tar of a layer of `mediaType`, at most `maxOutput` bytes of it (a bigger one throws, as
 * does a corrupt stream). `zstd`: the decompressor, default Node's when it has one.
 */
export function layerTar(mediaType: string | undefined, bytes: Buffer, maxOutput: number, zstd: ZstdDecompress | undefined = nodeZstd()): LayerTar {
  const mt = mediaType ?? ''
  if (/[.+]gzip$/.test(mt)) return { tar: zlib.gunzipSync(bytes, { maxOutputLength: maxOutput }) }
  if (/[.+]zstd$/.test(mt)) {
    if (!zstd)
      return {
        missing: `its last layer is zstd-compressed (${mt}) and this Node.js ${process.version} cannot decompress zstd (Node.js 22.15 and later can)`,
        unreadable: true,
      }
    return { tar: zstd(bytes, { maxOutputLength: maxOutput }) }
  }
  if (/[.]tar$/.test(mt)) return { tar: bytes }
  return { missing: `its last layer is ${mt || 'of an unknown media type'}` }
}
