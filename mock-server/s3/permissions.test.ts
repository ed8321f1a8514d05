import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketCorsCommand,
  DeleteBucketLifecycleCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3CompatibilityOperations, s3Operations, servedPermissionMatrix, type PermissionType } from '../../spec/index.js';
import { plainMetadata } from '../store/test/fixtures.js';
import { s3OperationTable } from './operations.js';
import { corsFromXml } from './models/bucket-config.js';
import { postPolicyForm, startTestS3, verifiedBody, type Credentials, type TestS3 } from './test/test-s3.js';

/**
 * Every cell of spec's permission matrix, through the real SDK: for each operation and level, a token scoped to
 * the bucket gets the matrix's answer; a token scoped elsewhere gets 403 AccessDenied, identical whether the
 * bucket exists or not (scope is checked before existence).
 */

let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3?.close();
});

interface Fixture {
  readonly bucket: string;
  readonly uploadId: string;
  readonly partEtag: string;
}

let bucketCounter = 0;

/** A bucket with an object `obj`, an upload with one part, and CORS and lifecycle configured. */
async function fixture(options: { empty?: boolean; create?: boolean } = {}): Promise<Fixture> {
  bucketCounter += 1;
  const bucket = `perm-${bucketCounter}`;
  if (options.create === false) return { bucket, uploadId: 'none', partEtag: '"none"' };
  const storage = s3.storage;
  storage.createBucket(s3.projectId, bucket, 'us-east-1');
  if (options.empty) return { bucket, uploadId: 'none', partEtag: '"none"' };
  await storage.putObject({ bucket, key: 'obj', body: verifiedBody('object body'), metadata: { ...plainMetadata, contentType: 'text/plain' } });
  const upload = storage.createUpload(bucket, 'mpu', { ...storage.getObject(bucket, 'obj')!.metadata }, null);
  const part = await storage.putPart(upload, 1, verifiedBody('last part'));
  storage.setBucketConfig(
    bucket,
    'cors',
    corsFromXml(Buffer.from('<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>')),
  );
  storage.setBucketConfig(bucket, 'lifecycle', JSON.stringify([{ ID: 'r', Filter: { Prefix: '' }, Status: 'Enabled', Expiration: { Days: 1 } }]));
  return { bucket, uploadId: upload.uploadId, partEtag: `"${part.etag}"` };
}

type Send = (client: S3Client, f: Fixture, credentials: Credentials) => Promise<unknown>;

/** One SDK call per operation of the matrix, against a fixture; PostObject is a browser form posted with fetch. */
const calls: Record<string, Send> = {
  ListBuckets: (c) => c.send(new ListBucketsCommand({})),
  CreateBucket: (c, f) => c.send(new CreateBucketCommand({ Bucket: f.bucket })),
  DeleteBucket: (c, f) => c.send(new DeleteBucketCommand({ Bucket: f.bucket })),
  HeadBucket: (c, f) => c.send(new HeadBucketCommand({ Bucket: f.bucket })),
  GetBucketLocation: (c, f) => c.send(new GetBucketLocationCommand({ Bucket: f.bucket })),
  GetBucketVersioning: (c, f) => c.send(new GetBucketVersioningCommand({ Bucket: f.bucket })),
  // The fixture's bucket has no Object Lock: AWS's 404 for that comes after authorization, so it counts as allowed.
  GetObjectLockConfiguration: (c, f) =>
    c.send(new GetObjectLockConfigurationCommand({ Bucket: f.bucket })).catch((error: unknown) => {
      if ((error as { name?: string }).name !== 'ObjectLockConfigurationNotFoundError') throw error;
    }),
  GetBucketCors: (c, f) => c.send(new GetBucketCorsCommand({ Bucket: f.bucket })),
  PutBucketCors: (c, f) =>
    c.send(
      new PutBucketCorsCommand({
        Bucket: f.bucket,
        CORSConfiguration: { CORSRules: [{ AllowedMethods: ['PUT'], AllowedOrigins: ['https://example.com'] }] },
      }),
    ),
  DeleteBucketCors: (c, f) => c.send(new DeleteBucketCorsCommand({ Bucket: f.bucket })),
  GetBucketLifecycleConfiguration: (c, f) => c.send(new GetBucketLifecycleConfigurationCommand({ Bucket: f.bucket })),
  PutBucketLifecycleConfiguration: (c, f) =>
    c.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: f.bucket,
        LifecycleConfiguration: { Rules: [{ ID: 'x', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 3 } }] },
      }),
    ),
  DeleteBucketLifecycle: (c, f) => c.send(new DeleteBucketLifecycleCommand({ Bucket: f.bucket })),
  GetBucketEncryption: (c, f) => c.send(new GetBucketEncryptionCommand({ Bucket: f.bucket })),
  PutBucketEncryption: (c, f) =>
    c.send(
      new PutBucketEncryptionCommand({
        Bucket: f.bucket,
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      }),
    ),
  ListObjects: (c, f) => c.send(new ListObjectsCommand({ Bucket: f.bucket })),
  ListObjectsV2: (c, f) => c.send(new ListObjectsV2Command({ Bucket: f.bucket })),
  ListObjectVersions: (c, f) => c.send(new ListObjectVersionsCommand({ Bucket: f.bucket })),
  ListMultipartUploads: (c, f) => c.send(new ListMultipartUploadsCommand({ Bucket: f.bucket })),
  HeadObject: (c, f) => c.send(new HeadObjectCommand({ Bucket: f.bucket, Key: 'obj' })),
  GetObject: async (c, f) => {
    const response = await c.send(new GetObjectCommand({ Bucket: f.bucket, Key: 'obj' }));
    return response.Body?.transformToString();
  },
  GetObjectAttributes: (c, f) => c.send(new GetObjectAttributesCommand({ Bucket: f.bucket, Key: 'obj', ObjectAttributes: ['ETag', 'Checksum', 'ObjectSize'] })),
  ListParts: (c, f) => c.send(new ListPartsCommand({ Bucket: f.bucket, Key: 'mpu', UploadId: f.uploadId })),
  PutObject: (c, f) => c.send(new PutObjectCommand({ Bucket: f.bucket, Key: 'new', Body: 'x' })),
  PostObject: async (_c, f, credentials) => {
    const form = postPolicyForm(credentials, { bucket: f.bucket, key: 'posted', body: 'form body', nowMs: s3.clock.nowMs() });
    const response = await fetch(`${s3.endpoint}/${f.bucket}`, { method: 'POST', body: form });
    const text = await response.text();
    if (response.status >= 300) throw Object.assign(new Error(text), { name: /<Code>(\w+)<\/Code>/.exec(text)?.[1], $metadata: { httpStatusCode: response.status } });
    return text;
  },
  CopyObject: (c, f) => c.send(new CopyObjectCommand({ Bucket: f.bucket, Key: 'copy', CopySource: `${f.bucket}/obj` })),
  DeleteObject: (c, f) => c.send(new DeleteObjectCommand({ Bucket: f.bucket, Key: 'obj' })),
  DeleteObjects: (c, f) => c.send(new DeleteObjectsCommand({ Bucket: f.bucket, Delete: { Objects: [{ Key: 'obj' }] } })),
  CreateMultipartUpload: (c, f) => c.send(new CreateMultipartUploadCommand({ Bucket: f.bucket, Key: 'mpu2' })),
  UploadPart: (c, f) => c.send(new UploadPartCommand({ Bucket: f.bucket, Key: 'mpu', UploadId: f.uploadId, PartNumber: 2, Body: 'p2' })),
  UploadPartCopy: (c, f) =>
    c.send(new UploadPartCopyCommand({ Bucket: f.bucket, Key: 'mpu', UploadId: f.uploadId, PartNumber: 3, CopySource: `${f.bucket}/obj` })),
  CompleteMultipartUpload: (c, f) =>
    c.send(
      new CompleteMultipartUploadCommand({
        Bucket: f.bucket,
        Key: 'mpu',
        UploadId: f.uploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: f.partEtag }] },
      }),
    ),
  AbortMultipartUpload: (c, f) => c.send(new AbortMultipartUploadCommand({ Bucket: f.bucket, Key: 'mpu', UploadId: f.uploadId })),
};

async function outcome(send: () => Promise<unknown>): Promise<{ ok: true } | { ok: false; status: number | undefined; code: string }> {
  try {
    await send();
    return { ok: true };
  } catch (error) {
    const e = error as S3ServiceException;
    return { ok: false, status: e.$metadata?.httpStatusCode, code: e.name };
  }
}

/** HEAD errors have no body, so the SDK names them by status; everything else carries the AccessDenied code. */
function expectDenied(result: Awaited<ReturnType<typeof outcome>>, operation: string): void {
  expect(result, operation).toMatchObject({ ok: false, status: 403 });
  if (!operation.startsWith('Head') && result.ok === false) expect(result.code, operation).toBe('AccessDenied');
}

describe('the controller table covers the matrix', () => {
  it('has a controller for every operation of spec, and a call in this test for each', () => {
    for (const rule of [...s3Operations, ...s3CompatibilityOperations]) {
      expect(s3OperationTable[rule.operation].controller, rule.operation).toBeTypeOf('function');
      expect(calls[rule.operation], rule.operation).toBeTypeOf('function');
    }
  });
});

const fixtureOptions = (operation: string) => ({ empty: operation === 'DeleteBucket', create: operation !== 'CreateBucket' });

describe.each(servedPermissionMatrix.map((cell) => [`${cell.operation} × ${cell.level}`, cell] as const))('%s', (_name, cell) => {
  const level = cell.level as PermissionType;

  it(`in scope: ${cell.allowed ? 'allowed' : '403 AccessDenied'}`, async () => {
    const f = await fixture(fixtureOptions(cell.operation));
    const credentials = s3.token({ level, scope: 'specific', buckets: [f.bucket] });
    const result = await outcome(() => calls[cell.operation]!(s3.client(credentials), f, credentials));
    if (cell.allowed) expect(result, JSON.stringify(result)).toEqual({ ok: true });
    else expectDenied(result, cell.operation);
  });

  it('out of scope: 403 AccessDenied, the same whether the bucket exists or not', async () => {
    const existing = await fixture(fixtureOptions(cell.operation));
    const missing = await fixture({ create: false });
    const credentials = s3.token({ level, scope: 'specific', buckets: ['some-other-bucket'] });
    const client = s3.client(credentials);
    if (cell.operation === 'ListBuckets') {
      // No bucket to be out of scope of: an allowed level lists only the buckets in its scope.
      const result = await outcome(() => client.send(new ListBucketsCommand({})));
      if (cell.allowed) {
        const listed = await client.send(new ListBucketsCommand({}));
        expect(listed.Buckets ?? []).toEqual([]);
      } else expectDenied(result, cell.operation);
      return;
    }
    const onExisting = await outcome(() => calls[cell.operation]!(client, existing, credentials));
    const onMissing = await outcome(() => calls[cell.operation]!(client, missing, credentials));
    expectDenied(onExisting, cell.operation);
    expect(onMissing).toEqual(onExisting);
  });
});

describe('presigned URLs need Object Read & Write (P11), for downloads too', () => {
  it.each([
    ['admin_rw', true],
    ['admin_ro', false],
    ['object_rw', true],
    ['object_ro', false],
  ] as const)('%s presigned GET allowed: %s', async (level, allowed) => {
    const f = await fixture();
    const credentials = s3.token({ level, scope: 'specific', buckets: [f.bucket] });
    const url = await getSignedUrl(s3.client(credentials), new GetObjectCommand({ Bucket: f.bucket, Key: 'obj' }), { expiresIn: 60 });
    const response = await fetch(url);
    const text = await response.text();
    if (allowed) {
      expect(response.status).toBe(200);
      expect(text).toBe('object body');
    } else {
      expect(response.status).toBe(403);
      expect(text).toContain('<Code>AccessDenied</Code>');
    }
  });

  it('logs why a request was denied (the client only sees AWS\'s "Access Denied"), naming the presigned-URL rule apart', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logged = await startTestS3({
      logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }),
    });
    try {
      const admin = logged.token({ level: 'admin_rw', scope: 'all' });
      const bucket = 'logged-denials';
      await logged.client(admin).send(new CreateBucketCommand({ Bucket: bucket }));
      await logged.client(admin).send(new PutObjectCommand({ Bucket: bucket, Key: 'obj', Body: 'x' }));
      const reader = logged.token({ level: 'object_ro', scope: 'all' });
      const url = await getSignedUrl(logged.client(reader), new GetObjectCommand({ Bucket: bucket, Key: 'obj' }), { expiresIn: 60 });
      const presigned = await fetch(url);
      expect(presigned.status).toBe(403);
      const writing = await outcome(() => logged.client(reader).send(new PutObjectCommand({ Bucket: bucket, Key: 'new', Body: 'x' })));
      expectDenied(writing, 'PutObject');
      const denials = lines.filter((line) => line.msg === 's3 access denied');
      expect(denials.map((line) => [line.operation, line.reason, line.requestId])).toEqual([
        ['GetObject', 'presigned_level_too_low', presigned.headers.get('x-amz-request-id')],
        ['PutObject', 'level_too_low', expect.stringMatching(/^[0-9A-F]{16}$/)],
      ]);
      // The access key id names the token; its secret appears nowhere.
      expect(denials[0]!.accessKeyId).toBe(reader.accessKeyId);
      expect(JSON.stringify(lines)).not.toContain(reader.secretAccessKey);
    } finally {
      await logged.close();
    }
  });
});

describe('copies need the source bucket in scope too', () => {
  it('CopyObject from a bucket outside the scope is AccessDenied', async () => {
    const source = await fixture();
    const target = await fixture();
    const credentials = s3.token({ level: 'object_rw', scope: 'specific', buckets: [target.bucket] });
    const client = s3.client(credentials);
    const result = await outcome(() => client.send(new CopyObjectCommand({ Bucket: target.bucket, Key: 'c', CopySource: `${source.bucket}/obj` })));
    expectDenied(result, 'CopyObject');
    expect(s3.storage.getObject(target.bucket, 'c')).toBeUndefined();
    const partResult = await outcome(() =>
      client.send(new UploadPartCopyCommand({ Bucket: target.bucket, Key: 'mpu', UploadId: target.uploadId, PartNumber: 2, CopySource: `${source.bucket}/obj` })),
    );
    expectDenied(partResult, 'UploadPartCopy');
  });
});

describe('token state', () => {
  it('a revoked or expired token is AccessDenied on every operation', async () => {
    const f = await fixture();
    const credentials = s3.token({ level: 'admin_rw' });
    const client = s3.client(credentials);
    expect(await outcome(() => calls.GetObject!(client, f, credentials))).toEqual({ ok: true });
    const token = s3.tokens.findByAccessKeyId(credentials.accessKeyId)!;
    s3.tokens.tokens[s3.tokens.tokens.indexOf(token)] = { ...token, revokedAt: new Date(s3.clock.nowMs()) };
    expectDenied(await outcome(() => calls.GetObject!(client, f, credentials)), 'GetObject');
    expectDenied(await outcome(() => calls.PutObject!(client, f, credentials)), 'PutObject');
  });
});
