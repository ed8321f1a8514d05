import { S3Client } from '@aws-sdk/client-s3';
import { Agent } from 'node:http';
import { fetchWithTimeout, withWorkspace } from './http.js';
import { issuedToken, tokenCreateRequest, type IssuedToken, type SecretRegistry, type TokenSpec } from './mock.js';

/**
 * Driving a mock that runs elsewhere (a child process) over HTTP only: token issuance with the management token,
 * S3 clients, revocation. The same calls a user's test would make.
 */

export interface RemoteMock {
  readonly apiUrl: string;
  readonly s3Endpoint: string;
  readonly projectId: string;
  readonly managementToken: string;
  readonly secrets: SecretRegistry;
}

export async function api(
  mock: RemoteMock,
  method: string,
  path: string,
  options: { token?: string | null; json?: unknown; timeoutMs?: number; workspace?: string | null } = {},
): Promise<{ status: number; body: unknown; text: string }> {
  const token = options.token === undefined ? mock.managementToken : options.token;
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetchWithTimeout(`${mock.apiUrl}${withWorkspace(path, options.workspace === undefined ? mock.projectId : options.workspace)}`, { method, headers, body: options.json === undefined ? undefined : JSON.stringify(options.json) }, options.timeoutMs);
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

export async function issueToken(mock: RemoteMock, spec: TokenSpec = {}, projectId = mock.projectId): Promise<IssuedToken> {
  const res = await api(mock, 'POST', `/v1/projects/${projectId}/api-tokens`, { json: tokenCreateRequest(spec) });
  return issuedToken(res, projectId, mock.secrets);
}

/** An SDK client with its own connection pool, no retries (a retry would hide an error). */
export function s3Client(mock: RemoteMock, token: IssuedToken, options: { maxSockets?: number; clockOffsetMs?: number } = {}): S3Client {
  return new S3Client({
    // A mock whose clock was moved forward needs the client's clock moved with it (SigV4 allows 15 minutes of skew).
    systemClockOffset: options.clockOffsetMs ?? 0,
    endpoint: mock.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: token.accessKeyId!, secretAccessKey: token.secretAccessKey! },
    maxAttempts: 1,
    // Handler options (not an instance), so no direct dependency on @smithy/node-http-handler.
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 4 }), requestTimeout: 30_000 },
  });
}
