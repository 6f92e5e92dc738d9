import { expect, test } from 'vitest'
import { branchTag, comparisonTags, defaultStreamTag } from '../src/run/compare.js'

test.each([
  ['main', 'main'],
  ['feature/new-model', 'feature-new-model'],
  ['-odd', 'odd'],
  ['ÜMLAUT', 'MLAUT'],
  ['x'.repeat(200), 'x'.repeat(128)],
  ['', undefined],
])('branchTag(%j)', (b, want) => expect(branchTag(b)).toBe(want))

test.each([
  ['a push to main tags main', { eventName: 'push', ref: 'refs/heads/main' }, 'main'],
  ['a pull request tags pr-<n>', { eventName: 'pull_request', ref: 'refs/pull/3/merge', pullRequest: { number: 3, fromFork: false } }, 'pr-3'],
  ['a tag push has no stream tag', { eventName: 'push', ref: 'refs/tags/v1' }, undefined],
  ['a schedule has none', { eventName: 'schedule' }, undefined],
])('%s', (_n, ctx, want) => expect(defaultStreamTag(ctx)).toBe(want))

test.each([
  [
    'pull request: its target branch, the default branch, latest',
    { eventName: 'pull_request', baseRef: 'develop', defaultBranch: 'main', pullRequest: { number: 3, fromFork: false } },
    ['develop', 'main', 'latest'],
  ],
  [
    'pull request into the default branch',
    { eventName: 'pull_request', baseRef: 'main', defaultBranch: 'main', pullRequest: { number: 3, fromFork: false } },
    ['main', 'latest'],
  ],
  [
    'push: the previous push of the branch, then the default branch',
    { eventName: 'push', ref: 'refs/heads/feature/x', defaultBranch: 'main' },
    ['feature-x', 'main', 'latest'],
  ],
  ['push to main', { eventName: 'push', ref: 'refs/heads/main', defaultBranch: 'main' }, ['main', 'latest']],
  ['schedule: the default branch', { eventName: 'schedule', defaultBranch: 'main' }, ['main', 'latest']],
  ['nothing known: latest', { eventName: 'workflow_dispatch' }, ['latest']],
])('%s', (_n, ctx, want) => expect(comparisonTags(ctx)).toEqual(want))
