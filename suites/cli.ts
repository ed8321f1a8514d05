import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { iamPolicyFor, isRequirementId, isValidBucketName, permissionTypes, requirements, sourceUrl, type PermissionType } from '../spec/index.js';
import { aggregate, prepareChecks, type RunInfo } from '../reports/aggregate.js';
import { loadExpectations, type Expectations } from '../reports/expectations.js';
import { MergeRefused, mergeShards, readShard } from '../reports/merge.js';
import type { Results } from '../reports/results-format.js';
import { formatSummary } from '../reports/text.js';
import { ensureWritableDir, OutputDirError, writeReports } from '../reports/write.js';
import { packageInfo } from './package-root.js';
import { runSuites } from './runner.js';
import { ConfigError, driverNames, noRestApiUrl, readRunConfiguration, withFlags, type DriverName, type RunConfiguration } from './target/config.js';
import { credentialsFileHelp } from './target/manual-driver.js';
import { defaultConcurrency, maxConcurrency } from './target/concurrency.js';
import { describeUnreachable, probeEndpoints } from './target/reachability.js';

/**
 * ibee-conformance: `run` judges a target (the embedded mock when none is given) and writes report.html,
 * results.json and junit.xml; `merge` joins shard outputs; `requirements` lists the catalogue.
 * Exit codes: 0 conforming (no MUST failure beyond the expectations), 1 not conforming or the run broke,
 * 2 bad usage or configuration, 3 the run could not be carried out (an endpoint unreachable, --out unusable:
 * nothing was judged), 130 interrupted.
 */

const defaultOutDir = 'reports/out';

interface RunFlags {
  apiUrl?: string;
  s3Endpoint?: string;
  projectId?: string;
  workspaceId?: string;
  managementToken?: string;
  apiToken?: string;
  region?: string;
  driver?: DriverName;
  credentials?: string;
  runs?: string;
  seed?: string;
  only?: string;
  shard?: string;
  expectations?: string;
  allowConfigWrites?: boolean;
  concurrency?: string;
  out: string;
}

class UsageError extends Error {}

/** The run could not be carried out at all (not a verdict on the target): exit code 3. */
class RunError extends Error {}

const exitCodes = { usage: 2, runError: 3 } as const;

/** Fails early, before any check, when the output directory cannot hold the reports. */
async function checkOutDir(dir: string): Promise<void> {
  try {
    await ensureWritableDir(dir);
  } catch (error) {
    if (error instanceof OutputDirError) throw new RunError(`--out: ${error.message}`);
    throw error;
  }
}

function parseShard(value: string): string {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) throw new InvalidArgumentError('expected i/n with 1 <= i <= n, e.g. 2/3');
  return value;
}

function parseOnly(value: string): string {
  const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !isRequirementId(id));
  if (ids.length === 0) throw new InvalidArgumentError('expected requirement ids separated by commas');
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown requirement id(s) ${unknown.join(', ')} (see \`ibee-conformance requirements\`)`);
  return ids.join(',');
}

/** POSIX shell quoting for the replay command. */
function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** --project-id and --workspace-id are one setting: either flag (both only when they agree). */
function projectFlag(flags: RunFlags): string | undefined {
  if (flags.projectId !== undefined && flags.workspaceId !== undefined && flags.projectId !== flags.workspaceId) {
    throw new UsageError('--project-id and --workspace-id name the same setting but differ; give one of them');
  }
  return flags.projectId ?? flags.workspaceId;
}

/** The IBEE_* settings of a run: a flag wins over a variable already set. */
function settingsOf(flags: RunFlags): Record<string, string> {
  const project = projectFlag(flags);
  const fromFlags: Record<string, string | undefined> = {
    IBEE_API_URL: flags.apiUrl,
    IBEE_S3_ENDPOINT: flags.s3Endpoint,
    IBEE_PROJECT_ID: project,
    IBEE_MANAGEMENT_TOKEN: flags.managementToken,
    IBEE_API_TOKEN: flags.apiToken,
    IBEE_REGION: flags.region,
    IBEE_DRIVER: flags.driver,
    IBEE_CREDENTIALS_FILE: flags.credentials ? resolve(flags.credentials) : undefined,
    IBEE_RUNS: flags.runs,
    IBEE_SEED: flags.seed,
    IBEE_ONLY: flags.only,
    IBEE_ALLOW_CONFIG_WRITES: flags.allowConfigWrites ? '1' : undefined,
    IBEE_CONCURRENCY: flags.concurrency,
    // No flag: settable through the environment only.
    IBEE_RUN_PREFIX: undefined,
  };
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(fromFlags)) {
    const chosen = value ?? process.env[key];
    if (chosen !== undefined && chosen !== '') env[key] = chosen;
  }
  // IBEE_WORKSPACE_ID is IBEE_PROJECT_ID's other name: a project flag wins over either variable.
  if (project === undefined && process.env['IBEE_WORKSPACE_ID']) env['IBEE_WORKSPACE_ID'] = process.env['IBEE_WORKSPACE_ID'];
  return env;
}

async function loadExpectationsFlag(path: string | undefined): Promise<Expectations | undefined> {
  if (!path) return undefined;
  try {
    return await loadExpectations(path);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function finish(results: Results, checks: Parameters<typeof writeReports>[2], outDir: string, notes: readonly string[] = []): Promise<number> {
  let verdict: Awaited<ReturnType<typeof writeReports>>;
  try {
    verdict = await writeReports(outDir, results, checks);
  } catch (error) {
    // Checked before the run, but the disk can still fill up or the folder go away.
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('E')) throw new RunError(`could not write the reports into ${outDir}: ${code}`);
    throw error;
  }
  for (const note of notes) process.stderr.write(`note: ${note}\n`);
  process.stdout.write(`${formatSummary(results, verdict, outDir)}\n`);
  return verdict.ok ? 0 : 1;
}

async function runCommand(flags: RunFlags): Promise<number> {
  const env = settingsOf(flags);
  const expectations = await loadExpectationsFlag(flags.expectations);
  if (flags.credentials && !existsSync(flags.credentials)) throw new UsageError(`--credentials ${flags.credentials}: no such file`);
  // The suites' own parser validates the settings and settles the seed and prefix, once: the run gets them as
  // printed here.
  let configuration: RunConfiguration;
  try {
    configuration = readRunConfiguration(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(withFlags(error.message));
    throw error;
  }
  const { settings, target: external } = configuration;
  await checkOutDir(flags.out);
  if (external) {
    // An endpoint that cannot be reached would show up as a failure of every check; say so once, instead.
    const unreachable = await probeEndpoints([
      ...(external.apiUrl === null ? [] : [{ label: 'API URL', url: external.apiUrl }]),
      { label: 'S3 endpoint', url: external.s3Endpoint },
    ]);
    if (unreachable.length > 0) throw new RunError(`${unreachable.map(describeUnreachable).join('; ')}. Nothing was run.`);
  }
  const { name, version } = packageInfo();
  process.stderr.write(
    `${name} ${version}: ${external ? `${external.apiUrl ?? `REST API ${noRestApiUrl}`} (S3 ${external.s3Endpoint})` : 'embedded mock'}, driver ${settings.driver}, seed ${settings.seed}, runs ${settings.runs}, concurrency ${settings.concurrency}${flags.shard ? `, shard ${flags.shard}` : ''}\n`,
  );

  // The management and API tokens never leave this process: scrub them wherever they might be echoed.
  const knownSecrets = [env.IBEE_MANAGEMENT_TOKEN, env.IBEE_API_TOKEN].filter((s): s is string => !!s);
  const outcome = await runSuites({ configuration, ...(flags.shard ? { shard: flags.shard } : {}), progress: process.stderr, knownSecrets });

  const replayArgs = ['npx', 'ibee-conformance', 'run'];
  if (external) {
    if (external.apiUrl !== null && external.projectId !== null) replayArgs.push('--api-url', external.apiUrl, '--project-id', external.projectId);
    replayArgs.push('--s3-endpoint', external.s3Endpoint);
    if (env.IBEE_REGION) replayArgs.push('--region', external.region);
  }
  if (settings.driver !== 'rest') replayArgs.push('--driver', settings.driver);
  if (settings.credentialsFile) replayArgs.push('--credentials', settings.credentialsFile);
  if (settings.allowConfigWrites) replayArgs.push('--allow-config-writes');
  replayArgs.push('--runs', String(settings.runs));

  const run: RunInfo = {
    tool: { name, version },
    target: outcome.target ?? {
      api_url: external ? (external.apiUrl ?? noRestApiUrl) : 'embedded',
      s3_endpoint: external?.s3Endpoint ?? 'embedded',
      driver: settings.driver,
      embedded: external === null,
      capabilities: {},
    },
    started_at: outcome.startedAt.toISOString(),
    finished_at: outcome.finishedAt.toISOString(),
    seed: settings.seed,
    runs: settings.runs,
    ...(flags.shard ? { shard: flags.shard } : {}),
    ...(settings.only ? { only: settings.only } : {}),
    errors: outcome.errors,
    replayBase: replayArgs.map(shellQuote).join(' '),
  };
  const redact = { knownSecrets };
  const checks = prepareChecks(outcome.checks, run, redact);
  const results = aggregate(checks, run, { ...redact, ...(expectations ? { expectations } : {}) });
  const code = await finish(results, checks, flags.out);
  return outcome.interrupted ? 130 : code;
}

async function mergeCommand(dirs: readonly string[], flags: { expectations?: string; out: string }): Promise<number> {
  const expectations = await loadExpectationsFlag(flags.expectations);
  const shards = [];
  for (const dir of dirs) {
    try {
      shards.push(await readShard(dir));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  let merged: ReturnType<typeof mergeShards>;
  try {
    merged = mergeShards(shards, expectations ? { expectations } : {});
  } catch (error) {
    if (error instanceof MergeRefused) throw new UsageError(error.message);
    throw error;
  }
  await checkOutDir(flags.out);
  return finish(merged.results, merged.checks, flags.out, merged.notes);
}

/** Prints the IAM policy of a level on stdout (pipe it to `aws iam put-user-policy`) and what IAM cannot carry on stderr. */
function iamPolicyCommand(level: string, bucket: string | undefined): number {
  if (!(permissionTypes as readonly string[]).includes(level)) throw new UsageError(`--iam-policy: expected one of ${permissionTypes.join(', ')}, got ${JSON.stringify(level)}`);
  if (bucket !== undefined && !isValidBucketName(bucket)) throw new UsageError(`--bucket: ${JSON.stringify(bucket)} is not a valid bucket name`);
  const { policy, notes } = iamPolicyFor(level as PermissionType, bucket);
  process.stdout.write(`${JSON.stringify(policy, null, 2)}\n`);
  for (const note of notes) process.stderr.write(`note: ${note}\n`);
  return 0;
}

function requirementsCommand(flags: { json?: boolean; iamPolicy?: string; bucket?: string }): number {
  if (flags.iamPolicy !== undefined) return iamPolicyCommand(flags.iamPolicy, flags.bucket);
  if (flags.bucket !== undefined) throw new UsageError('--bucket goes with --iam-policy');
  if (flags.json) {
    const list = requirements.map((r) => ({
      id: r.id,
      level: r.level,
      basis: r.basis,
      area: r.area,
      title: r.title,
      statement: r.statement,
      sources: r.sources.map((tag) => ({ tag, url: sourceUrl(tag) })),
    }));
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  const rows = requirements.map((r) => [r.id, r.level, r.basis, r.area, r.title]);
  const header = ['ID', 'LEVEL', 'BASIS', 'AREA', 'TITLE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const format = (row: readonly string[]): string => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  process.stdout.write(`${[header, ...rows].map(format).join('\n')}\n`);
  return 0;
}

export function buildProgram(): Command {
  const { version } = packageInfo();
  const program = new Command()
    .name('ibee-conformance')
    .description("Judges an IBEE API-token and Object Storage endpoint (or the embedded mock) against IBEE's documented behaviour.")
    .version(version)
    .showHelpAfterError('(add --help for usage)')
    // Usage errors exit 2, so CI can tell them from a non-conforming target (1). Subcommands inherit this.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

  program
    .command('run')
    .description('Run the conformance suites and write report.html, results.json and junit.xml. With no target, starts the embedded mock.')
    .option('--api-url <url>', 'REST API base URL of the target (env IBEE_API_URL); needed by the rest and credentials drivers, optional with manual: without it the run judges S3 alone and every REST requirement is not applicable')
    .option('--s3-endpoint <url>', 'S3 endpoint of the target project (env IBEE_S3_ENDPOINT); always needed for an external target')
    .option('--project-id <id>', 'project id (env IBEE_PROJECT_ID); needed with --api-url')
    .option('--workspace-id <id>', 'the same as --project-id, as IBEE\'s public API names it (env IBEE_WORKSPACE_ID)')
    .option('--management-token <token>', 'token that may create and revoke tokens (rest driver); prefer env IBEE_MANAGEMENT_TOKEN')
    .option('--api-token <token>', 'Bearer API token that may write S3 credentials (credentials driver); prefer env IBEE_API_TOKEN')
    .option('--region <region>', 'S3 signing region (env IBEE_REGION; default us-east-1)')
    .addOption(
      new Option('--driver <driver>', 'how tokens are managed: rest (management token), manual (credentials file), credentials (S3 credentials made with --api-token) (env IBEE_DRIVER; default rest)').choices([
        ...driverNames,
      ]),
    )
    .option('--credentials <file>', 'pre-made keys for the manual driver, JSON (env IBEE_CREDENTIALS_FILE; format below)')
    .option('--runs <n>', 'fast-check runs per property; bounds tokens created (env IBEE_RUNS)')
    .option('--seed <seed>', 'fast-check seed (env IBEE_SEED; default random, printed and stored)')
    .option('--only <ids>', 'only these requirement ids, comma-separated (env IBEE_ONLY)', parseOnly)
    .option('--shard <i/n>', 'run shard i of n (merge the outputs with `merge`)', parseShard)
    .option('--expectations <file>', 'known deviations: { "REQ-ID": "failed", ... }')
    .option(
      '--allow-config-writes',
      'also write lifecycle rules, and configuration that cannot be removed again, to a bucket the run did not create (the one pre-made keys are scoped to); its prior configuration is still restored (env IBEE_ALLOW_CONFIG_WRITES=1)',
    )
    .option(
      '--concurrency <n>',
      `checks of a file that do not depend on each other, and grid cells and independent property runs within a check, run at most n at a time; 1 runs everything one after the other (env IBEE_CONCURRENCY; default ${defaultConcurrency}, at most ${maxConcurrency})`,
    )
    .option('--out <dir>', 'output directory', defaultOutDir)
    .addHelpText('after', `\n${credentialsFileHelp}`)
    .action(async (flags: RunFlags) => {
      process.exitCode = await runCommand(flags);
    });

  program
    .command('merge')
    .description('Merge the output directories of sharded runs into one report.')
    .argument('<dirs...>', 'output directories of `run --shard`')
    .option('--expectations <file>', 'known deviations: { "REQ-ID": "failed", ... }')
    .option('--out <dir>', 'output directory', defaultOutDir)
    .action(async (dirs: string[], flags: { expectations?: string; out: string }) => {
      process.exitCode = await mergeCommand(dirs, flags);
    });

  program
    .command('requirements')
    .description("List the requirement catalogue (id, level, basis, area, title).")
    .option('--json', 'as JSON, with statements and source URLs')
    .option('--iam-policy <level>', `instead, an AWS IAM policy granting exactly what a level may do (${permissionTypes.join(' | ')}); notes on stderr`)
    .option('--bucket <name>', 'with --iam-policy: limit the policy to this bucket (a specific-scope key); default all buckets')
    .action((flags: { json?: boolean; iamPolicy?: string; bucket?: string }) => {
      process.exitCode = requirementsCommand(flags);
    });

  return program;
}

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof UsageError || error instanceof RunError) {
      process.stderr.write(`ibee-conformance: ${error.message}\n`);
      process.exitCode = error instanceof RunError ? exitCodes.runError : exitCodes.usage;
      return;
    }
    throw error;
  }
}

await main();
