import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFileBlobStore } from './blobs-files.js';
import { createDirectorySync, fsyncDirectory } from './directory-sync.js';
import { temporaryDirectories } from './test/fixtures.js';

const tempRoot = temporaryDirectories('ibee-dirsync-');

/** One step: a caller asks for a directory's sync, or the sync under way for a directory ends (well or with EIO). */
type Step = { kind: 'ask'; dir: string } | { kind: 'end'; dir: string; fails: boolean };
const directory = fc.constantFrom('a', 'b', 'c');
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('ask' as const), dir: directory }),
  fc.record({ kind: fc.constant('end' as const), dir: directory, fails: fc.boolean() }),
);

interface FakeSync {
  readonly dir: string;
  readonly startedAt: number;
  readonly end: (error?: Error) => void;
  failed?: boolean;
  settled: number;
}

/** Lets the promise callbacks of one step run (the next sync of a directory starts in a `.finally`). */
const settleCallbacks = () => new Promise((resolve) => setImmediate(resolve));

describe('createDirectorySync', () => {
  it('settles each caller with a sync of its directory that started after it asked; one at a time; none wasted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), async (steps) => {
        let now = 0;
        const running = new Map<string, FakeSync>();
        const started: FakeSync[] = [];
        /** The sync that ended at each step: callers settled during that step were settled by it. */
        const endedAt = new Map<number, FakeSync>();
        const sync = createDirectorySync(
          (dir) =>
            new Promise<void>((resolve, reject) => {
              expect(running.has(dir), `a second sync of ${dir} started while one was under way`).toBe(false);
              const fake: FakeSync = { dir, startedAt: now, end: (error) => (error ? reject(error) : resolve()), settled: 0 };
              running.set(dir, fake);
              started.push(fake);
            }),
        );
        const callers: Array<{ dir: string; askedAt: number; settledAt?: number; ok?: boolean }> = [];
        const endOne = (dir: string, fails: boolean) => {
          const fake = running.get(dir);
          if (!fake) return;
          running.delete(dir);
          fake.failed = fails;
          endedAt.set(now, fake);
          fake.end(fails ? new Error('EIO') : undefined);
        };
        for (const current of steps) {
          now += 1;
          if (current.kind === 'ask') {
            const caller: (typeof callers)[number] = { dir: current.dir, askedAt: now };
            callers.push(caller);
            sync(current.dir).then(
              () => Object.assign(caller, { settledAt: now, ok: true }),
              () => Object.assign(caller, { settledAt: now, ok: false }),
            );
          } else {
            endOne(current.dir, current.fails);
          }
          await settleCallbacks();
        }
        // Drain: end whatever is under way (and what starts after it) until nothing runs.
        while (running.size > 0) {
          now += 1;
          endOne([...running.keys()][0]!, false);
          await settleCallbacks();
        }
        for (const caller of callers) {
          expect(caller.settledAt, 'a caller was never settled').toBeDefined();
          const by = endedAt.get(caller.settledAt!)!;
          expect(by.dir).toBe(caller.dir);
          // Started after the caller asked (in the same step at the earliest): it covers the caller's rename.
          expect(by.startedAt).toBeGreaterThanOrEqual(caller.askedAt);
          expect(caller.ok).toBe(!by.failed);
          by.settled += 1;
        }
        // Every sync that ran was waited for by someone.
        for (const fake of started) expect(fake.settled).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('shares one sync among the callers that asked while another was under way', async () => {
    let count = 0;
    const ends: Array<() => void> = [];
    const sync = createDirectorySync(() => {
      count += 1;
      return new Promise<void>((resolve) => ends.push(resolve));
    });
    const first = sync('d');
    const waiting = Array.from({ length: 10 }, () => sync('d'));
    expect(count).toBe(1);
    ends.shift()!();
    await first;
    await settleCallbacks();
    expect(count).toBe(2);
    ends.shift()!();
    await Promise.all(waiting);
    expect(count).toBe(2);
  });

  it('fsyncs a real directory, and reports a missing one', async () => {
    const root = tempRoot();
    await expect(createDirectorySync()(root)).resolves.toBeUndefined();
    await expect(fsyncDirectory(join(root, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('the file blob store with shared directory syncs', () => {
  it('puts writes in flight together in one directory, syncs it fewer times than it writes, and spreads blobs over time', async () => {
    const root = tempRoot();
    const synced: string[] = [];
    const store = createFileBlobStore(root, {
      syncDirectory: createDirectorySync(async (dir) => {
        synced.push(dir);
        await fsyncDirectory(dir);
      }),
    });
    const write = () => store.write(Readable.from([Buffer.from('body')]), {});
    const together = await Promise.all(Array.from({ length: 16 }, write));
    // At most one change of directory among 16 consecutive ids.
    expect(new Set(together.map((blob) => blob.id.slice(0, 2))).size).toBeLessThanOrEqual(2);
    expect(synced.length).toBeLessThan(16);
    for (const blob of together) expect((await store.readBuffer(blob.id)).toString()).toBe('body');
    // Later writes move on to other directories: 300 blobs cover at least four.
    const later: string[] = [];
    for (let i = 0; i < 300; i += 1) later.push((await write()).id.slice(0, 2));
    expect(new Set(later).size).toBeGreaterThanOrEqual(4);
  });
});
