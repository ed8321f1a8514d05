import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy that makes a local server look far away: every chunk, in either direction, is passed on `delayMs`
 * after it arrived (so a request and its answer take at least 2 × `delayMs` more), in order. Bandwidth is not
 * limited; only latency is added. The end of a stream is delayed the same way, so a half-close arrives after the
 * data sent before it.
 */

export interface DelayProxy {
  /** `http://127.0.0.1:PORT`, the proxy's own address. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Pipes `from` into `to`, each chunk and the end `delayMs` late, in order (timers of one delay fire in order). */
function delayedPipe(from: Socket, to: Socket, delayMs: number): void {
  from.on('data', (chunk: Buffer) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, delayMs);
  });
  from.on('end', () => {
    setTimeout(() => {
      if (!to.destroyed) to.end();
    }, delayMs);
  });
}

/** Starts a proxy on 127.0.0.1 (any free port) in front of `upstream` (`http://host:port`). */
export async function startDelayProxy(upstream: string, delayMs: number): Promise<DelayProxy> {
  const target = new URL(upstream);
  const port = Number(target.port || 80);
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const origin = createConnection({ host: target.hostname, port, allowHalfOpen: true });
    sockets.add(client);
    sockets.add(origin);
    client.setNoDelay(true);
    origin.setNoDelay(true);
    delayedPipe(client, origin, delayMs);
    delayedPipe(origin, client, delayMs);
    const closeBoth = (): void => {
      // A reset on one side is passed on after the same delay, as the data before it was.
      setTimeout(() => {
        client.destroy();
        origin.destroy();
      }, delayMs);
    };
    client.on('error', closeBoth);
    origin.on('error', closeBoth);
    client.on('close', () => {
      sockets.delete(client);
      if (!origin.destroyed) closeBoth();
    });
    origin.on('close', () => {
      sockets.delete(origin);
      if (!client.destroyed) closeBoth();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
