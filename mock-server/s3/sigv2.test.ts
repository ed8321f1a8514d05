import { createHash, createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PermissionType } from '../../spec/index.js';
import { startTestS3, type Credentials, type TestS3 } from './test/test-s3.js';

/**
 * Signature Version 2 through the S3 app: accepted only when the mock allows it, then under the same permission,
 * scope, expiry and revocation rules as SigV4. Requests are signed here by hand, from AWS's description of SigV2
 * (the resource each request signs is written out), independently of s3/signing/sigv2.ts.
 */

interface Reply {
  readonly status: number;
  readonly text: string;
}

/** A raw HTTP request: exactly these headers, nothing added (fetch would add a Content-Type to string bodies). */
function send(s3: TestS3, method: string, pathAndQuery: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: s3.port, method, path: pathAndQuery, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (piece: Buffer) => parts.push(piece));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const hmacSha1 = (secret: string, text: string): string => createHmac('sha1', secret).update(text, 'utf8').digest('base64');

function amzLines(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([name, value]) => [name.toLowerCase(), value.trim()] as const)
    .filter(([name]) => name.startsWith('x-amz-'))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => `${name}:${value}\n`)
    .join('');
}

interface SignedV2 {
  readonly headers: Record<string, string>;
  readonly stringToSign: string;
}

/** `Authorization: AWS id:signature` over METHOD, Content-MD5, Content-Type, Date, x-amz-* headers and `resource`. */
function signHeader(s3: TestS3, credentials: Credentials, method: string, resource: string, headers: Record<string, string> = {}, atMs = s3.clock.nowMs()): SignedV2 {
  const all: Record<string, string> = { date: new Date(atMs).toUTCString(), ...headers };
  const dateLine = Object.keys(all).some((name) => name.toLowerCase() === 'x-amz-date') ? '' : (all.date as string);
  const stringToSign = `${method}\n${all['content-md5'] ?? ''}\n${all['content-type'] ?? ''}\n${dateLine}\n${amzLines(all)}${resource}`;
  return { headers: { ...all, authorization: `AWS ${credentials.accessKeyId}:${hmacSha1(credentials.secretAccessKey, stringToSign)}` }, stringToSign };
}

/** A SigV2 presigned URL path: `AWSAccessKeyId`, `Expires` (epoch seconds) and `Signature` appended to pathAndQuery. */
function presignPath(credentials: Credentials, method: string, pathAndQuery: string, resource: string, expiresEpoch: number): string {
  const signature = hmacSha1(credentials.secretAccessKey, `${method}\n\n\n${expiresEpoch}\n${resource}`);
  const auth = `AWSAccessKeyId=${credentials.accessKeyId}&Expires=${expiresEpoch}&Signature=${encodeURIComponent(signature)}`;
  return `${pathAndQuery}${pathAndQuery.includes('?') ? '&' : '?'}${auth}`;
}

const errorCode = (reply: Reply): string | undefined => /<Code>([^<]+)<\/Code>/.exec(reply.text)?.[1];
const md5Base64 = (data: string): string => createHash('md5').update(data).digest('base64');

let s3: TestS3;
let plain: TestS3;
let admin: Credentials;
const bucket = 'sigv2-bucket';
const otherBucket = 'sigv2-other';

beforeAll(async () => {
  s3 = await startTestS3({ allowSigV2: true });
  plain = await startTestS3();
  admin = s3.token();
  for (const name of [bucket, otherBucket]) s3.storage.createBucket(s3.projectId, name, 'us-east-1');
  plain.storage.createBucket(plain.projectId, bucket, 'us-east-1');
});
afterAll(async () => {
  await s3?.close();
  await plain?.close();
});

function tokenOf(level: PermissionType, buckets?: string[]): Credentials {
  return buckets ? s3.token({ level, scope: 'specific', buckets }) : s3.token({ level });
}

async function put(credentials: Credentials, key: string, body: string, extra: Record<string, string> = {}): Promise<Reply> {
  const headers = { 'content-type': 'text/plain', 'content-md5': md5Base64(body), ...extra };
  const signed = signHeader(s3, credentials, 'PUT', `/${bucket}/${key}`, headers);
  return send(s3, 'PUT', `/${bucket}/${key}`, signed.headers, body);
}

describe('without --allow-sigv2', () => {
  it('answers a SigV2 Authorization header with InvalidRequest, as before', async () => {
    const credentials = plain.token();
    const signed = signHeader(plain, credentials, 'GET', `/${bucket}/`);
    const reply = await send(plain, 'GET', `/${bucket}`, signed.headers);
    expect(reply.status).toBe(400);
    expect(errorCode(reply)).toBe('InvalidRequest');
    expect(reply.text).toContain('Please use AWS4-HMAC-SHA256');
  });

  it('answers a SigV2 presigned URL with InvalidRequest, as before', async () => {
    const credentials = plain.token();
    const path = presignPath(credentials, 'GET', `/${bucket}/k`, `/${bucket}/k`, Math.floor(plain.clock.nowMs() / 1000) + 600);
    const reply = await send(plain, 'GET', path);
    expect(reply.status).toBe(400);
    expect(errorCode(reply)).toBe('InvalidRequest');
  });
});

describe('SigV2 Authorization header', () => {
  it('writes and reads an object, Content-MD5 and Content-Type signed', async () => {
    expect((await put(admin, 'dir/a%20b.txt', 'hello sigv2')).status).toBe(200);
    const signed = signHeader(s3, admin, 'GET', `/${bucket}/dir/a%20b.txt`);
    const reply = await send(s3, 'GET', `/${bucket}/dir/a%20b.txt`, signed.headers);
    expect(reply).toEqual({ status: 200, text: 'hello sigv2' });
  });

  it('lists a bucket signed as /bucket/ (botocore) or as /bucket, listing parameters unsigned', async () => {
    for (const resource of [`/${bucket}/`, `/${bucket}`]) {
      const signed = signHeader(s3, admin, 'GET', resource);
      const reply = await send(s3, 'GET', `/${bucket}?list-type=2&prefix=dir%2F`, signed.headers);
      expect(reply.status, resource).toBe(200);
      expect(reply.text).toContain('<Key>dir/a b.txt</Key>');
    }
  });

  it('signs sub-resources: a multipart upload is started with ?uploads', async () => {
    const signed = signHeader(s3, admin, 'POST', `/${bucket}/multi?uploads`);
    const reply = await send(s3, 'POST', `/${bucket}/multi?uploads`, signed.headers);
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('<UploadId>');
  });

  it('takes x-amz-date for Date, signed with an empty Date line (S3\'s rule) or on the Date line (S3\'s example)', async () => {
    const amzDate = new Date(s3.clock.nowMs()).toUTCString();
    const rule = signHeader(s3, admin, 'GET', `/${bucket}/dir/a%20b.txt`, { 'x-amz-date': amzDate, date: 'Thu, 01 Jan 1970 00:00:00 GMT' });
    expect((await send(s3, 'GET', `/${bucket}/dir/a%20b.txt`, rule.headers)).status).toBe(200);
    const exampleForm = `GET\n\n\n${amzDate}\n/${bucket}/dir/a%20b.txt`;
    const headers = { 'x-amz-date': amzDate, authorization: `AWS ${admin.accessKeyId}:${hmacSha1(admin.secretAccessKey, exampleForm)}` };
    expect((await send(s3, 'GET', `/${bucket}/dir/a%20b.txt`, headers)).status).toBe(200);
  });

  it('refuses a tampered signature with SignatureDoesNotMatch, reporting the string to sign but never the secret', async () => {
    const signed = signHeader(s3, admin, 'GET', `/${bucket}/dir/a%20b.txt`);
    const authorization = signed.headers.authorization as string;
    const tampered = `${authorization.slice(0, -2)}${authorization.at(-2) === 'A' ? 'B' : 'A'}=`;
    const reply = await send(s3, 'GET', `/${bucket}/dir/a%20b.txt`, { ...signed.headers, authorization: tampered });
    expect(reply.status).toBe(403);
    expect(errorCode(reply)).toBe('SignatureDoesNotMatch');
    expect(reply.text).toContain(`<StringToSign>${signed.stringToSign.replaceAll('\n', '&#xA;')}</StringToSign>`);
    expect(reply.text).toContain(`<AWSAccessKeyId>${admin.accessKeyId}</AWSAccessKeyId>`);
    expect(reply.text).toContain('<StringToSignBytes>47 45 54 0a');
    expect(reply.text).not.toContain(admin.secretAccessKey);
  });

  it('refuses an x-amz-* header added after signing with SignatureDoesNotMatch (SigV2 signs them all)', async () => {
    const body = 'metadata';
    const headers = { 'content-type': 'text/plain', 'x-amz-meta-signed': 'yes' };
    const signed = signHeader(s3, admin, 'PUT', `/${bucket}/added-header`, headers);
    const reply = await send(s3, 'PUT', `/${bucket}/added-header`, { ...signed.headers, 'x-amz-meta-added': 'later' }, body);
    expect(reply.status).toBe(403);
    expect(errorCode(reply)).toBe('SignatureDoesNotMatch');
  });

  it('refuses a body that does not match its signed Content-MD5', async () => {
    const headers = { 'content-type': 'text/plain', 'content-md5': md5Base64('promised') };
    const signed = signHeader(s3, admin, 'PUT', `/${bucket}/md5`, headers);
    const reply = await send(s3, 'PUT', `/${bucket}/md5`, signed.headers, 'delivered');
    expect(reply.status).toBe(400);
    expect(errorCode(reply)).toBe('BadDigest');
  });

  it('refuses a request dated beyond the allowed clock skew, and an unknown key', async () => {
    const skewed = signHeader(s3, admin, 'GET', `/${bucket}/dir/a%20b.txt`, {}, s3.clock.nowMs() - 20 * 60_000);
    const reply = await send(s3, 'GET', `/${bucket}/dir/a%20b.txt`, skewed.headers);
    expect([reply.status, errorCode(reply)]).toEqual([403, 'RequestTimeTooSkewed']);
    const unknown = signHeader(s3, { accessKeyId: 'AKIA0000000000000000', secretAccessKey: 'x'.repeat(40) }, 'GET', `/${bucket}/`);
    const refused = await send(s3, 'GET', `/${bucket}`, unknown.headers);
    expect([refused.status, errorCode(refused)]).toEqual([403, 'InvalidAccessKeyId']);
  });

  it('keeps the level: an Object Read only key may read but not write', async () => {
    const reader = tokenOf('object_ro');
    expect((await put(reader, 'ro-write', 'no')).status).toBe(403);
    const signed = signHeader(s3, reader, 'GET', `/${bucket}/dir/a%20b.txt`);
    expect((await send(s3, 'GET', `/${bucket}/dir/a%20b.txt`, signed.headers)).status).toBe(200);
  });

  it('keeps the bucket scope: a key for one bucket is refused on another', async () => {
    const scoped = tokenOf('admin_rw', [bucket]);
    const inScope = signHeader(s3, scoped, 'GET', `/${bucket}/`);
    expect((await send(s3, 'GET', `/${bucket}`, inScope.headers)).status).toBe(200);
    const outOfScope = signHeader(s3, scoped, 'GET', `/${otherBucket}/`);
    const reply = await send(s3, 'GET', `/${otherBucket}`, outOfScope.headers);
    expect([reply.status, errorCode(reply)]).toEqual([403, 'AccessDenied']);
  });

  it('refuses a revoked key from the very next request', async () => {
    const credentials = tokenOf('admin_rw');
    const first = signHeader(s3, credentials, 'GET', `/${bucket}/`);
    expect((await send(s3, 'GET', `/${bucket}`, first.headers)).status).toBe(200);
    const index = s3.tokens.tokens.findIndex((token) => token.accessKeyId === credentials.accessKeyId);
    s3.tokens.tokens[index] = { ...s3.tokens.tokens[index]!, revokedAt: new Date(s3.clock.nowMs()) };
    const next = signHeader(s3, credentials, 'GET', `/${bucket}/`);
    const reply = await send(s3, 'GET', `/${bucket}`, next.headers);
    expect([reply.status, errorCode(reply)]).toEqual([403, 'AccessDenied']);
  });

  it('allows one auth mechanism only', async () => {
    const signed = signHeader(s3, admin, 'GET', `/${bucket}/dir/a%20b.txt`);
    const path = presignPath(admin, 'GET', `/${bucket}/dir/a%20b.txt`, `/${bucket}/dir/a%20b.txt`, Math.floor(s3.clock.nowMs() / 1000) + 60);
    const reply = await send(s3, 'GET', path, signed.headers);
    expect([reply.status, errorCode(reply)]).toEqual([400, 'InvalidArgument']);
  });
});

describe('SigV2 presigned URLs', () => {
  const nowEpoch = (): number => Math.floor(s3.clock.nowMs() / 1000);
  const key = `/${bucket}/dir/a%20b.txt`;

  it('download until Expires, then AccessDenied "Request has expired"', async () => {
    const live = await send(s3, 'GET', presignPath(admin, 'GET', key, key, nowEpoch() + 300));
    expect(live).toEqual({ status: 200, text: 'hello sigv2' });
    const expired = await send(s3, 'GET', presignPath(admin, 'GET', key, key, nowEpoch() - 1));
    expect([expired.status, errorCode(expired)]).toEqual([403, 'AccessDenied']);
    expect(expired.text).toContain('Request has expired');
  });

  it('upload with a presigned PUT', async () => {
    const path = presignPath(admin, 'PUT', `/${bucket}/presigned-put`, `/${bucket}/presigned-put`, nowEpoch() + 300);
    expect((await send(s3, 'PUT', path, {}, 'uploaded')).status).toBe(200);
    const signed = signHeader(s3, admin, 'GET', `/${bucket}/presigned-put`);
    expect((await send(s3, 'GET', `/${bucket}/presigned-put`, signed.headers)).text).toBe('uploaded');
  });

  it('refuse a changed Expires or key with SignatureDoesNotMatch', async () => {
    const path = presignPath(admin, 'GET', key, key, nowEpoch() + 300);
    const longer = path.replace(/Expires=(\d+)/, (_match, value: string) => `Expires=${Number(value) + 1}`);
    expect(errorCode(await send(s3, 'GET', longer))).toBe('SignatureDoesNotMatch');
    expect(errorCode(await send(s3, 'GET', path.replace('a%20b', 'a%20c')))).toBe('SignatureDoesNotMatch');
  });

  it('refuse an Expires more than the SigV4 maximum of 7 days ahead', async () => {
    const reply = await send(s3, 'GET', presignPath(admin, 'GET', key, key, nowEpoch() + 8 * 86_400));
    expect([reply.status, errorCode(reply)]).toEqual([400, 'AuthorizationQueryParametersError']);
  });

  it('need Object Read & Write to be presigned, as SigV4 URLs do', async () => {
    const reply = await send(s3, 'GET', presignPath(tokenOf('object_ro'), 'GET', key, key, nowEpoch() + 300));
    expect([reply.status, errorCode(reply)]).toEqual([403, 'AccessDenied']);
  });

  it('refuse a URL missing one of its three parameters', async () => {
    const path = presignPath(admin, 'GET', key, key, nowEpoch() + 300).replace(/&Expires=\d+/, '');
    const reply = await send(s3, 'GET', path);
    expect([reply.status, errorCode(reply)]).toEqual([403, 'AccessDenied']);
  });
});

/** A browser form signed with SigV2, fields as botocore's generate_presigned_post makes them, the file last. */
function sigV2Form(credentials: Credentials, options: { key: string; body: string; conditions?: unknown[]; fields?: Record<string, string>; expiresInMs?: number; signature?: string }): FormData {
  const policy = Buffer.from(
    JSON.stringify({
      expiration: new Date(s3.clock.nowMs() + (options.expiresInMs ?? 600_000)).toISOString(),
      conditions: [{ bucket }, { key: options.key }, ...(options.conditions ?? [])],
    }),
  ).toString('base64');
  const form = new FormData();
  form.append('key', options.key);
  for (const [name, value] of Object.entries(options.fields ?? {})) form.append(name, value);
  form.append('AWSAccessKeyId', credentials.accessKeyId);
  form.append('policy', policy);
  form.append('signature', options.signature ?? hmacSha1(credentials.secretAccessKey, policy));
  form.append('file', new Blob([options.body]), 'upload.txt');
  return form;
}

async function postForm(target: TestS3, form: FormData): Promise<Reply> {
  const response = await fetch(`${target.endpoint}/${bucket}`, { method: 'POST', body: form });
  return { status: response.status, text: await response.text() };
}

describe('SigV2 POST policies', () => {
  it('upload within the policy', async () => {
    const reply = await postForm(s3, sigV2Form(admin, { key: 'posted/one.txt', body: 'posted with sigv2' }));
    expect(reply.status).toBe(204);
    const signed = signHeader(s3, admin, 'GET', `/${bucket}/posted/one.txt`);
    expect((await send(s3, 'GET', `/${bucket}/posted/one.txt`, signed.headers)).text).toBe('posted with sigv2');
  });

  it('refuse a wrong signature, a field outside the policy and an expired policy', async () => {
    const wrong = await postForm(s3, sigV2Form(admin, { key: 'posted/two.txt', body: 'x', signature: hmacSha1('not-the-secret', 'x') }));
    expect([wrong.status, errorCode(wrong)]).toEqual([403, 'SignatureDoesNotMatch']);
    expect(wrong.text).not.toContain(admin.secretAccessKey);
    const extra = await postForm(s3, sigV2Form(admin, { key: 'posted/two.txt', body: 'x', fields: { 'x-amz-meta-extra': 'unlisted' } }));
    expect([extra.status, errorCode(extra)]).toEqual([403, 'AccessDenied']);
    const expired = await postForm(s3, sigV2Form(admin, { key: 'posted/two.txt', body: 'x', expiresInMs: -1000 }));
    expect([expired.status, errorCode(expired)]).toEqual([403, 'AccessDenied']);
  });

  it('keep the level and scope: Object Read only, or a key for another bucket, may not upload', async () => {
    for (const credentials of [tokenOf('object_ro'), tokenOf('admin_rw', [otherBucket])]) {
      const reply = await postForm(s3, sigV2Form(credentials, { key: 'posted/denied.txt', body: 'x' }));
      expect([reply.status, errorCode(reply)]).toEqual([403, 'AccessDenied']);
    }
  });

  it('are InvalidRequest without --allow-sigv2, as before', async () => {
    const reply = await postForm(plain, sigV2Form(plain.token(), { key: 'posted/off.txt', body: 'x' }));
    expect([reply.status, errorCode(reply)]).toEqual([400, 'InvalidRequest']);
  });
});

describe('SigV2 on virtual-hosted-style requests', () => {
  it('signs the bucket from the Host header as part of the resource', async () => {
    const hosted = await startTestS3({ s3Domain: 's3.test', allowSigV2: true });
    try {
      const credentials = hosted.token();
      hosted.storage.createBucket(hosted.projectId, 'hosted', 'us-east-1');
      const host = `hosted.s3.test:${hosted.port}`;
      const putSigned = signHeader(hosted, credentials, 'PUT', '/hosted/file.txt', { 'content-type': 'text/plain' });
      expect((await send(hosted, 'PUT', '/file.txt', { ...putSigned.headers, host }, 'virtual')).status).toBe(200);
      const listSigned = signHeader(hosted, credentials, 'GET', '/hosted/');
      const listed = await send(hosted, 'GET', '/', { ...listSigned.headers, host });
      expect(listed.status).toBe(200);
      expect(listed.text).toContain('<Key>file.txt</Key>');
      const unprefixed = signHeader(hosted, credentials, 'GET', '/file.txt');
      expect(errorCode(await send(hosted, 'GET', '/file.txt', { ...unprefixed.headers, host }))).toBe('SignatureDoesNotMatch');
    } finally {
      await hosted.close();
    }
  });
});

describe('SigV2-shaped requests (property)', () => {
  const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 40 });
  /** Mostly null: the well-formed case, sometimes something else. */
  const mostlyNull = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary, weight: 1 });
  /** Mostly there, sometimes left out. */
  const mostlyPresent = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ arbitrary, weight: 3 }, { arbitrary: fc.constant(undefined), weight: 1 });
  /** `now` stands for the mock's current time, so that a correctly signed request gets past the clock check. */
  const dates = fc.oneof(
    { arbitrary: fc.constant('now'), weight: 3 },
    { arbitrary: fc.oneof(fc.constant(undefined), fc.constantFrom('Thu, 01 Jan 1970 00:00:00 GMT', '20260101T000000Z', 'not a date', ''), printable), weight: 2 },
  );
  /** Expires as seconds from now (resolved against the mock's clock), or anything. */
  const expiries = fc.oneof(
    { arbitrary: fc.integer({ min: -3600, max: 9 * 86_400 }).map((seconds) => ({ fromNow: seconds })), weight: 3 },
    { arbitrary: fc.oneof(printable, fc.integer({ min: -1, max: 2 ** 40 }).map(String), fc.constant('1'.repeat(40))), weight: 1 },
  );
  const payloadHashes = mostlyNull(fc.oneof(printable, fc.constantFrom('UNSIGNED-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', '0'.repeat(64))));
  /** What each path signs as its resource (a bucket as /bucket/, the sub-resources kept). */
  const paths: Record<string, string> = {
    [`/${bucket}`]: `/${bucket}/`,
    [`/${bucket}/dir/a%20b.txt`]: `/${bucket}/dir/a%20b.txt`,
    '/': '/',
    '/missing/x': '/missing/x',
    [`/${bucket}/k?uploads`]: `/${bucket}/k?uploads`,
    [`/${bucket}?acl`]: `/${bucket}/?acl`,
  };

  it('never get a 500, with or without --allow-sigv2, correctly signed or not, and errors are S3 XML', async () => {
    const keys = [s3.token(), plain.token()];
    const secrets = new Map(keys.map((key) => [key.accessKeyId, key.secretAccessKey]));
    const keyIds = fc.oneof({ arbitrary: fc.constantFrom(...secrets.keys()), weight: 3 }, { arbitrary: fc.oneof(fc.constantFrom('', 'AKIA0000000000000000'), printable), weight: 1 });
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD'),
        fc.constantFrom(...Object.keys(paths)),
        fc.oneof(
          // A null signature stands for the right one: the request then reaches the checks after the signature.
          fc.record({ kind: fc.constant('header' as const), accessKeyId: keyIds, signature: mostlyNull(printable), raw: mostlyNull(printable) }),
          fc.record({ kind: fc.constant('query' as const), accessKeyId: mostlyPresent(keyIds), signature: mostlyNull(printable), expires: mostlyPresent(expiries) }),
        ),
        dates,
        fc.oneof(fc.constant(undefined), dates),
        payloadHashes,
        async (allow, method, path, auth, date, amzDate, payloadHash) => {
          const target = allow ? s3 : plain;
          const headers: Record<string, string> = {};
          const current = (value: string): string => (value === 'now' ? new Date(target.clock.nowMs()).toUTCString() : value);
          if (date !== undefined) headers.date = current(date);
          if (amzDate !== undefined) headers['x-amz-date'] = current(amzDate);
          if (payloadHash !== null) headers['x-amz-content-sha256'] = payloadHash;
          const accessKeyId = auth.kind === 'header' ? auth.accessKeyId : (auth.accessKeyId ?? keys[0]!.accessKeyId);
          const sign = (dateLine: string): string =>
            hmacSha1(secrets.get(accessKeyId) ?? 'unknown', `${method}\n\n\n${dateLine.trim()}\n${amzLines(headers)}${paths[path]}`);
          let pathAndQuery: string = path;
          if (auth.kind === 'header') {
            const signature = auth.signature ?? sign(amzDate === undefined ? (headers.date ?? '') : '');
            headers.authorization = `AWS ${auth.raw ?? `${accessKeyId}:${signature}`}`;
          } else {
            const expires = auth.expires === undefined ? undefined : typeof auth.expires === 'string' ? auth.expires : String(Math.floor(target.clock.nowMs() / 1000) + auth.expires.fromNow);
            const params = [['AWSAccessKeyId', auth.accessKeyId], ['Expires', expires], ['Signature', auth.signature ?? sign(expires ?? '')]]
              .filter((pair): pair is [string, string] => pair[1] !== undefined)
              .map(([name, value]) => `${name}=${encodeURIComponent(value)}`);
            pathAndQuery = `${path}${path.includes('?') ? '&' : '?'}${params.join('&')}`;
          }
          const reply = await send(target, method, pathAndQuery, headers, method === 'PUT' || method === 'POST' ? 'body' : undefined);
          expect(reply.status, `${method} ${pathAndQuery} ${JSON.stringify(headers)}`).not.toBe(500);
          if (reply.status >= 400 && method !== 'HEAD') expect(reply.text).toMatch(/<Error><Code>\w+<\/Code>/);
          if (!allow && reply.status >= 400 && method !== 'HEAD') expect(errorCode(reply)).not.toBe('SignatureDoesNotMatch');
        },
      ),
      { numRuns: 300 },
    );
  });
});
