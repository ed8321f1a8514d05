import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregate } from '../../reports/aggregate.js';
import type { CheckRecord } from '../../reports/results-format.js';
import { permissionTypes } from '../../spec/index.js';
import type { RunSettings } from '../target/config.js';
import { createSuiteContext, type SuiteContext } from '../target/context.js';
import { startEmbeddedMock, type EmbeddedMock } from '../target/embedded-mock.js';
import type { ManualCredential } from '../target/manual-driver.js';
import { settleRun } from '../target/run.js';
import { checkBillingScope, billingCheck } from './permissions.js';
import {
  billingEligibilityCheck,
  checkBillingEligibility,
  checkCredentialDelete,
  checkScopeNames,
  checkWorkspaceIsolation,
  checkWorkspaceRequired,
  credentialDeleteCheck,
  scopeNamesCheck,
  workspaceIsolationCheck,
  workspaceRequiredCheck,
} from './public-api.js';
import { recordedChecks } from './record.js';
import { runCheck, type CheckDefinition, type CheckRecorder } from './registry.js';

/**
 * The public API's checks with pre-made credentials (the manual driver) against the embedded mock: what the file
 * lacks is recorded not_applicable with the missing credential named, never held against the target.
 */

const settings = (driver: 'rest' | 'manual', credentialsFile: string | null): RunSettings => ({
  driver,
  credentialsFile,
  seed: 11,
  runs: 4,
  only: null,
  runPrefix: driver === 'rest' ? 'apiportal' : 'apimanual',
  checksFile: null,
});

const cases: readonly { readonly check: CheckDefinition; readonly body: (ctx: SuiteContext, rec: CheckRecorder) => Promise<void> }[] = [
  { check: workspaceRequiredCheck, body: (ctx) => checkWorkspaceRequired(ctx) },
  { check: workspaceIsolationCheck, body: (ctx, rec) => checkWorkspaceIsolation(ctx, rec) },
  { check: scopeNamesCheck, body: (ctx) => checkScopeNames(ctx) },
  { check: credentialDeleteCheck, body: (ctx) => checkCredentialDelete(ctx) },
  { check: billingEligibilityCheck, body: (ctx) => checkBillingEligibility(ctx) },
  { check: billingCheck, body: (ctx, rec) => checkBillingScope(ctx, rec) },
];

describe('public API checks with the manual driver', () => {
  let mock: EmbeddedMock;
  let dir: string;
  let portal: SuiteContext;
  const made: ManualCredential[] = [];

  beforeAll(async () => {
    mock = await startEmbeddedMock();
    dir = mkdtempSync(join(tmpdir(), 'ibee-public-api-'));
    // "The portal": a token per level on all buckets, and a Billing-only one.
    portal = await createSuiteContext(await settleRun({ endpoint: mock.endpoint, settings: settings('rest', null), journalFile: null }));
    for (const level of permissionTypes) {
      const token = await portal.token({ object_storage: { permission_type: level, bucket_scope: 'all' } });
      made.push({ permission_type: level, bucket_scope: 'all', bearer_token: token.bearerToken!, access_key_id: token.accessKeyId!, secret_access_key: token.secretAccessKey! });
    }
    const billing = await portal.token({ billing: { permission_type: 'read_only' } });
    made.push({ billing: true, bearer_token: billing.bearerToken! });
  });

  afterAll(async () => {
    await portal?.dispose();
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function fileWith(name: string, keep: (credential: ManualCredential) => boolean): string {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify({ tokens: made.filter(keep) }));
    return path;
  }

  /** Runs every case and judges its records as a report would: the status of each requirement, and the records. */
  async function runAll(path: string): Promise<{ records: CheckRecord[]; status: (id: string) => string; failures: unknown[] }> {
    const ctx = await createSuiteContext(await settleRun({ endpoint: mock.endpoint, settings: settings('manual', path), journalFile: null }, { probeWithToken: true }));
    const before = recordedChecks().length;
    const failures: unknown[] = [];
    try {
      for (const { check, body } of cases) await runCheck(check, ctx.settings, (rec) => body(ctx, rec)).catch((error: unknown) => failures.push(error));
    } finally {
      await ctx.dispose();
    }
    const records = recordedChecks().slice(before);
    const results = aggregate(records, {
      tool: { name: 'ibee-conformance', version: 'test' },
      target: { api_url: mock.endpoint.apiUrl, s3_endpoint: mock.endpoint.s3Endpoint, driver: 'manual', embedded: true, capabilities: {} },
      started_at: new Date().toISOString(),
      finished_at: new Date().toISOString(),
      seed: 11,
      runs: 4,
    });
    return { records, failures, status: (id) => results.requirements.find((r) => r.id === id)!.status };
  }

  it('judges every public API requirement with a full credentials file', async () => {
    const { status, failures, records } = await runAll(fileWith('full.json', () => true));
    expect(failures).toEqual([]);
    for (const id of ['WORKSPACE-REQUIRED', 'WORKSPACE-ISOLATION', 'REST-SCOPE-NAMES', 'CREDENTIAL-DELETE', 'BILLING-ELIGIBILITY', 'BILLING-SCOPE']) expect(status(id), id).toBe('passed');
    // The mock-only billing routes were found served: nothing of BILLING-SCOPE is left out.
    expect(records.filter((r) => r.requirementIds.includes('BILLING-SCOPE') && r.status === 'not_applicable')).toEqual([]);
  });

  it('records what an admin-only file cannot show not_applicable, naming the missing credentials, and fails nothing', async () => {
    const { status, failures, records } = await runAll(fileWith('admin-only.json', (c) => c.permission_type === 'admin_rw'));
    expect(failures).toEqual([]);
    expect(records.filter((r) => r.status === 'failed')).toEqual([]);
    // Still judged with the admin's token alone.
    for (const id of ['WORKSPACE-REQUIRED', 'WORKSPACE-ISOLATION', 'REST-SCOPE-NAMES', 'CREDENTIAL-DELETE']) expect(status(id), id).toBe('passed');
    // Needing a Billing token: nothing to judge.
    expect(status('BILLING-ELIGIBILITY')).toBe('not_applicable');
    expect(status('BILLING-SCOPE')).toBe('not_applicable');
    const reasons = records.filter((r) => r.status === 'not_applicable').map((r) => r.reason ?? '');
    expect(reasons.some((r) => /billing-only token/.test(r) && /Billing-only token were not run/.test(r))).toBe(true);
    expect(reasons.some((r) => /no admin_ro \/ all token.*refusals needing them were not run/.test(r))).toBe(true);
  });
});
