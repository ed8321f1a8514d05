import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  GetBucketCorsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { multipartLimits } from '../../spec/index.js';
import { startTestS3, TestTokenStore } from './test/test-s3.js';
import { temporaryDirectories } from '../store/test/fixtures.js';

/**
 * Restart with a data dir: every acknowledged object (single PUT, aws-chunked stream, multipart), every bucket and
 * its configuration survive byte for byte. The first server is abandoned without any shutdown, as after kill -9:
 * its database handle is never closed and its WAL never checkpointed.
 */

const tempDir = temporaryDirectories();

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

function openDb(dataDir: string): Database.Database {
  const db = new Database(join(dataDir, 'meta.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

describe('restart with --data-dir', () => {
  it('keeps every object byte for byte, for any keys and sizes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 50 }).filter((k) => !k.split('/').some((s) => s === '.' || s === '..')), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.integer({ min: 0, max: 150_000 }), { minLength: 6, maxLength: 6 }),
        async (keys, sizes) => {
          const dataDir = tempDir('ibee-s3-durable-');
          const tokens = new TestTokenStore();
          const first = await startTestS3({ dataDir, db: openDb(dataDir), tokens });
          const credentials = first.token();
          const client = first.client(credentials);
          await client.send(new CreateBucketCommand({ Bucket: 'durable' }));
          await client.send(new PutBucketCorsCommand({ Bucket: 'durable', CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'] }] } }));
          const expected = new Map<string, Buffer>();
          for (const [index, key] of keys.entries()) {
            const data = randomBytes(sizes[index] ?? 0);
            // Alternate Buffer bodies and aws-chunked streams.
            const body = index % 2 === 0 ? data : Readable.from([data]);
            await client.send(new PutObjectCommand({ Bucket: 'durable', Key: key, Body: body, ContentLength: data.length }));
            expected.set(key, data);
          }
          const parts = [randomBytes(multipartLimits.value.minPartBytes), randomBytes(1000)];
          const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: 'durable', Key: 'multipart object' }));
          const etags = [];
          for (const [i, part] of parts.entries()) {
            etags.push((await client.send(new UploadPartCommand({ Bucket: 'durable', Key: 'multipart object', UploadId, PartNumber: i + 1, Body: part }))).ETag);
          }
          await client.send(
            new CompleteMultipartUploadCommand({ Bucket: 'durable', Key: 'multipart object', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
          );
          expected.set('multipart object', Buffer.concat(parts));
          // Abandon the first server: no storage close, no database close.
          first.server.closeAllConnections();
          first.server.close();

          const second = await startTestS3({ dataDir, db: openDb(dataDir), tokens });
          try {
            const again = second.client(credentials);
            expect((await again.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['durable']);
            expect((await again.send(new GetBucketCorsCommand({ Bucket: 'durable' }))).CORSRules?.[0]?.AllowedMethods).toEqual(['GET']);
            const listed = await again.send(new ListObjectsV2Command({ Bucket: 'durable', EncodingType: 'url' }));
            expect(listed.KeyCount).toBe(expected.size);
            for (const [key, data] of expected) {
              const got = await again.send(new GetObjectCommand({ Bucket: 'durable', Key: key }));
              const bytes = Buffer.from(await got.Body!.transformToByteArray());
              expect(bytes.length, key).toBe(data.length);
              expect(md5(bytes), key).toBe(md5(data));
            }
          } finally {
            await second.close();
          }
        },
      ),
      { numRuns: 3 },
    );
  });
});

describe('large bodies stream to disk', () => {
  it('a 96 MiB aws-chunked upload and its download never sit in memory whole', async () => {
    const dataDir = tempDir('ibee-s3-stream-');
    const s3 = await startTestS3({ dataDir, db: openDb(dataDir) });
    try {
      const client = s3.client(s3.token());
      await client.send(new CreateBucketCommand({ Bucket: 'streaming' }));
      const size = 96 * 1024 * 1024;
      const chunk = Buffer.alloc(256 * 1024, 7);
      const hash = createHash('md5');
      for (let sent = 0; sent < size; sent += chunk.length) hash.update(chunk);
      const source = Readable.from(
        (function* () {
          for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
        })(),
      );
      const baseline = process.memoryUsage().arrayBuffers;
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      }, 10);
      try {
        const put = await client.send(new PutObjectCommand({ Bucket: 'streaming', Key: 'big', Body: source, ContentLength: size }));
        expect(put.ETag).toBe(`"${hash.digest('hex')}"`);
        const got = await client.send(new GetObjectCommand({ Bucket: 'streaming', Key: 'big' }));
        let received = 0;
        for await (const piece of got.Body as Readable) received += (piece as Buffer).length;
        expect(received).toBe(size);
      } finally {
        clearInterval(sampler);
      }
      expect(peak - baseline).toBeLessThan(size / 2);
    } finally {
      await s3.close();
    }
  });
});
