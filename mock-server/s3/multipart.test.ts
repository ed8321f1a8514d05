import { createHash, randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartLimits } from '../../spec/index.js';
import { failure, startTestS3, type TestS3 } from './test/test-s3.js';

/** Multipart uploads through the real SDK: random part layouts, part rules, listings, copies, aborts. */

let s3: TestS3;
let client: S3Client;
let requiredClient: S3Client;
const bucket = 'multipart-test';
const minPart = multipartLimits.value.minPartBytes;

beforeAll(async () => {
  s3 = await startTestS3();
  const credentials = s3.token();
  client = s3.client(credentials);
  requiredClient = s3.client(credentials, { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await s3?.close();
});

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

/** Non-final parts at or a little above 5 MiB, a final part of any size (1 byte up). */
const layout = fc.tuple(
  fc.array(fc.integer({ min: 0, max: 4096 }), { maxLength: 2 }).map((extras) => extras.map((extra) => minPart + extra)),
  fc.integer({ min: 1, max: 70_000 }),
);

describe('multipart upload', () => {
  it.each([
    ['WHEN_SUPPORTED', () => client],
    ['WHEN_REQUIRED', () => requiredClient],
  ])('assembles any part layout byte for byte with the md5-of-md5s-N ETag (%s)', async (_mode, pick) => {
    await fc.assert(
      fc.asyncProperty(layout, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), async ([fullSizes, lastSize], key) => {
        const c = pick();
        const parts = [...fullSizes, lastSize].map((size) => randomBytes(size));
        const created = await c.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'application/x-test', Metadata: { kind: 'mpu' } }));
        const etags: string[] = [];
        for (const [index, data] of parts.entries()) {
          const uploaded = await c.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId, PartNumber: index + 1, Body: data }));
          expect(uploaded.ETag).toBe(`"${md5(data)}"`);
          etags.push(uploaded.ETag!);
        }
        const listed = await c.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId }));
        expect(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual(parts.map((data, i) => [i + 1, etags[i], data.length]));
        const completed = await c.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: created.UploadId,
            MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
          }),
        );
        const expectedEtag = `"${md5(Buffer.concat(etags.map((e) => Buffer.from(e.slice(1, -1), 'hex'))))}-${parts.length}"`;
        expect(completed.ETag).toBe(expectedEtag);
        const head = await c.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        expect(head).toMatchObject({ ETag: expectedEtag, ContentType: 'application/x-test', Metadata: { kind: 'mpu' } });
        const got = await c.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const body = Buffer.from(await got.Body!.transformToByteArray());
        expect(md5(body)).toBe(md5(Buffer.concat(parts)));
        expect(await failure(c.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId })))).toMatchObject({ code: 'NoSuchUpload', status: 404 });
      }),
      { numRuns: 4 },
    );
  });

  it('refuses a small non-final part, wrong ETags, bad order and part numbers outside 1..10000', async () => {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'rules' }));
    const small = await client.send(new UploadPartCommand({ Bucket: bucket, Key: 'rules', UploadId, PartNumber: 1, Body: randomBytes(minPart - 1) }));
    const last = await client.send(new UploadPartCommand({ Bucket: bucket, Key: 'rules', UploadId, PartNumber: 2, Body: 'end' }));
    const complete = (parts: { ETag: string; PartNumber: number }[]) =>
      client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'rules', UploadId, MultipartUpload: { Parts: parts } }));
    expect((await failure(complete([{ ETag: small.ETag!, PartNumber: 1 }, { ETag: last.ETag!, PartNumber: 2 }]))).code).toBe('EntityTooSmall');
    expect((await failure(complete([{ ETag: last.ETag!, PartNumber: 2 }, { ETag: small.ETag!, PartNumber: 1 }]))).code).toBe('InvalidPartOrder');
    expect((await failure(complete([{ ETag: '"00000000000000000000000000000000"', PartNumber: 2 }]))).code).toBe('InvalidPart');
    // An empty list is not a list of parts (the SDK sends no Part element).
    expect((await failure(complete([]))).code).toBe('MalformedXML');
    for (const PartNumber of [0, 10_001]) {
      const bad = await failure(client.send(new UploadPartCommand({ Bucket: bucket, Key: 'rules', UploadId, PartNumber, Body: 'x' })));
      expect(bad.code).toBe('InvalidArgument');
    }
    // A single small part is a valid (final) part.
    const done = await complete([{ ETag: last.ETag!, PartNumber: 2 }]);
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-1"$/);
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'rules' }));
    expect(await got.Body!.transformToString()).toBe('end');
  });

  it('re-uploading a part number replaces it; ListParts pages with max-parts and part-number-marker', async () => {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'pages' }));
    for (let n = 1; n <= 5; n += 1) await client.send(new UploadPartCommand({ Bucket: bucket, Key: 'pages', UploadId, PartNumber: n, Body: `part ${n}` }));
    const replaced = await client.send(new UploadPartCommand({ Bucket: bucket, Key: 'pages', UploadId, PartNumber: 3, Body: 'three again' }));
    const first = await client.send(new ListPartsCommand({ Bucket: bucket, Key: 'pages', UploadId, MaxParts: 2 }));
    expect(first.Parts?.map((p) => p.PartNumber)).toEqual([1, 2]);
    expect(first.IsTruncated).toBe(true);
    const second = await client.send(new ListPartsCommand({ Bucket: bucket, Key: 'pages', UploadId, MaxParts: 2, PartNumberMarker: first.NextPartNumberMarker }));
    expect(second.Parts?.map((p) => [p.PartNumber, p.ETag])).toEqual([
      [3, replaced.ETag],
      [4, expect.any(String)],
    ]);
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'pages', UploadId }));
    expect((await failure(client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'pages', UploadId })))).code).toBe('NoSuchUpload');
  });

  it('ListMultipartUploads filters by prefix and rolls up at the delimiter', async () => {
    const keys = ['up/a', 'up/b/1', 'up/b/2', 'other'];
    const ids = new Map<string, string>();
    for (const key of keys) ids.set(key, (await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))).UploadId!);
    const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'up/', Delimiter: '/' }));
    expect(listed.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['up/a', ids.get('up/a')]]);
    expect(listed.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['up/b/']);
    const paged = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'up/', MaxUploads: 2 }));
    expect(paged.Uploads?.map((u) => u.Key)).toEqual(['up/a', 'up/b/1']);
    expect(paged.IsTruncated).toBe(true);
    const rest = await client.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'up/', KeyMarker: paged.NextKeyMarker, UploadIdMarker: paged.NextUploadIdMarker }),
    );
    expect(rest.Uploads?.map((u) => u.Key)).toEqual(['up/b/2']);
    for (const [Key, UploadId] of ids) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }));
  });

  it('UploadPartCopy copies a whole object or a byte range into a part', async () => {
    const source = randomBytes(minPart + 100);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy-source', Body: source }));
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'copied' }));
    const whole = await client.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copied', UploadId, PartNumber: 1, CopySource: `${bucket}/copy-source` }));
    const range = await client.send(
      new UploadPartCopyCommand({ Bucket: bucket, Key: 'copied', UploadId, PartNumber: 2, CopySource: `${bucket}/copy-source`, CopySourceRange: 'bytes=10-19' }),
    );
    expect(whole.CopyPartResult?.ETag).toBe(`"${md5(source)}"`);
    expect(range.CopyPartResult?.ETag).toBe(`"${md5(source.subarray(10, 20))}"`);
    const badRange = await failure(
      client.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copied', UploadId, PartNumber: 3, CopySource: `${bucket}/copy-source`, CopySourceRange: `bytes=0-${source.length}` })),
    );
    expect(badRange.code).toBe('InvalidArgument');
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'copied',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: whole.CopyPartResult!.ETag }, { PartNumber: 2, ETag: range.CopyPartResult!.ETag }] },
      }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'copied' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat([source, source.subarray(10, 20)]))).toBe(true);
    // partNumber serves one part of the assembled object.
    const second = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'copied', PartNumber: 2 }));
    expect(second.PartsCount).toBe(2);
    expect(second.ContentRange).toBe(`bytes ${source.length}-${source.length + 9}/${source.length + 10}`);
    expect(Buffer.from(await second.Body!.transformToByteArray()).equals(source.subarray(10, 20))).toBe(true);
    expect((await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'copied' }))).PartsCount).toBeUndefined();
    expect(await failure(client.send(new GetObjectCommand({ Bucket: bucket, Key: 'copied', PartNumber: 3 })))).toMatchObject({ code: 'InvalidPartNumber', status: 416 });
  });

  it('an upload with a checksum algorithm gets S3\'s composite checksum, and part checksums must match', async () => {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'composite', ChecksumAlgorithm: 'CRC32' }));
    const parts = [randomBytes(minPart), randomBytes(77)];
    const uploaded = [];
    for (const [i, data] of parts.entries()) {
      uploaded.push(await client.send(new UploadPartCommand({ Bucket: bucket, Key: 'composite', UploadId, PartNumber: i + 1, Body: data, ChecksumAlgorithm: 'CRC32' })));
    }
    const crc32 = (data: Buffer) => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(zlib.crc32(data));
      return out;
    };
    expect(uploaded.map((u) => u.ChecksumCRC32)).toEqual(parts.map((data) => crc32(data).toString('base64')));
    const wrong = await failure(
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'composite',
          UploadId,
          MultipartUpload: { Parts: uploaded.map((u, i) => ({ PartNumber: i + 1, ETag: u.ETag, ChecksumCRC32: i === 0 ? 'AAAAAA==' : u.ChecksumCRC32 })) },
        }),
      ),
    );
    expect(wrong.code).toBe('InvalidPart');
    const completed = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'composite',
        UploadId,
        MultipartUpload: { Parts: uploaded.map((u, i) => ({ PartNumber: i + 1, ETag: u.ETag, ChecksumCRC32: u.ChecksumCRC32 })) },
      }),
    );
    const expected = `${crc32(Buffer.concat(uploaded.map((u) => Buffer.from(u.ChecksumCRC32!, 'base64')))).toString('base64')}-2`;
    expect(completed.ChecksumCRC32).toBe(expected);
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'composite', ChecksumMode: 'ENABLED' }));
    expect(got.ChecksumCRC32).toBe(expected);
    expect(got.ChecksumType).toBe('COMPOSITE');
    expect(md5(Buffer.from(await got.Body!.transformToByteArray()))).toBe(md5(Buffer.concat(parts)));
  });

  it('an upload id belongs to its key', async () => {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'owner-key' }));
    const wrong = await failure(client.send(new UploadPartCommand({ Bucket: bucket, Key: 'other-key', UploadId, PartNumber: 1, Body: 'x' })));
    expect(wrong.code).toBe('NoSuchUpload');
    const unknown = await failure(client.send(new UploadPartCommand({ Bucket: bucket, Key: 'owner-key', UploadId: 'bogus', PartNumber: 1, Body: 'x' })));
    expect(unknown.code).toBe('NoSuchUpload');
  });
});

describe('conditional CompleteMultipartUpload', () => {
  async function uploadOnePart(key: string) {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: 'assembled' }));
    return { UploadId: UploadId!, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: ETag! }] } };
  }

  it('If-None-Match: * on an existing key is 412, keeps the object and the upload; on a new key it completes', async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond-complete', Body: 'existing' }));
    const upload = await uploadOnePart('cond-complete');
    const refused = await failure(client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'cond-complete', ...upload, IfNoneMatch: '*' })));
    expect(refused).toEqual({ code: 'PreconditionFailed', status: 412 });
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'cond-complete' }));
    expect(await got.Body!.transformToString()).toBe('existing');
    expect((await client.send(new ListPartsCommand({ Bucket: bucket, Key: 'cond-complete', UploadId: upload.UploadId }))).Parts).toHaveLength(1);

    const fresh = await uploadOnePart('cond-complete-new');
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'cond-complete-new', ...fresh, IfNoneMatch: '*' }));
    const made = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'cond-complete-new' }));
    expect(await made.Body!.transformToString()).toBe('assembled');
  });

  it('If-Match needs the current ETag', async () => {
    const { ETag } = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond-complete-match', Body: 'v1' }));
    const upload = await uploadOnePart('cond-complete-match');
    const refused = await failure(client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'cond-complete-match', ...upload, IfMatch: '"00"' })));
    expect(refused).toEqual({ code: 'PreconditionFailed', status: 412 });
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'cond-complete-match', ...upload, IfMatch: ETag! }));
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'cond-complete-match' }));
    expect(await got.Body!.transformToString()).toBe('assembled');
  });
});
