import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CleanupRegistry } from './cleanup.js';
import { createSuiteContext } from './context.js';
import { startEmbeddedMock, type EmbeddedMock } from './embedded-mock.js';
import { httpRequest } from './http.js';
import { reportFileOf, startDetachedCleaner, type SweepReport } from './interrupt.js';
import { settleRun, type SettledRun } from './run.js';
import { sweepJournal } from './sweep.js';

/** What an interrupted worker leaves behind (never disposed), the global teardown's sweep and the detached cleaner remove. */
describe('journal sweep', () => {
  let mock: EmbeddedMock;
  let dir: string;
  beforeAll(async () => {
    mock = await startEmbeddedMock();
    dir = mkdtempSync(join(tmpdir(), 'ibee-sweep-'));
  });
  afterAll(async () => {
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const management = (): Record<string, string> => ({ authorization: `Bearer ${mock.endpoint.managementToken}` });
  const tokensUrl = (): string => `${mock.endpoint.apiUrl}/v1/projects/${mock.endpoint.projectId}/api-tokens`;
  const runWith = (runPrefix: string, journalDir: string): Promise<SettledRun> =>
    settleRun({
      endpoint: mock.endpoint,
      settings: { driver: 'rest', credentialsFile: null, seed: 1, runs: 1, only: null, runPrefix, checksFile: null },
      journalFile: join(journalDir, 'created.jsonl'),
    });
  async function statusByName(): Promise<Map<string, string[]>> {
    const list = await httpRequest('GET', tokensUrl(), { headers: management() });
    const byName = new Map<string, string[]>();
    for (const t of (list.json as { tokens: { name: string; status: string }[] }).tokens) byName.set(t.name, [...(byName.get(t.name) ?? []), t.status]);
    return byName;
  }
  /** A token made behind the run's back (or whose creation answer was lost): the run never learnt its id. */
  async function createUntracked(name: string): Promise<void> {
    const created = await httpRequest('POST', tokensUrl(), { headers: management(), json: { name, object_storage: { permission_type: 'object_ro', bucket_scope: 'all' } } });
    expect(created.response.status).toBe(201);
  }

  it('revokes every journaled token and deletes every journaled bucket, even non-empty ones', async () => {
    const run = await runWith('swept', dir);
    const crashed = await createSuiteContext(run);
    const bucket = await crashed.createBucket();
    await (await crashed.adminS3()).send(new PutObjectCommand({ Bucket: bucket, Key: 'left/behind.txt', Body: 'x' }));
    const token = await crashed.token({ object_storage: { permission_type: 'object_ro', bucket_scope: 'all' } });
    // The worker "dies" here: no dispose.

    const left = await sweepJournal(run);
    expect(left).toEqual({ tokenIds: [], buckets: [], configurations: [] });
    const tokenUrl = `${tokensUrl()}/${token.id}`;
    expect(((await httpRequest('GET', tokenUrl, { headers: management() })).json as { status: string }).status).toBe('revoked');
    // Every token of the run is revoked, the sweep's own fixture admin (journaled by name first) included.
    const swept = [...(await statusByName())].filter(([name]) => name.startsWith('swept-'));
    expect(swept.length).toBeGreaterThanOrEqual(3);
    for (const [name, statuses] of swept) expect(statuses, name).toEqual(statuses.map(() => 'revoked'));
    const sweeper = await createSuiteContext({ ...run, journalFile: null });
    const admin = await sweeper.admin();
    const buckets = await httpRequest('GET', `${mock.endpoint.apiUrl}/v1/object-storage/buckets`, { headers: { authorization: `Bearer ${admin.bearerToken}` } });
    expect(buckets.response.body).not.toContain(bucket);
    await sweeper.dispose();
  });

  it('finds by its journaled name a token whose creation answer never arrived, and touches no other token', async () => {
    const run = await runWith('lost', mkdtempSync(join(dir, 'lost-')));
    const registry = new CleanupRegistry('lost', run.journalFile);
    // Write-ahead: the name is journaled, then the worker is cut off before the answer (the token exists anyway).
    registry.intendToken('lost-tok-1-aaaaaa');
    await createUntracked('lost-tok-1-aaaaaa');
    registry.intendToken('lost-tok-2-never-created');
    // Someone else's, some sharing the prefix's text; and a name outside the prefix is never journaled.
    registry.intendToken('someone-elses');
    for (const name of ['lost-tok-3-not-journaled', 'lostx-tok-1-aaaaaa', 'someone-elses']) await createUntracked(name);

    expect(await sweepJournal(run)).toEqual({ tokenIds: [], buckets: [], configurations: [] });
    const after = await statusByName();
    expect(after.get('lost-tok-1-aaaaaa')).toEqual(['revoked']);
    for (const name of ['lost-tok-3-not-journaled', 'lostx-tok-1-aaaaaa', 'someone-elses']) expect(after.get(name), name).toEqual(['active']);
    // No bucket to remove: the sweep made no token of its own.
    expect([...after.keys()].filter((name) => name.startsWith('lost-'))).toEqual(['lost-tok-1-aaaaaa', 'lost-tok-3-not-journaled']);
  });

  it('the detached cleaner (started on SIGINT/SIGTERM) sweeps, reports, outlives its parent and removes the journal folder', async () => {
    const journalDir = mkdtempSync(join(tmpdir(), 'ibee-conformance-test-'));
    const run = await runWith('irq', journalDir);
    const crashed = await createSuiteContext(run);
    const bucket = await crashed.createBucket();
    await (await crashed.adminS3()).send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' }));
    await crashed.token({ billing: { permission_type: 'read_only' } });
    const foreign = await createSuiteContext({ ...run, settings: { ...run.settings, runPrefix: 'foreign' }, journalFile: null });
    const foreignBucket = await foreign.createBucket();

    // The interrupted run, already gone: the cleaner stops once the journal stays quiet.
    const parent = spawn(process.execPath, ['-e', '']);
    const parentPid = parent.pid!;
    await new Promise((resolve) => parent.once('exit', resolve));
    expect(startDetachedCleaner(run, parentPid)).toBeGreaterThan(0);
    const deadline = Date.now() + 45_000;
    let report: SweepReport | null = null;
    while (existsSync(journalDir) && Date.now() < deadline) {
      if (!report && existsSync(reportFileOf(run))) report = JSON.parse(readFileSync(reportFileOf(run), 'utf8')) as SweepReport;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // What the interrupted process prints: the first sweep left nothing.
    expect(report).toEqual({ tokensLeft: 0, bucketsLeft: 0, configurationsLeft: 0 });
    expect(existsSync(journalDir), 'the cleaner removes the journal folder when done').toBe(false);
    expect(existsSync(reportFileOf(run))).toBe(false);

    const irq = [...(await statusByName())].filter(([name]) => name.startsWith('irq-'));
    // The crashed worker's fixture admin and billing token, and the cleaner's own fixture admin: all revoked.
    expect(irq.length).toBe(3);
    for (const [name, statuses] of irq) expect(statuses, name).toEqual(['revoked']);
    const names = ((await (await foreign.adminS3()).send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name);
    expect(names).not.toContain(bucket);
    expect(names).toContain(foreignBucket);
    await foreign.dispose();
  }, 60_000);
});

