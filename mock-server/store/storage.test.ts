import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClock } from '../clock.js';
import { createStorage } from './storage.js';
import type { IncomingBody, Storage } from './types.js';
import { md5Hex as md5, plainMetadata as metadata, silentLogger as logger, verifiedBody as body, temporaryDirectories } from './test/fixtures.js';

const tempDir = temporaryDirectories('ibee-store-');

function memoryStorage(): Storage {
  return createStorage({ db: new Database(':memory:'), dataDir: null, clock: createClock(), logger });
}

function openDurable(dataDir: string): { storage: Storage; db: Database.Database } {
  const db = new Database(join(dataDir, 'meta.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return { storage: createStorage({ db, dataDir, clock: createClock(), logger }), db };
}

const utf8Compare = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** The listing S3 defines, computed naively: sorted by UTF-8 bytes, filtered by prefix, rolled up at the delimiter. */
function modelListing(keys: readonly string[], prefix: string, delimiter: string): string[] {
  const entries: string[] = [];
  for (const key of [...new Set(keys)].sort(utf8Compare)) {
    if (!key.startsWith(prefix)) continue;
    const cut = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    const entry = cut >= 0 ? key.slice(0, cut + delimiter.length) : key;
    if (entries.at(-1) !== entry) entries.push(entry);
  }
  return entries;
}

// Characters chosen so that UTF-16 order and UTF-8 byte order disagree (U+E000 vs an astral character).
const keyChar = fc.constantFrom('a', 'b', '/', '-', 'é', '\uE000', '😀', ' ');
const keyArb = fc.string({ unit: keyChar, minLength: 1, maxLength: 6 });

describe('listing', () => {
  it('pages through exactly the model listing, in UTF-8 byte order, for any keys, prefix, delimiter and page size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(keyArb, { maxLength: 25 }),
        fc.string({ unit: keyChar, maxLength: 2 }),
        fc.constantFrom('', '/', '-', 'é'),
        fc.integer({ min: 1, max: 7 }),
        async (keys, prefix, delimiter, maxKeys) => {
          const storage = memoryStorage();
          storage.createBucket('p', 'bucket', 'us-east-1');
          for (const key of keys) await storage.putObject({ bucket: 'bucket', key, body: body(Buffer.from(key)), metadata });
          const listed: string[] = [];
          let after = '';
          for (let page = 0; page < 100; page += 1) {
            const result = storage.listObjects('bucket', { prefix, delimiter, after, maxKeys });
            const pageEntries = [...result.objects.map((o) => o.key), ...result.commonPrefixes].sort(utf8Compare);
            expect(pageEntries.length).toBeLessThanOrEqual(maxKeys);
            listed.push(...pageEntries);
            if (!result.isTruncated) break;
            expect(result.last).toBe(pageEntries.at(-1));
            after = result.last!;
          }
          expect(listed).toEqual(modelListing(keys, prefix, delimiter));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('buckets', () => {
  it('names follow spec; duplicates are BucketAlreadyOwnedByYou or BucketAlreadyExists; non-empty is BucketNotEmpty', async () => {
    const storage = memoryStorage();
    expect(() => storage.createBucket('p1', 'Bad_Name', 'us-east-1')).toThrow(expect.objectContaining({ code: 'InvalidBucketName' }));
    storage.createBucket('p1', 'shared-name', 'us-east-1');
    expect(() => storage.createBucket('p1', 'shared-name', 'us-east-1')).toThrow(expect.objectContaining({ code: 'BucketAlreadyOwnedByYou' }));
    expect(() => storage.createBucket('p2', 'shared-name', 'us-east-1')).toThrow(expect.objectContaining({ code: 'BucketAlreadyExists' }));
    await storage.putObject({ bucket: 'shared-name', key: 'k', body: body(Buffer.from('x')), metadata });
    await expect(storage.deleteBucket('p1', 'shared-name')).rejects.toMatchObject({ code: 'BucketNotEmpty' });
    await expect(storage.deleteBucket('p2', 'shared-name')).rejects.toMatchObject({ code: 'BucketOfAnotherProject' });
    expect(storage.bucketStats('p1', 'shared-name')).toEqual({ objectCount: 1, totalSize: 1 });
    await storage.deleteObject('shared-name', 'k');
    await storage.deleteBucket('p1', 'shared-name');
    expect(storage.findBucket('shared-name')).toBeUndefined();
    await expect(storage.deleteBucket('p1', 'shared-name')).rejects.toMatchObject({ code: 'NoSuchBucket' });
  });

  it('every lookup sees the bucket as the last change left it, whatever the sequence of changes and lookups', async () => {
    type Step =
      | { op: 'create'; name: string; project: string }
      | { op: 'delete'; name: string; project: string }
      | { op: 'cors'; name: string; cors: string }
      | { op: 'reset' };
    const name = fc.constantFrom('alpha-bucket', 'beta-bucket');
    const project = fc.constantFrom('p1', 'p2');
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ op: fc.constant('create' as const), name, project }),
      fc.record({ op: fc.constant('delete' as const), name, project }),
      fc.record({ op: fc.constant('cors' as const), name, cors: fc.string({ maxLength: 8 }) }),
      fc.constant({ op: 'reset' as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 15 }), async (steps) => {
        const storage = memoryStorage();
        const model = new Map<string, { project: string; cors: string | null }>();
        for (const s of steps) {
          if (s.op === 'create') {
            try {
              storage.createBucket(s.project, s.name, 'us-east-1');
            } catch {
              // Taken: the model keeps its owner.
            }
            if (!model.has(s.name)) model.set(s.name, { project: s.project, cors: null });
          } else if (s.op === 'delete') {
            await storage.deleteBucket(s.project, s.name).catch(() => undefined);
            if (model.get(s.name)?.project === s.project) model.delete(s.name);
          } else if (s.op === 'cors') {
            try {
              storage.setBucketConfig(s.name, 'cors', s.cors);
            } catch {
              // NoSuchBucket.
            }
            const entry = model.get(s.name);
            if (entry) entry.cors = s.cors;
          } else {
            await storage.reset();
            model.clear();
          }
          for (const bucket of ['alpha-bucket', 'beta-bucket']) {
            const seen = storage.getBucket(bucket);
            const expected = model.get(bucket);
            expect(seen === undefined ? undefined : { project: seen.projectId, cors: seen.cors }).toEqual(expected);
          }
        }
      }),
      { numRuns: 80 },
    );
  });
});

describe('writes that fail verification', () => {
  it.each([['memory'], ['files']])('leave no object and no blob behind (%s)', async (kind) => {
    const dataDir = kind === 'files' ? tempDir() : null;
    const storage = dataDir ? openDurable(dataDir).storage : memoryStorage();
    storage.createBucket('p', 'bucket', 'us-east-1');
    await storage.putObject({ bucket: 'bucket', key: 'k', body: body(Buffer.from('original')), metadata });
    const failing: IncomingBody = {
      stream: Readable.from([Buffer.from('half of a new body')]),
      digests: Promise.reject(Object.assign(new Error('the body did not match its digest'), { code: 'BadDigest' })),
    };
    await expect(storage.putObject({ bucket: 'bucket', key: 'k', body: failing, metadata })).rejects.toMatchObject({ code: 'BadDigest' });
    const erroring = new Readable({ read() {} });
    erroring.push(Buffer.from('partial'));
    setTimeout(() => erroring.destroy(Object.assign(new Error('the body ended early'), { code: 'IncompleteBody' })), 5);
    await expect(
      storage.putObject({ bucket: 'bucket', key: 'k', body: { stream: erroring, digests: new Promise(() => undefined) }, metadata }),
    ).rejects.toMatchObject({ code: 'IncompleteBody' });
    const object = storage.getObject('bucket', 'k')!;
    expect((await buffer(storage.readObject(object))).toString()).toBe('original');
    if (dataDir) {
      expect(readdirSync(join(dataDir, 'blobs', 'tmp'))).toEqual([]);
      const blobFiles = readdirSync(join(dataDir, 'blobs')).filter((d) => d !== 'tmp').flatMap((d) => readdirSync(join(dataDir, 'blobs', d)));
      expect(blobFiles).toEqual([object.blobId]);
    }
  });
});

describe('durability with a data dir', () => {
  it('keeps every acknowledged object byte for byte across a restart, and every blob file, referenced or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 8, maxLength: 8 }),
        async (keys, sizes) => {
          const dataDir = tempDir();
          const first = openDurable(dataDir);
          first.storage.createBucket('p', 'durable', 'us-east-1');
          const written = new Map<string, Buffer>();
          for (const [index, key] of keys.entries()) {
            const data = randomBytes(sizes[index] ?? 0);
            await first.storage.putObject({ bucket: 'durable', key, body: body(data), metadata });
            written.set(key, data);
          }
          // Overwrite one: only the new bytes may survive.
          const replaced = randomBytes(1234);
          await first.storage.putObject({ bucket: 'durable', key: keys[0]!, body: body(replaced), metadata });
          written.set(keys[0]!, replaced);
          // A blob file no metadata points to: an interrupted write's, or data a lost database no longer knows.
          const orphan = '00000000-0000-4000-8000-000000000000';
          mkdirSync(join(dataDir, 'blobs', '00'), { recursive: true });
          writeFileSync(join(dataDir, 'blobs', '00', orphan), 'orphan');
          first.db.close();

          const second = openDurable(dataDir);
          expect(second.storage.listBuckets('p').map((b) => b.name)).toEqual(['durable']);
          for (const [key, data] of written) {
            const object = second.storage.getObject('durable', key);
            expect(object?.size).toBe(data.length);
            expect(object?.etag).toBe(md5(data));
            expect((await buffer(second.storage.readObject(object!))).equals(data)).toBe(true);
          }
          expect(readdirSync(join(dataDir, 'blobs', '00'))).toContain(orphan);
          second.db.close();
        },
      ),
      { numRuns: 6 },
    );
  });
});

describe('multipart completion', () => {
  const MiB = 1024 * 1024;

  it('completes only with the parts named, in the versions named, after the caller\'s rules about them', async () => {
    const storage = memoryStorage();
    storage.createBucket('p', 'mpu', 'us-east-1');
    const upload = storage.createUpload('mpu', 'big', metadata, null);
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB + 7), randomBytes(3)];
    const stored = [];
    for (const [index, data] of parts.entries()) stored.push(await storage.putPart(upload, index + 1, body(data)));
    const etags = stored.map((part) => part.etag);

    await expect(storage.completeUpload(upload, [{ partNumber: 1, etag: 'ffff' }])).rejects.toMatchObject({ code: 'InvalidPart' });
    await expect(storage.completeUpload(upload, [{ partNumber: 4, etag: etags[0]! }])).rejects.toMatchObject({ code: 'InvalidPart' });
    const refused = new Error('the caller refuses these parts');
    let seen: number[] = [];
    const checkParts = (chosen: readonly { partNumber: number }[]) => {
      seen = chosen.map((part) => part.partNumber);
      throw refused;
    };
    await expect(storage.completeUpload(upload, [{ partNumber: 1, etag: etags[0]! }, { partNumber: 3, etag: etags[2]! }], { checkParts })).rejects.toBe(refused);
    expect(seen).toEqual([1, 3]);
    expect(storage.getObject('mpu', 'big')).toBeUndefined();
    // Nothing failed above consumed the upload: a correct list completes it.
    const object = await storage.completeUpload(upload, etags.map((etag, index) => ({ partNumber: index + 1, etag })));
    expect(object.size).toBe(parts.reduce((sum, part) => sum + part.length, 0));
  });

  it('concatenates the chosen parts (skipping unlisted ones) and discards the upload', async () => {
    const storage = memoryStorage();
    storage.createBucket('p', 'mpu', 'us-east-1');
    const upload = storage.createUpload('mpu', 'k', metadata, null);
    const one = randomBytes(5 * MiB);
    const unlisted = randomBytes(100);
    const three = randomBytes(999);
    const p1 = await storage.putPart(upload, 1, body(one));
    await storage.putPart(upload, 2, body(unlisted));
    const p3 = await storage.putPart(upload, 3, body(three));
    const object = await storage.completeUpload(upload, [
      { partNumber: 1, etag: `"${p1.etag}"` },
      { partNumber: 3, etag: p3.etag },
    ]);
    const expectedEtag = `${md5(Buffer.concat([Buffer.from(p1.etag, 'hex'), Buffer.from(p3.etag, 'hex')]))}-2`;
    expect(object.etag).toBe(expectedEtag);
    expect(object.partsCount).toBe(2);
    expect((await buffer(storage.readObject(object))).equals(Buffer.concat([one, three]))).toBe(true);
    expect(() => storage.requireUpload('mpu', 'k', upload.uploadId)).toThrow(expect.objectContaining({ code: 'NoSuchUpload' }));
  });
});

describe('concurrent writes', () => {
  it('racing PUTs of one key leave exactly one complete body and no stray blob', async () => {
    const dataDir = tempDir();
    const { storage } = openDurable(dataDir);
    storage.createBucket('p', 'race', 'us-east-1');
    const bodies = Array.from({ length: 12 }, (_, i) => randomBytes(10_000 + i * 997));
    await Promise.all(bodies.map((data) => storage.putObject({ bucket: 'race', key: 'same-key', body: body(data), metadata })));
    const object = storage.getObject('race', 'same-key')!;
    const stored = await buffer(storage.readObject(object));
    expect(bodies.some((data) => data.equals(stored))).toBe(true);
    expect(object.etag).toBe(md5(stored));
    const blobFiles = readdirSync(join(dataDir, 'blobs')).filter((d) => d !== 'tmp').flatMap((d) => readdirSync(join(dataDir, 'blobs', d)));
    expect(blobFiles).toEqual([object.blobId]);
  });

  it('a read opened before a delete still streams the whole old body', async () => {
    const dataDir = tempDir();
    const { storage } = openDurable(dataDir);
    storage.createBucket('p', 'race', 'us-east-1');
    const data = randomBytes(300_000);
    await storage.putObject({ bucket: 'race', key: 'k', body: body(data), metadata });
    const reading = storage.readObject(storage.getObject('race', 'k')!);
    await storage.deleteObject('race', 'k');
    expect((await buffer(reading)).equals(data)).toBe(true);
  });
});

describe('reset', () => {
  it('empties buckets, objects, uploads and blob files', async () => {
    const dataDir = tempDir();
    const { storage } = openDurable(dataDir);
    storage.createBucket('p', 'reset-me', 'us-east-1');
    await storage.putObject({ bucket: 'reset-me', key: 'k', body: body(randomBytes(100)), metadata });
    const upload = storage.createUpload('reset-me', 'u', metadata, null);
    await storage.putPart(upload, 1, body(randomBytes(10)));
    await storage.reset();
    expect(storage.listBuckets('p')).toEqual([]);
    expect(storage.getObject('reset-me', 'k')).toBeUndefined();
    expect(() => storage.requireUpload('reset-me', 'u', upload.uploadId)).toThrow(expect.objectContaining({ code: 'NoSuchUpload' }));
    expect(readdirSync(join(dataDir, 'blobs')).filter((d) => d !== 'tmp')).toEqual([]);
    storage.createBucket('p', 'reset-me', 'us-east-1');
  });
});
