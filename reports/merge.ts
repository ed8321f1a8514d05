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
  /** Things a reader should know that are not errors (for example shards that used different seeds). */
  readonly notes: readonly string[];
}

export function mergeShards(shards: readonly ShardOutput[], options: AggregateOptions = {}): MergedRun {
  const first = shards[0];
  if (!first) throw new Error('merge needs at least one shard directory');
  const notes: string[] = [];
  const seeds = union(shards.map((s) => [s.results.seed]));
  if (seeds.length > 1) notes.push(`Shards used different seeds (${seeds.join(', ')}); the merged report shows the first. Each failure's replay names its own seed.`);
  // Each embedded run starts its own mock on a fresh port; only external targets must agree.
  const targets = union(shards.map((s) => [s.results.target.embedded ? 'the embedded mock' : s.results.target.s3_endpoint]));
  if (targets.length > 1) notes.push(`Shards ran against different targets (${targets.join(', ')}); the merged report names the first.`);
  const onlies = shards.map((s) => s.results.only);
  const run: RunInfo = {
    tool: first.results.tool,
    target: {
      ...first.results.target,
      capabilities: Object.assign({}, ...shards.map((s) => s.results.target.capabilities)) as Results['target']['capabilities'],
    },
    started_at: shards.map((s) => s.results.started_at).sort()[0]!,
    finished_at: shards.map((s) => s.results.finished_at).sort().at(-1)!,
    seed: first.results.seed,
    runs: first.results.runs,
    ...(onlies.every((o) => o && o.length > 0) ? { only: union(onlies) } : {}),
    errors: union([...shards.map((s) => s.results.errors), ...shards.map((s) => s.problems)]).filter(
      // Recomputed by aggregate from the checks themselves.
      (e) => !/^Check ".*" names unknown requirement id/.test(e),
    ),
  };
  const checks = prepareChecks(shards.flatMap((s) => s.checks), run, options);
  return { results: aggregate(checks, run, options), checks, notes };
}
