import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import { MultipartFormParser, type FormEvent } from './multipart-form.js';
import { sendRaw, splitAt, useAuthTestServer } from './test/signing-harness.js';

const accessKeyId = 'AKIBEEPOSTPOLICY0001';
const secretAccessKey = 'post-policy-secret';
const region = 'us-east-1';

const server = useAuthTestServer(accessKeyId, secretAccessKey);

function amzDateOf(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

interface FormOptions {
  conditions?: unknown[];
  expiration?: Date;
  fields?: Record<string, string>;
  secret?: string;
  accessKey?: string;
  /** Raw policy text instead of JSON built from conditions. */
  rawPolicy?: string;
}

/** Builds the fields a browser form would carry, signed as S3 documents (HMAC of the base64 policy). */
async function signedFields(options: FormOptions = {}): Promise<Record<string, string>> {
  const now = server().clock.now();
  const amzDate = amzDateOf(now);
  const credential = `${options.accessKey ?? accessKeyId}/${amzDate.slice(0, 8)}/${region}/s3/aws4_request`;
  const fields: Record<string, string> = {
    key: 'uploads/${filename}',
    'Content-Type': 'image/png',
    'x-amz-algorithm': 'AWS4-HMAC-SHA256',
    'x-amz-credential': credential,
    'x-amz-date': amzDate,
    ...options.fields,
  };
  const conditions = options.conditions ?? [
    { bucket: 'bucket-a' },
    ['starts-with', '$key', 'uploads/'],
    ['starts-with', '$Content-Type', 'image/'],
    ['content-length-range', 0, 1_000_000],
    { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
    { 'x-amz-credential': credential },
    { 'x-amz-date': amzDate },
  ];
  const policyText = options.rawPolicy ?? JSON.stringify({ expiration: (options.expiration ?? new Date(now.getTime() + 600_000)).toISOString(), conditions });
  const policy = Buffer.from(policyText).toString('base64');
  const signer = new SignatureV4({
    credentials: { accessKeyId: options.accessKey ?? accessKeyId, secretAccessKey: options.secret ?? secretAccessKey },
    region,
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
  });
  const signature = await signer.sign(policy, { signingDate: now });
  return { ...fields, Policy: policy, 'X-Amz-Signature': signature };
}

async function post(fields: Record<string, string>, file: Buffer | null, filename = 'photo.png'): Promise<{ status: number; text: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  if (file) form.append('file', new Blob([file], { type: 'image/png' }), filename);
  const response = await fetch(`${server().endpoint}/bucket-a`, { method: 'POST', body: form });
  return { status: response.status, text: await response.text() };
}

describe('browser POST policy uploads', () => {
  it('accepts a signed form, substitutes ${filename} and streams the file', async () => {
    const file = Buffer.from('\x89PNG fake image bytes\r\n--not-a-boundary\r\n');
    const response = await post(await signedFields(), file);
    expect(response.status).toBe(204);
    const outcome = server().outcomes.at(-1);
    expect(outcome?.postKey).toBe('uploads/photo.png');
    expect(outcome?.body?.equals(file)).toBe(true);
    expect(outcome?.postFields?.['content-type']).toBe('image/png');
    expect(outcome?.caller).toMatchObject({ accessKeyId, presigned: true });
  });

  it('property: any file content and size arrives byte for byte', async () => {
    const fields = await signedFields();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 150_000 }), fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme-ascii' }), async (bytes, filename) => {
        const file = Buffer.from(bytes);
        const response = await post(fields, file, filename.replace(/["\\\r\n/]/g, '_'));
        expect(response.status).toBe(204);
        expect(server().outcomes.at(-1)?.body?.equals(file)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('refuses policy violations with AccessDenied "Invalid according to Policy"', async () => {
    const cases: Array<[string, Promise<Record<string, string>>]> = [
      ['key prefix', signedFields({ fields: { key: 'elsewhere/${filename}' } })],
      ['content type', signedFields({ fields: { 'Content-Type': 'text/html' } })],
      ['wrong bucket', signedFields({ conditions: [{ bucket: 'bucket-b' }, ['starts-with', '$key', ''], ['starts-with', '$Content-Type', ''], ['starts-with', '$x-amz-algorithm', ''], ['starts-with', '$x-amz-credential', ''], ['starts-with', '$x-amz-date', '']] })],
      ['extra field', signedFields({ fields: { 'x-amz-meta-extra': 'not in the policy' } })],
    ];
    for (const [name, fieldsPromise] of cases) {
      const response = await post(await fieldsPromise, Buffer.from('data'));
      expect(response.status, name).toBe(403);
      expect(response.text, name).toContain('Invalid according to Policy');
    }
  });

  it('refuses an expired policy with 403 once the mock clock passes its expiration', async () => {
    const fields = await signedFields({ expiration: new Date(server().clock.nowMs() + 60_000) });
    expect((await post(fields, Buffer.from('ok'))).status).toBe(204);
    server().clock.advance(61);
    const response = await post(fields, Buffer.from('late'));
    expect(response.status).toBe(403);
    expect(response.text).toContain('Policy expired');
  });

  it('enforces content-length-range with EntityTooLarge and EntityTooSmall', async () => {
    const conditionsWithRange = (min: number, max: number): unknown[] => [
      { bucket: 'bucket-a' }, ['starts-with', '$key', ''], ['starts-with', '$Content-Type', ''],
      ['starts-with', '$x-amz-algorithm', ''], ['starts-with', '$x-amz-credential', ''], ['starts-with', '$x-amz-date', ''],
      ['content-length-range', min, max],
    ];
    const tooLarge = await post(await signedFields({ conditions: conditionsWithRange(0, 100) }), Buffer.alloc(200_000, 1));
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.text).toContain('<Code>EntityTooLarge</Code>');
    const tooSmall = await post(await signedFields({ conditions: conditionsWithRange(10, 100) }), Buffer.alloc(5, 1));
    expect(tooSmall.status).toBe(400);
    expect(tooSmall.text).toContain('<Code>EntityTooSmall</Code>');
    expect((await post(await signedFields({ conditions: conditionsWithRange(10, 100) }), Buffer.alloc(50, 1))).status).toBe(204);
  });

  it('refuses bad signatures, unknown keys, malformed policies and forms without a file', async () => {
    const wrongSecret = await post(await signedFields({ secret: 'not-the-secret' }), Buffer.from('x'));
    expect(wrongSecret.status).toBe(403);
    expect(wrongSecret.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    const unknown = await post(await signedFields({ accessKey: 'AKIBEENOBODY00000001' }), Buffer.from('x'));
    expect(unknown.status).toBe(403);
    expect(unknown.text).toContain('<Code>InvalidAccessKeyId</Code>');
    const badPolicy = await post(await signedFields({ rawPolicy: '{not json' }), Buffer.from('x'));
    expect(badPolicy.status).toBe(400);
    expect(badPolicy.text).toContain('<Code>InvalidPolicyDocument</Code>');
    const noFile = await post(await signedFields(), null);
    expect(noFile.status).toBe(400);
    expect(noFile.text).toContain('<Code>IncorrectNumberOfFilesInPostRequest</Code>');
    const anonymous = await post({ key: 'k' }, Buffer.from('x'));
    expect(anonymous.status).toBe(403);
    expect(anonymous.text).toContain('<Code>AccessDenied</Code>');
  });

  it('answers IncompleteBody when the form is cut inside the file part', async () => {
    const fields = await signedFields();
    const boundary = 'cutboundary';
    const parts = Object.entries(fields).map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
    const raw = Buffer.from(`${parts.join('')}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\npartial file`);
    const response = await sendRaw(server(), 'POST', '/bucket-a', { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(raw.length) }, [raw]);
    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>IncompleteBody</Code>');
  });
});

describe('multipart/form-data parser', () => {
  function parse(pieces: readonly Buffer[], boundary: string): Array<{ name: string; filename: string | null; data: Buffer }> {
    const parser = new MultipartFormParser(boundary);
    const parts: Array<{ name: string; filename: string | null; chunks: Buffer[] }> = [];
    const handle = (event: FormEvent): void => {
      if (event.type === 'part') parts.push({ name: event.name, filename: event.filename, chunks: [] });
      else if (event.type === 'data') parts.at(-1)?.chunks.push(event.data);
    };
    for (const piece of pieces) parser.write(piece).forEach(handle);
    parser.end();
    return parts.map((part) => ({ name: part.name, filename: part.filename, data: Buffer.concat(part.chunks) }));
  }

  it('property: parts survive any split of the input, even with boundary-like content', async () => {
    const boundary = '----WebKitFormBoundary7MA4YWxkTrZu0gW';
    const valueArb = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b)),
      fc.constant(Buffer.from(`\r\n--${boundary.slice(0, -1)}\r\n--`)),
    );
    await fc.assert(
      fc.property(fc.array(valueArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 40 }), (values, splits) => {
        const body = Buffer.concat([
          Buffer.from('preamble to ignore\r\n'),
          ...values.flatMap((value, i) => [Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="f${i}"; filename="n${i}"\r\n\r\n`), value, Buffer.from('\r\n')]),
          Buffer.from(`--${boundary}--\r\nepilogue`),
        ]);
        const parts = parse(splitAt(body, splits.map((n) => n % (body.length + 1))), boundary);
        expect(parts.map((part) => part.name)).toEqual(values.map((_, i) => `f${i}`));
        parts.forEach((part, i) => expect(part.data.equals(values[i] as Buffer)).toBe(true));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a body that ends before the closing boundary', () => {
    const parser = new MultipartFormParser('b');
    parser.write(Buffer.from('--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nvalue'));
    expect(() => parser.end()).toThrow(S3Error);
  });
});
