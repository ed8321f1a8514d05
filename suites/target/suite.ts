import { afterAll, beforeAll, inject, it } from 'vitest';
import { checksOf, isSelected, runCheckInTest, type CheckDefinition, type CheckOptions } from '../checks/registry.js';
import '../checks/index.js';
import { secretRunWideCheck } from '../checks/secrets.js';
import { createSuiteContext, type SuiteContext } from './context.js';
import type { SettledRun } from './run.js';

/** vitest glue for conformance files: one SuiteContext per file, one test per registered check. */

/** The run settled by the global setup (target, settings, capabilities), inside a conformance test file. */
function currentRun(): SettledRun {
  return inject('ibeeRun');
}

export function useSuiteContext(): () => SuiteContext {
  let context: SuiteContext | undefined;
  beforeAll(async () => {
    context = await createSuiteContext(currentRun());
  });
  afterAll(async () => {
    await context?.dispose();
  });
  return () => {
    if (!context) throw new Error('the suite context is not ready (beforeAll failed?)');
    return context;
  };
}

/** A vitest test for one check; IBEE_ONLY leaves out (skips) checks that speak for none of the selected requirements. */
export function checkTest(definition: CheckDefinition, context: () => SuiteContext): void {
  it(`${definition.name} [${definition.requirementIds.join(', ')}]`, async (test) => {
    const ctx = context();
    if (!isSelected(definition, ctx.settings.only)) test.skip(`IBEE_ONLY selects none of ${definition.requirementIds.join(', ')}`);
    const { summaryIds } = definition;
    const options: CheckOptions = { summary: definition.summarize ?? true, ...(summaryIds ? { summaryIds: () => summaryIds(ctx) } : {}) };
    // The progress line tells passed from not applicable by the outcome (a test that returns has passed for vitest).
    await runCheckInTest(test.task, definition, ctx.settings, (rec) => definition.run(ctx, rec), options);
  });
}

/** A conformance file: one suite context, a test for every registered check of `area` in order, then the leak scan. */
export function areaTests(area: string): void {
  const context = useSuiteContext();
  for (const check of checksOf(area)) checkTest(check, context);
  leakScanTest(context);
}

/** The last test of a file: no response this file received carried a secret issued earlier (SECRET-ONCE). */
export function leakScanTest(context: () => SuiteContext): void {
  checkTest(secretRunWideCheck, context);
}
