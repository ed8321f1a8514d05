import type { Basis, Fact } from './basis.js';
import { s3Operation, type Action, type S3OperationName } from './permissions.js';
import type { SourceTag } from './sources.js';

/**
 * IBEE's public REST API as its official clients speak it (R1 TypeScript SDK, R2 Python SDK, R4 CLI, R3 Terraform
 * provider): the scopes, the routes and what decides each, the workspace rule, the bounds of bucket and credential
 * requests, and every error a route answers. The mock serves exactly this; the suites judge it.
 */

/** IBEE's scope names, as a 403 `insufficient_scope` names them in `required_scope`. */
export const restScopes = ['object-storage.read', 'object-storage.write', 'object-storage.delete', 'billing.read'] as const;
export type RestScope = (typeof restScopes)[number];

/**
 * What a token must hold for a route. Object-storage routes mirror an S3 operation (its row of the permission
 * matrix decides) or one of the admin grants (the action itself decides); billing routes need the Billing scope.
 */
export type RouteGrant =
  | { readonly kind: 'object-storage'; readonly action: Action; readonly mirrors: S3OperationName | 'admin read' | 'admin write' }
  | { readonly kind: 'billing' };

export interface RestRouteRule {
  readonly method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  /** OpenAPI path template under the API base URL. */
  readonly path: string;
  readonly requiredScope: RestScope;
  readonly grant: RouteGrant;
  /** Whether the route names a bucket that the token's bucket scope must cover. */
  readonly bucketScoped: boolean;
  /** A billable create: refused with 402 `billing_denied` while the workspace's billing says no. */
  readonly billable: boolean;
  /** A route of the mock only: no IBEE client calls it. */
  readonly mockOnly: boolean;
  readonly requirementIds: readonly string[];
  readonly basis: Basis;
  readonly sources: readonly [SourceTag, ...SourceTag[]];
}

type RouteInput = Omit<RestRouteRule, 'grant' | 'billable' | 'mockOnly' | 'basis' | 'sources' | 'requirementIds'> &
  Partial<Pick<RestRouteRule, 'billable' | 'mockOnly' | 'requirementIds'>>;

const clientSources = ['R1', 'R2', 'R3', 'R4'] as const;

/** A route allowed exactly when the S3 operation it mirrors is. */
function mirroring(route: RouteInput, operation: S3OperationName): RestRouteRule {
  return {
    billable: false,
    mockOnly: false,
    requirementIds: [],
    ...route,
    grant: { kind: 'object-storage', action: s3Operation(operation).action, mirrors: operation },
    basis: 'inferred',
    sources: clientSources,
  };
}

/** A route allowed exactly to the levels that may read (`config.read`) or edit (`config.write`) bucket configuration. */
function adminGrant(route: RouteInput, grant: 'admin read' | 'admin write'): RestRouteRule {
  return {
    billable: false,
    mockOnly: false,
    requirementIds: [],
    ...route,
    grant: { kind: 'object-storage', action: grant === 'admin read' ? 'config.read' : 'config.write', mirrors: grant },
    basis: 'inferred',
    sources: clientSources,
  };
}

function billing(route: Omit<RouteInput, 'requiredScope'>): RestRouteRule {
  return {
    billable: false,
    mockOnly: false,
    requirementIds: ['BILLING-SCOPE'],
    ...route,
    requiredScope: 'billing.read',
    grant: { kind: 'billing' },
    basis: 'documented',
    sources: ['P4', 'R1', 'R3'],
  };
}

const buckets = '/v1/object-storage/buckets';
const credentials = '/v1/object-storage/credentials';

/** Every public REST route, each with the scope it names and what decides it. All take `workspace_id`. */
export const restRoutes: readonly RestRouteRule[] = [
  mirroring({ method: 'GET', path: buckets, requiredScope: 'object-storage.read', bucketScoped: false }, 'ListBuckets'),
  mirroring({ method: 'POST', path: buckets, requiredScope: 'object-storage.write', bucketScoped: true, billable: true }, 'CreateBucket'),
  mirroring({ method: 'GET', path: `${buckets}/{bucket_name}`, requiredScope: 'object-storage.read', bucketScoped: true }, 'HeadBucket'),
  adminGrant({ method: 'PATCH', path: `${buckets}/{bucket_name}`, requiredScope: 'object-storage.write', bucketScoped: true }, 'admin write'),
  mirroring({ method: 'DELETE', path: `${buckets}/{bucket_name}`, requiredScope: 'object-storage.delete', bucketScoped: true }, 'DeleteBucket'),
  adminGrant({ method: 'GET', path: credentials, requiredScope: 'object-storage.read', bucketScoped: false }, 'admin read'),
  adminGrant({ method: 'POST', path: credentials, requiredScope: 'object-storage.write', bucketScoped: false, billable: true }, 'admin write'),
  adminGrant({ method: 'GET', path: `${credentials}/{access_key_id}`, requiredScope: 'object-storage.read', bucketScoped: false }, 'admin read'),
  adminGrant({ method: 'DELETE', path: `${credentials}/{access_key_id}`, requiredScope: 'object-storage.write', bucketScoped: false }, 'admin write'),
  adminGrant({ method: 'POST', path: `${credentials}/{access_key_id}/revoke`, requiredScope: 'object-storage.write', bucketScoped: false }, 'admin write'),
  billing({ method: 'POST', path: '/v1/billing/resource-eligibility', bucketScoped: false, requirementIds: ['BILLING-SCOPE'] }),
  billing({ method: 'GET', path: '/v1/billing/invoices', bucketScoped: false, mockOnly: true }),
  billing({ method: 'GET', path: '/v1/billing/orders', bucketScoped: false, mockOnly: true }),
  billing({ method: 'GET', path: '/v1/billing/balance', bucketScoped: false, mockOnly: true }),
];

export function restRoute(method: RestRouteRule['method'], path: string): RestRouteRule {
  const rule = restRoutes.find((r) => r.method === method && r.path === path);
  if (!rule) throw new Error(`No REST route ${method} ${path}`);
  return rule;
}

export const workspaceIdFormat: Fact<{ pattern: RegExp; parameter: 'workspace_id' }> = {
  id: 'FORMAT-WORKSPACE-ID',
  statement:
    'Every public REST call names its workspace in exactly one `workspace_id` query parameter, a positive decimal integer; the workspace is the project the token belongs to.',
  basis: 'inferred',
  sources: ['R1', 'R2', 'R3'],
  value: { pattern: /^[1-9][0-9]*$/, parameter: 'workspace_id' },
  note: 'IBEE\'s clients send it on every call and check `^[1-9][0-9]*$` before sending. That a workspace is the project of the portal\'s API tokens is our reading: the clients never name projects.',
};

/** The order in which a public route checks a request, so several faults at once answer predictably. */
export const restCheckOrder = ['token', 'workspace', 'scope', 'body', 'billing'] as const;

export const restBucketRegions: Fact<{ regions: readonly string[] }> = {
  id: 'FORMAT-REST-BUCKET-REGION',
  statement: 'A bucket created over the REST API names its storage region: `in-south-1` or `in-south-2`.',
  basis: 'inferred',
  sources: ['R1', 'R2'],
  value: { regions: ['in-south-1', 'in-south-2'] },
  note: 'The SDKs default to in-south-1 (api.ibee.ai) and in-south-2 (api.ibee.co.in) and require a region for any other host; there is no public list of regions.',
};

export const bucketListLimit: Fact<{ min: number; max: number; default: number }> = {
  id: 'LIMIT-REST-BUCKET-PAGE',
  statement: 'A bucket list page holds 1 to 1000 buckets (`limit`), 100 when not given.',
  basis: 'inferred',
  sources: ['R1', 'R2'],
  value: { min: 1, max: 1000, default: 100 },
};

export const defaultRetentionBounds: Fact<{ modes: readonly string[]; days: { min: number; max: number }; years: { min: number; max: number } }> = {
  id: 'LIMIT-DEFAULT-RETENTION',
  statement: 'A bucket\'s default retention has a mode (GOVERNANCE or COMPLIANCE) and exactly one of 1-36500 days or 1-100 years, and needs Object Lock.',
  basis: 'inferred',
  sources: ['R2', 'R1', 'R3'],
  value: { modes: ['GOVERNANCE', 'COMPLIANCE'], days: { min: 1, max: 36500 }, years: { min: 1, max: 100 } },
};

export const credentialNameLength: Fact<{ min: number; max: number }> = {
  id: 'LIMIT-CREDENTIAL-NAME-LENGTH',
  statement: 'An S3 credential\'s name, trimmed, is 1 to 100 characters.',
  basis: 'inferred',
  sources: ['R2', 'R1', 'R3'],
  value: { min: 1, max: 100 },
  note: 'The Python and TypeScript SDKs follow the portal (1-100); the Terraform provider allows 128. We take the stricter.',
};

export const credentialListLimit: Fact<{ max: number }> = {
  id: 'LIMIT-CREDENTIAL-LIST',
  statement: 'Listing S3 credentials returns at most the 100 newest, newest first.',
  basis: 'inferred',
  sources: ['R1'],
  value: { max: 100 },
};

export const billableSku: Fact<{ skuCode: string }> = {
  id: 'FORMAT-BILLING-SKU',
  statement: 'Buckets and S3 credentials are billed under SKU `OBJECTST-STD`; a refused create names it in `billing_sku_code`.',
  basis: 'inferred',
  sources: ['R2', 'R1'],
  value: { skuCode: 'OBJECTST-STD' },
};

export const billingDecisionReasons: Fact<{ allowed: readonly string[]; denied: readonly string[]; topUp: readonly string[] }> = {
  id: 'FORMAT-BILLING-REASON',
  statement: 'A billing decision gives its reason: one of IBEE\'s allowed reasons, or one of its denial reasons.',
  basis: 'inferred',
  sources: ['R1', 'R2', 'R3'],
  value: {
    allowed: ['ok', 'usage_based_sku', 'status_only', 'operation_allowed'],
    denied: [
      'initial_topup_required',
      'insufficient_balance',
      'credit_limit_exceeded',
      'unknown_sku',
      'inactive_sku',
      'billing_limit_exhausted',
      'overage_cap_exceeded',
      'dunning_active',
      'dunning_grace_expired',
    ],
    // The denials a top-up clears.
    topUp: ['initial_topup_required', 'insufficient_balance', 'billing_limit_exhausted'],
  },
};

/** One REST error: the status, the `error` code, and when a route answers it. */
export interface RestErrorCase {
  readonly status: number;
  readonly error: string;
  readonly when: string;
  /** Answered by the mock's own routes only (portal stand-in, /_mock). */
  readonly mockOnly?: boolean;
}

/**
 * Every REST error the mock answers, in the order the checks run. Bodies are `{error, message, required_scope?}`;
 * a 402 adds `billing_reason`, `billing_sku_code` and `admission_context_id`.
 */
export const restErrors = [
  { status: 401, error: 'invalid_token', when: 'No Bearer token, or one that is not a known API token (the management token included).' },
  { status: 403, error: 'key_revoked', when: 'The API token has been revoked.' },
  { status: 403, error: 'key_expired', when: 'The API token has expired.' },
  { status: 400, error: 'workspace_id_required', when: 'A public route without a `workspace_id` query parameter.' },
  { status: 400, error: 'invalid_workspace_id', when: '`workspace_id` repeated, or neither a positive decimal integer nor the id of a workspace this server serves (a well-formed id of no served workspace is `workspace_not_allowed`).' },
  { status: 403, error: 'workspace_not_allowed', when: '`workspace_id` is well-formed but not the token\'s workspace: another one, or one this server does not serve.' },
  { status: 403, error: 'insufficient_scope', when: 'The token\'s level, bucket scope or Billing scope does not cover the route; `required_scope` names the route\'s scope.' },
  { status: 415, error: 'unsupported_media_type', when: 'A body that is not UTF-8 `application/json`.' },
  { status: 400, error: 'invalid_json', when: 'A body that is not valid JSON or not UTF-8.' },
  { status: 400, error: 'invalid_request', when: 'A request the HTTP layer cannot read (a malformed header or body framing).' },
  { status: 413, error: 'payload_too_large', when: 'A body over 64 KiB.' },
  { status: 422, error: 'validation_error', when: 'A body or query parameter of the wrong type or out of range (bucket list `limit` included).' },
  { status: 422, error: 'unknown_field', when: 'A body field the route does not take.' },
  { status: 422, error: 'invalid_bucket_name', when: 'A bucket name that breaks the naming rules.' },
  { status: 422, error: 'invalid_region', when: 'A bucket region other than in-south-1 and in-south-2.' },
  { status: 422, error: 'invalid_default_retention', when: 'Default retention without Object Lock, or without exactly one of days and years in range.' },
  { status: 422, error: 'invalid_name', when: 'A credential name that is blank or longer than 100 characters once trimmed.' },
  { status: 422, error: 'invalid_bucket_scope', when: 'An admin-level credential asking for specific buckets (on the portal: a bucket scope that does not match its bucket list).' },
  { status: 422, error: 'invalid_allowed_buckets', when: '`specific` without buckets, `all` with buckets, or a bucket name that is not valid.' },
  { status: 400, error: 'invalid_continuation_token', when: 'A blank or unknown bucket list `continuation_token`.' },
  { status: 403, error: 'credential_exceeds_token', when: 'A credential of a higher level or wider bucket scope than the token creating it.' },
  { status: 402, error: 'billing_denied', when: 'A billable create (bucket, credential) while the workspace\'s billing refuses new resources.' },
  { status: 404, error: 'bucket_not_found', when: 'No such bucket in the workspace (another workspace\'s bucket included).' },
  { status: 404, error: 'credential_not_found', when: 'No such credential in the workspace.' },
  { status: 404, error: 'not_found', when: 'No such route.' },
  { status: 405, error: 'method_not_allowed', when: 'A known path with a method it does not serve (any billing write included).' },
  { status: 409, error: 'bucket_already_exists', when: 'A bucket name taken by another workspace.' },
  { status: 409, error: 'bucket_already_owned_by_you', when: 'A bucket name the workspace already has.' },
  { status: 409, error: 'bucket_not_empty', when: 'Deleting a bucket that still holds objects or uploads.' },
  { status: 409, error: 'bucket_object_lock', when: 'Deleting a bucket with Object Lock enabled.' },
  { status: 403, error: 'forbidden', when: 'An API token on a portal or /_mock route.', mockOnly: true },
  { status: 404, error: 'project_not_found', when: 'A portal route for a project this server does not serve.', mockOnly: true },
  { status: 404, error: 'token_not_found', when: 'No such API token in the project.', mockOnly: true },
  { status: 422, error: 'scope_required', when: 'An API token with neither an Object Storage nor a Billing scope.', mockOnly: true },
  { status: 422, error: 'invalid_expiry', when: 'An API token expiry outside 1-365 days.', mockOnly: true },
  { status: 422, error: 'invalid_description', when: 'An API token description over 500 characters.', mockOnly: true },
  { status: 500, error: 'internal_error', when: 'A fault of the server; never for anything a client can send.' },
] as const satisfies readonly RestErrorCase[];

export type RestErrorCode = (typeof restErrors)[number]['error'];
