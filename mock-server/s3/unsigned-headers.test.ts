import { createHash } from 'node:crypto';
import { crc32 as crc32Of } from '@aws-crypto/crc32';
import { CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestS3, type Credentials, type TestS3 } from './test/test-s3.js';

/**
 * A request may carry only the `x-amz-*` headers its signer signed, whether it is signed in the Authorization
 * header or presigned in the query string: an added header would change what the request does (a copy source
 * turns a presigned PutObject into a CopyObject from another bucket; metadata, ACL, storage class, tagging,
 * encryption, redirects, object lock and checksums change what is stored). S3 answers 403 AccessDenied "There were
 * headers present in the request which were not signed" and does nothing.
 */

let s3: TestS3;
let credentials: Credentials;
let client: S3Client;
const bucket = 'unsigned-headers';
const privateBucket = 'unsigned-headers-source';
const secretKey = 'secret.txt';
const secretBody = 'only whoever may read the source bucket should see this';
let uploadId = '';

beforeAll(async () => {
  s3 = await startTestS3();
  credentials = s3.token();
  client = s3.client(credentials, { requestChecksumCalculation: 'WHEN_REQUIRED' });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  await client.send(new CreateBucketCommand({ Bucket: privateBucket }));
  await client.send(new PutObjectCommand({ Bucket: privateBucket, Key: secretKey, Body: secretBody }));
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'existing.txt', Body: 'existing' }));
  uploadId = (await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'multipart.bin' }))).UploadId as string;
});
afterAll(async () => {
  await s3?.close();
});

/** One `x-amz-*` header of each class that changes what a request does, with a value S3 would act on. */
const headerClasses: ReadonlyArray<readonly [string, () => string]> = [
  ['x-amz-copy-source', () => `/${privateBucket}/${secretKey}`],
  ['x-amz-copy-source-if-match', () => '"0123456789abcdef0123456789abcdef"'],
  ['x-amz-copy-source-range', () => 'bytes=0-4'],
  ['x-amz-metadata-directive', () => 'REPLACE'],
  ['x-amz-meta-note', () => 'added after signing'],
  ['x-amz-acl', () => 'public-read'],
  ['x-amz-grant-read', () => 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'],
  ['x-amz-storage-class', () => 'GLACIER'],
  ['x-amz-tagging', () => 'k=v'],
  ['x-amz-server-side-encryption', () => 'AES256'],
  ['x-amz-website-redirect-location', () => '/elsewhere'],
  ['x-amz-object-lock-mode', () => 'GOVERNANCE'],
  ['x-amz-checksum-crc32', () => 'AAAAAA=='],
  ['x-amz-checksum-algorithm', () => 'SHA256'],
  ['x-amz-sdk-checksum-algorithm', () => 'CRC32'],
];

/** Requests a signer might hand out, on a key of their own so that nothing one does can hide another's effect. */
interface Operation {
  readonly name: string;
  readonly method: string;
  readonly path: (key: string) => string;
  readonly query: () => Record<string, string>;
  readonly body: string | null;
}
const operations: readonly Operation[] = [
  { name: 'PutObject', method: 'PUT', path: (key) => `/${bucket}/${key}`, query: () => ({}), body: 'the signed body' },
  { name: 'UploadPart', method: 'PUT', path: () => `/${bucket}/multipart.bin`, query: () => ({ partNumber: '1', uploadId }), body: 'a part' },
  { name: 'GetObject', method: 'GET', path: () => `/${bucket}/existing.txt`, query: () => ({}), body: null },
  { name: 'CreateMultipartUpload', method: 'POST', path: (key) => `/${bucket}/${key}`, query: () => ({ uploads: '' }), body: null },
  { name: 'DeleteObject', method: 'DELETE', path: () => `/${bucket}/existing.txt`, query: () => ({}), body: null },
  { name: 'CreateBucket', method: 'PUT', path: () => '/unsigned-headers-new', query: () => ({}), body: null },
];

const sha256 = Hash.bind(null, 'sha256');
const signer = () => new SignatureV4({ credentials, region: 'us-east-1', service: 's3', sha256, uriEscapePath: false });

/**
 * Signs `operation` (with `signedHeaders` among the signed headers) in the Authorization header or as a presigned
 * URL, then sends it with `extraHeaders` added after signing.
 */
async function send(
  operation: Operation,
  key: string,
  form: 'header' | 'presigned',
  signedHeaders: Record<string, string>,
  extraHeaders: Record<string, string>,
): Promise<{ status: number; text: string; sent: string }> {
  const url = new URL(s3.endpoint);
  const body = operation.body === null ? Buffer.alloc(0) : Buffer.from(operation.body);
  const request = new HttpRequest({
    method: operation.method,
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: operation.path(key),
    query: operation.query(),
    headers: { host: url.host, ...signedHeaders },
  });
  const signingDate = new Date(s3.clock.nowMs());
  let headers: Record<string, string>;
  let target: URL;
  if (form === 'header') {
    request.headers['x-amz-content-sha256'] = createHash('sha256').update(body).digest('hex');
    const signed = await signer().sign(request, { signingDate });
    headers = { ...signed.headers };
    target = new URL(operation.path(key), s3.endpoint);
    for (const [name, value] of Object.entries(operation.query())) target.searchParams.set(name, value);
  } else {
    // As @aws-sdk/s3-request-presigner does: an unsigned payload, hoisted into the query, and the headers a caller
    // must send signed, not hoisted.
    request.headers['X-Amz-Content-Sha256'] = 'UNSIGNED-PAYLOAD';
    const presigned = await signer().presign(request, { signingDate, expiresIn: 600, unhoistableHeaders: new Set(Object.keys(signedHeaders)) });
    headers = { ...presigned.headers };
    target = new URL(operation.path(key), s3.endpoint);
    for (const [name, value] of Object.entries(presigned.query ?? {})) target.searchParams.set(name, String(value));
  }
  delete headers.host;
  const response = await fetch(target, {
    method: operation.method,
    headers: { ...headers, ...extraHeaders },
    body: operation.body === null ? undefined : body,
  });
  const sent = `${operation.method} ${target.pathname}${target.search} with ${JSON.stringify(extraHeaders)} unsigned`;
  return { status: response.status, text: await response.text(), sent };
}

/** Everything a request could have changed: every object of both buckets with its metadata, and the buckets. */
async function state(): Promise<string> {
  const buckets = s3.storage.listBuckets(s3.projectId).map((b) => b.name).sort();
  const objects = [bucket, privateBucket].flatMap((name) =>
    s3.storage.listObjects(name, { prefix: '', delimiter: '', after: '', maxKeys: 1000 }).objects.map((object) => JSON.stringify([name, object.key, object.etag, object.metadata])),
  );
  const parts = s3.storage.listParts(uploadId, 0, 1000).parts.map((part) => `${part.partNumber}:${part.etag}`);
  return JSON.stringify({ buckets, objects, parts });
}

describe('x-amz-* headers the signer did not sign', () => {
  it('are refused for every operation and header class, in the Authorization header and in presigned URLs, and nothing changes', async () => {
    let counter = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...operations.map((operation) => operation.name)),
        fc.constantFrom(...headerClasses.map(([name]) => name)),
        fc.constantFrom('header' as const, 'presigned' as const),
        fc.boolean(),
        async (operationName, name, form, upperCase) => {
          const operation = operations.find((candidate) => candidate.name === operationName) as Operation;
          const value = (headerClasses.find(([candidate]) => candidate === name) as readonly [string, () => string])[1];
          counter += 1;
          const key = `target-${counter}.txt`;
          const before = await state();
          const headerName = upperCase ? name.toUpperCase() : name;
          const answer = await send(operation, key, form, {}, { [headerName]: value() });
          expect(answer.status, answer.sent).toBe(403);
          expect(answer.text, answer.sent).toContain('<Code>AccessDenied</Code>');
          expect(answer.text, answer.sent).toContain('<Message>There were headers present in the request which were not signed</Message>');
          expect(answer.text, answer.sent).toContain(`<HeadersNotSigned>${name}</HeadersNotSigned>`);
          expect(answer.text, answer.sent).not.toContain(secretBody);
          expect(await state(), answer.sent).toBe(before);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('are refused even when other x-amz-* headers were signed (a signed copy source, an added metadata header)', async () => {
    const put = operations[0] as Operation;
    for (const form of ['header', 'presigned'] as const) {
      const before = await state();
      const answer = await send(put, `copy-${form}.txt`, form, { 'x-amz-copy-source': `/${bucket}/existing.txt` }, { 'x-amz-meta-added': 'x' });
      expect(answer.status, answer.sent).toBe(403);
      expect(answer.text, answer.sent).toContain('<HeadersNotSigned>x-amz-meta-added</HeadersNotSigned>');
      expect(await state(), answer.sent).toBe(before);
    }
  });

  it('are served when signed: the operation performed is the one that was signed', async () => {
    const put = operations[0] as Operation;
    for (const form of ['header', 'presigned'] as const) {
      const copied = await send(put, `signed-copy-${form}.txt`, form, { 'x-amz-copy-source': `/${bucket}/existing.txt` }, {});
      expect(copied.status, copied.sent).toBe(200);
      expect(copied.text, copied.sent).toContain('<CopyObjectResult');
      const withMetadata = await send(put, `signed-meta-${form}.txt`, form, { 'x-amz-meta-note': 'signed' }, {});
      expect(withMetadata.status, withMetadata.sent).toBe(200);
      expect(s3.storage.getObject(bucket, `signed-meta-${form}.txt`)?.metadata.userMetadata).toEqual({ note: 'signed' });
    }
  });
});

describe('presigned URLs as real clients make and use them', () => {
  it('apply the x-amz-* values the JS presigner hoisted into the query: metadata is stored, a copy copies', async () => {
    const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: bucket, Key: 'hoisted-meta.txt', Metadata: { origin: 'presigner' } }), { expiresIn: 600 });
    expect(new URL(url).searchParams.get('x-amz-meta-origin')).toBe('presigner');
    expect((await fetch(url, { method: 'PUT', body: 'with metadata' })).status).toBe(200);
    expect(s3.storage.getObject(bucket, 'hoisted-meta.txt')?.metadata.userMetadata).toEqual({ origin: 'presigner' });

    const copyUrl = await getSignedUrl(client, new CopyObjectCommand({ Bucket: bucket, Key: 'hoisted-copy.txt', CopySource: `${bucket}/existing.txt` }), { expiresIn: 600 });
    const copied = await fetch(copyUrl, { method: 'PUT' });
    expect(copied.status).toBe(200);
    expect(await copied.text()).toContain('<CopyObjectResult');
    expect(s3.storage.getObject(bucket, 'hoisted-copy.txt')?.etag).toBe(s3.storage.getObject(bucket, 'existing.txt')?.etag);
  });

  it('accept the checksum of the algorithm a signed x-amz-sdk-checksum-algorithm names, unsigned (boto3 presigns so), and check it', async () => {
    const put = operations[0] as Operation;
    const body = Buffer.from(put.body as string);
    const crc32 = Buffer.alloc(4);
    crc32.writeUInt32BE(crc32Of(body) >>> 0);
    const signed = { 'x-amz-sdk-checksum-algorithm': 'CRC32' };
    const right = await send(put, 'sdk-checksum.txt', 'presigned', signed, { 'x-amz-checksum-crc32': crc32.toString('base64') });
    expect(right.status, right.sent).toBe(200);
    expect(s3.storage.getObject(bucket, 'sdk-checksum.txt')?.checksums).toEqual({ CRC32: crc32.toString('base64') });
    const wrong = await send(put, 'sdk-checksum-wrong.txt', 'presigned', signed, { 'x-amz-checksum-crc32': 'AAAAAA==' });
    expect(wrong.status, wrong.sent).toBe(400);
    expect(wrong.text).toContain('<Code>BadDigest</Code>');
    const other = await send(put, 'sdk-checksum-other.txt', 'presigned', signed, { 'x-amz-checksum-sha256': 'x'.repeat(43) + '=' });
    expect(other.status, other.sent).toBe(403);
    expect(other.text).toContain('<HeadersNotSigned>x-amz-checksum-sha256</HeadersNotSigned>');
    expect(s3.storage.getObject(bucket, 'sdk-checksum-wrong.txt')).toBeUndefined();
    expect(s3.storage.getObject(bucket, 'sdk-checksum-other.txt')).toBeUndefined();
  });
});
