import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

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
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, databaseFileName));
  try {
    // One mock per data dir: held for as long as this connection is open, and released by the kernel when the
    // process dies (even by kill -9), so there is never a stale lock. A second mock on the same folder would
    // otherwise clear the first one's temporary blobs and interleave writes with it.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('busy_timeout = 0');
    db.pragma('journal_mode = WAL');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw new DataDirInUseError(dataDir);
    throw error;
  }
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  return db;
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
 * The mock clock's offset, kept in the data dir: a token that expired because tests moved time forward must stay
 * expired after a restart, and objects must not come back dated in the future.
 */
export function clockOffsetStore(db: Database.Database): { readonly offsetMs: number; save(offsetMs: number): void } {
  db.exec('CREATE TABLE IF NOT EXISTS mock_clock (id INTEGER PRIMARY KEY CHECK (id = 1), offset_ms INTEGER NOT NULL)');
  const row = db.prepare<[], { offset_ms: number }>('SELECT offset_ms FROM mock_clock WHERE id = 1').get();
  const upsert = db.prepare('INSERT INTO mock_clock (id, offset_ms) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET offset_ms = excluded.offset_ms');
  return { offsetMs: row?.offset_ms ?? 0, save: (offsetMs) => void upsert.run(offsetMs) };
}
