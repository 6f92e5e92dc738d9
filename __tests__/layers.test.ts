import { expect, test } from 'vitest'
import { layersWithHistory } from '../src/registry/client.js'
import { layerChanges, stepOfHistory } from '../src/sizes/layers.js'

test.each([
  [
    'RUN |1 BASE_IMAGE=127.0.0.1:5000/x:base@sha256:ab /bin/sh -c dd if=/dev/urandom of=/big bs=1024 count=512 # buildkit',
    'RUN dd if=/dev/urandom of=/big bs=1024 count=512',
  ],
  ['RUN /bin/sh -c pip install -e /app # buildkit', 'RUN pip install -e /app'],
  ['COPY app/ /app/ # buildkit', 'COPY app/ /app/'],
  ['/bin/sh -c #(nop) ADD file:abc in / ', 'ADD file:abc in /'],
  [undefined, 'a step of an earlier image (no history)'],
])('stepOfHistory(%j)', (createdBy, want) => {
  expect(stepOfHistory(createdBy)).toBe(want)
})

test('the layers that account for a change, largest first, named by their step', () => {
  const base = [{ digest: 'sha256:b1', size: 1000, createdBy: 'RUN /bin/sh -c install # buildkit' }]
  const before = [...base, { digest: 'sha256:o1', size: 50, createdBy: 'COPY app/ /app/ # buildkit' }]
  const after = [
    ...base,
    { digest: 'sha256:n1', size: 60, createdBy: 'COPY app/ /app/ # buildkit' },
    { digest: 'sha256:n2', size: 5000, createdBy: 'RUN /bin/sh -c dd of=/big # buildkit' },
  ]
  expect(layerChanges(before, after, 5)).toEqual({
    added: [
      { step: 'RUN dd of=/big', bytes: 5000 },
      { step: 'COPY app/ /app/', bytes: 60 },
    ],
    removed: [{ step: 'COPY app/ /app/', bytes: 50 }],
    addedBytes: 5060,
    removedBytes: 50,
  })
  expect(layerChanges(before, after, 1).added).toHaveLength(1)
})

test('history entries pair with layers, skipping empty layers; no names when they do not line up', () => {
  const layers = [
    { digest: 'sha256:a', size: 1 },
    { digest: 'sha256:b', size: 2 },
  ]
  const history = [{ created_by: 'FROM x' }, { created_by: 'ENV A=1', empty_layer: true }, { created_by: 'RUN /bin/sh -c b # buildkit' }]
  expect(layersWithHistory(layers, history)).toEqual([
    { digest: 'sha256:a', size: 1, createdBy: 'FROM x' },
    { digest: 'sha256:b', size: 2, createdBy: 'RUN /bin/sh -c b # buildkit' },
  ])
  expect(layersWithHistory(layers, history.slice(0, 2))).toEqual(layers)
  expect(layersWithHistory(undefined, history)).toBeUndefined()
})
