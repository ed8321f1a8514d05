/**
 * The write-through caches of tokens (by access key id) and buckets (by name), end to end through the whole mock:
 * revocation, expiry by the mock clock, /_mock/reset, bucket config changes and DeleteBucket are seen by the very
 * next S3 request.
 */
import { S3Client, CreateBucketCommand, DeleteBucketCommand, GetBucketCorsCommand, HeadBucketCommand, ListObjectsV2Command, PutBucketCorsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMock, type TestMock } from './test/mock.js';

let mock: TestMock;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(async () => {
  await mock.close();
});

const status = (promise: Promise<unknown>) =>
  promise.then(
    () => 200,
    (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode ?? -1,
  );

describe('caches', () => {
  it('a revoked token is refused by the next S3 request, after many cached lookups', async () => {
    for (let i = 0; i < 5; i++) {
      const token = await mock.issueToken();
      const s3 = mock.s3(token, { maxAttempts: 1 });
      const bucket = `rev-cache-${i}`;
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await Promise.all(Array.from({ length: 10 }, () => s3.send(new ListObjectsV2Command({ Bucket: bucket }))));
      await mock.revoke(token);
      expect(await status(s3.send(new ListObjectsV2Command({ Bucket: bucket })))).toBe(403);
    }
  });

  it('bucket config and deletion are seen by the next request; a recreated bucket has no old config', async () => {
    const token = await mock.issueToken();
    const s3 = mock.s3(token, { maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: 'cfg-cache' }));
    expect(await status(s3.send(new GetBucketCorsCommand({ Bucket: 'cfg-cache' })))).toBe(404);
    await s3.send(
      new PutBucketCorsCommand({ Bucket: 'cfg-cache', CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'] }] } }),
    );
    expect(await status(s3.send(new GetBucketCorsCommand({ Bucket: 'cfg-cache' })))).toBe(200);
    await s3.send(new DeleteBucketCommand({ Bucket: 'cfg-cache' }));
    expect(await status(s3.send(new PutObjectCommand({ Bucket: 'cfg-cache', Key: 'k', Body: 'x' })))).toBe(404);
    await s3.send(new CreateBucketCommand({ Bucket: 'cfg-cache' }));
    expect(await status(s3.send(new GetBucketCorsCommand({ Bucket: 'cfg-cache' })))).toBe(404);
    // The REST API deletes buckets too.
    const rest = await mock.api('DELETE', `/v1/object-storage/buckets/cfg-cache`, { token: token.bearer });
    expect(rest.status).toBeLessThan(300);
    expect(await status(s3.send(new HeadBucketCommand({ Bucket: 'cfg-cache' })))).toBe(404);
  });
  it('a token expired by POST /_mock/clock is refused at once (not for clock skew), and one removed by /_mock/reset too', async () => {
    const fresh = await mock.issueToken();
    const s3b = mock.s3(fresh, { maxAttempts: 1 });
    await s3b.send(new CreateBucketCommand({ Bucket: 'reset-cache' }));
    expect(await status(s3b.send(new HeadBucketCommand({ Bucket: 'reset-cache' })))).toBe(200);
    expect((await mock.api('POST', '/_mock/reset')).status).toBeLessThan(300);
    expect(await status(s3b.send(new HeadBucketCommand({ Bucket: 'reset-cache' })))).toBe(403);

    const token = await mock.issueToken();
    const advance = 400 * 86_400;
    const client = (offsetMs: number) =>
      new S3Client({
        endpoint: mock.server.s3Endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        maxAttempts: 1,
        systemClockOffset: offsetMs,
        credentials: { accessKeyId: token.accessKeyId!, secretAccessKey: token.secretAccessKey! },
      });
    const s3 = client(0);
    await s3.send(new CreateBucketCommand({ Bucket: 'expiry-cache' }));
    expect(await status(s3.send(new ListObjectsV2Command({ Bucket: 'expiry-cache' })))).toBe(200);
    expect((await mock.api('POST', '/_mock/clock', { json: { advance_seconds: advance } })).status).toBe(200);
    const later = client(advance * 1000);
    const error = await later.send(new ListObjectsV2Command({ Bucket: 'expiry-cache' })).then(
      () => null,
      (e: { name?: string; $metadata?: { httpStatusCode?: number } }) => e,
    );
    expect(error?.$metadata?.httpStatusCode).toBe(403);
    expect(error?.name).not.toBe('RequestTimeTooSkewed');
    s3.destroy();
    later.destroy();
  });
});
