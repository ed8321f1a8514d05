import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListBucketsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSecrets } from '../../reports/redact.js';
import { accessKeyIdFormat, bucketScopes, permissionTypes } from '../../spec/index.js';
import { recordedChecks } from '../checks/record.js';
import { runCheck, type CheckDefinition } from '../checks/registry.js';
import { billingCheck } from '../checks/permissions.js';
import { expiryDefaultCheck } from '../checks/expiry.js';
import { revokeImmediateCheck } from '../checks/revocation.js';
import { secretOnceCheck } from '../checks/secrets.js';
import { bearerAuthCheck, credentialFormatCheck, invalidRequestsCheck } from '../checks/tokens.js';
import { CleanupRegistry } from './cleanup.js';
import type { RunSettings } from './config.js';
import { createSuiteContext, type SuiteContext } from './context.js';
import { CredentialsTokenDriver } from './credentials-driver.js';
import { DriverCannot } from './driver.js';
import { startEmbeddedMock, type EmbeddedMock } from './embedded-mock.js';
import { httpRequest, publicApiUrl } from './http.js';
import { UnexpectedResponse } from './rest-driver.js';
import { attempt } from './s3.js';
import { settleRun, type SettledRun } from './run.js';
import { sweepJournal } from './sweep.js';

/** The credentials driver against the embedded mock, with an API token made as a portal user would. */

interface ListedCredential {
  access_key_id: string;
  name: string;
  status: string;
}

describe('credentials driver', () => {
  let mock: EmbeddedMock;
  let dir: string;

  beforeAll(async () => {
    mock = await startEmbeddedMock({ apiToken: true });
    dir = mkdtempSync(join(tmpdir(), 'ibee-credentials-'));
  });
  afterAll(async () => {
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const settings = (runPrefix: string): RunSettings => ({ driver: 'credentials', credentialsFile: null, seed: 7, runs: 3, only: null, runPrefix, checksFile: null });
  const runWith = (runPrefix: string, journalFile: string | null = null): Promise<SettledRun> =>
    settleRun({ endpoint: mock.endpoint, settings: settings(runPrefix), journalFile });
  const apiToken = (): Record<string, string> => ({ authorization: `Bearer ${mock.endpoint.apiToken}` });

  async function credentials(): Promise<ListedCredential[]> {
    const listed = await httpRequest('GET', publicApiUrl(mock.endpoint, '/v1/object-storage/credentials'), { headers: apiToken() });
    expect(listed.response.status).toBe(200);
    return (listed.json as { credentials: ListedCredential[] }).credentials;
  }

  async function bucketNames(ctx: SuiteContext): Promise<string[]> {
    const listed = await (await ctx.adminS3()).send(new ListBucketsCommand({}));
    return (listed.Buckets ?? []).map((b) => b.Name ?? '');
  }

  it('makes an S3 credential of each level and scope: keys that work at their scope, no Bearer token, no expiry, the secret registered', async () => {
    const ctx = await createSuiteContext(await runWith('levels'));
    try {
      const bucket = await ctx.createBucket();
      const other = await ctx.createBucket();
      await (await ctx.adminS3()).send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' }));
      for (const level of permissionTypes) {
        for (const scope of bucketScopes) {
          const spec = { object_storage: { permission_type: level, bucket_scope: scope, ...(scope === 'specific' ? { allowed_buckets: [bucket] } : {}) } };
          if (scope === 'specific' && level.startsWith('admin')) {
            // The API refuses bucket-scoped admin credentials: the refusal reaches the checks as the target's answer.
            await expect(ctx.token(spec)).rejects.toBeInstanceOf(UnexpectedResponse);
            continue;
          }
          const token = await ctx.token(spec);
          expect(token).toMatchObject({ bearerToken: null, expiresAt: null, billing: false, id: token.accessKeyId });
          expect(token.objectStorage).toEqual({ permissionType: level, bucketScope: scope, allowedBuckets: scope === 'specific' ? [bucket] : [] });
          expect(token.accessKeyId).toMatch(accessKeyIdFormat.value.pattern);
          expect(findSecrets(`x ${token.secretAccessKey} y`)).toEqual([`secret_access_key of S3 credential ${token.accessKeyId}`]);
          const s3 = ctx.s3For(token);
          expect((await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: bucket })))).status).toBe(200);
          expect((await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: other })))).status).toBe(scope === 'specific' ? 403 : 200);
          s3.destroy();
          // Read back without the secret.
          const read = await ctx.driver.getToken(token.id!);
          expect(ctx.driver.statusIn(read)).toBe('active');
          expect(read.response.body).not.toContain(token.secretAccessKey!);
        }
      }
    } finally {
      await ctx.dispose();
    }
  });

  it('refuses what S3 credentials do not have (billing, expiry) as DriverCannot, and names outside the run prefix', async () => {
    const driver = new CredentialsTokenDriver(mock.endpoint, new CleanupRegistry('cannot', null));
    const storage = { permission_type: 'object_ro', bucket_scope: 'all' } as const;
    await expect(driver.obtainToken({ name: 'cannot-1', billing: { permission_type: 'read_only' }, object_storage: storage })).rejects.toBeInstanceOf(DriverCannot);
    await expect(driver.obtainToken({ name: 'cannot-2', expires_in_days: 30, object_storage: storage })).rejects.toThrow(/never expire/);
    await expect(driver.obtainToken({ name: 'someone-else', object_storage: storage })).rejects.toThrow(/run prefix/);
    expect((await credentials()).filter((c) => c.name.startsWith('cannot-') || c.name === 'someone-else')).toEqual([]);
  });

  it('revoking keeps a credential (read back revoked, its keys refused); the cleanup revokes and deletes every one, buckets too', async () => {
    const ctx = await createSuiteContext(await runWith('retire'));
    const bucket = await ctx.createBucket();
    await (await ctx.adminS3()).send(new PutObjectCommand({ Bucket: bucket, Key: 'left/behind.txt', Body: 'x' }));
    const kept = await ctx.token({ object_storage: { permission_type: 'object_rw', bucket_scope: 'specific', allowed_buckets: [bucket] } });
    const revoked = await ctx.token({ object_storage: { permission_type: 'object_ro', bucket_scope: 'all' } });
    const revoke = await ctx.driver.revokeToken(revoked.id!);
    expect(revoke.response.status).toBe(200);
    expect(ctx.driver.statusIn(revoke)).toBe('revoked');
    expect(ctx.driver.statusIn(await ctx.driver.getToken(revoked.id!))).toBe('revoked');
    const s3 = ctx.s3For(revoked);
    expect((await attempt(() => s3.send(new ListBucketsCommand({})))).status).toBe(403);
    s3.destroy();
    // Still the run's to delete.
    expect(ctx.cleanup.outstanding().tokenIds).toEqual(expect.arrayContaining([kept.id, revoked.id]));

    await ctx.dispose();
    expect(ctx.cleanup.outstanding()).toEqual({ tokenIds: [], buckets: [] });
    expect((await credentials()).filter((c) => c.name.startsWith('retire-'))).toEqual([]);
    for (const id of [kept.id!, revoked.id!]) expect((await ctx.driver.getToken(id)).response.status).toBe(404);
    const checker = await createSuiteContext(await runWith('retirecheck'));
    expect(await bucketNames(checker)).not.toContain(bucket);
    await checker.dispose();
  });

  it('the journal sweep removes credentials a crashed worker left, also one whose creation answer never arrived, and nothing else', async () => {
    const journalDir = mkdtempSync(join(dir, 'sweep-'));
    const run = await runWith('lost', join(journalDir, 'created.jsonl'));
    const crashed = await createSuiteContext(run);
    const bucket = await crashed.createBucket();
    await crashed.token({ object_storage: { permission_type: 'object_ro', bucket_scope: 'specific', allowed_buckets: [bucket] } });
    const revokedLeft = await crashed.token({ object_storage: { permission_type: 'admin_ro', bucket_scope: 'all' } });
    await crashed.driver.revokeToken(revokedLeft.id!);
    // Write-ahead: the name is journaled, the answer is lost (the credential exists anyway).
    crashed.cleanup.intendToken('lost-tok-lost-answer');
    const create = (name: string) =>
      httpRequest('POST', publicApiUrl(mock.endpoint, '/v1/object-storage/credentials'), { headers: apiToken(), json: { name, permission_type: 'object_ro', bucket_scope: 'all' } });
    expect((await create('lost-tok-lost-answer')).response.status).toBe(201);
    // Someone else's, one sharing the prefix's text; and a name under the prefix that was never journaled.
    for (const name of ['lostx-tok-1', 'someone-elses', 'lost-not-journaled']) expect((await create(name)).response.status).toBe(201);
    // The worker "dies" here: no dispose.

    expect(await sweepJournal(run)).toEqual({ tokenIds: [], buckets: [], configurations: [] });
    const left = await credentials();
    expect(left.filter((c) => c.name.startsWith('lost-')).map((c) => c.name)).toEqual(['lost-not-journaled']);
    for (const name of ['lostx-tok-1', 'someone-elses', 'lost-not-journaled']) expect(left.find((c) => c.name === name)?.status, name).toBe('active');
    const checker = await createSuiteContext(await runWith('lostcheck'));
    expect(await bucketNames(checker)).not.toContain(bucket);
    await checker.dispose();
  });

  /** Runs one check as the conformance files do; returns the records it made. */
  async function judged(ctx: SuiteContext, definition: CheckDefinition): Promise<{ status: string; reason?: string }[]> {
    const before = recordedChecks().length;
    await runCheck(definition, ctx.settings, (rec) => definition.run(ctx, rec));
    return recordedChecks()
      .slice(before)
      .map((r) => ({ status: r.status, ...(r.reason ? { reason: r.reason } : {}) }));
  }

  it('the checks of S3 credentials pass with it; what only portal tokens have is not applicable, naming the driver', async () => {
    const ctx = await createSuiteContext(await runWith('judged'));
    try {
      for (const check of [secretOnceCheck, credentialFormatCheck, revokeImmediateCheck]) {
        expect(await judged(ctx, check), check.name).toEqual([{ status: 'passed' }]);
      }
      for (const check of [bearerAuthCheck, billingCheck, expiryDefaultCheck, invalidRequestsCheck]) {
        const records = await judged(ctx, check);
        expect(records.map((r) => r.status), check.name).toEqual(['not_applicable']);
        expect(records[0]!.reason, check.name).toMatch(/^the credentials driver issues S3 credentials, .*only portal API tokens/);
      }
    } finally {
      await ctx.dispose();
    }
    expect((await credentials()).filter((c) => c.name.startsWith('judged-'))).toEqual([]);
  });
});
