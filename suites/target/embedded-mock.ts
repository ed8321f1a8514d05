import { randomBytes } from 'node:crypto';
import type { TargetEndpoint } from './config.js';
import { createMockServer } from '../../mock-server/app.js';
import { s3SigningRegion } from '../../spec/index.js';

/**
 * The one place the suites touch mock-server/: starting the embedded mock in-process for a run with no external
 * target (global setup) and for the fault-injection harness. Everything else reaches it over HTTP only.
 */

export interface EmbeddedMock {
  readonly endpoint: TargetEndpoint;
  close(): Promise<void>;
}

export async function startEmbeddedMock(): Promise<EmbeddedMock> {
  const server = await createMockServer({
    host: '127.0.0.1',
    apiPort: 0,
    s3Port: 0,
    managementToken: `ibee_mgmt_${randomBytes(24).toString('base64url')}`,
    control: true,
    logLevel: 'silent',
  });
  return {
    endpoint: {
      apiUrl: server.apiUrl.replace(/\/+$/, ''),
      s3Endpoint: server.s3Endpoint.replace(/\/+$/, ''),
      projectId: server.projectId,
      managementToken: server.managementToken,
      region: s3SigningRegion.value.default,
      embedded: true,
    },
    close: () => server.close(),
  };
}
