/**
 * Regression tests from a review of 0802b9a against POST /_mock/reset: new blob ids now take one fan-out directory at a time, so every
 * upload in flight renames into the directory that clear() is removing. fs.rm's recursive removal empties the
 * directory, and its final rmdir fails with ENOTEMPTY when a rename landed in between: clear() rejects, and the reset
 * answers 500 after it has already emptied the tokens and the metadata (the clock, reset after the blobs, stays
 * ahead). With random ids (before 0802b9a) the same race was some 40 times rarer (5 of 200 clears against 186 of
 * 200 in a side-by-side run of clear() against 4 concurrent writes).
 */
import { Readable } from 'node:stream';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createFileBlobStore } from '../store/blobs-files.js';
import { startMock } from './test/mock.js';
import { temporaryDirectories } from '../store/test/fixtures.js';

const tempDir = temporaryDirectories('ibee-review-reset-');

describe('reset while uploads are in flight', () => {
  it('file blob store: clear() succeeds while writes are in flight, and the writes themselves do not fail', async () => {
    const store = createFileBlobStore(tempDir());
    const failures: string[] = [];
    for (let round = 0; round < 50; round += 1) {
      const writes = Array.from({ length: 4 }, () =>
        store.write(Readable.from([Buffer.from('x')]), {}).catch((error: Error) => void failures.push(`write: ${error.message}`)),
      );
      await store.clear().catch((error: Error) => failures.push(`clear: ${error.message}`));
      await Promise.all(writes);
    }
    expect(failures).toEqual([]);
  });

  it('whole mock with a data dir: POST /_mock/reset during PutObjects answers 204 and puts the clock back', async () => {
    const mock = await startMock({ dataDir: tempDir() });
    try {
      const resets: string[] = [];
      let stop = false;
      const writer = async (n: number) => {
        while (!stop) {
          // Each reset removes the token and the bucket: start again with new ones.
          try {
            const s3 = mock.s3(await mock.issueToken(), { maxAttempts: 1 });
            const bucket = `review-reset-${n}`;
            await s3.send(new CreateBucketCommand({ Bucket: bucket }));
            for (let i = 0; !stop; i += 1) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `k${i}`, Body: 'body' }));
          } catch {
            // the reset got in the way: expected
          }
        }
      };
      const writers = Array.from({ length: 4 }, (_, n) => writer(n).catch(() => undefined));
      for (let round = 0; round < 30; round += 1) {
        // A minute ahead: within SigV4's 15 minutes, so the uploads go on.
        await mock.api('POST', '/_mock/clock', { json: { advance_seconds: 60 } });
        await new Promise((resolve) => setTimeout(resolve, 40));
        const res = await mock.api('POST', '/_mock/reset');
        const clock = (await mock.api('GET', '/_mock/clock')).body as { offset_seconds: number };
        resets.push(res.status === 204 ? '204' : `${res.status} ${res.text.slice(0, 120)}; clock left ${clock.offset_seconds} s ahead`);
      }
      stop = true;
      await Promise.all(writers);
      const causes = [...new Set(mock.logLines.filter((line) => line.includes('ENOTEMPTY') || line.includes('"level":50')).map((line) => /E[A-Z]{3,}[^"]*/.exec(line)?.[0] ?? line.slice(0, 160)))];
      expect(resets.filter((outcome) => outcome !== '204'), `logged: ${causes.slice(0, 3).join(' | ')}`).toEqual([]);
    } finally {
      await mock.close();
    }
  });
});
