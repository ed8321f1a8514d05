import { accessSync, constants as fsConstants, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { blobsDirName, countBlobFiles } from './blobs-files.js';

/** The file the metadata database lives in, inside the data dir. */
export const databaseFileName = 'ibee-mock.sqlite';

/**
 * The mock's one metadata database, shared by the token store and the storage store. With a data dir it is a
 * file in WAL mode with full fsync, so that every acknowledged write survives a crash; without, it is in memory.
 * Each store creates its own tables, idempotently.
 */
export function openDatabase(dataDir: string | null): Database.Database {
  if (dataDir === null) {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    return db;
  }
  prepareFolder(dataDir);
  const file = join(dataDir, databaseFileName);
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (error) {
    throw databaseError(dataDir, file, error);
  }
  try {
    // One mock per data dir: held for as long as this connection is open, and released by the kernel when the
    // process dies (even by kill -9), so there is never a stale lock. A second mock on the same folder would
    // otherwise clear the first one's temporary blobs and interleave writes with it.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('busy_timeout = 0');
    db.pragma('journal_mode = WAL');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    refuseLostDatabase(db, dataDir, file);
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw new DataDirInUseError(dataDir);
    throw databaseError(dataDir, file, error);
  }
  return db;
}

/** A data dir that cannot be used as it is: the message says what is wrong, where, and what to do. */
export class DataDirError extends Error {
  constructor(
    readonly dataDir: string,
    message: string,
  ) {
    super(message);
    this.name = 'DataDirError';
  }
}

/** The data dir exists (made if missing) and is a folder this process can write. */
function prepareFolder(dataDir: string): void {
  const notAFolder = () => new DataDirError(dataDir, `the data dir ${dataDir} is not a folder (a file is in the way): give the path of a folder; it is made when missing`);
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw notAFolder();
    throw new DataDirError(dataDir, `cannot make the data dir ${dataDir} (${code ?? String(error)}): check the path and its permissions`);
  }
  if (!statSync(dataDir).isDirectory()) throw notAFolder();
  try {
    accessSync(dataDir, fsConstants.R_OK | fsConstants.W_OK | fsConstants.X_OK);
  } catch {
    throw new DataDirError(dataDir, `the data dir ${dataDir} is not writable by this user: give a folder it can write, or fix its permissions`);
  }
}

/**
 * A database without a single table beside blob files means the database was lost (deleted, or its -wal file lost
 * after a crash before any checkpoint): starting would treat every object as an unreferenced leftover. Refused, so
 * that nothing is deleted and the user can restore the database.
 */
function refuseLostDatabase(db: Database.Database, dataDir: string, file: string): void {
  const tables = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get()?.n ?? 0;
  if (tables > 0) return;
  const blobsDir = join(dataDir, blobsDirName);
  const count = countBlobFiles(blobsDir);
  if (count === 0) return;
  throw new DataDirError(
    dataDir,
    `the data dir ${dataDir} holds ${count} object files in ${blobsDir} but its database ${file} is missing or empty ` +
      '(deleted, or its -wal file lost after a crash): not starting, so that nothing is deleted. Restore the database ' +
      `together with its -wal file, or move ${blobsDir} away to start empty.`,
  );
}

/** An SQLite failure on the data dir's database, as one line that names the file and what to do. */
function databaseError(dataDir: string, file: string, error: unknown): Error {
  if (error instanceof DataDirError || error instanceof DataDirInUseError) return error;
  const code = (error as { code?: string }).code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'SQLITE_NOTADB') {
    return new DataDirError(dataDir, `${file} is not an SQLite database (damaged, or another program's file): restore it, or move it away to start empty`);
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new DataDirError(dataDir, `${file} is damaged (${message}): restore it from a backup, or move it away to start empty`);
  }
  if (code.startsWith('SQLITE_')) {
    return new DataDirError(dataDir, `cannot use the database ${file} (${message}): check that ${dataDir} is writable and its disk has room`);
  }
  return error instanceof Error ? error : new Error(message);
}

/** Another process (another ibee-mock, most likely) has the data dir open. */
export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string) {
    super(`the data dir ${dataDir} is in use by another process (another ibee-mock?): one mock per data dir`);
    this.name = 'DataDirInUseError';
  }
}

/**
 * The projects a mock with a data dir serves when it is given none: those it served first, so that a restart
 * without `--project-id` keeps serving the project its tokens and buckets belong to. The first start stores the
 * projects it was given, or one generated numeric-looking id.
 */
export function rememberedProjectIds(db: Database.Database, given: readonly string[] | undefined, generate: () => string): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS mock_projects (position INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE)');
  const stored = db.prepare<[], { id: string }>('SELECT id FROM mock_projects ORDER BY position').all();
  if (stored.length > 0) return given ? [...given] : stored.map((row) => row.id);
  const ids = given ? [...given] : [generate()];
  const insert = db.prepare('INSERT INTO mock_projects (position, id) VALUES (?, ?)');
  db.transaction(() => ids.forEach((id, position) => insert.run(position, id)))();
  return ids;
}

/**
 * The organisation the projects belong to: the one given, else the one a data dir remembers, else `generate()`'s
 * (remembered from then on).
 */
export function rememberedOrganizationId(db: Database.Database, given: string | undefined, generate: () => string): string {
  db.exec('CREATE TABLE IF NOT EXISTS mock_organization (id INTEGER PRIMARY KEY CHECK (id = 1), organization_id TEXT NOT NULL)');
  const stored = db.prepare<[], { organization_id: string }>('SELECT organization_id FROM mock_organization WHERE id = 1').get();
  const organizationId = given ?? stored?.organization_id ?? generate();
  if (stored?.organization_id !== organizationId) {
    db.prepare('INSERT INTO mock_organization (id, organization_id) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id').run(organizationId);
  }
  return organizationId;
}

/**
 * The mock clock's offset, kept in the data dir: a token that expired because tests moved time forward must stay
 * expired after a restart, and objects must not come back dated in the future.
 */
export function clockOffsetStore(db: Database.Database): { readonly offsetMs: number; save(offsetMs: number): void } {
  db.exec('CREATE TABLE IF NOT EXISTS mock_clock (id INTEGER PRIMARY KEY CHECK (id = 1), offset_ms INTEGER NOT NULL)');
  const row = db.prepare<[], { offset_ms: number }>('SELECT offset_ms FROM mock_clock WHERE id = 1').get();
  const upsert = db.prepare('INSERT INTO mock_clock (id, offset_ms) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET offset_ms = excluded.offset_ms');
  return { offsetMs: row?.offset_ms ?? 0, save: (offsetMs) => void upsert.run(offsetMs) };
}
