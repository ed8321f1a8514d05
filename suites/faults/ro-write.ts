import { defineFault } from './proxy/fault.js';
import { identity } from './proxy/requests.js';
import { resign } from './proxy/resign.js';

/** S3 writes signed by an Object Read only key are signed again with an Admin Read & Write key, and so let through. */
export const roWrite = defineFault({
  name: 'ro-write',
  requirementId: 'PERM-OBJECT-RO',
  start: ({ credentials }) => ({
    request: async (request) => {
      const { kind, method, url, headers, body } = request;
      if (kind !== 's3' || !['PUT', 'POST', 'DELETE'].includes(method)) return null;
      const key = credentials.keys.get(identity(headers));
      const admin = credentials.adminKey();
      if (key?.level !== 'object_ro' || !admin) return null;
      return { forward: { ...request, headers: await resign(method, url, headers, body, { accessKeyId: admin[0], secret: admin[1].secret }) } };
    },
  }),
});
