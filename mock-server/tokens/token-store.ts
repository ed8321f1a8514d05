import { randomUUID, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { BillingPermissionType } from '../../spec/index.js';
import type { Clock } from '../clock.js';
import type { ObjectStorageScope, TokenRecord, TokenStore } from '../context.js';
import { createCredentialStore, type CredentialStore, type NewCredential, type S3Credential } from './credential-store.js';
import { newAccessKeyId, newBearerToken, newSecretAccessKey, sha256 } from './credentials.js';

/**
 * API tokens, persisted in the shared metadata database. Bearer tokens are kept only as SHA-256 hashes; the
 * secret access key is kept because SigV4 verification needs it. Expiry is never cached: callers compare
 * `expiresAt` with the clock on every use. Lookups by access key id (every S3 request, twice for an upload) are
 * served from a write-through cache: this store is the only writer of the table, and revoke and reset update the
 * cache in the same synchronous call as the database, so a revocation is seen by the very next request.
 */

export interface NewToken {
  readonly projectId: string;
  readonly name: string;
  readonly description: string | null;
  /** Whole days from creation (validated by the caller against spec's tokenExpiryDays). */
  readonly expiresInDays: number;
  readonly objectStorage: ObjectStorageScope | null;
  readonly billing: { readonly permissionType: BillingPermissionType } | null;
}

/** A token as created, with the credentials that are shown this once. */
export interface IssuedToken {
  readonly token: TokenRecord;
  readonly bearerToken: string;
  /** Null for a token without Object Storage scope. */
  readonly secretAccessKey: string | null;
}

export interface ManagedTokenStore extends TokenStore {
  /** The public API's S3 credentials (create with `createCredential`: access key ids are unique across both). */
  readonly credentials: Omit<CredentialStore, 'create'>;
  createCredential(input: NewCredential): { readonly credential: S3Credential; readonly secretAccessKey: string };
  create(input: NewToken): IssuedToken;
  /** Revokes the token (idempotently: a revoked token keeps its first revocation time); undefined if not found. */
  revoke(projectId: string, tokenId: string): TokenRecord | undefined;
}

const dayMs = 24 * 60 * 60 * 1000;

const schema = `
CREATE TABLE IF NOT EXISTS api_tokens (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  object_storage TEXT,
  billing TEXT,
  access_key_id TEXT UNIQUE,
  secret_access_key TEXT,
  bearer_sha256 BLOB NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS api_tokens_project ON api_tokens (project_id, created_at);
`;

interface TokenRow {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  object_storage: string | null;
  billing: string | null;
  access_key_id: string | null;
  secret_access_key: string | null;
  bearer_sha256: Buffer;
}

function toRecord(row: TokenRow): TokenRecord {
  return {
    kind: 'api-token',
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    description: row.description,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
    objectStorage: row.object_storage === null ? null : (JSON.parse(row.object_storage) as ObjectStorageScope),
    billing: row.billing === null ? null : (JSON.parse(row.billing) as { permissionType: BillingPermissionType }),
    accessKeyId: row.access_key_id,
    secretAccessKey: row.secret_access_key,
  };
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export interface TokenStoreOptions {
  readonly db: Database.Database;
  readonly clock: Clock;
  /**
   * The projects this mock serves. A token of any other project (its data dir once served it) is not found by its
   * credentials, so it is refused everywhere, S3 and REST, until its project is served again (and can be revoked).
   * Absent: every project's tokens are found.
   */
  readonly servedProjectIds?: readonly string[];
}

export function createTokenStore(options: TokenStoreOptions): ManagedTokenStore {
  const { db, clock } = options;
  const served = options.servedProjectIds ? new Set(options.servedProjectIds) : null;
  const isServed = (row: { project_id: string }): boolean => served === null || served.has(row.project_id);
  db.exec(schema);
  const q = {
    insert: db.prepare(
      `INSERT INTO api_tokens (id, project_id, name, description, created_at, expires_at, revoked_at, object_storage,
         billing, access_key_id, secret_access_key, bearer_sha256)
       VALUES (@id, @project_id, @name, @description, @created_at, @expires_at, NULL, @object_storage, @billing,
         @access_key_id, @secret_access_key, @bearer_sha256)`,
    ),
    byId: db.prepare<[string, string], TokenRow>('SELECT * FROM api_tokens WHERE project_id = ? AND id = ?'),
    byProject: db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE project_id = ? ORDER BY created_at, rowid'),
    byAccessKeyId: db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE access_key_id = ?'),
    byBearerHash: db.prepare<[Buffer], TokenRow>('SELECT * FROM api_tokens WHERE bearer_sha256 = ?'),
    revoke: db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE project_id = ? AND id = ? AND revoked_at IS NULL'),
    deleteAll: db.prepare('DELETE FROM api_tokens'),
  };

  /** Tokens by access key id, filled on lookup; only tokens that exist are cached. */
  const byAccessKeyId = new Map<string, TokenRecord>();
  const credentials = createCredentialStore(options);
  const accessKeyTaken = (accessKeyId: string): boolean => q.byAccessKeyId.get(accessKeyId) !== undefined;

  return {
    credentials,
    createCredential: (input) => credentials.create(input, accessKeyTaken),

    create(input) {
      const createdAt = clock.nowMs();
      // Fresh random credentials collide with negligible probability; the UNIQUE constraints make sure of it.
      for (let attempt = 0; ; attempt++) {
        const bearerToken = newBearerToken();
        const accessKeyId = input.objectStorage ? newAccessKeyId() : null;
        if (accessKeyId !== null && credentials.findByAccessKeyId(accessKeyId) && attempt < 3) continue;
        const secretAccessKey = input.objectStorage ? newSecretAccessKey() : null;
        const id = randomUUID();
        try {
          q.insert.run({
            id,
            project_id: input.projectId,
            name: input.name,
            description: input.description,
            created_at: createdAt,
            expires_at: createdAt + input.expiresInDays * dayMs,
            object_storage: input.objectStorage ? JSON.stringify(input.objectStorage) : null,
            billing: input.billing ? JSON.stringify(input.billing) : null,
            access_key_id: accessKeyId,
            secret_access_key: secretAccessKey,
            bearer_sha256: sha256(bearerToken),
          });
        } catch (error) {
          if (isUniqueViolation(error) && attempt < 3) continue;
          throw error;
        }
        return { token: toRecord(q.byId.get(input.projectId, id)!), bearerToken, secretAccessKey };
      }
    },

    revoke(projectId, tokenId) {
      q.revoke.run(clock.nowMs(), projectId, tokenId);
      const row = q.byId.get(projectId, tokenId);
      if (row?.access_key_id) byAccessKeyId.delete(row.access_key_id);
      return row ? toRecord(row) : undefined;
    },

    findByAccessKeyId(accessKeyId) {
      const cached = byAccessKeyId.get(accessKeyId);
      if (cached) return cached;
      const row = q.byAccessKeyId.get(accessKeyId);
      if (!row) return credentials.findByAccessKeyId(accessKeyId);
      if (!isServed(row)) return undefined;
      const token = toRecord(row);
      byAccessKeyId.set(accessKeyId, token);
      return token;
    },

    findByBearer(bearerToken) {
      const hash = sha256(bearerToken);
      const row = q.byBearerHash.get(hash);
      // The lookup is by hash (an index); the final comparison is constant-time as well.
      if (!row || row.bearer_sha256.length !== hash.length || !timingSafeEqual(row.bearer_sha256, hash) || !isServed(row)) return undefined;
      return toRecord(row);
    },

    get(projectId, tokenId) {
      const row = q.byId.get(projectId, tokenId);
      return row ? toRecord(row) : undefined;
    },

    list(projectId) {
      return q.byProject.all(projectId).map(toRecord);
    },

    recordUse(token, nowMs) {
      if (token.kind === 's3-credential' && token.accessKeyId !== null) credentials.recordUse(token.accessKeyId, nowMs);
    },

    reset() {
      q.deleteAll.run();
      byAccessKeyId.clear();
      credentials.reset();
    },
  };
}
