import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSuiteContext, type RunInfo } from './context.js';
import { startEmbeddedMock, type EmbeddedMock } from './embedded-mock.js';
import { httpRequest } from './http.js';
import { sweepJournal } from './sweep.js';

/** What an interrupted worker leaves behind (never disposed), the global teardown's sweep removes. */
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

  it('revokes every journaled token and deletes every journaled bucket, even non-empty ones', async () => {
    const run: RunInfo = {
      endpoint: mock.endpoint,
      settings: { driver: 'rest', credentialsFile: null, seed: 1, runs: 1, only: null, runPrefix: 'swept', checksFile: null },
      journalFile: join(dir, 'created.jsonl'),
    };
    const crashed = await createSuiteContext(run);
    const bucket = await crashed.createBucket();
    await (await crashed.adminS3()).send(new PutObjectCommand({ Bucket: bucket, Key: 'left/behind.txt', Body: 'x' }));
    const token = await crashed.token({ object_storage: { permission_type: 'object_ro', bucket_scope: 'all' } });
    // The worker "dies" here: no dispose.

    const left = await sweepJournal(run);
    expect(left).toEqual({ tokenIds: [], buckets: [] });
    const management = { authorization: `Bearer ${mock.endpoint.managementToken}` };
    const tokenUrl = `${mock.endpoint.apiUrl}/v1/projects/${mock.endpoint.projectId}/api-tokens/${token.id}`;
    expect(((await httpRequest('GET', tokenUrl, { headers: management })).json as { status: string }).status).toBe('revoked');
    const list = await httpRequest('GET', `${mock.endpoint.apiUrl}/v1/projects/${mock.endpoint.projectId}/api-tokens`, { headers: management });
    expect(list.response.body).toContain(token.id!);
    const sweeper = await createSuiteContext({ ...run, journalFile: null });
    const admin = await sweeper.admin();
    const buckets = await httpRequest('GET', `${mock.endpoint.apiUrl}/v1/object-storage/buckets`, { headers: { authorization: `Bearer ${admin.bearerToken}` } });
    expect(buckets.response.body).not.toContain(bucket);
    await sweeper.dispose();
  });
});
