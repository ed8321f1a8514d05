import { validateHeaderValue } from 'node:http';
import { CreateBucketCommand, HeadObjectCommand, PutBucketCorsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEncodedWords, hasControlCharacter, refuseControlCharacters, sendable, storedHeaderValue } from './header-values.js';
import { failure, postPolicyForm, signedFetch, startTestS3, type Credentials, type TestS3 } from './test/test-s3.js';

/**
 * Every value stored to be sent back as a header, and every value a request asks to be sent back, follows one rule:
 * control characters are refused when written (400 InvalidArgument), other text is stored and served, non-ASCII
 * RFC 2047-encoded. Nothing is stored that cannot be served.
 */

describe('header-values', () => {
  it('sends any text as a header value node accepts, and RFC 2047 decoding gives the text back', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (text) => {
        const value = sendable(text);
        expect(() => validateHeaderValue('x-amz-meta-a', value)).not.toThrow();
        expect(decodeEncodedWords(value)).toBe(text);
      }),
    );
  });

  it('refuses exactly the values with a control character, and stores the rest unchanged from a form', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }).filter((text) => text.isWellFormed()), (text) => {
        if (hasControlCharacter(text)) {
          expect(() => storedHeaderValue('content-type', text, 'form')).toThrow(/control character/);
          expect(() => refuseControlCharacters('response-content-type', text)).toThrow(/control character/);
        } else if (!text.includes('=?')) {
          expect(storedHeaderValue('content-type', text, 'form')).toBe(text);
        }
      }),
    );
  });

  it('reads request-header bytes as UTF-8, as S3 does, and decodes RFC 2047 encoded-words', () => {
    const latin1OfUtf8 = Buffer.from('price €5', 'utf8').toString('latin1');
    expect(storedHeaderValue('x-amz-meta-note', latin1OfUtf8, 'header')).toBe('price €5');
    expect(storedHeaderValue('x-amz-meta-note', '=?UTF-8?B?5aCx5ZGKLnBkZg==?=', 'header')).toBe('報告.pdf');
    expect(storedHeaderValue('x-amz-meta-note', '=?ISO-8859-1?Q?caf=E9_au_lait?=', 'header')).toBe('café au lait');
    // Bytes that are not UTF-8 stay as they came (Latin-1).
    expect(storedHeaderValue('x-amz-meta-note', 'caf\u00e9', 'header')).toBe('café');
  });
});

let s3: TestS3;
let credentials: Credentials;
let client: S3Client;
const bucket = 'header-values';

beforeAll(async () => {
  s3 = await startTestS3();
  credentials = s3.token();
  client = s3.client(credentials, { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain.txt', Body: 'plain' }));
});
afterAll(async () => {
  await s3?.close();
});

let counter = 0;
async function postUpload(fields: Record<string, string>, fileContentType?: string): Promise<{ status: number; text: string; key: string }> {
  counter += 1;
  const key = `posted-${counter}.txt`;
  const form = postPolicyForm(credentials, { bucket, key, body: 'posted body', nowMs: s3.clock.nowMs(), fields });
  let body: FormData | Buffer = form;
  let headers: Record<string, string> = {};
  if (fileContentType !== undefined) {
    // FormData cannot give a file a Content-Type that is not ASCII; a hand-made form, as any HTTP client can send.
    const boundary = `----header-values-${counter}`;
    const parts = [...form].filter(([name]) => name !== 'file').map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${String(value)}\r\n`);
    parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload.bin"\r\nContent-Type: ${fileContentType}\r\n\r\nposted body\r\n--${boundary}--\r\n`);
    body = Buffer.from(parts.join(''), 'utf8');
    headers = { 'content-type': `multipart/form-data; boundary=${boundary}` };
  }
  const response = await fetch(`${s3.endpoint}/${bucket}`, { method: 'POST', body, headers });
  return { status: response.status, text: await response.text(), key };
}

/** HEAD and GET of a stored object, signed; both must answer 200. */
async function served(key: string, query = ''): Promise<Headers> {
  const head = await signedFetch(s3, credentials, 'HEAD', `/${bucket}/${encodeURIComponent(key)}${query}`);
  expect(head.status, `HEAD ${key}${query}`).toBe(200);
  const get = await signedFetch(s3, credentials, 'GET', `/${bucket}/${encodeURIComponent(key)}${query}`);
  expect(get.status, `GET ${key}${query}: ${get.text.slice(0, 300)}`).toBe(200);
  return get.headers;
}

describe('values sent back as headers', () => {
  it('stores non-ASCII POST fields and serves them RFC 2047-encoded to every later HEAD and GET', async () => {
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ 'x-amz-meta-note': 'price €5' }, 'x-amz-meta-note', 'price €5'],
      [{ 'Content-Disposition': 'attachment; filename="報告.pdf"' }, 'content-disposition', 'attachment; filename="報告.pdf"'],
      [{ 'Content-Type': 'text/plain; charset=utf-8; note=ünï' }, 'content-type', 'text/plain; charset=utf-8; note=ünï'],
    ];
    for (const [fields, header, text] of cases) {
      const posted = await postUpload(fields);
      expect(posted.status, JSON.stringify(fields)).toBe(204);
      const headers = await served(posted.key);
      expect(headers.get(header)).toBe(sendable(text));
      expect(decodeEncodedWords(headers.get(header) as string)).toBe(text);
    }
  });

  it('serves a file part whose own Content-Type is not Latin-1', async () => {
    const posted = await postUpload({}, 'application/x-報告');
    expect(posted.status).toBe(204);
    const headers = await served(posted.key);
    expect(decodeEncodedWords(headers.get('content-type') as string)).toBe('application/x-報告');
  });

  it('refuses control characters in POST fields with 400 InvalidArgument and stores nothing', async () => {
    const refused: Array<Record<string, string>> = [{ 'Content-Type': 'text/plain\r\nX-Injected: 1' }, { 'x-amz-meta-note': 'bell\u0007' }, { 'Cache-Control': 'no-cache\u007f' }];
    for (const fields of refused) {
      const posted = await postUpload(fields);
      expect(posted.status, JSON.stringify(fields)).toBe(400);
      expect(posted.text).toContain('<Code>InvalidArgument</Code>');
      expect(s3.storage.getObject(bucket, posted.key)).toBeUndefined();
    }
  });

  it('refuses a metadata field whose name no header can carry', async () => {
    const posted = await postUpload({ 'x-amz-meta-two words': 'v' });
    expect(posted.status).toBe(400);
    expect(posted.text).toContain('<Code>InvalidArgument</Code>');
    expect(s3.storage.getObject(bucket, posted.key)).toBeUndefined();
  });

  it('property: any POST metadata value is refused with InvalidArgument or stored and served, decoding to what was sent', async () => {
    // FormData sends every line break as CRLF; the policy must name the value as sent.
    const text = fc.string({ unit: 'binary', maxLength: 60 }).map((value) => value.replace(/\r\n|\r|\n/g, '\r\n'));
    await fc.assert(
      fc.asyncProperty(text.filter((value) => value.isWellFormed() && !value.includes('=?')), async (value) => {
        const posted = await postUpload({ 'x-amz-meta-value': value });
        if (hasControlCharacter(value)) {
          expect(posted.status).toBe(400);
          expect(posted.text).toContain('<Code>InvalidArgument</Code>');
          expect(s3.storage.getObject(bucket, posted.key)).toBeUndefined();
          return;
        }
        expect(posted.status, posted.text).toBe(204);
        const headers = await served(posted.key);
        // Header values lose surrounding white space on the wire, as any HTTP header does.
        expect(decodeEncodedWords(headers.get('x-amz-meta-value') as string)).toBe(sendable(value) === value ? value.trim() : value);
      }),
      { numRuns: 60 },
    );
  });

  it('reads UTF-8 bytes in PutObject metadata headers as text and serves them encoded', async () => {
    const latin1OfUtf8 = Buffer.from('price €5', 'utf8').toString('latin1');
    const put = await signedFetch(s3, credentials, 'PUT', `/${bucket}/utf8-header.txt`, { body: 'x', headers: { 'x-amz-meta-note': latin1OfUtf8 } });
    expect(put.status, put.text).toBe(200);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'utf8-header.txt' }));
    expect(decodeEncodedWords(head.Metadata?.note as string)).toBe('price €5');
  });

  it('encodes response-* overrides that are not ASCII and refuses those with control characters', async () => {
    const disposition = 'attachment; filename="€.txt"';
    const headers = await served('plain.txt', `?response-content-disposition=${encodeURIComponent(disposition)}`);
    expect(decodeEncodedWords(headers.get('content-disposition') as string)).toBe(disposition);
    for (const [param, value] of [['response-content-type', 'text/html\r\nX-Injected: 1'], ['response-content-type', 'text/\u007fhtml'], ['response-cache-control', 'a\u0000b']]) {
      const answer = await signedFetch(s3, credentials, 'GET', `/${bucket}/plain.txt?${param}=${encodeURIComponent(value as string)}`);
      expect(answer.status, `${param}=${JSON.stringify(value)}`).toBe(400);
      expect(answer.text).toContain('<Code>InvalidArgument</Code>');
      expect(answer.headers.get('etag')).toBeNull();
    }
  });

  it('accepts an empty or known LocationConstraint and refuses any other with InvalidLocationConstraint', async () => {
    const create = (name: string, constraint: string | null) =>
      signedFetch(s3, credentials, 'PUT', `/${name}`, {
        body: constraint === null ? '' : `<CreateBucketConfiguration><LocationConstraint>${constraint}</LocationConstraint></CreateBucketConfiguration>`,
      });
    for (const [name, constraint] of [['location-crlf', 'us-east-1&#13;&#10;X: 1'], ['location-huge', 'x'.repeat(1_000_000)], ['location-unknown', 'mars-north-1']] as const) {
      const answer = await create(name, constraint);
      expect(answer.status, name).toBe(400);
      expect(answer.text).toContain('<Code>InvalidLocationConstraint</Code>');
      expect(answer.text.length).toBeLessThan(4096);
      expect(s3.storage.getBucket(name)).toBeUndefined();
    }
    for (const [name, constraint, region] of [['location-none', null, 'us-east-1'], ['location-south', 'in-south-1', 'in-south-1']] as const) {
      expect((await create(name, constraint)).status, name).toBe(200);
      const head = await signedFetch(s3, credentials, 'HEAD', `/${name}`);
      expect(head.status).toBe(200);
      expect(head.headers.get('x-amz-bucket-region')).toBe(region);
    }
  });

  it('refuses CORS header lists with control characters', async () => {
    const outcome = await failure(
      client.send(
        new PutBucketCorsCommand({
          Bucket: bucket,
          CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'], ExposeHeaders: ['ETag\r\nX-Injected: 1'] }] },
        }),
      ),
    );
    expect(outcome).toEqual({ code: 'InvalidArgument', status: 400 });
  });
});

describe('header values too large to send back', () => {
  it('are refused when written (PUT or POST) with RequestHeaderSectionTooLarge, and nothing is stored', async () => {
    // 7 KB of non-ASCII text fits a request and the limit, but RFC 2047-encoded (a third more) not the limit.
    const disposition = `attachment; filename="${'報'.repeat(2_400)}.pdf"`;
    const put = await signedFetch(s3, credentials, 'PUT', `/${bucket}/too-large-put.txt`, {
      body: 'x',
      headers: { 'content-disposition': Buffer.from(disposition, 'utf8').toString('latin1') },
    });
    expect(put.status, put.text.slice(0, 200)).toBe(400);
    expect(put.text).toContain('<Code>RequestHeaderSectionTooLarge</Code>');
    expect(s3.storage.getObject(bucket, 'too-large-put.txt')).toBeUndefined();

    const posted = await postUpload({ 'Content-Disposition': disposition });
    expect(posted.status).toBe(400);
    expect(posted.text).toContain('<Code>RequestHeaderSectionTooLarge</Code>');
    expect(s3.storage.getObject(bucket, posted.key)).toBeUndefined();
  });

  it('are refused as response-* overrides, and a value just within the limit is served to the SDK', async () => {
    const huge = await signedFetch(s3, credentials, 'GET', `/${bucket}/plain.txt?response-content-disposition=${'b'.repeat(9_000)}`);
    expect(huge.status).toBe(400);
    expect(huge.text).toContain('<Code>RequestHeaderSectionTooLarge</Code>');
    // An override counts with what the object is stored with: together they must fit.
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'long-cache-control.txt', Body: 'x', CacheControl: `max-age=1, x=${'c'.repeat(6_000)}` }));
    const together = await signedFetch(s3, credentials, 'GET', `/${bucket}/long-cache-control.txt?response-content-disposition=${'d'.repeat(6_000)}`);
    expect(together.status).toBe(400);
    expect(together.text).toContain('<Code>RequestHeaderSectionTooLarge</Code>');
    expect((await signedFetch(s3, credentials, 'GET', `/${bucket}/long-cache-control.txt`)).status).toBe(200);
    const fits = 'attachment; filename="' + 'b'.repeat(7_000) + '"';
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'large-but-fits.txt', Body: 'x', ContentDisposition: fits }));
    expect((await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'large-but-fits.txt' }))).ContentDisposition).toBe(fits);
  });
});
