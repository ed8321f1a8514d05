import { defineConfig } from 'vitest/config';
import { vitestMaxConcurrency } from './suites/target/concurrency.js';

/**
 * Two projects: `unit` (the mock, spec and reports, tested from the inside) and `conformance` (the suites, which
 * judge a target over HTTP; with no target configured their global setup starts the embedded mock).
 */
/**
 * The AWS SDK is pinned to an exact version; its notice that *later* versions will need Node 22 is noise in every
 * test worker's output.
 */
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          env,
          include: ['spec/**/*.test.ts', 'mock-server/**/*.test.ts', 'reports/**/*.test.ts', 'suites/**/*.unit.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'conformance',
          env,
          include: ['suites/**/*.conformance.ts'],
          globalSetup: ['suites/target/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // The files share one process, one after the other: loading every module again for each file cost more
          // than half of a run's CPU. Each file starts from nothing of the file before (suites/target/suite.ts).
          isolate: false,
          // How many checks of a file run at once (IBEE_CONCURRENCY; suites/target/suite.ts marks which may).
          maxConcurrency: vitestMaxConcurrency(),
        },
      },
    ],
  },
});
