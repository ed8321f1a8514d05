import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameRequest, rawExchange, restAnswerProblems, s3AnswerProblems, type RawResponse } from './test/http.js';
import { managementToken, startMock, type TestMock } from './test/mock.js';

/**
 * Requests Node's HTTP parser refuses before any app sees them (unknown methods, raw bytes in the target,
 * oversized or broken headers, contradictory framing), and an `Expect` Node does not know. Node's default is a
 * bare 400/417/431 without a body; the mock must still answer in the route's format (REST JSON, S3 XML), or at
 * least never with a 5xx, a hang or a silent close, and keep serving.
 */

let mock: TestMock;
let apiPort: number;
let s3Port: number;

beforeAll(async () => {
  mock = await startMock();
  apiPort = Number(new URL(mock.server.apiUrl).port);
  s3Port = Number(new URL(mock.server.s3Endpoint).port);
});

afterAll(async () => {
  await mock.close();
});

/** Raw requests, each a byte string the parser (or Node's Expect handling) refuses; `{host}` is filled in. */
const malformed: ReadonlyArray<readonly [string, string | Buffer]> = [
  ['unknown method', 'FROB / HTTP/1.1\r\nhost: {host}\r\n\r\n'],
  ['lower-case method', 'get / HTTP/1.1\r\nhost: {host}\r\n\r\n'],
  ['raw UTF-8 in the target', Buffer.from('GET /caf\u00e9/\u00e9 HTTP/1.1\r\nhost: {host}\r\n\r\n', 'utf8')],
  ['control character in the target', 'GET /a\u0001b HTTP/1.1\r\nhost: {host}\r\n\r\n'],
  ['NUL in a header value', 'GET / HTTP/1.1\r\nhost: {host}\r\nx-a: a\u0000b\r\n\r\n'],
  ['header without a colon', 'GET / HTTP/1.1\r\nhost: {host}\r\nnot a header\r\n\r\n'],
  ['space before the colon', 'GET / HTTP/1.1\r\nhost: {host}\r\nx-a : b\r\n\r\n'],
  ['obsolete line folding', 'GET / HTTP/1.1\r\nhost: {host}\r\nx-a: b\r\n  c\r\n\r\n'],
  ['huge header value (64 KiB)', `GET / HTTP/1.1\r\nhost: {host}\r\nx-a: ${'a'.repeat(64 * 1024)}\r\n\r\n`],
  ['thousands of headers', `GET / HTTP/1.1\r\nhost: {host}\r\n${Array.from({ length: 3000 }, (_, i) => `x-h${i}: v`).join('\r\n')}\r\n\r\n`],
  ['Content-Length and Transfer-Encoding together', 'POST / HTTP/1.1\r\nhost: {host}\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['two different Content-Lengths', 'PUT /a/b HTTP/1.1\r\nhost: {host}\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!'],
  ['negative Content-Length', 'PUT /a/b HTTP/1.1\r\nhost: {host}\r\ncontent-length: -5\r\n\r\n'],
  ['non-numeric Content-Length', 'PUT /a/b HTTP/1.1\r\nhost: {host}\r\ncontent-length: five\r\n\r\nhello'],
  ['bad chunk size', 'PUT /a/b HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
  ['unknown transfer coding', 'PUT /a/b HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: gzip\r\n\r\nhello'],
  ['HTTP/2 preface on an HTTP/1 port', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  ['HTTP/0.9 request', 'GET /\r\n\r\n'],
  ['unsupported HTTP version', 'GET / HTTP/3.7\r\nhost: {host}\r\n\r\n'],
  ['an Expect Node does not know', 'GET / HTTP/1.1\r\nhost: {host}\r\nexpect: 200-ok\r\n\r\n'],
  ['an Expect on an upload', 'PUT /a/b HTTP/1.1\r\nhost: {host}\r\nexpect: 100-continue, x\r\ncontent-length: 5\r\n\r\nhello'],
];

function bytesFor(request: string | Buffer, port: number): Buffer {
  const host = `127.0.0.1:${port}`;
  return typeof request === 'string' ? Buffer.from(request.replace('{host}', host), 'latin1') : Buffer.from(request.toString('utf8').replace('{host}', host), 'utf8');
}

async function exchange(port: number, request: string | Buffer): Promise<RawResponse> {
  return rawExchange(port, bytesFor(request, port), { timeoutMs: 5000 });
}

describe('requests the HTTP parser refuses', () => {
  it.each(malformed)('REST answers %s with a JSON 4xx and keeps serving', async (_name, request) => {
    const res = await exchange(apiPort, request);
    expect(restAnswerProblems('GET', res)).toEqual([]);
    expect(res.status).toBeGreaterThanOrEqual(400);
    const healthy = await mock.api('GET', `/v1/projects/${mock.server.projectId}/api-tokens`, { token: managementToken });
    expect(healthy.status).toBe(200);
  });

  it.each(malformed)('S3 answers %s with an S3 XML 4xx and keeps serving', async (_name, request) => {
    const res = await exchange(s3Port, request);
    expect(s3AnswerProblems('GET', res)).toEqual([]);
    expect(res.status).toBeGreaterThanOrEqual(400);
    const healthy = await rawExchange(s3Port, frameRequest('GET', '/', [['host', `127.0.0.1:${s3Port}`], ['connection', 'close']]));
    // Unauthenticated ListBuckets: a well-formed AccessDenied.
    expect(healthy.status).toBe(403);
    expect(s3AnswerProblems('GET', healthy)).toEqual([]);
  });
  it('logged no internal error and no secret meanwhile', () => {
    expect(mock.logLines.length).toBeGreaterThan(0);
    expect(mock.logLines.filter((line) => /"level":(50|60)/.test(line)).slice(0, 3)).toEqual([]);
    expect(mock.secrets.leaksIn(mock.logLines.join('\n'))).toEqual([]);
  });
});
