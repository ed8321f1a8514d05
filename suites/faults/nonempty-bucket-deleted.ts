import { defineFault } from './proxy/fault.js';
import { bucketOnlyPath } from './proxy/requests.js';

/** Deleting a non-empty bucket (S3 or REST) is answered 204 instead of 409 BucketNotEmpty, and nothing is deleted. */
export const nonemptyBucketDeleted = defineFault({
  name: 'nonempty-bucket-deleted',
  requirementId: 'BUCKET-DELETE-NONEMPTY',
  start: () => ({
    response: ({ kind, method, url }, response) => {
      if (method !== 'DELETE' || response.status !== 409) return null;
      const onBucket = kind === 's3' ? bucketOnlyPath(url) !== null : /^\/v1\/object-storage\/buckets\/[^/?]+\/?$/.test(url);
      if (!onBucket || !/BucketNotEmpty|bucket_not_empty/.test(response.body.toString('utf8'))) return null;
      return { status: 204, headers: {}, body: Buffer.alloc(0) };
    },
  }),
});
