import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (the mock, spec and reports, tested from the inside) and `conformance` (the suites, which
 * judge a target over HTTP; with no target configured their global setup starts the embedded mock).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['spec/**/*.test.ts', 'mock-server/**/*.test.ts', 'reports/**/*.test.ts', 'suites/**/*.unit.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'conformance',
          include: ['suites/**/*.conformance.ts'],
          globalSetup: ['suites/target/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
