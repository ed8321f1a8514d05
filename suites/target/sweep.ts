import { readJournal, type Outstanding } from './cleanup.js';
import { createSuiteContext } from './context.js';
import type { SettledRun } from './run.js';

/** What a sweep left: tokens and buckets of the run, and configurations of buckets it did not create, not restored. */
export interface SweepLeft extends Outstanding {
  readonly configurations: readonly string[];
}

/**
 * Removes what the run's journal says may still be there: buckets (emptied first), the tokens (or S3 credentials)
 * created, and any whose name was journaled before its creation was requested (an answer cut off by an interrupt).
 * In buckets the run did not create, it restores the configuration journaled before the run wrote any (every
 * journaled part, whether or not the run got to restore it: restoring twice changes nothing) and removes the keys
 * under the run prefix.
 * Runs in the global teardown and, after SIGINT or SIGTERM, in the detached cleaner, so that a failed or interrupted
 * run leaves nothing behind on a real account. Only names under the run prefix and ids the run was given are touched.
 * The sweep journals its own work in the same journal (its fixture admin is requested by name first), so a sweep
 * that is itself cut short is finished by the next one.
 */
export async function sweepJournal(run: SettledRun): Promise<SweepLeft> {
  const nothing = { tokenIds: [], buckets: [], configurations: [] };
  if (!run.journalFile) return nothing;
  const journaled = readJournal(run.journalFile);
  const lists = [journaled.tokenIds, journaled.buckets, journaled.tokenNames, journaled.foreignBuckets, journaled.configurations];
  if (lists.every((list) => list.length === 0)) return nothing;
  const context = await createSuiteContext(run);
  const tokenIds = new Set(journaled.tokenIds);
  if (journaled.tokenNames.length > 0 && context.driver.capabilities.read) {
    const requested = new Set(journaled.tokenNames.filter((name) => context.cleanup.owns(name)));
    for (const id of await context.driver.leftoversNamed(requested)) tokenIds.add(id);
  }
  context.cleanup.adopt({ tokenIds: [...tokenIds], buckets: journaled.buckets });
  context.cleanup.adoptForeign(journaled);
  // A fixture admin removes the buckets and the run's keys in others; if none can be had, the buckets are reported as left.
  if (journaled.buckets.length > 0 || journaled.foreignBuckets.length > 0) await context.admin().catch(() => null);
  await context.dispose();
  return { ...context.cleanup.outstanding(), configurations: context.configurationsLeft };
}
