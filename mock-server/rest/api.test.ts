import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAllowed, permissionTypes, restRoutes, type PermissionType } from '../../spec/index.js';
import { contractProblems, createHarness, managementToken, putObject, type CreatedToken, type Harness } from './test/harness.js';

/** The Bearer REST API over HTTP (supertest): buckets and billing, as spec's restRoutes and matrix allow. */

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ projectIds: ['1001', '2002'] });
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  h.tokens.reset();
  await h.storage.reset();
});

const bucketsPath = '/v1/object-storage/buckets';
const bucketPath = '/v1/object-storage/buckets/{name}';
const admin = { name: 'admin', object_storage: { permission_type: 'admin_rw', bucket_scope: 'all' } };

async function levelToken(level: PermissionType, buckets?: readonly string[], projectId?: string): Promise<CreatedToken> {
  const objectStorage = buckets
    ? { permission_type: level, bucket_scope: 'specific', allowed_buckets: buckets }
    : { permission_type: level, bucket_scope: 'all' };
  return h.createToken({ name: `${level}-token`, object_storage: objectStorage }, projectId);
}

/** Calls a route of spec's restRoutes for a bucket name. */
function callRoute(method: string, path: string, token: string | undefined, bucket: string) {
  if (path === bucketsPath && method === 'POST') return h.call('POST', bucketsPath, { token, json: { name: bucket } });
  return h.call(method, path.replace('{name}', encodeURIComponent(bucket)), { token });
}

describe('object storage routes follow the permission matrix', () => {
  const storageRoutes = restRoutes.filter((r) => r.s3Operation !== null);

  it('allows each route exactly to the levels the matrix allows, with required_scope on 403', async () => {
    for (const level of permissionTypes) {
      for (const route of storageRoutes) {
        await h.storage.reset();
        h.tokens.reset();
        const adminToken = await h.createToken(admin);
        // A bucket to read or delete; CreateBucket uses a fresh name.
        if (route.method !== 'POST') expect((await callRoute('POST', bucketsPath, adminToken.bearer_token, 'target-bucket')).status).toBe(201);
        const token = await levelToken(level);
        const res = await callRoute(route.method, route.path, token.bearer_token, 'target-bucket');
        const allowed = isAllowed(level, route.s3Operation!);
        const where = `${level} ${route.method} ${route.path}`;
        expect(contractProblems(route.method, route.path, res), where).toEqual([]);
        if (allowed) {
          expect(res.status, where).toBeLessThan(300);
        } else {
          expect([res.status, res.body.error, res.body.required_scope], where).toEqual([403, 'insufficient_scope', route.requiredScope]);
        }
      }
    }
  });

  it('creates, reads and deletes a bucket; 409 when taken or not empty; 404 when gone', async () => {
    const token = await h.createToken(admin);
    const created = await callRoute('POST', bucketsPath, token.bearer_token, 'photos');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'photos' });
    expect(contractProblems('POST', bucketsPath, created)).toEqual([]);

    const again = await callRoute('POST', bucketsPath, token.bearer_token, 'photos');
    expect([again.status, again.body.error]).toEqual([409, 'bucket_already_owned_by_you']);
    const otherProject = await levelToken('admin_rw', undefined, '2002');
    const taken = await callRoute('POST', bucketsPath, otherProject.bearer_token, 'photos');
    expect([taken.status, taken.body.error]).toEqual([409, 'bucket_already_exists']);

    await putObject(h.storage, 'photos', 'a.jpg', Buffer.from('jpeg bytes'));
    const detail = await callRoute('GET', bucketPath, token.bearer_token, 'photos');
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ name: 'photos', object_count: 1, total_size: 10 });
    expect(contractProblems('GET', bucketPath, detail)).toEqual([]);

    const notEmpty = await callRoute('DELETE', bucketPath, token.bearer_token, 'photos');
    expect([notEmpty.status, notEmpty.body.error]).toEqual([409, 'bucket_not_empty']);
    await h.storage.deleteObject('photos', 'a.jpg');
    const deleted = await callRoute('DELETE', bucketPath, token.bearer_token, 'photos');
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    for (const method of ['GET', 'DELETE']) {
      const gone = await callRoute(method, bucketPath, token.bearer_token, 'photos');
      expect([gone.status, gone.body.error]).toEqual([404, 'bucket_not_found']);
      expect(contractProblems(method, bucketPath, gone)).toEqual([]);
    }
  });

  it('refuses invalid bucket names with 422 and bad bodies with 4xx JSON', async () => {
    const token = await h.createToken(admin);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^[a-zA-Z0-9._-]{0,70}$/)).filter((n) => !/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(n)),
        async (name) => {
          const res = await callRoute('POST', bucketsPath, token.bearer_token, name);
          expect([res.status, res.body.error]).toEqual([422, 'invalid_bucket_name']);
        },
      ),
      { numRuns: 60 },
    );
    const extra = await h.call('POST', bucketsPath, { token: token.bearer_token, json: { name: 'fine-name', region: 'in-south-1' } });
    expect([extra.status, extra.body.error]).toEqual([422, 'unknown_field']);
    const malformed = await h.call('POST', bucketsPath, { token: token.bearer_token, raw: '{"name":', contentType: 'application/json' });
    expect([malformed.status, malformed.body.error]).toEqual([400, 'invalid_json']);
    const wrongType = await h.call('POST', bucketsPath, { token: token.bearer_token, raw: 'name=x', contentType: 'application/x-www-form-urlencoded' });
    expect(wrongType.status).toBe(415);
    const huge = await h.call('POST', bucketsPath, { token: token.bearer_token, json: { name: 'a'.repeat(100_000) } });
    expect(huge.status).toBe(413);
    expect(h.storage.listBuckets('1001')).toEqual([]);
  });
});

describe('bucket scope', () => {
  it('refuses out-of-scope buckets with the same 403 whether they exist or not', async () => {
    const adminToken = await h.createToken(admin);
    for (const name of ['mine', 'theirs']) expect((await callRoute('POST', bucketsPath, adminToken.bearer_token, name)).status).toBe(201);
    for (const level of permissionTypes) {
      const scoped = await levelToken(level, ['mine']);
      for (const route of restRoutes.filter((r) => r.bucketScoped)) {
        const existing = await callRoute(route.method, route.path, scoped.bearer_token, 'theirs');
        const missing = await callRoute(route.method, route.path, scoped.bearer_token, 'nowhere');
        expect(existing.status).toBe(403);
        expect(existing.body).toEqual(missing.body);
        expect(existing.body.required_scope).toBe(route.requiredScope);
      }
    }
    expect(h.storage.listBuckets('1001').map((b) => b.name)).toEqual(['mine', 'theirs']);
  });

  it('lists only the buckets of the token scope and of its project', async () => {
    const adminToken = await h.createToken(admin);
    for (const name of ['alpha', 'beta', 'gamma']) await callRoute('POST', bucketsPath, adminToken.bearer_token, name);
    const other = await levelToken('admin_rw', undefined, '2002');
    await callRoute('POST', bucketsPath, other.bearer_token, 'delta');

    const all = await h.call('GET', bucketsPath, { token: adminToken.bearer_token });
    expect(all.body.buckets.map((b: { name: string }) => b.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(contractProblems('GET', bucketsPath, all)).toEqual([]);
    const scoped = await levelToken('admin_ro', ['beta', 'delta', 'not-yet']);
    const list = await h.call('GET', bucketsPath, { token: scoped.bearer_token });
    expect(list.body.buckets.map((b: { name: string }) => b.name)).toEqual(['beta']);
    // Another project's bucket is simply not there for this token.
    const read = await callRoute('GET', bucketPath, adminToken.bearer_token, 'delta');
    expect([read.status, read.body.error]).toEqual([404, 'bucket_not_found']);
  });

  it('an all-buckets token works on buckets created after it', async () => {
    const reader = await levelToken('object_ro');
    const adminToken = await h.createToken(admin);
    await callRoute('POST', bucketsPath, adminToken.bearer_token, 'later-bucket');
    expect((await callRoute('GET', bucketPath, reader.bearer_token, 'later-bucket')).status).toBe(200);
  });
});

describe('billing', () => {
  const billingRoutes = restRoutes.filter((r) => r.s3Operation === null);

  it('serves seeded INR data to the Billing read-only scope only', async () => {
    const billing = await h.createToken({ name: 'billing', billing: { permission_type: 'read_only' } });
    const storageOnly = await h.createToken(admin);
    const otherProject = await h.createToken({ name: 'billing', billing: { permission_type: 'read_only' } }, '2002');
    for (const route of billingRoutes) {
      const res = await h.call('GET', route.path, { token: billing.bearer_token });
      expect(res.status, route.path).toBe(200);
      expect(contractProblems('GET', route.path, res), route.path).toEqual([]);
      expect(JSON.stringify(res.body)).toContain('INR');
      const again = await h.call('GET', route.path, { token: billing.bearer_token });
      expect(again.body).toEqual(res.body);
      const other = await h.call('GET', route.path, { token: otherProject.bearer_token });
      expect(other.body).not.toEqual(res.body);

      const denied = await h.call('GET', route.path, { token: storageOnly.bearer_token });
      expect([denied.status, denied.body.error, denied.body.required_scope]).toEqual([403, 'insufficient_scope', 'billing:read_only']);
    }
    const invoices = (await h.call('GET', '/v1/billing/invoices', { token: billing.bearer_token })).body.invoices;
    expect(invoices.length).toBeGreaterThan(0);
    for (const invoice of invoices) expect(invoice.total_minor).toBe(invoice.subtotal_minor + invoice.tax_minor);
  });

  it('refuses every write to billing with 405 JSON (after authentication)', async () => {
    const billing = await h.createToken({ name: 'billing', billing: { permission_type: 'read_only' } });
    for (const route of billingRoutes) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const res = await h.call(method, route.path, { token: billing.bearer_token, json: {} });
        expect([res.status, res.body.error]).toEqual([405, 'method_not_allowed']);
        expect(res.headers.allow).toBe('GET, HEAD');
        const anonymous = await h.call(method, route.path, { json: {} });
        expect(anonymous.status).toBe(401);
      }
    }
    for (const path of ['/v1/billing/invoices/inv_1/pay', '/v1/billing/resource-eligibility', '/v1/billing/balance/top-up']) {
      const res = await h.call('POST', path, { token: billing.bearer_token, json: {} });
      expect([res.status, res.body.error]).toEqual([405, 'method_not_allowed']);
      const read = await h.call('GET', path, { token: billing.bearer_token });
      expect([read.status, read.body.error]).toEqual([404, 'not_found']);
    }
  });
});

describe('authentication', () => {
  it('answers 401 invalid_token for a missing, malformed, unknown or management token', async () => {
    const headers = [undefined, '', 'ibee_v4_AAAAAAAAAAAAAAAAAAAAAAAA', managementToken];
    for (const route of restRoutes) {
      for (const token of headers) {
        const res = await callRoute(route.method, route.path, token, 'some-bucket');
        expect([res.status, res.body.error], `${route.method} ${route.path}`).toEqual([401, 'invalid_token']);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="ibee", error="invalid_token"/);
        expect(contractProblems(route.method, route.path, res)).toEqual([]);
      }
    }
    const basic = await h.call('GET', bucketsPath, {});
    expect(basic.status).toBe(401);
  });

  it('refuses a revoked token on the very next request, on every route', async () => {
    const token = await h.createToken({ ...admin, billing: { permission_type: 'read_only' } });
    expect((await h.call('GET', bucketsPath, { token: token.bearer_token })).status).toBe(200);
    const revoke = await h.call('POST', `/v1/projects/1001/api-tokens/${token.id}/revoke`, { token: managementToken });
    expect(revoke.status).toBe(200);
    for (const route of restRoutes) {
      const res = await callRoute(route.method, route.path, token.bearer_token, 'any-bucket');
      expect([res.status, res.body.error, res.body.message]).toEqual([401, 'invalid_token', 'The API token has been revoked.']);
    }
  });

  it('refuses a token from the instant it expires, and not a millisecond before', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 365 }), async (days) => {
        const token = await h.createToken({ ...admin, expires_in_days: days });
        const remainingMs = Date.parse(token.expires_at) - h.clock.nowMs();
        h.clock.advance((remainingMs - 1) / 1000);
        expect((await h.call('GET', bucketsPath, { token: token.bearer_token })).status).toBe(200);
        h.clock.advance(0.001);
        const res = await h.call('GET', bucketsPath, { token: token.bearer_token });
        expect([res.status, res.body.message]).toEqual([401, 'The API token has expired.']);
        const read = await h.call('GET', `/v1/projects/1001/api-tokens/${token.id}`, { token: managementToken });
        expect(read.body.status).toBe('expired');
      }),
      { numRuns: 15 },
    );
  });

  it('answers unknown paths with 404 JSON', async () => {
    for (const path of ['/v1/nothing', '/v2/object-storage/buckets', '/', '/v1/billing']) {
      const res = await h.call('GET', path, {});
      expect([res.status, res.body.error]).toEqual([404, 'not_found']);
    }
    const badEncoding = await h.call('GET', '/v1/object-storage/buckets/%E0%A4%A', { token: 'x' });
    expect(badEncoding.status).toBeGreaterThanOrEqual(400);
    expect(badEncoding.status).toBeLessThan(500);
  });
});

describe('secrets', () => {
  it('no response after creation contains a secret or a bearer token', async () => {
    const start = h.transcript.length;
    const tokens = [
      await h.createToken({ ...admin, billing: { permission_type: 'read_only' } }),
      await levelToken('object_ro', ['photos']),
      await h.createToken({ name: 'billing', billing: { permission_type: 'read_only' } }),
    ];
    const creations = h.transcript.length;
    // Exercise every route, with every token, in every state.
    for (const state of ['active', 'revoked']) {
      for (const t of tokens) {
        for (const route of restRoutes) await callRoute(route.method, route.path, t.bearer_token, 'photos');
        await h.call('GET', '/v1/projects/1001/api-tokens', { token: managementToken });
        await h.call('GET', `/v1/projects/1001/api-tokens/${t.id}`, { token: managementToken });
        if (state === 'revoked') await h.call('POST', `/v1/projects/1001/api-tokens/${t.id}/revoke`, { token: managementToken });
      }
      if (state === 'active') for (const t of tokens) await h.call('POST', `/v1/projects/1001/api-tokens/${t.id}/revoke`, { token: managementToken });
    }
    expect(creations - start).toBe(3);
    const later = h.transcript.slice(creations);
    expect(later.length).toBeGreaterThan(40);
    for (const exchange of later) {
      const seen = exchange.text + JSON.stringify(exchange.headers);
      for (const t of tokens) {
        expect(seen).not.toContain(t.bearer_token);
        if (t.secret_access_key) expect(seen).not.toContain(t.secret_access_key);
      }
    }
  });
});
