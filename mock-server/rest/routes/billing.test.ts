import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { billableSku, billingDecisionReasons, restRoutes } from '../../../spec/index.js';
import { contractProblems, createHarness, managementToken, type CreatedToken, type Harness } from '../test/harness.js';

/** Billing over the public API: IBEE's eligibility decision, the billing wall the mock can raise, and its own data routes. */

let h: Harness;
let billing: CreatedToken;
let storage: CreatedToken;
beforeAll(async () => {
  h = await createHarness({ projectIds: ['1001', '2002'] });
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  h.tokens.reset();
  h.ctx.billing.reset();
  await h.storage.reset();
  billing = await h.createToken({ name: 'billing', billing: { permission_type: 'read_only' } });
  storage = await h.createToken({ name: 'admin', object_storage: { permission_type: 'admin_rw', bucket_scope: 'all' } });
});

const eligibility = '/v1/billing/resource-eligibility';

function setBilling(body: Record<string, unknown>) {
  return h.call('POST', '/_mock/billing', { token: managementToken, json: body });
}

describe('resource eligibility', () => {
  it('answers a complete decision, echoing the SKU and cost asked about, to the Billing scope only', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ sku_code: fc.constantFrom('OBJECTST-STD', 'objectst-std', ' ObjectSt-Std '), estimated_cost_minor: fc.nat(10_000_000) }, { requiredKeys: [] }),
        async (body) => {
          const res = await h.call('POST', eligibility, { token: billing.bearer_token, json: body });
          expect(res.status).toBe(200);
          expect(contractProblems('POST', eligibility, res)).toEqual([]);
          expect(res.body).toMatchObject({ organization_id: h.ctx.organizationId, workspace_id: '1001', allowed: true, reason: 'ok', billing_mode: 'PREPAID', currency: 'INR' });
          if (body.sku_code !== undefined) expect(res.body.sku_code).toBe(body.sku_code.trim().toUpperCase());
          else expect(res.body.sku_code).toBeUndefined();
          expect(res.body.estimated_cost_minor).toBe(body.estimated_cost_minor ?? 0);
          expect(Date.parse(res.body.evaluated_at)).toBe(h.clock.nowMs());
        },
      ),
      { numRuns: 20 },
    );
    const noBody = await h.call('POST', eligibility, { token: billing.bearer_token });
    expect(noBody.status).toBe(200);
    const denied = await h.call('POST', eligibility, { token: storage.bearer_token, json: {} });
    expect([denied.status, denied.body.error, denied.body.required_scope]).toEqual([403, 'insufficient_scope', 'billing.read']);
    for (const bad of [{ sku_code: 5 }, { estimated_cost_minor: -1 }, { operation: 'BUY_EVERYTHING' }, { extra: true }]) {
      const res = await h.call('POST', eligibility, { token: billing.bearer_token, json: bad });
      expect(res.status, JSON.stringify(bad)).toBe(422);
    }
  });

  it('reports the billing wall as data (200, allowed false) with the reason set', async () => {
    for (const reason of billingDecisionReasons.value.denied) {
      expect((await setBilling({ workspace_id: '1001', allowed: false, reason })).status).toBe(200);
      const res = await h.call('POST', eligibility, { token: billing.bearer_token, json: { sku_code: 'OBJECTST-STD' } });
      expect(res.body).toMatchObject({ allowed: false, reason, service_enforcement_state: 'BLOCK_NEW_PURCHASES' });
      expect(res.body.allowed_operations.includes('billing_topup')).toBe(billingDecisionReasons.value.topUp.includes(reason));
    }
  });
});

describe('the billing wall', () => {
  it('refuses billable creates with 402 while reads, deletes and revocations keep working; reset opens it', async () => {
    expect((await h.call('POST', '/v1/object-storage/buckets', { token: storage.bearer_token, json: { name: 'before', region: 'in-south-1' } })).status).toBe(201);
    const key = await h.call('POST', '/v1/object-storage/credentials', { token: storage.bearer_token, json: { permission_type: 'object_ro' } });
    expect(key.status).toBe(201);

    const set = await setBilling({ workspace_id: '1001', allowed: false, reason: 'insufficient_balance' });
    expect([set.status, set.body]).toEqual([200, { workspace_id: '1001', allowed: false, reason: 'insufficient_balance' }]);
    expect(contractProblems('POST', '/_mock/billing', set)).toEqual([]);

    for (const [path, json] of [
      ['/v1/object-storage/buckets', { name: 'after', region: 'in-south-1' }],
      ['/v1/object-storage/credentials', { permission_type: 'object_ro' }],
    ] as const) {
      const res = await h.call('POST', path, { token: storage.bearer_token, json });
      expect([res.status, res.body.error, res.body.billing_reason, res.body.billing_sku_code]).toEqual([402, 'billing_denied', 'insufficient_balance', billableSku.value.skuCode]);
      expect(res.body.admission_context_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(contractProblems('POST', path, res)).toEqual([]);
    }
    expect(h.storage.findBucket('after')).toBeUndefined();
    expect(h.tokens.credentials.list('1001', 100)).toHaveLength(1);

    // The other workspace is not affected.
    const other = await h.createToken({ name: 'other', object_storage: { permission_type: 'admin_rw', bucket_scope: 'all' } }, '2002');
    expect((await h.call('POST', '/v1/object-storage/buckets', { token: other.bearer_token, workspace: '2002', json: { name: 'elsewhere', region: 'in-south-2' } })).status).toBe(201);

    expect((await h.call('GET', '/v1/object-storage/buckets', { token: storage.bearer_token })).status).toBe(200);
    expect((await h.call('PATCH', '/v1/object-storage/buckets/before', { token: storage.bearer_token, json: { is_public: true } })).status).toBe(200);
    expect((await h.call('POST', `/v1/object-storage/credentials/${key.body.access_key_id}/revoke`, { token: storage.bearer_token })).status).toBe(200);
    expect((await h.call('DELETE', `/v1/object-storage/credentials/${key.body.access_key_id}`, { token: storage.bearer_token })).status).toBe(200);
    expect((await h.call('DELETE', '/v1/object-storage/buckets/before', { token: storage.bearer_token })).status).toBe(200);

    expect((await h.call('POST', '/_mock/reset', { token: managementToken })).status).toBe(204);
    const fresh = await h.createToken({ name: 'admin', object_storage: { permission_type: 'admin_rw', bucket_scope: 'all' } });
    expect((await h.call('POST', '/v1/object-storage/buckets', { token: fresh.bearer_token, json: { name: 'after', region: 'in-south-1' } })).status).toBe(201);
  });

  it('takes only IBEE\'s reasons, for a served workspace', async () => {
    expect((await setBilling({ workspace_id: '1001', allowed: false, reason: 'ok' })).status).toBe(422);
    expect((await setBilling({ workspace_id: '1001', allowed: true, reason: 'insufficient_balance' })).status).toBe(422);
    expect((await setBilling({ workspace_id: '9999', allowed: false })).status).toBe(404);
    expect((await setBilling({ workspace_id: '1001', allowed: false })).body.reason).toBe('insufficient_balance');
    expect((await setBilling({ workspace_id: '1001', allowed: true })).body.reason).toBe('ok');
  });
});

describe('mock-only billing data', () => {
  const dataRoutes = restRoutes.filter((r) => r.grant.kind === 'billing' && r.mockOnly);

  it('serves seeded INR data to the Billing read-only scope only, stable per workspace', async () => {
    expect(dataRoutes.map((r) => r.path)).toEqual(['/v1/billing/invoices', '/v1/billing/orders', '/v1/billing/balance']);
    const otherProject = await h.createToken({ name: 'billing', billing: { permission_type: 'read_only' } }, '2002');
    for (const route of dataRoutes) {
      const res = await h.call('GET', route.path, { token: billing.bearer_token });
      expect(res.status, route.path).toBe(200);
      expect(contractProblems('GET', route.path, res), route.path).toEqual([]);
      expect(JSON.stringify(res.body)).toContain('INR');
      expect((await h.call('GET', route.path, { token: billing.bearer_token })).body).toEqual(res.body);
      expect((await h.call('GET', route.path, { token: otherProject.bearer_token, workspace: '2002' })).body).not.toEqual(res.body);
      const denied = await h.call('GET', route.path, { token: storage.bearer_token });
      expect([denied.status, denied.body.error, denied.body.required_scope]).toEqual([403, 'insufficient_scope', 'billing.read']);
    }
    const invoices = (await h.call('GET', '/v1/billing/invoices', { token: billing.bearer_token })).body.invoices;
    for (const invoice of invoices) expect(invoice.total_minor).toBe(invoice.subtotal_minor + invoice.tax_minor);
  });
});
