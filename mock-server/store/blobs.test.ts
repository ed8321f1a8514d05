import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from './blobs.js';
import { createFileBlobStore } from './blobs-files.js';
import { createMemoryBlobStore } from './blobs-memory.js';
import { temporaryDirectories } from './test/fixtures.js';

const tempDir = temporaryDirectories();

function fileStore(): { store: BlobStore; root: string } {
  const root = tempDir('ibee-blobs-');
  return { store: createFileBlobStore(root), root };
}

const stores: Array<[string, () => BlobStore]> = [
  ['memory', () => createMemoryBlobStore()],
  ['files', () => fileStore().store],
];

/** A body cut into arbitrary chunks, as a socket delivers it. */
const chunkedBody = fc
  .array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 6 })
  .map((chunks) => chunks.map((chunk) => Buffer.from(chunk)));

describe.each(stores)('%s blob store', (_name, makeStore) => {
  it('reads back exactly what was written, whole and by any range, as a stream and as one buffer', async () => {
    const store = makeStore();
    await fc.assert(
      fc.asyncProperty(chunkedBody, fc.nat(), fc.nat(), async (chunks, a, b) => {
        const data = Buffer.concat(chunks);
        const blob = await store.write(Readable.from(chunks), {});
        expect(blob.size).toBe(data.length);
        expect((await store.readBuffer(blob.id)).equals(data)).toBe(true);
        expect((await buffer(store.read(blob.id))).equals(data)).toBe(true);
        if (data.length > 0) {
          const start = Math.min(a, b) % data.length;
          const end = start + (Math.max(a, b) % (data.length - start));
          const expected = data.subarray(start, end + 1);
          expect((await store.readBuffer(blob.id, { start, end })).equals(expected)).toBe(true);
          expect((await buffer(store.read(blob.id, { start, end }))).equals(expected)).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a body over maxBytes, and a body whose verification fails, leaving nothing readable', async () => {
    const store = makeStore();
    const kept = await store.write(Readable.from([Buffer.from('kept')]), {});
    const tooLarge = new Error('too large');
    await expect(store.write(Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), { maxBytes: 15, tooLarge: () => tooLarge })).rejects.toBe(tooLarge);
    const badDigest = new Error('bad digest');
    await expect(store.write(Readable.from([Buffer.from('body')]), { verified: Promise.reject(badDigest) })).rejects.toBe(badDigest);
    // Only the good blob remains.
    expect(store.countUnreferenced(() => false)).toBe(1);
    expect(store.countUnreferenced((id) => id === kept.id)).toBe(0);
  });
});

describe('files blob store', () => {
  it('leaves no temporary file behind after refused writes, and writes bodies larger than one write batch', async () => {
    const { store, root } = fileStore();
    await expect(store.write(Readable.from([Buffer.alloc(5)]), { maxBytes: 4, tooLarge: () => new Error('too large') })).rejects.toThrow('too large');
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    const pieces = [];
    for (let offset = 0; offset < big.length; offset += 100_000) pieces.push(big.subarray(offset, offset + 100_000));
    const blob = await store.write(Readable.from(pieces), {});
    expect((await store.readBuffer(blob.id)).equals(big)).toBe(true);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });
});
