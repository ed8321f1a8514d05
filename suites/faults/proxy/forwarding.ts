import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';

/** The HTTP plumbing of the fault proxy: reading a body, forwarding a request upstream, sending an answer on. */

/** An answer, from upstream or made by a fault. */
export interface Forwarded {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

export function forward(upstream: URL, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    const outgoing = { ...headers };
    delete outgoing['transfer-encoding'];
    outgoing['content-length'] = String(body.length);
    const req = httpRequest({ host: upstream.hostname, port: upstream.port, method, path, headers: outgoing }, (res) => {
      readBody(res).then((responseBody) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: responseBody }), reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `head`: the answer to a HEAD request, whose content-length describes the object, not the (empty) body. */
export function send(res: ServerResponse, forwarded: Forwarded, head = false): void {
  const headers = { ...forwarded.headers };
  const upstreamLength = headers['content-length'];
  delete headers['transfer-encoding'];
  delete headers['content-length'];
  delete headers['connection'];
  delete headers['keep-alive'];
  const length = head && upstreamLength !== undefined ? upstreamLength : String(forwarded.body.length);
  res.writeHead(forwarded.status, { ...headers, 'content-length': length });
  res.end(forwarded.body);
}
