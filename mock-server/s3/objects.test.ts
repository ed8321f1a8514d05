import { createHash, randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectKeyRules } from '../../spec/index.js';
import { failure, postPolicyForm, signedFetch, startTestS3, type Credentials, type TestS3 } from './test/test-s3.js';

/** Object operations through the real @aws-sdk/client-s3, in both of its checksum modes. */

let s3: TestS3;
let credentials: Credentials;
let client: S3Client;
let requiredClient: S3Client;
const bucket = 'objects-test';

beforeAll(async () => {
  s3 = await startTestS3();
  credentials = s3.token();
  client = s3.client(credentials);
  requiredClient = s3.client(credentials, { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await s3?.close();
});

/** Any well-formed Unicode key of 1..1024 UTF-8 bytes. */
const unicodeKey = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 200 })
  .filter((key) => key.isWellFormed() && Buffer.byteLength(key) <= objectKeyRules.value.maxBytes)
  // "." and ".." path segments are resolved away by URL handling before any S3 client sends them.
  .filter((key) => !key.split('/').some((segment) => segment === '.' || segment === '..'));

const bodyArb = fc
  .oneof(
    fc.integer({ min: 0, max: 70_000 }),
    fc.constantFrom(0, 1, 8191, 8192, 8193, 65_535, 65_536, 65_537, 131_072),
  )
  .map((size) => randomBytes(size));

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('PutObject / GetObject / HeadObject / listing / DeleteObject', () => {
  it.each([
    ['WHEN_SUPPORTED (CRC32, aws-chunked for streams)', () => client],
    ['WHEN_REQUIRED (no checksums, UNSIGNED-PAYLOAD for streams)', () => requiredClient],
  ])('round-trips any Unicode key and body byte for byte, %s', async (_mode, pick) => {
    await fc.assert(
      fc.asyncProperty(unicodeKey, bodyArb, fc.boolean(), async (key, data, asStream) => {
        const c = pick();
        const put = await c.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: asStream ? Readable.from([data.subarray(0, data.length >> 1), data.subarray(data.length >> 1)]) : data,
            ContentLength: data.length,
          }),
        );
        expect(put.ETag).toBe(`"${createHash('md5').update(data).digest('hex')}"`);
        const got = await c.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const bytes = Buffer.from(await got.Body!.transformToByteArray());
        expect(sha(bytes)).toBe(sha(data));
        expect(got.ContentLength).toBe(data.length);
        const head = await c.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        expect(head.ETag).toBe(put.ETag);
        // Listed exactly: encoding-type=url carries any key through XML unharmed.
        const listed = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, EncodingType: 'url' }));
        const keys = (listed.Contents ?? []).map((entry) => decodeURIComponent(entry.Key!.replace(/\+/g, ' ')));
        expect(keys).toContain(key);
        await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        expect((await failure(c.send(new HeadObjectCommand({ Bucket: bucket, Key: key })))).status).toBe(404);
      }),
      { numRuns: 25 },
    );
  });

  it('lists keys with any Unicode exactly without encoding-type too (XML escaping)', async () => {
    const keys = ['tab\there', 'amp&lt;<>"\'', 'emoji 😀 and é', 'ctl\u0001\u001f', 'cr\rlf\nend', 'nbsp\u00a0', '\u2028line'];
    for (const key of keys) await client.send(new PutObjectCommand({ Bucket: bucket, Key: `xml/${key}`, Body: key }));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'xml/' }));
    expect((listed.Contents ?? []).map((entry) => entry.Key).sort()).toEqual(keys.map((key) => `xml/${key}`).sort());
  });

  it('returns the checksum the body carried, and serves it back when asked', async () => {
    const data = Buffer.from('checksummed body');
    const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'sum', Body: data, ChecksumAlgorithm: 'SHA256' }));
    expect(put.ChecksumSHA256).toBe(createHash('sha256').update(data).digest('base64'));
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'sum', ChecksumMode: 'ENABLED' }));
    expect(got.ChecksumSHA256).toBe(put.ChecksumSHA256);
    await got.Body!.transformToString();
    const crc = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'sum32', Body: data }));
    expect(crc.ChecksumCRC32).toMatch(/^[A-Za-z0-9+/]{6}==$/);
  });

  it('keeps user metadata, content type and standard headers', async () => {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'meta',
        Body: 'm',
        ContentType: 'text/markdown; charset=utf-8',
        ContentDisposition: 'attachment; filename="m.md"',
        CacheControl: 'max-age=60',
        ContentLanguage: 'en',
        Metadata: { colour: 'blue', 'two-words': 'x y' },
      }),
    );
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'meta' }));
    expect(head.ContentType).toBe('text/markdown; charset=utf-8');
    expect(head.ContentDisposition).toBe('attachment; filename="m.md"');
    expect(head.CacheControl).toBe('max-age=60');
    expect(head.ContentLanguage).toBe('en');
    expect(head.Metadata).toEqual({ colour: 'blue', 'two-words': 'x y' });
    // Without a Content-Type the object gets S3's default.
    const untyped = await signedFetch(s3, credentials, 'PUT', `/${bucket}/untyped`, { body: 's' });
    expect(untyped.status).toBe(200);
    const untypedHead = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'untyped' }));
    expect(untypedHead.ContentType).toBe('binary/octet-stream');
    expect(untypedHead.ContentEncoding).toBeUndefined();
  });

  it('refuses metadata over 2 KB and keys over 1024 bytes', async () => {
    const big = await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'big-meta', Body: 'x', Metadata: { a: 'v'.repeat(2100) } })));
    expect(big.code).toBe('MetadataTooLarge');
    const longKey = 'é'.repeat(512) + 'k';
    expect(Buffer.byteLength(longKey)).toBe(1025);
    const tooLong = await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: longKey, Body: 'x' })));
    expect(tooLong.code).toBe('KeyTooLongError');
    const exact = 'é'.repeat(512);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: exact, Body: 'x' }));
    expect((await client.send(new HeadObjectCommand({ Bucket: bucket, Key: exact }))).ContentLength).toBe(1);
  });
});

describe('GetObject Range, conditionals and response-* overrides', () => {
  const data = randomBytes(10_000);
  let etag = '';
  beforeAll(async () => {
    etag = (await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'ranged', Body: data }))).ETag!;
  });

  it('serves any satisfiable byte range, and 416 InvalidRange beyond the end', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(fc.nat(data.length - 1), fc.nat(20_000)).map(([start, length]) => ({ header: `bytes=${start}-${start + length}`, start, end: Math.min(start + length, data.length - 1) })),
          fc.nat(data.length - 1).map((start) => ({ header: `bytes=${start}-`, start, end: data.length - 1 })),
          fc.integer({ min: 1, max: 20_000 }).map((n) => ({ header: `bytes=-${n}`, start: Math.max(0, data.length - n), end: data.length - 1 })),
        ),
        async ({ header, start, end }) => {
          const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'ranged', Range: header }));
          expect(got.ContentRange).toBe(`bytes ${start}-${end}/${data.length}`);
          expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data.subarray(start, end + 1))).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
    const beyond = await failure(client.send(new GetObjectCommand({ Bucket: bucket, Key: 'ranged', Range: `bytes=${data.length}-` })));
    expect(beyond).toMatchObject({ code: 'InvalidRange', status: 416 });
  });

  it('honours If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since', async () => {
    const lastModified = (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'ranged' }))).LastModified!;
    const later = new Date(lastModified.getTime() + 60_000);
    const earlier = new Date(lastModified.getTime() - 60_000);
    const get = (input: Record<string, unknown>) => client.send(new GetObjectCommand({ Bucket: bucket, Key: 'ranged', ...input }));
    await expect(get({ IfMatch: etag }).then((r) => r.Body!.transformToString())).resolves.toBeDefined();
    expect(await failure(get({ IfMatch: '"0000"' }))).toMatchObject({ code: 'PreconditionFailed', status: 412 });
    expect((await failure(get({ IfNoneMatch: etag }))).status).toBe(304);
    await expect(get({ IfNoneMatch: '"0000"' }).then((r) => r.Body!.transformToString())).resolves.toBeDefined();
    expect((await failure(get({ IfModifiedSince: later }))).status).toBe(304);
    await expect(get({ IfModifiedSince: earlier }).then((r) => r.Body!.transformToString())).resolves.toBeDefined();
    expect(await failure(get({ IfUnmodifiedSince: earlier }))).toMatchObject({ code: 'PreconditionFailed', status: 412 });
    // If-Match wins over a failing If-Unmodified-Since; If-None-Match over If-Modified-Since (RFC 7232).
    await expect(get({ IfMatch: etag, IfUnmodifiedSince: earlier }).then((r) => r.Body!.transformToString())).resolves.toBeDefined();
    expect((await failure(get({ IfNoneMatch: etag, IfModifiedSince: earlier }))).status).toBe(304);
    expect((await failure(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'ranged', IfNoneMatch: etag })))).status).toBe(304);
  });

  it('applies response-* overrides', async () => {
    const got = await client.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: 'ranged',
        ResponseContentType: 'image/png',
        ResponseContentDisposition: 'inline',
        ResponseCacheControl: 'no-store',
        ResponseContentLanguage: 'fr',
        ResponseExpires: new Date('2030-01-01T00:00:00Z'),
      }),
    );
    await got.Body!.transformToString();
    expect(got).toMatchObject({ ContentType: 'image/png', ContentDisposition: 'inline', CacheControl: 'no-store', ContentLanguage: 'fr' });
    expect(got.ExpiresString).toBe('Tue, 01 Jan 2030 00:00:00 GMT');
  });
});

describe('CopyObject', () => {
  it('copies bytes and metadata (COPY), replaces metadata (REPLACE), and refuses a self-copy without changes', async () => {
    const data = randomBytes(5000);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'src', Body: data, ContentType: 'text/x-src', Metadata: { origin: 'src' } }));
    const copied = await client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'dst ü', CopySource: `${bucket}/src` }));
    expect(copied.CopyObjectResult?.ETag).toBe(`"${createHash('md5').update(data).digest('hex')}"`);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dst ü' }));
    expect(head).toMatchObject({ ContentType: 'text/x-src', Metadata: { origin: 'src' }, ContentLength: 5000 });
    await client.send(
      new CopyObjectCommand({ Bucket: bucket, Key: 'src', CopySource: `${bucket}/src`, MetadataDirective: 'REPLACE', ContentType: 'text/new', Metadata: { v: '2' } }),
    );
    const replaced = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'src' }));
    expect(replaced).toMatchObject({ ContentType: 'text/new', Metadata: { v: '2' } });
    const self = await failure(client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'src', CopySource: `${bucket}/src` })));
    expect(self.code).toBe('InvalidRequest');
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'dst ü' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
  });

  it('checks x-amz-copy-source-if-* conditions, and reports a missing source', async () => {
    const { ETag } = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond-src', Body: 'c' }));
    const copy = (input: Record<string, unknown>) => client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'cond-dst', CopySource: `${bucket}/cond-src`, ...input }));
    await copy({ CopySourceIfMatch: ETag });
    expect((await failure(copy({ CopySourceIfMatch: '"nope"' }))).code).toBe('PreconditionFailed');
    expect((await failure(copy({ CopySourceIfNoneMatch: ETag }))).code).toBe('PreconditionFailed');
    expect((await failure(copy({ CopySourceIfModifiedSince: new Date(Date.now() + 3_600_000) }))).code).toBe('PreconditionFailed');
    expect((await failure(copy({ CopySourceIfUnmodifiedSince: new Date('2000-01-01') }))).code).toBe('PreconditionFailed');
    const missing = await failure(client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'x', CopySource: `${bucket}/no-such-source` })));
    expect(missing.code).toBe('NoSuchKey');
  });
});

describe('DeleteObjects', () => {
  it('reports each deleted key, or only errors in quiet mode', async () => {
    const keys = ['d/1', 'd/ two', 'd/3 ü'];
    for (const key of keys) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
    const loud = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'd/1' }, { Key: 'd/missing' }] } }));
    expect((loud.Deleted ?? []).map((d) => d.Key).sort()).toEqual(['d/1', 'd/missing']);
    const quiet = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Quiet: true, Objects: [{ Key: 'd/ two' }, { Key: 'd/3 ü' }, { Key: 'x'.repeat(1025) }] } }));
    expect(quiet.Deleted).toBeUndefined();
    expect(quiet.Errors?.map((e) => e.Code)).toEqual(['KeyTooLongError']);
    const left = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'd/' }));
    expect(left.KeyCount).toBe(0);
    const viaRequired = await requiredClient.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'gone' }] } }));
    expect(viaRequired.Deleted?.[0]?.Key).toBe('gone');
  });
});

describe('presigned URLs with plain fetch', () => {
  it('PUT, GET, HEAD and DELETE work; a tampered or expired URL does not', async () => {
    const signer = s3.client(credentials, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    const key = 'presigned/ünï code+plus';
    const putUrl = await getSignedUrl(signer, new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 300 });
    expect((await fetch(putUrl, { method: 'PUT', body: 'presigned body' })).status).toBe(200);
    const getUrl = await getSignedUrl(signer, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 300 });
    const got = await fetch(getUrl);
    expect(await got.text()).toBe('presigned body');
    const headUrl = await getSignedUrl(signer, new HeadObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 300 });
    const head = await fetch(headUrl, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe('14');
    const tampered = await fetch(getUrl.replace('X-Amz-Expires=300', 'X-Amz-Expires=301'));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('SignatureDoesNotMatch');
    s3.clock.advance(301);
    const expired = await fetch(getUrl);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
    const deleteUrl = await getSignedUrl(signer, new DeleteObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: 300,
      signingDate: new Date(s3.clock.nowMs()),
    });
    expect((await fetch(deleteUrl, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(getUrl)).status).toBe(403);
  });
});

describe('errors and headers', () => {
  it('renders S3 XML errors with request ids and a correct Date header; HEAD errors have no body', async () => {
    const response = await signedFetch(s3, credentials, 'GET', `/${bucket}/no-such-key`);
    expect(response.status).toBe(404);
    expect(response.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>[^<]+<\/Message><Key>no-such-key<\/Key><Resource>\/objects-test\/no-such-key<\/Resource><RequestId>[0-9A-F]{16}<\/RequestId><\/Error>$/);
    expect(response.text).toContain(`<RequestId>${response.headers.get('x-amz-request-id')}</RequestId>`);
    expect(response.headers.get('x-amz-id-2')).toBeTruthy();
    expect(Math.abs(Date.parse(response.headers.get('date')!) - s3.clock.nowMs())).toBeLessThan(2000);
    const head = await signedFetch(s3, credentials, 'HEAD', `/${bucket}/no-such-key`);
    expect(head.status).toBe(404);
    expect(head.text).toBe('');
    const noBucket = await failure(client.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })));
    expect(noBucket.code).toBe('NoSuchBucket');
  });

  it('answers sub-resources it does not implement with 501 NotImplemented, after authentication', async () => {
    const unimplemented: Array<[string, string]> = [
      ['GET', `/${bucket}?website`],
      ['GET', `/${bucket}?policy`],
      ['GET', `/${bucket}/key?tagging`],
      ['GET', `/${bucket}/key?acl`],
      // Only reading a bucket's versioning state is served (never enabled); changing it is not.
      ['PUT', `/${bucket}?versioning`],
    ];
    for (const [method, path] of unimplemented) {
      const response = await signedFetch(s3, credentials, method, path);
      expect(response.status, path).toBe(501);
      expect(response.text).toContain('<Code>NotImplemented</Code>');
      const anonymous = await fetch(new URL(path, s3.endpoint), { method });
      expect(anonymous.status, path).toBe(403);
    }
  });

  it('puts the mock clock into the Date header, so SDKs can correct their skew', async () => {
    const moved = await startTestS3();
    try {
      const creds = moved.token();
      await moved.client(creds).send(new CreateBucketCommand({ Bucket: 'skewed' }));
      moved.clock.advance(3600);
      const before = moved.clock.nowMs();
      const response = await signedFetch(moved, creds, 'GET', '/skewed?list-type=2&max-keys=1');
      const after = moved.clock.nowMs();
      expect(response.status).toBe(200);
      // The header has whole seconds: it is the mock's clock, read between the request and its answer.
      const served = Date.parse(response.headers.get('date')!);
      expect(served).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(served).toBeLessThanOrEqual(after);
      expect(moved.clock.offsetMs()).toBe(3_600_000);
      // An SDK whose clock is an hour behind corrects itself from that header and then succeeds.
      const corrected = moved.client(creds, { maxAttempts: 3 });
      const listed = await corrected.send(new ListObjectsV2Command({ Bucket: 'skewed' }));
      expect(listed.KeyCount).toBe(0);
    } finally {
      await moved.close();
    }
  });
});

describe('virtual-hosted-style addressing', () => {
  it('serves bucket.DOMAIN/key when started with an S3 domain', async () => {
    const hosted = await startTestS3({ s3Domain: 's3.test' });
    try {
      const creds = hosted.token();
      // Resolve every *.s3.test name to the mock.
      const agent = new Agent({
        lookup: (_host, options, callback) => {
          const done = callback as (error: null, address: string | { address: string; family: number }[], family?: number) => void;
          if ((options as { all?: boolean }).all) done(null, [{ address: '127.0.0.1', family: 4 }]);
          else done(null, '127.0.0.1', 4);
        },
      });
      const virtual = hosted.client(creds, {
        endpoint: `http://s3.test:${hosted.port}`,
        forcePathStyle: false,
        requestHandler: new NodeHttpHandler({ httpAgent: agent }),
      });
      await virtual.send(new CreateBucketCommand({ Bucket: 'virtual-bucket' }));
      await virtual.send(new PutObjectCommand({ Bucket: 'virtual-bucket', Key: 'dir/file ü', Body: 'hosted' }));
      const got = await virtual.send(new GetObjectCommand({ Bucket: 'virtual-bucket', Key: 'dir/file ü' }));
      expect(await got.Body!.transformToString()).toBe('hosted');
      const pathStyle = hosted.client(creds);
      const listed = await pathStyle.send(new ListObjectsV2Command({ Bucket: 'virtual-bucket' }));
      expect(listed.Contents?.map((c) => c.Key)).toEqual(['dir/file ü']);
      agent.destroy();
    } finally {
      await hosted.close();
    }
  });
});

describe('bodies that fail verification', () => {
  it('a wrong checksum or Content-MD5 is refused and stores nothing, not even over an existing object', async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'verified', Body: 'original' }));
    const wrongCrc = await signedFetch(s3, credentials, 'PUT', `/${bucket}/verified`, { body: 'tampered', headers: { 'x-amz-checksum-crc32': 'AAAAAA==' } });
    expect(wrongCrc.status).toBe(400);
    expect(wrongCrc.text).toMatch(/<Code>(BadDigest|InvalidDigest)<\/Code>/);
    const wrongMd5 = await signedFetch(s3, credentials, 'PUT', `/${bucket}/verified`, {
      body: 'tampered',
      headers: { 'content-md5': createHash('md5').update('something else').digest('base64') },
    });
    expect(wrongMd5.status).toBe(400);
    expect(wrongMd5.text).toContain('<Code>BadDigest</Code>');
    const fresh = await signedFetch(s3, credentials, 'PUT', `/${bucket}/never-stored`, { body: 'x', headers: { 'x-amz-checksum-sha256': createHash('sha256').update('y').digest('base64') } });
    expect(fresh.status).toBe(400);
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'verified' }));
    expect(await got.Body!.transformToString()).toBe('original');
    expect((await failure(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'never-stored' })))).status).toBe(404);
  });
});

describe('conditional writes', () => {
  it('If-None-Match: * refuses to overwrite; If-Match needs the current ETag', async () => {
    const first = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond-write', Body: 'one', IfNoneMatch: '*' }));
    expect((await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond-write', Body: 'two', IfNoneMatch: '*' })))).status).toBe(412);
    expect((await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond-write', Body: 'two', IfMatch: '"00"' })))).status).toBe(412);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond-write', Body: 'three', IfMatch: first.ETag }));
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'cond-write' }));
    expect(await got.Body!.transformToString()).toBe('three');
  });
});

describe('racing conditional writes', () => {
  /**
   * Starts two PutObjects on one key whose bodies are held open halfway, so both pass the early condition check
   * before either commits; then finishes them. Returns the outcomes in start order and the stored body.
   */
  async function race(key: string, conditions: [{ IfNoneMatch?: string; IfMatch?: string }, { IfNoneMatch?: string; IfMatch?: string }]) {
    const bodies = ['first-body', 'second-body'];
    const streams = bodies.map(() => new PassThrough());
    const sends = conditions.map((condition, index) =>
      requiredClient
        .send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: streams[index], ContentLength: bodies[index]!.length, ...condition }))
        .then(() => 200, (error: S3ServiceException) => ({ status: error.$metadata?.httpStatusCode, code: error.name })),
    );
    streams.forEach((stream, index) => stream.write(bodies[index]!.slice(0, 3)));
    // Both requests are now past authentication and the early check, waiting for the rest of their bodies.
    await sleep(200);
    streams.forEach((stream, index) => stream.end(bodies[index]!.slice(3)));
    const outcomes = await Promise.all(sends);
    const stored = await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
    return { outcomes, stored, bodies };
  }

  it('of two PUTs with If-None-Match: * on a new key, exactly one wins and the loser gets 412', async () => {
    const { outcomes, stored, bodies } = await race('race-new', [{ IfNoneMatch: '*' }, { IfNoneMatch: '*' }]);
    expect(outcomes.filter((outcome) => outcome === 200)).toHaveLength(1);
    expect(outcomes).toContainEqual({ status: 412, code: 'PreconditionFailed' });
    expect(stored).toBe(bodies[outcomes.indexOf(200)]);
  });

  it('of two PUTs with If-Match on the same ETag, exactly one wins and the loser gets 412', async () => {
    const { ETag } = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'race-match', Body: 'base' }));
    const { outcomes, stored, bodies } = await race('race-match', [{ IfMatch: ETag! }, { IfMatch: ETag! }]);
    expect(outcomes.filter((outcome) => outcome === 200)).toHaveLength(1);
    expect(outcomes).toContainEqual({ status: 412, code: 'PreconditionFailed' });
    expect(stored).toBe(bodies[outcomes.indexOf(200)]);
  });

  it('a CopyObject with If-None-Match: * onto an existing key is refused with 412', async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy-cond-src', Body: 'source' }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy-cond-dst', Body: 'kept' }));
    const copied = await signedFetch(s3, credentials, 'PUT', `/${bucket}/copy-cond-dst`, {
      headers: { 'x-amz-copy-source': `/${bucket}/copy-cond-src`, 'if-none-match': '*' },
    });
    expect(copied.status).toBe(412);
    expect(copied.text).toContain('<Code>PreconditionFailed</Code>');
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy-cond-dst' }));
    expect(await got.Body!.transformToString()).toBe('kept');
  });
});

describe('versionId on an unversioned bucket', () => {
  it('a bogus versionId on Delete, Get and Head is InvalidArgument and leaves the object intact', async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'versioned-key', Body: 'still here' }));
    const bogus = '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY';
    await expect(client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'versioned-key', VersionId: bogus }))).rejects.toMatchObject({
      name: 'InvalidArgument',
      message: 'Invalid version id specified',
      $metadata: { httpStatusCode: 400 },
    });
    expect(await failure(client.send(new GetObjectCommand({ Bucket: bucket, Key: 'versioned-key', VersionId: bogus })))).toMatchObject({
      code: 'InvalidArgument',
      status: 400,
    });
    expect((await failure(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'versioned-key', VersionId: bogus })))).status).toBe(400);
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'versioned-key' }));
    expect(await got.Body!.transformToString()).toBe('still here');
  });

  it('versionId "null" names the current object', async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'null-version', Body: 'current' }));
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'null-version', VersionId: 'null' }));
    expect(await got.Body!.transformToString()).toBe('current');
    expect((await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'null-version', VersionId: 'null' }))).ContentLength).toBe(7);
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'null-version', VersionId: 'null' }));
    expect((await failure(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'null-version' })))).status).toBe(404);
  });
});

describe('browser POST policy uploads', () => {
  it('stores the file with the form fields as metadata and answers as success_action_status asks', async () => {
    const form = postPolicyForm(credentials, {
      bucket,
      key: 'posted/${filename}',
      body: 'posted by a browser',
      nowMs: s3.clock.nowMs(),
      fields: { 'Content-Type': 'text/plain', 'x-amz-meta-source': 'form', success_action_status: '201' },
    });
    const response = await fetch(`${s3.endpoint}/${bucket}`, { method: 'POST', body: form });
    const text = await response.text();
    expect(response.status, text).toBe(201);
    expect(text).toContain('<Key>posted/upload.bin</Key>');
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'posted/upload.bin' }));
    expect(head).toMatchObject({ ContentType: 'text/plain', Metadata: { source: 'form' }, ContentLength: 19 });

    const redirected = postPolicyForm(credentials, {
      bucket,
      key: 'posted/redirect',
      body: 'r',
      nowMs: s3.clock.nowMs(),
      fields: { success_action_redirect: 'https://app.example/done' },
    });
    const redirect = await fetch(`${s3.endpoint}/${bucket}`, { method: 'POST', body: redirected, redirect: 'manual' });
    expect(redirect.status).toBe(303);
    const location = new URL(redirect.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://app.example/done');
    expect(location.searchParams.get('key')).toBe('posted/redirect');

    const plain = postPolicyForm(credentials, { bucket, key: 'posted/plain', body: '', nowMs: s3.clock.nowMs() });
    expect((await fetch(`${s3.endpoint}/${bucket}`, { method: 'POST', body: plain })).status).toBe(204);
    const missingBucket = postPolicyForm(credentials, { bucket: 'no-such-bucket-here', key: 'k', body: 'x', nowMs: s3.clock.nowMs() });
    const noBucket = await fetch(`${s3.endpoint}/no-such-bucket-here`, { method: 'POST', body: missingBucket });
    expect(noBucket.status).toBe(404);
    expect(await noBucket.text()).toContain('<Code>NoSuchBucket</Code>');
  });
});
