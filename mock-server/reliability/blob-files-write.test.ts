/**
 * The file blob store's write path (a descriptor fed with writev, `dropBytes` for partial writes): bodies of any
 * chunk shape round-trip under short writes, and the error paths leave no temporary file and no open descriptor.
 */
import { readdirSync, writev } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFileBlobStore } from '../store/blobs-files.js';
import { temporaryDirectories } from '../store/test/fixtures.js';

const root = temporaryDirectories('ibee-blobs-');
const openFds = () => readdirSync('/proc/self/fd').length;

describe('files blob store writes', () => {
  it('round-trips any chunk shapes when writev writes only part of what it is given', async () => {
    const dir = root();
    let cuts: number[] = [];
    let shortCalls = 0;
    const store = createFileBlobStore(dir, {
      // A short write: only the first `cut` bytes (at least one) of what was asked.
      writev: (fd, buffers) => {
        const total = buffers.reduce((sum, b) => sum + b.length, 0);
        const cut = Math.max(1, Math.min(total, cuts.length > 0 ? cuts.shift()! : Math.ceil(total / 3)));
        if (cut < total) shortCalls += 1;
        const prefix: Buffer[] = [];
        let left = cut;
        for (const b of buffers) {
          if (left === 0) break;
          const piece = b.subarray(0, Math.min(left, b.length));
          prefix.push(piece);
          left -= piece.length;
        }
        return new Promise((resolve, reject) => writev(fd, prefix, (error, written) => (error ? reject(error) : resolve(written))));
      },
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 0, maxLength: 70_000 })), { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 90_000 }), { maxLength: 30 }),
        async (chunks, shortWrites) => {
          cuts = [...shortWrites];
          const buffers = chunks.map((c) => Buffer.from(c));
          const data = Buffer.concat(buffers);
          const blob = await store.write(Readable.from(buffers), {});
          expect(blob.size).toBe(data.length);
          expect((await store.readBuffer(blob.id)).equals(data)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
    expect(shortCalls).toBeGreaterThan(10);
  });

  it('refused or interrupted writes leave no temp file and no open descriptor', async () => {
    const dir = root();
    const store = createFileBlobStore(dir);
    // Warm up (lazy fds of the runtime, the fan-out directory).
    await store.write(Readable.from([Buffer.from('warm')]), {});
    const before = openFds();
    const big = Buffer.alloc(700_000, 7);
    for (let i = 0; i < 20; i++) {
      // Over maxBytes, in the middle of a batch and after a batch was written.
      await expect(store.write(Readable.from([big, big]), { maxBytes: 1_000_000, tooLarge: () => new Error('too large') })).rejects.toThrow('too large');
      // Verification fails after the body was written.
      await expect(store.write(Readable.from([big, big]), { verified: Promise.reject(new Error('bad digest')) })).rejects.toThrow('bad digest');
      // The client goes away mid-body.
      const aborted = new Readable({ read() {} });
      aborted.push(big);
      aborted.push(big);
      setTimeout(() => aborted.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })), 5);
      await expect(store.write(aborted, {})).rejects.toThrow('aborted');
    }
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(openFds()).toBe(before);
  });
});
