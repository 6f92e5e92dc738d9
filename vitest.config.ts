import { defineConfig } from 'vitest/config'

// Two tiers. `unit`: pure functions and loopback servers, in parallel; needs no Docker, no
// network, no root and nothing outside the repository. `e2e`: the real stack (registry +
// BuildKit), one file at a time so a 2-core machine stays responsive; its global setup
// checks the stack and brings it up as root (see __fixtures__/global-stack.ts).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['__tests__/**/*.test.ts'],
          exclude: ['__tests__/**/*.e2e.test.ts'],
          testTimeout: 20_000,
          // Removing the thousand temp trees of the corpus test takes more than vitest's
          // default 10 s when the machine is loaded.
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['__tests__/**/*.e2e.test.ts'],
          globalSetup: ['__fixtures__/global-stack.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
})
