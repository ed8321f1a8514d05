import { readJournal, type Outstanding } from './cleanup.js';
import { createSuiteContext } from './context.js';
import type { SettledRun } from './run.js';

/**
 * Removes what the run's journal says may still be there: buckets (emptied first), the tokens (or S3 credentials)
 * created, and any whose name was journaled before its creation was requested (an answer cut off by an interrupt).
 * Runs in the global teardown and, after SIGINT or SIGTERM, in the detached cleaner, so that a failed or interrupted
 * run leaves nothing behind on a real account. Only names under the run prefix and ids the run was given are touched.
 * The sweep journals its own work in the same journal (its fixture admin is requested by name first), so a sweep
 * that is itself cut short is finished by the next one.
 */
export async function sweepJournal(run: SettledRun): Promise<Outstanding> {
  if (!run.journalFile) return { tokenIds: [], buckets: [] };
  const journaled = readJournal(run.journalFile);
  if (journaled.tokenIds.length === 0 && journaled.buckets.length === 0 && journaled.tokenNames.length === 0) return { tokenIds: [], buckets: [] };
  const context = await createSuiteContext(run);
  const tokenIds = new Set(journaled.tokenIds);
  if (journaled.tokenNames.length > 0 && context.driver.capabilities.read) {
    const requested = new Set(journaled.tokenNames.filter((name) => context.cleanup.owns(name)));
    for (const id of await context.driver.leftoversNamed(requested)) tokenIds.add(id);
  }
  context.cleanup.adopt({ tokenIds: [...tokenIds], buckets: journaled.buckets });
  // A fixture admin removes the buckets; if none can be had, they are reported as left.
  if (journaled.buckets.length > 0) await context.admin().catch(() => null);
  await context.dispose();
  return context.cleanup.outstanding();
}
