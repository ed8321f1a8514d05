import type { Forwarded } from './proxy/forwarding.js';
import { defineFault } from './proxy/fault.js';
import { identity } from './proxy/requests.js';

const staleWindowMs = 1_000;

/**
 * A 2xx answer to a GET is cached for a second per URL and credential, and served when the endpoint refuses: a
 * revoked key keeps working for a moment.
 */
export const staleRevoked = defineFault({
  name: 'stale-revoked',
  requirementId: 'REVOKE-IMMEDIATE',
  start: () => {
    const recent = new Map<string, { at: number; response: Forwarded }>();
    return {
      response: ({ kind, method, url, headers }, response) => {
        if (method !== 'GET') return null;
        const cacheKey = `${kind} ${url} ${identity(headers)}`;
        const cached = recent.get(cacheKey);
        if (response.status >= 200 && response.status < 300) {
          recent.set(cacheKey, { at: Date.now(), response });
        } else if ((response.status === 401 || response.status === 403) && cached && Date.now() - cached.at < staleWindowMs) {
          return cached.response;
        }
        return null;
      },
    };
  },
});
