import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body as bodyArbitrary, headerList, httpMethod, nastySegment, pathSegment, rawQuery } from './test/arbitraries.js';
import { signedChunkUpload, unsignedTrailerUpload } from './test/aws-chunked.js';
import {
  encodeKeyPath,
  encodeQuery,
  frameRequest,
  rawExchange,
  s3AnswerProblems,
  sendRaw,
  sha256Hex,
  signHeaders,
  type Credentials,
  type RawResponse,
} from './test/http.js';
import { postPolicyForm } from '../s3/test/test-s3.js';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { listAllKeys, startMock, type TestMock } from './test/mock.js';
import { fuzzRuns } from './test/runs.js';

/**
 * Hostile input against the S3 endpoint, on a mock with a data directory (so that hostile keys meet the file
 * store): random unsigned and signed requests, broken SigV4 headers, malformed and explosive XML bodies, lying
 * aws-chunked framing, lying Content-Length, traversal and invalid-UTF-8 keys, oversized metadata. Every answer is
 * a 2xx/3xx or a well-formed S3 XML error whose code matches its status, never a 500, a hang or a dropped
 * connection; nothing half-written becomes visible; nothing is written outside the data directory.
 */

let mock: TestMock;
let s3Port: number;
let host: string;
let credentials: Credentials;
let client: S3Client;
let root: string;
const bucket = 'hostile-bucket';
const sentinelKey = 'sentinel';

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ibee-hostile-'));
  mock = await startMock({ dataDir: join(root, 'data') });
  s3Port = Number(new URL(mock.server.s3Endpoint).port);
  host = `127.0.0.1:${s3Port}`;
  const token = await mock.issueToken({ level: 'admin_rw' });
  credentials = { accessKeyId: token.accessKeyId!, secretAccessKey: token.secretAccessKey! };
  client = mock.s3(token);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'existing', Body: 'existing object' }));
  // Out of the random requests' reach (they name `existing`, never `sentinel`): must survive everything.
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: sentinelKey, Body: 'sentinel object' }));
});

afterAll(async () => {
  await mock.close();
  rmSync(root, { recursive: true, force: true, maxRetries: 5 });
});

/** Decodes and re-escapes each segment as SigV4 canonicalises S3 paths; undecodable segments stay raw. */
function canonicalPath(rawPath: string): string {
  return rawPath
    .split('/')
    .map((segment) => {
      try {
        return encodeKeyPath(decodeURIComponent(segment));
      } catch {
        return segment;
      }
    })
    .join('/');
}

function fail(context: string, res: RawResponse, method: string): void {
  const problems = s3AnswerProblems(method, res);
  if (problems.length > 0) throw new Error(`${context} → ${problems.join('; ')}`);
}

async function expectHealthy(): Promise<void> {
  const listed = await client.send(new ListBucketsCommand({}));
  expect((listed.Buckets ?? []).map((b) => b.Name)).toContain(bucket);
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: sentinelKey }));
  expect(await object.Body!.transformToString()).toBe('sentinel object');
}

async function objectExists(key: string): Promise<boolean> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
  return (listed.Contents ?? []).some((o) => o.Key === key);
}

const subresources = ['', 'cors', 'lifecycle', 'encryption', 'location', 'delete', 'uploads', 'uploadId', 'partNumber', 'list-type', 'versions', 'acl', 'tagging', 'policy', 'x-id', 'response-content-type', 'continuation-token', 'max-keys', 'encoding-type', 'prefix', 'delimiter', 'start-after', 'marker', 'max-uploads', 'part-number-marker', 'versionId'];

const queryRecord = fc
  .array(fc.tuple(fc.constantFrom(...subresources), fc.oneof(fc.constant(''), fc.string({ maxLength: 20 }), fc.constantFrom('2', '0', '-1', '10001', '99999999999999999999', 'url', 'bogus', '/'))), { maxLength: 4 })
  .map((pairs) => Object.fromEntries(pairs.filter(([name]) => name !== '')));

const s3Path = fc.oneof(
  { weight: 1, arbitrary: fc.constant('/') },
  { weight: 2, arbitrary: fc.oneof(fc.constant(bucket), pathSegment).map((b) => `/${b}`) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.oneof({ weight: 4, arbitrary: fc.constant(bucket) }, { weight: 1, arbitrary: pathSegment }), fc.array(fc.oneof(pathSegment, fc.constant('existing')), { minLength: 1, maxLength: 4 }))
      .map(([b, segments]) => `/${b}/${segments.join('/')}`),
  },
);

const xmlishBody = fc.oneof(
  bodyArbitrary,
  fc.constantFrom(
    '<Delete><Object><Key>existing-not</Key></Object><Quiet>true</Quiet></Delete>',
    '<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>',
    '<LifecycleConfiguration><Rule><ID>r</ID><Status>Enabled</Status><Filter><Prefix>x</Prefix></Filter><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>',
    '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>',
    '<CreateBucketConfiguration><LocationConstraint>auto</LocationConstraint></CreateBucketConfiguration>',
  ).map((text) => Buffer.from(text)),
);

describe('hostile input on the S3 endpoint', () => {
  it('answers random unsigned requests with well-formed S3 errors', async () => {
    await fc.assert(
      fc.asyncProperty(httpMethod, s3Path, rawQuery, headerList, bodyArbitrary, async (method, path, query, headers, body) => {
        const list: Array<[string, string]> = [['host', host], ['connection', 'close']];
        for (const [name, value] of headers) if (!['content-length', 'transfer-encoding', 'host', 'connection'].includes(name)) list.push([name, value]);
        if (body.length > 0 || method === 'PUT' || method === 'POST') list.push(['content-length', String(body.length)]);
        const target = query === '' ? path : `${path}?${query}`;
        const res = await rawExchange(s3Port, frameRequest(method, target, list, body));
        fail(`${method} ${target} ${JSON.stringify(headers)}`, res, method);
        // Without credentials nothing succeeds but CORS preflights (which answer 403 without a matching rule).
        if (method !== 'OPTIONS') expect(res.status, `${method} ${target}`).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: fuzzRuns(600) },
    );
    await expectHealthy();
  }, 60_000);

  it('answers random signed requests (which reach routing, parsers and storage) with 2xx or well-formed S3 errors', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 3, arbitrary: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD') }, { weight: 1, arbitrary: httpMethod }),
        s3Path,
        queryRecord,
        headerList,
        xmlishBody,
        fc.constantFrom('sha256', 'unsigned', 'wrong'),
        async (method, path, query, headers, body, payload) => {
          const extra: Record<string, string> = {};
          for (const [name, value] of headers) {
            if (!['content-length', 'transfer-encoding', 'host', 'connection', 'x-amz-content-sha256', 'x-amz-date', 'content-encoding', 'expect'].includes(name)) extra[name] = value.trim();
          }
          const payloadHash = payload === 'sha256' ? sha256Hex(body) : payload === 'unsigned' ? 'UNSIGNED-PAYLOAD' : sha256Hex('something else');
          const signed = await signHeaders({ credentials, host, method, rawPath: canonicalPath(path), query, headers: extra, payloadHash });
          const queryText = encodeQuery(query);
          const target = queryText === '' ? path : `${path}?${queryText}`;
          const res = await sendRaw(s3Port, method, target, signed, body);
          fail(`${method} ${target} ${JSON.stringify(extra)} payload=${payload}`, res, method);
          const code = /<Code>([^<]+)<\/Code>/.exec(res.text)?.[1] ?? String(res.status);
          seen.set(code, (seen.get(code) ?? 0) + 1);
        },
      ),
      { numRuns: fuzzRuns(1000) },
    );
    await expectHealthy();
    // The signatures were good enough to get past authentication most of the time, into the operations.
    const codes = [...seen.keys()];
    const expected = ['200', 'NoSuchKey', 'MalformedXML', 'NotImplemented', 'XAmzContentSHA256Mismatch'];
    // A scaled-down quick look may not reach them all; a full run does.
    if (fuzzRuns(1000) >= 700) for (const code of expected) expect(codes, JSON.stringify(Object.fromEntries(seen))).toContain(code);
  }, 120_000);

  it('answers mangled SigV4 Authorization headers with S3 authentication errors', async () => {
    const mutation = fc.oneof(
      fc.nat().map((n) => ({ kind: 'truncate' as const, n })),
      fc.tuple(fc.nat(), fc.string({ maxLength: 3 })).map(([n, text]) => ({ kind: 'insert' as const, n, text })),
      fc.constantFrom('Credential=', 'SignedHeaders=', 'Signature=', ',', '/', ' ', 'aws4_request', 'AWS4-HMAC-SHA256').map((part) => ({ kind: 'drop' as const, part })),
      fc.constantFrom('Credential=', 'SignedHeaders=', 'Signature=', ', ').map((part) => ({ kind: 'duplicate' as const, part })),
      fc.constantFrom(
        'AWS4-HMAC-SHA256',
        'AWS4-HMAC-SHA256 ',
        'AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=',
        'AWS4-HMAC-SHA512 Credential=x/20250101/auto/s3/aws4_request, SignedHeaders=host, Signature=00',
        'AWS4-HMAC-SHA256 Credential=AKIA0000000000000000/99999999/auto/s3/aws4_request, SignedHeaders=host, Signature=' + '0'.repeat(64),
        'AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;;;, Signature=zz',
        'AWS4-HMAC-SHA256 Credential=a, Credential=b, SignedHeaders=host, Signature=' + 'a'.repeat(64),
        'Bearer ibee_v4_xyz',
        'AWS4-HMAC-SHA256 ' + 'Credential='.repeat(500),
      ).map((value) => ({ kind: 'replace' as const, value })),
    );
    // What the accepted requests (harmless manglings only) should have left: a PUT stores the key, a DELETE removes it.
    let stored = false;
    const dateMutation = fc.constantFrom(null, '', '20250101T000000Z', '99999999T999999Z', 'not-a-date', '20250101', '1970-01-01T00:00:00Z');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'PUT', 'HEAD', 'DELETE'), mutation, dateMutation, async (method, change, date) => {
        const body = method === 'PUT' ? Buffer.from('mangled') : Buffer.alloc(0);
        const signed = await signHeaders({ credentials, host, method, rawPath: `/${bucket}/mangled`, body });
        const authorization = signed.authorization!;
        let mangled = authorization;
        if (change.kind === 'truncate') mangled = authorization.slice(0, change.n % authorization.length);
        if (change.kind === 'insert') {
          const at = change.n % authorization.length;
          mangled = authorization.slice(0, at) + change.text.replace(/[\r\n\0]/g, '') + authorization.slice(at);
        }
        if (change.kind === 'drop') mangled = authorization.replace(change.part, '');
        if (change.kind === 'duplicate') mangled = authorization.replace(change.part, `${change.part}${change.part}`);
        if (change.kind === 'replace') mangled = change.value;
        const sent = mangled.replace(/[^\x20-\x7e]/g, '?');
        const headers: Record<string, string> = { ...signed, authorization: sent };
        if (date !== null) headers['x-amz-date'] = date;
        if (mangled === authorization && date === null) return;
        const res = await sendRaw(s3Port, method, `/${bucket}/mangled`, headers, body);
        fail(`${method} with ${JSON.stringify(sent)} date ${date}`, res, method);
        // Accepted only when nothing that matters changed (an empty list item, say): then the key is simply absent.
        const essentials = (value: string) => value.split(/[\s,]+/).filter(Boolean).join(' ');
        if (method === 'PUT' && res.status === 200) stored = true;
        if (method === 'DELETE' && res.status === 204) stored = false;
        if ((res.status !== null && res.status < 400) || res.status === 404) expect(essentials(sent), `accepted ${sent}`).toBe(essentials(authorization));
        else expect([400, 403], sent).toContain(res.status);
      }),
      { numRuns: fuzzRuns(500) },
    );
    // Only requests whose mangling was harmless took effect, in order.
    expect(await objectExists('mangled')).toBe(stored);
    await expectHealthy();
  });

  describe('XML bodies', () => {
    const endpoints = [
      { name: 'PutBucketCors', method: 'PUT', query: { cors: '' }, valid: '<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>' },
      {
        name: 'PutBucketLifecycle',
        method: 'PUT',
        query: { lifecycle: '' },
        valid: '<LifecycleConfiguration><Rule><ID>r</ID><Status>Enabled</Status><Filter><Prefix>x</Prefix></Filter><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>',
      },
      { name: 'DeleteObjects', method: 'POST', query: { delete: '' }, valid: '<Delete><Object><Key>does-not-exist</Key></Object><Quiet>true</Quiet></Delete>' },
      { name: 'CompleteMultipartUpload', method: 'POST', query: { uploadId: 'UPLOAD' }, valid: '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>ETAG</ETag></Part></CompleteMultipartUpload>' },
    ] as const;

    const billionLaughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">' +
      '<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">' +
      '<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">' +
      '<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>';
    const explosive: Record<string, (root: string, inner: string) => string> = {
      'billion laughs': (root, inner) => `${billionLaughs}<${root}>${inner.replace('>', '>&lol9;')}</${root}>`,
      'external entity (XXE)': (root, inner) => `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><${root}>${inner.replace('>', '>&xxe;')}</${root}>`,
      'parameter entity': (root, inner) => `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]><${root}>${inner}</${root}>`,
      'deep nesting': (root) => `<${root}>${'<a>'.repeat(50_000)}${'</a>'.repeat(50_000)}</${root}>`,
      'many elements': (root, inner) => `<${root}>${inner.repeat(20_000)}</${root}>`,
      'huge attribute': (root, inner) => `<${root} a="${'x'.repeat(1_500_000)}">${inner}</${root}>`,
      'over the size limit': (root, inner) => `<${root}>${inner}${' '.repeat(3 * 1024 * 1024)}</${root}>`,
      'internal entity without expansion': (root, inner) => `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "GET">]><${root}>${inner}</${root}>`,
      'CDATA and comments': (root, inner) => `<${root}><!-- c --><![CDATA[${inner}]]></${root}>`,
      'UTF-16 byte order mark': (root, inner) => `\ufeff<${root}>${inner}</${root}>`,
      'numeric character references': (root, inner) => `<${root}>${inner.replace('>', '>&#0;&#xFFFFFFFF;&#55296;')}</${root}>`,
    };

    async function send(endpoint: (typeof endpoints)[number], body: Buffer): Promise<RawResponse> {
      let query: Record<string, string> = { ...endpoint.query };
      let path = `/${bucket}`;
      if (endpoint.name === 'CompleteMultipartUpload') {
        const upload = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'xml-complete' }));
        query = { uploadId: upload.UploadId! };
        path = `/${bucket}/xml-complete`;
      }
      const signed = await signHeaders({ credentials, host, method: endpoint.method, rawPath: path, query, body });
      return sendRaw(s3Port, endpoint.method, `${path}?${encodeQuery(query)}`, signed, body, { timeoutMs: 10_000 });
    }

    it.each(endpoints.flatMap((endpoint) => Object.keys(explosive).map((attack) => [endpoint.name, attack] as const)))(
      '%s refuses %s quickly with a 4xx XML error and no effect',
      async (name, attack) => {
        const endpoint = endpoints.find((e) => e.name === name)!;
        const rootName = /^<([A-Za-z]+)>/.exec(endpoint.valid)![1]!;
        const inner = endpoint.valid.slice(rootName.length + 2, -(rootName.length + 3));
        const res = await send(endpoint, Buffer.from(explosive[attack]!(rootName, inner)));
        fail(`${name} ${attack}`, res, endpoint.method);
        // Refused (the entity forms must never be expanded), or, for harmless forms, accepted or refused by content.
        const harmless = ['CDATA and comments', 'many elements', 'huge attribute', 'internal entity without expansion', 'numeric character references', 'UTF-16 byte order mark'];
        if (!harmless.includes(attack)) {
          expect(res.status, res.text).toBeGreaterThanOrEqual(400);
        }
        expect(res.text).not.toContain('root:');
      },
    );

    it('answers random mutations of valid documents with 2xx or a well-formed 4xx', async () => {
      const mutate = fc.oneof(
        fc.nat().map((n) => (text: string) => text.slice(0, n % (text.length + 1))),
        fc.tuple(fc.nat(), fc.constantFrom('<', '>', '&', '</', '"', "'", '\u0000', '\uFFFF', '<x>', ']]>', '<!--', '&amp', '&#x0;', '<?xml?>')).map(
          ([n, s]) => (text: string) => text.slice(0, n % (text.length + 1)) + s + text.slice(n % (text.length + 1)),
        ),
        fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => (text: string) => {
          const i = a % text.length;
          const j = b % text.length;
          return text.slice(0, Math.min(i, j)) + text.slice(Math.max(i, j));
        }),
        fc.string({ maxLength: 40 }).map((value) => (text: string) => text.replace(/>[^<]+</, `>${value.replace(/[<&]/g, '')}<`)),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...endpoints), fc.array(mutate, { minLength: 1, maxLength: 3 }), async (endpoint, mutations) => {
          const text = mutations.reduce((doc, m) => m(doc), endpoint.valid as string);
          const res = await send(endpoint, Buffer.from(text));
          fail(`${endpoint.name} ${JSON.stringify(text)}`, res, endpoint.method);
        }),
        { numRuns: fuzzRuns(250) },
      );
      await expectHealthy();
    }, 60_000);
  });

  describe('aws-chunked framing', () => {
    type Mutation =
      | { kind: 'none' }
      | { kind: 'truncate'; at: number }
      | { kind: 'short-content-length'; by: number }
      | { kind: 'long-content-length-then-hang-up'; by: number }
      | { kind: 'chunk-size'; chunk: number; size: string }
      | { kind: 'flip-byte'; at: number }
      | { kind: 'decoded-length'; delta: number }
      | { kind: 'drop-final-chunk' }
      | { kind: 'trailing-garbage'; text: string };

    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      { weight: 2, arbitrary: fc.constant<Mutation>({ kind: 'none' }) },
      fc.nat().map<Mutation>((at) => ({ kind: 'truncate', at })),
      fc.integer({ min: 1, max: 50 }).map<Mutation>((by) => ({ kind: 'short-content-length', by })),
      fc.integer({ min: 1, max: 50 }).map<Mutation>((by) => ({ kind: 'long-content-length-then-hang-up', by })),
      fc.tuple(fc.nat(), fc.constantFrom('0', '1', 'ffffffff', 'ffffffffffffffffffff', '-1', 'zz', '', ' 10', '10 ', '1e3', '0x10')).map<Mutation>(([chunk, size]) => ({ kind: 'chunk-size', chunk, size })),
      fc.nat().map<Mutation>((at) => ({ kind: 'flip-byte', at })),
      fc.constantFrom(-1, 1, -1000, 1000).map<Mutation>((delta) => ({ kind: 'decoded-length', delta })),
      fc.constant<Mutation>({ kind: 'drop-final-chunk' }),
      fc.constantFrom('0\r\n\r\n', 'GARBAGE', '5\r\nhello\r\n').map<Mutation>((text) => ({ kind: 'trailing-garbage', text })),
    );

    it('stores exactly the decoded bytes of an honest upload and nothing of a lying one', async () => {
      let counter = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('unsigned-trailer', 'signed-chunks'),
          fc.integer({ min: 0, max: 40_000 }),
          fc.integer({ min: 8 * 1024, max: 70 * 1024 }),
          mutation,
          async (mode, size, chunkSize, change) => {
            counter += 1;
            const key = `chunked/${counter}`;
            const data = Buffer.alloc(size, counter % 251);
            const rawPath = `/${bucket}/${key}`;
            const build = mode === 'unsigned-trailer' ? unsignedTrailerUpload : signedChunkUpload;
            const declaredLength = change.kind === 'decoded-length' ? Math.max(0, size + change.delta) : size;
            if (change.kind === 'decoded-length' && declaredLength === size) return;
            const upload = await build({ credentials, host, rawPath, data, chunkSize, declaredLength });
            let body = upload.body;
            let contentLength: number | undefined;
            let end = false;
            switch (change.kind) {
              case 'truncate':
                body = body.subarray(0, change.at % body.length);
                break;
              case 'short-content-length':
                contentLength = Math.max(0, body.length - change.by);
                break;
              case 'long-content-length-then-hang-up':
                contentLength = body.length + change.by;
                end = true;
                break;
              case 'chunk-size': {
                const lines = [...body.toString('latin1').matchAll(/(^|\r\n)([0-9a-f]+)(;|\r\n)/g)];
                const target = lines[change.chunk % lines.length]!;
                const start = target.index + target[1]!.length;
                if (target[2] === change.size) return;
                body = Buffer.concat([body.subarray(0, start), Buffer.from(change.size, 'latin1'), body.subarray(start + target[2]!.length)]);
                break;
              }
              case 'flip-byte': {
                if (body.length === 0) return;
                body = Buffer.from(body);
                const at = change.at % body.length;
                body[at] = body[at]! ^ 0x01;
                break;
              }
              case 'drop-final-chunk': {
                const text = body.toString('latin1');
                body = body.subarray(0, text.lastIndexOf('\r\n0') + 2);
                break;
              }
              case 'trailing-garbage':
                body = Buffer.concat([body, Buffer.from(change.text)]);
                break;
              default:
                break;
            }
            const res = await sendRaw(s3Port, 'PUT', rawPath, upload.headers, body, {
              ...(contentLength === undefined ? {} : { contentLength }),
              end,
              timeoutMs: 10_000,
            });
            const context = `${mode} ${size} bytes in ${chunkSize}-byte chunks, ${JSON.stringify(change)}`;
            expect(res.timedOut, context).toBe(false);
            if (res.status !== null) fail(context, res, 'PUT');
            if (change.kind === 'none') {
              expect(res.status, `${context}: ${res.text}`).toBe(200);
              const stored = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
              expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(data), context).toBe(true);
            } else if (res.status === 200) {
              // A change the server may accept must not have changed the stored bytes.
              const stored = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
              expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(data), `${context} accepted but stored other bytes`).toBe(true);
            } else {
              expect(await objectExists(key), `${context}: refused (${res.status}) but an object is visible`).toBe(false);
            }
          },
        ),
        { numRuns: fuzzRuns(300) },
      );
      await expectHealthy();
    }, 120_000);
  });

  describe('Content-Length that lies', () => {
    it('refuses a plain upload shorter or longer than declared, leaving no object', async () => {
      const data = Buffer.from('0123456789'.repeat(100));
      for (const [name, contentLength, end] of [
        ['shorter body, client hangs up', data.length + 100, true],
        ['longer body', data.length - 100, false],
      ] as const) {
        const key = `lying-length/${name.replace(/\W+/g, '-')}`;
        const signed = await signHeaders({ credentials, host, method: 'PUT', rawPath: `/${bucket}/${key}`, body: data });
        const res = await sendRaw(s3Port, 'PUT', `/${bucket}/${key}`, signed, data, { contentLength, end, timeoutMs: 5000 });
        expect(res.timedOut, name).toBe(false);
        if (res.status !== null) fail(name, res, 'PUT');
        expect(await objectExists(key), name).toBe(false);
      }
      await expectHealthy();
    });

    it('refuses an UploadPart whose body stops short, leaving the upload usable', async () => {
      const upload = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'lying-part' }));
      const data = Buffer.alloc(10_000, 7);
      const query = { partNumber: '1', uploadId: upload.UploadId! };
      const signed = await signHeaders({ credentials, host, method: 'PUT', rawPath: `/${bucket}/lying-part`, query, body: data, payloadHash: 'UNSIGNED-PAYLOAD' });
      const res = await sendRaw(s3Port, 'PUT', `/${bucket}/lying-part?${encodeQuery(query)}`, signed, data.subarray(0, 5000), {
        contentLength: data.length,
        end: true,
        timeoutMs: 5000,
      });
      expect(res.timedOut).toBe(false);
      // The part was never acknowledged; the upload still takes a proper one.
      const part = await client.send(new UploadPartCommand({ Bucket: bucket, Key: 'lying-part', UploadId: upload.UploadId!, PartNumber: 1, Body: data }));
      expect(part.ETag).toBeTruthy();
    });
  });

  describe('keys', () => {
    const hostileKey = fc.oneof(
      fc.array(fc.oneof(nastySegment, fc.constantFrom('..', '.', '', 'etc', 'passwd', '~root', 'C:', 'con', 'nul', 'aux', '.git', '%2e%2e', '..\\..\\x')), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('/')),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
      fc.constantFrom('../../../../../../tmp/escaped', '/absolute', 'a\u0000b', '\u0000', 'x'.repeat(1025), '\u00e9'.repeat(512), '\u00e9'.repeat(513), '\ud800', 'a\\..\\..\\b', '.', '..', '...'),
    );

    it('stores any key exactly or refuses it with a 4xx, and never writes outside the data directory', async () => {
      const stored = new Map<string, string>();
      await fc.assert(
        fc.asyncProperty(hostileKey, fc.boolean(), async (key, percentRaw) => {
          // Either the key percent-encoded properly, or, when it already looks encoded, sent raw (decoded by the server).
          const rawPath = percentRaw && /%/.test(key) ? `/${bucket}/${key}` : `/${bucket}/${encodeKeyPath(key.replace(/[\uD800-\uDFFF]/g, '\uFFFD'))}`;
          const body = Buffer.from(`body of ${JSON.stringify(key)}`);
          const signed = await signHeaders({ credentials, host, method: 'PUT', rawPath: canonicalPath(rawPath), body });
          const res = await sendRaw(s3Port, 'PUT', rawPath, signed, body);
          fail(`PUT ${rawPath}`, res, 'PUT');
          if (res.status === 200) {
            const decoded = decodeURIComponent(rawPath.slice(bucket.length + 2));
            stored.set(decoded, body.toString());
            const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: decoded }));
            expect(await got.Body!.transformToString(), rawPath).toBe(stored.get(decoded));
          }
        }),
        { numRuns: fuzzRuns(300) },
      );
      // Listed exactly as stored.
      const listed = await listAllKeys(client, bucket);
      for (const key of stored.keys()) expect(listed.has(key), JSON.stringify(key)).toBe(true);
      // The data directory holds everything; nothing escaped beside it.
      expect(readdirSync(root)).toEqual(['data']);
      await expectHealthy();
    }, 90_000);

    it('refuses oversized user metadata with MetadataTooLarge', async () => {
      const headers: Record<string, string> = {};
      for (let i = 0; i < 40; i++) headers[`x-amz-meta-field${i}`] = 'v'.repeat(100);
      const body = Buffer.from('metadata');
      const signed = await signHeaders({ credentials, host, method: 'PUT', rawPath: `/${bucket}/big-metadata`, headers, body });
      const res = await sendRaw(s3Port, 'PUT', `/${bucket}/big-metadata`, signed, body);
      fail('metadata', res, 'PUT');
      expect(res.status).toBe(400);
      expect(res.text).toContain('<Code>MetadataTooLarge</Code>');
    });
  });
  describe('presigned URLs and browser POST uploads', () => {
    it('answers tampered presigned URLs with S3 errors and never lets a tampered one through', async () => {
      const get = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: sentinelKey }), { expiresIn: 900 });
      const put = await getSignedUrl(client, new PutObjectCommand({ Bucket: bucket, Key: 'presigned-target' }), { expiresIn: 900 });
      const names = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Content-Sha256', 'x-id'];
      const tamper = fc.oneof(
        fc.constantFrom(...names).map((name) => ({ kind: 'drop' as const, name })),
        fc.tuple(fc.constantFrom(...names), fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('0', '-1', '604801', '1e20', '', 'AWS4-HMAC-SHA1', '19700101T000000Z', 'host;x-amz-date', '0'.repeat(64)))).map(([name, value]) => ({
          kind: 'set' as const,
          name,
          value,
        })),
        fc.tuple(fc.constantFrom(...names), fc.string({ maxLength: 10 })).map(([name, value]) => ({ kind: 'duplicate' as const, name, value })),
        fc.constantFrom('X-Amz-Security-Token', 'x-amz-acl', 'response-content-type', 'partNumber').map((name) => ({ kind: 'add' as const, name })),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('GET', 'PUT'), tamper, async (method, change) => {
          const url = new URL(method === 'GET' ? get : put);
          const original = url.searchParams.get(change.name);
          if (change.kind === 'drop') url.searchParams.delete(change.name);
          if (change.kind === 'set') {
            if (original === change.value) return;
            url.searchParams.set(change.name, change.value);
          }
          if (change.kind === 'duplicate') url.searchParams.append(change.name, change.value);
          if (change.kind === 'add') url.searchParams.set(change.name, 'text/plain');
          const body = method === 'PUT' ? Buffer.from('tampered upload') : Buffer.alloc(0);
          const res = await sendRaw(s3Port, method, `${url.pathname}${url.search}`, { host }, body);
          fail(`${method} ${change.kind} ${change.name}`, res, method);
          // Dropping or changing what the signature covers is refused; adding unsigned parameters may be too.
          // A second X-Amz-Signature after the real one changes nothing that is signed.
          const harmless = change.kind === 'add' || change.name === 'x-id' || (change.kind === 'drop' && original === null) || (change.kind === 'duplicate' && change.name === 'X-Amz-Signature');
          if (!harmless) {
            expect([400, 403], `${method} ${JSON.stringify(change)}: ${res.text.slice(0, 200)}`).toContain(res.status);
          }
        }),
        { numRuns: fuzzRuns(300) },
      );
      await expectHealthy();
    }, 60_000);

    it('answers mangled browser POST (policy) uploads with S3 errors and stores nothing of a refused one', async () => {
      const form = postPolicyForm(credentials, { bucket, key: 'post-target', body: 'posted body', nowMs: Date.now() });
      const encoded = new Response(form);
      const contentType = encoded.headers.get('content-type')!;
      const valid = Buffer.from(await encoded.arrayBuffer());
      type Mutation = (b: Buffer) => Buffer;
      const mutate: fc.Arbitrary<Mutation> = fc.oneof(
        fc.nat().map((n) => (b: Buffer) => b.subarray(0, n % (b.length + 1))),
        fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([n, bytes]) => (b: Buffer) => {
          const at = n % (b.length + 1);
          return Buffer.concat([b.subarray(0, at), Buffer.from(bytes), b.subarray(at)]);
        }),
        fc.tuple(fc.nat(), fc.nat({ max: 200 })).map(([n, length]) => (b: Buffer) => {
          const at = n % (b.length + 1);
          return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + length))]);
        }),
        fc.constant((b: Buffer) => Buffer.from(b.toString('latin1').replace(/\r\n/g, '\n'), 'latin1')),
      );
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(mutate, { minLength: 1, maxLength: 2 }), fc.constantFrom(contentType, 'multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary=zzz', 'text/plain'), async (mutations, type) => {
          const body = mutations.reduce<Buffer>((b, m) => m(b), valid);
          const res = await sendRaw(s3Port, 'POST', `/${bucket}`, { host, 'content-type': type }, body);
          fail(`POST form (${type}, ${body.length} bytes)`, res, 'POST');
          if (res.status !== null && res.status < 300) accepted += 1;
        }),
        { numRuns: fuzzRuns(300) },
      );
      // The valid form itself works (so the mutations were tested against a live route).
      const ok = await sendRaw(s3Port, 'POST', `/${bucket}`, { host, 'content-type': contentType }, valid);
      expect(ok.status, ok.text).toBeLessThan(300);
      const stored = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'post-target' }));
      expect(await stored.Body!.transformToString()).toBe('posted body');
      expect(accepted).toBeLessThan(fuzzRuns(300));
      await expectHealthy();
    }, 60_000);

    it('refuses a declared body over the size limit at once, without waiting for the bytes', async () => {
      const signed = await signHeaders({ credentials, host, method: 'PUT', rawPath: `/${bucket}/too-big`, payloadHash: 'UNSIGNED-PAYLOAD' });
      // Declares 6 TiB, sends a few bytes, and keeps the connection open: any answer at all came without waiting
      // for the body, which never ends.
      const res = await sendRaw(s3Port, 'PUT', `/${bucket}/too-big`, signed, Buffer.from('x'.repeat(100)), { contentLength: 6 * 1024 ** 4, timeoutMs: 120_000 });
      fail('6 TiB PUT', res, 'PUT');
      expect(res.status).toBe(400);
      expect(res.text).toContain('<Code>EntityTooLarge</Code>');
      expect(await objectExists('too-big')).toBe(false);
    });
  });

  it('logged no internal error and no secret while under attack', () => {
    const errors = mock.logLines.filter((line) => /"level":(50|60)/.test(line));
    expect(errors.slice(0, 3)).toEqual([]);
    expect(mock.secrets.leaksIn(mock.logLines.join('\n'))).toEqual([]);
  });
});
