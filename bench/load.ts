import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** One S3 endpoint under test, with credentials and a bucket that exists. */
export interface Endpoint {
  readonly name: string;
  readonly url: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucket: string;
}

export interface LoadOptions {
  readonly objectBytes: number;
  /** Concurrent PutObject+GetObject loops in total, spread over the client threads. */
  readonly workers: number;
  readonly seconds: number;
  /** Client threads (each its own event loop and S3Client); default: one per core. */
  readonly threads?: number;
  /** Untimed warm-up before the measured window (JIT, keep-alive connections). */
  readonly warmupSeconds?: number;
  /** The server's pid, to read the CPU time it spent in the measured window. */
  readonly serverPid?: number;
}

export interface LoadResult {
  readonly endpoint: string;
  readonly objectBytes: number;
  readonly pairs: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly seconds: number;
  /** PutObject+GetObject pairs per second. */
  readonly pairsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU time (user+system) the server process spent per pair in the measured window: cost, less sensitive to load. */
  readonly serverCpuMsPerPair: number | null;
  /** CPU time the load generator (all its threads) spent per pair. */
  readonly clientCpuMsPerPair: number;
}

/** One measured window, before summarising. */
export interface RawLoad {
  readonly endpoint: string;
  readonly objectBytes: number;
  readonly seconds: number;
  /** Per-pair latencies in ms, unsorted. */
  readonly latencies: Float64Array;
  readonly errors: number;
  readonly firstError?: string;
  readonly serverCpuMs: number | null;
  readonly clientCpuMs: number;
}

/** What one client thread is told. */
interface ThreadTask {
  readonly endpoint: Endpoint;
  readonly objectBytes: number;
  readonly workers: number;
  readonly firstWorker: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
}

/** What one client thread reports: per-pair latencies of the measured window only. */
interface ThreadOutcome {
  readonly latencies: Float64Array;
  readonly errors: number;
  readonly firstError?: string;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** utime+stime of a process in ms (Linux /proc/PID/stat, fields 14 and 15, in clock ticks of 10 ms). */
export async function processCpuMs(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after it are space-separated.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/**
 * The body of one client thread: `workers` loops of PutObject then GetObject (body read to the end and its length
 * checked) with @aws-sdk/client-s3, SigV4 and a CRC32 checksum header on every PutObject (the SDK's default for
 * buffered bodies). Buffered bodies are the one mode every peer understands (s3rver does not decode aws-chunked).
 */
async function clientThread(task: ThreadTask): Promise<ThreadOutcome> {
  const { endpoint } = task;
  const client = new S3Client({
    endpoint: endpoint.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: endpoint.accessKeyId, secretAccessKey: endpoint.secretAccessKey },
    requestChecksumCalculation: 'WHEN_SUPPORTED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: task.workers }) },
  });
  const body = randomBytes(task.objectBytes);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const warmupEnd = performance.now() + task.warmupSeconds * 1000;
  const deadline = warmupEnd + task.seconds * 1000;

  async function worker(id: number) {
    let n = 0;
    while (performance.now() < deadline) {
      // Four keys per loop: overwrites, and a bounded data set for the in-memory peers.
      const key = `bench/w${id}/o${n++ % 4}`;
      const t0 = performance.now();
      try {
        await client.send(new PutObjectCommand({ Bucket: endpoint.bucket, Key: key, Body: body }));
        const got = await client.send(new GetObjectCommand({ Bucket: endpoint.bucket, Key: key }));
        const bytes = await got.Body!.transformToByteArray();
        if (bytes.length !== body.length) throw new Error(`short read: ${bytes.length} of ${body.length}`);
        // Throughput counts the pairs that complete inside the window (whenever they started), so that a peer with
        // long latencies is not short-changed at the window's edges.
        const t1 = performance.now();
        if (t1 >= warmupEnd && t1 <= deadline) latencies.push(t1 - t0);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
  }

  await Promise.all(Array.from({ length: task.workers }, (_, i) => worker(task.firstWorker + i)));
  client.destroy();
  return { latencies: Float64Array.from(latencies), errors, ...(firstError ? { firstError } : {}) };
}

if (!isMainThread && (workerData as { benchLoad?: ThreadTask } | null)?.benchLoad) {
  // Set up (SDK loaded, body made), say so, and start on the main thread's word, so all threads share one window.
  const task = (workerData as { benchLoad: ThreadTask }).benchLoad;
  parentPort!.once('message', async () => {
    const outcome = await clientThread(task);
    parentPort!.postMessage(outcome, [outcome.latencies.buffer as ArrayBuffer]);
  });
  parentPort!.postMessage('ready');
}

/**
 * The same client load for every endpoint: `workers` concurrent PutObject+GetObject loops spread over `threads`
 * worker threads (so that one client event loop is not the ceiling), for `seconds` after a warm-up. Latency is
 * per pair; throughput counts pairs that completed inside the measured window.
 */
export async function runLoad(endpoint: Endpoint, options: LoadOptions): Promise<RawLoad> {
  const threads = Math.max(1, Math.min(options.workers, options.threads ?? availableParallelism()));
  const warmupSeconds = options.warmupSeconds ?? 1;
  const started = Array.from({ length: threads }, (_, t) => {
    const share = Math.floor(options.workers / threads) + (t < options.workers % threads ? 1 : 0);
    const task: ThreadTask = { endpoint, objectBytes: options.objectBytes, workers: share, firstWorker: t * 1000, seconds: options.seconds, warmupSeconds };
    const worker = new Worker(new URL(import.meta.url), { workerData: { benchLoad: task } });
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const outcome = new Promise<ThreadOutcome>((resolve, reject) => {
      worker.on('message', (message: 'ready' | ThreadOutcome) => (message === 'ready' ? ready() : resolve(message)));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`client thread exited (${code}) without a result`)));
    });
    return { worker, isReady, outcome };
  });
  await Promise.all(started.map((s) => s.isReady));
  for (const s of started) s.worker.postMessage('go');

  // CPU time of the server and of this process (all client threads), read at the edges of the measured window.
  const sample = async () => ({ server: options.serverPid ? await processCpuMs(options.serverPid) : null, client: process.cpuUsage() });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const window = (async () => {
    await sleep(warmupSeconds * 1000);
    const before = await sample();
    await sleep(options.seconds * 1000);
    const after = await sample();
    const client = process.cpuUsage(before.client);
    return {
      serverMs: after.server === null || before.server === null ? null : after.server - before.server,
      clientMs: (client.user + client.system) / 1000,
    };
  })();
  const outcomes = await Promise.all(started.map((s) => s.outcome));
  const cpu = await window;
  const latencies = new Float64Array(outcomes.reduce((n, o) => n + o.latencies.length, 0));
  let offset = 0;
  for (const o of outcomes) {
    latencies.set(o.latencies, offset);
    offset += o.latencies.length;
  }
  const firstError = outcomes.find((o) => o.firstError)?.firstError;
  return {
    endpoint: endpoint.name,
    objectBytes: options.objectBytes,
    seconds: options.seconds,
    latencies,
    errors: outcomes.reduce((n, o) => n + o.errors, 0),
    ...(firstError ? { firstError } : {}),
    serverCpuMs: cpu.serverMs,
    clientCpuMs: cpu.clientMs,
  };
}

/** Several measured windows of one endpoint and size (e.g. interleaved rounds) as one result. */
export function summarize(windows: readonly RawLoad[]): LoadResult {
  const first = windows[0]!;
  const latencies = new Float64Array(windows.reduce((n, w) => n + w.latencies.length, 0));
  let offset = 0;
  for (const w of windows) {
    latencies.set(w.latencies, offset);
    offset += w.latencies.length;
  }
  latencies.sort();
  const pairs = latencies.length;
  const seconds = windows.reduce((n, w) => n + w.seconds, 0);
  const serverCpu = windows.every((w) => w.serverCpuMs !== null) ? windows.reduce((n, w) => n + w.serverCpuMs!, 0) : null;
  const clientCpu = windows.reduce((n, w) => n + w.clientCpuMs, 0);
  const firstError = windows.find((w) => w.firstError)?.firstError;
  return {
    endpoint: first.endpoint,
    objectBytes: first.objectBytes,
    pairs,
    errors: windows.reduce((n, w) => n + w.errors, 0),
    ...(firstError ? { firstError } : {}),
    seconds,
    pairsPerSecond: pairs / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    serverCpuMsPerPair: serverCpu === null || pairs === 0 ? null : serverCpu / pairs,
    clientCpuMsPerPair: pairs === 0 ? Number.NaN : clientCpu / pairs,
  };
}
