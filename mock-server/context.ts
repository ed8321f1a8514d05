import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { BillingPermissionType, BucketScope, PermissionType } from '../spec/index.js';
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
  /** Projects this mock serves; the first is the default. */
  readonly projectIds: readonly string[];
  readonly tokens: TokenStore;
  readonly storage: Storage;
  /** Base domain for virtual-hosted-style S3 requests (`bucket.DOMAIN`), if enabled. */
  readonly s3Domain: string | null;
  /** Public S3 endpoint URL for `projectId`, as handed out with credentials. */
  s3EndpointFor(projectId: string): string;
}

export interface ObjectStorageScope {
  readonly permissionType: PermissionType;
  readonly bucketScope: BucketScope;
  /** Empty when bucketScope is `all`. */
  readonly allowedBuckets: readonly string[];
}

export interface TokenRecord {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly description: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
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
  if (nowMs >= token.expiresAt.getTime()) return 'expired';
  return 'active';
}

/** Token persistence, read on every request: revocation and expiry are never cached. */
export interface TokenStore {
  /** The token owning this access key id (any status), or undefined. */
  findByAccessKeyId(accessKeyId: string): TokenRecord | undefined;
  /** The token whose bearer token this is (any status), compared by hash in constant time, or undefined. */
  findByBearer(bearerToken: string): TokenRecord | undefined;
  get(projectId: string, tokenId: string): TokenRecord | undefined;
  list(projectId: string): readonly TokenRecord[];
  reset(): void;
}
