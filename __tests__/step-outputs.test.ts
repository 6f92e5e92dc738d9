import { describe, expect, it } from 'vitest'
import { baseOutputs, changedBytesOutputs, finalOutputs, fingerprintOutputs, planOutputs, publishOutputs, sizeOutputs } from '../src/run/outputs.js'

describe('the step outputs, from the run state', () => {
  it.each([
    [fingerprintOutputs({ hash: 'abc' }), { 'env-hash': 'abc' }],
    [planOutputs({ base: { tag: 'base-abc-20260101' } } as never), { 'base-tag': 'base-abc-20260101' }],
    [baseOutputs('r/x:t@sha256:1', false), { 'base-image': 'r/x:t@sha256:1', 'base-reused': 'false' }],
    [baseOutputs(undefined, false), { 'base-reused': 'false' }],
    [sizeOutputs({ total: 12 }), { 'image-size': '12' }],
    [sizeOutputs(undefined), { 'image-size': '' }],
    [changedBytesOutputs({ changed: 0 }), { 'changed-bytes': '0' }],
    [changedBytesOutputs(undefined), { 'changed-bytes': '' }],
  ])('%j', (got, want) => {
    expect(got).toEqual(want)
  })

  it('the final image: digest and metadata empty when unknown, tags a line each', () => {
    const cache = { ratio: 0.5, cachedSteps: 1, totalSteps: 2 }
    expect(finalOutputs({ ref: 'r/x:t', digest: undefined, cache, metadata: undefined, pushed: ['a', 'b'] })).toEqual({
      image: 'r/x:t',
      digest: '',
      'cache-hit-ratio': '0.5',
      'cached-steps': '1',
      'total-steps': '2',
      metadata: '',
      tags: 'a\nb',
    })
    expect(finalOutputs({ ref: 'r', digest: 'sha256:1', cache, metadata: { k: 1 }, pushed: [] })).toMatchObject({
      digest: 'sha256:1',
      metadata: '{"k":1}',
      tags: '',
    })
  })

  it('publishes each output once, in order', () => {
    const set: [string, string][] = []
    publishOutputs({ setOutput: (n, v) => void set.push([n, v]) }, { ...baseOutputs('r', true), ...sizeOutputs({ total: 1 }) })
    expect(set).toEqual([
      ['base-image', 'r'],
      ['base-reused', 'true'],
      ['image-size', '1'],
    ])
  })
})
