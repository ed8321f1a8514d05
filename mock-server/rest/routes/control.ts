import { Router } from 'express';
import { billingDecisionReasons } from '../../../spec/index.js';
import { ClockRangeError } from '../../clock.js';
import type { MockContext } from '../../context.js';
import { requireManagement, type ManagementCredential } from '../auth.js';
import { RestError } from '../errors.js';
import { jsonBody, methodNotAllowed } from '../http.js';
import { validateBody } from '../schemas.js';

/**
 * Mock-only control routes (/_mock): read and move the one clock, set what a workspace's billing says of new
 * resources, and empty all state. They need the management
 * token and are not mounted at all when the mock runs with `control: false` (`--no-control`).
 */
export function controlRouter(ctx: MockContext, management: ManagementCredential): Router {
  const router = Router();
  const managementOnly = requireManagement(ctx, management);
  const clockJson = () => ({ now: ctx.clock.now().toISOString(), offset_seconds: ctx.clock.offsetMs() / 1000 });

  router
    .route('/_mock/clock')
    .get(managementOnly, (_req, res) => {
      res.json(clockJson());
    })
    .post(managementOnly, jsonBody, (req, res) => {
      if (req.body === undefined) throw new RestError(422, 'validation_error', 'A JSON body is required.');
      const { advance_seconds } = validateBody<{ advance_seconds: number }>('AdvanceClockRequest', req.body);
      try {
        ctx.clock.advance(advance_seconds);
      } catch (error) {
        if (error instanceof ClockRangeError) throw new RestError(422, 'validation_error', error.message);
        throw error;
      }
      ctx.logger.info({ advanceSeconds: advance_seconds, now: ctx.clock.now().toISOString() }, 'clock advanced');
      res.json(clockJson());
    })
    .all(managementOnly, methodNotAllowed(['GET', 'POST']));

  router
    .route('/_mock/billing')
    .post(managementOnly, jsonBody, (req, res) => {
      if (req.body === undefined) throw new RestError(422, 'validation_error', 'A JSON body is required.');
      const body = validateBody<{ workspace_id: string; allowed: boolean; reason?: string }>('SetBillingRequest', req.body);
      if (!ctx.projectIds.includes(body.workspace_id)) throw new RestError(404, 'project_not_found', 'This server does not serve that workspace.');
      const { allowed, denied } = billingDecisionReasons.value;
      const reason = body.reason ?? (body.allowed ? 'ok' : 'insufficient_balance');
      if (!(body.allowed ? allowed : denied).includes(reason)) {
        throw new RestError(422, 'validation_error', `reason must be one of: ${(body.allowed ? allowed : denied).join(', ')}.`);
      }
      ctx.billing.set(body.workspace_id, { allowed: body.allowed, reason });
      ctx.logger.info({ workspaceId: body.workspace_id, allowed: body.allowed, reason }, 'billing set');
      res.json({ workspace_id: body.workspace_id, allowed: body.allowed, reason });
    })
    .all(managementOnly, methodNotAllowed(['POST']));

  router
    .route('/_mock/reset')
    .post(managementOnly, async (_req, res) => {
      // All state, the clock's offset included: a clock left days ahead would refuse every real-time SigV4 client
      // (RequestTimeTooSkewed) for good. Moved back in the same synchronous step as the tokens go (before the
      // storage's await), so no token created meanwhile is dated by the old clock, and none is left to revive.
      ctx.tokens.reset();
      ctx.billing.reset();
      ctx.clock.reset();
      await ctx.storage.reset();
      ctx.logger.info('state reset');
      res.status(204).end();
    })
    .all(managementOnly, methodNotAllowed(['POST']));

  return router;
}
