import { readJournal } from './cleanup.js';
import { createSuiteContext, type RunInfo } from './context.js';

/**
 * Removes what the run's journal says is still there: buckets (emptied first) and tokens. Runs in the global
 * teardown and on SIGINT, so that a failed or interrupted run leaves nothing behind on a real account.
 */
export async function sweepJournal(run: RunInfo): Promise<{ tokenIds: readonly string[]; buckets: readonly string[] }> {
  if (!run.journalFile) return { tokenIds: [], buckets: [] };
  const outstanding = readJournal(run.journalFile);
  if (outstanding.tokenIds.length === 0 && outstanding.buckets.length === 0) return outstanding;
  // A context of its own, journaling nothing: its registry starts with exactly what is outstanding.
  const context = await createSuiteContext({ ...run, journalFile: null });
  for (const id of outstanding.tokenIds) context.cleanup.trackToken(id);
  for (const name of outstanding.buckets) if (context.cleanup.owns(name)) context.cleanup.trackBucket(name);
  if (outstanding.buckets.length > 0) await context.admin();
  await context.dispose();
  return context.cleanup.outstanding();
}
