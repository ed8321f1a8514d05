import { afterAll, beforeAll, inject, it } from 'vitest';
import { checksOf, isSelected, runCheckInTest, type CheckDefinition, type CheckOptions } from '../checks/registry.js';
import '../checks/index.js';
import { secretRunWideCheck } from '../checks/secrets.js';
import { createSuiteContext, type SuiteContext } from './context.js';
import { startFile } from './file-state.js';
import type { SettledRun } from './run.js';

/**
 * vitest glue for conformance files: one SuiteContext per file, one test per registered check. The checks of a
 * file run concurrently (`it.concurrent`, at most vitest's maxConcurrency at a time: the run's `--concurrency`),
 * except those that run alone (`runsAlone`) and the leak scan, which runs last; a check that depends on others
 * (`dependsOn`) waits for them. With concurrency 1 every check runs after the one before, in definition order.
 */

/** The run settled by the global setup (target, settings, capabilities), inside a conformance test file. */
function currentRun(): SettledRun {
  return inject('ibeeRun');
}

export function useSuiteContext(): () => SuiteContext {
  let context: SuiteContext | undefined;
  beforeAll(async () => {
    // The file before ran in this process: nothing it saw carries over.
    startFile();
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

/** The test name of a check: its name and the requirement ids it speaks for. */
function testName(definition: CheckDefinition): string {
  return `${definition.name} [${definition.requirementIds.join(', ')}]`;
}

/** When each check of a file has finished (passed, failed or skipped), for the checks that depend on it. */
class CheckCompletions {
  private readonly finished = new Map<string, { promise: Promise<void>; resolve: () => void }>();

  private entry(name: string): { promise: Promise<void>; resolve: () => void } {
    let entry = this.finished.get(name);
    if (!entry) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      entry = { promise, resolve };
      this.finished.set(name, entry);
    }
    return entry;
  }

  done(name: string): void {
    this.entry(name).resolve();
  }

  finishedOf(name: string): Promise<void> {
    return this.entry(name).promise;
  }
}

type TestTask = { readonly name: string; readonly mode: string; readonly suite?: { readonly tasks: readonly TestTask[] } };

/**
 * Waits until the checks `definition` depends on have finished. A dependency vitest does not run (left out by a name
 * filter) is not waited for: the check then finds nothing of it to judge.
 */
async function awaitDependencies(definition: CheckDefinition, task: TestTask, completions: CheckCompletions): Promise<void> {
  const siblings = task.suite?.tasks ?? [];
  for (const dependency of definition.dependsOn ?? []) {
    const sibling = siblings.find((t) => t.name === testName(dependency));
    if (sibling && sibling.mode === 'run') await completions.finishedOf(dependency.name);
  }
}

/** A vitest test for one check; IBEE_ONLY leaves out (skips) checks that speak for none of the selected requirements. */
export function checkTest(definition: CheckDefinition, context: () => SuiteContext, completions: CheckCompletions = new CheckCompletions(), alone = false): void {
  const define = alone || definition.runsAlone !== undefined ? it : it.concurrent;
  define(testName(definition), async (test) => {
    try {
      const ctx = context();
      if (!isSelected(definition, ctx.settings.only)) test.skip(`IBEE_ONLY selects none of ${definition.requirementIds.join(', ')}`);
      await awaitDependencies(definition, test.task as TestTask, completions);
      const { summaryIds } = definition;
      const options: CheckOptions = { summary: definition.summarize ?? true, ...(summaryIds ? { summaryIds: () => summaryIds(ctx) } : {}) };
      // The progress line tells passed from not applicable by the outcome (a test that returns has passed for vitest).
      await runCheckInTest(test.task, definition, ctx.settings, (rec) => definition.run(ctx, rec), options);
    } finally {
      completions.done(definition.name);
    }
  });
}

/** A conformance file: one suite context, a test for every registered check of `area` in order, then the leak scan. */
export function areaTests(area: string): void {
  const context = useSuiteContext();
  const completions = new CheckCompletions();
  for (const check of checksOf(area)) checkTest(check, context, completions);
  leakScanTest(context);
}

/**
 * The last test of a file: no response this file received carried a secret issued earlier (SECRET-ONCE). It runs
 * alone, once every other check of the file has finished.
 */
export function leakScanTest(context: () => SuiteContext): void {
  checkTest(secretRunWideCheck, context, new CheckCompletions(), true);
}
