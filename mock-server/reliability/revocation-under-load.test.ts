import { performance } from 'node:perf_hooks';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnMock, type ChildMock } from './test/child.js';
import { fetchWithTimeout } from './test/http.js';
import { SecretRegistry } from './test/mock.js';
import { api, issueToken, s3Client, type RemoteMock } from './test/remote.js';

/**
 * Revocation under load: 64 clients hammer the mock (its own process) with one token over every credential it has
 * (Bearer on REST, SigV4 headers, presigned URLs signed before the revoke); the token is revoked mid-run. Each
 * request is stamped when the client starts it; no request stamped after the revoke call returned may succeed.
 */

const clients = 64;
const beforeMs = 3000;
const afterMs = 3000;
const managementToken = 'reliability-revoke-management-token-7c1e';
const bucket = 'revoke-bucket';

let child: ChildMock;
let remote: RemoteMock;

beforeAll(async () => {
  child = await spawnMock(['--management-token', managementToken, '--log-level', 'warn']);
  remote = { apiUrl: child.ready.api_url, s3Endpoint: child.ready.s3_endpoint, projectId: child.ready.project_id, managementToken, secrets: new SecretRegistry() };
}, 120_000);

afterAll(async () => {
  await child?.kill('SIGTERM');
});

interface Attempt {
  readonly kind: string;
  readonly startedAt: number;
  readonly ok: boolean;
  /** HTTP status, or the error's name when there was no answer. */
  readonly status: number | string;
}

describe('revocation under load', () => {
  it('refuses every request started after the revoke call returned, over every kind of credential', async () => {
    const token = await issueToken(remote, { level: 'admin_rw' });
    const admin = s3Client(remote, token);
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'target', Body: 'before revocation' }));
    // Presigned before the revoke, used after it.
    const presignedGet = await getSignedUrl(admin, new GetObjectCommand({ Bucket: bucket, Key: 'target' }), { expiresIn: 3600 });
    const presignedPut = await getSignedUrl(admin, new PutObjectCommand({ Bucket: bucket, Key: 'presigned-put' }), { expiresIn: 3600 });

    const attempts: Attempt[] = [];
    let stop = false;
    let revokeReturnedAt = Number.POSITIVE_INFINITY;

    async function attempt(kind: string, run: () => Promise<number>): Promise<void> {
      const startedAt = performance.now();
      try {
        const status = await run();
        attempts.push({ kind, startedAt, ok: status >= 200 && status < 300, status });
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? (error as Error).name;
        attempts.push({ kind, startedAt, ok: false, status });
      }
    }

    async function hammer(id: number, s3: S3Client): Promise<void> {
      let i = id;
      while (!stop) {
        switch (i++ % 6) {
          case 0:
            await attempt('S3 GetObject', async () => {
              const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'target' }));
              await got.Body!.transformToString();
              return got.$metadata.httpStatusCode!;
            });
            break;
          case 1:
            await attempt('S3 PutObject', async () => (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `c${id}`, Body: `written by ${id}` }))).$metadata.httpStatusCode!);
            break;
          case 2:
            await attempt('S3 ListBuckets', async () => (await s3.send(new ListBucketsCommand({}))).$metadata.httpStatusCode!);
            break;
          case 3:
            await attempt('presigned GET', async () => {
              const res = await fetchWithTimeout(presignedGet);
              await res.arrayBuffer();
              return res.status;
            });
            break;
          case 4:
            await attempt('presigned PUT', async () => {
              const res = await fetchWithTimeout(presignedPut, { method: 'PUT', body: `presigned by ${id}` });
              await res.arrayBuffer();
              return res.status;
            });
            break;
          default:
            await attempt('REST Bearer', async () => (await api(remote, 'GET', `/v1/object-storage/buckets/${bucket}`, { token: token.bearer })).status);
        }
      }
    }

    const s3Clients = Array.from({ length: clients }, () => s3Client(remote, token, { maxSockets: 1 }));
    const load = Promise.all(s3Clients.map((s3, id) => hammer(id, s3)));
    await new Promise((resolve) => setTimeout(resolve, beforeMs));
    const revoke = await api(remote, 'POST', `/v1/projects/${remote.projectId}/api-tokens/${token.id}/revoke`);
    revokeReturnedAt = performance.now();
    expect(revoke.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    stop = true;
    await load;
    for (const s3 of [admin, ...s3Clients]) s3.destroy();

    const before = attempts.filter((a) => a.startedAt < revokeReturnedAt);
    const after = attempts.filter((a) => a.startedAt > revokeReturnedAt);
    // The load was real on both sides of the revoke, over every credential kind.
    expect(before.filter((a) => a.ok).length).toBeGreaterThan(clients);
    expect(after.length).toBeGreaterThan(clients);
    for (const kind of ['S3 GetObject', 'S3 PutObject', 'S3 ListBuckets', 'presigned GET', 'presigned PUT', 'REST Bearer']) {
      expect(after.filter((a) => a.kind === kind).length, kind).toBeGreaterThan(0);
    }
    const leaks = after.filter((a) => a.ok);
    expect(leaks.map((a) => `${a.kind} started ${(a.startedAt - revokeReturnedAt).toFixed(1)} ms after the revoke returned: ${a.status}`)).toEqual([]);
    // Refused as revoked credentials are refused (403 on S3, 401 on REST), not by overload or dropped connections.
    const refusals = new Set(after.map((a) => `${a.kind.startsWith('REST') ? 'REST' : 'S3'} ${a.status}`));
    expect([...refusals].sort()).toEqual(['REST 403', 'S3 403']);
  }, 60_000);
});
