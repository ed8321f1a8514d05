import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeOutcome } from '../checks/exercisers.js';
import { httpRequest } from './http.js';
import { describeNetworkError, describeUnreachable, probeEndpoint, probeEndpoints } from './reachability.js';
import { attempt } from './s3.js';

/** Endpoints that cannot be reached are named with their cause, before any check and in every message after. */

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('reachability', () => {
  let answering: Server;
  let silent: Server;
  let answeringAt: string;
  let silentAt: string;
  /** A port that was just free: nothing listens there. */
  let closedAt: string;

  beforeAll(async () => {
    answering = createServer((_req, res) => res.writeHead(403).end('Forbidden'));
    answeringAt = await listen(answering);
    silent = createServer(() => undefined);
    silentAt = await listen(silent);
    const gone = createServer();
    closedAt = await listen(gone);
    await close(gone);
  });

  afterAll(async () => {
    silent.closeAllConnections();
    await Promise.all([close(answering), close(silent)]);
  });

  it('any HTTP answer, a 403 included, means reachable', async () => {
    expect(await probeEndpoint('API URL', `http://${answeringAt}`)).toBeNull();
  });

  it('names connection refused, DNS failure, TLS error and timeout, with the endpoint', async () => {
    const refused = await probeEndpoint('S3 endpoint', `http://${closedAt}`);
    expect(refused).toEqual({ label: 'S3 endpoint', url: `http://${closedAt}`, cause: `ECONNREFUSED ${closedAt}` });
    expect(describeUnreachable(refused!)).toBe(`cannot reach the S3 endpoint http://${closedAt}: ECONNREFUSED ${closedAt}`);

    const dns = await probeEndpoint('API URL', 'http://ibee-conformance-probe.invalid');
    expect(dns?.cause).toMatch(/^(ENOTFOUND|EAI_AGAIN) ibee-conformance-probe\.invalid$/);

    // TLS spoken to a plain HTTP server.
    const tls = await probeEndpoint('API URL', `https://${answeringAt}`);
    expect(tls?.cause).toMatch(/SSL|TLS|EPROTO/i);

    const slow = await probeEndpoint('API URL', `http://${silentAt}`, 300);
    expect(slow?.cause).toBe('no answer within 0.3 s');

    const both = await probeEndpoints([
      { label: 'API URL', url: `http://${answeringAt}` },
      { label: 'S3 endpoint', url: `http://${closedAt}` },
    ]);
    expect(both.map((u) => u.label)).toEqual(['S3 endpoint']);
  });

  it('REST requests and S3 calls that get no response carry the cause, not "fetch failed" or "0 Error"', async () => {
    await expect(httpRequest('GET', `http://${closedAt}/v1/object-storage/buckets`)).rejects.toThrow(
      `GET http://${closedAt}/v1/object-storage/buckets: no response (ECONNREFUSED ${closedAt})`,
    );
    const s3 = new S3Client({
      endpoint: `http://${closedAt}`,
      region: 'us-east-1',
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIA0000000000000000', secretAccessKey: 'not-a-secret-for-this-test-000000000000' },
    });
    const outcome = await attempt(() => s3.send(new ListBucketsCommand({})));
    s3.destroy();
    expect(outcome.status).toBe(0);
    expect(describeOutcome(outcome)).toBe(`0 ECONNREFUSED ${closedAt}`);
  });

  it('property: the cause is found however deep the system error is wrapped', () => {
    const systemError = fc.record({
      code: fc.constantFrom('ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH'),
      address: fc.ipV4(),
      port: fc.integer({ min: 1, max: 65_535 }),
    });
    fc.assert(
      fc.property(systemError, fc.integer({ min: 0, max: 3 }), fc.boolean(), (sys, depth, aggregate) => {
        let error: unknown = Object.assign(new Error(`connect ${sys.code} ${sys.address}:${sys.port}`), sys);
        if (aggregate) error = Object.assign(new AggregateError([error], ''), { code: undefined });
        for (let i = 0; i < depth; i += 1) error = new TypeError('fetch failed', { cause: error });
        expect(describeNetworkError(error)).toBe(`${sys.code} ${sys.address}:${sys.port}`);
      }),
    );
  });
});
