import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replayOutDir } from '../../reports/aggregate.js';
import { isRequirementId, requirements } from '../../spec/index.js';
import { registeredChecks } from './index.js';
import { recordedChecks } from './record.js';
import { assertProperty, defineCheck, isSelected, NotApplicable, outcomeOf, RequirementViolation, runCheck, type CheckDefinition } from './registry.js';

/** A check for these tests only: it belongs to no conformance file and runs nothing. */
function testCheck(name: string, requirementIds: readonly [string, ...string[]], supporting?: readonly string[]): CheckDefinition {
  return { name, requirementIds, summary: 'x', area: 'registry unit tests', run: async () => undefined, ...(supporting ? { supporting } : {}) };
}

/** What runCheck recorded while `run` went on. */
async function recordsOf(run: () => Promise<unknown>): Promise<ReturnType<typeof recordedChecks>> {
  const before = recordedChecks().length;
  await run().catch(() => undefined);
  return recordedChecks().slice(before);
}

describe('check registry', () => {
  it('names only catalogue requirement ids, and each check once', () => {
    const checks = registeredChecks();
    expect(checks.length).toBeGreaterThan(20);
    expect(new Set(checks.map((c) => c.name)).size).toBe(checks.length);
    for (const check of checks) for (const id of check.requirementIds) expect(isRequirementId(id)).toBe(true);
    expect(() => defineCheck(testCheck('bogus.check', ['NOT-A-REQUIREMENT']))).toThrow(/unknown requirement id/);
  });

  it('covers every requirement of the catalogue', () => {
    const covered = new Set(registeredChecks().flatMap((c) => c.requirementIds));
    const missing = requirements.filter((r) => !covered.has(r.id)).map((r) => r.id);
    expect(missing).toEqual([]);
  });

  it('selects checks by IBEE_ONLY requirement ids', () => {
    const check = defineCheck(testCheck('test.selection', ['REVOKE-IMMEDIATE', 'REVOKE-PERMANENT']));
    expect(isSelected(check, null)).toBe(true);
    expect(isSelected(check, ['REVOKE-PERMANENT'])).toBe(true);
    expect(isSelected(check, ['SECRET-ONCE'])).toBe(false);
  });

  it('records a failing property with the violated id, the shrunk counterexample, seed, path and replay, and rethrows', async () => {
    const check = defineCheck(testCheck('test.failing-property', ['TOKEN-EXPIRY-BOUNDS']));
    const settings = { seed: 1234, runs: 100 };
    const run = runCheck(check, settings, () =>
      assertProperty(
        fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), async (days) => {
          if (days > 365) throw new RequirementViolation('TOKEN-EXPIRY-BOUNDS', `${days} accepted`);
        }),
        settings,
        'TOKEN-EXPIRY-BOUNDS',
      ),
    );
    await expect(run).rejects.toThrow(/^\[TOKEN-EXPIRY-BOUNDS\] 366 accepted[\s\S]*seed: 1234[\s\S]*Counterexample: \[366\]/);
    const record = recordedChecks().at(-1)!;
    expect(record).toMatchObject({ check: 'test.failing-property', status: 'failed', requirementIds: ['TOKEN-EXPIRY-BOUNDS'], counterexample: '[366]', seed: 1234 });
    expect(record.replay).toMatch(/^npx ibee-conformance run --seed 1234 --only TOKEN-EXPIRY-BOUNDS --out reports\/out\/replay-1234-token-expiry-bounds {2}# fast-check path \S+$/);
  });

  it('a check that could not complete names every requirement it was recorded for in its replay (property)', async () => {
    const ids = requirements.map((r) => r.id);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.constantFrom(...ids), { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (picked, seed) => {
        const check = defineCheck(testCheck(`test.broken.${picked.join('+')}`, picked as [string, ...string[]]));
        await expect(runCheck(check, { seed, runs: 1 }, () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')))).rejects.toThrow(/could not complete/);
        const record = recordedChecks().at(-1)!;
        expect(record.requirementIds).toEqual(picked);
        expect(record.replay).toBe(`npx ibee-conformance run --seed ${seed} --only ${picked.join(',')} --out ${replayOutDir(seed, picked)}`);
      }),
      { numRuns: 30 },
    );
  });

  it('a failed grid cell names the cell\'s own requirements in its replay', async () => {
    const check = defineCheck(testCheck('test.cells', ['PERM-ADMIN-RW', 'PERM-OBJECT-RO', 'PERM-DENIED-CODE']));
    await expect(
      runCheck(
        check,
        { seed: 5, runs: 1 },
        async (rec) => rec.cell({ operation: 'PutObject', level: 'object_ro', scope: 'in_scope', expected: 'deny', observed: 'allow' }, ['PERM-OBJECT-RO', 'PERM-DENIED-CODE']),
        { summary: false },
      ),
    ).rejects.toThrow(/1 cell\(s\) failed/);
    expect(recordedChecks().at(-1)!.replay).toBe('npx ibee-conformance run --seed 5 --only PERM-OBJECT-RO,PERM-DENIED-CODE --out reports/out/replay-5-perm-object-ro-and-1-more');
  });

  it('with IBEE_ONLY, a check stopped by an unselected requirement records its selected ones skipped, with why', async () => {
    const check = defineCheck(testCheck('test.stopped', ['REVOKE-IMMEDIATE', 'PERM-ADMIN-RW', 'PERM-OBJECT-RO']));
    const before = recordedChecks().length;
    await expect(
      runCheck(check, { seed: 9, runs: 1, only: ['PERM-OBJECT-RO', 'SECRET-ONCE'] }, () => Promise.reject(new RequirementViolation('PERM-ADMIN-RW', 'denied'))),
    ).rejects.toThrow(/PERM-ADMIN-RW/);
    const records = recordedChecks().slice(before);
    expect(records.map((r) => [r.status, r.requirementIds])).toEqual([
      ['failed', ['PERM-ADMIN-RW']],
      ['skipped', ['PERM-OBJECT-RO']],
    ]);
    expect(records[1]!.reason).toMatch(/stopped at a failure of PERM-ADMIN-RW, which --only did not select/);
    // A failure of a selected requirement is just that failure.
    const after = recordedChecks().length;
    await expect(runCheck(check, { seed: 9, runs: 1, only: ['PERM-OBJECT-RO'] }, () => Promise.reject(new RequirementViolation('PERM-OBJECT-RO', 'allowed')))).rejects.toThrow();
    expect(recordedChecks().slice(after).map((r) => r.status)).toEqual(['failed']);
  });
  it('a property stopped by an error that is no violation keeps that error as the cause, first line included', async () => {
    const check = defineCheck(testCheck('test.property-error', ['PRESIGNED-TAMPER']));
    const settings = { seed: 31, runs: 5 };
    const run = runCheck(check, settings, () =>
      assertProperty(
        fc.asyncProperty(fc.integer(), async () => {
          throw new Error('the untouched URL answered 500');
        }),
        settings,
        'PRESIGNED-TAMPER',
      ),
    );
    await expect(run).rejects.toThrow(/^\[PRESIGNED-TAMPER\] the property stopped on an error: the untouched URL answered 500\n/);
    const record = recordedChecks().at(-1)!;
    expect(record.message?.split('\n')[0]).toBe('[PRESIGNED-TAMPER] the property stopped on an error: the untouched URL answered 500');
    await expect(run.catch((error: Error) => Promise.reject(error.cause))).rejects.toThrow('the untouched URL answered 500');
  });

  it('a check stopped by a failure of one requirement records its other requirements skipped, with that cause', async () => {
    const check = defineCheck(testCheck('test.aborted', ['SCOPE-SPECIFIC', 'SCOPE-NO-EXISTENCE-LEAK']));
    const records = await recordsOf(() =>
      runCheck(check, { seed: 3, runs: 1 }, () => Promise.reject(new RequirementViolation('SCOPE-SPECIFIC', 'REST GET of an existing out-of-scope bucket answered 500, expected 403'))),
    );
    expect(records.map((r) => [r.status, r.requirementIds])).toEqual([
      ['failed', ['SCOPE-SPECIFIC']],
      ['skipped', ['SCOPE-NO-EXISTENCE-LEAK']],
    ]);
    expect(records[1]!.reason).toBe(
      'check test.aborted stopped at a failure of SCOPE-SPECIFIC before it judged this requirement: [SCOPE-SPECIFIC] REST GET of an existing out-of-scope bucket answered 500, expected 403',
    );
  });

  it('marks the records of a check supporting for the ids it declares, and only for those', async () => {
    expect(() => defineCheck(testCheck('test.bad-supporting', ['SECRET-ONCE'], ['CRED-FORMAT']))).toThrow(/supporting id CRED-FORMAT is not one of its requirement ids/);
    const scan = defineCheck(testCheck('test.scan', ['SECRET-ONCE'], ['SECRET-ONCE']));
    let outcome: Awaited<ReturnType<typeof runCheck>> | undefined;
    const passed = await recordsOf(async () => {
      outcome = await runCheck(scan, { seed: 1, runs: 1 }, async () => undefined);
    });
    expect(passed).toMatchObject([{ status: 'passed', requirementIds: ['SECRET-ONCE'], supporting: ['SECRET-ONCE'] }]);
    expect(outcome).toEqual({ status: 'passed', reason: 'supporting evidence only' });
    const failed = await recordsOf(() => runCheck(scan, { seed: 1, runs: 1 }, () => Promise.reject(new RequirementViolation('SECRET-ONCE', 'leaked'))));
    expect(failed).toMatchObject([{ status: 'failed', supporting: ['SECRET-ONCE'] }]);

    const grid = defineCheck(testCheck('test.grid-supporting', ['PERM-OBJECT-RO', 'PRESIGNED-POST'], ['PRESIGNED-POST']));
    const cells = await recordsOf(() =>
      runCheck(
        grid,
        { seed: 1, runs: 1 },
        async (rec) => {
          rec.cell({ operation: 'PostObject', level: 'object_ro', scope: 'in_scope', expected: 'deny', observed: 'deny' }, ['PERM-OBJECT-RO', 'PRESIGNED-POST']);
          rec.cell({ operation: 'GetObject', level: 'object_ro', scope: 'in_scope', expected: 'allow', observed: 'allow' }, ['PERM-OBJECT-RO'], undefined, [
            { request: { method: 'GET', url: 'http://s3.test/b/k' }, response: { status: 200 } },
          ]);
        },
        { summary: false },
      ),
    );
    expect(cells.map((r) => r.supporting)).toEqual([['PRESIGNED-POST'], undefined]);
    // A passed cell keeps the exchange it made.
    expect(cells[1]!.evidence).toEqual([{ request: { method: 'GET', url: 'http://s3.test/b/k' }, response: { status: 200 } }]);
  });

  it('a check that could judge only part of a main statement records it not_applicable and its pass as supporting', async () => {
    const check = defineCheck(testCheck('test.half', ['PERM-DENIED-CODE']));
    let outcome: Awaited<ReturnType<typeof runCheck>> | undefined;
    const records = await recordsOf(async () => {
      outcome = await runCheck(check, { seed: 1, runs: 1 }, async (rec) => rec.mainUnjudged(['PERM-DENIED-CODE'], 'no REST denial was judged: no Bearer token'));
    });
    expect(records).toMatchObject([
      { status: 'not_applicable', requirementIds: ['PERM-DENIED-CODE'], reason: 'no REST denial was judged: no Bearer token' },
      { status: 'passed', requirementIds: ['PERM-DENIED-CODE'], supporting: ['PERM-DENIED-CODE'] },
    ]);
    expect(outcome).toEqual({ status: 'not_applicable', reason: 'no REST denial was judged: no Bearer token; only supporting evidence passed' });
  });

  it('returns what the records say: passed, not applicable with the reason, observed, skipped', async () => {
    const check = defineCheck(testCheck('test.outcomes', ['CRED-FORMAT', 'CRED-UNIQUE']));
    const settings = { seed: 1, runs: 1 };
    expect(await runCheck(check, settings, async () => undefined)).toEqual({ status: 'passed' });
    expect(await runCheck(check, settings, () => Promise.reject(new NotApplicable('the manual driver cannot create tokens')))).toEqual({
      status: 'not_applicable',
      reason: 'the manual driver cannot create tokens',
    });
    expect(await runCheck(check, settings, async (rec) => rec.observe('CRED-FORMAT', { x: 1 }, 'seen'), { summary: false })).toEqual({ status: 'observed' });
    expect(
      await runCheck(check, settings, async (rec) => rec.cell({ operation: 'GetObject', level: 'object_ro', scope: 'in_scope', expected: 'allow', observed: 'not_run', detail: 'no object_ro key' }, ['CRED-FORMAT']), {
        summary: false,
      }),
    ).toEqual({ status: 'not_applicable', reason: 'no object_ro key' });
    expect(outcomeOf([{ check: 'c', requirementIds: ['CRED-FORMAT'], status: 'passed' }, { check: 'c', requirementIds: ['CRED-UNIQUE'], status: 'not_applicable', reason: 'why' }])).toEqual({
      status: 'passed',
      reason: 'partly not applicable: why',
    });
    expect(outcomeOf([{ check: 'c', requirementIds: ['CRED-FORMAT'], status: 'skipped', reason: 'not selected' }])).toEqual({ status: 'skipped', reason: 'not selected' });
  });
});

describe('properties whose runs are independent', () => {
  /** A property over `arbitraries` that notes every value it is run with, and how many runs were in flight at once. */
  function noting<T>(arbitrary: fc.Arbitrary<T>, fails: (value: T) => boolean = () => false) {
    const ran: T[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const property = fc.asyncProperty(arbitrary, async (value) => {
      ran.push(value);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      if (fails(value)) throw new RequirementViolation('TOKEN-EXPIRY-BOUNDS', `${JSON.stringify(value)} accepted`);
    });
    return { property, ran, maxInFlight: () => maxInFlight };
  }

  it('are run with exactly the values fast-check runs one at a time, examples first, several at once (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 2, max: 8 }), async (seed, runs, concurrency) => {
        const arbitrary = fc.record({ days: fc.integer(), name: fc.string() });
        const examples: [{ days: number; name: string }][] = [[{ days: 0, name: 'example' }]];
        const alone = noting(arbitrary);
        await assertProperty(alone.property, { seed, runs, concurrency: 1 }, 'TOKEN-EXPIRY-BOUNDS', { examples }, { independentRuns: true });
        const together = noting(arbitrary);
        await assertProperty(together.property, { seed, runs, concurrency }, 'TOKEN-EXPIRY-BOUNDS', { examples }, { independentRuns: true });
        expect(together.ran).toEqual(alone.ran);
        expect(alone.maxInFlight()).toBe(1);
        if (runs > 1) expect(together.maxInFlight()).toBeGreaterThan(1);
        expect(together.maxInFlight()).toBeLessThanOrEqual(concurrency);
      }),
      { numRuns: 25 },
    );
  });

  it('fail as they fail one at a time: fast-check takes over, with the same counterexample, seed, path and report', async () => {
    const check = defineCheck(testCheck('test.independent-failing', ['TOKEN-EXPIRY-BOUNDS']));
    const failure = async (concurrency: number) => {
      const { property } = noting(fc.integer({ min: 0, max: 1000 }), (days) => days > 365);
      const settings = { seed: 4321, runs: 100, concurrency };
      const error = await runCheck(check, settings, () => assertProperty(property, settings, 'TOKEN-EXPIRY-BOUNDS', {}, { independentRuns: true })).then(
        () => null,
        (thrown: Error) => thrown,
      );
      const { message, counterexample, seed, path, replay, requirementIds } = recordedChecks().at(-1)!;
      return { error: error?.message, record: { message, counterexample, seed, path, replay, requirementIds } };
    };
    const alone = await failure(1);
    expect(alone.error).toMatch(/^\[TOKEN-EXPIRY-BOUNDS\] 366 accepted/);
    expect(await failure(6)).toEqual(alone);
  });

  it('run each value once, as one at a time would, when a precondition skips some (fast-check draws the values for them)', async () => {
    const skipping = (runs: number[]) =>
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.integer(), async (value, tag) => {
        runs.push(tag);
        await new Promise((resolve) => setImmediate(resolve));
        fc.pre(value !== 1);
      });
    for (const seed of [77, 78, 79]) {
      const alone: number[] = [];
      await assertProperty(skipping(alone), { seed, runs: 10, concurrency: 1 }, 'TOKEN-EXPIRY-BOUNDS', {}, { independentRuns: true });
      const together: number[] = [];
      await assertProperty(skipping(together), { seed, runs: 10, concurrency: 4 }, 'TOKEN-EXPIRY-BOUNDS', {}, { independentRuns: true });
      expect(together).toEqual(alone);
      expect(alone.length).toBeGreaterThanOrEqual(10);
    }
  });

  it('leave a replay (path) and time limits to fast-check, and so does a property not declared independent', async () => {
    const settings = { seed: 77, runs: 10, concurrency: 4 };
    for (const parameters of [{ path: '3' }, { interruptAfterTimeLimit: 10_000 }]) {
      const { property, maxInFlight } = noting(fc.integer());
      await assertProperty(property, settings, 'TOKEN-EXPIRY-BOUNDS', parameters, { independentRuns: true });
      expect(maxInFlight()).toBe(1);
    }
    const { property, maxInFlight } = noting(fc.integer());
    await assertProperty(property, settings, 'TOKEN-EXPIRY-BOUNDS');
    expect(maxInFlight()).toBe(1);
  });
});

describe('check dependencies', () => {
  it('name earlier checks of the same area', () => {
    const grid = defineCheck({ ...testCheck('test.deps.grid', ['PERM-ADMIN-RW']), area: 'deps' });
    expect(defineCheck({ ...testCheck('test.deps.judge', ['PERM-DENIED-CODE']), area: 'deps', dependsOn: [grid] }).dependsOn).toEqual([grid]);
    expect(() => defineCheck({ ...testCheck('test.deps.elsewhere', ['PERM-DENIED-CODE']), area: 'other', dependsOn: [grid] })).toThrow(/must be a check of area other defined before it/);
    const unregistered = { ...testCheck('test.deps.later', ['PERM-ADMIN-RW']), area: 'deps' };
    expect(() => defineCheck({ ...testCheck('test.deps.early', ['PERM-DENIED-CODE']), area: 'deps', dependsOn: [unregistered] })).toThrow(/defined before it/);
  });
});
