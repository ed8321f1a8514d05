import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetBucketCorsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permissionTypes, tokenExpiryDays, type PermissionType } from '../../spec/index.js';
import type { CheckRecord, Results } from '../../reports/results-format.js';
import { defaultConcurrency } from '../../suites/target/concurrency.js';
import { conformanceExecutable, repoRoot, spawnMock, type ChildMock } from './test/child.js';
import { issuedToken, SecretRegistry, type IssuedToken } from './test/mock.js';
import { api, s3Client, type RemoteMock } from './test/remote.js';
import { bucketState, configurationPart, makeUserBucket, type BucketState } from './test/user-bucket.js';

/**
 * A user's bucket, reached only through pre-made keys scoped to it (the manual driver, as a portal user runs the
 * suite): after a full `ibee-conformance run` and after one interrupted by SIGINT while the run had changed the
 * bucket's configuration, the bucket's objects (keys, bodies, ETags, metadata), its uploads in progress, its CORS,
 * lifecycle and encryption configuration and its `is_public` are as they were before.
 */

const managementToken = 'reliability-user-bucket-management-4c1d';
const userBucket = 'users-photos';
/** Property cases per check: every check still runs; fewer cases keep two runs affordable here. */
const suiteRuns = '3';

let root: string;
let child: ChildMock;
let remote: RemoteMock;
let userAdmin: IssuedToken;
let userS3: S3Client;
let credentialsFile: string;
let before: UserBucketState;

async function issue(level: PermissionType, buckets?: readonly string[]): Promise<IssuedToken> {
  const objectStorage = buckets ? { permission_type: level, bucket_scope: 'specific', allowed_buckets: buckets } : { permission_type: level, bucket_scope: 'all' };
  const res = await api(remote, 'POST', `/v1/projects/${remote.projectId}/api-tokens`, {
    // The longest life: the suite may move the mock's clock.
    json: { name: `user ${level} ${buckets ? 'specific' : 'all'}`, expires_in_days: tokenExpiryDays.value.max, object_storage: objectStorage },
  });
  return issuedToken(res, remote.projectId, remote.secrets);
}

/** The user's S3 client, with its clock set to the mock's (which the suite may move forward). */
async function userClient(): Promise<S3Client> {
  const clock = (await api(remote, 'GET', '/_mock/clock')).body as { now: string };
  userS3?.destroy();
  userS3 = s3Client(remote, userAdmin, { clockOffsetMs: Date.parse(clock.now) - Date.now() });
  return userS3;
}

interface UserBucketState extends BucketState {
  readonly isPublic: unknown;
}

async function userBucketState(): Promise<UserBucketState> {
  const s3 = await userClient();
  const bucket = await api(remote, 'GET', `/v1/object-storage/buckets/${userBucket}`, { token: userAdmin.bearer });
  return { ...(await bucketState(s3, userBucket)), isPublic: (bucket.body as { is_public?: unknown } | undefined)?.is_public };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ibee-user-bucket-'));
  child = await spawnMock(['--data-dir', join(root, 'data'), '--management-token', managementToken]);
  remote = { apiUrl: child.ready.api_url, s3Endpoint: child.ready.s3_endpoint, projectId: child.ready.project_id, managementToken, secrets: new SecretRegistry() };
  userAdmin = await issue('admin_rw');
  const s3 = await userClient();
  await makeUserBucket(s3, userBucket, { firstKey: 'photos/2024/ünïcode beach.jpg', indexHtml: '<h1>my photos</h1>' });
  const Bucket = userBucket;
  // A public website: a bucket update the run sends must not make it private.
  expect((await api(remote, 'PATCH', `/v1/object-storage/buckets/${Bucket}`, { token: userAdmin.bearer, json: { is_public: true } })).status).toBe(200);

  // The user's keys: every level scoped to the bucket, and the Admin Read & Write key on all buckets the fixtures need.
  const tokens: Record<string, unknown>[] = [];
  const entry = (token: IssuedToken, level: PermissionType, buckets?: readonly string[]) => ({
    id: token.id,
    permission_type: level,
    bucket_scope: buckets ? 'specific' : 'all',
    ...(buckets ? { allowed_buckets: buckets } : {}),
    bearer_token: token.bearer,
    access_key_id: token.accessKeyId,
    secret_access_key: token.secretAccessKey,
  });
  for (const level of permissionTypes) tokens.push(entry(await issue(level, [Bucket]), level, [Bucket]));
  tokens.push(entry(userAdmin, 'admin_rw'));
  credentialsFile = join(root, 'credentials.json');
  writeFileSync(credentialsFile, JSON.stringify({ tokens }));
  before = await userBucketState();
  expect(before.objects).toHaveLength(3);
  expect(before.uploads).toHaveLength(1);
  expect(before.isPublic).toBe(true);
  for (const part of [before.cors, before.lifecycle, before.encryption]) expect(part).not.toHaveProperty('error');
}, 120_000);

afterAll(async () => {
  userS3?.destroy();
  await child?.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true, maxRetries: 5 });
});

/**
 * `ibee-conformance run --driver manual` with the user's credentials file; `interruptWhen`: SIGINT once it holds;
 * `extra`: more arguments (`--concurrency`).
 */
async function runManual(name: string, interruptWhen?: () => Promise<boolean>, extra: readonly string[] = []): Promise<{ exit: number | string; output: string; records: CheckRecord[] }> {
  const out = join(root, `report-${name}`);
  const args = [
    await conformanceExecutable(),
    'run',
    '--driver',
    'manual',
    '--credentials',
    credentialsFile,
    '--api-url',
    remote.apiUrl,
    '--s3-endpoint',
    remote.s3Endpoint,
    '--project-id',
    remote.projectId,
    '--seed',
    '20260301',
    '--runs',
    suiteRuns,
    '--out',
    out,
    ...extra,
  ];
  // Its own process group, so that SIGINT reaches the run and its workers as Ctrl-C in a terminal does.
  const proc = spawn(process.execPath, args, { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  let interrupted = false;
  if (interruptWhen) {
    while (!interrupted && proc.exitCode === null && proc.signalCode === null) {
      if (await interruptWhen()) {
        process.kill(-proc.pid!, 'SIGINT');
        interrupted = true;
      } else {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  const exit = await exited;
  if (interruptWhen) expect(interrupted, `the run ended before it could be interrupted:\n${output.slice(-2000)}`).toBe(true);
  const resultsFile = join(out, 'results.json');
  const results = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Results) : null;
  const records = [...new Set(results?.requirements.flatMap((r) => r.checks) ?? [])];
  return { exit, output, records };
}

/** Waits until the user's bucket is back as it was (the detached cleaner may still be finishing), then compares. */
async function expectAsFound(context: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let after = await userBucketState();
  while (JSON.stringify(after) !== JSON.stringify(before) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    after = await userBucketState();
  }
  expect(after, context).toEqual(before);
}

describe('a user\'s bucket reached with pre-made keys is left as found', () => {
  it('after a full run: objects, uploads, CORS, lifecycle, encryption and is_public unchanged', async () => {
    const run = await runManual('full');
    expect([0, 1], run.output.slice(-3000)).toContain(run.exit);
    const cell = (operation: string, level: string) => run.records.find((r) => r.cell?.operation === operation && r.cell.level === level && r.cell.scope === 'in_scope');
    // The run did write the user's configuration (these were let through) and so had to restore it.
    expect(cell('DeleteBucketCors', 'admin_rw')?.status, run.output.slice(-3000)).toBe('passed');
    expect(cell('PutBucketEncryption', 'admin_rw')?.status).toBe('passed');
    expect(cell('REST PATCH /v1/object-storage/buckets/{bucket_name}', 'admin_rw')?.status).toBe('passed');
    // Lifecycle rules are never written to it.
    for (const level of permissionTypes) {
      for (const operation of ['PutBucketLifecycleConfiguration', 'DeleteBucketLifecycle']) {
        expect(cell(operation, level), `${operation} ${level}`).toMatchObject({
          status: 'not_applicable',
          reason: 'lifecycle rules are not written to a bucket the run did not create (--allow-config-writes to allow)',
        });
      }
    }
    expect(run.output).not.toContain('could not restore');
    await expectAsFound(`after a full run (exit ${run.exit})`);
  }, 600_000);

  /** Whether the run has removed the user's CORS configuration (a grid cell) and not yet put it back. */
  const corsGone = async (): Promise<boolean> => {
    const s3 = await userClient().catch(() => null);
    const cors = s3 ? await configurationPart(() => s3.send(new GetBucketCorsCommand({ Bucket: userBucket }))).catch(() => null) : null;
    return (cors as { error?: string } | null)?.error === 'NoSuchCORSConfiguration';
  };

  it('after a run interrupted by SIGINT while it had removed the user\'s CORS rule: everything unchanged', async () => {
    // One check and one cell at a time: the CORS rule stays removed long enough to be seen between two cells.
    const run = await runManual('interrupted', corsGone, ['--concurrency', '1']);
    expect(run.exit, run.output.slice(-2000)).not.toBe(0);
    expect(run.output).not.toContain('could not restore');
    await expectAsFound(`after an interrupted run (exit ${run.exit}; its output ends: ${run.output.slice(-600)})`);
  }, 600_000);

  it('after a run at the default concurrency interrupted by SIGINT once it had written to the user\'s bucket: everything unchanged', async () => {
    // Several checks and cells at a time: interrupted as soon as the run has keys of its own in the bucket, or has
    // removed its CORS rule, whichever is seen first.
    const written = async (): Promise<boolean> => {
      const s3 = await userClient().catch(() => null);
      const listed = s3 ? await s3.send(new ListObjectsV2Command({ Bucket: userBucket })).catch(() => null) : null;
      return (listed?.Contents?.length ?? 0) > before.objects.length || (await corsGone());
    };
    const run = await runManual('interrupted-concurrently', written);
    expect(run.exit, run.output.slice(-2000)).not.toBe(0);
    expect(run.output).toContain(`concurrency ${defaultConcurrency}`);
    expect(run.output).not.toContain('could not restore');
    await expectAsFound(`after a run interrupted at the default concurrency (exit ${run.exit}; its output ends: ${run.output.slice(-600)})`);
  }, 600_000);
});
