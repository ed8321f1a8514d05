import { Router, type Request, type RequestHandler, type Response } from 'express';
import { restRoutes, type RestRouteRule } from '../../spec/index.js';
import { authorize, type Decision } from '../authorization/authorize.js';
import type { MockContext, TokenRecord } from '../context.js';
import type { ManagedTokenStore } from '../tokens/token-store.js';
import { authenticateApiToken, requireApiToken, type ApiTokenLocals, type ManagementCredential } from './auth.js';
import { billingDenied } from './billing-wall.js';
import { RestError, inactiveToken, insufficientScope } from './errors.js';
import { jsonBody, methodNotAllowed } from './http.js';
import { bucketRoutes } from './routes/buckets.js';
import { billingRoutes } from './routes/billing.js';
import { credentialRoutes } from './routes/credentials.js';
import { requireWorkspace } from './workspace.js';

/**
 * IBEE's public REST API, for API tokens. Its routes, the scope each names and what decides it are spec's
 * `restRoutes`; every route checks a request in spec's `restCheckOrder`: the token (401, or 403 when revoked or
 * expired), the workspace (400/403), the scope (403, before the body is read), the body (400/422, in the handler),
 * then the billing wall of billable creates (402). The decision is mock-server/authorization/authorize.ts, the
 * same one S3 uses.
 */

export interface PublicCall {
  readonly ctx: MockContext;
  /** The token store with its management operations (S3 credentials); ctx.tokens is the same store. */
  readonly tokens: ManagedTokenStore;
  readonly req: Request;
  readonly res: Response;
  /** The caller, as it was when the request arrived (token, workspace and scope checked). */
  readonly token: TokenRecord;
  /** The workspace the call names: the token's project. */
  readonly workspaceId: string;
  /** A path parameter, as decoded by the router. */
  param(name: string): string;
  /**
   * Once the body is read and valid: reads the token again (a revocation that landed meanwhile wins), checks the
   * route's rule for these buckets too, then the route's own check of the token, then for a billable create the
   * workspace's billing. Returns the token.
   */
  admit(buckets?: readonly string[], check?: (token: TokenRecord) => void): TokenRecord;
}

export type PublicHandler = (call: PublicCall) => void | Promise<void>;
/** Handlers by `METHOD /path` of spec's restRoutes. */
export type PublicHandlers = Readonly<Record<string, PublicHandler>>;

function decide(rule: RestRouteRule, token: TokenRecord, buckets: readonly string[], nowMs: number): Decision {
  return authorize(token, rule.grant.kind === 'billing' ? { kind: 'billing' } : { kind: 'object-storage', need: { action: rule.grant.action }, buckets }, nowMs);
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

function requireAllowed(rule: RestRouteRule, token: TokenRecord, buckets: readonly string[], nowMs: number): void {
  const decision = decide(rule, token, buckets, nowMs);
  if (decision.allowed) return;
  if (decision.reason === 'revoked' || decision.reason === 'expired') throw inactiveToken(decision.reason);
  throw insufficientScope(rule.requiredScope, denialMessage(rule, decision.reason));
}

/** GET and DELETE routes take no body: like the portal and control routes, they do not read one sent anyway. */
function takesBody(rule: RestRouteRule): boolean {
  return rule.method !== 'GET' && rule.method !== 'DELETE';
}

const ignoreBody: RequestHandler = (req, _res, next) => {
  req.body = undefined;
  next();
};

/** `/v1/object-storage/buckets/{bucket_name}` → `/v1/object-storage/buckets/:bucket_name`. */
export function expressPath(openApiPath: string): string {
  return openApiPath.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');
}

function pathParam(req: Request, name: string): string {
  const value = (req.params as Record<string, string | undefined>)[name];
  if (value === undefined) throw new Error(`route has no :${name}`);
  return value;
}

/** The bucket a bucket-scoped route names in its path, which the token's bucket scope must cover. */
function pathBuckets(rule: RestRouteRule, req: Request): string[] {
  return rule.bucketScoped && 'bucket_name' in req.params ? [pathParam(req, 'bucket_name')] : [];
}

const handlers: PublicHandlers = { ...bucketRoutes, ...credentialRoutes, ...billingRoutes };

export function publicApiRouter(ctx: MockContext, tokens: ManagedTokenStore, management: ManagementCredential): Router {
  const router = Router();
  const byPath = new Map<string, RestRouteRule[]>();
  for (const rule of restRoutes) byPath.set(rule.path, [...(byPath.get(rule.path) ?? []), rule]);

  for (const [path, rules] of byPath) {
    const route = router.route(expressPath(path));
    for (const rule of rules) {
      const handler = handlers[`${rule.method} ${rule.path}`];
      if (!handler) throw new Error(`No REST handler for ${rule.method} ${rule.path}`);
      const method = rule.method.toLowerCase() as 'get' | 'post' | 'delete' | 'put' | 'patch';
      route[method](
        requireApiToken(ctx, management),
        (req, res, next) => {
          const { token } = res.locals.apiToken as ApiTokenLocals;
          requireWorkspace(ctx, req, token);
          requireAllowed(rule, token, pathBuckets(rule, req), ctx.clock.nowMs());
          next();
        },
        takesBody(rule) ? jsonBody : ignoreBody,
        async (req, res) => {
          const { bearer, token } = res.locals.apiToken as ApiTokenLocals;
          await handler({
            ctx,
            tokens,
            req,
            res,
            token,
            workspaceId: token.projectId,
            param: (name) => pathParam(req, name),
            admit(buckets = [], check) {
              // Read the store again: the body may have taken a while, and a revocation must win.
              const current = authenticateApiToken(ctx, management, bearer);
              requireAllowed(rule, current, [...pathBuckets(rule, req), ...buckets], ctx.clock.nowMs());
              check?.(current);
              if (rule.billable) {
                const denial = billingDenied(ctx, current.projectId);
                if (denial) throw denial;
              }
              return current;
            },
          });
        },
      );
    }
    // Other methods on a known path: authenticate first, then 405 (billing writes land here).
    route.all(requireApiToken(ctx, management), methodNotAllowed(rules.map((r) => r.method)));
  }
  // Billing is read only: a write anywhere else under /v1/billing is refused, not just on the known paths.
  router.all('/v1/billing/*rest', requireApiToken(ctx, management), (req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') next();
    else methodNotAllowed(['GET'])(req, _res, next);
  });
  return router;
}

/** A bad query parameter: 422 `validation_error`, as for a body field. */
export function invalidQuery(message: string): RestError {
  return new RestError(422, 'validation_error', message);
}
