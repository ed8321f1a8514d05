/**
 * A blob file damaged on disk (truncated) is never served as if it were whole: GET answers 500 InternalError at
 * once (not a 200 with the full Content-Length that then stalls), the log names the file, and a copy of the
 * damaged object fails instead of making a new valid-looking object.
 */
import { readdirSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CopyObjectCommand, CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { failure, startTestS3 } from '../s3/test/test-s3.js';
import { temporaryDirectories } from '../store/test/fixtures.js';

const tempDir = temporaryDirectories('ibee-damaged-');

describe('a truncated blob file', () => {
  it('is a 500 with the file named in the log, for GET and for a copy of it, and nothing new is stored', async () => {
    const dataDir = tempDir();
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _encoding, done) => void (lines.push(chunk.toString()), done()) }));
    const s3 = await startTestS3({ dataDir, logger });
    try {
      const client = s3.client(s3.token(), { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
      await client.send(new CreateBucketCommand({ Bucket: 'damaged' }));
      for (const [key, size] of [['small', 2_000], ['large', 3 * 1024 * 1024]] as const) {
        await client.send(new PutObjectCommand({ Bucket: 'damaged', Key: key, Body: Buffer.alloc(size, 7) }));
        const blobId = s3.storage.getObject('damaged', key)?.blobId as string;
        const file = join(dataDir, 'blobs', blobId.slice(0, 2), blobId);
        expect(readdirSync(join(dataDir, 'blobs', blobId.slice(0, 2)))).toContain(blobId);
        truncateSync(file, size / 2);

        expect(await failure(client.send(new GetObjectCommand({ Bucket: 'damaged', Key: key })))).toEqual({ code: 'InternalError', status: 500 });
        expect(lines.some((line) => line.includes(file) && line.includes('damaged'))).toBe(true);
        const copy = await failure(client.send(new CopyObjectCommand({ Bucket: 'damaged', Key: `${key}-copy`, CopySource: `damaged/${key}` })));
        expect(copy).toEqual({ code: 'InternalError', status: 500 });
        expect(s3.storage.getObject('damaged', `${key}-copy`)).toBeUndefined();
      }
    } finally {
      await s3.close();
    }
  });
});
