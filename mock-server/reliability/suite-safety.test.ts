import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketCorsCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerTokenFormat } from '../../spec/index.js';
import { conformanceExecutable, repoRoot, spawnMock, type ChildMock } from './test/child.js';
import { SecretRegistry, type IssuedToken } from './test/mock.js';
import { api, issueToken, s3Client, type RemoteMock } from './test/remote.js';

/**
 * Suite safety: the conformance suites (the `ibee-conformance` CLI, and `vitest run --project conformance` with the
 * IBEE_* environment), pointed at a mock that already holds someone else's buckets, objects,
 * uploads, CORS rules and tokens (some named with the run's own prefix), leaves every one of them as it was and
 * leaves nothing of its own behind (its buckets deleted, its tokens revoked), both after a full run and after a run
 * interrupted by SIGINT halfway. No secret the mock issued, nor the management token, appears in the suite's
 * output or its check records.
 */

const managementToken = 'reliability-suite-safety-management-9e2f';
const runPrefix = 'relsafe1';
/** Property cases per check: every check still runs; fewer cases keep four runs of the suites affordable here. */
const suiteRuns = '5';
/** Foreign buckets, including names that share the run prefix's text: the suite must judge by what it created. */
const foreignBuckets = ['foreign-data', `${runPrefix}x-lookalike`, `${runPrefix}-preexisting`];

let root: string;
let child: ChildMock;
let remote: RemoteMock;
let foreignAdmin: IssuedToken;
let foreignS3: S3Client;
const foreignTokenIds: string[] = [];
let foreignBefore: { tokens: string; storage: string };
/** Everything the suite processes printed, and their check records. */
const outputs: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ibee-suite-safety-'));
  child = await spawnMock(['--data-dir', join(root, 'data'), '--management-token', managementToken, '--log-level', 'info']);
  remote = { apiUrl: child.ready.api_url, s3Endpoint: child.ready.s3_endpoint, projectId: child.ready.project_id, managementToken, secrets: new SecretRegistry() };
  remote.secrets.add(managementToken);

  foreignAdmin = await issueToken(remote, { level: 'admin_rw' });
  const others = [
    await issueToken(remote, { level: 'object_ro', buckets: ['foreign-data'] }),
    await issueToken(remote, { objectStorage: false, billing: true }),
    await issueToken(remote, { level: 'admin_ro', billing: true }),
  ];
  foreignTokenIds.push(foreignAdmin.id, ...others.map((t) => t.id));
  foreignS3 = s3Client(remote, foreignAdmin);
  for (const bucket of foreignBuckets) {
    await foreignS3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const key of ['a.txt', 'dir/b.bin', `${runPrefix}-object`, 'ünïcode key']) {
      await foreignS3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${bucket}/${key}` }));
    }
    await foreignS3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'upload-in-progress' }));
    await foreignS3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['https://foreign.example'] }] } }));
  }
  foreignBefore = await foreignState();
}, 120_000);

afterAll(async () => {
  foreignS3?.destroy();
  await child?.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true, maxRetries: 5 });
});

interface TokenRow {
  id: string;
  name: string;
  status: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

async function allTokens(): Promise<TokenRow[]> {
  const res = await api(remote, 'GET', `/v1/projects/${remote.projectId}/api-tokens`);
  expect(res.status).toBe(200);
  return (res.body as { tokens: TokenRow[] }).tokens;
}

/** The foreign owner's S3 client, with its clock set to the mock's (which the suite moves forward). */
async function foreignClient(): Promise<S3Client> {
  const clock = (await api(remote, 'GET', '/_mock/clock')).body as { now: string };
  foreignS3?.destroy();
  foreignS3 = s3Client(remote, foreignAdmin, { clockOffsetMs: Date.parse(clock.now) - Date.now() });
  return foreignS3;
}

/** The foreign tokens as stored (status aside: the suite may move the mock's clock) and the foreign storage. */
async function foreignState(): Promise<{ tokens: string; storage: string }> {
  await foreignClient();
  const tokens = (await allTokens())
    .filter((t) => foreignTokenIds.includes(t.id))
    .map((t) => `${t.id} ${t.name} ${t.created_at} ${t.expires_at} revoked_at=${t.revoked_at}`)
    .sort()
    .join('\n');
  const lines: string[] = [];
  for (const bucket of foreignBuckets) {
    const objects = await foreignS3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const uploads = await foreignS3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    const cors = await foreignS3.send(new GetBucketCorsCommand({ Bucket: bucket }));
    lines.push(
      `${bucket}: ${(objects.Contents ?? []).map((o) => `${o.Key}=${o.ETag}/${o.Size}/${o.LastModified?.toISOString()}`).join(',')}`,
      `  uploads ${(uploads.Uploads ?? []).map((u) => `${u.Key}:${u.UploadId}`).join(',')} cors ${JSON.stringify(cors.CORSRules)}`,
    );
  }
  return { tokens, storage: lines.join('\n') };
}

/**
 * Runs the suites against the mock, through `vitest run --project conformance` (the IBEE_* environment) or the
 * `ibee-conformance run` CLI (flags, reports in `reportDir`); `interruptWhen` sends SIGINT to the run's process
 * group once it holds.
 */
async function runConformance(
  options: { via?: 'vitest' | 'cli'; interruptWhen?: () => Promise<boolean> } = {},
): Promise<{ exit: number | string; output: string; checks: string; reportDir: string }> {
  const checksFile = join(root, `checks-${outputs.length}.jsonl`);
  const reportDir = join(root, `report-${outputs.length}`);
  const command =
    options.via === 'cli'
      ? [
          await conformanceExecutable(),
          'run',
          '--api-url',
          remote.apiUrl,
          '--s3-endpoint',
          remote.s3Endpoint,
          '--project-id',
          remote.projectId,
          '--management-token',
          managementToken,
          '--seed',
          '20261127',
          '--runs',
          suiteRuns,
          '--out',
          reportDir,
        ]
      : [join(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'conformance'];
  const proc = spawn(process.execPath, command, {
    cwd: repoRoot,
    // Its own process group, so that SIGINT reaches vitest and its workers as Ctrl-C in a terminal does.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      IBEE_API_URL: remote.apiUrl,
      IBEE_S3_ENDPOINT: remote.s3Endpoint,
      IBEE_PROJECT_ID: remote.projectId,
      IBEE_MANAGEMENT_TOKEN: managementToken,
      IBEE_RUN_PREFIX: runPrefix,
      IBEE_CHECKS_FILE: checksFile,
      IBEE_SEED: '20261127',
      IBEE_RUNS: suiteRuns,
      FORCE_COLOR: '0',
    },
  });
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  let interrupted = false;
  if (options.interruptWhen) {
    const deadline = Date.now() + 90_000;
    while (!interrupted && proc.exitCode === null && Date.now() < deadline) {
      if (await options.interruptWhen()) {
        process.kill(-proc.pid!, 'SIGINT');
        interrupted = true;
      } else {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  const timeout = setTimeout(() => process.kill(-proc.pid!, 'SIGKILL'), 150_000);
  const exit = await exited;
  clearTimeout(timeout);
  outputs.push(output);
  const checks = existsSync(checksFile) ? readFileSync(checksFile, 'utf8') : '';
  outputs.push(checks);
  for (const report of existsSync(reportDir) ? readdirSync(reportDir) : []) outputs.push(readFileSync(join(reportDir, report), 'utf8'));
  if (options.interruptWhen) expect(interrupted, `the run ended before it could be interrupted:\n${output.slice(-2000)}`).toBe(true);
  return { exit, output, checks, reportDir };
}

/** What exists before a run (foreign resources, and what earlier runs of this file left): the run is judged apart. */
interface Baseline {
  readonly tokenIds: ReadonlySet<string>;
  readonly buckets: ReadonlySet<string>;
}

async function baseline(): Promise<Baseline> {
  const buckets = await (await foreignClient()).send(new ListBucketsCommand({}));
  return { tokenIds: new Set((await allTokens()).map((t) => t.id)), buckets: new Set((buckets.Buckets ?? []).map((b) => b.Name!)) };
}

async function expectForeignUntouchedAndNothingLeft(context: string, before: Baseline): Promise<void> {
  await foreignClient();
  const after = await foreignState();
  expect(after.storage, `${context}: foreign buckets, objects, uploads or CORS changed`).toBe(foreignBefore.storage);
  expect(after.tokens, `${context}: foreign tokens changed`).toBe(foreignBefore.tokens);
  const tokens = await allTokens();
  // Foreign tokens were not revoked (expiry by the mock's clock, which the suite may move, is not the suite's doing).
  for (const t of tokens.filter((t) => foreignTokenIds.includes(t.id))) expect(t.status, `${context}: foreign ${t.id}`).not.toBe('revoked');
  const leftActive = tokens.filter((t) => !before.tokenIds.has(t.id) && t.status === 'active').map((t) => `token ${t.id} ${t.name}`);
  const buckets = await foreignS3.send(new ListBucketsCommand({}));
  const names = (buckets.Buckets ?? []).map((b) => b.Name!);
  const leftBuckets = names.filter((name) => !before.buckets.has(name)).map((name) => `bucket ${name}`);
  expect([...leftActive, ...leftBuckets], `${context}: what the run left behind`).toEqual([]);
  for (const name of foreignBuckets) expect(names, `${context}: foreign buckets`).toContain(name);
}

describe('suite safety against a pre-seeded target', () => {
  it('the ibee-conformance CLI: a full run writes its reports and leaves foreign resources untouched and nothing of its own', async () => {
    const before = await baseline();
    const run = await runConformance({ via: 'cli' });
    expect([0, 1], run.output.slice(-2000)).toContain(run.exit);
    // The run really ran against this mock (it created tokens), whatever its verdicts.
    expect((await allTokens()).length - before.tokenIds.size, run.output.slice(-3000)).toBeGreaterThan(5);
    expect(run.output).toContain(remote.apiUrl);
    expect(readdirSync(run.reportDir).sort()).toEqual(expect.arrayContaining(['junit.xml', 'report.html', 'results.json']));
    await expectForeignUntouchedAndNothingLeft('CLI run', before);
  }, 240_000);

  /** Halfway: once the run holds buckets of its own and has created a good number of tokens. */
  const halfway = (tokensBefore: number) => async (): Promise<boolean> => {
    const created = (await allTokens()).length - tokensBefore;
    if (created < 15) return false;
    // The suite moves the mock's clock meanwhile; a look that lands mid-move is simply repeated.
    const buckets = await (await foreignClient()).send(new ListBucketsCommand({})).catch(() => null);
    return (buckets?.Buckets ?? []).some((b) => !foreignBuckets.includes(b.Name!));
  };

  async function expectInterruptedRunClean(via: 'vitest' | 'cli'): Promise<void> {
    const before = await baseline();
    const run = await runConformance({ via, interruptWhen: halfway(before.tokenIds.size) });
    expect(run.exit, run.output.slice(-2000)).not.toBe(0);
    const rightAfter = (await allTokens()).length;
    // Stray workers of the interrupted run must not go on creating things after it exited.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await allTokens()).length, 'tokens created after the interrupted run exited').toBe(rightAfter);
    await expectForeignUntouchedAndNothingLeft(`${via} run interrupted (exit ${run.exit}; its output ends: ${run.output.slice(-600)})`, before);
  }

  it('vitest run --project conformance interrupted by SIGINT halfway cleans up after itself and leaves foreign resources untouched', async () => {
    await expectInterruptedRunClean('vitest');
  }, 240_000);

  it('the ibee-conformance CLI interrupted by SIGINT (Ctrl-C) halfway cleans up after itself', async () => {
    await expectInterruptedRunClean('cli');
  }, 240_000);

  it('no issued secret, bearer token or the management token appears in the suites’ output, check records or reports', async () => {
    // Three runs' output and check records, and the CLI's reports.
    expect(outputs.length).toBeGreaterThanOrEqual(9);
    // Secrets are stored only in the mock's database (bearer tokens only as hashes): read the secret keys there.
    await child.kill('SIGTERM');
    const db = new Database(join(root, 'data/ibee-mock.sqlite'), { readonly: true, fileMustExist: true });
    const rows = db.prepare('SELECT secret_access_key FROM api_tokens WHERE secret_access_key IS NOT NULL').all() as Array<{ secret_access_key: string }>;
    db.close();
    for (const row of rows) remote.secrets.add(row.secret_access_key);
    expect(rows.length).toBeGreaterThan(20);
    const everything = [...outputs, child.stderr.join('\n'), child.stdout.join('\n')].join('\n');
    expect(remote.secrets.leaksIn(everything)).toEqual([]);
    // Bearer tokens cannot be read back; none may appear in any form.
    const bearerLike = new RegExp(`${bearerTokenFormat.value.prefix}[A-Za-z0-9_-]{16,}`, 'g');
    expect((everything.match(bearerLike) ?? []).map((b) => `${b.slice(0, 12)}…`)).toEqual([]);
  }, 60_000);
});
