/**
 * Regression tests from a review of 0802b9a (createDirectorySync: directory fsyncs shared between writes in flight together): errors reach
 * exactly the callers of the failed sync, nobody hangs, the per-directory state is dropped once idle.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFileBlobStore } from '../store/blobs-files.js';
import { createDirectorySync, fsyncDirectory } from '../store/directory-sync.js';
import { temporaryDirectories } from '../store/test/fixtures.js';

const tempRoot = temporaryDirectories('ibee-review-dirsync-');

/** Resolves to 'hung' when `promise` has not settled within `ms` (a generous bound: a hang, not a timing). */
function settlesWithin(promise: Promise<unknown>, ms = 3_000): Promise<'ok' | 'error' | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(
      () => 'ok' as const,
      () => 'error' as const,
    ),
    new Promise<'hung'>((resolve) => {
      timer = setTimeout(() => resolve('hung'), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe('createDirectorySync under failures', () => {
  it('a sync function that throws instead of rejecting fails its callers and does not wedge the directory for good', async () => {
    // fs.open throws synchronously for some arguments (ERR_INVALID_ARG_*), and an injected syncOne may be a plain
    // function. `start` sets running = true before calling syncOne; a synchronous throw leaves it set, so every
    // later caller for that directory waits for a sync that never comes.
    let calls = 0;
    const sync = createDirectorySync((dir) => {
      calls += 1;
      if (calls === 1) throw new Error(`cannot open ${dir}`);
      return Promise.resolve();
    });
    expect(await settlesWithin(sync('d'))).toBe('error');
    expect(await settlesWithin(sync('d')), 'the next caller of the same directory').toBe('ok');
  });

  it('the same, when the throw happens in a sync started for the callers that waited behind another', async () => {
    let calls = 0;
    let endFirst: (() => void) | undefined;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const sync = createDirectorySync(() => {
        calls += 1;
        if (calls === 1) return new Promise<void>((resolve) => (endFirst = resolve));
        if (calls === 2) throw new Error('second sync throws');
        return Promise.resolve();
      });
      const first = sync('d');
      const second = sync('d'); // waits for the next sync, which throws when it starts
      endFirst!();
      expect(await settlesWithin(first)).toBe('ok');
      expect(await settlesWithin(second), 'the caller of the sync that threw').toBe('error');
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled, 'no unhandled rejection from the .finally that starts the next sync').toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('EIO reaches exactly the callers of the failed sync; those who asked while it ran share the next; nothing hangs (model)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ dir: fc.constantFrom('a', 'b'), callers: fc.integer({ min: 1, max: 5 }), firstFails: fc.boolean(), nextFails: fc.boolean() }),
          { minLength: 1, maxLength: 10 },
        ),
        async (rounds) => {
          const ends = new Map<string, Array<(error?: Error) => void>>();
          let started = 0;
          const sync = createDirectorySync(
            (dir) =>
              new Promise<void>((resolve, reject) => {
                started += 1;
                ends.set(dir, [...(ends.get(dir) ?? []), (error) => (error ? reject(error) : resolve())]);
              }),
          );
          const eio = () => Object.assign(new Error('EIO'), { code: 'EIO' });
          for (const round of rounds) {
            // Idle directory: the first caller starts a sync at once (so no state was left behind by the last round).
            const before = started;
            const outcomes = Array.from({ length: round.callers }, () => settlesWithin(sync(round.dir)));
            expect(started - before).toBe(1);
            ends.get(round.dir)!.shift()!(round.firstFails ? eio() : undefined);
            await new Promise((resolve) => setImmediate(resolve));
            // The others asked while the first ran: one more sync, shared by all of them.
            expect(started - before).toBe(round.callers > 1 ? 2 : 1);
            if (round.callers > 1) ends.get(round.dir)!.shift()!(round.nextFails ? eio() : undefined);
            const expected = Array.from({ length: round.callers }, (_, i) => ((i === 0 ? round.firstFails : round.nextFails) ? 'error' : 'ok'));
            expect(await Promise.all(outcomes)).toEqual(expected);
            await new Promise((resolve) => setImmediate(resolve));
            expect(ends.get(round.dir)!.length, 'no sync started that nobody waits for').toBe(0);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('the file store: a directory fsync that fails rejects the write, leaves no temporary file, and the next writes succeed', async () => {
    const root = tempRoot();
    let failNext = 0;
    const store = createFileBlobStore(root, {
      syncDirectory: createDirectorySync(async (dir) => {
        if (failNext > 0) {
          failNext -= 1;
          throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
        }
        await fsyncDirectory(dir);
      }),
    });
    failNext = 1;
    const together = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.write(Readable.from([Buffer.from(`b${i}`)]), {})));
    const failed = together.filter((outcome) => outcome.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    for (const outcome of failed) expect((outcome.reason as { code?: string }).code).toBe('EIO');
    // The writes that succeeded read back.
    for (const [i, outcome] of together.entries()) {
      if (outcome.status === 'fulfilled') expect((await store.readBuffer(outcome.value.id)).toString()).toBe(`b${i}`);
    }
    const later = await store.write(Readable.from([Buffer.from('later')]), {});
    expect((await store.readBuffer(later.id)).toString()).toBe('later');
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it('clear() racing writes and removes: clear never fails, nobody hangs, tmp/ ends empty, writes after clear() are all there', async () => {
    const root = tempRoot();
    const store = createFileBlobStore(root);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant('write' as const), fc.constant('remove' as const), fc.constant('clear' as const), fc.nat({ max: 3 })), { minLength: 5, maxLength: 60 }),
        async (ops) => {
          const written: string[] = [];
          const inFlight: Array<Promise<unknown>> = [];
          const outcomes: Array<Promise<'ok' | 'error' | 'hung'>> = [];
          const clears: Array<Promise<'ok' | 'error' | 'hung'>> = [];
          for (const [i, op] of ops.entries()) {
            if (op === 'write') {
              const write = store.write(Readable.from([Buffer.from(`w${i}`)]), {}).then((blob) => written.push(blob.id));
              inFlight.push(write);
              outcomes.push(settlesWithin(write, 10_000));
            } else if (op === 'remove' && written.length > 0) {
              outcomes.push(settlesWithin(store.remove(written[written.length - 1]!), 10_000));
            } else if (op === 'clear') {
              clears.push(settlesWithin(store.clear(), 10_000));
            } else if (typeof op === 'number') {
              // Let some of what is in flight advance.
              for (let n = 0; n <= op; n += 1) await new Promise((resolve) => setImmediate(resolve));
            }
          }
          expect(await Promise.all(clears), 'clear() outcomes').toEqual(clears.map(() => 'ok'));
          expect((await Promise.all(outcomes)).filter((outcome) => outcome === 'hung')).toEqual([]);
          await Promise.allSettled(inFlight);
          expect(readdirSync(join(root, 'tmp'))).toEqual([]);
          // With nothing in flight, clear() then writes: every one of them is stored.
          await store.clear();
          const after = await Promise.all(Array.from({ length: 5 }, (_, i) => store.write(Readable.from([Buffer.from(`after ${i}`)]), {})));
          for (const [i, blob] of after.entries()) expect((await store.readBuffer(blob.id)).toString()).toBe(`after ${i}`);
        },
      ),
      { numRuns: 40 },
    );
  });
});
