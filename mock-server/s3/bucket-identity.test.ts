import { request as httpRequest } from 'node:http';
import { CreateBucketCommand, DeleteBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextStoreWrite, startTestS3, type Credentials, type TestS3 } from './test-helper.js';

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

/** A signed PUT whose body is sent in two halves: the second once `meanwhile` has run. */
async function slowPut(credentials: Credentials, path: string, body: Buffer, meanwhile: () => Promise<void>): Promise<{ status: number; text: string }> {
  const url = new URL(path, s3.endpoint);
  const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 's3', sha256: Hash.bind(null, 'sha256'), uriEscapePath: false });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'PUT',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      headers: { host: url.host, 'content-length': String(body.length), 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    }),
    { signingDate: new Date(s3.clock.nowMs()) },
  );
  const storing = nextStoreWrite(s3.storage);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ method: 'PUT', host: url.hostname, port: url.port, path: url.pathname, headers: signed.headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.write(body.subarray(0, body.length / 2));
    storing.then(meanwhile).then(() => req.end(body.subarray(body.length / 2)), reject);
  });
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

  it('lands when the bucket stays (the control)', async () => {
    const mine = s3.token();
    await s3.client(mine).send(new CreateBucketCommand({ Bucket: 'steady-name' }));
    const answer = await slowPut(mine, '/steady-name/kept.txt', Buffer.alloc(64 * 1024, 'k'), async () => undefined);
    expect(answer.status).toBe(200);
    expect(s3.storage.getObject('steady-name', 'kept.txt')?.size).toBe(64 * 1024);
  });
});
