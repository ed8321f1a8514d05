import { defineConfig } from 'vitest/config';

/** A stand-in for the conformance project, for suites/runner.unit.test.ts: tests that record, fail and crash on purpose. */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'runner-fixture',
          include: ['suites/test/runner-fixture/*.fixture.ts'],
          globalSetup: ['suites/test/runner-fixture/global-setup.ts'],
          fileParallelism: false,
        },
      },
    ],
  },
});
