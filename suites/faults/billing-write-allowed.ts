import { defineFault } from './proxy/fault.js';

/** Writes to billing routes are answered 200. */
export const billingWriteAllowed = defineFault({
  name: 'billing-write-allowed',
  requirementId: 'BILLING-SCOPE',
  start: () => ({
    request: ({ kind, method, url }) => {
      if (kind !== 'api' || method === 'GET' || !url.startsWith('/v1/billing/')) return null;
      return { answer: { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') } };
    },
  }),
});
