// The document label: plain JSON while small, gzip+base64 beyond, a truncated marker past
// 64 KiB — never one argv string near Linux's 128 KiB cap. Old plain labels still parse.

import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from '../src/hash/canonical.js'
import { encodeDocumentLabel, isTruncatedDocumentLabel, MAX_DOCUMENT_LABEL, parseDocumentLabel } from '../src/hash/document.js'
import type { EnvDocument } from '../src/hash/index.js'

const doc = (deps: number, width = 12): EnvDocument => ({
  scheme: 'v1',
  source: 'environment',
  dependencies: Array.from({ length: deps }, (_, i) => `pkg-${String(i).padStart(width, '0')}=1.${i}`),
  dockerfile: { sha256: 'a'.repeat(64) },
  buildArgs: [],
  platforms: ['linux/amd64'],
  subdirs: ['linux-64'],
})

describe('document label', () => {
  it('a small document stays plain JSON (readable with docker inspect)', () => {
    const d = doc(10)
    expect(encodeDocumentLabel(d)).toBe(canonicalJson(d))
    expect(parseDocumentLabel(encodeDocumentLabel(d))).toEqual(d)
  })

  it('5,000 dependencies: compressed, far below the argv cap, and read back whole', () => {
    const d = doc(5000, 16)
    expect(canonicalJson(d).length).toBeGreaterThan(128 * 1024)
    const label = encodeDocumentLabel(d)
    expect(label).toMatch(/^gz1:[A-Za-z0-9+/=]+$/)
    expect(label.length).toBeLessThanOrEqual(MAX_DOCUMENT_LABEL)
    expect(parseDocumentLabel(label)).toEqual(d)
  })

  it('past 64 KiB compressed: a truncated marker that parses to no document', () => {
    const d = {
      ...doc(0),
      dependencies: Array.from({ length: 20_000 }, (_, i) => `p${i}-${(i * 2654435761) % 4294967296}-${((i * 40503) % 65536).toString(36)}`),
    }
    const label = encodeDocumentLabel(d)
    expect(label).toMatch(/^truncated:sha256=[0-9a-f]{64} bytes=\d+$/)
    expect(isTruncatedDocumentLabel(label)).toBe(true)
    expect(parseDocumentLabel(label)).toBeUndefined()
  })

  it('refuses garbage and a gzip bomb', () => {
    expect(parseDocumentLabel('gz1:!!!')).toBeUndefined()
    expect(parseDocumentLabel(`gz1:${gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)).toString('base64')}`)).toBeUndefined()
    expect(parseDocumentLabel('{"scheme":"v2"}')).toBeUndefined()
  })
})
