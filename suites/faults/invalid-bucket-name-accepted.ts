import { createHash } from 'node:crypto';
import { isValidBucketName } from '../../spec/index.js';
import { defineFault } from './proxy/fault.js';
import { bucketOnlyPath, identity, parseJson } from './proxy/requests.js';
import { resign } from './proxy/resign.js';

/** A valid bucket name standing in for an invalid one, the same each time. */
function renamedBucket(name: string): string {
  return `renamed-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

/** Creating a bucket with an invalid name (S3 or REST) creates a renamed valid bucket and answers success. */
export const invalidBucketNameAccepted = defineFault({
  name: 'invalid-bucket-name-accepted',
  requirementId: 'BUCKET-NAME-RULES',
  start: ({ credentials }) => ({
    request: async (request) => {
      const { kind, method, url, headers, body } = request;
      if (kind === 's3' && method === 'PUT') {
        const bucket = bucketOnlyPath(url);
        const signer = credentials.keys.get(identity(headers));
        if (bucket === null || isValidBucketName(bucket) || !signer) return null;
        const path = `/${renamedBucket(bucket)}`;
        return { forward: { ...request, path, headers: await resign(method, path, headers, body, { accessKeyId: identity(headers), secret: signer.secret }) } };
      }
      if (kind === 'api' && method === 'POST' && url.split('?')[0] === '/v1/object-storage/buckets') {
        const json = parseJson(body);
        const name = json?.['name'];
        if (!json || typeof name !== 'string' || isValidBucketName(name)) return null;
        return { forward: { ...request, body: Buffer.from(JSON.stringify({ ...json, name: renamedBucket(name) })) } };
      }
      return null;
    },
  }),
});
