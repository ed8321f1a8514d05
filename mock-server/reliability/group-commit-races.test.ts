/**
 * Group commit in storage.ts (commitWrite): conditional writes racing in one batch, a failed precondition not
 * affecting the others, SQLite's synchronous setting afterwards, DeleteBucket racing PutObject, read-after-write.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { S3Error } from '../s3/errors.js';
import { type WritePrecondition } from '../store/types.js';
import { plainMetadata as metadata, verifiedBody as body, temporaryDirectories, openDurableStorage } from '../store/test/fixtures.js';

const ifNoneMatchStar: WritePrecondition = (current) => {
  if (current) throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });
};
const ifMatch =
  (etag: string): WritePrecondition =>
  (current) => {
    if (!current || current.etag !== etag) throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
  };

const tempDir = temporaryDirectories();
function durable() {
  const dir = tempDir('ibee-races-');
  const { db, storage } = openDurableStorage(dir);
  const blobFiles = () => (readdirSync(join(dir, 'blobs'), { recursive: true }) as string[]).filter((p) => /[0-9a-f-]{36}$/.test(p) && !p.startsWith('tmp'));
  return { dir, db, storage, blobFiles };
}

describe('group commit races', () => {
  it('If-None-Match: * racing: exactly one wins; If-Match on the same ETag racing: exactly one wins; losers leave no blob', async () => {
    const { db, storage, blobFiles } = durable();
    storage.createBucket('p', 'bucket', 'us-east-1');
    for (let round = 0; round < 5; round++) {
      const key = `k${round}`;
      const bodies = Array.from({ length: 12 }, () => randomBytes(50));
      const outcomes = await Promise.allSettled(bodies.map((data) => storage.putObject({ bucket: 'bucket', key, body: body(data), metadata, precondition: ifNoneMatchStar })));
      const winners = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as S3Error).code).toBe('PreconditionFailed');
      const stored = storage.getObject('bucket', key)!;
      expect((await buffer(storage.readObject(stored))).equals(bodies[winners[0]!]!)).toBe(true);

      const next = Array.from({ length: 12 }, () => randomBytes(50));
      const second = await Promise.allSettled(next.map((data) => storage.putObject({ bucket: 'bucket', key, body: body(data), metadata, precondition: ifMatch(stored.etag) })));
      const winners2 = second.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
      expect(winners2).toHaveLength(1);
      expect((await buffer(storage.readObject(storage.getObject('bucket', key)!))).equals(next[winners2[0]!]!)).toBe(true);
    }
    // One blob per key: no loser's (and no replaced) blob left behind.
    expect(blobFiles()).toHaveLength(5);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    await storage.close();
    db.close();
  });

  it('a write refused by its precondition in a batch does not affect the unconditional writes of that batch', async () => {
    const { db, storage } = durable();
    storage.createBucket('p', 'bucket', 'us-east-1');
    await storage.putObject({ bucket: 'bucket', key: 'exists', body: body(Buffer.from('old')), metadata });
    const results = await Promise.allSettled([
      storage.putObject({ bucket: 'bucket', key: 'a', body: body(Buffer.from('a')), metadata }),
      storage.putObject({ bucket: 'bucket', key: 'exists', body: body(Buffer.from('new')), metadata, precondition: ifNoneMatchStar }),
      storage.putObject({ bucket: 'bucket', key: 'b', body: body(Buffer.from('b')), metadata }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await buffer(storage.readObject(storage.getObject('bucket', 'exists')!))).toString()).toBe('old');
    expect(storage.getObject('bucket', 'a')?.size).toBe(1);
    expect(storage.getObject('bucket', 'b')?.size).toBe(1);
    await storage.close();
    db.close();
  });

  it('DeleteBucket racing PutObject: the put fails NoSuchBucket, the bucket stays gone (cache included), no blob left', async () => {
    const { db, storage, blobFiles } = durable();
    storage.createBucket('p', 'bucket', 'us-east-1');
    expect(storage.getBucket('bucket')).toBeDefined(); // cached
    const put = storage.putObject({ bucket: 'bucket', key: 'k', body: body(randomBytes(1000)), metadata });
    await storage.deleteBucket('p', 'bucket');
    await expect(put).rejects.toMatchObject({ code: 'NoSuchBucket' });
    expect(storage.getBucket('bucket')).toBeUndefined();
    expect(blobFiles()).toEqual([]);
    expect(() => storage.setBucketConfig('bucket', 'cors', null)).toThrow(/does not exist/);
    await storage.close();
    db.close();
  });

  it('a read right after the write resolves sees the new object; synchronous is FULL for the next transaction', async () => {
    const { db, storage } = durable();
    storage.createBucket('p', 'bucket', 'us-east-1');
    for (let i = 0; i < 20; i++) {
      const data = randomBytes(i * 100);
      await storage.putObject({ bucket: 'bucket', key: 'same', body: body(data), metadata });
      const stored = storage.getObject('bucket', 'same')!;
      expect((await storage.readObjectBuffer(stored)!).equals(data)).toBe(true);
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
    }
    await storage.close();
    db.close();
  });
});
