import { createHmac } from 'node:crypto';
import type { TargetClock } from './capabilities.js';
import type { TargetEndpoint } from './config.js';
import { rawFetch, type RawResponse, type S3Credentials } from './s3.js';

/**
 * Browser-form uploads (S3 PostObject) under a SigV4-signed POST policy, built by hand: the SDK has no helper for
 * it in the installed packages, and the signature is one HMAC over the base64 policy with the SigV4 signing key.
 */

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export interface PostPolicyUpload {
  readonly bucket: string;
  readonly key: string;
  readonly body: string;
  /** Conditions beyond bucket, key and the signing fields. */
  readonly extraConditions?: readonly unknown[];
  readonly expiresInSeconds?: number;
  /** The key the form sends, when it should differ from the one the policy allows (to test refusal). */
  readonly formKey?: string;
}

export async function postObject(target: TargetEndpoint, credentials: S3Credentials, clock: TargetClock, upload: PostPolicyUpload): Promise<RawResponse> {
  const now = clock.now();
  const date = amzDate(now);
  const day = date.slice(0, 8);
  const credential = `${credentials.accessKeyId}/${day}/${target.region}/s3/aws4_request`;
  const policy = Buffer.from(
    JSON.stringify({
      expiration: new Date(now.getTime() + (upload.expiresInSeconds ?? 600) * 1000).toISOString(),
      conditions: [
        { bucket: upload.bucket },
        { key: upload.key },
        { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
        { 'x-amz-credential': credential },
        { 'x-amz-date': date },
        ...(upload.extraConditions ?? []),
      ],
    }),
  ).toString('base64');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), target.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(policy, 'utf8').digest('hex');
  const form = new FormData();
  form.set('key', upload.formKey ?? upload.key);
  form.set('policy', policy);
  form.set('x-amz-algorithm', 'AWS4-HMAC-SHA256');
  form.set('x-amz-credential', credential);
  form.set('x-amz-date', date);
  form.set('x-amz-signature', signature);
  form.set('file', new Blob([upload.body]), 'upload.txt');
  // Serialise the form so that rawFetch (which also scans for leaks) can send it as a string body.
  const request = new Request(`${target.s3Endpoint}/${encodeURIComponent(upload.bucket)}`, { method: 'POST', body: form });
  const body = await request.text();
  return rawFetch(request.url, { method: 'POST', headers: { 'content-type': request.headers.get('content-type') ?? '' }, body });
}
