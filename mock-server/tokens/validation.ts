import {
  isValidBucketName,
  tokenDescriptionLength,
  tokenExpiryDays,
  tokenNameLength,
  type BillingPermissionType,
  type BucketScope,
  type PermissionType,
} from '../../spec/index.js';
import type { ObjectStorageScope } from '../context.js';
import { RestError, unprocessable } from '../rest/errors.js';
import { validateBody } from '../rest/schemas.js';

/**
 * A create-token request: first the schema of spec/openapi.yaml (types, unknown fields), then the rules the
 * schema cannot say, with bounds read from spec/limits.ts and bucket names from spec's isValidBucketName.
 */

export interface CreateTokenRequest {
  readonly name: string;
  readonly description?: string | null;
  readonly expires_in_days?: number;
  readonly object_storage?: {
    readonly permission_type: PermissionType;
    readonly bucket_scope: BucketScope;
    readonly allowed_buckets?: readonly string[];
  } | null;
  readonly billing?: { readonly permission_type: BillingPermissionType } | null;
}

export interface ValidTokenRequest {
  readonly name: string;
  readonly description: string | null;
  readonly expiresInDays: number;
  readonly objectStorage: ObjectStorageScope | null;
  readonly billing: { readonly permissionType: BillingPermissionType } | null;
}

const fieldCodes = {
  '/name': 'invalid_name',
  '/description': 'invalid_description',
  '/expires_in_days': 'invalid_expiry',
  '/object_storage/allowed_buckets/*': 'invalid_bucket_name',
} as const;

/** Length in characters (code points), as JSON Schema counts it. */
function characters(value: string): number {
  return Array.from(value).length;
}

function checkName(name: string): void {
  const { min, max } = tokenNameLength.value;
  const length = characters(name);
  if (length < min || length > max) throw unprocessable('invalid_name', `name must be ${min} to ${max} characters long.`);
  if (!name.isWellFormed()) throw unprocessable('invalid_name', 'name must be well-formed Unicode (no lone surrogates).');
  // A name of only white space names nothing: it is as empty as "".
  if (name.trim() === '') throw unprocessable('invalid_name', 'name must not be blank.');
}

function checkDescription(description: string): void {
  const { max } = tokenDescriptionLength.value;
  if (characters(description) > max) throw unprocessable('invalid_description', `description must be at most ${max} characters long.`);
  if (!description.isWellFormed()) {
    throw unprocessable('invalid_description', 'description must be well-formed Unicode (no lone surrogates).');
  }
}

function checkExpiry(days: number): void {
  const { min, max } = tokenExpiryDays.value;
  if (!Number.isInteger(days) || days < min || days > max) {
    throw unprocessable('invalid_expiry', `expires_in_days must be a whole number from ${min} to ${max}.`);
  }
}

function objectStorageScope(request: NonNullable<CreateTokenRequest['object_storage']>): ObjectStorageScope {
  const buckets = request.allowed_buckets ?? [];
  if (request.bucket_scope === 'specific' && buckets.length === 0) {
    throw unprocessable('invalid_bucket_scope', 'bucket_scope "specific" needs at least one bucket in allowed_buckets.');
  }
  if (request.bucket_scope === 'all' && buckets.length > 0) {
    throw unprocessable('invalid_bucket_scope', 'bucket_scope "all" takes no allowed_buckets.');
  }
  const seen = new Set<string>();
  buckets.forEach((bucket, index) => {
    if (!isValidBucketName(bucket)) {
      throw unprocessable('invalid_bucket_name', `object_storage.allowed_buckets[${index}] is not a valid bucket name.`);
    }
    if (seen.has(bucket)) throw unprocessable('invalid_bucket_name', `object_storage.allowed_buckets[${index}] repeats a bucket.`);
    seen.add(bucket);
  });
  return { permissionType: request.permission_type, bucketScope: request.bucket_scope, allowedBuckets: [...buckets] };
}

export function parseCreateTokenRequest(body: unknown): ValidTokenRequest {
  if (body === undefined) throw new RestError(422, 'validation_error', 'A JSON body is required.');
  const request = validateBody<CreateTokenRequest>('CreateApiTokenRequest', body, fieldCodes);
  checkName(request.name);
  if (typeof request.description === 'string') checkDescription(request.description);
  const expiresInDays = request.expires_in_days ?? tokenExpiryDays.value.default;
  checkExpiry(expiresInDays);
  if (!request.object_storage && !request.billing) {
    throw unprocessable('scope_required', 'A token needs at least one scope: object_storage, billing, or both.');
  }
  return {
    name: request.name,
    description: request.description ?? null,
    expiresInDays,
    objectStorage: request.object_storage ? objectStorageScope(request.object_storage) : null,
    billing: request.billing ? { permissionType: request.billing.permission_type } : null,
  };
}
