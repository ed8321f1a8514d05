import { billingDecisionReasons } from '../../../spec/index.js';
import { balanceFor, invoicesFor, ordersFor } from '../billing-data.js';
import type { PublicHandlers } from '../public-api.js';
import { validateBody } from '../schemas.js';

/**
 * Billing routes of the public API. `POST /v1/billing/resource-eligibility` is IBEE's (its clients check every
 * field of the decision); invoices, orders and balance are the mock's own, with seeded data (billing-data.ts).
 */

interface EligibilityRequest {
  readonly sku_code?: string;
  readonly estimated_cost_minor?: number;
  readonly operation?: string;
}

export const billingRoutes: PublicHandlers = {
  'POST /v1/billing/resource-eligibility': ({ ctx, req, res, admit, workspaceId }) => {
    const request = req.body === undefined ? {} : validateBody<EligibilityRequest>('ResourceEligibilityRequest', req.body);
    admit();
    const now = ctx.clock.now();
    const state = ctx.billing.get(workspaceId);
    const skuCode = request.sku_code?.trim().toUpperCase();
    const denied = !state.allowed;
    res.json({
      organization_id: ctx.organizationId,
      workspace_id: workspaceId,
      allowed: state.allowed,
      reason: state.reason,
      billing_mode: 'PREPAID',
      billing_state: denied ? 'PAYMENT_DUE' : 'CURRENT',
      currency: 'INR',
      ...(skuCode ? { sku_code: skuCode } : {}),
      estimated_cost_minor: request.estimated_cost_minor ?? 0,
      effective_balance_minor: balanceFor(workspaceId, now).balance_minor,
      credit_headroom_minor: 0,
      evaluated_at: now.toISOString(),
      service_enforcement_state: denied ? 'BLOCK_NEW_PURCHASES' : 'NONE',
      enforcement_revision: 1,
      enforcement_source: 'BILLING',
      enforcement_reason_code: denied ? state.reason : null,
      ...(request.operation === undefined ? {} : { operation: request.operation }),
      allowed_operations: denied
        ? ['READ_RESOURCE', 'DELETE_RESOURCE', 'REVOKE_CREDENTIAL', ...(billingDecisionReasons.value.topUp.includes(state.reason) ? ['billing_topup'] : [])]
        : ['CREATE_RESOURCE', 'CREATE_CREDENTIAL', 'INCREASE_CAPACITY', 'MUTATE_RESOURCE', 'READ_RESOURCE', 'DELETE_RESOURCE', 'REVOKE_CREDENTIAL'],
      resource_limits: {},
    });
  },

  'GET /v1/billing/invoices': ({ ctx, res, admit }) => {
    const token = admit();
    res.json({ invoices: invoicesFor(token.projectId, ctx.clock.now()) });
  },

  'GET /v1/billing/orders': ({ ctx, res, admit }) => {
    const token = admit();
    res.json({ orders: ordersFor(token.projectId, ctx.clock.now()).reverse() });
  },

  'GET /v1/billing/balance': ({ ctx, res, admit }) => {
    const token = admit();
    res.json(balanceFor(token.projectId, ctx.clock.now()));
  },
};
