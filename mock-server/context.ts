import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { BillingPermissionType, BucketScope, PermissionType } from '../spec/index.js';
import type { BillingControl } from './billing-control.js';
import type { Clock } from './clock.js';
import type { Storage } from './store/types.js';

/**
 * What every part of the mock shares: one clock, one logger, one metadata database, the token store and the
 * storage store. Built once by createMockServer (app.ts) and passed down; nothing else is global.
 */
export interface MockContext {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Metadata database: better-sqlite3 on `${dataDir}/ibee-mock.sqlite`, or `:memory:` without a data dir. */
  readonly db: Database.Database;
  /** Where durable state lives; null means everything is in memory. */
  readonly dataDir: string | null;
  /** Projects this mock serves (IBEE's clients call them workspaces); the first is the default. */
  readonly projectIds: readonly string[];
  /** The organisation the projects belong to. */
  readonly organizationId: string;
  /** What each workspace's billing says of new resources. */
  readonly billing: BillingControl;
  readonly tokens: TokenStore;
  readonly storage: Storage;
  /** Base domain for virtual-hosted-style S3 requests (`bucket.DOMAIN`), if enabled. */
  readonly s3Domain: string | null;
  /**
   * Also accept AWS Signature Version 2 on S3 (Authorization `AWS id:signature`, `AWSAccessKeyId`/`Signature`/
   * `Expires` query strings, POST policies signed with `signature`); off, such requests answer InvalidRequest.
   */
  readonly allowSigV2: boolean;
  /** Public S3 endpoint URL for `projectId`, as handed out with credentials. */
  s3EndpointFor(projectId: string): string;
}

export interface ObjectStorageScope {
  readonly permissionType: PermissionType;
  readonly bucketScope: BucketScope;
  /** Empty when bucketScope is `all`. */
  readonly allowedBuckets: readonly string[];
}

/**
 * Whoever signs or bears a request: a portal API token, or an S3 credential of the public API (a key pair with a
 * level and bucket scope, no Bearer token, no expiry). Authorization treats both alike.
 */
export interface TokenRecord {
  readonly kind: 'api-token' | 's3-credential';
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly description: string | null;
  readonly createdAt: Date;
  /** Null: never expires (S3 credentials). */
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly objectStorage: ObjectStorageScope | null;
  readonly billing: { readonly permissionType: BillingPermissionType } | null;
  readonly accessKeyId: string | null;
  /** Kept only because SigV4 verification needs it; never returned by any route after creation. */
  readonly secretAccessKey: string | null;
}

export type TokenStatus = 'active' | 'revoked' | 'expired';

export function tokenStatus(token: TokenRecord, nowMs: number): TokenStatus {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt !== null && nowMs >= token.expiresAt.getTime()) return 'expired';
  return 'active';
}

/**
 * Token persistence, consulted on every request. A store may cache records only if a revocation or deletion reaches
 * the very next lookup (the token store's write-through cache does); expiry is compared with the clock on every use.
 */
export interface TokenStore {
  /** The token or S3 credential owning this access key id (any status), or undefined. */
  findByAccessKeyId(accessKeyId: string): TokenRecord | undefined;
  /** Notes that S3 accepted a request signed with this token's keys (an S3 credential's `last_used_at`). */
  recordUse(token: TokenRecord, nowMs: number): void;
  /** The token whose bearer token this is (any status), compared by hash in constant time, or undefined. */
  findByBearer(bearerToken: string): TokenRecord | undefined;
  get(projectId: string, tokenId: string): TokenRecord | undefined;
  list(projectId: string): readonly TokenRecord[];
  reset(): void;
}
