import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createClock } from '../clock.js';
import { DataDirError, databaseFileName, openDatabase } from '../store/database.js';
import { createStorage } from '../store/storage.js';
import { openDurableStorage, plainMetadata, temporaryDirectories, verifiedBody } from '../store/test/fixtures.js';
import { mockExecutable, spawnMock } from './test/child.js';
import { SecretRegistry } from './test/mock.js';
import { issueToken, s3Client, type RemoteMock } from './test/remote.js';

/**
 * A data dir whose database was lost or damaged is never "cleaned": the mock refuses to start, names what is wrong
 * and where, and deletes nothing. At start-up it removes only what it can prove is a leftover of an interrupted
 * write: temporary files, never renamed into place.
 */

const tempDir = temporaryDirectories('ibee-recovery-');

/** Every blob file under `dataDir/blobs`, by fan-out directory and name. */
function blobFiles(dataDir: string): string[] {
  const root = join(dataDir, 'blobs');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((dir) => /^[0-9a-f]{2}$/.test(dir))
    .flatMap((dir) => readdirSync(join(root, dir)).map((name) => `${dir}/${name}`))
    .sort();
}

async function fillDataDir(dataDir: string, objects: number): Promise<void> {
  const { db, storage } = openDurableStorage(dataDir);
  storage.createBucket('p1', 'kept', 'us-east-1');
  for (let i = 0; i < objects; i += 1) await storage.putObject({ bucket: 'kept', key: `k${i}`, body: verifiedBody(Buffer.from(`body ${i}`)), metadata: plainMetadata });
  await storage.close();
  db.close();
}

function removeDatabase(dataDir: string, which: 'all' | 'wal' = 'all'): void {
  const suffixes = which === 'all' ? ['', '-wal', '-shm'] : ['-wal', '-shm'];
  for (const suffix of suffixes) rmSync(join(dataDir, `${databaseFileName}${suffix}`), { force: true });
}

describe('a data dir whose database is missing', () => {
  it('is refused at start, naming the folder and what to do, and no blob is deleted', async () => {
    const dataDir = tempDir();
    await fillDataDir(dataDir, 30);
    const before = blobFiles(dataDir);
    expect(before).toHaveLength(30);
    removeDatabase(dataDir);

    let thrown: unknown;
    try {
      openDatabase(dataDir);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DataDirError);
    const message = (thrown as Error).message;
    expect(message).toContain(dataDir);
    expect(message).toContain('30 object files');
    expect(message).toMatch(/restore|move/i);
    expect(blobFiles(dataDir)).toEqual(before);
  });

  it('is refused by the ibee-mock executable with one line on stderr, after kill -9 and a lost -wal file', async () => {
    const dataDir = tempDir();
    const managementToken = 'recovery-management-token-0123456789';
    const child = await spawnMock(['--data-dir', dataDir, '--management-token', managementToken, '--log-level', 'warn']);
    const mock: RemoteMock = { apiUrl: child.ready.api_url, s3Endpoint: child.ready.s3_endpoint, projectId: child.ready.project_id, managementToken, secrets: new SecretRegistry() };
    const client = s3Client(mock, await issueToken(mock));
    await client.send(new CreateBucketCommand({ Bucket: 'crashed' }));
    for (let i = 0; i < 12; i += 1) await client.send(new PutObjectCommand({ Bucket: 'crashed', Key: `k${i}`, Body: `acknowledged ${i}` }));
    client.destroy();
    await child.kill('SIGKILL');
    const before = blobFiles(dataDir);
    expect(before).toHaveLength(12);
    removeDatabase(dataDir, 'wal');

    const again = spawn(process.execPath, [await mockExecutable(), '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    again.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => again.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(dataDir);
    expect(stderr).toContain('12 object files');
    expect(blobFiles(dataDir)).toEqual(before);
  });
});

describe('the start-up sweep', () => {
  it('removes temporary files, keeps every blob file (unreferenced ones too) and reports the unreferenced', async () => {
    const dataDir = tempDir();
    await fillDataDir(dataDir, 3);
    const before = blobFiles(dataDir);
    const dir = before[0]?.slice(0, 2) as string;
    // An interrupted write's blob, or one whose commit a restored (older) database does not know: nothing tells them apart.
    const unreferenced = join(dataDir, 'blobs', dir, `${dir}000000-1111-4111-8111-111111111111`);
    const temporary = join(dataDir, 'blobs', 'tmp', 'interrupted');
    writeFileSync(unreferenced, 'maybe somebody\'s data');
    writeFileSync(temporary, 'never renamed into place');

    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _encoding, done) => void (lines.push(chunk.toString()), done()) }));
    const db = openDatabase(dataDir);
    const storage = createStorage({ db, dataDir, clock: createClock(), logger });
    await storage.close();
    db.close();
    expect(existsSync(temporary)).toBe(false);
    expect(existsSync(unreferenced)).toBe(true);
    expect(blobFiles(dataDir)).toHaveLength(before.length + 1);
    const warning = lines.map((line) => JSON.parse(line) as { unreferenced?: number; folder?: string }).find((line) => line.unreferenced !== undefined);
    expect(warning).toMatchObject({ unreferenced: 1, folder: join(dataDir, 'blobs') });
  });

  it('deletes no blob when the database is older than its blobs (restored from a backup)', async () => {
    const dataDir = tempDir();
    await fillDataDir(dataDir, 3);
    const backup = join(tempDir(), 'backup.sqlite');
    copyFileSync(join(dataDir, databaseFileName), backup);
    const { db, storage } = openDurableStorage(dataDir);
    for (let i = 0; i < 3; i += 1) await storage.putObject({ bucket: 'kept', key: `later${i}`, body: verifiedBody(Buffer.from(`later ${i}`)), metadata: plainMetadata });
    await storage.close();
    db.close();
    const before = blobFiles(dataDir);
    expect(before).toHaveLength(6);
    removeDatabase(dataDir);
    copyFileSync(backup, join(dataDir, databaseFileName));

    const again = openDurableStorage(dataDir);
    await again.storage.close();
    again.db.close();
    expect(blobFiles(dataDir)).toEqual(before);
  });
});

describe('data dirs that cannot be used', () => {
  it('names the path and what to do when --data-dir is a file', () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'not a folder');
    expect(() => openDatabase(file)).toThrow(DataDirError);
    expect(() => openDatabase(file)).toThrow(new RegExp(`${file}.*not a folder`));
  });

  it('names the database file and what to do when it is not a database', () => {
    const dataDir = tempDir();
    const file = join(dataDir, databaseFileName);
    const fd = openSync(file, 'w');
    writeFileSync(fd, 'this is not an SQLite database, whatever its name says '.repeat(200));
    closeSync(fd);
    expect(() => openDatabase(dataDir)).toThrow(DataDirError);
    expect(() => openDatabase(dataDir)).toThrow(new RegExp(`${file}.*not an SQLite database`));
  });
});
