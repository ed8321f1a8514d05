import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** One S3 endpoint under test, with credentials and a bucket that exists. */
export interface Endpoint {
  readonly name: string;
  readonly url: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucket: string;
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
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * The same client load for every endpoint: `workers` concurrent loops of PutObject then GetObject (body read to
 * the end) with @aws-sdk/client-s3, SigV4, Buffer bodies, for `seconds`. Latency is per pair.
 */
export async function runLoad(endpoint: Endpoint, options: { objectBytes: number; workers: number; seconds: number }): Promise<LoadResult> {
  const client = new S3Client({
    endpoint: endpoint.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: endpoint.accessKeyId, secretAccessKey: endpoint.secretAccessKey },
    // Buffered bodies with header checksums: the one mode every peer understands (s3rver does not decode aws-chunked).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: options.workers }) },
  });
  const body = randomBytes(options.objectBytes);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const deadline = performance.now() + options.seconds * 1000;
  const started = performance.now();

  async function worker(id: number) {
    let n = 0;
    while (performance.now() < deadline) {
      const key = `bench/w${id}/o${n++ % 32}`;
      const t0 = performance.now();
      try {
        await client.send(new PutObjectCommand({ Bucket: endpoint.bucket, Key: key, Body: body }));
        const got = await client.send(new GetObjectCommand({ Bucket: endpoint.bucket, Key: key }));
        const bytes = await got.Body!.transformToByteArray();
        if (bytes.length !== body.length) throw new Error(`short read: ${bytes.length} of ${body.length}`);
        latencies.push(performance.now() - t0);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
  }

  await Promise.all(Array.from({ length: options.workers }, (_, i) => worker(i)));
  const seconds = (performance.now() - started) / 1000;
  client.destroy();
  latencies.sort((a, b) => a - b);
  return {
    endpoint: endpoint.name,
    objectBytes: options.objectBytes,
    pairs: latencies.length,
    errors,
    ...(firstError ? { firstError } : {}),
    seconds,
    pairsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}
