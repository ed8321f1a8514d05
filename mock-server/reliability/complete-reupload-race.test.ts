/**
 * CompleteMultipartUpload racing an UploadPart that replaces one of its parts, with a data dir: the completed object
 * is made of one consistent version of each part, the one whose ETag the complete listed, and the replaced part's
 * blob is not removed while the complete still reads it (that was ENOENT, a 500).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { multipartLimits } from '../../spec/index.js';
import { plainMetadata as metadata, verifiedBody as body, temporaryDirectories, openDurableStorage } from '../store/test/fixtures.js';

const tempDir = temporaryDirectories();
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('CompleteMultipartUpload racing a re-upload of one of its parts, with a data dir', () => {
  it('completes with the listed version of every part, and never fails with an internal error', async () => {
    const { db, storage } = openDurableStorage(tempDir('ibee-mpu-reupload-'));
    storage.createBucket('p', 'bucket', 'us-east-1');
    const size = multipartLimits.value.minPartBytes;
    for (let round = 0; round < 10; round++) {
      const key = `k${round}`;
      const first = Buffer.alloc(size, `a${round}`);
      const second = Buffer.from(`last part of ${key}`);
      // The part read last is replaced while the complete still reads the first: its old blob must still be there.
      const replacement = Buffer.from(`another last part of ${key}`);
      const upload = storage.createUpload('bucket', key, metadata, null);
      const part1 = await storage.putPart(upload, 1, body(first));
      const part2 = await storage.putPart(upload, 2, body(second));
      const [completed, reuploaded] = await Promise.allSettled([
        storage.completeUpload(upload, [
          { partNumber: 1, etag: part1.etag },
          { partNumber: 2, etag: part2.etag },
        ]),
        storage.putPart(upload, 2, body(replacement)),
      ]);
      if (completed.status === 'rejected') {
        // Only S3's answer for a part that changed under the complete, never an internal error.
        expect((completed.reason as { code?: string }).code, String(completed.reason)).toBe('InvalidPart');
        continue;
      }
      const object = storage.getObject('bucket', key);
      expect(object?.size).toBe(first.length + second.length);
      expect(sha256(await readAll(storage.readObject(object!)))).toBe(sha256(Buffer.concat([first, second])));
      // The re-upload either finished before the upload went, or found it gone.
      if (reuploaded.status === 'rejected') expect((reuploaded.reason as { code?: string }).code).toBe('NoSuchUpload');
    }
    await storage.close();
    db.close();
  });
});
