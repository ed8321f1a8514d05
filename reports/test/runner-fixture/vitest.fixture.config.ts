import { defineConfig } from 'vitest/config';

/** A stand-in for the conformance project, for reports/runner.test.ts: tests that record, fail and crash on purpose. */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'runner-fixture',
          include: ['reports/test/runner-fixture/*.fixture.ts'],
          globalSetup: ['reports/test/runner-fixture/global-setup.ts'],
          fileParallelism: false,
        },
      },
    ],
  },
});
