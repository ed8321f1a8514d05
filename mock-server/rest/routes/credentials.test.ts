import { DeleteObjectCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAllowed, permissionTypes, s3SigningRegion, type PermissionType } from '../../../spec/index.js';
import { createMockServer, type MockServer } from '../../app.js';
import { createLogger } from '../../logger.js';
import { withWorkspace } from '../../reliability/test/http.js';

/**
 * S3 credentials over IBEE's public API, against a running mock: the body rules of IBEE's clients, one-time
 * secrets, revoke versus delete, and the keys on S3 under the same permission matrix and bucket scope as a portal
 * token's, refused from the very next request once revoked or deleted.
 */

const managementToken = 'credentials-test-management-token';
let server: MockServer;
let admin: string;
let adminKey: { access_key_id: string; secret_access_key: string } | undefined;

async function api(method: string, path: string, token: string, json?: unknown, workspace: string | null = server.projectId) {
  const res = await fetch(`${server.apiUrl}${withWorkspace(path, workspace)}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any, text };
}

async function apiToken(objectStorage: Record<string, unknown>): Promise<string> {
  const res = await api('POST', `/v1/projects/${server.projectId}/api-tokens`, managementToken, { name: 't', object_storage: objectStorage });
  expect(res.status).toBe(201);
  return res.body.bearer_token as string;
}

function s3(credential: { access_key_id: string; secret_access_key: string }): S3Client {
  return new S3Client({
    endpoint: server.s3Endpoint,
    region: s3SigningRegion.value.default,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: credential.access_key_id, secretAccessKey: credential.secret_access_key },
  });
}

async function status(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  }
}

beforeAll(async () => {
  server = await createMockServer({ managementToken, logger: createLogger({ level: 'silent' }) });
  admin = await apiToken({ permission_type: 'admin_rw', bucket_scope: 'all' });
  adminKey = (await api('POST', '/v1/object-storage/credentials', admin, { name: 'admin key', permission_type: 'admin_rw', bucket_scope: 'all', allowed_buckets: [] })).body;
  for (const name of ['cred-inside', 'cred-outside']) expect((await api('POST', '/v1/object-storage/buckets', admin, { name, region: 'in-south-1' })).status).toBe(201);
  for (const bucket of ['cred-inside', 'cred-outside']) {
    expect((await status(s3Admin().send(new PutObjectCommand({ Bucket: bucket, Key: 'seed', Body: 'seed' }))))).toBe(200);
  }
});
afterAll(async () => {
  await server.close();
});

function s3Admin(): S3Client {
  return s3(adminKey!);
}

describe('creating credentials', () => {
  it('answers 201 with every field IBEE\'s clients require, and the secret this once', async () => {
    const res = await api('POST', '/v1/object-storage/credentials', admin, { name: '  Default Key  ', permission_type: 'admin_rw', bucket_scope: 'all', allowed_buckets: [] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Default Key',
      status: 'active',
      last_used_at: null,
      organization_id: server.organizationId,
      workspace_id: server.projectId,
      permission_type: 'admin_rw',
      bucket_scope: 'all',
      allowed_buckets: [],
    });
    expect(res.body.access_key_id).toMatch(/^AKIA[0-9A-F]{16}$/);
    expect(res.body.secret_access_key).toMatch(/^[A-Za-z0-9]{40}$/);
    const listed = await api('GET', '/v1/object-storage/credentials', admin);
    expect(listed.body.credentials[0].access_key_id).toBe(res.body.access_key_id);
    const read = await api('GET', `/v1/object-storage/credentials/${res.body.access_key_id}`, admin);
    expect(read.body).toEqual(listed.body.credentials[0]);
    for (const later of [listed.text, read.text]) expect(later).not.toContain(res.body.secret_access_key);
  });

  it('follows the clients\' body rules, storing nothing it refuses', async () => {
    const before = (await api('GET', '/v1/object-storage/credentials', admin)).body.credentials.length;
    const cases: [Record<string, unknown>, number, string][] = [
      [{ name: 'x' }, 422, 'validation_error'],
      [{ permission_type: 'superuser' }, 422, 'validation_error'],
      [{ permission_type: 'admin_ro', bucket_scope: 'specific', allowed_buckets: ['cred-inside'] }, 422, 'invalid_bucket_scope'],
      [{ permission_type: 'object_ro', bucket_scope: 'specific', allowed_buckets: [] }, 422, 'invalid_allowed_buckets'],
      [{ permission_type: 'object_ro', bucket_scope: 'all', allowed_buckets: ['cred-inside'] }, 422, 'invalid_allowed_buckets'],
      [{ permission_type: 'object_ro', bucket_scope: 'specific', allowed_buckets: ['Not_A_Bucket'] }, 422, 'invalid_allowed_buckets'],
      [{ permission_type: 'object_ro', name: '   ' }, 422, 'invalid_name'],
      [{ permission_type: 'object_ro', name: 'n'.repeat(101) }, 422, 'invalid_name'],
      [{ permission_type: 'object_ro', project_id: '1' }, 422, 'unknown_field'],
    ];
    for (const [body, code, error] of cases) {
      const res = await api('POST', '/v1/object-storage/credentials', admin, body);
      expect([res.status, res.body.error], JSON.stringify(body)).toEqual([code, error]);
    }
    const scoped = await api('POST', '/v1/object-storage/credentials', admin, { permission_type: 'object_ro', bucket_scope: 'specific', allowed_buckets: [' cred-inside', 'cred-inside '] });
    expect(scoped.body.allowed_buckets).toEqual(['cred-inside']);
    expect((await api('GET', '/v1/object-storage/credentials', admin)).body.credentials.length).toBe(before + 1);
  });

  it('never makes a credential wider than the token asking', async () => {
    const scopedAdmin = await apiToken({ permission_type: 'admin_rw', bucket_scope: 'specific', allowed_buckets: ['cred-inside'] });
    const wider = await api('POST', '/v1/object-storage/credentials', scopedAdmin, { permission_type: 'object_rw', bucket_scope: 'all' });
    expect([wider.status, wider.body.error]).toEqual([403, 'credential_exceeds_token']);
    const elsewhere = await api('POST', '/v1/object-storage/credentials', scopedAdmin, { permission_type: 'object_rw', bucket_scope: 'specific', allowed_buckets: ['cred-outside'] });
    expect([elsewhere.status, elsewhere.body.error]).toEqual([403, 'credential_exceeds_token']);
    const within = await api('POST', '/v1/object-storage/credentials', scopedAdmin, { permission_type: 'object_rw', bucket_scope: 'specific', allowed_buckets: ['cred-inside'] });
    expect(within.status).toBe(201);
    const reader = await apiToken({ permission_type: 'admin_ro', bucket_scope: 'all' });
    const denied = await api('POST', '/v1/object-storage/credentials', reader, { permission_type: 'object_ro' });
    expect([denied.status, denied.body.error, denied.body.required_scope]).toEqual([403, 'insufficient_scope', 'object-storage.write']);
    expect((await api('GET', '/v1/object-storage/credentials', reader)).status).toBe(200);
  });
});

describe('credentials on S3', () => {
  it('allow exactly what the matrix allows their level, inside their bucket scope', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...permissionTypes), fc.boolean(), async (level: PermissionType, specific) => {
        const admins = level === 'admin_rw' || level === 'admin_ro';
        const scoped = specific && !admins;
        const res = await api('POST', '/v1/object-storage/credentials', admin, {
          permission_type: level,
          bucket_scope: scoped ? 'specific' : 'all',
          allowed_buckets: scoped ? ['cred-inside'] : [],
        });
        expect(res.status).toBe(201);
        const client = s3(res.body);
        try {
          const key = `by-${res.body.access_key_id}`;
          expect(await status(client.send(new GetObjectCommand({ Bucket: 'cred-inside', Key: 'seed' })))).toBe(isAllowed(level, 'GetObject') ? 200 : 403);
          expect(await status(client.send(new PutObjectCommand({ Bucket: 'cred-inside', Key: key, Body: 'x' })))).toBe(isAllowed(level, 'PutObject') ? 200 : 403);
          expect(await status(client.send(new ListBucketsCommand({})))).toBe(isAllowed(level, 'ListBuckets') ? 200 : 403);
          expect(await status(client.send(new GetObjectCommand({ Bucket: 'cred-outside', Key: 'seed' })))).toBe(scoped ? 403 : 200);
          await status(s3Admin().send(new DeleteObjectCommand({ Bucket: 'cred-inside', Key: key })));
        } finally {
          client.destroy();
        }
        const used = await api('GET', `/v1/object-storage/credentials/${res.body.access_key_id}`, admin);
        expect(used.body.last_used_at).not.toBeNull();
      }),
      { numRuns: 8 },
    );
  });

  it('are refused from the next request once revoked (the row stays) or deleted (then 404)', async () => {
    for (const action of ['revoke', 'delete'] as const) {
      const res = await api('POST', '/v1/object-storage/credentials', admin, { permission_type: 'object_rw' });
      const client = s3(res.body);
      try {
        expect(await status(client.send(new GetObjectCommand({ Bucket: 'cred-inside', Key: 'seed' })))).toBe(200);
        const path = `/v1/object-storage/credentials/${res.body.access_key_id}`;
        const done = action === 'revoke' ? await api('POST', `${path}/revoke`, admin) : await api('DELETE', path, admin);
        expect(done.status).toBe(200);
        expect(done.body).toMatchObject(action === 'revoke' ? { success: true, message: 'revoked', credential: { status: 'revoked' } } : { success: true, message: 'deleted' });
        expect(await status(client.send(new GetObjectCommand({ Bucket: 'cred-inside', Key: 'seed' })))).toBe(403);
        const after = await api('GET', path, admin);
        if (action === 'revoke') {
          expect(after.body.status).toBe('revoked');
          expect((await api('POST', `${path}/revoke`, admin)).status).toBe(200);
        } else {
          expect([after.status, after.body.error]).toEqual([404, 'credential_not_found']);
          expect((await api('DELETE', path, admin)).status).toBe(404);
        }
      } finally {
        client.destroy();
      }
    }
  });

  it('lists at most the 100 newest, newest first', async () => {
    for (let i = 0; i < 101; i++) expect((await api('POST', '/v1/object-storage/credentials', admin, { name: `bulk ${i}`, permission_type: 'object_ro' })).status).toBe(201);
    const listed = (await api('GET', '/v1/object-storage/credentials', admin)).body.credentials as { name: string; created_at: string }[];
    expect(listed).toHaveLength(100);
    expect(listed[0]!.name).toBe('bulk 100');
    for (let i = 1; i < listed.length; i++) expect(Date.parse(listed[i - 1]!.created_at)).toBeGreaterThanOrEqual(Date.parse(listed[i]!.created_at));
  });
});
