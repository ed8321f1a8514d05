import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { afterEach } from 'vitest';
import type Database from 'better-sqlite3';
import { createClock } from '../../clock.js';
import { openDatabase } from '../database.js';
import { createStorage } from '../storage.js';
import type { IncomingBody, ObjectMetadata, Storage } from '../types.js';

/** Shared fixtures of the store's tests (store/ and reliability/): one place for them, not a copy per file. */

export const silentLogger = pino({ level: 'silent' });

/** An object's metadata as a PutObject without any metadata headers leaves it. */
export const plainMetadata: ObjectMetadata = {
  contentType: 'application/octet-stream',
  contentEncoding: null,
  contentDisposition: null,
  contentLanguage: null,
  cacheControl: null,
  expires: null,
  userMetadata: {},
};

export const md5Hex = (data: Buffer): string => createHash('md5').update(data).digest('hex');

/** A body as the S3 layer hands it to the store: the bytes, and digests that check out. */
export const verifiedBody = (data: Buffer): IncomingBody => ({
  stream: Readable.from(data.length ? [data] : []),
  digests: Promise.resolve({ md5Hex: md5Hex(data), checksums: {} }),
});

/**
 * Temporary folders for one test file: `make()` creates one (named `${prefix}XXXXXX` under the OS temp dir), and every
 * folder made during a test is removed after it. Call at the top level of the test file.
 */
export function temporaryDirectories(defaultPrefix = 'ibee-test-'): (prefix?: string) => string {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (prefix = defaultPrefix) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}

/** The durable store a mock with `--data-dir dir` opens: its database (exclusive to this process) and its storage. */
export function openDurableStorage(dir: string): { db: Database.Database; storage: Storage } {
  const db = openDatabase(dir);
  return { db, storage: createStorage({ db, dataDir: dir, clock: createClock(), logger: silentLogger }) };
}
