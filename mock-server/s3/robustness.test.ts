import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainMetadata } from '../store/test/fixtures.js';
import { signedFetch, startTestS3, verifiedBody, type Credentials, type TestS3 } from './test/test-s3.js';

/**
 * Whatever an authenticated client sends (any method, sub-resource, parameter values, body), the S3 app answers
 * with a proper status: never a 500, and every error as S3 XML with a request id.
 */

let s3: TestS3;
let credentials: Credentials;
beforeAll(async () => {
  s3 = await startTestS3();
  credentials = s3.token();
  s3.storage.createBucket(s3.projectId, 'robust-bucket', 'us-east-1');
  await s3.storage.putObject({ bucket: 'robust-bucket', key: 'k', body: verifiedBody('body'), metadata: { ...plainMetadata, contentType: 'text/plain' } });
});
afterAll(async () => {
  await s3?.close();
});

const parameterNames = [
  'list-type', 'prefix', 'delimiter', 'max-keys', 'continuation-token', 'start-after', 'encoding-type', 'marker', 'fetch-owner',
  'versions', 'key-marker', 'version-id-marker', 'uploads', 'uploadId', 'partNumber', 'max-parts', 'part-number-marker',
  'max-uploads', 'upload-id-marker', 'cors', 'lifecycle', 'encryption', 'location', 'delete', 'acl', 'tagging',
  'response-content-type', 'response-expires', 'x-id', 'max-buckets',
];
const headerNames = ['range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since', 'x-amz-copy-source', 'x-amz-copy-source-range', 'x-amz-metadata-directive', 'x-amz-checksum-algorithm', 'content-type'];
const weird = fc.oneof(
  fc.constantFrom('', '0', '-1', '1', '1000', '10001', '99999999999999999999', 'url', 'bytes=0-1', 'bytes=5-2', 'bytes=-0', 'robust-bucket/k', '/robust-bucket/k?versionId=x', '*', 'REPLACE', 'CRC32', '%', 'Mon, 01 Jan 2001 00:00:00 GMT'),
  fc.string({ maxLength: 12 }),
);
const xmlish = fc.oneof(
  fc.constantFrom('', '<Delete/>', '<Delete><Object><Key>k</Key></Object></Delete>', '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>', '<CORSConfiguration/>', '<a>', '<?xml?>'),
  fc.string({ maxLength: 40 }),
);

describe('hostile but authenticated requests', () => {
  it('never get a 500, and errors are S3 XML', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD'),
        fc.constantFrom('', 'robust-bucket', 'missing-bucket', 'Bad_Bucket'),
        fc.constantFrom(null, 'k', 'dir/ü ✓', 'x'.repeat(1100)),
        fc.dictionary(fc.constantFrom(...parameterNames), weird, { maxKeys: 3 }),
        fc.dictionary(fc.constantFrom(...headerNames), fc.string({ unit: fc.constantFrom('a', '0', '-', '=', ' ', '/', '"', '*', 'b'), maxLength: 20 }), { maxKeys: 2 }),
        xmlish,
        async (method, bucket, keyChoice, params, headers, body) => {
          let key = keyChoice;
          if (bucket === '') key = null; // "//key" would read as a host name
          const query = new URLSearchParams(params).toString();
          const path = `/${bucket}${key === null ? '' : `/${encodeURIComponent(key)}`}${query ? `?${query}` : ''}`;
          const response = await signedFetch(s3, credentials, method, path, { body: method === 'GET' || method === 'HEAD' ? undefined : body, headers });
          expect(response.status, `${method} ${path}`).not.toBe(500);
          expect(response.headers.get('x-amz-request-id')).toMatch(/^[0-9A-F]{16}$/);
          if (response.status >= 400 && method !== 'HEAD') expect(response.text, `${method} ${path}`).toMatch(/<Error><Code>\w+<\/Code>/);
        },
      ),
      { numRuns: 300 },
    );
  });
});
