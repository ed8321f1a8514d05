import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { objectStorageToken, useAuthTestServer, type Outcome } from './test/signing-harness.js';

const accessKeyId = 'AKIBEETESTKEY0000001';
const secretAccessKey = 'test-secret-0123456789abcdefghijklmnopqrstuv';

const server = useAuthTestServer(accessKeyId, secretAccessKey);

function client(config: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint: server().endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
    ...config,
  });
}

function lastOutcome(): Outcome {
  const outcome = server().outcomes.at(-1);
  if (!outcome) throw new Error('the server saw no request');
  return outcome;
}

function crc32Base64(data: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(zlib.crc32(data) >>> 0);
  return out.toString('base64');
}

const md5Hex = (data: Buffer): string => createHash('md5').update(data).digest('hex');

async function expectS3Error(promise: Promise<unknown>, code: string, status: number): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { name?: string; $metadata?: { httpStatusCode?: number } },
  );
  expect(error, `expected ${code}`).toBeDefined();
  expect(error?.name).toBe(code);
  expect(error?.$metadata?.httpStatusCode).toBe(status);
}

describe('header SigV4 with @aws-sdk/client-s3', () => {
  it('verifies a PutObject with a Buffer body and the default CRC32 header checksum', async () => {
    const body = Buffer.from('hello, buffer body');
    const result = await client().send(new PutObjectCommand({ Bucket: 'bucket-a', Key: 'dir/file.txt', Body: body }));
    const outcome = lastOutcome();
    expect(outcome.error).toBeUndefined();
    expect(outcome.headers?.['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(outcome.headers?.['x-amz-checksum-crc32']).toBe(crc32Base64(body));
    expect(outcome.body?.equals(body)).toBe(true);
    expect(outcome.digests).toEqual({ length: body.length, md5Hex: md5Hex(body), checksums: { CRC32: crc32Base64(body) } });
    expect(outcome.caller).toMatchObject({ accessKeyId, presigned: false, region: 'us-east-1' });
    expect(result.ChecksumCRC32).toBe(crc32Base64(body));
  });

  it('decodes a Readable stream body sent as STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer', async () => {
    const body = Buffer.from('streamed body, in several pieces');
    const stream = Readable.from([body.subarray(0, 5), body.subarray(5, 17), body.subarray(17)]);
    await client().send(new PutObjectCommand({ Bucket: 'bucket-a', Key: 'streamed', Body: stream, ContentLength: body.length }));
    const outcome = lastOutcome();
    expect(outcome.error).toBeUndefined();
    expect(outcome.headers?.['x-amz-content-sha256']).toBe('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    expect(outcome.headers?.['content-encoding']).toContain('aws-chunked');
    expect(outcome.body?.toString()).toBe(body.toString());
    expect(outcome.digests?.checksums).toEqual({ CRC32: crc32Base64(body) });
  });

  it('accepts WHEN_REQUIRED: no checksum for a Buffer, UNSIGNED-PAYLOAD for a stream', async () => {
    const s3 = client({ requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
    const body = Buffer.from('no checksum please');
    await s3.send(new PutObjectCommand({ Bucket: 'bucket-a', Key: 'plain', Body: body }));
    let outcome = lastOutcome();
    expect(outcome.error).toBeUndefined();
    expect(outcome.digests?.checksums).toEqual({});
    expect(outcome.digests?.md5Hex).toBe(md5Hex(body));

    await s3.send(new PutObjectCommand({ Bucket: 'bucket-a', Key: 'plain-stream', Body: Readable.from([body]), ContentLength: body.length }));
    outcome = lastOutcome();
    expect(outcome.error).toBeUndefined();
    expect(outcome.headers?.['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(outcome.body?.equals(body)).toBe(true);
  });

  for (const algorithm of ['SHA256', 'SHA1', 'CRC32C'] as const) {
    it(`verifies ChecksumAlgorithm ${algorithm} as a header (Buffer) and as a trailer (stream)`, async () => {
      const body = Buffer.from(`checksummed with ${algorithm}`.repeat(100));
      await client().send(new PutObjectCommand({ Bucket: 'bucket-a', Key: `alg-${algorithm}`, Body: body, ChecksumAlgorithm: algorithm }));
      let outcome = lastOutcome();
      expect(outcome.error).toBeUndefined();
      expect(outcome.headers?.[`x-amz-checksum-${algorithm.toLowerCase()}`]).toBeDefined();
      expect(Object.keys(outcome.digests?.checksums ?? {})).toEqual([algorithm]);
      if (algorithm !== 'CRC32C') {
        const expected = createHash(algorithm === 'SHA256' ? 'sha256' : 'sha1').update(body).digest('base64');
        expect(outcome.digests?.checksums[algorithm]).toBe(expected);
      }

      await client().send(new PutObjectCommand({
        Bucket: 'bucket-a', Key: `alg-${algorithm}-stream`, Body: Readable.from([body]), ContentLength: body.length, ChecksumAlgorithm: algorithm,
      }));
      outcome = lastOutcome();
      expect(outcome.error).toBeUndefined();
      expect(outcome.headers?.['x-amz-trailer']).toBe(`x-amz-checksum-${algorithm.toLowerCase()}`);
      expect(Object.keys(outcome.digests?.checksums ?? {})).toEqual([algorithm]);
      expect(outcome.body?.equals(body)).toBe(true);
    });
  }

  it('answers BadDigest when the declared checksum is wrong', async () => {
    const body = Buffer.from('the real body');
    await expectS3Error(
      client().send(new PutObjectCommand({ Bucket: 'bucket-a', Key: 'bad', Body: body, ChecksumCRC32: crc32Base64(Buffer.from('another body')) })),
      'BadDigest',
      400,
    );
  });

  it('answers BadDigest for a wrong Content-MD5 and InvalidDigest for a malformed one', async () => {
    const body = Buffer.from('md5 checked body');
    const wrongMd5 = createHash('md5').update('different').digest('base64');
    await expectS3Error(client().send(new PutObjectCommand({ Bucket: 'bucket-a', Key: 'md5', Body: body, ContentMD5: wrongMd5 })), 'BadDigest', 400);
    await expectS3Error(client().send(new PutObjectCommand({ Bucket: 'bucket-a', Key: 'md5', Body: body, ContentMD5: 'not-base64!' })), 'InvalidDigest', 400);
    const rightMd5 = createHash('md5').update(body).digest('base64');
    await client().send(new PutObjectCommand({ Bucket: 'bucket-a', Key: 'md5', Body: body, ContentMD5: rightMd5 }));
    expect(lastOutcome().digests?.md5Hex).toBe(md5Hex(body));
  });

  it('refuses a wrong secret with SignatureDoesNotMatch and an unknown key with InvalidAccessKeyId', async () => {
    await expectS3Error(
      client({ credentials: { accessKeyId, secretAccessKey: `${secretAccessKey}x` } }).send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'k' })),
      'SignatureDoesNotMatch',
      403,
    );
    await expectS3Error(
      client({ credentials: { accessKeyId: 'AKIBEEUNKNOWN0000000', secretAccessKey } }).send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'k' })),
      'InvalidAccessKeyId',
      403,
    );
    // No secret ever appears in what the server answered.
    for (const outcome of server().outcomes) {
      expect(JSON.stringify({ message: outcome.error?.message, extra: outcome.error?.extra })).not.toContain(secretAccessKey);
    }
  });

  it('refuses a clock more than 15 minutes off with RequestTimeTooSkewed, and the SDK corrects itself from it', async () => {
    const skewed = client({ systemClockOffset: -16 * 60 * 1000 });
    await expectS3Error(skewed.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'k' })), 'RequestTimeTooSkewed', 403);
    // The SDK took the server's time from the error and signs with it from now on.
    await skewed.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'k' }));
    const withinSkew = client({ systemClockOffset: -14 * 60 * 1000 });
    await withinSkew.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'k' }));
    // The mock's clock runs 30 minutes ahead: the SDK sees the skew, corrects its offset and retries by itself.
    server().clock.advance(30 * 60);
    const retrying = client({ maxAttempts: 3 });
    const result = await retrying.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'k' }));
    expect(await result.Body?.transformToString()).toBe(server().getBody.toString());
    expect(server().outcomes.at(-2)?.error?.code).toBe('RequestTimeTooSkewed');
  });

  it('refuses revoked and expired tokens with AccessDenied', async () => {
    const revoked = server().tokens.add(objectStorageToken('AKIBEEREVOKED0000001', 'revoked-secret', { revokedAt: new Date() }));
    await expectS3Error(
      client({ credentials: { accessKeyId: revoked.accessKeyId as string, secretAccessKey: 'revoked-secret' } }).send(new GetObjectCommand({ Bucket: 'b', Key: 'k' })),
      'AccessDenied',
      403,
    );
    const expiring = server().tokens.add(objectStorageToken('AKIBEEEXPIRING000001', 'expiring-secret', { expiresAt: new Date(server().clock.nowMs() + 60_000) }));
    const s3 = client({ credentials: { accessKeyId: expiring.accessKeyId as string, secretAccessKey: 'expiring-secret' } });
    await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
    server().clock.advance(120);
    // The SDK signs with real time, the mock's clock moved 2 minutes: still within skew, but the token expired.
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' })), 'AccessDenied', 403);
    expect(lastOutcome().error?.message).toMatch(/expired/);
  });
});

describe('presigned URLs with @aws-sdk/s3-request-presigner and fetch', () => {
  it('serves a presigned GET and accepts a presigned PUT', async () => {
    const s3 = client();
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'bucket-a', Key: 'a key/with ünïcode+plus' }), { expiresIn: 600 });
    const got = await fetch(getUrl);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe(server().getBody.toString());
    const presignedCaller = lastOutcome().caller;
    expect(presignedCaller && !presignedCaller.anonymous && presignedCaller.presigned).toBe(true);

    const putClient = client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
    const putUrl = await getSignedUrl(putClient, new PutObjectCommand({ Bucket: 'bucket-a', Key: 'uploaded.bin' }), { expiresIn: 600 });
    const body = Buffer.from('uploaded through a presigned URL');
    const put = await fetch(putUrl, { method: 'PUT', body });
    expect(put.status).toBe(200);
    expect(lastOutcome().body?.equals(body)).toBe(true);
  });

  it('holds the JS SDK to the empty-body CRC32 it bakes into a presigned PUT by default (as S3 does)', async () => {
    const putUrl = await getSignedUrl(client(), new PutObjectCommand({ Bucket: 'bucket-a', Key: 'trap.bin' }), { expiresIn: 600 });
    expect(new URL(putUrl).searchParams.get('x-amz-checksum-crc32')).toBe('AAAAAA==');
    const put = await fetch(putUrl, { method: 'PUT', body: Buffer.from('not empty') });
    expect(put.status).toBe(400);
    expect(await put.text()).toContain('<Code>BadDigest</Code>');
    // The empty body it was signed for passes.
    expect((await fetch(putUrl, { method: 'PUT', body: Buffer.alloc(0) })).status).toBe(200);
  });

  it('refuses an expired URL with AccessDenied "Request has expired" and the S3 extra fields', async () => {
    const url = await getSignedUrl(client(), new GetObjectCommand({ Bucket: 'bucket-a', Key: 'k' }), { expiresIn: 60 });
    expect((await fetch(url)).status).toBe(200);
    server().clock.advance(61);
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    const text = await expired.text();
    expect(text).toContain('<Code>AccessDenied</Code>');
    expect(text).toContain('<Message>Request has expired</Message>');
    expect(text).toContain('<X-Amz-Expires>60</X-Amz-Expires>');
    expect(text).toMatch(/<Expires>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/Expires>/);
    expect(text).toMatch(/<ServerTime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/ServerTime>/);
  });

  it('refuses X-Amz-Expires outside 1..604800 with AuthorizationQueryParametersError', async () => {
    const url = new URL(await getSignedUrl(client(), new GetObjectCommand({ Bucket: 'bucket-a', Key: 'k' }), { expiresIn: 60 }));
    for (const expires of ['604801', '0']) {
      url.searchParams.set('X-Amz-Expires', expires);
      const response = await fetch(url);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('<Code>AuthorizationQueryParametersError</Code>');
    }
  });

  it('fails any change to a signed part (key, expiry, date, credential, extra parameter) with SignatureDoesNotMatch', async () => {
    const original = await getSignedUrl(client(), new GetObjectCommand({ Bucket: 'bucket-a', Key: 'tamper/me.txt' }), { expiresIn: 3600 });
    const tampers: Array<[string, (url: URL) => void]> = [
      ['key', (url) => void (url.pathname = url.pathname.replace('me.txt', 'me.txu'))],
      ['bucket', (url) => void (url.pathname = url.pathname.replace('bucket-a', 'bucket-b'))],
      ['expiry', (url) => url.searchParams.set('X-Amz-Expires', '3601')],
      ['date', (url) => {
        const date = url.searchParams.get('X-Amz-Date') as string;
        url.searchParams.set('X-Amz-Date', `${date.slice(0, 13)}${date[13] === '0' ? '1' : '0'}${date.slice(14)}`);
      }],
      ['region', (url) => url.searchParams.set('X-Amz-Credential', (url.searchParams.get('X-Amz-Credential') as string).replace('us-east-1', 'eu-west-1'))],
      ['added parameter', (url) => url.searchParams.set('response-content-type', 'text/html')],
      ['signature', (url) => {
        const signature = url.searchParams.get('X-Amz-Signature') as string;
        url.searchParams.set('X-Amz-Signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
      }],
    ];
    for (const [name, tamper] of tampers) {
      const url = new URL(original);
      tamper(url);
      const response = await fetch(url);
      expect(response.status, name).toBe(403);
      expect(await response.text(), name).toContain('<Code>SignatureDoesNotMatch</Code>');
    }
    expect((await fetch(original)).status).toBe(200);
  });

  it('property: presigned GETs for arbitrary Unicode keys verify, and changing one key character breaks them', async () => {
    const s3 = client();
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), fc.nat(), async (key, position) => {
        const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'bucket-a', Key: key }), { expiresIn: 300 });
        const ok = await fetch(url);
        await ok.arrayBuffer();
        expect(ok.status).toBe(200);
        const chars = [...key];
        const at = position % chars.length;
        chars[at] = chars[at] === 'x' ? 'y' : 'x';
        const tamperedKey = chars.join('');
        const parsed = new URL(url);
        parsed.pathname = `/bucket-a/${tamperedKey.split('/').map((s) => encodeURIComponent(s)).join('/')}`;
        const bad = await fetch(parsed);
        await bad.arrayBuffer();
        expect(bad.status).toBe(403);
      }),
      { numRuns: 40 },
    );
  });
});

describe('property: canonical query strings', () => {
  it('verifies GetObject with arbitrary Unicode response-* query values, and refuses them changed after signing', async () => {
    const s3 = client();
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), async (disposition, key) => {
        const result = await s3.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: key, ResponseContentDisposition: disposition, ResponseCacheControl: 'a+b c&d=e' }));
        await result.Body?.transformToString();
        expect(lastOutcome().error).toBeUndefined();
        const url = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'bucket-a', Key: key, ResponseContentDisposition: disposition })));
        url.searchParams.set('response-content-disposition', `${disposition}!`);
        const tampered = await fetch(url);
        await tampered.arrayBuffer();
        expect(tampered.status).toBe(403);
      }),
      { numRuns: 40 },
    );
  });
});

describe('requests without usable authentication', () => {
  it('answers AccessDenied without any auth, AuthorizationHeaderMalformed for a broken header', async () => {
    const anonymous = await fetch(`${server().endpoint}/bucket-a/k`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
    const malformed = await fetch(`${server().endpoint}/bucket-a/k`, {
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=nonsense, SignedHeaders=host, Signature=abc', 'x-amz-date': '20260101T000000Z' },
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toContain('<Code>AuthorizationHeaderMalformed</Code>');
  });
});

describe('property: PutObject round trips through the verifier', () => {
  it('random Unicode keys and random bodies verify in every SDK body mode', async () => {
    const modes = [
      { name: 'buffer, CRC32 header', stream: false, config: {} },
      { name: 'stream, CRC32 trailer', stream: true, config: {} },
      { name: 'buffer, WHEN_REQUIRED', stream: false, config: { requestChecksumCalculation: 'WHEN_REQUIRED' as const } },
      { name: 'stream, UNSIGNED-PAYLOAD', stream: true, config: { requestChecksumCalculation: 'WHEN_REQUIRED' as const } },
    ];
    const clients = modes.map((mode) => client(mode.config));
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
        fc.uint8Array({ maxLength: 200_000 }),
        fc.integer({ min: 0, max: modes.length - 1 }),
        fc.array(fc.integer({ min: 1, max: 70_000 }), { maxLength: 5 }),
        async (key, bytes, modeIndex, pieceSizes) => {
          const body = Buffer.from(bytes);
          const mode = modes[modeIndex] as (typeof modes)[number];
          let payload: Buffer | Readable = body;
          if (mode.stream) {
            const pieces: Buffer[] = [];
            let offset = 0;
            for (const size of [...pieceSizes, body.length]) {
              if (offset >= body.length) break;
              pieces.push(body.subarray(offset, offset + size));
              offset += size;
            }
            payload = Readable.from(pieces);
          }
          await (clients[modeIndex] as S3Client).send(new PutObjectCommand({ Bucket: 'bucket-a', Key: key, Body: payload, ContentLength: body.length }));
          const outcome = lastOutcome();
          expect(outcome.error).toBeUndefined();
          expect(outcome.body?.equals(body)).toBe(true);
          expect(outcome.digests?.length).toBe(body.length);
          expect(outcome.digests?.md5Hex).toBe(md5Hex(body));
          if (!('requestChecksumCalculation' in mode.config)) expect(outcome.digests?.checksums.CRC32).toBe(crc32Base64(body));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('large bodies stream', () => {
  it('verifies a 128 MiB aws-chunked upload without holding it in memory', async () => {
    const total = 128 * 1024 * 1024;
    const pieceSize = 64 * 1024;
    let crc = 0;
    const piece = Buffer.alloc(pieceSize);
    async function* generate(): AsyncGenerator<Buffer> {
      for (let sent = 0; sent < total; sent += pieceSize) {
        piece.writeUInt32BE(sent);
        const copy = Buffer.from(piece);
        crc = zlib.crc32(copy, crc);
        yield copy;
      }
    }
    const memory = (): number => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const baseline = memory();
    let peak = baseline;
    const sampler = setInterval(() => void (peak = Math.max(peak, memory())), 20);
    try {
      await client().send(new PutObjectCommand({ Bucket: 'drain', Key: 'big.bin', Body: Readable.from(generate()), ContentLength: total }));
    } finally {
      clearInterval(sampler);
    }
    const outcome = lastOutcome();
    expect(outcome.error).toBeUndefined();
    expect(outcome.headers?.['x-amz-content-sha256']).toBe('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    expect(outcome.digests?.length).toBe(total);
    const expectedCrc = Buffer.alloc(4);
    expectedCrc.writeUInt32BE(crc >>> 0);
    expect(outcome.digests?.checksums.CRC32).toBe(expectedCrc.toString('base64'));
    // Half the body: garbage awaiting collection is noise, holding the body is not.
    expect(peak - baseline).toBeLessThan(64 * 1024 * 1024);
  });
});
