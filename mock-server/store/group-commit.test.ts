import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGroupCommit, DurabilityError } from './group-commit.js';
import { temporaryDirectories } from './test/fixtures.js';

const tempDir = temporaryDirectories();

function durableDb(): Database.Database {
  const dir = tempDir('ibee-group-');
  const db = new Database(join(dir, 'db.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  return db;
}

describe('group commit', () => {
  it('commits the writes that succeed, undoes only the ones that fail, and settles each caller after the commit', async () => {
    const db = durableDb();
    const commit = createGroupCommit(db);
    const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v');
    const all = () => Object.fromEntries(db.prepare<[], { k: string; v: number }>('SELECT k, v FROM t').all().map((row) => [row.k, row.v]));
    // Each write sets a key, then fails or not: a failed write must leave no trace, even of its own first statement.
    const write = fc.record({ key: fc.constantFrom('a', 'b', 'c'), value: fc.integer(), fails: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(write, { maxLength: 12 }), async (writes) => {
        db.exec('DELETE FROM t');
        const model: Record<string, number> = {};
        for (const w of writes) if (!w.fails) model[w.key] = w.value;
        const outcomes = await Promise.allSettled(
          writes.map((w) =>
            commit(() => {
              insert.run(w.key, w.value);
              if (w.fails) throw new Error(`refused ${w.key}`);
              return w.value;
            }),
          ),
        );
        outcomes.forEach((outcome, i) => {
          expect(outcome.status).toBe(writes[i]!.fails ? 'rejected' : 'fulfilled');
          if (outcome.status === 'fulfilled') expect(outcome.value).toBe(writes[i]!.value);
        });
        expect(all()).toEqual(model);
        // Settled means committed: nothing is left in an open transaction.
        expect(db.inTransaction).toBe(false);
      }),
      { numRuns: 60 },
    );
    db.close();
  });

  it('shares one commit between the writes of one turn of the event loop', async () => {
    const db = durableDb();
    const commit = createGroupCommit(db);
    const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
    /** Frames appended to the write-ahead log since it was last truncated: each COMMIT appends the pages it changed. */
    const walFrames = () => (db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]!.log;
    db.pragma('wal_checkpoint(TRUNCATE)');
    await Promise.all(['a', 'b', 'c', 'd'].map((k, v) => commit(() => insert.run(k, v))));
    const together = walFrames();
    db.pragma('wal_checkpoint(TRUNCATE)');
    for (const [v, k] of ['e', 'f', 'g', 'h'].entries()) await commit(() => insert.run(k, v));
    const oneByOne = walFrames();
    expect(together).toBeGreaterThan(0);
    expect(together).toBeLessThan(oneByOne);
    db.close();
  });

  it('rejects every write of a batch whose COMMIT fails', async () => {
    const db = durableDb();
    const commit = createGroupCommit(db);
    db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)');
    db.pragma('foreign_keys = ON');
    // A deferred foreign key is checked at COMMIT: the whole batch fails there.
    const results = await Promise.allSettled([
      commit(() => db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run('x', 1)),
      commit(() => db.prepare('INSERT INTO child (p) VALUES (42)').run()),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
    expect(db.inTransaction).toBe(false);
    db.close();
  });
});

describe('group commit with the write-ahead log fsynced off the event loop', () => {
  /** An fsync the test releases by hand, counting calls. */
  function manualFsync() {
    const calls: Array<(error: NodeJS.ErrnoException | null) => void> = [];
    return {
      calls,
      fsync: (_fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void calls.push(callback),
      release: (error: NodeJS.ErrnoException | null = null) => calls.shift()!(error),
    };
  }
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it('acknowledges a write only after the log fsync that follows its COMMIT, and shares that fsync across batches', async () => {
    const db = durableDb();
    const sync = manualFsync();
    const commit = createGroupCommit(db, { walPath: `${db.name}-wal`, fsync: sync.fsync });
    const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
    const acked: string[] = [];
    const write = (k: string) => commit(() => insert.run(k, 1)).then(() => void acked.push(k));
    const first = write('a');
    await tick();
    await tick();
    // Committed (visible) but not acknowledged: its fsync has not completed.
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    expect(sync.calls).toHaveLength(1);
    expect(acked).toEqual([]);
    // Two more batches commit while that fsync is under way: they wait for one more fsync, not two.
    const second = write('b');
    await tick();
    const third = write('c');
    await tick();
    await tick();
    expect(sync.calls).toHaveLength(1);
    sync.release();
    await first;
    expect(acked).toEqual(['a']);
    await tick();
    expect(sync.calls).toHaveLength(1);
    sync.release();
    await Promise.all([second, third]);
    expect(acked).toEqual(['a', 'b', 'c']);
    // SQLite's own setting is back for every other transaction.
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    await commit.close();
    db.close();
  });

  it('reports a failed fsync as a DurabilityError to exactly the writes it covered', async () => {
    const db = durableDb();
    const sync = manualFsync();
    const commit = createGroupCommit(db, { walPath: `${db.name}-wal`, fsync: sync.fsync });
    const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
    const failing = commit(() => insert.run('a', 1)).catch((error: unknown) => error);
    const refused = commit(() => {
      throw new Error('precondition');
    }).catch((error: unknown) => error);
    await tick();
    await tick();
    sync.release(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    expect(await failing).toBeInstanceOf(DurabilityError);
    expect(await refused).toEqual(new Error('precondition'));
    const later = commit(() => insert.run('b', 2));
    await tick();
    await tick();
    sync.release();
    await expect(later).resolves.toBeDefined();
    await commit.close();
    db.close();
  });
});
