import { defineFault } from './proxy/fault.js';
import { parseJson } from './proxy/requests.js';

/** A creation request without any scope is quietly given Billing read-only. */
export const scopelessTokenDefaulted = defineFault({
  name: 'scopeless-token-defaulted',
  requirementId: 'TOKEN-SCOPE-REQUIRED',
  start: () => ({
    request: (request) => {
      if (!request.isCreate) return null;
      const json = parseJson(request.body);
      if (!json || json['object_storage'] !== undefined || json['billing'] !== undefined) return null;
      return { forward: { ...request, body: Buffer.from(JSON.stringify({ ...json, billing: { permission_type: 'read_only' } })) } };
    },
  }),
});
