import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { both, concurrencyOf, defaultConcurrency, mapConcurrently, maxConcurrency, oneAtATimePerKey, parseConcurrency, vitestMaxConcurrency } from './concurrency.js';

/** A call that finishes when the test says so, and what was in flight at any time. */
class Gate {
  inFlight = 0;
  maxInFlight = 0;
  readonly started: number[] = [];
  private readonly waiting = new Map<number, () => void>();

  enter(index: number): Promise<void> {
    this.started.push(index);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve) =>
      this.waiting.set(index, () => {
        this.inFlight -= 1;
        resolve();
      }),
    );
  }

  /** The calls started and not yet let go. */
  pending(): number[] {
    return [...this.waiting.keys()];
  }

  /** Lets call `index` finish; resolves once it has been started and let go. */
  async release(index: number): Promise<void> {
    while (!this.waiting.has(index)) await new Promise((resolve) => setImmediate(resolve));
    this.waiting.get(index)!();
    this.waiting.delete(index);
  }
}

describe('IBEE_CONCURRENCY', () => {
  it('is a whole number from 1 to the maximum; absent or empty is the default', () => {
    expect(parseConcurrency(undefined)).toBe(defaultConcurrency);
    expect(parseConcurrency('  ')).toBe(defaultConcurrency);
    expect(parseConcurrency('1')).toBe(1);
    expect(parseConcurrency(` ${maxConcurrency} `)).toBe(maxConcurrency);
    for (const bad of ['0', String(maxConcurrency + 1), '-2', '2.5', 'eight']) expect(() => parseConcurrency(bad)).toThrow(/IBEE_CONCURRENCY/);
    class Refused extends Error {}
    expect(() => parseConcurrency('x', (message) => new Refused(message))).toThrow(Refused);
  });

  it("is vitest's maxConcurrency too, the default when it is invalid (the run settings refuse it, saying why)", () => {
    expect(vitestMaxConcurrency({ IBEE_CONCURRENCY: '3' })).toBe(3);
    expect(vitestMaxConcurrency({})).toBe(defaultConcurrency);
    expect(vitestMaxConcurrency({ IBEE_CONCURRENCY: 'lots' })).toBe(defaultConcurrency);
  });

  it('is one at a time for settings that do not say', () => {
    expect(concurrencyOf({})).toBe(1);
    expect(concurrencyOf({ concurrency: 6 })).toBe(6);
  });
});

describe('mapConcurrently', () => {
  it('keeps at most `limit` calls in flight, starts them in order and gives the results in order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.infiniteStream(fc.nat()), async (count, limit, picks) => {
        const gate = new Gate();
        const items = Array.from({ length: count }, (_, i) => i);
        const seen: number[] = [];
        const mapped = mapConcurrently(items, limit, async (item) => {
          await gate.enter(item);
          return item * 10;
        }, (result, index) => seen.push(index * 10 === result ? index : -1));
        // Once as many calls are in flight as may be, one of them (a drawn one) finishes.
        const pick = picks[Symbol.iterator]();
        for (let finished = 0; finished < count; finished += 1) {
          while (gate.pending().length < Math.min(limit, count - finished)) await new Promise((resolve) => setImmediate(resolve));
          const pending = gate.pending();
          await gate.release(pending[pick.next().value! % pending.length]!);
        }
        expect(await mapped).toEqual(items.map((i) => i * 10));
        expect(gate.maxInFlight).toBeLessThanOrEqual(limit);
        expect(gate.started).toEqual(items);
        expect(seen).toEqual(items);
      }),
      { numRuns: 40 },
    );
  });

  it('with limit 1 is a plain loop', async () => {
    const order: string[] = [];
    await mapConcurrently(['a', 'b', 'c'], 1, async (item) => {
      order.push(`start ${item}`);
      await new Promise((resolve) => setImmediate(resolve));
      order.push(`end ${item}`);
    }, (_, index) => order.push(`seen ${index}`));
    expect(order).toEqual(['start a', 'end a', 'seen 0', 'start b', 'end b', 'seen 1', 'start c', 'end c', 'seen 2']);
  });

  it('after a failure starts nothing more, lets the calls in flight settle, and throws the error of the first failed item', async () => {
    const gate = new Gate();
    const seen: number[] = [];
    const mapped = mapConcurrently(
      [0, 1, 2, 3, 4, 5],
      3,
      async (item) => {
        await gate.enter(item);
        if (item === 1 || item === 2) throw new Error(`item ${item} failed`);
        return item;
      },
      (_, index) => seen.push(index),
    );
    const outcome = mapped.then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    // 0 finishes and 3 starts; then 2 fails, and nothing starts any more; 3 and 1 (which fails too) settle.
    await gate.release(0);
    await gate.release(2);
    await gate.release(3);
    await gate.release(1);
    expect(await outcome).toBe('item 1 failed');
    expect(gate.started).toEqual([0, 1, 2, 3]);
    // Only what comes before the first failed item is seen, in order.
    expect(seen).toEqual([0]);
  });
});

describe('oneAtATimePerKey', () => {
  it('runs calls for one key one after the other, in order, and calls for other keys meanwhile', async () => {
    const run = oneAtATimePerKey<string>();
    const gate = new Gate();
    const order: string[] = [];
    const call = (key: string, index: number) =>
      run(key, async () => {
        order.push(`start ${index}`);
        await gate.enter(index);
        order.push(`end ${index}`);
        if (index === 0) throw new Error('the first call failed');
        return index;
      });
    const first = call('a', 0).catch((error: Error) => error.message);
    const second = call('a', 1);
    const other = call('b', 2);
    await gate.release(2);
    expect(await other).toBe(2);
    expect(order).toEqual(['start 0', 'start 2', 'end 2']);
    await gate.release(0);
    expect(await first).toBe('the first call failed');
    await gate.release(1);
    expect(await second).toBe(1);
    expect(order).toEqual(['start 0', 'start 2', 'end 2', 'end 0', 'start 1', 'end 1']);
    expect(gate.maxInFlight).toBe(2);
  });
});

describe('both', () => {
  it('runs the two one after the other with concurrency 1, else at once', async () => {
    for (const concurrency of [1, 2]) {
      const gate = new Gate();
      const done = both(
        concurrency,
        async () => {
          await gate.enter(0);
          return 'first';
        },
        async () => {
          await gate.enter(1);
          return 2;
        },
      );
      await gate.release(0);
      await gate.release(1);
      expect(await done).toEqual(['first', 2]);
      expect(gate.maxInFlight).toBe(concurrency === 1 ? 1 : 2);
    }
  });
});
