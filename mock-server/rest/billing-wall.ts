import { randomUUID } from 'node:crypto';
import { billableSku } from '../../spec/index.js';
import type { MockContext } from '../context.js';
import { RestError } from './errors.js';

/** The 402 a billable create gets while the workspace's billing says no, else undefined. */
export function billingDenied(ctx: MockContext, workspaceId: string): RestError | undefined {
  const state = ctx.billing.get(workspaceId);
  if (state.allowed) return undefined;
  return new RestError(402, 'billing_denied', `Billing refuses new resources in this workspace (${state.reason}).`, {
    fields: { billing_reason: state.reason, billing_sku_code: billableSku.value.skuCode, admission_context_id: randomUUID() },
  });
}
