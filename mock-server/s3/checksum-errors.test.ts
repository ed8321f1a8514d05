import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import type { HttpRequest } from '@smithy/protocol-http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksumAlgorithmRules, checksumAlgorithms, multipartLimits, type ChecksumAlgorithm } from '../../spec/index.js';
import { referenceChecksum } from './test/reference-checksums.js';
import { failure, postPolicyForm, signedFetch, startTestS3, type Credentials, type TestS3 } from './test/test-s3.js';

/**
 * What S3 answers when checksums disagree or are malformed: a well-formed checksum that does not match is BadDigest,
 * a malformed one InvalidRequest, and the multipart rules' refusals, x-amz-sdk-checksum-algorithm without its
 * checksum and an x-amz-mp-object-size that is not the object's; none of it stores anything, none is a 500.
 */

let s3: TestS3;
let credentials: Credentials;
let client: S3Client;
let plain: S3Client;
const bucket = 'checksum-errors';

beforeAll(async () => {
  s3 = await startTestS3();
  credentials = s3.token();
  client = s3.client(credentials);
  plain = s3.client(credentials, { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await s3?.close();
});

const header = (algorithm: ChecksumAlgorithm) => `x-amz-checksum-${algorithm.toLowerCase()}`;
const codeOf = (text: string) => /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
const messageOf = (text: string) => /<Message>([^<]*)<\/Message>/.exec(text)?.[1]?.replaceAll('&apos;', "'").replaceAll('&#39;', "'");

/** The S3 error a request failed with, message included; fails the test if the request succeeded. */
async function refusal(promise: Promise<unknown>): Promise<{ code: string; status: number | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as S3ServiceException;
    return { code: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the request to fail');
}

/** A checksum value that is malformed for `algorithm`: bad base64, or base64 of the wrong number of bytes. */
const malformedValue = (algorithm: ChecksumAlgorithm) =>
  fc.oneof(
    fc.constantFrom('not base64!', '****', 'AAAA=A==', ''),
    fc.integer({ min: 0, max: 70 }).filter((bytes) => bytes !== checksumAlgorithmRules.value[algorithm].digestBytes).map((bytes) => Buffer.alloc(bytes, 7).toString('base64')),
  );

describe('a checksum that does not match the body, or is malformed', () => {
  it('well-formed and wrong is 400 BadDigest; malformed is 400 InvalidRequest; neither stores anything', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...checksumAlgorithms).chain((algorithm) => fc.record({ algorithm: fc.constant(algorithm), malformed: malformedValue(algorithm) })),
        fc.uint8Array({ minLength: 1, maxLength: 2_000 }),
        async ({ algorithm, malformed }, bytes) => {
          const body = Buffer.from(bytes);
          const other = Buffer.concat([body, Buffer.from('!')]);
          const key = `refused-${algorithm}`;
          const wrong = await signedFetch(s3, credentials, 'PUT', `/${bucket}/${key}`, { body, headers: { [header(algorithm)]: referenceChecksum(algorithm, other) } });
          expect([wrong.status, codeOf(wrong.text)]).toEqual([400, 'BadDigest']);
          const bad = await signedFetch(s3, credentials, 'PUT', `/${bucket}/${key}`, { body, headers: { [header(algorithm)]: malformed } });
          expect([bad.status, codeOf(bad.text)]).toEqual([400, 'InvalidRequest']);
          expect(s3.storage.getObject(bucket, key)).toBeUndefined();
        },
      ),
      { numRuns: 30 },
    );
  });

  it('two checksums at once, or an unknown algorithm, are InvalidRequest; AWS\'s newer algorithms NotImplemented', async () => {
    const body = Buffer.from('one body');
    const two = await signedFetch(s3, credentials, 'PUT', `/${bucket}/two`, {
      body,
      headers: { 'x-amz-checksum-crc32': referenceChecksum('CRC32', body), 'x-amz-checksum-sha256': referenceChecksum('SHA256', body) },
    });
    expect([two.status, codeOf(two.text)]).toEqual([400, 'InvalidRequest']);
    expect(two.text).toContain('Multiple checksum Types are not allowed');
    const unknown = await signedFetch(s3, credentials, 'PUT', `/${bucket}/unknown`, { body, headers: { 'x-amz-checksum-crc16': 'AAA=' } });
    expect([unknown.status, codeOf(unknown.text)]).toEqual([400, 'InvalidRequest']);
    const newer = await signedFetch(s3, credentials, 'PUT', `/${bucket}/newer`, { body, headers: { 'x-amz-checksum-sha512': Buffer.alloc(64).toString('base64') } });
    expect([newer.status, codeOf(newer.text)]).toEqual([501, 'NotImplemented']);
    for (const key of ['two', 'unknown', 'newer']) expect(s3.storage.getObject(bucket, key)).toBeUndefined();
  });

  it('a POST form is held to its checksum field, and x-amz-checksum-algorithm alone has the mock compute it', async () => {
    const data = randomBytes(300);
    const post = (key: string, fields: Record<string, string>) =>
      fetch(`${s3.endpoint}/${bucket}`, { method: 'POST', body: postPolicyForm(credentials, { bucket, key, body: data, nowMs: s3.clock.nowMs(), fields }) });
    const wrong = await post('post-wrong', { 'x-amz-checksum-sha1': referenceChecksum('SHA1', Buffer.from('other')) });
    expect([wrong.status, codeOf(await wrong.text())]).toEqual([400, 'BadDigest']);
    const malformed = await post('post-malformed', { 'x-amz-checksum-sha1': 'short' });
    expect([malformed.status, codeOf(await malformed.text())]).toEqual([400, 'InvalidRequest']);
    const mismatched = await post('post-mismatched', { 'x-amz-checksum-algorithm': 'SHA256', 'x-amz-checksum-crc32': referenceChecksum('CRC32', data) });
    expect([mismatched.status, codeOf(await mismatched.text())]).toEqual([400, 'InvalidRequest']);
    const unknownAlgorithm = await post('post-unknown', { 'x-amz-checksum-algorithm': 'CRC16' });
    expect([unknownAlgorithm.status, codeOf(await unknownAlgorithm.text())]).toEqual([400, 'InvalidRequest']);
    const named = await post('post-named', { 'x-amz-checksum-algorithm': 'crc32c' });
    expect(named.status).toBe(204);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'post-named', ChecksumMode: 'ENABLED' }));
    expect([head.ChecksumCRC32C, head.ChecksumType]).toEqual([referenceChecksum('CRC32C', data), 'FULL_OBJECT']);
    for (const key of ['post-wrong', 'post-malformed', 'post-mismatched', 'post-unknown']) expect(s3.storage.getObject(bucket, key)).toBeUndefined();
  });

  it('CopyObject and CreateMultipartUpload refuse an algorithm or type S3 does not know with InvalidRequest', async () => {
    await plain.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy-me', Body: 'copy me' }));
    const copy = await signedFetch(s3, credentials, 'PUT', `/${bucket}/copied`, { headers: { 'x-amz-copy-source': `${bucket}/copy-me`, 'x-amz-checksum-algorithm': 'MD4' } });
    expect([copy.status, codeOf(copy.text)]).toEqual([400, 'InvalidRequest']);
    const algorithm = await signedFetch(s3, credentials, 'POST', `/${bucket}/mpu?uploads`, { headers: { 'x-amz-checksum-algorithm': 'CRC16' } });
    expect([algorithm.status, codeOf(algorithm.text)]).toEqual([400, 'InvalidRequest']);
    const type = await signedFetch(s3, credentials, 'POST', `/${bucket}/mpu?uploads`, { headers: { 'x-amz-checksum-algorithm': 'CRC32', 'x-amz-checksum-type': 'PARTIAL' } });
    expect([type.status, codeOf(type.text)]).toEqual([400, 'InvalidRequest']);
    expect(s3.storage.getObject(bucket, 'copied')).toBeUndefined();
  });
});

describe('objects without a checksum in the request', () => {
  it('get the CRC64NVME default, sent back only when asked with x-amz-checksum-mode: ENABLED', async () => {
    const data = randomBytes(4_321);
    await plain.send(new PutObjectCommand({ Bucket: bucket, Key: 'defaulted', Body: data }));
    const asked = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'defaulted', ChecksumMode: 'ENABLED' }));
    expect([asked.ChecksumCRC64NVME, asked.ChecksumType]).toEqual([referenceChecksum('CRC64NVME', data), 'FULL_OBJECT']);
    await asked.Body!.transformToByteArray();
    const unasked = await plain.send(new GetObjectCommand({ Bucket: bucket, Key: 'defaulted' }));
    expect([unasked.ChecksumCRC64NVME, unasked.ChecksumType]).toEqual([undefined, undefined]);
    await unasked.Body!.transformToByteArray();
  });
});

/** A one-part upload (the last part may be any size) with `setting`, and its part as the complete request lists it. */
async function onePartUpload(key: string, options: { algorithm?: ChecksumAlgorithm; type?: 'COMPOSITE' | 'FULL_OBJECT' }) {
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: options.algorithm, ChecksumType: options.type }),
  );
  const data = randomBytes(2_000);
  const part = options.algorithm
    ? await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: data, ChecksumAlgorithm: options.algorithm }))
    : await plain.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: data }));
  const listed: CompletedPart = { PartNumber: 1, ETag: part.ETag, ...(options.algorithm ? { [`Checksum${options.algorithm}`]: part[`Checksum${options.algorithm}`] } : {}) };
  const complete = (parts: CompletedPart[], extra: Record<string, string> = {}) =>
    client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts }, ...extra }));
  return { UploadId: UploadId as string, data, listed, complete };
}

/** A complete request sent raw, for headers and bodies the SDK will not produce. */
function rawComplete(key: string, uploadId: string, parts: string, headers: Record<string, string> = {}) {
  const body = `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts}</CompleteMultipartUpload>`;
  return signedFetch(s3, credentials, 'POST', `/${bucket}/${encodeURIComponent(key)}?uploadId=${encodeURIComponent(uploadId)}`, { body, headers });
}

describe('CompleteMultipartUpload against the parts and the upload', () => {
  it('a listed part checksum that disagrees with the stored part is InvalidPart, for either type', async () => {
    for (const [algorithm, type] of [['SHA256', 'COMPOSITE'], ['CRC32C', 'FULL_OBJECT']] as const) {
      const upload = await onePartUpload(`disagree-${type}`, { algorithm, type });
      const wrong = { ...upload.listed, [`Checksum${algorithm}`]: referenceChecksum(algorithm, Buffer.from('other')) };
      expect(await failure(upload.complete([wrong]))).toEqual({ code: 'InvalidPart', status: 400 });
      expect((await upload.complete([upload.listed])).ETag).toBeDefined();
    }
  });

  it('a composite upload needs every part\'s checksum: missing is InvalidRequest, another algorithm\'s BadDigest', async () => {
    const upload = await onePartUpload('composite-parts', { algorithm: 'SHA1' });
    expect(await failure(upload.complete([{ PartNumber: 1, ETag: upload.listed.ETag }]))).toEqual({ code: 'InvalidRequest', status: 400 });
    const other = { PartNumber: 1, ETag: upload.listed.ETag, ChecksumCRC32: referenceChecksum('CRC32', upload.data) };
    expect(await failure(upload.complete([other]))).toEqual({ code: 'BadDigest', status: 400 });
    // A full-object upload combines the stored part checksums: the request need not list them.
    const full = await onePartUpload('full-parts', { algorithm: 'CRC32', type: 'FULL_OBJECT' });
    expect((await full.complete([{ PartNumber: 1, ETag: full.listed.ETag }])).ChecksumCRC32).toBe(referenceChecksum('CRC32', full.data));
  });

  it('an upload that named no algorithm takes no part checksums (InvalidPart)', async () => {
    const upload = await onePartUpload('unnamed-parts', {});
    const listed = { ...upload.listed, ChecksumCRC64NVME: referenceChecksum('CRC64NVME', upload.data) };
    expect(await failure(upload.complete([listed]))).toEqual({ code: 'InvalidPart', status: 400 });
  });

  it('a part checksum that is malformed, or two for one part, is InvalidArgument', async () => {
    const upload = await onePartUpload('malformed-part', { algorithm: 'CRC32' });
    const etag = upload.listed.ETag as string;
    const malformed = await rawComplete('malformed-part', upload.UploadId, `<Part><PartNumber>1</PartNumber><ETag>${etag}</ETag><ChecksumCRC32>nope</ChecksumCRC32></Part>`);
    expect([malformed.status, codeOf(malformed.text)]).toEqual([400, 'InvalidArgument']);
    const two = await rawComplete(
      'malformed-part',
      upload.UploadId,
      `<Part><PartNumber>1</PartNumber><ETag>${etag}</ETag><ChecksumCRC32>${upload.listed.ChecksumCRC32}</ChecksumCRC32><ChecksumSHA1>${referenceChecksum('SHA1', upload.data)}</ChecksumSHA1></Part>`,
    );
    expect([two.status, codeOf(two.text)]).toEqual([400, 'InvalidArgument']);
  });

  it('an object checksum that does not match is BadDigest; a malformed one InvalidRequest; the right one passes, with or without -N', async () => {
    const composite = await onePartUpload('object-composite', { algorithm: 'SHA256' });
    const value = `${referenceChecksum('SHA256', Buffer.from(composite.listed.ChecksumSHA256 as string, 'base64'))}`;
    expect(await failure(composite.complete([composite.listed], { ChecksumSHA256: referenceChecksum('SHA256', Buffer.from('x')) }))).toEqual({ code: 'BadDigest', status: 400 });
    expect(await failure(composite.complete([composite.listed], { ChecksumSHA256: `${value}-2` }))).toEqual({ code: 'BadDigest', status: 400 });
    expect(await failure(composite.complete([composite.listed], { ChecksumCRC32: referenceChecksum('CRC32', composite.data) }))).toEqual({ code: 'BadDigest', status: 400 });
    const etag = composite.listed.ETag as string;
    const partXml = `<Part><PartNumber>1</PartNumber><ETag>${etag}</ETag><ChecksumSHA256>${composite.listed.ChecksumSHA256}</ChecksumSHA256></Part>`;
    const malformed = await rawComplete('object-composite', composite.UploadId, partXml, { 'x-amz-checksum-sha256': 'short-1' });
    expect([malformed.status, codeOf(malformed.text)]).toEqual([400, 'InvalidRequest']);
    const two = await rawComplete('object-composite', composite.UploadId, partXml, { 'x-amz-checksum-sha256': value, 'x-amz-checksum-sha1': referenceChecksum('SHA1', composite.data) });
    expect([two.status, codeOf(two.text)]).toEqual([400, 'InvalidRequest']);
    expect((await composite.complete([composite.listed], { ChecksumSHA256: value })).ChecksumSHA256).toBe(`${value}-1`);

    const full = await onePartUpload('object-full', { algorithm: 'CRC64NVME' });
    expect(await failure(full.complete([full.listed], { ChecksumCRC64NVME: referenceChecksum('CRC64NVME', Buffer.from('x')) }))).toEqual({ code: 'BadDigest', status: 400 });
    const right = referenceChecksum('CRC64NVME', full.data);
    expect((await full.complete([full.listed], { ChecksumCRC64NVME: right })).ChecksumCRC64NVME).toBe(right);
  });

  it('a checksum type other than the upload\'s is InvalidRequest; an upload that named none has none', async () => {
    const composite = await onePartUpload('type-composite', { algorithm: 'CRC32' });
    expect(await failure(composite.complete([composite.listed], { ChecksumType: 'FULL_OBJECT' }))).toEqual({ code: 'InvalidRequest', status: 400 });
    const unnamed = await onePartUpload('type-unnamed', {});
    expect(await failure(unnamed.complete([unnamed.listed], { ChecksumType: 'FULL_OBJECT' }))).toEqual({ code: 'InvalidRequest', status: 400 });
    const etag = composite.listed.ETag as string;
    const invalid = await rawComplete('type-composite', composite.UploadId, `<Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part>`, { 'x-amz-checksum-type': 'WHOLE' });
    expect([invalid.status, codeOf(invalid.text)]).toEqual([400, 'InvalidRequest']);
    expect((await composite.complete([composite.listed], { ChecksumType: 'COMPOSITE' })).ChecksumType).toBe('COMPOSITE');
    // The default upload's object still gets the default checksum, whatever object checksum the request carried.
    const completed = await unnamed.complete([unnamed.listed], { ChecksumCRC32: 'AAAAAA==' });
    expect([completed.ChecksumCRC64NVME, completed.ChecksumType]).toEqual([referenceChecksum('CRC64NVME', unnamed.data), 'FULL_OBJECT']);
  });
});

describe('CompleteMultipartUpload with x-amz-mp-object-size', () => {
  const mismatch = (declared: bigint | number, computed: number) =>
    `The provided 'x-amz-mp-object-size' header value ${declared} does not match what was computed: ${computed}`;

  it('a size other than the parts\' total is InvalidRequest and keeps the upload; the total completes it (SDK MpuObjectSize)', async () => {
    const key = 'declared-size';
    const parts = [randomBytes(multipartLimits.value.minPartBytes), randomBytes(1_234)];
    const total = parts[0]!.length + parts[1]!.length;
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: 'SHA256' }));
    const listed: CompletedPart[] = [];
    for (const [index, data] of parts.entries()) {
      const part = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: index + 1, Body: data, ChecksumAlgorithm: 'SHA256' }));
      listed.push({ PartNumber: index + 1, ETag: part.ETag, ChecksumSHA256: part.ChecksumSHA256 });
    }
    const complete = (size: number) =>
      client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: listed }, MpuObjectSize: size }));
    // Off by one either way, the first part alone, or nothing at all.
    for (const size of [total + 1, total - 1, parts[0]!.length, 0]) {
      expect(await refusal(complete(size)), String(size)).toEqual({ code: 'InvalidRequest', status: 400, message: mismatch(size, total) });
    }
    expect(s3.storage.getObject(bucket, key)).toBeUndefined();
    expect((await client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId }))).Parts).toHaveLength(2);
    const completed = await complete(total);
    expect(completed.ChecksumType).toBe('COMPOSITE');
    expect(s3.storage.getObject(bucket, key)?.size).toBe(total);
  });

  it('a value that is no whole number, or is negative, is InvalidRequest before the parts are looked at', async () => {
    const upload = await onePartUpload('declared-size-malformed', {});
    const partXml = `<Part><PartNumber>1</PartNumber><ETag>${upload.listed.ETag as string}</ETag></Part>`;
    const cases: [string, string][] = [
      ['ten', "Value for x-amz-mp-object-size header is invalid: 'ten'"],
      ['1.5', "Value for x-amz-mp-object-size header is invalid: '1.5'"],
      ['99999999999999999999', "Value for x-amz-mp-object-size header is invalid: '99999999999999999999'"],
      ['-1', "Value for x-amz-mp-object-size header is less than zero: '-1'"],
      ['-007', "Value for x-amz-mp-object-size header is less than zero: '-7'"],
    ];
    for (const [value, message] of cases) {
      const response = await rawComplete('declared-size-malformed', upload.UploadId, partXml, { 'x-amz-mp-object-size': value });
      expect([response.status, codeOf(response.text), messageOf(response.text)], value).toEqual([400, 'InvalidRequest', message]);
    }
    // The size is read before the parts: a malformed one is refused even when the part listed does not exist.
    const missing = await rawComplete('declared-size-malformed', upload.UploadId, '<Part><PartNumber>7</PartNumber><ETag>"00"</ETag></Part>', { 'x-amz-mp-object-size': 'x' });
    expect([missing.status, codeOf(missing.text)]).toEqual([400, 'InvalidRequest']);
    const right = await rawComplete('declared-size-malformed', upload.UploadId, partXml, { 'x-amz-mp-object-size': `+${upload.data.length}` });
    expect(right.status, right.text).toBe(200);
  });

  it('any value and any part size: 200 exactly when it reads as the part\'s size, else 400 InvalidRequest, never a 500', async () => {
    const value = fc.oneof(
      fc.integer({ min: -2, max: 2 }).map((delta) => ({ delta })),
      fc.string({ maxLength: 24 }).filter((raw) => /^[\x20-\x7e]*$/.test(raw)).map((raw) => ({ raw })),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(value, fc.integer({ min: 0, max: 3_000 }), async (sent, size) => {
        run += 1;
        const key = `declared-size-property-${run}`;
        const { UploadId } = await plain.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
        const part = await plain.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: randomBytes(size) }));
        const raw = 'raw' in sent ? sent.raw : String(size + sent.delta);
        const response = await rawComplete(key, UploadId as string, `<Part><PartNumber>1</PartNumber><ETag>${part.ETag as string}</ETag></Part>`, {
          'x-amz-mp-object-size': raw,
        });
        const trimmed = raw.trim();
        const matches = trimmed === '' || (/^[+-]?\d+$/.test(trimmed) && BigInt(trimmed) === BigInt(size));
        if (matches) {
          expect(response.status, `${raw} ${response.text}`).toBe(200);
          expect(s3.storage.getObject(bucket, key)?.size).toBe(size);
        } else {
          expect([response.status, codeOf(response.text)], raw).toEqual([400, 'InvalidRequest']);
          expect(s3.storage.getObject(bucket, key)).toBeUndefined();
        }
      }),
      { numRuns: 40 },
    );
  });
});

/** A client whose requests go out with their headers changed by `edit` just before they are signed. */
function editingClient(edit: (headers: Record<string, string>) => void): S3Client {
  const edited = s3.client(credentials);
  type Middleware = Parameters<S3Client['middlewareStack']['addRelativeTo']>[0];
  type Args = { readonly request: HttpRequest };
  const editHeaders = (next: (args: Args) => Promise<unknown>) => async (args: Args) => {
    edit(args.request.headers);
    return next(args);
  };
  // Checksums are added at the build step, before this; signing right after it.
  edited.middlewareStack.addRelativeTo(editHeaders as unknown as Middleware, { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'editHeadersBeforeSigning' });
  return edited;
}

describe('x-amz-sdk-checksum-algorithm', () => {
  const noChecksum = 'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.';
  const invalid = 'Value for x-amz-sdk-checksum-algorithm header is invalid.';
  const data = randomBytes(1_500);

  it('is sent by the SDK with the checksum it names, as a header or a trailer, and accepted', async () => {
    const seen: Record<string, string>[] = [];
    const watching = editingClient((headers) => void seen.push({ ...headers }));
    await watching.send(new PutObjectCommand({ Bucket: bucket, Key: 'sdk-header', Body: data, ChecksumAlgorithm: 'SHA1' }));
    await watching.send(new PutObjectCommand({ Bucket: bucket, Key: 'sdk-trailer', Body: Readable.from([data]), ContentLength: data.length, ChecksumAlgorithm: 'CRC32C' }));
    expect(seen.map((headers) => [headers['x-amz-sdk-checksum-algorithm'], headers['x-amz-checksum-sha1'] !== undefined, headers['x-amz-trailer']])).toEqual([
      ['SHA1', true, undefined],
      ['CRC32C', false, 'x-amz-checksum-crc32c'],
    ]);
    expect(s3.storage.getObject(bucket, 'sdk-header')?.checksums).toEqual({ SHA1: referenceChecksum('SHA1', data) });
    expect(s3.storage.getObject(bucket, 'sdk-trailer')?.checksums).toEqual({ CRC32C: referenceChecksum('CRC32C', data) });
  });

  it('without the checksum it names is InvalidRequest, on PutObject and UploadPart; nothing is stored', async () => {
    const dropped = editingClient((headers) => void delete headers['x-amz-checksum-crc32']);
    expect(await refusal(dropped.send(new PutObjectCommand({ Bucket: bucket, Key: 'sdk-dropped', Body: data, ChecksumAlgorithm: 'CRC32' })))).toEqual({
      code: 'InvalidRequest',
      status: 400,
      message: noChecksum,
    });
    expect(s3.storage.getObject(bucket, 'sdk-dropped')).toBeUndefined();
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'sdk-dropped-part', ChecksumAlgorithm: 'CRC32' }));
    const part = dropped.send(new UploadPartCommand({ Bucket: bucket, Key: 'sdk-dropped-part', UploadId, PartNumber: 1, Body: data, ChecksumAlgorithm: 'CRC32' }));
    expect(await refusal(part)).toEqual({ code: 'InvalidRequest', status: 400, message: noChecksum });
    expect(s3.storage.listParts(UploadId as string, 0, 10).parts).toEqual([]);
  });

  it('naming another algorithm than the checksum sent, in a header or a trailer, is InvalidRequest', async () => {
    const renamed = editingClient((headers) => void (headers['x-amz-sdk-checksum-algorithm'] = 'SHA256'));
    const bodies = { header: () => data, trailer: () => Readable.from([data]) };
    for (const [transport, body] of Object.entries(bodies)) {
      const send = renamed.send(new PutObjectCommand({ Bucket: bucket, Key: 'sdk-renamed', Body: body(), ContentLength: data.length, ChecksumAlgorithm: 'CRC32' }));
      expect(await refusal(send), transport).toEqual({ code: 'InvalidRequest', status: 400, message: invalid });
    }
    expect(s3.storage.getObject(bucket, 'sdk-renamed')).toBeUndefined();
  });

  it('any value with or without a checksum header: accepted exactly when empty or naming the checksum sent, never a 500', async () => {
    const { UploadId } = await plain.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'sdk-property-part' }));
    const named = fc.oneof(
      fc.constantFrom(...checksumAlgorithms, ...checksumAlgorithms.map((algorithm) => algorithm.toLowerCase()), 'MD4', 'SHA512', ''),
      fc.string({ maxLength: 12 }).filter((value) => /^[\x20-\x7e]*$/.test(value)),
    );
    await fc.assert(
      fc.asyncProperty(named, fc.constantFrom(...checksumAlgorithms, null), fc.constantFrom('PutObject', 'UploadPart'), async (value, carried, operation) => {
        const headers: Record<string, string> = { 'x-amz-sdk-checksum-algorithm': value };
        if (carried !== null) headers[header(carried)] = referenceChecksum(carried, data);
        const path = operation === 'PutObject' ? `/${bucket}/sdk-property` : `/${bucket}/sdk-property-part?partNumber=1&uploadId=${encodeURIComponent(UploadId as string)}`;
        const response = await signedFetch(s3, credentials, 'PUT', path, { body: data, headers });
        const trimmed = value.trim();
        if (trimmed === '' || trimmed.toUpperCase() === carried) {
          expect(response.status, `${value} ${carried} ${response.text}`).toBe(200);
          return;
        }
        expect([response.status, codeOf(response.text), messageOf(response.text)], `${value} ${carried}`).toEqual([400, 'InvalidRequest', carried === null ? noChecksum : invalid]);
      }),
      { numRuns: 60 },
    );
  });
});

describe('never a 500', () => {
  it('any x-amz-checksum-* header and value on PutObject and CopyObject is answered 2xx or 4xx/501 S3 XML', async () => {
    await plain.send(new PutObjectCommand({ Bucket: bucket, Key: 'fuzz-source', Body: 'source' }));
    const name = fc.oneof(fc.constantFrom(...checksumAlgorithms.map((algorithm) => algorithm.toLowerCase()), 'type', 'algorithm', 'mode', 'md5', 'x'), fc.stringMatching(/^[a-z0-9]{1,8}$/));
    await fc.assert(
      fc.asyncProperty(name, fc.string({ maxLength: 60 }).filter((value) => /^[\x20-\x7e]*$/.test(value)), fc.boolean(), async (suffix, value, copy) => {
        const headers: Record<string, string> = { [`x-amz-checksum-${suffix}`]: value };
        if (copy) headers['x-amz-copy-source'] = `${bucket}/fuzz-source`;
        const response = await signedFetch(s3, credentials, 'PUT', `/${bucket}/fuzz`, { body: copy ? undefined : 'body', headers });
        expect(response.status === 200 || (response.status >= 400 && response.status < 500) || response.status === 501, `${response.status} ${response.text}`).toBe(true);
        if (response.status !== 200) expect(codeOf(response.text)).toBeDefined();
      }),
      { numRuns: 60 },
    );
  });
});

describe('the copy of an object with CopyObject', () => {
  it('keeps the source\'s algorithm unless x-amz-checksum-algorithm names another', async () => {
    const data = randomBytes(500);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'sha-source', Body: data, ChecksumAlgorithm: 'SHA1' }));
    const kept = await plain.send(new CopyObjectCommand({ Bucket: bucket, Key: 'sha-copy', CopySource: `${bucket}/sha-source` }));
    expect(kept.CopyObjectResult?.ChecksumSHA1).toBe(referenceChecksum('SHA1', data));
    const changed = await plain.send(new CopyObjectCommand({ Bucket: bucket, Key: 'crc-copy', CopySource: `${bucket}/sha-source`, ChecksumAlgorithm: 'CRC32C' }));
    expect([changed.CopyObjectResult?.ChecksumSHA1, changed.CopyObjectResult?.ChecksumCRC32C]).toEqual([undefined, referenceChecksum('CRC32C', data)]);
  });
});
