import type Database from 'better-sqlite3';
import type { Clock } from '../clock.js';
import type { ObjectStorageScope, TokenRecord } from '../context.js';
import { newAccessKeyId, newSecretAccessKey } from './credentials.js';

/**
 * S3 credentials of IBEE's public API (`/v1/object-storage/credentials`): a workspace-bound key pair with one of
 * the four levels and a bucket scope, no Bearer token and no expiry. On S3 they are authorized exactly as a portal
 * token's keys (`asToken`); revoking keeps the row as `revoked`, deleting removes it. Lookups are never cached, so
 * revocation and deletion apply to the very next request.
 */

export interface S3Credential {
  readonly accessKeyId: string;
  readonly projectId: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly objectStorage: ObjectStorageScope;
  /** The API token that created it. */
  readonly createdByTokenId: string;
}

export interface NewCredential {
  readonly projectId: string;
  readonly name: string;
  readonly objectStorage: ObjectStorageScope;
  readonly createdByTokenId: string;
}

export interface CredentialStore {
  /** Creates a credential; the secret is returned this once. `isTaken` says whether an access key id is in use elsewhere. */
  create(input: NewCredential, isTaken: (accessKeyId: string) => boolean): { readonly credential: S3Credential; readonly secretAccessKey: string };
  /** The workspace's credentials, newest first. */
  list(projectId: string, limit: number): readonly S3Credential[];
  get(projectId: string, accessKeyId: string): S3Credential | undefined;
  /** Marks it revoked (the first revocation time stays); undefined if not found. */
  revoke(projectId: string, accessKeyId: string): S3Credential | undefined;
  /** Removes it for good; whether it was there. */
  delete(projectId: string, accessKeyId: string): boolean;
  /** The credential behind an access key id, as the token S3 authorizes, or undefined. */
  findByAccessKeyId(accessKeyId: string): TokenRecord | undefined;
  /** Notes an S3 use of the key (`last_used_at`), at most once a minute per key. */
  recordUse(accessKeyId: string, nowMs: number): void;
  reset(): void;
}

const schema = `
CREATE TABLE IF NOT EXISTS s3_credentials (
  access_key_id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_used_at INTEGER,
  object_storage TEXT NOT NULL,
  secret_access_key TEXT NOT NULL,
  created_by_token_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS s3_credentials_project ON s3_credentials (project_id, created_at);
`;

interface CredentialRow {
  access_key_id: string;
  project_id: string;
  name: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  object_storage: string;
  secret_access_key: string;
  created_by_token_id: string;
}

function toCredential(row: CredentialRow): S3Credential {
  return {
    accessKeyId: row.access_key_id,
    projectId: row.project_id,
    name: row.name,
    createdAt: new Date(row.created_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
    objectStorage: JSON.parse(row.object_storage) as ObjectStorageScope,
    createdByTokenId: row.created_by_token_id,
  };
}

function asToken(row: CredentialRow): TokenRecord {
  const credential = toCredential(row);
  return {
    kind: 's3-credential',
    id: credential.accessKeyId,
    projectId: credential.projectId,
    name: credential.name,
    description: null,
    createdAt: credential.createdAt,
    expiresAt: null,
    revokedAt: credential.revokedAt,
    objectStorage: credential.objectStorage,
    billing: null,
    accessKeyId: credential.accessKeyId,
    secretAccessKey: row.secret_access_key,
  };
}

const useResolutionMs = 60_000;

export function createCredentialStore(options: { db: Database.Database; clock: Clock; servedProjectIds?: readonly string[] }): CredentialStore {
  const { db, clock } = options;
  const served = options.servedProjectIds ? new Set(options.servedProjectIds) : null;
  db.exec(schema);
  const q = {
    insert: db.prepare(
      `INSERT INTO s3_credentials (access_key_id, project_id, name, created_at, revoked_at, last_used_at, object_storage,
         secret_access_key, created_by_token_id)
       VALUES (@access_key_id, @project_id, @name, @created_at, NULL, NULL, @object_storage, @secret_access_key, @created_by_token_id)`,
    ),
    byId: db.prepare<[string, string], CredentialRow>('SELECT * FROM s3_credentials WHERE project_id = ? AND access_key_id = ?'),
    byAccessKeyId: db.prepare<[string], CredentialRow>('SELECT * FROM s3_credentials WHERE access_key_id = ?'),
    byProject: db.prepare<[string, number], CredentialRow>(
      'SELECT * FROM s3_credentials WHERE project_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?',
    ),
    revoke: db.prepare('UPDATE s3_credentials SET revoked_at = ? WHERE project_id = ? AND access_key_id = ? AND revoked_at IS NULL'),
    delete: db.prepare('DELETE FROM s3_credentials WHERE project_id = ? AND access_key_id = ?'),
    used: db.prepare('UPDATE s3_credentials SET last_used_at = ? WHERE access_key_id = ?'),
    deleteAll: db.prepare('DELETE FROM s3_credentials'),
  };
  /** Last use written, by key: `last_used_at` is coarse (as on IAM), so S3 traffic costs no write per request. */
  const lastWritten = new Map<string, number>();

  return {
    create(input, isTaken) {
      for (let attempt = 0; ; attempt++) {
        const accessKeyId = newAccessKeyId();
        if (isTaken(accessKeyId) || q.byAccessKeyId.get(accessKeyId)) {
          if (attempt < 3) continue;
          throw new Error('could not draw an unused access key id');
        }
        const secretAccessKey = newSecretAccessKey();
        q.insert.run({
          access_key_id: accessKeyId,
          project_id: input.projectId,
          name: input.name,
          created_at: clock.nowMs(),
          object_storage: JSON.stringify(input.objectStorage),
          secret_access_key: secretAccessKey,
          created_by_token_id: input.createdByTokenId,
        });
        return { credential: toCredential(q.byId.get(input.projectId, accessKeyId)!), secretAccessKey };
      }
    },
    list(projectId, limit) {
      return q.byProject.all(projectId, limit).map(toCredential);
    },
    get(projectId, accessKeyId) {
      const row = q.byId.get(projectId, accessKeyId);
      return row ? toCredential(row) : undefined;
    },
    revoke(projectId, accessKeyId) {
      q.revoke.run(clock.nowMs(), projectId, accessKeyId);
      const row = q.byId.get(projectId, accessKeyId);
      return row ? toCredential(row) : undefined;
    },
    delete(projectId, accessKeyId) {
      lastWritten.delete(accessKeyId);
      return q.delete.run(projectId, accessKeyId).changes > 0;
    },
    findByAccessKeyId(accessKeyId) {
      const row = q.byAccessKeyId.get(accessKeyId);
      if (!row || (served !== null && !served.has(row.project_id))) return undefined;
      return asToken(row);
    },
    recordUse(accessKeyId, nowMs) {
      const last = lastWritten.get(accessKeyId);
      if (last !== undefined && nowMs - last < useResolutionMs && nowMs >= last) return;
      if (q.used.run(nowMs, accessKeyId).changes > 0) lastWritten.set(accessKeyId, nowMs);
    },
    reset() {
      q.deleteAll.run();
      lastWritten.clear();
    },
  };
}
