import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOpenApi } from '../../spec/index.js';
import { maxBodyBytes } from '../rest/http.js';
import { body as bodyArbitrary, headerList, httpMethod, pathSegment, rawQuery } from './test/arbitraries.js';
import { frameRequest, rawExchange, restAnswerProblems, type RawResponse } from './test/http.js';
import { managementToken, startMock, type IssuedToken, type TestMock } from './test/mock.js';
import { fuzzRuns } from './test/runs.js';

/**
 * Hostile input against the REST API (api port), over raw sockets: random methods, paths built from the OpenAPI
 * templates with hostile segments, query strings, headers, content types and bodies (huge, truncated, malformed,
 * deeply nested). Every answer is a 2xx or a well-formed JSON 4xx, never a 5xx, a hang or a dropped connection,
 * and the server answers normally afterwards.
 */

let mock: TestMock;
let apiPort: number;
let apiToken: IssuedToken;
let billingToken: IssuedToken;

/** Path templates from the contract, plus paths no route serves. */
const templates = [...Object.keys(loadOpenApi().paths ?? {}), '/', '/v1', '/v1/', '/v2/{x}', '/{x}', '/v1/billing/{x}', '/v1/billing/invoices/{x}', '/_mock/{x}'];

/** A value for a path parameter: usually a real one (so requests reach the handlers), else a hostile segment. */
const parameterArbitrary = (name: string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: pathSegment },
  ).map((segment) => {
    if (segment !== null) return segment;
    if (name === 'project_id') return mock.server.projectId;
    if (name === 'token_id') return apiToken.id;
    return 'reliability-bucket';
  });

const pathArbitrary = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(...templates).chain((template) => {
      const names = [...template.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]!);
      return fc.tuple(...names.map(parameterArbitrary)).map((values) => {
        let i = 0;
        return template.replace(/\{[a-z_]+\}/g, () => values[i++]!);
      });
    }),
  },
  { weight: 1, arbitrary: fc.array(pathSegment, { maxLength: 6 }).map((segments) => `/${segments.join('/')}`) },
  { weight: 1, arbitrary: fc.constantFrom('//v1//object-storage//buckets', '/v1/object-storage/buckets/', '/V1/OBJECT-STORAGE/BUCKETS', '/v1/object-storage/buckets/..%2F..%2Fbilling', '/v1/./billing/../billing/balance', '/_mock/reset/', '/v1/projects/%00/api-tokens') },
);

/** Bodies shaped like the real requests with fields gone wrong, so validation (not just JSON parsing) is exercised. */
const plausibleBody = fc
  .record(
    {
      name: fc.oneof(fc.string({ maxLength: 80 }), fc.constant('reliability-bucket'), fc.integer(), fc.constant(null)),
      description: fc.oneof(fc.string({ maxLength: 300 }), fc.integer()),
      expires_in_days: fc.oneof(fc.integer({ min: -5, max: 400 }), fc.double(), fc.string({ maxLength: 4 })),
      object_storage: fc.record(
        {
          permission_type: fc.constantFrom('admin_rw', 'admin_ro', 'object_rw', 'object_ro', 'root', ''),
          bucket_scope: fc.constantFrom('all', 'specific', 'none'),
          allowed_buckets: fc.array(fc.oneof(fc.constant('reliability-bucket'), fc.string({ maxLength: 70 })), { maxLength: 3 }),
        },
        { requiredKeys: [] },
      ),
      billing: fc.record({ permission_type: fc.constantFrom('read_only', 'read_write') }, { requiredKeys: [] }),
      advance_seconds: fc.oneof(fc.integer({ min: -10, max: 1000 }), fc.double()),
      extra: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  )
  .map((value) => Buffer.from(JSON.stringify(value)));

const authorizationArbitrary = fc.oneof(
  { weight: 1, arbitrary: fc.constant<string | null>(null) },
  { weight: 4, arbitrary: fc.constantFrom('management', 'api', 'billing', 'garbage').map((kind) => {
    if (kind === 'management') return `Bearer ${managementToken}`;
    if (kind === 'api') return `Bearer ${apiToken.bearer}`;
    if (kind === 'billing') return `Bearer ${billingToken.bearer}`;
    return 'Bearer ibee_v4_not-a-real-token';
  }) },
  { weight: 1, arbitrary: fc.constantFrom('Basic dXNlcjpwYXNz', 'Bearer', 'Bearer  ', 'bearer x y', `Bearer ${'a'.repeat(4000)}`, 'AWS4-HMAC-SHA256 Credential=x') },
);
const contentTypeArbitrary = fc.constantFrom(
  null,
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/merge-patch+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  '*/*',
  '',
  ';;;',
  'application/json; boundary=',
);

const requestArbitrary: fc.Arbitrary<HostileRequest> = fc.record({
  method: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE') }, { weight: 1, arbitrary: httpMethod }),
  path: pathArbitrary,
  query: rawQuery,
  authorization: authorizationArbitrary,
  contentType: contentTypeArbitrary,
  headers: headerList,
  body: fc.oneof(bodyArbitrary, plausibleBody),
  chunked: fc.boolean(),
});

interface HostileRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly authorization: string | null;
  readonly contentType: string | null;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  readonly chunked: boolean;
}

function frame(request: HostileRequest): Buffer {
  const headers: Array<[string, string]> = [['host', `127.0.0.1:${apiPort}`], ['connection', 'close']];
  if (request.authorization !== null) headers.push(['authorization', request.authorization]);
  if (request.contentType !== null) headers.push(['content-type', request.contentType]);
  // Framing headers are the test's to set, not the random list's (a conflicting pair is a parser error, tested apart).
  for (const [name, value] of request.headers) if (!['content-length', 'transfer-encoding', 'host', 'connection'].includes(name)) headers.push([name, value]);
  let payload = request.body;
  if (request.chunked && request.body.length > 0) {
    headers.push(['transfer-encoding', 'chunked']);
    payload = Buffer.concat([Buffer.from(`${request.body.length.toString(16)}\r\n`), request.body, Buffer.from('\r\n0\r\n\r\n')]);
  } else if (request.body.length > 0 || ['POST', 'PUT', 'PATCH'].includes(request.method)) {
    headers.push(['content-length', String(request.body.length)]);
  }
  const target = request.query === '' ? request.path : `${request.path}?${request.query}`;
  return frameRequest(request.method, target, headers, payload);
}

async function send(request: HostileRequest): Promise<RawResponse> {
  return rawExchange(apiPort, frame(request));
}

/** The server still does its job: list tokens with the management token. */
async function expectHealthy(): Promise<void> {
  const res = await mock.api('GET', `/v1/projects/${mock.server.projectId}/api-tokens`);
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  mock = await startMock();
  apiPort = Number(new URL(mock.server.apiUrl).port);
  await issueTokens();
});

async function issueTokens(): Promise<void> {
  apiToken = await mock.issueToken({ level: 'admin_rw' });
  billingToken = await mock.issueToken({ objectStorage: false, billing: true });
  await mock.api('POST', '/v1/object-storage/buckets', { token: apiToken.bearer, json: { name: 'reliability-bucket', region: 'in-south-1' } });
}

afterAll(async () => {
  await mock.close();
});

describe('hostile input on the REST API', () => {
  it('answers every random request with a 2xx or a well-formed JSON 4xx, never a 5xx or a hang', async () => {
    const seen = new Map<number, number>();
    const property = fc.asyncProperty(requestArbitrary, async (request) => {
      const res = await send(request);
      const problems = restAnswerProblems(request.method, res);
      if (problems.length > 0) throw new Error(`${request.method} ${request.path}?${request.query} → ${problems.join('; ')}`);
      seen.set(res.status!, (seen.get(res.status!) ?? 0) + 1);
      // Random requests may reset state, revoke or move the clock (the management token may); keep tokens usable.
      if (res.status !== null && res.status < 300 && /_mock|revoke/.test(request.path)) await issueTokens();
    });
    await fc.assert(property, { numRuns: fuzzRuns(1500) });
    // The requests got past authentication into routing, body reading and validation, not just bounced at the door.
    const expected = [200, 400, 401, 403, 404, 405, 415, 422];
    const missing = () => expected.filter((status) => !seen.has(status));
    // A scaled-down quick look may not reach them all; a full run does. The rarest (422: a body that reaches
    // validation) comes only about 5 times in 1500 random requests (once in some seeds), so an unlucky seed misses
    // it: such a run goes on with more random requests (a fresh seed each round, the same property) until every
    // status has come, for at most 7500 more. An unreachable status still fails; a lucky-seed miss no longer does.
    const fullRun = fuzzRuns(1500) >= 1000;
    for (let round = 0; fullRun && round < 5 && missing().length > 0; round++) await fc.assert(property, { numRuns: fuzzRuns(1500) });
    await expectHealthy();
    if (fullRun) expect(missing(), JSON.stringify(Object.fromEntries(seen))).toEqual([]);
  }, 120_000);

  it('refuses bodies over the limit with 413 payload_too_large on every body-reading route, with or without Content-Length', async () => {
    await issueTokens();
    const routes: Array<[string, string, string]> = [
      ['POST', `/v1/projects/${mock.server.projectId}/api-tokens`, managementToken],
      ['POST', `/v1/projects/${mock.server.projectId}/api-tokens/x/revoke`, managementToken],
      ['POST', '/v1/object-storage/buckets', apiToken.bearer],
      ['POST', '/v1/object-storage/credentials', apiToken.bearer],
      ['POST', '/_mock/clock', managementToken],
    ];
    const sizes = fc.sample(fc.integer({ min: maxBodyBytes + 1, max: maxBodyBytes * 16 }), { numRuns: 4, seed: 7 });
    for (const [method, path, token] of routes) {
      for (const [size, chunked] of [[sizes[0]!, false], [sizes[1]!, true], [maxBodyBytes * 64, false]] as const) {
        const json = Buffer.from(JSON.stringify({ name: 'x'.repeat(size) }));
        // Public routes read their body after the workspace and scope checks, so they get a valid workspace.
        const query = path.startsWith('/v1/object-storage/') ? `workspace_id=${mock.server.projectId}` : '';
        const res = await send({ method, path, query, authorization: `Bearer ${token}`, contentType: 'application/json', headers: [], body: json, chunked });
        expect(res.status, `${method} ${path} with ${json.length} bytes (chunked: ${chunked})`).toBe(413);
        expect(JSON.parse(res.text)).toMatchObject({ error: 'payload_too_large' });
      }
    }
    await expectHealthy();
  });

  it('accepts a body just under the limit (the limit is the documented one, not a smaller one)', async () => {
    const filler = 'x'.repeat(maxBodyBytes - 200);
    const res = await send({
      method: 'POST',
      path: `/v1/projects/${mock.server.projectId}/api-tokens`,
      query: '',
      authorization: `Bearer ${managementToken}`,
      contentType: 'application/json',
      headers: [],
      body: Buffer.from(JSON.stringify({ name: 'ok', filler })),
      chunked: false,
    });
    // Read in full and validated: an unknown field, not a size problem.
    expect(res.status).toBe(422);
    expect(JSON.parse(res.text)).toMatchObject({ error: 'unknown_field' });
  });

  it('answers a body that stops short of its Content-Length, and a client that hangs up mid-body, without harm', async () => {
    const path = `/v1/projects/${mock.server.projectId}/api-tokens`;
    // Earlier tests (the fuzz among them) may have created tokens; what matters is that these requests add none.
    const tokenIds = async () =>
      mock.api('GET', path).then((r) => (r.body as { tokens: Array<{ id: string }> }).tokens.map((token) => token.id).sort());
    const before = await tokenIds();
    const head = (length: number) =>
      frameRequest('POST', path, [['host', `127.0.0.1:${apiPort}`], ['authorization', `Bearer ${managementToken}`], ['content-type', 'application/json'], ['content-length', String(length)]]);
    // Declares 1000 bytes, sends 10 and closes its side: the server may only drop the connection.
    const truncated = await rawExchange(apiPort, [head(1000), Buffer.from('{"name":"x')], { end: true, timeoutMs: 5000 });
    expect(truncated.timedOut).toBe(false);
    expect(truncated.status === null || (truncated.status >= 400 && truncated.status < 500)).toBe(true);
    // Declares 12 and sends more: the surplus is read as a second (garbage) request on the same connection.
    const surplus = await rawExchange(apiPort, [head(12), Buffer.from('{"name":"x"}GARBAGE GARBAGE GARBAGE\r\n\r\n')], { timeoutMs: 5000 });
    expect(surplus.timedOut).toBe(false);
    expect(restAnswerProblems('POST', surplus)).toEqual([]);
    expect(surplus.status).toBeGreaterThanOrEqual(400);
    await expectHealthy();
    // Neither the truncated body nor the 12 bytes before the garbage (`{"name":"x"}` lacks a scope) made a token.
    expect(await tokenIds()).toEqual(before);
  });

  it('refuses compressed, non-UTF-8 and non-JSON bodies with 415 JSON errors', async () => {
    const path = `/v1/projects/${mock.server.projectId}/api-tokens`;
    const cases: Array<[string | null, Array<[string, string]>]> = [
      ['text/plain', []],
      ['application/x-www-form-urlencoded', []],
      ['application/json; charset=latin1', []],
      ['application/json', [['content-encoding', 'gzip']]],
      ['application/json', [['content-encoding', 'br']]],
    ];
    for (const [contentType, headers] of cases) {
      const res = await send({ method: 'POST', path, query: '', authorization: `Bearer ${managementToken}`, contentType, headers, body: Buffer.from('{"name":"a"}'), chunked: false });
      expect(res.status, `${contentType} ${JSON.stringify(headers)}`).toBe(415);
      expect(JSON.parse(res.text)).toMatchObject({ error: 'unsupported_media_type' });
    }
  });
  it('logged no internal error and no secret meanwhile', () => {
    expect(mock.logLines.length).toBeGreaterThan(0);
    expect(mock.logLines.filter((line) => /"level":(50|60)/.test(line)).slice(0, 3)).toEqual([]);
    expect(mock.secrets.leaksIn(mock.logLines.join('\n'))).toEqual([]);
  });
});
