/**
 * The whole mock with a data dir (WAL, group commit): read-after-write for the same client, and conditional PUTs
 * (If-None-Match: *, If-Match) racing over HTTP: exactly one wins.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMock, type TestMock } from './test/mock.js';

let mock: TestMock;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ibee-durable-'));
  mock = await startMock({ dataDir: dir });
});
afterAll(async () => {
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('durable mock over HTTP', () => {
  it('a GET right after the PUT response sees the new body; racing conditional PUTs: exactly one wins', async () => {
    const s3 = mock.s3(await mock.issueToken(), { maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: 'durable-bucket' }));
    for (let i = 0; i < 20; i++) {
      const data = randomBytes(i * 997);
      await s3.send(new PutObjectCommand({ Bucket: 'durable-bucket', Key: 'same', Body: data }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'durable-bucket', Key: 'same' }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
    }
    const codes = (results: PromiseSettledResult<unknown>[]) =>
      results.map((r) => (r.status === 'fulfilled' ? 200 : ((r.reason as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? -1)));
    for (let round = 0; round < 3; round++) {
      const key = `cond-${round}`;
      const first = codes(
        await Promise.allSettled(Array.from({ length: 10 }, () => s3.send(new PutObjectCommand({ Bucket: 'durable-bucket', Key: key, Body: randomBytes(100), IfNoneMatch: '*' })))),
      );
      expect(first.filter((c) => c === 200)).toHaveLength(1);
      expect(first.filter((c) => c !== 200).every((c) => c === 412 || c === 409)).toBe(true);
      const etag = (await s3.send(new GetObjectCommand({ Bucket: 'durable-bucket', Key: key }))).ETag!;
      const second = codes(
        await Promise.allSettled(Array.from({ length: 10 }, () => s3.send(new PutObjectCommand({ Bucket: 'durable-bucket', Key: key, Body: randomBytes(100), IfMatch: etag })))),
      );
      expect(second.filter((c) => c === 200)).toHaveLength(1);
    }
  });
});
