import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketScopes, permissionTypes } from '../../spec/index.js';
import { checkValidExpiry, expiryValidCheck } from '../checks/expiry.js';
import { obtainLevelTokens, prepareGridFixture, runS3Grid, s3GridCheck } from '../checks/permissions.js';
import { recordedChecks } from '../checks/record.js';
import { runCheck } from '../checks/registry.js';
import { allNewBucketsCheck, checkAllNewBuckets, checkNoExistenceLeak, noExistenceLeakCheck } from '../checks/scoping.js';
import { checkCredentialFormats, checkCredentialsWork, credentialFormatCheck, credentialsWorkCheck } from '../checks/tokens.js';
import { aggregate } from '../../reports/aggregate.js';
import type { CheckRecord } from '../../reports/results-format.js';
import { checkImmediateRevocation, revokeImmediateCheck } from '../checks/revocation.js';
import type { RunSettings } from './config.js';
import { createSuiteContext, lifecycleNotWritten, type SuiteContext } from './context.js';
import { startEmbeddedMock, type EmbeddedMock } from './embedded-mock.js';
import { DriverCannot } from './driver.js';
import { credentialsFileHelp, CredentialsFileError, loadCredentialsFile, ManualTokenDriver, parseCredentialsFile, type ManualCredential } from './manual-driver.js';
import { settleRun } from './run.js';

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
  let tokens: ManualCredential[];
  let billingOnly: ManualCredential;

  beforeAll(async () => {
    mock = await startEmbeddedMock();
    dir = mkdtempSync(join(tmpdir(), 'ibee-manual-'));
    // "The portal": one token per level and scope, all bucket-scoped ones on the same dedicated bucket.
    portal = await createSuiteContext(await settleRun({ endpoint: mock.endpoint, settings: settings('rest', null), journalFile: null }));
    scopedBucket = await portal.createBucket();
    tokens = [];
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
          bearer_token: token.bearerToken!,
          access_key_id: token.accessKeyId!,
          secret_access_key: token.secretAccessKey!,
        });
      }
    }
    file = join(dir, 'credentials.json');
    writeFileSync(file, JSON.stringify({ tokens }));
    const billing = await portal.token({ billing: { permission_type: 'read_only' } });
    billingOnly = { id: billing.id!, billing: true, bearer_token: billing.bearerToken! };
  });

  /** A credentials file with only some of the tokens (as a user who made only those in the portal). */
  function partialFile(name: string, keep: readonly (readonly [string, string])[]): string {
    const path = join(dir, name);
    const kept = tokens.filter((t) => keep.some(([level, scope]) => t.permission_type === level && t.bucket_scope === scope));
    writeFileSync(path, JSON.stringify({ tokens: [...kept, billingOnly] }));
    return path;
  }

  /** Runs `body` as the check it is, and the records it made, judged as a report would. */
  async function judged(ctx: SuiteContext, body: () => Promise<void>, definition: Parameters<typeof runCheck>[0]): Promise<{ records: CheckRecord[]; status: (id: string) => string }> {
    const before = recordedChecks().length;
    await runCheck(definition, ctx.settings, body);
    const records = recordedChecks().slice(before);
    const results = aggregate(records, {
      tool: { name: 'ibee-conformance', version: 'test' },
      target: { api_url: mock.endpoint.apiUrl, s3_endpoint: mock.endpoint.s3Endpoint, driver: 'manual', embedded: true, capabilities: {} },
      started_at: new Date().toISOString(),
      finished_at: new Date().toISOString(),
      seed: ctx.settings.seed,
      runs: ctx.settings.runs,
    });
    return { records, status: (id) => results.requirements.find((r) => r.id === id)!.status };
  }

  it('does not blame the target for credentials the file lacks: those cases are not generated, and the reason names them', async () => {
    // admin_rw on all buckets, object_ro on the test bucket, billing: the user's file from the acceptance test.
    const path = partialFile('partial.json', [['admin_rw', 'all'], ['object_ro', 'specific']]);
    for (const seed of [1, 42, 7]) {
      const ctx = await createSuiteContext(await settleRun({ endpoint: mock.endpoint, settings: { ...settings('manual', path), seed, runs: 6 }, journalFile: null }));
      try {
        const fixture = await prepareGridFixture(ctx, scopedBucket);
        const leak = await judged(ctx, () => checkNoExistenceLeak(ctx, fixture), noExistenceLeakCheck);
        expect(leak.records.filter((r) => r.status === 'failed')).toEqual([]);
        expect(leak.status('SCOPE-NO-EXISTENCE-LEAK')).toBe('passed');
        expect(leak.records.find((r) => r.status === 'not_applicable')?.reason).toMatch(/no object_rw \/ specific token.*not generated \(run with object_ro only\)/);

        const newBuckets = await judged(ctx, () => checkAllNewBuckets(ctx), allNewBucketsCheck);
        expect(newBuckets.status('SCOPE-ALL-NEW-BUCKETS')).toBe('passed');
        expect(newBuckets.records.find((r) => r.status === 'not_applicable')?.reason).toMatch(/no admin_ro \/ all token.*no object_rw \/ all token.*no object_ro \/ all token/);

        const works = await judged(ctx, () => checkCredentialsWork(ctx), credentialsWorkCheck);
        expect(works.status('CRED-S3-WORKS')).toBe('passed');
      } finally {
        await ctx.dispose();
      }
    }
  });

  it('records a check not_applicable, naming the missing credentials, when the file has none it can use', async () => {
    const path = partialFile('admin-only.json', [['admin_rw', 'all']]);
    const ctx = await createSuiteContext(await settleRun({ endpoint: mock.endpoint, settings: settings('manual', path), journalFile: null }));
    try {
      const fixture = await prepareGridFixture(ctx, scopedBucket);
      const leak = await judged(ctx, () => checkNoExistenceLeak(ctx, fixture), noExistenceLeakCheck);
      expect(leak.records.map((r) => r.status)).toEqual(['not_applicable']);
      expect(leak.records[0]!.reason).toMatch(/no object_rw \/ specific token; .*no object_ro \/ specific token/);
      expect(leak.status('SCOPE-NO-EXISTENCE-LEAK')).toBe('not_applicable');
    } finally {
      await ctx.dispose();
    }
  });

  afterAll(async () => {
    await portal?.dispose();
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the permission grid with pre-made credentials', async () => {
    const ctx = await createSuiteContext(await settleRun({ endpoint: mock.endpoint, settings: settings('manual', file), journalFile: null }));
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
      // Admin levels outside their buckets are an open question, observed rather than judged; lifecycle rules are
      // not written to the scoped bucket, which the run did not create.
      const lifecycleWrite = (c: CheckRecord) => ['PutBucketLifecycleConfiguration', 'DeleteBucketLifecycle'].includes(c.cell?.operation ?? '') && c.cell?.scope === 'in_scope';
      expect(cells.filter((c) => c.status !== 'passed' && !lifecycleWrite(c)).every((c) => c.status === 'observed' && c.requirementIds[0] === 'SCOPE-ADMIN-SPECIFIC')).toBe(true);
      const notWritten = cells.filter(lifecycleWrite);
      expect(notWritten).toHaveLength(2 * permissionTypes.length);
      for (const cell of notWritten) expect(cell).toMatchObject({ status: 'not_applicable', reason: lifecycleNotWritten });
    } finally {
      await ctx.dispose();
    }
  });

  it('records checks that need token management as not_applicable, with the reason', async () => {
    const ctx = await createSuiteContext(await settleRun({ endpoint: mock.endpoint, settings: settings('manual', file), journalFile: null }));
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
    const refusal = (tokens: unknown): string => {
      writeFileSync(bad, JSON.stringify({ tokens }));
      try {
        loadCredentialsFile(bad);
      } catch (error) {
        expect(error).toBeInstanceOf(CredentialsFileError);
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refusal([{ permission_type: 'object_ro' }])).toMatch(/no access_key_id\/secret_access_key/);
    expect(refusal([{ billing: true }])).toMatch(/Billing scope but no bearer_token/);
    expect(refusal([{ bearer_token: 'ibee_v4_x' }])).toMatch(/neither an object storage level .* nor "billing": true/);
    expect(refusal([{ permission_type: 'object_ro', bucket_scope: 'specific', access_key_id: 'AKIA', secret_access_key: 's' }])).toMatch(/names no allowed_buckets/);
    expect(refusal([{ permission_type: 'object_ro', access_key_id: 'AKIA', secret_access_key: 's', bearer_token: 7 }])).toMatch(/bearer_token must be a string/);
    // The Bearer token of an object storage key is optional: an S3-only target has none.
    expect(refusal([{ permission_type: 'object_ro', bucket_scope: 'specific', allowed_buckets: ['b'], access_key_id: 'AKIA', secret_access_key: 's' }])).toBe('accepted');
    writeFileSync(bad, JSON.stringify([]));
    expect(() => loadCredentialsFile(bad)).toThrow(/tokens/);
  });

  it('accepts the example that run --help shows, and every field it names', () => {
    const example = /\{ "tokens": \[[\s\S]*?\] \}/.exec(credentialsFileHelp)?.[0];
    expect(example).toBeDefined();
    const entries = parseCredentialsFile(JSON.parse(example!));
    expect(entries.map((e) => [e.permission_type ?? 'billing', e.bucket_scope ?? null])).toEqual([
      ['admin_rw', 'all'],
      ['object_ro', 'specific'],
      ['billing', null],
    ]);
    // The help names every field of a file entry.
    const fields: readonly (keyof ManualCredential)[] = ['id', 'name', 'permission_type', 'bucket_scope', 'allowed_buckets', 'billing', 'bearer_token', 'access_key_id', 'secret_access_key', 'expires_at'];
    for (const field of fields) expect(credentialsFileHelp, field).toContain(field);
    for (const level of permissionTypes) expect(credentialsFileHelp).toContain(level);
  });

  it('never hands out a bucket-scoped key for buckets it does not cover', async () => {
    const driver = new ManualTokenDriver(loadCredentialsFile(file));
    const scoped = await driver.obtainToken({ name: 'x', object_storage: { permission_type: 'object_rw', bucket_scope: 'specific', allowed_buckets: [scopedBucket] } });
    expect(scoped.objectStorage?.allowedBuckets).toEqual([scopedBucket]);
    // Asked without buckets, it gives the file's key and says which bucket it is limited to.
    expect((await driver.obtainToken({ name: 'x', object_storage: { permission_type: 'object_rw', bucket_scope: 'specific' } })).accessKeyId).toBe(scoped.accessKeyId);
    await expect(driver.obtainToken({ name: 'x', object_storage: { permission_type: 'object_rw', bucket_scope: 'specific', allowed_buckets: ['another-bucket'] } })).rejects.toThrow(
      new RegExp(`object_rw / specific token is limited to ${scopedBucket}, not to another-bucket`),
    );
    await expect(driver.obtainToken({ name: 'x', object_storage: { permission_type: 'object_rw', bucket_scope: 'specific', allowed_buckets: [scopedBucket, 'another-bucket'] } })).rejects.toThrow(DriverCannot);
  });

  it('judges CRED-FORMAT and CRED-UNIQUE on the keys of the file', async () => {
    const judge = async (name: string, entries: readonly ManualCredential[]) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify({ tokens: entries }));
      const ctx = await createSuiteContext(await settleRun({ endpoint: mock.endpoint, settings: settings('manual', path), journalFile: null }));
      try {
        return await judged(ctx, () => checkCredentialFormats(ctx), credentialFormatCheck).catch(() => null);
      } finally {
        await ctx.dispose();
      }
    };
    const run = async (name: string, entries: readonly ManualCredential[]) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify({ tokens: entries }));
      const ctx = await createSuiteContext(await settleRun({ endpoint: mock.endpoint, settings: settings('manual', path), journalFile: null }));
      const before = recordedChecks().length;
      try {
        await runCheck(credentialFormatCheck, ctx.settings, () => checkCredentialFormats(ctx)).catch(() => undefined);
      } finally {
        await ctx.dispose();
      }
      return recordedChecks().slice(before);
    };
    // The mock's keys are IBEE's: both hold, judged (not not_applicable).
    const good = await judge('formats-good.json', [...tokens, billingOnly]);
    expect(good?.status('CRED-FORMAT')).toBe('passed');
    expect(good?.status('CRED-UNIQUE')).toBe('passed');
    // Another service's key ids (moto's, say) fail CRED-FORMAT, naming the entry and IBEE's format; uniqueness still holds.
    const foreign = tokens.map((t, i) => (i === 2 ? { ...t, access_key_id: 'FSIA5MOTOKEYID00000A' } : t));
    const records = await run('formats-foreign.json', foreign);
    const failure = records.find((r) => r.status === 'failed');
    expect(failure?.requirementIds).toEqual(['CRED-FORMAT']);
    expect(failure?.message).toContain(`tokens[2] (${tokens[2]!.permission_type} / ${tokens[2]!.bucket_scope}): the Access Key ID "FSIA5MOTOKEYID00000A" does not match`);
    expect(failure?.message).toContain('AKIA` followed by 16 upper-case hexadecimal characters');
    expect(records.find((r) => r.requirementIds.includes('CRED-UNIQUE'))?.status).toBe('passed');
    // Two entries sharing a key are two tokens with one credential; the very same entry listed twice is one token.
    const shared = await run('formats-shared.json', [tokens[0]!, { ...tokens[1]!, access_key_id: tokens[0]!.access_key_id }]);
    expect(shared.find((r) => r.status === 'failed')?.message).toMatch(/tokens\[1\] .* has the same Access Key ID as tokens\[0\]/);
    const repeated = await judge('formats-repeated.json', [tokens[0]!, tokens[0]!]);
    expect(repeated?.status('CRED-UNIQUE')).toBe('passed');
    // No secret is named in any message.
    for (const record of [...records, ...shared]) {
      for (const t of tokens) for (const secret of [t.secret_access_key, t.bearer_token]) expect(JSON.stringify(record)).not.toContain(secret);
    }
  });
});
