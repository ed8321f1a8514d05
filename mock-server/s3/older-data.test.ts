import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
} from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { multipartLimits } from '../../spec/index.js';
import { createClock } from '../clock.js';
import { createStorage } from '../store/storage.js';
import type { IncomingBody } from '../store/types.js';
import { plainMetadata, silentLogger, temporaryDirectories } from '../store/test/fixtures.js';
import { referenceChecksum, referenceDigest } from './test/reference-checksums.js';
import { startTestS3 } from './test/test-s3.js';

/**
 * A data dir written by a version of the mock that kept no checksum types nor parts: its database lacks those
 * columns, its objects carry no checksum, its uploads' parts none of the default. Opened by this version, everything
 * keeps working, and nothing claims a checksum that was never computed.
 */

const tempDir = temporaryDirectories('ibee-older-data-');
const bucket = 'older-data';
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
const body = (data: Buffer, checksums: Record<string, string> = {}): IncomingBody => ({
  stream: Readable.from([data]),
  digests: Promise.resolve({ md5Hex: md5(data), checksums }),
});

/** Writes what an older version would have, then takes the database back to that version's tables. */
async function olderDataDir() {
  const dataDir = tempDir();
  const db = new Database(join(dataDir, 'test-meta.sqlite'));
  const storage = createStorage({ db, dataDir, clock: createClock(), logger: silentLogger });
  storage.createBucket('test-project', bucket, 'us-east-1');
  const single = randomBytes(1_000);
  await storage.putObject({ bucket, key: 'single', body: body(single), metadata: plainMetadata });
  const parts = [randomBytes(multipartLimits.value.minPartBytes), randomBytes(500)];
  const completed = storage.createUpload(bucket, 'multipart', plainMetadata, null);
  const stored = [];
  for (const [index, data] of parts.entries()) stored.push(await storage.putPart(completed, index + 1, body(data)));
  await storage.completeUpload(completed, stored.map((part) => ({ partNumber: part.partNumber, etag: part.etag })));
  // A composite object, whose parts' checksums were not kept with it.
  const compositeUpload = storage.createUpload(bucket, 'composite', plainMetadata, { algorithm: 'SHA1', type: 'COMPOSITE' });
  const compositePart = randomBytes(600);
  const compositeStored = await storage.putPart(compositeUpload, 1, body(compositePart, { SHA1: referenceChecksum('SHA1', compositePart) }));
  const compositeValue = `${referenceChecksum('SHA1', referenceDigest('SHA1', compositePart))}-1`;
  await storage.completeUpload(compositeUpload, [{ partNumber: 1, etag: compositeStored.etag }], { combineChecksums: () => ({ SHA1: compositeValue }) });
  // An upload left open: one that named SHA1 (its parts carry it, as the older version kept declared checksums), and
  // one that named nothing (its part carries no checksum at all).
  const sha1Upload = storage.createUpload(bucket, 'sha1-upload', plainMetadata, { algorithm: 'SHA1', type: 'COMPOSITE' });
  const sha1Part = randomBytes(700);
  const sha1Stored = await storage.putPart(sha1Upload, 1, body(sha1Part, { SHA1: referenceChecksum('SHA1', sha1Part) }));
  const plainUpload = storage.createUpload(bucket, 'plain-upload', plainMetadata, null);
  const plainPart = randomBytes(800);
  const plainStored = await storage.putPart(plainUpload, 1, body(plainPart));
  await storage.close();
  db.exec('ALTER TABLE s3_objects DROP COLUMN parts; ALTER TABLE s3_uploads DROP COLUMN checksum_type');
  db.close();
  return { dataDir, single, parts, composite: { part: compositePart, value: compositeValue }, sha1: { upload: sha1Upload, part: sha1Part, etag: sha1Stored.etag }, plain: { upload: plainUpload, part: plainPart, etag: plainStored.etag } };
}

describe('a data dir of an older version', () => {
  it('opens, gains the new columns, and serves its objects and uploads without claiming checksums never computed', async () => {
    const older = await olderDataDir();
    const db = new Database(join(older.dataDir, 'test-meta.sqlite'));
    const s3 = await startTestS3({ dataDir: older.dataDir, db });
    try {
      const columns = (table: string) => db.prepare<[], { name: string }>(`PRAGMA table_info(${table})`).all().map((column) => column.name);
      expect(columns('s3_objects')).toContain('parts');
      expect(columns('s3_uploads')).toContain('checksum_type');
      const client = s3.client(s3.token());

      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'single', ChecksumMode: 'ENABLED' }));
      expect([head.ChecksumCRC64NVME, head.ChecksumType]).toEqual([undefined, undefined]);
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'single', ChecksumMode: 'ENABLED' }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(older.single)).toBe(true);

      const attributes = await client.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'multipart', ObjectAttributes: ['Checksum', 'ObjectParts', 'ObjectSize'] }));
      expect(attributes.Checksum).toBeUndefined();
      expect(attributes.ObjectParts).toEqual({ TotalPartsCount: 2 });
      const secondPart = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'multipart', PartNumber: 2, ChecksumMode: 'ENABLED' }));
      expect(Buffer.from(await secondPart.Body!.transformToByteArray()).equals(older.parts[1] as Buffer)).toBe(true);
      expect([secondPart.ChecksumCRC64NVME, secondPart.ChecksumType]).toEqual([undefined, undefined]);

      // A composite object keeps its checksum; a read of its part has no part checksum to send, and sends none.
      const composite = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'composite', ChecksumMode: 'ENABLED' }));
      expect([composite.ChecksumSHA1, composite.ChecksumType]).toEqual([older.composite.value, 'COMPOSITE']);
      const compositePart = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'composite', PartNumber: 1, ChecksumMode: 'ENABLED' }));
      expect(Buffer.from(await compositePart.Body!.transformToByteArray()).equals(older.composite.part)).toBe(true);
      expect([compositePart.$metadata.httpStatusCode, compositePart.ChecksumSHA1, compositePart.ChecksumType]).toEqual([206, undefined, undefined]);

      // The SHA1 upload, without a recorded type, is composite as SHA1 uploads were then.
      const listed = await client.send(new ListPartsCommand({ Bucket: bucket, Key: 'sha1-upload', UploadId: older.sha1.upload.uploadId }));
      expect([listed.ChecksumAlgorithm, listed.ChecksumType, listed.Parts?.[0]?.ChecksumSHA1]).toEqual(['SHA1', 'COMPOSITE', referenceChecksum('SHA1', older.sha1.part)]);
      const sha1 = await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'sha1-upload',
          UploadId: older.sha1.upload.uploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: `"${older.sha1.etag}"`, ChecksumSHA1: referenceChecksum('SHA1', older.sha1.part) }] },
        }),
      );
      expect(sha1.ChecksumSHA1).toBe(`${referenceChecksum('SHA1', referenceDigest('SHA1', older.sha1.part))}-1`);

      // The upload that named nothing has a part without the default checksum: its object gets none, not a wrong one.
      const plain = await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'plain-upload',
          UploadId: older.plain.upload.uploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: `"${older.plain.etag}"` }] },
        }),
      );
      expect([plain.ChecksumCRC64NVME, plain.ChecksumType]).toEqual([undefined, undefined]);
      const plainGot = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'plain-upload', ChecksumMode: 'ENABLED' }));
      expect(Buffer.from(await plainGot.Body!.transformToByteArray()).equals(older.plain.part)).toBe(true);
    } finally {
      await s3.close();
      db.close();
    }
  });
});
