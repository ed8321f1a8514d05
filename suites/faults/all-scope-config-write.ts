import { defineFault } from './proxy/fault.js';
import { bucketOnlyPath, identity } from './proxy/requests.js';
import { resign } from './proxy/resign.js';

/** Whether an S3 request writes a bucket's configuration (a sub-resource such as ?cors, no key) or deletes the bucket. */
function isBucketConfigWrite(method: string, url: string): boolean {
  if (method === 'DELETE' && bucketOnlyPath(url) !== null) return true;
  const [path = '', query = ''] = url.split(/\?(.*)/s);
  if (!['PUT', 'DELETE'].includes(method) || !/^\/[^/]+\/?$/.test(path)) return false;
  return /(^|&)(cors|lifecycle|encryption|policy|versioning|tagging|website|acl)(=|&|$)/.test(query);
}

/**
 * Bucket-configuration writes (and DeleteBucket) by an all-buckets Object Read & Write key are signed again as an
 * admin's: the level is skipped when the scope is "all".
 */
export const allScopeConfigWrite = defineFault({
  name: 'all-scope-config-write',
  requirementId: 'PERM-OBJECT-RW',
  start: ({ credentials }) => ({
    request: async (request) => {
      const { kind, method, url, headers, body } = request;
      if (kind !== 's3' || !isBucketConfigWrite(method, url)) return null;
      const key = credentials.keys.get(identity(headers));
      const admin = credentials.adminKey();
      if (key?.level !== 'object_rw' || key.bucketScope !== 'all' || !admin) return null;
      return { forward: { ...request, headers: await resign(method, url, headers, body, { accessKeyId: admin[0], secret: admin[1].secret }) } };
    },
  }),
});
