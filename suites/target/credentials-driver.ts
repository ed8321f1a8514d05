import { bucketScopes, permissionTypes, type BucketScope, type PermissionType } from '../../spec/index.js';
import { registerSecret } from '../../reports/redact.js';
import type { CleanupRegistry } from './cleanup.js';
import type { RestTarget } from './config.js';
import { DriverCannot, type IssuedToken, type TokenDriver, type TokenSpec } from './driver.js';
import { httpRequest, publicApiUrl, type HttpExchange } from './http.js';
import { listedEntries, statusField, UnexpectedResponse } from './rest-driver.js';

/**
 * S3 credentials through IBEE's public API (`/v1/object-storage/credentials`, spec/public-api.ts), made in the
 * target's workspace with a Bearer API token that may write credentials. A credential is an access key pair at one
 * level and bucket scope: no Bearer token, no expiry, no billing. Its id is its access key id. Revoking keeps it
 * (readable as `revoked`); the run's cleanup revokes and then deletes every credential it made.
 */

const credentialsPath = '/v1/object-storage/credentials';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function optionalDate(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function registerCredentialSecret(body: Record<string, unknown>): void {
  registerSecret(optionalString(body['secret_access_key']), `secret_access_key of S3 credential ${String(body['access_key_id'])}`);
}

/** Reads a credential creation answer (or a credential read) into an IssuedToken; the secret is registered for redaction first. */
export function parseIssuedCredential(exchange: HttpExchange): IssuedToken {
  const body = exchange.json;
  if (!isRecord(body) || typeof body['access_key_id'] !== 'string') {
    throw new UnexpectedResponse(`S3 credential creation answered ${exchange.response.status} without a credential object`, exchange);
  }
  registerCredentialSecret(body);
  const level = body['permission_type'];
  const scope = body['bucket_scope'];
  const objectStorage =
    permissionTypes.includes(level as PermissionType) && bucketScopes.includes(scope as BucketScope)
      ? {
          permissionType: level as PermissionType,
          bucketScope: scope as BucketScope,
          allowedBuckets: Array.isArray(body['allowed_buckets']) ? body['allowed_buckets'].filter((b): b is string => typeof b === 'string') : [],
        }
      : null;
  return {
    id: body['access_key_id'],
    name: optionalString(body['name']) ?? '',
    createdAt: optionalDate(body['created_at']),
    expiresAt: null,
    objectStorage,
    billing: false,
    bearerToken: null,
    accessKeyId: body['access_key_id'],
    secretAccessKey: optionalString(body['secret_access_key']),
    s3Endpoint: optionalString(body['s3_endpoint']),
    creation: exchange,
  };
}

/** The credential creation body for a token spec: the same level and bucket scope, under the same name. */
function creationBody(spec: TokenSpec): Record<string, unknown> {
  if (spec.billing !== undefined) throw new DriverCannot('the credentials driver issues S3 credentials, which have no Billing scope');
  if (spec.expires_in_days !== undefined) throw new DriverCannot('the credentials driver issues S3 credentials, which never expire');
  if (spec.description !== undefined) throw new DriverCannot('the credentials driver issues S3 credentials, which have no description');
  const storage = spec.object_storage;
  if (!storage) throw new DriverCannot('an S3 credential needs an Object Storage level');
  return {
    name: spec.name,
    permission_type: storage.permission_type,
    bucket_scope: storage.bucket_scope,
    ...(storage.allowed_buckets !== undefined ? { allowed_buckets: [...storage.allowed_buckets] } : {}),
  };
}

export class CredentialsTokenDriver implements TokenDriver {
  readonly name = 'credentials' as const;
  readonly capabilities = { create: true, revoke: true, read: true, rawCreate: true, issues: 's3-credentials' } as const;

  constructor(
    private readonly target: RestTarget,
    private readonly cleanup: CleanupRegistry,
  ) {}

  private url(accessKeyId?: string, action?: string): string {
    const path = accessKeyId === undefined ? credentialsPath : `${credentialsPath}/${encodeURIComponent(accessKeyId)}${action ? `/${action}` : ''}`;
    return publicApiUrl(this.target, path);
  }

  private get auth(): Record<string, string> {
    return { authorization: `Bearer ${this.target.apiToken}` };
  }

  async createTokenRaw(body: unknown): Promise<HttpExchange> {
    // Write-ahead: if the answer never arrives (an interrupted run), the credential is still found by its name.
    if (isRecord(body) && typeof body['name'] === 'string') this.cleanup.intendToken(body['name']);
    const exchange = await httpRequest('POST', this.url(), { headers: this.auth, json: body });
    const created = exchange.json;
    // Whatever the endpoint created (even wrongly) is the run's to clean up, and its secret is redacted.
    if (exchange.response.status >= 200 && exchange.response.status < 300 && isRecord(created) && typeof created['access_key_id'] === 'string') {
      registerCredentialSecret(created);
      this.cleanup.trackToken(created['access_key_id']);
    }
    return exchange;
  }

  async obtainToken(spec: TokenSpec): Promise<IssuedToken> {
    if (!this.cleanup.owns(spec.name)) throw new Error(`Credential name ${spec.name} is not under the run prefix`);
    const exchange = await this.createTokenRaw(creationBody(spec));
    if (exchange.response.status !== 201 && exchange.response.status !== 200) {
      throw new UnexpectedResponse(`creating S3 credential ${spec.name} answered ${exchange.response.status}: ${exchange.response.body.slice(0, 300)}`, exchange);
    }
    return parseIssuedCredential(exchange);
  }

  readIssued(exchange: HttpExchange): IssuedToken {
    return parseIssuedCredential(exchange);
  }

  /** Revoked, the credential stays (status `revoked`) and is still the run's to delete. */
  revokeToken(id: string): Promise<HttpExchange> {
    return httpRequest('POST', this.url(id, 'revoke'), { headers: this.auth });
  }

  getToken(id: string): Promise<HttpExchange> {
    return httpRequest('GET', this.url(id), { headers: this.auth });
  }

  listTokens(): Promise<HttpExchange> {
    return httpRequest('GET', this.url(), { headers: this.auth });
  }

  /** A credential read carries its status; a revoke answer carries the credential. */
  /** It makes its own tokens: the user gave none. */
  givenTokens(): readonly IssuedToken[] {
    return [];
  }

  statusIn(exchange: HttpExchange): string | null {
    const body = exchange.json;
    if (isRecord(body) && isRecord(body['credential'])) return optionalString(body['credential']['status']);
    return statusField(exchange);
  }

  /** Revoked first (so that it is dead even if the delete fails), then deleted; one already gone is done with. */
  async retireToken(id: string): Promise<boolean> {
    const revoked = await this.revokeToken(id);
    if (revoked.response.status >= 300 && revoked.response.status !== 404) return false;
    const deleted = await httpRequest('DELETE', this.url(id), { headers: this.auth });
    const gone = deleted.response.status < 300 || deleted.response.status === 404;
    if (gone) this.cleanup.tokenRemoved(id);
    return gone;
  }

  /** Any credential of the name still listed, revoked or not: it is deleted in the end. */
  async leftoversNamed(names: ReadonlySet<string>): Promise<string[]> {
    const listed = listedEntries(await this.listTokens().catch(() => null), 'credentials', 'access_key_id');
    return listed.filter((credential) => names.has(credential.name)).map((credential) => credential.id);
  }
}
