import { levelAllows, restBucketRegions, restRoutes, workspaceIdFormat, type PermissionType, type RestRouteRule } from '../../spec/index.js';
import type { RestApi } from '../target/config.js';
import type { SuiteContext } from '../target/context.js';
import { httpRequest, restErrorCode, type HttpExchange } from '../target/http.js';

/**
 * Calling the routes of IBEE's public API (spec's `restRoutes`) as the checks do: which of them a target serves,
 * what a level may do on each (from the route's grant in spec), and calls that change nothing whether the target
 * lets them through or not.
 */

export function routeLabel(route: RestRouteRule): string {
  return `${route.method} ${route.path}`;
}

/** `403 insufficient_scope`, `200`: an answer's status and REST error code, for messages and cell details. */
export function describeRestAnswer(exchange: HttpExchange): string {
  const code = restErrorCode(exchange);
  return `${exchange.response.status}${code ? ` ${code}` : ''}`;
}

/**
 * The public routes judged on this target: IBEE's own, and those of the mock's own routes (invoices, orders,
 * balance) that the capability probe found served.
 */
export function servedRoutes(ctx: SuiteContext): RestRouteRule[] {
  return restRoutes.filter((route) => !route.mockOnly || ctx.capabilities.billingReadRoutes.includes(route.path));
}

/** Whether spec lets `level` through `route` (the grant's action; billing routes need the Billing scope instead). */
export function levelAllowsRoute(level: PermissionType, route: RestRouteRule): boolean {
  return route.grant.kind === 'object-storage' && levelAllows(level, route.grant.action);
}

/** A well-formed Access Key ID that no credential has: a route on one credential answers 404 once past authorization. */
export const absentAccessKeyId = 'AKIA0000000000000000';

export interface RouteCall {
  readonly route: RestRouteRule;
  /** The path with its parameters filled in. */
  readonly path: string;
  readonly json?: unknown;
}

function fillPath(route: RestRouteRule, bucket: string, accessKeyId: string): string {
  return route.path.replace('{bucket_name}', encodeURIComponent(bucket)).replace('{access_key_id}', encodeURIComponent(accessKeyId));
}

/**
 * A call of `route` that changes nothing, whether the target lets it through or not: `bucket` must exist and hold an
 * object, so that a bucket create naming it answers 409 and a bucket delete 409; a credential create carries a body
 * with no valid level (422 once past the scope check, which comes first); credential routes name no credential
 * (404); an update sets `is_public` to false on a private bucket.
 */
export function harmlessCall(route: RestRouteRule, bucket: string): RouteCall {
  const path = fillPath(route, bucket, absentAccessKeyId);
  if (route.method === 'POST' && route.path === '/v1/object-storage/buckets') {
    return { route, path, json: { name: bucket, region: restBucketRegions.value.regions[0] } };
  }
  if (route.method === 'POST' && route.path === '/v1/object-storage/credentials') {
    return { route, path, json: { name: 'ibee-conformance-not-created', permission_type: 'not-a-level' } };
  }
  if (route.method === 'PATCH') return { route, path, json: { is_public: false } };
  if (route.method === 'POST' && route.grant.kind === 'billing') return { route, path, json: {} };
  return { route, path };
}

/**
 * A call that creates something when let through: a bucket or credential create under `name` (journaled by the
 * caller first); the harmless call for every other route.
 */
export function creatingCall(route: RestRouteRule, bucket: string, name: string): RouteCall {
  if (route.method === 'POST' && route.path === '/v1/object-storage/buckets') {
    return { route, path: route.path, json: { name, region: restBucketRegions.value.regions[0] } };
  }
  if (route.method === 'POST' && route.path === '/v1/object-storage/credentials') {
    return { route, path: route.path, json: { name, permission_type: 'object_ro', bucket_scope: 'all', allowed_buckets: [] } };
  }
  return harmlessCall(route, bucket);
}

/** Whether a route creates a resource (a bucket or a credential). */
export function isCreate(route: RestRouteRule): boolean {
  return route.method === 'POST' && (route.path === '/v1/object-storage/buckets' || route.path === '/v1/object-storage/credentials');
}

/**
 * The URL of a call with exactly these `workspace_id` values, in order: none, a malformed one, two, another
 * workspace's. `own` gives the target's workspace once.
 */
export function callUrl(target: RestApi, call: RouteCall, workspaceIds: readonly string[] | 'own'): string {
  const query = new URLSearchParams();
  for (const id of workspaceIds === 'own' ? [target.projectId] : workspaceIds) query.append(workspaceIdFormat.value.parameter, id);
  const search = query.toString();
  return `${target.apiUrl}${call.path}${search ? `?${search}` : ''}`;
}

/** Sends a call with a Bearer token and the given `workspace_id` values. */
export function sendCall(ctx: SuiteContext, call: RouteCall, bearer: string, workspaceIds: readonly string[] | 'own' = 'own'): Promise<HttpExchange> {
  const headers = { authorization: `Bearer ${bearer}` };
  const url = callUrl(ctx.rest(), call, workspaceIds);
  return httpRequest(call.route.method, url, call.json === undefined ? { headers } : { headers, json: call.json });
}
