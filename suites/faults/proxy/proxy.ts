import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RestTarget } from '../../target/config.js';
import type { FaultDefinition, FaultHooks, ProxiedRequest } from './fault.js';
import { forward, readBody, send } from './forwarding.js';
import { IssuedCredentials } from './issued-credentials.js';

/**
 * An HTTP proxy in front of a correct endpoint (one server for its API, one for its S3 endpoint) that injects one
 * fault, so that tests can prove the checks catch it. With no fault it is transparent. Whatever fault runs, the
 * proxy learns the credentials that token creations issue (IssuedCredentials), for the fault to use.
 */

export interface FaultProxy {
  readonly endpoint: RestTarget;
  /** How many times the fault actually changed an exchange. */
  injections(): number;
  close(): Promise<void>;
}

const tokenCreationPath = /^\/v1\/projects\/[^/]+\/api-tokens\/?$/;

export async function startFaultProxy(upstream: RestTarget, fault: FaultDefinition | null): Promise<FaultProxy> {
  const credentials = new IssuedCredentials();
  const hooks: FaultHooks = fault?.start({ upstream, credentials }) ?? {};
  let injected = 0;

  async function handle(kind: 'api' | 's3', req: IncomingMessage, res: ServerResponse): Promise<void> {
    const upstreamUrl = new URL(kind === 'api' ? upstream.apiUrl : upstream.s3Endpoint);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const isCreate = kind === 'api' && method === 'POST' && tokenCreationPath.test(url);
    let request: ProxiedRequest = { kind, method, url, path: url, headers: req.headers, body: await readBody(req), isCreate };
    if (isCreate) credentials.managementAuth = String(request.headers['authorization'] ?? '');

    const change = (await hooks.request?.(request)) ?? null;
    if (change !== null) {
      injected += 1;
      if ('answer' in change) {
        send(res, change.answer);
        return;
      }
      request = change.forward;
    }
    let response = await forward(upstreamUrl, method, request.path, request.headers, request.body);
    if (isCreate && response.status < 300) credentials.learn(request.body, response);
    const changed = (await hooks.response?.(request, response)) ?? null;
    if (changed !== null) {
      injected += 1;
      response = changed;
    }
    send(res, response, method === 'HEAD');
  }

  const listen = (kind: 'api' | 's3'): Promise<Server> =>
    new Promise((resolve) => {
      const server = createServer((req, res) => {
        handle(kind, req, res).catch((error: unknown) => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`fault proxy: ${(error as Error).message}`);
        });
      });
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
  const api = await listen('api');
  const s3 = await listen('s3');
  const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint: { ...upstream, apiUrl: urlOf(api), s3Endpoint: urlOf(s3), embedded: false },
    injections: () => injected,
    close: async () => {
      await Promise.all(
        [api, s3].map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
