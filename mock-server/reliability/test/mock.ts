import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { PermissionType } from '../../../spec/index.js';
import { createMockServer, type MockServer, type MockServerOptions } from '../../app.js';
import { createLogger } from '../../logger.js';
import { fetchWithTimeout, withWorkspace } from './http.js';

/**
 * The whole mock (createMockServer: REST and S3 on real ports) for the reliability tests, with its pino log
 * captured at trace level so the secrets scan can read every line, and every credential issued remembered.
 */

/** Every secret value issued during a test run: bearer tokens, secret keys, the management token. */
export class SecretRegistry {
  readonly #values = new Set<string>();

  add(value: string | null | undefined): void {
    if (typeof value === 'string' && value.length >= 8) this.#values.add(value);
  }

  values(): readonly string[] {
    return [...this.#values];
  }

  /** The secrets that occur in `text` (reported by a prefix only, so a failure message does not leak them either). */
  leaksIn(text: string): string[] {
    return this.values()
      .filter((secret) => text.includes(secret))
      .map((secret) => `${secret.slice(0, 6)}…(${secret.length} chars)`);
  }
}

export interface IssuedToken {
  readonly id: string;
  readonly projectId: string;
  readonly bearer: string;
  readonly accessKeyId: string | null;
  readonly secretAccessKey: string | null;
}

export interface TokenSpec {
  readonly level?: PermissionType;
  readonly buckets?: readonly string[];
  readonly billing?: boolean;
  readonly objectStorage?: boolean;
}

/** The token-management request body for a TokenSpec. */
export function tokenCreateRequest(spec: TokenSpec): Record<string, unknown> {
  const request: Record<string, unknown> = { name: `reliability ${Math.random().toString(36).slice(2, 8)}` };
  if (spec.objectStorage !== false) {
    request.object_storage = spec.buckets
      ? { permission_type: spec.level ?? 'admin_rw', bucket_scope: 'specific', allowed_buckets: spec.buckets }
      : { permission_type: spec.level ?? 'admin_rw', bucket_scope: 'all' };
  }
  if (spec.billing) request.billing = { permission_type: 'read_only' };
  return request;
}

/** The credentials of a creation response, registered with the secrets that scans look for. */
export function issuedToken(res: { status: number; body: unknown; text: string }, projectId: string, secrets: SecretRegistry): IssuedToken {
  if (res.status !== 201) throw new Error(`token creation answered ${res.status}: ${res.text}`);
  const body = res.body as { id: string; bearer_token: string; access_key_id: string | null; secret_access_key?: string };
  secrets.add(body.bearer_token);
  secrets.add(body.secret_access_key);
  return { id: body.id, projectId, bearer: body.bearer_token, accessKeyId: body.access_key_id, secretAccessKey: body.secret_access_key ?? null };
}

/** Every key in a bucket, through ListObjectsV2 pages. */
export async function listAllKeys(s3: S3Client, bucket: string): Promise<Set<string>> {
  const listed = new Set<string>();
  let continuation: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: continuation }));
    for (const o of page.Contents ?? []) listed.add(o.Key!);
    continuation = page.NextContinuationToken;
  } while (continuation);
  return listed;
}

export interface TestMock {
  readonly server: MockServer;
  readonly secrets: SecretRegistry;
  /** Log lines written so far (JSON lines from pino, level trace). */
  readonly logLines: string[];
  /**
   * Calls the REST API; the management token by default, `null` for none. Public routes get `workspace_id`: the
   * default project's unless `workspace` says otherwise (null: none).
   */
  api(method: string, path: string, options?: { token?: string | null; json?: unknown; workspace?: string | null }): Promise<{ status: number; body: unknown; text: string; headers: Headers }>;
  issueToken(spec?: TokenSpec, projectId?: string): Promise<IssuedToken>;
  revoke(token: IssuedToken): Promise<void>;
  s3(token: IssuedToken, config?: { maxAttempts?: number }): S3Client;
  close(): Promise<void>;
}

export const managementToken = 'reliability-management-token-5f1c2b7a9e';

export async function startMock(options: Omit<MockServerOptions, 'logger' | 'logLevel' | 'managementToken'> = {}): Promise<TestMock> {
  const logLines: string[] = [];
  const logger = createLogger({ level: 'trace', destination: { write: (line: string) => void logLines.push(line) } });
  const server = await createMockServer({ ...options, managementToken, logger });
  const secrets = new SecretRegistry();
  secrets.add(managementToken);
  const clients: S3Client[] = [];

  const api: TestMock['api'] = async (method, path, callOptions = {}) => {
    const token = callOptions.token === undefined ? managementToken : callOptions.token;
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (callOptions.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(callOptions.json);
    }
    const workspace = callOptions.workspace === undefined ? server.projectId : callOptions.workspace;
    const res = await fetchWithTimeout(`${server.apiUrl}${withWorkspace(path, workspace)}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  };

  return {
    server,
    secrets,
    logLines,
    api,
    async issueToken(spec = {}, projectId = server.projectId) {
      const res = await api('POST', `/v1/projects/${projectId}/api-tokens`, { json: tokenCreateRequest(spec) });
      return issuedToken(res, projectId, secrets);
    },
    async revoke(token) {
      const res = await api('POST', `/v1/projects/${token.projectId}/api-tokens/${token.id}/revoke`);
      if (res.status !== 200) throw new Error(`revoke answered ${res.status}: ${res.text}`);
    },
    s3(token, config = {}) {
      if (token.accessKeyId === null || token.secretAccessKey === null) throw new Error('token has no S3 credentials');
      const client = new S3Client({
        endpoint: server.s3Endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: token.accessKeyId, secretAccessKey: token.secretAccessKey },
        maxAttempts: config.maxAttempts ?? 1,
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.destroy();
      await server.close();
    },
  };
}
