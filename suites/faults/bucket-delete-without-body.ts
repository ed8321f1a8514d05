import { defineFault } from './proxy/fault.js';
import { pathOf } from './proxy/requests.js';

/** A successful REST bucket delete answers 204 without a body, which IBEE's Python client cannot parse. */
export const bucketDeleteWithoutBody = defineFault({
  name: 'bucket-delete-without-body',
  requirementId: 'REST-BUCKET-CONTRACT',
  start: () => ({
    response: ({ kind, method, url }, response) => {
      if (kind !== 'api' || method !== 'DELETE' || response.status !== 200 || !/^\/v1\/object-storage\/buckets\/[^/]+\/?$/.test(pathOf(url))) return null;
      const headers = { ...response.headers };
      delete headers['content-type'];
      return { status: 204, headers, body: Buffer.alloc(0) };
    },
  }),
});
