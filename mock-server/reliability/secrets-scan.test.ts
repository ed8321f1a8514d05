import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnMock, type ChildMock } from './test/child.js';
import { fetchWithTimeout, withWorkspace, frameRequest, rawExchange, sendRaw, signHeaders, type Credentials, type RawResponse } from './test/http.js';
import { SecretRegistry, type IssuedToken } from './test/mock.js';
import { issueToken, s3Client, type RemoteMock } from './test/remote.js';

/**
 * Secrets never leave the mock: a workload that issues tokens and then uses, misuses and abuses every credential
 * (valid, revoked, expired, wrong secret, credentials in the wrong slot or the wrong scheme, tampered presigned
 * URLs) runs against `ibee-mock --log-level trace`; afterwards no secret access key, bearer token or the
 * management token appears in any log line, response body or response header.
 */

const managementToken = 'reliability-secrets-management-token-91d4';

let child: ChildMock;
let remote: RemoteMock;
/** Every response the workload received, rendered as text (status, headers, body). */
const responses: string[] = [];

beforeAll(async () => {
  child = await spawnMock(['--management-token', managementToken, '--log-level', 'trace']);
  remote = { apiUrl: child.ready.api_url, s3Endpoint: child.ready.s3_endpoint, projectId: child.ready.project_id, managementToken, secrets: new SecretRegistry() };
  remote.secrets.add(managementToken);
}, 120_000);

afterAll(async () => {
  await child?.kill('SIGTERM');
});

async function rest(method: string, path: string, authorization: string | null, json?: unknown): Promise<number> {
  const headers: Record<string, string> = {};
  if (authorization !== null) headers.authorization = authorization;
  if (json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetchWithTimeout(`${remote.apiUrl}${withWorkspace(path, remote.projectId)}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  const text = await res.text();
  responses.push(`REST ${method} ${path} → ${res.status} ${JSON.stringify([...res.headers])} ${text}`);
  return res.status;
}

function record(context: string, res: RawResponse): RawResponse {
  responses.push(`S3 ${context} → ${res.status} ${JSON.stringify(res.headers)} ${res.text}`);
  return res;
}

function s3Port(): number {
  return Number(new URL(remote.s3Endpoint).port);
}

async function s3Signed(context: string, credentials: Credentials, method: string, rawPath: string, body = Buffer.alloc(0), headers: Record<string, string> = {}): Promise<RawResponse> {
  const signed = await signHeaders({ credentials, host: `127.0.0.1:${s3Port()}`, method, rawPath, body, headers });
  return record(context, await sendRaw(s3Port(), method, rawPath, signed, body));
}

async function s3Raw(context: string, method: string, target: string, headers: Array<[string, string]>): Promise<RawResponse> {
  return record(context, await rawExchange(s3Port(), frameRequest(method, target, [['host', `127.0.0.1:${s3Port()}`], ['connection', 'close'], ...headers])));
}

describe('secrets scan', () => {
  it('finds no issued secret in logs, error bodies or headers after use, misuse and abuse of every credential', async () => {
    const bucket = 'secrets-bucket';
    const full = await issueToken(remote, { level: 'admin_rw', billing: true });
    const scoped = await issueToken(remote, { level: 'object_ro', buckets: [bucket] });
    const billingOnly = await issueToken(remote, { objectStorage: false, billing: true });
    const doomed = await issueToken(remote, { level: 'admin_rw' });
    const tokens: IssuedToken[] = [full, scoped, billingOnly, doomed];
    const credentialsOf = (t: IssuedToken): Credentials => ({ accessKeyId: t.accessKeyId!, secretAccessKey: t.secretAccessKey! });

    // Ordinary use.
    const s3 = s3Client(remote, full);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v' }));
    await s3.send(new ListBucketsCommand({}));
    const presigned = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'k' }), { expiresIn: 600 });
    responses.push(`presigned GET → ${(await fetchWithTimeout(presigned)).status}`);
    await rest('GET', `/v1/projects/${remote.projectId}/api-tokens`, `Bearer ${managementToken}`);
    for (const t of tokens) await rest('GET', `/v1/projects/${remote.projectId}/api-tokens/${t.id}`, `Bearer ${managementToken}`);
    await rest('GET', '/v1/object-storage/buckets', `Bearer ${full.bearer}`);
    await rest('GET', '/v1/billing/balance', `Bearer ${billingOnly.bearer}`);

    // Misuse: credentials in the wrong slot, the wrong scheme, the wrong route, the wrong scope.
    for (const t of tokens) {
      const secret = t.secretAccessKey;
      await rest('GET', '/v1/billing/invoices', `Bearer ${t.bearer}`);
      await rest('POST', '/v1/object-storage/buckets', `Bearer ${t.bearer}`, { name: `made-by-${t.id.slice(0, 8).toLowerCase()}` });
      await rest('GET', `/v1/projects/${remote.projectId}/api-tokens`, `Bearer ${t.bearer}`);
      await rest('GET', '/v1/object-storage/buckets', t.bearer);
      await rest('GET', '/v1/object-storage/buckets', `Basic ${Buffer.from(`${t.accessKeyId}:${secret}`).toString('base64')}`);
      if (secret === null) continue;
      await rest('GET', '/v1/object-storage/buckets', `Bearer ${secret}`);
      const credentials = credentialsOf(t);
      await s3Signed('wrong secret', { accessKeyId: credentials.accessKeyId, secretAccessKey: `${secret.slice(0, -1)}x` }, 'GET', `/${bucket}/k`);
      // Access key id and secret swapped, as a mixed-up configuration would send them.
      await s3Signed('swapped key and secret', { accessKeyId: secret, secretAccessKey: credentials.accessKeyId }, 'GET', `/${bucket}/k`);
      await s3Signed('bearer as access key', { accessKeyId: t.bearer, secretAccessKey: secret }, 'GET', `/${bucket}/k`);
      await s3Signed('out of scope or level', credentials, 'PUT', `/${bucket}/written`, Buffer.from('x'));
      await s3Signed('unknown sub-resource', credentials, 'GET', `/${bucket}?torrent`);
      await s3Raw('bearer on S3', 'GET', `/${bucket}/k`, [['authorization', `Bearer ${t.bearer}`]]);
      await s3Raw('secret in a malformed header', 'GET', `/${bucket}/k`, [['authorization', `AWS4-HMAC-SHA256 Credential=${secret}`]]);
      await s3Raw('AWS v2 style', 'GET', `/${bucket}/k`, [['authorization', `AWS ${credentials.accessKeyId}:${secret}`]]);
      await s3Raw('secret as security token', 'GET', `/${bucket}/k`, [['x-amz-security-token', secret]]);
      const url = new URL(presigned);
      url.searchParams.set('X-Amz-Signature', '0'.repeat(64));
      await s3Raw('tampered presigned URL', 'GET', `${url.pathname}${url.search}`, []);
      url.searchParams.set('X-Amz-Credential', `${secret}/20250101/auto/s3/aws4_request`);
      await s3Raw('secret in a presigned credential', 'GET', `${url.pathname}${url.search}`, []);
    }

    // Revoked, then expired.
    await rest('POST', `/v1/projects/${remote.projectId}/api-tokens/${doomed.id}/revoke`, `Bearer ${managementToken}`);
    await rest('GET', '/v1/object-storage/buckets', `Bearer ${doomed.bearer}`);
    await s3Signed('revoked', credentialsOf(doomed), 'GET', `/${bucket}/k`);
    await rest('POST', '/_mock/clock', `Bearer ${managementToken}`, { advance_seconds: 400 * 86_400 });
    await rest('GET', '/v1/object-storage/buckets', `Bearer ${full.bearer}`);
    await rest('GET', '/v1/billing/orders', `Bearer ${billingOnly.bearer}`);
    responses.push(`presigned after expiry → ${(await fetchWithTimeout(presigned)).status}`);
    s3.destroy();

    // Let the child flush its log, then look everywhere.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const logs = [...child.stdout, ...child.stderr].join('\n');
    // The trace-level log really saw the workload (requests logged), so an empty scan means something.
    expect(child.stderr.filter((line) => line.includes('"msg":"request"')).length).toBeGreaterThan(20);
    expect(child.stderr.filter((line) => line.includes('s3 request')).length).toBeGreaterThan(20);
    expect(remote.secrets.values().length).toBe(1 + tokens.length + 3);
    expect(remote.secrets.leaksIn(logs), 'secrets in the mock’s logs').toEqual([]);
    const leakingResponses = responses.filter((text) => remote.secrets.leaksIn(text).length > 0).map((text) => `${text.slice(0, 160)}… leaks ${remote.secrets.leaksIn(text).join(', ')}`);
    expect(leakingResponses, 'secrets in responses').toEqual([]);
  }, 90_000);
});
