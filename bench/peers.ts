import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Endpoint } from './load.js';

/** A server under test, started in its own process so that it does not share the client's event loop. */
export interface RunningPeer {
  readonly endpoint: Endpoint;
  readonly process: ChildProcess;
  /** Peak resident set size of the server process so far, in bytes (Linux VmHWM). */
  peakRssBytes(): Promise<number | null>;
  stop(): Promise<void>;
}

export const packageRoot = new URL('../../', import.meta.url).pathname;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Waits for a line on the child's stdout that `match` accepts; fails on exit or timeout. */
export function waitForLine(child: ChildProcess, match: (line: string) => boolean, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`no ready line within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null) => reject(new Error(`process exited (${code}) before it was ready`));
    child.once('exit', onExit);
    lines.on('line', (line) => {
      if (!match(line)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.close();
      // Keep draining: a child blocked on a full stdout pipe would stall the benchmark.
      child.stdout!.resume();
      resolve(line);
    });
  });
}

/** A field of /proc/PID/status in bytes (VmRSS: resident now; VmHWM: peak resident so far), or null. */
export async function memoryField(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): Promise<number | null> {
  if (!pid) return null;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const peakRss = (pid: number | undefined) => memoryField(pid, 'VmHWM');

/** Polls a process's VmRSS every `intervalMs` until stopped; resolves to the largest value seen, in bytes. */
export function sampleRss(pid: number | undefined, intervalMs = 20): { stop(): Promise<{ maxRssBytes: number | null; samples: number }> } {
  let max: number | null = null;
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const rss = await memoryField(pid, 'VmRSS');
      if (rss !== null) {
        samples++;
        max = Math.max(max ?? 0, rss);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { maxRssBytes: max, samples };
    },
  };
}

function stopper(child: ChildProcess, cleanup?: () => Promise<void>) {
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await cleanup?.();
  };
}

async function createBucket(endpoint: Omit<Endpoint, 'name'>) {
  const client = new S3Client({
    endpoint: endpoint.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: endpoint.accessKeyId, secretAccessKey: endpoint.secretAccessKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: endpoint.bucket }));
  client.destroy();
}

/**
 * Shows that the server under test verifies what the load sends, so that its speed is not bought by skipping
 * checks: a request signed with the wrong secret must fail with SignatureDoesNotMatch, and a PutObject whose
 * CRC32 header does not match its body with BadDigest. Returns the error names seen; throws if either succeeds.
 */
export async function checkVerification(endpoint: Endpoint): Promise<{ badSignature: string; badChecksum: string }> {
  const client = (secretAccessKey: string) =>
    new S3Client({ endpoint: endpoint.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: endpoint.accessKeyId, secretAccessKey } });
  const errorName = async (send: () => Promise<unknown>): Promise<string> => {
    try {
      await send();
    } catch (error) {
      return (error as { name?: string }).name ?? String(error);
    }
    throw new Error(`${endpoint.name} accepted a request it should have refused`);
  };
  const wrongSecret = client(`${endpoint.secretAccessKey.slice(1)}x`);
  const rightSecret = client(endpoint.secretAccessKey);
  try {
    const badSignature = await errorName(() => wrongSecret.send(new PutObjectCommand({ Bucket: endpoint.bucket, Key: 'verify-signature', Body: 'x' })));
    // The CRC32 of "hello" is NhCmhg==; the SDK sends a given checksum as it is.
    const badChecksum = await errorName(() =>
      rightSecret.send(new PutObjectCommand({ Bucket: endpoint.bucket, Key: 'verify-checksum', Body: 'hellO', ChecksumCRC32: 'NhCmhg==' })),
    );
    return { badSignature, badChecksum };
  } finally {
    wrongSecret.destroy();
    rightSecret.destroy();
  }
}

/** ibee-mock as users start it (`bin/ibee-mock.js`), with an admin token and one bucket. */
export async function startIbeeMock(options: { dataDir?: boolean; name: string; nodeArgs?: readonly string[] }): Promise<RunningPeer> {
  const dataDir = options.dataDir ? await mkdtemp(join(tmpdir(), 'ibee-bench-')) : null;
  const args = [...(options.nodeArgs ?? []), join(packageRoot, 'bin', 'ibee-mock.js'), '--api-port', '0', '--s3-port', '0', '--management-token', 'bench-management-token', '--log-level', 'error'];
  if (dataDir) args.push('--data-dir', dataDir);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = stopper(child, async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  let endpoint: Endpoint;
  try {
    const ready = JSON.parse(await waitForLine(child, (line) => line.startsWith('{'))) as { api_url: string; s3_endpoint: string; project_id: string };
    const created = await fetch(`${ready.api_url}/v1/projects/${ready.project_id}/api-tokens`, {
      method: 'POST',
      headers: { authorization: 'Bearer bench-management-token', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', object_storage: { permission_type: 'admin_rw', bucket_scope: 'all' } }),
    });
    if (created.status !== 201) throw new Error(`token creation failed: ${created.status} ${await created.text()}`);
    const token = (await created.json()) as { access_key_id: string; secret_access_key: string };
    endpoint = { name: options.name, url: ready.s3_endpoint, accessKeyId: token.access_key_id, secretAccessKey: token.secret_access_key, bucket: 'bench' };
    await createBucket(endpoint);
  } catch (error) {
    // Never leave a half-started server behind.
    await stop();
    throw error;
  }
  return { endpoint, process: child, peakRssBytes: () => peakRss(child.pid), stop };
}

/**
 * s3rver 3 (devDependency): it parses SigV4 headers but does not compute signatures ("Signature version 4
 * calculation is unimplemented") nor check payload hashes or checksums; it does MD5 every body for the ETag.
 * Started with --silent: the mock logs no per-request lines either.
 */
export async function startS3rver(): Promise<RunningPeer> {
  const dir = await mkdtemp(join(tmpdir(), 's3rver-bench-'));
  const port = await freePort();
  const bin = join(packageRoot, 'node_modules', 's3rver', 'bin', 's3rver.js');
  const child = spawn(process.execPath, [bin, '--silent', '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--configure-bucket', 'bench'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = stopper(child, () => rm(dir, { recursive: true, force: true }));
  await pollPort(port).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return {
    endpoint: { name: 's3rver 3', url: `http://127.0.0.1:${port}`, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', bucket: 'bench' },
    process: child,
    peakRssBytes: () => peakRss(child.pid),
    stop,
  };
}

async function pollPort(port: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`port ${port} never answered`);
}

/** The ceiling for Node on this machine: canned answers, no work. */
export async function startBareServer(): Promise<RunningPeer> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(packageRoot, 'dist', 'bench', 'bare-server.js'), String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await waitForLine(child, (line) => line === 'ready').catch(async (error: unknown) => {
    await stopper(child)();
    throw error;
  });
  return {
    endpoint: { name: 'bare node:http', url: `http://127.0.0.1:${port}`, accessKeyId: 'BARE', secretAccessKey: 'BARE', bucket: 'bench' },
    process: child,
    peakRssBytes: () => peakRss(child.pid),
    stop: stopper(child),
  };
}

export function motoAvailable(): boolean {
  return spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;
}

/** moto in server mode, the mock most people use (present in this machine image's Python). */
export async function startMoto(): Promise<RunningPeer> {
  const port = await freePort();
  // moto logs every request (werkzeug) to stderr; discarded, not piped, so it can never block on a full pipe.
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'ignore'] });
  const endpoint = { name: 'moto_server', url: `http://127.0.0.1:${port}`, accessKeyId: 'testing', secretAccessKey: 'testing', bucket: 'bench' };
  const stop = stopper(child);
  try {
    await pollPort(port, 30_000);
    await createBucket(endpoint);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, process: child, peakRssBytes: () => peakRss(child.pid), stop };
}
