import { isAllowed, levelAllows, presignedUrlRule, type Action, type S3OperationName } from '../../spec/index.js';
import { tokenStatus, type TokenRecord } from '../context.js';

/**
 * The one authorization decision, shared by S3 and REST. Order matters and follows the spec: token state, then
 * bucket scope (so an out-of-scope token learns nothing about existence), then the level from the matrix. Existence
 * checks come after, in the controllers.
 */
export type Denial =
  | 'revoked'
  | 'expired'
  | 'no_object_storage_scope'
  | 'no_billing_scope'
  | 'out_of_scope'
  | 'level_too_low'
  /** The level allows the operation, but not as a presigned URL or POST policy (P11: Object Read & Write at least). */
  | 'presigned_level_too_low';

export type Decision = { readonly allowed: true } | { readonly allowed: false; readonly reason: Denial };

const allow: Decision = { allowed: true };
const deny = (reason: Denial): Decision => ({ allowed: false, reason });

export function tokenIsUsable(token: TokenRecord, nowMs: number): Decision {
  const status = tokenStatus(token, nowMs);
  return status === 'active' ? allow : deny(status);
}

export function bucketInScope(token: TokenRecord, bucket: string): boolean {
  const scope = token.objectStorage;
  if (!scope) return false;
  return scope.bucketScope === 'all' || scope.allowedBuckets.includes(bucket);
}

export interface OperationRequest {
  /** S3 operation name, a row of spec's permission matrix. */
  readonly operation: S3OperationName;
  /** Buckets the operation touches (target, and copy source); empty for service-level operations. */
  readonly buckets: readonly string[];
  /** Whether the request came as a presigned URL (or POST policy): P11's stricter level applies. */
  readonly presigned?: boolean;
}

export function authorizeOperation(token: TokenRecord, request: OperationRequest, nowMs: number): Decision {
  const usable = tokenIsUsable(token, nowMs);
  if (!usable.allowed) return usable;
  const scope = token.objectStorage;
  if (!scope) return deny('no_object_storage_scope');
  for (const bucket of request.buckets) if (!bucketInScope(token, bucket)) return deny('out_of_scope');
  if (!isAllowed(scope.permissionType, request.operation)) return deny('level_too_low');
  if (request.presigned && !levelAllows(scope.permissionType, presignedUrlRule.action as Action)) return deny('presigned_level_too_low');
  return allow;
}

/** Billing routes: the token must be usable and hold the Billing read-only scope. */
export function authorizeBilling(token: TokenRecord, nowMs: number): Decision {
  const usable = tokenIsUsable(token, nowMs);
  if (!usable.allowed) return usable;
  return token.billing ? allow : deny('no_billing_scope');
}
