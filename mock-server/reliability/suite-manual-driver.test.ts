import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Results } from '../../reports/results-format.js';
import { bucketScopes, permissionTypes, requirements } from '../../spec/index.js';
import { conformanceExecutable, repoRoot } from './test/child.js';
import { listAllKeys, startMock, type IssuedToken, type TestMock } from './test/mock.js';

/**
 * The `ibee-conformance` CLI with the manual driver, as a user holding only pre-made keys would run it: keys of every
 * level limited to one bucket of theirs that already holds their data, and nothing else (no key on all buckets, no
 * management token), once with the REST API and once S3 alone (`--s3-endpoint` only, keys without Bearer tokens);
 * then, as the user with keys of both scopes, S3 alone. Against the mock, which conforms, no requirement may fail:
 * what the keys cannot show is not_applicable with the reason, and every fixture uses a bucket its key covers.
 * Afterwards the user's objects are as they were and nothing of the run is left.
 */

/** Property cases per check: every check runs; few cases keep three CLI runs affordable here. */
const suiteRuns = '3';
const userBucket = 'user-data';
const userObjects = ['a.txt', 'dir/b.bin', 'ünïcode key', 'tmp/scratch'];

/** The REST requirements: not_applicable on an S3-only run, for want of a REST API. */
const restRequirements = requirements.filter((r) => r.area === 'public-api').map((r) => r.id).concat(['REST-BEARER-AUTH', 'BILLING-SCOPE']);
/** The fixture-dependent checks that failed when a fixture handed out a key for a bucket it does not cover. */
const keyOnOneBucket = ['AUTH-SIGNATURE', 'AUTH-CLOCK-SKEW', 'PRESIGNED-TAMPER', 'PRESIGNED-EXPIRY', 'PRESIGNED-POST'];

let root: string;
let mock: TestMock;
let owner: IssuedToken;
let ownerS3: S3Client;
/** The user's keys: one per level limited to the user's bucket, and one per level on all buckets. */
const specificKeys: IssuedToken[] = [];
const allBucketKeys: IssuedToken[] = [];
/** Everything the CLI printed and wrote. */
const outputs: string[] = [];

interface FileEntry {
  readonly permission_type: string;
  readonly bucket_scope: string;
  readonly allowed_buckets?: readonly string[];
  readonly bearer_token?: string;
  readonly access_key_id: string;
  readonly secret_access_key: string;
}

function entry(token: IssuedToken, level: string, scope: string, withBearer: boolean): FileEntry {
  return {
    permission_type: level,
    bucket_scope: scope,
    ...(scope === 'specific' ? { allowed_buckets: [userBucket] } : {}),
    ...(withBearer ? { bearer_token: token.bearer } : {}),
    access_key_id: token.accessKeyId!,
    secret_access_key: token.secretAccessKey!,
  };
}

function credentialsFile(name: string, entries: readonly FileEntry[]): string {
  const path = join(root, name);
  writeFileSync(path, JSON.stringify({ tokens: entries }, null, 2));
  return path;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ibee-manual-driver-'));
  mock = await startMock();
  // The user's own account: a bucket with their data (objects and an upload in progress), made with their own admin key.
  owner = await mock.issueToken({ level: 'admin_rw' });
  ownerS3 = mock.s3(owner);
  await ownerS3.send(new CreateBucketCommand({ Bucket: userBucket }));
  for (const key of userObjects) await ownerS3.send(new PutObjectCommand({ Bucket: userBucket, Key: key, Body: `the user's ${key}` }));
  await ownerS3.send(new CreateMultipartUploadCommand({ Bucket: userBucket, Key: 'upload-in-progress' }));
  for (const level of permissionTypes) {
    specificKeys.push(await mock.issueToken({ level, buckets: [userBucket] }));
    allBucketKeys.push(await mock.issueToken({ level }));
  }
  // The executables are built once (or taken from a fresh dist/) before any run.
  await conformanceExecutable();
}, 300_000);

afterAll(async () => {
  ownerS3?.destroy();
  await mock?.close();
  if (root) rmSync(root, { recursive: true, force: true, maxRetries: 5 });
});

/** The user's bucket as the user sees it over S3: every object (key, ETag, size, time) and every upload in progress. */
async function userState(): Promise<string> {
  const lines: string[] = [];
  let continuation: string | undefined;
  do {
    const page = await ownerS3.send(new ListObjectsV2Command({ Bucket: userBucket, ContinuationToken: continuation }));
    for (const o of page.Contents ?? []) lines.push(`${o.Key} ${o.ETag} ${o.Size} ${o.LastModified?.toISOString()}`);
    continuation = page.NextContinuationToken;
  } while (continuation);
  const listed = await ownerS3.send(new ListMultipartUploadsCommand({ Bucket: userBucket }));
  lines.push(`uploads: ${(listed.Uploads ?? []).map((u) => `${u.Key}:${u.UploadId}`).join(',')}`);
  return lines.join('\n');
}

/** The REST requests the mock has answered so far (its access log). */
function restRequestsSoFar(): number {
  return mock.logLines.filter((line) => line.includes('"msg":"request"')).length;
}

/** Runs `ibee-conformance run --driver manual` under `runPrefix` with `credentials`, with or without the REST API. */
async function runCli(runPrefix: string, credentials: string, withRest: boolean): Promise<{ exit: number | string; output: string; results: Results }> {
  const reportDir = join(root, `report-${runPrefix}`);
  const target = withRest ? ['--api-url', mock.server.apiUrl, '--project-id', mock.server.projectId] : [];
  const proc = spawn(
    process.execPath,
    [await conformanceExecutable(), 'run', '--driver', 'manual', '--credentials', credentials, '--s3-endpoint', mock.server.s3Endpoint, ...target, '--seed', '20261203', '--runs', suiteRuns, '--out', reportDir],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, IBEE_RUN_PREFIX: runPrefix, FORCE_COLOR: '0' } },
  );
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = await new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  outputs.push(output);
  for (const report of existsSync(reportDir) ? readdirSync(reportDir) : []) outputs.push(readFileSync(join(reportDir, report), 'utf8'));
  const resultsFile = join(reportDir, 'results.json');
  expect(existsSync(resultsFile), output.slice(-3000)).toBe(true);
  return { exit, output, results: JSON.parse(readFileSync(resultsFile, 'utf8')) as Results };
}

/** What every run must show: nothing failed or left unrecorded, and the fixtures of one key on one bucket were judged. */
function expectNoFalseVerdicts(run: { exit: number | string; output: string; results: Results }): Map<string, Results['requirements'][number]> {
  const byId = new Map(run.results.requirements.map((r) => [r.id, r]));
  const failed = run.results.requirements.filter((r) => r.status === 'failed').map((r) => `${r.id}: ${r.checks.find((c) => c.status === 'failed')?.message ?? ''}`);
  expect(failed, run.output.slice(-3000)).toEqual([]);
  expect(run.results.errors ?? []).toEqual([]);
  expect(run.exit, run.output.slice(-3000)).toBe(0);
  // Every requirement is judged, observed, or not applicable with a reason: none is left without a record.
  for (const r of run.results.requirements) {
    expect(r.status, r.id).not.toBe('skipped');
    if (r.status === 'not_applicable') expect(r.reason, r.id).toMatch(/\w/);
  }
  for (const id of [...keyOnOneBucket, 'CRED-FORMAT', 'CRED-UNIQUE', 'CRED-S3-WORKS', 'DATA-INTEGRITY', 'PERM-OBJECT-RO', 'PERM-OBJECT-RW']) expect(byId.get(id)?.status, id).toBe('passed');
  expect(byId.get('PRESIGNED-SIGNER-LEVEL')?.status).toBe('observed');
  return byId;
}

async function expectLeftAsFound(before: string, runPrefix: string): Promise<void> {
  expect(await userState()).toBe(before);
  const keys = await listAllKeys(ownerS3, userBucket);
  expect([...keys].filter((key) => key.startsWith(runPrefix))).toEqual([]);
  const buckets = await ownerS3.send(new ListBucketsCommand({}));
  expect((buckets.Buckets ?? []).map((b) => b.Name).filter((name) => name?.startsWith(`${runPrefix}-`))).toEqual([]);
}

describe('ibee-conformance run --driver manual', () => {
  it('with keys of every level limited to one pre-existing bucket, and the REST API: no failure, and the bucket is left as found', async () => {
    const file = credentialsFile('specific-rest.json', permissionTypes.map((level, i) => entry(specificKeys[i]!, level, 'specific', true)));
    const before = await userState();
    const run = await runCli('relman1', file, true);
    const byId = expectNoFalseVerdicts(run);
    // Without a key on all buckets the run makes no bucket: what needs one says so.
    expect(byId.get('SCOPE-NO-EXISTENCE-LEAK')?.status).toBe('not_applicable');
    expect(byId.get('SCOPE-NO-EXISTENCE-LEAK')?.reason).toMatch(/no bucket outside the bucket-scoped keys' scope: .*no admin_rw \/ all token/);
    expect(byId.get('BUCKET-DELETE-NONEMPTY')?.reason).toMatch(/a bucket of the run's own is needed/);
    // The REST grid ran with the keys' Bearer tokens on the user's bucket.
    const restCells = run.results.requirements.flatMap((r) => r.checks).filter((c) => c.check === 'permissions.rest-grid' && c.cell?.scope === 'in_scope');
    expect(restCells.filter((c) => c.status === 'passed').length).toBeGreaterThan(10);
    await expectLeftAsFound(before, 'relman1');
  }, 600_000);

  it('S3 alone (no REST API, keys without Bearer tokens): every REST requirement is not applicable and nothing asks the REST API', async () => {
    const file = credentialsFile('specific-s3.json', permissionTypes.map((level, i) => entry(specificKeys[i]!, level, 'specific', false)));
    const before = await userState();
    const restBefore = restRequestsSoFar();
    const run = await runCli('relman2', file, false);
    const restDuring = restRequestsSoFar() - restBefore;
    const byId = expectNoFalseVerdicts(run);
    expect(run.output).toContain('REST API none');
    expect(run.results.target.api_url).toBe('none');
    for (const id of restRequirements) {
      expect(byId.get(id)?.status, id).toBe('not_applicable');
      expect(byId.get(id)?.reason, id).toContain('no REST API given');
    }
    const restCells = run.results.requirements.flatMap((r) => r.checks).filter((c) => c.check === 'permissions.rest-grid');
    expect(restCells.length).toBeGreaterThan(0);
    for (const cell of restCells) expect(cell.reason).toBe('no REST API given');
    expect(byId.get('SCOPE-NO-EXISTENCE-LEAK')?.status).toBe('not_applicable');
    // The run never asked the mock's REST API anything.
    expect(restDuring).toBe(0);
    await expectLeftAsFound(before, 'relman2');
  }, 600_000);

  it('S3 alone with keys of both scopes: the run makes buckets of its own, the keys limited to the user\'s bucket are used there, and no failure', async () => {
    const entries = permissionTypes.flatMap((level, i) => bucketScopes.map((scope) => entry((scope === 'specific' ? specificKeys : allBucketKeys)[i]!, level, scope, false)));
    const file = credentialsFile('both-s3.json', entries);
    const before = await userState();
    const run = await runCli('relman3', file, false);
    const byId = expectNoFalseVerdicts(run);
    for (const id of ['SCOPE-NO-EXISTENCE-LEAK', 'SCOPE-SPECIFIC', 'SCOPE-ALL-NEW-BUCKETS', 'SCOPE-COPY-BOUNDARY', 'BUCKET-NAME-RULES', 'BUCKET-DELETE-NONEMPTY', 'OBJECT-ROUNDTRIP']) {
      expect(byId.get(id)?.status, id).toBe('passed');
    }
    await expectLeftAsFound(before, 'relman3');
  }, 600_000);

  it('no secret of the credentials files appears in the output or the reports', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(6);
    expect(mock.secrets.leaksIn(outputs.join('\n'))).toEqual([]);
  });
});
