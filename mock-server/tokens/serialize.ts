import { tokenStatus, type TokenRecord } from '../context.js';

/**
 * The token object of spec/openapi.yaml (ApiToken). It never holds a secret: the one response that carries
 * credentials (creation) adds them explicitly in rest/routes/tokens.ts.
 */
export interface ApiTokenJson {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly status: 'active' | 'revoked' | 'expired';
  readonly created_at: string;
  readonly expires_at: string;
  readonly revoked_at: string | null;
  readonly object_storage: { permission_type: string; bucket_scope: string; allowed_buckets: string[] } | null;
  readonly billing: { permission_type: string } | null;
  readonly access_key_id: string | null;
}

/** API tokens always expire; only S3 credentials, which have their own shape, do not. */
function expiry(token: TokenRecord): Date {
  if (token.expiresAt === null) throw new Error(`tokenJson given ${token.kind} ${token.id}, which has no expiry`);
  return token.expiresAt;
}

export function tokenJson(token: TokenRecord, nowMs: number): ApiTokenJson {
  return {
    id: token.id,
    name: token.name,
    description: token.description,
    status: tokenStatus(token, nowMs),
    created_at: token.createdAt.toISOString(),
    expires_at: expiry(token).toISOString(),
    revoked_at: token.revokedAt ? token.revokedAt.toISOString() : null,
    object_storage: token.objectStorage
      ? {
          permission_type: token.objectStorage.permissionType,
          bucket_scope: token.objectStorage.bucketScope,
          allowed_buckets: [...token.objectStorage.allowedBuckets],
        }
      : null,
    billing: token.billing ? { permission_type: token.billing.permissionType } : null,
    access_key_id: token.accessKeyId,
  };
}
