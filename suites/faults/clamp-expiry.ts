import { tokenExpiryDays } from '../../spec/index.js';
import { defineFault } from './proxy/fault.js';
import { parseJson } from './proxy/requests.js';

/** expires_in_days above the maximum is clamped to it instead of refused. */
export const clampExpiry = defineFault({
  name: 'clamp-expiry',
  requirementId: 'TOKEN-EXPIRY-BOUNDS',
  start: () => ({
    request: (request) => {
      if (!request.isCreate) return null;
      const json = parseJson(request.body);
      const days = json?.['expires_in_days'];
      if (!json || typeof days !== 'number' || days <= tokenExpiryDays.value.max) return null;
      return { forward: { ...request, body: Buffer.from(JSON.stringify({ ...json, expires_in_days: tokenExpiryDays.value.max })) } };
    },
  }),
});
