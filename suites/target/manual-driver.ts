import { readFileSync } from 'node:fs';
import { bucketScopes, permissionTypes, type BucketScope, type PermissionType } from '../../spec/index.js';
import { registerSecret } from '../../reports/redact.js';
import { DriverCannot, type IssuedToken, type TokenDriver, type TokenSpec } from './driver.js';
import type { HttpExchange } from './http.js';

/**
 * For endpoints whose tokens are made in a portal: pre-created credentials, one per level and scope, read from a
 * JSON file (the format: `credentialsFileHelp`). It cannot create, read back or revoke tokens; checks that need that
 * are recorded not_applicable.
 */

/**
 * The credentials file as `ibee-conformance run --help` shows it: an example and what each field means. The
 * example is a file `parseCredentialsFile` accepts (its unit test parses it out of this text).
 */
export const credentialsFileHelp = `Credentials file (--driver manual --credentials FILE): JSON, one entry per level and bucket scope, e.g.
  { "tokens": [
    { "permission_type": "admin_rw", "bucket_scope": "all", "access_key_id": "AKIA…", "secret_access_key": "…" },
    { "permission_type": "object_ro", "bucket_scope": "specific", "allowed_buckets": ["my-bucket"],
      "access_key_id": "AKIA…", "secret_access_key": "…" },
    { "billing": true, "bearer_token": "ibee_v4_…" }
  ] }
  permission_type    ${permissionTypes.join(' | ')}; an entry with one needs access_key_id and secret_access_key
  bucket_scope       all (default) | specific; specific needs allowed_buckets, one bucket for all such entries
  bearer_token       optional (the REST checks use it where given); needed with "billing": true
  billing            optional: true for a token with the Billing scope
  id, name           optional labels; expires_at: optional ISO date`;

export interface ManualCredential {
  readonly id?: string;
  readonly name?: string;
  readonly permission_type?: PermissionType;
  readonly bucket_scope?: BucketScope;
  readonly allowed_buckets?: readonly string[];
  readonly billing?: boolean;
  readonly bearer_token?: string;
  readonly access_key_id?: string;
  readonly secret_access_key?: string;
  readonly expires_at?: string;
}

export class CredentialsFileError extends Error {
  override readonly name = 'CredentialsFileError';
}

function validate(entry: unknown, index: number): ManualCredential {
  const where = `credentials file tokens[${index}]`;
  if (entry === null || typeof entry !== 'object') throw new CredentialsFileError(`${where} is not an object`);
  const e = entry as Record<string, unknown>;
  if (e['bearer_token'] !== undefined && typeof e['bearer_token'] !== 'string') throw new CredentialsFileError(`${where}.bearer_token must be a string`);
  if (e['permission_type'] === undefined && e['billing'] !== true) {
    throw new CredentialsFileError(`${where} has neither an object storage level (permission_type) nor "billing": true`);
  }
  if (e['billing'] === true && typeof e['bearer_token'] !== 'string') throw new CredentialsFileError(`${where} has the Billing scope but no bearer_token`);
  if (e['allowed_buckets'] !== undefined && (!Array.isArray(e['allowed_buckets']) || !e['allowed_buckets'].every((b) => typeof b === 'string'))) {
    throw new CredentialsFileError(`${where}.allowed_buckets must be a list of bucket names`);
  }
  if (e['bucket_scope'] === 'specific' && (!Array.isArray(e['allowed_buckets']) || e['allowed_buckets'].length === 0)) {
    throw new CredentialsFileError(`${where} is bucket_scope specific but names no allowed_buckets`);
  }
  if (e['permission_type'] !== undefined && !permissionTypes.includes(e['permission_type'] as PermissionType)) {
    throw new CredentialsFileError(`${where}.permission_type must be one of ${permissionTypes.join(', ')}`);
  }
  if (e['bucket_scope'] !== undefined && !bucketScopes.includes(e['bucket_scope'] as BucketScope)) {
    throw new CredentialsFileError(`${where}.bucket_scope must be all or specific`);
  }
  if (e['permission_type'] !== undefined && (typeof e['access_key_id'] !== 'string' || typeof e['secret_access_key'] !== 'string')) {
    throw new CredentialsFileError(`${where} has an object storage level but no access_key_id/secret_access_key`);
  }
  return e as unknown as ManualCredential;
}

/** The entries of a parsed credentials file, each validated (a CredentialsFileError names what is wrong). */
export function parseCredentialsFile(parsed: unknown): ManualCredential[] {
  const tokens = parsed !== null && typeof parsed === 'object' ? (parsed as { tokens?: unknown }).tokens : undefined;
  if (!Array.isArray(tokens)) throw new CredentialsFileError('credentials file must be { "tokens": [...] }');
  return tokens.map(validate);
}

export function loadCredentialsFile(path: string): ManualCredential[] {
  const credentials = parseCredentialsFile(JSON.parse(readFileSync(path, 'utf8')));
  for (const credential of credentials) {
    const label = credential.id ?? credential.name ?? credential.access_key_id ?? 'manual token';
    registerSecret(credential.bearer_token, `bearer_token of ${label}`);
    registerSecret(credential.secret_access_key, `secret_access_key of ${label}`);
  }
  return credentials;
}

function toIssued(credential: ManualCredential): IssuedToken {
  return {
    id: credential.id ?? null,
    name: credential.name ?? '',
    createdAt: null,
    expiresAt: credential.expires_at ? new Date(credential.expires_at) : null,
    objectStorage: credential.permission_type
      ? { permissionType: credential.permission_type, bucketScope: credential.bucket_scope ?? 'all', allowedBuckets: credential.allowed_buckets ?? [] }
      : null,
    billing: credential.billing === true,
    bearerToken: credential.bearer_token ?? null,
    accessKeyId: credential.access_key_id ?? null,
    secretAccessKey: credential.secret_access_key ?? null,
    s3Endpoint: null,
    creation: null,
  };
}

const cannotManage = 'the manual driver uses pre-made credentials and cannot manage tokens';

export class ManualTokenDriver implements TokenDriver {
  readonly name = 'manual' as const;
  readonly capabilities = { create: false, revoke: false, read: false, rawCreate: false, issues: 'api-tokens' } as const;

  constructor(private readonly credentials: readonly ManualCredential[]) {}

  /**
   * The file's token of the level, scope and Billing scope `spec` asks for. A bucket-scoped one must cover the
   * buckets `spec` names (when it names any): a key limited to another bucket is never handed out in its place, as
   * the target would rightly refuse it there.
   */
  async obtainToken(spec: TokenSpec): Promise<IssuedToken> {
    const wantedLevel = spec.object_storage?.permission_type;
    const wantedScope = spec.object_storage?.bucket_scope;
    const wantedBuckets = wantedScope === 'specific' ? (spec.object_storage?.allowed_buckets ?? []) : [];
    const candidates = this.credentials.filter(
      (c) =>
        c.permission_type === wantedLevel &&
        (wantedLevel === undefined || (c.bucket_scope ?? 'all') === wantedScope) &&
        (c.billing === true) === (spec.billing !== undefined),
    );
    const what = wantedLevel ? `${wantedLevel} / ${wantedScope}` : 'billing-only';
    const withBilling = spec.billing && wantedLevel ? ' with billing' : '';
    if (candidates.length === 0) throw new DriverCannot(`the credentials file has no ${what} token${withBilling}`);
    const match = candidates.find((c) => wantedBuckets.every((bucket) => (c.allowed_buckets ?? []).includes(bucket)));
    if (!match) {
      const limits = [...new Set(candidates.flatMap((c) => c.allowed_buckets ?? []))].join(', ');
      throw new DriverCannot(`the credentials file's ${what} token${withBilling} is limited to ${limits}, not to ${wantedBuckets.join(', ')}`);
    }
    return toIssued(match);
  }

  /** Every token of the file, in its order. */
  givenTokens(): readonly IssuedToken[] {
    return this.credentials.map(toIssued);
  }

  createTokenRaw(): Promise<HttpExchange> {
    return Promise.reject(new DriverCannot(cannotManage));
  }

  readIssued(): IssuedToken {
    throw new DriverCannot(cannotManage);
  }

  statusIn(): string | null {
    return null;
  }

  /** Pre-made credentials are the user's: the run never revokes them. */
  retireToken(): Promise<boolean> {
    return Promise.resolve(false);
  }

  leftoversNamed(): Promise<string[]> {
    return Promise.resolve([]);
  }

  revokeToken(): Promise<HttpExchange> {
    return Promise.reject(new DriverCannot(cannotManage));
  }

  getToken(): Promise<HttpExchange> {
    return Promise.reject(new DriverCannot(cannotManage));
  }

  listTokens(): Promise<HttpExchange> {
    return Promise.reject(new DriverCannot(cannotManage));
  }
}
