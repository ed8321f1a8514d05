import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockServer, type MockServer } from '../../mock-server/app.js';
import { presignV2, rawFetch, signRequestV2, type S3Credentials } from './s3.js';

describe('SigV2 signing for observations', () => {
  it('presignV2 gives the signature of AWS\'s query-string authentication example', () => {
    const url = presignV2(
      'http://s3.us-west-1.amazonaws.com/johnsmith/photos/puppy.jpg',
      { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      new Date(1_175_139_620_000),
    );
    expect(url).toBe(
      'http://s3.us-west-1.amazonaws.com/johnsmith/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D',
    );
  });

  describe('against the mock', () => {
    let allowing: MockServer;
    let refusing: MockServer;
    const credentials = new Map<MockServer, S3Credentials>();
    const objectUrl = (mock: MockServer) => `${mock.s3Endpoint}/observed/dir/a%20b.txt`;

    beforeAll(async () => {
      allowing = await createMockServer({ allowSigV2: true });
      refusing = await createMockServer();
      for (const mock of [allowing, refusing]) {
        const response = await fetch(`${mock.apiUrl}/v1/projects/${mock.projectId}/api-tokens`, {
          method: 'POST',
          headers: { authorization: `Bearer ${mock.managementToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'sigv2', object_storage: { permission_type: 'admin_rw', bucket_scope: 'all' } }),
        });
        const token = (await response.json()) as { access_key_id: string; secret_access_key: string };
        const keys = { accessKeyId: token.access_key_id, secretAccessKey: token.secret_access_key };
        credentials.set(mock, keys);
        const client = new S3Client({ endpoint: mock.s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials: keys, maxAttempts: 1 });
        await client.send(new CreateBucketCommand({ Bucket: 'observed' }));
        await client.send(new PutObjectCommand({ Bucket: 'observed', Key: 'dir/a b.txt', Body: 'observed' }));
        client.destroy();
      }
    });
    afterAll(async () => {
      await allowing?.close();
      await refusing?.close();
    });

    it('signRequestV2 and presignV2 are accepted by a mock that allows SigV2', async () => {
      const keys = credentials.get(allowing)!;
      const url = objectUrl(allowing);
      expect(await rawFetch(url, { headers: signRequestV2('GET', url, keys, new Date()) })).toMatchObject({ status: 200, body: 'observed' });
      expect(await rawFetch(presignV2(url, keys, new Date(Date.now() + 600_000)))).toMatchObject({ status: 200, body: 'observed' });
    });

    it('and refused with InvalidRequest by one that does not', async () => {
      const keys = credentials.get(refusing)!;
      const url = objectUrl(refusing);
      expect(await rawFetch(url, { headers: signRequestV2('GET', url, keys, new Date()) })).toMatchObject({ status: 400, code: 'InvalidRequest' });
      expect(await rawFetch(presignV2(url, keys, new Date(Date.now() + 600_000)))).toMatchObject({ status: 400, code: 'InvalidRequest' });
    });
  });
});
