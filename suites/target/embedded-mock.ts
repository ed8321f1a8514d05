import { randomBytes } from 'node:crypto';
import type { RestTarget } from './config.js';
import { httpRequest } from './http.js';
import { createMockServer } from '../../mock-server/app.js';
import { s3SigningRegion, tokenExpiryDays } from '../../spec/index.js';

/**
 * The one place the suites touch mock-server/: starting the embedded mock in-process for a run with no external
 * target (global setup) and for the fault-injection harness. Everything else reaches it over HTTP only.
 */

export interface EmbeddedMock {
  readonly endpoint: RestTarget;
  close(): Promise<void>;
}

export interface EmbeddedMockOptions {
  /**
   * Also issue an API token for the credentials driver (as a user would in the portal): Admin Read & Write on all
   * buckets, the longest life, made over HTTP with the mock's management token.
   */
  readonly apiToken?: boolean;
}

export async function startEmbeddedMock(options: EmbeddedMockOptions = {}): Promise<EmbeddedMock> {
  const server = await createMockServer({
    host: '127.0.0.1',
    apiPort: 0,
    s3Port: 0,
    managementToken: `ibee_mgmt_${randomBytes(24).toString('base64url')}`,
    control: true,
    logLevel: 'silent',
  });
  const apiUrl = server.apiUrl.replace(/\/+$/, '');
  let apiToken = '';
  if (options.apiToken) {
    const created = await httpRequest('POST', `${apiUrl}/v1/projects/${encodeURIComponent(server.projectId)}/api-tokens`, {
      headers: { authorization: `Bearer ${server.managementToken}` },
      json: { name: 'ibee-conformance API token', expires_in_days: tokenExpiryDays.value.max, object_storage: { permission_type: 'admin_rw', bucket_scope: 'all' } },
    });
    const bearer = (created.json as { bearer_token?: unknown } | undefined)?.bearer_token;
    if (created.response.status !== 201 || typeof bearer !== 'string') {
      await server.close();
      throw new Error(`the embedded mock did not issue an API token (${created.response.status})`);
    }
    apiToken = bearer;
  }
  return {
    endpoint: {
      apiUrl,
      s3Endpoint: server.s3Endpoint.replace(/\/+$/, ''),
      projectId: server.projectId,
      managementToken: server.managementToken,
      apiToken,
      region: s3SigningRegion.value.default,
      embedded: true,
    },
    close: () => server.close(),
  };
}
