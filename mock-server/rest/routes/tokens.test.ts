import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  accessKeyIdFormat,
  bearerTokenFormat,
  secretAccessKeyFormat,
  tokenExpiryDays,
  tokenNameLength,
} from '../../../spec/index.js';
import { contractProblems, createHarness, managementToken, type Harness } from '../test/harness.js';

/** Token management over HTTP (supertest): every route, every rule, and the one-time secret. */

const dayMs = 86_400_000;
const collection = '/v1/projects/{project_id}/api-tokens';
const item = '/v1/projects/{project_id}/api-tokens/{token_id}';
const revokePath = '/v1/projects/{project_id}/api-tokens/{token_id}/revoke';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ projectIds: ['1001', '2002'] });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.tokens.reset();
});

const tokensUrl = (projectId = '1001') => `/v1/projects/${projectId}/api-tokens`;
const storageAll = { permission_type: 'admin_rw', bucket_scope: 'all' } as const;

describe('POST /v1/projects/{project_id}/api-tokens', () => {
  it('creates a token with well-formed, unique credentials shown in the response', async () => {
    const res = await h.call('POST', tokensUrl(), {
      token: managementToken,
      json: { name: 'ci', description: 'for CI', expires_in_days: 30, object_storage: storageAll, billing: { permission_type: 'read_only' } },
    });
    expect(res.status).toBe(201);
    expect(contractProblems('POST', collection, res)).toEqual([]);
    expect(res.body.bearer_token).toMatch(bearerTokenFormat.value.pattern);
    expect(res.body.access_key_id).toMatch(accessKeyIdFormat.value.pattern);
    expect(res.body.secret_access_key).toMatch(secretAccessKeyFormat.value.pattern);
    expect(res.body.s3_endpoint).toBe(h.ctx.s3EndpointFor('1001'));
    expect(res.body).toMatchObject({
      name: 'ci',
      description: 'for CI',
      status: 'active',
      revoked_at: null,
      object_storage: { permission_type: 'admin_rw', bucket_scope: 'all', allowed_buckets: [] },
      billing: { permission_type: 'read_only' },
    });
    expect(Date.parse(res.body.expires_at) - Date.parse(res.body.created_at)).toBe(30 * dayMs);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('gives a Billing-only token a Bearer token only', async () => {
    const res = await h.call('POST', tokensUrl(), { token: managementToken, json: { name: 'billing', billing: { permission_type: 'read_only' } } });
    expect(res.status).toBe(201);
    expect(contractProblems('POST', collection, res)).toEqual([]);
    expect(res.body.access_key_id).toBeNull();
    expect(res.body).not.toHaveProperty('secret_access_key');
    expect(res.body.bearer_token).toMatch(bearerTokenFormat.value.pattern);
  });

  it(`expires ${tokenExpiryDays.value.default} days after creation by default`, async () => {
    const created = await h.createToken({ name: 'default-expiry', object_storage: storageAll });
    expect(Date.parse(created.expires_at) - Date.parse(created.created_at)).toBe(tokenExpiryDays.value.default * dayMs);
  });

  it('accepts every whole number of days in bounds, with expires_at = created_at + days', async () => {
    const { min, max } = tokenExpiryDays.value;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min, max }), async (days) => {
        const created = await h.createToken({ name: 'days', expires_in_days: days, billing: { permission_type: 'read_only' } });
        expect(Date.parse(created.expires_at) - Date.parse(created.created_at)).toBe(days * dayMs);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses (never clamps) an expiry outside whole days 1..365', async () => {
    const { min, max } = tokenExpiryDays.value;
    const outOfBounds = fc.oneof(
      fc.integer({ max: min - 1 }),
      fc.integer({ min: max + 1 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
      fc.string(),
      fc.constantFrom(null, true, [], {}, '30', 1e300, -0.5, min - 0.000001, max + 0.5),
    );
    await fc.assert(
      fc.asyncProperty(outOfBounds, async (days) => {
        const res = await h.call('POST', tokensUrl(), { token: managementToken, json: { name: 'x', expires_in_days: days, object_storage: storageAll } });
        expect(res.status).toBe(422);
        expect(res.body.error).toBe('invalid_expiry');
        expect(contractProblems('POST', collection, res)).toEqual([]);
      }),
      { numRuns: 60 },
    );
    expect(h.tokens.list('1001')).toEqual([]);
  });

  it('accepts names of 1..100 characters and refuses empty, blank or longer ones', async () => {
    const { min, max } = tokenNameLength.value;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'grapheme', minLength: 0, maxLength: max + 20 }), fc.stringMatching(/^[ \t]{1,5}$/)), async (name) => {
        const length = Array.from(name).length;
        const res = await h.call('POST', tokensUrl(), { token: managementToken, json: { name, billing: { permission_type: 'read_only' } } });
        if (length >= min && length <= max && name.trim() !== '') {
          expect(res.status).toBe(201);
          expect(res.body.name).toBe(name);
          const read = await h.call('GET', `${tokensUrl()}/${res.body.id}`, { token: managementToken });
          expect(read.body.name).toBe(name);
        } else {
          expect(res.status).toBe(422);
          expect(res.body.error).toBe('invalid_name');
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a request with no scope at all (scope_required)', async () => {
    for (const json of [{ name: 'n' }, { name: 'n', object_storage: null, billing: null }, { name: 'n', object_storage: null }]) {
      const res = await h.call('POST', tokensUrl(), { token: managementToken, json });
      expect(res.status).toBe(422);
      expect(res.body.error).toBe('scope_required');
      expect(contractProblems('POST', collection, res)).toEqual([]);
    }
  });

  it('refuses specific without buckets, all with buckets, bad or repeated bucket names', async () => {
    const cases: [unknown, string][] = [
      [{ permission_type: 'object_rw', bucket_scope: 'specific' }, 'invalid_bucket_scope'],
      [{ permission_type: 'object_rw', bucket_scope: 'specific', allowed_buckets: [] }, 'invalid_bucket_scope'],
      [{ permission_type: 'object_rw', bucket_scope: 'all', allowed_buckets: ['photos'] }, 'invalid_bucket_scope'],
      [{ permission_type: 'object_rw', bucket_scope: 'specific', allowed_buckets: ['My-Bucket'] }, 'invalid_bucket_name'],
      [{ permission_type: 'object_rw', bucket_scope: 'specific', allowed_buckets: ['ok-bucket', 'ok-bucket'] }, 'invalid_bucket_name'],
      [{ permission_type: 'object_rw', bucket_scope: 'specific', allowed_buckets: [7] }, 'invalid_bucket_name'],
      [{ permission_type: 'superuser', bucket_scope: 'all' }, 'validation_error'],
      [{ permission_type: 'admin_rw', bucket_scope: 'some' }, 'validation_error'],
      [{ permission_type: 'admin_rw' }, 'validation_error'],
      [{ permission_type: 'admin_rw', bucket_scope: 'all', region: 'x' }, 'unknown_field'],
      ['admin_rw', 'validation_error'],
    ];
    for (const [objectStorage, code] of cases) {
      const res = await h.call('POST', tokensUrl(), { token: managementToken, json: { name: 'n', object_storage: objectStorage } });
      expect({ objectStorage, status: res.status, error: res.body.error }).toEqual({ objectStorage, status: 422, error: code });
    }
    const billing = await h.call('POST', tokensUrl(), { token: managementToken, json: { name: 'n', billing: { permission_type: 'read_write' } } });
    expect([billing.status, billing.body.error]).toEqual([422, 'validation_error']);
  });

  it('refuses unknown fields at any level', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !['name', 'description', 'expires_in_days', 'object_storage', 'billing'].includes(k)),
        fc.jsonValue(),
        async (field, value) => {
          const res = await h.call('POST', tokensUrl(), { token: managementToken, json: { name: 'n', billing: { permission_type: 'read_only' }, [field]: value } });
          expect(res.status).toBe(422);
          expect(res.body.error).toBe('unknown_field');
        },
      ),
      { numRuns: 40 },
    );
  });

  it('accepts exactly the field combinations the contract allows (model)', async () => {
    // Each field is absent, valid, or invalid; the model predicts success or the set of acceptable error codes.
    type Field = { present: false } | { present: true; value: unknown; error?: string };
    const absent = fc.constant<Field>({ present: false });
    const field = (valid: fc.Arbitrary<unknown>, invalid: fc.Arbitrary<unknown>, error: string) =>
      fc.oneof(absent, valid.map((value): Field => ({ present: true, value })), invalid.map((value): Field => ({ present: true, value, error })));
    const bucketName = fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/);
    const objectStorage = fc.oneof(
      fc.record({ permission_type: fc.constantFrom('admin_rw', 'admin_ro', 'object_rw', 'object_ro'), bucket_scope: fc.constant('all') }),
      fc.record({
        permission_type: fc.constantFrom('admin_rw', 'admin_ro', 'object_rw', 'object_ro'),
        bucket_scope: fc.constant('specific'),
        allowed_buckets: fc.uniqueArray(bucketName, { minLength: 1, maxLength: 5 }),
      }),
    );
    const badObjectStorage = fc.oneof(
      fc.record({ permission_type: fc.constant('object_ro'), bucket_scope: fc.constant('specific'), allowed_buckets: fc.constant([]) }),
      fc.record({ permission_type: fc.constant('object_ro'), bucket_scope: fc.constant('all'), allowed_buckets: fc.uniqueArray(bucketName, { minLength: 1, maxLength: 3 }) }),
    );
    const request = fc.record({
      name: field(fc.string({ minLength: 1, maxLength: 100 }).filter((n) => n.trim() !== ''), fc.oneof(fc.constant(''), fc.constant('   '), fc.string({ minLength: 101, maxLength: 130 }), fc.integer()), 'invalid_name'),
      description: field(fc.oneof(fc.string({ maxLength: 500 }), fc.constant(null)), fc.oneof(fc.string({ minLength: 501, maxLength: 520 }), fc.boolean()), 'invalid_description'),
      expires_in_days: field(fc.integer({ min: 1, max: 365 }), fc.oneof(fc.integer({ min: 366 }), fc.integer({ max: 0 })), 'invalid_expiry'),
      object_storage: field(objectStorage, badObjectStorage, 'invalid_bucket_scope'),
      billing: field(fc.constant({ permission_type: 'read_only' }), fc.constant({ permission_type: 'admin' }), 'validation_error'),
    });
    await fc.assert(
      fc.asyncProperty(request, async (fields) => {
        const body: Record<string, unknown> = {};
        const errors = new Set<string>();
        for (const [key, f] of Object.entries(fields)) {
          if (!f.present) continue;
          body[key] = f.value;
          if (f.error) errors.add(f.error);
        }
        if (!fields.name.present) errors.add('invalid_name');
        const hasScope = [fields.object_storage, fields.billing].some((f) => f.present && f.value !== null);
        if (!hasScope) errors.add('scope_required');
        const res = await h.call('POST', tokensUrl(), { token: managementToken, json: body });
        expect(contractProblems('POST', collection, res)).toEqual([]);
        if (errors.size === 0) {
          expect(res.status).toBe(201);
        } else {
          expect(res.status).toBe(422);
          expect([...errors]).toContain(res.body.error);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('refuses lone surrogates in names and descriptions rather than altering them', async () => {
    for (const json of [{ name: 'a\ud800b' }, { name: 'ok', description: '\udc00' }]) {
      const res = await h.call('POST', tokensUrl(), { token: managementToken, json: { ...json, billing: { permission_type: 'read_only' } } });
      expect(res.status).toBe(422);
      expect(['invalid_name', 'invalid_description']).toContain(res.body.error);
    }
  });
});

describe('bad requests get 4xx JSON, never 500', () => {
  it('malformed JSON is 400 invalid_json', async () => {
    for (const raw of ['{', '{"name": }', 'nul', '"just a string"', '{"a":1}{']) {
      const res = await h.call('POST', tokensUrl(), { token: managementToken, raw, contentType: 'application/json' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_json');
      expect(contractProblems('POST', collection, res)).toEqual([]);
    }
  });

  it('a body that is not UTF-8 is 400 invalid_json, and creates nothing', async () => {
    // Bytes no UTF-8 text holds (a stray continuation byte, an overlong form, a lone surrogate, 0xFF), inside a name.
    const badBytes = fc.constantFrom([0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff], [0xe2, 0x82]);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 20 }), badBytes, async (prefix, bytes) => {
        const before = h.tokens.list(h.projectId).length;
        const name = Buffer.from(JSON.stringify(prefix).slice(1, -1));
        const raw = Buffer.concat([
          Buffer.from('{"name":"'),
          name,
          Buffer.from(bytes),
          Buffer.from('","object_storage":{"permission_type":"object_ro","bucket_scope":"all"}}'),
        ]);
        const res = await h.call('POST', tokensUrl(), { token: managementToken, raw, contentType: 'application/json' });
        expect(res.status).toBe(400);
        expect(res.body.error).toBe('invalid_json');
        expect(contractProblems('POST', collection, res)).toEqual([]);
        expect(h.tokens.list(h.projectId).length).toBe(before);
      }),
      { numRuns: 30 },
    );
  });

  it('another content type is 415', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await h.call('POST', tokensUrl(), { token: managementToken, raw: '{"name":"x"}', contentType });
      expect(res.status).toBe(415);
      expect(res.body.error).toBe('unsupported_media_type');
    }
    const latin1 = await h.call('POST', tokensUrl(), { token: managementToken, raw: '{"name":"x"}', contentType: 'application/json; charset=latin1' });
    expect(latin1.status).toBe(415);
  });

  it('a body over 64 KiB is 413', async () => {
    const res = await h.call('POST', tokensUrl(), { token: managementToken, json: { name: 'x'.repeat(70 * 1024), billing: { permission_type: 'read_only' } } });
    expect(res.status).toBe(413);
    expect(res.body.error).toBe('payload_too_large');
  });

  it('a JSON array, number or empty object is 422', async () => {
    for (const json of [[], [{ name: 'x' }], {}]) {
      const res = await h.call('POST', tokensUrl(), { token: managementToken, json });
      expect(res.status).toBe(422);
    }
    const noBody = await h.call('POST', tokensUrl(), { token: managementToken });
    expect(noBody.status).toBe(422);
  });

  it('arbitrary bodies and content types never cause a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b))),
        fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8', 'application/octet-stream'),
        async (raw, contentType) => {
          const res = await h.call('POST', tokensUrl(), { token: managementToken, raw, contentType });
          expect(res.status).toBeGreaterThanOrEqual(200);
          expect(res.status).toBeLessThan(500);
          expect(res.headers['content-type']).toMatch(/^application\/json/);
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('GET tokens, GET one token, revoke', () => {
  it('lists and reads tokens without any secret; revocation is permanent and idempotent', async () => {
    const a = await h.createToken({ name: 'a', object_storage: storageAll });
    const b = await h.createToken({ name: 'b', billing: { permission_type: 'read_only' } });
    const creationCount = h.transcript.length;

    const list = await h.call('GET', tokensUrl(), { token: managementToken });
    expect(list.status).toBe(200);
    expect(contractProblems('GET', collection, list)).toEqual([]);
    expect(list.body.tokens.map((t: { id: string }) => t.id)).toEqual([a.id, b.id]);

    const one = await h.call('GET', `${tokensUrl()}/${a.id}`, { token: managementToken });
    expect(one.status).toBe(200);
    expect(contractProblems('GET', item, one)).toEqual([]);
    expect(one.body.access_key_id).toBe(a.access_key_id);

    h.clock.advance(5);
    const revoked = await h.call('POST', `${tokensUrl()}/${a.id}/revoke`, { token: managementToken });
    expect(revoked.status).toBe(200);
    expect(contractProblems('POST', revokePath, revoked)).toEqual([]);
    expect(revoked.body.status).toBe('revoked');
    expect(revoked.body.revoked_at).toBe(h.clock.now().toISOString());

    h.clock.advance(5);
    const again = await h.call('POST', `${tokensUrl()}/${a.id}/revoke`, { token: managementToken, json: {} });
    expect(again.status).toBe(200);
    expect(again.body.revoked_at).toBe(revoked.body.revoked_at);

    h.clock.advance(400 * 86_400);
    const later = await h.call('GET', `${tokensUrl()}/${a.id}`, { token: managementToken });
    expect(later.body.status).toBe('revoked');
    const expired = await h.call('GET', `${tokensUrl()}/${b.id}`, { token: managementToken });
    expect(expired.body.status).toBe('expired');

    const bodyOnRevoke = await h.call('POST', `${tokensUrl()}/${b.id}/revoke`, { token: managementToken, json: { reason: 'x' } });
    expect([bodyOnRevoke.status, bodyOnRevoke.body.error]).toEqual([422, 'unknown_field']);

    for (const exchange of h.transcript.slice(creationCount)) {
      const seen = exchange.text + JSON.stringify(exchange.headers);
      for (const secret of [a.bearer_token, a.secret_access_key!, b.bearer_token]) expect(seen).not.toContain(secret);
    }
  });

  it('answers 404 for unknown tokens and projects, and keeps projects apart', async () => {
    const inOther = await h.createToken({ name: 'other', billing: { permission_type: 'read_only' } }, '2002');
    for (const [method, path] of [
      ['GET', `${tokensUrl()}/${inOther.id}`],
      ['POST', `${tokensUrl()}/${inOther.id}/revoke`],
      ['GET', `${tokensUrl()}/not-a-token`],
    ] as const) {
      const res = await h.call(method, path, { token: managementToken });
      expect([res.status, res.body.error]).toEqual([404, 'token_not_found']);
    }
    const list = await h.call('GET', tokensUrl('1001'), { token: managementToken });
    expect(list.body.tokens).toEqual([]);
    const unknownProject = await h.call('GET', tokensUrl('9999'), { token: managementToken });
    expect([unknownProject.status, unknownProject.body.error]).toEqual([404, 'project_not_found']);
    expect(contractProblems('GET', collection, unknownProject)).toEqual([]);
    expect((await h.call('GET', `${tokensUrl('2002')}/${inOther.id}`, { token: managementToken })).status).toBe(200);
  });

  it('needs the management token: 401 without or with an unknown one, 403 for an API token', async () => {
    const api = await h.createToken({ name: 'api', object_storage: storageAll });
    for (const [method, path] of [
      ['GET', tokensUrl()],
      ['POST', tokensUrl()],
      ['GET', `${tokensUrl()}/${api.id}`],
      ['POST', `${tokensUrl()}/${api.id}/revoke`],
    ] as const) {
      for (const token of [undefined, 'ibee_v4_unknownunknownunknown', `${managementToken}x`]) {
        const res = await h.call(method, path, { token, json: { name: 'x', billing: { permission_type: 'read_only' } } });
        expect([res.status, res.body.error]).toEqual([401, 'invalid_token']);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
      }
      const asApi = await h.call(method, path, { token: api.bearer_token, json: { name: 'x', billing: { permission_type: 'read_only' } } });
      expect([asApi.status, asApi.body.error]).toEqual([403, 'forbidden']);
    }
    expect(h.tokens.list('1001')).toHaveLength(1);
  });

  it('answers 405 for other methods on token paths', async () => {
    const res = await h.call('DELETE', tokensUrl(), { token: managementToken });
    expect([res.status, res.body.error]).toEqual([405, 'method_not_allowed']);
    expect(res.headers.allow).toBe('GET, POST, HEAD');
  });
});
