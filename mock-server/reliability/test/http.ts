import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { XMLParser } from 'fast-xml-parser';
import { s3ErrorStatus, type S3ErrorCode } from '../../s3/errors.js';

/**
 * HTTP for hostile tests: raw bytes over a socket (so that framing, methods and paths are exactly what the test
 * says, not what a client library allows), SigV4 signing of otherwise hostile requests, and the checks every
 * answer must pass (a well-formed S3 XML or REST JSON error, never a 5xx).
 */

/** Longest any single answer may take before the test calls it a hang. */
export const answerTimeoutMs = 10_000;

/**
 * A path of IBEE's public API (`/v1/object-storage/…`, `/v1/billing/…`) with the `workspace_id` every such call
 * names; other paths, and a null workspace, are left as they are.
 */
export function withWorkspace(path: string, workspace: string | null): string {
  const isPublic = /^\/v1\/(object-storage|billing)(\/|$|\?)/.test(path);
  return isPublic && workspace !== null ? `${path}${path.includes('?') ? '&' : '?'}workspace_id=${encodeURIComponent(workspace)}` : path;
}

export function fetchWithTimeout(url: string, init: RequestInit = {}, timeoutMs = answerTimeoutMs): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

export interface RawResponse {
  /** null when the server closed (or the test timed out) without a status line. */
  readonly status: number | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly text: string;
  /** The server neither answered nor closed within the timeout. */
  readonly timedOut: boolean;
}

function decodeChunked(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function parseResponse(input: Buffer): { status: number | null; headers: Record<string, string>; body: Buffer; complete: boolean } {
  let data = input;
  // Interim answers (100 Continue) precede the real one.
  while (/^HTTP\/1\.[01] 1\d\d /.test(data.subarray(0, 13).toString('latin1')) && data.includes('\r\n\r\n')) {
    data = data.subarray(data.indexOf('\r\n\r\n') + 4);
  }
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return { status: null, headers: {}, body: Buffer.alloc(0), complete: false };
  const lines = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = data.subarray(headEnd + 4);
  const length = headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    return { status: status ? Number(status[1]) : null, headers, body: rest.subarray(0, n), complete: rest.length >= n };
  }
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    return { status: status ? Number(status[1]) : null, headers, body: decodeChunked(rest), complete: rest.includes('0\r\n\r\n') };
  }
  return { status: status ? Number(status[1]) : null, headers, body: rest, complete: false };
}

/**
 * Sends `request` (already framed: request line, headers, body) on a fresh connection and reads one response.
 * Resolves when the response is complete or the server closes; `end` half-closes after writing (a truncated body
 * then reaches the server as an early end of stream).
 */
export function rawExchange(
  port: number,
  request: Buffer | readonly Buffer[],
  options: { timeoutMs?: number; end?: boolean; host?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve) => {
    const parts = Array.isArray(request) ? (request as readonly Buffer[]) : [request as Buffer];
    const firstLine = (parts[0] ?? Buffer.alloc(0)).subarray(0, 8).toString('latin1');
    const socket = connect(port, options.host ?? '127.0.0.1');
    const received: Buffer[] = [];
    let settled = false;
    const finish = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseResponse(Buffer.concat(received));
      resolve({ status: parsed.status, headers: parsed.headers, body: parsed.body, text: parsed.body.toString('utf8'), timedOut });
    };
    const timer = setTimeout(() => finish(true), options.timeoutMs ?? answerTimeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      const parsed = parseResponse(Buffer.concat(received));
      // A HEAD answer or a 204/304 has no body whatever Content-Length says.
      if (parsed.status !== null && (parsed.complete || /^HEAD /.test(firstLine) || [204, 304].includes(parsed.status))) finish(false);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
    socket.on('connect', () => {
      for (const part of parts) socket.write(part);
      if (options.end) socket.end();
    });
  });
}

/** Frames an HTTP/1.1 request. Header values go out as given (latin1), so tests control every byte. */
export function frameRequest(method: string, target: string, headers: ReadonlyArray<readonly [string, string]>, body: Buffer = Buffer.alloc(0)): Buffer {
  // The request line as UTF-8 (raw non-ASCII paths are a case to test), header values as latin1 bytes.
  const line = Buffer.from(`${method} ${target} HTTP/1.1\r\n`, 'utf8');
  const head = Buffer.from(`${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`, 'latin1');
  return Buffer.concat([line, head, body]);
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const Sha256 = Hash.bind(null, 'sha256');

export const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/**
 * Signs a request with SigV4 (header auth) exactly as given: `rawPath` is used as the canonical URI unchanged
 * (S3 style, already percent-encoded once), `query` values are decoded. Returns the headers to send, including
 * Authorization, x-amz-date and x-amz-content-sha256 (the body's hash unless `payloadHash` says otherwise).
 */
export async function signHeaders(options: {
  readonly credentials: Credentials;
  readonly host: string;
  readonly method: string;
  readonly rawPath: string;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer;
  readonly payloadHash?: string;
  readonly date?: Date;
  readonly region?: string;
}): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region ?? 'auto',
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const request = new HttpRequest({
    method: options.method,
    protocol: 'http:',
    hostname: options.host.replace(/:\d+$/, ''),
    path: options.rawPath,
    query: options.query ?? {},
    headers: {
      host: options.host,
      'x-amz-content-sha256': options.payloadHash ?? sha256Hex(options.body ?? Buffer.alloc(0)),
      ...options.headers,
    },
  });
  const signed = await signer.sign(request, { signingDate: options.date ?? new Date() });
  return signed.headers;
}

/** Percent-encodes a key for a path the way SigV4 canonicalises it (each segment once, `/` kept). */
export function encodeKeyPath(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/** Query string from decoded values, escaped as SigV4 does, sorted. */
export function encodeQuery(query: Record<string, string>): string {
  const escape = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.keys(query)
    .sort()
    .map((name) => `${escape(name)}=${escape(query[name]!)}`)
    .join('&');
}

/**
 * Sends already-signed headers and a body over a raw socket. Content-Length is the body's unless `contentLength`
 * lies about it; `end` half-closes after the body.
 */
export function sendRaw(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string>,
  body: Buffer,
  options: { contentLength?: number; end?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const list: Array<[string, string]> = Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-length');
  list.push(['content-length', String(options.contentLength ?? body.length)], ['connection', 'close']);
  return rawExchange(port, frameRequest(method, target, list, body), {
    ...(options.end === undefined ? {} : { end: options.end }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}

/** A signed request over a raw socket, for hostile bodies and headers that must still pass authentication. */
export async function signedExchange(
  port: number,
  credentials: Credentials,
  options: {
    method: string;
    rawPath: string;
    query?: Record<string, string>;
    headers?: Record<string, string>;
    body?: Buffer;
    payloadHash?: string;
    /** Extra bytes after the body (not covered by Content-Length). */
    contentLength?: number;
    date?: Date;
    end?: boolean;
    timeoutMs?: number;
  },
): Promise<RawResponse> {
  const host = `127.0.0.1:${port}`;
  const body = options.body ?? Buffer.alloc(0);
  const signed = await signHeaders({ credentials, host, ...options, body });
  const headers: Array<[string, string]> = Object.entries(signed);
  const declared = options.contentLength ?? body.length;
  if (!headers.some(([name]) => name.toLowerCase() === 'content-length') && (declared > 0 || ['PUT', 'POST'].includes(options.method))) {
    headers.push(['content-length', String(declared)]);
  }
  headers.push(['connection', 'close']);
  const query = options.query ? encodeQuery(options.query) : '';
  const target = query === '' ? options.rawPath : `${options.rawPath}?${query}`;
  return rawExchange(port, frameRequest(options.method, target, headers, body), {
    ...(options.end === undefined ? {} : { end: options.end }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}

const xmlParser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, processEntities: false });

/**
 * What is wrong with an S3 answer to a hostile request (empty when nothing): no answer or a hang; a 5xx other
 * than 501; an error without a well-formed `<Error>` body whose Code matches its status.
 */
export function s3AnswerProblems(method: string, res: RawResponse): string[] {
  if (res.timedOut) return ['no answer within the timeout (hang)'];
  if (res.status === null) return ['connection closed without an answer'];
  if (res.status >= 500 && res.status !== 501) return [`status ${res.status}: ${res.text.slice(0, 300)}`];
  if (res.status < 400) return [];
  if (!res.headers['x-amz-request-id']) return [`${res.status} without x-amz-request-id (not from the S3 app): ${res.text.slice(0, 200)}`];
  if (method === 'HEAD') return res.body.length === 0 ? [] : ['HEAD error with a body'];
  if (!/^application\/xml/.test(res.headers['content-type'] ?? '')) return [`${res.status} with content-type ${res.headers['content-type']}`];
  let parsed: { Error?: { Code?: unknown; Message?: unknown; RequestId?: unknown } };
  try {
    parsed = xmlParser.parse(res.text) as typeof parsed;
  } catch (error) {
    return [`error body is not XML: ${String(error)}`];
  }
  const error = parsed.Error;
  if (!error || typeof error.Code !== 'string' || typeof error.Message !== 'string' || typeof error.RequestId !== 'string') {
    return [`not an S3 <Error> with Code, Message, RequestId: ${res.text.slice(0, 300)}`];
  }
  const expected = s3ErrorStatus[error.Code as S3ErrorCode] as number | undefined;
  if (expected === undefined) return [`unknown error code ${error.Code}`];
  if (expected !== res.status) return [`${error.Code} with status ${res.status}, expected ${expected}`];
  return [];
}

/** Same for REST: a 4xx answer is JSON `{ error, message }`, never a 5xx. */
export function restAnswerProblems(method: string, res: RawResponse): string[] {
  if (res.timedOut) return ['no answer within the timeout (hang)'];
  if (res.status === null) return ['connection closed without an answer'];
  if (res.status >= 500) return [`status ${res.status}: ${res.text.slice(0, 300)}`];
  if (res.status < 400) return [];
  if (method === 'HEAD') return [];
  if (!/^application\/json/.test(res.headers['content-type'] ?? '')) return [`${res.status} with content-type ${res.headers['content-type']}: ${res.text.slice(0, 200)}`];
  try {
    const body = JSON.parse(res.text) as { error?: unknown; message?: unknown };
    if (typeof body.error !== 'string' || !/^[a-z_]+$/.test(body.error) || typeof body.message !== 'string') {
      return [`not a REST error body: ${res.text.slice(0, 300)}`];
    }
  } catch {
    return [`error body is not JSON: ${res.text.slice(0, 300)}`];
  }
  return [];
}

export { s3ErrorStatus };
