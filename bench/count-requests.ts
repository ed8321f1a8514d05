import { writeFileSync } from 'node:fs';
import { Server, type IncomingMessage } from 'node:http';
import { join } from 'node:path';

/**
 * Preload (`node --import …/count-requests.js`, via NODE_OPTIONS) used by the suite section: counts the HTTP
 * requests every node:http server in this process answers, per local port, and writes them to
 * $BENCH_REQUEST_COUNT_DIR/<pid>.json at exit. It observes the servers without changing them: the embedded mock
 * runs unmodified, in the process the suite starts it in.
 */
const dir = process.env.BENCH_REQUEST_COUNT_DIR;
if (dir) {
  const byPort = new Map<number, number>();
  const emit = Server.prototype.emit;
  Server.prototype.emit = function (this: Server, event: string | symbol, ...args: unknown[]) {
    if (event === 'request') {
      const port = (args[0] as IncomingMessage).socket.localPort ?? 0;
      byPort.set(port, (byPort.get(port) ?? 0) + 1);
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as typeof Server.prototype.emit;
  process.on('exit', () => {
    if (byPort.size === 0) return;
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify({ pid: process.pid, argv: process.argv.slice(1, 3), byPort: Object.fromEntries(byPort) }));
  });
}
