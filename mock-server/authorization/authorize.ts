import { levelAllows, presignedUrlRule, publicBucketReads, s3Operation, type Action, type S3OperationName } from '../../spec/index.js';
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
  | 'presigned_level_too_low'
  /** A request without credentials, other than a read of a public bucket. */
  | 'anonymous';

export type Decision = { readonly allowed: true } | { readonly allowed: false; readonly reason: Denial };

const allow: Decision = { allowed: true };
const deny = (reason: Denial): Decision => ({ allowed: false, reason });

/** The token's own state (neither revoked nor expired): the first step of `authorize`, and all that identifying a caller needs. */
export function tokenIsUsable(token: TokenRecord, nowMs: number): Decision {
  const status = tokenStatus(token, nowMs);
  return status === 'active' ? allow : deny(status);
}

export function bucketInScope(token: TokenRecord, bucket: string): boolean {
  const scope = token.objectStorage;
  if (!scope) return false;
  return scope.bucketScope === 'all' || scope.allowedBuckets.includes(bucket);
}

/**
 * What a caller asks to do: an S3 operation (a row of spec's permission matrix), or a REST route's grant (the
 * action it needs, from spec's restRoutes), or read billing data.
 */
export type AccessRequest =
  | {
      readonly kind: 'object-storage';
      /** The S3 operation, or the action a REST route needs. */
      readonly need: { readonly operation: S3OperationName } | { readonly action: Action };
      /** Buckets the operation touches (target, and copy source); empty for service-level operations. */
      readonly buckets: readonly string[];
      /** Whether the request came as a presigned URL (or POST policy): P11's stricter level applies. */
      readonly presigned?: boolean;
    }
  | { readonly kind: 'billing' };

/** Whether `token` may do `request` now: the one decision, for S3 requests and REST routes alike. */
export function authorize(token: TokenRecord, request: AccessRequest, nowMs: number): Decision {
  const usable = tokenIsUsable(token, nowMs);
  if (!usable.allowed) return usable;
  if (request.kind === 'billing') return token.billing ? allow : deny('no_billing_scope');
  const scope = token.objectStorage;
  if (!scope) return deny('no_object_storage_scope');
  for (const bucket of request.buckets) if (!bucketInScope(token, bucket)) return deny('out_of_scope');
  const action = 'operation' in request.need ? s3Operation(request.need.operation).action : request.need.action;
  if (!levelAllows(scope.permissionType, action)) return deny('level_too_low');
  if (request.presigned && !levelAllows(scope.permissionType, presignedUrlRule.action as Action)) return deny('presigned_level_too_low');
  return allow;
}

/**
 * Whether a request without credentials may do `operation` on `bucket` now: only the reads of spec's
 * publicBucketReads, and only on a bucket made public. Anything else is refused as S3 refuses anonymous requests.
 */
export function authorizeAnonymous(operation: S3OperationName | null, bucket: { readonly isPublic: boolean } | undefined): Decision {
  const reads: readonly string[] = publicBucketReads.operations;
  return operation !== null && reads.includes(operation) && bucket?.isPublic === true ? allow : deny('anonymous');
}
