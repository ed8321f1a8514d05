import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketCorsCommand,
  DeleteBucketLifecycleCommand,
  DeleteObjectCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValidBucketName } from '../../spec/index.js';
import { failure, signedFetch, startTestS3, type Credentials, type TestS3 } from './test/test-s3.js';

/** Bucket operations, configuration and listings through the real SDK (and signed raw requests for bad XML). */

let s3: TestS3;
let credentials: Credentials;
let client: S3Client;

beforeAll(async () => {
  s3 = await startTestS3();
  credentials = s3.token();
  client = s3.client(credentials);
});
afterAll(async () => {
  await s3?.close();
});

describe('bucket lifecycle', () => {
  it('creates, heads, locates, lists and deletes buckets', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'life-cycle-1' }));
    await client.send(new CreateBucketCommand({ Bucket: 'life-cycle-2', CreateBucketConfiguration: { LocationConstraint: 'in-south-1' as never } }));
    const head = await client.send(new HeadBucketCommand({ Bucket: 'life-cycle-2' }));
    expect(head.BucketRegion).toBe('in-south-1');
    expect((await client.send(new GetBucketLocationCommand({ Bucket: 'life-cycle-1' }))).LocationConstraint).toBeUndefined();
    expect((await client.send(new GetBucketLocationCommand({ Bucket: 'life-cycle-2' }))).LocationConstraint).toBe('in-south-1');
    // Never versioned: an empty configuration (no Status), as AWS answers for a bucket that never had versioning.
    const versioning = await client.send(new GetBucketVersioningCommand({ Bucket: 'life-cycle-1' }));
    expect(versioning.$metadata.httpStatusCode).toBe(200);
    expect(versioning.Status).toBeUndefined();
    expect(await failure(client.send(new GetBucketVersioningCommand({ Bucket: 'no-such-bucket-here' })))).toMatchObject({ code: 'NoSuchBucket', status: 404 });
    const names = (await client.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    expect(names).toEqual(expect.arrayContaining(['life-cycle-1', 'life-cycle-2']));
    await client.send(new PutObjectCommand({ Bucket: 'life-cycle-1', Key: 'k', Body: 'x' }));
    expect(await failure(client.send(new DeleteBucketCommand({ Bucket: 'life-cycle-1' })))).toMatchObject({ code: 'BucketNotEmpty', status: 409 });
    await client.send(new DeleteObjectCommand({ Bucket: 'life-cycle-1', Key: 'k' }));
    await client.send(new DeleteBucketCommand({ Bucket: 'life-cycle-1' }));
    expect((await failure(client.send(new HeadBucketCommand({ Bucket: 'life-cycle-1' })))).status).toBe(404);
    expect(await failure(client.send(new DeleteBucketCommand({ Bucket: 'life-cycle-1' })))).toMatchObject({ code: 'NoSuchBucket', status: 404 });
  });

  it('validates names with spec, for any name', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .oneof(fc.string({ unit: fc.constantFrom('a', 'z', '0', '-', 'A', '_', '.'), minLength: 1, maxLength: 70 }), fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/))
          // URL resolution turns "/." and "/.." into "/" before a request is sent.
          .filter((name) => name !== '.' && name !== '..'),
        async (name) => {
          // Names the SDK's own endpoint rules reject never reach the server; send those signed by hand.
          const response = await signedFetch(s3, credentials, 'PUT', `/${encodeURIComponent(name)}`);
          if (isValidBucketName(name)) {
            expect([200, 409]).toContain(response.status);
          } else {
            expect(response.status).toBe(400);
            expect(response.text).toContain('<Code>InvalidBucketName</Code>');
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a taken name is BucketAlreadyOwnedByYou in the same project and BucketAlreadyExists in another', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'taken-name' }));
    expect(await failure(client.send(new CreateBucketCommand({ Bucket: 'taken-name' })))).toMatchObject({ code: 'BucketAlreadyOwnedByYou', status: 409 });
    const other = s3.client(s3.token({ projectId: 'other-project' }));
    expect(await failure(other.send(new CreateBucketCommand({ Bucket: 'taken-name' })))).toMatchObject({ code: 'BucketAlreadyExists', status: 409 });
    expect((await other.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
  });
});

describe('bucket configuration', () => {
  beforeAll(async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'config-bucket' }));
  });

  it('CORS: put, get, delete; missing is NoSuchCORSConfiguration; preflight follows the rules', async () => {
    expect((await failure(client.send(new GetBucketCorsCommand({ Bucket: 'config-bucket' })))).code).toBe('NoSuchCORSConfiguration');
    const rules = [
      { ID: 'web', AllowedOrigins: ['https://*.example.com'], AllowedMethods: ['GET', 'PUT', 'POST'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 },
    ];
    await client.send(new PutBucketCorsCommand({ Bucket: 'config-bucket', CORSConfiguration: { CORSRules: rules } }));
    expect((await client.send(new GetBucketCorsCommand({ Bucket: 'config-bucket' }))).CORSRules).toEqual(rules);
    const preflight = (origin: string, method: string) =>
      fetch(`${s3.endpoint}/config-bucket/some/key`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type,x-amz-date' },
      });
    const allowed = await preflight('https://app.example.com', 'PUT');
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-methods')).toBe('GET, PUT, POST');
    expect(allowed.headers.get('access-control-max-age')).toBe('600');
    expect((await preflight('https://evil.test', 'PUT')).status).toBe(403);
    expect((await preflight('https://app.example.com', 'DELETE')).status).toBe(403);
    await client.send(new DeleteBucketCorsCommand({ Bucket: 'config-bucket' }));
    expect((await failure(client.send(new GetBucketCorsCommand({ Bucket: 'config-bucket' })))).code).toBe('NoSuchCORSConfiguration');
    expect((await preflight('https://app.example.com', 'PUT')).status).toBe(403);
  });

  it('lifecycle: put, get, delete; missing is NoSuchLifecycleConfiguration', async () => {
    expect((await failure(client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'config-bucket' })))).code).toBe('NoSuchLifecycleConfiguration');
    const rules = [
      { ID: 'expire-tmp', Filter: { Prefix: 'tmp/' }, Status: 'Enabled' as const, Expiration: { Days: 7 } },
      { ID: 'abort-mpu', Filter: { Prefix: '' }, Status: 'Disabled' as const, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } },
    ];
    await client.send(new PutBucketLifecycleConfigurationCommand({ Bucket: 'config-bucket', LifecycleConfiguration: { Rules: rules } }));
    expect((await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'config-bucket' }))).Rules).toEqual(rules);
    await client.send(new DeleteBucketLifecycleCommand({ Bucket: 'config-bucket' }));
    expect((await failure(client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'config-bucket' })))).code).toBe('NoSuchLifecycleConfiguration');
  });

  it('encryption: AES256 by default; put and get', async () => {
    const initial = await client.send(new GetBucketEncryptionCommand({ Bucket: 'config-bucket' }));
    expect(initial.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
    await client.send(
      new PutBucketEncryptionCommand({
        Bucket: 'config-bucket',
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'key-1' }, BucketKeyEnabled: true }] },
      }),
    );
    const updated = await client.send(new GetBucketEncryptionCommand({ Bucket: 'config-bucket' }));
    expect(updated.ServerSideEncryptionConfiguration?.Rules).toEqual([
      { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'key-1' }, BucketKeyEnabled: true },
    ]);
  });

  it.each([
    ['cors', 'not xml at all'],
    ['cors', '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>'],
    ['cors', '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>'],
    ['cors', '<Wrong><CORSRule/></Wrong>'],
    ['lifecycle', '<LifecycleConfiguration><Rule><Status>Sometimes</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>'],
    ['lifecycle', '<LifecycleConfiguration></LifecycleConfiguration>'],
    ['encryption', '<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>ROT13</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>'],
    ['delete', '<Delete><Object></Object></Delete>'],
    ['cors', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><CORSConfiguration><CORSRule><AllowedOrigin>&b;</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>'],
    ['cors', Buffer.from([0x3c, 0x43, 0xff, 0xfe, 0x3e]).toString('latin1')],
  ])('malformed %s XML is 400 MalformedXML, never a 500: %s', async (resource, xml) => {
    const method = resource === 'delete' ? 'POST' : 'PUT';
    const response = await signedFetch(s3, credentials, method, `/config-bucket?${resource}`, {
      body: Buffer.from(xml, 'latin1'),
      headers: { 'content-type': 'application/xml' },
    });
    expect(response.status).toBe(400);
    expect(response.text).toContain('<Code>MalformedXML</Code>');
  });

  it('refuses semantically invalid rules with a 4xx', async () => {
    const badMethod = await signedFetch(s3, credentials, 'PUT', '/config-bucket?cors', {
      body: '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>',
    });
    expect(badMethod.status).toBe(400);
    expect(badMethod.text).toContain('<Code>InvalidRequest</Code>');
    const badDays = await signedFetch(s3, credentials, 'PUT', '/config-bucket?lifecycle', {
      body: '<LifecycleConfiguration><Rule><Status>Enabled</Status><Filter><Prefix/></Filter><Expiration><Days>0</Days></Expiration></Rule></LifecycleConfiguration>',
    });
    expect(badDays.status).toBe(400);
    expect(badDays.text).toContain('<Code>InvalidArgument</Code>');
  });
});

describe('listings', () => {
  const bucket = 'listing-bucket';
  const keyChar = fc.constantFrom('a', 'b', '/', 'é', '😀', ' ', '+', '%', '&');
  const keys = fc.uniqueArray(fc.string({ unit: keyChar, minLength: 1, maxLength: 5 }), { minLength: 0, maxLength: 15 });

  async function reset(wanted: readonly string[]): Promise<void> {
    for (const object of s3.storage.listObjects(bucket, { prefix: '', delimiter: '', after: '', maxKeys: 1000 }).objects) {
      await s3.storage.deleteObject(bucket, object.key);
    }
    for (const key of wanted) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
  }

  const utf8Compare = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  function model(all: readonly string[], prefix: string, delimiter: string): string[] {
    const entries: string[] = [];
    for (const key of [...all].sort(utf8Compare)) {
      if (!key.startsWith(prefix)) continue;
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      const entry = cut >= 0 ? key.slice(0, cut + delimiter.length) : key;
      if (entries.at(-1) !== entry) entries.push(entry);
    }
    return entries;
  }
  const decode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));

  beforeAll(async () => {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it('ListObjectsV2 pages with continuation tokens through exactly the model listing (encoding-type=url)', async () => {
    await fc.assert(
      fc.asyncProperty(keys, fc.constantFrom('', 'a', 'é'), fc.constantFrom('', '/', ' '), fc.integer({ min: 1, max: 4 }), async (all, prefix, delimiter, maxKeys) => {
        await reset(all);
        const seen: string[] = [];
        let token: string | undefined;
        for (let page = 0; page < 50; page += 1) {
          const result = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: delimiter || undefined, MaxKeys: maxKeys, ContinuationToken: token, EncodingType: 'url' }),
          );
          const entries = [...(result.Contents ?? []).map((c) => decode(c.Key!)), ...(result.CommonPrefixes ?? []).map((p) => decode(p.Prefix!))].sort(utf8Compare);
          expect(result.KeyCount).toBe(entries.length);
          seen.push(...entries);
          if (!result.IsTruncated) break;
          token = result.NextContinuationToken;
        }
        expect(seen).toEqual(model(all, prefix, delimiter));
      }),
      { numRuns: 15 },
    );
  });

  it('ListObjects v1 pages with markers (NextMarker with a delimiter, the last key without)', async () => {
    await fc.assert(
      fc.asyncProperty(keys, fc.constantFrom('', '/'), fc.integer({ min: 1, max: 4 }), async (all, delimiter, maxKeys) => {
        await reset(all);
        const seen: string[] = [];
        let marker: string | undefined;
        for (let page = 0; page < 50; page += 1) {
          const result = await client.send(new ListObjectsCommand({ Bucket: bucket, Delimiter: delimiter || undefined, MaxKeys: maxKeys, Marker: marker, EncodingType: 'url' }));
          const entries = [...(result.Contents ?? []).map((c) => decode(c.Key!)), ...(result.CommonPrefixes ?? []).map((p) => decode(p.Prefix!))].sort(utf8Compare);
          seen.push(...entries);
          if (!result.IsTruncated) break;
          if (delimiter) expect(result.NextMarker).toBeDefined();
          else expect(result.NextMarker).toBeUndefined();
          marker = result.NextMarker ? decode(result.NextMarker) : entries.at(-1);
        }
        expect(seen).toEqual(model(all, '', delimiter));
      }),
      { numRuns: 10 },
    );
  });

  it('ListObjectsV2 honours start-after, and max-keys=0', async () => {
    await reset(['a1', 'a2', 'b1', 'b2']);
    const after = await client.send(new ListObjectsV2Command({ Bucket: bucket, StartAfter: 'a2' }));
    expect(after.Contents?.map((c) => c.Key)).toEqual(['b1', 'b2']);
    expect(after.StartAfter).toBe('a2');
    const none = await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 0 }));
    expect(none.KeyCount).toBe(0);
    expect(none.IsTruncated).toBe(false);
    const badToken = await failure(client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: '!!not a token!!' })));
    expect(badToken.code).toBe('InvalidArgument');
  });

  it('reads max-keys as S3 does: 0..2147483647 listed (at most 1000 keys), a negative out of range, the rest not an integer', async () => {
    await reset(['m1', 'm2', 'm3']);
    const value = fc.oneof(
      fc.integer({ min: 0, max: 2_147_483_647 }).map((n) => ({ raw: String(n), expect: 'ok' as const })),
      fc.integer({ min: -2_147_483_648, max: -1 }).map((n) => ({ raw: String(n), expect: 'range' as const })),
      fc.oneof(fc.bigInt({ min: 2_147_483_648n, max: 10n ** 30n }), fc.bigInt({ min: -(10n ** 30n), max: -2_147_483_649n })).map((n) => ({ raw: String(n), expect: 'integer' as const })),
      fc.constantFrom('abc', '1.5', '1e3', ' 7', '0x10', '+1').map((raw) => ({ raw, expect: 'integer' as const })),
    );
    await fc.assert(
      fc.asyncProperty(value, async ({ raw, expect: expected }) => {
        const response = await signedFetch(s3, credentials, 'GET', `/${bucket}?list-type=2&max-keys=${encodeURIComponent(raw)}`);
        const text = response.text;
        if (expected === 'ok') {
          expect(response.status, text).toBe(200);
          expect(text).toContain(`<MaxKeys>${raw}</MaxKeys>`);
          expect(text).toContain(`<KeyCount>${Math.min(Number(raw), 3)}</KeyCount>`);
        } else {
          expect(response.status, text).toBe(400);
          expect(text).toContain('<Code>InvalidArgument</Code>');
          expect(text).toContain(
            expected === 'range' ? 'Argument max-keys must be an integer between 0 and 2147483647' : 'Provided max-keys not an integer or within integer range',
          );
        }
      }),
      { numRuns: 60 },
    );
  });

  it('ListObjectVersions lists every current object once, with version id null', async () => {
    await reset(['v/1', 'v/2', 'w']);
    const first = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 2 }));
    expect(first.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest])).toEqual([
      ['v/1', 'null', true],
      ['v/2', 'null', true],
    ]);
    expect(first.IsTruncated).toBe(true);
    const rest = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: first.NextKeyMarker, VersionIdMarker: first.NextVersionIdMarker }));
    expect(rest.Versions?.map((v) => v.Key)).toEqual(['w']);
    const rolled = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Delimiter: '/' }));
    expect(rolled.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['v/']);
    expect(rolled.DeleteMarkers).toBeUndefined();
  });
});
