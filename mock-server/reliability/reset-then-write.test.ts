/**
 * Writes after a reset with a data dir: `clear()` (storage.reset(), POST /_mock/reset) removes the blob fan-out
 * directories, and a later write whose blob falls in one of them must still succeed (not 500 on its rename).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { startMock } from './test/mock.js';
import { createFileBlobStore } from '../store/blobs-files.js';
import { temporaryDirectories } from '../store/test/fixtures.js';

const tempDir = temporaryDirectories('ibee-reset-');

describe('writes after a reset', () => {
  it('file blob store: every write succeeds after clear()', async () => {
    const root = tempDir();
    const store = createFileBlobStore(root);
    for (let i = 0; i < 64; i++) await store.write(Readable.from([Buffer.from(`before ${i}`)]), {});
    await store.clear();
    const failures: string[] = [];
    for (let i = 0; i < 64; i++) {
      await store.write(Readable.from([Buffer.from(`after ${i}`)]), {}).catch((error: Error) => failures.push(error.message));
    }
    expect(failures).toEqual([]);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it('whole mock with a data dir: PutObject after POST /_mock/reset answers 200, not 500', async () => {
    const dataDir = tempDir();
    const mock = await startMock({ dataDir });
    try {
      const put = async (bucket: string) => {
        const s3 = mock.s3(await mock.issueToken(), { maxAttempts: 1 });
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        const statuses: number[] = [];
        for (let i = 0; i < 40; i++) {
          statuses.push(
            await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `k${i}`, Body: `body ${i}` })).then(
              () => 200,
              (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode ?? -1,
            ),
          );
        }
        return statuses;
      };
      expect((await put('before-reset')).every((s) => s === 200)).toBe(true);
      expect((await mock.api('POST', '/_mock/reset')).status).toBeLessThan(300);
      const after = await put('after-reset');
      expect(after.filter((s) => s !== 200)).toEqual([]);
    } finally {
      await mock.close();
    }
  });
});
