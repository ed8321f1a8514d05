import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckRecord, Results } from '../../reports/results-format.js';
import { accessKeyIdFormat, bucketScopes, iamPolicyFor, permissionTypes, type BucketScope, type IamPolicy, type PermissionType } from '../../spec/index.js';
import { conformanceExecutable, repoRoot } from './test/child.js';
import { signedExchange } from './test/http.js';
import { motoRegion, motoServerPath, startMoto, type IamAccessKey, type MotoServer } from './test/moto.js';
import { bucketState, makeUserBucket, type BucketState } from './test/user-bucket.js';

/**
 * The suite against an independent S3 service with IAM enforced: moto's server, set up as the README's "Verifying
 * another S3 service" says (an IAM user per level and scope with the policy `requirements --iam-policy` prints, its
 * access key in a credentials file, `run --driver manual` with the S3 endpoint alone). moto is not IBEE, so the
 * run fails requirements; every failure must be a deviation of moto's that a direct request, made here without the
 * suite, shows (the table below), and a deviation the table shows must not have passed. The bucket the
 * specific-scope keys cover already holds the user's data and configuration: after the run it is as it was, and
 * nothing of the run is left.
 */

const motoServer = motoServerPath();
if (!motoServer) console.warn('suite-moto-iam: skipped, moto_server (pip install "moto[server]") is not on PATH');

const userBucket = 'users-archive';
const runPrefix = 'motoiam';
/** Property cases per check: every check runs; few cases keep the run affordable. */
const suiteRuns = '3';

let root: string;
let moto: MotoServer;
let owner: IamAccessKey;
let ownerS3: S3Client;
const keys = new Map<string, IamAccessKey>();
let before: BucketState;
/** Whether the keys' policies go without the NoPresignedUrls statement (see presignedDenialRefusesEverything). */
let dropPresignedDenial: boolean;
let run: { exit: number | string; output: string; results: Results };
/** Every bucket of the account before the run. */
let bucketsBefore: string[];
/** Everything the CLI printed and wrote. */
const outputs: string[] = [];

const keyName = (level: PermissionType, scope: BucketScope) => `${level}-${scope}`;

function s3Of(key: { accessKeyId: string; secretAccessKey: string }): S3Client {
  return new S3Client({ endpoint: moto.endpoint, region: motoRegion, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } });
}

/** The policy of a level and scope, as `ibee-conformance requirements --iam-policy LEVEL [--bucket NAME]` prints it. */
function printedPolicy(level: PermissionType, scope: BucketScope): IamPolicy {
  return iamPolicyFor(level, scope === 'specific' ? userBucket : undefined).policy;
}

const presignedDenial = 'NoPresignedUrls';

function withoutPresignedDenial(policy: IamPolicy): IamPolicy {
  return { ...policy, Statement: policy.Statement.filter((s) => s.Sid !== presignedDenial) };
}

/**
 * Whether this IAM applies the NoPresignedUrls statement (a Deny conditioned on `s3:authType`) to requests signed
 * in the header too, i.e. refuses the levels below Object Read & Write everything: a read with the printed
 * Object Read-Only policy is refused, and the same read with that policy less the statement is let through. The
 * README tells users to check this and, where so, drop the statement (the keys can then sign presigned URLs).
 */
async function presignedDenialRefusesEverything(readOnly: IamAccessKey, readOnlyWithoutDenial: IamAccessKey): Promise<boolean> {
  const read = async (key: IamAccessKey) => {
    const s3 = s3Of(key);
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: userBucket, Key: 'index.html' }));
      // Read to the end: a body left open is aborted by destroy(), an uncaught error of the response stream.
      await got.Body?.transformToByteArray();
      return 'allowed';
    } catch (error) {
      return (error as { name?: string }).name ?? 'error';
    } finally {
      s3.destroy();
    }
  };
  const [printed, without] = [await read(readOnly), await read(readOnlyWithoutDenial)];
  expect(without, 'the Object Read-Only policy without NoPresignedUrls must allow a plain read').toBe('allowed');
  return printed === 'AccessDenied';
}

async function runCli(credentials: string): Promise<{ exit: number | string; output: string; results: Results }> {
  const out = join(root, 'report');
  const args = [await conformanceExecutable(), 'run', '--driver', 'manual', '--credentials', credentials, '--s3-endpoint', moto.endpoint, '--seed', '20261203', '--runs', suiteRuns, '--out', out];
  const proc = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, IBEE_RUN_PREFIX: runPrefix, FORCE_COLOR: '0' } });
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = await new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  outputs.push(output);
  for (const report of existsSync(out) ? readdirSync(out) : []) outputs.push(readFileSync(join(out, report), 'utf8'));
  const resultsFile = join(out, 'results.json');
  expect(existsSync(resultsFile), output.slice(-3000)).toBe(true);
  return { exit, output, results: JSON.parse(readFileSync(resultsFile, 'utf8')) as Results };
}

async function bucketNames(): Promise<string[]> {
  return ((await ownerS3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name ?? '').sort();
}

// ---------------------------------------------------------------------------------------------------------------
// Direct requests: what moto does, asked without the suite.

/** What S3 answered a call: its HTTP status and error code (null on success). */
interface Answer {
  readonly status: number;
  readonly code: string | null;
}

async function answer(call: () => Promise<{ readonly $metadata: { readonly httpStatusCode?: number }; readonly Body?: unknown }>): Promise<Answer> {
  try {
    const done = await call();
    // A GetObject body is read to the end: one left open is aborted when its client is destroyed, an uncaught error.
    const body = done.Body as { transformToByteArray?: () => Promise<Uint8Array> } | undefined;
    await body?.transformToByteArray?.();
    return { status: done.$metadata.httpStatusCode ?? 0, code: null };
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return { status: e.$metadata?.httpStatusCode ?? 0, code: e.name ?? null };
  }
}

const said = (a: Answer): string => `${a.status}${a.code ? ` ${a.code}` : ''}`;

/** The user's key of a level and scope, as an S3 client. */
function userS3(level: PermissionType, scope: BucketScope): S3Client {
  return s3Of(keys.get(keyName(level, scope))!);
}

/** A bucket of the account owner's for one probe, emptied and deleted afterwards. */
async function withProbeBucket<T>(name: string, use: (bucket: string) => Promise<T>): Promise<T> {
  await ownerS3.send(new CreateBucketCommand({ Bucket: name }));
  try {
    return await use(name);
  } finally {
    const listed = await ownerS3.send(new ListObjectsV2Command({ Bucket: name }));
    for (const object of listed.Contents ?? []) await ownerS3.send(new DeleteObjectCommand({ Bucket: name, Key: object.Key }));
    await ownerS3.send(new DeleteBucketCommand({ Bucket: name }));
  }
}

/** A browser-form upload (POST Object) with a SigV4 POST policy, built and signed here. */
async function postForm(key: IamAccessKey, bucket: string, objectKey: string): Promise<Response> {
  const now = new Date();
  const amzDate = now.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const credential = `${key.accessKeyId}/${day}/${motoRegion}/s3/aws4_request`;
  const conditions = [{ bucket }, { key: objectKey }, { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' }, { 'x-amz-credential': credential }, { 'x-amz-date': amzDate }];
  const policy = Buffer.from(JSON.stringify({ expiration: new Date(now.getTime() + 600_000).toISOString(), conditions })).toString('base64');
  const hmac = (secret: string | Buffer, data: string) => createHmac('sha256', secret).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${key.secretAccessKey}`, day), motoRegion), 's3'), 'aws4_request');
  const form = new FormData();
  for (const [name, value] of [['key', objectKey], ['x-amz-algorithm', 'AWS4-HMAC-SHA256'], ['x-amz-credential', credential], ['x-amz-date', amzDate], ['policy', policy]] as const) form.append(name, value);
  form.append('x-amz-signature', createHmac('sha256', signingKey).update(policy).digest('hex'));
  form.append('file', new Blob(['uploaded by a form']), 'form.txt');
  return fetch(`${moto.endpoint}/${bucket}`, { method: 'POST', body: form });
}

interface Probe {
  /** Whether moto behaved as the deviation says. */
  readonly reproduced: boolean;
  /** What it answered. */
  readonly seen: string;
}

/** A deviation of moto's from IBEE's rules, the failed records it accounts for, and a direct request that shows it. */
interface Deviation {
  readonly what: string;
  readonly requirementIds: readonly string[];
  readonly explains: (record: CheckRecord) => boolean;
  readonly probe: () => Promise<Probe>;
}

const cell = (operation: string, expected: 'allow' | 'deny', observed: 'allow' | 'deny' | 'error') => (record: CheckRecord) =>
  record.cell?.operation === operation && record.cell.expected === expected && record.cell.observed === observed;
const message = (check: string, pattern: RegExp) => (record: CheckRecord) => record.check === check && pattern.test(record.message ?? '');

const deviations: readonly Deviation[] = [
  {
    what: "moto's Access Key IDs are AKIA and 16 upper-case letters and digits, not IBEE's 16 hexadecimal characters",
    requirementIds: ['CRED-FORMAT'],
    // Every entry the check names is faulted for its Access Key ID alone.
    explains: (record) =>
      record.check === 'tokens.credential-formats' && (record.message ?? '').split(/; (?=tokens\[)/).every((part) => /the Access Key ID "[^"]+" does not match/.test(part)),
    probe: async () => {
      await moto.iam('CreateUser', { UserName: 'probe-key-format' }, owner);
      const created = await moto.iam('CreateAccessKey', { UserName: 'probe-key-format' }, owner);
      const id = (created['CreateAccessKeyResponse'] as { CreateAccessKeyResult: { AccessKey: { AccessKeyId: string } } }).CreateAccessKeyResult.AccessKey.AccessKeyId;
      await moto.iam('DeleteAccessKey', { UserName: 'probe-key-format', AccessKeyId: id }, owner);
      await moto.iam('DeleteUser', { UserName: 'probe-key-format' }, owner);
      return { reproduced: !accessKeyIdFormat.value.pattern.test(id), seen: `CreateAccessKey gave ${id}` };
    },
  },
  {
    what: 'HeadBucket is authorized as s3:HeadBucket, an action AWS IAM does not have (AWS: s3:ListBucket), so no level may call it',
    requirementIds: ['PERM-ADMIN-RW', 'PERM-ADMIN-RO', 'PERM-OBJECT-RW', 'PERM-OBJECT-RO'],
    explains: cell('HeadBucket', 'allow', 'deny'),
    probe: async () => {
      const s3 = userS3('admin_ro', 'specific');
      const head = await answer(() => s3.send(new HeadBucketCommand({ Bucket: userBucket })));
      const list = await answer(() => s3.send(new ListObjectsV2Command({ Bucket: userBucket })));
      s3.destroy();
      return { reproduced: head.status === 403 && list.status === 200, seen: `admin_ro key on ${userBucket}: HeadBucket ${said(head)}, ListObjectsV2 ${said(list)}` };
    },
  },
  {
    what: 'a browser-form upload (POST Object) answers 500 with IAM enforced: moto looks for an Authorization header the form does not have',
    requirementIds: ['PRESIGNED-POST', 'PERM-ADMIN-RW', 'PERM-ADMIN-RO', 'PERM-OBJECT-RW', 'PERM-OBJECT-RO', 'PERM-DENIED-CODE', 'SCOPE-SPECIFIC'],
    // The grid's cells, the POST policy check, and the scoping checks that try a form upload on another bucket.
    explains: (record) => cell('PostObject', record.cell?.expected ?? 'allow', 'error')(record) || /(PostObject|POST policy upload) .*answered 500/.test(record.message ?? ''),
    probe: async () => {
      const res = await postForm(keys.get(keyName('object_rw', 'specific'))!, userBucket, 'probe-form-upload.txt');
      await res.arrayBuffer();
      await ownerS3.send(new DeleteObjectCommand({ Bucket: userBucket, Key: 'probe-form-upload.txt' }));
      return { reproduced: res.status === 500, seen: `POST policy upload with the object_rw key: ${res.status}` };
    },
  },
  {
    what: 'DeleteObjects is authorized as s3:DeleteObject on the bucket (arn:aws:s3:::bucket) instead of each key, so a grant on objects never allows it',
    requirementIds: ['PERM-ADMIN-RW', 'PERM-OBJECT-RW'],
    explains: cell('DeleteObjects', 'allow', 'deny'),
    probe: async () => {
      const s3 = userS3('object_rw', 'specific');
      const Key = 'probe-delete-objects.txt';
      const put = await answer(() => s3.send(new PutObjectCommand({ Bucket: userBucket, Key, Body: 'x' })));
      // moto answers 200 and names every key refused AccessDenied, as S3 does when it denies keys one by one.
      const many = await s3.send(new DeleteObjectsCommand({ Bucket: userBucket, Delete: { Objects: [{ Key }] } }));
      const refused = (many.Errors ?? []).map((e) => `${e.Key} ${e.Code}`).join(', ');
      const kept = await answer(() => s3.send(new HeadObjectCommand({ Bucket: userBucket, Key })));
      const one = await answer(() => s3.send(new DeleteObjectCommand({ Bucket: userBucket, Key })));
      s3.destroy();
      return {
        reproduced: put.status === 200 && refused === `${Key} AccessDenied` && kept.status === 200 && one.status === 204,
        seen: `object_rw key: PutObject ${said(put)}, DeleteObjects refused ${refused || 'nothing'} (the object then ${said(kept)}), DeleteObject ${said(one)}`,
      };
    },
  },
  {
    what: 'GetBucketEncryption is authorized as s3:ListBucket (AWS: s3:GetEncryptionConfiguration), so the object levels may read it',
    requirementIds: ['PERM-OBJECT-RW', 'PERM-OBJECT-RO', 'PERM-DENIED-CODE'],
    explains: cell('GetBucketEncryption', 'deny', 'allow'),
    probe: async () => {
      const s3 = userS3('object_ro', 'specific');
      const encryption = await answer(() => s3.send(new GetBucketEncryptionCommand({ Bucket: userBucket })));
      const cors = await answer(() => s3.send(new GetBucketCorsCommand({ Bucket: userBucket })));
      s3.destroy();
      return { reproduced: encryption.status === 200 && cors.status === 403, seen: `object_ro key: GetBucketEncryption ${said(encryption)}, GetBucketCors ${said(cors)}` };
    },
  },
  {
    what: 'CopyObject is authorized on the destination only: a key limited to one bucket copies out of a bucket it may not read',
    requirementIds: ['SCOPE-COPY-BOUNDARY'],
    explains: message('scoping.copy-boundary', /CopyObject from out-of-scope \S+ into \S+ answered 200/),
    probe: () =>
      withProbeBucket('moto-probe-copy-source', async (source) => {
        await ownerS3.send(new PutObjectCommand({ Bucket: source, Key: 'private.txt', Body: 'not for the scoped key' }));
        const s3 = userS3('object_rw', 'specific');
        const read = await answer(() => s3.send(new GetObjectCommand({ Bucket: source, Key: 'private.txt' })));
        const copy = await answer(() => s3.send(new CopyObjectCommand({ Bucket: userBucket, Key: 'probe-copied.txt', CopySource: `${source}/private.txt` })));
        s3.destroy();
        await ownerS3.send(new DeleteObjectCommand({ Bucket: userBucket, Key: 'probe-copied.txt' }));
        return { reproduced: read.status === 403 && copy.status === 200, seen: `object_rw key limited to ${userBucket}: GetObject from ${source} ${said(read)}, CopyObject from it ${said(copy)}` };
      }),
  },
  {
    what: "the request time is not checked: a request signed 20 minutes off is served (no RequestTimeTooSkewed)",
    requirementIds: ['AUTH-CLOCK-SKEW'],
    explains: message('auth.clock-skew', /signed -?\d+s off answered 200/),
    probe: async () => {
      const key = keys.get(keyName('object_rw', 'specific'))!;
      const skewed = new S3Client({ endpoint: moto.endpoint, region: motoRegion, forcePathStyle: true, maxAttempts: 1, credentials: key, systemClockOffset: -20 * 60_000 });
      const got = await answer(() => skewed.send(new GetObjectCommand({ Bucket: userBucket, Key: 'index.html' })));
      skewed.destroy();
      return { reproduced: got.status === 200, seen: `GetObject signed 20 minutes in the past: ${said(got)}` };
    },
  },
  {
    what: 'presigned URLs answer 500 with IAM enforced, valid or expired: moto looks for an Authorization header they do not have',
    requirementIds: ['PRESIGNED-EXPIRY', 'PRESIGNED-TAMPER'],
    explains: (record) =>
      message('auth.presigned-expiry', /used \d+s after it expired, answered 500$/m)(record) || message('auth.presigned-tamper', /the untouched presigned URL answered 500/)(record),
    probe: async () => {
      const s3 = userS3('object_rw', 'specific');
      const command = () => new GetObjectCommand({ Bucket: userBucket, Key: 'index.html' });
      const valid = await fetch(await getSignedUrl(s3, command(), { expiresIn: 600 }));
      const expired = await fetch(await getSignedUrl(s3, command(), { expiresIn: 60, signingDate: new Date(Date.now() - 3_600_000) }));
      s3.destroy();
      await Promise.all([valid.arrayBuffer(), expired.arrayBuffer()]);
      return { reproduced: valid.status === 500 && expired.status === 500, seen: `SDK-presigned GetObject, valid: ${valid.status}; expired an hour ago: ${expired.status}` };
    },
  },
  {
    what: 'bucket names with upper-case letters are accepted',
    requirementIds: ['BUCKET-NAME-RULES'],
    explains: message('storage.bucket-names-invalid', /breaking the upper-case rule, "[^"]+", answered 200/),
    probe: async () => {
      const s3 = userS3('admin_rw', 'all');
      const created = await answer(() => s3.send(new CreateBucketCommand({ Bucket: 'moto-probe-Upper' })));
      if (created.status === 200) await ownerS3.send(new DeleteBucketCommand({ Bucket: 'moto-probe-Upper' }));
      s3.destroy();
      return { reproduced: created.status === 200, seen: `CreateBucket moto-probe-Upper with the admin_rw key: ${said(created)}` };
    },
  },
  {
    what: 'a correctly signed request for a key with characters a signer percent-encodes (non-ASCII, parentheses, braces, …) is refused SignatureDoesNotMatch',
    requirementIds: ['OBJECT-ROUNDTRIP'],
    explains: message('storage.object-roundtrip', /^\[OBJECT-ROUNDTRIP\] PutObject .* answered 403 SignatureDoesNotMatch/),
    probe: () =>
      withProbeBucket('moto-probe-keys', async (Bucket) => {
        const special = await answer(() => ownerS3.send(new PutObjectCommand({ Bucket, Key: 'caf\u00e9 (1).txt', Body: 'x' })));
        const plain = await answer(() => ownerS3.send(new PutObjectCommand({ Bucket, Key: 'cafe 1.txt', Body: 'x' })));
        return { reproduced: special.status === 403 && special.code === 'SignatureDoesNotMatch' && plain.status === 200, seen: `PutObject "café (1).txt" ${said(special)}, "cafe 1.txt" ${said(plain)}` };
      }),
  },
  {
    what: 'object keys longer than 1024 UTF-8 bytes are accepted (no KeyTooLongError)',
    requirementIds: ['OBJECT-ROUNDTRIP'],
    explains: message('storage.key-too-long', /key of 1025 UTF-8 bytes answered 200/),
    probe: () =>
      withProbeBucket('moto-probe-long-key', async (Bucket) => {
        const put = await answer(() => ownerS3.send(new PutObjectCommand({ Bucket, Key: 'k'.repeat(1025), Body: 'x' })));
        return { reproduced: put.status === 200, seen: `PutObject with a 1025-byte key: ${said(put)}` };
      }),
  },
  {
    what: 'Content-MD5 is not verified: a PUT whose Content-MD5 belongs to other bytes is stored',
    requirementIds: ['DATA-INTEGRITY'],
    explains: message('storage.checksum-mismatch', /content-md5 does not match its \d+-byte body answered 200/),
    probe: () =>
      withProbeBucket('moto-probe-md5', async (bucket) => {
        const put = await signedExchange(moto.port, owner, {
          method: 'PUT',
          rawPath: `/${bucket}/integrity.txt`,
          headers: { 'content-md5': createHash('md5').update('other bytes').digest('base64') },
          body: Buffer.from('integrity'),
        });
        return { reproduced: put.status === 200, seen: `raw signed PUT with a wrong Content-MD5: ${put.status}` };
      }),
  },
];

describe.skipIf(!motoServer)('ibee-conformance run --driver manual against moto with IAM enforced', () => {
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ibee-moto-iam-'));
    moto = await startMoto(motoServer!);
    // The account's administrator: everything on S3 and IAM; makes the user's bucket, reads it before and after.
    owner = await moto.iamUser('account-admin', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*', 'iam:*'], Resource: '*' }] });
    ownerS3 = s3Of(owner);
    await makeUserBucket(ownerS3, userBucket, { firstKey: 'photos/2024/beach day.jpg', indexHtml: '<h1>my archive</h1>' });
    const readOnly = await moto.iamUser('probe-printed-object-ro', printedPolicy('object_ro', 'all'));
    const readOnlyWithoutDenial = await moto.iamUser('probe-object-ro-without-denial', withoutPresignedDenial(printedPolicy('object_ro', 'all')));
    await moto.enforceIam();
    // From here on moto authorizes every request: an unknown key is refused.
    const stranger = s3Of({ accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'not-a-key' });
    await expect(stranger.send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    stranger.destroy();

    before = await bucketState(ownerS3, userBucket);
    expect(before.objects).toHaveLength(3);
    expect(before.uploads).toHaveLength(1);
    for (const part of [before.cors, before.lifecycle, before.encryption]) expect(part).not.toHaveProperty('error');

    // The users the README has one make: one per level and scope, with the printed policy.
    dropPresignedDenial = await presignedDenialRefusesEverything(readOnly, readOnlyWithoutDenial);
    if (dropPresignedDenial) console.warn(`suite-moto-iam: moto applies the ${presignedDenial} Deny to every request; the keys' policies go without it, as the README says`);
    for (const level of permissionTypes) {
      for (const scope of bucketScopes) {
        const policy = dropPresignedDenial ? withoutPresignedDenial(printedPolicy(level, scope)) : printedPolicy(level, scope);
        keys.set(keyName(level, scope), await moto.iamUser(`ibee-${keyName(level, scope)}`, policy, owner));
      }
    }
    const tokens = permissionTypes.flatMap((level) =>
      bucketScopes.map((scope) => {
        const key = keys.get(keyName(level, scope))!;
        return {
          name: key.userName,
          permission_type: level,
          bucket_scope: scope,
          ...(scope === 'specific' ? { allowed_buckets: [userBucket] } : {}),
          access_key_id: key.accessKeyId,
          secret_access_key: key.secretAccessKey,
        };
      }),
    );
    const credentials = join(root, 'credentials.json');
    writeFileSync(credentials, JSON.stringify({ tokens }, null, 2));
    bucketsBefore = await bucketNames();
    run = await runCli(credentials);
  }, 900_000);

  afterAll(async () => {
    ownerS3?.destroy();
    await moto?.close();
    if (root) rmSync(root, { recursive: true, force: true, maxRetries: 5 });
  });

  it('judges every requirement it can, without an error of its own', () => {
    expect(run.results.errors ?? [], run.output.slice(-3000)).toEqual([]);
    // moto is not IBEE: the run fails (exit 1), and is neither broken (3) nor refused (2).
    expect(run.exit, run.output.slice(-3000)).toBe(1);
    // Nothing is left without a record: a requirement is skipped only where a check stopped at another's failure.
    for (const r of run.results.requirements) {
      if (r.status === 'skipped') expect(r.reason, r.id).toMatch(/stopped at a failure of [A-Z-]+/);
      if (r.status === 'not_applicable') expect(r.reason, r.id).toMatch(/\w/);
    }
    // No check stopped on a set-up step of its own ("fixture: …" failures): what failed, failed on a rule.
    const fixtureFailures = run.results.requirements.flatMap((r) => r.checks).filter((c) => c.status === 'failed' && /\bfixture: /.test(c.message ?? ''));
    expect(fixtureFailures.map((c) => c.message)).toEqual([]);
    // The keys work, each on a bucket it covers, and the permission grid ran for every level with both scopes.
    const byId = new Map(run.results.requirements.map((r) => [r.id, r]));
    for (const id of ['CRED-S3-WORKS', 'CRED-UNIQUE', 'AUTH-SIGNATURE', 'SCOPE-NO-EXISTENCE-LEAK', 'SCOPE-ALL-NEW-BUCKETS', 'BUCKET-DELETE-NONEMPTY']) expect(byId.get(id)?.status, id).toBe('passed');
    const cells = run.results.requirements.flatMap((r) => r.checks).filter((c) => c.check === 'permissions.s3-grid' && c.cell);
    for (const level of permissionTypes) {
      for (const scope of ['in_scope', 'out_of_scope'] as const) expect(cells.some((c) => c.cell!.level === level && c.cell!.scope === scope && c.status !== 'not_applicable'), `${level} ${scope}`).toBe(true);
    }
    // The only cells left out are the lifecycle writes to the user's bucket, which need --allow-config-writes.
    const notRun = new Set(cells.filter((c) => c.status === 'not_applicable').map((c) => `${c.cell!.operation}: ${c.reason}`));
    expect([...notRun].sort()).toEqual(
      ['DeleteBucketLifecycle', 'PutBucketLifecycleConfiguration'].map((operation) => `${operation}: lifecycle rules are not written to a bucket the run did not create (--allow-config-writes to allow)`),
    );
  });

  it("leaves the user's bucket as found (objects, uploads, CORS, lifecycle, encryption) and no bucket of its own", async () => {
    expect(await bucketState(ownerS3, userBucket)).toEqual(before);
    expect((await bucketNames()).filter((name) => name.startsWith(`${runPrefix}-`))).toEqual([]);
    expect(await bucketNames()).toEqual(bucketsBefore);
  });

  it('no secret of the credentials file appears in the output or the reports', () => {
    const text = outputs.join('\n');
    expect(outputs.length).toBeGreaterThanOrEqual(2);
    for (const key of keys.values()) expect(text.includes(key.secretAccessKey), key.userName).toBe(false);
  });

  it('reports only deviations that a direct request to moto shows, and every deviation it is shown', async () => {
    const failed = [...new Map(run.results.requirements.flatMap((r) => r.checks).filter((c) => c.status === 'failed').map((c) => [JSON.stringify(c), c])).values()];
    expect(failed.length).toBeGreaterThan(0);
    const unexplained = failed.filter((record) => !deviations.some((d) => d.explains(record))).map((record) => `${record.requirementIds.join(',')}: ${record.message}`);
    expect(unexplained, 'failures no known deviation of moto accounts for: a false verdict of the suite, or a new deviation to confirm').toEqual([]);
    const table: string[] = [];
    const wrong: string[] = [];
    for (const deviation of deviations) {
      const reported = failed.filter((record) => deviation.explains(record));
      const probe = await deviation.probe();
      const ids = [...new Set(reported.flatMap((record) => record.requirementIds))];
      table.push(`${probe.reproduced ? 'shown' : 'NOT shown'}, ${reported.length} record(s) ${ids.join(',')}: ${deviation.what} (${probe.seen})`);
      // A failure the probe does not reproduce is a false verdict; a deviation it reproduces but the run did not
      // report, a miss.
      if (reported.length > 0 && !probe.reproduced) wrong.push(`reported but not reproduced: ${deviation.what} (${probe.seen})`);
      if (reported.length === 0 && probe.reproduced) wrong.push(`reproduced but not reported: ${deviation.what} (${probe.seen})`);
    }
    console.log(`moto deviations:\n${table.join('\n')}`);
    expect(wrong).toEqual([]);
    // Every failed requirement is one a deviation speaks for.
    const failedIds = run.results.requirements.filter((r) => r.status === 'failed').map((r) => r.id);
    const explainedIds = new Set(deviations.flatMap((d) => (failed.some((record) => d.explains(record)) ? d.requirementIds : [])));
    expect(failedIds.filter((id) => !explainedIds.has(id))).toEqual([]);
    // The probes, too, leave the server as they found it.
    expect(await bucketState(ownerS3, userBucket)).toEqual(before);
    expect(await bucketNames()).toEqual(bucketsBefore);
  }, 120_000);
});
