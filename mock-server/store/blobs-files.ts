import { randomInt, randomUUID } from 'node:crypto';
import {
  close as fsClose,
  closeSync,
  constants as fsConstants,
  createReadStream,
  existsSync,
  fdatasync,
  fstatSync,
  mkdirSync,
  open as fsOpen,
  openSync,
  read,
  readdirSync,
  rmSync,
  writev as fsWritev,
} from 'node:fs';
import { mkdir, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { BlobDamagedError, verificationCheck, type BlobStore, type ByteRange, type WrittenBlob } from './blobs.js';
import { createDirectorySync, type DirectorySync } from './directory-sync.js';

const readAsync = promisify(read);

/**
 * Bodies as files under `${root}`: written to `tmp/`, flushed to disk (fdatasync, or O_DSYNC for a body written in
 * one go), then renamed into place (and the directory fsynced),
 * so a crash never leaves a half-written blob under a real id, and a blob whose id was handed out survives kill -9
 * and power loss. Blob ids are UUIDs whose first two hex digits name one of 256 fan-out directories (chosen in turns,
 * see `newBlobId`); the rest is random.
 */
export interface FileBlobStoreOptions {
  /** How directories are fsynced after a rename (shared between concurrent writes by default). */
  readonly syncDirectory?: DirectorySync;
  /** The vectored write to use: tests put a short-writing one here. Resolves to the bytes written. */
  readonly writev?: (fd: number, buffers: Buffer[]) => Promise<number>;
}

/** The folder of a data dir that holds object and part bodies. */
export const blobsDirName = 'blobs';

const fanOutDirectory = /^[0-9a-f]{2}$/;

/** How many blob files the blob folder `root` holds (0 when it does not exist). */
export function countBlobFiles(root: string): number {
  if (!existsSync(root)) return 0;
  let count = 0;
  for (const dir of readdirSync(root)) if (fanOutDirectory.test(dir)) count += readdirSync(join(root, dir)).length;
  return count;
}

export function createFileBlobStore(root: string, options: FileBlobStoreOptions = {}): BlobStore {
  const tmpDir = join(root, 'tmp');
  // Anything in tmp/ is a write that never finished.
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir, { recursive: true });

  /** Fan-out directories known to exist: mkdir once each, not once per write. */
  const madeDirs = new Set<string>();

  const syncDirectory = options.syncDirectory ?? createDirectorySync();
  const writev = options.writev ?? writevFile;

  // New blobs go to one fan-out directory at a time, moving to the next after every `blobsPerDirectoryTurn`: the
  // renames of writes in flight together then land in one directory and share its fsync (createDirectorySync),
  // and over time the blobs still spread evenly. The rest of the id stays random.
  let directoryTurn = randomInt(256);
  let leftInTurn = blobsPerDirectoryTurn;
  const newBlobId = (): string => {
    if (leftInTurn === 0) {
      directoryTurn = (directoryTurn + 1) % 256;
      leftInTurn = blobsPerDirectoryTurn;
    }
    leftInTurn -= 1;
    return directoryTurn.toString(16).padStart(2, '0') + randomUUID().slice(2);
  };

  /** Makes a fan-out directory, and when it is new, fsyncs the root, so the directory itself survives a power cut. */
  const makeFanOutDirectory = async (dir: string): Promise<void> => {
    if ((await mkdir(dir, { recursive: true })) !== undefined) await syncDirectory(root);
  };

  const pathOf = (id: string) => {
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new Error(`not a blob id: ${id}`);
    return join(root, id.slice(0, 2), id);
  };

  /** Opens a blob for reading; with `expectedSize`, a file of another size is BlobDamagedError (naming the file). */
  const openChecked = (id: string, expectedSize: number | undefined): number => {
    const path = pathOf(id);
    const fd = openSync(path, 'r');
    if (expectedSize === undefined) return fd;
    const actual = fstatSync(fd).size;
    if (actual === expectedSize) return fd;
    closeSync(fd);
    throw new BlobDamagedError(path, expectedSize, actual);
  };

  return {
    async write(source, { verified, maxBytes = Number.MAX_SAFE_INTEGER, tooLarge = () => new RangeError('blob too large') }): Promise<WrittenBlob> {
      const checkVerified = verificationCheck(verified);
      const id = newBlobId();
      const tmpPath = join(tmpDir, id);
      let fd: number | null = null;
      let size = 0;
      try {
        // The body is gathered into writes of up to 1 MiB, straight to a descriptor (a stream pipeline, and a
        // FileHandle per request, showed in the CPU profile of small PUTs). Awaiting each write is the backpressure.
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        for await (const chunk of source as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > maxBytes) throw tooLarge();
          pending.push(chunk);
          pendingBytes += chunk.length;
          if (pendingBytes >= writeBatchBytes) {
            fd ??= await openFile(tmpPath, createFlags);
            await writeAll(fd, pending, writev);
            pending = [];
            pendingBytes = 0;
          }
        }
        await checkVerified();
        if (fd === null && size > 0) {
          // The whole body fits one write and is verified: written with O_DSYNC, the write is also its flush (one
          // round trip to the thread pool instead of two), and a refused body never touched the disk.
          fd = await openFile(tmpPath, createFlags | fsConstants.O_DSYNC);
          await writeAll(fd, pending, writev);
        } else {
          // A longer body, or an empty one (no write to carry an O_DSYNC flush): flushed explicitly.
          fd ??= await openFile(tmpPath, createFlags);
          if (pendingBytes > 0) await writeAll(fd, pending, writev);
          await fdatasyncFile(fd);
        }
        const written = fd;
        fd = null;
        await closeFile(written);
        const dir = join(root, id.slice(0, 2));
        if (!madeDirs.has(dir)) {
          await makeFanOutDirectory(dir);
          madeDirs.add(dir);
        }
        await rename(tmpPath, pathOf(id)).catch(async (error: NodeJS.ErrnoException) => {
          // The directory went away since it was made (clear(), or by hand): make it again, once.
          if (error.code !== 'ENOENT') throw error;
          await makeFanOutDirectory(dir);
          await rename(tmpPath, pathOf(id));
        });
        await syncDirectory(dir);
      } catch (error) {
        if (fd !== null) await closeFile(fd).catch(() => undefined);
        await unlink(tmpPath).catch(() => undefined);
        throw error;
      }
      return { id, size };
    },

    read(id: string, range?: ByteRange, expectedSize?: number): Readable {
      // Opened synchronously: once the caller has the stream, removing the blob cannot break the read.
      const fd = openChecked(id, expectedSize);
      try {
        return createReadStream('', { fd, autoClose: true, ...(range ? { start: range.start, end: range.end } : {}) });
      } catch (error) {
        closeSync(fd);
        throw error;
      }
    },

    readBuffer(id: string, range?: ByteRange, expectedSize?: number): Promise<Buffer> {
      // Opened synchronously, as in read(); then one read into a buffer of the right size.
      const fd = openChecked(id, expectedSize);
      return readInto(fd, range).finally(() => closeSync(fd));
    },

    async remove(id: string) {
      await unlink(pathOf(id)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    },

    countUnreferenced(referenced) {
      let count = 0;
      for (const dir of readdirSync(root)) {
        if (!fanOutDirectory.test(dir)) continue;
        for (const id of readdirSync(join(root, dir))) if (!referenced(id)) count += 1;
      }
      return count;
    },

    async clear() {
      madeDirs.clear();
      for (const dir of await readdir(root)) {
        if (!/^[0-9a-f]{2}$/.test(dir)) continue;
        // Moved aside first, then removed: a write racing the reset renames into a directory that is either still in
        // place (and goes with it) or gone (ENOENT, and it makes a new one), never into one being emptied, whose
        // final rmdir would then fail with ENOTEMPTY.
        const aside = join(tmpDir, `cleared-${randomUUID()}`);
        try {
          await rename(join(root, dir), aside);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw error;
        }
        await rm(aside, { recursive: true, force: true });
      }
    },
  };
}

/** New blobs per fan-out directory before the next one takes over. */
const blobsPerDirectoryTurn = 64;

/** Bodies are written in batches of up to this many bytes. */
const writeBatchBytes = 1024 * 1024;

/** Temporary files: created new, write only. */
const createFlags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL;

const openFile = promisify(fsOpen) as (path: string, flags: number) => Promise<number>;
const closeFile = promisify(fsClose);
const fdatasyncFile = promisify(fdatasync);
const writevFile = (fd: number, buffers: Buffer[]): Promise<number> =>
  new Promise((resolve, reject) => fsWritev(fd, buffers, (error, bytesWritten) => (error ? reject(error) : resolve(bytesWritten))));

async function writeAll(fd: number, buffers: Buffer[], writev: (fd: number, buffers: Buffer[]) => Promise<number>): Promise<void> {
  let remaining = buffers;
  while (remaining.length > 0) remaining = dropBytes(remaining, await writev(fd, remaining));
}

/** What is left of `buffers` after the first `count` bytes (writev may write less than asked). */
function dropBytes(buffers: Buffer[], count: number): Buffer[] {
  let skip = count;
  let index = 0;
  while (index < buffers.length && skip >= buffers[index]!.length) {
    skip -= buffers[index]!.length;
    index += 1;
  }
  const rest = buffers.slice(index);
  if (skip > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(skip);
  return rest;
}

async function readInto(fd: number, range?: ByteRange): Promise<Buffer> {
  const start = range ? range.start : 0;
  const length = range ? range.end - range.start + 1 : fstatSync(fd).size;
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await readAsync(fd, buffer, filled, length - filled, start + filled);
    if (bytesRead === 0) throw new Error('blob ended early');
    filled += bytesRead;
  }
  return buffer;
}
