import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketCorsCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketCorsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceFor, invoicesFor, ordersFor } from '../rest/billing-data.js';
import { postPolicyForm } from '../s3/test/test-s3.js';
import { fetchWithTimeout } from './test/http.js';
import { startMock, type IssuedToken, type TestMock } from './test/mock.js';
import { fuzzRuns } from './test/runs.js';

/**
 * Several projects on one mock: a token of one project never sees or touches another project's buckets, objects,
 * uploads, tokens or billing, over REST or S3, whatever the operation, even when it names the other project's
 * bucket in its own bucket scope.
 */

const projectIds = ['tenant-a', 'tenant-b', 'tenant-c'] as const;
type ProjectId = (typeof projectIds)[number];

interface Tenant {
  readonly projectId: ProjectId;
  readonly admin: IssuedToken;
  readonly billing: IssuedToken;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly body: Buffer;
  uploadId: string;
}

let mock: TestMock;
const tenants = new Map<ProjectId, Tenant>();
const tenant = (id: ProjectId): Tenant => tenants.get(id)!;

const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');

/** What a tenant's storage looks like from the inside: its buckets, objects with ETags, and open uploads. */
async function snapshot(owner: Tenant): Promise<string> {
  const buckets = await owner.s3.send(new ListBucketsCommand({}));
  const parts: string[] = [];
  for (const bucket of (buckets.Buckets ?? []).map((b) => b.Name!).sort()) {
    const objects = await owner.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const uploads = await owner.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    const cors = await owner.s3.send(new GetBucketCorsCommand({ Bucket: bucket })).then(
      (r) => JSON.stringify(r.CORSRules),
      () => 'no cors',
    );
    parts.push(
      `${bucket}: ${(objects.Contents ?? []).map((o) => `${o.Key}=${o.ETag}/${o.Size}`).join(',')} uploads ${(uploads.Uploads ?? []).map((u) => u.UploadId).join(',')} cors ${cors}`,
    );
  }
  return parts.join('\n');
}

beforeAll(async () => {
  mock = await startMock({ projectIds: [...projectIds] });
  for (const projectId of projectIds) {
    const admin = await mock.issueToken({ level: 'admin_rw' }, projectId);
    const billing = await mock.issueToken({ objectStorage: false, billing: true }, projectId);
    const s3 = mock.s3(admin);
    const bucket = `iso-${projectId}`;
    const key = `secret/${projectId}.txt`;
    const body = Buffer.from(`private data of ${projectId}`);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: [`https://${projectId}.example`] }] } }));
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'in-progress' }));
    tenants.set(projectId, { projectId, admin, billing, s3, bucket, key, body, uploadId: upload.UploadId! });
  }
});

afterAll(async () => {
  await mock.close();
});

/** Everything a token might try against another project's storage. Each must fail; none may change anything. */
const attacks: Record<string, (actor: Tenant, victim: Tenant) => Promise<unknown>> = {
  HeadBucket: (a, v) => a.s3.send(new HeadBucketCommand({ Bucket: v.bucket })),
  GetBucketLocation: (a, v) => a.s3.send(new GetBucketLocationCommand({ Bucket: v.bucket })),
  ListObjectsV2: (a, v) => a.s3.send(new ListObjectsV2Command({ Bucket: v.bucket })),
  ListMultipartUploads: (a, v) => a.s3.send(new ListMultipartUploadsCommand({ Bucket: v.bucket })),
  GetObject: (a, v) => a.s3.send(new GetObjectCommand({ Bucket: v.bucket, Key: v.key })),
  HeadObject: (a, v) => a.s3.send(new HeadObjectCommand({ Bucket: v.bucket, Key: v.key })),
  PutObjectOverwrite: (a, v) => a.s3.send(new PutObjectCommand({ Bucket: v.bucket, Key: v.key, Body: 'overwritten' })),
  PutObjectNew: (a, v) => a.s3.send(new PutObjectCommand({ Bucket: v.bucket, Key: 'planted', Body: 'planted' })),
  DeleteObject: (a, v) => a.s3.send(new DeleteObjectCommand({ Bucket: v.bucket, Key: v.key })),
  DeleteObjects: (a, v) => a.s3.send(new DeleteObjectsCommand({ Bucket: v.bucket, Delete: { Objects: [{ Key: v.key }] } })),
  CopyOut: (a, v) => a.s3.send(new CopyObjectCommand({ Bucket: a.bucket, Key: 'stolen', CopySource: `${v.bucket}/${v.key}` })),
  CopyIn: (a, v) => a.s3.send(new CopyObjectCommand({ Bucket: v.bucket, Key: 'planted', CopySource: `${a.bucket}/${a.key}` })),
  GetBucketCors: (a, v) => a.s3.send(new GetBucketCorsCommand({ Bucket: v.bucket })),
  PutBucketCors: (a, v) =>
    a.s3.send(new PutBucketCorsCommand({ Bucket: v.bucket, CORSConfiguration: { CORSRules: [{ AllowedMethods: ['PUT'], AllowedOrigins: ['*'] }] } })),
  DeleteBucketCors: (a, v) => a.s3.send(new DeleteBucketCorsCommand({ Bucket: v.bucket })),
  DeleteBucket: (a, v) => a.s3.send(new DeleteBucketCommand({ Bucket: v.bucket })),
  CreateBucketSameName: (a, v) => a.s3.send(new CreateBucketCommand({ Bucket: v.bucket })),
  CreateMultipartUpload: (a, v) => a.s3.send(new CreateMultipartUploadCommand({ Bucket: v.bucket, Key: 'planted' })),
  ListPartsOfVictimUpload: (a, v) => a.s3.send(new ListPartsCommand({ Bucket: v.bucket, Key: 'in-progress', UploadId: v.uploadId })),
  // The victim's upload id, addressed through the actor's own bucket.
  ListPartsViaOwnBucket: (a, v) => a.s3.send(new ListPartsCommand({ Bucket: a.bucket, Key: 'in-progress', UploadId: v.uploadId })),
  UploadPartViaOwnBucket: (a, v) => a.s3.send(new UploadPartCommand({ Bucket: a.bucket, Key: 'in-progress', UploadId: v.uploadId, PartNumber: 1, Body: 'x' })),
  UploadPartToVictim: (a, v) => a.s3.send(new UploadPartCommand({ Bucket: v.bucket, Key: 'in-progress', UploadId: v.uploadId, PartNumber: 1, Body: 'x' })),
  UploadPartCopyOut: async (a, v) => {
    const own = await a.s3.send(new CreateMultipartUploadCommand({ Bucket: a.bucket, Key: 'copy-target' }));
    try {
      return await a.s3.send(new UploadPartCopyCommand({ Bucket: a.bucket, Key: 'copy-target', UploadId: own.UploadId!, PartNumber: 1, CopySource: `${v.bucket}/${v.key}` }));
    } finally {
      await a.s3.send(new AbortMultipartUploadCommand({ Bucket: a.bucket, Key: 'copy-target', UploadId: own.UploadId! }));
    }
  },
  AbortViaOwnBucket: (a, v) => a.s3.send(new AbortMultipartUploadCommand({ Bucket: a.bucket, Key: 'in-progress', UploadId: v.uploadId })),
  AbortVictimUpload: (a, v) => a.s3.send(new AbortMultipartUploadCommand({ Bucket: v.bucket, Key: 'in-progress', UploadId: v.uploadId })),
  BrowserPostUpload: async (a, v) => {
    const form = postPolicyForm(
      { accessKeyId: a.admin.accessKeyId!, secretAccessKey: a.admin.secretAccessKey! },
      { bucket: v.bucket, key: 'planted-by-post', body: 'planted', nowMs: Date.now() },
    );
    const res = await fetchWithTimeout(`${mock.server.s3Endpoint}/${v.bucket}`, { method: 'POST', body: form });
    const text = await res.text();
    if (res.ok) return text;
    throw Object.assign(new Error(`POST upload ${res.status}`), { $metadata: { httpStatusCode: res.status } });
  },
  PresignedGet: async (a, v) => {
    const url = await getSignedUrl(a.s3, new GetObjectCommand({ Bucket: v.bucket, Key: v.key }), { expiresIn: 300 });
    const res = await fetchWithTimeout(url);
    const text = await res.text();
    if (res.ok) return text;
    throw Object.assign(new Error(`presigned GET ${res.status}`), { $metadata: { httpStatusCode: res.status } });
  },
};

describe('tenant isolation over S3', () => {
  it('ListBuckets shows each project its own buckets only', async () => {
    for (const id of projectIds) {
      const listed = await tenant(id).s3.send(new ListBucketsCommand({}));
      expect((listed.Buckets ?? []).map((b) => b.Name)).toEqual([tenant(id).bucket]);
    }
  });

  it('refuses every operation on another project’s bucket, object or upload, and changes nothing', async () => {
    const before = new Map<ProjectId, string>();
    for (const id of projectIds) before.set(id, await snapshot(tenant(id)));
    const pair = fc
      .tuple(fc.constantFrom(...projectIds), fc.constantFrom(...projectIds))
      .filter(([actor, victim]) => actor !== victim);
    await fc.assert(
      fc.asyncProperty(pair, fc.constantFrom(...Object.keys(attacks)), async ([actorId, victimId], attack) => {
        const outcome = await attacks[attack]!(tenant(actorId), tenant(victimId)).then(
          (result) => ({ ok: true as const, result }),
          (error: { $metadata?: { httpStatusCode?: number }; name?: string }) => ({ ok: false as const, status: error.$metadata?.httpStatusCode, name: error.name }),
        );
        expect(outcome, `${attack} by ${actorId} on ${victimId}`).toMatchObject({ ok: false });
        if (!outcome.ok) {
          // Refused as forbidden, absent or (for a bucket name, which is global) taken; never a server error.
          expect([403, 404, 409], `${attack}: ${outcome.name}`).toContain(outcome.status);
        }
      }),
      { numRuns: fuzzRuns(150) },
    );
    for (const id of projectIds) expect(await snapshot(tenant(id)), id).toBe(before.get(id));
    for (const id of projectIds) {
      const object = await tenant(id).s3.send(new GetObjectCommand({ Bucket: tenant(id).bucket, Key: tenant(id).key }));
      expect(md5(await object.Body!.transformToByteArray())).toBe(md5(tenant(id).body));
    }
  }, 120_000);

  it('a bucket scope naming another project’s bucket grants nothing on it', async () => {
    const a = tenant('tenant-a');
    const b = tenant('tenant-b');
    const res = await mock.api('POST', `/v1/projects/${a.projectId}/api-tokens`, {
      json: { name: 'scoped to a foreign bucket', object_storage: { permission_type: 'admin_rw', bucket_scope: 'specific', allowed_buckets: [b.bucket] } },
    });
    // Refusing such a scope outright is fine too; granting access through it is not.
    if (res.status !== 201) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      return;
    }
    const created = res.body as { bearer_token: string; access_key_id: string; secret_access_key: string; id: string };
    mock.secrets.add(created.bearer_token);
    mock.secrets.add(created.secret_access_key);
    const scoped = mock.s3({ id: created.id, projectId: a.projectId, bearer: created.bearer_token, accessKeyId: created.access_key_id, secretAccessKey: created.secret_access_key });
    const before = await snapshot(b);
    await expect(scoped.send(new GetObjectCommand({ Bucket: b.bucket, Key: b.key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: expect.any(Number) } });
    await expect(scoped.send(new PutObjectCommand({ Bucket: b.bucket, Key: 'planted', Body: 'x' }))).rejects.toBeTruthy();
    await expect(scoped.send(new DeleteObjectCommand({ Bucket: b.bucket, Key: b.key }))).rejects.toBeTruthy();
    const rest = await mock.api('GET', `/v1/object-storage/buckets/${b.bucket}`, { token: created.bearer_token, workspace: a.projectId });
    expect(rest.status).toBe(404);
    const del = await mock.api('DELETE', `/v1/object-storage/buckets/${b.bucket}`, { token: created.bearer_token, workspace: a.projectId });
    expect([403, 404]).toContain(del.status);
    expect(await snapshot(b)).toBe(before);
  });
});

describe('tenant isolation over REST', () => {
  it('lists, reads and deletes buckets of its own project only', async () => {
    for (const actorId of projectIds) {
      const actor = tenant(actorId);
      const listed = await mock.api('GET', '/v1/object-storage/buckets', { token: actor.admin.bearer, workspace: actorId });
      expect(listed.status).toBe(200);
      expect((listed.body as { buckets: Array<{ name: string }> }).buckets.map((b) => b.name)).toEqual([actor.bucket]);
      for (const victimId of projectIds.filter((id) => id !== actorId)) {
        const victim = tenant(victimId);
        const foreignWorkspace = await mock.api('GET', '/v1/object-storage/buckets', { token: actor.admin.bearer, workspace: victimId });
        expect([foreignWorkspace.status, (foreignWorkspace.body as { error: string }).error]).toEqual([403, 'workspace_not_allowed']);
        expect(foreignWorkspace.text).not.toContain(victim.bucket);
        const read = await mock.api('GET', `/v1/object-storage/buckets/${victim.bucket}`, { token: actor.admin.bearer, workspace: actorId });
        expect(read.status).toBe(404);
        expect(read.text).not.toContain(victim.key);
        const del = await mock.api('DELETE', `/v1/object-storage/buckets/${victim.bucket}`, { token: actor.admin.bearer, workspace: actorId });
        expect(del.status).toBe(404);
        const create = await mock.api('POST', '/v1/object-storage/buckets', { token: actor.admin.bearer, workspace: actorId, json: { name: victim.bucket, region: 'in-south-1' } });
        // Names are global: taken, and not "already yours".
        expect(create.status).toBe(409);
        expect((create.body as { error: string }).error).toBe('bucket_already_exists');
      }
    }
    for (const id of projectIds) {
      const own = await mock.api('GET', `/v1/object-storage/buckets/${tenant(id).bucket}`, { token: tenant(id).admin.bearer, workspace: id });
      expect(own.status).toBe(200);
      expect((own.body as { object_count: number }).object_count).toBe(1);
    }
  });

  it('serves each billing token its own project’s billing data', async () => {
    const clock = (await mock.api('GET', '/_mock/clock')).body as { now: string };
    const now = new Date(clock.now);
    for (const id of projectIds) {
      const token = tenant(id).billing.bearer;
      const invoices = await mock.api('GET', '/v1/billing/invoices', { token, workspace: id });
      const orders = await mock.api('GET', '/v1/billing/orders', { token, workspace: id });
      const balance = await mock.api('GET', '/v1/billing/balance', { token, workspace: id });
      expect(invoices.body).toEqual({ invoices: JSON.parse(JSON.stringify(invoicesFor(id, now))) });
      expect((orders.body as { orders: unknown[] }).orders).toEqual(JSON.parse(JSON.stringify(ordersFor(id, now).reverse())));
      // The balance carries the time of the request; the amount is the project's.
      expect((balance.body as { balance_minor: number }).balance_minor).toBe(balanceFor(id, now).balance_minor);
      for (const other of projectIds.filter((p) => p !== id)) {
        expect(invoices.body).not.toEqual({ invoices: JSON.parse(JSON.stringify(invoicesFor(other, now))) });
      }
    }
  });

  it('never shows, reads or revokes a token through another project’s path', async () => {
    for (const actorId of projectIds) {
      const listed = await mock.api('GET', `/v1/projects/${actorId}/api-tokens`);
      const ids = (listed.body as { tokens: Array<{ id: string }> }).tokens.map((t) => t.id);
      expect(ids).toContain(tenant(actorId).admin.id);
      for (const victimId of projectIds.filter((id) => id !== actorId)) {
        const victim = tenant(victimId);
        expect(ids).not.toContain(victim.admin.id);
        expect(ids).not.toContain(victim.billing.id);
        expect((await mock.api('GET', `/v1/projects/${actorId}/api-tokens/${victim.admin.id}`)).status).toBe(404);
        expect((await mock.api('POST', `/v1/projects/${actorId}/api-tokens/${victim.admin.id}/revoke`)).status).toBe(404);
      }
    }
    // None of those revocations took: every token still works.
    for (const id of projectIds) {
      expect((await mock.api('GET', '/v1/object-storage/buckets', { token: tenant(id).admin.bearer, workspace: id })).status).toBe(200);
      expect((await mock.api('GET', '/v1/billing/balance', { token: tenant(id).billing.bearer, workspace: id })).status).toBe(200);
      const status = await mock.api('GET', `/v1/projects/${id}/api-tokens/${tenant(id).admin.id}`);
      expect((status.body as { status: string }).status).toBe('active');
    }
  });

  it('an API token cannot manage tokens of any project, its own included', async () => {
    for (const actorId of projectIds) {
      for (const target of projectIds) {
        const list = await mock.api('GET', `/v1/projects/${target}/api-tokens`, { token: tenant(actorId).admin.bearer });
        expect(list.status).toBe(403);
        const create = await mock.api('POST', `/v1/projects/${target}/api-tokens`, {
          token: tenant(actorId).admin.bearer,
          json: { name: 'escalation', object_storage: { permission_type: 'admin_rw', bucket_scope: 'all' } },
        });
        expect(create.status).toBe(403);
        const revoke = await mock.api('POST', `/v1/projects/${target}/api-tokens/${tenant(target).admin.id}/revoke`, { token: tenant(actorId).admin.bearer });
        expect(revoke.status).toBe(403);
      }
    }
  });
  it('logged no internal error and no secret meanwhile', () => {
    expect(mock.logLines.length).toBeGreaterThan(0);
    expect(mock.logLines.filter((line) => /"level":(50|60)/.test(line)).slice(0, 3)).toEqual([]);
    expect(mock.secrets.leaksIn(mock.logLines.join('\n'))).toEqual([]);
  });
});
