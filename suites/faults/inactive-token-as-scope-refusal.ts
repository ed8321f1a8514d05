import { defineFault } from './proxy/fault.js';
import { parseJson } from './proxy/requests.js';

/**
 * A revoked or expired token is refused as if it lacked a scope (403 insufficient_scope): IBEE's clients then tell
 * their user to widen the token instead of replacing it.
 */
export const inactiveTokenAsScopeRefusal = defineFault({
  name: 'inactive-token-as-scope-refusal',
  requirementId: 'REST-BEARER-AUTH',
  start: () => ({
    response: ({ kind }, response) => {
      if (kind !== 'api' || response.status !== 403) return null;
      const json = parseJson(response.body);
      if (json?.['error'] !== 'key_revoked' && json?.['error'] !== 'key_expired') return null;
      return { ...response, body: Buffer.from(JSON.stringify({ error: 'insufficient_scope', message: 'This token may not do that.', required_scope: 'object-storage.read' })) };
    },
  }),
});
