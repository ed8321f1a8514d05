import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CleanupRegistry, readJournal } from './cleanup.js';

describe('cleanup registry', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('journals exactly what is still outstanding, whatever the order of creations and removals', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('token', 'bucket'), fc.nat({ max: 5 }), fc.boolean()), { maxLength: 30 }), (steps) => {
        const dir = mkdtempSync(join(tmpdir(), 'ibee-cleanup-'));
        dirs.push(dir);
        const journal = join(dir, 'j.jsonl');
        const registry = new CleanupRegistry('run1', journal);
        for (const [kind, n, remove] of steps) {
          if (kind === 'token') {
            if (remove) registry.tokenRemoved(`t${n}`);
            else registry.trackToken(`t${n}`);
          } else if (remove) registry.bucketRemoved(`run1-b${n}`);
          else registry.trackBucket(`run1-b${n}`);
        }
        const fromJournal = readJournal(journal);
        const inMemory = registry.outstanding();
        expect([...fromJournal.tokenIds].sort()).toEqual([...inMemory.tokenIds].sort());
        expect([...fromJournal.buckets].sort()).toEqual([...inMemory.buckets].sort());
      }),
      { numRuns: 50 },
    );
  });

  it('journals requested token names before creation, only under the run prefix', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom('run1-', 'run10-', 'run1', 'x-'), fc.string({ maxLength: 3 })).chain((p) => fc.tuple(fc.constant(p), fc.string({ maxLength: 8 }))), { maxLength: 20 }), (parts) => {
        const dir = mkdtempSync(join(tmpdir(), 'ibee-cleanup-'));
        dirs.push(dir);
        const journal = join(dir, 'j.jsonl');
        const registry = new CleanupRegistry('run1', journal);
        const names = parts.map(([prefix, rest]) => `${prefix}${rest}`);
        for (const name of names) registry.intendToken(name);
        expect([...readJournal(journal).tokenNames].sort()).toEqual([...new Set(names.filter((n) => n.startsWith('run1-')))].sort());
      }),
      { numRuns: 50 },
    );
  });

  it('never touches a bucket outside the run prefix', () => {
    const registry = new CleanupRegistry('run1', null);
    expect(() => registry.trackBucket('someone-elses-bucket')).toThrow(/run prefix/);
    expect(registry.owns('run1-x')).toBe(true);
    expect(registry.owns('run10-x')).toBe(false);
  });

  it('removes buckets before revoking tokens, and reports what it could not remove', async () => {
    const registry = new CleanupRegistry('run1', null);
    registry.trackToken('t1');
    registry.trackToken('t2');
    registry.trackBucket('run1-a');
    registry.trackBucket('run1-b');
    const order: string[] = [];
    const left = await registry.cleanUp(
      { removeBucket: async (name) => (order.push(name), name === 'run1-a') },
      { retireToken: async (id) => (order.push(id), id === 't1') },
    );
    expect(order).toEqual(['run1-a', 'run1-b', 't1', 't2']);
    expect(left).toEqual({ tokenIds: ['t2'], buckets: ['run1-b'] });
  });

  it('removes several at a time, keeps the kept tokens until the buckets are gone, and journals every removal (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.nat({ max: 20 }), { maxLength: 12 }),
        fc.uniqueArray(fc.nat({ max: 20 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 2, max: 6 }),
        fc.func(fc.boolean()),
        fc.infiniteStream(fc.nat({ max: 3 })),
        async (buckets, tokens, concurrency, removable, delays) => {
          const dir = mkdtempSync(join(tmpdir(), 'ibee-cleanup-'));
          dirs.push(dir);
          const journal = join(dir, 'j.jsonl');
          const registry = new CleanupRegistry('run1', journal);
          for (const n of buckets) registry.trackBucket(`run1-b${n}`);
          for (const n of tokens) registry.trackToken(`t${n}`);
          const kept = `t${tokens[0]}`;
          const delay = delays[Symbol.iterator]();
          let inFlight = 0;
          let maxInFlight = 0;
          let bucketsLeft = buckets.length;
          // Each removal takes a drawn number of turns of the event loop; some fail.
          const removal = async (name: string): Promise<boolean> => {
            inFlight += 1;
            maxInFlight = Math.max(maxInFlight, inFlight);
            for (let turns = delay.next().value!; turns > 0; turns -= 1) await new Promise((resolve) => setImmediate(resolve));
            inFlight -= 1;
            return removable(name);
          };
          await registry.cleanUp(
            {
              removeBucket: async (name) => {
                const removed = await removal(name);
                bucketsLeft -= 1;
                return removed;
              },
            },
            { retireToken: (id) => removal(id) },
            [kept],
            concurrency,
          );
          expect(maxInFlight).toBeLessThanOrEqual(2 * concurrency);
          const left = registry.outstanding();
          expect(left.tokenIds).toContain(kept);
          expect(bucketsLeft).toBe(0);
          // What the journal says is left is exactly what the registry says: no removal lost, none made up.
          const journaled = readJournal(journal);
          expect([...journaled.tokenIds].sort()).toEqual([...left.tokenIds].sort());
          expect([...journaled.buckets].sort()).toEqual([...left.buckets].sort());
          expect(left.buckets.filter((name) => removable(name))).toEqual([]);
          expect(left.tokenIds.filter((id) => id !== kept && removable(id))).toEqual([]);
          // The kept token goes last, on its own.
          await registry.cleanUp(null, { retireToken: async (id) => id === kept }, [], concurrency);
          expect(readJournal(journal).tokenIds).not.toContain(kept);
        },
      ),
      { numRuns: 40 },
    );
  });
});
