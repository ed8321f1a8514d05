import { randomBytes } from 'node:crypto';
import { STATUS_CODES, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { RestError } from '../rest/errors.js';
import { renderXml } from '../s3/xml.js';

/**
 * Requests Node's HTTP parser refuses (bad framing, unknown methods, raw bytes in the target, oversized headers)
 * never reach an app: by default Node answers them itself with a bare 400/431 and no body, and answers an
 * `Expect` it does not know with a bare 417. The mock answers them in the server's own error format instead, so
 * that clients always get an error they can read (REST JSON, S3 XML).
 */

/** Why the parser gave up. */
export type MalformedKind = 'malformed' | 'headers_too_large' | 'timeout';

export interface MalformedAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type MalformedRenderer = (kind: MalformedKind) => MalformedAnswer;

const messages: Record<MalformedKind, string> = {
  malformed: 'The request is not well-formed HTTP/1.1.',
  headers_too_large: 'Your request header section exceeds the maximum allowed size.',
  timeout: 'Your socket connection to the server was not read from or written to within the timeout period.',
};

/** REST: `{ error, message }` JSON, 431 for oversized headers, 408 for a timeout, else 400. */
export const restMalformedAnswer: MalformedRenderer = (kind) => {
  const status = kind === 'headers_too_large' ? 431 : kind === 'timeout' ? 408 : 400;
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    body: JSON.stringify(new RestError(status, 'invalid_request', messages[kind]).toBody()),
  };
};

/** S3: an `<Error>` document, 400 as AWS answers unreadable requests. */
export const s3MalformedAnswer: MalformedRenderer = (kind) => {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  return {
    status: 400,
    headers: { 'Content-Type': 'application/xml', 'x-amz-request-id': requestId, Server: 'IbeeMockS3' },
    body: renderXml('Error', { Code: 'InvalidRequest', Message: messages[kind], RequestId: requestId }, null),
  };
};

function kindOf(code: string | undefined): MalformedKind {
  if (code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large';
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'HPE_HEADERS_TIMEOUT') return 'timeout';
  return 'malformed';
}

/** Installs the handlers on `server`; `app` serves requests whose only fault is an unknown `Expect` value. */
export function answerMalformedRequests(server: Server, app: RequestListener, render: MalformedRenderer): void {
  // S3 and REST ignore expectations they do not know; Node would refuse them with a bare 417.
  server.on('checkExpectation', app);
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    // An answer already under way on this connection cannot be followed by another.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!socket.writable || error.code === 'ECONNRESET' || error.code === 'EPIPE' || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const answer = render(kindOf(error.code));
    const headers = { ...answer.headers, 'Content-Length': String(Buffer.byteLength(answer.body)), Connection: 'close' };
    const head = `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? 'Bad Request'}\r\n${Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('')}\r\n`;
    socket.end(head + answer.body);
  });
}
