import { defineFault } from './proxy/fault.js';
import { parseJson } from './proxy/requests.js';

const dayMs = 86_400_000;

/** created_at and expires_at of a new token are both a day late: their difference is right, the dates are not. */
export const createdAtShiftedDay = defineFault({
  name: 'created-at-shifted-day',
  requirementId: 'TOKEN-EXPIRY-DEFAULT',
  start: () => ({
    response: ({ isCreate }, response) => {
      if (!isCreate || response.status !== 201) return null;
      const json = parseJson(response.body);
      if (!json || typeof json['created_at'] !== 'string') return null;
      const shift = (value: unknown) => (typeof value === 'string' && Number.isFinite(Date.parse(value)) ? new Date(Date.parse(value) + dayMs).toISOString() : value);
      return { ...response, body: Buffer.from(JSON.stringify({ ...json, created_at: shift(json['created_at']), expires_at: shift(json['expires_at']) })) };
    },
  }),
});
