import { defineFault } from './proxy/fault.js';
import { pathOf } from './proxy/requests.js';

/** Writes to billing routes are answered 200 (POST resource-eligibility, which reads a decision, is left alone). */
export const billingWriteAllowed = defineFault({
  name: 'billing-write-allowed',
  requirementId: 'BILLING-SCOPE',
  start: () => ({
    request: ({ kind, method, url }) => {
      if (kind !== 'api' || method === 'GET' || !url.startsWith('/v1/billing/')) return null;
      if (method === 'POST' && pathOf(url) === '/v1/billing/resource-eligibility') return null;
      return { answer: { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') } };
    },
  }),
});
