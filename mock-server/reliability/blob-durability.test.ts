/**
 * Regression tests from a review of 0802b9a and 8ea697d (file blob store: shared directory fsync, fan-out directories in turns, O_DSYNC
 * writes). The file system calls the store makes are recorded (node:fs and node:fs/promises wrapped, passing through
 * to the real ones), and every acknowledged write is checked against what power-loss durability of a new file needs
 * on Linux: its bytes and size flushed (fdatasync/fsync, or O_DSYNC writes), the rename into its directory followed by
 * an fsync of that directory opened after the rename, and a directory made for it (mkdir) recorded in its parent by an
 * fsync of the parent, all before the write is acknowledged.
 */
import type * as FsModule from 'node:fs';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type * as FsPromisesModule from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFileBlobStore } from '../store/blobs-files.js';

type Event =
  | { kind: 'open'; path: string; flags: number | string; fd: number }
  | { kind: 'write'; fd: number; bytes: number }
  | { kind: 'fdatasync' | 'fsync' | 'close'; fd: number }
  | { kind: 'mkdir'; path: string }
  | { kind: 'rename'; from: string; to: string };

const trace = vi.hoisted(() => ({ events: [] as Event[], failOpenOf: null as string | null, failCloses: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof FsModule>();
  type Callback = (error: NodeJS.ErrnoException | null, ...rest: unknown[]) => void;
  const wrapped = {
    open: (path: string, flags: number | string, ...rest: unknown[]) => {
      const callback = rest.pop() as Callback;
      if (trace.failOpenOf !== null && String(path).includes(trace.failOpenOf)) {
        queueMicrotask(() => callback(Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' })));
        return;
      }
      fs.open(path, flags, ...(rest as []), (error: NodeJS.ErrnoException | null, fd: number) => {
        if (!error) trace.events.push({ kind: 'open', path: String(path), flags, fd });
        callback(error, fd);
      });
    },
    writev: (fd: number, buffers: Buffer[], callback: Callback) =>
      fs.writev(fd, buffers, (error, bytes) => {
        if (!error) trace.events.push({ kind: 'write', fd, bytes });
        callback(error, bytes);
      }),
    fdatasync: (fd: number, callback: Callback) =>
      fs.fdatasync(fd, (error) => {
        trace.events.push({ kind: 'fdatasync', fd });
        callback(error);
      }),
    fsync: (fd: number, callback: Callback) =>
      fs.fsync(fd, (error) => {
        trace.events.push({ kind: 'fsync', fd });
        callback(error);
      }),
    close: (fd: number, callback: Callback) =>
      fs.close(fd, (error) => {
        trace.events.push({ kind: 'close', fd });
        if (!error && trace.failCloses > 0) {
          trace.failCloses -= 1;
          callback(Object.assign(new Error('EIO: i/o error, close'), { code: 'EIO' }));
          return;
        }
        callback(error);
      }),
  };
  return { ...fs, ...wrapped, default: { ...fs, ...wrapped } };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const fsp = await importOriginal<typeof FsPromisesModule>();
  const wrapped = {
    mkdir: async (path: string, options?: Parameters<typeof fsp.mkdir>[1]) => {
      const made = await fsp.mkdir(path, options);
      if (made !== undefined) trace.events.push({ kind: 'mkdir', path: String(path) });
      return made;
    },
    rename: async (from: string, to: string) => {
      await fsp.rename(from, to);
      trace.events.push({ kind: 'rename', from: String(from), to: String(to) });
    },
  };
  return { ...fsp, ...wrapped, default: { ...fsp, ...wrapped } };
});

const roots: string[] = [];
afterEach(() => {
  trace.events.length = 0;
  trace.failOpenOf = null;
  trace.failCloses = 0;
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ibee-review-blobs-'));
  roots.push(dir);
  return dir;
}

const O_DSYNC = 0o10000;
const MiB = 1024 * 1024;

/**
 * What is missing for the blob `id` (acknowledged when the trace had `ackedAt` events) to survive power loss.
 * Descriptor numbers are reused, so each check follows the one open of the path it is about.
 */
function durabilityGaps(root: string, id: string, size: number, events: readonly Event[], ackedAt: number): string[] {
  const gaps: string[] = [];
  const upTo = events.slice(0, ackedAt);
  const tmp = join(root, 'tmp', id);
  const final = join(root, id.slice(0, 2), id);
  // 1. The file's bytes and size.
  const openAt = upTo.findIndex((e) => e.kind === 'open' && e.path === tmp);
  if (openAt < 0) return [`${id}: its temporary file was never opened`];
  const open = upTo[openAt] as Extract<Event, { kind: 'open' }>;
  const closeAt = upTo.findIndex((e, i) => i > openAt && e.kind === 'close' && e.fd === open.fd);
  const life = upTo.slice(openAt + 1, closeAt < 0 ? undefined : closeAt).filter((e) => 'fd' in e && e.fd === open.fd);
  const written = life.filter((e) => e.kind === 'write').reduce((sum, e) => sum + (e as { bytes: number }).bytes, 0);
  if (written !== size) gaps.push(`${id}: ${written} bytes written of ${size}`);
  const lastWrite = life.map((e) => e.kind).lastIndexOf('write');
  const flushedAfterLastWrite = life.slice(lastWrite + 1).some((e) => e.kind === 'fdatasync' || e.kind === 'fsync');
  const dsync = typeof open.flags === 'number' && (open.flags & O_DSYNC) !== 0;
  // An O_DSYNC write is its own flush; with no write at all (a zero-byte body) nothing was flushed: not the inode
  // the write created, nor its size.
  if (!flushedAfterLastWrite && !(dsync && lastWrite >= 0)) gaps.push(`${id} (${size} B): its file was never flushed (open flags ${open.flags}, ${life.length} calls)`);
  // 2. The rename, then an fsync of the directory it went to, opened after the rename.
  const renameAt = upTo.findIndex((e) => e.kind === 'rename' && e.to === final);
  if (renameAt < 0) gaps.push(`${id}: never renamed into place`);
  const dirSynced = (dir: string, after: number) =>
    upTo.some((e, i) => i > after && e.kind === 'open' && e.path === dir && upTo.slice(i + 1).some((s) => s.kind === 'fsync' && s.fd === e.fd));
  if (renameAt >= 0 && !dirSynced(dirname(final), renameAt)) gaps.push(`${id}: its directory was not fsynced after the rename`);
  // 3. A directory made on the way (the fan-out directory): its entry in the parent.
  for (const [i, e] of upTo.entries()) {
    if (e.kind === 'mkdir' && final.startsWith(`${e.path}/`) && !dirSynced(dirname(e.path), i)) {
      gaps.push(`${id}: its directory ${e.path.slice(root.length)} was made (mkdir) but ${dirname(e.path).slice(root.length) || '/'} was never fsynced after`);
    }
  }
  return gaps;
}

async function writeTraced(store: ReturnType<typeof createFileBlobStore>, chunks: Buffer[], verified?: Promise<unknown>) {
  const blob = await store.write(Readable.from(chunks), verified ? { verified } : {});
  return { blob, ackedAt: trace.events.length };
}

describe('file blob store: what an acknowledged write has made durable (recorded system calls)', () => {
  it('bodies around the 1 MiB batch boundary, in any chunking: read back whole, flushed, renamed, directory synced', async () => {
    const root = tempRoot();
    const store = createFileBlobStore(root);
    await writeTraced(store, [Buffer.from('warm up: the first write makes its fan-out directory')]);
    const sizes = fc.oneof(fc.constantFrom(1, MiB - 1, MiB, MiB + 1, 2 * MiB, 2 * MiB + 1), fc.integer({ min: 1, max: 3 * MiB }));
    await fc.assert(
      fc.asyncProperty(sizes, fc.array(fc.integer({ min: 1, max: 900_000 }), { minLength: 1, maxLength: 8 }), fc.boolean(), async (size, cuts, withVerified) => {
        const data = Buffer.alloc(size);
        for (let i = 0; i < size; i += 4096) data[i] = (i / 4096) & 0xff;
        const chunks: Buffer[] = [];
        let at = 0;
        for (let i = 0; at < size; i = (i + 1) % cuts.length) {
          chunks.push(data.subarray(at, Math.min(size, at + cuts[i]!)));
          at += cuts[i]!;
        }
        const { blob, ackedAt } = await writeTraced(store, chunks, withVerified ? Promise.resolve() : undefined);
        expect(blob.size).toBe(size);
        expect((await store.readBuffer(blob.id)).equals(data)).toBe(true);
        expect(durabilityGaps(root, blob.id, size, trace.events, ackedAt).filter((gap) => !gap.includes('mkdir'))).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });

  it('a zero-byte body (a "folder/" marker object) is flushed before it is acknowledged, as before 8ea697d', async () => {
    // Before 8ea697d every blob ended with handle.sync(). Now a body that fits one write is opened with O_DSYNC and
    // has no separate flush, but a zero-byte body has no write at all: neither the new inode nor anything else of
    // the file is flushed by the store; only the directory fsync is left to carry it.
    const root = tempRoot();
    const store = createFileBlobStore(root);
    await writeTraced(store, [Buffer.from('warm up')]);
    for (const chunks of [[], [Buffer.alloc(0)], [Buffer.alloc(0), Buffer.alloc(0)]]) {
      const { blob, ackedAt } = await writeTraced(store, chunks, Promise.resolve());
      expect(blob.size).toBe(0);
      expect((await store.readBuffer(blob.id)).length).toBe(0);
      expect(durabilityGaps(root, blob.id, 0, trace.events, ackedAt).filter((gap) => !gap.includes('mkdir'))).toEqual([]);
    }
  });

  it('a fan-out directory made for a write is itself durable (its parent fsynced) before the write is acknowledged', async () => {
    // Since 0802b9a a new fan-out directory is made every 64 blobs (until all 256 exist), and again after every
    // clear() (POST /_mock/reset): mkdir adds an entry to blobs/, and only the fan-out directory is fsynced, never
    // blobs/. (The same gap existed before 0802b9a, but only for the first blobs of each of the 256 directories.)
    const root = tempRoot();
    const store = createFileBlobStore(root);
    const gaps = new Set<string>();
    const note = (found: string[]) => found.forEach((gap) => gaps.add(gap.replace(/^[0-9a-f-]{36}: /, '')));
    for (let i = 0; i < 130; i += 1) {
      const { blob, ackedAt } = await writeTraced(store, [Buffer.from(`body ${i}`)]);
      note(durabilityGaps(root, blob.id, blob.size, trace.events, ackedAt));
    }
    await store.clear();
    const { blob, ackedAt } = await writeTraced(store, [Buffer.from('after clear')]);
    note(durabilityGaps(root, blob.id, blob.size, trace.events, ackedAt));
    expect([...gaps]).toEqual([]);
  });

  it('leaves no descriptor and no temporary file on open failure, ENOSPC mid-body, close failure or refused verification', async () => {
    const root = tempRoot();
    let failWrites = 0;
    const store = createFileBlobStore(root, {
      writev: (fd, buffers) =>
        failWrites-- > 0
          ? Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))
          : new Promise((resolve, reject) => {
              // A real writev, via the recorded one.
              void import('node:fs').then((fs) => fs.writev(fd, buffers, (error, bytes) => (error ? reject(error) : resolve(bytes))));
            }),
    });
    await store.write(Readable.from([Buffer.from('warm up')]), {});
    const openFds = () => readdirSync('/proc/self/fd').length;
    const before = openFds();
    const opened = () => trace.events.filter((e) => e.kind === 'open').map((e) => (e as { fd: number }).fd);
    const closedAll = () => {
      // Every descriptor the store opened was closed again (in order of the trace).
      const open = new Map<number, number>();
      for (const e of trace.events) {
        if (e.kind === 'open') open.set(e.fd, (open.get(e.fd) ?? 0) + 1);
        if (e.kind === 'close') open.set(e.fd, (open.get(e.fd) ?? 0) - 1);
      }
      return [...open.entries()].filter(([, count]) => count !== 0);
    };
    for (const size of [0, 10, MiB - 1, MiB, MiB + 1, 2 * MiB + 7]) {
      const body = () => [Buffer.alloc(size, 1)];
      trace.failOpenOf = join(root, 'tmp');
      await expect(store.write(Readable.from(body()), {})).rejects.toMatchObject({ code: 'EMFILE' });
      trace.failOpenOf = null;
      failWrites = 1;
      if (size > 0) await expect(store.write(Readable.from(body()), {})).rejects.toMatchObject({ code: 'ENOSPC' });
      failWrites = 0;
      await expect(store.write(Readable.from(body()), { verified: Promise.reject(new Error('bad digest')) })).rejects.toThrow('bad digest');
      trace.failCloses = 1;
      await expect(store.write(Readable.from(body()), {})).rejects.toMatchObject({ code: 'EIO' });
      trace.failCloses = 0;
      if (size > 0) await expect(store.write(Readable.from(body()), { maxBytes: size - 1 })).rejects.toBeInstanceOf(RangeError);
      // Exactly maxBytes is accepted.
      expect((await store.write(Readable.from(body()), { maxBytes: size })).size).toBe(size);
    }
    expect(opened().length).toBeGreaterThan(0);
    expect(closedAll()).toEqual([]);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
    expect(openFds()).toBe(before);
  });
});
