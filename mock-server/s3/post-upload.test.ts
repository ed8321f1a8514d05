import { request as httpRequest } from 'node:http';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenRecord } from '../context.js';
import { nextStoreWrite, postPolicyForm, startTestS3, type Credentials, type TestS3 } from './test/test-s3.js';

/** Browser POST (policy) uploads as a stream: what may happen while the file is still arriving. */

let s3: TestS3;
let admin: S3Client;
const bucket = 'post-upload';

beforeAll(async () => {
  s3 = await startTestS3();
  admin = s3.client(s3.token(), { requestChecksumCalculation: 'WHEN_REQUIRED' });
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await s3?.close();
});

/** The form as the bytes a browser sends, and its Content-Type (with the boundary). */
async function formBytes(form: FormData): Promise<{ bytes: Buffer; contentType: string }> {
  const request = new Request('http://form.invalid/', { method: 'POST', body: form });
  return { bytes: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type') as string };
}

/**
 * POSTs `bytes` in pieces, as a slow browser would: the first `pause` bytes, then (once `resume` resolves) the rest.
 * The mock may answer and close before it has read everything; the answer is what counts.
 */
function post(bytes: Buffer, contentType: string, pause = bytes.length, resume: Promise<void> = Promise.resolve()): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { method: 'POST', host: '127.0.0.1', port: s3.port, path: `/${bucket}`, headers: { 'content-type': contentType, 'content-length': String(bytes.length) } },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    req.write(bytes.subarray(0, pause));
    resume.then(() => req.end(bytes.subarray(pause)), reject);
  });
}

/** Sends the form up to the middle of its file, waits until the mock is storing it, runs `meanwhile`, sends the rest. */
async function uploadWith(credentials: Credentials, key: string, meanwhile: () => void): Promise<{ status: number; body: string }> {
  const file = Buffer.alloc(64 * 1024, 'x');
  const { bytes, contentType } = await formBytes(postPolicyForm(credentials, { bucket, key, body: file, nowMs: s3.clock.nowMs() }));
  const middle = bytes.indexOf(file) + file.length / 2;
  return post(bytes, contentType, middle, nextStoreWrite(s3.storage).then(meanwhile));
}

function replaceToken(accessKeyId: string, change: (token: TokenRecord) => TokenRecord): void {
  const index = s3.tokens.tokens.findIndex((token) => token.accessKeyId === accessKeyId);
  s3.tokens.tokens[index] = change(s3.tokens.tokens[index] as TokenRecord);
}

describe('a browser POST upload', () => {
  it('is stored when its token stays usable (the control)', async () => {
    const credentials = s3.token();
    const answer = await uploadWith(credentials, 'kept.bin', () => undefined);
    expect(answer.status).toBe(204);
    expect(s3.storage.getObject(bucket, 'kept.bin')?.size).toBe(64 * 1024);
  });

  it('is refused, and nothing stored, when its token is revoked while the file is arriving', async () => {
    const credentials = s3.token();
    const answer = await uploadWith(credentials, 'revoked.bin', () =>
      replaceToken(credentials.accessKeyId, (token) => ({ ...token, revokedAt: new Date(s3.clock.nowMs()) })),
    );
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('<Code>AccessDenied</Code>');
    expect(answer.body).toContain('revoked');
    expect(s3.storage.getObject(bucket, 'revoked.bin')).toBeUndefined();
  });

  it('is refused, and nothing stored, when its token expires while the file is arriving', async () => {
    const credentials = s3.token();
    const answer = await uploadWith(credentials, 'expired.bin', () =>
      replaceToken(credentials.accessKeyId, (token) => ({ ...token, expiresAt: new Date(s3.clock.nowMs() - 1) })),
    );
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('<Code>AccessDenied</Code>');
    expect(answer.body).toContain('expired');
    expect(s3.storage.getObject(bucket, 'expired.bin')).toBeUndefined();
  });

  it('counts every field before the file against the 20 KiB limit, a repeated name too', async () => {
    const credentials = s3.token();
    const form = postPolicyForm(credentials, { bucket, key: 'repeated.bin', body: 'file', nowMs: s3.clock.nowMs() });
    // Rebuild the form with one field repeated 3,000 times (30 MB) ahead of the others and the file.
    const repeated = new FormData();
    const value = 'v'.repeat(10_000);
    for (let i = 0; i < 3_000; i += 1) repeated.append('x-ignore-padding', value);
    for (const [name, entry] of form) repeated.append(name, entry);
    const { bytes, contentType } = await formBytes(repeated);
    const answer = await post(bytes, contentType);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('<Code>MaxPostPreDataLengthExceededError</Code>');
    expect(s3.storage.getObject(bucket, 'repeated.bin')).toBeUndefined();
  });
});
