import { request as httpRequest } from 'node:http';
import { createHash } from 'node:crypto';
import { CreateBucketCommand, DeleteBucketCommand, GetBucketCorsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextStoreCall, nextStoreWrite, startTestS3, type Credentials, type TestS3 } from './test/test-s3.js';

/**
 * A write lands in the bucket it was authorized for or nowhere: if that bucket is deleted while the body is still
 * arriving and another project makes a bucket of the same name, the write fails with NoSuchBucket instead of
 * planting an object in the other project's bucket.
 */

let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3?.close();
});

/**
 * A signed request whose body is sent in two halves: the second once `storing` resolved (the mock is about to act
 * on the bucket it authorized) and `meanwhile` has run.
 */
async function slowRequest(
  credentials: Credentials,
  request: { method: string; path: string; body: Buffer; headers?: Record<string, string> },
  storing: Promise<void>,
  meanwhile: () => Promise<void>,
): Promise<{ status: number; text: string }> {
  const url = new URL(request.path, s3.endpoint);
  const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 's3', sha256: Hash.bind(null, 'sha256'), uriEscapePath: false });
  const query = Object.fromEntries(url.searchParams);
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers: { host: url.host, 'content-length': String(request.body.length), 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...request.headers },
    }),
    { signingDate: new Date(s3.clock.nowMs()) },
  );
  return new Promise((resolve, reject) => {
    const req = httpRequest({ method: request.method, host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, headers: signed.headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    const half = Math.floor(request.body.length / 2);
    req.write(request.body.subarray(0, half));
    storing.then(meanwhile).then(() => req.end(request.body.subarray(half)), reject);
  });
}

/** A PUT of `body` to `path`, raced as slowRequest does, once the mock is storing it. */
function slowPut(credentials: Credentials, path: string, body: Buffer, meanwhile: () => Promise<void>): Promise<{ status: number; text: string }> {
  return slowRequest(credentials, { method: 'PUT', path, body }, nextStoreWrite(s3.storage), meanwhile);
}

describe('a write racing the deletion of its bucket', () => {
  it('never lands in a bucket of the same name made meanwhile by another project', async () => {
    const mine = s3.token();
    const theirs = s3.token({ projectId: 'other-project' });
    const myClient = s3.client(mine);
    const theirClient = s3.client(theirs);
    await myClient.send(new CreateBucketCommand({ Bucket: 'contested-name' }));

    const answer = await slowPut(mine, '/contested-name/planted.txt', Buffer.alloc(64 * 1024, 'p'), async () => {
      await myClient.send(new DeleteBucketCommand({ Bucket: 'contested-name' }));
      await theirClient.send(new CreateBucketCommand({ Bucket: 'contested-name' }));
    });
    expect(answer.status).toBe(404);
    expect(answer.text).toContain('<Code>NoSuchBucket</Code>');
    const listed = await theirClient.send(new ListObjectsV2Command({ Bucket: 'contested-name' }));
    expect(listed.KeyCount).toBe(0);
    expect(s3.storage.getBucket('contested-name')?.projectId).toBe('other-project');
  });

  it('DeleteObjects never deletes from a bucket of the same name made meanwhile by another project', async () => {
    const mine = s3.token();
    const theirs = s3.token({ projectId: 'other-project' });
    await s3.client(mine).send(new CreateBucketCommand({ Bucket: 'contested-delete' }));
    const body = Buffer.from('<Delete><Object><Key>victim.txt</Key></Object></Delete>');
    const answer = await slowRequest(
      mine,
      { method: 'POST', path: '/contested-delete?delete', body, headers: { 'content-md5': createHash('md5').update(body).digest('base64') } },
      nextStoreCall(s3.storage, 'requireBucket'),
      async () => {
        await s3.client(mine).send(new DeleteBucketCommand({ Bucket: 'contested-delete' }));
        await s3.client(theirs).send(new CreateBucketCommand({ Bucket: 'contested-delete' }));
        await s3.client(theirs).send(new PutObjectCommand({ Bucket: 'contested-delete', Key: 'victim.txt', Body: 'theirs' }));
      },
    );
    expect(answer.text).not.toContain('<Deleted>');
    expect(s3.storage.getObject('contested-delete', 'victim.txt')?.size).toBe(6);
  });

  it('PutBucketCors never configures a bucket of the same name made meanwhile by another project', async () => {
    const mine = s3.token();
    const theirs = s3.token({ projectId: 'other-project' });
    await s3.client(mine).send(new CreateBucketCommand({ Bucket: 'contested-cors' }));
    const body = Buffer.from('<CORSConfiguration><CORSRule><AllowedMethod>PUT</AllowedMethod><AllowedOrigin>https://evil.example</AllowedOrigin></CORSRule></CORSConfiguration>');
    const answer = await slowRequest(
      mine,
      { method: 'PUT', path: '/contested-cors?cors', body, headers: { 'content-md5': createHash('md5').update(body).digest('base64') } },
      nextStoreCall(s3.storage, 'requireBucket'),
      async () => {
        await s3.client(mine).send(new DeleteBucketCommand({ Bucket: 'contested-cors' }));
        await s3.client(theirs).send(new CreateBucketCommand({ Bucket: 'contested-cors' }));
      },
    );
    expect(answer.status).toBe(404);
    expect(answer.text).toContain('<Code>NoSuchBucket</Code>');
    await expect(s3.client(theirs).send(new GetBucketCorsCommand({ Bucket: 'contested-cors' }))).rejects.toMatchObject({ name: 'NoSuchCORSConfiguration' });
  });

  it('lands when the bucket stays (the control)', async () => {
    const mine = s3.token();
    await s3.client(mine).send(new CreateBucketCommand({ Bucket: 'steady-name' }));
    const answer = await slowPut(mine, '/steady-name/kept.txt', Buffer.alloc(64 * 1024, 'k'), async () => undefined);
    expect(answer.status).toBe(200);
    expect(s3.storage.getObject('steady-name', 'kept.txt')?.size).toBe(64 * 1024);
  });
});
