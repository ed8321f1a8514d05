/**
 * Test doubles for the s3/signing unit tests only: an in-memory TokenStore and a tiny node:http server that runs
 * authenticate() on every request (refusing anonymous callers, as authorization does outside public buckets) and
 * drains the verified body. The real token store lives in mock-server/tokens/.
 */
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createClock, type Clock } from '../../../clock.js';
import type { TokenRecord, TokenStore } from '../../../context.js';
import { S3Error } from '../../errors.js';
import { authenticate, type AuthContext } from '../authenticate.js';
import { authenticatePostPolicy } from '../post-policy.js';
import type { BodyDigests, Caller } from '../types.js';

export class InMemoryTokenStore implements TokenStore {
  private readonly tokens: TokenRecord[] = [];

  add(token: TokenRecord): TokenRecord {
    this.tokens.push(token);
    return token;
  }

  replace(token: TokenRecord): void {
    const index = this.tokens.findIndex((existing) => existing.id === token.id);
    if (index < 0) throw new Error(`no token ${token.id}`);
    this.tokens[index] = token;
  }

  findByAccessKeyId(accessKeyId: string): TokenRecord | undefined {
    return this.tokens.find((token) => token.accessKeyId === accessKeyId);
  }

  findByBearer(): TokenRecord | undefined {
    return undefined;
  }

  recordUse(): void {}

  get(projectId: string, tokenId: string): TokenRecord | undefined {
    return this.tokens.find((token) => token.projectId === projectId && token.id === tokenId);
  }

  list(projectId: string): readonly TokenRecord[] {
    return this.tokens.filter((token) => token.projectId === projectId);
  }

  reset(): void {
    this.tokens.length = 0;
  }
}

let tokenCounter = 0;

export function objectStorageToken(accessKeyId: string, secretAccessKey: string, overrides: Partial<TokenRecord> = {}): TokenRecord {
  tokenCounter += 1;
  return {
    kind: 'api-token',
    id: `tok-${tokenCounter}`,
    projectId: 'project-1',
    name: `test token ${tokenCounter}`,
    description: null,
    createdAt: new Date(Date.now() - 60_000),
    expiresAt: new Date(Date.now() + 30 * 24 * 3600_000),
    revokedAt: null,
    objectStorage: { permissionType: 'admin_read_write', bucketScope: 'all', allowedBuckets: [] },
    billing: null,
    accessKeyId,
    secretAccessKey,
    ...overrides,
  } as TokenRecord;
}

export interface Outcome {
  readonly method: string;
  readonly headers?: IncomingMessage['headers'];
  readonly rawPath: string;
  readonly caller?: Caller;
  readonly digests?: BodyDigests;
  readonly body?: Buffer;
  readonly error?: S3Error;
  /** Extra POST policy results. */
  readonly postKey?: string;
  readonly postFields?: Readonly<Record<string, string>>;
}

export interface AuthTestServer {
  readonly endpoint: string;
  readonly port: number;
  readonly clock: Clock;
  readonly tokens: InMemoryTokenStore;
  readonly outcomes: Outcome[];
  /** Body GET requests receive. */
  getBody: Buffer;
  close(): Promise<void>;
}

function xmlEscape(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
}

function sendError(res: ServerResponse, error: S3Error): void {
  const extra = Object.entries(error.extra).map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`).join('');
  const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message>${extra}<RequestId>test</RequestId></Error>`;
  res.writeHead(error.status, { 'content-type': 'application/xml', connection: 'close' });
  res.end(xml);
}

async function handle(ctx: AuthContext, server: AuthTestServer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const method = req.method ?? 'GET';
  res.setHeader('date', ctx.clock.now().toUTCString());
  try {
    if (method === 'POST' && !rawQuery) {
      const upload = await authenticatePostPolicy(req, ctx, rawPath.split('/')[1] ?? '');
      const body = await upload.file.buffer(64 * 1024 * 1024);
      const digests = await upload.file.digests;
      server.outcomes.push({ method, rawPath, caller: upload.caller, digests, body, postKey: upload.key, postFields: upload.fields });
      res.writeHead(204, { etag: `"${digests.md5Hex}"` });
      res.end();
      return;
    }
    const { caller, body } = await authenticate(req, ctx, { rawPath, rawQuery, host: req.headers.host ?? '' });
    // The harness has no public buckets: authorization would refuse every anonymous caller.
    if (caller.anonymous) throw new S3Error('AccessDenied', 'Access Denied');
    if (rawPath.startsWith('/drain/')) {
      // Large-body tests: read and forget, as a controller writing to disk would.
      for await (const piece of body.stream) void piece;
      const digests = await body.digests;
      server.outcomes.push({ method, rawPath, headers: req.headers, caller, digests });
      res.writeHead(200, { etag: `"${digests.md5Hex}"` });
      res.end();
      return;
    }
    const received = await body.buffer(64 * 1024 * 1024);
    const digests = await body.digests;
    server.outcomes.push({ method, rawPath, headers: req.headers, caller, digests, body: received });
    const headers: Record<string, string> = { etag: `"${digests.md5Hex}"` };
    for (const [algorithm, value] of Object.entries(digests.checksums)) headers[`x-amz-checksum-${algorithm.toLowerCase()}`] = value;
    if (method === 'GET') {
      headers['content-length'] = String(server.getBody.length);
      res.writeHead(200, headers);
      res.end(server.getBody);
    } else {
      res.writeHead(200, headers);
      res.end();
    }
  } catch (error) {
    if (!(error instanceof S3Error)) throw error;
    server.outcomes.push({ method, rawPath, headers: req.headers, error });
    sendError(res, error);
  }
}

export async function startAuthTestServer(options: { allowSigV2?: boolean } = {}): Promise<AuthTestServer> {
  const clock = createClock();
  const tokens = new InMemoryTokenStore();
  const ctx: AuthContext = { clock, tokens, allowSigV2: options.allowSigV2 ?? false };
  const server: AuthTestServer = {
    endpoint: '',
    port: 0,
    clock,
    tokens,
    outcomes: [],
    getBody: Buffer.from('hello from the auth test server'),
    close: () => new Promise<void>((resolve) => {
      httpServer.closeAllConnections();
      httpServer.close(() => resolve());
    }),
  };
  const httpServer: Server = createServer((req, res) => {
    handle(ctx, server, req, res).catch((error: unknown) => {
      server.outcomes.push({ method: req.method ?? '', rawPath: req.url ?? '', error: new S3Error('InternalError', String(error)) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', () => resolve()));
  const { port } = httpServer.address() as AddressInfo;
  return Object.assign(server, { endpoint: `http://127.0.0.1:${port}`, port });
}

// ---- Hand-built SigV4 requests, for what the SDK never sends (signed chunks) or to send corrupted bodies. ----

/**
 * Registers the usual hooks for a test file (or describe block): one auth test server for all its tests, holding
 * a token with these keys, with outcomes cleared (and, unless told otherwise, the clock reset) before each test.
 */
export function useAuthTestServer(
  accessKeyId: string,
  secretAccessKey: string,
  options: { resetClock?: boolean; allowSigV2?: boolean } = {},
): () => AuthTestServer {
  let server: AuthTestServer | undefined;
  beforeAll(async () => {
    server = await startAuthTestServer({ allowSigV2: options.allowSigV2 ?? false });
    server.tokens.add(objectStorageToken(accessKeyId, secretAccessKey));
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    server!.outcomes.length = 0;
    if (options.resetClock ?? true) server!.clock.reset();
  });
  return () => server!;
}

export interface RawCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SignedRequestInput {
  readonly method: string;
  /** Raw (already encoded) path. */
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly payloadHash: string;
  readonly credentials: RawCredentials;
  readonly signingDate?: Date;
  readonly region?: string;
}

export interface SignedRequest {
  readonly headers: Record<string, string>;
  readonly seedSignature: string;
  readonly signer: SignatureV4;
  readonly signingDate: Date;
  readonly longDate: string;
  readonly scope: string;
  readonly rawQuery: string;
}

/** Signs a request with the SDK's own signer, as a client would. */
export async function signRequest(server: AuthTestServer, input: SignedRequestInput): Promise<SignedRequest> {
  const region = input.region ?? 'us-east-1';
  const signingDate = input.signingDate ?? server.clock.now();
  const signer = new SignatureV4({ credentials: input.credentials, region, service: 's3', sha256: Hash.bind(null, 'sha256'), uriEscapePath: false, applyChecksum: false });
  const host = `127.0.0.1:${server.port}`;
  const query = input.query ?? {};
  const request = new HttpRequest({
    method: input.method,
    hostname: '127.0.0.1',
    port: server.port,
    path: input.path,
    query,
    headers: { host, 'x-amz-content-sha256': input.payloadHash, ...input.headers },
  });
  const signed = await signer.sign(request, { signingDate });
  const headers = signed.headers as Record<string, string>;
  const seedSignature = /Signature=([0-9a-f]{64})/.exec(headers.authorization ?? '')?.[1] ?? '';
  const longDate = headers['x-amz-date'] ?? '';
  const rawQuery = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return { headers, seedSignature, signer, signingDate, longDate, scope: `${longDate.slice(0, 8)}/${region}/s3/aws4_request`, rawQuery };
}

export interface RawResponse {
  readonly status: number;
  readonly body: string;
}

/** Sends raw body pieces (each its own write) and resolves with the response; a reset connection resolves status 0. */
export function sendRaw(server: AuthTestServer, method: string, pathAndQuery: string, headers: Record<string, string>, pieces: readonly Buffer[]): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, method, path: pathAndQuery, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (piece: Buffer) => parts.push(piece));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    (async () => {
      for (const piece of pieces) {
        await new Promise<void>((done) => req.write(piece, () => done()));
        await new Promise<void>((done) => setImmediate(done));
      }
      req.end();
    })().catch(() => resolve({ status: 0, body: '' }));
  });
}

/** Sends bytes over a plain socket and half-closes it: for bodies shorter than their Content-Length. */
export function sendTruncated(server: AuthTestServer, head: string, body: Buffer): Promise<string> {
  return new Promise<string>((resolve) => {
    const socket = connect(server.port, '127.0.0.1', () => {
      socket.write(head);
      socket.end(body);
    });
    const parts: Buffer[] = [];
    socket.on('data', (piece: Buffer) => parts.push(piece));
    socket.on('close', () => resolve(Buffer.concat(parts).toString('latin1')));
    socket.on('error', () => undefined);
  });
}

export const emptySha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface ChunkSigning {
  readonly signer: SignatureV4;
  readonly signingDate: Date;
  readonly longDate: string;
  readonly scope: string;
  readonly seedSignature: string;
}

const sha256HexOf = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/**
 * aws-chunked encoding written from the AWS documentation, independent of chunked.ts: chunk signatures are
 * HMACs over `AWS4-HMAC-SHA256-PAYLOAD\n date\n scope\n previous\n sha256("")\n sha256(data)`, computed with the
 * SDK signer's string signing.
 */
export async function encodeAwsChunked(
  body: Buffer,
  chunkSizes: readonly number[],
  options: { signing?: ChunkSigning; trailers?: readonly (readonly [string, string])[]; signedTrailer?: boolean } = {},
): Promise<Buffer> {
  const pieces: Buffer[] = [];
  let previous = options.signing?.seedSignature ?? '';
  const chunkHeader = async (data: Buffer): Promise<string> => {
    if (!options.signing) return data.length.toString(16);
    const { signer, signingDate, longDate, scope } = options.signing;
    const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', longDate, scope, previous, emptySha256, sha256HexOf(data)].join('\n');
    previous = await signer.sign(toSign, { signingDate });
    return `${data.length.toString(16)};chunk-signature=${previous}`;
  };
  let offset = 0;
  let index = 0;
  while (offset < body.length) {
    const size = Math.max(1, Math.min(chunkSizes[index % Math.max(1, chunkSizes.length)] ?? body.length, body.length - offset));
    const data = body.subarray(offset, offset + size);
    pieces.push(Buffer.from(`${await chunkHeader(data)}\r\n`), data, Buffer.from('\r\n'));
    offset += size;
    index += 1;
  }
  pieces.push(Buffer.from(`${await chunkHeader(Buffer.alloc(0))}\r\n`));
  const trailers = options.trailers ?? [];
  for (const [name, value] of trailers) pieces.push(Buffer.from(`${name}:${value}\r\n`));
  if (options.signedTrailer && options.signing && trailers.length > 0) {
    const { signer, signingDate, longDate, scope } = options.signing;
    const canonical = trailers.map(([name, value]) => `${name}:${value}\n`).join('');
    const toSign = ['AWS4-HMAC-SHA256-TRAILER', longDate, scope, previous, sha256HexOf(canonical)].join('\n');
    pieces.push(Buffer.from(`x-amz-trailer-signature:${await signer.sign(toSign, { signingDate })}\r\n`));
  }
  pieces.push(Buffer.from('\r\n'));
  return Buffer.concat(pieces);
}

/** Splits bytes at the given offsets (sorted, deduplicated), like TCP might. */
export function splitAt(data: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = [...new Set(offsets.filter((offset) => offset > 0 && offset < data.length))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    pieces.push(data.subarray(start, cut));
    start = cut;
  }
  pieces.push(data.subarray(start));
  return pieces;
}
