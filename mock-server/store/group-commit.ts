import type Database from 'better-sqlite3';

/**
 * Group commit for a durable database: writes that arrive while the event loop is busy are committed together, in
 * one transaction and so one fsync, instead of one fsync each (which also blocks the event loop each time). Each
 * write runs in its own savepoint, in arrival order, so one write's failure (a failed precondition, say) undoes
 * only that write and rejects only its caller. Every caller's promise settles after the shared COMMIT, so nothing
 * is acknowledged before it is on disk.
 */
export type GroupCommit = <T>(write: () => T) => Promise<T>;

interface Pending {
  readonly write: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export function createGroupCommit(db: Database.Database): GroupCommit {
  let queue: Pending[] = [];
  // A transaction function called inside another runs as a savepoint (better-sqlite3's nesting).
  const inSavepoint = db.transaction((write: () => unknown) => write());

  const flush = (): void => {
    const batch = queue;
    queue = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      db.transaction(() => {
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: inSavepoint(item.write) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      })();
    } catch (error) {
      // The COMMIT itself failed (disk full, I/O error): nothing in the batch was stored.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  };

  return <T>(write: () => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
    });
}
