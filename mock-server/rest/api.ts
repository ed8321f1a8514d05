import { Router, type Request, type Response } from 'express';
import { restRoutes, s3SigningRegion, type RestRouteRule } from '../../spec/index.js';
import { authorize, bucketInScope, type Decision } from '../authorization/authorize.js';
import type { MockContext, TokenRecord } from '../context.js';
import type { BucketInfo } from '../store/types.js';
import { authenticateApiToken, requireApiToken, type ApiTokenLocals, type ManagementCredential } from './auth.js';
import { balanceFor, invoicesFor, ordersFor } from './billing.js';
import { RestError, insufficientScope, invalidToken } from './errors.js';
import { jsonBody, methodNotAllowed } from './http.js';
import { validateBody } from './schemas.js';

/**
 * The Bearer REST API of API tokens. Its routes, and the scope each needs, are spec's `restRoutes`; the decision
 * is mock-server/authorization/authorize.ts, the same one S3 uses. Each route authorizes after reading its body, against
 * the token store as it is then, so a revocation that lands while a body is still arriving is honoured.
 */

interface RouteCall {
  readonly ctx: MockContext;
  readonly req: Request;
  readonly res: Response;
  /** Re-reads the token and checks the route's rule for these buckets; throws 401/403 otherwise. */
  authorize(buckets: readonly string[]): TokenRecord;
}

type RouteHandler = (call: RouteCall) => void | Promise<void>;

function bucketJson(bucket: BucketInfo) {
  return { name: bucket.name, region: bucket.region, created_at: bucket.createdAt.toISOString() };
}

/** Buckets of the token's project only: another project's bucket is, to this token, not there. */
function projectBucket(ctx: MockContext, token: TokenRecord, name: string): BucketInfo {
  const bucket = ctx.storage.findBucket(name);
  if (!bucket || bucket.projectId !== token.projectId) throw new RestError(404, 'bucket_not_found', 'The bucket does not exist.');
  return bucket;
}

function pathParam(req: Request, name: string): string {
  const value = (req.params as Record<string, string | undefined>)[name];
  if (value === undefined) throw new Error(`route has no :${name}`);
  return value;
}

const handlers: Record<string, RouteHandler> = {
  'GET /v1/object-storage/buckets': ({ ctx, res, authorize }) => {
    const token = authorize([]);
    const buckets = ctx.storage.listBuckets(token.projectId).filter((b) => bucketInScope(token, b.name));
    res.json({ buckets: buckets.map(bucketJson) });
  },

  'POST /v1/object-storage/buckets': ({ ctx, req, res, authorize }) => {
    if (req.body === undefined) throw new RestError(422, 'validation_error', 'A JSON body is required.');
    const { name } = validateBody<{ name: string }>('CreateBucketRequest', req.body, { '/name': 'invalid_bucket_name' });
    const token = authorize([name]);
    const bucket = ctx.storage.createBucket(token.projectId, name, s3SigningRegion.value.default);
    res.status(201).json(bucketJson(bucket));
  },

  'GET /v1/object-storage/buckets/{name}': ({ ctx, req, res, authorize }) => {
    const name = pathParam(req, 'name');
    const token = authorize([name]);
    const bucket = projectBucket(ctx, token, name);
    const stats = ctx.storage.bucketStats(token.projectId, name);
    res.json({ ...bucketJson(bucket), object_count: stats.objectCount, total_size: stats.totalSize });
  },

  'DELETE /v1/object-storage/buckets/{name}': async ({ ctx, req, res, authorize }) => {
    const name = pathParam(req, 'name');
    const token = authorize([name]);
    projectBucket(ctx, token, name);
    await ctx.storage.deleteBucket(token.projectId, name);
    res.status(204).end();
  },

  'GET /v1/billing/invoices': ({ ctx, res, authorize }) => {
    const token = authorize([]);
    res.json({ invoices: invoicesFor(token.projectId, ctx.clock.now()) });
  },

  'GET /v1/billing/orders': ({ ctx, res, authorize }) => {
    const token = authorize([]);
    res.json({ orders: ordersFor(token.projectId, ctx.clock.now()).reverse() });
  },

  'GET /v1/billing/balance': ({ ctx, res, authorize }) => {
    const token = authorize([]);
    res.json(balanceFor(token.projectId, ctx.clock.now()));
  },
};

function decide(rule: RestRouteRule, token: TokenRecord, buckets: readonly string[], nowMs: number): Decision {
  return authorize(token, rule.s3Operation === null ? { kind: 'billing' } : { kind: 'object-storage', operation: rule.s3Operation, buckets }, nowMs);
}

function denialMessage(rule: RestRouteRule, reason: string): string {
  switch (reason) {
    case 'out_of_scope':
      return `The bucket is outside this token's bucket scope; ${rule.method} ${rule.path} needs ${rule.requiredScope} on it.`;
    case 'no_billing_scope':
      return `This token has no Billing scope; ${rule.method} ${rule.path} needs ${rule.requiredScope}.`;
    case 'no_object_storage_scope':
      return `This token has no Object Storage scope; ${rule.method} ${rule.path} needs ${rule.requiredScope}.`;
    default:
      return `This token's Object Storage level does not allow ${rule.method} ${rule.path}; it needs ${rule.requiredScope}.`;
  }
}

/** `/v1/object-storage/buckets/{name}` → `/v1/object-storage/buckets/:name`. */
export function expressPath(openApiPath: string): string {
  return openApiPath.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');
}

export function apiRouter(ctx: MockContext, management: ManagementCredential): Router {
  const router = Router();
  const byPath = new Map<string, RestRouteRule[]>();
  for (const rule of restRoutes) byPath.set(rule.path, [...(byPath.get(rule.path) ?? []), rule]);

  for (const [path, rules] of byPath) {
    const route = router.route(expressPath(path));
    for (const rule of rules) {
      const handler = handlers[`${rule.method} ${rule.path}`];
      if (!handler) throw new Error(`No REST handler for ${rule.method} ${rule.path}`);
      const method = rule.method.toLowerCase() as 'get' | 'post' | 'delete' | 'put' | 'patch';
      route[method](requireApiToken(ctx, management), jsonBody, async (req, res) => {
        const { bearer } = res.locals.apiToken as ApiTokenLocals;
        const authorize = (buckets: readonly string[]): TokenRecord => {
          // Read the store again: the body may have taken a while, and a revocation must win.
          const token = authenticateApiToken(ctx, management, bearer);
          const decision = decide(rule, token, buckets, ctx.clock.nowMs());
          if (decision.allowed) return token;
          if (decision.reason === 'revoked' || decision.reason === 'expired') {
            throw invalidToken(decision.reason === 'revoked' ? 'The API token has been revoked.' : 'The API token has expired.');
          }
          throw insufficientScope(rule.requiredScope, denialMessage(rule, decision.reason));
        };
        await handler({ ctx, req, res, authorize });
      });
    }
    // Other methods on a known path: authenticate first, then 405 (billing writes land here).
    route.all(requireApiToken(ctx, management), methodNotAllowed(rules.map((r) => r.method)));
  }
  // Billing is read only: a write anywhere under /v1/billing is refused, not just on the three known paths.
  router.all('/v1/billing/*rest', requireApiToken(ctx, management), (req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') next();
    else methodNotAllowed(['GET'])(req, _res, next);
  });
  return router;
}
