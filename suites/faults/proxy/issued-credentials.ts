import type { Forwarded } from './forwarding.js';
import { parseJson } from './requests.js';

/** A key the proxy saw issued, with the level and scope it was created for. */
export interface KnownKey {
  readonly level: string;
  readonly bucketScope: string;
  readonly secret: string;
}

/**
 * What the proxy learns from the token creations it forwards, as a faulty server would know its own tokens: every
 * secret issued, each key's level and scope, each credential's expiry, an Admin Read & Write token on all buckets,
 * and the management token.
 */
export class IssuedCredentials {
  /** The secret access key each token was issued, by token id (null when the creation answer had none). */
  readonly secretsByTokenId = new Map<string, string | null>();
  /** Keys by access key id. */
  readonly keys = new Map<string, KnownKey>();
  /** Expiry (epoch ms) by access key id and by bearer token. */
  readonly expiries = new Map<string, number>();
  /** The bearer token of an Admin Read & Write token on all buckets. */
  adminBearer: string | null = null;
  /** The Authorization header token creations come with: the management token's. */
  managementAuth: string | null = null;

  /** An Admin Read & Write key on all buckets: its access key id and what is known of it. */
  adminKey(): [string, KnownKey] | undefined {
    return [...this.keys.entries()].find(([, k]) => k.level === 'admin_rw' && k.bucketScope === 'all');
  }

  /** Learns what a successful creation issued, from the request forwarded and its answer. */
  learn(requestBody: Buffer, response: Forwarded): void {
    const created = parseJson(response.body);
    const request = parseJson(requestBody);
    if (!created || typeof created['id'] !== 'string') return;
    const secret = typeof created['secret_access_key'] === 'string' ? created['secret_access_key'] : null;
    this.secretsByTokenId.set(created['id'], secret);
    const expiresAt = typeof created['expires_at'] === 'string' ? Date.parse(created['expires_at']) : Number.NaN;
    const bearer = typeof created['bearer_token'] === 'string' ? created['bearer_token'] : null;
    if (Number.isFinite(expiresAt)) {
      if (bearer) this.expiries.set(bearer, expiresAt);
      if (typeof created['access_key_id'] === 'string') this.expiries.set(created['access_key_id'], expiresAt);
    }
    const storage = (request?.['object_storage'] ?? null) as { permission_type?: string; bucket_scope?: string } | null;
    if (secret && typeof created['access_key_id'] === 'string' && storage?.permission_type) {
      this.keys.set(created['access_key_id'], { level: storage.permission_type, bucketScope: storage.bucket_scope ?? 'all', secret });
      if (storage.permission_type === 'admin_rw' && (storage.bucket_scope ?? 'all') === 'all' && bearer) this.adminBearer = bearer;
    }
  }
}
