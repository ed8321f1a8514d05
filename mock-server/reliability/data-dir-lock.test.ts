/**
 * Regression tests from a review of 1bcefba (one mock per data dir: SQLite's exclusive locking mode, DataDirInUseError). The lock must hold
 * for the mock's whole life (after checkpoints, WAL resets, POST /_mock/reset), be released on close and on kill -9,
 * and a data dir left by kill -9 (WAL, no -shm) or by the previous version (WAL and -shm) must open with its data.
 * Other processes are played by plain `node` children on better-sqlite3: "exclusive" opens as database.ts does,
 * "previous" as the mock did before 1bcefba (WAL, normal locking).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createMockServer } from '../app.js';
import { databaseFileName, DataDirInUseError, openDatabase } from '../store/database.js';
import { repoRoot } from './test/child.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ibee-review-lock-'));
  dirs.push(dir);
  return dir;
};

const holderScript = `
const Database = require(process.argv[1]);
const [file, mode, rows] = process.argv.slice(2);
const db = new Database(file, { timeout: 0 });
if (mode === 'exclusive') { db.pragma('locking_mode = EXCLUSIVE'); db.pragma('busy_timeout = 0'); }
db.pragma('journal_mode = WAL');
if (mode === 'exclusive') db.exec('BEGIN EXCLUSIVE; COMMIT');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS review_rows (x TEXT)');
const insert = db.prepare('INSERT INTO review_rows VALUES (?)');
for (let i = 0; i < Number(rows); i++) insert.run('row ' + i);
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`;

/** A child process that opens the database, writes `rows` rows (acknowledged: synchronous=FULL) and stays. */
async function holder(dataDir: string, mode: 'exclusive' | 'previous', rows = 200): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', holderScript, join(repoRoot, 'node_modules/better-sqlite3'), join(dataDir, databaseFileName), mode, String(rows)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const errors: string[] = [];
  child.stderr!.on('data', (data: Buffer) => errors.push(data.toString()));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', () => resolve());
    child.once('exit', (code) => reject(new Error(`holder exited ${code}: ${errors.join('')}`)));
  });
  return child;
}

const killNine = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

const refused = (dataDir: string) => {
  try {
    openDatabase(dataDir).close();
    return null;
  } catch (error) {
    return error;
  }
};

/** Rows of the test table, read through any connection. */
const rowCount = (db: Database.Database): number => (db.prepare('SELECT COUNT(*) AS n FROM review_rows').get() as { n: number }).n;

describe('one mock per data dir', () => {
  it('the lock holds after many commits, a checkpoint and a WAL reset, and goes with close', () => {
    const dataDir = tempDir();
    const db = openDatabase(dataDir);
    db.exec('CREATE TABLE review_rows (x TEXT)');
    const insert = db.prepare('INSERT INTO review_rows VALUES (?)');
    // Past the 1000-page auto-checkpoint more than once: the WAL restarts from its beginning.
    for (let i = 0; i < 4000; i++) insert.run('x'.repeat(1500));
    expect(refused(dataDir)).toBeInstanceOf(DataDirInUseError);
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(refused(dataDir)).toBeInstanceOf(DataDirInUseError);
    insert.run('after the reset of the log');
    expect(refused(dataDir)).toBeInstanceOf(DataDirInUseError);
    db.close();
    const again = openDatabase(dataDir);
    expect(rowCount(again)).toBe(4001);
    again.close();
  });

  it('a whole mock keeps its data dir after POST /_mock/reset; another process cannot open it, even read-only', async () => {
    const dataDir = tempDir();
    const mock = await createMockServer({ dataDir, managementToken: 'review-lock-management-token' });
    try {
      const reset = await fetch(`${mock.apiUrl}/_mock/reset`, { method: 'POST', headers: { Authorization: 'Bearer review-lock-management-token' } });
      expect(reset.status).toBe(204);
      await expect(createMockServer({ dataDir })).rejects.toBeInstanceOf(DataDirInUseError);
      // Another process: the previous version's way of opening, and a read-only connection.
      const child = spawn(
        process.execPath,
        [
          '-e',
          `const D = require(process.argv[1]); try { const db = new D(process.argv[2], { readonly: true, timeout: 0 }); db.prepare('SELECT 1 FROM sqlite_master').get(); console.log('opened'); } catch (e) { console.log(e.code); }`,
          join(repoRoot, 'node_modules/better-sqlite3'),
          join(dataDir, databaseFileName),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.push(child);
      const out = await new Promise<string>((resolve) => {
        let text = '';
        child.stdout!.on('data', (data: Buffer) => (text += data.toString()));
        child.once('exit', () => resolve(text.trim()));
      });
      expect(out).toBe('SQLITE_BUSY');
    } finally {
      await mock.close();
    }
    const after = await createMockServer({ dataDir });
    await after.close();
  });

  it('kill -9 releases the lock; the WAL left without a -shm file is recovered, also by a read-only reader', async () => {
    const dataDir = tempDir();
    const child = await holder(dataDir, 'exclusive');
    expect(refused(dataDir)).toBeInstanceOf(DataDirInUseError);
    await killNine(child);
    const left = readdirSync(dataDir);
    expect(left).toContain(`${databaseFileName}-wal`);
    expect(left).not.toContain(`${databaseFileName}-shm`);
    // What suite-safety.test.ts does after stopping the mock: a read-only connection.
    const ro = new Database(join(dataDir, databaseFileName), { readonly: true, fileMustExist: true });
    expect(rowCount(ro)).toBe(200);
    ro.close();
    const db = openDatabase(dataDir);
    expect(rowCount(db)).toBe(200);
    db.close();
  });

  it('a data dir of the previous version (WAL and -shm, killed) opens with its data, and the lock then holds', async () => {
    const dataDir = tempDir();
    const child = await holder(dataDir, 'previous');
    // The previous version running: the new one refuses (its readers hold a shared lock on the database file).
    expect(refused(dataDir)).toBeInstanceOf(DataDirInUseError);
    await killNine(child);
    expect(existsSync(join(dataDir, `${databaseFileName}-shm`))).toBe(true);
    const db = openDatabase(dataDir);
    try {
      expect(rowCount(db)).toBe(200);
      db.prepare('INSERT INTO review_rows VALUES (?)').run('by the new version');
      // A previous-version process started now cannot get in either.
      const late = holder(dataDir, 'previous', 1);
      await expect(late).rejects.toThrow(/SQLITE_BUSY|database is locked/);
    } finally {
      db.close();
    }
    const again = openDatabase(dataDir);
    expect(rowCount(again)).toBe(201);
    again.close();
  });
});
