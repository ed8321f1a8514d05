import { afterAll, beforeAll, it } from 'vitest';
import { isSelected, runCheck, type CheckDefinition, type CheckOptions, type CheckRecorder } from '../checks/registry.js';
import { checkRunWideLeaks, secretRunWideCheck } from '../checks/secrets.js';
import { createSuiteContext, type SuiteContext } from './context.js';
import { currentRun } from './run.js';

/** vitest glue for conformance files: one SuiteContext per file, one test per registered check. */

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
export function checkTest(
  definition: CheckDefinition,
  context: () => SuiteContext,
  body: (ctx: SuiteContext, rec: CheckRecorder) => Promise<void>,
  options: CheckOptions = {},
): void {
  it(`${definition.name} [${definition.requirementIds.join(', ')}]`, async (test) => {
    const ctx = context();
    if (!isSelected(definition, ctx.settings.only)) test.skip(`IBEE_ONLY selects none of ${definition.requirementIds.join(', ')}`);
    await runCheck(definition, ctx.settings, (rec) => body(ctx, rec), options);
  });
}

/** The last test of a file: no response this file received carried a secret issued earlier (SECRET-ONCE). */
export function leakScanTest(context: () => SuiteContext): void {
  checkTest(secretRunWideCheck, context, () => checkRunWideLeaks());
}
