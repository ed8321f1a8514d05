import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OpenAPIV3_1 } from 'openapi-types';
import {
  defaultRetentionBounds,
  levelAllows,
  loadOpenApi,
  permissionTypes,
  restBucketRegions,
  restErrors,
  restRoutes,
  restScopes,
  type PermissionType,
  type RestRouteRule,
} from '../../spec/index.js';
import { schemaValidator } from './schemas.js';
import { contractProblems, createHarness, managementToken, putObject, type CreatedToken, type Harness, type Response } from './test/harness.js';

/**
 * IBEE's public REST API over HTTP (supertest): workspaces, buckets, S3 credentials and billing, each route allowed
 * exactly as spec's restRoutes and permission model say, and every answer checked against spec/openapi.yaml.
 */

let h: Harness;
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
});

const bucketsPath = '/v1/object-storage/buckets';
const bucketPath = '/v1/object-storage/buckets/{bucket_name}';
const credentialsPath = '/v1/object-storage/credentials';
const admin = { name: 'admin', object_storage: { permission_type: 'admin_rw', bucket_scope: 'all' } };

async function levelToken(level: PermissionType, buckets?: readonly string[], projectId?: string): Promise<CreatedToken> {
  const objectStorage = buckets
    ? { permission_type: level, bucket_scope: 'specific', allowed_buckets: buckets }
    : { permission_type: level, bucket_scope: 'all' };
  return h.createToken({ name: `${level}-token`, object_storage: objectStorage }, projectId);
}

function createBucket(token: string, name: string, extra: Record<string, unknown> = {}, workspace?: string): Promise<Response> {
  return h.call('POST', bucketsPath, { token, json: { name, region: 'in-south-1', ...extra }, ...(workspace ? { workspace } : {}) });
}

/** The body each route takes, as IBEE's clients send it. */
function bodyFor(route: RestRouteRule, bucket: string): unknown {
  if (route.method === 'POST' && route.path === bucketsPath) return { name: bucket, region: 'in-south-1' };
  if (route.method === 'PATCH') return { is_public: true };
  if (route.method === 'POST' && route.path === credentialsPath) return { name: 'ci key', permission_type: 'object_ro', bucket_scope: 'all', allowed_buckets: [] };
  if (route.path === '/v1/billing/resource-eligibility') return { sku_code: 'OBJECTST-STD' };
  return undefined;
}

/** Calls a route of spec's restRoutes, filling its path from `bucket` and `accessKeyId`. */
function callRoute(route: RestRouteRule, token: string | undefined, bucket: string, accessKeyId = 'AKIA0000000000000000', workspace?: string | null): Promise<Response> {
  const path = route.path.replace('{bucket_name}', encodeURIComponent(bucket)).replace('{access_key_id}', encodeURIComponent(accessKeyId));
  const json = bodyFor(route, bucket);
  return h.call(route.method, path, { token, ...(json === undefined ? {} : { json }), ...(workspace === undefined ? {} : { workspace }) });
}

function allowedTo(level: PermissionType, route: RestRouteRule): boolean {
  return route.grant.kind === 'object-storage' && levelAllows(level, route.grant.action);
}

describe('object storage routes follow the permission model', () => {
  const storageRoutes = restRoutes.filter((r) => r.grant.kind === 'object-storage');

  it('allows each route exactly to the levels its grant allows, naming IBEE\'s scope on 403', async () => {
    for (const level of permissionTypes) {
      for (const route of storageRoutes) {
        await h.storage.reset();
        h.tokens.reset();
        const adminToken = await h.createToken(admin);
        expect((await createBucket(adminToken.bearer_token, 'target-bucket')).status).toBe(201);
        const credential = await h.call('POST', credentialsPath, { token: adminToken.bearer_token, json: { permission_type: 'object_ro' } });
        expect(credential.status).toBe(201);
        const token = await levelToken(level);
        const res = await callRoute(route, token.bearer_token, route.path === bucketsPath && route.method === 'POST' ? 'new-bucket' : 'target-bucket', credential.body.access_key_id);
        const where = `${level} ${route.method} ${route.path}`;
        expect(contractProblems(route.method, route.path, res), where).toEqual([]);
        if (allowedTo(level, route)) expect(res.status, `${where}: ${res.text}`).toBeLessThan(300);
        else expect([res.status, res.body.error, res.body.required_scope], where).toEqual([403, 'insufficient_scope', route.requiredScope]);
      }
    }
  });

  it('checks the scope before the body: a token without it gets 403 whatever it sent', async () => {
    const reader = await levelToken('admin_ro');
    for (const body of [{ name: 'x', region: 'nowhere', unknown: 1 }, 'not json', {}]) {
      const res = await h.call('POST', bucketsPath, { token: reader.bearer_token, ...(typeof body === 'string' ? { raw: body, contentType: 'application/json' } : { json: body }) });
      expect([res.status, res.body.error, res.body.required_scope]).toEqual([403, 'insufficient_scope', 'object-storage.write']);
    }
  });

  it('refuses out-of-scope buckets with the same 403 whether they exist or not', async () => {
    const adminToken = await h.createToken(admin);
    for (const name of ['mine', 'theirs']) expect((await createBucket(adminToken.bearer_token, name)).status).toBe(201);
    for (const level of permissionTypes) {
      const scoped = await levelToken(level, ['mine']);
      for (const route of restRoutes.filter((r) => r.bucketScoped)) {
        const existing = await callRoute(route, scoped.bearer_token, 'theirs');
        const missing = await callRoute(route, scoped.bearer_token, 'nowhere');
        expect(existing.status).toBe(403);
        expect(existing.body).toEqual(missing.body);
        expect(existing.body.required_scope).toBe(route.requiredScope);
      }
    }
    expect(h.storage.listBuckets('1001').map((b) => b.name)).toEqual(['mine', 'theirs']);
  });
});

describe('workspaces', () => {
  it('requires exactly one workspace_id, the token\'s own, on every public route', async () => {
    const token = await h.createToken({ ...admin, billing: { permission_type: 'read_only' } });
    for (const route of restRoutes) {
      const cases: [string | null, number, string][] = [
        [null, 400, 'workspace_id_required'],
        ['', 400, 'invalid_workspace_id'],
        ['0', 400, 'invalid_workspace_id'],
        ['01001', 400, 'invalid_workspace_id'],
        ['abc', 400, 'invalid_workspace_id'],
        ['1001&workspace_id=1001', 400, 'invalid_workspace_id'],
        ['2002', 403, 'workspace_not_allowed'],
        ['999999', 403, 'workspace_not_allowed'],
      ];
      for (const [workspace, status, error] of cases) {
        const path = route.path.replace('{bucket_name}', 'some-bucket').replace('{access_key_id}', 'AKIA0000000000000000');
        const url = workspace === null ? path : `${path}?workspace_id=${workspace}`;
        const res = await h.call(route.method, url, { token: token.bearer_token, workspace: null, ...(route.method === 'GET' ? {} : { json: bodyFor(route, 'some-bucket') ?? {} }) });
        expect([res.status, res.body.error], `${route.method} ${url}`).toEqual([status, error]);
        expect(contractProblems(route.method, route.path, res), `${route.method} ${url}`).toEqual([]);
      }
    }
    expect(h.storage.listBuckets('1001')).toEqual([]);
    expect(h.storage.listBuckets('2002')).toEqual([]);
  });

  it('checks in one order: token, workspace, scope, body, billing', async () => {
    const reader = await levelToken('object_ro');
    const writer = await h.createToken(admin);
    // Unknown token and no workspace: the token wins.
    expect((await h.call('POST', bucketsPath, { token: 'ibee_v4_unknownunknownunknown', workspace: null, raw: '{', contentType: 'application/json' })).status).toBe(401);
    // Known token, wrong workspace, no scope, bad body: the workspace wins.
    expect((await h.call('POST', bucketsPath, { token: reader.bearer_token, workspace: '2002', raw: '{', contentType: 'application/json' })).body.error).toBe('workspace_not_allowed');
    // Right workspace, no scope, bad body: the scope.
    expect((await h.call('POST', bucketsPath, { token: reader.bearer_token, raw: '{', contentType: 'application/json' })).body.error).toBe('insufficient_scope');
    // Scope, bad body, billing closed: the body.
    await h.call('POST', '/_mock/billing', { token: managementToken, json: { workspace_id: '1001', allowed: false } });
    expect((await h.call('POST', bucketsPath, { token: writer.bearer_token, raw: '{', contentType: 'application/json' })).body.error).toBe('invalid_json');
    expect((await createBucket(writer.bearer_token, 'fine-name', { region: 'us-east-1' })).body.error).toBe('invalid_region');
    // A good body meets the billing wall.
    expect((await createBucket(writer.bearer_token, 'fine-name')).status).toBe(402);
  });

  it('shows nothing of another workspace', async () => {
    const mine = await h.createToken(admin);
    const theirs = await levelToken('admin_rw', undefined, '2002');
    expect((await createBucket(theirs.bearer_token, 'their-bucket', {}, '2002')).status).toBe(201);
    const theirKey = await h.call('POST', credentialsPath, { token: theirs.bearer_token, workspace: '2002', json: { permission_type: 'admin_ro' } });
    expect(theirKey.status).toBe(201);
    const list = await h.call('GET', bucketsPath, { token: mine.bearer_token });
    expect(list.body.buckets).toEqual([]);
    expect((await h.call('GET', '/v1/object-storage/buckets/their-bucket', { token: mine.bearer_token })).status).toBe(404);
    expect((await h.call('GET', credentialsPath, { token: mine.bearer_token })).body.credentials).toEqual([]);
    for (const method of ['GET', 'DELETE']) {
      expect((await h.call(method, `${credentialsPath}/${theirKey.body.access_key_id}`, { token: mine.bearer_token })).status).toBe(404);
    }
    expect((await h.call('POST', `${credentialsPath}/${theirKey.body.access_key_id}/revoke`, { token: mine.bearer_token })).status).toBe(404);
    expect(h.tokens.credentials.get('2002', theirKey.body.access_key_id)?.revokedAt).toBeNull();
  });
});

describe('buckets', () => {
  it('creates, reads, updates and deletes a bucket with every field IBEE\'s clients require', async () => {
    const token = await h.createToken(admin);
    const created = await createBucket(token.bearer_token, 'photos', { is_public: false, tags: ['production', 'production'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'photos', region: 'in-south-1', is_public: false, bucket_lock_enabled: false, object_count: 0, total_size: 0, status: 'active' });
    expect(contractProblems('POST', bucketsPath, created)).toEqual([]);
    expect(h.storage.findBucket('photos')?.tags).toEqual(['production']);

    const again = await createBucket(token.bearer_token, 'photos');
    expect([again.status, again.body.error]).toEqual([409, 'bucket_already_owned_by_you']);
    const otherProject = await levelToken('admin_rw', undefined, '2002');
    const taken = await createBucket(otherProject.bearer_token, 'photos', {}, '2002');
    expect([taken.status, taken.body.error]).toEqual([409, 'bucket_already_exists']);

    await putObject(h.storage, 'photos', 'a.jpg', Buffer.from('jpeg bytes'));
    const detail = await h.call('GET', '/v1/object-storage/buckets/photos', { token: token.bearer_token });
    expect(detail.body).toMatchObject({ name: 'photos', object_count: 1, total_size: 10 });
    expect(contractProblems('GET', bucketPath, detail)).toEqual([]);

    h.clock.advance(5);
    const patched = await h.call('PATCH', '/v1/object-storage/buckets/photos', { token: token.bearer_token, json: { is_public: true } });
    expect(patched.body).toMatchObject({ is_public: true });
    expect(Date.parse(patched.body.updated_at)).toBeGreaterThan(Date.parse(patched.body.created_at));
    expect(contractProblems('PATCH', bucketPath, patched)).toEqual([]);
    const badPatch = await h.call('PATCH', '/v1/object-storage/buckets/photos', { token: token.bearer_token, json: { region: 'in-south-2' } });
    expect([badPatch.status, badPatch.body.error]).toEqual([422, 'unknown_field']);

    const notEmpty = await h.call('DELETE', '/v1/object-storage/buckets/photos', { token: token.bearer_token });
    expect([notEmpty.status, notEmpty.body.error]).toEqual([409, 'bucket_not_empty']);
    await h.storage.deleteObject('photos', 'a.jpg');
    const deleted = await h.call('DELETE', '/v1/object-storage/buckets/photos', { token: token.bearer_token });
    expect([deleted.status, deleted.body]).toEqual([200, { detail: 'Bucket deleted', deleted: true, id: 'photos' }]);
    expect(contractProblems('DELETE', bucketPath, deleted)).toEqual([]);
    for (const method of ['GET', 'DELETE']) {
      const gone = await h.call(method, '/v1/object-storage/buckets/photos', { token: token.bearer_token });
      expect([gone.status, gone.body.error]).toEqual([404, 'bucket_not_found']);
    }
  });

  it('keeps Object Lock and its default retention, and never deletes a locked bucket', async () => {
    const token = await h.createToken(admin);
    const full = { is_public: false, object_lock_enabled: true, default_retention: { mode: 'GOVERNANCE', days: 30 }, tags: ['production'] };
    const created = await createBucket(token.bearer_token, 'vault', full);
    expect(created.body).toMatchObject({ bucket_lock_enabled: true, default_retention: { mode: 'GOVERNANCE', days: 30 } });
    const refused = await h.call('DELETE', '/v1/object-storage/buckets/vault', { token: token.bearer_token });
    expect([refused.status, refused.body.error]).toEqual([409, 'bucket_object_lock']);
    expect(h.storage.findBucket('vault')).toBeDefined();
  });

  it('refuses bodies that break the clients\' rules with a named 422 and stores nothing', async () => {
    const token = await h.createToken(admin);
    const cases: [Record<string, unknown>, string][] = [
      [{ region: 'us-east-1' }, 'invalid_region'],
      [{ region: undefined }, 'invalid_region'],
      [{ object_lock_enabled: false, default_retention: { mode: 'GOVERNANCE', days: 1 } }, 'invalid_default_retention'],
      [{ default_retention: { mode: 'GOVERNANCE' } }, 'invalid_default_retention'],
      [{ default_retention: { mode: 'GOVERNANCE', days: 1, years: 1 } }, 'invalid_default_retention'],
      [{ default_retention: { mode: 'LEGAL', days: 1 } }, 'invalid_default_retention'],
      [{ default_retention: { mode: 'COMPLIANCE', days: 36_501 } }, 'invalid_default_retention'],
      [{ default_retention: { mode: 'COMPLIANCE', years: 0 } }, 'invalid_default_retention'],
      [{ is_public: 'yes' }, 'validation_error'],
      [{ site_id: 'x' }, 'unknown_field'],
    ];
    for (const [extra, error] of cases) {
      const res = await createBucket(token.bearer_token, 'fine-name', extra);
      expect([res.status, res.body.error], JSON.stringify(extra)).toEqual([422, error]);
    }
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^[a-zA-Z0-9._-]{0,70}$/)).filter((n) => !/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(n)),
        async (name) => {
          const res = await createBucket(token.bearer_token, name);
          expect([res.status, res.body.error]).toEqual([422, 'invalid_bucket_name']);
        },
      ),
      { numRuns: 60 },
    );
    expect(h.storage.listBuckets('1001')).toEqual([]);
  });

  it('pages the list: every bucket once, in order, whatever the limit', async () => {
    const token = await h.createToken(admin);
    const names = Array.from({ length: 23 }, (_, i) => `bucket-${String(i).padStart(2, '0')}`);
    for (const name of names) expect((await createBucket(token.bearer_token, name)).status).toBe(201);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 30 }), async (limit) => {
        const seen: string[] = [];
        let next: string | null = null;
        for (let page = 0; page < 30; page++) {
          const query: string = `?limit=${limit}${next === null ? '' : `&continuation_token=${encodeURIComponent(next)}`}`;
          const res = await h.call('GET', `${bucketsPath}${query}`, { token: token.bearer_token });
          expect(contractProblems('GET', bucketsPath, res)).toEqual([]);
          expect(res.body.buckets.length).toBeLessThanOrEqual(limit);
          seen.push(...res.body.buckets.map((b: { name: string }) => b.name));
          expect(res.body.is_truncated).toBe(res.body.next_continuation_token !== undefined);
          if (!res.body.is_truncated) break;
          expect(res.body.next_continuation_token).not.toBe(next);
          next = res.body.next_continuation_token;
        }
        expect(seen).toEqual(names);
      }),
      { numRuns: 12 },
    );
    const defaultPage = await h.call('GET', bucketsPath, { token: token.bearer_token });
    expect([defaultPage.body.buckets.length, defaultPage.body.is_truncated]).toEqual([23, false]);
    for (const limit of ['0', '1001', '-1', '1.5', 'ten', '']) {
      const res = await h.call('GET', `${bucketsPath}?limit=${limit}`, { token: token.bearer_token });
      expect([res.status, res.body.error], limit).toEqual([422, 'validation_error']);
    }
    for (const bad of ['', '%20', 'not-a-token', 'YWZ0ZXI6']) {
      const res = await h.call('GET', `${bucketsPath}?continuation_token=${bad}`, { token: token.bearer_token });
      expect([res.status, res.body.error], bad).toEqual([400, 'invalid_continuation_token']);
    }
  });

  it('lists only the buckets of the token\'s bucket scope; an all-buckets token covers buckets made later', async () => {
    const adminToken = await h.createToken(admin);
    const reader = await levelToken('object_ro');
    for (const name of ['alpha', 'beta', 'gamma']) await createBucket(adminToken.bearer_token, name);
    const scoped = await levelToken('admin_ro', ['beta', 'not-yet']);
    const list = await h.call('GET', bucketsPath, { token: scoped.bearer_token });
    expect(list.body.buckets.map((b: { name: string }) => b.name)).toEqual(['beta']);
    expect((await h.call('GET', '/v1/object-storage/buckets/gamma', { token: reader.bearer_token })).status).toBe(200);
  });
});

describe('authentication', () => {
  it('answers 401 invalid_token for a missing, unknown or management token, before anything else', async () => {
    for (const route of restRoutes) {
      for (const token of [undefined, '', 'ibee_v4_AAAAAAAAAAAAAAAAAAAAAAAA', managementToken]) {
        const res = await callRoute(route, token, 'some-bucket', undefined, null);
        expect([res.status, res.body.error], `${route.method} ${route.path}`).toEqual([401, 'invalid_token']);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="ibee", error="invalid_token"/);
        expect(contractProblems(route.method, route.path, res)).toEqual([]);
      }
    }
  });

  it('answers 403 key_revoked to a revoked token on the very next request, on every route', async () => {
    const token = await h.createToken({ ...admin, billing: { permission_type: 'read_only' } });
    expect((await h.call('GET', bucketsPath, { token: token.bearer_token })).status).toBe(200);
    expect((await h.call('POST', `/v1/projects/1001/api-tokens/${token.id}/revoke`, { token: managementToken })).status).toBe(200);
    for (const route of restRoutes) {
      const res = await callRoute(route, token.bearer_token, 'any-bucket');
      expect([res.status, res.body.error, res.body.message]).toEqual([403, 'key_revoked', 'The API token has been revoked.']);
      expect(contractProblems(route.method, route.path, res)).toEqual([]);
    }
  });

  it('answers 403 key_expired from the instant a token expires, and not a millisecond before', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 365 }), async (days) => {
        const token = await h.createToken({ ...admin, expires_in_days: days });
        const remainingMs = Date.parse(token.expires_at) - h.clock.nowMs();
        h.clock.advance((remainingMs - 1) / 1000);
        expect((await h.call('GET', bucketsPath, { token: token.bearer_token })).status).toBe(200);
        h.clock.advance(0.001);
        const res = await h.call('GET', bucketsPath, { token: token.bearer_token });
        expect([res.status, res.body.error]).toEqual([403, 'key_expired']);
      }),
      { numRuns: 15 },
    );
  });

  it('answers unknown paths with 404 JSON, and billing writes with 405', async () => {
    for (const path of ['/v1/nothing', '/v2/object-storage/buckets', '/', '/v1/billing']) {
      const res = await h.call('GET', path, {});
      expect([res.status, res.body.error]).toEqual([404, 'not_found']);
    }
    const billing = await h.createToken({ name: 'billing', billing: { permission_type: 'read_only' } });
    for (const path of ['/v1/billing/invoices', '/v1/billing/invoices/inv_1/pay', '/v1/billing/balance/top-up']) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const res = await h.call(method, path, { token: billing.bearer_token, json: {} });
        expect([res.status, res.body.error], `${method} ${path}`).toEqual([405, 'method_not_allowed']);
      }
    }
    const badEncoding = await h.call('GET', '/v1/object-storage/buckets/%E0%A4%A', { token: 'x' });
    expect(badEncoding.status).toBeGreaterThanOrEqual(400);
    expect(badEncoding.status).toBeLessThan(500);
  });
});

describe('secrets', () => {
  it('no response after creation contains a secret or a bearer token', async () => {
    const tokens = [
      await h.createToken({ ...admin, billing: { permission_type: 'read_only' } }),
      await levelToken('object_ro', ['photos']),
      await h.createToken({ name: 'billing', billing: { permission_type: 'read_only' } }),
    ];
    const credential = await h.call('POST', credentialsPath, { token: tokens[0]!.bearer_token, json: { permission_type: 'object_rw' } });
    const secrets = [...tokens.flatMap((t) => [t.bearer_token, t.secret_access_key ?? '']), credential.body.secret_access_key as string].filter(Boolean);
    const creations = h.transcript.length;
    for (const state of ['active', 'revoked']) {
      for (const t of tokens) {
        for (const route of restRoutes) await callRoute(route, t.bearer_token, 'photos', credential.body.access_key_id);
        await h.call('GET', '/v1/projects/1001/api-tokens', { token: managementToken });
      }
      if (state === 'active') for (const t of tokens) await h.call('POST', `/v1/projects/1001/api-tokens/${t.id}/revoke`, { token: managementToken });
    }
    const later = h.transcript.slice(creations);
    expect(later.length).toBeGreaterThan(40);
    for (const exchange of later) {
      const seen = exchange.text + JSON.stringify(exchange.headers);
      for (const secret of secrets) expect(seen).not.toContain(secret);
    }
  });
});

describe('any input to the public routes', () => {
  const publicErrors = new Map<string, number>(restErrors.filter((e) => !('mockOnly' in e && e.mockOnly)).map((e) => [e.error, e.status]));
  const errorFields = new Set(['error', 'message', 'required_scope', 'billing_reason', 'billing_sku_code', 'admission_context_id']);
  const paths = loadOpenApi().paths as Record<string, Record<string, OpenAPIV3_1.OperationObject | undefined>>;

  /** What is wrong with an answer to anything a client can send: a 5xx, an error body outside spec, a contract breach. */
  function answerProblems(method: string, route: RestRouteRule, res: Response): string[] {
    if (res.status >= 500) return [`status ${res.status}: ${res.text.slice(0, 300)}`];
    const problems: string[] = [];
    if (res.status >= 400) {
      if (!/^application\/json/.test(res.headers['content-type'] ?? '')) return [`${res.status} is not JSON: ${res.text.slice(0, 200)}`];
      const body = res.body as Record<string, unknown>;
      const extra = Object.keys(body).filter((k) => !errorFields.has(k));
      if (extra.length > 0) problems.push(`error body has ${extra.join(', ')}`);
      if (typeof body.message !== 'string') problems.push('error body has no message');
      const status = publicErrors.get(body.error as string);
      if (status === undefined) problems.push(`error ${JSON.stringify(body.error)} is not a public code of spec's restErrors`);
      else if (status !== res.status) problems.push(`${body.error} answered with ${res.status}, spec says ${status}`);
      if (body.required_scope !== undefined && !(restScopes as readonly unknown[]).includes(body.required_scope)) problems.push(`required_scope ${JSON.stringify(body.required_scope)}`);
    }
    if (paths[route.path]?.[method.toLowerCase()]) problems.push(...contractProblems(method, route.path, res));
    else if (res.status >= 400 && !schemaValidator('Error')(res.body)) problems.push('the error body is not an Error');
    return problems;
  }

  const anyJson = fc.jsonValue({ maxDepth: 3 });
  /** Mostly `usual`, sometimes anything of `odd`: most requests get past the early checks to the handler. */
  const mostly = <T, U>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<U>) => fc.oneof({ weight: 5, arbitrary: usual }, { weight: 1, arbitrary: odd });
  const validName = fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/);
  const bucketName = fc.oneof(fc.constantFrom('fuzz-bucket', 'fuzz-locked', 'nowhere-bucket'), validName, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 70 }));
  const { days, years } = defaultRetentionBounds.value;
  const retention = fc.oneof(
    fc.constant(null),
    fc.record(
      {
        mode: mostly(fc.constantFrom(...defaultRetentionBounds.value.modes), fc.string({ maxLength: 12 })),
        days: mostly(fc.integer({ min: days.min - 2, max: days.max + 2 }), fc.oneof(fc.double(), anyJson)),
        years: mostly(fc.integer({ min: years.min - 2, max: years.max + 2 }), anyJson),
      },
      { requiredKeys: [] },
    ),
    anyJson,
  );
  const bucketBody = fc.record(
    {
      name: mostly(validName, fc.oneof(bucketName, anyJson)),
      region: mostly(fc.constantFrom(...restBucketRegions.value.regions), fc.oneof(fc.string({ maxLength: 20 }), anyJson)),
      is_public: mostly(fc.boolean(), anyJson),
      object_lock_enabled: mostly(fc.boolean(), anyJson),
      default_retention: retention,
      tags: mostly(fc.array(fc.string({ maxLength: 140 }), { maxLength: 60 }), anyJson),
    },
    { requiredKeys: ['name', 'region'] },
  );
  const credentialBody = fc.record(
    {
      name: mostly(fc.string({ unit: 'grapheme', maxLength: 120 }), anyJson),
      permission_type: mostly(fc.constantFrom(...permissionTypes), fc.string({ maxLength: 12 })),
      bucket_scope: mostly(fc.constantFrom('all', 'specific'), fc.string({ maxLength: 12 })),
      allowed_buckets: mostly(fc.array(fc.oneof(fc.constant('fuzz-bucket'), bucketName), { maxLength: 4 }), anyJson),
    },
    { requiredKeys: ['permission_type'] },
  );
  const eligibilityBody = fc.record(
    {
      sku_code: mostly(fc.constantFrom('OBJECTST-STD', ' objectst-std '), fc.oneof(fc.string({ maxLength: 80 }), anyJson)),
      estimated_cost_minor: mostly(fc.nat(), fc.oneof(fc.integer(), fc.double(), anyJson)),
      operation: mostly(fc.constantFrom('CREATE_RESOURCE', 'DELETE_RESOURCE'), fc.string({ maxLength: 20 })),
    },
    { requiredKeys: [] },
  );
  type Body = { kind: 'none' } | { kind: 'json'; json: unknown } | { kind: 'raw'; raw: string; contentType: string };
  const json = (arbitrary: fc.Arbitrary<unknown>) => arbitrary.map((value): Body => ({ kind: 'json', json: value }));
  /** The body IBEE's clients send to this route, mostly; anything else sometimes. */
  function bodyFor(route: RestRouteRule): fc.Arbitrary<Body> {
    const usual =
      route.path === bucketsPath && route.method === 'POST'
        ? json(bucketBody)
        : route.method === 'PATCH'
          ? json(fc.record({ is_public: mostly(fc.boolean(), anyJson) }, { requiredKeys: [] }))
          : route.path === credentialsPath && route.method === 'POST'
            ? json(credentialBody)
            : route.path === '/v1/billing/resource-eligibility'
              ? json(eligibilityBody)
              : fc.constant<Body>({ kind: 'none' });
    const odd = fc.oneof(
      fc.constant<Body>({ kind: 'none' }),
      json(fc.oneof(bucketBody, credentialBody, eligibilityBody, anyJson)),
      fc
        .record({ raw: fc.string({ maxLength: 60 }), contentType: fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded') })
        .map((r): Body => ({ kind: 'raw', ...r })),
    );
    return mostly(usual, odd);
  }
  const maybe = <T,>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined, freq: 3 });
  const query = fc.record({
    workspace: mostly(fc.constant<readonly string[]>(['1001']), fc.constantFrom<readonly string[]>([], ['2002'], ['1001', '1001'], [''], ['0'], ['01001'], ['abc'], ['99999999999999999999'])),
    limit: maybe(mostly(fc.integer({ min: -5, max: 1500 }).map(String), fc.string({ maxLength: 30 }))),
    continuationToken: maybe(mostly(fc.constantFrom('YWZ0ZXI6ZnV6ei1idWNrZXQ', 'YWZ0ZXI6', '%20', ' '), fc.string({ maxLength: 30 }))),
    extra: fc.dictionary(fc.stringMatching(/^[a-z_]{1,12}$/), fc.string({ maxLength: 20 }), { maxKeys: 2 }),
    raw: mostly(fc.constant(''), fc.stringMatching(/^[A-Za-z0-9%&=+._~-]{1,30}$/)),
  });

  it('never answers 500; every error is JSON with a code of spec\'s restErrors; every answer validates against openapi.yaml', async () => {
    const writer = await h.createToken({ ...admin, billing: { permission_type: 'read_only' } });
    const scoped = await levelToken('object_ro', ['fuzz-bucket']);
    const billingOnly = await h.createToken({ name: 'billing', billing: { permission_type: 'read_only' } });
    const revoked = await h.createToken(admin);
    expect((await h.call('POST', `/v1/projects/1001/api-tokens/${revoked.id}/revoke`, { token: managementToken })).status).toBe(200);
    expect((await createBucket(writer.bearer_token, 'fuzz-bucket')).status).toBe(201);
    expect((await createBucket(writer.bearer_token, 'fuzz-locked', { object_lock_enabled: true })).status).toBe(201);
    await putObject(h.storage, 'fuzz-bucket', 'a.txt', Buffer.from('a'));
    const key = await h.call('POST', credentialsPath, { token: writer.bearer_token, json: { permission_type: 'object_ro' } });
    expect(key.status).toBe(201);
    const bearer = mostly(
      fc.constant(writer.bearer_token),
      fc.oneof(fc.constantFrom(scoped.bearer_token, billingOnly.bearer_token, revoked.bearer_token, managementToken, undefined), fc.string({ maxLength: 60 })),
    );
    const accessKeyId = mostly(fc.constant(key.body.access_key_id as string), fc.oneof(fc.stringMatching(/^AKIA[0-9A-F]{16}$/), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })));
    const request = fc.constantFrom(...restRoutes).chain((route) =>
      fc.record({ route: fc.constant(route), method: mostly(fc.constant(route.method), fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE')), body: bodyFor(route) }),
    );

    await fc.assert(
      fc.asyncProperty(
        request,
        bucketName.filter((n) => n !== '.' && n !== '..'),
        accessKeyId.filter((n) => n !== '.' && n !== '..'),
        query,
        bearer,
        mostly(fc.constant(true), fc.constant(false)),
        async ({ route, method: verb, body: sent }, bucket, accessKey, q, token, billingOpen) => {
          await h.call('POST', '/_mock/billing', { token: managementToken, json: { workspace_id: '1001', allowed: billingOpen, ...(billingOpen ? {} : { reason: 'insufficient_balance' }) } });
          const params = new URLSearchParams();
          for (const w of q.workspace) params.append('workspace_id', w);
          if (q.limit !== undefined) params.append('limit', q.limit);
          if (q.continuationToken !== undefined) params.append('continuation_token', q.continuationToken);
          for (const [name, value] of Object.entries(q.extra)) params.append(name, value);
          const search = [params.toString(), q.raw].filter(Boolean).join('&');
          const path = route.path.replace('{bucket_name}', encodeURIComponent(bucket)).replace('{access_key_id}', encodeURIComponent(accessKey));
          const res = await h.call(verb, search ? `${path}?${search}` : path, {
            token,
            workspace: null,
            ...(sent.kind === 'json' ? { json: sent.json } : sent.kind === 'raw' ? { raw: sent.raw, contentType: sent.contentType } : {}),
          });
          expect(answerProblems(verb, route, res), `${verb} ${path}?${search} ${JSON.stringify(sent)}`).toEqual([]);
        },
      ),
      { numRuns: 400 },
    );
  });
});
