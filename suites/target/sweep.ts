import { readJournal, type Outstanding } from './cleanup.js';
import { createSuiteContext } from './context.js';
import type { SettledRun } from './run.js';

/**
 * Removes what the run's journal says may still be there: buckets (emptied first), the tokens created, and any
 * token whose name was journaled before its creation was requested (an answer cut off by an interrupt). Runs in
 * the global teardown and, after SIGINT or SIGTERM, in the detached cleaner, so that a failed or interrupted run
 * leaves nothing behind on a real account. Only names under the run prefix and ids the run was given are touched.
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
    for (const token of await listedTokens(context.driver.listTokens())) {
      if (requested.has(token.name) && token.status === 'active') tokenIds.add(token.id);
    }
  }
  context.cleanup.adopt({ tokenIds: [...tokenIds], buckets: journaled.buckets });
  // A fixture admin removes the buckets; if none can be had, they are reported as left.
  if (journaled.buckets.length > 0) await context.admin().catch(() => null);
  await context.dispose();
  return context.cleanup.outstanding();
}

interface ListedToken {
  readonly id: string;
  readonly name: string;
  readonly status: string;
}

/** The project's tokens (id, name, status) from a list answer; nothing when the list cannot be read. */
async function listedTokens(listing: Promise<{ readonly response: { readonly status: number }; readonly json: unknown }>): Promise<ListedToken[]> {
  const exchange = await listing.catch(() => null);
  if (!exchange || exchange.response.status !== 200) return [];
  const tokens = (exchange.json as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(tokens)) return [];
  return tokens.filter(
    (t): t is ListedToken =>
      t !== null && typeof t === 'object' && typeof (t as ListedToken).id === 'string' && typeof (t as ListedToken).name === 'string' && typeof (t as ListedToken).status === 'string',
  );
}
