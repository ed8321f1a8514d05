/**
 * How many things a run does at once against the target (IBEE_CONCURRENCY, `--concurrency N`): checks of one
 * conformance file that do not depend on each other, and, inside one check, the cells of a permission grid and
 * the runs of a property whose runs are independent; also set-up and clean-up. 1 runs everything one after the
 * other, in the order it is defined. Kept free of other imports: vitest.config.ts reads it too.
 */

/** Enough to hide the latency of a far-away endpoint, few enough for a real account's request limits. */
export const defaultConcurrency = 8;

/** The highest value accepted: beyond this a run only risks the target's rate limits. */
export const maxConcurrency = 64;

/**
 * IBEE_CONCURRENCY: a whole number from 1 to maxConcurrency; absent or empty is the default. Anything else throws
 * the error `fail` makes of the message (the run settings' ConfigError).
 */
export function parseConcurrency(raw: string | undefined, fail: (message: string) => Error = (message) => new RangeError(message)): number {
  const given = raw?.trim();
  if (given === undefined || given === '') return defaultConcurrency;
  if (!/^\d+$/.test(given)) throw fail(`IBEE_CONCURRENCY must be a whole number, got ${JSON.stringify(given)}`);
  const value = Number(given);
  if (value < 1 || value > maxConcurrency) throw fail(`IBEE_CONCURRENCY must be from 1 to ${maxConcurrency}, got ${given}`);
  return value;
}

/**
 * vitest's `maxConcurrency` for the conformance project, from the same variable (the CLI runner sets it for the run
 * it starts). An invalid value falls back to the default here: the run's settings refuse it with a message.
 */
export function vitestMaxConcurrency(env: Readonly<Record<string, string | undefined>> = process.env): number {
  try {
    return parseConcurrency(env['IBEE_CONCURRENCY']);
  } catch {
    return defaultConcurrency;
  }
}

/** The concurrency of settings that may not say (hand-made ones, e.g. in tests): absent is one at a time. */
export function concurrencyOf(settings: { readonly concurrency?: number }): number {
  return Math.max(1, settings.concurrency ?? 1);
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight, started in item order; the results are in item
 * order. `inOrder`, when given, sees each result in item order as soon as those before it are in, so that what a
 * caller records of them comes out as a loop would have recorded it. With limit 1 it is a plain loop. When a call
 * fails, no further item is started; once the calls in flight have settled (`inOrder` having seen every result
 * before the failed item), the error of the first failed item is thrown, as a loop would have thrown it.
 */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  inOrder?: (result: R, index: number) => void,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  if (limit <= 1) {
    for (const [index, item] of items.entries()) {
      results[index] = await fn(item, index);
      inOrder?.(results[index], index);
    }
    return results;
  }
  const done = new Array<boolean>(items.length).fill(false);
  const failed: { first: { index: number; error: unknown } | null } = { first: null };
  let next = 0;
  let seen = 0;
  const flush = (): void => {
    while (seen < items.length && done[seen] && (failed.first === null || seen < failed.first.index)) {
      inOrder?.(results[seen]!, seen);
      seen += 1;
    }
  };
  const worker = async (): Promise<void> => {
    while (failed.first === null && next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = await fn(items[index]!, index);
        done[index] = true;
      } catch (error) {
        // Read afresh: another call may have failed while this one was awaited.
        const first = failed.first as { index: number } | null;
        if (first === null || index < first.index) failed.first = { index, error };
      }
      flush();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
  if (failed.first !== null) throw failed.first.error;
  return results;
}

/**
 * Runs `fn` for a key once no earlier call for an equal key is still running: calls for different keys run at the
 * same time, those for one key one after the other, in the order they were made (e.g. property runs that drew the
 * same object key in one bucket).
 */
export function oneAtATimePerKey<K>(): <R>(key: K, fn: () => Promise<R>) => Promise<R> {
  const tails = new Map<K, Promise<unknown>>();
  return <R>(key: K, fn: () => Promise<R>): Promise<R> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}

/** `first` and `second`: one after the other with concurrency 1, else at the same time; their results in that order. */
export async function both<A, B>(concurrency: number, first: () => Promise<A>, second: () => Promise<B>): Promise<[A, B]> {
  if (concurrency <= 1) return [await first(), await second()];
  return Promise.all([first(), second()]);
}
