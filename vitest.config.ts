import { defineConfig } from 'vitest/config'

// Two projects: `unit` (pure functions and loopback servers, parallel) and `e2e` (the real
// stack: registry + BuildKit; one file at a time so a 2-core machine stays responsive).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['__tests__/**/*.test.ts'],
          exclude: ['__tests__/**/*.e2e.test.ts'],
          testTimeout: 20_000,
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
