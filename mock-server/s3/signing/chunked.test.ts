import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import zlib from 'node:zlib';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import { createVerifiedBody } from './body.js';
import { BodyVerifier, type BodyExpectations } from './checksums.js';
import { AwsChunkedDecoder, type ChunkedOptions } from './chunked.js';
import { deriveSigningKey } from './sigv4.js';
import type { BodyDigests } from './types.js';
import {
  emptySha256,
  encodeAwsChunked,
  sendRaw,
  sendTruncated,
  signRequest,
  splitAt,
  useAuthTestServer,
  type ChunkSigning,
} from './test/signing-harness.js';

const crc32Base64 = (data: Buffer): string => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(zlib.crc32(data) >>> 0);
  return out.toString('base64');
};

function expectations(overrides: Partial<BodyExpectations> = {}): BodyExpectations {
  return {
    sha256Hex: null,
    contentMd5: null,
    headerChecksums: new Map(),
    trailerChecksums: [],
    declaredLength: null,
    declaredLengthHeader: 'x-amz-decoded-content-length',
    ...overrides,
  };
}

function decode(pieces: readonly Buffer[], options: ChunkedOptions, expect: BodyExpectations): { body: Buffer; digests: BodyDigests } {
  const decoder = new AwsChunkedDecoder(options);
  const verifier = new BodyVerifier(expect);
  const out: Buffer[] = [];
  for (const piece of pieces) {
    for (const data of decoder.write(piece)) {
      verifier.update(data);
      out.push(data);
    }
  }
  decoder.end();
  return { body: Buffer.concat(out), digests: verifier.finish(decoder.trailers) };
}

function decodeError(pieces: readonly Buffer[], options: ChunkedOptions, expect: BodyExpectations): S3Error | undefined {
  try {
    decode(pieces, options, expect);
    return undefined;
  } catch (error) {
    if (error instanceof S3Error) return error;
    throw error;
  }
}

describe('verified body stream', () => {
  it('reads nothing from the source until the body is read', async () => {
    const source = new PassThrough();
    source.end(Buffer.from('untouched'));
    const body = createVerifiedBody({ source, decoder: null, verifier: new BodyVerifier(expectations({ declaredLength: 9 })), declaredLength: 9 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.readableFlowing).toBeNull();
    expect((await body.buffer(100)).toString()).toBe('untouched');
    expect((await body.digests).length).toBe(9);
  });

  it('buffer(max) refuses bodies above max with MaxMessageLengthExceeded, before reading when the length is declared', async () => {
    const undeclared = createVerifiedBody({ source: Readable.from([Buffer.alloc(8), Buffer.alloc(8)]), decoder: null, verifier: new BodyVerifier(expectations()), declaredLength: null });
    await expect(undeclared.buffer(10)).rejects.toMatchObject({ code: 'MaxMessageLengthExceeded' });
    const declared = createVerifiedBody({ source: Readable.from([Buffer.alloc(16)]), decoder: null, verifier: new BodyVerifier(expectations({ declaredLength: 16 })), declaredLength: 16 });
    await expect(declared.buffer(10)).rejects.toMatchObject({ code: 'MaxMessageLengthExceeded' });
  });
});

describe('aws-chunked decoding against the AWS documentation example', () => {
  // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html: 66560 bytes of "a" in chunks of 64 KiB.
  const exampleSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const seedSignature = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
  const chunkSignatures = [
    'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
    '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
    'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
  ];

  async function example(): Promise<{ encoded: Buffer; options: ChunkedOptions }> {
    const signingKey = await deriveSigningKey('AKIAIOSFODNN7EXAMPLE', exampleSecret, '20130524', 'us-east-1', 's3');
    const body = Buffer.alloc(66560, 'a');
    const encoded = Buffer.concat([
      Buffer.from(`10000;chunk-signature=${chunkSignatures[0]}\r\n`), body.subarray(0, 65536), Buffer.from('\r\n'),
      Buffer.from(`400;chunk-signature=${chunkSignatures[1]}\r\n`), body.subarray(65536), Buffer.from('\r\n'),
      Buffer.from(`0;chunk-signature=${chunkSignatures[2]}\r\n\r\n`),
    ]);
    const options: ChunkedOptions = {
      signing: { signingKey, longDate: '20130524T000000Z', scope: '20130524/us-east-1/s3/aws4_request', seedSignature },
      signedTrailer: false,
    };
    return { encoded, options };
  }

  it('decodes it and verifies every chunk signature; its Content-Length is 66824 as documented', async () => {
    const { encoded, options } = await example();
    expect(encoded.length).toBe(66824);
    const { body, digests } = decode([encoded], options, expectations({ declaredLength: 66560 }));
    expect(body.equals(Buffer.alloc(66560, 'a'))).toBe(true);
    expect(digests.length).toBe(66560);
  });

  it('refuses it when one data byte changes', async () => {
    const { encoded, options } = await example();
    const tampered = Buffer.from(encoded);
    tampered[100] = 'b'.charCodeAt(0);
    expect(decodeError([tampered], options, expectations())?.code).toBe('SignatureDoesNotMatch');
  });
});

describe('aws-chunked decoding, properties', () => {
  const credentials = { accessKeyId: 'AKIBEEPROPERTY000001', secretAccessKey: 'property-secret' };
  const signingDate = new Date(Date.UTC(2026, 10, 27, 8, 0, 0));
  const longDate = '20261127T080000Z';
  const scope = '20261127/us-east-1/s3/aws4_request';
  const seedSignature = 'a'.repeat(64);
  const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 's3', sha256: Hash.bind(null, 'sha256') });
  const testSigning: ChunkSigning = { signer, signingDate, longDate, scope, seedSignature };
  let serverSigning: ChunkedOptions['signing'];

  beforeAll(async () => {
    const signingKey = await deriveSigningKey(credentials.accessKeyId, credentials.secretAccessKey, '20261127', 'us-east-1', 's3');
    serverSigning = { signingKey, longDate, scope, seedSignature };
  });

  const bodyArb = fc.uint8Array({ maxLength: 40_000 }).map((bytes) => Buffer.from(bytes));
  const chunkSizesArb = fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 6 });
  const splitsArb = fc.array(fc.nat(), { maxLength: 30 });
  const modeArb = fc.constantFrom('unsigned-trailer', 'signed', 'signed-trailer');

  async function encodeFor(mode: string, body: Buffer, chunkSizes: readonly number[]): Promise<{ encoded: Buffer; options: ChunkedOptions; trailer: boolean }> {
    const trailer = mode !== 'signed';
    const trailers = trailer ? [['x-amz-checksum-crc32', crc32Base64(body)] as const] : [];
    const signing = mode === 'unsigned-trailer' ? undefined : testSigning;
    const encoded = await encodeAwsChunked(body, chunkSizes, { signing, trailers, signedTrailer: mode === 'signed-trailer' });
    return {
      encoded,
      options: { signing: mode === 'unsigned-trailer' ? null : (serverSigning ?? null), signedTrailer: mode === 'signed-trailer' },
      trailer,
    };
  }

  it('decodes random bodies, chunk layouts and TCP splits exactly, in every streaming mode', async () => {
    await fc.assert(
      fc.asyncProperty(bodyArb, chunkSizesArb, splitsArb, modeArb, async (body, chunkSizes, splits, mode) => {
        const { encoded, options, trailer } = await encodeFor(mode, body, chunkSizes);
        const pieces = splitAt(encoded, splits.map((n) => n % (encoded.length + 1)));
        const result = decode(pieces, options, expectations({ declaredLength: body.length, trailerChecksums: trailer ? ['CRC32'] : [] }));
        expect(result.body.equals(body)).toBe(true);
        expect(result.digests.md5Hex).toBe(createHash('md5').update(body).digest('hex'));
        if (trailer) expect(result.digests.checksums.CRC32).toBe(crc32Base64(body));
      }),
      { numRuns: 150 },
    );
  });

  it('fails on any single-byte change to a signed part: chunk data, chunk signature, trailer value or trailer signature', async () => {
    await fc.assert(
      fc.asyncProperty(
        bodyArb.filter((body) => body.length > 0),
        chunkSizesArb,
        fc.constantFrom('signed', 'signed-trailer'),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (body, chunkSizes, mode, pick, flip) => {
          const { encoded, options, trailer } = await encodeFor(mode, body, chunkSizes);
          // Offsets of the signed parts: data bytes, signature hex digits, trailer values.
          const signedOffsets: number[] = [];
          const text = encoded.toString('latin1');
          for (const match of text.matchAll(/chunk-signature=([0-9a-f]{64})\r\n/g)) {
            const start = (match.index ?? 0) + 'chunk-signature='.length;
            for (let i = 0; i < 64; i++) signedOffsets.push(start + i);
            const size = parseInt(text.slice(text.lastIndexOf('\n', match.index ?? 0) + 1, match.index), 16);
            const dataStart = start + 64 + 2;
            for (let i = 0; i < size; i++) signedOffsets.push(dataStart + i);
          }
          for (const match of text.matchAll(/(x-amz-checksum-crc32|x-amz-trailer-signature):([^\r]+)\r\n/g)) {
            const start = (match.index ?? 0) + (match[1] as string).length + 1;
            for (let i = 0; i < (match[2] as string).length; i++) signedOffsets.push(start + i);
          }
          const offset = signedOffsets[pick % signedOffsets.length] as number;
          const tampered = Buffer.from(encoded);
          tampered[offset] = (tampered[offset] as number) ^ flip;
          const error = decodeError([tampered], options, expectations({ declaredLength: body.length, trailerChecksums: trailer ? ['CRC32'] : [] }));
          expect(error, `byte ${offset} of ${encoded.length} changed by ^${flip}`).toBeInstanceOf(S3Error);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reports a body cut anywhere before its end as IncompleteBody', async () => {
    await fc.assert(
      fc.asyncProperty(bodyArb, chunkSizesArb, modeArb, fc.nat(), async (body, chunkSizes, mode, cutAt) => {
        const { encoded, options, trailer } = await encodeFor(mode, body, chunkSizes);
        // Cutting inside the final blank line (or after the last trailer line) leaves a valid body; cut before.
        const lastLine = encoded.lastIndexOf('\r\n', encoded.length - 3) + 2;
        const cut = cutAt % lastLine;
        const error = decodeError([encoded.subarray(0, cut)], options, expectations({ declaredLength: body.length, trailerChecksums: trailer ? ['CRC32'] : [] }));
        expect(error?.code).toMatch(/IncompleteBody|MalformedTrailerError/);
      }),
      { numRuns: 150 },
    );
  });
});

describe('streaming uploads over HTTP', () => {
  const accessKeyId = 'AKIBEESTREAMING00001';
  const secretAccessKey = 'streaming-secret-value';
  const credentials = { accessKeyId, secretAccessKey };
  const server = useAuthTestServer(accessKeyId, secretAccessKey, { resetClock: false });

  async function streamingPut(
    body: Buffer,
    options: {
      chunkSizes?: number[];
      trailer?: boolean;
      checksum?: string;
      tamper?: (encoded: Buffer) => Buffer;
      decodedLength?: number;
      splits?: number[];
    } = {},
  ): Promise<{ status: number; text: string }> {
    const trailer = options.trailer ?? false;
    const headers: Record<string, string> = {
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(options.decodedLength ?? body.length),
    };
    if (trailer) headers['x-amz-trailer'] = 'x-amz-checksum-crc32';
    const signed = await signRequest(server(), {
      method: 'PUT',
      path: '/bucket-a/streamed-object',
      headers,
      payloadHash: trailer ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      credentials,
    });
    let encoded = await encodeAwsChunked(body, options.chunkSizes ?? [8192], {
      signing: signed,
      trailers: trailer ? [['x-amz-checksum-crc32', options.checksum ?? crc32Base64(body)]] : [],
      signedTrailer: trailer,
    });
    if (options.tamper) encoded = options.tamper(encoded);
    const response = await sendRaw(
      server(),
      'PUT',
      '/bucket-a/streamed-object',
      { ...signed.headers, 'content-length': String(encoded.length) },
      splitAt(encoded, options.splits ?? [3, 10, 8200]),
    );
    return { status: response.status, text: response.body };
  }

  it('accepts STREAMING-AWS4-HMAC-SHA256-PAYLOAD with chained chunk signatures, headers split across packets', async () => {
    const body = Buffer.from('x'.repeat(20_000) + 'end');
    const response = await streamingPut(body, { splits: [1, 2, 5, 30, 70, 80, 8192, 8300, 16_500] });
    expect(response.status).toBe(200);
    expect(server().outcomes.at(-1)?.body?.equals(body)).toBe(true);
  });

  it('accepts the signed-trailer variant and checks its CRC32 trailer', async () => {
    const body = Buffer.from('trailer-signed '.repeat(1000));
    expect((await streamingPut(body, { trailer: true })).status).toBe(200);
    expect(server().outcomes.at(-1)?.digests?.checksums.CRC32).toBe(crc32Base64(body));
    const wrong = await streamingPut(body, { trailer: true, checksum: crc32Base64(Buffer.from('other')) });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('<Code>BadDigest</Code>');
  });

  it('refuses a chunk whose data changed after signing with SignatureDoesNotMatch', async () => {
    const body = Buffer.from('y'.repeat(10_000));
    const response = await streamingPut(body, {
      tamper: (encoded) => {
        const copy = Buffer.from(encoded);
        copy[encoded.indexOf('yyyy')] = 'z'.charCodeAt(0);
        return copy;
      },
    });
    expect(response.status).toBe(403);
    expect(response.text).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('refuses a body without its final chunk, and one shorter than x-amz-decoded-content-length, with IncompleteBody', async () => {
    const body = Buffer.from('z'.repeat(9000));
    const missingFinal = await streamingPut(body, { tamper: (encoded) => encoded.subarray(0, encoded.lastIndexOf('0;chunk-signature')) });
    expect(missingFinal.status).toBe(400);
    expect(missingFinal.text).toContain('<Code>IncompleteBody</Code>');
    const lying = await streamingPut(body, { decodedLength: body.length + 1 });
    expect(lying.status).toBe(400);
    expect(lying.text).toContain('<Code>IncompleteBody</Code>');
    const longer = await streamingPut(body, { decodedLength: body.length - 1 });
    expect(longer.status).toBe(400);
    expect(longer.text).toContain('longer than the x-amz-decoded-content-length');
  });

  it('refuses garbage chunk framing with a 400', async () => {
    const response = await streamingPut(Buffer.from('abc'), { tamper: () => Buffer.from('zz;chunk-signature=00\r\nabc\r\n') });
    expect(response.status).toBe(400);
    expect(response.text).toContain('Malformed aws-chunked body');
  });

  it('answers IncompleteBody when the client sends less than Content-Length and closes', async () => {
    const body = Buffer.from('short body');
    const payloadHash = createHash('sha256').update(body).digest('hex');
    const signed = await signRequest(server(), { method: 'PUT', path: '/bucket-a/short', payloadHash, credentials, headers: { 'content-length': '1000' } });
    const head = `PUT /bucket-a/short HTTP/1.1\r\n${Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
    await sendTruncated(server(), head, body);
    await expect.poll(() => server().outcomes.at(-1)?.error?.code).toBe('IncompleteBody');
  });

  it('answers XAmzContentSHA256Mismatch when the body differs from its signed hash', async () => {
    const body = Buffer.from('signed body');
    const signed = await signRequest(server(), {
      method: 'PUT', path: '/bucket-a/hashed', payloadHash: createHash('sha256').update(body).digest('hex'), credentials,
    });
    const response = await sendRaw(server(), 'PUT', '/bucket-a/hashed', { ...signed.headers, 'content-length': String(body.length) }, [Buffer.from('signed bodY')]);
    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
  });

  it('refuses unsigned x-amz-* headers, and a credential date that differs from x-amz-date', async () => {
    const signed = await signRequest(server(), { method: 'GET', path: '/bucket-a/k', payloadHash: emptySha256, credentials });
    const extra = await sendRaw(server(), 'GET', '/bucket-a/k', { ...signed.headers, 'x-amz-meta-sneaky': '1' }, []);
    expect(extra.status).toBe(403);
    expect(extra.body).toContain('HeadersNotSigned');
    const otherDay = signed.headers.authorization?.replace(/Credential=([^/]+)\/\d{8}/, 'Credential=$1/20200101') ?? '';
    const misdated = await sendRaw(server(), 'GET', '/bucket-a/k', { ...signed.headers, authorization: otherDay }, []);
    expect(misdated.status).toBe(400);
    expect(misdated.body).toContain('<Code>AuthorizationHeaderMalformed</Code>');
  });
});
