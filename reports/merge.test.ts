import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { aggregate, gate, prepareChecks, type RunInfo } from './aggregate.js';
import { MergeRefused, mergeRefusal, mergeShards, readShard, shardCoverageErrors, type ShardOutput } from './merge.js';
import type { CheckRecord, Results } from './results-format.js';
import { fixtureChecks, fixtureRun, issueSecrets } from './test/fixtures.js';
import { formatRunDuration } from './text.js';
import { writeReports } from './write.js';

const secrets = issueSecrets();

/** An in-memory shard output: only the fields the coverage check reads matter. */
function fakeShard(dir: string, shard: string | undefined, seed = 42): ShardOutput {
  const run = fixtureRun({ seed, ...(shard !== undefined ? { shard } : {}) });
  return { dir, results: aggregate([], run), checks: [], problems: [] };
}

describe('shard coverage of a merge', () => {
  it('accepts exactly the inputs that are a permutation of shards 1..n (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 8 }), (count, picked) => {
        const indexes = picked.filter((i) => i <= count);
        const shards = indexes.map((i, k) => fakeShard(`out/${k}`, `${i}/${count}`));
        const complete = indexes.length === count && new Set(indexes).size === count;
        const errors = shardCoverageErrors(shards);
        if (indexes.length === 0) expect(errors).toEqual([]); // nothing sharded: unsharded rules apply
        else expect(errors.length === 0).toBe(complete);
      }),
    );
  });

  it('names the missing shards', () => {
    const errors = shardCoverageErrors([fakeShard('out/a', '1/3')]);
    expect(errors).toEqual([expect.stringMatching(/missing shards 2\/3, 3\/3 \(got out\/a: 1\/3\)/)]);
  });

  it('names duplicate shards and the directories that hold them', () => {
    const errors = shardCoverageErrors([fakeShard('out/a', '1/2'), fakeShard('out/b', '2/2'), fakeShard('out/c', '1/2')]);
    expect(errors).toEqual([expect.stringMatching(/Duplicate shard 1\/2: given 2 times \(out\/a, out\/c\)/)]);
  });

  it('rejects inputs with different shard counts, seeds, or some unsharded', () => {
    expect(shardCoverageErrors([fakeShard('a', '1/2'), fakeShard('b', '2/3')])).toEqual([expect.stringMatching(/disagree on the shard count \(a: 1\/2, b: 2\/3\)/)]);
    expect(shardCoverageErrors([fakeShard('a', '1/2', 1), fakeShard('b', '2/2', 2)])).toEqual([expect.stringMatching(/share a seed.*a: seed 1, b: seed 2/)]);
    expect(shardCoverageErrors([fakeShard('a', '1/1'), fakeShard('b', undefined)])).toEqual([expect.stringMatching(/mixes sharded and unsharded.*b record no shard/)]);
    expect(shardCoverageErrors([fakeShard('a', '0/2'), fakeShard('b', '2/2')])).toEqual([
      expect.stringMatching(/a: shard "0\/2" is not i\/n/),
      expect.stringMatching(/missing shard 1\/2/),
    ]);
  });

  it('leaves unsharded inputs alone in the coverage check; merging unsharded runs of different seeds is refused', () => {
    expect(shardCoverageErrors([fakeShard('a', undefined, 1), fakeShard('b', undefined, 2)])).toEqual([]);
    expect(() => mergeShards([fakeShard('a', undefined, 1), fakeShard('b', undefined, 2)])).toThrow(MergeRefused);
    expect(() => mergeShards([fakeShard('a', undefined, 1), fakeShard('b', undefined, 2)])).toThrow(/different seeds: a: seed 1, b: seed 2/);
    // The same run's output given twice (or one unsharded run) still merges.
    expect(mergeShards([fakeShard('a', undefined, 1), fakeShard('b', undefined, 1)]).results.errors).toBeUndefined();
  });
});

describe('merging unrelated runs', () => {
  const embedded = { api_url: 'http://127.0.0.1:40001', s3_endpoint: 'http://127.0.0.1:40002', driver: 'rest', embedded: true, capabilities: {} };
  const external = (host: string, driver = 'rest') => ({ api_url: `https://api.${host}`, s3_endpoint: `https://p1.blob.${host}`, driver, embedded: false, capabilities: {} });

  function shardOn(dir: string, target: Results['target'], shard: string | undefined, seed: number, durationS = 30): ShardOutput {
    const start = Date.parse('2026-11-27T09:00:00.000Z') + Number(dir.replace(/\D/g, '') || 0) * 60_000;
    const run = fixtureRun({
      target,
      seed,
      started_at: new Date(start).toISOString(),
      finished_at: new Date(start + durationS * 1000).toISOString(),
      ...(shard !== undefined ? { shard } : {}),
    });
    return { dir, results: aggregate([], run), checks: [], problems: [] };
  }

  it('refuses runs of different targets or drivers, naming each input and its target (property)', () => {
    const target = fc.oneof(
      fc.constant(embedded),
      fc.constantFrom('example.test', 'other.test').map((host) => external(host)),
      fc.constant(external('example.test', 'manual')),
    );
    fc.assert(
      fc.property(fc.array(target, { minLength: 1, maxLength: 4 }), fc.boolean(), (targets, sharded) => {
        const shards = targets.map((t, i) => shardOn(`out${i + 1}`, t, sharded ? `${i + 1}/${targets.length}` : undefined, 42));
        const distinct = new Set(targets.map((t) => (t.embedded ? `embedded ${t.driver}` : `${t.api_url} ${t.driver}`))).size;
        if (distinct > 1) {
          expect(() => mergeShards(shards)).toThrow(MergeRefused);
          const message = mergeRefusal(shards)!;
          expect(message).toMatch(/^will not merge runs of different targets/);
          for (const s of shards) expect(message).toContain(s.dir);
        } else {
          expect(mergeShards(shards).results.errors).toBeUndefined();
        }
      }),
    );
  });

  it('refuses the embedded mock with seed 42 next to an external target with seed 7', () => {
    expect(() => mergeShards([shardOn('out1', embedded, undefined, 42), shardOn('out2', external('example.test'), undefined, 7)])).toThrow(
      /different targets: out1: the embedded mock \(rest driver\); out2: https:\/\/api\.example\.test/,
    );
  });

  it('gives a merge the sum of the shard durations, and the wall-clock span apart', () => {
    // Shards start a minute apart and each runs 30 s: 90 s of work over a 2 min 30 s span.
    const shards = [1, 2, 3].map((i) => shardOn(`out${i}`, embedded, `${i}/3`, 42));
    const merged = mergeShards(shards).results;
    expect(merged.summary.durationMs).toBe(90_000);
    expect(merged.merged).toEqual({ inputs: 3, wallClockMs: 150_000 });
    expect(formatRunDuration(merged)).toBe('90.0 s (sum of 3 merged runs; 2 min 30 s from first start to last finish)');
    expect(formatRunDuration(shards[0]!.results)).toBe('30.0 s');
  });
});

describe('merging an incomplete set of shard outputs', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  async function writeShard(checks: readonly CheckRecord[], run: RunInfo): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ibee-merge-'));
    dirs.push(dir);
    const prepared = prepareChecks(checks, run);
    await writeReports(dir, aggregate(prepared, run), prepared);
    return dir;
  }

  it('records the shard in results.json, fails the gate when shards are missing, and still writes the report', async () => {
    const passing = fixtureChecks(secrets).filter((c) => c.status !== 'failed');
    const one = await writeShard(passing, fixtureRun({ shard: '1/3' }));
    const written = JSON.parse(await readFile(join(one, 'results.json'), 'utf8')) as Results;
    expect(written.shard).toBe('1/3');
    expect(gate(written).ok).toBe(true); // the shard on its own is fine

    const merged = mergeShards([await readShard(one)]);
    expect(merged.results.errors).toEqual([expect.stringMatching(/missing shards 2\/3, 3\/3/)]);
    const out = await mkdtemp(join(tmpdir(), 'ibee-merged-'));
    dirs.push(out);
    const verdict = await writeReports(out, merged.results, merged.checks);
    expect(verdict.ok).toBe(false);
    expect(verdict.reasons).toEqual([expect.stringMatching(/^Run error: Incomplete sharded run: missing shards 2\/3, 3\/3/)]);
    // What did run is still there to read.
    const report = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;
    expect(report.summary.checks.total).toBe(merged.checks.length);
    expect(report.summary.checks.total).toBeGreaterThan(0);
    expect(report.errors).toEqual(merged.results.errors);

    // With the other shards present the same merge passes.
    const two = await writeShard([], fixtureRun({ shard: '2/3' }));
    const three = await writeShard([], fixtureRun({ shard: '3/3' }));
    const complete = mergeShards(await Promise.all([three, one, two].map(readShard)));
    expect(complete.results.errors).toBeUndefined();
  });
});
