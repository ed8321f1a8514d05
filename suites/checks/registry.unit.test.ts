import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRequirementId, requirements } from '../../spec/index.js';
import { registeredChecks } from './index.js';
import { recordedChecks } from './record.js';
import { assertProperty, defineCheck, isSelected, RequirementViolation, runCheck } from './registry.js';

describe('check registry', () => {
  it('names only catalogue requirement ids, and each check once', () => {
    const checks = registeredChecks();
    expect(checks.length).toBeGreaterThan(20);
    expect(new Set(checks.map((c) => c.name)).size).toBe(checks.length);
    for (const check of checks) for (const id of check.requirementIds) expect(isRequirementId(id)).toBe(true);
    expect(() => defineCheck('bogus.check', ['NOT-A-REQUIREMENT'], 'x')).toThrow(/unknown requirement id/);
  });

  it('covers every requirement of the catalogue', () => {
    const covered = new Set(registeredChecks().flatMap((c) => c.requirementIds));
    const missing = requirements.filter((r) => !covered.has(r.id)).map((r) => r.id);
    expect(missing).toEqual([]);
  });

  it('selects checks by IBEE_ONLY requirement ids', () => {
    const check = defineCheck('test.selection', ['REVOKE-IMMEDIATE', 'REVOKE-PERMANENT'], 'x');
    expect(isSelected(check, null)).toBe(true);
    expect(isSelected(check, ['REVOKE-PERMANENT'])).toBe(true);
    expect(isSelected(check, ['SECRET-ONCE'])).toBe(false);
  });

  it('records a failing property with the violated id, the shrunk counterexample, seed, path and replay, and rethrows', async () => {
    const check = defineCheck('test.failing-property', ['TOKEN-EXPIRY-BOUNDS'], 'x');
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
    expect(record.replay).toMatch(/^npx ibee-conformance run --seed 1234 --only TOKEN-EXPIRY-BOUNDS {2}# fast-check path \S+$/);
  });
});
