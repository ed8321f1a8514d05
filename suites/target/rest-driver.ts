import type { BucketScope, PermissionType } from '../../spec/index.js';
import { registerSecret } from '../../reports/redact.js';
import type { CleanupRegistry } from './cleanup.js';
import type { RestTarget } from './config.js';
import type { IssuedToken, TokenDriver, TokenSpec } from './driver.js';
import { httpRequest, type HttpExchange } from './http.js';

/** Token management through the REST contract of spec/openapi.yaml, with the management token. */

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

export class UnexpectedResponse extends Error {
  override readonly name = 'UnexpectedResponse';
  constructor(
    message: string,
    readonly exchange: HttpExchange,
  ) {
    super(message);
  }
}

/** Reads a creation response (or a token object) into an IssuedToken; secrets are registered for redaction first. */
export function parseIssuedToken(exchange: HttpExchange): IssuedToken {
  const body = exchange.json;
  if (!isRecord(body) || typeof body['id'] !== 'string') {
    throw new UnexpectedResponse(`token creation answered ${exchange.response.status} without a token object`, exchange);
  }
  const id = body['id'];
  const bearerToken = optionalString(body['bearer_token']);
  const secretAccessKey = optionalString(body['secret_access_key']);
  registerSecret(bearerToken, `bearer_token of token ${id}`);
  registerSecret(secretAccessKey, `secret_access_key of token ${id}`);
  if (bearerToken === null) throw new UnexpectedResponse(`token ${id} was created without a bearer_token`, exchange);
  const storage = body['object_storage'];
  let objectStorage: IssuedToken['objectStorage'] = null;
  if (isRecord(storage)) {
    objectStorage = {
      permissionType: storage['permission_type'] as PermissionType,
      bucketScope: storage['bucket_scope'] as BucketScope,
      allowedBuckets: Array.isArray(storage['allowed_buckets']) ? storage['allowed_buckets'].filter((b): b is string => typeof b === 'string') : [],
    };
  }
  return {
    id,
    name: optionalString(body['name']) ?? '',
    createdAt: optionalDate(body['created_at']),
    expiresAt: optionalDate(body['expires_at']),
    objectStorage,
    billing: isRecord(body['billing']),
    bearerToken,
    accessKeyId: optionalString(body['access_key_id']),
    secretAccessKey,
    s3Endpoint: optionalString(body['s3_endpoint']),
    creation: exchange,
  };
}

/** The `status` field of a JSON object answer, or null. */
export function statusField(exchange: HttpExchange): string | null {
  const body = exchange.json;
  return isRecord(body) && typeof body['status'] === 'string' ? body['status'] : null;
}

export interface ListedToken {
  readonly id: string;
  readonly name: string;
  readonly status: string;
}

/** The entries (id, name, status) of a list answer's `field` array; nothing when the list cannot be read. */
export function listedEntries(exchange: HttpExchange | null, field: string, idField: string): ListedToken[] {
  if (!exchange || exchange.response.status !== 200 || !isRecord(exchange.json)) return [];
  const entries = exchange.json[field];
  if (!Array.isArray(entries)) return [];
  return entries.flatMap((entry: unknown) => {
    if (!isRecord(entry)) return [];
    const id = entry[idField];
    const name = entry['name'];
    const status = entry['status'];
    return typeof id === 'string' && typeof name === 'string' && typeof status === 'string' ? [{ id, name, status }] : [];
  });
}

export class RestTokenDriver implements TokenDriver {
  readonly name = 'rest' as const;
  readonly capabilities = { create: true, revoke: true, read: true, rawCreate: true, issues: 'api-tokens' } as const;

  constructor(
    private readonly target: RestTarget,
    private readonly cleanup: CleanupRegistry,
  ) {}

  private get tokensUrl(): string {
    return `${this.target.apiUrl}/v1/projects/${encodeURIComponent(this.target.projectId)}/api-tokens`;
  }

  private get auth(): Record<string, string> {
    return { authorization: `Bearer ${this.target.managementToken}` };
  }

  async createTokenRaw(body: unknown): Promise<HttpExchange> {
    // Write-ahead: if the answer never arrives (an interrupted run), the token is still found by its name.
    if (isRecord(body) && typeof body['name'] === 'string') this.cleanup.intendToken(body['name']);
    const exchange = await httpRequest('POST', this.tokensUrl, { headers: this.auth, json: body });
    const created = exchange.json;
    // Whatever the endpoint created (even wrongly) is the run's to clean up, and its secrets are redacted.
    if (exchange.response.status >= 200 && exchange.response.status < 300 && isRecord(created) && typeof created['id'] === 'string') {
      registerSecret(optionalString(created['bearer_token']), `bearer_token of token ${created['id']}`);
      registerSecret(optionalString(created['secret_access_key']), `secret_access_key of token ${created['id']}`);
      this.cleanup.trackToken(created['id']);
    }
    return exchange;
  }

  async obtainToken(spec: TokenSpec): Promise<IssuedToken> {
    if (!this.cleanup.owns(spec.name)) throw new Error(`Token name ${spec.name} is not under the run prefix`);
    const exchange = await this.createTokenRaw(spec);
    if (exchange.response.status !== 201 && exchange.response.status !== 200) {
      throw new UnexpectedResponse(`creating token ${spec.name} answered ${exchange.response.status}: ${exchange.response.body.slice(0, 300)}`, exchange);
    }
    return parseIssuedToken(exchange);
  }

  readIssued(exchange: HttpExchange): IssuedToken {
    return parseIssuedToken(exchange);
  }

  async revokeToken(id: string): Promise<HttpExchange> {
    const exchange = await httpRequest('POST', `${this.tokensUrl}/${encodeURIComponent(id)}/revoke`, { headers: this.auth });
    if (exchange.response.status < 300) this.cleanup.tokenRemoved(id);
    return exchange;
  }

  getToken(id: string): Promise<HttpExchange> {
    return httpRequest('GET', `${this.tokensUrl}/${encodeURIComponent(id)}`, { headers: this.auth });
  }

  listTokens(): Promise<HttpExchange> {
    return httpRequest('GET', this.tokensUrl, { headers: this.auth });
  }

  /** It makes its own tokens: the user gave none. */
  givenTokens(): readonly IssuedToken[] {
    return [];
  }

  statusIn(exchange: HttpExchange): string | null {
    return statusField(exchange);
  }

  /** Tokens cannot be deleted: revoked is retired. */
  async retireToken(id: string): Promise<boolean> {
    return (await this.revokeToken(id)).response.status < 300;
  }

  /** Only active tokens need anything more: a revoked or expired one is done with. */
  async leftoversNamed(names: ReadonlySet<string>): Promise<string[]> {
    const listed = listedEntries(await this.listTokens().catch(() => null), 'tokens', 'id');
    return listed.filter((token) => names.has(token.name) && token.status === 'active').map((token) => token.id);
  }
}
