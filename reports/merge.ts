import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { aggregate, prepareChecks, type AggregateOptions, type RunInfo } from './aggregate.js';
import { readChecksFile } from './checks-file.js';
import type { CheckRecord, Results } from './results-format.js';
import { outputFiles, uniqueChecks } from './write.js';

/**
 * Merging shard outputs: each shard directory holds results.json and checks.jsonl (written by `run`). The merged
 * report is aggregated again from the union of the checks, so a requirement skipped in one shard (its checks ran
 * in another) is judged on all of them.
 *
 * Sharded inputs must cover every shard 1..n exactly once, with one n and one seed: a shard that died before
 * uploading its output would otherwise leave part of the suite unrun behind a passing gate. Those gaps become run
 * errors (so the gate fails), yet the merged report is still written to show what did run.
 */

export interface ShardOutput {
  readonly dir: string;
  readonly results: Results;
  readonly checks: readonly CheckRecord[];
  readonly problems: readonly string[];
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function readShard(dir: string): Promise<ShardOutput> {
  const resultsPath = join(dir, outputFiles.results);
  if (!(await exists(resultsPath))) throw new Error(`${dir}: no ${outputFiles.results} (is this an output directory of \`ibee-conformance run\`?)`);
  let results: Results;
  try {
    results = JSON.parse(await readFile(resultsPath, 'utf8')) as Results;
  } catch (error) {
    throw new Error(`${resultsPath}: not valid JSON (${(error as Error).message})`);
  }
  if (!results || !Array.isArray(results.requirements) || !results.tool || !results.target) {
    throw new Error(`${resultsPath}: not a results file (missing tool, target or requirements)`);
  }
  const checksPath = join(dir, outputFiles.checks);
  if (await exists(checksPath)) {
    const { checks, problems } = await readChecksFile(checksPath);
    return { dir, results, checks, problems };
  }
  return { dir, results, checks: uniqueChecks(results), problems: [] };
}

function union<T>(lists: readonly (readonly T[] | undefined)[]): T[] {
  return [...new Set(lists.flatMap((l) => l ?? []))];
}

export interface MergedRun {
  readonly results: Results;
  readonly checks: readonly CheckRecord[];
  /** Things a reader should know that are not errors (none at present: unrelated inputs are refused, see mergeRefusal). */
  readonly notes: readonly string[];
}

const shardPattern = /^(\d+)\/(\d+)$/;

/**
 * Run errors for sharded inputs that do not form one complete run: every shard 1..n exactly once, one n, one seed.
 * Inputs without shard info (unsharded runs) are not checked, as before shards were recorded.
 */
export function shardCoverageErrors(shards: readonly ShardOutput[]): string[] {
  const sharded = shards.filter((s) => s.results.shard !== undefined);
  if (sharded.length === 0) return [];
  const errors: string[] = [];
  const unsharded = shards.filter((s) => s.results.shard === undefined);
  if (unsharded.length > 0) {
    errors.push(`Merge mixes sharded and unsharded outputs: ${unsharded.map((s) => s.dir).join(', ')} record no shard.`);
  }
  const byIndex = new Map<number, string[]>();
  const counts = new Set<number>();
  for (const s of sharded) {
    const match = shardPattern.exec(s.results.shard!);
    const index = Number(match?.[1]);
    const count = Number(match?.[2]);
    if (!match || count < 1 || index < 1 || index > count) {
      errors.push(`${s.dir}: shard "${s.results.shard}" is not i/n with 1 <= i <= n.`);
      continue;
    }
    counts.add(count);
    byIndex.set(index, [...(byIndex.get(index) ?? []), s.dir]);
  }
  const described = sharded.map((s) => `${s.dir}: ${s.results.shard}`).join(', ');
  if (counts.size > 1) {
    errors.push(`Merge inputs disagree on the shard count (${described}).`);
  } else if (counts.size === 1) {
    const [count] = [...counts] as [number];
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
    if (missing.length > 0) {
      errors.push(
        `Incomplete sharded run: missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} ` +
          `(got ${described}); the checks of the missing shards never ran.`,
      );
    }
    for (const [index, dirs] of [...byIndex].sort(([a], [b]) => a - b)) {
      if (dirs.length > 1) errors.push(`Duplicate shard ${index}/${count}: given ${dirs.length} times (${dirs.join(', ')}).`);
    }
  }
  const seeds = union(sharded.map((s) => [s.results.seed]));
  if (seeds.length > 1) {
    errors.push(`Shards of one run must share a seed, but they used ${seeds.join(', ')} (${sharded.map((s) => `${s.dir}: seed ${s.results.seed}`).join(', ')}).`);
  }
  return errors;
}

/** Inputs that are not parts of one run: merging them would give one report about two things. */
export class MergeRefused extends Error {
  override readonly name = 'MergeRefused';
}

/** What a run was judging: each embedded run starts its own mock on fresh ports, so those count as one target. */
function targetOf(results: Results): string {
  const { target } = results;
  return target.embedded ? `the embedded mock (${target.driver} driver)` : `${target.api_url} (S3 ${target.s3_endpoint}, ${target.driver} driver)`;
}

/**
 * Why the inputs cannot be merged, or null: they must share one target (and driver), and unsharded ones one seed.
 * Sharded inputs with different seeds are reported by shardCoverageErrors instead (the merged report still shows
 * what ran).
 */
export function mergeRefusal(shards: readonly ShardOutput[]): string | null {
  const targets = new Map<string, string[]>();
  for (const s of shards) targets.set(targetOf(s.results), [...(targets.get(targetOf(s.results)) ?? []), s.dir]);
  if (targets.size > 1) {
    return `will not merge runs of different targets: ${[...targets].map(([target, dirs]) => `${dirs.join(', ')}: ${target}`).join('; ')}`;
  }
  if (!shards.some((s) => s.results.shard !== undefined)) {
    const seeds = union(shards.map((s) => [s.results.seed]));
    if (seeds.length > 1) {
      return `will not merge unrelated runs (different seeds: ${shards.map((s) => `${s.dir}: seed ${s.results.seed}`).join(', ')}); only the shards of one run (--shard i/n, one seed) are merged`;
    }
  }
  return null;
}

export function mergeShards(shards: readonly ShardOutput[], options: AggregateOptions = {}): MergedRun {
  const first = shards[0];
  if (!first) throw new Error('merge needs at least one shard directory');
  const refusal = mergeRefusal(shards);
  if (refusal) throw new MergeRefused(refusal);
  const notes: string[] = [];
  const coverageErrors = shardCoverageErrors(shards);
  const startedAt = shards.map((s) => s.results.started_at).sort()[0]!;
  const finishedAt = shards.map((s) => s.results.finished_at).sort().at(-1)!;
  const onlies = shards.map((s) => s.results.only);
  const run: RunInfo = {
    tool: first.results.tool,
    target: {
      ...first.results.target,
      capabilities: Object.assign({}, ...shards.map((s) => s.results.target.capabilities)) as Results['target']['capabilities'],
    },
    started_at: startedAt,
    finished_at: finishedAt,
    // Shards often run one after another or wait for a runner: the span would count those gaps as run time.
    merged: {
      inputs: shards.length,
      durationMs: shards.reduce((sum, s) => sum + s.results.summary.durationMs, 0),
      wallClockMs: Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)),
    },
    seed: first.results.seed,
    runs: first.results.runs,
    ...(onlies.every((o) => o && o.length > 0) ? { only: union(onlies) } : {}),
    errors: [
      ...coverageErrors,
      ...union([...shards.map((s) => s.results.errors), ...shards.map((s) => s.problems)]).filter(
        // Recomputed by aggregate from the checks themselves.
        (e) => !/^Check ".*" names unknown requirement id/.test(e),
      ),
    ],
  };
  const checks = prepareChecks(shards.flatMap((s) => s.checks), run, options);
  return { results: aggregate(checks, run, options), checks, notes };
}
