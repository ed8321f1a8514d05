import { appendFileSync } from 'node:fs';
import { expect, inject, it } from 'vitest';
import type { CheckRecord } from '../../../reports/results-format.js';
import { NotApplicable, runCheckInTest } from '../../checks/registry.js';

/** Each test behaves like one kind of conformance test; suites/runner.unit.test.ts asserts what the runner makes of it. */

const { settings } = inject('ibeeRun');

function record(check: CheckRecord): void {
  appendFileSync(settings.checksFile!, `${JSON.stringify(check)}\n`);
}

it('fixture.pass [CRED-FORMAT]', () => {
  record({ check: 'fixture.pass', requirementIds: ['CRED-FORMAT'], status: 'passed' });
  record({ check: 'fixture.run', requirementIds: ['SCOPE-LISTBUCKETS-VIEW'], status: 'observed', observed: { seed: settings.seed, runs: settings.runs, runPrefix: settings.runPrefix } });
});

it('fixture.not-applicable [REVOKE-PERMANENT]', async (test) => {
  const definition = { name: 'fixture.not-applicable', requirementIds: ['REVOKE-PERMANENT'] as const, summary: 'x', area: 'runner fixture', run: async () => undefined };
  await runCheckInTest(test.task, definition, settings, () => Promise.reject(new NotApplicable('the fixture driver cannot revoke tokens')));
});

it('fixture.recorded-failure [REVOKE-IMMEDIATE]', () => {
  record({ check: 'fixture.recorded-failure', requirementIds: ['REVOKE-IMMEDIATE'], status: 'failed', message: 'revoked token still worked', seed: 5, path: '1:0' });
  throw new Error('[REVOKE-IMMEDIATE] revoked token still worked: ibee_v4_Zm9vYmFyYmF6cXV4cXV1eHh4eHh4eQ');
});

it('fixture.unrecorded-failure [SECRET-ONCE]', () => {
  throw new Error('Property failed after 3 tests\n{ seed: 77, path: "2:0", endOnFailure: true }\nCounterexample: ["leaky"]\nShrunk 1 time(s)');
});

it('fixture.untagged-failure', () => {
  expect(1 + 1).toBe(3);
});
