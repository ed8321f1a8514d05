import { createHash, createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import { S3Client, type GetObjectCommand, type HeadObjectCommand, type PutObjectCommand, type S3ClientConfig } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { findSecrets } from '../../reports/redact.js';
import type { Evidence } from '../../reports/results-format.js';
import type { TargetClock } from './capabilities.js';
import type { TargetEndpoint } from './config.js';
import type { IssuedToken } from './driver.js';
import { describeNetworkError } from './reachability.js';

/**
 * S3 through the real SDK (path style, the target's region), signed at the target's clock so that time travel on
 * the mock does not turn every request into RequestTimeTooSkewed. One attempt only: a retry would blur what "the
 * very next request" after a revoke got.
 */

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export function credentialsOf(token: IssuedToken): S3Credentials {
  if (!token.accessKeyId || !token.secretAccessKey) throw new Error(`token ${token.id ?? token.name} has no S3 credentials`);
  return { accessKeyId: token.accessKeyId, secretAccessKey: token.secretAccessKey };
}

/** Response headers carrying an issued secret are a SECRET-ONCE violation; S3 leaks are collected here. */
const s3HeaderLeaks: { secrets: string[]; where: string }[] = [];

export function observedS3HeaderLeaks(): readonly { secrets: string[]; where: string }[] {
  return s3HeaderLeaks;
}

/** Forgets the S3 leaks seen so far: a conformance file starts from none. */
export function forgetObservedS3Leaks(): void {
  s3HeaderLeaks.length = 0;
}

/** XML answers above this size (large listings) are passed through unscanned rather than held in memory. */
const maxScannedBodyBytes = 4 * 1024 * 1024;

/**
 * Success bodies never reach the leak scan through the SDK (it parses them into outputs), so the client's request
 * handler is wrapped: an XML answer is read whole, scanned, and handed on to the SDK as an equivalent stream. Object
 * bodies (non-XML) stream through untouched.
 */
const scannedHandlers = new WeakSet<object>();

function scanXmlResponseBodies(client: S3Client): void {
  const handler = client.config.requestHandler as { handle: (request: unknown, options?: unknown) => Promise<{ response: { headers: Record<string, string>; body: unknown; statusCode: number } }> };
  // A handler shared between clients (passed in `extra`) is wrapped once.
  if (scannedHandlers.has(handler)) return;
  scannedHandlers.add(handler);
  const handle = handler.handle.bind(handler);
  handler.handle = async (request, options) => {
    const result = await handle(request, options);
    const { response } = result;
    const contentType = response.headers['content-type'] ?? '';
    const length = Number(response.headers['content-length'] ?? 0);
    if (!/xml/i.test(contentType) || length > maxScannedBodyBytes || !(response.body instanceof Readable)) return result;
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    const body = Buffer.concat(chunks);
    const found = findSecrets(body.toString('utf8'));
    const path = (request as { path?: string }).path ?? '';
    if (found.length > 0) s3HeaderLeaks.push({ secrets: found, where: `S3 ${response.statusCode} response body (${path})` });
    response.body = Readable.from([body], { objectMode: false });
    return result;
  };
}

/** The request an S3 call sent, as evidence shows it: no header, so no signature; the access key id is no secret. */
export interface SentS3Request {
  readonly method: string;
  /** Endpoint, path and query, as sent. */
  readonly url: string;
  readonly accessKeyId: string | null;
}

/** Where the SDK middleware below leaves the request on an output or error, for `attempt` to pick up. */
const sentRequestKey = Symbol('ibee.sentS3Request');

function queryString(query: Record<string, string | string[] | null | undefined>): string {
  return Object.entries(query)
    .filter(([name]) => !/^x-amz-(signature|security-token)$/i.test(name))
    .flatMap(([name, value]) =>
      value === null || value === undefined ? [encodeURIComponent(name)] : (Array.isArray(value) ? value : [value]).map((v) => `${encodeURIComponent(name)}=${encodeURIComponent(v)}`),
    )
    .join('&');
}

/** Header-signed requests name their key in `Credential=`; the signature never leaves here. */
export function describeSentRequest(request: HttpRequest): SentS3Request {
  const authorization = request.headers['authorization'] ?? request.headers['Authorization'] ?? '';
  const accessKeyId = /Credential=([^/,\s]+)\//.exec(authorization)?.[1] ?? null;
  const query = queryString(request.query ?? {});
  const port = request.port ? `:${request.port}` : '';
  return { method: request.method, url: `${request.protocol}//${request.hostname}${port}${request.path}${query ? `?${query}` : ''}`, accessKeyId };
}

function keepSentRequest(on: unknown, context: object): void {
  const sent = (context as Record<symbol, SentS3Request | undefined>)[sentRequestKey];
  if (sent && on !== null && typeof on === 'object' && Object.isExtensible(on)) Object.defineProperty(on, sentRequestKey, { value: sent, enumerable: false });
}

export function s3Client(target: TargetEndpoint, credentials: S3Credentials, clock: TargetClock, extra: Partial<S3ClientConfig> = {}): S3Client {
  const client = new S3Client({
    endpoint: target.s3Endpoint,
    region: target.region,
    forcePathStyle: true,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    maxAttempts: 1,
    systemClockOffset: clock.offsetMs,
    ...extra,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      // Signing reads this at the finalize step, after this runs; the clock may have moved since creation.
      client.config.systemClockOffset = clock.offsetMs;
      return next(args);
    },
    { step: 'initialize', name: 'ibeeTargetClock' },
  );
  // Evidence: the signed request as it went out (after the finalize step), handed to the output or error it ended in.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (HttpRequest.isInstance(args.request)) (context as Record<symbol, SentS3Request>)[sentRequestKey] = describeSentRequest(args.request);
      return next(args);
    },
    { step: 'deserialize', name: 'ibeeSentRequest', priority: 'high' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        const result = await next(args);
        keepSentRequest(result.output, context);
        return result;
      } catch (error) {
        keepSentRequest(error, context);
        throw error;
      }
    },
    { step: 'initialize', name: 'ibeeSentRequestEvidence', priority: 'high' },
  );
  scanXmlResponseBodies(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const response = result.response as { headers?: Record<string, string> } | undefined;
      const found = findSecrets(JSON.stringify(response?.headers ?? {}));
      if (found.length > 0) s3HeaderLeaks.push({ secrets: found, where: `S3 ${context.commandName ?? 'request'} response headers` });
      return result;
    },
    { step: 'deserialize', name: 'ibeeLeakScan' },
  );
  return client;
}

/** What an S3 call ended with, whether it threw or not. */
export interface S3Outcome<T = unknown> {
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /**
   * S3 error code (`AccessDenied`, …), the SDK's name for bodiless errors (`Forbidden`, `NotFound`), with no response
   * (status 0) the network cause (`ECONNREFUSED 127.0.0.1:1`, `ENOTFOUND host`, …), or null on success.
   */
  readonly code: string | null;
  readonly message: string | null;
  readonly value?: T;
  /** The request that was sent, when one was (SDK calls, PostObject). */
  readonly request?: SentS3Request;
  /** `x-amz-request-id` of the answer, where the endpoint sent one. */
  readonly requestId?: string | null;
}

interface SdkMetadata {
  httpStatusCode?: number;
  requestId?: string;
}

interface SdkError {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: SdkMetadata;
  $response?: { statusCode?: number };
}

/** Request and request ids of an SDK output or error, as S3Outcome fields. */
function sentOf(from: unknown): Pick<S3Outcome, 'request' | 'requestId'> {
  if (from === null || typeof from !== 'object') return {};
  const request = (from as Record<symbol, SentS3Request | undefined>)[sentRequestKey];
  const metadata = (from as { $metadata?: SdkMetadata }).$metadata;
  return { ...(request ? { request } : {}), ...(metadata?.requestId ? { requestId: metadata.requestId } : {}) };
}

export function outcomeOfError(error: unknown): S3Outcome<never> {
  const e = (error ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode ?? 0;
  const leaked = findSecrets(String(e.message ?? ''));
  if (leaked.length > 0) s3HeaderLeaks.push({ secrets: leaked, where: `S3 error message (${e.name ?? 'error'})` });
  // No response at all: the network cause (ECONNREFUSED 127.0.0.1:1, …) says more than the SDK's generic "Error".
  if (status === 0 && e.Code === undefined) return { status, code: describeNetworkError(error), message: e.message ?? null, ...sentOf(error) };
  return { status, code: e.Code ?? e.name ?? 'Error', message: e.message ?? null, ...sentOf(error) };
}

export async function attempt<T>(call: () => Promise<T>): Promise<S3Outcome<T>> {
  try {
    const value = await call();
    const status = (value as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode ?? 200;
    return { status, code: null, message: null, value, ...sentOf(value) };
  } catch (error) {
    return outcomeOfError(error);
  }
}

/**
 * An S3 call as evidence a user can act on: method, URL with path and query, status, the access key id that signed
 * it, S3's error code and message, and the request id to quote to the endpoint's operator.
 */
export function s3Evidence(operation: string, outcome: S3Outcome, note?: string): Evidence {
  const sent = outcome.request;
  return {
    request: { method: sent?.method ?? '(not sent)', url: sent?.url ?? `(${operation} was not sent)` },
    ...(outcome.status > 0 ? { response: { status: outcome.status } } : {}),
    s3: { operation, accessKeyId: sent?.accessKeyId ?? null, code: outcome.code, message: outcome.message, requestId: outcome.requestId ?? null },
    ...(note ? { note } : {}),
  };
}

/** A presigned URL, signed at the target's clock (or at `signingDate`). */
export function presign(
  client: S3Client,
  command: GetObjectCommand | PutObjectCommand | HeadObjectCommand,
  expiresIn: number,
  clock: TargetClock,
  signingDate?: Date,
): Promise<string> {
  const options = { expiresIn, signingDate: signingDate ?? clock.now() };
  // A type-only cast (getSignedUrl's generics reject a union); the command object itself decides method and path.
  return getSignedUrl(client, command as GetObjectCommand, options);
}

export interface RawSignedRequest {
  readonly method: string;
  readonly url: string;
  readonly credentials: S3Credentials;
  readonly region: string;
  readonly signingDate: Date;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** Signs a request by hand (for skewed dates and tampering, which the SDK would not send). */
export async function signRequest(request: RawSignedRequest): Promise<{ url: string; headers: Record<string, string> }> {
  const url = new URL(request.url);
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, key) => {
    query[key] = value;
  });
  const body = request.body ?? '';
  const sha256 = new Hash('sha256');
  sha256.update(body);
  const payloadHash = Buffer.from(await sha256.digest()).toString('hex');
  const httpRequest = new HttpRequest({
    method: request.method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query,
    headers: { host: url.host, 'x-amz-content-sha256': payloadHash, ...request.headers },
    body,
  });
  const signer = new SignatureV4({
    credentials: request.credentials,
    region: request.region,
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
  });
  const signed = await signer.sign(httpRequest, { signingDate: request.signingDate });
  return { url: request.url, headers: signed.headers };
}

export interface RawResponse {
  readonly status: number;
  readonly code: string | null;
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** The `<Code>` of an S3 XML error body. */
export function s3ErrorCode(body: string): string | null {
  return /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? null;
}

/** The `<Message>` of an S3 XML error body. */
export function s3ErrorMessage(body: string): string | null {
  return /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? null;
}

export async function rawFetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  let response: Response;
  try {
    response = await fetch(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new Error(`${init.method ?? 'GET'} ${url.split('?')[0]}: no response (${describeNetworkError(error)})`, { cause: error });
  }
  const body = await response.text();
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const leaked = findSecrets(`${JSON.stringify(headers)}\n${body}`);
  if (leaked.length > 0) s3HeaderLeaks.push({ secrets: leaked, where: `${init.method ?? 'GET'} ${new URL(url).pathname}` });
  return { status: response.status, code: s3ErrorCode(body), body, headers };
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A query-string (presigned) GET signed by hand, for values the SDK refuses to sign (an X-Amz-Expires above the
 * 7-day limit): the canonical request and signature of AWS-SIGV4-QUERY, with `UNSIGNED-PAYLOAD` and only `host` signed.
 */
export function presignRaw(url: string, credentials: S3Credentials, region: string, signingDate: Date, expiresIn: number): string {
  const parsed = new URL(url);
  const amzDate = signingDate.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${region}/s3/aws4_request`;
  const query: [string, string][] = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(expiresIn)],
    ['X-Amz-SignedHeaders', 'host'],
  ];
  const canonicalQuery = query
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = ['GET', parsed.pathname, canonicalQuery, `host:${parsed.host}`, '', 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  return `${parsed.origin}${parsed.pathname}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}

/**
 * AWS Signature Version 2 (AWS-REST-AUTH) for a plain request on a path-style URL, to observe what an endpoint does
 * with it: StringToSign is METHOD, empty Content-MD5 and Content-Type, the Date line and the URL's encoded path (no
 * sub-resources, no x-amz-* headers); the signature is base64 HMAC-SHA1 with the secret.
 */
function sigV2Signature(secretAccessKey: string, method: string, dateLine: string, url: URL): string {
  return createHmac('sha1', secretAccessKey).update(`${method}\n\n\n${dateLine}\n${url.pathname}`, 'utf8').digest('base64');
}

/** The headers of a SigV2-signed request: `Date` and `Authorization: AWS id:signature`. */
export function signRequestV2(method: string, url: string, credentials: S3Credentials, signingDate: Date): Record<string, string> {
  const date = signingDate.toUTCString();
  return { date, authorization: `AWS ${credentials.accessKeyId}:${sigV2Signature(credentials.secretAccessKey, method, date, new URL(url))}` };
}

/** A SigV2 presigned GET: `AWSAccessKeyId`, `Expires` (epoch seconds) and `Signature` in the query. */
export function presignV2(url: string, credentials: S3Credentials, expiresAt: Date): string {
  const parsed = new URL(url);
  const expires = String(Math.floor(expiresAt.getTime() / 1000));
  const signature = sigV2Signature(credentials.secretAccessKey, 'GET', expires, parsed);
  return `${parsed.origin}${parsed.pathname}?AWSAccessKeyId=${rfc3986(credentials.accessKeyId)}&Expires=${expires}&Signature=${rfc3986(signature)}`;
}
