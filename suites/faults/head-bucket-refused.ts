import { defineFault } from './proxy/fault.js';
import { bucketOnlyPath } from './proxy/requests.js';

/**
 * HeadBucket is refused (403, no body) to every key, as by an IAM that authorizes it as an action of its own
 * (moto's `s3:HeadBucket`) instead of `s3:ListBucket`; everything else works. Caught by the grid as the levels'
 * permission; the checks that only use HeadBucket to see whether a bucket exists must not blame their own
 * requirements for it.
 */
export const headBucketRefused = defineFault({
  name: 'head-bucket-refused',
  requirementId: 'PERM-ADMIN-RW',
  start: () => ({
    request: ({ kind, method, url }) => {
      if (kind !== 's3' || method !== 'HEAD' || bucketOnlyPath(url) === null) return null;
      return { answer: { status: 403, headers: {}, body: Buffer.alloc(0) } };
    },
  }),
});
