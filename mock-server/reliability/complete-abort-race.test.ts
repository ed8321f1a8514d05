/**
 * CompleteMultipartUpload racing AbortMultipartUpload with a data dir (group commit): the object's commit and the
 * upload's removal are one transaction, so exactly one of the two succeeds; never both "done" with the object
 * existing although its upload was aborted.
 */
import { describe, expect, it } from 'vitest';
import { plainMetadata as metadata, verifiedBody as body, temporaryDirectories, openDurableStorage } from '../store/test/fixtures.js';

const tempDir = temporaryDirectories();

describe('CompleteMultipartUpload racing AbortMultipartUpload with a data dir', () => {
  it('never lets both succeed', async () => {
    const dir = tempDir('ibee-mpu-');
    const { db, storage } = openDurableStorage(dir);
    storage.createBucket('p', 'bucket', 'us-east-1');
    const both: number[] = [];
    for (let round = 0; round < 10; round++) {
      const key = `k${round}`;
      const upload = storage.createUpload('bucket', key, metadata, null);
      const part = await storage.putPart(upload, 1, body(Buffer.from(`part of ${key}`)));
      const complete = storage.completeUpload(upload, [{ partNumber: 1, etag: part.etag }]).then(
        () => true,
        () => false,
      );
      // The Abort comes in as soon as the object is visible (committed), while the Complete waits for its fsync.
      let aborted: boolean | null = null;
      for (let turn = 0; turn < 1000 && aborted === null; turn++) {
        await new Promise((resolve) => setImmediate(resolve));
        if (storage.getObject('bucket', key)) {
          try {
            await storage.abortUpload(storage.requireUpload('bucket', key, upload.uploadId));
            aborted = true;
          } catch {
            aborted = false;
          }
        }
      }
      const completed = await complete;
      if (completed && aborted) both.push(round);
    }
    expect(both).toEqual([]);
    await storage.close();
    db.close();
  });
});
