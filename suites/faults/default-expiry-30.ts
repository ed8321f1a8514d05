import { defineFault } from './proxy/fault.js';
import { parseJson } from './proxy/requests.js';

/** A token created without expires_in_days gets 30 days instead of 90. */
export const defaultExpiry30 = defineFault({
  name: 'default-expiry-30',
  requirementId: 'TOKEN-EXPIRY-DEFAULT',
  start: () => ({
    request: (request) => {
      if (!request.isCreate) return null;
      const json = parseJson(request.body);
      if (!json || 'expires_in_days' in json) return null;
      return { forward: { ...request, body: Buffer.from(JSON.stringify({ ...json, expires_in_days: 30 })) } };
    },
  }),
});
