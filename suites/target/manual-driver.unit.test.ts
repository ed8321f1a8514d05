import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketScopes, permissionTypes } from '../../spec/index.js';
import { checkValidExpiry, expiryValidCheck } from '../checks/expiry.js';
import { obtainLevelTokens, prepareGridFixture, runS3Grid, s3GridCheck } from '../checks/permissions.js';
import { recordedChecks } from '../checks/record.js';
import { runCheck } from '../checks/registry.js';
import { checkImmediateRevocation, revokeImmediateCheck } from '../checks/revocation.js';
import type { RunSettings } from './config.js';
import { createSuiteContext, type SuiteContext } from './context.js';
import { startEmbeddedMock, type EmbeddedMock } from './embedded-mock.js';
import { CredentialsFileError, loadCredentialsFile, type ManualCredential } from './manual-driver.js';

/** The manual driver, against the embedded mock with credentials made beforehand (as a portal user would). */

const settings = (driver: 'rest' | 'manual', credentialsFile: string | null): RunSettings => ({
  driver,
  credentialsFile,
  seed: 42,
  runs: 3,
  only: null,
  runPrefix: driver === 'rest' ? 'portal' : 'manual',
  checksFile: null,
});

describe('manual driver', () => {
  let mock: EmbeddedMock;
  let dir: string;
  let file: string;
  let portal: SuiteContext;
  let scopedBucket: string;

  beforeAll(async () => {
    mock = await startEmbeddedMock();
    dir = mkdtempSync(join(tmpdir(), 'ibee-manual-'));
    // "The portal": one token per level and scope, all bucket-scoped ones on the same dedicated bucket.
    portal = await createSuiteContext({ endpoint: mock.endpoint, settings: settings('rest', null), journalFile: null });
    scopedBucket = await portal.createBucket();
    const tokens: ManualCredential[] = [];
    for (const level of permissionTypes) {
      for (const scope of bucketScopes) {
        const token = await portal.token({
          object_storage: { permission_type: level, bucket_scope: scope, ...(scope === 'specific' ? { allowed_buckets: [scopedBucket] } : {}) },
        });
        tokens.push({
          id: token.id!,
          permission_type: level,
          bucket_scope: scope,
          allowed_buckets: token.objectStorage!.allowedBuckets,
          bearer_token: token.bearerToken,
          access_key_id: token.accessKeyId!,
          secret_access_key: token.secretAccessKey!,
        });
      }
    }
    file = join(dir, 'credentials.json');
    writeFileSync(file, JSON.stringify({ tokens }));
  });

  afterAll(async () => {
    await portal?.dispose();
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the permission grid with pre-made credentials', async () => {
    const ctx = await createSuiteContext({ endpoint: mock.endpoint, settings: settings('manual', file), journalFile: null });
    try {
      const before = recordedChecks().length;
      await runCheck(
        s3GridCheck,
        ctx.settings,
        async (rec) => {
          const fixture = await prepareGridFixture(ctx, scopedBucket);
          const tokens = [];
          for (const level of permissionTypes) tokens.push(await obtainLevelTokens(ctx, level, fixture.inScope));
          await runS3Grid(ctx, rec, fixture, tokens, []);
        },
        { summary: false },
      );
      const cells = recordedChecks().slice(before);
      expect(cells.length).toBeGreaterThan(200);
      expect(cells.filter((c) => c.status === 'failed')).toEqual([]);
      // Admin levels outside their buckets are an open question, observed rather than judged.
      expect(cells.filter((c) => c.status !== 'passed').every((c) => c.status === 'observed' && c.requirementIds[0] === 'SCOPE-ADMIN-SPECIFIC')).toBe(true);
    } finally {
      await ctx.dispose();
    }
  });

  it('records checks that need token management as not_applicable, with the reason', async () => {
    const ctx = await createSuiteContext({ endpoint: mock.endpoint, settings: settings('manual', file), journalFile: null });
    try {
      const before = recordedChecks().length;
      await runCheck(expiryValidCheck, ctx.settings, () => checkValidExpiry(ctx));
      await runCheck(revokeImmediateCheck, ctx.settings, (rec) => checkImmediateRevocation(ctx, rec));
      const records = recordedChecks().slice(before);
      expect(records.map((r) => r.status)).toEqual(['not_applicable', 'not_applicable']);
      expect(records.every((r) => (r.reason ?? '').includes('manual'))).toBe(true);
    } finally {
      await ctx.dispose();
    }
  });

  it('refuses malformed credentials files clearly', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ tokens: [{ permission_type: 'object_ro' }] }));
    expect(() => loadCredentialsFile(bad)).toThrow(CredentialsFileError);
    writeFileSync(bad, JSON.stringify([]));
    expect(() => loadCredentialsFile(bad)).toThrow(/tokens/);
  });
});
