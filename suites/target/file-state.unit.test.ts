import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSecrets, registerSecret } from '../../reports/redact.js';
import { startFile } from './file-state.js';
import { httpRequest, observedLeaks } from './http.js';
import { observedS3HeaderLeaks, rawFetch } from './s3.js';

describe('the start of a conformance file', () => {
  // A server that answers every request with the same body, which carries a secret.
  const secret = 'ibee_v4_secret-of-the-file-before-0123456789';
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echoed: secret })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('forgets what the file before it registered and saw, as a process of its own would', async () => {
    startFile();
    registerSecret(secret, 'bearer_token of a token of the file before');
    await httpRequest('GET', url);
    await rawFetch(url);
    expect(observedLeaks().length).toBe(1);
    expect(observedS3HeaderLeaks().length).toBe(1);
    expect(findSecrets(secret)).toEqual(['bearer_token of a token of the file before']);

    startFile();
    expect(observedLeaks()).toEqual([]);
    expect(observedS3HeaderLeaks()).toEqual([]);
    // The same answer in the next file is no leak of its own, and the secret is no longer one it knows.
    await httpRequest('GET', url);
    await rawFetch(url);
    expect(observedLeaks()).toEqual([]);
    expect(observedS3HeaderLeaks()).toEqual([]);
    expect(findSecrets(secret)).toEqual([]);
  });
});
