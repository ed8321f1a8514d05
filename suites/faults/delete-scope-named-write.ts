import { defineFault } from './proxy/fault.js';
import { parseJson } from './proxy/requests.js';

/** A refusal for want of `object-storage.delete` names `object-storage.write` in required_scope. */
export const deleteScopeNamedWrite = defineFault({
  name: 'delete-scope-named-write',
  requirementId: 'REST-SCOPE-NAMES',
  start: () => ({
    response: ({ kind }, response) => {
      if (kind !== 'api' || response.status !== 403) return null;
      const json = parseJson(response.body);
      if (json?.['required_scope'] !== 'object-storage.delete') return null;
      return { ...response, body: Buffer.from(JSON.stringify({ ...json, required_scope: 'object-storage.write' })) };
    },
  }),
});
