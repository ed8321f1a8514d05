import { defineFault } from './proxy/fault.js';
import { parseJson, pathOf } from './proxy/requests.js';

/** Billing decisions leave out `billing_state`, which IBEE's Python SDK and Terraform provider require. */
export const eligibilityWithoutBillingState = defineFault({
  name: 'eligibility-without-billing-state',
  requirementId: 'BILLING-ELIGIBILITY',
  start: () => ({
    response: ({ kind, method, url }, response) => {
      if (kind !== 'api' || method !== 'POST' || response.status !== 200 || pathOf(url) !== '/v1/billing/resource-eligibility') return null;
      const json = parseJson(response.body);
      if (!json || !('billing_state' in json)) return null;
      const { billing_state: _dropped, ...rest } = json;
      return { ...response, body: Buffer.from(JSON.stringify(rest)) };
    },
  }),
});
