/**
 * Test support for the S3 app's own tests: a hand-built MockContext (tiny in-memory token double, the real
 * storage), an HTTP server running createS3App on a free port, and real @aws-sdk/client-s3 clients for tokens of
 * any level and scope. The real token store lives in mock-server/tokens/.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client, type S3ClientConfig, type S3ServiceException } from '@aws-sdk/client-s3';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import Database from 'better-sqlite3';
import { pino, type Logger } from 'pino';
import type { BucketScope, PermissionType } from '../../../spec/index.js';
import { createBillingControl } from '../../billing-control.js';
import { createClock, type Clock } from '../../clock.js';
import type { MockContext, TokenRecord, TokenStore } from '../../context.js';
import { createStorage } from '../../store/storage.js';
import type { IncomingBody, Storage } from '../../store/types.js';
import { createS3App } from '../app.js';

export class TestTokenStore implements TokenStore {
  readonly tokens: TokenRecord[] = [];
  findByAccessKeyId(accessKeyId: string) {
    return this.tokens.find((token) => token.accessKeyId === accessKeyId);
  }
  findByBearer() {
    return undefined;
  }
  recordUse() {}
  get(projectId: string, tokenId: string) {
    return this.tokens.find((token) => token.projectId === projectId && token.id === tokenId);
  }
  list(projectId: string) {
    return this.tokens.filter((token) => token.projectId === projectId);
  }
  reset() {
    this.tokens.length = 0;
  }
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface TestS3 {
  readonly server: Server;
  readonly endpoint: string;
  readonly port: number;
  readonly ctx: MockContext;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly tokens: TestTokenStore;
  readonly projectId: string;
  /** Issues a token and returns its S3 credentials. */
  token(options?: { level?: PermissionType; scope?: BucketScope; buckets?: string[]; projectId?: string }): Credentials;
  client(credentials: Credentials, config?: Partial<S3ClientConfig>): S3Client;
  close(): Promise<void>;
}

let counter = 0;

export async function startTestS3(
  options: { dataDir?: string | null; s3Domain?: string | null; allowSigV2?: boolean; db?: Database.Database; tokens?: TestTokenStore; logger?: Logger } = {},
): Promise<TestS3> {
  const dataDir = options.dataDir ?? null;
  const clock = createClock();
  const logger = options.logger ?? pino({ level: 'silent' });
  const db = options.db ?? new Database(dataDir ? `${dataDir}/test-meta.sqlite` : ':memory:');
  const storage = createStorage({ db, dataDir, clock, logger });
  const tokens = options.tokens ?? new TestTokenStore();
  const projectId = 'test-project';
  let endpoint = '';
  const ctx: MockContext = {
    clock,
    logger,
    db,
    dataDir,
    projectIds: [projectId, 'other-project'],
    organizationId: 'test-organization',
    billing: createBillingControl(db),
    tokens,
    storage,
    s3Domain: options.s3Domain ?? null,
    allowSigV2: options.allowSigV2 ?? false,
    s3EndpointFor: () => endpoint,
  };
  const server: Server = createServer(createS3App(ctx));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];

  return {
    server,
    endpoint,
    port,
    ctx,
    storage,
    clock,
    tokens,
    projectId,
    token({ level = 'admin_rw', scope = 'all', buckets = [], projectId: project = projectId } = {}) {
      counter += 1;
      const accessKeyId = `AKIA${counter.toString(16).toUpperCase().padStart(16, '0')}`;
      const secretAccessKey = randomBytes(30).toString('base64').slice(0, 40);
      const now = clock.nowMs();
      tokens.tokens.push({
        kind: 'api-token',
        id: `token-${counter}`,
        projectId: project,
        name: `test ${counter}`,
        description: null,
        createdAt: new Date(now),
        expiresAt: new Date(now + 30 * 86_400_000),
        revokedAt: null,
        objectStorage: { permissionType: level, bucketScope: scope, allowedBuckets: scope === 'all' ? [] : buckets },
        billing: null,
        accessKeyId,
        secretAccessKey,
      });
      return { accessKeyId, secretAccessKey };
    },
    client(credentials, config = {}) {
      const client = new S3Client({
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials,
        maxAttempts: 1,
        ...config,
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await storage.close();
      if (!options.db) db.close();
    },
  };
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/**
 * A browser-style POST policy form (policy signed with SigV4, as S3's docs and IBEE's P11 describe), the file last.
 * `conditions` are added to the policy besides bucket, key and the x-amz-* fields.
 */
export function postPolicyForm(
  credentials: Credentials,
  options: { bucket: string; key: string; body: Buffer | string; nowMs: number; fields?: Record<string, string>; conditions?: unknown[]; expiresInSeconds?: number },
): FormData {
  const amzDate = new Date(options.nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const credential = `${credentials.accessKeyId}/${day}/us-east-1/s3/aws4_request`;
  const fields: Record<string, string> = {
    key: options.key,
    'x-amz-algorithm': 'AWS4-HMAC-SHA256',
    'x-amz-credential': credential,
    'x-amz-date': amzDate,
    ...options.fields,
  };
  const policy = {
    expiration: new Date(options.nowMs + (options.expiresInSeconds ?? 3600) * 1000).toISOString(),
    conditions: [
      { bucket: options.bucket },
      // A key naming ${filename} is matched by prefix, as browser forms do it.
      ...Object.entries(fields).map(([name, value]) =>
        name === 'key' && value.includes('$' + '{filename}') ? ['starts-with', '$key', value.slice(0, value.indexOf('$' + '{filename}'))] : { [name]: value },
      ),
      ...(options.conditions ?? []),
    ],
  };
  const policyBase64 = Buffer.from(JSON.stringify(policy)).toString('base64');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), 'us-east-1'), 's3'), 'aws4_request');
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('policy', policyBase64);
  form.append('x-amz-signature', createHmac('sha256', signingKey).update(policyBase64).digest('hex'));
  form.append('file', new Blob([options.body]), 'upload.bin');
  return form;
}

/** A body for the storage API directly, as s3/signing would hand it over after verification. */
export function verifiedBody(data: Buffer | string): IncomingBody {
  const bytes = Buffer.from(data);
  return {
    stream: Readable.from(bytes.length > 0 ? [bytes] : []),
    digests: Promise.resolve({ md5Hex: createHash('md5').update(bytes).digest('hex'), checksums: {} }),
  };
}

const Sha256 = Hash.bind(null, 'sha256');

/**
 * A raw request signed with SigV4 (header auth, hex payload hash) for what the SDK will not send: malformed XML,
 * unknown sub-resources, hand-made headers.
 */
export async function signedFetch(
  s3: TestS3,
  credentials: Credentials,
  method: string,
  pathAndQuery: string,
  options: { body?: Buffer | string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const url = new URL(pathAndQuery, s3.endpoint);
  const body = options.body === undefined ? Buffer.alloc(0) : Buffer.from(options.body);
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false });
  const request = new HttpRequest({
    method,
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query,
    headers: {
      host: url.host,
      'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
      ...(body.length > 0 ? { 'content-length': String(body.length) } : {}),
      ...options.headers,
    },
    body,
  });
  const signed = await signer.sign(request, { signingDate: new Date(s3.clock.nowMs()) });
  const response = await fetch(url, {
    method,
    headers: signed.headers,
    body: body.length > 0 ? body : undefined,
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The S3 error a request failed with (code and HTTP status); fails the test if the request succeeded. */
export async function failure(promise: Promise<unknown>): Promise<{ code: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as S3ServiceException;
    return { code: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the request to fail');
}

/**
 * Resolves when the mock next calls `method` of the store: for `putObject` (PutObject, PostObject) that is after
 * authentication, authorization and, for a form, the policy check, while the body is still arriving; for
 * `requireBucket`, when a controller has the bucket it was authorized for and has yet to read the body.
 */
export function nextStoreCall(storage: Storage, method: 'putObject' | 'requireBucket'): Promise<void> {
  const original = storage[method] as (...args: unknown[]) => unknown;
  return new Promise<void>((resolve) => {
    (storage as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      (storage as unknown as Record<string, unknown>)[method] = original;
      resolve();
      return original.apply(storage, args);
    };
  });
}

/** Resolves when the mock next hands a body to the store (see nextStoreCall). */
export const nextStoreWrite = (storage: Storage): Promise<void> => nextStoreCall(storage, 'putObject');
