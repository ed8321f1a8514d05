/**
 * Closing the store while an object write is on its way to the commit queue (mock-server/app.ts closes with
 * `await storage.close(); db.close()`): queued writes are committed or refused, never left unsettled, and nothing
 * runs on the closed database (which would throw from a timer: a crash of the embedding process).
 */
import { describe, expect, it } from 'vitest';
import { plainMetadata as metadata, verifiedBody as body, temporaryDirectories, openDurableStorage } from '../store/test/fixtures.js';

const tempDir = temporaryDirectories();

describe('closing a durable store while a PUT is about to commit (as MockServer.close does)', () => {
  it('settles the write (rejects it) and throws nothing uncaught', async () => {
    const dir = tempDir('ibee-close-');
    const { db, storage } = openDurableStorage(dir);
    storage.createBucket('p', 'bucket', 'us-east-1');

    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => void uncaught.push(error);
    // Vitest would report the crash as an unhandled error; collect it instead so the test can say what happened.
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      // The body is complete; the blob write (open, write, fsync, rename) takes a few turns of the event loop.
      const put = storage.putObject({ bucket: 'bucket', key: 'key', body: body(Buffer.from('hello')), metadata }).then(
        () => 'fulfilled' as const,
        () => 'rejected' as const,
      );
      // MockServer.close(): servers stopped, then storage.close(), then db.close().
      await storage.close();
      db.close();
      // A hang bound, not a speed limit: settling waits for the blob's fdatasync and directory fsync (a few ms here,
      // but seconds when the disk is shared with a durable benchmark), so it allows far more than that.
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([put, new Promise((resolve) => (timer = setTimeout(() => resolve('never settled'), 20_000)))]);
      clearTimeout(timer);
      expect(uncaught.map(String)).toEqual([]);
      expect(outcome).toBe('rejected');
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const listener of listeners) process.on('uncaughtException', listener);
    }
  });
});
