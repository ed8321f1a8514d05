import { randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  PutObjectCommand,
  UploadPartCommand,
  type GetObjectAttributesCommandInput,
  type UploadPartCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartLimits } from '../../spec/index.js';
import { plainMetadata } from '../store/test/fixtures.js';
import { referenceChecksum, referenceMultipartChecksum } from './test/reference-checksums.js';
import { failure, signedFetch, startTestS3, verifiedBody, type Credentials, type TestS3 } from './test/test-s3.js';

/** GetObjectAttributes through the real SDK (and raw requests for what the SDK will not send). */

let s3: TestS3;
let credentials: Credentials;
let client: S3Client;
let plain: S3Client;
const bucket = 'attributes-test';
const minPart = multipartLimits.value.minPartBytes;
const all = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;

/** A composite CRC32 object of parts 1 and 3 (part 2 uploaded, then left out), and its bytes. */
let composite: { readonly parts: readonly Buffer[]; readonly etag: string };
/** A multipart object with S3's default checksum (CRC64NVME, full object). */
let fullObject: { readonly parts: readonly Buffer[] };

beforeAll(async () => {
  s3 = await startTestS3();
  credentials = s3.token();
  client = s3.client(credentials);
  plain = s3.client(credentials, { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));

  const parts = [randomBytes(minPart), randomBytes(minPart), randomBytes(3_000)];
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'composite', ChecksumAlgorithm: 'CRC32' }));
  const uploaded: UploadPartCommandOutput[] = [];
  for (const [index, data] of parts.entries()) {
    uploaded.push(await client.send(new UploadPartCommand({ Bucket: bucket, Key: 'composite', UploadId, PartNumber: index + 1, Body: data, ChecksumAlgorithm: 'CRC32' })));
  }
  const listed = [0, 2].map((index) => ({ PartNumber: index + 1, ETag: uploaded[index]?.ETag, ChecksumCRC32: uploaded[index]?.ChecksumCRC32 }));
  const completed = await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'composite', UploadId, MultipartUpload: { Parts: listed } }));
  composite = { parts: [parts[0] as Buffer, parts[2] as Buffer], etag: completed.ETag as string };

  const defaultParts = [randomBytes(minPart), randomBytes(10)];
  const created = await plain.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'full-object' }));
  const etags = [];
  for (const [index, data] of defaultParts.entries()) {
    etags.push((await plain.send(new UploadPartCommand({ Bucket: bucket, Key: 'full-object', UploadId: created.UploadId, PartNumber: index + 1, Body: data }))).ETag);
  }
  await plain.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: 'full-object',
      UploadId: created.UploadId,
      MultipartUpload: { Parts: etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) },
    }),
  );
  fullObject = { parts: defaultParts };
});
afterAll(async () => {
  await s3?.close();
});

const attributes = (key: string, input: Partial<GetObjectAttributesCommandInput> = {}) =>
  client.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: key, ObjectAttributes: [...all], ...input }));

const codeOf = (text: string) => /<Code>([^<]+)<\/Code>/.exec(text)?.[1];

describe('GetObjectAttributes', () => {
  it('describes a single-part object: its ETag (without quotes), checksum, storage class and size, no parts', async () => {
    const data = randomBytes(2_345);
    const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'single', Body: data, ChecksumAlgorithm: 'SHA256' }));
    const got = await attributes('single');
    expect(got.ETag).toBe(put.ETag?.replace(/"/g, ''));
    expect(got.Checksum).toEqual({ ChecksumSHA256: referenceChecksum('SHA256', data), ChecksumType: 'FULL_OBJECT' });
    expect(got.ObjectParts).toBeUndefined();
    expect([got.StorageClass, got.ObjectSize]).toEqual(['STANDARD', data.length]);
    expect(got.LastModified).toBeInstanceOf(Date);
  });

  it('answers only the attributes asked for', async () => {
    await plain.send(new PutObjectCommand({ Bucket: bucket, Key: 'some', Body: 'some' }));
    const got = await attributes('some', { ObjectAttributes: ['ObjectSize', 'Checksum'] });
    expect([got.ETag, got.StorageClass, got.ObjectParts, got.ObjectSize]).toEqual([undefined, undefined, undefined, 4]);
    expect(got.Checksum).toEqual({ ChecksumCRC64NVME: referenceChecksum('CRC64NVME', Buffer.from('some')), ChecksumType: 'FULL_OBJECT' });
  });

  it('lists a composite object\'s parts with their numbers, sizes and checksums, and its checksum without -N', async () => {
    const got = await attributes('composite');
    expect(got.ETag).toBe(composite.etag.replace(/"/g, ''));
    const value = referenceMultipartChecksum('CRC32', 'COMPOSITE', composite.parts);
    expect(got.Checksum).toEqual({ ChecksumCRC32: value.replace(/-2$/, ''), ChecksumType: 'COMPOSITE' });
    expect(got.ObjectParts).toEqual({
      TotalPartsCount: 2,
      PartNumberMarker: '0',
      NextPartNumberMarker: '3',
      MaxParts: 1000,
      IsTruncated: false,
      Parts: composite.parts.map((data, index) => ({ PartNumber: index === 0 ? 1 : 3, Size: data.length, ChecksumCRC32: referenceChecksum('CRC32', data) })),
    });
    expect(got.ObjectSize).toBe(composite.parts.reduce((sum, data) => sum + data.length, 0));
  });

  it('pages the parts with x-amz-max-parts and x-amz-part-number-marker, for any page size and marker', async () => {
    const numbers = [1, 3];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 5 }), async (maxParts, marker) => {
        const got = await attributes('composite', { ObjectAttributes: ['ObjectParts'], MaxParts: maxParts, PartNumberMarker: String(marker) });
        const after = numbers.filter((number) => number > marker);
        const page = after.slice(0, maxParts);
        expect(got.ObjectParts?.Parts?.map((part) => part.PartNumber) ?? []).toEqual(page);
        expect(got.ObjectParts?.IsTruncated).toBe(after.length > page.length);
        expect(got.ObjectParts?.NextPartNumberMarker).toBe(String(page.at(-1) ?? 0));
        expect([got.ObjectParts?.MaxParts, got.ObjectParts?.PartNumberMarker, got.ObjectParts?.TotalPartsCount]).toEqual([maxParts, String(marker), 2]);
      }),
      { numRuns: 30 },
    );
  });

  it('gives a full-object multipart object only its part count, and its CRC64NVME default', async () => {
    const got = await attributes('full-object');
    expect(got.ObjectParts).toEqual({ TotalPartsCount: 2 });
    expect(got.Checksum).toEqual({ ChecksumCRC64NVME: referenceMultipartChecksum('CRC64NVME', 'FULL_OBJECT', fullObject.parts), ChecksumType: 'FULL_OBJECT' });
  });

  it('claims no checksum for an object stored without one', async () => {
    await s3.storage.putObject({ bucket, key: 'older', body: verifiedBody('stored before checksums'), metadata: plainMetadata });
    const got = await attributes('older');
    expect(got.Checksum).toBeUndefined();
    expect(got.ObjectSize).toBe('stored before checksums'.length);
  });

  it('refuses a missing or empty x-amz-object-attributes (InvalidRequest) and an unknown attribute (InvalidArgument)', async () => {
    await plain.send(new PutObjectCommand({ Bucket: bucket, Key: 'asked', Body: 'x' }));
    for (const headers of [{}, { 'x-amz-object-attributes': '' }, { 'x-amz-object-attributes': ' , ' }] as Record<string, string>[]) {
      const response = await signedFetch(s3, credentials, 'GET', `/${bucket}/asked?attributes`, { headers });
      expect([response.status, codeOf(response.text)], JSON.stringify(headers)).toEqual([400, 'InvalidRequest']);
    }
    expect(await failure(attributes('asked', { ObjectAttributes: [] }))).toEqual({ code: 'InvalidRequest', status: 400 });
    const unknown = await signedFetch(s3, credentials, 'GET', `/${bucket}/asked?attributes`, { headers: { 'x-amz-object-attributes': 'ETag,Owner' } });
    expect([unknown.status, codeOf(unknown.text)]).toEqual([400, 'InvalidArgument']);
    expect(unknown.text).toContain('<ArgumentValue>Owner</ArgumentValue>');
    // The attributes are read before the key is looked up; a missing key is then NoSuchKey.
    const missingKey = await signedFetch(s3, credentials, 'GET', `/${bucket}/no-such-key?attributes`, { headers: { 'x-amz-object-attributes': 'Owner' } });
    expect(codeOf(missingKey.text)).toBe('InvalidArgument');
    expect(await failure(attributes('no-such-key'))).toEqual({ code: 'NoSuchKey', status: 404 });
    expect(await failure(client.send(new GetObjectAttributesCommand({ Bucket: 'no-such-bucket', Key: 'k', ObjectAttributes: ['ETag'] })))).toEqual({
      code: 'NoSuchBucket',
      status: 404,
    });
    const badMax = await signedFetch(s3, credentials, 'GET', `/${bucket}/asked?attributes`, { headers: { 'x-amz-object-attributes': 'ObjectParts', 'x-amz-max-parts': 'many' } });
    expect([badMax.status, codeOf(badMax.text)]).toEqual([400, 'InvalidArgument']);
  });

  it('takes versionId as GetObject does: "null" is the object, any other is InvalidArgument', async () => {
    expect((await attributes('composite', { VersionId: 'null', ObjectAttributes: ['ObjectSize'] })).ObjectSize).toBeGreaterThan(0);
    expect(await failure(attributes('composite', { VersionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' }))).toEqual({ code: 'InvalidArgument', status: 400 });
  });

  it('honours the conditional headers with S3\'s precedence', async () => {
    const put = await plain.send(new PutObjectCommand({ Bucket: bucket, Key: 'conditional', Body: 'conditional' }));
    const etag = put.ETag as string;
    const past = new Date(Date.now() - 86_400_000).toUTCString();
    const future = new Date(Date.now() + 86_400_000).toUTCString();
    const ask = (headers: Record<string, string>) =>
      signedFetch(s3, credentials, 'GET', `/${bucket}/conditional?attributes`, { headers: { 'x-amz-object-attributes': 'ETag', ...headers } });
    expect((await ask({ 'if-match': '"00000000000000000000000000000000"' })).status).toBe(412);
    expect((await ask({ 'if-unmodified-since': past })).status).toBe(412);
    // If-Match true wins over If-Unmodified-Since false: 200.
    expect((await ask({ 'if-match': etag, 'if-unmodified-since': past })).status).toBe(200);
    // If-None-Match false (the ETag matches) wins over If-Modified-Since true: 304.
    const notModified = await ask({ 'if-none-match': etag, 'if-modified-since': past });
    expect([notModified.status, notModified.headers.get('etag')]).toEqual([304, etag]);
    expect((await ask({ 'if-modified-since': future })).status).toBe(304);
    expect((await ask({ 'if-none-match': '"00000000000000000000000000000000"' })).status).toBe(200);
  });
});
