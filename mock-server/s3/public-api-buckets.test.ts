import { DeleteBucketCommand, GetBucketLocationCommand, GetObjectLockConfigurationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicBucketReads, s3SigningRegion } from '../../spec/index.js';
import { createMockServer, type MockServer } from '../app.js';
import { createLogger } from '../logger.js';
import { withWorkspace } from '../reliability/test/http.js';

/**
 * One bucket, two views: a bucket made over IBEE's public API is an S3 bucket in the region it named, its Object
 * Lock is what S3 reports and keeps it from deletion, and `is_public` opens anonymous S3 reads of its objects
 * (GetObject, HeadObject) and nothing else.
 */

const managementToken = 'public-buckets-test-management-token';
let server: MockServer;
let bearer: string;
let s3: S3Client;

async function api(method: string, path: string, json?: unknown) {
  const res = await fetch(`${server.apiUrl}${withWorkspace(path, server.projectId)}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  server = await createMockServer({ managementToken, logger: createLogger({ level: 'silent' }) });
  const created = await fetch(`${server.apiUrl}/v1/projects/${server.projectId}/api-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${managementToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'admin', object_storage: { permission_type: 'admin_rw', bucket_scope: 'all' } }),
  });
  const token = (await created.json()) as { bearer_token: string; access_key_id: string; secret_access_key: string };
  bearer = token.bearer_token;
  s3 = new S3Client({
    endpoint: server.s3Endpoint,
    region: s3SigningRegion.value.default,
    forcePathStyle: true,
    credentials: { accessKeyId: token.access_key_id, secretAccessKey: token.secret_access_key },
  });
  expect((await api('POST', '/v1/object-storage/buckets', { name: 'site-assets', region: 'in-south-2' })).status).toBe(201);
  await s3.send(new PutObjectCommand({ Bucket: 'site-assets', Key: 'index.html', Body: '<h1>hello</h1>', ContentType: 'text/html' }));
});
afterAll(async () => {
  s3.destroy();
  await server.close();
});

const anonymous = (method: string, path: string, body?: string) => fetch(`${server.s3Endpoint}${path}`, { method, ...(body === undefined ? {} : { body }) });

describe('a bucket made over the public API', () => {
  it('is an S3 bucket in the region it named', async () => {
    const location = await s3.send(new GetBucketLocationCommand({ Bucket: 'site-assets' }));
    expect(location.LocationConstraint).toBe('in-south-2');
  });

  it('reports its Object Lock over S3, and S3 cannot delete it while locked', async () => {
    const made = await api('POST', '/v1/object-storage/buckets', { name: 'locked-vault', region: 'in-south-1', object_lock_enabled: true, default_retention: { mode: 'COMPLIANCE', years: 2 } });
    expect(made.status).toBe(201);
    const lock = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'locked-vault' }));
    expect(lock.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Years: 2 } } });
    await expect(s3.send(new DeleteBucketCommand({ Bucket: 'locked-vault' }))).rejects.toMatchObject({ name: 'InvalidBucketState', $metadata: { httpStatusCode: 409 } });
    await expect(s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'site-assets' }))).rejects.toMatchObject({ name: 'ObjectLockConfigurationNotFoundError' });
    expect((await api('GET', '/v1/object-storage/buckets/locked-vault')).body.bucket_lock_enabled).toBe(true);
  });
});

describe('public buckets', () => {
  it('open anonymous GetObject and HeadObject only while public, and never a write', async () => {
    expect(publicBucketReads.operations).toEqual(['GetObject', 'HeadObject']);
    const reads = async () => [(await anonymous('GET', '/site-assets/index.html')).status, (await anonymous('HEAD', '/site-assets/index.html')).status];
    expect(await reads()).toEqual([403, 403]);

    expect((await api('PATCH', '/v1/object-storage/buckets/site-assets', { is_public: true })).body.is_public).toBe(true);
    const page = await anonymous('GET', '/site-assets/index.html');
    expect([page.status, page.headers.get('content-type'), await page.text()]).toEqual([200, 'text/html', '<h1>hello</h1>']);
    expect(await reads()).toEqual([200, 200]);
    expect((await anonymous('GET', '/site-assets/missing.html')).status).toBe(404);

    // Everything else still needs a key: listing, writing, deleting, configuration, other buckets.
    const refused = await Promise.all([
      anonymous('GET', '/site-assets'),
      anonymous('GET', '/site-assets?list-type=2'),
      anonymous('PUT', '/site-assets/planted.html', 'x'),
      anonymous('DELETE', '/site-assets/index.html'),
      anonymous('GET', '/site-assets?cors'),
      anonymous('GET', '/'),
      anonymous('POST', '/site-assets/index.html?uploads'),
    ]);
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403, 403]);
    expect(await refused[2]!.text()).toContain('<Code>AccessDenied</Code>');

    expect((await api('PATCH', '/v1/object-storage/buckets/site-assets', { is_public: false })).body.is_public).toBe(false);
    expect(await reads()).toEqual([403, 403]);
    expect((await anonymous('GET', '/site-assets/index.html')).status).toBe(403);
  });

  it('an anonymous request never reaches a private bucket, whatever it asks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'POST'), fc.stringMatching(/^[a-z0-9/._-]{0,30}$/), async (method, key) => {
        const res = await anonymous(method, `/site-assets/${key}`, method === 'PUT' || method === 'POST' ? 'x' : undefined);
        expect(res.status).toBe(403);
      }),
      { numRuns: 40 },
    );
  });
});
