import type { BucketScope, PermissionType } from '../../spec/index.js';
import type { DriverName } from './config.js';
import type { HttpExchange } from './http.js';

/**
 * Token management behind one small interface, so that the same checks judge an endpoint whose tokens are made
 * through the REST contract (`rest`), by hand in a portal (`manual`), or whose S3 credentials are made through IBEE's
 * public credentials API with an API token (`credentials`).
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
  /** The Bearer token for the REST API; null for S3 credentials, which have none. */
  readonly bearerToken: string | null;
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
  /**
   * What it issues: portal API tokens (a Bearer token, an expiry, optionally the Billing scope) or S3 credentials
   * (an access key pair at one level and bucket scope, nothing else: no Bearer token, no expiry, no billing).
   */
  readonly issues: IssuedKind;
}

export type IssuedKind = 'api-tokens' | 's3-credentials';

/**
 * Why a check of what only portal API tokens have cannot run on `driver` (null when it can): `lacking` says what S3
 * credentials lack, e.g. `which never expire`.
 */
export function onlyApiTokensHave(driver: Pick<TokenDriver, 'name' | 'capabilities'>, lacking: string): string | null {
  if (driver.capabilities.issues === 'api-tokens') return null;
  return `the ${driver.name} driver issues S3 credentials, ${lacking}; only portal API tokens are judged on this`;
}

/** Thrown when a check needs something the driver cannot do; the check is then recorded not_applicable. */
export class DriverCannot extends Error {
  override readonly name = 'DriverCannot';
}

export interface TokenDriver {
  readonly name: DriverName;
  readonly capabilities: DriverCapabilities;
  /**
   * A token matching `spec`: created (rest, credentials) or picked from the pre-made ones (manual: a bucket-scoped
   * one covers the buckets `spec` names, or DriverCannot is thrown).
   */
  obtainToken(spec: TokenSpec): Promise<IssuedToken>;
  /** The pre-made tokens the user gave (the manual driver's file); none for drivers that make their own. */
  givenTokens(): readonly IssuedToken[];
  /** Sends any creation body as is; tokens it happens to create are tracked for cleanup. */
  createTokenRaw(body: unknown): Promise<HttpExchange>;
  /** Reads a successful creation answer (of createTokenRaw) into an IssuedToken; its secrets are registered for redaction. */
  readIssued(exchange: HttpExchange): IssuedToken;
  /** Revokes a token; it stays readable (status `revoked`) and is still the run's to clean up. */
  revokeToken(id: string): Promise<HttpExchange>;
  getToken(id: string): Promise<HttpExchange>;
  listTokens(): Promise<HttpExchange>;
  /** The status (`active`, `revoked`, `expired`) a token read or a revoke answer gives, or null when it gives none. */
  statusIn(exchange: HttpExchange): string | null;
  /**
   * Cleanup of one of the run's tokens: revoked (tokens cannot be deleted), or revoked and deleted (S3 credentials).
   * Resolves true once nothing more is left to do for it.
   */
  retireToken(id: string): Promise<boolean>;
  /**
   * The ids of tokens named one of `names` that the target still holds and cleanup still has to retire (found by
   * listing), for creations whose answer never arrived.
   */
  leftoversNamed(names: ReadonlySet<string>): Promise<string[]>;
}
