import { closeSync, fsync, openSync } from 'node:fs';
import type Database from 'better-sqlite3';

/**
 * Group commit for the durable database: writes that arrive while the event loop is busy are committed together
 * in one transaction, each in its own savepoint and in arrival order, so one write's failure (a failed precondition,
 * say) undoes only that write and rejects only its caller.
 *
 * With `walPath` (WAL mode), the batch's COMMIT skips SQLite's own fsync (synchronous=NORMAL for that transaction
 * only), and the write-ahead log is fsynced on the thread pool instead; callers settle only once that fsync has
 * completed, so nothing is acknowledged before it is on disk, as with synchronous=FULL. Batches committed while an
 * fsync is under way share the next one. Without this, every commit blocked the event loop for the length of a
 * disk flush (bench/README.md).
 */
export interface GroupCommit {
  <T>(write: () => T): Promise<T>;
  /** Refuses new writes, commits the queued ones, waits for their fsync, then releases the log's descriptor. */
  close(): Promise<void>;
}

/** The batch was committed, but the fsync that makes it durable failed: the write may or may not survive a crash. */
export class DurabilityError extends Error {
  constructor(cause: unknown) {
    super(`fsync of the write-ahead log failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DurabilityError';
  }
}

interface Pending {
  readonly write: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** A write that is committed and waits for the fsync that makes it durable. */
interface Committed {
  readonly settle: () => void;
  readonly fail: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** The database's write-ahead log (`<file>-wal`): commit without SQLite's fsync and fsync this instead. */
  readonly walPath?: string;
  /** The fsync to use (tests put a slow or failing one here). */
  readonly fsync?: (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void;
}

export function createGroupCommit(db: Database.Database, options: GroupCommitOptions = {}): GroupCommit {
  let queue: Pending[] = [];
  // A transaction function called inside another runs as a savepoint (better-sqlite3's nesting).
  const inSavepoint = db.transaction((write: () => unknown) => write());
  const walPath = options.walPath ?? null;
  let walFd: number | null = null;
  /** No new writes are taken. */
  let closed = false;
  /** The log's descriptor is closed: no fsync can run any more. */
  let released = false;
  /** Writes committed since the fsync under way started: the next fsync covers them. */
  let awaitingSync: Committed[] = [];
  let syncing: Promise<void> | null = null;

  const syncLog = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (released) {
        reject(new Error('the store is closed'));
        return;
      }
      walFd ??= openSync(walPath!, 'r');
      (options.fsync ?? fsync)(walFd, (error) => (error ? reject(error) : resolve()));
    });

  const startSync = (): void => {
    const group = awaitingSync;
    awaitingSync = [];
    syncing = syncLog()
      .then(
        () => group.forEach((write) => write.settle()),
        (error: unknown) => group.forEach((write) => write.fail(new DurabilityError(error))),
      )
      .finally(() => {
        syncing = null;
        if (awaitingSync.length > 0) startSync();
      });
  };

  const flush = (): void => {
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    let previousSynchronous: number | null = null;
    try {
      // Only this transaction skips SQLite's fsync; the one below (syncLog) stands in for it.
      if (walPath !== null) {
        previousSynchronous = db.pragma('synchronous', { simple: true }) as number;
        db.pragma('synchronous = NORMAL');
      }
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
      // The COMMIT itself failed (disk full, I/O error, a closed database): nothing in the batch was stored.
      for (const item of batch) item.reject(error);
      return;
    } finally {
      if (previousSynchronous !== null && db.open) db.pragma(`synchronous = ${previousSynchronous}`);
    }
    batch.forEach((item, index) => {
      const outcome = outcomes[index]!;
      if (!outcome.ok) item.reject(outcome.error); // undone in its savepoint: nothing of it waits for the disk
      else if (walPath === null) item.resolve(outcome.value);
      else awaitingSync.push({ settle: () => item.resolve(outcome.value), fail: item.reject });
    });
    if (awaitingSync.length > 0 && syncing === null) startSync();
  };

  const commit = <T>(write: () => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (closed) {
        reject(new Error('the store is closed'));
        return;
      }
      if (queue.length === 0) setImmediate(flush);
      queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
    });

  return Object.assign(commit, {
    async close(): Promise<void> {
      // Writes still reading their body are refused from now on; queued ones are committed now, and every fsync
      // under way finishes before the database can be closed.
      closed = true;
      flush();
      while (syncing) await syncing;
      released = true;
      if (walFd !== null) closeSync(walFd);
      walFd = null;
    },
  });
}
