import { defineFault } from './proxy/fault.js';
import { parseJson, pathOf } from './proxy/requests.js';

/** The REST bucket list leaves out `is_truncated` (the old API shape): clients cannot tell when to stop paging. */
export const bucketListWithoutIsTruncated = defineFault({
  name: 'bucket-list-without-is-truncated',
  requirementId: 'REST-BUCKET-CONTRACT',
  start: () => ({
    response: ({ kind, method, url }, response) => {
      if (kind !== 'api' || method !== 'GET' || response.status !== 200 || !/^\/v1\/object-storage\/buckets\/?$/.test(pathOf(url))) return null;
      const json = parseJson(response.body);
      if (!json || !('is_truncated' in json)) return null;
      const { is_truncated: _dropped, ...rest } = json;
      return { ...response, body: Buffer.from(JSON.stringify(rest)) };
    },
  }),
});
