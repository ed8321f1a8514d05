import type { BucketScope, PermissionType } from '../../spec/index.js';
import type { DriverName } from './config.js';
import type { HttpExchange } from './http.js';

/**
 * Token management behind one small interface, so that the same checks judge an endpoint whose tokens are made
 * through the REST contract (`rest`) or by hand in a portal (`manual`).
 */

export interface ObjectStorageScopeSpec {
  readonly permission_type: PermissionType;
  readonly bucket_scope: BucketScope;
  readonly allowed_buckets?: readonly string[];
}

/** A well-formed creation request, in the REST contract's shape. */
export interface TokenSpec {
  readonly name: string;
  readonly description?: string;
  readonly expires_in_days?: number;
  readonly object_storage?: ObjectStorageScopeSpec;
  readonly billing?: { readonly permission_type: 'read_only' };
}

export interface IssuedToken {
  readonly id: string | null;
  readonly name: string;
  readonly createdAt: Date | null;
  readonly expiresAt: Date | null;
  readonly objectStorage: { readonly permissionType: PermissionType; readonly bucketScope: BucketScope; readonly allowedBuckets: readonly string[] } | null;
  readonly billing: boolean;
  readonly bearerToken: string;
  readonly accessKeyId: string | null;
  readonly secretAccessKey: string | null;
  readonly s3Endpoint: string | null;
  /** The creation exchange, for evidence (absent for pre-made credentials). */
  readonly creation: HttpExchange | null;
}

export interface DriverCapabilities {
  /** Can make tokens with any scope on demand. */
  readonly create: boolean;
  readonly revoke: boolean;
  /** Can read token objects back (GET one, list). */
  readonly read: boolean;
  /** Can send arbitrary (invalid) creation requests, for validation checks. */
  readonly rawCreate: boolean;
}

/** Thrown when a check needs something the driver cannot do; the check is then recorded not_applicable. */
export class DriverCannot extends Error {
  override readonly name = 'DriverCannot';
}

export interface TokenDriver {
  readonly name: DriverName;
  readonly capabilities: DriverCapabilities;
  /** A token matching `spec`: created (rest) or picked from the pre-made ones (manual; its real scope may differ in bucket names). */
  obtainToken(spec: TokenSpec): Promise<IssuedToken>;
  /** Sends any creation body as is; tokens it happens to create are tracked for cleanup. */
  createTokenRaw(body: unknown): Promise<HttpExchange>;
  revokeToken(id: string): Promise<HttpExchange>;
  getToken(id: string): Promise<HttpExchange>;
  listTokens(): Promise<HttpExchange>;
}
