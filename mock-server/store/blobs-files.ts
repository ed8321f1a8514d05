import { randomUUID } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { byteLimit, type BlobStore, type ByteRange, type WrittenBlob } from './blobs.js';

/**
 * Bodies as files under `${root}`: written to `tmp/`, fsynced, then renamed into place (and the directory fsynced),
 * so a crash never leaves a half-written blob under a real id, and a blob whose id was handed out survives kill -9.
 * Blob ids are random UUIDs; files fan out over 256 directories by the id's first two hex digits.
 */
export function createFileBlobStore(root: string): BlobStore {
  const tmpDir = join(root, 'tmp');
  // Anything in tmp/ is a write that never finished.
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir, { recursive: true });

  const pathOf = (id: string) => {
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new Error(`not a blob id: ${id}`);
    return join(root, id.slice(0, 2), id);
  };

  return {
    async write(source, { verified, maxBytes = Number.MAX_SAFE_INTEGER, tooLarge = () => new RangeError('blob too large') }): Promise<WrittenBlob> {
      const verifiedOutcome = verified?.then(
        () => null,
        (error: unknown) => ({ error }),
      );
      const id = randomUUID();
      const tmpPath = join(tmpDir, id);
      const limit = byteLimit(maxBytes, tooLarge);
      try {
        await pipeline(source, limit, createWriteStream(tmpPath, { flags: 'wx' }));
        const failure = await verifiedOutcome;
        if (failure) throw failure.error;
        const handle = await open(tmpPath, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        const dir = join(root, id.slice(0, 2));
        await mkdir(dir, { recursive: true });
        await rename(tmpPath, pathOf(id));
        await syncDirectory(dir);
      } catch (error) {
        await unlink(tmpPath).catch(() => undefined);
        throw error;
      }
      return { id, size: limit.count() };
    },

    read(id: string, range?: ByteRange): Readable {
      // Opened synchronously: once the caller has the stream, removing the blob cannot break the read.
      const fd = openSync(pathOf(id), 'r');
      try {
        return createReadStream('', { fd, autoClose: true, ...(range ? { start: range.start, end: range.end } : {}) });
      } catch (error) {
        closeSync(fd);
        throw error;
      }
    },

    async remove(id: string) {
      await unlink(pathOf(id)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    },

    sweep(keep) {
      let removed = 0;
      for (const dir of readdirSync(root)) {
        if (!/^[0-9a-f]{2}$/.test(dir)) continue;
        for (const id of readdirSync(join(root, dir))) {
          if (!keep(id)) {
            rmSync(join(root, dir, id), { force: true });
            removed += 1;
          }
        }
      }
      return removed;
    },

    async clear() {
      for (const dir of await readdir(root)) {
        if (/^[0-9a-f]{2}$/.test(dir)) await rm(join(root, dir), { recursive: true, force: true });
      }
    },
  };
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
