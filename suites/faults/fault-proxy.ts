import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Crc32 } from '@aws-crypto/crc32';
import { isValidBucketName, tokenExpiryDays } from '../../spec/index.js';
import type { TargetEndpoint } from '../target/config.js';
import { presignRaw } from '../target/s3.js';
import { forward, readBody, send, type Forwarded } from './proxy/forwarding.js';
import { bucketOnlyPath, identity, parseJson } from './proxy/requests.js';
import { resign } from './proxy/resign.js';

/**
 * An HTTP proxy in front of a correct endpoint that injects one documented-rule violation at a time, so that tests
 * can prove the checks catch it. Each fault is the kind a real deployment could plausibly ship.
 */

export type Fault =
  /** Transparent: the control, which must pass every check. */
  | 'none'
  /** GET of a token returns its secret access key again (SECRET-ONCE). */
  | 'secret-leak-on-get'
  /** expires_in_days above the maximum is clamped to it instead of refused (TOKEN-EXPIRY-BOUNDS). */
  | 'clamp-expiry'
  /** A 2xx answer is cached for 1 s per URL and credential and served when the endpoint refuses: a revoked key keeps working for a moment (REVOKE-IMMEDIATE). */
  | 'stale-revoked'
  /** Writes signed by an Object Read only key are re-signed with an Admin Read & Write key (PERM-OBJECT-RO). */
  | 'ro-write'
  /** A token created without expires_in_days gets 30 days instead of 90 (TOKEN-EXPIRY-DEFAULT). */
  | 'default-expiry-30'
  /** A creation request without any scope is quietly given Billing read-only (TOKEN-SCOPE-REQUIRED). */
  | 'scopeless-token-defaulted'
  /** Writes to billing routes are answered 200 (BILLING-SCOPE). */
  | 'billing-write-allowed'
  /** Expired tokens keep working for an hour of grace: their requests are re-authenticated as an admin (TOKEN-EXPIRY-ENFORCED). */
  | 'expiry-grace'
  /** DeleteBucket of a non-empty bucket is answered 204 instead of 409 BucketNotEmpty (and nothing is deleted) (BUCKET-DELETE-NONEMPTY). */
  | 'nonempty-bucket-deleted'
  /** CreateBucket with an invalid name creates a renamed valid bucket and answers success (BUCKET-NAME-RULES). */
  | 'invalid-bucket-name-accepted'
  /** A PUT whose declared checksum does not match its body is answered 200, as by a target that ignores checksums (DATA-INTEGRITY). */
  | 'checksum-ignored'
  /** One byte of every object body a GET returns is flipped, and the response's checksum headers dropped (OBJECT-ROUNDTRIP). */
  | 'corrupt-get-body'
  /** Bucket-configuration writes (and DeleteBucket) by an all-buckets Object Read & Write key are re-signed as admin: the level is skipped when the scope is "all" (PERM-OBJECT-RW). */
  | 'all-scope-config-write'
  /** Every 200 XML answer of S3 carries the caller's own secret access key in an extra element (SECRET-ONCE). */
  | 's3-secret-in-xml-body'
  /** created_at and expires_at of a new token are both a day late: their difference is right, the dates are not (TOKEN-EXPIRY-DEFAULT). */
  | 'created-at-shifted-day';

export interface FaultProxy {
  readonly endpoint: TargetEndpoint;
  /** How many times the fault actually changed an exchange. */
  injections(): number;
  close(): Promise<void>;
}

interface KnownKey {
  readonly level: string;
  readonly bucketScope: string;
  readonly secret: string;
}

const staleWindowMs = 1_000;

/** Whether an S3 request writes a bucket's configuration (a sub-resource such as ?cors, no key) or deletes the bucket. */
function isBucketConfigWrite(method: string, url: string): boolean {
  if (method === 'DELETE' && bucketOnlyPath(url) !== null) return true;
  const [path = '', query = ''] = url.split(/\?(.*)/s);
  if (!['PUT', 'DELETE'].includes(method) || !/^\/[^/]+\/?$/.test(path)) return false;
  return /(^|&)(cors|lifecycle|encryption|policy|versioning|tagging|website|acl)(=|&|$)/.test(query);
}

/** Whether an S3 GET reads an object's content (a key, and no sub-resource such as a part listing). */
function isObjectRead(url: string): boolean {
  const [path = ''] = url.split('?');
  return /^\/[^/]+\/.+/.test(path) && !/[?&](uploadId|uploads|tagging|acl|attributes|versions|list-type)(=|&|$)/.test(url);
}

/** A valid bucket name standing in for an invalid one, the same each time. */
function renamedBucket(name: string): string {
  return `renamed-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

/** Whether a non-streaming request body contradicts a checksum its headers declare. */
function contradictsDeclaredChecksum(headers: IncomingHttpHeaders, body: Buffer): boolean {
  const payloadHash = String(headers['x-amz-content-sha256'] ?? '');
  if (payloadHash.startsWith('STREAMING-') || String(headers['content-encoding'] ?? '').includes('aws-chunked')) return false;
  const declared = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string).trim() : null);
  const md5 = declared('content-md5');
  if (md5 !== null && md5 !== createHash('md5').update(body).digest('base64')) return true;
  const crc32 = declared('x-amz-checksum-crc32');
  if (crc32 !== null) {
    const computed = Buffer.alloc(4);
    computed.writeUInt32BE(new Crc32().update(body).digest() >>> 0);
    if (crc32 !== computed.toString('base64')) return true;
  }
  const sha256 = declared('x-amz-checksum-sha256');
  if (sha256 !== null && sha256 !== createHash('sha256').update(body).digest('base64')) return true;
  return /^[0-9a-f]{64}$/.test(payloadHash) && payloadHash !== createHash('sha256').update(body).digest('hex');
}

export async function startFaultProxy(upstream: TargetEndpoint, fault: Fault): Promise<FaultProxy> {
  const creations = new Map<string, { secret: string | null }>();
  const keys = new Map<string, KnownKey>();
  const recent = new Map<string, { at: number; response: Forwarded }>();
  /** Expiry (epoch ms) by access key id and by bearer token. */
  const expiries = new Map<string, number>();
  let adminBearer: string | null = null;
  let managementAuth: string | null = null;
  let injected = 0;

  /** The endpoint's own clock (the mock's, which tests move), read as a faulty server would read its own. */
  async function upstreamNow(): Promise<number> {
    const response = await forward(new URL(upstream.apiUrl), 'GET', '/_mock/clock', { authorization: managementAuth ?? '' }, Buffer.alloc(0));
    const now = parseJson(response.body)?.['now'];
    return typeof now === 'string' ? Date.parse(now) : Date.now();
  }

  async function inGrace(credential: string | null): Promise<boolean> {
    const expiresAt = credential ? expiries.get(credential) : undefined;
    if (expiresAt === undefined) return false;
    const now = await upstreamNow();
    return now >= expiresAt && now < expiresAt + 3_600_000;
  }

  function adminKey(): [string, KnownKey] | undefined {
    return [...keys.entries()].find(([, k]) => k.level === 'admin_rw' && k.bucketScope === 'all');
  }

  /** Learns every issued credential from creation responses, as a faulty server would know them. */
  function learn(requestBody: Buffer, response: Forwarded): void {
    const created = parseJson(response.body);
    const request = parseJson(requestBody);
    if (!created || typeof created['id'] !== 'string') return;
    const secret = typeof created['secret_access_key'] === 'string' ? created['secret_access_key'] : null;
    creations.set(created['id'], { secret });
    const expiresAt = typeof created['expires_at'] === 'string' ? Date.parse(created['expires_at']) : Number.NaN;
    const bearer = typeof created['bearer_token'] === 'string' ? created['bearer_token'] : null;
    if (Number.isFinite(expiresAt)) {
      if (bearer) expiries.set(bearer, expiresAt);
      if (typeof created['access_key_id'] === 'string') expiries.set(created['access_key_id'], expiresAt);
    }
    const storage = (request?.['object_storage'] ?? null) as { permission_type?: string; bucket_scope?: string } | null;
    if (secret && typeof created['access_key_id'] === 'string' && storage?.permission_type) {
      keys.set(created['access_key_id'], { level: storage.permission_type, bucketScope: storage.bucket_scope ?? 'all', secret });
      if (storage.permission_type === 'admin_rw' && (storage.bucket_scope ?? 'all') === 'all' && bearer) adminBearer = bearer;
    }
  }

  async function handle(kind: 'api' | 's3', req: IncomingMessage, res: ServerResponse): Promise<void> {
    const upstreamUrl = new URL(kind === 'api' ? upstream.apiUrl : upstream.s3Endpoint);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    let body = await readBody(req);
    let headers = req.headers;
    const isCreate = kind === 'api' && method === 'POST' && /^\/v1\/projects\/[^/]+\/api-tokens\/?$/.test(url);

    if (isCreate) managementAuth = String(headers['authorization'] ?? '');
    let path = url;
    if (fault === 'expiry-grace') {
      const admin = adminKey();
      const bearer = /^Bearer (.+)$/.exec(String(headers['authorization'] ?? ''))?.[1] ?? null;
      const presignedKey = /[?&]X-Amz-Credential=([^%&/]+)/.exec(url)?.[1] ?? null;
      if (kind === 'api' && bearer && adminBearer && (await inGrace(bearer))) {
        headers = { ...headers, authorization: `Bearer ${adminBearer}` };
        injected += 1;
      } else if (kind === 's3' && admin && (await inGrace(identity(headers)))) {
        headers = await resign(method, url, headers, body, { accessKeyId: admin[0], secret: admin[1].secret });
        injected += 1;
      } else if (kind === 's3' && admin && method === 'GET' && presignedKey && (await inGrace(presignedKey))) {
        const host = String(headers['host'] ?? '');
        const resigned = presignRaw(`http://${host}${url.split('?')[0]}`, { accessKeyId: admin[0], secretAccessKey: admin[1].secret }, upstream.region, new Date(await upstreamNow()), 3600);
        path = resigned.slice(`http://${host}`.length);
        injected += 1;
      }
    }
    if (fault === 'clamp-expiry' && isCreate) {
      const json = parseJson(body);
      const days = json?.['expires_in_days'];
      if (json && typeof days === 'number' && days > tokenExpiryDays.value.max) {
        body = Buffer.from(JSON.stringify({ ...json, expires_in_days: tokenExpiryDays.value.max }));
        injected += 1;
      }
    }
    if (fault === 'default-expiry-30' && isCreate) {
      const json = parseJson(body);
      if (json && !('expires_in_days' in json)) {
        body = Buffer.from(JSON.stringify({ ...json, expires_in_days: 30 }));
        injected += 1;
      }
    }
    if (fault === 'scopeless-token-defaulted' && isCreate) {
      const json = parseJson(body);
      if (json && json['object_storage'] === undefined && json['billing'] === undefined) {
        body = Buffer.from(JSON.stringify({ ...json, billing: { permission_type: 'read_only' } }));
        injected += 1;
      }
    }
    if (fault === 'billing-write-allowed' && kind === 'api' && method !== 'GET' && url.startsWith('/v1/billing/')) {
      injected += 1;
      send(res, { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') });
      return;
    }
    if (fault === 'invalid-bucket-name-accepted' && kind === 's3' && method === 'PUT') {
      const bucket = bucketOnlyPath(url);
      const signer = keys.get(identity(headers));
      if (bucket !== null && !isValidBucketName(bucket) && signer) {
        path = `/${renamedBucket(bucket)}`;
        headers = await resign(method, path, headers, body, { accessKeyId: identity(headers), secret: signer.secret });
        injected += 1;
      }
    }
    if (fault === 'invalid-bucket-name-accepted' && kind === 'api' && method === 'POST' && url.split('?')[0] === '/v1/object-storage/buckets') {
      const json = parseJson(body);
      const name = json?.['name'];
      if (json && typeof name === 'string' && !isValidBucketName(name)) {
        body = Buffer.from(JSON.stringify({ ...json, name: renamedBucket(name) }));
        injected += 1;
      }
    }
    if (fault === 'checksum-ignored' && kind === 's3' && method === 'PUT' && contradictsDeclaredChecksum(headers, body)) {
      injected += 1;
      send(res, { status: 200, headers: { etag: `"${createHash('md5').update(body).digest('hex')}"` }, body: Buffer.alloc(0) });
      return;
    }
    if (fault === 'all-scope-config-write' && kind === 's3' && isBucketConfigWrite(method, url)) {
      const key = keys.get(identity(headers));
      const admin = adminKey();
      if (key?.level === 'object_rw' && key.bucketScope === 'all' && admin) {
        headers = await resign(method, url, headers, body, { accessKeyId: admin[0], secret: admin[1].secret });
        injected += 1;
      }
    }
    if (fault === 'ro-write' && kind === 's3' && ['PUT', 'POST', 'DELETE'].includes(method)) {
      const key = keys.get(identity(headers));
      const admin = [...keys.entries()].find(([, k]) => k.level === 'admin_rw' && k.bucketScope === 'all');
      if (key?.level === 'object_ro' && admin) {
        headers = await resign(method, url, headers, body, { accessKeyId: admin[0], secret: admin[1].secret });
        injected += 1;
      }
    }

    let response = await forward(upstreamUrl, method, path, headers, body);
    if (isCreate && response.status < 300) learn(body, response);

    if (fault === 'created-at-shifted-day' && isCreate && response.status === 201) {
      const json = parseJson(response.body);
      const shift = (value: unknown) => (typeof value === 'string' && Number.isFinite(Date.parse(value)) ? new Date(Date.parse(value) + 86_400_000).toISOString() : value);
      if (json && typeof json['created_at'] === 'string') {
        response = { ...response, body: Buffer.from(JSON.stringify({ ...json, created_at: shift(json['created_at']), expires_at: shift(json['expires_at']) })) };
        injected += 1;
      }
    }
    if (fault === 's3-secret-in-xml-body' && kind === 's3' && response.status === 200 && /xml/.test(String(response.headers['content-type'] ?? ''))) {
      const secret = keys.get(identity(headers))?.secret;
      const text = response.body.toString('utf8');
      const rootEnd = text.lastIndexOf('</');
      if (secret && rootEnd > 0) {
        // An unknown element inside the root: the SDK parses the answer as before and ignores it.
        response = { ...response, body: Buffer.from(`${text.slice(0, rootEnd)}<SecretAccessKey>${secret}</SecretAccessKey>${text.slice(rootEnd)}`) };
        injected += 1;
      }
    }
    if (fault === 'secret-leak-on-get' && kind === 'api' && method === 'GET' && response.status === 200) {
      const id = /^\/v1\/projects\/[^/]+\/api-tokens\/([^/?]+)/.exec(url)?.[1];
      const secret = id ? creations.get(decodeURIComponent(id))?.secret : undefined;
      const json = parseJson(response.body);
      if (secret && json) {
        response = { ...response, body: Buffer.from(JSON.stringify({ ...json, secret_access_key: secret })) };
        injected += 1;
      }
    }
    if (fault === 'stale-revoked' && method === 'GET') {
      const cacheKey = `${kind} ${url} ${identity(headers)}`;
      const cached = recent.get(cacheKey);
      if (response.status >= 200 && response.status < 300) {
        recent.set(cacheKey, { at: Date.now(), response });
      } else if ((response.status === 401 || response.status === 403) && cached && Date.now() - cached.at < staleWindowMs) {
        response = cached.response;
        injected += 1;
      }
    }
    if (fault === 'nonempty-bucket-deleted' && method === 'DELETE' && response.status === 409) {
      const onBucket = kind === 's3' ? bucketOnlyPath(url) !== null : /^\/v1\/object-storage\/buckets\/[^/?]+\/?$/.test(url);
      if (onBucket && /BucketNotEmpty|bucket_not_empty/.test(response.body.toString('utf8'))) {
        response = { status: 204, headers: {}, body: Buffer.alloc(0) };
        injected += 1;
      }
    }
    if (fault === 'corrupt-get-body' && kind === 's3' && method === 'GET' && response.status === 200 && response.body.length > 0 && isObjectRead(url)) {
      const corrupted = Buffer.from(response.body);
      const middle = Math.floor(corrupted.length / 2);
      corrupted[middle] = (corrupted[middle] ?? 0) ^ 0x01;
      const headers = Object.fromEntries(Object.entries(response.headers).filter(([name]) => !name.startsWith('x-amz-checksum-')));
      response = { ...response, headers, body: corrupted };
      injected += 1;
    }
    send(res, response, method === 'HEAD');
  }

  const listen = (kind: 'api' | 's3'): Promise<Server> =>
    new Promise((resolve) => {
      const server = createServer((req, res) => {
        handle(kind, req, res).catch((error: unknown) => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`fault proxy: ${(error as Error).message}`);
        });
      });
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
  const api = await listen('api');
  const s3 = await listen('s3');
  const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint: { ...upstream, apiUrl: urlOf(api), s3Endpoint: urlOf(s3), embedded: false },
    injections: () => injected,
    close: async () => {
      await Promise.all(
        [api, s3].map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
