import { request, Agent, type OutgoingHttpHeaders } from 'node:http';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { HttpRequest } from '@smithy/protocol-http';
import { processCpuMs } from './load.js';
import { startBareServer, startIbeeMock, startS3rver, type RunningPeer } from './peers.js';

/**
 * The server's own cost, without the AWS SDK client sharing the cores: PutObject and GetObject requests signed once
 * by @aws-sdk/client-s3 (SigV4, SHA-256 payload hash, CRC32, exactly as in the throughput section) are captured and
 * then replayed byte for byte by 16 plain node:http loops. The signature stays valid for the 15 minutes of allowed
 * clock skew, so every replay is verified in full. Prints pairs/s and the server's CPU time per pair: the figure
 * used to judge each change in "Profile and changes made" (bench/README.md).
 *
 *   node dist/bench/replay.js [memory|data-dir|s3rver|bare] [seconds=5] [objectBytes=4096] [--profile DIR]
 */
const args = process.argv.slice(2);
const profileAt = args.indexOf('--profile');
const profileDir = profileAt >= 0 ? args.splice(profileAt, 2)[1] : undefined;
const [which = 'memory', secondsArg = '5', bytesArg = '4096'] = args;
const seconds = Number(secondsArg);
const objectBytes = Number(bytesArg);
const workers = 16;

async function start(): Promise<RunningPeer> {
  const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  switch (which) {
    case 'memory':
      return startIbeeMock({ name: 'ibee-mock (memory)', nodeArgs });
    case 'data-dir':
      return startIbeeMock({ name: 'ibee-mock (--data-dir)', dataDir: true, nodeArgs });
    case 's3rver':
      return startS3rver();
    case 'bare':
      return startBareServer();
    default:
      throw new Error(`unknown peer ${which}: memory, data-dir, s3rver or bare`);
  }
}

interface Replayable {
  readonly put: HttpRequest;
  readonly get: HttpRequest;
}

/** Signs one PutObject and one GetObject per worker without sending them. */
async function signRequests(peer: RunningPeer, body: Buffer): Promise<Replayable[]> {
  const { endpoint } = peer;
  const captured: HttpRequest[] = [];
  const client = new S3Client({
    endpoint: endpoint.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: endpoint.accessKeyId, secretAccessKey: endpoint.secretAccessKey },
    requestHandler: {
      handle: (req: HttpRequest) => {
        captured.push(req);
        return Promise.reject(new Error('captured, not sent'));
      },
    },
  });
  const pairs: Replayable[] = [];
  for (let i = 0; i < workers; i++) {
    await client.send(new PutObjectCommand({ Bucket: endpoint.bucket, Key: `replay-${i}`, Body: body })).catch(() => undefined);
    await client.send(new GetObjectCommand({ Bucket: endpoint.bucket, Key: `replay-${i}` })).catch(() => undefined);
    const [put, get] = captured.splice(0);
    if (!put || !get) throw new Error('the SDK signed nothing');
    pairs.push({ put, get });
  }
  client.destroy();
  return pairs;
}

function send(base: URL, agent: Agent, signed: HttpRequest, payload?: Buffer): Promise<number> {
  const query = new URLSearchParams(signed.query as Record<string, string>).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: base.hostname, port: base.port, method: signed.method, path: signed.path + (query ? `?${query}` : ''), headers: signed.headers as OutgoingHttpHeaders, agent },
      (res) => {
        let length = 0;
        res.on('data', (chunk: Buffer) => (length += chunk.length));
        res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve(length) : reject(new Error(`${signed.method} answered ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const peer = await start();
try {
  const body = Buffer.alloc(objectBytes, 7);
  const pairs = await signRequests(peer, body);
  const agent = new Agent({ keepAlive: true, maxSockets: workers });
  const base = new URL(peer.endpoint.url);
  let done = 0;
  let running = true;
  const loops = pairs.map(async ({ put, get }) => {
    while (running) {
      await send(base, agent, put, body);
      if ((await send(base, agent, get)) !== objectBytes) throw new Error('GetObject returned the wrong length');
      done += 1;
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const pid = peer.process.pid!;
  const [cpu0, done0, t0] = [await processCpuMs(pid), done, performance.now()];
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const [cpu1, done1, t1] = [await processCpuMs(pid), done, performance.now()];
  running = false;
  await Promise.all(loops);
  agent.destroy();
  const pairsDone = done1 - done0;
  const cpuPerPair = cpu0 === null || cpu1 === null ? null : (cpu1 - cpu0) / pairsDone;
  console.log(
    `${peer.endpoint.name} @ ${objectBytes} B: ${(pairsDone / ((t1 - t0) / 1000)).toFixed(0)} pairs/s, server ${cpuPerPair === null ? '–' : cpuPerPair.toFixed(3)} ms CPU per pair`,
  );
} finally {
  await peer.stop();
}
