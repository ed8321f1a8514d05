import { createServer } from 'node:http';

/**
 * The ceiling: a bare node:http server that answers PutObject and GetObject with canned responses and does no work
 * (no auth, no storage). It remembers only each key's size, so GET returns a body of the right length.
 * Run as a child process: `node dist/bench/bare-server.js PORT`; prints `ready` when listening.
 */
const sizes = new Map<string, number>();
const zeros = Buffer.alloc(8 * 1024 * 1024);

const server = createServer((req, res) => {
  const key = (req.url ?? '/').split('?')[0]!;
  if (req.method === 'PUT') {
    let length = 0;
    req.on('data', (chunk: Buffer) => (length += chunk.length));
    req.on('end', () => {
      sizes.set(key, length);
      res.writeHead(200, { etag: '"d41d8cd98f00b204e9800998ecf8427e"', 'content-length': '0' });
      res.end();
    });
    return;
  }
  const length = sizes.get(key) ?? 0;
  res.writeHead(200, { 'content-length': String(length), 'content-type': 'application/octet-stream', etag: '"d41d8cd98f00b204e9800998ecf8427e"' });
  res.end(zeros.subarray(0, length));
});

server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write('ready\n');
});
