import { defineFault } from './proxy/fault.js';
import { identity, pathOf } from './proxy/requests.js';
import { resign } from './proxy/resign.js';

/**
 * Deleting an S3 credential over the public API removes it from the API but not from S3's key cache: requests
 * signed with its key keep working (signed again as an admin's key, as a stale cache would let them through).
 */
export const deletedCredentialStillUsable = defineFault({
  name: 'deleted-credential-still-usable',
  requirementId: 'CREDENTIAL-DELETE',
  start: ({ credentials }) => {
    const deleted = new Set<string>();
    return {
      request: async (request) => {
        const { kind, method, url, headers, body } = request;
        const admin = credentials.adminKey();
        if (kind !== 's3' || !admin || !deleted.has(identity(headers))) return null;
        return { forward: { ...request, headers: await resign(method, url, headers, body, { accessKeyId: admin[0], secret: admin[1].secret }) } };
      },
      response: ({ kind, method, url }, response) => {
        const id = /^\/v1\/object-storage\/credentials\/([^/]+)\/?$/.exec(pathOf(url))?.[1];
        if (kind === 'api' && method === 'DELETE' && id && response.status === 200) deleted.add(decodeURIComponent(id));
        return null;
      },
    };
  },
});
