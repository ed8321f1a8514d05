import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestS3, type TestS3 } from '../../mock-server/s3/test/test-s3.js';
import { redactRecorded, registerSecret } from '../../reports/redact.js';
import { formatEvidence } from '../../reports/text.js';
import { s3Operations } from '../../spec/index.js';
import { TargetClock } from '../target/capabilities.js';
import type { TargetEndpoint } from '../target/config.js';
import { s3Client, s3Evidence } from '../target/s3.js';
import { exercisers, type ExerciseTarget } from './exercisers.js';

describe('exercisers', () => {
  it('cover every S3 operation of the permission matrix', () => {
    const missing = s3Operations.map((rule) => rule.operation).filter((operation) => !(operation in exercisers));
    expect(missing).toEqual([]);
  });
});

describe('S3 evidence of an exerciser', () => {
  let s3: TestS3;
  let endpoint: TargetEndpoint;
  const bucket = 'evidence-bucket';
  const key = 'dir/object one.txt';

  beforeAll(async () => {
    s3 = await startTestS3();
    endpoint = { apiUrl: 'http://127.0.0.1:9', s3Endpoint: s3.endpoint, projectId: s3.projectId, managementToken: '', apiToken: '', region: 'us-east-1', embedded: true };
    const admin = s3.client(s3.token());
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
  });
  afterAll(async () => {
    await s3?.close();
  });

  function target(level: 'object_ro' | 'admin_rw'): ExerciseTarget & { destroy(): void } {
    const credentials = s3.token({ level });
    registerSecret(credentials.secretAccessKey, `secret of a test ${level} key`);
    const clock = new TargetClock(endpoint, false);
    const client = s3Client(endpoint, credentials, clock);
    return { s3: client, credentials, endpoint, clock, bucket, key, uploadKey: key, uploadId: 'none', writeKey: 'grid/written.txt', destroy: () => client.destroy() };
  }

  it('keeps method, path and query, status, code and message, request id and the access key id, never the secret or signature', async () => {
    const reader = target('object_ro');
    const denied = await exercisers.PutObject(reader);
    const listed = await exercisers.ListMultipartUploads(reader);
    reader.destroy();

    expect(denied).toMatchObject({ status: 403, code: 'AccessDenied' });
    const evidence = redactRecorded(s3Evidence('PutObject', denied));
    expect(evidence.request.method).toBe('PUT');
    expect(evidence.request.url).toBe(`${s3.endpoint}/${bucket}/grid/written.txt?x-id=PutObject`);
    expect(evidence.response?.status).toBe(403);
    expect(evidence.s3).toMatchObject({ operation: 'PutObject', accessKeyId: reader.credentials.accessKeyId, code: 'AccessDenied' });
    expect(evidence.s3?.message).toEqual(expect.any(String));
    expect(evidence.s3?.requestId).toEqual(expect.stringMatching(/\S/));
    // No header travels: neither the secret nor the signature can.
    expect(evidence.request.headers).toBeUndefined();
    const text = JSON.stringify(evidence);
    expect(text).not.toContain(reader.credentials.secretAccessKey);
    expect(text).not.toMatch(/Signature/);
    // What a report prints of it.
    expect(formatEvidence(evidence)).toBe(
      `> PUT ${s3.endpoint}/${bucket}/grid/written.txt?x-id=PutObject\n< 403\n# S3 PutObject with access key ${reader.credentials.accessKeyId}: AccessDenied: ${evidence.s3?.message} (request id ${evidence.s3?.requestId})`,
    );

    // A success keeps the same, with a null code; the query of a sub-resource is kept.
    expect(listed.status).toBe(200);
    const success = s3Evidence('ListMultipartUploads', listed);
    expect(success.request).toMatchObject({ method: 'GET', url: `${s3.endpoint}/${bucket}/?uploads=` });
    expect(success.s3).toMatchObject({ operation: 'ListMultipartUploads', accessKeyId: reader.credentials.accessKeyId, code: null, message: null });
  });

  it('a form upload (PostObject) names its key and request too', async () => {
    const reader = target('object_ro');
    const outcome = await exercisers.PostObject(reader);
    reader.destroy();
    expect(outcome.status).toBe(403);
    expect(s3Evidence('PostObject', outcome)).toMatchObject({
      request: { method: 'POST', url: `${s3.endpoint}/${bucket}` },
      response: { status: 403 },
      s3: { operation: 'PostObject', accessKeyId: reader.credentials.accessKeyId, code: 'AccessDenied', message: expect.any(String) },
    });
  });
});
