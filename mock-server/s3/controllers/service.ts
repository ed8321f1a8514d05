import { bucketInScope } from '../../authorization/authorize.js';
import { S3Error } from '../errors.js';
import { sendXml } from '../xml.js';
import { integerParam, isoTime, owner, projectOf, type Controller } from './common.js';

/**
 * ListBuckets: the caller's project's buckets. A token scoped to specific buckets sees only those, so the listing
 * never reveals a bucket the token could not otherwise touch.
 */
export const listBuckets: Controller = async (call) => {
  const { caller } = call;
  if (caller.anonymous) throw new S3Error('AccessDenied', 'Access Denied');
  const query = call.route.query;
  const prefix = query.get('prefix') ?? '';
  const maxBuckets = integerParam(call, 'max-buckets', { min: 1, max: 10_000, fallback: 10_000 });
  const after = query.get('continuation-token') ?? '';
  const visible = call.storage
    .listBuckets(projectOf(call))
    .filter((bucket) => bucketInScope(caller.token, bucket.name) && bucket.name.startsWith(prefix) && bucket.name > after);
  const page = visible.slice(0, maxBuckets);
  const truncated = visible.length > page.length;
  sendXml(call.res, 200, 'ListAllMyBucketsResult', {
    Owner: owner(call),
    Buckets: {
      Bucket: page.map((bucket) => ({ Name: bucket.name, CreationDate: isoTime(bucket.createdAt), BucketRegion: bucket.region })),
    },
    ContinuationToken: truncated ? page.at(-1)?.name : undefined,
    Prefix: query.has('prefix') ? prefix : undefined,
  });
};
